//! `plejeoverblik copy-data` (issue 22 §2): every table of one database into another (the
//! embedded SQLite default into PostgreSQL, typically), in one transaction on the target, with
//! the row count and a checksum of every table compared afterwards.
//!
//! Rows go through the entities (the same types the service reads and writes), so each value is
//! converted by the driver of each side exactly as the service would; the checksum is SHA-256
//! over the rows in key order as the service reads them back, so it proves that the target
//! gives the service what the source gave it.
use super::entity::*;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryOrder, TransactionTrait,
};
use sea_orm::{Iterable, PrimaryKeyToColumn};
use sha2::{Digest, Sha256};

/// Two tables without entities of their own elsewhere (they are read and written by SQL).
mod extra {
    pub mod data_version {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "data_version")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: i32,
            pub version: i64,
            pub feed_horizon: i64,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub mod change_day {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "change_day")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub day: String,
            pub recorded_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

/// What was copied of one table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableCopy {
    pub table: &'static str,
    pub rows: u64,
    /// SHA-256 of the rows in key order (hex, as read back from the target).
    pub checksum: String,
}

/// Rows per INSERT: well under SQLite's and PostgreSQL's limits on bound parameters for the
/// widest table.
const CHUNK: usize = 500;

/// The tables in an order that satisfies their references; the auto-increment key, if any.
macro_rules! tables {
    ($m:ident) => {
        $m!(kommune, "kommune", None);
        $m!(enhed, "enhed", None);
        $m!(serviceleverance, "serviceleverance", None);
        $m!(serviceleverance_version, "serviceleverance_version", None);
        $m!(audit_log, "audit_log", Some("id"));
        $m!(change_log, "change_log", Some("seq"));
        $m!(public_offer, "public_offer", None);
        $m!(extra::change_day, "change_day", None);
        $m!(extra::data_version, "data_version", None);
        $m!(foto, "foto", None);
        $m!(tilsyn, "tilsyn", None);
        $m!(sanktion, "sanktion", None);
        $m!(tilsyn_omraade, "tilsyn_omraade", None);
        $m!(session, "session", None);
        $m!(login_attempt, "login_attempt", None);
    };
}

/// The rows of a table as the service reads them, in key order.
async fn rows<E: EntityTrait, C: ConnectionTrait>(db: &C) -> Result<Vec<E::Model>, sea_orm::DbErr> {
    let mut q = E::find();
    for key in E::PrimaryKey::iter() {
        q = q.order_by_asc(key.into_column());
    }
    q.all(db).await
}

fn checksum<M: std::fmt::Debug>(rows: &[M]) -> String {
    let mut h = Sha256::new();
    for r in rows {
        h.update(format!("{r:?}\n").as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The tables of the target that hold anything a service wrote (the kommuner, the data
/// version and the recorded days are filled by the migrations and the start of any service:
/// not counted).
pub async fn written_tables(db: &DatabaseConnection) -> anyhow::Result<Vec<(&'static str, u64)>> {
    let mut out = Vec::new();
    macro_rules! count {
        ($($e:ident)::+, $name:literal, $auto:expr) => {
            if !matches!($name, "kommune" | "data_version" | "change_day") {
                let n = $($e)::+::Entity::find().count(db).await?;
                if n > 0 {
                    out.push(($name, n));
                }
            }
        };
    }
    tables!(count);
    Ok(out)
}

/// Copies every table from `from` to `to` in one transaction on `to`, replacing what `to`
/// holds; then reads both again and compares each table's rows and checksum. Both databases
/// must be migrated; the caller decides whether a non-empty target may be replaced.
pub async fn copy_all(
    from: &DatabaseConnection,
    to: &DatabaseConnection,
) -> anyhow::Result<Vec<TableCopy>> {
    let txn = to.begin().await?;
    // Emptied from the last to the first, so that no reference points nowhere on the way
    // (written out: `macro_rules` cannot reverse the list of `tables!`).
    for name in [
        "login_attempt",
        "session",
        "tilsyn_omraade",
        "sanktion",
        "tilsyn",
        "foto",
        "data_version",
        "change_day",
        "public_offer",
        "change_log",
        "audit_log",
        "serviceleverance_version",
        "serviceleverance",
        "enhed",
        "kommune",
    ] {
        txn.execute_unprepared(&format!("DELETE FROM {name}"))
            .await?;
    }
    macro_rules! copy {
        ($($e:ident)::+, $name:literal, $auto:expr) => {{
            let all = rows::<$($e)::+::Entity, _>(from).await?;
            for chunk in all.chunks(CHUNK) {
                $($e)::+::Entity::insert_many(chunk.iter().cloned().map(|m| m.into_active_model()))
                    .exec_without_returning(&txn)
                    .await?;
            }
            // PostgreSQL's sequence behind an auto-increment key continues after the copied rows.
            let auto: Option<&str> = $auto;
            if let (Some(col), DbBackend::Postgres) = (auto, to.get_database_backend()) {
                txn.execute_unprepared(&format!(
                    "SELECT setval(pg_get_serial_sequence('{0}', '{1}'), COALESCE(MAX({1}), 1), MAX({1}) IS NOT NULL) FROM {0}",
                    $name, col
                ))
                .await?;
            }
        }};
    }
    tables!(copy);
    txn.commit().await?;

    let mut out = Vec::new();
    macro_rules! verify {
        ($($e:ident)::+, $name:literal, $auto:expr) => {{
            let (a, b) = (
                rows::<$($e)::+::Entity, _>(from).await?,
                rows::<$($e)::+::Entity, _>(to).await?,
            );
            let (ca, cb) = (checksum(&a), checksum(&b));
            anyhow::ensure!(
                a.len() == b.len() && ca == cb,
                "tabellen {} blev ikke kopieret uændret: {} rækker (sum {}) i kilden, {} (sum {}) i målet",
                $name,
                a.len(),
                &ca[..12],
                b.len(),
                &cb[..12]
            );
            out.push(TableCopy {
                table: $name,
                rows: b.len() as u64,
                checksum: cb,
            });
        }};
    }
    tables!(verify);
    Ok(out)
}
