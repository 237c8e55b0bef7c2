//! The public read model (issue 10): an immutable snapshot in memory of everything the anonymous
//! search can show, swapped atomically. The whole public data set of Denmark is a few thousand
//! rows, so searches never touch the database.
//!
//! - Built at start; updated by the use-case layer right after every commit (the changed items
//!   are re-read, so a save is visible to the next request, R12).
//! - Several instances on one PostgreSQL: every commit increments the data version in the
//!   database and NOTIFYs the others with the changed items; an instance that lost its
//!   listening connection reloads everything when it is back, and a periodic version check
//!   catches anything missed (also for SQLite written by another process, e.g. `import`) once
//!   it has stayed missing over two checks.
//! - "Today" is not part of the snapshot: the day filter (R6, `day::is_active`) runs per query.
use crate::domain::day;
use crate::domain::geo::{BBox, Grid, LatLon, Unit};
use crate::domain::search::{self, Candidate, Found, Invalid, Prefilter, Query, Source};
use crate::domain::serviceleverance::{beskrivelse_applies_to_kind, Boligtype, EnhedKind, SlType};
use crate::domain::text::{collation_key, fold};
use crate::service::Change;
use crate::store::enhed::Enhed;
use crate::store::kommune::Kommune;
use crate::store::serviceleverance::Serviceleverance;
use crate::store::{self};
use chrono::NaiveDate;
use sea_orm::{DatabaseConnection, DbErr};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

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
}

/// Copies of what a search's pass over a kommune's offers reads of each (its dates, the filter
/// fields and its place in name order), kept in an array beside the offers: 24 bytes where an
/// offer is 88. A search reads the offers themselves only for the candidates that need more
/// (a tie, a box, a point, a name filter) and for the page's hits, so counting the hits of a
/// large kommune streams a small array; reading every offer (the kommune's list is about 380 KB
/// at 100x, rarely in cache when a request asks for another kommune) was most of that cost.
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
}

const _: () = assert!(std::mem::size_of::<Key>() == 24 && std::mem::size_of::<Offer>() == 88);

/// A kommune's offers in Danish name order (R24: collation key, then enhed id), with their keys
/// and their day counts.
#[derive(Clone, Debug, Default)]
pub struct Offers {
    list: Vec<Offer>,
    keys: Vec<Key>,
    /// Each offer's place as a unit vector (what ranking by distance reads), beside the keys.
    units: Vec<Option<Unit>>,
    days: Vec<DayCounts>,
    /// The offers with a place, in cells, for a search nearest first; and their keys and
    /// places in the grid's order, so that a cell's are read together (the offers' own are
    /// scattered over the kommune's list).
    grid: Grid,
    grid_keys: Vec<Key>,
    grid_units: Vec<Option<Unit>>,
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
struct DayCounts {
    kind: Option<EnhedKind>,
    boligtype: Option<Boligtype>,
    placed: bool,
    starts: Vec<NaiveDate>,
    /// The last days of the periods that end (an open period has none).
    ends: Vec<NaiveDate>,
}

impl DayCounts {
    fn on(&self, day: NaiveDate) -> usize {
        let begun = self.starts.partition_point(|s| *s <= day);
        let ended = self.ends.partition_point(|e| *e < day);
        begun - ended
    }

