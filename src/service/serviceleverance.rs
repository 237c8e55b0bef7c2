//! Use cases of serviceleverancer (R1-R19): create, lock, take over, save, write beskrivelse,
//! check in, delete, restore, force-unlock.
use super::{check_revision, conflict, lock_refused, Change, Cx, Tx, RETRIES};
use crate::domain::access::{self, Decision, SlAction, SlFacts, Viewer};
use crate::domain::diff::{self, FieldChange};
use crate::domain::lock::{self, Lock};
use crate::domain::serviceleverance::{
    self as rules, Edit, EnhedFacts, EnhedKind, FieldError, Fields, SlType,
};
use crate::error::{AppError, AppResult};
use crate::store::audit::AuditEvent;
use crate::store::enhed::Enhed as EnhedRow;
use crate::store::kommune::Kommune;
use crate::store::serviceleverance::{self as sl_store, NewSl, Serviceleverance as SlRow};
use crate::store::{self};
use chrono::{DateTime, NaiveDate, Utc};

const WHAT: &str = "Serviceleverancen";

/// The fields of a new agreement as the client sent them.
#[derive(Clone, Debug, Default)]
pub struct NewAgreement {
    pub navn: String,
    /// The enhed's own id (the resolver decodes global ids).
    pub enhed_id: Option<String>,
    pub aftaleidentifikation: Option<String>,
    pub sl_type: Option<SlType>,
    pub startdato: Option<NaiveDate>,
    pub slutdato: Option<NaiveDate>,
    /// A kommune (kode or name) as the party; others than administrators may name only their own.
    pub aftalepart_kode: Option<String>,
}

/// A partial update of an agreement: `Keep` what is not sent, `Clear` what is sent as null.
#[derive(Clone, Debug, Default)]
pub struct AgreementPatch {
    /// Required: clearing it is refused.
    pub navn: Edit<String>,
    pub enhed_id: Edit<String>,
    pub aftaleidentifikation: Edit<String>,
    pub sl_type: Edit<SlType>,
    pub startdato: Edit<NaiveDate>,
    pub slutdato: Edit<NaiveDate>,
}

/// The lock of a stored agreement.
pub fn lock_of(m: &SlRow) -> Option<Lock> {
    Lock::from_parts(
        m.lock_subject.as_ref(),
        m.lock_name.as_ref(),
        m.lock_since,
        m.lock_expires_ms,
    )
}

/// The facts the rules need about an enhed.
pub fn enhed_facts(e: Option<&EnhedRow>) -> Option<EnhedFacts> {
    e.and_then(|e| {
        EnhedKind::parse(&e.kind).map(|kind| EnhedFacts {
            kind,
            ejer_cvr: e.ejer_cvr.clone(),
        })
    })
}

fn parse_id(id: &str) -> AppResult<String> {
    let s = id.trim();
    if s.is_empty() || s.len() > 64 || s.contains('\0') {
        return Err(AppError::not_found(WHAT));
    }
    Ok(s.to_string())
}

/// An agreement with what the policy needs to know about it.
struct Loaded {
    row: SlRow,
    facts: SlFacts,
    enhed: Option<EnhedRow>,
}

/// Loads an agreement the viewer may act on (R26: what one may not see does not exist).
async fn load(cx: Cx<'_>, id: &str, action: SlAction) -> AppResult<Loaded> {
    cx.require_login()?;
    let id = parse_id(id)?;
    // One statement: the agreement (within the viewer's scope, R26), its aftalepart's CVR and
    // its enhed.
    let (row, aftalepart_cvr, enhed) =
        sl_store::by_id_with_facts(&cx.st.db, &id, &access::sl_scope(cx.v))
            .await?
            .ok_or_else(|| AppError::not_found(WHAT))?;
    let facts = SlFacts {
        aftalepart_cvr: aftalepart_cvr.unwrap_or_default(),
        enhed_ejer_cvr: enhed.as_ref().map(|e| e.ejer_cvr.clone()),
    };
    AppError::check(access::decide(cx.v, action, &facts), WHAT)?;
    if row.deleted_at.is_some() && action != SlAction::Read {
        // A deleted agreement can be read with its history, but no longer changed (R8).
        return Err(AppError::not_found(WHAT));
    }
    Ok(Loaded { row, facts, enhed })
}

