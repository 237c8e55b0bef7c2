//! Use cases of R32: an ældretilsyn registers tilsyn and påbud/forbud for the enheder in its
//! area, and lifts them; the administrator assigns each ældretilsyn its kommuner. The rules are
//! `domain::tilsyn`'s, the access `domain::access::decide_tilsyn`'s. Every write is audited and
//! changes the enhed in the read model (and the change feed) at once.
use super::{Change, Cx, Tx};
use crate::domain::access::{self, Decision};
use crate::domain::day::copenhagen_day;
use crate::domain::tilsyn::{self as rules, NewTilsyn, SanktionKind};
use crate::error::{AppError, AppResult};
use crate::store::audit::AuditEvent;
use crate::store::enhed::Enhed;
use crate::store::tilsyn::{Sanktion, Tilsyn};
use crate::store::{self};
use chrono::NaiveDate;

const WHAT: &str = "Enheden";

/// May the caller write tilsyn in kommune `kode` (R32)? The ældretilsyn's area is read for it.
async fn may_write_in(cx: Cx<'_>, kode: Option<&str>, refused: &str) -> AppResult<()> {
    cx.require_login()?;
    let covered = match cx.v.cvr.as_deref() {
        Some(cvr) if !cx.v.is_admin() => store::tilsyn::area_of(&cx.st.db, cvr).await?,
        _ => Vec::new(),
    };
    match access::decide_tilsyn(cx.v, kode, &covered) {
        Decision::Forbidden => Err(AppError::Forbidden(refused.into())),
        d => AppError::check(d, WHAT),
    }
}

/// The enhed, when `v` may write its tilsyn; NOT_FOUND for an enhed that does not exist,
/// FORBIDDEN outside the ældretilsyn's area.
async fn writable(cx: Cx<'_>, enhed_id: &str) -> AppResult<Enhed> {
    cx.require_login()?;
    let e = store::enhed::by_id(&cx.st.db, enhed_id)
        .await?
        .ok_or_else(|| AppError::not_found(WHAT))?;
    may_write_in(
        cx,
        e.kommune_kode.as_deref(),
        "Kun ældretilsynet for enhedens kommune (og administratorer) kan registrere tilsyn.",
    )
    .await?;
    Ok(e)
}

/// Records a registration about an enhed: its audit entry and the enhed's change (the read
/// model and the change feed follow), in one transaction.
async fn record<T: serde::Serialize>(
    mut tx: Tx<'_>,
    action: &'static str,
    enhed_id: &str,
    before: Option<&T>,
    after: &T,
) -> AppResult<()> {
    tx.audit(AuditEvent {
        action,
        entity_type: "Enhed",
        entity_id: enhed_id,
        before: before.and_then(|b| serde_json::to_value(b).ok()),
        after: serde_json::to_value(after).ok(),
    })
    .await?;
    tx.changed(Change::Enhed(enhed_id.to_string()));
    tx.commit().await
}

fn validation(errs: Vec<crate::domain::serviceleverance::FieldError>) -> AppError {
    AppError::Validation(errs)
}

/// R32: registers a tilsyn; the latest by date is the public one.
pub async fn register(cx: Cx<'_>, enhed_id: &str, t: NewTilsyn) -> AppResult<Tilsyn> {
    let e = writable(cx, enhed_id).await?;
    let now = cx.now();
    let t = rules::validate_tilsyn(t, copenhagen_day(now)).map_err(validation)?;
    let row = Tilsyn {
        id: uuid::Uuid::new_v4().to_string(),
        enhed_id: e.id.clone(),
        dato: t.dato,
        vurdering: t.vurdering,
        sammenfatning: t.sammenfatning,
        rapport_url: t.rapport_url,
        tilsyn_cvr: cx.v.cvr.clone().unwrap_or_default(),
        created_by: cx.v.subject.clone().unwrap_or_default(),
        created_at: now,
    };
    let tx = Tx::begin(cx).await?;
    let row = store::tilsyn::insert_tilsyn(tx.db(), row).await?;
    record(tx, "registerTilsyn", &e.id, None::<&Tilsyn>, &row).await?;
    Ok(row)
}

/// R32: registers a påbud or forbud (in force from `givet`, until `ophaevet` when given).
pub async fn give(
    cx: Cx<'_>,
    enhed_id: &str,
    kind: SanktionKind,
    tekst: &str,
    givet: NaiveDate,
    ophaevet: Option<NaiveDate>,
) -> AppResult<Sanktion> {
    let e = writable(cx, enhed_id).await?;
    let now = cx.now();
    let tekst = rules::validate_sanktion(tekst, givet, ophaevet, copenhagen_day(now))
        .map_err(validation)?;
    let row = Sanktion {
        id: uuid::Uuid::new_v4().to_string(),
        enhed_id: e.id.clone(),
        kind: kind.as_str().to_string(),
        tekst,
        givet,
        ophaevet,
        tilsyn_cvr: cx.v.cvr.clone().unwrap_or_default(),
        created_by: cx.v.subject.clone().unwrap_or_default(),
        created_at: now,
        updated_at: now,
    };
    let tx = Tx::begin(cx).await?;
    let row = store::tilsyn::insert_sanktion(tx.db(), row).await?;
    record(tx, "givePaabudForbud", &e.id, None::<&Sanktion>, &row).await?;
    Ok(row)
}

