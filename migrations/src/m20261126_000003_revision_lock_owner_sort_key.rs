//! Optimistic concurrency and lock take-over (issue 9): a `revision` that every committed
//! change increments, the lock holder's organisation (CVR) and roles, and a Danish sort key for
//! the admin lists (R24's collation, kept by the application on every write).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Serviceleverance {
    Table,
    Revision,
    LockCvr,
    LockRoles,
    SortKey,
}

#[derive(DeriveIden)]
enum Enhed {
    Table,
    Revision,
    LockCvr,
    LockRoles,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        let sl = |c: ColumnDef| {
            Table::alter()
                .table(Serviceleverance::Table)
                .add_column(c)
                .to_owned()
        };
        let en = |c: ColumnDef| Table::alter().table(Enhed::Table).add_column(c).to_owned();
        for t in [
            sl(ColumnDef::new(Serviceleverance::Revision)
                .big_integer()
                .not_null()
                .default(1)
                .to_owned()),
            sl(ColumnDef::new(Serviceleverance::LockCvr)
                .string()
                .null()
                .to_owned()),
            sl(ColumnDef::new(Serviceleverance::LockRoles)
                .string()
                .null()
                .to_owned()),
            sl(ColumnDef::new(Serviceleverance::SortKey)
                .string()
                .not_null()
                .default("")
                .to_owned()),
            en(ColumnDef::new(Enhed::Revision)
                .big_integer()
                .not_null()
                .default(1)
                .to_owned()),
            en(ColumnDef::new(Enhed::LockCvr).string().null().to_owned()),
            en(ColumnDef::new(Enhed::LockRoles).string().null().to_owned()),
        ] {
            m.alter_table(t).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let sl = |c: Serviceleverance| {
            Table::alter()
                .table(Serviceleverance::Table)
                .drop_column(c)
                .to_owned()
        };
        let en = |c: Enhed| Table::alter().table(Enhed::Table).drop_column(c).to_owned();
        for t in [
            sl(Serviceleverance::Revision),
            sl(Serviceleverance::LockCvr),
            sl(Serviceleverance::LockRoles),
            sl(Serviceleverance::SortKey),
            en(Enhed::Revision),
            en(Enhed::LockCvr),
            en(Enhed::LockRoles),
        ] {
            m.alter_table(t).await?;
        }
        Ok(())
    }
}
