//! The public search's ranking and paging (R20-R24): exact radius and box filters, one hit per
//! enhed, sorting by name (Danish collation) or by distance, and opaque keyset cursors.
use super::geo::{chord2_of_km, km_of_chord2, BBox, LatLon, Unit};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDate;

pub const DEFAULT_PAGE: i32 = 20;
pub const MAX_PAGE: i32 = 100;
pub const MAX_RADIUS_KM: f64 = 1000.0;

/// What ranking reads of a candidate besides its place in name order and its start date, from
/// the caller's handle on it (the read model's offer). It is read only where it is needed: a
/// tie between two agreements of one enhed, a box or a point, the page's hits and cursors. So
/// counting the hits of a large kommune reads nothing but the read model's compact keys.
pub trait Source<'a>: Copy {
    fn enhed_id(self) -> &'a str;
    /// The Danish collation key of the enhed's name (`text::collation_key`, R24), computed once
    /// when the read model is built.
    fn sort(self) -> &'a str;
    fn sl_id(self) -> &'a str;
    fn pos(self) -> Option<LatLon>;
    /// The place as a unit vector (what ranking by distance reads); a read model keeps it
    /// computed.
    fn unit(self) -> Option<Unit> {
        self.pos().map(LatLon::unit)
    }
}

/// One agreement of the kommune that the read model found active, public and of the asked kind.
/// `item` is the caller's handle on what it came from, carried to the hit.
#[derive(Clone, Copy, Debug)]
pub struct Candidate<P> {
    /// The candidate's place in name order (`sort`, then `enhed_id`) among the candidates of
    /// one search; equal for the agreements of one enhed. It lets ranking compare and group
    /// candidates without reading their strings (the read model numbers its lists when it
    /// builds them).
    pub seq: u32,
    pub startdato: Option<NaiveDate>,
    pub item: P,
}

/// A ranked hit: the candidate and, with `near`, how far it is.
#[derive(Clone, Copy, Debug)]
pub struct Hit<P> {
    pub candidate: Candidate<P>,
    /// With `near`, the squared chord to the point ([`Unit::chord2`]): ranking and cursors
    /// order by it, and [`Hit::distance_km`] gives it in kilometres.
    chord2: Option<f64>,
}

impl<P> Hit<P> {
    /// The great-circle distance to `near` in km (R23).
    pub fn distance_km(&self) -> Option<f64> {
        self.chord2.map(km_of_chord2)
    }

    pub fn cursor<'a>(&self) -> String
    where
        P: Source<'a>,
    {
        self.key().encode()
    }

    fn key<'a>(&self) -> SortKey<&'a str>
    where
        P: Source<'a>,
    {
        let it = self.candidate.item;
        match self.chord2 {
            Some(d) => SortKey::Distance(d, it.sort(), it.enhed_id()),
            None => SortKey::Name(it.sort(), it.enhed_id()),
        }
    }
}

/// The order of hits: by name key then enhed id, or by distance (the squared chord) first.
/// Borrowed (`&str`) for hits, owned for a decoded cursor.
#[derive(Clone, Debug, PartialEq, PartialOrd)]
enum SortKey<S> {
    Name(S, S),
    Distance(f64, S, S),
}

impl SortKey<&str> {
    fn encode(&self) -> String {
        let raw = match self {
            SortKey::Name(k, id) => format!("n\u{1}{k}\u{1}{id}"),
            SortKey::Distance(c2, k, id) => {
                format!("c\u{1}{:016x}\u{1}{k}\u{1}{id}", c2.to_bits())
            }
        };
        URL_SAFE_NO_PAD.encode(raw)
    }
}

impl SortKey<String> {
    fn decode(s: &str) -> Option<SortKey<String>> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
        let parts: Vec<&str> = raw.split('\u{1}').collect();
        match parts.as_slice() {
            ["n", k, id] => Some(SortKey::Name(k.to_string(), id.to_string())),
            [tag @ ("c" | "d"), bits, k, id] => {
                let v = f64::from_bits(u64::from_str_radix(bits, 16).ok()?);
                // "d": a cursor given before ranking by chord, with the distance in km.
                let c2 = if *tag == "d" { chord2_of_km(v) } else { v };
                (v.is_finite() && c2.is_finite())
                    .then(|| SortKey::Distance(c2, k.to_string(), id.to_string()))
            }
            _ => None,
        }
    }

    fn as_ref(&self) -> SortKey<&str> {
        match self {
            SortKey::Name(k, id) => SortKey::Name(k, id),
            SortKey::Distance(d, k, id) => SortKey::Distance(*d, k, id),
        }
    }
}

