//! Serviceleverancer: reads, scoped lists (R26), the public search's candidates (R20-R23), and
//! writes that are conditional on the lock (R11-R13) so they are atomic on both databases.
use super::entity::{enhed, kommune, serviceleverance as sl, serviceleverance_version as ver};
use crate::domain::access::SlScope;
use crate::domain::serviceleverance::{Fields, SlType};
use crate::domain::text::escape_like;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, JoinType, LikeExpr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityName, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};

pub use sl::Model as Serviceleverance;
pub use ver::Model as Version;

pub async fn by_id<C: ConnectionTrait>(
    db: &C,
    id: &str,
) -> Result<Option<Serviceleverance>, DbErr> {
    sl::Entity::find_by_id(id.to_string()).one(db).await
}

/// What `scope` lets a viewer see.
enum Visible {
    All,
    Only(Cond),
    Nothing,
}

/// R26 in SQL, the one place it is written: the agreements (deleted ones included) a viewer with
/// `scope` may see — those of the kommune whose CVR is the viewer's, and those about enheder the
/// viewer's organisation owns. It mirrors `domain::access::can_see` through `access::sl_scope`;
/// `tests/api/admin.rs` proves that the two agree.
fn visible(scope: &SlScope) -> Visible {
    if scope.all {
        return Visible::All;
    }
    let mut any = Cond::any();
    if let Some(cvr) = &scope.aftalepart_cvr {
        any = any.add(
            sl::Column::AftalepartKode.in_subquery(
                kommune::Entity::find()
                    .select_only()
                    .column(kommune::Column::Kode)
                    .filter(kommune::Column::Cvr.eq(cvr.as_str()))
                    .into_query(),
            ),
        );
    }
    if let Some(cvr) = &scope.enhed_ejer_cvr {
        any = any.add(
            sl::Column::EnhedId.in_subquery(
                enhed::Entity::find()
                    .select_only()
                    .column(enhed::Column::Id)
                    .filter(enhed::Column::EjerCvr.eq(cvr.as_str()))
                    .into_query(),
            ),
        );
    }
    if any.is_empty() {
        Visible::Nothing
    } else {
        Visible::Only(any)
    }
}

/// An agreement by id as a viewer with `scope` sees it (R26): `None` when it does not exist or
/// the viewer may not see it, so that a forgotten check cannot hand out a row. Deleted
/// agreements are included (their history can be read).
pub async fn by_id_for<C: ConnectionTrait>(
    db: &C,
    id: &str,
    scope: &SlScope,
) -> Result<Option<Serviceleverance>, DbErr> {
    let q = sl::Entity::find_by_id(id.to_string());
    match visible(scope) {
        Visible::All => q.one(db).await,
        Visible::Only(c) => q.filter(c).one(db).await,
        Visible::Nothing => Ok(None),
    }
}

pub async fn by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[String],
) -> Result<Vec<Serviceleverance>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    sl::Entity::find()
        .filter(sl::Column::Id.is_in(ids.iter().cloned()))
        .all(db)
        .await
}

/// The fields of a stored agreement, as the domain sees them.
pub fn fields(m: &Serviceleverance) -> Fields {
    Fields {
        navn: m.navn.clone(),
        enhed_id: m.enhed_id.clone(),
        aftaleidentifikation: m.aftaleidentifikation.clone(),
        sl_type: m.r#type.as_deref().and_then(SlType::parse),
        beskrivelse: m.beskrivelse.clone(),
        startdato: m.startdato,
        slutdato: m.slutdato,
    }
}

/// What the admin list's text filter finds an agreement by: navn and aftaleidentifikation in
/// the loose spelling (`domain::text::loose`), so that words in any order, o for ø and missing
/// full stops all find it (issue 20, defect 4).
pub fn search_text(f: &Fields) -> String {
    let words = crate::domain::text::loose_words(&format!(
        "{} {}",
        f.navn,
        f.aftaleidentifikation.as_deref().unwrap_or("")
    ));
    format!(" {} ", words.join(" "))
}

