use sea_orm::entity::prelude::*;

/// R32: a påbud or forbud given by an ældretilsyn, in force from `givet` until `ophaevet`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "sanktion")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub enhed_id: String,
    pub kind: String,
    pub tekst: String,
    pub givet: Date,
    pub ophaevet: Option<Date>,
    pub tilsyn_cvr: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
