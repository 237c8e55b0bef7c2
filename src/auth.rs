//! Token verification: `Authorization: Bearer ...` -> `Viewer`. Production tokens are RS256 or
//! ES256 with the identity provider's public keys (a JWKS or PEM file, or a JWKS URL that is
//! fetched and refreshed); development tokens are HS256 with the development key and are
//! accepted only when explicitly enabled. A token that is present but bad is refused
//! (UNAUTHENTICATED), never taken as anonymous.
//!
//! Keys from a URL rotate: they are fetched at start, refreshed every
//! `auth_jwks_refresh_secs`, and fetched again when a token names a key id we do not know
//! (at most once per `auth_jwks_min_refetch_secs`, so forged key ids cannot make us hammer the
//! provider). A failed or garbled fetch keeps the last good keys. If the very first fetch
//! fails, the service starts anyway: the public search does not depend on the identity
//! provider, and an outage there must not stop deploys or restarts. Production tokens are then
//! refused with UNAUTHENTICATED (and an error in the log) until the keys arrive; the fetch is
//! retried every few seconds. Configuration mistakes (a malformed or plain-http URL) fail the
//! start.
use crate::config::{Config, DEV_AUDIENCE, DEV_ISSUER};
use crate::domain::access::{Role, Viewer};
use crate::error::AppError;
use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde_json::{Map, Value};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

struct ProdKey {
    kid: Option<String>,
    alg: Algorithm,
    key: DecodingKey,
}

/// Largest JWKS document we read from the identity provider.
const MAX_JWKS_BYTES: usize = 1024 * 1024;
/// How often the fetch is retried while we have no keys at all.
const RETRY_WITHOUT_KEYS: Duration = Duration::from_secs(5);

pub struct Authenticator {
    dev_key: Option<DecodingKey>,
    keys: Arc<KeyStore>,
    issuer: Option<String>,
    audience: Option<String>,
    claim_cvr: String,
    claim_roles: String,
}

/// The production keys in use. The set is replaced as a whole: a writer holds the lock only
/// for a pointer swap, a request only for cloning the `Arc`, so the hot path never waits on a
/// fetch.
struct KeyStore {
    current: RwLock<Arc<Vec<ProdKey>>>,
    remote: Option<RemoteJwks>,
}

/// The identity provider's JWKS endpoint.
struct RemoteJwks {
    url: reqwest::Url,
    client: reqwest::Client,
    refresh: Duration,
    min_refetch: Duration,
    /// When the last fetch (periodic or for an unknown key id) started.
    last_attempt: std::sync::Mutex<Option<Instant>>,
    /// One fetch at a time; requests for an unknown key id wait for the running one.
    fetching: tokio::sync::Mutex<()>,
}

/// Why a production token was not verified.
enum ProdFailure {
    /// No key with the token's algorithm and key id.
    UnknownKey,
    Refused(AppError),
}

fn refused(msg: &str) -> AppError {
    AppError::Unauthenticated(msg.to_string())
}