/// The order of hits of one search: nearest first when there are distances, then by name
/// (`seq` stands for the name key and the enhed id).
fn by_key<P>(a: &Hit<P>, b: &Hit<P>) -> std::cmp::Ordering {
    let d = match (a.chord2, b.chord2) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        _ => std::cmp::Ordering::Equal,
    };
    d.then(a.candidate.seq.cmp(&b.candidate.seq))
}

/// Geographic filters and order of one search.
#[derive(Clone, Debug, Default)]
pub struct Query {
    pub near: Option<LatLon>,
    pub radius_km: Option<f64>,
    pub bbox: Option<BBox>,
}

/// Why a search request is refused (each maps to VALIDATION with the field named).
#[derive(Clone, Debug, PartialEq)]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

fn invalid(field: &'static str, message: &str) -> Invalid {
    Invalid {
        field,
        message: message.into(),
    }
}

impl Query {
    /// Checks the combination of filters: a radius needs a point and must be positive and sane;
    /// a box must have min <= max.
    pub fn validate(&self) -> Result<(), Invalid> {
        if let Some(r) = self.radius_km {
            if self.near.is_none() {
                return Err(invalid("radiusKm", "radiusKm kræver et punkt i near."));
            }
            if !(r.is_finite() && r > 0.0 && r <= MAX_RADIUS_KM) {
                return Err(invalid(
                    "radiusKm",
                    "radiusKm skal være større end 0 og højst 1000.",
                ));
            }
        }
        if let Some(b) = self.bbox {
            let ok = [b.min_lat, b.max_lat]
                .iter()
                .all(|v| v.is_finite() && (-90.0..=90.0).contains(v))
                && [b.min_lon, b.max_lon]
                    .iter()
                    .all(|v| v.is_finite() && (-180.0..=180.0).contains(v))
                && b.min_lat <= b.max_lat
                && b.min_lon <= b.max_lon;
            if !ok {
                return Err(invalid(
                    "bbox",
                    "bbox skal have gyldige koordinater med min højst lig max.",
                ));
            }
        }
        Ok(())
    }

    /// The box the store may pre-filter on (the radius's bounding box intersected with `bbox`).
    pub fn prefilter_box(&self) -> Prefilter {
        let radius_box = match (self.near, self.radius_km) {
            (Some(c), Some(r)) => Some(BBox::around(c, r)),
            _ => None,
        };
        match (radius_box, self.bbox) {
            (Some(a), Some(b)) => a
                .intersect(&b)
                .map_or(Prefilter::Nothing, |x| Prefilter::Within(Some(x))),
            (a, b) => Prefilter::Within(a.or(b)),
        }
    }
}

/// What the store should fetch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Prefilter {
    /// Nothing can match (the radius and the box do not meet).
    Nothing,
    /// Candidates within this box (or anywhere).
    Within(Option<BBox>),
}

/// Applies the exact filters and keeps one agreement per enhed (the most recently started,
/// then the lowest id); with `near`, every hit has its distance (enheder without a location are
/// left out). The hits come in name order (Danish collation, ties broken by enhed id so the
/// order is stable); [`page`] takes the page in the query's order from them, [`rank`] sorts
/// all of them.
pub fn hits<'a, P: Source<'a>>(mut candidates: Vec<Candidate<P>>, q: &Query) -> Vec<Hit<P>> {
    candidates.sort_by_key(|c| c.seq);
    in_order(candidates, q).collect()
}

/// [`hits`] of candidates that come in name order (`seq` never decreasing), as the read model
/// keeps them, one hit at a time: nothing is collected, so counting the hits of a large kommune
/// or taking its first page allocates nothing per candidate.
pub fn in_order<'a, 'q, P: Source<'a>, I: IntoIterator<Item = Candidate<P>>>(
    candidates: I,
    q: &'q Query,
) -> InOrder<'q, P, I::IntoIter> {
    InOrder {
        inner: candidates.into_iter().fuse(),
        q,
        near: q.near.map(LatLon::unit),
        pending: None,
    }
}

/// The iterator of [`in_order`].
pub struct InOrder<'q, P, I> {
    inner: std::iter::Fuse<I>,
    q: &'q Query,
    /// `q.near` as a unit vector, computed once.
    near: Option<Unit>,
    /// The first candidate of the next enhed, read while looking for the end of the last one.
    pending: Option<Candidate<P>>,
}

