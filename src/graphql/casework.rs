//! A caseworker's overview (issue 20): "Kræver handling" with its counts, and version compare
//! (R15). Resolvers translate; `service::casework` and `service::serviceleverance` decide.
use super::admin_types::{FieldChange, Serviceleverance};
use super::mutation::cx;
use crate::domain::worklist::WorkKind;
use crate::error::GqlResult;
use crate::service::casework;
use async_graphql::{Context, Enum, Object, SimpleObject, ID};
use std::sync::Arc;

/// Why an agreement needs a caseworker.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorklistKind {
    /// Ends within 30 days.
    EndingSoon,
    /// Ended within the last 30 days.
    EndedRecently,
    /// Has warnings (R9) other than its end.
    Warnings,
    /// Waits for the provider's beskrivelse (R4).
    AwaitingBeskrivelse,
    /// Locked, or changed without a check-in, for more than a day (R13).
    NotCheckedIn,
}

impl From<WorkKind> for WorklistKind {
    fn from(k: WorkKind) -> Self {
        match k {
            WorkKind::EndingSoon => Self::EndingSoon,
            WorkKind::EndedRecently => Self::EndedRecently,
            WorkKind::Warnings => Self::Warnings,
            WorkKind::AwaitingBeskrivelse => Self::AwaitingBeskrivelse,
            WorkKind::NotCheckedIn => Self::NotCheckedIn,
        }
    }
}

/// An agreement on the worklist, and why, in a sentence.
#[derive(SimpleObject, Clone)]
pub struct WorklistItem {
    /// The agreement.
    pub serviceleverance: Serviceleverance,
    /// Why it is here, e.g. "Udløber 3. januar 2027 (om 28 dage).".
    pub reason: String,
}

/// One kind of work and the agreements that need it.
#[derive(SimpleObject, Clone)]
pub struct WorklistGroup {
    /// The kind.
    pub kind: WorklistKind,
    /// The heading in Danish.
    pub title: String,
    /// How many agreements need it (all of them, also beyond `items`).
    pub count: i32,
    /// The first of them.
    pub items: Vec<WorklistItem>,
}

/// "Kræver handling": what the caller's agreements ask of the caller.
#[derive(SimpleObject, Clone)]
pub struct Worklist {
    /// How many different agreements need something.
    pub total: i32,
    /// The groups the caller's roles are asked about, in a fixed order (also when empty).
    pub groups: Vec<WorklistGroup>,
    /// R33 for a driftsoverenskomstansvarlig's own kommune: the warning when its citizens have
    /// fewer than two providers of helhedspleje to choose between today (or only the kommune
    /// itself); null when they have a choice.
    pub frit_valg: Option<super::types::Issue>,
}

#[derive(Default)]
pub struct CaseworkQuery;

#[Object]
impl CaseworkQuery {
    /// "Kræver handling": for a driftsoverenskomstansvarlig (and an administrator), the
    /// agreements that end within 30 days, ended within the last 30, have warnings, wait for
    /// the provider's beskrivelse, or have been locked or changed without a check-in for more
    /// than a day; for a redaktør, those about its enheder that wait for its beskrivelse. The
    /// same counts as the console's start page.
    #[graphql(complexity = "5 * first.unwrap_or(20).clamp(1, 100) as usize * child_complexity + 5")]
    async fn worklist(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Agreements listed per group, 0-100; default 20 (counts are of all).")]
        first: Option<i32>,
    ) -> GqlResult<Worklist> {
        let n = super::mutation::list_size(first)? as usize;
        let groups = casework::worklist(cx(ctx)).await?;
        let frit_valg = casework::frit_valg(cx(ctx)).await?.map(Into::into);
        let mut ids: Vec<&str> = groups
            .iter()
            .flat_map(|g| g.items.iter().map(|i| i.row.id.as_str()))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let total = ids.len() as i32;
        Ok(Worklist {
            total,
            frit_valg,
            groups: groups
                .into_iter()
                .map(|g| WorklistGroup {
                    kind: g.kind.into(),
                    title: g.kind.title().to_string(),
                    count: g.items.len() as i32,
                    items: g
                        .items
                        .into_iter()
                        .take(n)
                        .map(|i| WorklistItem {
                            serviceleverance: Serviceleverance(Arc::new(i.row)),
                            reason: i.reason,
                        })
                        .collect(),
                })
                .collect(),
        })
    }

    /// R15: what differs between two versions of an agreement, or between a version and the
    /// current state (omit `to`), field by field in words. For anyone who may see it (R26).
    async fn compare_versions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Serviceleverancens id.")] id: ID,
        #[graphql(desc = "The older version's number.")] from: i32,
        #[graphql(desc = "The newer version's number; omitted or null: the current state.")]
        to: Option<i32>,
    ) -> GqlResult<Vec<FieldChange>> {
        let c = crate::service::serviceleverance::compare(cx(ctx), &id, from, to).await?;
        Ok(c.into_iter().map(FieldChange::from).collect())
    }

    /// R15 with R3/R4: what restoring version `nummer` would change for the caller (only the
    /// fields the caller may write are restored), so that *Gendan* can say it before it acts.
    /// For those who may restore.
    async fn restore_preview(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Serviceleverancens id.")] id: ID,
        #[graphql(desc = "The version to restore.")] nummer: i32,
    ) -> GqlResult<Vec<FieldChange>> {
        let c = crate::service::serviceleverance::restore_preview(cx(ctx), &id, nummer).await?;
        Ok(c.into_iter().map(FieldChange::from).collect())
    }
}
