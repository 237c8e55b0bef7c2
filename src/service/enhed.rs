//! Use cases of enheder (R17-R19): create, update with the enhed's lock, lock, take over,
//! check in; the field rules are `domain::enhed`'s and `domain::serviceleverance`'s, the kommune
//! is derived from the location with the boundaries.
use super::{check_revision, conflict, lock_refused, Change, Cx, Tx, RETRIES};
use crate::app::AppState;
use crate::domain::access::{self, Decision};
use crate::domain::enhed as enhed_rules;
use crate::domain::geo::LatLon;
use crate::domain::lock::{self, Lock};
use crate::domain::serviceleverance::{
    self as rules, validate_long_text, validate_short_text, Boligtype, Edit, EnhedKind, FieldError,
};
use crate::domain::text::fold;
use crate::error::{AppError, AppResult};
use crate::store::audit::AuditEvent;
use crate::store::enhed::Enhed;
use crate::store::serviceleverance as sl_store;
use crate::store::{self};
use chrono::{DateTime, Utc};

/// The fields of an enhed to set (`Keep` what is not sent, `Clear` what is sent as null).
#[derive(Clone, Debug, Default)]
pub struct EnhedPatch {
    pub kind: Option<EnhedKind>,
    pub navn: Option<String>,
    pub ejer_cvr: Option<String>,
    pub sor_kode: Edit<String>,
    pub vejnavn: Edit<String>,
    pub postnummer: Edit<String>,
    pub by: Edit<String>,
    pub lat: Edit<f64>,
    pub lon: Edit<f64>,
    pub kommune_kode: Edit<String>,
    pub beskrivelse: Edit<String>,
    pub telefon: Edit<String>,
    pub email: Edit<String>,
    pub web: Edit<String>,
    pub boligtype: Edit<Boligtype>,
    pub antal_boliger: Edit<i32>,
    /// R31: the profile, written by the owner's redaktør like the beskrivelse.
    pub profil: crate::domain::profil::ProfilPatch,
}

impl EnhedPatch {
    /// Does the change touch more than the description and contact data (R19)?
    pub fn touches_register_fields(&self) -> bool {
        self.kind.is_some()
            || self.navn.is_some()
            || self.ejer_cvr.is_some()
            || !self.sor_kode.is_keep()
            || !self.vejnavn.is_keep()
            || !self.postnummer.is_keep()
            || !self.by.is_keep()
            || !self.lat.is_keep()
            || !self.lon.is_keep()
            || !self.kommune_kode.is_keep()
            || !self.boligtype.is_keep()
            || !self.antal_boliger.is_keep()
    }
}

fn upd<T: Clone>(v: Edit<T>, cur: Option<T>) -> Option<T> {
    v.apply(cur)
}