impl<'a, P: Source<'a>, I: Iterator<Item = Candidate<P>>> Iterator for InOrder<'_, P, I> {
    type Item = Hit<P>;

    fn next(&mut self) -> Option<Hit<P>> {
        loop {
            let mut best = self.pending.take().or_else(|| self.inner.next())?;
            // The agreements of one enhed are neighbours in name order (R22: one hit each).
            loop {
                match self.inner.next() {
                    Some(c) if c.seq == best.seq => {
                        // The id is read only when the start dates tie.
                        let later = c
                            .startdato
                            .cmp(&best.startdato)
                            .then_with(|| best.item.sl_id().cmp(c.item.sl_id()));
                        if later.is_gt() {
                            best = c;
                        }
                    }
                    next => {
                        debug_assert!(
                            next.is_none_or(|n| n.seq > best.seq),
                            "candidates out of name order"
                        );
                        self.pending = next;
                        break;
                    }
                }
            }
            if let Some(h) = self.q.hit(best, self.near) {
                return Some(h);
            }
        }
    }
}

impl Query {
    /// The hit a candidate makes, if it passes the box and the radius; with `near` (given as
    /// its unit vector), with how far it is (a candidate without a location is then no hit).
    fn hit<'a, P: Source<'a>>(&self, c: Candidate<P>, near: Option<Unit>) -> Option<Hit<P>> {
        if self.bbox.is_none() && near.is_none() {
            return Some(Hit {
                candidate: c,
                chord2: None,
            });
        }
        if let Some(b) = self.bbox {
            if !c.item.pos().is_some_and(|p| b.contains(p)) {
                return None;
            }
        }
        let chord2 = match (near, near.and_then(|_| c.item.unit())) {
            (Some(n), Some(u)) => Some(n.chord2(u)),
            (Some(_), None) => return None,
            _ => None,
        };
        // The radius in kilometres as given (R23), for the candidates inside its box.
        if let (Some(r), Some(c2)) = (self.radius_km, chord2) {
            if km_of_chord2(c2) > r {
                return None;
            }
        }
        Some(Hit {
            candidate: c,
            chord2,
        })
    }
}

/// [`hits`], all sorted: by distance with `near`, otherwise by name.
pub fn rank<'a, P: Source<'a>>(candidates: Vec<Candidate<P>>, q: &Query) -> Vec<Hit<P>> {
    let mut hits = hits(candidates, q);
    if q.near.is_some() {
        hits.sort_by(by_key);
    }
    hits
}

/// One page of hits, in order.
pub struct Page<P> {
    pub hits: Vec<Hit<P>>,
    pub has_next: bool,
    pub has_previous: bool,
}

/// Validates `first` (0..=100, default 20).
pub fn page_size(first: Option<i32>) -> Result<usize, Invalid> {
    match first.unwrap_or(DEFAULT_PAGE) {
        n if (0..=MAX_PAGE).contains(&n) => Ok(n as usize),
        _ => Err(invalid("first", "first skal være mellem 0 og 100.")),
    }
}

/// Decodes a cursor (`None`: none given).
fn cursor(after: Option<&str>) -> Result<Option<SortKey<String>>, Invalid> {
    after
        .map(|c| SortKey::decode(c).ok_or_else(|| invalid("after", "Ugyldig cursor.")))
        .transpose()
}

fn other_ordering() -> Invalid {
    invalid("after", "Cursoren hører til en anden sortering.")
}

/// The page of `first` hits after the cursor `after` (R24), from the hits of [`hits`] or
/// [`rank`]. A cursor that is not one of ours, or that belongs to the other ordering, is
/// refused. Hits in name order are already sorted; by distance only the page is sorted (a
/// selection of the nearest `first` first), so a page costs linear time in the hits.
pub fn page<'a, P: Source<'a>>(
    hits: &[Hit<P>],
    first: usize,
    after: Option<&str>,
) -> Result<Page<P>, Invalid> {
    let cursor = cursor(after)?;
    if let (Some(k), Some(h)) = (&cursor, hits.first()) {
        if !same_ordering(k, h) {
            return Err(other_ordering());
        }
    }
    let after_cursor = |h: &Hit<P>| is_after(h, cursor.as_ref());
    let by_name = hits.first().is_none_or(|h| h.chord2.is_none());
    if by_name {
        let start = hits.partition_point(|h| !after_cursor(h));
        let end = (start + first).min(hits.len());
        return Ok(Page {
            hits: hits[start..end].to_vec(),
            has_next: end < hits.len(),
            has_previous: start > 0,
        });
    }
    let mut rest: Vec<Hit<P>> = hits.iter().copied().filter(after_cursor).collect();
    let has_previous = rest.len() < hits.len();
    let has_next = rest.len() > first;
    if has_next {
        if first > 0 {
            rest.select_nth_unstable_by(first - 1, by_key);
        }
        rest.truncate(first);
    }
    rest.sort_by(by_key);
    Ok(Page {
        hits: rest,
        has_next,
        has_previous,
    })
}

