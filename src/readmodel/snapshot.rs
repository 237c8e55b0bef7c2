//! The snapshot: what the public side can show, with the indexes the queries read, and how it
//! is built from the database.
use crate::domain::day;
use crate::domain::geo::{Grid, LatLon, Unit};
use crate::domain::search::Source;
use crate::domain::serviceleverance::{beskrivelse_applies_to_kind, Boligtype, EnhedKind, SlType};
use crate::domain::text::collation_key;
use crate::store::enhed::Enhed;
use crate::store::kommune::Kommune;
use crate::store::serviceleverance::Serviceleverance;
use crate::store::{self};
use chrono::NaiveDate;
use sea_orm::{DatabaseConnection, DbErr};
use std::collections::HashMap;
use std::sync::Arc;

/// One public offer: an agreement that can be public (not deleted, no ERROR, R10) with its enhed.
/// What the filters and ranking read of it first is in its [`Key`].
#[derive(Clone, Debug)]
pub struct Offer {
    pub sl: Arc<Serviceleverance>,
    pub enhed: Arc<Enhed>,
    /// Danish collation key of the enhed's name (R24).
    pub sort: String,
    pub navn_soeg: String,
    pub pos: Option<LatLon>,
    /// R32: the enhed's tilsyn and påbud/forbud, when it has any.
    pub tilsyn: Option<Arc<TilsynInfo>>,
}

/// R32 in the read model: an enhed's latest tilsyn and all its påbud/forbud (which are in force
/// depends on the day asked about).
#[derive(Clone, Debug, Default)]
pub struct TilsynInfo {
    pub seneste: Option<Arc<crate::store::tilsyn::Tilsyn>>,
    pub sanktioner: Vec<Arc<crate::store::tilsyn::Sanktion>>,
}

impl TilsynInfo {
    /// The påbud and forbud in force on the day (R32), latest given first.
    pub fn in_force(
        &self,
        day: NaiveDate,
    ) -> impl Iterator<Item = &Arc<crate::store::tilsyn::Sanktion>> + '_ {
        self.sanktioner
            .iter()
            .filter(move |s| crate::domain::tilsyn::in_force(s.givet, s.ophaevet, day))
    }

    pub fn sanktioned_on(&self, day: NaiveDate) -> bool {
        self.in_force(day).next().is_some()
    }
}

/// What a Key's `traits` say of the enhed (R31, R32): the filters read these bits and only
/// follow the offer to its enhed for a husleje or a day's påbud/forbud.
pub mod traits {
    pub const DEMENS: u8 = 1;
    pub const PAR: u8 = 2;
    pub const DYR: u8 = 4;
    /// A husleje is stated (the max-husleje filter reads it from the enhed).
    pub const HUSLEJE: u8 = 8;
    /// It has påbud/forbud on record (whether in force is the day's question).
    pub const SANKTION: u8 = 16;
}

/// Copies of what a search's pass over a kommune's offers reads of each (its dates, the filter
/// fields and its place in name order), kept in a small array beside the offers: counting a
/// large kommune's hits streams it instead of every offer (figures: `benches/README.md`).
#[derive(Clone, Copy, Debug)]
pub struct Key {
    /// The enhed's place in its list's name order (the same for the offers of one enhed).
    pub seq: u32,
    pub startdato: Option<NaiveDate>,
    pub slutdato: Option<NaiveDate>,
    pub kind: Option<EnhedKind>,
    pub boligtype: Option<Boligtype>,
    pub sl_type: Option<SlType>,
    pub antal_boliger: Option<i32>,
    /// `traits` bits of the enhed's profile and tilsyn (it fits the key's padding).
    pub traits: u8,
}

const _: () = assert!(std::mem::size_of::<Key>() == 24 && std::mem::size_of::<Offer>() == 96);

/// A kommune's offers in Danish name order (R24: collation key, then enhed id), with their keys
/// and their day counts.
#[derive(Clone, Debug, Default)]
pub struct Offers {
    pub(super) list: Vec<Offer>,
    pub(super) keys: Vec<Key>,
    /// Each offer's place as a unit vector (what ranking by distance reads), beside the keys.
    pub(super) units: Vec<Option<Unit>>,
    pub(super) days: Vec<DayCounts>,
    /// The offers with a place, in cells, for a search nearest first; and their keys and
    /// places in the grid's order, so that a cell's are read together (the offers' own are
    /// scattered over the kommune's list).
    pub(super) grid: Grid,
    pub(super) grid_keys: Vec<Key>,
    pub(super) grid_units: Vec<Option<Unit>>,
}

