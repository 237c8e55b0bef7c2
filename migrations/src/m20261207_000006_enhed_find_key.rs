//! The agreement form's enhed search (issue 20, defect 4): a key of the enhed's name, street,
//! postnummer and town in the loose spelling (`domain::text::loose`: no Danish letters, no
//! full stops), so that each word typed, in any order, can be found with a plain `LIKE` on both
//! databases. Kept by the store on every write; rows from before are filled at start.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Enhed {
    Table,
    FindKey,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Enhed::Table)
                .add_column(
                    ColumnDef::new(Enhed::FindKey)
                        .string()
                        .not_null()
                        .default("")
                        .to_owned(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Enhed::Table)
                .drop_column(Enhed::FindKey)
                .to_owned(),
        )
        .await
    }
}
