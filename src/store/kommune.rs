//! Kommuner: reference data shipped in `data/`, loaded on start; CVR changes by administrators.
use super::entity::kommune;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

pub use kommune::Model as Kommune;

/// One row of `data/kommuner.csv`.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct KommuneRow {
    pub kode: String,
    pub navn: String,
    pub region: String,
    pub regionskode: String,
    pub lat: f64,
    pub lon: f64,
    pub cvr: String,
}

pub const KOMMUNER_CSV: &str = include_str!("../../data/kommuner.csv");
pub const KOMMUNER_GEOJSON: &str = include_str!("../../data/kommuner.geojson");
/// The postnumre and their points (GeoNames, CC BY 4.0; `data/postnumre.SOURCES.md`).
pub const POSTNUMRE_CSV: &str = include_str!("../../data/postnumre.csv");

/// The shipped postnumre as places to search from.
pub fn steder() -> anyhow::Result<Vec<crate::domain::sted::Sted>> {
    #[derive(serde::Deserialize)]
    struct Row {
        postnummer: String,
        navn: String,
        lat: f64,
        lon: f64,
    }
    let mut out = Vec::new();
    for r in csv::Reader::from_reader(POSTNUMRE_CSV.as_bytes()).deserialize::<Row>() {
        let r = r?;
        let punkt = crate::domain::geo::LatLon::new(r.lat, r.lon)
            .ok_or_else(|| anyhow::anyhow!("postnummer {} har et ugyldigt punkt", r.postnummer))?;
        out.push(crate::domain::sted::Sted {
            postnummer: r.postnummer,
            navn: r.navn,
            punkt,
        });
    }
    Ok(out)
}

pub fn reference_rows() -> Result<Vec<KommuneRow>, csv::Error> {
    csv::Reader::from_reader(KOMMUNER_CSV.as_bytes())
        .deserialize()
        .collect()
}

/// Inserts the kommuner that are missing (an administrator's CVR changes are kept).
pub async fn ensure_reference(db: &DatabaseConnection) -> anyhow::Result<usize> {
    let rows = reference_rows()?;
    let existing: std::collections::HashSet<String> = kommune::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|k| k.kode)
        .collect();
    let boundaries = boundaries_by_kode()?;
    let mut added = 0;
    for r in rows.into_iter().filter(|r| !existing.contains(&r.kode)) {
        kommune::ActiveModel {
            navn_soeg: Set(crate::domain::text::fold(&r.navn)),
            boundary: Set(boundaries.get(&r.kode).cloned()),
            kode: Set(r.kode),
            navn: Set(r.navn),
            region: Set(r.region),
            regionskode: Set(r.regionskode),
            cvr: Set(r.cvr),
            lat: Set(r.lat),
            lon: Set(r.lon),
        }
        .insert(db)
        .await?;
        added += 1;
    }
    Ok(added)
}

/// Each kommune's boundary geometry as GeoJSON text.
fn boundaries_by_kode() -> anyhow::Result<std::collections::HashMap<String, String>> {
    let v: serde_json::Value = serde_json::from_str(KOMMUNER_GEOJSON)?;
    let mut out = std::collections::HashMap::new();
    for f in v["features"].as_array().into_iter().flatten() {
        if let Some(k) = f["properties"]["kode"].as_str() {
            out.insert(k.to_string(), f["geometry"].to_string());
        }
    }
    Ok(out)
}

pub async fn all(db: &DatabaseConnection) -> Result<Vec<Kommune>, DbErr> {
    kommune::Entity::find()
        .order_by_asc(kommune::Column::Kode)
        .all(db)
        .await
}

pub async fn by_kode<C: sea_orm::ConnectionTrait>(
    db: &C,
    kode: &str,
) -> Result<Option<Kommune>, DbErr> {
    kommune::Entity::find_by_id(kode.to_string()).one(db).await
}

pub async fn by_kodes(db: &DatabaseConnection, kodes: &[String]) -> Result<Vec<Kommune>, DbErr> {
    kommune::Entity::find()
        .filter(kommune::Column::Kode.is_in(kodes.iter().cloned()))
        .all(db)
        .await
}

pub async fn by_cvr(db: &DatabaseConnection, cvr: &str) -> Result<Option<Kommune>, DbErr> {
    kommune::Entity::find()
        .filter(kommune::Column::Cvr.eq(cvr))
        .one(db)
        .await
}

/// Sets a kommune's CVR; `None` when there is no such kommune. The UPDATE comes first: in a
/// transaction on SQLite a read before the first write would make the write fail at once with
/// SQLITE_BUSY when another writer holds the lock (a reader cannot wait to become a writer),
/// where a write first waits for the lock like every other write.
pub async fn set_cvr<C: sea_orm::ConnectionTrait>(
    db: &C,
    kode: &str,
    cvr: &str,
) -> Result<Option<Kommune>, DbErr> {
    let r = kommune::Entity::update_many()
        .col_expr(kommune::Column::Cvr, Expr::value(cvr))
        .filter(kommune::Column::Kode.eq(kode))
        .exec(db)
        .await?;
    if r.rows_affected == 0 {
        return Ok(None);
    }
    by_kode(db, kode).await
}
