//! The audit log as people use it (R16, R34): narrowed by element, by person (by name) and by
//! date range; each entry with its element's name and a readable field-by-field diff; exported
//! in batches of any size; an extract per person; and the retention job.
use super::Cx;
use crate::app::AppState;
use crate::domain::access::{self, Role, Viewer};
use crate::domain::day::{copenhagen_day, day_start};
use crate::domain::diff::{self, FieldChange};
use crate::domain::text::loose;
use crate::error::{AppError, AppResult};
use crate::store::{self, audit as log, audit::AuditEntry, audit::AuditFilter};
use async_graphql::futures_util::Stream;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{DatabaseConnection, DbErr};
use std::collections::HashMap;

const WHAT: &str = "Loggen";

/// What a reader asks the log for (all optional).
#[derive(Clone, Debug, Default)]
pub struct LogQuery {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// Exactly this subject's entries.
    pub actor: Option<String>,
    /// Entries by people whose name (or subject) contains this text; case, æ/ae, ø/oe, å/aa
    /// insensitive.
    pub person: Option<String>,
    /// The extract for one person (Datatilsynet's practice on access to log entries): entries by
    /// this subject and entries that name it (a lock taken from it).
    pub about: Option<String>,
    /// From this Copenhagen day, inclusive.
    pub from: Option<NaiveDate>,
    /// To this Copenhagen day, inclusive.
    pub to: Option<NaiveDate>,
}

/// An entry as the reader sees it.
#[derive(Clone)]
pub struct Entry {
    pub row: AuditEntry,
    /// The element's name now (an agreement's or enhed's navn, a kommune's name); None when it
    /// is gone or has none.
    pub element: Option<String>,
    pub changes: Vec<FieldChange>,
}

fn text_arg(field: &'static str, label: &str, v: Option<String>) -> AppResult<Option<String>> {
    match v.map(|s| s.trim().to_string()) {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) if s.chars().count() > 200 || s.chars().any(char::is_control) => {
            Err(AppError::validation(
                field,
                format!("{label} må højst være 200 tegn uden kontroltegn."),
            ))
        }
        Some(s) => Ok(Some(s)),
    }
}

/// Who may read the log: administrators (R16).
pub fn allowed(v: &Viewer) -> AppResult<()> {
    AppError::check(access::decide_admin(v), WHAT)
}

/// The store's filter for a query: the person's name becomes the subjects that carry it, the
/// days become instants in Copenhagen time.
pub async fn filter_of(st: &AppState, q: LogQuery) -> AppResult<AuditFilter> {
    let person = text_arg("person", "Person", q.person)?;
    let actor_subjects = match person {
        None => None,
        Some(p) => {
            // Every word, in any order, with or without the Danish letters ("soren orsted"
            // finds Søren Ørsted).
            let want: Vec<String> = loose(&p).split_whitespace().map(str::to_string).collect();
            let people = log::people(&st.db).await?;
            let mut subjects: Vec<String> = people
                .into_iter()
                .filter(|(s, n)| {
                    *s == p
                        || n.as_deref().is_some_and(|n| {
                            let n = loose(n);
                            want.iter().all(|w| n.contains(w.as_str()))
                        })
                })
                .map(|(s, _)| s)
                .collect();
            subjects.dedup();
            Some(subjects)
        }
    };
    if let (Some(f), Some(t)) = (q.from, q.to) {
        if t < f {
            return Err(AppError::validation(
                "to",
                "Til-datoen skal ligge på eller efter fra-datoen.",
            ));
        }
    }
    Ok(AuditFilter {
        entity_type: text_arg("entityType", "Elementtype", q.entity_type)?,
        entity_id: text_arg("entityId", "Elementets id", q.entity_id)?,
        actor_subject: text_arg("actor", "Bruger", q.actor)?,
        actor_subjects,
        about: text_arg("about", "Person", q.about)?,
        from: q.from.map(day_start),
        until: q.to.map(|d| day_start(d + Duration::days(1))),
    })
}

/// A page of the log, newest first, with names and diffs; `(entries, total)`.
pub async fn page(
    cx: Cx<'_>,
    q: LogQuery,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<Entry>, u64)> {
    allowed(cx.v)?;
    let f = filter_of(cx.st, q).await?;
    let (rows, total) = log::list(&cx.st.db, &f, offset, limit).await?;
    Ok((named(cx.st, rows).await?, total))
}

