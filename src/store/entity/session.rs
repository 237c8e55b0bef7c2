use sea_orm::entity::prelude::*;

/// A console session after an OpenID Connect login (issue 22), by the SHA-256 of the cookie's
/// random id: the database never holds the id itself.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "session")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id_hash: String,
    pub subject: String,
    pub name: Option<String>,
    pub cvr: Option<String>,
    /// The roles, space-separated (`Role::as_str`).
    pub roles: String,
    pub csrf: String,
    #[sea_orm(column_type = "Text")]
    pub id_token: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub refresh_token: Option<String>,
    /// When the identity provider's tokens expire: renewed with the refresh token after it.
    pub token_expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    /// The session's absolute end.
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
