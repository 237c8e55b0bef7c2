//! R30 in the API: the `changes` connection for clients that poll, and the `changes`
//! subscription (graphql-transport-ws and graphql-sse) for those that listen. Both read the
//! durable log through the read model's feed; this file only translates.
use super::connection::PageInfo;
use super::enums::EnhedKind;
use super::scalars::{Date, DateTime as Timestamp};
use super::state;
use super::types::{Enhed, Kommune, OffentligServiceleverance};
use crate::domain::day::copenhagen_day;
use crate::domain::feed as rules;
use crate::error::{AppError, GqlResult};
use crate::readmodel::feed::StreamEnd;
use crate::store::change_log::{self, Entry, Filter};
use async_graphql::futures_util::{Stream, StreamExt};
use async_graphql::{Context, Enum, Object, SimpleObject, Subscription, ID};
use std::sync::Arc;

/// What happened to a public offer.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// It became public: a new agreement, its first day, an error fixed, an enhed linked.
    Added,
    /// It stays public and its public data (the agreement's or its enhed's) changed.
    Updated,
    /// It left the public view: deleted, its last day passed, an error, unlinked.
    Removed,
}

impl From<ChangeKind> for rules::ChangeKind {
    fn from(k: ChangeKind) -> Self {
        match k {
            ChangeKind::Added => rules::ChangeKind::Added,
            ChangeKind::Updated => rules::ChangeKind::Updated,
            ChangeKind::Removed => rules::ChangeKind::Removed,
        }
    }
}

pub struct ChangeEvent(pub Arc<Entry>);

/// One change of what the public search shows (R30), in the order of the log.
#[Object]
impl ChangeEvent {
    /// Opaque cursor of this event: pass it as `after` to continue after it (it stays valid
    /// across restarts, for `--change-log-retention-days`).
    async fn cursor(&self) -> String {
        self.0.seq.to_string()
    }
    /// What happened.
    async fn kind(&self) -> ChangeKind {
        match rules::ChangeKind::parse(&self.0.kind) {
            Some(rules::ChangeKind::Added) => ChangeKind::Added,
            Some(rules::ChangeKind::Removed) => ChangeKind::Removed,
            _ => ChangeKind::Updated,
        }
    }
    /// The day from which it holds (Europe/Copenhagen).
    async fn effective_day(&self) -> Date {
        Date(self.0.effective_day)
    }
    /// When it was recorded.
    async fn recorded_at(&self) -> Timestamp {
        Timestamp(self.0.recorded_at)
    }
    /// The kode of the kommune whose offer it is (the agreement's aftalepart).
    async fn kommune_kode(&self) -> &str {
        &self.0.kommune_kode
    }
    /// The kommune whose offer it is.
    async fn kommune(&self, ctx: &Context<'_>) -> Option<Kommune> {
        let snap = state(ctx).read_model.snapshot();
        snap.kommuner
            .get(&self.0.kommune_kode)
            .cloned()
            .map(Kommune)
    }
    /// The agreement's id (all a REMOVED event says of it).
    async fn serviceleverance_id(&self) -> ID {
        ID(self.0.serviceleverance_id.clone())
    }
    /// The enhed's own id (`Query.enhed`).
    async fn enhed_id(&self) -> Option<&str> {
        self.0.enhed_id.as_deref()
    }
    /// The enhed with its public data as it is now; null for REMOVED and when the offer is no
    /// longer public.
    async fn enhed(&self, ctx: &Context<'_>) -> Option<Enhed> {
        self.offer(ctx).map(|o| Enhed::new(o.enhed))
    }
    /// The agreement's public data as it is now; null for REMOVED and when the offer is no
    /// longer public.
    async fn serviceleverance(&self, ctx: &Context<'_>) -> Option<OffentligServiceleverance> {
        let st = state(ctx);
        self.offer(ctx).map(|o| OffentligServiceleverance {
            sl_type: o
                .sl
                .r#type
                .as_deref()
                .and_then(crate::domain::serviceleverance::SlType::parse)
                .map(Into::into),
            beskrivelse: o.beskrivelse,
            startdato: o.sl.startdato.map(Date),
            slutdato: o.sl.slutdato.map(Date),
            aftalepart_kode: o.sl.aftalepart_kode.clone(),
            aftalepart: st
                .read_model
                .snapshot()
                .kommuner
                .get(&o.sl.aftalepart_kode)
                .cloned(),
        })
    }
}

impl ChangeEvent {
    fn offer(&self, ctx: &Context<'_>) -> Option<crate::readmodel::PublicOffer> {
        if self.0.kind == rules::ChangeKind::Removed.as_str() {
            return None;
        }
        let st = state(ctx);
        let today = copenhagen_day(st.clock.now());
        st.read_model
            .snapshot()
            .public_offer(&self.0.serviceleverance_id, today)
    }
}

/// An event with its cursor.
#[derive(SimpleObject)]
pub struct ChangeEventEdge {
    /// Opaque cursor of this event.
    pub cursor: String,
    /// The event.
    pub node: ChangeEvent,
}

/// A page of the change log, oldest first.
#[derive(SimpleObject)]
pub struct ChangeEventConnection {
    /// The events of this page.
    pub edges: Vec<ChangeEventEdge>,
    /// `endCursor` is the `after` of the next page; keep it even when the page is empty.
    pub page_info: PageInfo,
}

/// The most events one page gives.
const MAX_FIRST: i32 = 1000;