    /// The day counts of offers in name order (an enhed's offers are neighbours).
    fn of(keys: &[Key], units: &[Option<Unit>]) -> Vec<DayCounts> {
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
    fn new(mut list: Vec<Offer>) -> Offers {
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

/// A candidate's handle on the read model: the offer and its key.
#[derive(Clone, Copy, Debug)]
pub struct Ref<'s> {
    pub offer: &'s Offer,
    pub key: &'s Key,
    unit: &'s Option<Unit>,
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
    pub kommuner: Map<Arc<Kommune>>,
    pub enheder: Map<Arc<Enhed>>,
    /// Agreements that may be public, by id.
    pub agreements: Map<Arc<Serviceleverance>>,
    /// Per kommune (aftalepart), its offers in Danish name order.
    pub by_kommune: Map<Arc<Offers>>,
    /// Per enhed, the ids of its agreements that may be public (`Enhed.tilbydesAf`).
    pub by_enhed: Map<imbl::HashSet<String>>,
}

/// Could this agreement be public on some day (R8, R10, R20)?
fn eligible(s: &Serviceleverance) -> bool {
    s.deleted_at.is_none() && !s.has_errors && s.enhed_id.is_some()
}

fn strip(mut k: Kommune) -> Kommune {
    // The boundary (about 3 KB a kommune) is never shown.
    k.boundary = None;
    k
}

/// An agreement as the snapshot keeps it: the search and the open data read its id, type,
/// beskrivelse, dates, aftalepart and enhed; the texts only the admin side shows (name, search
/// text, sort key, lock, authors) are dropped, a few hundred bytes an agreement.
fn public_sl(mut s: Serviceleverance) -> Arc<Serviceleverance> {
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

fn offer(s: &Arc<Serviceleverance>, e: &Arc<Enhed>) -> Offer {
    Offer {
        sl: s.clone(),
        enhed: e.clone(),
        sort: collation_key(&e.navn),
        navn_soeg: e.navn_soeg.clone(),
        pos: e.lat.zip(e.lon).and_then(|(a, o)| LatLon::new(a, o)),
    }
}

/// Files an agreement under its enhed (`Snapshot::by_enhed`).
fn link(by_enhed: &mut Map<imbl::HashSet<String>>, s: &Serviceleverance) {
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

    fn link(&mut self, s: &Serviceleverance) {
        link(&mut self.by_enhed, s);
    }

    fn unlink(&mut self, s: &Serviceleverance) {
        if let Some(e) = &s.enhed_id {
            if let Some(set) = self.by_enhed.get_mut(e) {
                set.remove(&s.id);
                if set.is_empty() {
                    self.by_enhed.remove(e);
                }
            }
        }
    }

    fn index(&mut self) {
        let mut by: HashMap<String, Vec<Offer>> = HashMap::new();
        for s in self.agreements.values() {
            let Some(e) = s.enhed_id.as_ref().and_then(|id| self.enheder.get(id)) else {
                continue;
            };
            by.entry(s.aftalepart_kode.clone())
                .or_default()
                .push(offer(s, e));
        }
        self.by_kommune = by
            .into_iter()
            .map(|(k, v)| (k, Arc::new(Offers::new(v))))
            .collect();
    }

    /// R20/R21/R6 in memory: the kommune's offers that pass every filter; ranking is the
    /// domain's.
    /// With `except`, the filter of that facet's dimension is left out (facet counts show what
    /// choosing another value would give).
    pub fn candidates<'s, 'f>(
        &'s self,
        kommune: &str,
        filters: &'f Filters,
        except: Option<Facet>,
        on: NaiveDate,
        area: Prefilter,
        text: Option<&str>,
    ) -> Candidates<'s, 'f> {
        let offers = match area {
            Prefilter::Nothing => None,
            Prefilter::Within(_) => self.by_kommune.get(kommune),
        };
        let (keys, list, units): (&[Key], &[Offer], &[Option<Unit>]) =
            offers.map_or((&[], &[], &[]), |v| (&v.keys, &v.list, &v.units));
        Candidates {
            keys: keys.iter(),
            offers: list.iter(),
            units: units.iter(),
            bbox: match area {
                Prefilter::Within(b) => b,
                Prefilter::Nothing => None,
            },
            admit: Admit::new(filters, except, on, text),
        }
    }
}

impl Snapshot {
    /// The number of enheder of the kommune with an offer active on the day that passes the
    /// filters (R6, R20-R22), and with `placed` only those with a place (the hits of a search
    /// nearest first), from the day counts, when the search filters only on what they count
    /// (kind and boligtype); `None` when a filter on the agreement's type, the number of
    /// boliger or the name asks for the pass over the offers. A radius or a box is the
    /// domain's to filter ([`search::find`] counts those by the pass).
    ///
    /// [`search::find`]: crate::domain::search::find
    pub fn count(
        &self,
        kommune: &str,
        filters: &Filters,
        on: NaiveDate,
        text: Option<&str>,
        placed: bool,
    ) -> Option<usize> {
        if !filters.types.is_empty()
            || filters.min_boliger.is_some()
            || text.is_some_and(|t| !fold(t).is_empty())
        {
            return None;
        }
        let Some(offers) = self.by_kommune.get(kommune) else {
            return Some(0);
        };
        Some(
            offers
                .days
                .iter()
                .filter(|c| filters.pass_class(c.kind, c.boligtype) && (c.placed || !placed))
                .map(|c| c.on(on))
                .sum(),
        )
    }

    /// A search's page and `totalCount` (R20-R25): by name from the kommune's offers in name
    /// order, nearest first from the cells around the point when that needs no pass over them
    /// all ([`search::by_cells`]); the total from the day counts where they can give it.
    #[allow(clippy::too_many_arguments)]
    pub fn find<'s>(
        &'s self,
        kommune: &str,
        filters: &Filters,
        on: NaiveDate,
        text: Option<&str>,
        q: &Query,
        first: usize,
        after: Option<&str>,
    ) -> Result<Found<Ref<'s>>, Invalid> {
        let area = q.prefilter_box();
        // The domain leaves it aside where a box or a radius makes it wrong.
        let known = self.count(kommune, filters, on, text, q.near.is_some());
        if let (Some(near), Some(offers), Prefilter::Within(_)) =
            (q.near, self.by_kommune.get(kommune), area)
        {
            if search::by_cells(q, known) {
                let admit = Admit::new(filters, None, on, text);
                let cells = offers.grid.by_distance(near).map(|(bound, at)| {
                    let admit = &admit;
                    let cell = at.filter_map(move |at| {
                        let (key, unit) = (offers.grid_keys.get(at)?, offers.grid_units.get(at)?);
                        let i = *offers.grid.items().get(at)? as usize;
                        // The offer is read for a name filter alone, and then for the page.
                        let admitted = admit.admits(key, || {
                            offers.list.get(i).map_or("", |o| o.navn_soeg.as_str())
                        });
                        let offer = offers.list.get(i)?;
                        admitted.then_some(Candidate {
                            seq: key.seq,
                            startdato: key.startdato,
                            item: Ref { offer, key, unit },
                        })
                    });
                    (bound, cell)
                });
                return search::nearest_in_cells(cells, q, first, after, known);
            }
        }
        search::find(
            self.candidates(kommune, filters, None, on, area, text),
            q,
            first,
            after,
            known,
        )
    }
}

/// What a candidate must be, besides in the search's box: active on the day (R6, R20, R21),
/// through the filters (but the facet's own dimension, `except`) and the name filter.
struct Admit<'f> {
    on: NaiveDate,
    text: Option<String>,
    filters: &'f Filters,
    except: Option<Facet>,
}

impl<'f> Admit<'f> {
    fn new(filters: &'f Filters, except: Option<Facet>, on: NaiveDate, text: Option<&str>) -> Self {
        Admit {
            on,
            text: text.map(fold).filter(|t| !t.is_empty()),
            filters,
            except,
        }
    }