/// Reads an agreement for the viewer (R26).
pub async fn read(cx: Cx<'_>, id: &str) -> AppResult<SlRow> {
    Ok(load(cx, id, SlAction::Read).await?.row)
}

/// R12: refuses unless the viewer holds a live lock; LOCKED says who holds it.
pub fn require_live_lock(l: Option<Lock>, v: &Viewer, now: DateTime<Utc>) -> AppResult<()> {
    if lock::holds(l.as_ref(), v.subject.as_deref().unwrap_or(""), now) {
        return Ok(());
    }
    match lock::active(l, now) {
        Some(other) => Err(AppError::locked(&other)),
        None => Err(AppError::NotLocked(
            "Du skal låse dette element, før du kan rette i det.".into(),
        )),
    }
}

async fn reload(cx: Cx<'_>, id: &str) -> AppResult<SlRow> {
    sl_store::by_id(&cx.st.db, id)
        .await?
        .ok_or_else(|| AppError::not_found(WHAT))
}

fn json_of(m: &SlRow) -> serde_json::Value {
    serde_json::to_value(sl_store::fields(m)).unwrap_or(serde_json::Value::Null)
}

/// The kommune that is the party of a new agreement (R1), decided by `decide` (create or
/// preview) for the viewer.
pub async fn aftalepart_for_new(
    cx: Cx<'_>,
    requested: Option<&str>,
    decide: fn(&Viewer, &str) -> Decision,
) -> AppResult<Kommune> {
    if decide(cx.v, "") == Decision::Unauthenticated {
        AppError::check(Decision::Unauthenticated, WHAT)?;
    }
    let requested = match requested {
        Some(k) => Some(
            cx.st
                .kommuner
                .resolve(k)
                .ok_or_else(|| AppError::validation("aftalepartKode", "Kommunen findes ikke."))?
                .to_string(),
        ),
        None => None,
    };
    let own = match &cx.v.cvr {
        Some(cvr) => store::kommune::by_cvr(&cx.st.db, cvr)
            .await?
            .map(|k| k.kode),
        None => None,
    };
    let kode = match access::choose_aftalepart(cx.v, requested.as_deref(), own.as_deref()) {
        Ok(k) => k.to_string(),
        Err(None) => {
            return Err(AppError::validation(
                "aftalepartKode",
                "Angiv aftalepartens kommunekode.",
            ))
        }
        Err(Some(_)) if requested.is_some() => {
            return Err(AppError::Forbidden(
                "Kun administratorer kan vælge en anden aftalepart end deres egen kommune.".into(),
            ))
        }
        Err(Some(_)) => {
            return Err(AppError::Forbidden(
                "Kun en driftsoverenskomstansvarlig i en kommune kan oprette serviceleverancer."
                    .into(),
            ))
        }
    };
    let kommune = store::kommune::by_kode(&cx.st.db, &kode)
        .await?
        .ok_or_else(|| AppError::validation("aftalepartKode", "Kommunen findes ikke."))?;
    AppError::check(decide(cx.v, &kommune.cvr), WHAT)?;
    Ok(kommune)
}

/// The enhed an agreement names must exist.
async fn existing_enhed(cx: Cx<'_>, id: Option<&String>) -> AppResult<Option<EnhedRow>> {
    match id {
        Some(id) => Ok(Some(store::enhed::by_id(&cx.st.db, id).await?.ok_or_else(
            || AppError::validation("enhedId", "Den valgte enhed findes ikke."),
        )?)),
        None => Ok(None),
    }
}

