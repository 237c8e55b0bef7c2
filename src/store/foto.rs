//! R31: photos' bytes by their key (see `service::foto`).
use super::entity::foto;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

pub use foto::Model as Foto;

/// Stores a photo; the same key again (the same bytes for the same enhed) is left as it is.
pub async fn insert<C: ConnectionTrait>(db: &C, m: Foto) -> Result<(), DbErr> {
    if foto::Entity::find_by_id(m.hash.clone())
        .one(db)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let am: foto::ActiveModel = m.into();
    foto::Entity::insert(am).exec_without_returning(db).await?;
    Ok(())
}

pub async fn by_hash<C: ConnectionTrait>(db: &C, hash: &str) -> Result<Option<Foto>, DbErr> {
    foto::Entity::find_by_id(hash.to_string()).one(db).await
}

/// Deletes the photos of the enhed with these keys (those it no longer shows).
pub async fn delete<C: ConnectionTrait>(
    db: &C,
    enhed_id: &str,
    hashes: &[String],
) -> Result<(), DbErr> {
    if hashes.is_empty() {
        return Ok(());
    }
    foto::Entity::delete_many()
        .filter(foto::Column::EnhedId.eq(enhed_id))
        .filter(foto::Column::Hash.is_in(hashes.iter().cloned()))
        .exec(db)
        .await?;
    Ok(())
}
