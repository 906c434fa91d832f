//! Who may change things. Without `access_token` the server trusts whoever reaches it (it listens
//! on 127.0.0.1 by default). With one, everyone may read, but anything that changes something —
//! uploads, runs, corrections, every non-GET request — needs the token: as
//! `Authorization: Bearer <token>` (scripts), or as the cookie `/sign-in` sets (browsers).
//! Whoever signs in may give a name; the cookie binds it to the token, so the edit log can say
//! who made each change. Every request carries a [`Visitor`] for the pages and server functions.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

/// The cookie a signed-in browser sends.
pub const COOKIE: &str = "ips_session";

/// The longest name one may sign in with (characters).
const MAX_NAME: usize = 60;

/// The configured token, kept as the values a request may prove it with.
#[derive(Clone)]
pub struct Access {
    token_digest: Arc<String>,
    session_key: Arc<String>,
}

impl Access {
    pub fn new(token: &str) -> Self {
        let digest = ips_core::hash::sha256_hex(token.as_bytes());
        // Cookies carry values derived from the token, never the token itself.
        let session_key = ips_core::hash::sha256_hex(format!("ips-session:{token}").as_bytes());
        Self { token_digest: Arc::new(digest), session_key: Arc::new(session_key) }
    }

    /// Compares digests, so the time taken says nothing about how much of a guess was right.
    fn is_token(&self, candidate: &str) -> bool {
        ips_core::hash::sha256_hex(candidate.as_bytes()) == *self.token_digest
    }

    /// The cookie value for someone signed in as `name` (may be empty): the name in hex, a dot,
    /// and a digest of it keyed by the token, so nobody without the token can make one.
    fn session_for(&self, name: &str) -> String {
        format!("{}.{}", hex::encode(name), self.seal(name))
    }

    fn seal(&self, name: &str) -> String {
        ips_core::hash::sha256_hex(format!("{}:{name}", self.session_key).as_bytes())
    }

    /// The name a session cookie was issued for, when it is genuine.
    fn session_name(&self, value: &str) -> Option<String> {
        let (name_hex, seal) = value.split_once('.')?;
        let name = String::from_utf8(hex::decode(name_hex).ok()?).ok()?;
        // Compared as digests, for the same reason as the token.
        let genuine =
            ips_core::hash::sha256_hex(seal.as_bytes()) == ips_core::hash::sha256_hex(self.seal(&name).as_bytes());
        genuine.then_some(name)
    }

    /// Who sends these headers: signed in (with the name given, if any) or not.
    pub fn visitor(&self, headers: &HeaderMap) -> Visitor {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|t| self.is_token(t.trim()));
        let cookie_name = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(name, _)| *name == COOKIE)
            .find_map(|(_, value)| self.session_name(value));
        let signed_in = bearer || cookie_name.is_some();
        let name = cookie_name.filter(|n| !n.is_empty()).or_else(|| bearer.then(|| "token holder".to_string()));
        Visitor { access_required: true, signed_in, name }
    }
}

pub use ips_app::ssr::Visitor;

/// Tells the pages and server functions who is asking (a [`Visitor`] in the request's
/// extensions); lets reads through; a write without the token gets 401 and where to sign in.
pub async fn require_token_for_writes(
    State(access): State<Option<Access>>,
    mut request: Request,
    next: Next,
) -> Response {
    let read = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let signing = matches!(request.uri().path(), "/sign-in" | "/sign-out");
    let visitor = access.as_ref().map(|a| a.visitor(request.headers())).unwrap_or_default();
    if access.is_some() && !read && !signing && !visitor.signed_in {
        return (
            StatusCode::UNAUTHORIZED,
            "Sign in to make changes: this server is read-only without its access token (open /sign-in).",
        )
            .into_response();
    }
    request.extensions_mut().insert(visitor);
    next.run(request).await
}

#[derive(serde::Deserialize)]
pub struct SignIn {
    token: String,
    #[serde(default)]
    name: String,
}

pub async fn sign_in_page() -> Html<&'static str> {
    Html(concat!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in · IPS</title>",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<link rel=\"stylesheet\" href=\"/pkg/ips.css\"></head><body><main><section class=\"card\">",
        "<h1>Sign in</h1><p class=\"muted\">Everyone may read this server; changes need its access token.</p>",
        "<form method=\"post\" action=\"/sign-in\" class=\"sign-in\"><label>Access token ",
        "<input type=\"password\" name=\"token\" id=\"token\" autocomplete=\"current-password\" required></label> ",
        "<label>Your name, for the edit log (optional) ",
        "<input type=\"text\" name=\"name\" id=\"name\" maxlength=\"60\" autocomplete=\"name\"></label> ",
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
    let name = form.name.trim();
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return (
            StatusCode::BAD_REQUEST,
            Html("<p>A name has at most 60 characters and no control characters. <a href=\"/sign-in\">Try again</a>.</p>"),
        )
            .into_response();
    }
    let cookie = format!("{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000", access.session_for(name));
    with_cookie(Redirect::to("/").into_response(), &cookie)
}

/// Forgets the session cookie.
pub async fn sign_out() -> Response {
    with_cookie(Redirect::to("/").into_response(), &format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"))
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
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

    fn signed_in(access: &Access, pairs: &[(header::HeaderName, &str)]) -> bool {
        access.visitor(&headers(pairs)).signed_in
    }

    #[test]
    fn the_token_or_its_session_cookie_allow_writes() {
        let access = Access::new("s3cret");
        assert!(signed_in(&access, &[(header::AUTHORIZATION, "Bearer s3cret")]));
        assert!(!signed_in(&access, &[(header::AUTHORIZATION, "Bearer s3cre")]));
        assert!(!signed_in(&access, &[]));
        let session = format!("theme=dark; {COOKIE}={}", access.session_for(""));
        assert!(signed_in(&access, &[(header::COOKIE, &session)]));
        assert!(!signed_in(&access, &[(header::COOKIE, &format!("{COOKIE}=s3cret"))]), "the raw token is no cookie");
        let other_server = Access::new("other");
        assert!(!signed_in(&access, &[(header::COOKIE, &format!("{COOKIE}={}", other_server.session_for("")))]));
    }

    #[test]
    fn the_name_in_a_session_cannot_be_changed_without_the_token() {
        let access = Access::new("s3cret");
        let ana = access.session_for("Ana Ruiz");
        let visitor = access.visitor(&headers(&[(header::COOKIE, &format!("{COOKIE}={ana}"))]));
        assert_eq!((visitor.signed_in, visitor.name.as_deref()), (true, Some("Ana Ruiz")));
        // Another name with Ana's seal: refused.
        let (_, seal) = ana.split_once('.').unwrap();
        let forged = format!("{COOKIE}={}.{seal}", hex::encode("Boss"));
        assert!(!access.visitor(&headers(&[(header::COOKIE, &forged)])).signed_in);
        assert!(!access.visitor(&headers(&[(header::COOKIE, &format!("{COOKIE}=zz.{seal}"))])).signed_in);
        let bearer = access.visitor(&headers(&[(header::AUTHORIZATION, "Bearer s3cret")]));
        assert_eq!(bearer.name.as_deref(), Some("token holder"), "scripts are named as such in the log");
    }
}
