use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "change_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub recorded_at: DateTimeUtc,
    pub kind: String,
    pub kommune_kode: String,
    pub serviceleverance_id: String,
    pub enhed_id: Option<String>,
    pub enhed_kind: Option<String>,
    pub effective_day: Date,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