fn refuse(errs: Vec<FieldError>) -> AppResult<()> {
    let mut errs = errs;
    errs.dedup_by(|a, b| a.field == b.field);
    if errs.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errs))
    }
}

/// Create (R1, R2, R13): saved even when half-filled, records version 1, left unlocked.
pub async fn create(cx: Cx<'_>, n: NewAgreement) -> AppResult<SlRow> {
    let kommune =
        aftalepart_for_new(cx, n.aftalepart_kode.as_deref(), access::decide_create).await?;
    let mut errs = Vec::new();
    let navn = rules::validate_navn(&n.navn)
        .map_err(|e| errs.push(e))
        .unwrap_or_default();
    let aftaleidentifikation = rules::validate_short_text(
        "aftaleidentifikation",
        "Aftaleidentifikation",
        n.aftaleidentifikation.as_deref(),
    )
    .map_err(|e| errs.push(e))
    .unwrap_or_default();
    let f = Fields {
        navn,
        enhed_id: n.enhed_id.filter(|e| !e.trim().is_empty()),
        aftaleidentifikation,
        sl_type: n.sl_type,
        beskrivelse: None,
        startdato: n.startdato,
        slutdato: n.slutdato,
    };
    if let Err(mut e) = rules::validate_save(&f, None, cx.v.is_admin()) {
        errs.append(&mut e);
    }
    refuse(errs)?;
    let enhed = existing_enhed(cx, f.enhed_id.as_ref()).await?;
    let has_errors = rules::has_errors(&f, enhed_facts(enhed.as_ref()).as_ref());
    let id = uuid::Uuid::new_v4().to_string();
    let mut tx = Tx::begin(cx).await?;
    let m = sl_store::insert(
        tx.db(),
        NewSl {
            id: id.clone(),
            aftalepart_kode: kommune.kode.clone(),
            fields: &f,
            has_errors,
        },
        &cx.actor(),
        tx.now(),
    )
    .await?;
    tx.audit(AuditEvent {
        action: "createServiceleverance",
        entity_type: "Serviceleverance",
        entity_id: &id,
        before: None,
        after: Some(json_of(&m)),
    })
    .await?;
    tx.changed_row(m.clone());
    tx.commit().await?;
    Ok(m)
}

/// Lock for editing (R11, R14): succeeds when unlocked, already yours, or expired; otherwise
/// LOCKED with who holds it and since when.
pub async fn lock(cx: Cx<'_>, id: &str) -> AppResult<SlRow> {
    let l = load(cx, id, SlAction::Lock).await?;
    let now = cx.now();
    let me = cx.v.subject.as_deref().unwrap_or("");
    let held = lock_of(&l.row);
    // R28: the holder's editor renews the lock this way (its heartbeat).
    let renewal = lock::holds(held.as_ref(), me, now);
    let until = lock::expiry(
        now,
        lock::since_of(held.as_ref(), me, now),
        cx.st.config.lock_terms(),
    );
    let mut tx = Tx::begin(cx).await?;
    if !sl_store::try_lock(tx.db(), &l.row.id, &cx.actor(), now, until).await? {
        drop(tx);
        let fresh = reload(cx, &l.row.id).await?;
        return Err(lock_refused(cx, lock_of(&fresh), now, WHAT));
    }
    if renewal {
        // A heartbeat changes who holds nothing: no audit entry a minute (R16 records the lock).
        tx.commit().await?;
        return reload(cx, &l.row.id).await;
    }
    tx.audit(AuditEvent {
        action: "lockServiceleverance",
        entity_type: "Serviceleverance",
        entity_id: &l.row.id,
        before: None,
        after: None,
    })
    .await?;
    tx.commit().await?;
    reload(cx, &l.row.id).await
}