impl KeyStore {
    fn current(&self) -> Arc<Vec<ProdKey>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn replace(&self, keys: Vec<ProdKey>) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(keys);
    }

    /// Fetches the JWKS now (after any running fetch).
    async fn refresh(&self, remote: &RemoteJwks) {
        let _one = remote.fetching.lock().await;
        self.fetch_and_swap(remote).await;
    }

    /// For a token whose key id is unknown: fetches again unless a fetch started less than
    /// `min_refetch` ago. The caller then looks at the (possibly new) keys again.
    async fn refetch_for_unknown_kid(&self, remote: &RemoteJwks) {
        if !remote.due() {
            return;
        }
        let _one = remote.fetching.lock().await;
        // Another request may have fetched while we waited.
        if remote.due() {
            self.fetch_and_swap(remote).await;
        }
    }

    /// Fetches and swaps the keys in; a failure keeps the last good keys. Call with
    /// `remote.fetching` held.
    async fn fetch_and_swap(&self, remote: &RemoteJwks) {
        *remote
            .last_attempt
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        match remote.fetch().await {
            Ok(keys) => {
                let kids = |k: &[ProdKey]| {
                    k.iter()
                        .map(|k| k.kid.clone().unwrap_or_default())
                        .collect::<Vec<_>>()
                };
                let new_kids = kids(&keys);
                if kids(&self.current()) != new_kids {
                    tracing::info!(url = %remote.url, kids = ?new_kids, "identitetsudbyderens nøgler er hentet");
                }
                self.replace(keys);
            }
            Err(e) if self.current().is_empty() => {
                tracing::error!(url = %remote.url, error = %format!("{e:#}"), retry_secs = RETRY_WITHOUT_KEYS.as_secs(),
                    "identitetsudbyderens nøgler (JWKS) kunne ikke hentes; produktionstokens afvises, indtil nøglerne er hentet");
            }
            Err(e) => {
                tracing::warn!(url = %remote.url, error = %format!("{e:#}"),
                    "identitetsudbyderens nøgler (JWKS) kunne ikke hentes; de sidst hentede nøgler bruges fortsat");
            }
        }
    }

    /// Refreshes periodically until the authenticator is dropped.
    fn spawn_refresher(store: &Arc<KeyStore>) {
        let weak: Weak<KeyStore> = Arc::downgrade(store);
        tokio::spawn(async move {
            loop {
                let wait = match weak.upgrade() {
                    Some(s) => match &s.remote {
                        Some(r) if s.current().is_empty() => r.refresh.min(RETRY_WITHOUT_KEYS),
                        Some(r) => r.refresh,
                        None => return,
                    },
                    None => return,
                };
                tokio::time::sleep(wait).await;
                let Some(s) = weak.upgrade() else { return };
                if let Some(r) = &s.remote {
                    s.refresh(r).await;
                }
            }
        });
    }
}