/// Whether a cursor belongs to the ordering of a hit (by name, or by distance).
fn same_ordering<'a, P: Source<'a>>(k: &SortKey<String>, h: &Hit<P>) -> bool {
    matches!(
        (k, h.key()),
        (SortKey::Name(..), SortKey::Name(..)) | (SortKey::Distance(..), SortKey::Distance(..))
    )
}

fn is_after<'a, P: Source<'a>>(h: &Hit<P>, cursor: Option<&SortKey<String>>) -> bool {
    cursor.is_none_or(|k| h.key().partial_cmp(&k.as_ref()).is_some_and(|o| o.is_gt()))
}

/// A search's answer: its page and the number of all its hits (`totalCount`).
pub struct Found<P> {
    pub page: Page<P>,
    pub total: usize,
}

/// The page after `after` and the number of hits, from candidates in name order (as the read
/// model keeps a kommune's offers). By name the hits are counted as they stream past and only
/// the page is kept, so a page costs a pass over the kommune's offers and nothing more, however
/// many hits there are; by distance every hit is measured and the page selected ([`page`]).
///
/// `known_total` is the number of hits when the caller has it without the pass (the read
/// model's day counts, for a search without a place, a box or filters on the agreement): the
/// page by name then stops at its last hit, so it costs the hits up to the page's end, not the
/// kommune's size. It is ignored for a search with a point or a box, whose hits only the pass
/// can count.
pub fn find<'a, P: Source<'a>>(
    candidates: impl IntoIterator<Item = Candidate<P>>,
    q: &Query,
    first: usize,
    after: Option<&str>,
    known_total: Option<usize>,
) -> Result<Found<P>, Invalid> {
    if q.near.is_some() {
        return nearest(candidates, q, first, after);
    }
    let known = known_total.filter(|_| q.bbox.is_none());
    let cursor = cursor(after)?;
    let wrong = cursor
        .as_ref()
        .is_some_and(|k| matches!(k, SortKey::Distance(..)));
    let (mut seen, mut before) = (0usize, 0usize);
    let mut hits = Vec::with_capacity(first.min(MAX_PAGE as usize));
    if !(wrong && known.is_some()) {
        for h in in_order(candidates, q) {
            seen += 1;
            if wrong {
                continue;
            }
            if seen - 1 == before && !is_after(&h, cursor.as_ref()) {
                before += 1;
            } else if hits.len() < first {
                hits.push(h);
            } else if known.is_some() {
                // The page is full and a hit follows it: the rest is only counted, and the
                // count is known.
                break;
            }
        }
    }
    let total = known.unwrap_or(seen);
    if wrong && total > 0 {
        return Err(other_ordering());
    }
    Ok(Found {
        page: Page {
            has_next: total > before + hits.len(),
            has_previous: before > 0,
            hits,
        },
        total,
    })
}

/// [`find`] by distance: every candidate, as one cell ([`nearest_in_cells`]).
fn nearest<'a, P: Source<'a>>(
    candidates: impl IntoIterator<Item = Candidate<P>>,
    q: &Query,
    first: usize,
    after: Option<&str>,
) -> Result<Found<P>, Invalid> {
    nearest_in_cells(std::iter::once((0.0, candidates)), q, first, after, None)
}

/// Whether [`nearest_in_cells`] answers a search without reading every candidate: nearest
/// first, without a box, within a radius or with the number of hits known.
pub fn by_cells(q: &Query, known_total: Option<usize>) -> bool {
    q.near.is_some() && q.bbox.is_none() && (q.radius_km.is_some() || known_total.is_some())
}

