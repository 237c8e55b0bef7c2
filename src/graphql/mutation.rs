//! The admin side (R1-R19, R25-R27): scoped queries and the mutations. Resolvers translate
//! GraphQL to the use cases of `crate::service` and back; the rules live in `domain`.
use super::admin_types::{issues_of, AuditEntry, Serviceleverance, ViewerObj};
use super::enums::{Boligtype, EnhedKind, SlType};
use super::scalars::Date;
use super::types::{Enhed, Issue};
use super::{state, viewer};
use crate::domain::access;
use crate::domain::serviceleverance::{self as rules, Edit};
use crate::error::{AppError, AppResult, GqlResult};
use crate::service::enhed::{self as enhed_service, EnhedPatch};
use crate::service::serviceleverance::{self as sl_service, AgreementPatch, NewAgreement};
use crate::service::Cx;
use crate::store::serviceleverance::{self as sl_store, ListFilter, Serviceleverance as SlRow};
use crate::store::{self};
use async_graphql::{Context, InputObject, MaybeUndefined, Object, ID};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::sync::Arc;

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

pub(super) fn list_size(first: Option<i32>) -> AppResult<u64> {
    match first.unwrap_or(20) {
        n @ 0..=100 => Ok(n as u64),
        _ => Err(AppError::validation(
            "first",
            "first skal være mellem 0 og 100.",
        )),
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

/// A partial update: omitted fields are kept, null clears (navn cannot be cleared).
#[derive(InputObject)]
pub struct UpdateServiceleveranceInput {
    /// 1-200 characters; æøå allowed. Required: null is refused.
    pub navn: MaybeUndefined<String>,
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

/// A photo of the enhed in `updateFotos`: which (its url) and its alt text.
#[derive(InputObject)]
pub struct FotoInput {
    /// The photo's url as `profil.fotos` gives it.
    pub url: String,
    /// The alternative text (1-300 characters).
    pub alt: String,
}

/// Fields of an enhed (R17) for administrators.
#[derive(InputObject)]
pub struct EnhedInput {
    /// PLEJEENHED or HELHEDSPLEJEENHED (required when creating; null is refused).
    pub kind: MaybeUndefined<EnhedKind>,
    /// The name (required when creating; null is refused).
    pub navn: MaybeUndefined<String>,
    /// The owner's 8-digit CVR number (required when creating; null is refused).
    pub ejer_cvr: MaybeUndefined<String>,
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
    pub boligtype: MaybeUndefined<Boligtype>,
    /// For plejeenheder: the number of boliger.
    pub antal_boliger: MaybeUndefined<i32>,
    /// R31, plejeenheder: the lowest husleje, kr. a month (0-100000); alone, the only figure.
    pub husleje_fra: MaybeUndefined<i32>,
    /// R31, plejeenheder: the highest husleje of a range, kr. a month.
    pub husleje_til: MaybeUndefined<i32>,
    /// R31, plejeenheder: the indskud (deposit), kr. (0-1000000).
    pub indskud: MaybeUndefined<i32>,
    /// R31, plejeenheder: the number of boliger suited for couples (at most antalBoliger).
    pub parboliger: MaybeUndefined<i32>,
    /// R31, plejeenheder: dementia.
    pub demens: MaybeUndefined<super::enums::Demens>,
    /// R31, plejeenheder: is the food made on site?
    pub mad_paa_stedet: MaybeUndefined<bool>,
    /// R31, plejeenheder: animals.
    pub dyr: MaybeUndefined<super::enums::Dyr>,
    /// R31, plejeenheder: are there training facilities?
    pub traening: MaybeUndefined<bool>,
    /// R31, plejeenheder: the facilities (the whole list; [] for none).
    pub faciliteter: MaybeUndefined<Vec<super::enums::Facilitet>>,
    /// R31, helhedsplejeenheder: the services delivered (the whole list).
    pub ydelser: MaybeUndefined<Vec<super::enums::Ydelse>>,
    /// R31, helhedsplejeenheder: the first day it can deliver.
    pub kan_levere_fra: MaybeUndefined<Date>,
    /// R31, helhedsplejeenheder: the areas it covers (names, at most 50).
    pub omraader: MaybeUndefined<Vec<String>>,
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
        #[graphql(desc = "Only this aftalepart's agreements: kommunekode or name.")]
        aftalepart: Option<String>,
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
        #[graphql(desc = "Only agreements about this enhed (its enhedId).")] enhed: Option<String>,
    ) -> GqlResult<ServiceleveranceConnection> {
        let st = state(ctx);
        let v = viewer(ctx);
        if !v.is_authenticated() {
            return Err(AppError::Unauthenticated("Du skal være logget ind.".into()).into());
        }
        let scope = access::sl_scope(v);
        if text.as_ref().is_some_and(|t| t.chars().count() > 200) {
            return Err(AppError::validation("text", "text må højst være 200 tegn.").into());
        }
        if enhed.as_ref().is_some_and(|e| e.chars().count() > 128) {
            return Err(AppError::validation("enhed", "enhed må højst være 128 tegn.").into());
        }
        let aftalepart_kode = match aftalepart.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(a) => Some(
                st.kommuner
                    .resolve(a)
                    .filter(|_| a.len() <= 100)
                    .ok_or_else(|| {
                        AppError::validation(
                            "aftalepart",
                            "Kommunen findes ikke. Angiv en kommunekode eller et kommunenavn.",
                        )
                    })?
                    .to_string(),
            ),
        };
        let limit = list_size(first)?;
        let offset = parse_offset(after.as_deref())?;
        let filter = ListFilter {
            aftalepart_kode,
            kind: kind.map(|k| rules::EnhedKind::from(k).as_str()),
            sl_type: sl_type.map(Into::into),
            active_on: active_on.map(|d| d.0),
            has_errors,
            locked,
            text,
            enhed_id: enhed
                .map(|e| e.trim().to_string())
                .filter(|e| !e.is_empty()),
        };
        let (rows, total) = sl_store::list(&st.db, &scope, &filter, st.clock.now(), offset, limit)
            .await
            .map_err(AppError::from)?;
        let aftaleparter = if ctx.look_ahead().field("aftaleparter").exists() {
            let counts = sl_store::count_by_aftalepart(&st.db, &scope, &filter, st.clock.now())
                .await
                .map_err(AppError::from)?;
            let kodes: Vec<String> = counts.iter().map(|(k, _)| k.clone()).collect();
            let mut kommuner: std::collections::HashMap<String, store::kommune::Kommune> =
                store::kommune::by_kodes(&st.db, &kodes)
                    .await
                    .map_err(AppError::from)?
                    .into_iter()
                    .map(|k| (k.kode.clone(), k))
                    .collect();
            let mut out: Vec<super::connection::AftalepartCount> = counts
                .into_iter()
                .filter_map(|(kode, count)| {
                    kommuner
                        .remove(&kode)
                        .map(|k| super::connection::AftalepartCount {
                            kommune: super::types::Kommune(Arc::new(k)),
                            count,
                        })
                })
                .collect();
            out.sort_by_cached_key(|a| crate::domain::text::collation_key(&a.kommune.0.navn));
            out
        } else {
            Vec::new()
        };
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
            aftaleparter,
        })
    }

    /// One serviceleverance; NOT_FOUND when it does not exist for the caller (R26).
    async fn serviceleverance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Serviceleverancens id.")] id: ID,
    ) -> GqlResult<Serviceleverance> {
        Ok(sl(sl_service::read(cx(ctx), &id).await?))
    }

    /// Find enheder for the agreement form (R18): parts of words, every word typed in any order,
    /// in the name, street, postnummer or town; case, æ/ae, ø/oe, å/aa (and o for ø) and full
    /// stops do not matter. For users with an editor role.
    #[graphql(
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity + 5",
        guard = "super::guards::PolicyGuard::editor(\"Enheden\")"
    )]
    async fn find_enheder(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Words of the name, street, postnummer or town, in any order; case, æ/ae/a, ø/oe/o, å/aa/a and full stops do not matter."
        )]
        text: String,
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
        let rows = store::enhed::find(
            &state(ctx).db,
            t,
            kind.map(|k| rules::EnhedKind::from(k).as_str()),
            limit,
        )
        .await
        .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|e| Enhed::new(Arc::new(e))).collect())
    }

    /// The audit log (R16, R34), newest first: narrowed by element, person and days, each
    /// entry with its element's name and what changed. Administrators only. The same filter
    /// exports as CSV or JSON at `/export/log.csv` and `/export/log.json`.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity + 5",
        guard = "super::guards::PolicyGuard::admin(\"Loggen\")"
    )]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only entries about this entity type, e.g. Serviceleverance.")]
        entity_type: Option<String>,
        #[graphql(
            desc = "Only entries about this entity id (an enhed's or kommune's global id too)."
        )]
        entity_id: Option<String>,
        #[graphql(desc = "Only entries by this subject.")] actor: Option<String>,
        #[graphql(
            desc = "Only entries by people whose name or subject contains this (case, æ/ae, ø/oe, å/aa insensitive)."
        )]
        person: Option<String>,
        #[graphql(
            desc = "The extract for one person: entries by this subject and entries that name it (a lock taken over from it)."
        )]
        about: Option<String>,
        #[graphql(desc = "From this day (Copenhagen time), inclusive.")] from: Option<Date>,
        #[graphql(desc = "To this day (Copenhagen time), inclusive.")] to: Option<Date>,
        #[graphql(desc = "Page size, 0-100; default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last entry of the previous page.")] after: Option<String>,
    ) -> GqlResult<AuditEntryConnection> {
        let limit = list_size(first)?;
        let offset = parse_offset(after.as_deref())?;
        // An enhed's or kommune's global id names the same element as its own id.
        let entity_id = entity_id.map(|i| super::node::decode(&i).map_or(i, |(_, raw)| raw));
        let q = crate::service::audit::LogQuery {
            entity_type,
            entity_id,
            actor,
            person,
            about,
            from: from.map(|d| d.0),
            to: to.map(|d| d.0),
        };
        let (rows, total) = crate::service::audit::page(cx(ctx), q, offset, limit).await?;
        let (items, page_info) = super::connection::offset_page(rows, offset, total, offset_cursor);
        let edges: Vec<AuditEntryEdge> = items
            .into_iter()
            .map(|(cursor, r)| AuditEntryEdge {
                cursor,
                node: AuditEntry(Arc::new(r)),
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
        let patch = AgreementPatch {
            enhed_id: match enhed_id {
                MaybeUndefined::Undefined => Edit::Keep,
                other => match enhed_id_field(other, None)? {
                    Some(e) => Edit::Set(e),
                    None => Edit::Clear,
                },
            },
            sl_type: edit(sl_type.map_value(Into::into)),
            startdato: edit(startdato).map(|d| d.0),
            slutdato: edit(slutdato).map(|d| d.0),
            ..Default::default()
        };
        let p = sl_service::preview(
            cx(ctx),
            id.as_ref().map(|i| i.as_str()),
            aftalepart_kode.as_deref(),
            patch,
        )
        .await?;
        issues_of(ctx, p.own_id.as_deref(), &p.aftalepart_kode, &p.fields).await
    }
}

#[derive(Default)]
pub struct CoreMutation;

/// Every change; the ældretilsyn's are in `tilsyn.rs`.
#[derive(async_graphql::MergedObject, Default)]
pub struct Mutation(CoreMutation, super::tilsyn::TilsynMutation);

fn edit<T>(v: MaybeUndefined<T>) -> Edit<T> {
    match v {
        MaybeUndefined::Undefined => Edit::Keep,
        MaybeUndefined::Null => Edit::Clear,
        MaybeUndefined::Value(x) => Edit::Set(x),
    }
}

/// A required field sent as null is refused; omitted keeps it.
fn required<T>(v: MaybeUndefined<T>, field: &'static str, label: &str) -> AppResult<Option<T>> {
    match v {
        MaybeUndefined::Undefined => Ok(None),
        MaybeUndefined::Null => Err(AppError::validation(
            field,
            format!(
                "{label} er påkrævet og kan ikke ryddes (null); udelad feltet for at beholde det."
            ),
        )),
        MaybeUndefined::Value(x) => Ok(Some(x)),
    }
}

impl EnhedInput {
    fn into_patch(self) -> AppResult<EnhedPatch> {
        Ok(EnhedPatch {
            kind: required(self.kind, "kind", "Kind")?.map(Into::into),
            navn: required(self.navn, "navn", "Navn")?,
            ejer_cvr: required(self.ejer_cvr, "ejerCvr", "Ejerens CVR-nummer")?,
            sor_kode: edit(self.sor_kode),
            vejnavn: edit(self.vejnavn),
            postnummer: edit(self.postnummer),
            by: edit(self.by),
            lat: edit(self.lat),
            lon: edit(self.lon),
            kommune_kode: edit(self.kommune_kode),
            beskrivelse: edit(self.beskrivelse),
            telefon: edit(self.telefon),
            email: edit(self.email),
            web: edit(self.web),
            boligtype: edit(self.boligtype).map(Into::into),
            antal_boliger: edit(self.antal_boliger),
            profil: crate::domain::profil::ProfilPatch {
                husleje_fra: edit(self.husleje_fra),
                husleje_til: edit(self.husleje_til),
                indskud: edit(self.indskud),
                parboliger: edit(self.parboliger),
                demens: edit(self.demens).map(Into::into),
                mad_paa_stedet: edit(self.mad_paa_stedet),
                dyr: edit(self.dyr).map(Into::into),
                traening: edit(self.traening),
                faciliteter: edit(self.faciliteter)
                    .map(|l| l.into_iter().map(Into::into).collect()),
                ydelser: edit(self.ydelser).map(|l| l.into_iter().map(Into::into).collect()),
                kan_levere_fra: edit(self.kan_levere_fra).map(|d| d.0),
                omraader: edit(self.omraader),
            },
        })
    }
}

pub(super) fn cx<'a>(ctx: &Context<'a>) -> Cx<'a> {
    Cx::new(state(ctx), viewer(ctx))
}

