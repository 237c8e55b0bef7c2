//! The admin console at `/admin`: plain JavaScript modules and a style sheet from `admin/`,
//! embedded in the binary and served under `/admin/assets/<hash>/`, where `<hash>` is a hash of
//! all of them (so the modules import each other by relative path, and a new build is never
//! mixed with old cached files). The console talks only to `/graphql`; the page has a strict
//! Content-Security-Policy (its own origin only, no inline script or style).
//!
//! With `--dev-tokens` there is also `POST /admin/dev-token` (JSON `{role, cvr, name}` ->
//! `{token}`) for the console's development login; without the flag that route does not exist.
use super::page::{self, CSS, JS};
use super::Http;
use crate::auth::{make_dev_token, DevTokenRequest};
use crate::domain::access::Role;
use crate::domain::enhed::is_cvr;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// The console's files: (name under the asset directory, content type, content).
const FILES: &[(&str, &str, &[u8])] = &[
    ("admin.css", CSS, include_bytes!("../../admin/admin.css")),
    ("app.js", JS, include_bytes!("../../admin/app.js")),
    ("api.js", JS, include_bytes!("../../admin/api.js")),
    ("dom.js", JS, include_bytes!("../../admin/dom.js")),
    ("login.js", JS, include_bytes!("../../admin/login.js")),
    ("picker.js", JS, include_bytes!("../../admin/picker.js")),
    ("worklist.js", JS, include_bytes!("../../admin/worklist.js")),
    (
        "serviceleverancer.js",
        JS,
        include_bytes!("../../admin/serviceleverancer.js"),
    ),
    ("enheder.js", JS, include_bytes!("../../admin/enheder.js")),
    ("system.js", JS, include_bytes!("../../admin/system.js")),
];

/// The hash of all files: the name of their directory under `/admin/assets/`.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut h = Sha256::new();
    for (name, _, body) in FILES {
        h.update(name.as_bytes());
        h.update((body.len() as u64).to_le_bytes());
        h.update(body);
    }
    h.finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
});

/// The Content-Security-Policy of the console page.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'none'";

/// Every asset path of the console with its content type (for tests).
pub fn asset_paths() -> Vec<(String, &'static str)> {
    FILES
        .iter()
        .map(|(name, ct, _)| (format!("/admin/assets/{}/{name}", *VERSION), *ct))
        .collect()
}

/// The console page; `dev_login` shows the development login form, `oidc` the login through
/// the identity provider.
pub fn admin_html(dev_login: bool, oidc: bool) -> String {
    let flag = |b: bool| if b { "true" } else { "false" };
    include_str!("../../admin/index.html")
        .replace("{{ASSETS}}", &format!("/admin/assets/{}", *VERSION))
        .replace("{{DEV_LOGIN}}", flag(dev_login))
        .replace("{{OIDC}}", flag(oidc))
}

/// The routes of the console; `dev_tokens` adds the development login endpoint.
pub(crate) fn routes(dev_tokens: bool) -> Router<Http> {
    let r = Router::new()
        .route("/admin", get(page))
        .route("/admin/", get(page))
        .route("/admin/assets/{version}/{name}", get(asset));
    if dev_tokens {
        r.route("/admin/dev-token", post(dev_token))
    } else {
        r
    }
}

async fn page(State(h): State<Http>) -> Response {
    page::html_response(
        admin_html(h.state.config.dev_tokens, h.state.oidc.is_some()),
        CONTENT_SECURITY_POLICY,
    )
}

async fn asset(Path((version, name)): Path<(String, String)>) -> Response {
    let found = (version == *VERSION)
        .then(|| FILES.iter().find(|(n, _, _)| *n == name))
        .flatten()
        .map(|(_, ct, body)| (*ct, *body));
    page::asset_response(found)
}

#[derive(serde::Deserialize)]
struct DevTokenBody {
    role: String,
    cvr: String,
    #[serde(default)]
    name: Option<String>,
}

/// How long a token from the development login lasts.
const DEV_TOKEN_HOURS: i64 = 8;

fn json_answer(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

fn refused(status: StatusCode, message: &str) -> Response {
    json_answer(status, serde_json::json!({ "error": message }))
}

/// `POST /admin/dev-token`: a development token for `{role, cvr, name}`, signed with the
/// configured development key (only routed with `--dev-tokens`). JSON only, so an HTML form
/// of another site cannot use it.
async fn dev_token(State(h): State<Http>, headers: HeaderMap, body: Bytes) -> Response {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send JSON (Content-Type: application/json).",
        );
    }
    let Ok(b) = serde_json::from_slice::<DevTokenBody>(&body) else {
        return refused(
            StatusCode::BAD_REQUEST,
            "Forventede JSON med role, cvr og name.",
        );
    };
    let Some(role) = Role::parse(&b.role) else {
        return refused(
            StatusCode::BAD_REQUEST,
            "Ukendt rolle: brug driftsoverenskomstansvarlig, redaktoer eller administrator.",
        );
    };
    let cvr = b.cvr.trim();
    if !is_cvr(cvr) {
        return refused(StatusCode::BAD_REQUEST, "CVR-nummeret skal være 8 cifre.");
    }
    let name = b.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if name.is_some_and(|n| n.chars().count() > 100 || n.chars().any(char::is_control)) {
        return refused(
            StatusCode::BAD_REQUEST,
            "Navnet må højst være 100 tegn uden kontroltegn.",
        );
    }
    let req = DevTokenRequest {
        roles: &[role],
        cvr,
        name,
        subject: None,
        valid_hours: DEV_TOKEN_HOURS,
    };
    // Real time, as the token's verification uses (not the service's clock).
    match make_dev_token(&h.state.config.dev_key, &req, chrono::Utc::now()) {
        Ok(token) => json_answer(
            StatusCode::OK,
            serde_json::json!({ "token": token, "validHours": DEV_TOKEN_HOURS }),
        ),
        Err(e) => {
            tracing::error!(error = %e, "udviklingstoken kunne ikke laves");
            refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Tokenet kunne ikke laves.",
            )
        }
    }
}
