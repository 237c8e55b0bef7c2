use sea_orm::entity::prelude::*;

/// R31: a photo's bytes, re-encoded, by their SHA-256 (the URL it is served under).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "foto")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub hash: String,
    pub enhed_id: String,
    pub mime: String,
    pub bredde: i32,
    pub hoejde: i32,
    pub data: Vec<u8>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
