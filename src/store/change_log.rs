//! The change feed's tables (R30): the ordered log, the feed's view of which offers are public,
//! the days recorded and the retention horizon. The use-case layer decides what to write.
use super::entity::{change_log, public_offer};
use crate::domain::feed::{ChangeKind, Standing};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, NotSet, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement,
};

pub use change_log::Model as Entry;

/// An event to append.
pub struct NewEntry<'a> {
    pub kind: ChangeKind,
    pub standing: &'a Standing,
    pub serviceleverance_id: &'a str,
    pub day: NaiveDate,
}

/// Appends events in the caller's transaction, in the given order.
pub async fn append<C: ConnectionTrait>(
    db: &C,
    entries: &[NewEntry<'_>],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for chunk in entries.chunks(200) {
        let rows = chunk.iter().map(|e| change_log::ActiveModel {
            seq: NotSet,
            recorded_at: Set(now),
            kind: Set(e.kind.as_str().to_string()),
            kommune_kode: Set(e.standing.kommune.clone()),
            serviceleverance_id: Set(e.serviceleverance_id.to_string()),
            enhed_id: Set(e.standing.enhed_id.clone()),
            enhed_kind: Set(e.standing.enhed_kind.clone()),
            effective_day: Set(e.day),
        });
        change_log::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

fn standing(m: public_offer::Model) -> (String, Standing) {
    (
        m.serviceleverance_id,
        Standing {
            kommune: m.kommune_kode,
            enhed_id: m.enhed_id,
            enhed_kind: m.enhed_kind,
        },
    )
}

/// The feed's view of the given agreements (those it holds public).
pub async fn standings<C: ConnectionTrait>(
    db: &C,
    ids: &[String],
) -> Result<Vec<(String, Standing)>, DbErr> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let rows = public_offer::Entity::find()
            .filter(public_offer::Column::ServiceleveranceId.is_in(chunk.iter().cloned()))
            .all(db)
            .await?;
        out.extend(rows.into_iter().map(standing));
    }
    Ok(out)
}

/// The agreements the feed holds public with the given enheder.
pub async fn standings_of_enheder<C: ConnectionTrait>(
    db: &C,
    enheder: &[String],
) -> Result<Vec<(String, Standing)>, DbErr> {
    let mut out = Vec::new();
    for chunk in enheder.chunks(500) {
        let rows = public_offer::Entity::find()
            .filter(public_offer::Column::EnhedId.is_in(chunk.iter().cloned()))
            .all(db)
            .await?;
        out.extend(rows.into_iter().map(standing));
    }
    Ok(out)
}

/// Every agreement the feed holds public.
pub async fn all_standings<C: ConnectionTrait>(db: &C) -> Result<Vec<(String, Standing)>, DbErr> {
    Ok(public_offer::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(standing)
        .collect())
}

/// Sets the feed's view of an agreement: public with `s`, or not public.
pub async fn set_standing<C: ConnectionTrait>(
    db: &C,
    id: &str,
    s: Option<&Standing>,
) -> Result<(), DbErr> {
    match s {
        None => {
            public_offer::Entity::delete_by_id(id.to_string())
                .exec(db)
                .await?;
        }
        Some(s) => {
            public_offer::Entity::insert(public_offer::ActiveModel {
                serviceleverance_id: Set(id.to_string()),
                kommune_kode: Set(s.kommune.clone()),
                enhed_id: Set(s.enhed_id.clone()),
                enhed_kind: Set(s.enhed_kind.clone()),
            })
            .on_conflict(
                OnConflict::column(public_offer::Column::ServiceleveranceId)
                    .update_columns([
                        public_offer::Column::KommuneKode,
                        public_offer::Column::EnhedId,
                        public_offer::Column::EnhedKind,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        }
    }
    Ok(())
}

/// Which events a reader asks for.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub kommune: Option<String>,
    pub kinds: Vec<ChangeKind>,
    pub enhed_kind: Option<String>,
}

impl Filter {
    /// Does the event pass (the live side filters in memory what the query filters in SQL)?
    pub fn admits(&self, e: &Entry) -> bool {
        self.kommune.as_ref().is_none_or(|k| *k == e.kommune_kode)
            && (self.kinds.is_empty() || self.kinds.iter().any(|k| k.as_str() == e.kind))
            && self
                .enhed_kind
                .as_ref()
                .is_none_or(|k| e.enhed_kind.as_deref() == Some(k.as_str()))
    }
}

/// Up to `limit` events after `after` and at most `through`, in order, that pass the filter.
pub async fn after<C: ConnectionTrait>(
    db: &C,
    after: i64,
    through: Option<i64>,
    f: &Filter,
    limit: u64,
) -> Result<Vec<Entry>, DbErr> {
    let mut q = change_log::Entity::find().filter(change_log::Column::Seq.gt(after));
    if let Some(t) = through {
        q = q.filter(change_log::Column::Seq.lte(t));
    }
    if let Some(k) = &f.kommune {
        q = q.filter(change_log::Column::KommuneKode.eq(k.as_str()));
    }
    if !f.kinds.is_empty() {
        q = q.filter(change_log::Column::Kind.is_in(f.kinds.iter().map(|k| k.as_str())));
    }
    if let Some(k) = &f.enhed_kind {
        q = q.filter(change_log::Column::EnhedKind.eq(k.as_str()));
    }
    q.order_by_asc(change_log::Column::Seq)
        .limit(limit)
        .all(db)
        .await
}

/// The last sequence number written (0 for an empty log).
pub async fn head<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    let v: Option<Option<i64>> = change_log::Entity::find()
        .select_only()
        .column_as(change_log::Column::Seq.max(), "m")
        .into_tuple()
        .one(db)
        .await?;
    Ok(v.flatten().unwrap_or(0))
}

/// Events up to this sequence number have been pruned (0: none).
pub async fn horizon<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT feed_horizon FROM data_version WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("data_version".into()))?;
    row.try_get("", "feed_horizon")
}

