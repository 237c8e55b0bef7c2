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
#[derive(Debug, Clone)]
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
    /// A change-feed cursor older than the log's retention (R30): reload, then follow.
    CursorExpired(String),
    /// A subscriber that fell too far behind the feed and was dropped.
    TooSlow(String),
    /// A console session (issue 22) that ended: log in again.
    SessionExpired(String),
    /// A state-changing request with a session cookie that did not prove it came from the
    /// console (CSRF token header, Fetch Metadata).
    CsrfRefused(String),
    Unavailable(Outage),
    Internal(String),
}

/// Why the database cannot take a request now; each has its own message and
/// `extensions.reason`, all are `UNAVAILABLE` (try again later, not a bug).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// Unreachable, going away, busy past the timeout.
    Database,
    /// The database's disk is full (SQLITE_FULL, PostgreSQL's 53100).
    DiskFull,
    /// The database's disk failed a read or write (SQLITE_IOERR, PostgreSQL's 58030).
    Io,
}

impl Outage {
    /// The Danish message for people.
    pub fn message(self) -> &'static str {
        match self {
            Outage::Database => "Databasen er ikke tilgængelig lige nu. Prøv igen om lidt.",
            Outage::DiskFull => {
                "Databasens disk er fuld, så ændringen blev ikke gemt. Prøv igen senere; driften skal skaffe plads på disken."
            }
            Outage::Io => {
                "Databasen kunne ikke skrive til sin disk, så ændringen blev ikke gemt. Prøv igen om lidt."
            }
        }
    }

    /// The stable `extensions.reason`.
    pub fn reason(self) -> &'static str {
        match self {
            Outage::Database => "DATABASE",
            Outage::DiskFull => "DISK_FULL",
            Outage::Io => "IO_ERROR",
        }
    }

    /// The outage of a stable `extensions.reason`.
    pub fn of_reason(reason: &str) -> Option<Outage> {
        [Outage::Database, Outage::DiskFull, Outage::Io]
            .into_iter()
            .find(|o| o.reason() == reason)
    }

    /// What is wrong with writing, as `/readyz` says it (None: writes are not the problem).
    pub fn of_writes(self) -> Option<&'static str> {
        match self {
            Outage::Database => None,
            Outage::DiskFull => Some("databasens disk er fuld; skrivninger fejler"),
            Outage::Io => Some("databasens disk giver I/O-fejl; skrivninger fejler"),
        }
    }
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
            | AppError::Conflict(m)
            | AppError::CursorExpired(m)
            | AppError::TooSlow(m)
            | AppError::SessionExpired(m)
            | AppError::CsrfRefused(m) => m.clone(),
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
            AppError::Unavailable(o) => o.message().into(),
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
            AppError::CursorExpired(_) => "CURSOR_EXPIRED",
            AppError::TooSlow(_) => "SUBSCRIBER_TOO_SLOW",
            AppError::SessionExpired(_) => "SESSION_EXPIRED",
            AppError::CsrfRefused(_) => "CSRF_REFUSED",
            AppError::Unavailable(_) => "UNAVAILABLE",
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

    /// A subscriber dropped for falling too far behind the feed (R30).
    pub fn too_slow() -> Self {
        AppError::TooSlow(
            "Abonnementet er afbrudt, fordi klienten ikke læste hændelserne hurtigt nok. Abonnér igen med den sidste markør som after.".into(),
        )
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
            AppError::Unavailable(o) => {
                async_graphql::Error::new(o.message()).extend_with(|_, e| {
                    e.set("code", code);
                    e.set("reason", o.reason());
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
        // Danish writes the time with a full stop (kl. 17.49), as the console does.
        .format("%d.%m.%Y kl. %H.%M")
        .to_string()
}

/// Is this database error the database being unreachable or going away (rather than a bug)?
/// Besides a pool that cannot connect, this covers what a PostgreSQL restart or failover does
/// to requests in flight: the server ends their sessions with SQLSTATE 57P01 (admin shutdown),
/// 57P02 (crash shutdown) or 57P03 (cannot connect now), or the socket just closes, which sqlx
/// reports as an io error, a TLS error or a protocol error of a half-read message.
pub fn is_unavailable(e: &sea_orm::DbErr) -> bool {
    outage(e).is_some()
}

/// The outage a database error shows, if it is one: the database unreachable or going away
/// (above), or its disk full or failing.
pub fn outage(e: &sea_orm::DbErr) -> Option<Outage> {
    use sea_orm::{DbErr, RuntimeErr};
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => Some(Outage::Database),
        DbErr::Exec(RuntimeErr::SqlxError(s)) | DbErr::Query(RuntimeErr::SqlxError(s)) => {
            if let sea_orm::sqlx::Error::Database(d) = &**s {
                let sqlite = d
                    .try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
                    .is_some();
                if let Some(o) = d.code().and_then(|c| storage_outage(&c, sqlite)) {
                    return Some(o);
                }
            }
            sqlx_unavailable(s).then_some(Outage::Database)
        }
        _ => None,
    }
}

/// A full or failing disk by the database's code: SQLite's primary codes 13 (SQLITE_FULL) and
/// 10 (SQLITE_IOERR, with its extended codes 10 + 256n), PostgreSQL's SQLSTATE 53100
/// (disk_full) and class 58 (system error: 58030 io_error).
fn storage_outage(code: &str, sqlite: bool) -> Option<Outage> {
    if sqlite {
        return match code.parse::<i32>().ok().map(|c| c & 0xff) {
            Some(13) => Some(Outage::DiskFull),
            Some(10) => Some(Outage::Io),
            _ => None,
        };
    }
    match code {
        "53100" => Some(Outage::DiskFull),
        c if c.starts_with("58") => Some(Outage::Io),
        _ => None,
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
        if let Some(o) = outage(&e) {
            tracing::warn!(error = %e, reason = o.reason(), "database utilgængelig");
            AppError::Unavailable(o)
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

    /// N4 (issue 18): a full or failing disk is UNAVAILABLE with its own reason, by SQLite's
    /// primary code under any extended code, and by PostgreSQL's SQLSTATE; other codes are not.
    #[test]
    fn a_full_or_failing_disk_is_an_outage_by_its_code() {
        assert_eq!(storage_outage("13", true), Some(Outage::DiskFull));
        assert_eq!(storage_outage("10", true), Some(Outage::Io));
        // SQLITE_IOERR_WRITE (778), SQLITE_IOERR_FSYNC (1034), SQLITE_IOERR_SHORT_READ (522).
        for c in ["778", "1034", "522"] {
            assert_eq!(storage_outage(c, true), Some(Outage::Io), "{c}");
        }
        // SQLITE_BUSY, SQLITE_CONSTRAINT_UNIQUE (2067), SQLITE_READONLY: not the disk.
        for c in ["5", "2067", "8"] {
            assert_eq!(storage_outage(c, true), None, "{c}");
        }
        assert_eq!(storage_outage("53100", false), Some(Outage::DiskFull));
        assert_eq!(storage_outage("58030", false), Some(Outage::Io));
        assert_eq!(storage_outage("23505", false), None);
        // A PostgreSQL code is not read as SQLite's and the other way round.
        assert_eq!(storage_outage("13", false), None);
        assert_eq!(storage_outage("53100", true), None);
        for o in [Outage::DiskFull, Outage::Io] {
            assert_eq!(Outage::of_reason(o.reason()), Some(o));
            assert!(o.of_writes().is_some_and(|w| w.contains("disk")));
        }
    }
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
