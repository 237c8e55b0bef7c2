use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "serviceleverance")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub aftalepart_kode: String,
    pub enhed_id: Option<String>,
    pub navn: String,
    pub soeg: String,
    pub aftaleidentifikation: Option<String>,
    #[sea_orm(column_name = "type")]
    pub r#type: Option<String>,
    pub beskrivelse: Option<String>,
    pub startdato: Option<Date>,
    pub slutdato: Option<Date>,
    pub has_errors: bool,
    pub version: i32,
    pub lock_subject: Option<String>,
    pub lock_name: Option<String>,
    pub lock_since: Option<DateTimeUtc>,
    pub lock_expires_ms: Option<i64>,
    pub revision: i64,
    pub lock_cvr: Option<String>,
    pub lock_roles: Option<String>,
    pub sort_key: String,
    pub deleted_at: Option<DateTimeUtc>,
    pub deleted_by: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_by: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