    /// The offer's folded name is read for a name filter alone (`navn_soeg`).
    fn admits<'o>(&self, key: &Key, navn_soeg: impl FnOnce() -> &'o str) -> bool {
        day::is_active(key.startdato, key.slutdato, self.on)
            && self.filters.pass(key, self.except)
            && self.text.as_deref().is_none_or(|t| navn_soeg().contains(t))
    }
}

/// The candidates of one search, in the kommune's name order ([`Snapshot::candidates`]): the
/// offers active on the day (R20, R21, R6) that pass the filters, the box and the name filter.
///
/// A loop by hand rather than a chain of iterator adapters: the chain (a flatten over the
/// kommune's list, another over the search's area, four filters and two maps) cost about 28 ns
/// a key in the profile of a 100x page by name, a third of that page's cost.
pub struct Candidates<'s, 'f> {
    keys: std::slice::Iter<'s, Key>,
    offers: std::slice::Iter<'s, Offer>,
    units: std::slice::Iter<'s, Option<Unit>>,
    bbox: Option<BBox>,
    admit: Admit<'f>,
}

impl<'s> Iterator for Candidates<'s, '_> {
    type Item = Candidate<Ref<'s>>;

    fn next(&mut self) -> Option<Candidate<Ref<'s>>> {
        loop {
            // The offer is only pointed at here; it is read for a box or a name filter alone.
            let (key, offer, unit) = (self.keys.next()?, self.offers.next()?, self.units.next()?);
            if !self.admit.admits(key, || &offer.navn_soeg) {
                continue;
            }
            if let Some(b) = self.bbox {
                if !offer.pos.is_some_and(|p| b.contains(p)) {
                    continue;
                }
            }
            return Some(Candidate {
                seq: key.seq,
                startdato: key.startdato,
                item: Ref { offer, key, unit },
            });
        }
    }
}