/// R14: a colleague with the same role and organisation takes over a live lock (the former
/// holder's next save gets LOCKED); recorded with the former holder. Without a live lock held by
/// someone else it is an ordinary lock.
pub async fn take_over_lock(cx: Cx<'_>, id: &str) -> AppResult<SlRow> {
    let l = load(cx, id, SlAction::Lock).await?;
    let now = cx.now();
    let me = cx.v.subject.as_deref().unwrap_or("");
    let Some(held) = lock::active(lock_of(&l.row), now).filter(|h| h.subject != me) else {
        return lock(cx, id).await;
    };
    if !access::may_take_over(
        cx.v,
        &held.subject,
        l.row.lock_cvr.as_deref(),
        l.row.lock_roles.as_deref().unwrap_or(""),
    ) {
        return Err(AppError::Forbidden(
            "Kun en kollega i samme organisation og med samme rolle kan overtage låsen.".into(),
        ));
    }
    let until = lock::expiry(now, now, cx.st.config.lock_terms());
    let mut tx = Tx::begin(cx).await?;
    if !sl_store::take_over(tx.db(), &l.row.id, &held.subject, &cx.actor(), now, until).await? {
        return Err(AppError::Conflict(
            "Låsen skiftede hænder imens. Hent serviceleverancen igen.".into(),
        ));
    }
    tx.audit(AuditEvent {
        action: "takeOverServiceleveranceLock",
        entity_type: "Serviceleverance",
        entity_id: &l.row.id,
        before: Some(serde_json::json!({
            "laastAf": held.subject,
            "navn": held.name,
            "siden": held.since,
        })),
        after: None,
    })
    .await?;
    tx.commit().await?;
    reload(cx, &l.row.id).await
}

/// A save by the lock holder (R12): `build` makes the new fields from the current row; written
/// only if the row is still the one read, else re-applied onto the fresh row (the holder's own
/// other save) or refused when the client named the revision it read (`expected`).
async fn save_with<F>(
    cx: Cx<'_>,
    id: &str,
    action: SlAction,
    audit_action: &'static str,
    expected: Option<i64>,
    build: F,
) -> AppResult<SlRow>
where
    F: Fn(&Loaded) -> AppResult<Fields>,
{
    for _ in 0..RETRIES {
        let l = load(cx, id, action).await?;
        require_live_lock(lock_of(&l.row), cx.v, cx.now())?;
        check_revision(expected, l.row.revision)?;
        let f = build(&l)?;
        let enhed = match (&f.enhed_id, &l.row.enhed_id) {
            (Some(new), Some(old)) if new == old => l.enhed.clone(),
            (e, _) => existing_enhed(cx, e.as_ref()).await?,
        };
        let has_errors = rules::has_errors(&f, enhed_facts(enhed.as_ref()).as_ref());
        let mut tx = Tx::begin(cx).await?;
        if !sl_store::save(
            tx.db(),
            &l.row.id,
            &f,
            has_errors,
            &cx.actor(),
            tx.now(),
            l.row.revision,
        )
        .await?
        {
            continue;
        }
        tx.audit(AuditEvent {
            action: audit_action,
            entity_type: "Serviceleverance",
            entity_id: &l.row.id,
            before: Some(json_of(&l.row)),
            after: serde_json::to_value(&f).ok(),
        })
        .await?;
        // The row as committed, read in the transaction: the answer and the read model's copy.
        let row = sl_store::by_id(tx.db(), &l.row.id)
            .await?
            .ok_or_else(|| AppError::not_found(WHAT))?;
        tx.changed_row(row.clone());
        tx.commit().await?;
        return Ok(row);
    }
    Err(conflict())
}

