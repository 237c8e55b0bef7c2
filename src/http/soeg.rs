//! The citizen search at `/soeg`: a small Danish page over the public GraphQL API only
//! (anonymous `kommuner` and `search`, POST to `/graphql`). The page and its script and style
//! (`soeg/`) are embedded in the binary; no build step, no other host. The state of a search
//! lives in the URL (`/soeg?kommune=Roskilde&type=helhedspleje&dato=2026-12-01&lat=..&lon=..`),
//! which the script reads and writes, so a search can be linked.
use super::page::{self, Asset, Assets, CSS, JS};
use axum::http::HeaderValue;
use axum::response::Response;
use std::sync::LazyLock;

/// Our own files, served under a content-hashed name (`soeg.<hash>.js`) and cached for a year.
const OWN: &[(&str, &str, &str, &[u8])] = &[
    ("soeg", "js", JS, include_bytes!("../../soeg/soeg.js")),
    ("soeg", "css", CSS, include_bytes!("../../soeg/soeg.css")),
    ("enhed", "css", CSS, include_bytes!("../../soeg/enhed.css")),
    (
        "favicon",
        "svg",
        "image/svg+xml",
        include_bytes!("../../soeg/favicon.svg"),
    ),
];

static ASSETS: LazyLock<Assets> = LazyLock::new(|| Assets::new(&[], OWN));

/// Every asset path of the search page under `/assets/` with its content type (for tests).
pub fn asset_paths() -> Vec<(String, &'static str)> {
    ASSETS.paths()
}

/// A file of the search page by its path under `/assets/`.
pub(crate) fn find_asset(path: &str) -> Option<&'static Asset> {
    ASSETS.get(path)
}

/// The Content-Security-Policy of `/soeg`: only its own origin, for the module script, the style
/// sheet and the GraphQL requests. The page has no inline script or style at all (the script
/// sets no `style` attributes either), so it needs neither 'unsafe-inline' nor a nonce; the
/// forms may only go back to this origin (without JavaScript the search form is a plain GET).
pub fn content_security_policy() -> String {
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
     img-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'self'"
        .to_string()
}

/// "Brug min position" asks for the position (only this origin may); nothing else is allowed.
pub const PERMISSIONS_POLICY: &str =
    "geolocation=(self), camera=(), microphone=(), payment=(), usb=()";

/// The page: the template with the hashed asset URLs.
pub fn soeg_html() -> String {
    with_assets(include_str!("../../soeg/index.html"))
}

/// A page template of `soeg/` with the hashed URLs of its files filled in.
pub(crate) fn with_assets(template: &str) -> String {
    template
        .replace("{{SOEG_CSS}}", ASSETS.url("soeg.css"))
        .replace("{{ENHED_CSS}}", ASSETS.url("enhed.css"))
        .replace("{{SOEG_JS}}", ASSETS.url("soeg.js"))
        .replace("{{FAVICON}}", ASSETS.url("favicon.svg"))
}

/// The accessibility statement (*Tilgængelighedserklæring*) the Danish web-accessibility law
/// asks of a public site, linked from every page's footer.
pub async fn accessibility() -> Response {
    super::enhed_page::page(
        axum::http::StatusCode::OK,
        "Tilgængelighedserklæring",
        include_str!("../../soeg/tilgaengelighed.html"),
    )
}

pub async fn page() -> Response {
    let mut resp = page::html_response(soeg_html(), &content_security_policy());
    resp.headers_mut().insert(
        "permissions-policy",
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    resp
}
