//! Issue 22 §1: the console's login through the identity provider (OpenID Connect code flow with
//! PKCE, backend-for-frontend), against a small OpenID provider run by the test (discovery,
//! JWKS, token endpoint with single-use codes, PKCE check and rotating refresh tokens). The
//! browser test (`tests/browser/oidc.test.mjs`) runs the same against the certified
//! `oidc-provider` in Chromium; this one runs on SQLite and PostgreSQL and moves the clock.
use crate::auth::{idp, jwks, sign, Idp};
use crate::helpers::*;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use plejeoverblik::domain::access::Role;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const CLIENT_ID: &str = "plejeoverblik-admin";
const CLIENT_SECRET: &str = "hemmelig test+secret";
const PUBLIC_URL: &str = "https://plejeoverblik.test";

/// What the provider knows: codes given out (with the claims, nonce and PKCE challenge they
/// stand for), refresh tokens in force, and how often each endpoint was called.
#[derive(Default)]
struct Provider {
    codes: HashMap<String, (Value, String)>,
    refresh: HashMap<String, Value>,
    refreshes: usize,
}

struct Op {
    issuer: String,
    state: Arc<Mutex<Provider>>,
    _task: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct OpState {
    issuer: String,
    key: Arc<Idp>,
    jwks: String,
    state: Arc<Mutex<Provider>>,
}

fn id_token(s: &OpState, claims: &Value, nonce: Option<&str>) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut c = json!({ "iss": s.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 600 });
    for (k, v) in claims.as_object().into_iter().flatten() {
        c[k] = v.clone();
    }
    if let Some(n) = nonce {
        c["nonce"] = json!(n);
    }
    sign(&s.key, Some("op-1"), c)
}

async fn token_endpoint(
    State(s): State<OpState>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, axum::Json<Value>) {
    // client_secret_basic with the credentials form-encoded (RFC 6749 §2.3.1).
    let enc = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        enc(CLIENT_ID),
        enc(CLIENT_SECRET)
    ));
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Basic {basic}"));
    let bad = |e: &str| (StatusCode::BAD_REQUEST, axum::Json(json!({ "error": e })));
    if !authorized {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "error": "invalid_client" })),
        );
    }
    let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let mut p = s.state.lock().unwrap_or_else(|e| e.into_inner());
    let rt = format!("rt-{}", uuid::Uuid::new_v4());
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            // A code works once.
            let Some((claims, challenge)) = form.get("code").and_then(|c| p.codes.remove(c)) else {
                return bad("invalid_grant");
            };
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            let s256 = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(Sha256::digest(verifier.as_bytes()));
            if s256 != challenge
                || form.get("redirect_uri").map(String::as_str)
                    != Some(&format!("{PUBLIC_URL}/auth/callback"))
            {
                return bad("invalid_grant");
            }
            let nonce = claims["nonce"].as_str().map(str::to_string);
            let id = id_token(&s, &claims, nonce.as_deref());
            p.refresh.insert(rt.clone(), claims);
            (
                StatusCode::OK,
                axum::Json(
                    json!({ "access_token": "at", "token_type": "Bearer", "expires_in": 60, "id_token": id, "refresh_token": rt }),
                ),
            )
        }
        Some("refresh_token") => {
            // Rotation: the used refresh token is gone.
            let Some(claims) = form.get("refresh_token").and_then(|t| p.refresh.remove(t)) else {
                return bad("invalid_grant");
            };
            p.refreshes += 1;
            let id = id_token(&s, &claims, None);
            p.refresh.insert(rt.clone(), claims);
            (
                StatusCode::OK,
                axum::Json(
                    json!({ "access_token": "at2", "token_type": "Bearer", "expires_in": 60, "id_token": id, "refresh_token": rt }),
                ),
            )
        }
        _ => bad("unsupported_grant_type"),
    }
}

