//! Token verification: `Authorization: Bearer ...` -> `Viewer`. Production tokens are RS256 or
//! ES256 with the identity provider's public keys (JWKS or PEM); development tokens are HS256
//! with the development key and are accepted only when explicitly enabled. A token that is
//! present but bad is refused (UNAUTHENTICATED), never taken as anonymous.
use crate::config::{Config, DEV_AUDIENCE, DEV_ISSUER};
use crate::domain::access::{Role, Viewer};
use crate::error::AppError;
use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde_json::{Map, Value};

struct ProdKey {
    kid: Option<String>,
    alg: Algorithm,
    key: DecodingKey,
}

pub struct Authenticator {
    dev_key: Option<DecodingKey>,
    prod_keys: Vec<ProdKey>,
    issuer: Option<String>,
    audience: Option<String>,
    claim_cvr: String,
    claim_roles: String,
}

fn refused(msg: &str) -> AppError {
    AppError::Unauthenticated(msg.to_string())
}

impl Authenticator {
    pub fn from_config(c: &Config) -> anyhow::Result<Self> {
        let prod_keys = match &c.auth_keys {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("kan ikke læse nøglefilen {}: {e}", path.display())
                })?;
                parse_keys(&text)?
            }
            None => Vec::new(),
        };
        Ok(Self {
            dev_key: c
                .dev_tokens
                .then(|| DecodingKey::from_secret(c.dev_key.as_bytes())),
            prod_keys,
            issuer: c.auth_issuer.clone(),
            audience: c.auth_audience.clone(),
            claim_cvr: c.claim_cvr.clone(),
            claim_roles: c.claim_roles.clone(),
        })
    }

    /// The viewer of a request from its Authorization header (`None`: anonymous).
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<Viewer, AppError> {
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
        let header = decode_header(token).map_err(|_| refused("Tokenet er ugyldigt."))?;
        let claims: Map<String, Value> = match header.alg {
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
                let candidates: Vec<&ProdKey> = self
                    .prod_keys
                    .iter()
                    .filter(|k| {
                        k.alg == alg
                            && (header.kid.is_none() || k.kid.is_none() || k.kid == header.kid)
                    })
                    .collect();
                if candidates.is_empty() {
                    return Err(refused("Tokenets nøgle kendes ikke."));
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
                let mut found = None;
                for k in candidates {
                    match decode::<Map<String, Value>>(token, &k.key, &v) {
                        Ok(d) => {
                            found = Some(d.claims);
                            break;
                        }
                        Err(e) => last = token_error(e),
                    }
                }
                found.ok_or(last)?
            }
            _ => return Err(refused("Tokenets algoritme accepteres ikke.")),
        };
        self.viewer_from_claims(&claims)
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
            if !is_cvr(cvr) {
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

/// An 8-digit CVR number.
pub fn is_cvr(s: &str) -> bool {
    s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Reads a JWKS document or one or more PEM public keys.
fn parse_keys(text: &str) -> anyhow::Result<Vec<ProdKey>> {
    if text.trim_start().starts_with('{') {
        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(text)?;
        let mut keys = Vec::new();
        for jwk in &set.keys {
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

/// Makes an HS256 development token signed with `key`.
pub fn make_dev_token(
    key: &str,
    r: &DevTokenRequest<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<String> {
    anyhow::ensure!(is_cvr(r.cvr), "CVR skal være 8 cifre");
    let subject = r
        .subject
        .map(str::to_string)
        .unwrap_or_else(|| format!("dev-{}", uuid::Uuid::new_v4()));
    let claims = serde_json::json!({
        "sub": subject,
        "name": r.name.unwrap_or("Udvikler"),
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