/// Rewrites the search text of rows written with an older spelling of it (once per start; a
/// few thousand short rows).
pub async fn refresh_search_text<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    let rows: Vec<(String, String, Option<String>, String)> = sl::Entity::find()
        .select_only()
        .column(sl::Column::Id)
        .column(sl::Column::Navn)
        .column(sl::Column::Aftaleidentifikation)
        .column(sl::Column::Soeg)
        .into_tuple()
        .all(db)
        .await?;
    let mut n = 0;
    for (id, navn, aftaleidentifikation, soeg) in rows {
        let want = search_text(&Fields {
            navn,
            aftaleidentifikation,
            ..Fields::default()
        });
        if want != soeg {
            sl::Entity::update_many()
                .col_expr(sl::Column::Soeg, Expr::value(want))
                .filter(sl::Column::Id.eq(&id))
                .exec(db)
                .await?;
            n += 1;
        }
    }
    Ok(n)
}

/// Who did it, for the created/updated columns, versions and locks.
pub struct Actor<'a> {
    pub subject: &'a str,
    pub name: Option<&'a str>,
    /// The organisation and roles, kept with a lock so colleagues may take it over (R14).
    pub cvr: Option<&'a str>,
    pub roles: String,
}

/// The Danish sort key of a name, as stored (R24's collation, hex-encoded so that every
/// database collation orders it bytewise the same).
pub fn sort_key(navn: &str) -> String {
    crate::domain::text::collation_key(navn)
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub struct NewSl<'a> {
    pub id: String,
    pub aftalepart_kode: String,
    pub fields: &'a Fields,
    pub has_errors: bool,
}

