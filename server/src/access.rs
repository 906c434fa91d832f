//! Who may change things. Without `access_token` the server trusts whoever reaches it (it listens
//! on 127.0.0.1 by default). With one, everyone may read, but anything that changes something —
//! uploads, runs, corrections, every non-GET request — needs the token: as
//! `Authorization: Bearer <token>` (scripts), or as the cookie `/sign-in` sets (browsers).

use std::sync::Arc;

use axum::Form;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

/// The cookie a signed-in browser sends.
pub const COOKIE: &str = "ips_session";

/// The configured token, kept as the values a request may prove it with.
#[derive(Clone)]
pub struct Access {
    token_digest: Arc<String>,
    session: Arc<String>,
}

impl Access {
    pub fn new(token: &str) -> Self {
        let digest = ips_core::hash::sha256_hex(token.as_bytes());
        // The cookie carries a value derived from the token, not the token itself.
        let session = ips_core::hash::sha256_hex(format!("ips-session:{token}").as_bytes());
        Self { token_digest: Arc::new(digest), session: Arc::new(session) }
    }

    /// Compares digests, so the time taken says nothing about how much of a guess was right.
    fn is_token(&self, candidate: &str) -> bool {
        ips_core::hash::sha256_hex(candidate.as_bytes()) == *self.token_digest
    }

    fn allows(&self, headers: &HeaderMap) -> bool {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|t| self.is_token(t.trim()));
        let cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(name, value)| {
                name == COOKIE
                    && ips_core::hash::sha256_hex(value.as_bytes())
                        == ips_core::hash::sha256_hex(self.session.as_bytes())
            });
        bearer || cookie
    }
}

/// Lets reads through; a write without the token gets 401 and where to sign in.
pub async fn require_token_for_writes(State(access): State<Option<Access>>, request: Request, next: Next) -> Response {
    let read = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let sign_in = request.uri().path() == "/sign-in";
    match access {
        Some(access) if !read && !sign_in && !access.allows(request.headers()) => (
            StatusCode::UNAUTHORIZED,
            "Sign in to make changes: this server is read-only without its access token (open /sign-in).",
        )
            .into_response(),
        _ => next.run(request).await,
    }
}

#[derive(serde::Deserialize)]
pub struct SignIn {
    token: String,
}

pub async fn sign_in_page() -> Html<&'static str> {
    Html(concat!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in · IPS</title>",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<link rel=\"stylesheet\" href=\"/pkg/ips.css\"></head><body><main><section class=\"card\">",
        "<h1>Sign in</h1><p class=\"muted\">Everyone may read this server; changes need its access token.</p>",
        "<form method=\"post\" action=\"/sign-in\"><label>Access token ",
        "<input type=\"password\" name=\"token\" id=\"token\" autocomplete=\"current-password\" required></label> ",
        "<button type=\"submit\" class=\"primary\">Sign in</button></form></section></main></body></html>"
    ))
}

/// Checks the token and gives the browser the session cookie (HttpOnly, SameSite=Strict).
pub async fn sign_in(State(access): State<Option<Access>>, Form(form): Form<SignIn>) -> Response {
    let Some(access) = access else { return Redirect::to("/").into_response() };
    if !access.is_token(form.token.trim()) {
        return (StatusCode::UNAUTHORIZED, Html("<p>Wrong token. <a href=\"/sign-in\">Try again</a>.</p>"))
            .into_response();
    }
    let cookie = format!("{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000", access.session);
    let mut response = Redirect::to("/").into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (k.clone(), v.parse().unwrap())).collect()
    }

    #[test]
    fn the_token_or_its_session_cookie_allow_writes() {
        let access = Access::new("s3cret");
        assert!(access.allows(&headers(&[(header::AUTHORIZATION, "Bearer s3cret")])));
        assert!(!access.allows(&headers(&[(header::AUTHORIZATION, "Bearer s3cre")])));
        assert!(!access.allows(&headers(&[])));
        let session = format!("theme=dark; {COOKIE}={}", access.session);
        assert!(access.allows(&headers(&[(header::COOKIE, &session)])));
        assert!(
            !access.allows(&headers(&[(header::COOKIE, &format!("{COOKIE}=s3cret"))])),
            "the raw token is no cookie"
        );
    }
}
