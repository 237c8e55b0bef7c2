//! Issue 21: the enhed's profile (R31) as one JSON document on the enhed, its photos by content
//! hash, and the ældretilsyn's registrations (R32): tilsyn, påbud/forbud and which kommuner
//! each ældretilsyn covers.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Enhed {
    Table,
    Profil,
}

#[derive(DeriveIden)]
enum Foto {
    Table,
    Hash,
    EnhedId,
    Mime,
    Bredde,
    Hoejde,
    Data,
    CreatedAt,
}

// The column names are the table's (tilsyn_cvr), not a repetition by choice.
#[allow(clippy::enum_variant_names)]
#[derive(DeriveIden)]
enum Tilsyn {
    Table,
    Id,
    EnhedId,
    Dato,
    Vurdering,
    Sammenfatning,
    RapportUrl,
    TilsynCvr,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sanktion {
    Table,
    Id,
    EnhedId,
    Kind,
    Tekst,
    Givet,
    Ophaevet,
    TilsynCvr,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TilsynOmraade {
    Table,
    TilsynCvr,
    KommuneKode,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Enhed::Table)
                .add_column(
                    ColumnDef::new(Enhed::Profil)
                        .json()
                        .not_null()
                        .default("{}")
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Foto::Table)
                .if_not_exists()
                .col(ColumnDef::new(Foto::Hash).string().not_null().primary_key())
                .col(ColumnDef::new(Foto::EnhedId).string().not_null())
                .col(ColumnDef::new(Foto::Mime).string().not_null())
                .col(ColumnDef::new(Foto::Bredde).integer().not_null())
                .col(ColumnDef::new(Foto::Hoejde).integer().not_null())
                .col(ColumnDef::new(Foto::Data).blob().not_null())
                .col(
                    ColumnDef::new(Foto::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Tilsyn::Table)
                .if_not_exists()
                .col(ColumnDef::new(Tilsyn::Id).string().not_null().primary_key())
                .col(ColumnDef::new(Tilsyn::EnhedId).string().not_null())
                .col(ColumnDef::new(Tilsyn::Dato).date().not_null())
                .col(ColumnDef::new(Tilsyn::Vurdering).string().not_null())
                .col(ColumnDef::new(Tilsyn::Sammenfatning).text().not_null())
                .col(ColumnDef::new(Tilsyn::RapportUrl).string())
                .col(ColumnDef::new(Tilsyn::TilsynCvr).string().not_null())
                .col(ColumnDef::new(Tilsyn::CreatedBy).string().not_null())
                .col(
                    ColumnDef::new(Tilsyn::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_tilsyn_enhed")
                .table(Tilsyn::Table)
                .col(Tilsyn::EnhedId)
                .col(Tilsyn::Dato)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Sanktion::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(Sanktion::Id)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Sanktion::EnhedId).string().not_null())
                .col(ColumnDef::new(Sanktion::Kind).string().not_null())
                .col(ColumnDef::new(Sanktion::Tekst).text().not_null())
                .col(ColumnDef::new(Sanktion::Givet).date().not_null())
                .col(ColumnDef::new(Sanktion::Ophaevet).date())
                .col(ColumnDef::new(Sanktion::TilsynCvr).string().not_null())
                .col(ColumnDef::new(Sanktion::CreatedBy).string().not_null())
                .col(
                    ColumnDef::new(Sanktion::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Sanktion::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_sanktion_enhed")
                .table(Sanktion::Table)
                .col(Sanktion::EnhedId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TilsynOmraade::Table)
                .if_not_exists()
                .col(ColumnDef::new(TilsynOmraade::TilsynCvr).string().not_null())
                .col(
                    ColumnDef::new(TilsynOmraade::KommuneKode)
                        .string()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(TilsynOmraade::TilsynCvr)
                        .col(TilsynOmraade::KommuneKode),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            TilsynOmraade::Table.into_iden(),
            Sanktion::Table.into_iden(),
            Tilsyn::Table.into_iden(),
            Foto::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table(Enhed::Table)
                .drop_column(Enhed::Profil)
                .to_owned(),
        )
        .await
    }
}
