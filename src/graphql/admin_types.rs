//! Types of the admin side: serviceleverancer with locks, issues and versions; the viewer; the
//! audit log. Reachable only through queries and mutations that ask the access policy.
use super::enums::SlType;
use super::loaders::{EnhedLoader, KommuneLoader, SiblingLoader};
use super::scalars::{Date, DateTime as Timestamp};
use super::types::{Enhed, Issue, Kommune};
use super::{db_err, state};
use crate::domain::day::copenhagen_day;
use crate::domain::lock::{self, Lock};
use crate::domain::serviceleverance::{self as rules, EnhedFacts, EnhedKind, Fields, IssueContext};
use crate::error::{AppError, GqlResult};
use crate::store::{self, serviceleverance::Serviceleverance as SlRow};
use async_graphql::{Context, Object, SimpleObject, ID};
use std::sync::Arc;

/// Who holds a lock, since when and until when (R14), and whether they are editing now (R28).
#[derive(SimpleObject, Clone)]
pub struct Laas {
    /// The holder's subject (user id).
    pub subject: String,
    /// The holder's display name.
    pub navn: Option<String>,
    /// When the lock was taken.
    pub since: Timestamp,
    /// When the lock expires by itself: without a heartbeat from the holder's editor within
    /// the presence time, and at the latest the ceiling after `since`.
    pub until: Timestamp,
    /// The holder's editor is open now (its heartbeat renewed the lock within two minutes).
    pub editing_now: bool,
    /// When the holder's editor last renewed the lock.
    pub last_seen: Timestamp,
}

impl Laas {
    /// The lock as the console shows it now.
    pub fn of(l: Lock, terms: lock::Terms, now: chrono::DateTime<chrono::Utc>) -> Self {
        Laas {
            editing_now: lock::editing_now(&l, terms, now),
            last_seen: Timestamp(lock::last_seen(&l, terms)),
            subject: l.subject,
            navn: l.name,
            since: Timestamp(l.since),
            until: Timestamp(l.expires),
        }
    }
}

pub use crate::service::serviceleverance::lock_of;

/// The enhed facts the rules need, through the request's loader.
pub async fn enhed_facts(
    ctx: &Context<'_>,
    enhed_id: Option<&String>,
) -> GqlResult<Option<EnhedFacts>> {
    let Some(id) = enhed_id else { return Ok(None) };
    let e = ctx
        .data_unchecked::<super::loaders::Loaded<EnhedLoader>>()
        .load_one(id.clone())
        .await
        .map_err(db_err)?;
    Ok(e.and_then(|e| {
        EnhedKind::parse(&e.kind).map(|kind| EnhedFacts {
            kind,
            ejer_cvr: e.ejer_cvr.clone(),
        })
    }))
}

pub async fn kommune_cvr(ctx: &Context<'_>, kode: &str) -> GqlResult<String> {
    let k = ctx
        .data_unchecked::<super::loaders::Loaded<KommuneLoader>>()
        .load_one(kode.to_string())
        .await
        .map_err(db_err)?;
    Ok(k.map(|k| k.cvr.clone()).unwrap_or_default())
}

