//! Cross-site request forgery guard: a request that changes something (any method but GET,
//! HEAD, OPTIONS) sent by a browser from another site is refused.
//!
//! Browsers name the page a request comes from in `Origin` (every cross-site POST, form or
//! script) and say `Sec-Fetch-Site: cross-site`; a page on another site cannot remove either. So
//! an upload form or a server function call posted from evil.example to this server is refused,
//! while the app's own pages and non-browser clients (curl, the CLI's tests), which send no
//! Origin, pass.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) || same_origin(request.headers()) {
        return next.run(request).await;
    }
    tracing::warn!(method = %request.method(), uri = %request.uri(), "cross-site request refused");
    (StatusCode::FORBIDDEN, "Refused: this request came from another site.").into_response()
}

/// Whether the headers show a request from this server's own pages (or from no browser page).
fn same_origin(headers: &HeaderMap) -> bool {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if get("sec-fetch-site") == Some("cross-site") {
        return false;
    }
    let Some(origin) = get(header::ORIGIN.as_str()) else { return true };
    let Some(host) = get(header::HOST.as_str()) else { return false };
    // Origin is scheme://host[:port]; it must name the host the request was sent to.
    match origin.split_once("://") {
        Some((_, authority)) => authority.eq_ignore_ascii_case(host),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        map
    }

    #[test]
    fn only_requests_from_this_site_or_no_browser_page_pass() {
        assert!(same_origin(&headers(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3000")])));
        assert!(same_origin(&headers(&[("host", "127.0.0.1:3000")])), "curl sends no Origin");
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:3000"), ("origin", "https://evil.example")])));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3001")])));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:3000"), ("origin", "null")])), "sandboxed pages");
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:3000"), ("sec-fetch-site", "cross-site")])));
        assert!(same_origin(&headers(&[("host", "ips.lan:3000"), ("origin", "http://IPS.lan:3000")])));
    }
}
