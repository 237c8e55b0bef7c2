//! The console's login as a backend-for-frontend (issue 22; IETF *OAuth 2.0 for Browser-Based
//! Applications* §6.1): the server runs the OpenID Connect code flow, and the browser holds
//! only an HttpOnly session cookie, which `/graphql` (and the photo upload) accept in place of
//! a bearer token.
//!
//! - `GET /auth/login?return_to=/admin/…`: to the identity provider; a short-lived cookie binds
//!   the login's `state` to this browser (no login CSRF).
//! - `GET /auth/callback`: the code for a session; `__Host-plejeoverblik-session` (HttpOnly,
//!   Secure, SameSite=Lax, Path=/); then back to the console.
//! - `GET /auth/session`: who is logged in, and the CSRF token the console sends back.
//! - `POST /auth/logout`: ends the session here and says where to end it at the provider.
//!
//! **CSRF.** A request that a cookie authenticates and that may change state (any method but
//! GET/HEAD) must carry `X-CSRF-Token` with the session's token, which only a page of this
//! origin can read (`/auth/session` is same-origin JSON; CORS gives no credentials), and, when
//! the browser sends Fetch Metadata, `Sec-Fetch-Site: same-origin`. A form of another site
//! cannot set headers; another site's `fetch` cannot read the token. SameSite=Lax keeps the
//! cookie off cross-site subresource requests as well.
use super::export::status_of;
use super::Http;
use crate::domain::access::Viewer;
use crate::domain::session::Use;
use crate::error::AppError;
use crate::service::login;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::json;

/// The session cookie. `__Host-`: only set Secure, from this host, for `/` (RFC 6265bis §4.1.3.2).
pub const SESSION_COOKIE: &str = "__Host-plejeoverblik-session";
/// The cookie that binds a login's `state` to the browser that started it.
const LOGIN_COOKIE: &str = "__Host-plejeoverblik-login";
/// The header that proves a cookie-authenticated request comes from the console.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Sent by the console with a request it makes on its own (the lock's heartbeat) while nobody
/// has touched the page since its last request: no use of the session (`domain::session::Use`).
pub const BACKGROUND_HEADER: &str = "plejeoverblik-background";

pub(crate) fn routes() -> Router<Http> {
    Router::new()
        .route("/auth/login", get(start))
        .route("/auth/callback", get(callback))
        .route("/auth/session", get(session))
        .route("/auth/logout", post(logout))
}

/// A cookie's value from the request's `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The session id of a request, when it has the cookie.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE)
}

fn set_cookie(name: &str, value: &str, max_age: i64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age={max_age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The viewer of a request that has a session cookie (and no Authorization header). A method
/// that may change state must prove it comes from the console (see the module comment).
pub(crate) async fn viewer(
    h: &Http,
    session_id: &str,
    headers: &HeaderMap,
    method: &Method,
) -> Result<Viewer, AppError> {
    let by = if headers.contains_key(BACKGROUND_HEADER) {
        Use::Background
    } else {
        Use::Person
    };
    let current = login::current(&h.state, session_id, by).await?;
    if !(method == Method::GET || method == Method::HEAD) {
        csrf_check(headers, &current.csrf)?;
    }
    Ok(current.viewer)
}

fn csrf_check(headers: &HeaderMap, csrf: &str) -> Result<(), AppError> {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let token = headers.get(CSRF_HEADER).map(HeaderValue::as_bytes);
    let same_site = site.is_none_or(|s| s == "same-origin");
    let token_ok = token.is_some_and(|t| login::constant_time_eq(t, csrf.as_bytes()));
    if same_site && token_ok {
        Ok(())
    } else {
        Err(AppError::CsrfRefused(
            "Forespørgslen kom ikke fra konsollen (CSRF-token mangler eller passer ikke); den er afvist.".into(),
        ))
    }
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn json_error(status: StatusCode, e: &AppError) -> Response {
    no_store(
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            json!({ "code": e.code(), "message": e.message() }).to_string(),
        )
            .into_response(),
    )
}

fn see_other(location: &str) -> Response {
    no_store(
        (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, location.to_string())],
        )
            .into_response(),
    )
}

#[derive(Deserialize)]
struct StartParams {
    return_to: Option<String>,
}

