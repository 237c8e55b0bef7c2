use sea_orm::entity::prelude::*;

/// The change feed's view of an offer that is public (what its next event is decided against).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "public_offer")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub serviceleverance_id: String,
    pub kommune_kode: String,
    pub enhed_id: Option<String>,
    pub enhed_kind: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