/// What citizens compare on, besides place and name. Empty lists mean "any".
#[derive(Clone, Debug, Default)]
pub struct Filters {
    /// Plejeenhed / helhedsplejeenhed.
    pub kinds: Vec<EnhedKind>,
    /// For plejeenheder (helhedspleje has none).
    pub boligtyper: Vec<Boligtype>,
    /// The agreement's type.
    pub types: Vec<SlType>,
    /// At least this many boliger (plejeenheder with a known number).
    pub min_boliger: Option<i32>,
}

/// A facet: which dimension to leave out when counting it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Kind,
    Boligtype,
    Type,
}

fn any<T: PartialEq>(list: &[T], v: Option<T>) -> bool {
    list.is_empty() || v.is_some_and(|v| list.contains(&v))
}

impl Filters {
    /// The kind and boligtype filters, which read the enhed alone.
    fn pass_class(&self, kind: Option<EnhedKind>, boligtype: Option<Boligtype>) -> bool {
        any(&self.kinds, kind) && any(&self.boligtyper, boligtype)
    }

    fn pass(&self, o: &Key, except: Option<Facet>) -> bool {
        (except == Some(Facet::Kind) || any(&self.kinds, o.kind))
            && (except == Some(Facet::Boligtype) || any(&self.boligtyper, o.boligtype))
            && (except == Some(Facet::Type) || any(&self.types, o.sl_type))
            && self
                .min_boliger
                .is_none_or(|m| o.antal_boliger.is_some_and(|n| n >= m))
    }
}

impl Snapshot {
    /// The value of a facet's dimension for an offer (its enhed and agreement).
    pub fn facet_value(o: &Key, facet: Facet) -> Option<&'static str> {
        match facet {
            Facet::Kind => o.kind.map(EnhedKind::as_str),
            Facet::Boligtype => o.boligtype.map(Boligtype::as_str),
            Facet::Type => o.sl_type.map(SlType::as_str),
        }
    }
}

/// The current snapshot and how to renew it.
pub struct ReadModel {
    /// This instance's id in notifications.
    id: String,
    current: RwLock<Arc<Snapshot>>,
    /// Serialises writers, so that two renewals cannot lose each other's changes.
    writer: tokio::sync::Mutex<()>,
}

