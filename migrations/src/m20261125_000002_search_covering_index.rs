//! A covering index for the public search (R20, R6): every column the candidates query filters
//! on or reads from serviceleverance, so both databases can answer from the index alone.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Serviceleverance {
    Table,
    Id,
    AftalepartKode,
    EnhedId,
    HasErrors,
    DeletedAt,
    Startdato,
    Slutdato,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("ix_sl_public")
                .table(Serviceleverance::Table)
                .col(Serviceleverance::AftalepartKode)
                .col(Serviceleverance::HasErrors)
                .col(Serviceleverance::Startdato)
                .col(Serviceleverance::Slutdato)
                .col(Serviceleverance::DeletedAt)
                .col(Serviceleverance::EnhedId)
                .col(Serviceleverance::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_sl_public")
                .table(Serviceleverance::Table)
                .to_owned(),
        )
        .await
    }
}
