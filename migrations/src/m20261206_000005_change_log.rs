//! The change feed (issue 19, R30): a durable, ordered log of changes to the public offers,
//! the feed's own view of which offers are public (what ADDED/UPDATED/REMOVED are decided
//! against), the days whose start and end of offers are recorded, and how far the log has been
//! pruned.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChangeLog {
    Table,
    Seq,
    RecordedAt,
    Kind,
    KommuneKode,
    ServiceleveranceId,
    EnhedId,
    EnhedKind,
    EffectiveDay,
}

#[derive(DeriveIden)]
enum PublicOffer {
    Table,
    ServiceleveranceId,
    KommuneKode,
    EnhedId,
    EnhedKind,
}

#[derive(DeriveIden)]
enum ChangeDay {
    Table,
    Day,
    RecordedAt,
}

#[derive(DeriveIden)]
enum DataVersion {
    Table,
    FeedHorizon,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ChangeLog::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(ChangeLog::Seq)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(ChangeLog::RecordedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(ChangeLog::Kind).string().not_null())
                .col(ColumnDef::new(ChangeLog::KommuneKode).string().not_null())
                .col(
                    ColumnDef::new(ChangeLog::ServiceleveranceId)
                        .string()
                        .not_null(),
                )
                .col(ColumnDef::new(ChangeLog::EnhedId).string().null())
                .col(ColumnDef::new(ChangeLog::EnhedKind).string().null())
                .col(ColumnDef::new(ChangeLog::EffectiveDay).date().not_null())
                .to_owned(),
        )
        .await?;
        // A kommune's feed in order.
        m.create_index(
            Index::create()
                .name("change_log_kommune_seq")
                .table(ChangeLog::Table)
                .col(ChangeLog::KommuneKode)
                .col(ChangeLog::Seq)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        // Retention prunes by age.
        m.create_index(
            Index::create()
                .name("change_log_recorded_at")
                .table(ChangeLog::Table)
                .col(ChangeLog::RecordedAt)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PublicOffer::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(PublicOffer::ServiceleveranceId)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(PublicOffer::KommuneKode).string().not_null())
                .col(ColumnDef::new(PublicOffer::EnhedId).string().null())
                .col(ColumnDef::new(PublicOffer::EnhedKind).string().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("public_offer_enhed")
                .table(PublicOffer::Table)
                .col(PublicOffer::EnhedId)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ChangeDay::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(ChangeDay::Day)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(ChangeDay::RecordedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(DataVersion::Table)
                .add_column(
                    ColumnDef::new(DataVersion::FeedHorizon)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(DataVersion::Table)
                .drop_column(DataVersion::FeedHorizon)
                .to_owned(),
        )
        .await?;
        for t in [
            ChangeLog::Table.into_iden(),
            PublicOffer::Table.into_iden(),
            ChangeDay::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