/// About this many offers a cell of a kommune's grid: a nearest-first page reads the cells
/// around its point, each cell costs a bound and a place in the order of cells.
const PER_CELL: usize = 16;

/// How many of the kommune's enheder of one class (kind, boligtype and whether it has a place:
/// what the kind and boligtype filters and a search nearest first read, the same for all of an
/// enhed's offers) have an offer active on a
/// day (R6, one hit per enhed as R22 counts them), for any day, without a pass over the offers.
///
/// Each enhed's active days are the union of its offers' periods, merged into disjoint periods;
/// on a day an enhed is in at most one of them, so the enheder active on day `d` are the periods
/// begun by `d` less those ended before it: two binary searches in the sorted starts and ends.
/// `totalCount` of a search by name thereby costs the same in a kommune of 30,000 offers as in
/// one of 30 (issue 10), and the page by name stops at its last hit ([`search::find`]).
///
/// [`search::find`]: crate::domain::search::find
#[derive(Clone, Debug)]
pub(super) struct DayCounts {
    pub(super) kind: Option<EnhedKind>,
    pub(super) boligtype: Option<Boligtype>,
    pub(super) placed: bool,
    pub(super) starts: Vec<NaiveDate>,
    /// The last days of the periods that end (an open period has none).
    pub(super) ends: Vec<NaiveDate>,
}

impl DayCounts {
    pub(super) fn on(&self, day: NaiveDate) -> usize {
        let begun = self.starts.partition_point(|s| *s <= day);
        let ended = self.ends.partition_point(|e| *e < day);
        begun - ended
    }

    /// The day counts of offers in name order (an enhed's offers are neighbours).
    pub(super) fn of(keys: &[Key], units: &[Option<Unit>]) -> Vec<DayCounts> {
        let mut classes: Vec<DayCounts> = Vec::new();
        let mut periods: Vec<(NaiveDate, Option<NaiveDate>)> = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            // The periods in which the offer is active (`day::is_active`): none without a
            // start, or with an end before its start.
            if let Some(start) = k.startdato {
                if k.slutdato.is_none_or(|end| end >= start) {
                    periods.push((start, k.slutdato));
                }
            }
            if keys.get(i + 1).is_some_and(|n| n.seq == k.seq) {
                continue;
            }
            // The last offer of an enhed: merge its periods into the class's counts.
            let placed = units.get(i).is_some_and(Option::is_some);
            let class = match classes
                .iter()
                .position(|c| c.kind == k.kind && c.boligtype == k.boligtype && c.placed == placed)
            {
                Some(c) => c,
                None => {
                    classes.push(DayCounts {
                        kind: k.kind,
                        boligtype: k.boligtype,
                        placed,
                        starts: Vec::new(),
                        ends: Vec::new(),
                    });
                    classes.len() - 1
                }
            };
            let c = &mut classes[class];
            periods.sort_unstable();
            let mut open: Option<(NaiveDate, Option<NaiveDate>)> = None;
            for &(start, end) in &periods {
                open = match open {
                    // Overlapping periods (an open one overlaps all that start later) merge.
                    Some((s, e)) if e.is_none_or(|e| start <= e) => {
                        Some((s, e.zip(end).map(|(a, b)| a.max(b))))
                    }
                    Some((s, e)) => {
                        c.starts.push(s);
                        c.ends.extend(e);
                        Some((start, end))
                    }
                    None => Some((start, end)),
                };
            }
            if let Some((s, e)) = open {
                c.starts.push(s);
                c.ends.extend(e);
            }
            periods.clear();
        }
        for c in &mut classes {
            c.starts.sort_unstable();
            c.ends.sort_unstable();
        }
        classes
    }
}

