use sea_orm::entity::prelude::*;
use sea_orm::FromJsonQueryResult;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "enhed")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub kind: String,
    pub navn: String,
    pub navn_soeg: String,
    pub ejer_cvr: String,
    pub sor_kode: Option<String>,
    pub vejnavn: Option<String>,
    pub postnummer: Option<String>,
    pub by: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub kommune_kode: Option<String>,
    pub beskrivelse: Option<String>,
    pub telefon: Option<String>,
    pub email: Option<String>,
    pub web: Option<String>,
    pub boligtype: Option<String>,
    pub antal_boliger: Option<i32>,
    pub demo: bool,
    pub lock_subject: Option<String>,
    pub lock_name: Option<String>,
    pub lock_since: Option<DateTimeUtc>,
    pub lock_expires_ms: Option<i64>,
    pub revision: i64,
    pub lock_cvr: Option<String>,
    pub lock_roles: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The search key of R18's form search (see `store::enhed::find_key`); skipped in the audit.
    #[serde(skip)]
    pub find_key: String,
    /// R31: the profile, one JSON document (`domain::profil::Profil`).
    #[sea_orm(column_type = "Json")]
    pub profil: ProfilJson,
}

/// The profile as the column holds it: the domain's type, stored as JSON on both databases.
#[derive(
    Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize, FromJsonQueryResult,
)]
#[serde(transparent)]
pub struct ProfilJson(pub crate::domain::profil::Profil);

impl std::ops::Deref for ProfilJson {
    type Target = crate::domain::profil::Profil;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
