//! Production tokens: ES256 keys from a PEM or JWKS file or from a JWKS URL that rotates,
//! issuer and audience checks, configurable claim names; development tokens only when enabled.
use crate::helpers::*;
use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use p256::ecdsa::SigningKey;
use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use plejeoverblik::domain::access::Role;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) struct Idp {
    private_pem: String,
    public_pem: String,
    jwks: String,
    x: String,
    y: String,
}

pub(crate) fn idp() -> Idp {
    let key = SigningKey::random(&mut rand_core::OsRng);
    let private_pem = key.to_pkcs8_pem(LineEnding::LF).expect("pkcs8").to_string();
    let public_pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("pem");
    let point = key.verifying_key().to_encoded_point(false);
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let mut k = Idp {
        private_pem,
        public_pem,
        jwks: String::new(),
        x: b64(point.x().expect("x")),
        y: b64(point.y().expect("y")),
    };
    k.jwks = jwks(&[(&k, "seb-1")]);
    k
}

/// A JWKS document with these keys and key ids.
pub(crate) fn jwks(keys: &[(&Idp, &str)]) -> String {
    let keys: Vec<Value> = keys
        .iter()
        .map(|(k, kid)| json!({ "kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig", "x": k.x, "y": k.y }))
        .collect();
    json!({ "keys": keys }).to_string()
}

pub(crate) fn sign(idp: &Idp, kid: Option<&str>, claims: Value) -> String {
    let mut h = Header::new(Algorithm::ES256);
    h.kid = kid.map(str::to_string);
    encode(
        &h,
        &claims,
        &EncodingKey::from_ec_pem(idp.private_pem.as_bytes()).expect("key"),
    )
    .expect("sign")
}