impl Offers {
    /// Sorts the offers and numbers their enheder in name order.
    pub(super) fn new(mut list: Vec<Offer>) -> Offers {
        list.sort_by(|a, b| {
            a.sort
                .cmp(&b.sort)
                .then_with(|| a.enhed.id.cmp(&b.enhed.id))
        });
        let mut seq = 0u32;
        let keys = list
            .iter()
            .enumerate()
            .map(|(i, o)| {
                if i > 0 && o.enhed.id != list[i - 1].enhed.id {
                    seq += 1;
                }
                Key {
                    seq,
                    startdato: o.sl.startdato,
                    slutdato: o.sl.slutdato,
                    kind: EnhedKind::parse(&o.enhed.kind),
                    boligtype: o.enhed.boligtype.as_deref().and_then(Boligtype::parse),
                    sl_type: o.sl.r#type.as_deref().and_then(SlType::parse),
                    antal_boliger: o.enhed.antal_boliger,
                    traits: traits_of(o),
                }
            })
            .collect::<Vec<Key>>();
        let units: Vec<Option<Unit>> = list.iter().map(|o| o.pos.map(LatLon::unit)).collect();
        let days = DayCounts::of(&keys, &units);
        let grid = Grid::new(&list.iter().map(|o| o.pos).collect::<Vec<_>>(), PER_CELL);
        let grid_keys = grid.items().iter().map(|&i| keys[i as usize]).collect();
        let grid_units = grid.items().iter().map(|&i| units[i as usize]).collect();
        Offers {
            list,
            keys,
            units,
            days,
            grid,
            grid_keys,
            grid_units,
        }
    }

    pub fn list(&self) -> &[Offer] {
        &self.list
    }
}

fn traits_of(o: &Offer) -> u8 {
    let p = &o.enhed.profil;
    let bit = |on: bool, b: u8| if on { b } else { 0 };
    bit(p.suits_dementia(), traits::DEMENS)
        | bit(p.has_parboliger(), traits::PAR)
        | bit(p.has_animals(), traits::DYR)
        | bit(p.husleje_fra.is_some(), traits::HUSLEJE)
        | bit(
            o.tilsyn.as_ref().is_some_and(|t| !t.sanktioner.is_empty()),
            traits::SANKTION,
        )
}

/// A candidate's handle on the read model: the offer and its key.
#[derive(Clone, Copy, Debug)]
pub struct Ref<'s> {
    pub offer: &'s Offer,
    pub key: &'s Key,
    pub(super) unit: &'s Option<Unit>,
}

impl<'s> Ref<'s> {
    /// The agreement's beskrivelse where the public may see it (R4), by the domain's rule from
    /// the type and kind in the key: what the search and the open data show. The agreement
    /// itself is read only when it has one to show.
    pub fn public_beskrivelse(self) -> Option<&'s str> {
        beskrivelse_applies_to_kind(self.key.sl_type, self.key.kind)
            .then_some(self.offer.sl.beskrivelse.as_deref())
            .flatten()
    }
}

impl<'s> Source<'s> for Ref<'s> {
    fn enhed_id(self) -> &'s str {
        &self.offer.enhed.id
    }
    fn sort(self) -> &'s str {
        &self.offer.sort
    }
    fn sl_id(self) -> &'s str {
        &self.offer.sl.id
    }
    fn pos(self) -> Option<LatLon> {
        self.offer.pos
    }
    fn unit(self) -> Option<Unit> {
        *self.unit
    }
}

/// Persistent maps: a new snapshot shares everything that did not change with the old one, so a
/// write costs the items it changed, not the size of the data set.
pub type Map<V> = imbl::HashMap<String, V>;

/// Everything the public search reads, at one data version.
#[derive(Default, Clone)]
pub struct Snapshot {
    pub version: i64,
    /// Unique per snapshot served by this process (from 1; 0: never served): what a text
    /// rendered from its rows is kept under (`graphql::direct::Identity`).
    pub serial: u64,
    pub kommuner: Map<Arc<Kommune>>,
    pub enheder: Map<Arc<Enhed>>,
    /// Agreements that may be public, by id.
    pub agreements: Map<Arc<Serviceleverance>>,
    /// Per kommune (aftalepart), its offers in Danish name order.
    pub by_kommune: Map<Arc<Offers>>,
    /// Per enhed, the ids of its agreements that may be public (`Enhed.tilbydesAf`).
    pub by_enhed: Map<imbl::HashSet<String>>,
    /// R32: per enhed with any, its tilsyn and påbud/forbud.
    pub tilsyn: Map<Arc<TilsynInfo>>,
}

/// Could this agreement be public on some day (R8, R10, R20)? The domain decides; the day
/// (R6) is applied per query.
pub(super) fn eligible(s: &Serviceleverance) -> bool {
    crate::domain::feed::may_be_public(s.deleted_at.is_some(), s.has_errors, s.enhed_id.is_some())
}

pub(super) fn strip(mut k: Kommune) -> Kommune {
    // The boundary (about 3 KB a kommune) is never shown.
    k.boundary = None;
    k
}

