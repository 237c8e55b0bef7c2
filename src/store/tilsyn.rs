//! R32: tilsyn, påbud/forbud and the ældretilsyn's areas.
use super::entity::{sanktion, tilsyn, tilsyn_omraade};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

pub use sanktion::Model as Sanktion;
pub use tilsyn::Model as Tilsyn;

pub async fn insert_tilsyn<C: ConnectionTrait>(db: &C, m: Tilsyn) -> Result<Tilsyn, DbErr> {
    let am: tilsyn::ActiveModel = m.clone().into();
    tilsyn::Entity::insert(am)
        .exec_without_returning(db)
        .await?;
    Ok(m)
}

pub async fn insert_sanktion<C: ConnectionTrait>(db: &C, m: Sanktion) -> Result<Sanktion, DbErr> {
    let am: sanktion::ActiveModel = m.clone().into();
    sanktion::Entity::insert(am)
        .exec_without_returning(db)
        .await?;
    Ok(m)
}

pub async fn sanktion_by_id<C: ConnectionTrait>(
    db: &C,
    id: &str,
) -> Result<Option<Sanktion>, DbErr> {
    sanktion::Entity::find_by_id(id.to_string()).one(db).await
}

/// Sets the day a påbud/forbud was lifted (or takes it back with `None`).
pub async fn set_ophaevet<C: ConnectionTrait>(
    db: &C,
    id: &str,
    ophaevet: Option<chrono::NaiveDate>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), DbErr> {
    let am = sanktion::ActiveModel {
        id: Set(id.to_string()),
        ophaevet: Set(ophaevet),
        updated_at: Set(now),
        ..Default::default()
    };
    am.update(db).await.map(|_| ())
}

/// An enhed's tilsyn, latest first (by date, then as registered).
pub async fn tilsyn_of<C: ConnectionTrait>(db: &C, enhed_id: &str) -> Result<Vec<Tilsyn>, DbErr> {
    tilsyn::Entity::find()
        .filter(tilsyn::Column::EnhedId.eq(enhed_id))
        .order_by_desc(tilsyn::Column::Dato)
        .order_by_desc(tilsyn::Column::CreatedAt)
        .order_by_desc(tilsyn::Column::Id)
        .all(db)
        .await
}

/// An enhed's påbud and forbud, latest given first.
pub async fn sanktioner_of<C: ConnectionTrait>(
    db: &C,
    enhed_id: &str,
) -> Result<Vec<Sanktion>, DbErr> {
    sanktion::Entity::find()
        .filter(sanktion::Column::EnhedId.eq(enhed_id))
        .order_by_desc(sanktion::Column::Givet)
        .order_by_desc(sanktion::Column::Id)
        .all(db)
        .await
}

/// Every tilsyn and påbud/forbud (the read model's start), streamed by the caller's order.
pub async fn all_tilsyn<C: ConnectionTrait>(db: &C) -> Result<Vec<Tilsyn>, DbErr> {
    tilsyn::Entity::find()
        .order_by_asc(tilsyn::Column::EnhedId)
        .order_by_desc(tilsyn::Column::Dato)
        .order_by_desc(tilsyn::Column::CreatedAt)
        .order_by_desc(tilsyn::Column::Id)
        .all(db)
        .await
}

pub async fn all_sanktioner<C: ConnectionTrait>(db: &C) -> Result<Vec<Sanktion>, DbErr> {
    sanktion::Entity::find()
        .order_by_asc(sanktion::Column::EnhedId)
        .order_by_desc(sanktion::Column::Givet)
        .order_by_desc(sanktion::Column::Id)
        .all(db)
        .await
}

/// The kommuner (koder) an ældretilsyn covers, sorted.
pub async fn area_of<C: ConnectionTrait>(db: &C, cvr: &str) -> Result<Vec<String>, DbErr> {
    Ok(tilsyn_omraade::Entity::find()
        .filter(tilsyn_omraade::Column::TilsynCvr.eq(cvr))
        .order_by_asc(tilsyn_omraade::Column::KommuneKode)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.kommune_kode)
        .collect())
}

/// Replaces the kommuner an ældretilsyn covers.
pub async fn set_area<C: ConnectionTrait>(
    db: &C,
    cvr: &str,
    koder: &[String],
) -> Result<(), DbErr> {
    tilsyn_omraade::Entity::delete_many()
        .filter(tilsyn_omraade::Column::TilsynCvr.eq(cvr))
        .exec(db)
        .await?;
    if koder.is_empty() {
        return Ok(());
    }
    tilsyn_omraade::Entity::insert_many(koder.iter().map(|k| tilsyn_omraade::ActiveModel {
        tilsyn_cvr: Set(cvr.to_string()),
        kommune_kode: Set(k.clone()),
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}
