//! The public read model (issue 10): an immutable snapshot in memory of everything the anonymous
//! search can show, swapped atomically. The whole public data set of Denmark is a few thousand
//! rows, so searches never touch the database.
//!
//! - Built at start; updated by the use-case layer right after every commit (the changed items
//!   are re-read, so a save is visible to the next request, R12).
//! - It alone owns the public side: the snapshot (`snapshot`), the public reads (`query`; the
//!   search, `Kommune.tilbud`, `Enhed.tilbydesAf` and the open data read only these), applying
//!   changes (`apply`), sync with other instances (`sync`), the change feed (`feed`, R30), and
//!   the local moment that the response cache and the open-data files key on.
//! - Several instances on one PostgreSQL: every commit increments the data version in the
//!   database and NOTIFYs the others with the changed items; an instance that lost its
//!   listening connection reloads everything when it is back, and a periodic version check
//!   catches anything missed (also for SQLite written by another process, e.g. `import`) once
//!   it has stayed missing over two checks.
//! - "Today" is not part of the snapshot: the day filter (R6, `day::is_active`) runs per query.
mod apply;
pub mod feed;
mod query;
mod snapshot;
mod sync;

pub use query::{Candidates, Facet, Filters, PublicOffer};
pub use snapshot::{traits, Key, Map, Offer, Offers, Ref, Snapshot, TilsynInfo};
pub use sync::{spawn_sync, Notice, RELOAD_OVER};

use sea_orm::{DatabaseConnection, DbErr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// An item whose committed state changed (what a commit tells the read model).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Serviceleverance(String),
    Enhed(String),
    Kommune(String),
}

/// The current snapshot and how to renew it.
pub struct ReadModel {
    /// This instance's id in notifications.
    id: String,
    current: RwLock<Arc<Snapshot>>,
    /// Serialises writers, so that two renewals cannot lose each other's changes.
    writer: tokio::sync::Mutex<()>,
    /// See [`ReadModel::moment`].
    moment: AtomicU64,
    /// The change feed's live side (R30).
    pub feed: Arc<feed::Feed>,
}

impl ReadModel {
    /// Loads the whole snapshot.
    pub async fn load(db: &DatabaseConnection) -> Result<ReadModel, DbErr> {
        let s = snapshot::full(db).await?;
        let feed = Arc::new(feed::Feed::start(db).await?);
        Ok(ReadModel {
            id: uuid::Uuid::new_v4().to_string(),
            current: RwLock::new(Arc::new(s)),
            writer: tokio::sync::Mutex::new(()),
            moment: AtomicU64::new(0),
            feed,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The database's data version the snapshot has taken in.
    pub fn version(&self) -> i64 {
        self.snapshot().version
    }

    /// The moment of the data this instance serves: it grows whenever the snapshot has taken in
    /// a change (a commit here, another instance's commit, a reload). The response cache and
    /// the open-data files are keyed on it. It counts the changes as they reach this instance
    /// instead of copying the database's data version: another instance's commit can arrive
    /// after this instance's own later one, at a version the snapshot has already passed, and
    /// it is a new moment all the same.
    pub fn moment(&self) -> u64 {
        self.moment.load(Ordering::Acquire)
    }

    /// Swaps in a new snapshot and advances the moment (after the swap: an answer computed
    /// from the old snapshot is filed under the old moment).
    fn swap(&self, mut s: Snapshot) {
        static SERIAL: AtomicU64 = AtomicU64::new(1);
        s.serial = SERIAL.fetch_add(1, Ordering::Relaxed);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(s);
        self.moment.fetch_add(1, Ordering::AcqRel);
    }

    /// Re-reads everything (start, a reconnect, a missed notification, an import).
    pub async fn reload(&self, db: &DatabaseConnection) -> Result<i64, DbErr> {
        let _w = self.writer.lock().await;
        let s = snapshot::full(db).await?;
        let v = s.version;
        self.swap(s);
        Ok(v)
    }
}
