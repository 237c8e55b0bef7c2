//! Kommuner, enheder (R17), serviceleverancer (R1, R2, locks R11-R14, soft delete R8),
//! versions (R13) and the audit log (R16), with the indexes the public search and the
//! look-ups need.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Kommune {
    Table,
    Kode,
    Navn,
    NavnSoeg,
    Region,
    Regionskode,
    Cvr,
    Lat,
    Lon,
    Boundary,
}

#[derive(DeriveIden)]
enum Enhed {
    Table,
    Id,
    Kind,
    Navn,
    NavnSoeg,
    EjerCvr,
    SorKode,
    Vejnavn,
    Postnummer,
    By,
    Lat,
    Lon,
    KommuneKode,
    Beskrivelse,
    Telefon,
    Email,
    Web,
    Boligtype,
    AntalBoliger,
    Demo,
    LockSubject,
    LockName,
    LockSince,
    LockExpiresMs,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Serviceleverance {
    Table,
    Id,
    AftalepartKode,
    EnhedId,
    Navn,
    Soeg,
    Aftaleidentifikation,
    Type,
    Beskrivelse,
    Startdato,
    Slutdato,
    HasErrors,
    Version,
    LockSubject,
    LockName,
    LockSince,
    LockExpiresMs,
    DeletedAt,
    DeletedBy,
    CreatedBy,
    CreatedAt,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ServiceleveranceVersion {
    Table,
    Id,
    ServiceleveranceId,
    Nummer,
    AuthorSubject,
    AuthorName,
    CreatedAt,
    Kommentar,
    Snapshot,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorSubject,
    ActorName,
    ActorCvr,
    ActorRoles,
    Action,
    EntityType,
    EntityId,
    Before,
    After,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Kommune::Table)
                .col(ColumnDef::new(Kommune::Kode).string_len(4).not_null().primary_key())
                .col(ColumnDef::new(Kommune::Navn).string().not_null())
                .col(ColumnDef::new(Kommune::NavnSoeg).string().not_null())
                .col(ColumnDef::new(Kommune::Region).string().not_null())
                .col(ColumnDef::new(Kommune::Regionskode).string_len(4).not_null())
                .col(ColumnDef::new(Kommune::Cvr).string_len(8).not_null())
                .col(ColumnDef::new(Kommune::Lat).double().not_null())
                .col(ColumnDef::new(Kommune::Lon).double().not_null())
                .col(ColumnDef::new(Kommune::Boundary).text().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_kommune_cvr")
                .table(Kommune::Table)
                .col(Kommune::Cvr)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_kommune_navn_soeg")
                .table(Kommune::Table)
                .col(Kommune::NavnSoeg)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Enhed::Table)
                .col(ColumnDef::new(Enhed::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(Enhed::Kind).string_len(20).not_null())
                .col(ColumnDef::new(Enhed::Navn).string().not_null())
                .col(ColumnDef::new(Enhed::NavnSoeg).string().not_null())
                .col(ColumnDef::new(Enhed::EjerCvr).string_len(8).not_null())
                .col(ColumnDef::new(Enhed::SorKode).string().null())
                .col(ColumnDef::new(Enhed::Vejnavn).string().null())
                .col(ColumnDef::new(Enhed::Postnummer).string().null())
                .col(ColumnDef::new(Enhed::By).string().null())
                .col(ColumnDef::new(Enhed::Lat).double().null())
                .col(ColumnDef::new(Enhed::Lon).double().null())
                .col(ColumnDef::new(Enhed::KommuneKode).string_len(4).null())
                .col(ColumnDef::new(Enhed::Beskrivelse).text().null())
                .col(ColumnDef::new(Enhed::Telefon).string().null())
                .col(ColumnDef::new(Enhed::Email).string().null())
                .col(ColumnDef::new(Enhed::Web).string().null())
                .col(ColumnDef::new(Enhed::Boligtype).string_len(20).null())
                .col(ColumnDef::new(Enhed::AntalBoliger).integer().null())
                .col(ColumnDef::new(Enhed::Demo).boolean().not_null().default(false))
                .col(ColumnDef::new(Enhed::LockSubject).string().null())
                .col(ColumnDef::new(Enhed::LockName).string().null())
                .col(ColumnDef::new(Enhed::LockSince).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Enhed::LockExpiresMs).big_integer().null())
                .col(ColumnDef::new(Enhed::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Enhed::UpdatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_enhed_kommune")
                        .from(Enhed::Table, Enhed::KommuneKode)
                        .to(Kommune::Table, Kommune::Kode),
                )
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("ix_enhed_navn_soeg", Enhed::NavnSoeg),
            ("ix_enhed_ejer_cvr", Enhed::EjerCvr),
            ("ix_enhed_kommune_kode", Enhed::KommuneKode),
        ] {
            m.create_index(Index::create().name(name).table(Enhed::Table).col(col).to_owned())
                .await?;
        }

        m.create_table(
            Table::create()
                .table(Serviceleverance::Table)
                .col(ColumnDef::new(Serviceleverance::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(Serviceleverance::AftalepartKode).string_len(4).not_null())
                .col(ColumnDef::new(Serviceleverance::EnhedId).string_len(36).null())
                .col(ColumnDef::new(Serviceleverance::Navn).string_len(200).not_null())
                .col(ColumnDef::new(Serviceleverance::Soeg).string().not_null())
                .col(ColumnDef::new(Serviceleverance::Aftaleidentifikation).string().null())
                .col(ColumnDef::new(Serviceleverance::Type).string_len(24).null())
                .col(ColumnDef::new(Serviceleverance::Beskrivelse).text().null())
                .col(ColumnDef::new(Serviceleverance::Startdato).date().null())
                .col(ColumnDef::new(Serviceleverance::Slutdato).date().null())
                .col(ColumnDef::new(Serviceleverance::HasErrors).boolean().not_null().default(true))
                .col(ColumnDef::new(Serviceleverance::Version).integer().not_null().default(1))
                .col(ColumnDef::new(Serviceleverance::LockSubject).string().null())
                .col(ColumnDef::new(Serviceleverance::LockName).string().null())
                .col(ColumnDef::new(Serviceleverance::LockSince).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Serviceleverance::LockExpiresMs).big_integer().null())
                .col(ColumnDef::new(Serviceleverance::DeletedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Serviceleverance::DeletedBy).string().null())
                .col(ColumnDef::new(Serviceleverance::CreatedBy).string().not_null())
                .col(ColumnDef::new(Serviceleverance::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Serviceleverance::UpdatedBy).string().not_null())
                .col(ColumnDef::new(Serviceleverance::UpdatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_sl_aftalepart")
                        .from(Serviceleverance::Table, Serviceleverance::AftalepartKode)
                        .to(Kommune::Table, Kommune::Kode),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_sl_enhed")
                        .from(Serviceleverance::Table, Serviceleverance::EnhedId)
                        .to(Enhed::Table, Enhed::Id),
                )
                .to_owned(),
        )
        .await?;
        // The public search: agreements of one kommune active on a day.
        m.create_index(
            Index::create()
                .name("ix_sl_search")
                .table(Serviceleverance::Table)
                .col(Serviceleverance::AftalepartKode)
                .col(Serviceleverance::Startdato)
                .col(Serviceleverance::Slutdato)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sl_enhed")
                .table(Serviceleverance::Table)
                .col(Serviceleverance::EnhedId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ServiceleveranceVersion::Table)
                .col(ColumnDef::new(ServiceleveranceVersion::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(ServiceleveranceVersion::ServiceleveranceId).string_len(36).not_null())
                .col(ColumnDef::new(ServiceleveranceVersion::Nummer).integer().not_null())
                .col(ColumnDef::new(ServiceleveranceVersion::AuthorSubject).string().not_null())
                .col(ColumnDef::new(ServiceleveranceVersion::AuthorName).string().null())
                .col(ColumnDef::new(ServiceleveranceVersion::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(ServiceleveranceVersion::Kommentar).text().null())
                .col(ColumnDef::new(ServiceleveranceVersion::Snapshot).text().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_version_sl")
                        .from(ServiceleveranceVersion::Table, ServiceleveranceVersion::ServiceleveranceId)
                        .to(Serviceleverance::Table, Serviceleverance::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_version_sl_nummer")
                .table(ServiceleveranceVersion::Table)
                .col(ServiceleveranceVersion::ServiceleveranceId)
                .col(ServiceleveranceVersion::Nummer)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(
                    ColumnDef::new(AuditLog::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(AuditLog::At).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(AuditLog::ActorSubject).string().not_null())
                .col(ColumnDef::new(AuditLog::ActorName).string().null())
                .col(ColumnDef::new(AuditLog::ActorCvr).string().null())
                .col(ColumnDef::new(AuditLog::ActorRoles).string().not_null())
                .col(ColumnDef::new(AuditLog::Action).string().not_null())
                .col(ColumnDef::new(AuditLog::EntityType).string().not_null())
                .col(ColumnDef::new(AuditLog::EntityId).string().not_null())
                .col(ColumnDef::new(AuditLog::Before).text().null())
                .col(ColumnDef::new(AuditLog::After).text().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_audit_entity")
                .table(AuditLog::Table)
                .col(AuditLog::EntityType)
                .col(AuditLog::EntityId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_audit_actor")
                .table(AuditLog::Table)
                .col(AuditLog::ActorSubject)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            AuditLog::Table.into_iden(),
            ServiceleveranceVersion::Table.into_iden(),
            Serviceleverance::Table.into_iden(),
            Enhed::Table.into_iden(),
            Kommune::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