/// An agreement as the snapshot keeps it: the search and the open data read its id, type,
/// beskrivelse, dates, aftalepart and enhed; the texts only the admin side shows (name, search
/// text, sort key, lock, authors) are dropped, a few hundred bytes an agreement.
pub(super) fn public_sl(mut s: Serviceleverance) -> Arc<Serviceleverance> {
    s.navn = String::new();
    s.soeg = String::new();
    s.sort_key = String::new();
    s.aftaleidentifikation = None;
    s.lock_subject = None;
    s.lock_name = None;
    s.lock_cvr = None;
    s.lock_roles = None;
    s.created_by = String::new();
    s.updated_by = String::new();
    s.deleted_by = None;
    Arc::new(s)
}

pub(super) fn offer(
    s: &Arc<Serviceleverance>,
    e: &Arc<Enhed>,
    tilsyn: &Map<Arc<TilsynInfo>>,
) -> Offer {
    Offer {
        tilsyn: tilsyn.get(&e.id).cloned(),
        sl: s.clone(),
        enhed: e.clone(),
        sort: collation_key(&e.navn),
        navn_soeg: e.navn_soeg.clone(),
        pos: e.lat.zip(e.lon).and_then(|(a, o)| LatLon::new(a, o)),
    }
}

/// Files an agreement under its enhed (`Snapshot::by_enhed`).
pub(super) fn link(by_enhed: &mut Map<imbl::HashSet<String>>, s: &Serviceleverance) {
    if let Some(e) = &s.enhed_id {
        by_enhed.entry(e.clone()).or_default().insert(s.id.clone());
    }
}

impl Snapshot {
    /// The kommuner that offer the enhed on the day (R6, R20, R25), by kode.
    pub fn offered_by(&self, enhed_id: &str, on: NaiveDate) -> Vec<String> {
        let mut koder: Vec<String> = self
            .by_enhed
            .get(enhed_id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.agreements.get(id))
            .filter(|s| day::is_active(s.startdato, s.slutdato, on))
            .map(|s| s.aftalepart_kode.clone())
            .collect();
        koder.sort();
        koder.dedup();
        koder
    }

    pub(super) fn link(&mut self, s: &Serviceleverance) {
        link(&mut self.by_enhed, s);
    }

    pub(super) fn unlink(&mut self, s: &Serviceleverance) {
        if let Some(e) = &s.enhed_id {
            if let Some(set) = self.by_enhed.get_mut(e) {
                set.remove(&s.id);
                if set.is_empty() {
                    self.by_enhed.remove(e);
                }
            }
        }
    }

    pub(super) fn index(&mut self) {
        let mut by: HashMap<String, Vec<Offer>> = HashMap::new();
        for s in self.agreements.values() {
            let Some(e) = s.enhed_id.as_ref().and_then(|id| self.enheder.get(id)) else {
                continue;
            };
            by.entry(s.aftalepart_kode.clone())
                .or_default()
                .push(offer(s, e, &self.tilsyn));
        }
        self.by_kommune = by
            .into_iter()
            .map(|(k, v)| (k, Arc::new(Offers::new(v))))
            .collect();
    }
}

