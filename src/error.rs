//! Errors with stable codes (R27). Every refusal becomes a GraphQL error whose
//! `extensions.code` is one of the codes below and whose message is Danish. Internal causes are
//! logged with a correlation id and never sent to the client.
use crate::domain::access::Decision;
use crate::domain::serviceleverance::FieldError;
use async_graphql::ErrorExtensions;
use chrono::{DateTime, Utc};

/// Deliberately not `Display`: async-graphql turns any `Display` error into a client message via
/// `?`, which would drop the code and could leak internals. Conversion goes through
/// `into_graphql` only.
#[derive(Debug)]
pub enum AppError {
    Unauthenticated(String),
    Forbidden(String),
    NotFound(String),
    Locked {
        holder: String,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    },
    NotLocked(String),
    Validation(Vec<FieldError>),
    Conflict(String),
    Unavailable,
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// The Danish message for people.
    pub fn message(&self) -> String {
        match self {
            AppError::Unauthenticated(m)
            | AppError::Forbidden(m)
            | AppError::NotFound(m)
            | AppError::NotLocked(m)
            | AppError::Conflict(m) => m.clone(),
            AppError::Locked {
                holder,
                since,
                until,
            } => format!(
                "Elementet er låst af {holder} siden {}. Låsen udløber {}.",
                local_time(*since),
                local_time(*until)
            ),
            AppError::Validation(fields) => fields
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            AppError::Unavailable => {
                "Databasen er ikke tilgængelig lige nu. Prøv igen om lidt.".into()
            }
            AppError::Internal(_) => "Der opstod en intern fejl.".into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Locked { .. } => "LOCKED",
            AppError::NotLocked(_) => "NOT_LOCKED",
            AppError::Validation(_) => "VALIDATION",
            AppError::Conflict(_) => "CONFLICT",
            AppError::Unavailable => "UNAVAILABLE",
            AppError::Internal(_) => "INTERNAL",
        }
    }

    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    /// LOCKED: who holds the lock, since when and until when (R11).
    pub fn locked(l: &crate::domain::lock::Lock) -> Self {
        AppError::Locked {
            holder: l.name.clone().unwrap_or_else(|| l.subject.clone()),
            since: l.since,
            until: l.expires,
        }
    }

    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(format!("{what} findes ikke."))
    }

    /// Turns a policy decision into a refusal (`Ok` when allowed). `what` names the item for
    /// NOT_FOUND, e.g. "Serviceleverancen".
    pub fn check(d: Decision, what: &str) -> AppResult<()> {
        match d {
            Decision::Allow => Ok(()),
            Decision::Unauthenticated => {
                Err(AppError::Unauthenticated("Du skal være logget ind.".into()))
            }
            Decision::NotFound => Err(AppError::not_found(what)),
            Decision::Forbidden => Err(AppError::Forbidden(
                "Du har ikke rettighed til denne handling.".into(),
            )),
        }
    }

    /// The GraphQL error a client sees.
    pub fn into_graphql(self) -> async_graphql::Error {
        let code = self.code();
        match self {
            AppError::Internal(cause) => {
                let id = uuid::Uuid::new_v4().to_string();
                tracing::error!(correlation_id = %id, cause = %cause, "intern fejl");
                async_graphql::Error::new(format!(
                    "Der opstod en intern fejl. Oplys fejl-id {id} til supporten."
                ))
                .extend_with(|_, e| {
                    e.set("code", code);
                    e.set("correlationId", id.clone());
                })
            }
            AppError::Locked {
                ref holder,
                since,
                until,
            } => {
                let msg = self.message();
                let holder = holder.clone();
                async_graphql::Error::new(msg).extend_with(|_, e| {
                    e.set("code", code);
                    e.set("lockedBy", holder.clone());
                    e.set("lockedSince", since.to_rfc3339());
                    e.set("lockedUntil", until.to_rfc3339());
                })
            }
            AppError::Validation(ref fields) => {
                let msg = self.message();
                let names: Vec<String> = fields.iter().map(|f| f.field.to_string()).collect();
                let details: Vec<async_graphql::Value> = fields
                    .iter()
                    .map(|f| {
                        let mut m = async_graphql::indexmap::IndexMap::new();
                        m.insert(
                            async_graphql::Name::new("field"),
                            async_graphql::Value::from(f.field),
                        );
                        m.insert(
                            async_graphql::Name::new("message"),
                            async_graphql::Value::from(f.message.clone()),
                        );
                        async_graphql::Value::Object(m)
                    })
                    .collect();
                async_graphql::Error::new(msg).extend_with(|_, e| {
                    e.set("code", code);
                    e.set("fields", names.clone());
                    e.set("details", async_graphql::Value::List(details.clone()));
                })
            }
            other => {
                let msg = other.message();
                async_graphql::Error::new(msg).extend_with(|_, e| e.set("code", code))
            }
        }
    }
}

