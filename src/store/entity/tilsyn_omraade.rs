use sea_orm::entity::prelude::*;

/// R32: a kommune an ældretilsyn (by CVR) covers, as the administrator assigned it.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tilsyn_omraade")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tilsyn_cvr: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kommune_kode: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