impl RemoteJwks {
    fn new(url: &str, c: &Config) -> anyhow::Result<Self> {
        let url = jwks_url(url)?;
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            // Also refuses redirects to plain http.
            .https_only(url.scheme() == "https")
            .user_agent(concat!("plejeoverblik/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            url,
            client,
            refresh: Duration::from_secs(c.auth_jwks_refresh_secs.max(1)),
            min_refetch: Duration::from_secs(c.auth_jwks_min_refetch_secs),
            last_attempt: std::sync::Mutex::new(None),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// May a fetch for an unknown key id start now?
    fn due(&self) -> bool {
        self.last_attempt
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_none_or(|t| t.elapsed() >= self.min_refetch)
    }

    async fn fetch(&self) -> anyhow::Result<Vec<ProdKey>> {
        let mut resp = self
            .client
            .get(self.url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await?;
        anyhow::ensure!(
            resp.status().is_success(),
            "identitetsudbyderen svarede {}",
            resp.status()
        );
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await? {
            anyhow::ensure!(
                body.len() + chunk.len() <= MAX_JWKS_BYTES,
                "svaret er større end {MAX_JWKS_BYTES} bytes"
            );
            body.extend_from_slice(&chunk);
        }
        let text =
            String::from_utf8(body).map_err(|_| anyhow::anyhow!("svaret er ikke gyldig UTF-8"))?;
        anyhow::ensure!(
            text.trim_start().starts_with('{'),
            "svaret er ikke et JWKS-dokument"
        );
        parse_keys(&text)
    }
}

/// The JWKS URL from the configuration: https, or plain http to this machine only (tests and
/// a local development identity provider). Keys fetched without TLS over a network could be
/// replaced by anyone on the way, and with them every token.
fn jwks_url(s: &str) -> anyhow::Result<reqwest::Url> {
    secure_url(s, "--auth-jwks-url")
}

/// A URL of the identity provider (or this service) named by `what`: https, or plain http to
/// this machine only (the JWKS above; the OpenID Connect endpoints, `oidc`).
pub fn secure_url(s: &str, what: &str) -> anyhow::Result<reqwest::Url> {
    let url = reqwest::Url::parse(s.trim())
        .map_err(|e| anyhow::anyhow!("{what} '{s}' er ikke en gyldig URL: {e}"))?;
    let loopback = match url.host_str() {
        Some(h) if h.eq_ignore_ascii_case("localhost") => true,
        Some(h) => h
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => anyhow::bail!("{what} skal bruge https (http kun til localhost/127.0.0.1): {url}"),
    }
}

impl Authenticator {
    /// Builds the authenticator; with a JWKS URL, fetches the keys once (a failure is logged,
    /// not fatal; see the module comment) and starts the periodic refresh.
    pub async fn from_config(c: &Config) -> anyhow::Result<Self> {
        anyhow::ensure!(
            c.auth_keys.is_none() || c.auth_jwks_url.is_none(),
            "--auth-jwks og --auth-jwks-url kan ikke bruges samtidig"
        );
        let static_keys = match &c.auth_keys {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("kan ikke læse nøglefilen {}: {e}", path.display())
                })?;
                parse_keys(&text)?
            }
            None => Vec::new(),
        };
        let remote = match &c.auth_jwks_url {
            Some(url) => Some(RemoteJwks::new(url, c)?),
            None => None,
        };
        let keys = Arc::new(KeyStore {
            current: RwLock::new(Arc::new(static_keys)),
            remote,
        });
        if let Some(r) = &keys.remote {
            keys.refresh(r).await;
            KeyStore::spawn_refresher(&keys);
        }
        Ok(Self {
            dev_key: c
                .dev_tokens
                .then(|| DecodingKey::from_secret(c.dev_key.as_bytes())),
            keys,
            issuer: c.auth_issuer.clone(),
            audience: c.auth_audience.clone(),
            claim_cvr: c.claim_cvr.clone(),
            claim_roles: c.claim_roles.clone(),
        })
    }

    /// The viewer of a request from its Authorization header (`None`: anonymous). Awaits only
    /// for a token with an unknown key id while keys come from a URL (see `KeyStore`).
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Viewer, AppError> {
        let Some(h) = authorization.map(str::trim).filter(|h| !h.is_empty()) else {
            return Ok(Viewer::anonymous());
        };
        let token = match h.split_once(' ') {
            Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
            _ => {
                return Err(refused(
                    "Authorization-headeren skal have formen 'Bearer <token>'.",
                ))
            }
        };
        let claims = self.verify(token).await?;
        self.viewer_from_claims(&claims)
    }

    /// The viewer and the verified claims of an ID token from the OpenID Connect login
    /// (issue 22): checked like a bearer token (signature by the issuer's keys, `iss`, `aud`,
    /// `exp`); the caller checks `nonce`.
    pub async fn id_token(&self, token: &str) -> Result<(Viewer, Map<String, Value>), AppError> {
        let claims = self.verify(token).await?;
        Ok((self.viewer_from_claims(&claims)?, claims))
    }

    /// The claims of a token whose signature and registered claims hold.
    async fn verify(&self, token: &str) -> Result<Map<String, Value>, AppError> {
        let header = decode_header(token).map_err(|_| refused("Tokenet er ugyldigt."))?;
        Ok(match header.alg {
            Algorithm::HS256 => {
                let key = self
                    .dev_key
                    .as_ref()
                    .ok_or_else(|| refused("Udviklingstokens er slået fra på denne server."))?;
                let mut v = Validation::new(Algorithm::HS256);
                v.set_issuer(&[DEV_ISSUER]);
                v.set_audience(&[DEV_AUDIENCE]);
                v.validate_nbf = true;
                v.leeway = 30;
                v.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
                decode::<Map<String, Value>>(token, key, &v)
                    .map_err(token_error)?
                    .claims
            }
            alg @ (Algorithm::RS256 | Algorithm::ES256) => {
                let mut result = self.verify_prod(token, &header, alg, &self.keys.current());
                if let (Err(ProdFailure::UnknownKey), Some(remote)) = (&result, &self.keys.remote) {
                    self.keys.refetch_for_unknown_kid(remote).await;
                    result = self.verify_prod(token, &header, alg, &self.keys.current());
                }
                match result {
                    Ok(c) => c,
                    Err(ProdFailure::Refused(e)) => return Err(e),
                    Err(ProdFailure::UnknownKey) if self.keys.current().is_empty() => {
                        return Err(refused(
                            "Identitetsudbyderens nøgler er ikke hentet endnu. Prøv igen om lidt.",
                        ))
                    }
                    Err(ProdFailure::UnknownKey) => {
                        return Err(refused("Tokenets nøgle kendes ikke."))
                    }
                }
            }
            _ => return Err(refused("Tokenets algoritme accepteres ikke.")),
        })
    }

    /// Checks a production token against `keys`.
    fn verify_prod(
        &self,
        token: &str,
        header: &Header,
        alg: Algorithm,
        keys: &[ProdKey],
    ) -> Result<Map<String, Value>, ProdFailure> {
        let candidates: Vec<&ProdKey> = keys
            .iter()
            .filter(|k| {
                k.alg == alg && (header.kid.is_none() || k.kid.is_none() || k.kid == header.kid)
            })
            .collect();
        if candidates.is_empty() {
            return Err(ProdFailure::UnknownKey);
        }
        let mut v = Validation::new(alg);
        let mut required = vec!["exp", "sub"];
        match &self.issuer {
            Some(i) => {
                v.set_issuer(&[i]);
                required.push("iss");
            }
            None => v.iss = None,
        }
        match &self.audience {
            Some(a) => {
                v.set_audience(&[a]);
                required.push("aud");
            }
            None => v.validate_aud = false,
        }
        v.set_required_spec_claims(&required);
        v.validate_nbf = true;
        v.leeway = 30;
        let mut last = refused("Tokenet er ugyldigt.");
        for k in candidates {
            match decode::<Map<String, Value>>(token, &k.key, &v) {
                Ok(d) => return Ok(d.claims),
                Err(e) => last = token_error(e),
            }
        }
        Err(ProdFailure::Refused(last))
    }

    fn viewer_from_claims(&self, c: &Map<String, Value>) -> Result<Viewer, AppError> {
        let subject = c
            .get("sub")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| refused("Tokenet mangler et subject."))?;
        let cvr = match c.get(&self.claim_cvr) {
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(Value::Number(n)) => Some(format!("{n:0>8}")),
            _ => None,
        };
        if let Some(cvr) = &cvr {
            if !crate::domain::enhed::is_cvr(cvr) {
                return Err(refused("Tokenets CVR-nummer er ugyldigt."));
            }
        }
        let roles = match c.get(&self.claim_roles) {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .filter_map(Role::parse)
                .collect(),
            Some(Value::String(s)) => s.split([',', ' ']).filter_map(Role::parse).collect(),
            _ => Vec::<Role>::new(),
        };
        let mut roles = roles;
        roles.sort();
        roles.dedup();
        Ok(Viewer {
            subject: Some(subject.to_string()),
            name: c.get("name").and_then(Value::as_str).map(str::to_string),
            cvr,
            roles,
        })
    }
}

