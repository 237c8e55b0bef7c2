//! Persistence: sea-orm entities and the queries the domain needs, on SQLite and PostgreSQL.
//! No rules live here; where a query mirrors a rule (the lock condition, R11) it says which.
pub mod audit;
pub mod enhed;
pub mod entity;
pub mod kommune;
pub mod serviceleverance;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
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
/// that concurrent requests wait instead of failing.
pub async fn connect(url: &str, counter: &StatementCounter) -> Result<DatabaseConnection, DbErr> {
    let mut opt = ConnectOptions::new(url.to_string());
    opt.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(3))
        .acquire_timeout(Duration::from_secs(3));
    if url.starts_with("sqlite:") {
        opt.max_connections(8).map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    } else {
        opt.max_connections(16);
    }
    let mut db = Database::connect(opt).await?;
    let c = counter.0.clone();
    db.set_metric_callback(move |_| {
        c.fetch_add(1, Ordering::Relaxed);
    });
    Ok(db)
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
