//! R32 over GraphQL: the public tilsyn of an enhed (`Enhed.tilsyn`), and the ældretilsyn's
//! operations. Resolvers translate; `service::tilsyn` decides.
use super::direct::{self, Below, Direct};
use super::mutation::cx;
use super::scalars::Date;
use super::state;
use crate::domain::day::copenhagen_day;
use crate::domain::tilsyn::{NewTilsyn, SanktionKind};
use crate::error::GqlResult;
use crate::service::tilsyn as service;
use crate::store::tilsyn::{Sanktion, Tilsyn};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, Value};
use chrono::NaiveDate;
use std::sync::Arc;

/// A påbud (an order to put something right) or a forbud (a ban).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaabudForbudType {
    /// An order to put something right (påbud).
    Paabud,
    /// A ban (forbud), e.g. on taking in new residents.
    Forbud,
}

impl From<PaabudForbudType> for SanktionKind {
    fn from(k: PaabudForbudType) -> Self {
        match k {
            PaabudForbudType::Paabud => SanktionKind::Paabud,
            PaabudForbudType::Forbud => SanktionKind::Forbud,
        }
    }
}

/// One tilsyn by the ældretilsyn (R32): a view of the row (shared with the read model, so a
/// search hit copies only the fields asked for).
#[derive(Clone)]
pub struct TilsynObj(pub Arc<Tilsyn>);

/// One tilsyn by the ældretilsyn (R32).
#[Object(name = "Tilsyn")]
impl TilsynObj {
    /// The day of the tilsyn.
    async fn dato(&self) -> Date {
        Date(self.0.dato)
    }
    /// The overall assessment, as the ældretilsyn words it (no scale is fixed by law).
    async fn vurdering(&self) -> &str {
        &self.0.vurdering
    }
    /// A summary of the written feedback.
    async fn sammenfatning(&self) -> &str {
        &self.0.sammenfatning
    }
    /// The report, when published.
    async fn rapport_url(&self) -> Option<&str> {
        self.0.rapport_url.as_deref()
    }
}

fn kind_of(s: &Sanktion) -> Option<PaabudForbudType> {
    SanktionKind::parse(&s.kind).map(|k| match k {
        SanktionKind::Paabud => PaabudForbudType::Paabud,
        SanktionKind::Forbud => PaabudForbudType::Forbud,
    })
}

/// A påbud or forbud (R32), a view of its row.
#[derive(Clone)]
pub struct PaabudForbud(pub Arc<Sanktion>);

/// A påbud or forbud (R32).
#[Object]
impl PaabudForbud {
    /// Its id (to lift it).
    async fn id(&self) -> &str {
        &self.0.id
    }
    /// PAABUD or FORBUD.
    #[graphql(name = "type")]
    async fn kind(&self) -> Option<PaabudForbudType> {
        kind_of(&self.0)
    }
    /// What it says.
    async fn tekst(&self) -> &str {
        &self.0.tekst
    }
    /// The day it was given.
    async fn givet(&self) -> Date {
        Date(self.0.givet)
    }
    /// The day it was lifted (no longer in force from that day).
    async fn ophaevet(&self) -> Option<Date> {
        self.0.ophaevet.map(Date)
    }
}

/// What the public sees of an enhed's tilsyn (R32) on a day: read from the read model's entry
/// when a field is asked for.
#[derive(Clone, Default)]
pub struct OffentligtTilsyn {
    info: Option<Arc<crate::readmodel::TilsynInfo>>,
    day: NaiveDate,
}

/// What the public sees of an enhed's tilsyn (R32): the latest tilsyn and the påbud and forbud
/// in force on the day.
#[Object]
impl OffentligtTilsyn {
    /// The latest tilsyn, if any.
    async fn seneste(&self) -> Option<TilsynObj> {
        self.seneste_row().map(|t| TilsynObj(t.clone()))
    }
    /// The påbud and forbud in force on the day, latest given first.
    async fn paabud_forbud(&self) -> Vec<PaabudForbud> {
        self.in_force()
    }
}

