//! The OpenID Connect relying party of the console's login (issue 22): discovery, the
//! authorization-code flow with PKCE, the token endpoint (code and refresh token) and the
//! end-session URL. The ID token is checked by the same [`Authenticator`] as bearer tokens
//! (the issuer's JWKS, `iss`, `aud` = the client id, `exp`), so claims map to a viewer in one
//! place.
//!
//! Why by hand: the OpenID Connect crates (`openidconnect`) bring their own HTTP client and JWT
//! stack beside the reqwest and jsonwebtoken this service already uses; what a confidential
//! client needs of the protocol is four requests, each checked here against the spec:
//! Discovery 1.0 §4.3 (the issuer must match), Core 1.0 §3.1.2.1 (authorization request),
//! §3.1.3 (token request with `client_secret_basic`, RFC 6749 §2.3.1's form-encoding of the
//! credentials), §3.1.3.7 (ID token validation, nonce), §12.2 (refresh: same `iss`/`sub`),
//! RP-Initiated Logout 1.0 §2, and RFC 7636 (PKCE, S256).
use crate::auth::Authenticator;
use crate::config::Config;
use crate::domain::access::Viewer;
use anyhow::Context as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Largest response we read from the identity provider.
const MAX_BODY: usize = 256 * 1024;

/// What the service needs of the issuer's discovery document.
#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    end_session_endpoint: Option<String>,
}

/// The identity provider as this service's client.
pub struct Client {
    issuer: String,
    client_id: String,
    client_secret: String,
    scopes: String,
    redirect_uri: String,
    post_logout_uri: String,
    authorization_endpoint: reqwest::Url,
    token_endpoint: reqwest::Url,
    end_session_endpoint: Option<reqwest::Url>,
    http: reqwest::Client,
    /// Checks ID tokens: the issuer's keys, its name, our client id as audience.
    tokens: Authenticator,
}

/// The token endpoint's answer.
#[derive(Deserialize)]
pub struct Tokens {
    pub id_token: Option<String>,
    pub refresh_token: Option<String>,
    /// Seconds the access token lives; the session renews after that.
    pub expires_in: Option<i64>,
}

/// The endpoint's error (RFC 6749 §5.2).
#[derive(Deserialize)]
struct TokenError {
    error: String,
}

