//! Persistence: sea-orm entities and the queries the domain needs, on SQLite and PostgreSQL.
//! No rules live here; where a query mirrors a rule (the lock condition, R11) it says which.
pub mod audit;
pub mod change_log;
pub mod copy;
pub mod enhed;
pub mod entity;
pub mod foto;
pub mod health;
pub mod kommune;
pub mod serviceleverance;
pub mod session;
pub mod tilsyn;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr,
    TransactionTrait,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub use sea_orm::DatabaseConnection as Db;

/// Counts the SQL statements a connection runs (metrics, and the no-N+1 test).
#[derive(Clone, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Opens the database. SQLite files are created if missing and use WAL and a busy timeout so
/// that concurrent requests wait instead of failing. A SQLite database the service cannot write
/// (a read-only file, directory or file system, or `mode=ro` in the URL) is refused here with a
/// message that names the path and the problem: otherwise the service would start, report
/// ready and then fail every write.
pub async fn connect(url: &str, counter: &StatementCounter) -> anyhow::Result<DatabaseConnection> {
    let sqlite = url.starts_with("sqlite:");
    let mut opt = ConnectOptions::new(url.to_string());
    opt.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(3))
        .acquire_timeout(Duration::from_secs(3));
    if sqlite {
        opt.max_connections(8)
            .map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .foreign_keys(true)
            })
            .map_sqlx_sqlite_pool_opts(|p| p.after_release(|conn, _| Box::pin(clean(conn))));
    } else {
        opt.max_connections(16);
    }
    let mut db = match Database::connect(opt).await {
        Ok(db) => db,
        Err(e) if sqlite => anyhow::bail!(sqlite_fault(url, &e)),
        Err(e) => return Err(e.into()),
    };
    if sqlite {
        match probe_write(&db).await {
            Ok(()) => {}
            // Another writer holds the lock (an import, say): SQLite checks read-only before
            // it waits for locks, so the file is writable.
            Err(e) if matches!(sqlite_code(&e).map(|c| c & 0xff), Some(5 | 6)) => {}
            Err(e) => {
                let _ = db.close_by_ref().await;
                anyhow::bail!(sqlite_fault(url, &e));
            }
        }
    }
    let c = counter.0.clone();
    db.set_metric_callback(move |_| {
        c.fetch_add(1, Ordering::Relaxed);
    });
    Ok(db)
}

/// How long a SQLite write waits for another writer's lock before it gives up with BUSY (the
/// server's and the CLI's commands alike).
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether a SQLite connection given back to the pool may be used again: not when it is still
/// in a transaction (issue 18, N4). After a `COMMIT` that failed (a full disk, an I/O error)
/// the transaction stays open and the rollback sqlx sends on drop can fail too; a connection
/// handed out in that state runs every later "transaction" as a savepoint inside the dead one,
/// acknowledges writes that are never committed, and holds the write lock against every other
/// connection. Such a connection is closed instead, which rolls it back and frees the lock.
/// The ping first lets a rollback still queued for the connection's worker run.
async fn clean(conn: &mut sea_orm::sqlx::SqliteConnection) -> Result<bool, sea_orm::sqlx::Error> {
    use sea_orm::sqlx::Connection;
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    conn.ping().await?;
    if conn.is_in_transaction() {
        tracing::warn!(
            "en SQLite-forbindelse med en åben transaktion lukkes i stedet for at genbruges"
        );
        return Ok(false);
    }
    Ok(true)
}

/// Writes to the database in a transaction that is rolled back. SQLite knows at the first write
/// whether it can write: a file opened read-only (by `mode=ro`, or because the file or its file
/// system is not writable, which SQLite silently falls back to) refuses with SQLITE_READONLY.
async fn probe_write(db: &DatabaseConnection) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    txn.execute_unprepared("CREATE TABLE plejeoverblik_write_probe (x INTEGER)")
        .await?;
    txn.rollback().await
}