/// Save changes (R12, R2-R5): only the lock holder; publishes at once.
pub async fn update(
    cx: Cx<'_>,
    id: &str,
    patch: AgreementPatch,
    expected: Option<i64>,
) -> AppResult<SlRow> {
    save_with(
        cx,
        id,
        SlAction::Update,
        "updateServiceleverance",
        expected,
        |l| {
            let cur = sl_store::fields(&l.row);
            let mut errs = Vec::new();
            let navn = match &patch.navn {
                Edit::Keep => cur.navn.clone(),
                Edit::Clear => {
                    errs.push(FieldError::new(
                    "navn",
                    "Navn er påkrævet og kan ikke ryddes (null); udelad feltet for at beholde det.",
                ));
                    String::new()
                }
                Edit::Set(n) => rules::validate_navn(n)
                    .map_err(|e| errs.push(e))
                    .unwrap_or_default(),
            };
            let aftaleidentifikation = match &patch.aftaleidentifikation {
                Edit::Set(a) => rules::validate_short_text(
                    "aftaleidentifikation",
                    "Aftaleidentifikation",
                    Some(a),
                )
                .map_err(|e| errs.push(e))
                .unwrap_or_default(),
                other => other.clone().apply(cur.aftaleidentifikation.clone()),
            };
            let f = Fields {
                navn,
                enhed_id: patch
                    .enhed_id
                    .clone()
                    .apply(cur.enhed_id.clone())
                    .filter(|e| !e.trim().is_empty()),
                aftaleidentifikation,
                sl_type: patch.sl_type.clone().apply(cur.sl_type),
                beskrivelse: cur.beskrivelse.clone(),
                startdato: patch.startdato.clone().apply(cur.startdato),
                slutdato: patch.slutdato.clone().apply(cur.slutdato),
            };
            if let Err(mut e) = rules::validate_save(&f, Some(&cur), cx.v.is_admin()) {
                errs.append(&mut e);
            }
            refuse(errs)?;
            Ok(f)
        },
    )
    .await
}

/// Write the beskrivelse (R4): the enhed owner's redaktør or an administrator, with the lock,
/// where it applies.
pub async fn set_beskrivelse(
    cx: Cx<'_>,
    id: &str,
    beskrivelse: Option<String>,
    expected: Option<i64>,
) -> AppResult<SlRow> {
    save_with(
        cx,
        id,
        SlAction::SetBeskrivelse,
        "setBeskrivelse",
        expected,
        |l| {
            let cur = sl_store::fields(&l.row);
            rules::validate_beskrivelse_write(cur.sl_type, enhed_facts(l.enhed.as_ref()).as_ref())
                .map_err(|e| AppError::Validation(vec![e]))?;
            let b = rules::validate_long_text("beskrivelse", "Beskrivelse", beskrivelse.as_deref())
                .map_err(|e| AppError::Validation(vec![e]))?;
            Ok(Fields {
                beskrivelse: b,
                ..cur
            })
        },
    )
    .await
}

/// Restore a version (R15): a save, so it needs the lock; only the fields the caller may write
/// are restored (R3, R4), the others keep their current values.
pub async fn restore(cx: Cx<'_>, id: &str, nummer: i32, expected: Option<i64>) -> AppResult<SlRow> {
    // The version first (it does not change), then the save with the current row.
    let l = load(cx, id, SlAction::Restore).await?;
    let old = version_fields(cx, &l.row.id, nummer, "nummer").await?;
    save_with(
        cx,
        id,
        SlAction::Restore,
        "restoreServiceleveranceVersion",
        expected,
        |l| {
            let cur = sl_store::fields(&l.row);
            let f = rules::restored(&cur, &old, access::sl_field_rights(cx.v, &l.facts));
            rules::validate_save(&f, Some(&cur), cx.v.is_admin()).map_err(AppError::Validation)?;
            Ok(f)
        },
    )
    .await
}

/// A version's fields (R15); a Danish refusal naming `field` when it does not exist.
async fn version_fields(
    cx: Cx<'_>,
    id: &str,
    nummer: i32,
    field: &'static str,
) -> AppResult<Fields> {
    let ver = sl_store::version(&cx.st.db, id, nummer)
        .await?
        .ok_or_else(|| AppError::validation(field, format!("Version {nummer} findes ikke.")))?;
    serde_json::from_str(&ver.snapshot).map_err(|e| AppError::Internal(e.to_string()))
}

