//! Keeping the snapshot and the change feed current with what other instances and processes
//! commit: LISTEN on PostgreSQL, and a periodic version check on both databases.
use super::{Change, ReadModel};
use crate::store;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;

/// Beyond this many changed items a commit reloads the read model instead of re-reading each,
/// here and on the other instances (PostgreSQL payloads are limited to 8000 bytes).
pub const RELOAD_OVER: usize = 100;

/// A notification's payload: the data version and the changed items (or "reload all").
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct Notice {
    pub v: i64,
    /// The instance that committed (it has applied the change already).
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub sl: Vec<String>,
    #[serde(default)]
    pub enhed: Vec<String>,
    #[serde(default)]
    pub kommune: Vec<String>,
    #[serde(default)]
    pub reload: bool,
}

impl Notice {
    /// PostgreSQL payloads are limited to 8000 bytes: beyond a few hundred items, reload.
    pub fn of(v: i64, from: &str, changes: &[Change]) -> Notice {
        let mut n = Notice {
            v,
            from: from.to_string(),
            sl: Vec::new(),
            enhed: Vec::new(),
            kommune: Vec::new(),
            reload: changes.len() > RELOAD_OVER,
        };
        if !n.reload {
            for c in changes {
                match c {
                    Change::Serviceleverance(id) => n.sl.push(id.clone()),
                    Change::Enhed(id) => n.enhed.push(id.clone()),
                    Change::Kommune(k) => n.kommune.push(k.clone()),
                }
            }
        }
        n
    }

    /// The notice as the store sends it: its JSON after the version, which the database
    /// splices in as `{"v":<new version>` when it commits (`store::bump_version_and_notify`).
    pub fn after_version(&self) -> Result<String, serde_json::Error> {
        let body = serde_json::to_string(&Notice {
            v: 0,
            ..self.clone()
        })?;
        Ok(body.strip_prefix("{\"v\":0").unwrap_or(&body).to_string())
    }

    pub fn changes(&self) -> Vec<Change> {
        self.sl
            .iter()
            .map(|i| Change::Serviceleverance(i.clone()))
            .chain(self.enhed.iter().map(|i| Change::Enhed(i.clone())))
            .chain(self.kommune.iter().map(|k| Change::Kommune(k.clone())))
            .collect()
    }
}

/// Keeps the snapshot and the feed current with what other instances (or processes) commit:
/// LISTEN on PostgreSQL, and a periodic version check on both databases (`check` apart).
pub fn spawn_sync(db: DatabaseConnection, rm: Arc<ReadModel>, check: Duration) {
    let st = Sync {
        feed_db: store::uncounted(&db),
        db,
        rm,
    };
    // The periodic check (both databases).
    {
        let st = st.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(check);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut seen = Seen::default();
            loop {
                tick.tick().await;
                check_version(&st, &mut seen).await;
                // Events another process wrote (an import, an instance on SQLite) and any a
                // lost notification did not announce.
                st.rm.feed.poke(&st.feed_db).await;
            }
        });
    }
    if store::is_sqlite(&st.db) {
        return;
    }
    tokio::spawn(async move {
        loop {
            if let Err(e) = listen(&st).await {
                tracing::warn!(error = %e, "mistede forbindelsen til ændringskanalen; prøver igen");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

/// The database's data versions at the last two checks, each kept only when the snapshot was
/// behind it.
#[derive(Default)]
struct Seen([Option<i64>; 2]);

/// Reloads when the snapshot is still behind a version the database had two checks ago.
///
/// Behind at one check is not enough: a commit is in the database a moment before its change is
/// in the snapshot, so under a steady flow of writes nearly every check sees a newer version,
/// and reloading on that reloaded everything again and again (`benches/README.md`). A change
/// that was really missed (a lost notification, another process's import) is still behind at
/// the next check but one, and is reloaded then: within two to three `--version-check-secs`.
async fn check_version(st: &Sync, seen: &mut Seen) {
    let v = match store::data_version_background(&st.db).await {
        Ok(v) => v,
        Err(e) => {
            tracing::debug!(error = %e, "versionskontrol mislykkedes");
            return;
        }
    };
    let mine = st.rm.version();
    if seen.0[0].is_some_and(|old| mine < old) {
        *seen = Seen::default();
        reload(st).await;
        return;
    }
    seen.0 = [seen.0[1], (v > mine).then_some(v)];
}

/// Reloads when the database's version is newer than the snapshot's: after the listening
/// connection was lost, when anything may have been missed.
async fn catch_up(st: &Sync) {
    match store::data_version_background(&st.db).await {
        Ok(v) if v > st.rm.version() => reload(st).await,
        Ok(_) => {}
        Err(e) => tracing::debug!(error = %e, "versionskontrol mislykkedes"),
    }
}

async fn reload(st: &Sync) {
    match st.rm.reload(&st.db).await {
        Ok(v) => {
            tracing::info!(version = v, "læsemodellen er genindlæst");
            st.rm.feed.poke(&st.feed_db).await;
        }
        Err(e) => tracing::warn!(error = %e, "kunne ikke genindlæse læsemodellen"),
    }
}

async fn listen(st: &Sync) -> Result<(), sea_orm::sqlx::Error> {
    use sea_orm::sqlx::postgres::PgListener;
    let pool = st.db.get_postgres_connection_pool();
    let mut l = PgListener::connect_with(pool).await?;
    l.listen(store::CHANGES_CHANNEL).await?;
    // Anything committed while we were not listening.
    catch_up(st).await;
    loop {
        // `None`: the connection was lost (and will be re-established): reload to be exact.
        match l.try_recv().await? {
            Some(n) => {
                let Ok(notice) = serde_json::from_str::<Notice>(n.payload()) else {
                    continue;
                };
                if notice.from == st.rm.id() {
                    continue; // our own commit, applied at commit
                }
                // A version this snapshot has passed is not old news: this instance's own commit
                // (applied at once) can pass another's that committed just before it and whose
                // notice is still on its way. Its items are applied all the same (re-read as
                // committed now, so a late change is harmless); skipping it lost that change
                // here for good, as the version check saw no difference.
                let current = st.rm.version();
                // A gap means a notification was missed: reload to be exact.
                let r = if notice.reload || notice.v > current + 1 {
                    st.rm.reload(&st.db).await.map(|_| ())
                } else {
                    st.rm.apply(&st.db, &notice.changes(), notice.v).await
                };
                if let Err(e) = r {
                    tracing::warn!(error = %e, "kunne ikke opdatere læsemodellen");
                }
                st.rm.feed.poke(&st.feed_db).await;
            }
            None => catch_up(st).await,
        }
    }
}

/// What the sync tasks work with: the database and the read model they keep current.
#[derive(Clone)]
struct Sync {
    db: DatabaseConnection,
    /// The same pool, for the feed's reads (background work, not counted).
    feed_db: DatabaseConnection,
    rm: Arc<ReadModel>,
}