/// Applies an admin/redaktør input to an enhed (or a new one), validating it and deriving the
/// kommune from the location (R17).
pub fn apply(
    st: &AppState,
    old: Option<Enhed>,
    i: EnhedPatch,
    now: DateTime<Utc>,
) -> Result<Enhed, AppError> {
    let mut errs: Vec<FieldError> = Vec::new();
    let mut short = |field: &'static str,
                     label: &str,
                     v: Edit<String>,
                     cur: Option<String>|
     -> Option<String> {
        match v {
            Edit::Keep => cur,
            Edit::Clear => None,
            Edit::Set(s) => validate_short_text(field, label, Some(&s))
                .map_err(|e| errs.push(e))
                .ok()
                .flatten(),
        }
    };
    let o = old.clone();
    let navn_in = i
        .navn
        .or(o.as_ref().map(|x| x.navn.clone()))
        .unwrap_or_default();
    let vejnavn = short(
        "vejnavn",
        "Vejnavn",
        i.vejnavn,
        o.as_ref().and_then(|x| x.vejnavn.clone()),
    );
    let postnummer = short(
        "postnummer",
        "Postnummer",
        i.postnummer,
        o.as_ref().and_then(|x| x.postnummer.clone()),
    );
    let by = short("by", "By", i.by, o.as_ref().and_then(|x| x.by.clone()));
    let sor_kode = short(
        "sorKode",
        "SOR-kode",
        i.sor_kode,
        o.as_ref().and_then(|x| x.sor_kode.clone()),
    );
    let mut contact = |v: Edit<String>,
                       cur: Option<String>,
                       rule: fn(Option<&str>) -> Result<Option<String>, FieldError>|
     -> Option<String> {
        match v {
            Edit::Keep => cur,
            Edit::Clear => None,
            Edit::Set(s) => rule(Some(&s)).map_err(|e| errs.push(e)).ok().flatten(),
        }
    };
    let telefon = contact(
        i.telefon,
        o.as_ref().and_then(|x| x.telefon.clone()),
        enhed_rules::validate_telefon,
    );
    let email = contact(
        i.email,
        o.as_ref().and_then(|x| x.email.clone()),
        enhed_rules::validate_email,
    );
    let web = contact(
        i.web,
        o.as_ref().and_then(|x| x.web.clone()),
        enhed_rules::validate_web,
    );
    let beskrivelse = match i.beskrivelse {
        Edit::Keep => o.as_ref().and_then(|x| x.beskrivelse.clone()),
        Edit::Clear => None,
        Edit::Set(s) => validate_long_text("beskrivelse", "Beskrivelse", Some(&s))
            .map_err(|e| errs.push(e))
            .ok()
            .flatten(),
    };
    let navn = crate::domain::serviceleverance::validate_navn(&navn_in)
        .map_err(|e| errs.push(e))
        .unwrap_or_default();
    let kind = i
        .kind
        .map(|k| k.as_str().to_string())
        .or(o.as_ref().map(|x| x.kind.clone()));
    if kind.is_none() {
        errs.push(FieldError::new(
            "kind",
            "Vælg om enheden er en plejeenhed eller en helhedsplejeenhed.",
        ));
    }
    let ejer_cvr = i
        .ejer_cvr
        .map(|c| c.trim().to_string())
        .or(o.as_ref().map(|x| x.ejer_cvr.clone()))
        .unwrap_or_default();
    if !crate::domain::enhed::is_cvr(&ejer_cvr) {
        errs.push(FieldError::new(
            "ejerCvr",
            "Ejerens CVR-nummer skal være 8 cifre.",
        ));
    }
    if let Some(p) = &postnummer {
        if !crate::domain::enhed::is_postnummer(p) {
            errs.push(FieldError::new(
                "postnummer",
                "Postnummeret skal være 4 cifre.",
            ));
        }
    }
    let lat = upd(i.lat, o.as_ref().and_then(|x| x.lat));
    let lon = upd(i.lon, o.as_ref().and_then(|x| x.lon));
    let pos = match (lat, lon) {
        (Some(a), Some(b)) => match LatLon::new(a, b) {
            Some(p) => Some(p),
            None => {
                errs.push(FieldError::new(
                    "lat",
                    "Placeringen skal være gyldige WGS84-koordinater.",
                ));
                None
            }
        },
        (None, None) => None,
        _ => {
            errs.push(FieldError::new(
                "lon",
                "Angiv både lat og lon, eller ingen af dem.",
            ));
            None
        }
    };
    let given_kommune = match i.kommune_kode {
        Edit::Set(k) => match st.kommuner.resolve(&k) {
            Some(k) => Some(k.to_string()),
            None => {
                errs.push(FieldError::new("kommuneKode", "Kommunen findes ikke."));
                None
            }
        },
        Edit::Clear => None,
        Edit::Keep => o.as_ref().and_then(|x| x.kommune_kode.clone()),
    };
    let kommune_kode = crate::domain::enhed::kommune_of(&st.kommuner, pos, given_kommune);
    let boligtype = upd(
        i.boligtype.map(|b| b.as_str().to_string()),
        o.as_ref().and_then(|x| x.boligtype.clone()),
    );
    let antal_boliger = upd(i.antal_boliger, o.as_ref().and_then(|x| x.antal_boliger));
    if antal_boliger.is_some_and(|n| !(0..=100_000).contains(&n)) {
        errs.push(FieldError::new(
            "antalBoliger",
            "Antal boliger skal være mellem 0 og 100000.",
        ));
    }
    let current = o.as_ref().map(|x| x.profil.0.clone()).unwrap_or_default();
    let profil = match crate::domain::profil::validate(
        i.profil.apply(current),
        kind.as_deref().and_then(EnhedKind::parse),
        antal_boliger,
    ) {
        Ok(p) => p,
        Err(e) => {
            errs.extend(e);
            Default::default()
        }
    };
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let base =
        old.unwrap_or_else(|| crate::store::enhed::blank(uuid::Uuid::new_v4().to_string(), now));
    Ok(Enhed {
        kind: kind.unwrap_or_default(),
        navn_soeg: fold(&navn),
        navn,
        ejer_cvr,
        sor_kode,
        vejnavn,
        postnummer,
        by,
        lat: pos.map(|p| p.lat),
        lon: pos.map(|p| p.lon),
        kommune_kode,
        beskrivelse,
        telefon,
        email,
        web,
        boligtype,
        antal_boliger,
        profil: crate::store::entity::enhed::ProfilJson(profil),
        updated_at: now,
        ..base
    })
}