impl OffentligtTilsyn {
    /// What the public sees of `t` on `day`.
    pub fn of(t: Option<Arc<crate::readmodel::TilsynInfo>>, day: NaiveDate) -> OffentligtTilsyn {
        OffentligtTilsyn { info: t, day }
    }

    fn seneste_row(&self) -> Option<&Arc<Tilsyn>> {
        self.info.as_ref()?.seneste.as_ref()
    }

    fn in_force(&self) -> Vec<PaabudForbud> {
        self.info.as_ref().map_or_else(Vec::new, |t| {
            t.in_force(self.day)
                .map(|s| PaabudForbud(s.clone()))
                .collect()
        })
    }
}

/// The public tilsyn of an enhed from the read model, on a day.
pub fn public_of(ctx: &Context<'_>, enhed_id: &str, dato: Option<Date>) -> OffentligtTilsyn {
    let st = state(ctx);
    let day = dato.map_or_else(|| copenhagen_day(st.clock.now()), |d| d.0);
    let snap = st.read_model.snapshot();
    OffentligtTilsyn::of(snap.tilsyn.get(enhed_id).cloned(), day)
}

impl Direct for OffentligtTilsyn {
    fn field(&self, name: &str, below: &Below<'_>) -> Option<Value> {
        Some(match name {
            "seneste" => match self.seneste_row() {
                Some(t) => below.object(&TilsynObj(t.clone()))?,
                None => Value::Null,
            },
            "paabudForbud" => below.list(&self.in_force())?,
            _ => return None,
        })
    }
}

impl Direct for TilsynObj {
    fn field(&self, name: &str, _below: &Below<'_>) -> Option<Value> {
        let t = &self.0;
        Some(match name {
            "dato" => direct::scalar(&Date(t.dato)),
            "vurdering" => direct::text(&t.vurdering),
            "sammenfatning" => direct::text(&t.sammenfatning),
            "rapportUrl" => direct::nullable(t.rapport_url.as_deref(), direct::text),
            _ => return None,
        })
    }
}

impl Direct for PaabudForbud {
    fn field(&self, name: &str, _below: &Below<'_>) -> Option<Value> {
        let s = &self.0;
        Some(match name {
            "id" => direct::text(&s.id),
            "type" => direct::nullable(kind_of(s), direct::enumeration),
            "tekst" => direct::text(&s.tekst),
            "givet" => direct::scalar(&Date(s.givet)),
            "ophaevet" => direct::nullable(s.ophaevet, |d| direct::scalar(&Date(d))),
            _ => return None,
        })
    }
}

/// An enhed's whole tilsyn history (for the ældretilsyn of its area and administrators).
#[derive(SimpleObject, Clone)]
pub struct TilsynHistorik {
    /// Every tilsyn, latest first.
    pub tilsyn: Vec<TilsynObj>,
    /// Every påbud and forbud, latest given first, lifted ones included.
    pub paabud_forbud: Vec<PaabudForbud>,
}

/// A tilsyn to register.
#[derive(InputObject)]
pub struct TilsynInput {
    /// The day of the tilsyn (not in the future).
    pub dato: Date,
    /// The overall assessment (1-200 characters).
    pub vurdering: String,
    /// A summary of the written feedback (1-4000 characters).
    pub sammenfatning: String,
    /// The report's address (http or https).
    pub rapport_url: Option<String>,
}

/// A påbud or forbud to register.
#[derive(InputObject)]
pub struct PaabudForbudInput {
    /// PAABUD or FORBUD.
    #[graphql(name = "type")]
    pub kind: PaabudForbudType,
    /// What it says (1-2000 characters).
    pub tekst: String,
    /// The day it was given (not in the future).
    pub givet: Date,
    /// The day it was lifted, when it already was.
    pub ophaevet: Option<Date>,
}

#[derive(Default)]
pub struct TilsynQuery;