/// R32: the day a påbud/forbud was lifted (null takes a lifting back).
pub async fn lift(cx: Cx<'_>, id: &str, ophaevet: Option<NaiveDate>) -> AppResult<Sanktion> {
    cx.require_login()?;
    let not_found = || AppError::not_found("Påbuddet eller forbuddet");
    let old = store::tilsyn::sanktion_by_id(&cx.st.db, id)
        .await?
        .ok_or_else(not_found)?;
    // R26: one outside the area learns nothing of it.
    writable(cx, &old.enhed_id).await.map_err(|e| match e {
        AppError::Forbidden(_) => not_found(),
        e => e,
    })?;
    let now = cx.now();
    rules::validate_sanktion(&old.tekst, old.givet, ophaevet, copenhagen_day(now))
        .map_err(validation)?;
    let tx = Tx::begin(cx).await?;
    store::tilsyn::set_ophaevet(tx.db(), id, ophaevet, now).await?;
    let new = Sanktion {
        ophaevet,
        updated_at: now,
        ..old.clone()
    };
    record(tx, "liftPaabudForbud", &old.enhed_id, Some(&old), &new).await?;
    Ok(new)
}

/// R32: an enhed's whole history (tilsyn and påbud/forbud), for those who may write it.
pub async fn history(cx: Cx<'_>, enhed_id: &str) -> AppResult<(Vec<Tilsyn>, Vec<Sanktion>)> {
    let e = writable(cx, enhed_id).await?;
    Ok((
        store::tilsyn::tilsyn_of(&cx.st.db, &e.id).await?,
        store::tilsyn::sanktioner_of(&cx.st.db, &e.id).await?,
    ))
}

/// R32: the administrator assigns the kommuner an ældretilsyn (by CVR) covers.
pub async fn set_area(cx: Cx<'_>, cvr: &str, kommuner: &[String]) -> AppResult<Vec<String>> {
    AppError::check(access::decide_admin(cx.v), "Ældretilsynet")?;
    let cvr = cvr.trim();
    if !crate::domain::enhed::is_cvr(cvr) {
        return Err(AppError::validation(
            "cvr",
            "Ældretilsynets CVR-nummer skal være 8 cifre.",
        ));
    }
    let mut koder = Vec::new();
    for k in kommuner {
        match cx.st.kommuner.resolve(k) {
            Some(kode) => koder.push(kode.to_string()),
            None => {
                return Err(AppError::validation(
                    "kommuner",
                    format!(
                        "Kommunen \"{}\" findes ikke.",
                        k.chars().take(60).collect::<String>()
                    ),
                ))
            }
        }
    }
    koder.sort();
    koder.dedup();
    let mut tx = Tx::begin(cx).await?;
    let before = store::tilsyn::area_of(tx.db(), cvr).await?;
    store::tilsyn::set_area(tx.db(), cvr, &koder).await?;
    tx.audit(AuditEvent {
        action: "setTilsynOmraade",
        entity_type: "Aeldretilsyn",
        entity_id: cvr,
        before: Some(serde_json::json!({ "kommuner": before })),
        after: Some(serde_json::json!({ "kommuner": koder })),
    })
    .await?;
    tx.commit().await?;
    Ok(koder)
}

/// The kommuner an ældretilsyn covers (administrators, or the ældretilsyn itself).
pub async fn area(cx: Cx<'_>, cvr: &str) -> AppResult<Vec<String>> {
    cx.require_login()?;
    if !access::may_see_tilsyn_area(cx.v, cvr) {
        return Err(AppError::Forbidden(
            "Kun administratorer og ældretilsynet selv kan se dets område.".into(),
        ));
    }
    Ok(store::tilsyn::area_of(&cx.st.db, cvr).await?)
}

/// R32: the enheder lying in a kommune, for the ældretilsyn that covers it (and
/// administrators): what it registers tilsyn for, whether or not a kommune offers them.
pub async fn enheder(cx: Cx<'_>, kommune: &str, limit: u64, offset: u64) -> AppResult<Vec<Enhed>> {
    cx.require_login()?;
    let kode = cx
        .st
        .kommuner
        .resolve(kommune)
        .ok_or_else(|| AppError::validation("kommune", cx.st.kommuner.unknown(kommune)))?
        .to_string();
    may_write_in(
        cx,
        Some(&kode),
        "Kun ældretilsynet for kommunen (og administratorer) kan se listen.",
    )
    .await?;
    Ok(store::enhed::in_kommune(&cx.st.db, &kode, limit, offset).await?)
}
