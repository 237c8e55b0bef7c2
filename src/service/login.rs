//! The console's login through the identity provider (issue 22): start a login, finish it at
//! the callback, find the session of a request (renewing the provider's tokens while the user
//! works), log out. The HTTP side (`http::login`) carries cookies and CSRF checks; the
//! protocol is `oidc`; when a session serves is `domain::session`.
use crate::app::AppState;
use crate::domain::access::{Role, Viewer};
use crate::domain::session::{self, Standing, Use};
use crate::error::{AppError, AppResult};
use crate::oidc::{self, Client};
use crate::store::session::{self as store, LoginAttempt, Session};
use chrono::{DateTime, Duration, Utc};

/// How long a login may take at the identity provider.
pub const LOGIN_TIMEOUT_SECS: i64 = 600;
/// A session's last use is written at most this often (the idle timeout is minutes).
const TOUCH_EVERY_SECS: i64 = 30;

fn client(st: &AppState) -> AppResult<&Client> {
    st.oidc.as_deref().ok_or_else(|| {
        AppError::NotFound("Login med identitetsudbyderen er ikke slået til.".into())
    })
}

fn refused(msg: &str) -> AppError {
    AppError::Unauthenticated(msg.into())
}

fn expired() -> AppError {
    AppError::SessionExpired("Din session er udløbet. Log ind igen.".into())
}

fn storage(e: sea_orm::DbErr) -> AppError {
    e.into()
}

/// A login started: where the browser goes, and the `state` its cookie binds to it.
pub struct Started {
    pub redirect: String,
    pub state: String,
}

pub async fn begin(st: &AppState, return_to: Option<&str>) -> AppResult<Started> {
    let c = client(st)?;
    let (state, nonce, verifier) = (
        oidc::random_token(),
        oidc::random_token(),
        oidc::random_token(),
    );
    let now = st.clock.now();
    store::begin_login(
        &st.db,
        LoginAttempt {
            state_hash: oidc::hash(&state),
            nonce: nonce.clone(),
            verifier: verifier.clone(),
            return_to: session::return_path(return_to),
            created_at: now,
        },
        now - Duration::seconds(LOGIN_TIMEOUT_SECS),
    )
    .await
    .map_err(storage)?;
    Ok(Started {
        redirect: c.authorize_url(&state, &nonce, &verifier),
        state,
    })
}

/// A finished login: the new session's id (for the cookie) and where the console goes.
pub struct LoggedIn {
    pub session_id: String,
    pub return_to: String,
}

/// The callback: the `state` must be the one this browser started (its cookie) and unused;
/// the code is exchanged once; the ID token must hold, with the login's nonce.
pub async fn finish(
    st: &AppState,
    code: &str,
    state: &str,
    browser_state: Option<&str>,
) -> AppResult<LoggedIn> {
    let c = client(st)?;
    if browser_state.is_none_or(|b| !constant_time_eq(b.as_bytes(), state.as_bytes())) {
        return Err(refused(
            "Login-svaret hører ikke til et login startet i denne browser.",
        ));
    }
    let attempt = store::take_login(&st.db, &oidc::hash(state))
        .await
        .map_err(storage)?
        .ok_or_else(|| refused("Login-svaret er ukendt eller allerede brugt."))?;
    let now = st.clock.now();
    if now - attempt.created_at > Duration::seconds(LOGIN_TIMEOUT_SECS) {
        return Err(refused("Login-forsøget er for gammelt. Start forfra."));
    }
    let tokens = c.exchange(code, &attempt.verifier).await.map_err(|e| {
        tracing::warn!(error = %e, "login: koden blev ikke indløst");
        refused("Identitetsudbyderen godkendte ikke login-koden.")
    })?;
    let id_token = tokens
        .id_token
        .clone()
        .ok_or_else(|| refused("Identitetsudbyderen sendte intet ID-token."))?;
    let verified = c.verify(&id_token, Some(&attempt.nonce)).await?;
    let session_id = oidc::random_token();
    let config = &st.config.oidc;
    let s = Session {
        id_hash: oidc::hash(&session_id),
        subject: verified.subject.clone().unwrap_or_default(),
        name: verified.name.clone(),
        cvr: verified.cvr.clone(),
        roles: roles_text(&verified.roles),
        csrf: oidc::random_token(),
        id_token,
        refresh_token: tokens.refresh_token,
        token_expires_at: token_expiry(now, tokens.expires_in),
        created_at: now,
        last_seen_at: now,
        expires_at: now + chrono_duration(config.session_max),
    };
    store::create(&st.db, s, now).await.map_err(storage)?;
    tracing::info!(issuer = c.issuer(), subject = ?verified.subject, "login");
    Ok(LoggedIn {
        session_id,
        return_to: attempt.return_to,
    })
}

