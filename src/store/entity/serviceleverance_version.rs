use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "serviceleverance_version")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub serviceleverance_id: String,
    pub nummer: i32,
    pub author_subject: String,
    pub author_name: Option<String>,
    pub created_at: DateTimeUtc,
    pub kommentar: Option<String>,
    pub snapshot: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