/// The enhed of a change shown by its name ("Egehjem (e-12)"), as a person knows it.
async fn with_enhed_names(
    cx: Cx<'_>,
    mut changes: Vec<FieldChange>,
) -> AppResult<Vec<FieldChange>> {
    let ids: Vec<String> = changes
        .iter()
        .filter(|c| c.field == "enhedId")
        .flat_map(|c| [c.before.clone(), c.after.clone()])
        .flatten()
        .collect();
    if ids.is_empty() {
        return Ok(changes);
    }
    let names: std::collections::HashMap<String, String> =
        crate::store::enhed::by_ids(&cx.st.db, &ids)
            .await?
            .into_iter()
            .map(|e| (e.id, e.navn))
            .collect();
    let named = |v: &mut Option<String>| {
        if let Some(id) = v.as_ref() {
            if let Some(n) = names.get(id) {
                *v = Some(format!("{n} ({id})"));
            }
        }
    };
    for c in changes.iter_mut().filter(|c| c.field == "enhedId") {
        named(&mut c.before);
        named(&mut c.after);
    }
    Ok(changes)
}

/// R15: what differs between version `from` and version `to`, or the current state when `to`
/// is None; for anyone who may see the agreement (R26).
pub async fn compare(
    cx: Cx<'_>,
    id: &str,
    from: i32,
    to: Option<i32>,
) -> AppResult<Vec<FieldChange>> {
    let row = read(cx, id).await?;
    let a = version_fields(cx, &row.id, from, "from").await?;
    let b = match to {
        Some(n) => version_fields(cx, &row.id, n, "to").await?,
        None => sl_store::fields(&row),
    };
    with_enhed_names(cx, diff::between_fields(&a, &b)).await
}

/// R15 with R3/R4: what restoring version `nummer` would change, for the caller (only the
/// fields the caller may write are restored); for those who may restore.
pub async fn restore_preview(cx: Cx<'_>, id: &str, nummer: i32) -> AppResult<Vec<FieldChange>> {
    let l = load(cx, id, SlAction::Restore).await?;
    let old = version_fields(cx, &l.row.id, nummer, "nummer").await?;
    let cur = sl_store::fields(&l.row);
    let f = rules::restored(&cur, &old, access::sl_field_rights(cx.v, &l.facts));
    with_enhed_names(cx, diff::between_fields(&cur, &f)).await
}

/// Check in (R13): releases the lock and records the next version, whose snapshot is exactly
/// the row as committed (a concurrent save of the holder is either in it or refused).
pub async fn check_in(
    cx: Cx<'_>,
    id: &str,
    kommentar: Option<String>,
    expected: Option<i64>,
) -> AppResult<SlRow> {
    let kommentar = rules::validate_long_text("kommentar", "Kommentar", kommentar.as_deref())
        .map_err(|e| AppError::Validation(vec![e]))?;
    for _ in 0..RETRIES {
        let l = load(cx, id, SlAction::CheckIn).await?;
        require_live_lock(lock_of(&l.row), cx.v, cx.now())?;
        check_revision(expected, l.row.revision)?;
        let mut tx = Tx::begin(cx).await?;
        let Some(nummer) =
            sl_store::check_in(tx.db(), &l.row, &cx.actor(), tx.now(), kommentar.clone()).await?
        else {
            continue;
        };
        tx.audit(AuditEvent {
            action: "checkInServiceleverance",
            entity_type: "Serviceleverance",
            entity_id: &l.row.id,
            before: None,
            after: Some(serde_json::json!({ "version": nummer })),
        })
        .await?;
        // The row as committed, read in the transaction: the answer and the read model's copy.
        let row = sl_store::by_id(tx.db(), &l.row.id)
            .await?
            .ok_or_else(|| AppError::not_found(WHAT))?;
        tx.changed_row(row.clone());
        tx.commit().await?;
        return Ok(row);
    }
    Err(conflict())
}

