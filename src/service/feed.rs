//! R30, the change feed's use cases: the events a commit records, the day's start and end of
//! offers, and the log's retention. The domain decides each event (`domain::feed`); the store
//! keeps the log; the read model fans the events out to subscribers.
use crate::domain::day::copenhagen_day;
use crate::domain::feed::{self, Standing};
use crate::readmodel::{Change, ReadModel};
use crate::store::{self, change_log};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Records, in the committing transaction, the events of the changed items on the day of
/// `now`. Call it after the data version is incremented: that row's lock, held to the commit,
/// orders every writer of the feed, so sequence numbers become visible in order and each
/// writer compares against the view its predecessor left.
pub(crate) async fn record<C: ConnectionTrait>(
    db: &C,
    changes: &[Change],
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let mut enheder: Vec<String> = Vec::new();
    for c in changes {
        match c {
            Change::Serviceleverance(id) => {
                ids.insert(id.clone());
            }
            Change::Enhed(id) => enheder.push(id.clone()),
            Change::Kommune(_) => {}
        }
    }
    // An enhed's name, address or place is part of each of its public offers.
    let of_enheder = change_log::standings_of_enheder(db, &enheder).await?;
    let touched_enhed: BTreeSet<String> = of_enheder.into_iter().map(|(id, _)| id).collect();
    ids.extend(touched_enhed);
    if ids.is_empty() {
        return Ok(0);
    }
    let ids: Vec<String> = ids.into_iter().collect();
    let facts = change_log::offer_facts(db, Some(&ids)).await?;
    let was: HashMap<String, Standing> =
        change_log::standings(db, &ids).await?.into_iter().collect();
    reconcile(db, facts, was, true, copenhagen_day(now), now).await
}

/// Compares each agreement with the feed's view, appends the events and moves the view. With
/// `touched`, an agreement that stays public is UPDATED (its data may have changed); the
/// agreements in `was` without facts left the view (deleted).
async fn reconcile<C: ConnectionTrait>(
    db: &C,
    facts: Vec<change_log::OfferFacts>,
    mut was: HashMap<String, Standing>,
    touched: bool,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let mut moves: Vec<(String, Option<Standing>, Option<Standing>)> = Vec::new();
    for f in facts {
        let is = feed::public_on(&f.facts, day).then_some(f.standing);
        let before = was.remove(&f.id);
        if before.is_some() || is.is_some() {
            moves.push((f.id, before, is));
        }
    }
    for (id, before) in was {
        moves.push((id, Some(before), None));
    }
    // One order for the events of one commit: by kommune, then agreement.
    moves.sort_by(|a, b| {
        let k = |m: &(String, Option<Standing>, Option<Standing>)| {
            m.2.as_ref().or(m.1.as_ref()).map(|s| s.kommune.clone())
        };
        k(a).cmp(&k(b)).then_with(|| a.0.cmp(&b.0))
    });
    let mut entries = Vec::new();
    for (id, before, is) in &moves {
        for (kind, standing) in feed::events(before.as_ref(), is.as_ref(), touched) {
            entries.push(change_log::NewEntry {
                kind,
                standing,
                serviceleverance_id: id,
                day,
            });
        }
        if before != is {
            change_log::set_standing(db, id, is.as_ref()).await?;
        }
    }
    change_log::append(db, &entries, now).await?;
    Ok(entries.len())
}

/// R6, R30: records the offers that start or end on `day` (and anything else the feed's view
/// missed), once: the day is claimed in the same transaction, so a second instance, or this
/// one after a restart, records nothing. Also prunes the log past its retention. Returns the
/// number of events, or `None` when the day was recorded already.
pub async fn record_day(
    db: &DatabaseConnection,
    rm: &ReadModel,
    day: NaiveDate,
    now: DateTime<Utc>,
    retention_days: u32,
) -> Result<Option<usize>, DbErr> {
    let txn = store::begin_write(db).await?;
    // The data version's lock first, as every writer of the feed takes it (see `record`).
    store::lock_version(&txn).await?;
    if !change_log::claim_day(&txn, day, now).await? {
        txn.rollback().await?;
        return Ok(None);
    }
    let facts = change_log::offer_facts(&txn, None).await?;
    let was: HashMap<String, Standing> =
        change_log::all_standings(&txn).await?.into_iter().collect();
    let n = reconcile(&txn, facts, was, false, day, now).await?;
    let cut = now - chrono::Duration::days(i64::from(retention_days));
    let pruned = change_log::prune(&txn, cut).await?;
    // Events wake the other instances' feeds, and the moment moves past answers that still
    // show the pruned events (the response cache keys on it); the snapshots need nothing, as
    // the day filter runs per query.
    let version = if n > 0 || pruned > 0 {
        let notice = crate::readmodel::Notice::of(0, rm.id(), &[])
            .after_version()
            .map_err(|e| DbErr::Custom(e.to_string()))?;
        Some(store::bump_version_and_notify(&txn, &notice).await?)
    } else {
        None
    };
    txn.commit().await?;
    if let Some(v) = version {
        rm.apply(db, &[], v).await?;
    }
    if n > 0 || pruned > 0 {
        tracing::info!(%day, events = n, pruned, "dagens start og ophør af tilbud er registreret");
    }
    Ok(Some(n))
}

/// Watches the clock and records each new Copenhagen day once it begins (checked every second,
/// so a test's clock and a real midnight are seen alike). The instance that records the day
/// also applies the audit log's retention (R34), so one instance a day does it.
pub fn spawn_day_changes(
    db: DatabaseConnection,
    clock: crate::domain::day::SharedClock,
    rm: Arc<ReadModel>,
    retention_days: u32,
    audit_retention_days: Option<u32>,
) {
    let db = store::uncounted(&db);
    tokio::spawn(async move {
        let mut done: Option<NaiveDate> = None;
        loop {
            let now = clock.now();
            let day = copenhagen_day(now);
            if done != Some(day) {
                match record_day(&db, &rm, day, now, retention_days).await {
                    Ok(claimed) => {
                        done = Some(day);
                        rm.feed.poke(&db).await;
                        if let (Some(_), Some(days)) = (claimed, audit_retention_days) {
                            if let Err(e) = super::audit::prune(&db, now, days).await {
                                // Tomorrow's run deletes what today's left.
                                tracing::warn!(error = %e, "gamle loghændelser kunne ikke slettes");
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "kunne ikke registrere dagens start og ophør af tilbud; prøver igen")
                    }
                }
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    });
}