/// A time as a caseworker reads it: Copenhagen local time.
pub fn local_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Copenhagen)
        .format("%d.%m.%Y kl. %H:%M")
        .to_string()
}

/// Is this database error the database being unreachable or going away (rather than a bug)?
/// Besides a pool that cannot connect, this covers what a PostgreSQL restart or failover does
/// to requests in flight: the server ends their sessions with SQLSTATE 57P01 (admin shutdown),
/// 57P02 (crash shutdown) or 57P03 (cannot connect now), or the socket just closes, which sqlx
/// reports as an io error, a TLS error or a protocol error of a half-read message.
pub fn is_unavailable(e: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(s)) | DbErr::Query(RuntimeErr::SqlxError(s)) => {
            sqlx_unavailable(s)
        }
        _ => false,
    }
}

fn sqlx_unavailable(e: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error as E;
    match e {
        E::Io(_)
        | E::Tls(_)
        | E::Protocol(_)
        | E::PoolTimedOut
        | E::PoolClosed
        | E::WorkerCrashed => true,
        E::Database(d) => d.code().is_some_and(|c| sqlstate_unavailable(&c)),
        other => has_io_source(other),
    }
}

/// SQLSTATEs of a server that is going away or cannot take us now: class 08 (connection
/// exception), 57P01..57P05 (admin/crash shutdown, cannot connect now, database dropped, idle
/// session timeout) and 53300 (too many connections). Not 57014 (query canceled): that is a
/// statement timeout, not an outage.
fn sqlstate_unavailable(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("57P")
        || code == "53300"
        // SQLite: SQLITE_BUSY (5) and SQLITE_LOCKED (6) and their extended codes, after the busy
        // timeout: the database is busy, try again, not a bug.
        || matches!(code, "5" | "6" | "261" | "517" | "262")
}

/// An io error somewhere in the error's sources (a closed socket wrapped by the driver).
fn has_io_source(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = e.source();
    while let Some(s) = cur {
        if s.is::<std::io::Error>() {
            return true;
        }
        cur = s.source();
    }
    false
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        if is_unavailable(&e) {
            tracing::warn!(error = %e, "database utilgængelig");
            AppError::Unavailable
        } else {
            AppError::Internal(e.to_string())
        }
    }
}

/// Resolvers return this: any `AppError` converts with `?`.
pub type GqlResult<T> = async_graphql::Result<T>;

impl From<AppError> for async_graphql::Error {
    fn from(e: AppError) -> Self {
        e.into_graphql()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{sqlx, DbErr, RuntimeErr};
    use std::sync::Arc;

    fn exec(e: sqlx::Error) -> DbErr {
        DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e)))
    }

    #[test]
    fn connection_loss_is_unavailable_and_bugs_are_not() {
        let io = || std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert!(is_unavailable(&exec(sqlx::Error::Io(io()))));
        assert!(is_unavailable(&DbErr::Query(RuntimeErr::SqlxError(
            Arc::new(sqlx::Error::Protocol("unexpected message".into()))
        ))));
        assert!(is_unavailable(&exec(sqlx::Error::Decode(Box::new(io())))));
        assert!(!is_unavailable(&exec(sqlx::Error::RowNotFound)));
        assert!(!is_unavailable(&exec(sqlx::Error::ColumnNotFound(
            "x".into()
        ))));
        assert!(!is_unavailable(&DbErr::Custom("x".into())));
        for c in ["57P01", "57P02", "57P03", "08006", "08003", "53300"] {
            assert!(sqlstate_unavailable(c), "{c}");
        }
        for c in ["57014", "23505", "40001", "42P01"] {
            assert!(!sqlstate_unavailable(c), "{c}");
        }
    }
}