async fn app_with_keys(keys_file: &str, dev_tokens: bool) -> (TestApp, TempDir) {
    let dir = std::env::temp_dir().join(format!("plejeoverblik-keys-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("keys");
    std::fs::write(&path, keys_file).expect("write keys");
    let configure: Configure = Arc::new(move |c| {
        c.auth_keys = Some(path.clone());
        c.auth_issuer = Some("https://seb.example".into());
        c.auth_audience = Some("plejeoverblik".into());
        c.claim_cvr = "organisation_cvr".into();
        c.claim_roles = "seb_roles".into();
        c.dev_tokens = dev_tokens;
    });
    let app = TestApp::spawn(
        Db::Sqlite,
        Options {
            configure: Some(configure),
            ..Default::default()
        },
    )
    .await;
    (app, TempDir(dir))
}

fn claims(over: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut c = json!({ "sub": "seb|42", "name": "Karen Kommune", "organisation_cvr": kommune_cvr(ROSKILDE),
        "seb_roles": ["Driftsoverenskomstansvarlig"], "iss": "https://seb.example", "aud": "plejeoverblik",
        "iat": now, "nbf": now, "exp": now + 600 });
    if let (Some(m), Some(o)) = (c.as_object_mut(), over.as_object()) {
        for (k, v) in o {
            m.insert(k.clone(), v.clone());
        }
    }
    c
}

const WHO: &str = "{ viewer { subject name cvr roles kommune { kode } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn es256_tokens_from_pem_and_jwks_with_configured_claims() {
    let k = idp();
    for (file, kid) in [
        (k.public_pem.clone(), None),
        (k.jwks.clone(), Some("seb-1")),
    ] {
        let (app, _dir) = app_with_keys(&file, false).await;
        let t = sign(&k, kid, claims(json!({})));
        let d = app.ok(Some(&t), WHO, json!({})).await;
        assert_eq!(d["viewer"]["subject"], "seb|42");
        assert_eq!(d["viewer"]["roles"], json!(["DRIFTSOVERENSKOMSTANSVARLIG"]));
        assert_eq!(d["viewer"]["kommune"]["kode"], ROSKILDE);
        let now = chrono::Utc::now().timestamp();
        for bad in [
            json!({ "aud": "another-service" }),
            json!({ "iss": "https://evil.example" }),
            json!({ "exp": now - 3600 }),
            json!({ "nbf": now + 3600 }),
            json!({ "organisation_cvr": "12" }),
        ] {
            let t = sign(&k, kid, claims(bad.clone()));
            app.err(Some(&t), WHO, json!({}), "UNAUTHENTICATED").await;
        }
        // Signed by another key.
        let t = sign(&idp(), kid, claims(json!({})));
        app.err(Some(&t), WHO, json!({}), "UNAUTHENTICATED").await;
        // Development tokens are refused unless enabled.
        let dev = app.token(Role::Administrator, ADMIN_CVR, "dev");
        let e = app.err(Some(&dev), WHO, json!({}), "UNAUTHENTICATED").await;
        assert!(e["message"].as_str().expect("msg").contains("slået fra"));
    }
}

/// A local identity provider's JWKS endpoint on 127.0.0.1: answers with the status and body the
/// test sets, counts the requests, and can be stopped. Every answer closes its connection, so a
/// stopped server refuses the next fetch instead of serving it on a kept-alive connection.
struct JwksServer {
    url: String,
    reply: Arc<Mutex<(u16, String)>>,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl JwksServer {
    async fn start(body: String) -> JwksServer {
        let reply = Arc::new(Mutex::new((200, body)));
        let hits = Arc::new(AtomicUsize::new(0));
        let (r, h) = (reply.clone(), hits.clone());
        let router = axum::Router::new().route(
            "/jwks",
            axum::routing::get(move || {
                let (r, h) = (r.clone(), h.clone());
                async move {
                    h.fetch_add(1, Ordering::SeqCst);
                    let (status, body) = r.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    (
                        axum::http::StatusCode::from_u16(status).expect("status"),
                        [
                            (axum::http::header::CONTENT_TYPE, "application/json"),
                            (axum::http::header::CONNECTION, "close"),
                        ],
                        body,
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/jwks", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        JwksServer {
            url,
            reply,
            hits,
            task,
        }
    }

    fn set(&self, status: u16, body: &str) {
        *self.reply.lock().unwrap_or_else(|e| e.into_inner()) = (status, body.to_string());
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// Waits until the server has answered `n` more requests.
    async fn wait_for_hits(&self, n: usize) {
        let target = self.hits() + n;
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.hits() < target {
            assert!(Instant::now() < deadline, "no JWKS refresh happened");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn app_with_jwks_url(
    server: &JwksServer,
    refresh_secs: u64,
    min_refetch_secs: u64,
) -> TestApp {
    let url = server.url.clone();
    let configure: Configure = Arc::new(move |c| {
        c.auth_jwks_url = Some(url.clone());
        c.auth_jwks_refresh_secs = refresh_secs;
        c.auth_jwks_min_refetch_secs = min_refetch_secs;
        c.auth_issuer = Some("https://seb.example".into());
        c.auth_audience = Some("plejeoverblik".into());
        c.claim_cvr = "organisation_cvr".into();
        c.claim_roles = "seb_roles".into();
        c.dev_tokens = false;
    });
    TestApp::spawn(
        Db::Sqlite,
        Options {
            configure: Some(configure),
            ..Default::default()
        },
    )
    .await
}

/// Is this token accepted as the test user?
async fn accepted(app: &TestApp, token: &str) -> bool {
    app.gql(Some(token), WHO, json!({})).await["data"]["viewer"]["subject"] == "seb|42"
}

/// Polls until `f` holds (refreshes are periodic).
async fn eventually<F, Fut>(what: &str, f: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Rotation without a restart: a token signed with a new key id is accepted at the first try
/// (the unknown kid makes us fetch again), and once the provider has retired the old key and
/// we have fetched again, tokens with the old key are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_url_keys_rotate_without_restart() {
    let (a, b) = (idp(), idp());
    let server = JwksServer::start(jwks(&[(&a, "a")])).await;
    // No periodic refresh during the test; refetch on an unknown kid at once.
    let app = app_with_jwks_url(&server, 3600, 0).await;
    assert_eq!(server.hits(), 1, "fetched at start");
    let ta = sign(&a, Some("a"), claims(json!({})));
    let d = app.ok(Some(&ta), WHO, json!({})).await;
    assert_eq!(d["viewer"]["subject"], "seb|42");
    assert_eq!(server.hits(), 1, "a known key needs no fetch");

    // The provider publishes B next to A and signs with B.
    server.set(200, &jwks(&[(&a, "a"), (&b, "b")]));
    let tb = sign(&b, Some("b"), claims(json!({})));
    let d = app.ok(Some(&tb), WHO, json!({})).await;
    assert_eq!(d["viewer"]["subject"], "seb|42");
    assert_eq!(server.hits(), 2, "fetched for the unknown key id");
    app.ok(Some(&ta), WHO, json!({})).await;

    // A is retired. The next fetch (here caused by a token with an unknown kid) drops it.
    server.set(200, &jwks(&[(&b, "b")]));
    let stranger = sign(&idp(), Some("c"), claims(json!({})));
    let e = app
        .err(Some(&stranger), WHO, json!({}), "UNAUTHENTICATED")
        .await;
    assert!(
        e["message"].as_str().expect("msg").contains("kendes ikke"),
        "{e}"
    );
    assert_eq!(server.hits(), 3);
    let e = app.err(Some(&ta), WHO, json!({}), "UNAUTHENTICATED").await;
    assert!(
        e["message"].as_str().expect("msg").contains("kendes ikke"),
        "{e}"
    );
    app.ok(Some(&tb), WHO, json!({})).await;
}

/// The periodic refresh picks up a rotation by itself, and when the provider fails (HTTP 500,
/// garbage, an empty key set, or gone altogether) the last good keys keep working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_url_periodic_refresh_and_provider_outage() {
    let (a, b) = (idp(), idp());
    let server = JwksServer::start(jwks(&[(&a, "a")])).await;
    // Refresh every second; no refetch for unknown kids, so only the periodic refresh acts.
    let app = app_with_jwks_url(&server, 1, 3600).await;
    let ta = sign(&a, Some("a"), claims(json!({})));
    let tb = sign(&b, Some("b"), claims(json!({})));
    assert!(accepted(&app, &ta).await);
    assert!(!accepted(&app, &tb).await);

    server.set(200, &jwks(&[(&b, "b")]));
    eventually("the periodic refresh rotates A out and B in", || async {
        accepted(&app, &tb).await && !accepted(&app, &ta).await
    })
    .await;

    for (status, body) in [
        (500, "{\"error\": \"intern fejl\"}"),
        (200, "<html>Bad gateway</html>"),
        (200, "{\"keys\": []}"),
        (200, "{\"keys\": [{\"kty\": \"EC\"}]}"),
    ] {
        server.set(status, body);
        server.wait_for_hits(2).await;
        assert!(accepted(&app, &tb).await, "after {status} {body}");
    }

    server.task.abort();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(accepted(&app, &tb).await, "provider gone");
}

/// A flood of tokens with forged key ids makes at most one JWKS fetch per rate-limit window,
/// however many arrive at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_key_id_flood_fetches_at_most_once_per_window() {
    let a = idp();
    let server = JwksServer::start(jwks(&[(&a, "a")])).await;
    let app = Arc::new(app_with_jwks_url(&server, 3600, 3).await);
    assert_eq!(server.hits(), 1);
    let forger = idp();
    let tokens: Vec<String> = (0..100)
        .map(|i| sign(&forger, Some(&format!("forged-{i}")), claims(json!({}))))
        .collect();
    let flood = |tokens: Vec<String>| {
        let app = app.clone();
        async move {
            let mut set = tokio::task::JoinSet::new();
            for t in tokens {
                let app = app.clone();
                set.spawn(async move {
                    app.err(Some(&t), WHO, json!({}), "UNAUTHENTICATED").await;
                });
            }
            while let Some(r) = set.join_next().await {
                r.expect("request task");
            }
        }
    };
    // Within the window of the fetch at start: no fetch at all.
    flood(tokens[..50].to_vec()).await;
    assert_eq!(server.hits(), 1, "rate limited");
    // After the window: the concurrent flood shares one fetch.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    flood(tokens[50..].to_vec()).await;
    assert_eq!(server.hits(), 2, "one fetch for the whole flood");
    // Real tokens are unaffected.
    let ta = sign(&a, Some("a"), claims(json!({})));
    assert!(accepted(&app, &ta).await);
}

/// The identity provider is down when we start: the service starts anyway (the public search
/// does not need it), refuses production tokens with UNAUTHENTICATED, and accepts them as soon
/// as a retry gets the keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_url_provider_down_at_start() {
    let a = idp();
    let server = JwksServer::start(String::new()).await;
    server.set(503, "");
    let app = app_with_jwks_url(&server, 1, 3600).await;
    let d = app.ok(None, "{ kommuner { kode } }", json!({})).await;
    assert_eq!(d["kommuner"].as_array().map(Vec::len), Some(98));
    let ta = sign(&a, Some("a"), claims(json!({})));
    let e = app.err(Some(&ta), WHO, json!({}), "UNAUTHENTICATED").await;
    assert!(
        e["message"].as_str().expect("msg").contains("ikke hentet"),
        "{e}"
    );

    server.set(200, &jwks(&[(&a, "a")]));
    eventually("the keys arrive", || accepted(&app, &ta)).await;
}

/// A JWKS URL must be https (plain http only to this machine); a wrong one stops the start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_url_over_plain_http_to_another_host_is_refused_at_start() {
    let dir = std::env::temp_dir().join(format!("plejeoverblik-jwks-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let _cleanup = TempDir(dir.clone());
    let config = plejeoverblik::Config {
        database_url: format!("sqlite://{}?mode=rwc", dir.join("t.db").display()),
        seed_if_empty: false,
        auth_jwks_url: Some("http://idp.example/jwks".into()),
        ..Default::default()
    };
    let err = match plejeoverblik::AppState::init(config, None).await {
        Ok(_) => panic!("started with a plain-http JWKS URL"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("https"), "{err}");
}