pub(super) async fn full(db: &DatabaseConnection) -> Result<Snapshot, DbErr> {
    use async_graphql::futures_util::TryStreamExt;
    use sea_orm::{EntityTrait, QueryOrder};
    use store::entity::{enhed, serviceleverance as sl};
    // The version first: a commit after it is re-applied by its notification or the next check.
    let version = store::data_version(db).await?;
    let kommuner = store::kommune::all(db).await?;
    // Streamed, not collected: the driver's copy of every row would otherwise exist all at
    // once beside the snapshot, and the allocator keeps that peak long after it is freed.
    let mut agreements = Map::new();
    // Deleted ones too (few): whether an agreement may be public is the domain's to say, not
    // a second rule in SQL.
    let mut rows = sl::Entity::find().stream(db).await?;
    let mut by_enhed = Map::new();
    while let Some(s) = rows.try_next().await? {
        if !eligible(&s) {
            continue;
        }
        link(&mut by_enhed, &s);
        agreements.insert(s.id.clone(), public_sl(s));
    }
    drop(rows);
    let mut enheder = Map::new();
    // In the order in which a search by name shows them (kommune, then name): an enhed's
    // texts are allocated as its row arrives, so a page's hits lie close together in memory.
    let mut rows = enhed::Entity::find()
        .order_by_asc(enhed::Column::KommuneKode)
        .order_by_asc(enhed::Column::Navn)
        .stream(db)
        .await?;
    while let Some(e) = rows.try_next().await? {
        enheder.insert(e.id.clone(), Arc::new(e));
    }
    drop(rows);
    let mut tilsyn: HashMap<String, TilsynInfo> = HashMap::new();
    for t in store::tilsyn::all_tilsyn(db).await? {
        let info = tilsyn.entry(t.enhed_id.clone()).or_default();
        // Latest first by the store's order: the first of an enhed is its latest.
        if info.seneste.is_none() {
            info.seneste = Some(Arc::new(t));
        }
    }
    for sk in store::tilsyn::all_sanktioner(db).await? {
        tilsyn
            .entry(sk.enhed_id.clone())
            .or_default()
            .sanktioner
            .push(Arc::new(sk));
    }
    let mut s = Snapshot {
        serial: 0,
        tilsyn: tilsyn.into_iter().map(|(k, v)| (k, Arc::new(v))).collect(),
        version,
        kommuner: kommuner
            .into_iter()
            .map(|k| (k.kode.clone(), Arc::new(strip(k))))
            .collect(),
        enheder,
        agreements,
        by_kommune: Map::new(),
        by_enhed,
    };
    s.index();
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readmodel::Filters;

    /// R6/R22: the day counts give, for every day and every kind and boligtype filter, the number
    /// of enheder with an active offer that the pass over the offers counts. Enheder with one to
    /// four offers whose periods overlap, touch, nest, stay open, end before they start or have
    /// no start.
    #[test]
    pub(super) fn r22_day_counts_agree_with_the_pass() {
        let mut next = crate::domain::test_rng(0x9E37_79B9_7F4A_7C15u64);
        let base = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        let day = |n: u64| base + chrono::Days::new(n);
        let kinds = [
            Some(EnhedKind::Plejeenhed),
            Some(EnhedKind::Helhedsplejeenhed),
        ];
        let boligtyper = [
            None,
            Some(Boligtype::Plejebolig),
            Some(Boligtype::Friplejebolig),
        ];
        let mut keys = Vec::new();
        for seq in 0..400u32 {
            let kind = kinds[next(2) as usize];
            let boligtype = boligtyper[next(3) as usize];
            for _ in 0..1 + next(4) {
                let start = (next(10) > 0).then(|| day(next(60)));
                let slutdato = match next(4) {
                    0 => None,
                    _ => Some(day(next(70))),
                };
                keys.push(Key {
                    seq,
                    startdato: start,
                    slutdato,
                    kind,
                    boligtype,
                    sl_type: None,
                    antal_boliger: None,
                    traits: 0,
                });
            }
        }
        // Every fifth enhed without a place.
        let units: Vec<Option<Unit>> = keys
            .iter()
            .map(|k| {
                (k.seq % 5 != 0)
                    .then(|| LatLon::new(56.0, 10.0).map(LatLon::unit))
                    .flatten()
            })
            .collect();
        let days = DayCounts::of(&keys, &units);
        let filters = [
            Filters::default(),
            Filters {
                kinds: vec![EnhedKind::Plejeenhed],
                ..Default::default()
            },
            Filters {
                kinds: vec![EnhedKind::Helhedsplejeenhed],
                boligtyper: vec![Boligtype::Plejebolig, Boligtype::Friplejebolig],
                ..Default::default()
            },
            Filters {
                boligtyper: vec![Boligtype::Friplejebolig],
                ..Default::default()
            },
        ];
        let mut nonzero = 0;
        for f in &filters {
            for d in 0..80 {
                let on = day(d);
                let mut pass: Vec<u32> = keys
                    .iter()
                    .filter(|k| day::is_active(k.startdato, k.slutdato, on) && f.pass(k, None))
                    .map(|k| k.seq)
                    .collect();
                pass.dedup();
                let counted: usize = days
                    .iter()
                    .filter(|c| f.pass_class(c.kind, c.boligtype))
                    .map(|c| c.on(on))
                    .sum();
                assert_eq!(counted, pass.len(), "day {on}");
                nonzero += usize::from(counted > 0);
                let placed: usize = days
                    .iter()
                    .filter(|c| c.placed && f.pass_class(c.kind, c.boligtype))
                    .map(|c| c.on(on))
                    .sum();
                assert_eq!(
                    placed,
                    pass.iter().filter(|s| *s % 5 != 0).count(),
                    "day {on}"
                );
            }
        }
        assert!(nonzero > 200, "the data should give hits on most days");
    }
}