fn token_error(e: jsonwebtoken::errors::Error) -> AppError {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::ExpiredSignature => refused("Tokenet er udløbet. Log ind igen."),
        K::ImmatureSignature => refused("Tokenet er endnu ikke gyldigt."),
        K::InvalidIssuer => refused("Tokenet er udstedt af en ukendt udsteder."),
        K::InvalidAudience => refused("Tokenet er ikke udstedt til denne tjeneste."),
        K::InvalidSignature => refused("Tokenets signatur er ugyldig."),
        K::MissingRequiredClaim(_) => refused("Tokenet mangler påkrævede oplysninger."),
        _ => refused("Tokenet er ugyldigt."),
    }
}

/// Reads a JWKS document or one or more PEM public keys.
fn parse_keys(text: &str) -> anyhow::Result<Vec<ProdKey>> {
    if text.trim_start().starts_with('{') {
        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(text)?;
        let mut keys = Vec::new();
        for jwk in &set.keys {
            if jwk.common.public_key_use == Some(jsonwebtoken::jwk::PublicKeyUse::Encryption) {
                continue;
            }
            let alg = match &jwk.algorithm {
                jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => Algorithm::RS256,
                jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
                _ => continue,
            };
            keys.push(ProdKey {
                kid: jwk.common.key_id.clone(),
                alg,
                key: DecodingKey::from_jwk(jwk)?,
            });
        }
        anyhow::ensure!(
            !keys.is_empty(),
            "JWKS-filen indeholder ingen RSA- eller EC-nøgler"
        );
        return Ok(keys);
    }
    let mut keys = Vec::new();
    for block in text.split("-----END").filter(|b| b.contains("-----BEGIN")) {
        let start = block.find("-----BEGIN").unwrap_or(0);
        let label_end = block[start..]
            .find("\n")
            .map(|i| start + i)
            .unwrap_or(block.len());
        let label = &block[start..label_end];
        let pem = format!(
            "{}-----END{}",
            &block[start..],
            label.trim_start_matches("-----BEGIN")
        );
        if let Ok(k) = DecodingKey::from_rsa_pem(pem.as_bytes()) {
            keys.push(ProdKey {
                kid: None,
                alg: Algorithm::RS256,
                key: k,
            });
        } else if let Ok(k) = DecodingKey::from_ec_pem(pem.as_bytes()) {
            keys.push(ProdKey {
                kid: None,
                alg: Algorithm::ES256,
                key: k,
            });
        }
    }
    anyhow::ensure!(
        !keys.is_empty(),
        "nøglefilen indeholder hverken JWKS eller PEM-nøgler"
    );
    Ok(keys)
}

