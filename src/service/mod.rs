//! The use cases: each loads what it needs, asks the domain and the access policy, writes in
//! one transaction with its audit entry (R16), and says what changed. Resolvers only translate
//! GraphQL to these calls and back; the CLI's import uses them too.
//!
//! [`Tx`] is the one place a write happens: it owns the transaction, collects the audit
//! entries and the changed items, records the change feed's events (R30) in the same
//! transaction, and after the commit tells the read model, which fans the events out.
pub mod audit;
pub mod casework;
pub mod enhed;
pub mod feed;
pub mod foto;
pub mod kommune;
pub mod login;
pub mod serviceleverance;
pub mod tilsyn;

use crate::app::AppState;
use crate::domain::access::{Decision, Viewer};
use crate::error::{AppError, AppResult};
use crate::store::audit::{self as audit_store, AuditEvent};
use crate::store::serviceleverance::Actor;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;

pub use crate::readmodel::Change;

/// Who asks, and with what state: the context of every use case.
#[derive(Clone, Copy)]
pub struct Cx<'a> {
    pub st: &'a AppState,
    pub v: &'a Viewer,
}

impl<'a> Cx<'a> {
    pub fn new(st: &'a AppState, v: &'a Viewer) -> Self {
        Cx { st, v }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.st.clock.now()
    }

    pub fn actor(&self) -> Actor<'a> {
        Actor {
            subject: self.v.subject.as_deref().unwrap_or(""),
            name: self.v.name.as_deref(),
            cvr: self.v.cvr.as_deref(),
            roles: self.v.roles_text(),
        }
    }

    /// Refuses anonymous callers (every write needs a token).
    pub fn require_login(&self) -> AppResult<()> {
        if self.v.is_authenticated() {
            Ok(())
        } else {
            AppError::check(Decision::Unauthenticated, "")
        }
    }
}

/// A unit of work: one transaction, its audit entries and what it changed. Dropped without
/// `commit`, it rolls back.
pub struct Tx<'a> {
    cx: Cx<'a>,
    txn: DatabaseTransaction,
    now: DateTime<Utc>,
    changes: Vec<Change>,
    /// Changed agreements as written, read in this transaction (the read model need not re-read).
    rows: Vec<crate::store::serviceleverance::Serviceleverance>,
}

impl<'a> Tx<'a> {
    /// On SQLite the transaction takes the write lock at once (`store::begin_write`).
    pub async fn begin(cx: Cx<'a>) -> AppResult<Tx<'a>> {
        let txn = crate::store::begin_write(&cx.st.db)
            .await
            .inspect_err(|e| cx.st.writes.failed(e, cx.now()))?;
        Ok(Tx {
            txn,
            now: cx.now(),
            cx,
            changes: Vec::new(),
            rows: Vec::new(),
        })
    }

    /// The connection to write through.
    pub fn db(&self) -> &DatabaseTransaction {
        &self.txn
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Records an audit entry (R16) in this transaction, by the caller.
    pub async fn audit(&mut self, ev: AuditEvent<'_>) -> AppResult<()> {
        audit_store::record(&self.txn, self.cx.v, ev, self.now).await?;
        Ok(())
    }

    /// Records many audit entries (R16) at once, by the caller (a command's batch).
    pub async fn audit_many(&mut self, evs: &[AuditEvent<'_>]) -> AppResult<()> {
        audit_store::record_many(&self.txn, self.cx.v, evs, self.now).await?;
        Ok(())
    }

    /// Notes an item whose state this transaction changes.
    pub fn changed(&mut self, c: Change) {
        if !self.changes.contains(&c) {
            self.changes.push(c);
        }
    }

    /// Notes a changed agreement together with its row as written in this transaction.
    pub fn changed_row(&mut self, row: crate::store::serviceleverance::Serviceleverance) {
        self.changed(Change::Serviceleverance(row.id.clone()));
        self.rows.push(row);
    }

    /// Commits and publishes what changed: the data version is incremented in the same
    /// transaction and, on PostgreSQL, the other instances are notified when it commits; this
    /// instance's read model re-reads the changed items before the caller answers (R12).
    pub async fn commit(self) -> AppResult<()> {
        let st = self.cx.st;
        let failed = |e: &sea_orm::DbErr| st.writes.failed(e, self.now);
        if self.changes.is_empty() {
            self.txn.commit().await.inspect_err(failed)?;
            st.writes.succeeded();
            return Ok(());
        }
        let after_version = crate::readmodel::Notice::of(0, st.read_model.id(), &self.changes)
            .after_version()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let v = crate::store::bump_version_and_notify(&self.txn, &after_version)
            .await
            .inspect_err(failed)?;
        let events = feed::record(&self.txn, &self.changes, self.now)
            .await
            .inspect_err(failed)?;
        // A failed COMMIT leaves the transaction to the pool's check (`store::clean`).
        self.txn.commit().await.inspect_err(failed)?;
        st.writes.succeeded();
        // Many changes at once (an import, the demo data): one reload beats re-reading each.
        let applied = if self.changes.len() > crate::readmodel::RELOAD_OVER {
            st.read_model.reload(&st.db).await.map(|_| ())
        } else {
            st.read_model
                .apply_known(&st.db, &self.changes, self.rows, v)
                .await
        };
        if let Err(e) = applied {
            // Committed all the same; the periodic check reloads.
            tracing::warn!(error = %e, "læsemodellen kunne ikke opdateres efter en ændring");
        }
        if events > 0 {
            // Before the answer: the writer's next read of the feed (or of an open-data file's
            // cursor) already holds its own change.
            st.read_model
                .feed
                .poke(&crate::store::uncounted(&st.db))
                .await;
        }
        Ok(())
    }
}

/// How often a write that lost a race with its own lock holder's other write (another tab, a
/// double click) is re-applied onto the fresh row before giving up with CONFLICT.
pub(crate) const RETRIES: usize = 5;

pub(crate) fn conflict() -> AppError {
    AppError::Conflict(
        "Elementet er ændret af en anden, siden du hentede det. Hent det igen, og gentag din ændring."
            .into(),
    )
}

/// `expectedRevision`: the revision the client last read must still be the current one.
pub(crate) fn check_revision(expected: Option<i64>, current: i64) -> AppResult<()> {
    match expected {
        Some(e) if e != current => Err(conflict()),
        _ => Ok(()),
    }
}

/// Why a lock could not be taken (R11, R14): LOCKED with the holder, or a race lost to a lock
/// that is gone again (try once more).
pub(crate) fn lock_refused(
    cx: Cx<'_>,
    held: Option<crate::domain::lock::Lock>,
    now: DateTime<Utc>,
    what: &str,
) -> AppError {
    use crate::domain::lock;
    if lock::can_take(held.as_ref(), cx.v.subject.as_deref().unwrap_or(""), now) {
        return AppError::Conflict("Låsen kunne ikke tages. Prøv igen.".into());
    }
    match lock::active(held, now) {
        Some(h) => AppError::locked(&h),
        None => AppError::not_found(what),
    }
}