/// R9/R10: the issues of an agreement's fields with the facts they depend on: the enhed's kind
/// and owner, the aftalepart's CVR, today, and whether another live agreement between the same
/// kommune and enhed overlaps. `own_id` is the saved agreement itself (never its own overlap).
/// The one computation behind both `Serviceleverance.issues` and `previewIssues`.
pub async fn issues_of(
    ctx: &Context<'_>,
    own_id: Option<&str>,
    aftalepart_kode: &str,
    f: &Fields,
) -> GqlResult<Vec<Issue>> {
    let facts = enhed_facts(ctx, f.enhed_id.as_ref()).await?;
    let cvr = kommune_cvr(ctx, aftalepart_kode).await?;
    let overlaps = match &f.enhed_id {
        Some(e) => ctx
            .data_unchecked::<super::loaders::Loaded<SiblingLoader>>()
            .load_one((aftalepart_kode.to_string(), e.clone()))
            .await
            .map_err(db_err)?
            .unwrap_or_default()
            .iter()
            .any(|o| {
                Some(o.id.as_str()) != own_id
                    && rules::periods_overlap((o.startdato, o.slutdato), (f.startdato, f.slutdato))
            }),
        None => false,
    };
    let today = copenhagen_day(state(ctx).clock.now());
    // R33 asks the read model only for helhedspleje agreements (the rest never show it).
    let choice = facts
        .as_ref()
        .filter(|f| f.kind == EnhedKind::Helhedsplejeenhed)
        .map(|_| crate::domain::frit_valg::Choice {
            providers: state(ctx)
                .read_model
                .snapshot()
                .helhedspleje_providers(aftalepart_kode, today),
            kommune_cvr: cvr.clone(),
        });
    let ictx = IssueContext {
        enhed: facts.as_ref(),
        aftalepart_cvr: &cvr,
        today,
        overlaps_other: overlaps,
        frit_valg: choice.as_ref(),
    };
    Ok(rules::issues(f, &ictx)
        .into_iter()
        .map(Issue::from)
        .collect())
}

#[derive(Clone)]
pub struct Serviceleverance(pub Arc<SlRow>);

/// A serviceleverance (agreement between a kommune and an enhed) as its kommune and the enhed's
/// redaktør see it, with lock, issues and version history.
#[Object]
impl Serviceleverance {
    /// The id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// A descriptive name (R2).
    async fn navn(&self) -> &str {
        &self.0.navn
    }
    /// The kommune that is the party of the agreement (R1).
    async fn aftalepart(&self, ctx: &Context<'_>) -> GqlResult<Option<Kommune>> {
        let l = ctx.data_unchecked::<super::loaders::Loaded<KommuneLoader>>();
        Ok(l.load_one(self.0.aftalepart_kode.clone())
            .await
            .map_err(db_err)?
            .map(Kommune))
    }
    /// The enhed the agreement is about.
    async fn enhed(&self, ctx: &Context<'_>) -> GqlResult<Option<Enhed>> {
        let Some(id) = &self.0.enhed_id else {
            return Ok(None);
        };
        Ok(super::types::load_enhed(ctx, id).await?.map(Enhed::new))
    }
    /// The kommune's own id of the agreement.
    async fn aftaleidentifikation(&self) -> Option<&str> {
        self.0.aftaleidentifikation.as_deref()
    }
    /// The type.
    #[graphql(name = "type")]
    async fn sl_type(&self) -> Option<SlType> {
        self.0
            .r#type
            .as_deref()
            .and_then(rules::SlType::parse)
            .map(SlType::from)
    }
    /// The provider's description (R4); written by the enhed owner's redaktør.
    async fn beskrivelse(&self) -> Option<&str> {
        self.0.beskrivelse.as_deref()
    }
    /// First day in force.
    async fn startdato(&self) -> Option<Date> {
        self.0.startdato.map(Date)
    }
    /// Last day in force; empty when open-ended.
    async fn slutdato(&self) -> Option<Date> {
        self.0.slutdato.map(Date)
    }
    /// The number of the latest version (R13).
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Incremented by every committed change; send it back as `expectedRevision` so that a
    /// save does not overwrite a change made since it was read.
    async fn revision(&self) -> i64 {
        self.0.revision
    }
    /// The lock in force, if any (R14).
    async fn laas(&self, ctx: &Context<'_>) -> Option<Laas> {
        let st = state(ctx);
        let now = st.clock.now();
        lock::active(lock_of(&self.0), now).map(|l| Laas::of(l, st.config.lock_terms(), now))
    }
    /// Validation issues (R10): errors first, then warnings (R9).
    async fn issues(&self, ctx: &Context<'_>) -> GqlResult<Vec<Issue>> {
        let f = store::serviceleverance::fields(&self.0);
        issues_of(ctx, Some(&self.0.id), &self.0.aftalepart_kode, &f).await
    }
    /// Is it shown in the public search today (R10, R20)?
    async fn is_public(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        Ok(self.not_public(ctx).await?.is_none())
    }
    /// Why it is not public today; empty when it is.
    async fn not_public_reason(&self, ctx: &Context<'_>) -> GqlResult<Option<String>> {
        self.not_public(ctx).await
    }
    /// Soft-deleted at (R8).
    async fn deleted_at(&self) -> Option<Timestamp> {
        self.0.deleted_at.map(Timestamp)
    }
    /// Created at.
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at)
    }
    /// Last saved at.
    async fn updated_at(&self) -> Timestamp {
        Timestamp(self.0.updated_at)
    }
    /// Version history, newest first (R15).
    async fn versions(&self, ctx: &Context<'_>) -> GqlResult<Vec<Version>> {
        let rows = store::serviceleverance::versions(&state(ctx).db, &self.0.id)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(Version).collect())
    }
    /// The number of versions (R15).
    async fn version_count(&self) -> i32 {
        self.0.version
    }
    /// One version's snapshot (R15).
    async fn version_by_number(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The version number.")] nummer: i32,
    ) -> GqlResult<Option<Version>> {
        let v = store::serviceleverance::version(&state(ctx).db, &self.0.id, nummer)
            .await
            .map_err(AppError::from)?;
        Ok(v.map(Version))
    }
}