#[Object]
impl TilsynQuery {
    /// R32: an enhed's whole tilsyn history; for the ældretilsyn of its kommune and
    /// administrators.
    async fn tilsyn_historik(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The enhed's global id or enhedId.")] enhed_id: String,
    ) -> GqlResult<TilsynHistorik> {
        let (t, s) = service::history(cx(ctx), &super::node::enhed_key(&enhed_id)).await?;
        Ok(TilsynHistorik {
            tilsyn: t.into_iter().map(|t| TilsynObj(Arc::new(t))).collect(),
            paabud_forbud: s.into_iter().map(|s| PaabudForbud(Arc::new(s))).collect(),
        })
    }

    /// R32: the enheder lying in a kommune (by name), for the ældretilsyn that covers it and
    /// administrators.
    #[graphql(complexity = "first.unwrap_or(50).clamp(1, 100) as usize * child_complexity + 5")]
    async fn tilsyn_enheder(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Kommunekode or name.")] kommune: String,
        #[graphql(desc = "Page size, 1-100; default 50.")] first: Option<i32>,
        #[graphql(desc = "How many to skip (paging); default 0.")] offset: Option<i32>,
    ) -> GqlResult<Vec<super::types::Enhed>> {
        if kommune.chars().count() > 100 {
            return Err(
                crate::error::AppError::validation("kommune", "Kommunen findes ikke.").into(),
            );
        }
        let limit = first.unwrap_or(50).clamp(1, 100) as u64;
        let offset = offset.unwrap_or(0).clamp(0, 1_000_000) as u64;
        let rows = service::enheder(cx(ctx), &kommune, limit, offset).await?;
        Ok(rows
            .into_iter()
            .map(|e| super::types::Enhed::new(std::sync::Arc::new(e)))
            .collect())
    }

    /// R32: the kommuner (koder) an ældretilsyn covers; for administrators and itself.
    async fn tilsyn_omraade(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ældretilsyn's CVR number.")] cvr: String,
    ) -> GqlResult<Vec<String>> {
        Ok(service::area(cx(ctx), &cvr).await?)
    }
}

#[derive(Default)]
pub struct TilsynMutation;

#[Object]
impl TilsynMutation {
    /// R32: registers a tilsyn of an enhed in the ældretilsyn's area (administrators: any).
    /// The latest tilsyn is public at once.
    async fn register_tilsyn(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The enhed's global id or enhedId.")] enhed_id: String,
        #[graphql(desc = "The tilsyn.")] input: TilsynInput,
    ) -> GqlResult<TilsynObj> {
        let t = service::register(
            cx(ctx),
            &super::node::enhed_key(&enhed_id),
            NewTilsyn {
                dato: input.dato.0,
                vurdering: input.vurdering,
                sammenfatning: input.sammenfatning,
                rapport_url: input.rapport_url,
            },
        )
        .await?;
        Ok(TilsynObj(Arc::new(t)))
    }

    /// R32: registers a påbud or forbud (public while in force).
    async fn give_paabud_forbud(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The enhed's global id or enhedId.")] enhed_id: String,
        #[graphql(desc = "The påbud or forbud.")] input: PaabudForbudInput,
    ) -> GqlResult<PaabudForbud> {
        let s = service::give(
            cx(ctx),
            &super::node::enhed_key(&enhed_id),
            input.kind.into(),
            &input.tekst,
            input.givet.0,
            input.ophaevet.map(|d| d.0),
        )
        .await?;
        Ok(PaabudForbud(Arc::new(s)))
    }

    /// R32: the day a påbud or forbud was lifted (null takes the lifting back).
    async fn lift_paabud_forbud(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The påbud's or forbud's id.")] id: String,
        #[graphql(desc = "The day it was lifted.")] ophaevet: Option<Date>,
    ) -> GqlResult<PaabudForbud> {
        let s = service::lift(cx(ctx), &id, ophaevet.map(|d| d.0)).await?;
        Ok(PaabudForbud(Arc::new(s)))
    }

    /// R32: which kommuner an ældretilsyn (by CVR) covers. Administrators only.
    async fn set_tilsyn_omraade(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ældretilsyn's CVR number.")] cvr: String,
        #[graphql(desc = "Kommunekoder or names; the whole list.")] kommuner: Vec<String>,
    ) -> GqlResult<Vec<String>> {
        Ok(service::set_area(cx(ctx), &cvr, &kommuner).await?)
    }
}
