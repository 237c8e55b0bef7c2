//! Relay connections (cursor pagination, R24), written out so that every type is documented.
use super::admin_types::{AuditEntry, Serviceleverance};
use super::direct::{self, Below, Direct, DirectList};
use super::scalars::Date;
use super::search::HitFields;
use super::types::{Enhed, OffentligServiceleverance};
use async_graphql::{SimpleObject, Value};

/// Information about pagination in a connection.
#[derive(SimpleObject, Clone, Default)]
#[graphql(serial)]
pub struct PageInfo {
    /// When paginating backwards, are there more items?
    pub has_previous_page: bool,
    /// When paginating forwards, are there more items?
    pub has_next_page: bool,
    /// Cursor of the first item of this page.
    pub start_cursor: Option<String>,
    /// Cursor of the last item of this page: pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

impl PageInfo {
    pub fn new(has_previous_page: bool, has_next_page: bool, cursors: &[&str]) -> Self {
        PageInfo {
            has_previous_page,
            has_next_page,
            start_cursor: cursors.first().map(|c| c.to_string()),
            end_cursor: cursors.last().map(|c| c.to_string()),
        }
    }
}

/// An offset page of an admin list: the items with their cursors, and the page info.
pub fn offset_page<N>(
    rows: Vec<N>,
    offset: u64,
    total: u64,
    cursor: fn(u64) -> String,
) -> (Vec<(String, N)>, PageInfo) {
    let n = rows.len() as u64;
    let items: Vec<(String, N)> = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| (cursor(offset + i as u64), r))
        .collect();
    let cursors: Vec<&str> = items.iter().map(|(c, _)| c.as_str()).collect();
    let info = PageInfo::new(offset > 0, offset + n < total, &cursors);
    (items, info)
}

/// One hit of the public search: an enhed offered by the kommune.
#[derive(SimpleObject, Clone)]
#[graphql(serial)]
pub struct SearchHit {
    /// Opaque cursor of this hit.
    pub cursor: String,
    /// The enhed with its public data.
    pub node: Enhed,
    /// Distance in km from `near`, when given.
    pub distance_km: Option<f64>,
    /// The agreement's public data for this kommune (R22).
    pub serviceleverance: OffentligServiceleverance,
}

impl Direct for SearchHit {
    fn field(&self, name: &str, below: &Below<'_>) -> Option<Value> {
        Some(match name {
            "cursor" => direct::text(&self.cursor),
            "node" => below.object(&self.node)?,
            "distanceKm" => direct::nullable(self.distance_km, |d| direct::scalar(&d)),
            "serviceleverance" => below.object(&self.serviceleverance)?,
            _ => return None,
        })
    }
}

impl SearchHit {
    pub fn new(cursor: String, node: Enhed, f: HitFields) -> Self {
        SearchHit {
            cursor,
            node,
            distance_km: f.distance_km,
            serviceleverance: f.serviceleverance,
        }
    }
}

/// A page of the public search's hits (R24), with the total over all pages.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct SearchConnection {
    /// The hits of this page.
    pub edges: DirectList<SearchHit>,
    /// The enheder of this page.
    pub nodes: DirectList<Enhed>,
    /// Pagination.
    pub page_info: PageInfo,
    /// The number of hits in all pages.
    pub total_count: i64,
    /// Counts per kind, boligtype and agreement type (each with the other filters applied).
    pub facets: super::search::SearchFacets,
    /// The kommune searched (its kode).
    pub kommune_kode: String,
    /// The day searched (R6).
    pub dato: Date,
}

/// A serviceleverance in a list.
#[derive(SimpleObject, Clone)]
#[graphql(serial)]
pub struct ServiceleveranceEdge {
    /// Opaque cursor.
    pub cursor: String,
    /// The serviceleverance.
    pub node: Serviceleverance,
}

/// A page of serviceleverancer.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct ServiceleveranceConnection {
    /// The items of this page.
    pub edges: Vec<ServiceleveranceEdge>,
    /// The serviceleverancer of this page.
    pub nodes: Vec<Serviceleverance>,
    /// Pagination.
    pub page_info: PageInfo,
    /// The number of items in all pages.
    pub total_count: i64,
    /// How many items of all pages each aftalepart has, by the kommune's name (Danish order):
    /// the groups of a tree, whole before their items are paged in.
    pub aftaleparter: Vec<AftalepartCount>,
}

/// One aftalepart's share of a list.
#[derive(SimpleObject, Clone)]
pub struct AftalepartCount {
    /// The kommune.
    pub kommune: super::types::Kommune,
    /// Its number of items in the list (all pages).
    pub count: i64,
}

/// An entry of the audit log in a list.
#[derive(SimpleObject, Clone)]
#[graphql(serial)]
pub struct AuditEntryEdge {
    /// Opaque cursor.
    pub cursor: String,
    /// The entry.
    pub node: AuditEntry,
}

/// A page of the audit log.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct AuditEntryConnection {
    /// The entries of this page.
    pub edges: Vec<AuditEntryEdge>,
    /// The entries of this page.
    pub nodes: Vec<AuditEntry>,
    /// Pagination.
    pub page_info: PageInfo,
    /// The number of entries in all pages.
    pub total_count: i64,
}
