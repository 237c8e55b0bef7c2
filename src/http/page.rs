//! What the HTML pages served by the binary share (the playground at `/`, the citizen search at
//! `/soeg`, the admin console at `/admin`): files embedded in the binary and served under `/assets/` (vendored files under a
//! versioned path, our own under a name with a hash of their content, both cached for a year),
//! a fresh nonce per page response, the page's Content-Security-Policy and the security headers.
//! Each page keeps its own [`Assets`]; [`asset`] serves all of them.
use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

pub const JS: &str = "text/javascript; charset=utf-8";
pub const CSS: &str = "text/css; charset=utf-8";
pub const HTML: &str = "text/html; charset=utf-8";

pub struct Asset {
    pub content_type: &'static str,
    pub body: &'static [u8],
}

/// The embedded files of one page.
pub struct Assets {
    by_path: HashMap<String, Asset>,
    /// The URL of each file, by its path in `vendor` or `stem.ext` in `own`.
    url: HashMap<String, String>,
}

impl Assets {
    /// `vendor`: (path with the version in it, content type, body); `own`: (stem, ext, content
    /// type, body), served as `stem.<hash>.ext`.
    pub fn new(
        vendor: &[(&'static str, &'static str, &'static [u8])],
        own: &[(&'static str, &'static str, &'static str, &'static [u8])],
    ) -> Assets {
        let mut by_path = HashMap::new();
        let mut url = HashMap::new();
        for &(path, content_type, body) in vendor {
            by_path.insert(path.to_string(), Asset { content_type, body });
            url.insert(path.to_string(), format!("/assets/{path}"));
        }
        for &(stem, ext, content_type, body) in own {
            let hash = Sha256::digest(body);
            let hex: String = hash.iter().take(6).map(|b| format!("{b:02x}")).collect();
            let path = format!("{stem}.{hex}.{ext}");
            url.insert(format!("{stem}.{ext}"), format!("/assets/{path}"));
            by_path.insert(path, Asset { content_type, body });
        }
        Assets { by_path, url }
    }

    /// The URL of a file by its vendor path or `stem.ext`.
    pub fn url(&self, name: &str) -> &str {
        self.url.get(name).map(String::as_str).unwrap_or("/assets/")
    }

    /// A file by its path under `/assets/`.
    pub fn get(&self, path: &str) -> Option<&Asset> {
        self.by_path.get(path)
    }

    /// Every path under `/assets/` with its content type, sorted (for tests).
    pub fn paths(&self) -> Vec<(String, &'static str)> {
        let mut v: Vec<_> = self
            .by_path
            .iter()
            .map(|(p, a)| (format!("/assets/{p}"), a.content_type))
            .collect();
        v.sort();
        v
    }
}

/// A fresh nonce for one page response (122 random bits).
pub fn nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

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

/// A page: HTML, never cached (it carries a nonce), with its Content-Security-Policy.
pub fn html_response(html: String, csp: &str) -> Response {
    let mut resp = (
        [
            (header::CONTENT_TYPE, HTML),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(csp) {
        resp.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, v);
    }
    security_headers(&mut resp);
    resp
}

/// Escapes JSON for a `<script type="application/json">` element (no `</script>`, no `<!--`).
pub fn json_in_html(v: &serde_json::Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// `GET /assets/{*path}`: a file of any page's [`Assets`].
pub async fn asset(Path(path): Path<String>) -> Response {
    let found = super::playground::find_asset(&path).or_else(|| super::soeg::find_asset(&path));
    asset_response(found.map(|a| (a.content_type, a.body)))
}

/// An embedded file whose URL names its version or content hash, so it is cached for a year;
/// `None`: 404.
pub fn asset_response(found: Option<(&'static str, &'static [u8])>) -> Response {
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

/// Whether a request's `If-None-Match` (every such header, weak comparison, `*`; RFC 9110
/// §13.1.2) matches `etag`, so that the answer is 304. Parsed by the `headers` crate's types.
pub fn not_modified(headers: &axum::http::HeaderMap, etag: &str) -> bool {
    use headers::HeaderMapExt;
    let Ok(tag) = etag.parse::<headers::ETag>() else {
        return false;
    };
    headers
        .typed_get::<headers::IfNoneMatch>()
        .is_some_and(|inm| !inm.precondition_passes(&tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_cannot_close_the_script_element() {
        let s = json_in_html(&serde_json::json!(["</script><!-- &"]));
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).expect("json");
        assert_eq!(back[0], "</script><!-- &");
    }

    #[test]
    fn own_files_get_a_content_hash_in_their_name() {
        let a = Assets::new(&[], &[("x", "js", JS, b"a"), ("x", "css", CSS, b"b")]);
        let js = a.url("x.js").to_string();
        assert!(js.starts_with("/assets/x.") && js.ends_with(".js"), "{js}");
        assert_eq!(js.len(), "/assets/x.".len() + 12 + ".js".len());
        assert_ne!(a.url("x.css"), "/assets/");
        assert!(a.get(js.trim_start_matches("/assets/")).is_some());
        assert!(a.get("x.js").is_none());
    }
}
