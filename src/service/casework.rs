//! A caseworker's overview (issue 20): the worklist "Kræver handling" and the export of the
//! agreements one may see, both from the same facts as an agreement's own page (R9, R10, R26).
use super::Cx;
use crate::domain::access;
use crate::domain::day::copenhagen_day;
use crate::domain::frit_valg::Choice;
use crate::domain::lock;
use crate::domain::serviceleverance::{self as rules, EnhedFacts, EnhedKind, Issue, IssueContext};
use crate::domain::worklist::{self, WorkKind};
use crate::error::AppResult;
use crate::store::{self, enhed::Enhed as EnhedRow, serviceleverance::Serviceleverance as SlRow};
use std::collections::HashMap;

/// An agreement with everything the overview says about it.
pub struct Assessed {
    pub row: SlRow,
    pub enhed: Option<EnhedRow>,
    pub issues: Vec<Issue>,
    /// Why it is not public today; None when it is.
    pub not_public: Option<String>,
}

/// Every agreement the viewer may see, with its issues as its own page computes them.
pub async fn assessed(cx: Cx<'_>) -> AppResult<Vec<Assessed>> {
    cx.require_login()?;
    let db = &cx.st.db;
    let rows = store::serviceleverance::all_visible(db, &access::sl_scope(cx.v)).await?;
    let mut enhed_ids: Vec<String> = rows.iter().filter_map(|r| r.enhed_id.clone()).collect();
    enhed_ids.sort();
    enhed_ids.dedup();
    let mut enheder: HashMap<String, EnhedRow> = HashMap::new();
    for chunk in enhed_ids.chunks(500) {
        for e in store::enhed::by_ids(db, chunk).await? {
            enheder.insert(e.id.clone(), e);
        }
    }
    let cvr: HashMap<String, String> = store::kommune::all(db)
        .await?
        .into_iter()
        .map(|k| (k.kode, k.cvr))
        .collect();
    // R9's overlap among the agreements of one kommune and enhed (the ones the viewer sees are
    // all of a kommune's, or all about the viewer's own enheder: every pair is in the list).
    let mut pairs: HashMap<(&str, &str), Vec<&SlRow>> = HashMap::new();
    for r in &rows {
        if let Some(e) = &r.enhed_id {
            pairs.entry((&r.aftalepart_kode, e)).or_default().push(r);
        }
    }
    let overlaps = |r: &SlRow| -> bool {
        r.enhed_id.as_deref().is_some_and(|e| {
            pairs
                .get(&(r.aftalepart_kode.as_str(), e))
                .is_some_and(|os| {
                    os.iter().any(|o| {
                        o.id != r.id
                            && rules::periods_overlap(
                                (o.startdato, o.slutdato),
                                (r.startdato, r.slutdato),
                            )
                    })
                })
        })
    };
    let today = copenhagen_day(cx.now());
    // R33 per kommune, from the read model (what is public on the day).
    let snap = cx.st.read_model.snapshot();
    let mut choices: HashMap<&str, Choice> = HashMap::new();
    for r in &rows {
        choices.entry(&r.aftalepart_kode).or_insert_with(|| Choice {
            providers: snap.helhedspleje_providers(&r.aftalepart_kode, today),
            kommune_cvr: cvr.get(&r.aftalepart_kode).cloned().unwrap_or_default(),
        });
    }
    let out: Vec<Assessed> = rows
        .iter()
        .map(|r| {
            let enhed = r.enhed_id.as_ref().and_then(|e| enheder.get(e)).cloned();
            let facts = enhed.as_ref().and_then(|e| {
                EnhedKind::parse(&e.kind).map(|kind| EnhedFacts {
                    kind,
                    ejer_cvr: e.ejer_cvr.clone(),
                })
            });
            let f = store::serviceleverance::fields(r);
            let ictx = IssueContext {
                enhed: facts.as_ref(),
                aftalepart_cvr: cvr.get(&r.aftalepart_kode).map_or("", String::as_str),
                today,
                overlaps_other: overlaps(r),
                frit_valg: choices.get(r.aftalepart_kode.as_str()),
            };
            let issues = rules::issues(&f, &ictx);
            let not_public = rules::not_public_reason(&f, facts.as_ref(), false, today);
            Assessed {
                row: r.clone(),
                enhed,
                issues,
                not_public,
            }
        })
        .collect();
    Ok(out)
}

/// One agreement on the worklist and why.
pub struct Item {
    pub row: SlRow,
    pub reason: String,
}

/// A group of the worklist, in the order it is shown.
pub struct Group {
    pub kind: WorkKind,
    pub items: Vec<Item>,
}

/// R33 for the viewer's own kommune (a driftsoverenskomstansvarlig's): the warning when its
/// citizens lack a choice of helhedspleje today, also when no agreement of it carries it.
pub async fn frit_valg(cx: Cx<'_>) -> AppResult<Option<crate::domain::serviceleverance::Issue>> {
    if !worklist::asks_frit_valg(cx.v) {
        return Ok(None);
    }
    let Some(cvr) = cx.v.cvr.as_deref() else {
        return Ok(None);
    };
    let Some(k) = store::kommune::by_cvr(&cx.st.db, cvr).await? else {
        return Ok(None);
    };
    let today = copenhagen_day(cx.now());
    let choice = Choice {
        providers: cx
            .st
            .read_model
            .snapshot()
            .helhedspleje_providers(&k.kode, today),
        kommune_cvr: k.cvr,
    };
    Ok(choice.warning())
}

/// "Kræver handling": for each kind the viewer's role is asked about (`worklist::kinds_for`),
/// the agreements that need it. Those ending soon come soonest first, those ended most recent
/// first, the rest by name.
pub async fn worklist(cx: Cx<'_>) -> AppResult<Vec<Group>> {
    let kinds = worklist::kinds_for(cx.v);
    let all = assessed(cx).await?;
    let ids: Vec<String> = all.iter().map(|a| a.row.id.clone()).collect();
    let versioned = store::serviceleverance::versioned_at(&cx.st.db, &ids).await?;
    let now = cx.now();
    let today = copenhagen_day(now);
    let mut groups: Vec<Group> = kinds
        .iter()
        .map(|k| Group {
            kind: *k,
            items: Vec::new(),
        })
        .collect();
    for a in all {
        let f = store::serviceleverance::fields(&a.row);
        let held = lock::active(super::serviceleverance::lock_of(&a.row), now);
        let facts = worklist::Facts {
            fields: &f,
            issues: &a.issues,
            lock: held
                .as_ref()
                .map(|l| (l.name.as_deref().unwrap_or(&l.subject), l.since)),
            saved_at: a.row.updated_at,
            versioned_at: versioned.get(&a.row.id).copied(),
            today,
            now,
        };
        for (kind, reason) in worklist::reasons(&facts) {
            if let Some(g) = groups.iter_mut().find(|g| g.kind == kind) {
                g.items.push(Item {
                    row: a.row.clone(),
                    reason,
                });
            }
        }
    }
    for g in &mut groups {
        match g.kind {
            WorkKind::EndingSoon => g.items.sort_by_key(|i| i.row.slutdato),
            WorkKind::EndedRecently => g.items.sort_by_key(|i| std::cmp::Reverse(i.row.slutdato)),
            _ => {}
        }
    }
    Ok(groups)
}
