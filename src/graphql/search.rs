//! The public search (R20-R24): anonymous, public data only (R25).
use super::connection::{PageInfo, SearchConnection, SearchHit};
use super::direct::DirectList;
use super::scalars::Date;
use super::state;
use super::types::{Enhed, OffentligServiceleverance};
use crate::domain::day::copenhagen_day;
use crate::domain::geo::{BBox, LatLon};
use crate::domain::search::{self, Invalid, Query as GeoQuery};
use crate::domain::serviceleverance::EnhedKind;
use crate::error::{AppError, GqlResult};
use crate::readmodel::{Facet, Filters};
use async_graphql::{Context, InputObject, Object, SimpleObject};

/// How many enheder a filter value would give, with every other filter applied.
#[derive(SimpleObject, Clone, Default)]
#[graphql(serial)]
pub struct FacetCount {
    /// The value: an EnhedKind, Boligtype or ServiceleveranceType name.
    pub value: String,
    /// The number of enheder (one hit per enhed, R22).
    pub count: i64,
}

/// Counts to compare on, beside `totalCount`: each value's count is exactly the `totalCount` a
/// search with that value as its filter would give (the other filters as given).
#[derive(SimpleObject, Clone, Default)]
#[graphql(serial)]
pub struct SearchFacets {
    /// Per kind (PLEJEENHED, HELHEDSPLEJEENHED).
    pub kind: Vec<FacetCount>,
    /// Per boligtype of plejeenheder.
    pub boligtype: Vec<FacetCount>,
    /// Per agreement type: an enhed with agreements of two types counts under both.
    #[graphql(name = "type")]
    pub sl_type: Vec<FacetCount>,
    /// R31/R32: of the hits, how many are DEMENSVENLIG, have PARBOLIGER, DYR, or are
    /// UDEN_PAABUD_FORBUD: each the totalCount that adding that filter would give.
    pub egenskab: Vec<FacetCount>,
    /// R31: per threshold (kr. a month, as text), the hits whose lowest husleje is at most it:
    /// the totalCount of `maxHusleje` set to that threshold.
    pub husleje: Vec<FacetCount>,
}

/// A WGS84 point given by the caller.
#[derive(InputObject, Clone, Copy)]
pub struct PunktInput {
    /// Breddegrad (latitude), -90..90.
    pub lat: f64,
    /// Længdegrad (longitude), -180..180.
    pub lon: f64,
}

/// A bounding box (inclusive on all sides).
#[derive(InputObject, Clone, Copy)]
#[graphql(name = "BBoxInput")]
pub struct BBoxInput {
    /// Southern edge (latitude).
    pub min_lat: f64,
    /// Western edge (longitude).
    pub min_lon: f64,
    /// Northern edge (latitude).
    pub max_lat: f64,
    /// Eastern edge (longitude).
    pub max_lon: f64,
}

/// What a search asks for: plejeboliger, helhedspleje or both.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum SearchKind {
    /// Plejeenheder (plejeboliger).
    Plejeenhed,
    /// Helhedsplejeenheder.
    Helhedsplejeenhed,
    /// Both kinds.
    Alle,
}

/// What a hit carries besides the enhed.
pub struct HitFields {
    pub distance_km: Option<f64>,
    pub serviceleverance: OffentligServiceleverance,
}

fn invalid(i: Invalid) -> async_graphql::Error {
    AppError::validation(i.field, i.message).into()
}