/// The entries with their elements' names (one query per kind of element) and diffs.
pub async fn named(st: &AppState, rows: Vec<AuditEntry>) -> AppResult<Vec<Entry>> {
    let ids_of = |t: &str| -> Vec<String> {
        let mut v: Vec<String> = rows
            .iter()
            .filter(|r| r.entity_type == t)
            .map(|r| r.entity_id.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let mut names: HashMap<(&'static str, String), String> = HashMap::new();
    for r in store::serviceleverance::by_ids(&st.db, &ids_of("Serviceleverance")).await? {
        names.insert(("Serviceleverance", r.id), r.navn);
    }
    for e in store::enhed::by_ids(&st.db, &ids_of("Enhed")).await? {
        names.insert(("Enhed", e.id), e.navn);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let element = match row.entity_type.as_str() {
                "Serviceleverance" => names
                    .get(&("Serviceleverance", row.entity_id.clone()))
                    .cloned(),
                "Enhed" => names.get(&("Enhed", row.entity_id.clone())).cloned(),
                "Kommune" => st
                    .kommuner
                    .navn(&row.entity_id)
                    .map(crate::domain::kommune::official_name),
                _ => None,
            };
            let json = |s: &Option<String>| {
                s.as_deref()
                    .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
            };
            let changes = diff::between_json(json(&row.before).as_ref(), json(&row.after).as_ref());
            Entry {
                row,
                element,
                changes,
            }
        })
        .collect())
}

/// Entries per batch of an export: bounded memory per download whatever the log's size.
pub const EXPORT_BATCH: u64 = 500;

/// Every entry of the filter, newest first, in batches read one after the other by id (an
/// export of any size holds one batch at a time). Access is checked by the caller
/// ([`allowed`]) before the response starts.
pub fn export(st: AppState, f: AuditFilter) -> impl Stream<Item = AppResult<Vec<Entry>>> {
    async_stream::stream! {
        let mut before: Option<i64> = None;
        loop {
            let rows = match log::batch(&st.db, &f, before, EXPORT_BATCH).await {
                Ok(r) => r,
                Err(e) => {
                    yield Err(AppError::from(e));
                    break;
                }
            };
            let Some(last) = rows.last().map(|r| r.id) else { break };
            let full = rows.len() as u64 == EXPORT_BATCH;
            before = Some(last);
            yield named(&st, rows).await;
            if !full {
                break;
            }
        }
    }
}

/// Who the retention job is in the log.
fn retention_actor() -> Viewer {
    Viewer {
        subject: Some("system:retention".into()),
        name: Some("Opbevaringsjob".into()),
        cvr: None,
        roles: vec![Role::Administrator],
    }
}

/// Entries deleted per transaction: a long prune never holds the write lock for long.
const PRUNE_BATCH: u64 = 1_000;

/// R34: deletes the entries older than `days` days in batches, then records the deletion itself
/// (how many, older than which instant). Run by the instance that claimed the day (see
/// `feed::spawn_day_changes`), so one instance at a time. Returns the number deleted.
pub async fn prune(db: &DatabaseConnection, now: DateTime<Utc>, days: u32) -> Result<u64, DbErr> {
    let first_kept = copenhagen_day(now) - Duration::days(i64::from(days));
    let cut = day_start(first_kept);
    let mut total = 0;
    loop {
        let txn = store::begin_write(db).await?;
        let n = log::prune_batch(&txn, cut, PRUNE_BATCH).await?;
        txn.commit().await?;
        total += n;
        if n < PRUNE_BATCH {
            break;
        }
    }
    if total > 0 {
        let txn = store::begin_write(db).await?;
        log::record(
            &txn,
            &retention_actor(),
            log::AuditEvent {
                action: "pruneAuditLog",
                entity_type: "AuditLog",
                entity_id: "audit_log",
                before: None,
                after: Some(
                    serde_json::json!({ "slettede": total, "foer": first_kept.to_string() }),
                ),
            },
            now,
        )
        .await?;
        txn.commit().await?;
        tracing::info!(deleted = total, before = %cut, "gamle loghændelser er slettet");
    }
    Ok(total)
}