impl Op {
    async fn start() -> Op {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let issuer = format!("http://{}", listener.local_addr().expect("addr"));
        let key = Arc::new(idp());
        let s = OpState {
            issuer: issuer.clone(),
            jwks: jwks(&[(&key, "op-1")]),
            key,
            state: Arc::default(),
        };
        let discovery = json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks"),
            "end_session_endpoint": format!("{issuer}/logout"),
        });
        let router = axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                axum::routing::get(move || {
                    let d = discovery.clone();
                    async move { axum::Json(d) }
                }),
            )
            .route(
                "/jwks",
                axum::routing::get(|State(s): State<OpState>| async move { s.jwks.clone() }),
            )
            .route("/token", axum::routing::post(token_endpoint))
            .with_state(s.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Op {
            issuer,
            state: s.state,
            _task: task,
        }
    }

    /// The provider's answer to an authorization request: a code for this user.
    fn code_for(&self, authorize: &HashMap<String, String>, claims: Value) -> String {
        let code = format!("code-{}", uuid::Uuid::new_v4());
        let mut claims = claims;
        claims["nonce"] = json!(authorize["nonce"]);
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .codes
            .insert(code.clone(), (claims, authorize["code_challenge"].clone()));
        code
    }

    fn revoke_all(&self) {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .refresh
            .clear();
    }

    fn refreshes(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .refreshes
    }
}

async fn app_with_op(db: Db, op: &Op, session_idle_secs: u64) -> Option<TestApp> {
    let issuer = op.issuer.clone();
    let configure: Configure = Arc::new(move |c| {
        c.public_url = Some(PUBLIC_URL.into());
        c.oidc.issuer = Some(issuer.clone());
        c.oidc.client_id = Some(CLIENT_ID.into());
        c.oidc.client_secret = Some(CLIENT_SECRET.into());
        c.oidc.session_idle = std::time::Duration::from_secs(session_idle_secs);
        c.dev_tokens = true;
    });
    let opts = Options {
        configure: Some(configure),
        ..Default::default()
    };
    match db {
        Db::Sqlite => Some(TestApp::spawn(Db::Sqlite, opts).await),
        Db::Postgres => TestApp::spawn_postgres(opts).await,
    }
}

/// A browser without redirects followed: the test is the user agent and the provider.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect()
}

fn cookie_value(set: &[String], name: &str) -> Option<String> {
    set.iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap_or("").to_string())
        .filter(|v| !v.is_empty())
}

fn query_of(url: &str) -> HashMap<String, String> {
    let q = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

struct Started {
    authorize: HashMap<String, String>,
    location: String,
    login_cookie: String,
}

async fn start_login(app: &TestApp, return_to: &str) -> Started {
    let r = browser()
        .get(format!("{}/auth/login", app.addr))
        .query(&[("return_to", return_to)])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 303, "[{:?}] to the provider", app.db_kind);
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let login_cookie =
        cookie_value(&set_cookies(&r), "__Host-plejeoverblik-login").expect("login cookie");
    Started {
        authorize: query_of(&location),
        location,
        login_cookie,
    }
}

async fn callback(
    app: &TestApp,
    query: &[(&str, &str)],
    login_cookie: Option<&str>,
) -> reqwest::Response {
    let mut req = browser()
        .get(format!("{}/auth/callback", app.addr))
        .query(query);
    if let Some(c) = login_cookie {
        req = req.header("cookie", format!("__Host-plejeoverblik-login={c}"));
    }
    req.send().await.expect("callback")
}

/// Logs in as this user; the session cookie's value.
async fn log_in(app: &TestApp, op: &Op, claims: Value) -> String {
    let s = start_login(app, "/admin/").await;
    let code = op.code_for(&s.authorize, claims);
    let r = callback(
        app,
        &[("code", &code), ("state", &s.authorize["state"])],
        Some(&s.login_cookie),
    )
    .await;
    assert_eq!(r.status(), 303, "[{:?}] logged in", app.db_kind);
    cookie_value(&set_cookies(&r), "__Host-plejeoverblik-session").expect("session cookie")
}

fn karen() -> Value {
    json!({ "sub": "op|karen", "name": "Karen Kommune", "cvr": kommune_cvr(ROSKILDE), "roles": ["driftsoverenskomstansvarlig"] })
}

async fn session_json(app: &TestApp, session: &str) -> (u16, Value) {
    let r = browser()
        .get(format!("{}/auth/session", app.addr))
        .header("cookie", format!("__Host-plejeoverblik-session={session}"))
        .send()
        .await
        .expect("session");
    (r.status().as_u16(), r.json().await.expect("json"))
}

/// POST /graphql with the session cookie and these extra headers.
async fn gql_cookie(
    app: &TestApp,
    session: &str,
    headers: &[(&str, &str)],
    query: &str,
) -> (u16, Value) {
    let mut req = browser()
        .post(format!("{}/graphql", app.addr))
        .header("cookie", format!("__Host-plejeoverblik-session={session}"))
        .json(&json!({ "query": query }));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.expect("graphql");
    (r.status().as_u16(), r.json().await.expect("json"))
}