/// [`find`] by distance from cells of candidates visited nearest first ([`Grid::by_distance`]:
/// each with a lower bound of the squared chord to anything in it, all of an enhed's
/// candidates in one cell, in name order). The `first` nearest hits after the cursor are kept
/// in a heap with the farthest on top as the hits stream past (a hit farther than the top is
/// dropped after one comparison), so no list of all hits is made. With the total known (the
/// read model's day counts of enheder with a place) the walk stops at the first cell that is
/// surely farther than the page's last hit and the one after it, so a page costs the cells
/// around the point, not the kommune's size; with a radius it reads the cells within it and
/// counts; otherwise it reads every cell ([`by_cells`] says when cells pay).
///
/// [`Grid::by_distance`]: super::geo::Grid::by_distance
pub fn nearest_in_cells<'a, P: Source<'a>, C: IntoIterator<Item = Candidate<P>>>(
    cells: impl IntoIterator<Item = (f64, C)>,
    q: &Query,
    first: usize,
    after: Option<&str>,
    known_total: Option<usize>,
) -> Result<Found<P>, Invalid> {
    // A box or a radius leaves out hits the day counts count.
    let known = known_total.filter(|_| q.radius_km.is_none() && q.bbox.is_none());
    let cursor = cursor(after)?;
    let wrong = cursor
        .as_ref()
        .is_some_and(|k| matches!(k, SortKey::Name(..)));
    if wrong && known.is_some() {
        return match known {
            Some(0) => Ok(Found {
                page: Page {
                    hits: Vec::new(),
                    has_next: false,
                    has_previous: false,
                },
                total: 0,
            }),
            _ => Err(other_ordering()),
        };
    }
    // Beyond the radius nothing is a hit (with room for the bound's rounding).
    let reach = q.radius_km.map(|r| chord2_of_km(r) * (1.0 + 1e-9) + 1e-18);
    let (mut counted, mut before) = (0usize, 0usize);
    // The `first` + 1 nearest hits after the cursor, the farthest on top.
    let mut heap: std::collections::BinaryHeap<Ranked<P>> =
        std::collections::BinaryHeap::with_capacity(first.min(MAX_PAGE as usize) + 2);
    for (bound, cell) in cells {
        if reach.is_some_and(|r| bound > r) {
            break;
        }
        if known.is_some() && heap.len() > first {
            if let Some(top) = heap.peek() {
                if top.0.chord2.is_some_and(|c2| c2 < bound) {
                    break;
                }
            }
        }
        for h in in_order(cell, q) {
            counted += 1;
            if wrong {
                continue;
            }
            if !is_after(&h, cursor.as_ref()) {
                before += 1;
            } else if heap.len() <= first {
                heap.push(Ranked(h));
            } else if let Some(mut top) = heap.peek_mut() {
                if by_key(&h, &top.0).is_lt() {
                    *top = Ranked(h);
                }
            }
        }
    }
    let total = known.unwrap_or(counted);
    if wrong && total > 0 {
        return Err(other_ordering());
    }
    let mut hits: Vec<Hit<P>> = heap.into_sorted_vec().into_iter().map(|r| r.0).collect();
    let has_next = hits.len() > first;
    hits.truncate(first);
    Ok(Found {
        page: Page {
            hits,
            has_next,
            has_previous: before > 0,
        },
        total,
    })
}

/// A hit ordered as the search orders them (for heaps).
struct Ranked<P>(Hit<P>);

impl<P> PartialEq for Ranked<P> {
    fn eq(&self, o: &Self) -> bool {
        by_key(&self.0, &o.0).is_eq()
    }
}

impl<P> Eq for Ranked<P> {}

