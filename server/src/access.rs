//! Who may change things. Without `access_token` the server trusts whoever reaches it (it listens
//! on 127.0.0.1 by default). With one, everyone may read, but anything that changes something —
//! uploads, runs, corrections, every non-GET request — needs the token: as
//! `Authorization: Bearer <token>` (scripts), or as the cookie `/sign-in` sets (browsers).
//! Whoever signs in may give a name; the cookie binds it to the token, so the edit log can say
//! who made each change. Every request carries a [`Visitor`] for the pages and server functions.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use axum::Form;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

/// The cookie a signed-in browser sends.
pub const COOKIE: &str = "ips_session";

/// The longest name one may sign in with (characters).
const MAX_NAME: usize = 60;

type HmacSha256 = Hmac<Sha256>;

/// The configured token, kept as the values a request may prove it with.
#[derive(Clone)]
pub struct Access {
    token_digest: Arc<[u8; 32]>,
    /// The key session cookies are sealed with: derived from the token, never the token.
    session_key: Arc<[u8; 32]>,
}

impl Access {
    pub fn new(token: &str) -> Self {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let session_key: [u8; 32] = Sha256::digest(format!("ips-session:{token}").as_bytes()).into();
        Self { token_digest: Arc::new(digest), session_key: Arc::new(session_key) }
    }

    /// Compares digests in constant time: the time taken says nothing about a guess.
    fn is_token(&self, candidate: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
        bool::from(digest.ct_eq(&*self.token_digest))
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&*self.session_key).expect("HMAC takes keys of any length")
    }

    /// The cookie value for someone signed in as `name` (may be empty): the name in hex, a dot,
    /// and its HMAC-SHA256 keyed by the token, so nobody without the token can make one.
    fn session_for(&self, name: &str) -> String {
        let mut mac = self.mac();
        mac.update(name.as_bytes());
        format!("{}.{}", hex::encode(name), hex::encode(mac.finalize().into_bytes()))
    }

    /// The name a session cookie was issued for, when its seal is genuine (checked in constant
    /// time by the `hmac` crate).
    fn session_name(&self, value: &str) -> Option<String> {
        let (name_hex, seal) = value.split_once('.')?;
        let name = String::from_utf8(hex::decode(name_hex).ok()?).ok()?;
        let mut mac = self.mac();
        mac.update(name.as_bytes());
        mac.verify_slice(&hex::decode(seal).ok()?).ok()?;
        Some(name)
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

    #[test]
    fn a_length_extended_or_truncated_seal_is_refused() {
        let access = Access::new("s3cret");
        let ana = access.session_for("Ana");
        let (name, seal) = ana.split_once('.').unwrap();
        // What a length-extension attack on a plain hash(key ‖ name) would send: more name and
        // a seal made without the key. HMAC's seal covers the exact name, so neither passes.
        let extended = format!("{COOKIE}={}{}.{seal}", name, hex::encode("\u{80}\0\0admin"));
        assert!(!access.visitor(&headers(&[(header::COOKIE, &extended)])).signed_in);
        for cut in [&seal[..seal.len() - 2], &seal[..32], ""] {
            assert!(!access.visitor(&headers(&[(header::COOKIE, &format!("{COOKIE}={name}.{cut}"))])).signed_in);
        }
        assert_eq!(seal.len(), 64, "a full HMAC-SHA256");
    }
}