/// What a development token says.
pub struct DevTokenRequest<'a> {
    pub roles: &'a [Role],
    pub cvr: &'a str,
    pub name: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub valid_hours: i64,
}

/// The name of a development token without `--name`.
pub const DEV_DEFAULT_NAME: &str = "Udvikler";

/// The subject of a development token without `--subject`: the same for the same CVR and name
/// (`dev:29189404:anne-andersen`), so a new token for the same person still owns the locks
/// taken with an earlier one. The name is lower-cased, letters and digits kept (æ, ø, å too) and
/// every run of anything else one `-`.
pub fn dev_subject(cvr: &str, name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug = if slug.is_empty() { "udvikler" } else { slug };
    format!("dev:{cvr}:{slug}")
}

/// Makes an HS256 development token signed with `key`.
pub fn make_dev_token(
    key: &str,
    r: &DevTokenRequest<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<String> {
    anyhow::ensure!(crate::domain::enhed::is_cvr(r.cvr), "CVR skal være 8 cifre");
    let name = r.name.unwrap_or(DEV_DEFAULT_NAME);
    let subject = r
        .subject
        .map(str::to_string)
        .unwrap_or_else(|| dev_subject(r.cvr, name));
    let claims = serde_json::json!({
        "sub": subject,
        "name": name,
        "cvr": r.cvr,
        "roles": r.roles.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
        "iss": DEV_ISSUER,
        "aud": DEV_AUDIENCE,
        "iat": now.timestamp(),
        "nbf": now.timestamp(),
        "exp": now.timestamp() + r.valid_hours * 3600,
    });
    Ok(encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(key.as_bytes()),
    )?)
}

#[cfg(test)]
mod tests {
    use super::{dev_subject, jwks_url};

    #[test]
    fn dev_subject_is_derived_from_cvr_and_name() {
        assert_eq!(
            dev_subject("29189404", "Anne Andersen"),
            "dev:29189404:anne-andersen"
        );
        assert_eq!(
            dev_subject("29189404", "  anne  ANDERSEN "),
            "dev:29189404:anne-andersen"
        );
        assert_eq!(
            dev_subject("90000001", "Rikke Redaktør"),
            "dev:90000001:rikke-redaktør"
        );
        assert_eq!(dev_subject("12345678", "---"), "dev:12345678:udvikler");
        assert_ne!(
            dev_subject("29189404", "Anne Andersen"),
            dev_subject("29189404", "Anne Hansen")
        );
        assert_ne!(
            dev_subject("29189404", "Anne Andersen"),
            dev_subject("55133018", "Anne Andersen")
        );
    }

    #[test]
    fn jwks_url_is_https_or_loopback_http() {
        for ok in [
            "https://idp.example/.well-known/jwks.json",
            "http://127.0.0.1:8081/jwks",
            "http://localhost/jwks",
            "http://[::1]:9000/jwks",
        ] {
            assert!(jwks_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://idp.example/jwks",
            "http://10.0.0.1/jwks",
            "ftp://idp.example/jwks",
            "idp.example/jwks",
        ] {
            assert!(jwks_url(bad).is_err(), "{bad}");
        }
    }
}