/// `after` as a sequence number (0: from the start of the log).
fn parse_after(after: Option<&str>) -> Result<i64, AppError> {
    match after {
        None => Ok(0),
        Some(a) => a.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            AppError::validation(
                "after",
                "after skal være en markør (cursor) fra et tidligere svar fra changes.",
            )
        }),
    }
}

/// The reader's filter, with the kommune resolved by kode or name.
fn filter(
    ctx: &Context<'_>,
    kommune: Option<String>,
    kinds: Option<Vec<ChangeKind>>,
    enhed_kind: Option<EnhedKind>,
) -> Result<Filter, AppError> {
    let kommune = match kommune {
        None => None,
        Some(k) => Some(
            state(ctx)
                .kommuner
                .resolve(&k)
                .map(str::to_string)
                .ok_or_else(|| {
                    AppError::validation(
                        "kommune",
                        "kommune skal være en kommunekode (fx \"0101\") eller et kommunenavn.",
                    )
                })?,
        ),
    };
    Ok(Filter {
        kommune,
        kinds: kinds
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect(),
        enhed_kind: enhed_kind.map(|k| {
            crate::domain::serviceleverance::EnhedKind::from(k)
                .as_str()
                .to_string()
        }),
    })
}

fn expired(days: u32) -> AppError {
    AppError::CursorExpired(format!(
        "Markøren er ældre end ændringsloggen gemmer ({days} dage). Hent hele datasættet igen fra /data/tilbud.json, og følg derefter ændringerne fra en ny markør."
    ))
}

#[derive(Default)]
pub struct FeedQuery;

#[Object]
impl FeedQuery {
    /// R30: the changes of what the public search shows, oldest first, from the durable log.
    /// Store the last `cursor` (or `pageInfo.endCursor`) and ask again with it as `after`: you
    /// miss nothing and see nothing twice, across restarts. Offers that start or end at
    /// Copenhagen midnight appear as events of that day.
    #[graphql(complexity = "first.unwrap_or(100).max(0) as usize * child_complexity")]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Continue after this cursor; without it, from the oldest event kept.")]
        after: Option<String>,
        #[graphql(desc = "Only this kommune's offers (kode or name).")] kommune: Option<String>,
        #[graphql(desc = "Only these kinds of change.")] kinds: Option<Vec<ChangeKind>>,
        #[graphql(desc = "Only offers of this kind of enhed.")] enhed_kind: Option<EnhedKind>,
        #[graphql(desc = "At most this many events (1-1000); default 100.")] first: Option<i32>,
    ) -> GqlResult<ChangeEventConnection> {
        let st = state(ctx);
        // Null (also an unprovided variable) is the default.
        let first = first.unwrap_or(100);
        if !(1..=MAX_FIRST).contains(&first) {
            return Err(AppError::validation(
                "first",
                format!("first skal være et helt tal mellem 1 og {MAX_FIRST}."),
            )
            .into());
        }
        let after_seq = parse_after(after.as_deref())?;
        let f = filter(ctx, kommune, kinds, enhed_kind)?;
        let horizon = change_log::horizon(&st.db).await.map_err(AppError::from)?;
        if after.is_some() && after_seq < horizon {
            return Err(expired(st.config.change_log_retention_days).into());
        }
        let mut rows = change_log::after(&st.db, after_seq, None, &f, first as u64 + 1)
            .await
            .map_err(AppError::from)?;
        let more = rows.len() > first as usize;
        rows.truncate(first as usize);
        let edges: Vec<ChangeEventEdge> = rows
            .into_iter()
            .map(|r| ChangeEventEdge {
                cursor: r.seq.to_string(),
                node: ChangeEvent(Arc::new(r)),
            })
            .collect();
        let end = edges
            .last()
            .map(|e| e.cursor.clone())
            .or_else(|| after.clone());
        let page_info = PageInfo {
            has_previous_page: after_seq > 0,
            has_next_page: more,
            start_cursor: edges.first().map(|e| e.cursor.clone()),
            end_cursor: end,
        };
        Ok(ChangeEventConnection { edges, page_info })
    }
}

pub struct Subscription;

/// Live updates; see the README's section on the change feed.
#[Subscription]
impl Subscription {
    /// R30: the changes of what the public search shows, live, over graphql-transport-ws
    /// (`/graphql/ws`) or graphql-sse (`/graphql/stream`). With `after`, first what was missed
    /// since that cursor, then the live events, in order and each once.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Continue after this cursor; without it, from now.")] after: Option<
            String,
        >,
        #[graphql(desc = "Only this kommune's offers (kode or name).")] kommune: Option<String>,
        #[graphql(desc = "Only these kinds of change.")] kinds: Option<Vec<ChangeKind>>,
        #[graphql(desc = "Only offers of this kind of enhed.")] enhed_kind: Option<EnhedKind>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<ChangeEvent>>> {
        let st = state(ctx);
        let feed = st.read_model.feed.clone();
        let from = match after.as_deref() {
            Some(_) => parse_after(after.as_deref())?,
            None => feed.head(),
        };
        let f = filter(ctx, kommune, kinds, enhed_kind)?;
        let days = st.config.change_log_retention_days;
        Ok(feed.events(st.db.clone(), from, f).map(move |r| match r {
            Ok(e) => Ok(ChangeEvent(e)),
            Err(StreamEnd::Expired) => Err(expired(days).into()),
            Err(StreamEnd::TooSlow) => Err(AppError::too_slow().into()),
            Err(StreamEnd::Db(e)) => Err(AppError::from(e).into()),
        }))
    }
}