#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Which enheder a kommune offers (R20-R24): every enhed with a serviceleverance with the
    /// kommune that is active on the day, not deleted and free of errors. Sorted by name
    /// (Danish collation), or nearest first with `near`. Needs no login.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity + 5")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Kommunekode (\"0751\") or name (\"Aarhus\", also without æ/ø/å).")]
        kommune: String,
        #[graphql(desc = "What to look for; default ALLE (both).")] kind: Option<SearchKind>,
        #[graphql(desc = "The day; default today in Europe/Copenhagen.")] date: Option<Date>,
        #[graphql(desc = "Sort nearest first from this point and give distances.")] near: Option<
            PunktInput,
        >,
        #[graphql(desc = "Only hits within this many km of `near` (0 < r <= 1000).")]
        radius_km: Option<f64>,
        #[graphql(desc = "Only hits inside this box.")] bbox: Option<BBoxInput>,
        #[graphql(
            desc = "Only enheder whose name contains this text (case, æ/ae, ø/oe, å/aa insensitive)."
        )]
        text: Option<String>,
        #[graphql(desc = "Page size, 0-100; default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last hit of the previous page.")] after: Option<String>,
        #[graphql(
            desc = "Only plejeenheder with one of these boligtyper (helhedspleje has none)."
        )]
        boligtype: Option<Vec<super::enums::Boligtype>>,
        #[graphql(name = "type", desc = "Only offers by agreements of these types.")]
        sl_types: Option<Vec<super::enums::SlType>>,
        #[graphql(desc = "Only plejeenheder with at least this many boliger (0-100000).")]
        min_antal_boliger: Option<i32>,
        #[graphql(desc = "R31: only plejeenheder that are demensvenlige or have a demensafsnit.")]
        demensvenlig: Option<bool>,
        #[graphql(desc = "R31: only plejeenheder with boliger for couples.")] parboliger: Option<
            bool,
        >,
        #[graphql(desc = "R31: only plejeenheder with animals (own or shared).")] dyr: Option<bool>,
        #[graphql(desc = "R32: only enheder without a påbud or forbud in force on the day.")]
        uden_paabud_forbud: Option<bool>,
        #[graphql(
            desc = "R31: only plejeenheder whose lowest husleje is at most this (kr. a month, 0-100000)."
        )]
        max_husleje: Option<i32>,
    ) -> GqlResult<SearchConnection> {
        let st = state(ctx);
        if kommune.len() > 100 {
            return Err(AppError::validation("kommune", "Kommunen findes ikke.").into());
        }
        let kode = st
            .kommuner
            .resolve(&kommune)
            .ok_or_else(|| AppError::validation("kommune", st.kommuner.unknown(&kommune)))?
            .to_string();
        let day = date.map_or_else(|| copenhagen_day(st.clock.now()), |d| d.0);
        let near = match near {
            Some(p) => Some(LatLon::new(p.lat, p.lon).ok_or_else(|| {
                AppError::validation(
                    "near",
                    "near skal være et gyldigt punkt (lat -90..90, lon -180..180).",
                )
            })?),
            None => None,
        };
        let text = text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        if text
            .as_ref()
            .is_some_and(|t| t.chars().count() > 200 || t.contains('\0'))
        {
            return Err(AppError::validation(
                "text",
                "text må højst være 200 tegn uden kontroltegn.",
            )
            .into());
        }
        let q = GeoQuery {
            near,
            radius_km,
            bbox: bbox.map(|b| BBox {
                min_lat: b.min_lat,
                min_lon: b.min_lon,
                max_lat: b.max_lat,
                max_lon: b.max_lon,
            }),
        };
        q.validate().map_err(invalid)?;
        let size = search::page_size(first).map_err(invalid)?;
        if after.as_ref().is_some_and(|a| a.len() > 1000) {
            return Err(invalid(Invalid {
                field: "after",
                message: "Ugyldig cursor.".into(),
            }));
        }
        let kinds = match kind.unwrap_or(SearchKind::Alle) {
            SearchKind::Plejeenhed => vec![EnhedKind::Plejeenhed],
            SearchKind::Helhedsplejeenhed => vec![EnhedKind::Helhedsplejeenhed],
            SearchKind::Alle => Vec::new(),
        };
        if min_antal_boliger.is_some_and(|n| !(0..=100_000).contains(&n)) {
            return Err(invalid(Invalid {
                field: "minAntalBoliger",
                message: "minAntalBoliger skal være mellem 0 og 100000.".into(),
            }));
        }
        if max_husleje.is_some_and(|n| !(0..=crate::domain::profil::HUSLEJE_MAX).contains(&n)) {
            return Err(invalid(Invalid {
                field: "maxHusleje",
                message: "maxHusleje skal være et beløb i kroner mellem 0 og 100000.".into(),
            }));
        }
        let filters = Filters {
            demens: demensvenlig.unwrap_or(false),
            parboliger: parboliger.unwrap_or(false),
            dyr: dyr.unwrap_or(false),
            uden_sanktion: uden_paabud_forbud.unwrap_or(false),
            max_husleje,
            kinds,
            boligtyper: boligtype
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            types: sl_types
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            min_boliger: min_antal_boliger,
        };
        // Everything below reads the in-memory snapshot: no SQL (issue 10).
        let snap = st.read_model.snapshot();
        let area = q.prefilter_box();
        let (snapshot, text) = (&*snap, text.as_deref());
        let look = ctx.look_ahead();
        let facets = if look.field("facets").exists() {
            let count = |facet: Facet| -> Vec<FacetCount> {
                snapshot
                    .facet_counts(&kode, &filters, facet, day, area, text, &q)
                    .into_iter()
                    .map(|(value, count)| FacetCount {
                        value: value.to_string(),
                        count: count as i64,
                    })
                    .collect()
            };
            let counts = |v: Vec<(String, usize)>| -> Vec<FacetCount> {
                v.into_iter()
                    .map(|(value, count)| FacetCount {
                        value,
                        count: count as i64,
                    })
                    .collect()
            };
            let facets = look.field("facets");
            Some(SearchFacets {
                kind: count(Facet::Kind),
                boligtype: count(Facet::Boligtype),
                sl_type: count(Facet::Type),
                egenskab: if facets.field("egenskab").exists() {
                    counts(
                        snapshot
                            .egenskab_counts(&kode, &filters, day, area, text, &q)
                            .into_iter()
                            .map(|(v, n)| (v.to_string(), n))
                            .collect(),
                    )
                } else {
                    Vec::new()
                },
                husleje: if facets.field("husleje").exists() {
                    counts(
                        snapshot
                            .husleje_counts(&kode, &filters, day, area, text, &q)
                            .into_iter()
                            .map(|(v, n)| (v.to_string(), n))
                            .collect(),
                    )
                } else {
                    Vec::new()
                },
            })
        } else {
            None
        };
        let search::Found { page, total } = snapshot
            .find(&kode, &filters, day, text, &q, size, after.as_deref())
            .map_err(invalid)?;
        let wants_hits = look.field("edges").exists() || look.field("nodes").exists();
        // The kommuner the hits name (their own, and the searched one as aftalepart), from the
        // snapshot: nested `kommune` and `aftalepart` need no loader.
        let aftalepart = snap.kommuner.get(&kode).cloned();
        let kommune_of = |e: &crate::store::enhed::Enhed| match e.kommune_kode.as_ref() {
            Some(k) if *k == kode => aftalepart.clone(),
            Some(k) => snap.kommuner.get(k).cloned(),
            None => None,
        };
        // A cursor per hit only when asked for; `pageInfo` needs the first and the last.
        let edge_cursors = look.field("edges").field("cursor").exists();
        let mut edges = Vec::with_capacity(page.hits.len());
        for h in page.hits.iter().filter(|_| wants_hits) {
            // What the hit shows of its agreement is in its key (the agreement itself is read
            // only for a beskrivelse to show); the searched kommune is its aftalepart, as the
            // read model files a kommune's offers by aftalepart.
            let (item, e) = (h.candidate.item, h.candidate.item.offer.enhed.clone());
            let kommune = kommune_of(&e);
            let public = OffentligServiceleverance {
                sl_type: item.key.sl_type.map(Into::into),
                beskrivelse: item.public_beskrivelse().map(str::to_string),
                startdato: item.key.startdato.map(Date),
                slutdato: item.key.slutdato.map(Date),
                aftalepart_kode: kode.clone(),
                aftalepart: aftalepart.clone(),
            };
            edges.push(SearchHit::new(
                if edge_cursors {
                    h.cursor()
                } else {
                    String::new()
                },
                Enhed(
                    e,
                    kommune,
                    Some(super::types::HitDay {
                        day,
                        tilsyn: item.offer.tilsyn.clone(),
                        snapshot: snap.serial,
                    }),
                ),
                HitFields {
                    distance_km: h.distance_km().map(|d| (d * 1000.0).round() / 1000.0),
                    serviceleverance: public,
                },
            ));
        }
        let ends: Vec<String> = match (page.hits.first(), page.hits.last()) {
            (Some(a), Some(b)) => vec![a.cursor(), b.cursor()],
            _ => Vec::new(),
        };
        let ends: Vec<&str> = ends.iter().map(String::as_str).collect();
        let page_info = PageInfo::new(page.has_previous, page.has_next, &ends);
        Ok(SearchConnection {
            nodes: DirectList(edges.iter().map(|e| e.node.clone()).collect()),
            edges: DirectList(edges),
            page_info,
            total_count: total as i64,
            facets: facets.unwrap_or_default(),
            kommune_kode: kode,
            dato: Date(day),
        })
    }
}