/// Deletes the events recorded before `before` and moves the horizon past them; returns how
/// many went. Call it in a write transaction.
pub async fn prune<C: ConnectionTrait>(db: &C, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let last: Option<Option<i64>> = change_log::Entity::find()
        .select_only()
        .column_as(change_log::Column::Seq.max(), "m")
        .filter(change_log::Column::RecordedAt.lt(before))
        .into_tuple()
        .one(db)
        .await?;
    let Some(last) = last.flatten() else {
        return Ok(0);
    };
    let n = change_log::Entity::delete_many()
        .filter(change_log::Column::Seq.lte(last))
        .exec(db)
        .await?
        .rows_affected;
    let b = db.get_database_backend();
    let sql = match b {
        DbBackend::Postgres => {
            "UPDATE data_version SET feed_horizon = GREATEST(feed_horizon, $1) WHERE id = 1"
        }
        _ => "UPDATE data_version SET feed_horizon = MAX(feed_horizon, ?) WHERE id = 1",
    };
    db.execute_raw(Statement::from_sql_and_values(b, sql, [last.into()]))
        .await?;
    Ok(n)
}

/// Claims a day's start and end of offers for this transaction: false when it is recorded
/// already (by another instance, or before a restart).
pub async fn claim_day<C: ConnectionTrait>(
    db: &C,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let b = db.get_database_backend();
    let sql = match b {
        DbBackend::Postgres => {
            "INSERT INTO change_day (day, recorded_at) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING"
        }
        _ => "INSERT INTO change_day (day, recorded_at) VALUES (?, ?) ON CONFLICT (day) DO NOTHING",
    };
    let r = db
        .execute_raw(Statement::from_sql_and_values(
            b,
            sql,
            [day.format("%Y-%m-%d").to_string().into(), now.into()],
        ))
        .await?;
    Ok(r.rows_affected() == 1)
}

/// An agreement as the feed sees it: where it would stand, and what decides whether it is
/// public.
pub struct OfferFacts {
    pub id: String,
    pub standing: Standing,
    pub facts: crate::domain::feed::Facts,
}

/// The feed's facts of the given agreements (deleted ones too), or with `None` of every
/// agreement that is not deleted.
pub async fn offer_facts<C: ConnectionTrait>(
    db: &C,
    ids: Option<&[String]>,
) -> Result<Vec<OfferFacts>, DbErr> {
    use super::entity::{enhed, serviceleverance as sl};
    type Row = (
        String,
        String,
        Option<String>,
        Option<NaiveDate>,
        Option<NaiveDate>,
        bool,
        Option<DateTime<Utc>>,
    );
    let q = || {
        sl::Entity::find().select_only().columns([
            sl::Column::Id,
            sl::Column::AftalepartKode,
            sl::Column::EnhedId,
            sl::Column::Startdato,
            sl::Column::Slutdato,
            sl::Column::HasErrors,
            sl::Column::DeletedAt,
        ])
    };
    let mut rows: Vec<Row> = Vec::new();
    match ids {
        Some(ids) => {
            for chunk in ids.chunks(500) {
                rows.extend(
                    q().filter(sl::Column::Id.is_in(chunk.iter().cloned()))
                        .into_tuple::<Row>()
                        .all(db)
                        .await?,
                );
            }
        }
        None => {
            rows = q()
                .filter(sl::Column::DeletedAt.is_null())
                .into_tuple::<Row>()
                .all(db)
                .await?;
        }
    }
    let mut enheder: Vec<String> = rows.iter().filter_map(|r| r.2.clone()).collect();
    enheder.sort();
    enheder.dedup();
    let mut kinds = std::collections::HashMap::new();
    for chunk in enheder.chunks(500) {
        let found: Vec<(String, String)> = enhed::Entity::find()
            .select_only()
            .columns([enhed::Column::Id, enhed::Column::Kind])
            .filter(enhed::Column::Id.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        kinds.extend(found);
    }
    Ok(rows
        .into_iter()
        .map(
            |(id, kommune, enhed_id, start, slut, has_errors, deleted)| {
                let kind = enhed_id.as_ref().and_then(|e| kinds.get(e).cloned());
                OfferFacts {
                    id,
                    facts: crate::domain::feed::Facts {
                        deleted: deleted.is_some(),
                        has_errors,
                        // An enhed id that names no enhed is no link.
                        linked: kind.is_some(),
                        startdato: start,
                        slutdato: slut,
                    },
                    standing: Standing {
                        kommune,
                        enhed_id,
                        enhed_kind: kind,
                    },
                }
            },
        )
        .collect())
}
