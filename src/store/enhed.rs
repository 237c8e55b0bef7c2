//! Enheder (R17): look-ups, the agreement form's search (R18), and writes by admin/import.
use super::entity::enhed;
use crate::domain::text::escape_like;
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

pub use enhed::Model as Enhed;

/// A new enhed with only its id and times set; callers fill in the rest with struct update.
pub fn blank(id: String, now: chrono::DateTime<chrono::Utc>) -> Enhed {
    Enhed {
        id,
        kind: String::new(),
        navn: String::new(),
        navn_soeg: String::new(),
        ejer_cvr: String::new(),
        sor_kode: None,
        vejnavn: None,
        postnummer: None,
        by: None,
        lat: None,
        lon: None,
        kommune_kode: None,
        beskrivelse: None,
        telefon: None,
        email: None,
        web: None,
        boligtype: None,
        antal_boliger: None,
        demo: false,
        lock_subject: None,
        lock_name: None,
        lock_since: None,
        lock_expires_ms: None,
        revision: 1,
        lock_cvr: None,
        lock_roles: None,
        created_at: now,
        updated_at: now,
        find_key: String::new(),
        profil: Default::default(),
    }
}

/// What the agreement form's search finds an enhed by: name, street, postnummer and town in the
/// loose spelling, words separated by single spaces (written with every insert and update).
pub fn find_key(m: &Enhed) -> String {
    let parts = [
        Some(m.navn.as_str()),
        m.vejnavn.as_deref(),
        m.postnummer.as_deref(),
        m.by.as_deref(),
    ];
    let text: Vec<&str> = parts.into_iter().flatten().collect();
    format!(
        " {} ",
        crate::domain::text::loose_words(&text.join(" ")).join(" ")
    )
}

pub async fn by_id<C: ConnectionTrait>(db: &C, id: &str) -> Result<Option<Enhed>, DbErr> {
    enhed::Entity::find_by_id(id.to_string()).one(db).await
}

pub async fn by_ids<C: ConnectionTrait>(db: &C, ids: &[String]) -> Result<Vec<Enhed>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    enhed::Entity::find()
        .filter(enhed::Column::Id.is_in(ids.iter().cloned()))
        .all(db)
        .await
}

