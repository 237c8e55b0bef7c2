use sea_orm::entity::prelude::*;

/// R32: one tilsyn registered by an ældretilsyn (the history is every row; the latest by date
/// is public).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "tilsyn")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub enhed_id: String,
    pub dato: Date,
    pub vurdering: String,
    pub sammenfatning: String,
    pub rapport_url: Option<String>,
    pub tilsyn_cvr: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
