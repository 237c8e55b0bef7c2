//! The admin side (R1-R19, R25-R27): scoped queries and the guarded mutations. Each resolver
//! asks the access policy (`domain::access`), applies the domain rules, writes through the
//! store in one transaction with its audit entry (R16), and returns the fresh item.
use super::admin_types::{issues_of, lock_of, AuditEntry, Serviceleverance, ViewerObj};
use super::scalars::Date;
use super::types::{Enhed, Issue};
use super::{state, viewer};
use crate::app::AppState;
use crate::domain::access::{self, Decision, SlAction, SlFacts, Viewer};
use crate::domain::lock;
use crate::domain::serviceleverance::{self as rules, EnhedKind, Fields, SlType};
use crate::error::{AppError, AppResult, GqlResult};
use crate::store::audit::{self, AuditEvent, AuditFilter};
use crate::store::serviceleverance::{
    self as sl_store, Actor, ListFilter, NewSl, Serviceleverance as SlRow,
};
use crate::store::{self, enhed::Enhed as EnhedRow};
use async_graphql::{Context, InputObject, MaybeUndefined, Object, ID};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Duration;
use sea_orm::TransactionTrait;
use std::sync::Arc;

const WHAT: &str = "Serviceleverancen";

use super::connection::{
    AuditEntryConnection, AuditEntryEdge, ServiceleveranceConnection, ServiceleveranceEdge,
};

/// Offset cursors for admin lists (opaque to clients).
fn offset_cursor(n: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("o:{n}"))
}

fn parse_offset(after: Option<&str>) -> AppResult<u64> {
    let Some(a) = after else { return Ok(0) };
    let raw = URL_SAFE_NO_PAD
        .decode(a)
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    raw.as_deref()
        .and_then(|r| r.strip_prefix("o:"))
        .and_then(|n| n.parse::<u64>().ok())
        .map(|n| n + 1)
        .ok_or_else(|| AppError::validation("after", "Ugyldig cursor."))
}

fn list_size(first: Option<i32>) -> AppResult<u64> {
    match first.unwrap_or(20) {
        n @ 0..=100 => Ok(n as u64),
        _ => Err(AppError::validation(
            "first",
            "first skal være mellem 0 og 100.",
        )),
    }
}

fn parse_id(id: &ID) -> AppResult<String> {
    let s = id.as_str().trim();
    if s.is_empty() || s.len() > 64 || s.contains('\0') {
        return Err(AppError::not_found(WHAT));
    }
    Ok(s.to_string())
}

fn actor(v: &Viewer) -> Actor<'_> {
    Actor {
        subject: v.subject.as_deref().unwrap_or(""),
        name: v.name.as_deref(),
    }
}

/// The facts the policy needs about an agreement.
async fn facts_of(st: &AppState, m: &SlRow) -> AppResult<(SlFacts, Option<EnhedRow>)> {
    let kommune = store::kommune::by_kode(&st.db, &m.aftalepart_kode).await?;
    let enhed = match &m.enhed_id {
        Some(id) => store::enhed::by_id(&st.db, id).await?,
        None => None,
    };
    let facts = SlFacts {
        aftalepart_cvr: kommune.map(|k| k.cvr).unwrap_or_default(),
        enhed_ejer_cvr: enhed.as_ref().map(|e| e.ejer_cvr.clone()),
    };
    Ok((facts, enhed))
}

/// Loads an agreement the viewer may act on (R26: what one may not see does not exist).
async fn load_for(
    st: &AppState,
    v: &Viewer,
    id: &ID,
    action: SlAction,
) -> AppResult<(SlRow, Option<EnhedRow>)> {
    if !v.is_authenticated() {
        return Err(AppError::Unauthenticated("Du skal være logget ind.".into()));
    }
    let id = parse_id(id)?;
    let m = sl_store::by_id(&st.db, &id)
        .await?
        .ok_or_else(|| AppError::not_found(WHAT))?;
    let (facts, enhed) = facts_of(st, &m).await?;
    AppError::check(access::decide(v, action, &facts), WHAT)?;
    if m.deleted_at.is_some() && action != SlAction::Read {
        // A deleted agreement can be read with its history, but no longer changed (R8).
        return Err(AppError::not_found(WHAT));
    }
    Ok((m, enhed))
}

fn enhed_facts_of(e: Option<&EnhedRow>) -> Option<rules::EnhedFacts> {
    e.and_then(|e| {
        EnhedKind::parse(&e.kind).map(|kind| rules::EnhedFacts {
            kind,
            ejer_cvr: e.ejer_cvr.clone(),
        })
    })
}