const WHAT: &str = "Enheden";

pub(crate) fn lock_of(e: &Enhed) -> Option<Lock> {
    Lock::from_parts(
        e.lock_subject.as_ref(),
        e.lock_name.as_ref(),
        e.lock_since,
        e.lock_expires_ms,
    )
}

/// The lock in force on an enhed as `v` may see it (R14, R19): for those who may edit the
/// enhed (its owner's redaktør, administrators); `None` for everyone else, the public included
/// (R25: no lock holders in public data).
pub fn visible_lock(v: &access::Viewer, e: &Enhed, now: DateTime<Utc>) -> Option<Lock> {
    if access::decide_enhed_edit(v, &e.ejer_cvr, false) != Decision::Allow {
        return None;
    }
    lock::active(lock_of(e), now)
}

/// An enhed by its id, or NOT_FOUND.
pub async fn get(cx: Cx<'_>, id: &str) -> AppResult<Enhed> {
    store::enhed::by_id(&cx.st.db, id)
        .await?
        .ok_or_else(|| AppError::not_found(WHAT))
}

/// Create an enhed (R17, R19). Administrators only (the policy).
pub async fn create(cx: Cx<'_>, patch: EnhedPatch) -> AppResult<Enhed> {
    AppError::check(access::decide_admin(cx.v), WHAT)?;
    let model = apply(cx.st, None, patch, cx.now())?;
    let mut tx = Tx::begin(cx).await?;
    let m = store::enhed::insert(tx.db(), model).await?;
    tx.audit(AuditEvent {
        action: "createEnhed",
        entity_type: "Enhed",
        entity_id: &m.id,
        before: None,
        after: serde_json::to_value(&m).ok(),
    })
    .await?;
    tx.changed(Change::Enhed(m.id.clone()));
    tx.commit().await?;
    Ok(m)
}

/// Update an enhed (R17, R19) holding its lock, for every role (one discipline with R12):
/// administrators may change everything, the owner's redaktør only beskrivelse, contact data
/// and the profile (R31). A change of kind recomputes the R10 flag of its agreements.
pub async fn update(
    cx: Cx<'_>,
    id: &str,
    patch: EnhedPatch,
    expected: Option<i64>,
) -> AppResult<Enhed> {
    cx.require_login()?;
    let register = patch.touches_register_fields();
    for _ in 0..RETRIES {
        let old = get(cx, id).await?;
        match access::decide_enhed_edit(cx.v, &old.ejer_cvr, register) {
            Decision::Forbidden if register => {
                return Err(AppError::Forbidden(
                    "Kun administratorer kan rette enhedens stamdata; en redaktør kan rette beskrivelse, kontaktdata og profil.".into(),
                ));
            }
            d => AppError::check(d, WHAT)?,
        }
        let now = cx.now();
        super::serviceleverance::require_live_lock(lock_of(&old), cx.v, now)?;
        check_revision(expected, old.revision)?;
        let new = apply(cx.st, Some(old.clone()), patch.clone(), now)?;
        let mut tx = Tx::begin(cx).await?;
        let subject = cx.v.subject.as_deref().unwrap_or("");
        if !store::enhed::update(tx.db(), &new, subject, now, old.revision).await? {
            continue;
        }
        if new.kind != old.kind {
            recompute_agreements(&mut tx, &new).await?;
        }
        tx.audit(AuditEvent {
            action: "updateEnhed",
            entity_type: "Enhed",
            entity_id: &new.id,
            before: serde_json::to_value(&old).ok(),
            after: serde_json::to_value(&new).ok(),
        })
        .await?;
        tx.changed(Change::Enhed(new.id.clone()));
        tx.commit().await?;
        return get(cx, &new.id).await;
    }
    Err(conflict())
}