const WHO: &str = "{ viewer { subject name cvr roles } }";

async fn login_flow(db: Db) {
    let op = Op::start().await;
    let Some(app) = app_with_op(db, &op, 1800).await else {
        return;
    };
    let k = app.db_kind;

    // The authorization request: code flow, PKCE S256, state, nonce, our redirect URI.
    let s = start_login(&app, "/admin/#/serviceleverancer").await;
    assert!(
        s.location.starts_with(&format!("{}/authorize?", op.issuer)),
        "{}",
        s.location
    );
    let a = &s.authorize;
    assert_eq!(a["response_type"], "code");
    assert_eq!(a["client_id"], CLIENT_ID);
    assert_eq!(a["redirect_uri"], format!("{PUBLIC_URL}/auth/callback"));
    assert_eq!(a["code_challenge_method"], "S256");
    assert!(a["scope"].split(' ').any(|x| x == "openid"));
    assert!(a["state"].len() >= 43 && a["nonce"].len() >= 43 && a["code_challenge"].len() == 43);
    assert_eq!(
        s.login_cookie, a["state"],
        "the login cookie binds the state"
    );
    let code = op.code_for(a, karen());
    let state = a["state"].clone();

    // A callback without this browser's login cookie, or with another state, is refused in
    // Danish and opens no session.
    for (query, cookie) in [
        (
            vec![("code", code.as_str()), ("state", state.as_str())],
            None,
        ),
        (
            vec![("code", code.as_str()), ("state", "en-anden-state")],
            Some(s.login_cookie.as_str()),
        ),
        (
            vec![("state", state.as_str())],
            Some(s.login_cookie.as_str()),
        ),
    ] {
        let r = callback(&app, &query, cookie).await;
        assert_eq!(r.status(), 400, "[{k:?}] {query:?}");
        assert!(cookie_value(&set_cookies(&r), "__Host-plejeoverblik-session").is_none());
        let page = r.text().await.expect("page");
        assert!(page.contains("Login mislykkedes"), "{page}");
    }

    // The real callback: a session cookie with every attribute, back to where the user was.
    let r = callback(
        &app,
        &[("code", &code), ("state", &state)],
        Some(&s.login_cookie),
    )
    .await;
    assert_eq!(r.status(), 303, "[{k:?}]");
    assert_eq!(r.headers()["location"], "/admin/#/serviceleverancer");
    let set = set_cookies(&r);
    let line = set
        .iter()
        .find(|c| c.starts_with("__Host-plejeoverblik-session="))
        .expect("session cookie");
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(line.contains(attr), "{line}");
    }
    assert!(!line.contains("Domain"), "{line}");
    let session = cookie_value(&set, "__Host-plejeoverblik-session").expect("value");

    // Replaying the callback (the same state and code) opens nothing.
    let r = callback(
        &app,
        &[("code", &code), ("state", &state)],
        Some(&s.login_cookie),
    )
    .await;
    assert_eq!(r.status(), 400, "[{k:?}] a callback works once");
    assert!(cookie_value(&set_cookies(&r), "__Host-plejeoverblik-session").is_none());

    // A nonce other than the login's is refused.
    let s2 = start_login(&app, "/admin/").await;
    let mut other = s2.authorize.clone();
    other.insert("nonce".into(), "en-anden-nonce".into());
    let code2 = op.code_for(&other, karen());
    let r = callback(
        &app,
        &[("code", &code2), ("state", &s2.authorize["state"])],
        Some(&s2.login_cookie),
    )
    .await;
    assert_eq!(r.status(), 400, "[{k:?}] wrong nonce");
    assert!(r.text().await.expect("page").contains("nonce"));

    // The session: who, and the CSRF token the console sends back.
    let (status, me) = session_json(&app, &session).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["cvr"], kommune_cvr(ROSKILDE));
    assert_eq!(me["roles"], json!(["driftsoverenskomstansvarlig"]));
    let csrf = me["csrf"].as_str().expect("csrf").to_string();

    // /graphql takes the cookie with the CSRF token from the console's own origin...
    let (status, v) = gql_cookie(
        &app,
        &session,
        &[("x-csrf-token", &csrf), ("sec-fetch-site", "same-origin")],
        WHO,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["data"]["viewer"]["subject"], "op|karen");
    assert_eq!(
        v["data"]["viewer"]["roles"],
        json!(["DRIFTSOVERENSKOMSTANSVARLIG"])
    );
    // ...and refuses it without the token, with a wrong one, or from another site.
    for headers in [
        vec![],
        vec![("x-csrf-token", "forkert")],
        vec![
            ("x-csrf-token", csrf.as_str()),
            ("sec-fetch-site", "cross-site"),
        ],
        vec![
            ("x-csrf-token", csrf.as_str()),
            ("sec-fetch-site", "same-site"),
        ],
    ] {
        let (status, v) = gql_cookie(&app, &session, &headers, WHO).await;
        assert_eq!(status, 403, "[{k:?}] {headers:?}: {v}");
        assert_eq!(v["errors"][0]["extensions"]["code"], "CSRF_REFUSED");
    }
    // A cross-site form post (text/plain, no custom header) changes nothing.
    let r = browser()
        .post(format!("{}/graphql", app.addr))
        .header("cookie", format!("__Host-plejeoverblik-session={session}"))
        .header("content-type", "text/plain")
        .header("sec-fetch-site", "cross-site")
        .body(r#"{"query":"mutation { lockServiceleverance(id: \"x\") { udloeber } }"}"#)
        .send()
        .await
        .expect("form post");
    assert!(
        r.status() == 403 || r.status() == 415,
        "[{k:?}] {}",
        r.status()
    );

    // A GET query shows the user, never the anonymous answer of the response cache.
    let url = format!("{}/graphql?query={}", app.addr, urlencoding(WHO));
    let anon: Value = browser()
        .get(&url)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert!(anon["data"]["viewer"]["subject"].is_null());
    let mine: Value = browser()
        .get(&url)
        .header("cookie", format!("__Host-plejeoverblik-session={session}"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(mine["data"]["viewer"]["subject"], "op|karen", "{mine}");

    // Bearer tokens keep working for programs, and win over a cookie.
    let t = app.token(Role::Redaktoer, "90000001", "rikke");
    let d = app.ok(Some(&t), WHO, json!({})).await;
    assert_eq!(d["viewer"]["subject"], "rikke");

    // The provider's tokens expire after 60 s: the session renews them with the refresh token
    // while the user works.
    let t0 = plejeoverblik::domain::day::Clock::now(app.clock.as_ref());
    app.set_now(t0 + chrono::Duration::seconds(120));
    let (status, _) = session_json(&app, &session).await;
    assert_eq!(status, 200);
    assert_eq!(op.refreshes(), 1, "[{k:?}] renewed once");
    let (status, _) = session_json(&app, &session).await;
    assert_eq!(status, 200);
    assert_eq!(
        op.refreshes(),
        1,
        "[{k:?}] and not again while the new tokens hold"
    );

    // When the provider no longer renews it, the session has expired: the console is told so.
    op.revoke_all();
    app.set_now(t0 + chrono::Duration::seconds(240));
    let (status, v) = gql_cookie(&app, &session, &[("x-csrf-token", &csrf)], WHO).await;
    assert_eq!(status, 401, "[{k:?}] {v}");
    assert_eq!(v["errors"][0]["extensions"]["code"], "SESSION_EXPIRED");
    let (status, v) = session_json(&app, &session).await;
    assert_eq!((status, v["code"].as_str()), (401, Some("SESSION_EXPIRED")));

    // Log out: only from the console (CSRF), ends the session here and at the provider.
    let session = log_in(&app, &op, karen()).await;
    let (_, me) = session_json(&app, &session).await;
    let csrf = me["csrf"].as_str().expect("csrf").to_string();
    let logout = |h: Option<String>| {
        let mut r = browser()
            .post(format!("{}/auth/logout", app.addr))
            .header("cookie", format!("__Host-plejeoverblik-session={session}"));
        if let Some(h) = h {
            r = r.header("x-csrf-token", h);
        }
        r.send()
    };
    let r = logout(None).await.expect("logout");
    assert_eq!(r.status(), 403, "[{k:?}] a logout needs the CSRF token");
    assert_eq!(session_json(&app, &session).await.0, 200, "still logged in");
    let r = logout(Some(csrf.clone())).await.expect("logout");
    assert_eq!(r.status(), 200);
    assert!(set_cookies(&r)
        .iter()
        .any(|c| c.starts_with("__Host-plejeoverblik-session=;") && c.contains("Max-Age=0")));
    let body: Value = r.json().await.expect("json");
    let redirect = body["redirect"].as_str().expect("redirect");
    assert!(
        redirect.starts_with(&format!("{}/logout?", op.issuer)),
        "{redirect}"
    );
    let q = query_of(redirect);
    assert_eq!(
        q["post_logout_redirect_uri"],
        format!("{PUBLIC_URL}/admin/")
    );
    assert!(q["id_token_hint"].split('.').count() == 3);
    let (status, v) = session_json(&app, &session).await;
    assert_eq!(status, 401, "[{k:?}] logged out: {v}");
    let (status, _) = gql_cookie(&app, &session, &[("x-csrf-token", &csrf)], WHO).await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_through_the_identity_provider_sqlite() {
    login_flow(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_through_the_identity_provider_postgres() {
    login_flow(Db::Postgres).await;
}

/// A session unused for longer than the idle timeout has ended; one in use has not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_session_ends() {
    let op = Op::start().await;
    let app = app_with_op(Db::Sqlite, &op, 600).await.expect("app");
    let session = log_in(&app, &op, karen()).await;
    let t0 = plejeoverblik::domain::day::Clock::now(app.clock.as_ref());
    for minutes in [5, 10, 15] {
        app.set_now(t0 + chrono::Duration::minutes(minutes));
        assert_eq!(
            session_json(&app, &session).await.0,
            200,
            "in use at {minutes} min"
        );
    }
    app.set_now(t0 + chrono::Duration::minutes(26));
    let (status, v) = session_json(&app, &session).await;
    assert_eq!((status, v["code"].as_str()), (401, Some("SESSION_EXPIRED")));
}

/// The console's heartbeat alone (`Plejeoverblik-Background: 1`, sent while nobody touches the
/// page) is no use of the session: an editor left open on an unattended desk idles out like
/// any other session, and its heartbeat is then refused with `SESSION_EXPIRED` (before, each
/// heartbeat renewed the session until its absolute end). A person's request in between keeps it.
async fn heartbeats_alone_do_not_keep_a_session(db: Db) {
    let op = Op::start().await;
    let Some(app) = app_with_op(db, &op, 600).await else {
        return;
    };
    for person_in_between in [false, true] {
        let session = log_in(&app, &op, karen()).await;
        let (_, s) = session_json(&app, &session).await;
        let csrf = s["csrf"].as_str().expect("csrf").to_string();
        let t0 = plejeoverblik::domain::day::Clock::now(app.clock.as_ref());
        let beat = |minutes: i64| {
            let (app, session, csrf) = (&app, &session, &csrf);
            async move {
                app.set_now(t0 + chrono::Duration::minutes(minutes));
                let headers = [
                    ("x-csrf-token", csrf.as_str()),
                    ("plejeoverblik-background", "1"),
                ];
                gql_cookie(app, session, &headers, WHO).await
            }
        };
        for minutes in [3, 6, 9] {
            let (status, v) = beat(minutes).await;
            assert_eq!(
                status, 200,
                "[{:?}] heartbeat at {minutes} min: {v}",
                app.db_kind
            );
            assert_eq!(v["data"]["viewer"]["name"], "Karen Kommune", "{v}");
        }
        if person_in_between {
            app.set_now(t0 + chrono::Duration::minutes(9));
            let (status, _) = gql_cookie(&app, &session, &[("x-csrf-token", &csrf)], WHO).await;
            assert_eq!(status, 200);
        }
        let (status, v) = beat(11).await;
        if person_in_between {
            assert_eq!(status, 200, "[{:?}] used at 9 min: {v}", app.db_kind);
        } else {
            assert_eq!(
                (status, v["errors"][0]["extensions"]["code"].as_str()),
                (401, Some("SESSION_EXPIRED")),
                "[{:?}] only heartbeats for 11 min: {v}",
                app.db_kind
            );
        }
        app.set_now(t0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_alone_do_not_keep_a_session_sqlite() {
    heartbeats_alone_do_not_keep_a_session(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_alone_do_not_keep_a_session_postgres() {
    heartbeats_alone_do_not_keep_a_session(Db::Postgres).await;
}

/// Without the login configured there is no `/auth/*` login and a session cookie is nobody.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_oidc_there_is_no_login() {
    let app = TestApp::spawn(Db::Sqlite, Default::default()).await;
    let r = browser()
        .get(format!("{}/auth/login", app.addr))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 404);
    let (status, v) = gql_cookie(&app, "noget", &[], WHO).await;
    assert_eq!(status, 200);
    assert!(v["data"]["viewer"]["subject"].is_null(), "{v}");
}

fn urlencoding(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