/// R12: refuses unless the viewer holds a live lock; LOCKED says who holds it.
fn require_live_lock(
    l: Option<lock::Lock>,
    v: &Viewer,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
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

fn require_lock(st: &AppState, m: &SlRow, v: &Viewer) -> AppResult<()> {
    require_live_lock(lock_of(m), v, st.clock.now())
}

/// An enhed by id, or NOT_FOUND.
async fn enhed_row(st: &AppState, key: &str) -> AppResult<EnhedRow> {
    store::enhed::by_id(&st.db, key)
        .await?
        .ok_or_else(|| AppError::not_found("Enheden"))
}

/// An audit entry without field values (locks, check-ins).
async fn audit_event<C: sea_orm::ConnectionTrait>(
    txn: &C,
    v: &Viewer,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    audit::record(
        txn,
        v,
        AuditEvent {
            action,
            entity_type,
            entity_id,
            before: None,
            after: None,
        },
        now,
    )
    .await?;
    Ok(())
}

fn json_of(m: &SlRow) -> serde_json::Value {
    serde_json::to_value(sl_store::fields(m)).unwrap_or(serde_json::Value::Null)
}

/// A save of new fields by the lock holder, with its audit entry, in one transaction.
async fn save_fields(
    st: &AppState,
    v: &Viewer,
    m: &SlRow,
    f: &Fields,
    action: &str,
) -> AppResult<Arc<SlRow>> {
    let enhed = match &f.enhed_id {
        Some(id) => Some(
            store::enhed::by_id(&st.db, id)
                .await?
                .ok_or_else(|| AppError::validation("enhedId", "Den valgte enhed findes ikke."))?,
        ),
        None => None,
    };
    let facts = enhed_facts_of(enhed.as_ref());
    let has_errors = !rules::errors(f, facts.as_ref()).is_empty();
    let now = st.clock.now();
    let txn = st.db.begin().await?;
    if !sl_store::save(&txn, &m.id, f, has_errors, &actor(v), now).await? {
        txn.rollback().await?;
        let fresh = sl_store::by_id(&st.db, &m.id)
            .await?
            .ok_or_else(|| AppError::not_found(WHAT))?;
        require_lock(st, &fresh, v)?;
        return Err(AppError::Conflict(
            "Serviceleverancen blev ændret samtidig. Prøv igen.".into(),
        ));
    }
    let after = serde_json::to_value(f).unwrap_or_default();
    audit::record(
        &txn,
        v,
        AuditEvent {
            action,
            entity_type: "Serviceleverance",
            entity_id: &m.id,
            before: Some(json_of(m)),
            after: Some(after),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    reload(st, &m.id).await
}

async fn reload(st: &AppState, id: &str) -> AppResult<Arc<SlRow>> {
    Ok(Arc::new(
        sl_store::by_id(&st.db, id)
            .await?
            .ok_or_else(|| AppError::not_found(WHAT))?,
    ))
}

/// The aftalepart of a new agreement (R1): the caller's kommune by its CVR; an administrator
/// names one. `decide` is the policy's answer for the action (create or preview).
async fn new_aftalepart(
    st: &AppState,
    v: &Viewer,
    aftalepart_kode: Option<&str>,
    decide: fn(&Viewer, &str) -> Decision,
) -> AppResult<store::kommune::Kommune> {
    // Anonymous callers are refused before anything is looked up.
    if decide(v, "") == Decision::Unauthenticated {
        AppError::check(Decision::Unauthenticated, WHAT)?;
    }
    let kommune = match (aftalepart_kode, v.is_admin()) {
        (Some(k), true) => {
            let kode = st
                .kommuner
                .resolve(k)
                .ok_or_else(|| AppError::validation("aftalepartKode", "Kommunen findes ikke."))?;
            store::kommune::by_kode(&st.db, kode).await?
        }
        (Some(_), false) => {
            return Err(AppError::Forbidden(
                "Kun administratorer kan vælge aftalepart; den sættes fra din organisation.".into(),
            ))
        }
        (None, _) => match &v.cvr {
            Some(cvr) => store::kommune::by_cvr(&st.db, cvr).await?,
            None => None,
        },
    };
    let Some(kommune) = kommune else {
        return Err(match decide(v, "") {
            Decision::Allow => {
                AppError::validation("aftalepartKode", "Angiv aftalepartens kommunekode.")
            }
            _ => AppError::Forbidden(
                "Kun en driftsoverenskomstansvarlig i en kommune kan oprette serviceleverancer."
                    .into(),
            ),
        });
    };
    AppError::check(decide(v, &kommune.cvr), WHAT)?;
    Ok(kommune)
}

fn text_field(
    field: &'static str,
    label: &str,
    v: MaybeUndefined<String>,
    current: Option<String>,
) -> AppResult<Option<String>> {
    match v {
        MaybeUndefined::Undefined => Ok(current),
        MaybeUndefined::Null => Ok(None),
        MaybeUndefined::Value(s) => rules::validate_short_text(field, label, Some(&s))
            .map_err(|e| AppError::Validation(vec![e])),
    }
}

fn enhed_id_field(v: MaybeUndefined<String>, current: Option<String>) -> AppResult<Option<String>> {
    match v {
        MaybeUndefined::Undefined => Ok(current),
        MaybeUndefined::Null => Ok(None),
        MaybeUndefined::Value(s) if s.trim().is_empty() => Ok(None),
        MaybeUndefined::Value(s) if s.len() > 128 || s.contains('\0') => Err(AppError::validation(
            "enhedId",
            "Den valgte enhed findes ikke.",
        )),
        MaybeUndefined::Value(s) => Ok(Some(super::node::enhed_key(&s))),
    }
}

fn opt<T>(v: MaybeUndefined<T>, current: Option<T>) -> Option<T> {
    match v {
        MaybeUndefined::Undefined => current,
        MaybeUndefined::Null => None,
        MaybeUndefined::Value(x) => Some(x),
    }
}

/// Fields of a new serviceleverance (R2). Only navn is required; the rest may follow.
#[derive(InputObject)]
pub struct CreateServiceleveranceInput {
    /// 1-200 characters; æøå allowed.
    pub navn: String,
    /// The enhed the agreement is about.
    pub enhed_id: Option<String>,
    /// The kommune's own id of the agreement.
    pub aftaleidentifikation: Option<String>,
    /// DRIFTSOVERENSKOMST, MYNDIGHEDSPRODUKTION or LOKALPLEJEHJEM (FRIPLEJEBOLIG: administrators).
    #[graphql(name = "type")]
    pub sl_type: Option<SlType>,
    /// First day in force.
    pub startdato: Option<Date>,
    /// Last day in force (on or after startdato).
    pub slutdato: Option<Date>,
    /// Administrators only: the kommune (kode) that is the party. Others get their own kommune.
    pub aftalepart_kode: Option<String>,
}

/// A partial update: omitted fields are kept, null clears.
#[derive(InputObject)]
pub struct UpdateServiceleveranceInput {
    /// 1-200 characters; æøå allowed.
    pub navn: Option<String>,
    /// The enhed the agreement is about (global id or enhedId).
    pub enhed_id: MaybeUndefined<String>,
    /// The kommune's own id of the agreement.
    pub aftaleidentifikation: MaybeUndefined<String>,
    /// DRIFTSOVERENSKOMST, MYNDIGHEDSPRODUKTION or LOKALPLEJEHJEM (FRIPLEJEBOLIG: administrators).
    #[graphql(name = "type")]
    pub sl_type: MaybeUndefined<SlType>,
    /// First day in force.
    pub startdato: MaybeUndefined<Date>,
    /// Last day in force (on or after startdato); null for open-ended.
    pub slutdato: MaybeUndefined<Date>,
}

/// Fields of an enhed (R17) for administrators.
#[derive(InputObject)]
pub struct EnhedInput {
    /// PLEJEENHED or HELHEDSPLEJEENHED (required when creating).
    pub kind: Option<EnhedKind>,
    /// The name (required when creating).
    pub navn: Option<String>,
    /// The owner's 8-digit CVR number (required when creating).
    pub ejer_cvr: Option<String>,
    /// SOR code.
    pub sor_kode: MaybeUndefined<String>,
    /// Street and number.
    pub vejnavn: MaybeUndefined<String>,
    /// 4-digit postal code.
    pub postnummer: MaybeUndefined<String>,
    /// Postal district.
    pub by: MaybeUndefined<String>,
    /// Latitude (WGS84); give lat and lon together.
    pub lat: MaybeUndefined<f64>,
    /// Longitude (WGS84); give lat and lon together.
    pub lon: MaybeUndefined<f64>,
    /// Used only when the location lies outside all known kommune boundaries or is missing.
    pub kommune_kode: MaybeUndefined<String>,
    /// General description of the enhed's services.
    pub beskrivelse: MaybeUndefined<String>,
    /// Phone number: digits and spaces with an optional leading +, 8-15 digits.
    pub telefon: MaybeUndefined<String>,
    /// E-mail address (local@domain).
    pub email: MaybeUndefined<String>,
    /// Web site: an absolute http or https address, e.g. https://eksempel.dk.
    pub web: MaybeUndefined<String>,
    /// For plejeenheder: PLEJEBOLIG, FRIPLEJEBOLIG or LOKALPLEJEHJEM.
    pub boligtype: MaybeUndefined<crate::domain::serviceleverance::Boligtype>,
    /// For plejeenheder: the number of boliger.
    pub antal_boliger: MaybeUndefined<i32>,
}

impl EnhedInput {
    /// Does the change touch more than the description and contact data (R19)?
    pub fn touches_register_fields(&self) -> bool {
        self.kind.is_some()
            || self.navn.is_some()
            || self.ejer_cvr.is_some()
            || !self.sor_kode.is_undefined()
            || !self.vejnavn.is_undefined()
            || !self.postnummer.is_undefined()
            || !self.by.is_undefined()
            || !self.lat.is_undefined()
            || !self.lon.is_undefined()
            || !self.kommune_kode.is_undefined()
            || !self.boligtype.is_undefined()
            || !self.antal_boliger.is_undefined()
    }
}

#[derive(Default)]
pub struct AdminQuery;

/// Queries of the admin side.
#[Object]
impl AdminQuery {
    /// Who am I: subject, name, CVR, roles and the kommune behind the CVR.
    async fn viewer(&self, ctx: &Context<'_>) -> ViewerObj {
        ViewerObj(viewer(ctx).clone())
    }

    /// The serviceleverancer the caller may see (R26): a kommune's own, a redaktør's about its
    /// own enheder, all for administrators. Sorted by name.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity + 5")]
    async fn serviceleverancer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only agreements about enheder of this kind.")] kind: Option<EnhedKind>,
        #[graphql(name = "type", desc = "Only agreements of this type.")] sl_type: Option<SlType>,
        #[graphql(desc = "Only agreements active on this day (R6).")] active_on: Option<Date>,
        #[graphql(desc = "Only agreements with (true) or without (false) ERROR issues.")]
        has_errors: Option<bool>,
        #[graphql(desc = "Only locked (true) or unlocked (false) agreements.")] locked: Option<
            bool,
        >,
        #[graphql(desc = "Text in navn or aftaleidentifikation.")] text: Option<String>,
        #[graphql(desc = "Page size, 0-100; default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last item of the previous page.")] after: Option<String>,
    ) -> GqlResult<ServiceleveranceConnection> {
        let st = state(ctx);
        let v = viewer(ctx);
        if !v.is_authenticated() {
            return Err(AppError::Unauthenticated("Du skal være logget ind.".into()).into());
        }
        let scope = access::sl_scope(v);
        let kode = match &scope.aftalepart_cvr {
            Some(cvr) => store::kommune::by_cvr(&st.db, cvr)
                .await
                .map_err(AppError::from)?
                .map(|k| k.kode),
            None => None,
        };
        if text.as_ref().is_some_and(|t| t.chars().count() > 200) {
            return Err(AppError::validation("text", "text må højst være 200 tegn.").into());
        }
        let limit = list_size(first)?;
        let offset = parse_offset(after.as_deref())?;
        let filter = ListFilter {
            kind: kind.map(|k| k.as_str()),
            sl_type,
            active_on: active_on.map(|d| d.0),
            has_errors,
            locked,
            text,
        };
        let (rows, total) = sl_store::list(
            &st.db,
            &scope,
            kode.as_deref(),
            &filter,
            st.clock.now(),
            offset,
            limit,
        )
        .await
        .map_err(AppError::from)?;
        let (items, page_info) = super::connection::offset_page(rows, offset, total, offset_cursor);
        let edges: Vec<ServiceleveranceEdge> = items
            .into_iter()
            .map(|(cursor, r)| ServiceleveranceEdge {
                cursor,
                node: Serviceleverance(Arc::new(r)),
            })
            .collect();
        Ok(ServiceleveranceConnection {
            page_info,
            nodes: edges.iter().map(|e| e.node.clone()).collect(),
            edges,
            total_count: total as i64,
        })
    }

    /// One serviceleverance; NOT_FOUND when it does not exist for the caller (R26).
    async fn serviceleverance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Serviceleverancens id.")] id: ID,
    ) -> GqlResult<Serviceleverance> {
        let (m, _) = load_for(state(ctx), viewer(ctx), &id, SlAction::Read).await?;
        Ok(Serviceleverance(Arc::new(m)))
    }

    /// Find enheder for the agreement form (R18): parts of words; case, æ/ae, ø/oe, å/aa
    /// insensitive. For users with an editor role.
    #[graphql(
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity + 5",
        guard = "super::guards::PolicyGuard::editor(\"Enheden\")"
    )]
    async fn find_enheder(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Part of the name; case, æ/ae, ø/oe, å/aa insensitive.")] text: String,
        #[graphql(desc = "Only enheder of this kind.")] kind: Option<EnhedKind>,
        #[graphql(desc = "Maximum number of results, 0-100; default 20.")] first: Option<i32>,
    ) -> GqlResult<Vec<Enhed>> {
        let t = text.trim();
        if t.chars().count() > 200 || t.contains('\0') {
            return Err(AppError::validation(
                "text",
                "text må højst være 200 tegn uden kontroltegn.",
            )
            .into());
        }
        let limit = list_size(first)?;
        let rows = store::enhed::find(&state(ctx).db, t, kind.map(|k| k.as_str()), limit)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|e| Enhed(Arc::new(e))).collect())
    }

    /// The audit log (R16), newest first. Administrators only.
    #[graphql(
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity + 5",
        guard = "super::guards::PolicyGuard::admin(\"Loggen\")"
    )]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only entries about this entity type, e.g. Serviceleverance.")]
        entity_type: Option<String>,
        #[graphql(desc = "Only entries about this entity id.")] entity_id: Option<String>,
        #[graphql(desc = "Only entries by this subject.")] actor: Option<String>,
        #[graphql(desc = "Page size, 0-100; default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last entry of the previous page.")] after: Option<String>,
    ) -> GqlResult<AuditEntryConnection> {
        let limit = list_size(first)?;
        let offset = parse_offset(after.as_deref())?;
        let f = AuditFilter {
            entity_type,
            entity_id,
            actor_subject: actor,
        };
        let (rows, total) = audit::list(&state(ctx).db, &f, offset, limit)
            .await
            .map_err(AppError::from)?;
        let (items, page_info) = super::connection::offset_page(rows, offset, total, offset_cursor);
        let edges: Vec<AuditEntryEdge> = items
            .into_iter()
            .map(|(cursor, r)| AuditEntryEdge {
                cursor,
                node: AuditEntry(r),
            })
            .collect();
        Ok(AuditEntryConnection {
            page_info,
            nodes: edges.iter().map(|e| e.node.clone()).collect(),
            edges,
            total_count: total as i64,
        })
    }

    /// The issues (R9, R10) a save of these fields would give, without saving (for the form):
    /// the same computation and facts as the saved agreement's `issues`, and the same refusals
    /// (R3, R5, an unknown enhed). Without `id` it previews createServiceleverance; with `id`,
    /// updateServiceleverance of that agreement (omitted fields are kept, null clears). Navn is
    /// not previewed. Only for those who may make that save.
    #[allow(clippy::too_many_arguments)]
    async fn preview_issues(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The enhed's global id or enhedId.")] enhed_id: MaybeUndefined<String>,
        #[graphql(name = "type", desc = "The type.")] sl_type: MaybeUndefined<SlType>,
        #[graphql(desc = "The startdato.")] startdato: MaybeUndefined<Date>,
        #[graphql(desc = "The slutdato.")] slutdato: MaybeUndefined<Date>,
        #[graphql(desc = "The serviceleverance being edited; omit it for a new one.")] id: Option<
            ID,
        >,
        #[graphql(
            desc = "Administrators, for a new serviceleverance: the kommune (kode) that is the party."
        )]
        aftalepart_kode: Option<String>,
    ) -> GqlResult<Vec<Issue>> {
        let st = state(ctx);
        let v = viewer(ctx);
        let (own_id, aftalepart, before) = match &id {
            Some(id) => {
                let (m, _) = load_for(st, v, id, SlAction::Update).await?;
                if aftalepart_kode.is_some() {
                    return Err(AppError::validation(
                        "aftalepartKode",
                        "Aftaleparten kan ikke ændres; udelad aftalepartKode, når id er angivet.",
                    )
                    .into());
                }
                let f = sl_store::fields(&m);
                (Some(m.id), m.aftalepart_kode, Some(f))
            }
            None => {
                let k = new_aftalepart(st, v, aftalepart_kode.as_deref(), access::decide_preview)
                    .await?;
                (None, k.kode, None)
            }
        };
        let cur = before.clone().unwrap_or_default();
        let f = Fields {
            enhed_id: enhed_id_field(enhed_id, cur.enhed_id.clone())?,
            sl_type: opt(sl_type, cur.sl_type),
            startdato: opt(startdato.map_value(|d| d.0), cur.startdato),
            slutdato: opt(slutdato.map_value(|d| d.0), cur.slutdato),
            ..cur
        };
        if let Err(mut errs) = rules::validate_save(&f, before.as_ref(), v.is_admin()) {
            // Navn is not part of the preview (a new one has none yet).
            errs.retain(|e| e.field != "navn");
            if !errs.is_empty() {
                return Err(AppError::Validation(errs).into());
            }
        }
        if let Some(e) = &f.enhed_id {
            if super::types::load_enhed(ctx, e).await?.is_none() {
                return Err(
                    AppError::validation("enhedId", "Den valgte enhed findes ikke.").into(),
                );
            }
        }
        issues_of(ctx, own_id.as_deref(), &aftalepart, &f).await
    }
}