/// Random bytes as base64url text (state, nonce, PKCE verifier, session id, CSRF token).
pub fn random_token() -> String {
    use rand_core::RngCore;
    let mut b = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// SHA-256 as hex (how ids are stored).
pub fn hash(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// RFC 7636 §4.2: the S256 challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// An https URL, or plain http to this machine (a local identity provider in tests).
fn endpoint(s: &str, what: &str) -> anyhow::Result<reqwest::Url> {
    crate::auth::secure_url(s, what)
}

async fn read_json<T: serde::de::DeserializeOwned>(
    mut resp: reqwest::Response,
) -> anyhow::Result<(reqwest::StatusCode, Result<T, serde_json::Error>)> {
    let status = resp.status();
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        anyhow::ensure!(
            body.len() + chunk.len() <= MAX_BODY,
            "svaret er større end {MAX_BODY} bytes"
        );
        body.extend_from_slice(&chunk);
    }
    Ok((status, serde_json::from_slice(&body)))
}

impl Client {
    /// Reads the issuer's discovery document and the keys it names.
    pub async fn discover(c: &Config) -> anyhow::Result<Client> {
        let o = &c.oidc;
        let issuer = o
            .issuer
            .clone()
            .context("--oidc-issuer mangler")?
            .trim_end_matches('/')
            .to_string();
        let client_id = o.client_id.clone().context("--oidc-client-id mangler")?;
        let client_secret = o
            .client_secret
            .clone()
            .context("--oidc-client-secret mangler")?;
        let public = c
            .public_url
            .clone()
            .context("--public-url mangler (login med identitetsudbyderen kræver den)")?;
        let public = endpoint(public.trim_end_matches('/'), "--public-url")?;
        let public = public.as_str().trim_end_matches('/').to_string();
        let url = endpoint(
            &format!("{issuer}/.well-known/openid-configuration"),
            "--oidc-issuer",
        )?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("plejeoverblik/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let resp = http
            .get(url.clone())
            .send()
            .await
            .with_context(|| format!("kan ikke hente {url}"))?;
        let (status, d) = read_json::<Discovery>(resp).await?;
        anyhow::ensure!(status.is_success(), "{url} svarede {status}");
        let d = d.with_context(|| format!("{url} er ikke et discovery-dokument"))?;
        // Discovery §4.3: the document must name exactly the issuer it was fetched for.
        anyhow::ensure!(
            d.issuer.trim_end_matches('/') == issuer,
            "discovery-dokumentets issuer {} er ikke {issuer}",
            d.issuer
        );
        let tokens = Authenticator::from_config(&Config {
            dev_tokens: false,
            auth_keys: None,
            auth_jwks_url: Some(d.jwks_uri.clone()),
            auth_issuer: Some(d.issuer.clone()),
            auth_audience: Some(client_id.clone()),
            ..c.clone()
        })
        .await?;
        Ok(Client {
            authorization_endpoint: endpoint(&d.authorization_endpoint, "authorization_endpoint")?,
            token_endpoint: endpoint(&d.token_endpoint, "token_endpoint")?,
            end_session_endpoint: d
                .end_session_endpoint
                .as_deref()
                .map(|e| endpoint(e, "end_session_endpoint"))
                .transpose()?,
            issuer: d.issuer,
            client_id,
            client_secret,
            scopes: o.scopes.clone(),
            redirect_uri: format!("{public}/auth/callback"),
            post_logout_uri: format!("{public}/admin/"),
            http,
            tokens,
        })
    }

    /// The authorization request (Core §3.1.2.1) with PKCE (RFC 7636).
    pub fn authorize_url(&self, state: &str, nonce: &str, verifier: &str) -> String {
        let mut u = self.authorization_endpoint.clone();
        u.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", &self.scopes)
            .append_pair("state", state)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", &challenge(verifier))
            .append_pair("code_challenge_method", "S256");
        u.into()
    }

    /// Exchanges an authorization code (Core §3.1.3).
    pub async fn exchange(&self, code: &str, verifier: &str) -> anyhow::Result<Tokens> {
        self.token_request(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.redirect_uri),
            ("code_verifier", verifier),
        ])
        .await
    }

    /// Renews with a refresh token (Core §12).
    pub async fn refresh(&self, refresh_token: &str) -> anyhow::Result<Tokens> {
        self.token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> anyhow::Result<Tokens> {
        // RFC 6749 §2.3.1: the credentials are form-encoded before they go into Basic.
        let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let resp = self
            .http
            .post(self.token_endpoint.clone())
            .basic_auth(enc(&self.client_id), Some(enc(&self.client_secret)))
            .header(reqwest::header::ACCEPT, "application/json")
            .form(form)
            .send()
            .await?;
        let (status, body) = read_json::<Value>(resp).await?;
        let body = body.context("token-endpointet svarede ikke med JSON")?;
        if !status.is_success() {
            let e = serde_json::from_value::<TokenError>(body)
                .map(|e| e.error)
                .unwrap_or_else(|_| status.to_string());
            anyhow::bail!("token-endpointet afviste: {e}");
        }
        Ok(serde_json::from_value(body)?)
    }

    /// Checks an ID token (Core §3.1.3.7): signature, `iss`, `aud`, `exp` by the authenticator;
    /// `nonce` here when the token answers an authorization request.
    pub async fn verify(
        &self,
        id_token: &str,
        nonce: Option<&str>,
    ) -> Result<Viewer, crate::error::AppError> {
        let (viewer, claims) = self.tokens.id_token(id_token).await?;
        if let Some(n) = nonce {
            if claims.get("nonce").and_then(Value::as_str) != Some(n) {
                return Err(crate::error::AppError::Unauthenticated(
                    "ID-tokenets nonce passer ikke til login-forsøget.".into(),
                ));
            }
        }
        Ok(viewer)
    }

    /// Where the browser goes to end the session at the issuer too (RP-Initiated Logout §2).
    pub fn end_session_url(&self, id_token: &str) -> Option<String> {
        let mut u = self.end_session_endpoint.clone()?;
        u.query_pairs_mut()
            .append_pair("id_token_hint", id_token)
            .append_pair("client_id", &self.client_id)
            .append_pair("post_logout_redirect_uri", &self.post_logout_uri);
        Some(u.into())
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }
}
