//! Database migrations for Plejeoverblik. The same migrations run on SQLite and PostgreSQL.
pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_tables;
mod m20261125_000002_search_covering_index;
mod m20261126_000003_revision_lock_owner_sort_key;
mod m20261126_000004_data_version;
mod m20261206_000005_change_log;
mod m20261207_000006_enhed_find_key;
mod m20261207_000007_profil_foto_tilsyn;
mod m20261207_000008_login_session;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_tables::Migration),
            Box::new(m20261125_000002_search_covering_index::Migration),
            Box::new(m20261126_000003_revision_lock_owner_sort_key::Migration),
            Box::new(m20261126_000004_data_version::Migration),
            Box::new(m20261206_000005_change_log::Migration),
            Box::new(m20261207_000006_enhed_find_key::Migration),
            Box::new(m20261207_000007_profil_foto_tilsyn::Migration),
            Box::new(m20261207_000008_login_session::Migration),
        ]
    }
}