/// R13: creation records version 1 and leaves the item unlocked.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    n: NewSl<'_>,
    actor: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<Serviceleverance, DbErr> {
    let f = n.fields;
    let m = sl::ActiveModel {
        id: Set(n.id.clone()),
        aftalepart_kode: Set(n.aftalepart_kode),
        enhed_id: Set(f.enhed_id.clone()),
        navn: Set(f.navn.clone()),
        soeg: Set(search_text(f)),
        aftaleidentifikation: Set(f.aftaleidentifikation.clone()),
        r#type: Set(f.sl_type.map(|t| t.as_str().to_string())),
        beskrivelse: Set(f.beskrivelse.clone()),
        startdato: Set(f.startdato),
        slutdato: Set(f.slutdato),
        has_errors: Set(n.has_errors),
        version: Set(1),
        revision: Set(1),
        lock_cvr: Set(None),
        lock_roles: Set(None),
        sort_key: Set(sort_key(&f.navn)),
        lock_subject: Set(None),
        lock_name: Set(None),
        lock_since: Set(None),
        lock_expires_ms: Set(None),
        deleted_at: Set(None),
        deleted_by: Set(None),
        created_by: Set(actor.subject.to_string()),
        created_at: Set(now),
        updated_by: Set(actor.subject.to_string()),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    insert_version(db, &n.id, 1, actor, now, None, f).await?;
    Ok(m)
}

async fn insert_version<C: ConnectionTrait>(
    db: &C,
    sl_id: &str,
    nummer: i32,
    actor: &Actor<'_>,
    now: DateTime<Utc>,
    kommentar: Option<String>,
    f: &Fields,
) -> Result<(), DbErr> {
    ver::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        serviceleverance_id: Set(sl_id.to_string()),
        nummer: Set(nummer),
        author_subject: Set(actor.subject.to_string()),
        author_name: Set(actor.name.map(str::to_string)),
        created_at: Set(now),
        kommentar: Set(kommentar),
        snapshot: Set(serde_json::to_string(f).map_err(|e| DbErr::Custom(e.to_string()))?),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// R11 in SQL: take the lock when it is free, already the caller's, or expired. A single
/// conditional UPDATE, so of N concurrent attempts exactly one wins. Returns whether it won.
pub async fn try_lock<C: ConnectionTrait>(
    db: &C,
    id: &str,
    actor: &Actor<'_>,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let r = sl::Entity::update_many()
        .col_expr(sl::Column::LockSubject, Expr::value(actor.subject))
        .col_expr(
            sl::Column::LockName,
            Expr::value(actor.name.map(str::to_string)),
        )
        // A holder who locks again keeps "since" and gets a new expiry (R14). The right-hand
        // sides see the row as it was before the update, on both databases.
        .col_expr(
            sl::Column::LockSince,
            Expr::case(
                Cond::all()
                    .add(sl::Column::LockSubject.eq(actor.subject))
                    .add(sl::Column::LockExpiresMs.gt(now.timestamp_millis())),
                Expr::col(sl::Column::LockSince),
            )
            .finally(Expr::value(now))
            .into(),
        )
        .col_expr(
            sl::Column::LockExpiresMs,
            Expr::value(expires.timestamp_millis()),
        )
        .col_expr(
            sl::Column::LockCvr,
            Expr::value(actor.cvr.map(str::to_string)),
        )
        .col_expr(sl::Column::LockRoles, Expr::value(actor.roles.clone()))
        .filter(sl::Column::Id.eq(id))
        .filter(sl::Column::DeletedAt.is_null())
        .filter(
            Cond::any()
                .add(sl::Column::LockSubject.is_null())
                .add(sl::Column::LockSubject.eq(actor.subject))
                .add(sl::Column::LockExpiresMs.lte(now.timestamp_millis())),
        )
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// The condition "the caller holds a live lock" (R12) for conditional writes.
fn held_by(subject: &str, now: DateTime<Utc>) -> Cond {
    Cond::all()
        .add(sl::Column::LockSubject.eq(subject))
        .add(sl::Column::LockExpiresMs.gt(now.timestamp_millis()))
        .add(sl::Column::DeletedAt.is_null())
}

/// R12: a save by the lock holder of the row as read at `revision`; publishes at once and
/// increments the revision. Returns false when the caller does not hold the lock (any more) or
/// the row changed since it was read.
#[allow(clippy::too_many_arguments)]
pub async fn save<C: ConnectionTrait>(
    db: &C,
    id: &str,
    f: &Fields,
    has_errors: bool,
    actor: &Actor<'_>,
    now: DateTime<Utc>,
    revision: i64,
) -> Result<bool, DbErr> {
    let r = sl::Entity::update_many()
        .col_expr(sl::Column::SortKey, Expr::value(sort_key(&f.navn)))
        .col_expr(sl::Column::Revision, Expr::col(sl::Column::Revision).add(1))
        .filter(sl::Column::Revision.eq(revision))
        .col_expr(sl::Column::EnhedId, Expr::value(f.enhed_id.clone()))
        .col_expr(sl::Column::Navn, Expr::value(f.navn.clone()))
        .col_expr(sl::Column::Soeg, Expr::value(search_text(f)))
        .col_expr(
            sl::Column::Aftaleidentifikation,
            Expr::value(f.aftaleidentifikation.clone()),
        )
        .col_expr(
            sl::Column::Type,
            Expr::value(f.sl_type.map(|t| t.as_str().to_string())),
        )
        .col_expr(sl::Column::Beskrivelse, Expr::value(f.beskrivelse.clone()))
        .col_expr(sl::Column::Startdato, Expr::value(f.startdato))
        .col_expr(sl::Column::Slutdato, Expr::value(f.slutdato))
        .col_expr(sl::Column::HasErrors, Expr::value(has_errors))
        .col_expr(sl::Column::UpdatedBy, Expr::value(actor.subject))
        .col_expr(sl::Column::UpdatedAt, Expr::value(now))
        .filter(sl::Column::Id.eq(id))
        .filter(held_by(actor.subject, now))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// R13: check-in releases the lock and records the next version. Returns the new version
/// number, or `None` when the caller does not hold the lock.
pub async fn check_in<C: ConnectionTrait>(
    db: &C,
    current: &Serviceleverance,
    actor: &Actor<'_>,
    now: DateTime<Utc>,
    kommentar: Option<String>,
) -> Result<Option<i32>, DbErr> {
    let r = sl::Entity::update_many()
        .col_expr(sl::Column::LockSubject, Expr::value(Option::<String>::None))
        .col_expr(sl::Column::LockName, Expr::value(Option::<String>::None))
        .col_expr(
            sl::Column::LockSince,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(sl::Column::LockExpiresMs, Expr::value(Option::<i64>::None))
        .col_expr(sl::Column::LockCvr, Expr::value(Option::<String>::None))
        .col_expr(sl::Column::LockRoles, Expr::value(Option::<String>::None))
        .col_expr(sl::Column::Version, Expr::col(sl::Column::Version).add(1))
        .col_expr(sl::Column::Revision, Expr::col(sl::Column::Revision).add(1))
        .filter(sl::Column::Id.eq(&current.id))
        // R13: the snapshot below is `current`; the row must still be exactly that, so a save
        // committed after it was read cannot be left out of the version.
        .filter(sl::Column::Revision.eq(current.revision))
        .filter(sl::Column::Version.eq(current.version))
        .filter(held_by(actor.subject, now))
        .exec(db)
        .await?;
    if r.rows_affected != 1 {
        return Ok(None);
    }
    let nummer = current.version + 1;
    insert_version(
        db,
        &current.id,
        nummer,
        actor,
        now,
        kommentar,
        &fields(current),
    )
    .await?;
    Ok(Some(nummer))
}

/// R8: soft delete by the lock holder of the row as read at `revision`; releases the lock.
pub async fn soft_delete<C: ConnectionTrait>(
    db: &C,
    id: &str,
    actor: &Actor<'_>,
    now: DateTime<Utc>,
    revision: i64,
) -> Result<bool, DbErr> {
    let r = sl::Entity::update_many()
        .col_expr(sl::Column::Revision, Expr::col(sl::Column::Revision).add(1))
        .filter(sl::Column::Revision.eq(revision))
        .col_expr(sl::Column::DeletedAt, Expr::value(now))
        .col_expr(sl::Column::DeletedBy, Expr::value(actor.subject))
        .col_expr(sl::Column::LockCvr, Expr::value(Option::<String>::None))
        .col_expr(sl::Column::LockRoles, Expr::value(Option::<String>::None))
        .col_expr(sl::Column::LockSubject, Expr::value(Option::<String>::None))
        .col_expr(sl::Column::LockName, Expr::value(Option::<String>::None))
        .col_expr(
            sl::Column::LockSince,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(sl::Column::LockExpiresMs, Expr::value(Option::<i64>::None))
        .filter(sl::Column::Id.eq(id))
        .filter(held_by(actor.subject, now))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// R14: a colleague takes over the live lock held by `former` (same organisation and role,
/// decided by the domain); a single conditional UPDATE like the lock itself.
pub async fn take_over<C: ConnectionTrait>(
    db: &C,
    id: &str,
    former: &str,
    actor: &Actor<'_>,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let r = sl::Entity::update_many()
        .col_expr(sl::Column::LockSubject, Expr::value(actor.subject))
        .col_expr(
            sl::Column::LockName,
            Expr::value(actor.name.map(str::to_string)),
        )
        .col_expr(sl::Column::LockSince, Expr::value(now))
        .col_expr(
            sl::Column::LockExpiresMs,
            Expr::value(expires.timestamp_millis()),
        )
        .col_expr(
            sl::Column::LockCvr,
            Expr::value(actor.cvr.map(str::to_string)),
        )
        .col_expr(sl::Column::LockRoles, Expr::value(actor.roles.clone()))
        .filter(sl::Column::Id.eq(id))
        .filter(held_by(former, now))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Fills the Danish sort key of rows written before it existed.
pub async fn backfill_sort_keys<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    let rows = sl::Entity::find()
        .filter(sl::Column::SortKey.eq(""))
        .all(db)
        .await?;
    for r in &rows {
        sl::Entity::update_many()
            .col_expr(sl::Column::SortKey, Expr::value(sort_key(&r.navn)))
            .filter(sl::Column::Id.eq(&r.id))
            .exec(db)
            .await?;
    }
    Ok(rows.len() as u64)
}

/// R14: an administrator releases any lock.
pub async fn force_unlock<C: ConnectionTrait>(db: &C, id: &str) -> Result<bool, DbErr> {
    let r = sl::Entity::update_many()
        .col_expr(sl::Column::LockSubject, Expr::value(Option::<String>::None))
        .col_expr(sl::Column::LockName, Expr::value(Option::<String>::None))
        .col_expr(
            sl::Column::LockSince,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(sl::Column::LockExpiresMs, Expr::value(Option::<i64>::None))
        .col_expr(sl::Column::LockCvr, Expr::value(Option::<String>::None))
        .col_expr(sl::Column::LockRoles, Expr::value(Option::<String>::None))
        .filter(sl::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Recomputes the stored error flag (after an enhed changed kind).
pub async fn set_has_errors<C: ConnectionTrait>(
    db: &C,
    id: &str,
    has_errors: bool,
) -> Result<(), DbErr> {
    sl::Entity::update_many()
        .col_expr(sl::Column::HasErrors, Expr::value(has_errors))
        .col_expr(sl::Column::Revision, Expr::col(sl::Column::Revision).add(1))
        .filter(sl::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn by_enhed<C: ConnectionTrait>(
    db: &C,
    enhed_id: &str,
) -> Result<Vec<Serviceleverance>, DbErr> {
    sl::Entity::find()
        .filter(sl::Column::EnhedId.eq(enhed_id))
        .all(db)
        .await
}

/// The other live agreements between the same kommune and enhed (for R9's overlap warning).
pub async fn siblings<C: ConnectionTrait>(
    db: &C,
    pairs: &[(String, String)],
) -> Result<Vec<Serviceleverance>, DbErr> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let mut cond = Cond::any();
    for (k, e) in pairs {
        cond = cond.add(
            Cond::all()
                .add(sl::Column::AftalepartKode.eq(k))
                .add(sl::Column::EnhedId.eq(e)),
        );
    }
    sl::Entity::find()
        .filter(sl::Column::DeletedAt.is_null())
        .filter(cond)
        .all(db)
        .await
}

pub async fn versions<C: ConnectionTrait>(db: &C, sl_id: &str) -> Result<Vec<Version>, DbErr> {
    ver::Entity::find()
        .filter(ver::Column::ServiceleveranceId.eq(sl_id))
        .order_by_desc(ver::Column::Nummer)
        .all(db)
        .await
}

pub async fn version<C: ConnectionTrait>(
    db: &C,
    sl_id: &str,
    nummer: i32,
) -> Result<Option<Version>, DbErr> {
    ver::Entity::find()
        .filter(ver::Column::ServiceleveranceId.eq(sl_id))
        .filter(ver::Column::Nummer.eq(nummer))
        .one(db)
        .await
}

/// Filters of the admin list.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    /// Only this aftalepart's agreements (kommunekode).
    pub aftalepart_kode: Option<String>,
    pub kind: Option<&'static str>,
    pub sl_type: Option<SlType>,
    pub active_on: Option<NaiveDate>,
    pub has_errors: Option<bool>,
    pub locked: Option<bool>,
    pub text: Option<String>,
    /// Only agreements about this enhed.
    pub enhed_id: Option<String>,
}

/// The agreements a viewer may see (R26, [`visible`]), not deleted, filtered, ordered by navn
/// then id; `(rows, total)`.
/// The list's query: visible to the scope (R26), not deleted, filtered; None when the scope
/// sees nothing.
fn filtered(
    scope: &SlScope,
    filter: &ListFilter,
    now: DateTime<Utc>,
) -> Option<sea_orm::Select<sl::Entity>> {
    let mut q = sl::Entity::find().filter(sl::Column::DeletedAt.is_null());
    match visible(scope) {
        Visible::All => {}
        Visible::Only(c) => q = q.filter(c),
        Visible::Nothing => return None,
    }
    if let Some(k) = &filter.aftalepart_kode {
        q = q.filter(sl::Column::AftalepartKode.eq(k.as_str()));
    }
    if let Some(kind) = filter.kind {
        q = q.filter(
            sl::Column::EnhedId.in_subquery(
                enhed::Entity::find()
                    .select_only()
                    .column(enhed::Column::Id)
                    .filter(enhed::Column::Kind.eq(kind))
                    .into_query(),
            ),
        );
    }
    if let Some(t) = filter.sl_type {
        q = q.filter(sl::Column::Type.eq(t.as_str()));
    }
    if let Some(e) = &filter.enhed_id {
        q = q.filter(sl::Column::EnhedId.eq(e.as_str()));
    }
    if let Some(d) = filter.active_on {
        q = q.filter(active_on(&table(), d));
    }
    if let Some(e) = filter.has_errors {
        q = q.filter(sl::Column::HasErrors.eq(e));
    }
    if let Some(l) = filter.locked {
        let live = Cond::all()
            .add(sl::Column::LockSubject.is_not_null())
            .add(sl::Column::LockExpiresMs.gt(now.timestamp_millis()));
        q = q.filter(if l { live } else { live.not() });
    }
    // Every word, in any order (issue 20, defect 4).
    for w in filter
        .text
        .as_deref()
        .map(crate::domain::text::loose_words)
        .unwrap_or_default()
        .iter()
        .take(10)
    {
        q = q.filter(
            Expr::col(sl::Column::Soeg)
                .like(LikeExpr::new(format!("%{}%", escape_like(w))).escape('\\')),
        );
    }
    Some(q)
}

pub async fn list<C: ConnectionTrait>(
    db: &C,
    scope: &SlScope,
    filter: &ListFilter,
    now: DateTime<Utc>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<Serviceleverance>, u64), DbErr> {
    let Some(q) = filtered(scope, filter, now) else {
        return Ok((Vec::new(), 0));
    };
    let total = q.clone().count(db).await?;
    let rows = q
        .order_by_asc(sl::Column::SortKey)
        .order_by_asc(sl::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// Every agreement the viewer may see (R26), not deleted, in navn order: the worklist's and the
/// export's input (a kommune's agreements number in the hundreds).
pub async fn all_visible<C: ConnectionTrait>(
    db: &C,
    scope: &SlScope,
) -> Result<Vec<Serviceleverance>, DbErr> {
    let mut q = sl::Entity::find().filter(sl::Column::DeletedAt.is_null());
    match visible(scope) {
        Visible::All => {}
        Visible::Only(c) => q = q.filter(c),
        Visible::Nothing => return Ok(Vec::new()),
    }
    q.order_by_asc(sl::Column::SortKey)
        .order_by_asc(sl::Column::Id)
        .all(db)
        .await
}

/// When each agreement's latest version was recorded (R13), by agreement id.
pub async fn versioned_at<C: ConnectionTrait>(
    db: &C,
    ids: &[String],
) -> Result<std::collections::HashMap<String, DateTime<Utc>>, DbErr> {
    let mut out: std::collections::HashMap<String, (i32, DateTime<Utc>)> =
        std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(String, i32, DateTime<Utc>)> = ver::Entity::find()
            .select_only()
            .column(ver::Column::ServiceleveranceId)
            .column(ver::Column::Nummer)
            .column(ver::Column::CreatedAt)
            .filter(ver::Column::ServiceleveranceId.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        for (id, n, at) in rows {
            let e = out.entry(id).or_insert((n, at));
            if n > e.0 {
                *e = (n, at);
            }
        }
    }
    Ok(out.into_iter().map(|(k, (_, at))| (k, at)).collect())
}

/// How many agreements of the list's filter each aftalepart (kommunekode) has: the tree of the
/// admin console shows every group with its full count before its agreements are loaded.
pub async fn count_by_aftalepart<C: ConnectionTrait>(
    db: &C,
    scope: &SlScope,
    filter: &ListFilter,
    now: DateTime<Utc>,
) -> Result<Vec<(String, i64)>, DbErr> {
    let Some(q) = filtered(scope, filter, now) else {
        return Ok(Vec::new());
    };
    q.select_only()
        .column(sl::Column::AftalepartKode)
        .column_as(sl::Column::Id.count(), "n")
        .group_by(sl::Column::AftalepartKode)
        .into_tuple::<(String, i64)>()
        .all(db)
        .await
}

/// The agreement table under its own name, for conditions on queries that do not alias it.
fn table() -> Alias {
    Alias::new(sl::Entity.table_name())
}

/// R6 in SQL, the one place it is written: active on `day` when startdato <= day and (no
/// slutdato or day <= slutdato); without a startdato never (`NULL <= day` is not true). It
/// mirrors `crate::domain::day::is_active` exactly, and `tests/api/search.rs` proves on both
/// databases that the two agree on every edge day. `s` is the agreement table's alias.
fn active_on(s: &Alias, day: NaiveDate) -> Cond {
    Cond::all()
        .add(Expr::col((s.clone(), sl::Column::Startdato)).lte(day))
        .add(
            Cond::any()
                .add(Expr::col((s.clone(), sl::Column::Slutdato)).is_null())
                .add(Expr::col((s.clone(), sl::Column::Slutdato)).gte(day)),
        )
}

/// The number of live locks now (metrics).
pub async fn active_locks<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, DbErr> {
    sl::Entity::find()
        .filter(sl::Column::LockSubject.is_not_null())
        .filter(sl::Column::LockExpiresMs.gt(now.timestamp_millis()))
        .filter(sl::Column::DeletedAt.is_null())
        .count(db)
        .await
}

/// An agreement the viewer may see (R26, `visible`) with its aftalepart's CVR and its enhed, in
/// one statement: what a use case needs to decide on a write.
pub async fn by_id_with_facts<C: ConnectionTrait>(
    db: &C,
    id: &str,
    scope: &SlScope,
) -> Result<Option<(Serviceleverance, Option<String>, Option<enhed::Model>)>, DbErr> {
    use sea_orm::{FromQueryResult, Iterable};
    let cond = match visible(scope) {
        Visible::All => None,
        Visible::Only(c) => Some(c),
        Visible::Nothing => return Ok(None),
    };
    let k = Alias::new("k");
    let e = Alias::new("e");
    let mut q = Query::select();
    for c in sl::Column::iter() {
        q.expr_as(
            Expr::col((sl::Entity, c)),
            Alias::new(sea_orm::IdenStatic::as_str(&c)),
        );
    }
    q.expr_as(
        Expr::col((k.clone(), kommune::Column::Cvr)),
        Alias::new("k_cvr"),
    );
    for c in enhed::Column::iter() {
        q.expr_as(
            Expr::col((e.clone(), c)),
            Alias::new(format!("e_{}", sea_orm::IdenStatic::as_str(&c))),
        );
    }
    q.from(sl::Entity)
        .join_as(
            JoinType::LeftJoin,
            kommune::Entity,
            k.clone(),
            Expr::col((k.clone(), kommune::Column::Kode))
                .equals((sl::Entity, sl::Column::AftalepartKode)),
        )
        .join_as(
            JoinType::LeftJoin,
            enhed::Entity,
            e.clone(),
            Expr::col((e.clone(), enhed::Column::Id)).equals((sl::Entity, sl::Column::EnhedId)),
        )
        .and_where(Expr::col((sl::Entity, sl::Column::Id)).eq(id));
    if let Some(c) = cond {
        q.cond_where(c);
    }
    let Some(row) = db.query_one(&q).await? else {
        return Ok(None);
    };
    let s = Serviceleverance::from_query_result(&row, "")?;
    let cvr: Option<String> = row.try_get("", "k_cvr")?;
    let enhed = if s.enhed_id.is_some() {
        enhed::Model::from_query_result_optional(&row, "e_")?
    } else {
        None
    };
    Ok(Some((s, cvr, enhed)))
}