#[derive(Default)]
pub struct Mutation;

/// Changes: serviceleverancer (lock, save, check in, ...), enheder and kommuner. All need a token.
#[Object]
impl Mutation {
    /// Create a serviceleverance (R1, R2, R13): the aftalepart is the caller's kommune; it is
    /// saved even when half-filled, records version 1 and is left unlocked.
    async fn create_serviceleverance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the new serviceleverance.")]
        input: CreateServiceleveranceInput,
    ) -> GqlResult<Serviceleverance> {
        let st = state(ctx);
        let v = viewer(ctx);
        let kommune = new_aftalepart(
            st,
            v,
            input.aftalepart_kode.as_deref(),
            access::decide_create,
        )
        .await?;
        let mut errs = Vec::new();
        let navn = rules::validate_navn(&input.navn)
            .map_err(|e| errs.push(e))
            .unwrap_or_default();
        let aftaleidentifikation = rules::validate_short_text(
            "aftaleidentifikation",
            "Aftaleidentifikation",
            input.aftaleidentifikation.as_deref(),
        )
        .map_err(|e| errs.push(e))
        .unwrap_or_default();
        let f = Fields {
            navn,
            enhed_id: enhed_id_field(
                input
                    .enhed_id
                    .map(MaybeUndefined::Value)
                    .unwrap_or(MaybeUndefined::Undefined),
                None,
            )?,
            aftaleidentifikation,
            sl_type: input.sl_type,
            beskrivelse: None,
            startdato: input.startdato.map(|d| d.0),
            slutdato: input.slutdato.map(|d| d.0),
        };
        if let Err(mut e) = rules::validate_save(&f, None, v.is_admin()) {
            errs.append(&mut e);
        }
        errs.dedup_by(|a, b| a.field == b.field);
        if !errs.is_empty() {
            return Err(AppError::Validation(errs).into());
        }
        let enhed = match &f.enhed_id {
            Some(id) => Some(
                store::enhed::by_id(&st.db, id)
                    .await
                    .map_err(AppError::from)?
                    .ok_or_else(|| {
                        AppError::validation("enhedId", "Den valgte enhed findes ikke.")
                    })?,
            ),
            None => None,
        };
        let has_errors = !rules::errors(&f, enhed_facts_of(enhed.as_ref()).as_ref()).is_empty();
        let now = st.clock.now();
        let id = uuid::Uuid::new_v4().to_string();
        let txn = st.db.begin().await.map_err(AppError::from)?;
        let m = sl_store::insert(
            &txn,
            NewSl {
                id: id.clone(),
                aftalepart_kode: kommune.kode.clone(),
                fields: &f,
                has_errors,
            },
            &actor(v),
            now,
        )
        .await
        .map_err(AppError::from)?;
        audit::record(
            &txn,
            v,
            AuditEvent {
                action: "createServiceleverance",
                entity_type: "Serviceleverance",
                entity_id: &id,
                before: None,
                after: Some(json_of(&m)),
            },
            now,
        )
        .await
        .map_err(AppError::from)?;
        txn.commit().await.map_err(AppError::from)?;
        Ok(Serviceleverance(Arc::new(m)))
    }

    /// Lock for editing (R11, R14). Succeeds when unlocked, already yours, or expired;
    /// otherwise LOCKED with who holds it and since when.
    async fn lock_serviceleverance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Serviceleverancens id.")] id: ID,
    ) -> GqlResult<Serviceleverance> {
        let st = state(ctx);
        let v = viewer(ctx);
        let (m, _) = load_for(st, v, &id, SlAction::Lock).await?;
        let now = st.clock.now();
        let until = lock::expiry(now, Duration::minutes(st.config.lock_ttl_minutes));
        let txn = st.db.begin().await.map_err(AppError::from)?;
        if !sl_store::try_lock(&txn, &m.id, &actor(v), now, until)
            .await
            .map_err(AppError::from)?
        {
            txn.rollback().await.map_err(AppError::from)?;
            let fresh = reload(st, &m.id).await?;
            return Err(match lock::active(lock_of(&fresh), now) {
                Some(l) => AppError::locked(&l),
                None => AppError::Conflict("Låsen kunne ikke tages. Prøv igen.".into()),
            }
            .into());
        }
        audit_event(
            &txn,
            v,
            "lockServiceleverance",
            "Serviceleverance",
            &m.id,
            now,
        )
        .await?;
        txn.commit().await.map_err(AppError::from)?;
        Ok(Serviceleverance(reload(st, &m.id).await?))
    }

    /// Save changes (R12): only the lock holder; publishes at once. R3-R5 are checked.
    async fn update_serviceleverance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Serviceleverancens id.")] id: ID,
        #[graphql(desc = "The fields to change; omitted fields are kept, null clears.")]
        input: UpdateServiceleveranceInput,
    ) -> GqlResult<Serviceleverance> {
        let st = state(ctx);
        let v = viewer(ctx);
        let (m, _) = load_for(st, v, &id, SlAction::Update).await?;
        require_lock(st, &m, v)?;
        let cur = sl_store::fields(&m);
        let mut errs = Vec::new();
        let navn = match input.navn {
            Some(n) => rules::validate_navn(&n)
                .map_err(|e| errs.push(e))
                .unwrap_or_default(),
            None => cur.navn.clone(),
        };
        let aftaleidentifikation = text_field(
            "aftaleidentifikation",
            "Aftaleidentifikation",
            input.aftaleidentifikation,
            cur.aftaleidentifikation.clone(),
        )
        .map_err(|e| {
            if let AppError::Validation(mut v) = e {
                errs.append(&mut v)
            }
        })
        .unwrap_or_default();
        let f = Fields {
            navn,
            enhed_id: enhed_id_field(input.enhed_id, cur.enhed_id.clone())?,
            aftaleidentifikation,
            sl_type: opt(input.sl_type, cur.sl_type),
            beskrivelse: cur.beskrivelse.clone(),
            startdato: opt(input.startdato.map_value(|d| d.0), cur.startdato),
            slutdato: opt(input.slutdato.map_value(|d| d.0), cur.slutdato),
        };
        if let Err(mut e) = rules::validate_save(&f, Some(&cur), v.is_admin()) {
            errs.append(&mut e);
        }
        errs.dedup_by(|a, b| a.field == b.field);
        if !errs.is_empty() {
            return Err(AppError::Validation(errs).into());
        }
        Ok(Serviceleverance(
            save_fields(st, v, &m, &f, "updateServiceleverance").await?,
        ))
    }

    /// Write the beskrivelse (R4): only the enhed owner's redaktør or an administrator, with the
    /// lock, and only where it applies (DRIFTSOVERENSKOMST with a helhedsplejeenhed).
    async fn set_beskrivelse(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Serviceleverancens id.")] id: ID,
        #[graphql(desc = "The new beskrivelse; null or empty clears it.")] beskrivelse: Option<
            String,
        >,
    ) -> GqlResult<Serviceleverance> {
        let st = state(ctx);
        let v = viewer(ctx);
        let (m, enhed) = load_for(st, v, &id, SlAction::SetBeskrivelse).await?;
        require_lock(st, &m, v)?;
        let cur = sl_store::fields(&m);
        rules::validate_beskrivelse_write(cur.sl_type, enhed_facts_of(enhed.as_ref()).as_ref())
            .map_err(|e| AppError::Validation(vec![e]))?;
        let b = rules::validate_long_text("beskrivelse", "Beskrivelse", beskrivelse.as_deref())
            .map_err(|e| AppError::Validation(vec![e]))?;
        let f = Fields {
            beskrivelse: b,
            ..cur
        };
        Ok(Serviceleverance(
            save_fields(st, v, &m, &f, "setBeskrivelse").await?,
        ))
    }

    /// Check in (R13): releases the lock and records a version with an optional comment.
    async fn check_in_serviceleverance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Serviceleverancens id.")] id: ID,
        #[graphql(desc = "Optional comment recorded with the version.")] kommentar: Option<String>,
    ) -> GqlResult<Serviceleverance> {
        let st = state(ctx);
        let v = viewer(ctx);
        let (m, _) = load_for(st, v, &id, SlAction::CheckIn).await?;
        require_lock(st, &m, v)?;
        let kommentar = rules::validate_long_text("kommentar", "Kommentar", kommentar.as_deref())
            .map_err(|e| AppError::Validation(vec![e]))?;
        let now = st.clock.now();
        let txn = st.db.begin().await.map_err(AppError::from)?;
        let Some(nummer) = sl_store::check_in(&txn, &m, &actor(v), now, kommentar)
            .await
            .map_err(AppError::from)?
        else {
            txn.rollback().await.map_err(AppError::from)?;
            return Err(AppError::Conflict(
                "Serviceleverancen blev ændret samtidig. Prøv igen.".into(),
            )
            .into());
        };
        audit::record(
            &txn,
            v,
            AuditEvent {
                action: "checkInServiceleverance",
                entity_type: "Serviceleverance",
                entity_id: &m.id,
                before: None,
                after: Some(serde_json::json!({ "version": nummer })),
            },
            now,
        )
        .await
        .map_err(AppError::from)?;
        txn.commit().await.map_err(AppError::from)?;
        Ok(Serviceleverance(reload(st, &m.id).await?))
    }

    /// Delete (R8): a soft delete by the aftalepart's user holding the lock. Leaves the public
    /// search at once; the version history is kept. Returns the deleted id.
    async fn delete_serviceleverance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Serviceleverancens id.")] id: ID,
    ) -> GqlResult<ID> {
        let st = state(ctx);
        let v = viewer(ctx);
        let (m, _) = load_for(st, v, &id, SlAction::Delete).await?;
        require_lock(st, &m, v)?;
        let now = st.clock.now();
        let txn = st.db.begin().await.map_err(AppError::from)?;
        if !sl_store::soft_delete(&txn, &m.id, &actor(v), now)
            .await
            .map_err(AppError::from)?
        {
            txn.rollback().await.map_err(AppError::from)?;
            return Err(AppError::Conflict(
                "Serviceleverancen blev ændret samtidig. Prøv igen.".into(),
            )
            .into());
        }
        audit::record(
            &txn,
            v,
            AuditEvent {
                action: "deleteServiceleverance",
                entity_type: "Serviceleverance",
                entity_id: &m.id,
                before: Some(json_of(&m)),
                after: None,
            },
            now,
        )
        .await
        .map_err(AppError::from)?;
        txn.commit().await.map_err(AppError::from)?;
        Ok(ID(m.id))
    }

    /// Restore a version's fields (R15). It is a save, so it needs the lock.
    async fn restore_serviceleverance_version(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Serviceleverancens id.")] id: ID,
        #[graphql(desc = "The version number to restore.")] nummer: i32,
    ) -> GqlResult<Serviceleverance> {
        let st = state(ctx);
        let v = viewer(ctx);
        let (m, _) = load_for(st, v, &id, SlAction::Restore).await?;
        require_lock(st, &m, v)?;
        let ver = sl_store::version(&st.db, &m.id, nummer)
            .await
            .map_err(AppError::from)?
            .ok_or_else(|| {
                AppError::validation("nummer", format!("Version {nummer} findes ikke."))
            })?;
        let f: Fields =
            serde_json::from_str(&ver.snapshot).map_err(|e| AppError::Internal(e.to_string()))?;
        let cur = sl_store::fields(&m);
        rules::validate_save(&f, Some(&cur), v.is_admin()).map_err(AppError::Validation)?;
        Ok(Serviceleverance(
            save_fields(st, v, &m, &f, "restoreServiceleveranceVersion").await?,
        ))
    }

    /// Release anyone's lock (R14). Administrators only.
    async fn force_unlock_serviceleverance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Serviceleverancens id.")] id: ID,
    ) -> GqlResult<Serviceleverance> {
        let st = state(ctx);
        let v = viewer(ctx);
        let (m, _) = load_for(st, v, &id, SlAction::ForceUnlock).await?;
        let now = st.clock.now();
        let txn = st.db.begin().await.map_err(AppError::from)?;
        sl_store::force_unlock(&txn, &m.id)
            .await
            .map_err(AppError::from)?;
        let before =
            lock_of(&m).map(|l| serde_json::json!({ "laastAf": l.subject, "siden": l.since }));
        audit::record(
            &txn,
            v,
            AuditEvent {
                action: "forceUnlockServiceleverance",
                entity_type: "Serviceleverance",
                entity_id: &m.id,
                before,
                after: None,
            },
            now,
        )
        .await
        .map_err(AppError::from)?;
        txn.commit().await.map_err(AppError::from)?;
        Ok(Serviceleverance(reload(st, &m.id).await?))
    }

    /// Set a kommune's CVR number (R19). Administrators only.
    #[graphql(guard = "super::guards::PolicyGuard::admin(\"Kommunen\")")]
    async fn set_kommune_cvr(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Kommunekode or name.")] kode: String,
        #[graphql(desc = "The new 8-digit CVR number.")] cvr: String,
    ) -> GqlResult<super::types::Kommune> {
        let st = state(ctx);
        let v = viewer(ctx);
        if !crate::auth::is_cvr(cvr.trim()) {
            return Err(AppError::validation("cvr", "CVR-nummeret skal være 8 cifre.").into());
        }
        let k = st
            .kommuner
            .resolve(&kode)
            .ok_or_else(|| AppError::not_found("Kommunen"))?
            .to_string();
        let before = store::kommune::by_kode(&st.db, &k)
            .await
            .map_err(AppError::from)?
            .map(|x| x.cvr);
        let txn = st.db.begin().await.map_err(AppError::from)?;
        let updated = store::kommune::set_cvr(&txn, &k, cvr.trim())
            .await
            .map_err(|e| match e {
                sea_orm::DbErr::Exec(_) | sea_orm::DbErr::Query(_) => {
                    AppError::Conflict("CVR-nummeret bruges allerede af en anden kommune.".into())
                }
                other => AppError::from(other),
            })?;
        let updated = updated.ok_or_else(|| AppError::not_found("Kommunen"))?;
        audit::record(
            &txn,
            v,
            AuditEvent {
                action: "setKommuneCvr",
                entity_type: "Kommune",
                entity_id: &k,
                before: before.map(|c| serde_json::json!({ "cvr": c })),
                after: Some(serde_json::json!({ "cvr": updated.cvr })),
            },
            st.clock.now(),
        )
        .await
        .map_err(AppError::from)?;
        txn.commit().await.map_err(AppError::from)?;
        Ok(super::types::Kommune(Arc::new(updated)))
    }

    /// Create an enhed (R17, R19). Administrators only. The kommune is derived from the location.
    #[graphql(guard = "super::guards::PolicyGuard::admin(\"Enheden\")")]
    async fn create_enhed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the new enhed; kind, navn and ejerCvr are required.")]
        input: EnhedInput,
    ) -> GqlResult<Enhed> {
        let st = state(ctx);
        let v = viewer(ctx);
        let now = st.clock.now();
        let model = super::enhed_input::apply_input(st, None, input, now)?;
        let txn = st.db.begin().await.map_err(AppError::from)?;
        let m = crate::store::enhed::insert(&txn, model)
            .await
            .map_err(AppError::from)?;
        audit::record(
            &txn,
            v,
            AuditEvent {
                action: "createEnhed",
                entity_type: "Enhed",
                entity_id: &m.id,
                before: None,
                after: serde_json::to_value(&m).ok(),
            },
            now,
        )
        .await
        .map_err(AppError::from)?;
        txn.commit().await.map_err(AppError::from)?;
        Ok(Enhed(Arc::new(m)))
    }

    /// Update an enhed (R17, R19). Administrators may change everything; the owner's redaktør
    /// only beskrivelse and contact data, holding the enhed's lock.
    async fn update_enhed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The enhed's global id or enhedId.")] id: String,
        #[graphql(desc = "The fields to change; omitted fields are kept, null clears.")]
        input: EnhedInput,
    ) -> GqlResult<Enhed> {
        let st = state(ctx);
        let v = viewer(ctx);
        let old = enhed_row(st, &super::node::enhed_key(&id)).await?;
        match access::decide_enhed_edit(v, &old.ejer_cvr, input.touches_register_fields()) {
            Decision::Forbidden if input.touches_register_fields() => {
                return Err(AppError::Forbidden(
                    "Kun administratorer kan rette enhedens stamdata; en redaktør kan rette beskrivelse og kontaktdata.".into(),
                )
                .into());
            }
            d => AppError::check(d, "Enheden")?,
        }
        let now = st.clock.now();
        if !v.is_admin() {
            let l = lock::Lock::from_parts(
                old.lock_subject.as_ref(),
                old.lock_name.as_ref(),
                old.lock_since,
                old.lock_expires_ms,
            );
            require_live_lock(l, v, now)?;
        }
        let kind_before = old.kind.clone();
        let model = super::enhed_input::apply_input(st, Some(old.clone()), input, now)?;
        let txn = st.db.begin().await.map_err(AppError::from)?;
        let m = crate::store::enhed::update(&txn, model)
            .await
            .map_err(AppError::from)?;
        if m.kind != kind_before {
            // R10: whether beskrivelse is mandatory depends on the enhed's kind.
            let facts = EnhedKind::parse(&m.kind).map(|kind| rules::EnhedFacts {
                kind,
                ejer_cvr: m.ejer_cvr.clone(),
            });
            for s in sl_store::by_enhed(&txn, &m.id)
                .await
                .map_err(AppError::from)?
            {
                let has = !rules::errors(&sl_store::fields(&s), facts.as_ref()).is_empty();
                sl_store::set_has_errors(&txn, &s.id, has)
                    .await
                    .map_err(AppError::from)?;
            }
        }
        audit::record(
            &txn,
            v,
            AuditEvent {
                action: "updateEnhed",
                entity_type: "Enhed",
                entity_id: &m.id,
                before: serde_json::to_value(&old).ok(),
                after: serde_json::to_value(&m).ok(),
            },
            now,
        )
        .await
        .map_err(AppError::from)?;
        txn.commit().await.map_err(AppError::from)?;
        Ok(Enhed(Arc::new(m)))
    }

    /// Lock an enhed for editing its beskrivelse and contact data (R19, same discipline as R11).
    async fn lock_enhed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The enhed's global id or enhedId.")] id: String,
    ) -> GqlResult<Enhed> {
        let st = state(ctx);
        let v = viewer(ctx);
        let old = enhed_row(st, &super::node::enhed_key(&id)).await?;
        AppError::check(
            access::decide_enhed_edit(v, &old.ejer_cvr, false),
            "Enheden",
        )?;
        let now = st.clock.now();
        let until = lock::expiry(now, Duration::minutes(st.config.lock_ttl_minutes));
        let txn = st.db.begin().await.map_err(AppError::from)?;
        if !store::enhed::try_lock(&txn, &old.id, &actor(v), now, until)
            .await
            .map_err(AppError::from)?
        {
            txn.rollback().await.map_err(AppError::from)?;
            let fresh = enhed_row(st, &old.id).await?;
            let l = lock::Lock::from_parts(
                fresh.lock_subject.as_ref(),
                fresh.lock_name.as_ref(),
                fresh.lock_since,
                fresh.lock_expires_ms,
            );
            return Err(match lock::active(l, now) {
                Some(o) => AppError::locked(&o),
                None => AppError::Conflict("Låsen kunne ikke tages. Prøv igen.".into()),
            }
            .into());
        }
        audit_event(&txn, v, "lockEnhed", "Enhed", &old.id, now).await?;
        txn.commit().await.map_err(AppError::from)?;
        let m = enhed_row(st, &old.id).await?;
        Ok(Enhed(Arc::new(m)))
    }

    /// Check an enhed in: releases its lock (R19).
    async fn check_in_enhed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The enhed's global id or enhedId.")] id: String,
    ) -> GqlResult<Enhed> {
        let st = state(ctx);
        let v = viewer(ctx);
        let old = enhed_row(st, &super::node::enhed_key(&id)).await?;
        AppError::check(
            access::decide_enhed_edit(v, &old.ejer_cvr, false),
            "Enheden",
        )?;
        let now = st.clock.now();
        let txn = st.db.begin().await.map_err(AppError::from)?;
        if !store::enhed::release_lock(&txn, &old.id, v.subject.as_deref().unwrap_or(""), now)
            .await
            .map_err(AppError::from)?
        {
            txn.rollback().await.map_err(AppError::from)?;
            return Err(AppError::NotLocked("Du har ikke låst enheden.".into()).into());
        }
        audit_event(&txn, v, "checkInEnhed", "Enhed", &old.id, now).await?;
        txn.commit().await.map_err(AppError::from)?;
        let m = enhed_row(st, &old.id).await?;
        Ok(Enhed(Arc::new(m)))
    }
}