/// Bytes an unprivileged writer may still use on the file system of `file` (its folder's), by
/// `statvfs` (std has no call for it).
fn free_bytes(file: &std::path::Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    // SAFETY: `c` is a NUL-terminated path and `st` a buffer of the struct statvfs fills.
    let rc = unsafe { libc::statvfs(c.as_ptr(), st.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled the struct.
    let st = unsafe { st.assume_init() };
    // The fields' types differ between platforms.
    #[allow(clippy::unnecessary_cast)]
    Some((st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
}

/// The file of a SQLite URL (`sqlite://FILE?...` or `sqlite:FILE?...`).
fn sqlite_path(url: &str) -> &str {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    rest.split('?').next().unwrap_or(rest)
}

/// A Danish explanation of why a SQLite database cannot be used, naming the path.
fn sqlite_fault(url: &str, e: &DbErr) -> String {
    let path = sqlite_path(url);
    let file = std::path::Path::new(path);
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let read_only_url = url
        .split_once('?')
        .is_some_and(|(_, q)| q.split('&').any(|p| p == "mode=ro"));
    // SQLite's extended result code: the low byte is the primary code.
    let code = sqlite_code(e);
    match code.map(|c| (c & 0xff, c)) {
        // SQLITE_READONLY_DIRECTORY
        Some((8, 1544)) => format!(
            "databasemappen {} er skrivebeskyttet: SQLite kan ikke oprette sine WAL-filer ved \
             siden af databasefilen {path}. Tjenesten skal kunne skrive i mappen.",
            dir.display()
        ),
        Some((8, _)) if read_only_url => format!(
            "databasefilen {path} er åbnet skrivebeskyttet (mode=ro i --database-url). \
             Tjenesten skal kunne skrive; brug mode=rwc."
        ),
        Some((8, _)) => format!(
            "databasefilen {path} er skrivebeskyttet (filens rettigheder eller et \
             skrivebeskyttet filsystem). Tjenesten skal kunne skrive i den."
        ),
        // SQLITE_CANTOPEN
        Some((14, _)) => {
            let why = match std::fs::metadata(&dir) {
                Ok(m) if !m.is_dir() => format!("{} er ikke en mappe", dir.display()),
                Ok(_) if file.is_dir() => format!("{path} er en mappe"),
                Ok(_) => format!(
                    "tjenesten mangler rettigheder til mappen {} eller filen, eller \
                     filsystemet er skrivebeskyttet",
                    dir.display()
                ),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                    format!("mappen {} findes ikke", dir.display())
                }
                Err(err) => format!("mappen {} kan ikke læses: {err}", dir.display()),
            };
            format!("databasefilen {path} kan ikke åbnes eller oprettes: {why}.")
        }
        _ => format!("databasen {path} kan ikke bruges: {e}"),
    }
}

fn sqlite_code(e: &DbErr) -> Option<i32> {
    use sea_orm::RuntimeErr;
    match e {
        DbErr::Conn(RuntimeErr::SqlxError(s))
        | DbErr::Exec(RuntimeErr::SqlxError(s))
        | DbErr::Query(RuntimeErr::SqlxError(s)) => match &**s {
            sea_orm::sqlx::Error::Database(d) => d.code().and_then(|c| c.parse().ok()),
            _ => None,
        },
        _ => None,
    }
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

pub fn is_sqlite(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Sqlite
}

/// Is the database reachable (readiness)?
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// Free space an embedded database's file system must have again before writes that failed
/// for a full disk are taken as working (so that readiness does not flap while a small write
/// fits in the WAL and real ones still fail).
pub const SQLITE_FREE_MARGIN: u64 = 1 << 20;

/// A transaction that writes. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`),
/// waiting up to the busy timeout for another writer: one that reads before it writes could
/// otherwise fail with SQLITE_BUSY instead of waiting its turn (its snapshot gone stale).
pub async fn begin_write(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    db.begin_with_options(sea_orm::TransactionOptions {
        isolation_level: None,
        access_mode: None,
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
    })
    .await
}

/// Can the database commit a write now, after writes failed for its storage? A committed write
/// that changes nothing (the data version set to itself): SQLite appends the page to its WAL
/// and PostgreSQL its WAL record, so a failing disk refuses it. A SQLite database also needs
/// [`SQLITE_FREE_MARGIN`] free on its file system: a one-page write can fit in the WAL's old
/// frames while a real unit of work cannot.
pub async fn probe_commit(db: &DatabaseConnection, url: &str) -> Result<(), DbErr> {
    if is_sqlite(db) {
        if let Some(free) = free_bytes(std::path::Path::new(sqlite_path(url))) {
            if free < SQLITE_FREE_MARGIN {
                // The code SQLite gives for a full disk, so that it reads as the same outage.
                return Err(DbErr::Custom("SQLITE_FULL".into()));
            }
        }
    }
    let txn = begin_write(db).await?;
    txn.execute_unprepared("UPDATE data_version SET version = version WHERE id = 1")
        .await?;
    txn.commit().await
}

/// (open, idle) connections of the pool.
pub fn pool_state(db: &DatabaseConnection) -> (u32, usize) {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let p = db.get_sqlite_connection_pool();
            (p.size(), p.num_idle())
        }
        DbBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (p.size(), p.num_idle())
        }
        _ => (0, 0),
    }
}

/// The channel on which PostgreSQL instances hear of each other's commits.
pub const CHANGES_CHANNEL: &str = "plejeoverblik_changes";

/// Increments the data version in the caller's transaction; returns the new version.
pub async fn bump_version<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "UPDATE data_version SET version = version + 1 WHERE id = 1 RETURNING version",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("data_version".into()))?;
    row.try_get("", "version")
}

