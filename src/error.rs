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

/// Is this database error the database being unreachable (rather than a bug)?
pub fn is_unavailable(e: &sea_orm::DbErr) -> bool {
    use sea_orm::{sqlx, DbErr, RuntimeErr};
    let sqlx_down = |s: &sqlx::Error| {
        matches!(
            s,
            sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::Tls(_)
        )
    };
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(s)) | DbErr::Query(RuntimeErr::SqlxError(s)) => {
            sqlx_down(s)
        }
        _ => false,
    }
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