impl ReadModel {
    /// Loads the whole snapshot.
    pub async fn load(db: &DatabaseConnection) -> Result<ReadModel, DbErr> {
        let s = full(db).await?;
        Ok(ReadModel {
            id: uuid::Uuid::new_v4().to_string(),
            current: RwLock::new(Arc::new(s)),
            writer: tokio::sync::Mutex::new(()),
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn version(&self) -> i64 {
        self.snapshot().version
    }

    fn swap(&self, s: Snapshot) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(s);
    }

    /// Re-reads everything (start, a reconnect, a missed notification).
    pub async fn reload(&self, db: &DatabaseConnection) -> Result<i64, DbErr> {
        let _w = self.writer.lock().await;
        let s = full(db).await?;
        let v = s.version;
        self.swap(s);
        Ok(v)
    }

    /// As `apply`, with the agreements already read (as written in the committing transaction).
    pub async fn apply_known(
        &self,
        db: &DatabaseConnection,
        changes: &[Change],
        rows: Vec<Serviceleverance>,
        version: i64,
    ) -> Result<(), DbErr> {
        let known: HashMap<String, Serviceleverance> =
            rows.into_iter().map(|r| (r.id.clone(), r)).collect();
        self.apply_with(db, changes, known, version).await
    }

    /// Re-reads the changed items and swaps in the new snapshot. The items are read as
    /// committed now, so applying changes late or out of order is harmless; the version is the
    /// highest seen.
    pub async fn apply(
        &self,
        db: &DatabaseConnection,
        changes: &[Change],
        version: i64,
    ) -> Result<(), DbErr> {
        self.apply_with(db, changes, HashMap::new(), version).await
    }

    async fn apply_with(
        &self,
        db: &DatabaseConnection,
        changes: &[Change],
        mut known: HashMap<String, Serviceleverance>,
        version: i64,
    ) -> Result<(), DbErr> {
        let _w = self.writer.lock().await;
        let mut next: Snapshot = (*self.snapshot()).clone();
        next.version = version.max(next.version);
        let mut changed_sl: std::collections::HashSet<String> = Default::default();
        let mut touched: std::collections::HashSet<String> = Default::default();
        let mut changed_enheder: std::collections::HashSet<String> = Default::default();
        for c in changes {
            match c {
                Change::Serviceleverance(id) => {
                    let row = match known.remove(id) {
                        Some(r) => Some(r),
                        None => store::serviceleverance::by_id(db, id).await?,
                    };
                    if let Some(old) = next.agreements.get(id).cloned() {
                        touched.insert(old.aftalepart_kode.clone());
                        next.unlink(&old);
                    }
                    changed_sl.insert(id.clone());
                    match row {
                        Some(s) if eligible(&s) => {
                            if let Some(e) = s.enhed_id.as_ref() {
                                if !next.enheder.contains_key(e) {
                                    if let Some(row) = store::enhed::by_id(db, e).await? {
                                        next.enheder.insert(row.id.clone(), Arc::new(row));
                                    }
                                }
                            }
                            touched.insert(s.aftalepart_kode.clone());
                            next.link(&s);
                            next.agreements.insert(s.id.clone(), public_sl(s));
                        }
                        _ => {
                            next.agreements.remove(id);
                        }
                    }
                }
                Change::Enhed(id) => {
                    match store::enhed::by_id(db, id).await? {
                        Some(e) => {
                            next.enheder.insert(e.id.clone(), Arc::new(e));
                        }
                        None => {
                            next.enheder.remove(id);
                        }
                    }
                    changed_enheder.insert(id.clone());
                }
                Change::Kommune(kode) => {
                    if let Some(k) = store::kommune::by_kode(db, kode).await? {
                        next.kommuner.insert(k.kode.clone(), Arc::new(strip(k)));
                    }
                }
            }
        }
        // Kommuner with an offer of a changed enhed (its name, place or kind).
        if !changed_enheder.is_empty() {
            for (kode, v) in next.by_kommune.iter() {
                if v.list.iter().any(|o| changed_enheder.contains(&o.enhed.id)) {
                    touched.insert(kode.clone());
                }
            }
            for s in next.agreements.values() {
                if s.enhed_id
                    .as_ref()
                    .is_some_and(|e| changed_enheder.contains(e))
                {
                    touched.insert(s.aftalepart_kode.clone());
                    changed_sl.insert(s.id.clone());
                }
            }
        }
        // Only the touched kommuner's lists are rebuilt: the offers of changed agreements and
        // enheder are taken out and made again.
        for kode in touched {
            let mut v: Vec<Offer> = next
                .by_kommune
                .get(&kode)
                .map(|a| a.list.clone())
                .unwrap_or_default();
            v.retain(|o| !changed_sl.contains(&o.sl.id) && !changed_enheder.contains(&o.enhed.id));
            let present: std::collections::HashSet<String> =
                v.iter().map(|o| o.sl.id.clone()).collect();
            for id in &changed_sl {
                let Some(s) = next.agreements.get(id) else {
                    continue;
                };
                if s.aftalepart_kode != kode || present.contains(id) {
                    continue;
                }
                if let Some(e) = s.enhed_id.as_ref().and_then(|e| next.enheder.get(e)) {
                    v.push(offer(s, e));
                }
            }
            next.by_kommune.insert(kode, Arc::new(Offers::new(v)));
        }
        self.swap(next);
        Ok(())
    }
}

async fn full(db: &DatabaseConnection) -> Result<Snapshot, DbErr> {
    use async_graphql::futures_util::TryStreamExt;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    use store::entity::{enhed, serviceleverance as sl};
    // The version first: a commit after it is re-applied by its notification or the next check.
    let version = store::data_version(db).await?;
    let kommuner = store::kommune::all(db).await?;
    // Streamed, not collected: the driver's copy of every row would otherwise exist all at
    // once beside the snapshot, and the allocator keeps that peak long after it is freed.
    let mut agreements = Map::new();
    let mut rows = sl::Entity::find()
        .filter(sl::Column::DeletedAt.is_null())
        .filter(sl::Column::HasErrors.eq(false))
        .filter(sl::Column::EnhedId.is_not_null())
        .stream(db)
        .await?;
    let mut by_enhed = Map::new();
    while let Some(s) = rows.try_next().await? {
        link(&mut by_enhed, &s);
        agreements.insert(s.id.clone(), public_sl(s));
    }
    drop(rows);
    let mut enheder = Map::new();
    // In the order in which a search by name shows them (kommune, then name; SQL's order is
    // near enough to the Danish one for this): an enhed's texts are allocated as its row
    // arrives, so the texts of a page's hits lie close together instead of anywhere in the
    // heap. At 100x, copying them out was the largest cost that grew with the data (cache
    // and TLB misses).
    let mut rows = enhed::Entity::find()
        .order_by_asc(enhed::Column::KommuneKode)
        .order_by_asc(enhed::Column::Navn)
        .stream(db)
        .await?;
    while let Some(e) = rows.try_next().await? {
        enheder.insert(e.id.clone(), Arc::new(e));
    }
    drop(rows);
    let mut s = Snapshot {
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

/// A notification's payload: the data version and the changed items (or "reload all").
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct Notice {
    pub v: i64,
    /// The instance that committed (it has applied the change already).
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub sl: Vec<String>,
    #[serde(default)]
    pub enhed: Vec<String>,
    #[serde(default)]
    pub kommune: Vec<String>,
    #[serde(default)]
    pub reload: bool,
}

impl Notice {
    /// PostgreSQL payloads are limited to 8000 bytes: beyond a few hundred items, reload.
    pub fn of(v: i64, from: &str, changes: &[Change]) -> Notice {
        let mut n = Notice {
            v,
            from: from.to_string(),
            sl: Vec::new(),
            enhed: Vec::new(),
            kommune: Vec::new(),
            reload: changes.len() > 100,
        };
        if !n.reload {
            for c in changes {
                match c {
                    Change::Serviceleverance(id) => n.sl.push(id.clone()),
                    Change::Enhed(id) => n.enhed.push(id.clone()),
                    Change::Kommune(k) => n.kommune.push(k.clone()),
                }
            }
        }
        n
    }

    /// The notice as the store sends it: its JSON after the version, which the database
    /// splices in as `{"v":<new version>` when it commits (`store::bump_version_and_notify`).
    pub fn after_version(&self) -> Result<String, serde_json::Error> {
        let body = serde_json::to_string(&Notice {
            v: 0,
            ..self.clone()
        })?;
        Ok(body.strip_prefix("{\"v\":0").unwrap_or(&body).to_string())
    }

    pub fn changes(&self) -> Vec<Change> {
        self.sl
            .iter()
            .map(|i| Change::Serviceleverance(i.clone()))
            .chain(self.enhed.iter().map(|i| Change::Enhed(i.clone())))
            .chain(self.kommune.iter().map(|k| Change::Kommune(k.clone())))
            .collect()
    }
}

/// Keeps the snapshot current with what other instances (or processes) commit: LISTEN on
/// PostgreSQL, and a periodic version check on both databases.
pub fn spawn_sync(st: crate::app::AppState) {
    let check = st.config.version_check_interval;
    // The periodic check (both databases).
    {
        let st = st.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(check);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut seen = Seen::default();
            loop {
                tick.tick().await;
                check_version(&st, &mut seen).await;
            }
        });
    }
    if store::is_sqlite(&st.db) {
        return;
    }
    tokio::spawn(async move {
        loop {
            if let Err(e) = listen(&st).await {
                tracing::warn!(error = %e, "mistede forbindelsen til ændringskanalen; prøver igen");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

/// The database's data versions at the last two checks, each kept only when the snapshot was
/// behind it.
#[derive(Default)]
struct Seen([Option<i64>; 2]);

/// Reloads when the snapshot is still behind a version the database had two checks ago.
///
/// Behind at one check is not enough: a commit is in the database a moment before its change is
/// in the snapshot (applied on this instance right after the commit, on the others when the
/// notification arrives), so under a steady flow of writes nearly every check sees a newer
/// version. Reloading on that reloaded everything again and again: at 100x data a reload is
/// seconds of CPU with two snapshots in memory at once, and the writes waiting behind it took
/// up to 7 s (`benches/load.rs`, edit cycle). A change that was really missed (a lost
/// notification, another process's import) is still behind at the next check but one, and is
/// reloaded then: within two to three `--version-check-secs`.
async fn check_version(st: &crate::app::AppState, seen: &mut Seen) {
    let v = match store::data_version_background(&st.db).await {
        Ok(v) => v,
        Err(e) => {
            tracing::debug!(error = %e, "versionskontrol mislykkedes");
            return;
        }
    };
    let mine = st.read_model.version();
    if seen.0[0].is_some_and(|old| mine < old) {
        *seen = Seen::default();
        reload(st).await;
        return;
    }
    seen.0 = [seen.0[1], (v > mine).then_some(v)];
}

/// Reloads when the database's version is newer than the snapshot's: after the listening
/// connection was lost, when anything may have been missed.
async fn catch_up(st: &crate::app::AppState) {
    match store::data_version_background(&st.db).await {
        Ok(v) if v > st.read_model.version() => reload(st).await,
        Ok(_) => {}
        Err(e) => tracing::debug!(error = %e, "versionskontrol mislykkedes"),
    }
}

async fn reload(st: &crate::app::AppState) {
    match st.read_model.reload(&st.db).await {
        Ok(v) => {
            st.changes.observe();
            tracing::info!(version = v, "læsemodellen er genindlæst");
        }
        Err(e) => tracing::warn!(error = %e, "kunne ikke genindlæse læsemodellen"),
    }
}

async fn listen(st: &crate::app::AppState) -> Result<(), sea_orm::sqlx::Error> {
    use sea_orm::sqlx::postgres::PgListener;
    let pool = st.db.get_postgres_connection_pool();
    let mut l = PgListener::connect_with(pool).await?;
    l.listen(store::CHANGES_CHANNEL).await?;
    // Anything committed while we were not listening.
    catch_up(st).await;
    loop {
        // `None`: the connection was lost (and will be re-established): reload to be exact.
        match l.try_recv().await? {
            Some(n) => {
                let Ok(notice) = serde_json::from_str::<Notice>(n.payload()) else {
                    continue;
                };
                if notice.from == st.read_model.id() {
                    continue; // our own commit, applied at commit
                }
                // A version this snapshot has passed is not old news: this instance's own commit
                // (applied at once) can pass another's that committed just before it and whose
                // notice is still on its way. Its items are applied all the same (re-read as
                // committed now, so a late change is harmless); skipping it lost that change
                // here for good, as the version check saw no difference.
                let current = st.read_model.version();
                // A gap means a notification was missed: reload to be exact.
                let r = if notice.reload || notice.v > current + 1 {
                    st.read_model.reload(&st.db).await.map(|_| ())
                } else {
                    st.read_model
                        .apply(&st.db, &notice.changes(), notice.v)
                        .await
                };
                match r {
                    Ok(()) => st.changes.observe(),
                    Err(e) => tracing::warn!(error = %e, "kunne ikke opdatere læsemodellen"),
                }
            }
            None => catch_up(st).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R6/R22: the day counts give, for every day and every kind and boligtype filter, the number
    /// of enheder with an active offer that the pass over the offers counts. Enheder with one to
    /// four offers whose periods overlap, touch, nest, stay open, end before they start or have
    /// no start.
    #[test]
    fn r22_day_counts_agree_with_the_pass() {
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