impl Serviceleverance {
    async fn not_public(&self, ctx: &Context<'_>) -> GqlResult<Option<String>> {
        let f = store::serviceleverance::fields(&self.0);
        let facts = enhed_facts(ctx, f.enhed_id.as_ref()).await?;
        let today = copenhagen_day(state(ctx).clock.now());
        Ok(rules::not_public_reason(
            &f,
            facts.as_ref(),
            self.0.deleted_at.is_some(),
            today,
        ))
    }
}

/// The fields of a version (R13).
#[derive(SimpleObject)]
pub struct Snapshot {
    /// The name.
    pub navn: String,
    /// The enhed's own id (enhedId).
    pub enhed_id: Option<String>,
    /// The kommune's own id of the agreement.
    pub aftaleidentifikation: Option<String>,
    /// The type.
    #[graphql(name = "type")]
    pub sl_type: Option<SlType>,
    /// The provider's description.
    pub beskrivelse: Option<String>,
    /// First day in force.
    pub startdato: Option<Date>,
    /// Last day in force.
    pub slutdato: Option<Date>,
}

impl From<Fields> for Snapshot {
    fn from(f: Fields) -> Self {
        Snapshot {
            navn: f.navn,
            enhed_id: f.enhed_id,
            aftaleidentifikation: f.aftaleidentifikation,
            sl_type: f.sl_type.map(SlType::from),
            beskrivelse: f.beskrivelse,
            startdato: f.startdato.map(Date),
            slutdato: f.slutdato.map(Date),
        }
    }
}

/// A recorded version (R13).
pub struct Version(pub store::serviceleverance::Version);

/// A recorded version of a serviceleverance (R13).
#[Object]
impl Version {
    /// 1, 2, 3 ...
    async fn nummer(&self) -> i32 {
        self.0.nummer
    }
    /// The author's subject.
    async fn author(&self) -> &str {
        &self.0.author_subject
    }
    /// The author's display name.
    async fn author_name(&self) -> Option<&str> {
        self.0.author_name.as_deref()
    }
    /// When it was recorded.
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at)
    }
    /// The check-in comment.
    async fn kommentar(&self) -> Option<&str> {
        self.0.kommentar.as_deref()
    }
    /// The full snapshot of the fields.
    async fn snapshot(&self) -> GqlResult<Snapshot> {
        let f: Fields = serde_json::from_str(&self.0.snapshot)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(f.into())
    }
}

/// Who the caller is.
pub struct ViewerObj(pub crate::domain::access::Viewer);

