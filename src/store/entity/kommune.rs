use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "kommune")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kode: String,
    pub navn: String,
    pub navn_soeg: String,
    pub region: String,
    pub regionskode: String,
    pub cvr: String,
    pub lat: f64,
    pub lon: f64,
    pub boundary: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