/// Delete (R8): a soft delete by the aftalepart's user holding the lock. Leaves the public
/// search at once; the history is kept. Returns the id.
pub async fn delete(cx: Cx<'_>, id: &str, expected: Option<i64>) -> AppResult<String> {
    for _ in 0..RETRIES {
        let l = load(cx, id, SlAction::Delete).await?;
        require_live_lock(lock_of(&l.row), cx.v, cx.now())?;
        check_revision(expected, l.row.revision)?;
        let mut tx = Tx::begin(cx).await?;
        if !sl_store::soft_delete(tx.db(), &l.row.id, &cx.actor(), tx.now(), l.row.revision).await?
        {
            continue;
        }
        tx.audit(AuditEvent {
            action: "deleteServiceleverance",
            entity_type: "Serviceleverance",
            entity_id: &l.row.id,
            before: Some(json_of(&l.row)),
            after: None,
        })
        .await?;
        tx.changed(Change::Serviceleverance(l.row.id.clone()));
        tx.commit().await?;
        return Ok(l.row.id);
    }
    Err(conflict())
}

/// Release anyone's lock (R14). Administrators only (the policy).
pub async fn force_unlock(cx: Cx<'_>, id: &str) -> AppResult<SlRow> {
    let l = load(cx, id, SlAction::ForceUnlock).await?;
    let mut tx = Tx::begin(cx).await?;
    sl_store::force_unlock(tx.db(), &l.row.id).await?;
    let before =
        lock_of(&l.row).map(|h| serde_json::json!({ "laastAf": h.subject, "siden": h.since }));
    tx.audit(AuditEvent {
        action: "forceUnlockServiceleverance",
        entity_type: "Serviceleverance",
        entity_id: &l.row.id,
        before,
        after: None,
    })
    .await?;
    tx.commit().await?;
    reload(cx, &l.row.id).await
}

/// What a preview of a save shows the issues of.
pub struct Preview {
    /// The saved agreement being changed, if any (it does not overlap with itself, R9).
    pub own_id: Option<String>,
    pub aftalepart_kode: String,
    pub fields: Fields,
}

/// `previewIssues`: the fields a save of `patch` would write (of the saved agreement `id`, or of
/// a new one), refused as that save would refuse them (access, R3, R5, an unknown enhed); navn
/// is not part of the preview. The issues themselves are computed by the caller as for any
/// saved agreement.
pub async fn preview(
    cx: Cx<'_>,
    id: Option<&str>,
    aftalepart_kode: Option<&str>,
    patch: AgreementPatch,
) -> AppResult<Preview> {
    let (own_id, kode, before) = match id {
        Some(id) => {
            let m = load(cx, id, SlAction::Update).await?.row;
            if aftalepart_kode.is_some() {
                return Err(AppError::validation(
                    "aftalepartKode",
                    "Aftaleparten kan ikke ændres; udelad aftalepartKode, når id er angivet.",
                ));
            }
            let f = sl_store::fields(&m);
            (Some(m.id), m.aftalepart_kode, Some(f))
        }
        None => {
            let k = aftalepart_for_new(cx, aftalepart_kode, access::decide_preview).await?;
            (None, k.kode, None)
        }
    };
    let cur = before.clone().unwrap_or_default();
    let fields = Fields {
        enhed_id: patch
            .enhed_id
            .apply(cur.enhed_id.clone())
            .filter(|e| !e.trim().is_empty()),
        sl_type: patch.sl_type.apply(cur.sl_type),
        startdato: patch.startdato.apply(cur.startdato),
        slutdato: patch.slutdato.apply(cur.slutdato),
        ..cur
    };
    if let Err(mut errs) = rules::validate_save(&fields, before.as_ref(), cx.v.is_admin()) {
        errs.retain(|e| e.field != "navn");
        refuse(errs)?;
    }
    existing_enhed(cx, fields.enhed_id.as_ref()).await?;
    Ok(Preview {
        own_id,
        aftalepart_kode: kode,
        fields,
    })
}
