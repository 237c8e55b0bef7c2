//! Production tokens: ES256 keys from a PEM or JWKS file, issuer and audience checks,
//! configurable claim names; development tokens only when enabled.
use crate::helpers::*;
use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use p256::ecdsa::SigningKey;
use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use plejeoverblik::domain::access::Role;
use serde_json::{json, Value};
use std::sync::Arc;

struct Idp {
    private_pem: String,
    public_pem: String,
    jwks: String,
}

fn idp() -> Idp {
    let key = SigningKey::random(&mut rand_core::OsRng);
    let private_pem = key.to_pkcs8_pem(LineEnding::LF).expect("pkcs8").to_string();
    let public_pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("pem");
    let point = key.verifying_key().to_encoded_point(false);
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let jwks = json!({ "keys": [{ "kty": "EC", "crv": "P-256", "kid": "seb-1", "alg": "ES256", "use": "sig",
        "x": b64(point.x().expect("x")), "y": b64(point.y().expect("y")) }] })
    .to_string();
    Idp {
        private_pem,
        public_pem,
        jwks,
    }
}

fn sign(idp: &Idp, kid: Option<&str>, claims: Value) -> String {
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