fn sl(m: SlRow) -> Serviceleverance {
    Serviceleverance(Arc::new(m))
}

/// Changes: serviceleverancer (lock, save, check in, ...), enheder and kommuner. All need a token.
/// Saves, check-ins, restores and deletes accept `expectedRevision`, the revision the client
/// last read: when someone else changed the item since, the answer is CONFLICT.
#[Object]
impl CoreMutation {
    /// Create a serviceleverance (R1, R2, R13): the aftalepart is the caller's kommune; it is
    /// saved even when half-filled, records version 1 and is left unlocked.
    async fn create_serviceleverance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the new serviceleverance.")]
        input: CreateServiceleveranceInput,
    ) -> GqlResult<Serviceleverance> {
        let enhed_id = enhed_id_field(
            input
                .enhed_id
                .map(MaybeUndefined::Value)
                .unwrap_or(MaybeUndefined::Undefined),
            None,
        )?;
        let n = NewAgreement {
            navn: input.navn,
            enhed_id,
            aftaleidentifikation: input.aftaleidentifikation,
            sl_type: input.sl_type.map(Into::into),
            startdato: input.startdato.map(|d| d.0),
            slutdato: input.slutdato.map(|d| d.0),
            aftalepart_kode: input.aftalepart_kode,
        };
        Ok(sl(sl_service::create(cx(ctx), n).await?))
    }

    /// Lock for editing (R11, R14). Succeeds when unlocked, already yours, or expired;
    /// otherwise LOCKED with who holds it and since when.
    async fn lock_serviceleverance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Serviceleverancens id.")] id: ID,
    ) -> GqlResult<Serviceleverance> {
        Ok(sl(sl_service::lock(cx(ctx), &id).await?))
    }

    /// Take over a colleague's lock (R14): a user with the same role and organisation as the
    /// holder takes the lock; the former holder's next save gets LOCKED. Recorded in the audit
    /// log with the former holder. Administrators use forceUnlockServiceleverance.
    async fn take_over_serviceleverance_lock(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Serviceleverancens id.")] id: ID,
    ) -> GqlResult<Serviceleverance> {
        Ok(sl(sl_service::take_over_lock(cx(ctx), &id).await?))
    }

    /// Save changes (R12): only the lock holder; publishes at once. R3-R5 are checked.
    async fn update_serviceleverance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Serviceleverancens id.")] id: ID,
        #[graphql(desc = "The fields to change; omitted fields are kept, null clears (not navn).")]
        input: UpdateServiceleveranceInput,
        #[graphql(
            desc = "The revision the client last read; CONFLICT when it is no longer current."
        )]
        expected_revision: Option<i64>,
    ) -> GqlResult<Serviceleverance> {
        let enhed_id = match input.enhed_id {
            MaybeUndefined::Undefined => Edit::Keep,
            other => match enhed_id_field(other, None)? {
                Some(e) => Edit::Set(e),
                None => Edit::Clear,
            },
        };
        let patch = AgreementPatch {
            navn: edit(input.navn),
            enhed_id,
            aftaleidentifikation: edit(input.aftaleidentifikation),
            sl_type: edit(input.sl_type).map(Into::into),
            startdato: edit(input.startdato).map(|d| d.0),
            slutdato: edit(input.slutdato).map(|d| d.0),
        };
        Ok(sl(sl_service::update(
            cx(ctx),
            &id,
            patch,
            expected_revision,
        )
        .await?))
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
        #[graphql(
            desc = "The revision the client last read; CONFLICT when it is no longer current."
        )]
        expected_revision: Option<i64>,
    ) -> GqlResult<Serviceleverance> {
        Ok(sl(sl_service::set_beskrivelse(
            cx(ctx),
            &id,
            beskrivelse,
            expected_revision,
        )
        .await?))
    }

    /// Check in (R13): releases the lock and records a version with an optional comment.
    async fn check_in_serviceleverance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Serviceleverancens id.")] id: ID,
        #[graphql(desc = "Optional comment recorded with the version.")] kommentar: Option<String>,
        #[graphql(
            desc = "The revision the client last read; CONFLICT when it is no longer current."
        )]
        expected_revision: Option<i64>,
    ) -> GqlResult<Serviceleverance> {
        Ok(sl(sl_service::check_in(
            cx(ctx),
            &id,
            kommentar,
            expected_revision,
        )
        .await?))
    }

    /// Delete (R8): a soft delete by the aftalepart's user holding the lock. Leaves the public
    /// search at once; the version history is kept. Returns the deleted id.
    async fn delete_serviceleverance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Serviceleverancens id.")] id: ID,
        #[graphql(
            desc = "The revision the client last read; CONFLICT when it is no longer current."
        )]
        expected_revision: Option<i64>,
    ) -> GqlResult<ID> {
        Ok(ID(
            sl_service::delete(cx(ctx), &id, expected_revision).await?
        ))
    }

    /// Restore a version's fields (R15). It is a save, so it needs the lock; only the fields
    /// the caller may write are restored (R3, R4), the others keep their current values.
    async fn restore_serviceleverance_version(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Serviceleverancens id.")] id: ID,
        #[graphql(desc = "The version number to restore.")] nummer: i32,
        #[graphql(
            desc = "The revision the client last read; CONFLICT when it is no longer current."
        )]
        expected_revision: Option<i64>,
    ) -> GqlResult<Serviceleverance> {
        Ok(sl(sl_service::restore(
            cx(ctx),
            &id,
            nummer,
            expected_revision,
        )
        .await?))
    }

    /// Release anyone's lock (R14). Administrators only.
    async fn force_unlock_serviceleverance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Serviceleverancens id.")] id: ID,
    ) -> GqlResult<Serviceleverance> {
        Ok(sl(sl_service::force_unlock(cx(ctx), &id).await?))
    }

    /// Set a kommune's CVR number (R19). Administrators only.
    #[graphql(guard = "super::guards::PolicyGuard::admin(\"Kommunen\")")]
    async fn set_kommune_cvr(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Kommunekode or name.")] kode: String,
        #[graphql(desc = "The new 8-digit CVR number.")] cvr: String,
    ) -> GqlResult<super::types::Kommune> {
        let k = crate::service::kommune::set_cvr(cx(ctx), &kode, &cvr).await?;
        Ok(super::types::Kommune(Arc::new(k)))
    }

    /// Create an enhed (R17, R19). Administrators only. The kommune is derived from the location.
    #[graphql(guard = "super::guards::PolicyGuard::admin(\"Enheden\")")]
    async fn create_enhed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the new enhed; kind, navn and ejerCvr are required.")]
        input: EnhedInput,
    ) -> GqlResult<Enhed> {
        let m = enhed_service::create(cx(ctx), input.into_patch()?).await?;
        Ok(Enhed::new(Arc::new(m)))
    }

    /// Update an enhed (R17, R19), holding its lock (lockEnhed), for every role: administrators
    /// may change everything; the owner's redaktør beskrivelse, contact data and the profile (R31).
    async fn update_enhed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The enhed's global id or enhedId.")] id: String,
        #[graphql(
            desc = "The fields to change; omitted fields are kept, null clears (not kind, navn, ejerCvr)."
        )]
        input: EnhedInput,
        #[graphql(
            desc = "The revision the client last read; CONFLICT when it is no longer current."
        )]
        expected_revision: Option<i64>,
    ) -> GqlResult<Enhed> {
        let m = enhed_service::update(
            cx(ctx),
            &super::node::enhed_key(&id),
            input.into_patch()?,
            expected_revision,
        )
        .await?;
        Ok(Enhed::new(Arc::new(m)))
    }

    /// R31: the enhed's photos in a new order with new alt texts; photos left out are removed
    /// (and no longer served). Upload a photo with `PUT /enhed/{enhedId}/fotos?alt=…`.
    /// Holding the enhed's lock, as updateEnhed.
    async fn update_fotos(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The enhed's global id or enhedId.")] enhed_id: String,
        #[graphql(desc = "The complete new list, in order.")] fotos: Vec<FotoInput>,
        #[graphql(
            desc = "The revision the client last read; CONFLICT when it is no longer current."
        )]
        expected_revision: Option<i64>,
    ) -> GqlResult<Enhed> {
        let m = crate::service::foto::update(
            cx(ctx),
            &super::node::enhed_key(&enhed_id),
            fotos.into_iter().map(|f| (f.url, f.alt)).collect(),
            expected_revision,
        )
        .await?;
        Ok(Enhed::new(Arc::new(m)))
    }

    /// Lock an enhed for editing (R19, same discipline as R11).
    async fn lock_enhed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The enhed's global id or enhedId.")] id: String,
    ) -> GqlResult<Enhed> {
        let m = enhed_service::lock(cx(ctx), &super::node::enhed_key(&id)).await?;
        Ok(Enhed::new(Arc::new(m)))
    }

    /// Take over a colleague's lock on an enhed (R14, as takeOverServiceleveranceLock).
    async fn take_over_enhed_lock(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The enhed's global id or enhedId.")] id: String,
    ) -> GqlResult<Enhed> {
        let m = enhed_service::take_over_lock(cx(ctx), &super::node::enhed_key(&id)).await?;
        Ok(Enhed::new(Arc::new(m)))
    }

    /// Check an enhed in: releases its lock (R19).
    async fn check_in_enhed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The enhed's global id or enhedId.")] id: String,
    ) -> GqlResult<Enhed> {
        let m = enhed_service::check_in(cx(ctx), &super::node::enhed_key(&id)).await?;
        Ok(Enhed::new(Arc::new(m)))
    }
}