/// Increments the data version and, on PostgreSQL, notifies the other instances, in one
/// statement inside the caller's transaction. The payload is the caller's: the notice's JSON
/// after its version, to which the database prefixes `{"v":<new version>` (the version is only
/// known in the statement, and one statement spares a round trip on every write).
pub async fn bump_version_and_notify<C: ConnectionTrait>(
    db: &C,
    after_version: &str,
) -> Result<i64, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return bump_version(db).await;
    }
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            "WITH u AS (UPDATE data_version SET version = version + 1 WHERE id = 1 RETURNING version) \
             SELECT version, pg_notify($1, '{\"v\":' || version || $2) FROM u",
            [CHANGES_CHANNEL.into(), after_version.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("data_version".into()))?;
    row.try_get("", "version")
}

/// Takes the data version's row lock in the caller's transaction without moving it, as
/// `bump_version` does: writers that must be ordered with every commit take it first. On
/// SQLite the write transaction (`begin_write`) holds the database's one write lock already.
pub async fn lock_version<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT version FROM data_version WHERE id = 1 FOR UPDATE",
        ))
        .await?;
    }
    Ok(())
}

/// The same pool without the statement counter: for the background work (the change feed's
/// reads, the day's events), which is no request's work.
pub fn uncounted(db: &DatabaseConnection) -> DatabaseConnection {
    match db.get_database_backend() {
        DbBackend::Postgres => sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(
            db.get_postgres_connection_pool().clone(),
        ),
        _ => sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(
            db.get_sqlite_connection_pool().clone(),
        ),
    }
}

/// The committed data version.
pub async fn data_version<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM data_version WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("data_version".into()))?;
    row.try_get("", "version")
}

/// The committed data version, read past the statement counter: the periodic background check
/// is not a statement of any request (the counter and its metric are about requests' work).
pub async fn data_version_background(db: &DatabaseConnection) -> Result<i64, DbErr> {
    use sea_orm::sqlx;
    const Q: &str = "SELECT version FROM data_version WHERE id = 1";
    let r = match db.get_database_backend() {
        DbBackend::Postgres => {
            sqlx::query_scalar::<_, i64>(Q)
                .fetch_one(db.get_postgres_connection_pool())
                .await
        }
        _ => {
            sqlx::query_scalar::<_, i64>(Q)
                .fetch_one(db.get_sqlite_connection_pool())
                .await
        }
    };
    r.map_err(|e| DbErr::Query(sea_orm::RuntimeErr::SqlxError(e.into())))
}

/// A consistent copy of the embedded SQLite database in `file`, taken while the service runs
/// (SQLite's `VACUUM INTO`: one read transaction, so writers go on and the copy is what was
/// committed when it began; the copy is compacted and checked with `PRAGMA integrity_check`).
/// The file must not exist. PostgreSQL has its own tools (`pg_dump`, base backups with WAL
/// archiving), and the service keeps nothing outside the database, so nothing more is needed.
/// Returns the copy's size in bytes.
pub async fn backup(db: &DatabaseConnection, file: &std::path::Path) -> anyhow::Result<u64> {
    if !is_sqlite(db) {
        anyhow::bail!(
            "backup kopierer den indbyggede SQLite-database; brug pg_dump eller PostgreSQL's egne sikkerhedskopier (se README, Operations)"
        );
    }
    if file.exists() {
        anyhow::bail!("{} findes allerede; vælg en ny fil", file.display());
    }
    let path = file
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("filnavnet skal være UTF-8"))?;
    // A literal, not a parameter: VACUUM INTO takes an expression, and a quote is doubled.
    db.execute_unprepared(&format!("VACUUM INTO '{}'", path.replace('\'', "''")))
        .await?;
    let copy = sea_orm::Database::connect(format!("sqlite://{path}?mode=ro")).await?;
    let ok = copy
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await?
        .and_then(|r| r.try_get_by_index::<String>(0).ok());
    copy.close().await?;
    if ok.as_deref() != Some("ok") {
        anyhow::bail!(
            "kopien i {} bestod ikke SQLite's integritetstjek",
            file.display()
        );
    }
    Ok(std::fs::metadata(file)?.len())
}
