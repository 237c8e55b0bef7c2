//! The audit log (R16): who, what, when, and the fields before and after.
use super::entity::audit_log;
use crate::domain::access::Viewer;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, NotSet, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

pub use audit_log::Model as AuditEntry;

pub struct AuditEvent<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

pub async fn record<C: ConnectionTrait>(
    db: &C,
    who: &Viewer,
    ev: AuditEvent<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    audit_log::ActiveModel {
        id: NotSet,
        at: Set(now),
        actor_subject: Set(who.subject.clone().unwrap_or_default()),
        actor_name: Set(who.name.clone()),
        actor_cvr: Set(who.cvr.clone()),
        actor_roles: Set(who.roles_text()),
        action: Set(ev.action.to_string()),
        entity_type: Set(ev.entity_type.to_string()),
        entity_id: Set(ev.entity_id.to_string()),
        before: Set(ev.before.map(|v| v.to_string())),
        after: Set(ev.after.map(|v| v.to_string())),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Many entries by one actor at once (an import): one INSERT per 200 entries.
pub async fn record_many<C: ConnectionTrait>(
    db: &C,
    who: &Viewer,
    events: &[AuditEvent<'_>],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for chunk in events.chunks(200) {
        let rows = chunk.iter().map(|ev| audit_log::ActiveModel {
            id: NotSet,
            at: Set(now),
            actor_subject: Set(who.subject.clone().unwrap_or_default()),
            actor_name: Set(who.name.clone()),
            actor_cvr: Set(who.cvr.clone()),
            actor_roles: Set(who.roles_text()),
            action: Set(ev.action.to_string()),
            entity_type: Set(ev.entity_type.to_string()),
            entity_id: Set(ev.entity_id.to_string()),
            before: Set(ev.before.as_ref().map(|v| v.to_string())),
            after: Set(ev.after.as_ref().map(|v| v.to_string())),
        });
        audit_log::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// R34: what a reader of the log narrows it to. `actor_subjects` comes from the person's name
/// (see `people`); `about` is a subject whose entries and whose locks others took are wanted.
#[derive(Clone, Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub actor_subject: Option<String>,
    /// Only entries by one of these subjects (an empty list matches nothing).
    pub actor_subjects: Option<Vec<String>>,
    /// Entries by this subject, or that name it as a lock's former holder.
    pub about: Option<String>,
    /// At or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Before this instant.
    pub until: Option<DateTime<Utc>>,
}

fn filtered(f: &AuditFilter) -> sea_orm::Select<audit_log::Entity> {
    use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
    let mut q = audit_log::Entity::find();
    if let Some(t) = &f.entity_type {
        q = q.filter(audit_log::Column::EntityType.eq(t.as_str()));
    }
    if let Some(i) = &f.entity_id {
        q = q.filter(audit_log::Column::EntityId.eq(i.as_str()));
    }
    if let Some(a) = &f.actor_subject {
        q = q.filter(audit_log::Column::ActorSubject.eq(a.as_str()));
    }
    if let Some(list) = &f.actor_subjects {
        q = q.filter(audit_log::Column::ActorSubject.is_in(list.iter().map(String::as_str)));
    }
    if let Some(s) = &f.about {
        // A lock taken over names its former holder as `"laastAf":"<subject>"` in `before`
        // (serde_json writes no spaces), exactly and escaped for LIKE.
        let quoted = serde_json::to_string(s).unwrap_or_default();
        let pattern = format!(
            "%{}%",
            crate::domain::text::escape_like(&format!("\"laastAf\":{quoted}"))
        );
        q = q.filter(
            sea_orm::Condition::any()
                .add(audit_log::Column::ActorSubject.eq(s.as_str()))
                .add(
                    Expr::col(audit_log::Column::Before).like(LikeExpr::new(pattern).escape('\\')),
                ),
        );
    }
    if let Some(t) = f.from {
        q = q.filter(audit_log::Column::At.gte(t));
    }
    if let Some(t) = f.until {
        q = q.filter(audit_log::Column::At.lt(t));
    }
    q
}

/// Newest first; `(rows, total)`.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    f: &AuditFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<AuditEntry>, u64), DbErr> {
    let q = filtered(f);
    let total = q.clone().count(db).await?;
    let rows = q
        .order_by_desc(audit_log::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// The next `limit` entries of the filter older than entry `before` (newest first): an export
/// walks the log by id, so it reads any size in bounded batches and is never thrown off by
/// entries written meanwhile.
pub async fn batch<C: ConnectionTrait>(
    db: &C,
    f: &AuditFilter,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<AuditEntry>, DbErr> {
    let mut q = filtered(f);
    if let Some(b) = before {
        q = q.filter(audit_log::Column::Id.lt(b));
    }
    q.order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Everyone who has written to the log: (subject, the latest name seen for it).
pub async fn people<C: ConnectionTrait>(db: &C) -> Result<Vec<(String, Option<String>)>, DbErr> {
    audit_log::Entity::find()
        .select_only()
        .column(audit_log::Column::ActorSubject)
        .column(audit_log::Column::ActorName)
        .distinct()
        .into_tuple::<(String, Option<String>)>()
        .all(db)
        .await
}

/// Deletes up to `limit` of the oldest entries written before `cut`; the number deleted.
pub async fn prune_batch<C: ConnectionTrait>(
    db: &C,
    cut: DateTime<Utc>,
    limit: u64,
) -> Result<u64, DbErr> {
    let ids: Vec<i64> = audit_log::Entity::find()
        .select_only()
        .column(audit_log::Column::Id)
        .filter(audit_log::Column::At.lt(cut))
        .order_by_asc(audit_log::Column::Id)
        .limit(limit)
        .into_tuple::<i64>()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let r = audit_log::Entity::delete_many()
        .filter(audit_log::Column::Id.is_in(ids))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// When the newest audit entry was written: the moment of the last change, as every write is
/// audited (R16). None in an empty database.
pub async fn last_at<C: ConnectionTrait>(db: &C) -> Result<Option<DateTime<Utc>>, DbErr> {
    audit_log::Entity::find()
        .select_only()
        .column(audit_log::Column::At)
        .order_by_desc(audit_log::Column::At)
        .limit(1)
        .into_tuple::<DateTime<Utc>>()
        .one(db)
        .await
}
