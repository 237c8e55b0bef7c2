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

#[derive(Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub actor_subject: Option<String>,
}

/// Newest first; `(rows, total)`.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    f: &AuditFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<AuditEntry>, u64), DbErr> {
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
    let total = q.clone().count(db).await?;
    let rows = q
        .order_by_desc(audit_log::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
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