/// R18: parts of words, case and æ/ae, ø/oe, å/aa insensitive, and (issue 20) every word typed
/// in any order, in the name, street, postnummer or town, with o for ø and without full stops.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    text: &str,
    kind: Option<&str>,
    limit: u64,
) -> Result<Vec<Enhed>, DbErr> {
    let mut q = enhed::Entity::find();
    for w in crate::domain::text::loose_words(text).iter().take(10) {
        let pattern = format!("%{}%", escape_like(w));
        q = q.filter(Expr::col(enhed::Column::FindKey).like(LikeExpr::new(pattern).escape('\\')));
    }
    if let Some(k) = kind {
        q = q.filter(enhed::Column::Kind.eq(k));
    }
    q.order_by_asc(enhed::Column::NavnSoeg)
        .order_by_asc(enhed::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The enheder lying in a kommune, by name (R32: an ældretilsyn's list).
pub async fn in_kommune<C: ConnectionTrait>(
    db: &C,
    kode: &str,
    limit: u64,
    offset: u64,
) -> Result<Vec<Enhed>, DbErr> {
    enhed::Entity::find()
        .filter(enhed::Column::KommuneKode.eq(kode))
        .order_by_asc(enhed::Column::NavnSoeg)
        .order_by_asc(enhed::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await
}

/// Fills the search key of rows written before it existed (once, at start).
pub async fn backfill_find_keys<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    let rows = enhed::Entity::find()
        .filter(enhed::Column::FindKey.eq(""))
        .all(db)
        .await?;
    for r in &rows {
        enhed::Entity::update_many()
            .col_expr(enhed::Column::FindKey, Expr::value(find_key(r)))
            .filter(enhed::Column::Id.eq(&r.id))
            .exec(db)
            .await?;
    }
    Ok(rows.len() as u64)
}

pub async fn count<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    enhed::Entity::find().count(db).await
}

pub async fn by_owner<C: ConnectionTrait>(db: &C, cvr: &str) -> Result<Vec<Enhed>, DbErr> {
    enhed::Entity::find()
        .filter(enhed::Column::EjerCvr.eq(cvr))
        .order_by_asc(enhed::Column::NavnSoeg)
        .limit(500)
        .all(db)
        .await
}

use crate::store::serviceleverance::Actor;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Cond;

pub async fn insert<C: ConnectionTrait>(db: &C, mut m: Enhed) -> Result<Enhed, DbErr> {
    m.find_key = find_key(&m);
    let am: enhed::ActiveModel = m.clone().into();
    enhed::Entity::insert(am).exec_without_returning(db).await?;
    Ok(m)
}

/// An UPDATE of every field of the enhed, with a new revision (the caller adds its conditions).
fn fields_of(m: &Enhed, now: DateTime<Utc>) -> sea_orm::UpdateMany<enhed::Entity> {
    enhed::Entity::update_many()
        .col_expr(enhed::Column::Kind, Expr::value(m.kind.clone()))
        .col_expr(enhed::Column::Navn, Expr::value(m.navn.clone()))
        .col_expr(enhed::Column::NavnSoeg, Expr::value(m.navn_soeg.clone()))
        .col_expr(enhed::Column::FindKey, Expr::value(find_key(m)))
        .col_expr(enhed::Column::EjerCvr, Expr::value(m.ejer_cvr.clone()))
        .col_expr(enhed::Column::SorKode, Expr::value(m.sor_kode.clone()))
        .col_expr(enhed::Column::Vejnavn, Expr::value(m.vejnavn.clone()))
        .col_expr(enhed::Column::Postnummer, Expr::value(m.postnummer.clone()))
        .col_expr(enhed::Column::By, Expr::value(m.by.clone()))
        .col_expr(enhed::Column::Lat, Expr::value(m.lat))
        .col_expr(enhed::Column::Lon, Expr::value(m.lon))
        .col_expr(
            enhed::Column::KommuneKode,
            Expr::value(m.kommune_kode.clone()),
        )
        .col_expr(
            enhed::Column::Beskrivelse,
            Expr::value(m.beskrivelse.clone()),
        )
        .col_expr(enhed::Column::Telefon, Expr::value(m.telefon.clone()))
        .col_expr(enhed::Column::Email, Expr::value(m.email.clone()))
        .col_expr(enhed::Column::Web, Expr::value(m.web.clone()))
        .col_expr(enhed::Column::Boligtype, Expr::value(m.boligtype.clone()))
        .col_expr(enhed::Column::AntalBoliger, Expr::value(m.antal_boliger))
        .col_expr(enhed::Column::Profil, Expr::value(m.profil.clone()))
        .col_expr(enhed::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            enhed::Column::Revision,
            Expr::col(enhed::Column::Revision).add(1),
        )
}

/// Writes the enhed's fields as the lock holder `subject` (R19, one discipline with R12) of
/// the row as read at `revision`, incrementing the revision. Returns false when the lock is not
/// held (any more) or the row changed since it was read; the caller re-reads and re-applies.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    m: &Enhed,
    subject: &str,
    now: DateTime<Utc>,
    revision: i64,
) -> Result<bool, DbErr> {
    let r = fields_of(m, now)
        .filter(enhed::Column::Id.eq(&m.id))
        .filter(enhed::Column::Revision.eq(revision))
        .filter(enhed::Column::LockSubject.eq(subject))
        .filter(enhed::Column::LockExpiresMs.gt(now.timestamp_millis()))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// An import's write (no lock: the import is the administrator's batch job, R19), conditional
/// on the revision it read and on nobody holding a live lock.
pub async fn import_update<C: ConnectionTrait>(
    db: &C,
    m: &Enhed,
    now: DateTime<Utc>,
    revision: i64,
) -> Result<bool, DbErr> {
    let r = fields_of(m, now)
        .filter(enhed::Column::Id.eq(&m.id))
        .filter(enhed::Column::Revision.eq(revision))
        .filter(
            Cond::any()
                .add(enhed::Column::LockSubject.is_null())
                .add(enhed::Column::LockExpiresMs.lte(now.timestamp_millis())),
        )
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// R11 for enheder (R19): the same conditional UPDATE as for serviceleverancer.
pub async fn try_lock<C: ConnectionTrait>(
    db: &C,
    id: &str,
    actor: &Actor<'_>,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use sea_orm::sea_query::Expr;
    let r = enhed::Entity::update_many()
        .col_expr(enhed::Column::LockSubject, Expr::value(actor.subject))
        .col_expr(
            enhed::Column::LockName,
            Expr::value(actor.name.map(str::to_string)),
        )
        .col_expr(enhed::Column::LockSince, Expr::value(now))
        .col_expr(
            enhed::Column::LockExpiresMs,
            Expr::value(until.timestamp_millis()),
        )
        .col_expr(
            enhed::Column::LockCvr,
            Expr::value(actor.cvr.map(str::to_string)),
        )
        .col_expr(enhed::Column::LockRoles, Expr::value(actor.roles.clone()))
        .filter(enhed::Column::Id.eq(id))
        .filter(
            Cond::any()
                .add(enhed::Column::LockSubject.is_null())
                .add(enhed::Column::LockSubject.eq(actor.subject))
                .add(enhed::Column::LockExpiresMs.lte(now.timestamp_millis())),
        )
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

pub async fn release_lock<C: ConnectionTrait>(
    db: &C,
    id: &str,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use sea_orm::sea_query::Expr;
    let r = enhed::Entity::update_many()
        .col_expr(
            enhed::Column::LockSubject,
            Expr::value(Option::<String>::None),
        )
        .col_expr(enhed::Column::LockName, Expr::value(Option::<String>::None))
        .col_expr(
            enhed::Column::LockSince,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            enhed::Column::LockExpiresMs,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(enhed::Column::LockCvr, Expr::value(Option::<String>::None))
        .col_expr(
            enhed::Column::LockRoles,
            Expr::value(Option::<String>::None),
        )
        .filter(enhed::Column::Id.eq(id))
        .filter(enhed::Column::LockSubject.eq(subject))
        .filter(enhed::Column::LockExpiresMs.gt(now.timestamp_millis()))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// R14 for enheder: a colleague takes over the live lock held by `former`.
pub async fn take_over<C: ConnectionTrait>(
    db: &C,
    id: &str,
    former: &str,
    actor: &Actor<'_>,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let r = enhed::Entity::update_many()
        .col_expr(enhed::Column::LockSubject, Expr::value(actor.subject))
        .col_expr(
            enhed::Column::LockName,
            Expr::value(actor.name.map(str::to_string)),
        )
        .col_expr(enhed::Column::LockSince, Expr::value(now))
        .col_expr(
            enhed::Column::LockExpiresMs,
            Expr::value(until.timestamp_millis()),
        )
        .col_expr(
            enhed::Column::LockCvr,
            Expr::value(actor.cvr.map(str::to_string)),
        )
        .col_expr(enhed::Column::LockRoles, Expr::value(actor.roles.clone()))
        .filter(enhed::Column::Id.eq(id))
        .filter(enhed::Column::LockSubject.eq(former))
        .filter(enhed::Column::LockExpiresMs.gt(now.timestamp_millis()))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}
