//! What the pages served by the binary share (the playground at `/`, the admin console at
//! `/admin`): content types, the security headers, and the responses for an HTML page under a
//! Content-Security-Policy and for an embedded asset.
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub const JS: &str = "text/javascript; charset=utf-8";
pub const CSS: &str = "text/css; charset=utf-8";
pub const HTML: &str = "text/html; charset=utf-8";

/// Headers that every page and asset response carries.
pub fn security_headers(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

/// An HTML page, never cached, under the Content-Security-Policy `csp`.
pub fn html(body: String, csp: &str) -> Response {
    let mut resp = (
        [
            (header::CONTENT_TYPE, HTML),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(csp) {
        resp.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, v);
    }
    security_headers(&mut resp);
    resp
}

/// An embedded file whose URL names its version or content hash, so it is cached for a year;
/// `None`: 404.
pub fn asset(found: Option<(&'static str, &'static [u8])>) -> Response {
    let mut resp = match found {
        Some((content_type, body)) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            body,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "findes ikke",
        )
            .into_response(),
    };
    security_headers(&mut resp);
    resp
}