/// R10: whether beskrivelse is mandatory depends on the enhed's kind, so its agreements'
/// stored error flags follow a change of kind.
pub(crate) async fn recompute_agreements(tx: &mut Tx<'_>, e: &Enhed) -> AppResult<()> {
    let facts = super::serviceleverance::enhed_facts(Some(e));
    for s in sl_store::by_enhed(tx.db(), &e.id).await? {
        let has = rules::has_errors(&sl_store::fields(&s), facts.as_ref());
        if has != s.has_errors {
            sl_store::set_has_errors(tx.db(), &s.id, has).await?;
            tx.changed(Change::Serviceleverance(s.id.clone()));
        }
    }
    Ok(())
}

/// Lock an enhed for editing (R19, the discipline of R11).
pub async fn lock(cx: Cx<'_>, id: &str) -> AppResult<Enhed> {
    cx.require_login()?;
    let old = get(cx, id).await?;
    AppError::check(access::decide_enhed_edit(cx.v, &old.ejer_cvr, false), WHAT)?;
    let now = cx.now();
    let me = cx.v.subject.as_deref().unwrap_or("");
    let held = lock_of(&old);
    // R28: the holder's editor renews the lock this way (its heartbeat).
    let renewal = lock::holds(held.as_ref(), me, now);
    let until = lock::expiry(
        now,
        lock::since_of(held.as_ref(), me, now),
        cx.st.config.lock_terms(),
    );
    let mut tx = Tx::begin(cx).await?;
    if !store::enhed::try_lock(tx.db(), &old.id, &cx.actor(), now, until).await? {
        drop(tx);
        let fresh = get(cx, &old.id).await?;
        return Err(lock_refused(cx, lock_of(&fresh), now, WHAT));
    }
    if renewal {
        // A heartbeat changes who holds nothing: no audit entry a minute (R16 records the lock).
        tx.commit().await?;
        return get(cx, &old.id).await;
    }
    tx.audit(AuditEvent {
        action: "lockEnhed",
        entity_type: "Enhed",
        entity_id: &old.id,
        before: None,
        after: None,
    })
    .await?;
    tx.commit().await?;
    get(cx, &old.id).await
}

/// R14 for enheder: a colleague with the same role and organisation takes over the lock.
pub async fn take_over_lock(cx: Cx<'_>, id: &str) -> AppResult<Enhed> {
    cx.require_login()?;
    let old = get(cx, id).await?;
    AppError::check(access::decide_enhed_edit(cx.v, &old.ejer_cvr, false), WHAT)?;
    let now = cx.now();
    let me = cx.v.subject.as_deref().unwrap_or("");
    let Some(held) = lock::active(lock_of(&old), now).filter(|h| h.subject != me) else {
        return lock(cx, id).await;
    };
    if !access::may_take_over(
        cx.v,
        &held.subject,
        old.lock_cvr.as_deref(),
        old.lock_roles.as_deref().unwrap_or(""),
    ) {
        return Err(AppError::Forbidden(
            "Kun en kollega i samme organisation og med samme rolle kan overtage låsen.".into(),
        ));
    }
    let until = lock::expiry(now, now, cx.st.config.lock_terms());
    let mut tx = Tx::begin(cx).await?;
    if !store::enhed::take_over(tx.db(), &old.id, &held.subject, &cx.actor(), now, until).await? {
        return Err(AppError::Conflict(
            "Låsen skiftede hænder imens. Hent enheden igen.".into(),
        ));
    }
    tx.audit(AuditEvent {
        action: "takeOverEnhedLock",
        entity_type: "Enhed",
        entity_id: &old.id,
        before: Some(
            serde_json::json!({ "laastAf": held.subject, "navn": held.name, "siden": held.since }),
        ),
        after: None,
    })
    .await?;
    tx.commit().await?;
    get(cx, &old.id).await
}

/// Check an enhed in: releases its lock (R19).
pub async fn check_in(cx: Cx<'_>, id: &str) -> AppResult<Enhed> {
    cx.require_login()?;
    let old = get(cx, id).await?;
    AppError::check(access::decide_enhed_edit(cx.v, &old.ejer_cvr, false), WHAT)?;
    let now = cx.now();
    let mut tx = Tx::begin(cx).await?;
    if !store::enhed::release_lock(tx.db(), &old.id, cx.v.subject.as_deref().unwrap_or(""), now)
        .await?
    {
        return Err(AppError::NotLocked("Du har ikke låst enheden.".into()));
    }
    tx.audit(AuditEvent {
        action: "checkInEnhed",
        entity_type: "Enhed",
        entity_id: &old.id,
        before: None,
        after: None,
    })
    .await?;
    tx.commit().await?;
    get(cx, &old.id).await
}
