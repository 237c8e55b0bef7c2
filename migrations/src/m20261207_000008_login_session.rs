//! Issue 22: staff log in through the identity provider (OpenID Connect, backend-for-frontend).
//! A login under way (its `state`, `nonce` and PKCE verifier until the callback) and a session
//! (what the browser's cookie names) live in the database, so any instance answers the callback
//! and the console's next request, and *Log ud* ends a session everywhere at once.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LoginAttempt {
    Table,
    StateHash,
    Nonce,
    Verifier,
    ReturnTo,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    IdHash,
    Subject,
    Name,
    Cvr,
    Roles,
    Csrf,
    IdToken,
    RefreshToken,
    TokenExpiresAt,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(LoginAttempt::Table)
                .col(
                    ColumnDef::new(LoginAttempt::StateHash)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(LoginAttempt::Nonce).string().not_null())
                .col(ColumnDef::new(LoginAttempt::Verifier).string().not_null())
                .col(ColumnDef::new(LoginAttempt::ReturnTo).string().not_null())
                .col(
                    ColumnDef::new(LoginAttempt::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Session::Table)
                .col(
                    ColumnDef::new(Session::IdHash)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Session::Subject).string().not_null())
                .col(ColumnDef::new(Session::Name).string())
                .col(ColumnDef::new(Session::Cvr).string())
                .col(ColumnDef::new(Session::Roles).string().not_null())
                .col(ColumnDef::new(Session::Csrf).string().not_null())
                .col(ColumnDef::new(Session::IdToken).text().not_null())
                .col(ColumnDef::new(Session::RefreshToken).text())
                .col(
                    ColumnDef::new(Session::TokenExpiresAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Session::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Session::LastSeenAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Session::ExpiresAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Session::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(LoginAttempt::Table).to_owned())
            .await
    }
}