impl<P> PartialOrd for Ranked<P> {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl<P> Ord for Ranked<P> {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        by_key(&self.0, &o.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An owned row the candidates borrow from.
    struct Row {
        id: String,
        sort: String,
        sl: String,
        pos: Option<LatLon>,
        startdato: Option<NaiveDate>,
    }

    fn c(id: &str, navn: &str, lat: f64, lon: f64) -> Row {
        Row {
            id: id.into(),
            sort: crate::domain::text::collation_key(navn),
            sl: format!("sl-{id}"),
            pos: LatLon::new(lat, lon),
            startdato: NaiveDate::from_ymd_opt(2026, 1, 1),
        }
    }

    impl<'a> Source<'a> for &'a Row {
        fn enhed_id(self) -> &'a str {
            &self.id
        }
        fn sort(self) -> &'a str {
            &self.sort
        }
        fn sl_id(self) -> &'a str {
            &self.sl
        }
        fn pos(self) -> Option<LatLon> {
            self.pos
        }
    }

    /// The candidates of the rows, numbered in name order as the read model does.
    fn cands(rows: &[Row]) -> Vec<Candidate<&Row>> {
        let mut names: Vec<(&str, &str)> = rows.iter().map(|r| (&*r.sort, &*r.id)).collect();
        names.sort();
        names.dedup();
        rows.iter()
            .map(|r| Candidate {
                startdato: r.startdato,
                seq: names
                    .binary_search(&(&*r.sort, &*r.id))
                    .map_or(u32::MAX, |i| i as u32),
                item: r,
            })
            .collect()
    }

    fn sample_rows() -> Vec<Row> {
        vec![
            c("1", "Åhaven", 56.16, 10.20),
            c("2", "Bøgely", 56.10, 10.10),
            c("3", "Aldersro", 56.30, 10.30),
            c("4", "Aldersro", 56.15, 10.21),
            c("5", "Zenia", 56.50, 10.50),
        ]
    }

    /// R22-R24: the nearest-first pages from cells visited nearest first (stopping early with
    /// the total known, or reading a radius) are the pages of the pass over every candidate, for
    /// every page size and cursor; enheder with two agreements and enheder without a place.
    #[test]
    fn r23_nearest_in_cells_gives_the_pages_of_find() {
        let mut next = crate::domain::test_rng(0x1234_5678_9ABC_DEF1u64);
        let navne = ["Ege", "Birk", "Åhus", "Lind", "Ask", "Ærø", "Bøg"];
        let mut rows = Vec::new();
        for e in 0..300 {
            let lat = 56.0 + next(6000) as f64 * 1e-4;
            let lon = 10.0 + next(6000) as f64 * 1e-4;
            let mut r = c(&format!("e{e}"), navne[next(7) as usize], lat, lon);
            if e % 13 == 0 {
                r.pos = None;
            }
            if e % 5 == 0 {
                // A second agreement of the same enhed (same place), started later.
                let mut two = c(&r.id, navne[0], lat, lon);
                two.sort = r.sort.clone();
                two.pos = r.pos;
                two.sl = format!("sl-{e}-b");
                two.startdato = NaiveDate::from_ymd_opt(2026, 2, 1);
                rows.push(two);
            }
            rows.push(r);
        }
        rows.sort_by(|a, b| (&a.sort, &a.id).cmp(&(&b.sort, &b.id)));
        let all = cands(&rows);
        let grid =
            crate::domain::geo::Grid::new(&rows.iter().map(|r| r.pos).collect::<Vec<_>>(), 8);
        let p = |lat, lon| LatLon::new(lat, lon);
        let queries = [
            (p(56.3, 10.3), None),
            (p(55.0, 12.5), None),
            (p(56.31, 10.29), Some(5.0)),
            (p(56.2, 10.4), Some(60.0)),
            (p(56.0, 10.0), Some(0.5)),
            // Across the date line: bounds near 180° of longitude, where the formula is flat.
            (p(-40.0, -170.0), None),
        ];
        for (near, radius_km) in queries {
            let q = Query {
                near,
                radius_km,
                bbox: None,
            };
            let total = hits(all.clone(), &q).len();
            let known = radius_km.is_none().then_some(total);
            assert!(by_cells(&q, known));
            for size in [0, 1, 7, 30] {
                let mut after: Option<String> = None;
                loop {
                    let want =
                        find(all.iter().copied(), &q, size, after.as_deref(), None).expect("find");
                    let cells = grid
                        .by_distance(q.near.expect("near"))
                        .map(|(b, at)| (b, grid.items()[at].iter().map(|&i| all[i as usize])));
                    let got =
                        nearest_in_cells(cells, &q, size, after.as_deref(), known).expect("cells");
                    let what = format!("{near:?} r {radius_km:?} size {size} after {after:?}");
                    let ids = |f: &Found<&Row>| -> Vec<String> {
                        f.page
                            .hits
                            .iter()
                            .map(|h| format!("{}/{}", h.candidate.item.id, h.candidate.item.sl))
                            .collect()
                    };
                    assert_eq!(ids(&got), ids(&want), "{what}");
                    assert_eq!(got.total, want.total, "{what}");
                    assert_eq!(
                        (got.page.has_next, got.page.has_previous),
                        (want.page.has_next, want.page.has_previous),
                        "{what}"
                    );
                    if !want.page.has_next || size == 0 {
                        break;
                    }
                    after = want.page.hits.last().map(Hit::cursor);
                }
            }
        }
    }

    #[test]
    fn r24_name_order_is_danish_and_stable() {
        let rows = sample_rows();
        let hits = rank(cands(&rows), &Query::default());
        let ids: Vec<_> = hits.iter().map(|h| h.candidate.item.id.as_str()).collect();
        assert_eq!(ids, vec!["3", "4", "2", "5", "1"]);
    }

    #[test]
    fn r24_paging_returns_each_hit_once() {
        let rows = sample_rows();
        let hits = rank(cands(&rows), &Query::default());
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let p = page(&hits, 2, after.as_deref()).expect("page");
            seen.extend(p.hits.iter().map(|h| h.candidate.item.id.to_string()));
            if !p.has_next {
                break;
            }
            after = p.hits.last().map(Hit::cursor);
        }
        assert_eq!(seen, vec!["3", "4", "2", "5", "1"]);
        assert!(page(&hits, 2, Some("not-a-cursor")).is_err());
        assert!(page_size(Some(101)).is_err());
        assert!(page_size(Some(-1)).is_err());
        assert_eq!(page_size(None).expect("default"), 20);
    }

    #[test]
    fn r23_radius_sorts_nearest_first_and_cuts() {
        let center = LatLon::new(56.1535, 10.2045).expect("p");
        let q = Query {
            near: Some(center),
            radius_km: Some(10.0),
            bbox: None,
        };
        let rows = sample_rows();
        let hits = rank(cands(&rows), &q);
        let ids: Vec<_> = hits.iter().map(|h| h.candidate.item.id.as_str()).collect();
        assert_eq!(ids, vec!["4", "1", "2"]);
        assert!(hits
            .windows(2)
            .all(|w| w[0].distance_km() <= w[1].distance_km()));
        assert!(hits
            .iter()
            .all(|h| h.distance_km().is_some_and(|d| d <= 10.0)));
        // A name cursor does not fit a distance ordering.
        let by_name = rank(cands(&rows), &Query::default());
        assert!(page(&hits, 2, Some(&by_name[0].cursor())).is_err());
    }

    #[test]
    fn r23_bbox_and_validation() {
        let b = BBox {
            min_lat: 56.0,
            min_lon: 10.0,
            max_lat: 56.2,
            max_lon: 10.25,
        };
        let rows = sample_rows();
        let hits = rank(
            cands(&rows),
            &Query {
                bbox: Some(b),
                ..Default::default()
            },
        );
        assert_eq!(hits.len(), 3);
        assert!(Query {
            radius_km: Some(5.0),
            ..Default::default()
        }
        .validate()
        .is_err());
        let bad = BBox { min_lat: 57.0, ..b };
        assert!(Query {
            bbox: Some(bad),
            ..Default::default()
        }
        .validate()
        .is_err());
    }

    /// R23/R24: pages by distance, taken from the unsorted hits, walk the full order once.
    #[test]
    fn r24_distance_pages_follow_the_full_order() {
        let mut rows = sample_rows();
        for i in 0..40 {
            let f = f64::from(i);
            rows.push(c(
                &format!("x{i}"),
                &format!("Hus {}", 40 - i),
                56.0 + f * 0.01,
                10.0 + (f * 7.0) % 3.0 * 0.1,
            ));
        }
        // Two enheder at the same distance and name: the id decides.
        rows.push(c("t1", "Tvilling", 56.2, 10.2));
        rows.push(c("t2", "Tvilling", 56.2, 10.2));
        let q = Query {
            near: LatLon::new(56.1535, 10.2045),
            ..Default::default()
        };
        let full: Vec<&str> = rank(cands(&rows), &q)
            .iter()
            .map(|h| h.candidate.item.id.as_str())
            .collect();
        let unsorted = hits(cands(&rows), &q);
        for size in [1, 3, 7, 100] {
            let mut seen = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let p = page(&unsorted, size, after.as_deref()).expect("page");
                assert_eq!(p.has_previous, after.is_some());
                seen.extend(p.hits.iter().map(|h| h.candidate.item.id.as_str()));
                if !p.has_next {
                    break;
                }
                after = p.hits.last().map(Hit::cursor);
            }
            assert_eq!(seen, full, "page size {size}");
        }
        assert_eq!(
            page(&unsorted, 0, None).map(|p| p.has_next).ok(),
            Some(true)
        );
    }

    #[test]
    fn r22_one_hit_per_enhed() {
        let mut rows = sample_rows();
        let mut dup = c("2", "Bøgely", 56.10, 10.10);
        dup.sl = "sl-newer".into();
        dup.startdato = NaiveDate::from_ymd_opt(2026, 5, 1);
        rows.push(dup);
        let hits = rank(cands(&rows), &Query::default());
        assert_eq!(hits.len(), 5);
        let h = hits
            .iter()
            .find(|h| h.candidate.item.id == "2")
            .expect("hit");
        assert_eq!(h.candidate.item.sl.as_str(), "sl-newer");
    }

    /// R22/R24: the streaming search gives the same pages, counts and cursor errors as
    /// paging over all the hits, by name and by distance, with a box and one enhed with two
    /// agreements.
    #[test]
    fn r24_find_gives_the_pages_of_all_hits() {
        let mut rows = sample_rows();
        for i in 0..30 {
            let f = f64::from(i);
            rows.push(c(
                &format!("x{i}"),
                &format!("Hus {}", i % 7),
                56.0 + f * 0.01,
                10.1,
            ));
        }
        let mut dup = c("2", "Bøgely", 56.10, 10.10);
        dup.sl = "sl-newer".into();
        dup.startdato = NaiveDate::from_ymd_opt(2026, 5, 1);
        rows.push(dup);
        let mut sorted = cands(&rows);
        sorted.sort_by_key(|c| c.seq);
        let ids = |p: &Page<&Row>| -> Vec<String> {
            p.hits
                .iter()
                .map(|h| format!("{}/{}", h.candidate.item.id, h.candidate.item.sl))
                .collect()
        };
        let queries = [
            Query::default(),
            Query {
                bbox: Some(BBox {
                    min_lat: 56.05,
                    min_lon: 10.0,
                    max_lat: 56.25,
                    max_lon: 10.3,
                }),
                ..Default::default()
            },
            Query {
                near: LatLon::new(56.1535, 10.2045),
                ..Default::default()
            },
        ];
        for q in &queries {
            let all = hits(sorted.clone(), q);
            for size in [0, 1, 4, 100] {
                let mut after: Option<String> = None;
                loop {
                    let want = page(&all, size, after.as_deref()).expect("page");
                    // Counted by the pass, and with the total known beforehand (the pass then
                    // stops at the page's end): the same page either way.
                    for known in [None, Some(all.len())] {
                        let got = find(sorted.iter().copied(), q, size, after.as_deref(), known)
                            .expect("find");
                        let what = format!("size {size} after {after:?} known {known:?}");
                        assert_eq!(ids(&got.page), ids(&want), "{what}");
                        assert_eq!(got.total, all.len(), "{what}");
                        assert_eq!(
                            (got.page.has_next, got.page.has_previous),
                            (want.has_next, want.has_previous),
                            "{what}"
                        );
                    }
                    if !want.has_next || size == 0 {
                        break;
                    }
                    after = want.hits.last().map(Hit::cursor);
                }
            }
        }
        // A cursor by distance given before ranking by chord ("d", in km) still continues the
        // walk: nothing after it is skipped.
        let by_distance = hits(sorted.clone(), &queries[2]);
        let mut near_sorted = by_distance.clone();
        near_sorted.sort_by(by_key);
        let third = &near_sorted[2];
        let legacy = URL_SAFE_NO_PAD.encode(format!(
            "d\u{1}{:016x}\u{1}{}\u{1}{}",
            third.distance_km().expect("distance").to_bits(),
            third.candidate.item.sort,
            third.candidate.item.id
        ));
        let next = find(sorted.iter().copied(), &queries[2], 4, Some(&legacy), None)
            .expect("legacy cursor");
        let got: Vec<&str> = next
            .page
            .hits
            .iter()
            .map(|h| h.candidate.item.id.as_str())
            .collect();
        let want: Vec<&str> = near_sorted[3..7]
            .iter()
            .map(|h| h.candidate.item.id.as_str())
            .collect();
        assert!(
            got == want || (got[0] == third.candidate.item.id && got[1..] == want[..3]),
            "{got:?} {want:?}"
        );
        // A cursor of the other ordering is refused when there are hits, as by `page`.
        let by_distance = hits(sorted.clone(), &queries[2]);
        let d = by_distance[0].cursor();
        let total = Some(hits(sorted.clone(), &queries[0]).len());
        for known in [None, total] {
            assert!(find(sorted.iter().copied(), &queries[0], 5, Some(&d), known).is_err());
            assert!(find(sorted.iter().copied(), &queries[0], 5, Some("x"), known).is_err());
        }
        assert!(find(
            Vec::<Candidate<&Row>>::new(),
            &queries[0],
            5,
            Some(&d),
            None
        )
        .is_ok());
        assert!(find(
            Vec::<Candidate<&Row>>::new(),
            &queries[0],
            5,
            Some(&d),
            Some(0)
        )
        .is_ok());
        let n = hits(sorted.clone(), &queries[0])[0].cursor();
        assert!(find(sorted.iter().copied(), &queries[2], 5, Some(&n), None).is_err());
        // A box's hits are counted by the pass whatever total is offered.
        let boxed = find(sorted.iter().copied(), &queries[1], 100, None, Some(999)).expect("find");
        assert_eq!(boxed.total, hits(sorted.clone(), &queries[1]).len());
    }
}