/// Who the caller is, from the token (anonymous without one).
#[Object(name = "Viewer")]
impl ViewerObj {
    /// False for anonymous callers.
    async fn authenticated(&self) -> bool {
        self.0.is_authenticated()
    }
    /// The subject (user id) of the token.
    async fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }
    /// Display name.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    /// The CVR of the caller's organisation.
    async fn cvr(&self) -> Option<&str> {
        self.0.cvr.as_deref()
    }
    /// Roles: DRIFTSOVERENSKOMSTANSVARLIG, REDAKTOER, ADMINISTRATOR.
    async fn roles(&self) -> Vec<&'static str> {
        self.0.roles.iter().map(|r| r.as_str()).collect()
    }
    /// The kommune behind the CVR, when it is a kommune's.
    async fn kommune(&self, ctx: &Context<'_>) -> GqlResult<Option<Kommune>> {
        let Some(cvr) = &self.0.cvr else {
            return Ok(None);
        };
        let k = store::kommune::by_cvr(&state(ctx).db, cvr)
            .await
            .map_err(AppError::from)?;
        Ok(k.map(|k| Kommune(Arc::new(k))))
    }
    /// The enheder the caller's organisation owns (a redaktør's organisation).
    async fn enheder(&self, ctx: &Context<'_>) -> GqlResult<Vec<Enhed>> {
        let Some(cvr) = &self.0.cvr else {
            return Ok(Vec::new());
        };
        let rows = store::enhed::by_owner(&state(ctx).db, cvr)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|e| Enhed::new(Arc::new(e))).collect())
    }
}

/// An entry of the audit log (R16, R34), with its element's name and what changed.
#[derive(Clone)]
pub struct AuditEntry(pub Arc<crate::service::audit::Entry>);

/// One field that changed, as a person reads it (R15, R34): a type in words, a day as
/// "1. januar 2027"; an empty value is null.
#[derive(SimpleObject, Clone)]
pub struct FieldChange {
    /// The field as the API spells it (enheder: as stored), e.g. startdato.
    pub field: String,
    /// The field's Danish label, e.g. Startdato.
    pub label: String,
    /// The value before; null when empty.
    pub before: Option<String>,
    /// The value after; null when empty.
    pub after: Option<String>,
}

impl From<crate::domain::diff::FieldChange> for FieldChange {
    fn from(c: crate::domain::diff::FieldChange) -> Self {
        FieldChange {
            field: c.field,
            label: c.label,
            before: c.before,
            after: c.after,
        }
    }
}

/// An entry of the audit log (R16): who did what, when, with the fields before and after.
#[Object]
impl AuditEntry {
    /// Sequence number.
    async fn id(&self) -> i64 {
        self.0.row.id
    }
    /// When.
    async fn at(&self) -> Timestamp {
        Timestamp(self.0.row.at)
    }
    /// Who: subject.
    async fn actor_subject(&self) -> &str {
        &self.0.row.actor_subject
    }
    /// Who: display name.
    async fn actor_name(&self) -> Option<&str> {
        self.0.row.actor_name.as_deref()
    }
    /// Who: CVR.
    async fn actor_cvr(&self) -> Option<&str> {
        self.0.row.actor_cvr.as_deref()
    }
    /// Who: roles, comma separated.
    async fn actor_roles(&self) -> &str {
        &self.0.row.actor_roles
    }
    /// What: the mutation, e.g. updateServiceleverance.
    async fn action(&self) -> &str {
        &self.0.row.action
    }
    /// The entity type, e.g. Serviceleverance.
    async fn entity_type(&self) -> &str {
        &self.0.row.entity_type
    }
    /// The entity's id.
    async fn entity_id(&self) -> &str {
        &self.0.row.entity_id
    }
    /// The element's name now: the agreement's or enhed's navn, the kommune's official name;
    /// null when it has none.
    async fn element_navn(&self) -> Option<&str> {
        self.0.element.as_deref()
    }
    /// What changed, field by field, in words (R34); bookkeeping fields left out. An entry
    /// with one side only (a creation, a lock event) lists that side's fields.
    async fn changes(&self) -> Vec<FieldChange> {
        self.0
            .changes
            .iter()
            .cloned()
            .map(FieldChange::from)
            .collect()
    }
    /// The fields before, as JSON.
    async fn before(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        self.0
            .row
            .before
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .map(async_graphql::Json)
    }
    /// The fields after, as JSON.
    async fn after(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        self.0
            .row
            .after
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .map(async_graphql::Json)
    }
}