/// The session of a request.
pub struct Current {
    pub viewer: Viewer,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

/// The session a cookie names, renewed with the refresh token when the provider's tokens have
/// expired; `SESSION_EXPIRED` when there is none (any more). `by`: whether the request is a use
/// of the session (its idle timeout starts again) or the console's own background request.
pub async fn current(st: &AppState, session_id: &str, by: Use) -> AppResult<Current> {
    let c = client(st)?;
    let id_hash = oidc::hash(session_id);
    let mut s = store::find(&st.db, &id_hash)
        .await
        .map_err(storage)?
        .ok_or_else(expired)?;
    let now = st.clock.now();
    let idle = chrono_duration(st.config.oidc.session_idle);
    match session::standing(
        now,
        s.expires_at,
        s.last_seen_at,
        idle,
        s.token_expires_at,
        s.refresh_token.is_some(),
    ) {
        Standing::Active => {}
        Standing::Ended => {
            store::end(&st.db, &id_hash).await.map_err(storage)?;
            return Err(expired());
        }
        Standing::Renew => s = renew(st, c, s, now).await?,
    }
    if by.counts() && now - s.last_seen_at >= Duration::seconds(TOUCH_EVERY_SECS) {
        store::touch(&st.db, &id_hash, now).await.map_err(storage)?;
    }
    Ok(Current {
        viewer: Viewer {
            subject: Some(s.subject),
            name: s.name,
            cvr: s.cvr,
            roles: s.roles.split(' ').filter_map(Role::parse).collect(),
        },
        csrf: s.csrf,
        expires_at: s.expires_at,
    })
}

/// Renews the provider's tokens (Core §12). Another instance may renew the same session at the
/// same moment; whichever stores first wins, the other reads what it stored.
async fn renew(st: &AppState, c: &Client, s: Session, now: DateTime<Utc>) -> AppResult<Session> {
    let used = s.refresh_token.clone().unwrap_or_default();
    let lost = || async {
        match store::find(&st.db, &s.id_hash).await.map_err(storage)? {
            Some(other) if other.token_expires_at > now => Ok(other),
            _ => {
                store::end(&st.db, &s.id_hash).await.map_err(storage)?;
                Err(expired())
            }
        }
    };
    let tokens = match c.refresh(&used).await {
        Ok(t) => t,
        Err(e) => {
            tracing::info!(error = %e, "session: fornyelse afvist");
            return lost().await;
        }
    };
    let mut renewed = Session {
        refresh_token: tokens.refresh_token.or(Some(used.clone())),
        token_expires_at: token_expiry(now, tokens.expires_in),
        ..s.clone()
    };
    if let Some(id_token) = tokens.id_token {
        let v = c.verify(&id_token, None).await?;
        // Core §12.2: the renewed ID token is about the same user.
        if v.subject.as_deref() != Some(s.subject.as_str()) {
            store::end(&st.db, &s.id_hash).await.map_err(storage)?;
            return Err(expired());
        }
        renewed.name = v.name;
        renewed.cvr = v.cvr;
        renewed.roles = roles_text(&v.roles);
        renewed.id_token = id_token;
    }
    if store::renew(&st.db, &renewed, &used)
        .await
        .map_err(storage)?
    {
        Ok(renewed)
    } else {
        lost().await
    }
}

/// Ends the session; where the browser goes to end it at the provider too.
pub async fn logout(st: &AppState, session_id: &str) -> AppResult<Option<String>> {
    let c = client(st)?;
    let id_hash = oidc::hash(session_id);
    let s = store::find(&st.db, &id_hash).await.map_err(storage)?;
    store::end(&st.db, &id_hash).await.map_err(storage)?;
    Ok(s.and_then(|s| c.end_session_url(&s.id_token)))
}

fn roles_text(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// When the provider's tokens expire: `expires_in` from now (5 minutes when it says nothing).
fn token_expiry(now: DateTime<Utc>, expires_in: Option<i64>) -> DateTime<Utc> {
    now + Duration::seconds(expires_in.unwrap_or(300).clamp(1, 24 * 3600))
}

fn chrono_duration(d: std::time::Duration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::hours(12))
}

/// Compares secrets in time that does not depend on where they differ. Two lines by hand
/// rather than a crate: the CSRF token and the login's state are all it compares.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