async fn start(State(h): State<Http>, Query(p): Query<StartParams>) -> Response {
    match login::begin(&h.state, p.return_to.as_deref()).await {
        Ok(started) => {
            let mut r = see_other(&started.redirect);
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(LOGIN_COOKIE, &started.state, login::LOGIN_TIMEOUT_SECS),
            );
            r
        }
        Err(e) => failure_page(&e),
    }
}

#[derive(Deserialize)]
struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(
    State(h): State<Http>,
    headers: HeaderMap,
    Query(p): Query<CallbackParams>,
) -> Response {
    let outcome = match (&p.error, &p.code, &p.state) {
        (None, Some(code), Some(state)) => {
            login::finish(
                &h.state,
                code,
                state,
                cookie(&headers, LOGIN_COOKIE).as_deref(),
            )
            .await
        }
        (Some(e), _, _) => {
            // The provider's own words are not shown: they are the query string's, anyone's.
            tracing::info!(error = %e, "login afbrudt af identitetsudbyderen");
            Err(AppError::Unauthenticated(
                "Identitetsudbyderen afbrød login.".into(),
            ))
        }
        _ => Err(AppError::Unauthenticated(
            "Login-svaret mangler code eller state.".into(),
        )),
    };
    let mut r = match outcome {
        Ok(done) => {
            let max_age = h.state.config.oidc.session_max.as_secs();
            let mut r = see_other(&done.return_to);
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    SESSION_COOKIE,
                    &done.session_id,
                    i64::try_from(max_age).unwrap_or(i64::MAX),
                ),
            );
            r
        }
        Err(e) => failure_page(&e),
    };
    // The login's cookie has done its work either way.
    r.headers_mut()
        .append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, "", 0));
    r
}

/// The Danish page of a login that failed (no script, nothing from another host).
fn failure_page(e: &AppError) -> Response {
    let message = super::enhed_page::esc(&e.message());
    let html = format!(
        "<!doctype html><html lang=\"da\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Login mislykkedes – Plejeoverblik</title></head><body><main>\
         <h1>Login mislykkedes</h1><p>{message}</p>\
         <p><a href=\"/auth/login\">Prøv igen</a> eller gå til <a href=\"/admin/\">konsollen</a>.</p>\
         </main></body></html>"
    );
    let status = match e {
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut r = crate::http::page::html_response(html, "default-src 'none'");
    *r.status_mut() = status;
    r
}

async fn session(State(h): State<Http>, headers: HeaderMap) -> Response {
    let Some(id) = session_cookie(&headers) else {
        return json_error(
            StatusCode::UNAUTHORIZED,
            &AppError::Unauthenticated("Du er ikke logget ind.".into()),
        );
    };
    match login::current(&h.state, &id, Use::Person).await {
        Ok(c) => no_store(
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                json!({
                    "subject": c.viewer.subject,
                    "name": c.viewer.name,
                    "cvr": c.viewer.cvr,
                    "roles": c.viewer.roles.iter().map(|r| r.as_str().to_lowercase()).collect::<Vec<_>>(),
                    "csrf": c.csrf,
                    "expiresAt": c.expires_at.to_rfc3339(),
                })
                .to_string(),
            )
                .into_response(),
        ),
        Err(e) => json_error(status_of(&e), &e),
    }
}

async fn logout(State(h): State<Http>, headers: HeaderMap) -> Response {
    let Some(id) = session_cookie(&headers) else {
        return json_error(
            StatusCode::UNAUTHORIZED,
            &AppError::Unauthenticated("Du er ikke logget ind.".into()),
        );
    };
    // Logging someone out is a state change like any other: the console must ask for it.
    let checked = match login::current(&h.state, &id, Use::Person).await {
        Ok(c) => csrf_check(&headers, &c.csrf),
        Err(AppError::SessionExpired(_)) => Ok(()),
        Err(e) => Err(e),
    };
    if let Err(e) = checked {
        return json_error(status_of(&e), &e);
    }
    match login::logout(&h.state, &id).await {
        Ok(redirect) => {
            let mut r = no_store(
                (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/json")],
                    json!({ "redirect": redirect.unwrap_or_else(|| "/admin/".into()) }).to_string(),
                )
                    .into_response(),
            );
            r.headers_mut()
                .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0));
            r
        }
        Err(e) => json_error(status_of(&e), &e),
    }
}
