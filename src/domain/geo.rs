//! Geometry: distances (R23), bounding boxes, and which kommune a point lies in (R17).
use geo::{BoundingRect, Contains, Coord, LineString, MultiPolygon, Point, Polygon, Rect};

/// Mean Earth radius in km (IUGG), as used by the haversine formula.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

impl LatLon {
    /// A WGS84 point, or `None` when a coordinate is not finite or out of range.
    pub fn new(lat: f64, lon: f64) -> Option<Self> {
        (lat.is_finite()
            && lon.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon))
        .then_some(Self { lat, lon })
    }
}

/// Great-circle distance in km (R23), through the points' unit vectors ([`Unit`]).
pub fn distance_km(a: LatLon, b: LatLon) -> f64 {
    km_of_chord2(a.unit().chord2(b.unit()))
}

impl LatLon {
    /// The point as a unit vector from the Earth's centre.
    pub fn unit(self) -> Unit {
        let (p, l) = (self.lat.to_radians(), self.lon.to_radians());
        Unit([p.cos() * l.cos(), p.cos() * l.sin(), p.sin()])
    }
}

/// A point as a unit vector. The squared chord between two of them orders pairs of points as
/// their great-circle distance does, and costs six multiplications and additions where the
/// distance costs sines and cosines: the search ranks by it and turns only the page's hits into
/// kilometres ([`km_of_chord2`]). A read model keeps each enhed's vector, computed once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unit([f64; 3]);

impl Unit {
    /// The squared length of the chord between two points (0..=4).
    pub fn chord2(self, o: Unit) -> f64 {
        let [a, b, c] = self.0;
        let [x, y, z] = o.0;
        (a - x) * (a - x) + (b - y) * (b - y) + (c - z) * (c - z)
    }
}

/// The great-circle distance in km of a squared chord ([`Unit::chord2`]).
pub fn km_of_chord2(chord2: f64) -> f64 {
    2.0 * EARTH_RADIUS_KM * (chord2.max(0.0).sqrt() / 2.0).min(1.0).asin()
}

/// The squared chord of a great-circle distance in km (the inverse of [`km_of_chord2`]).
pub fn chord2_of_km(km: f64) -> f64 {
    (2.0 * (km / (2.0 * EARTH_RADIUS_KM))
        .min(std::f64::consts::FRAC_PI_2)
        .sin())
    .powi(2)
}

/// Points (by their index in a list) in cells, to visit them nearest first from any point:
/// [`Grid::by_distance`] gives the cells by a lower bound of the squared chord from the point to
/// anything in them, so a search for the nearest few reads the cells near the point and stops
/// where the next cell is surely farther than what it has (R23, `search::nearest_in_cells`),
/// instead of measuring every point.
///
/// The cells are the leaves of a k-d tree, and the tree is kept: a visit goes down from the root,
/// best bound first, so it bounds the few nodes on the way to the cells it reads rather than
/// every cell (a kommune at a hundred times Denmark's data has some 700 cells; bounding them all
/// was most of what a nearest-first page costs more there, `benches/README.md`).
///
/// Each node keeps the box of its own points (not its share of the plane): that box surely
/// holds them, whatever the rounding when they were placed, and a node's box holds its
/// children's, so a node's bound is never above theirs.
#[derive(Clone, Debug, Default)]
pub struct Grid {
    /// Cell `c`'s points are `items[start[c]..start[c + 1]]`, in ascending index.
    start: Vec<u32>,
    items: Vec<u32>,
    /// The tree, children before their parent; the root last.
    nodes: Vec<Node>,
}

#[derive(Clone, Debug)]
struct Node {
    b: BBox,
    /// The smaller cosine of the box's edge latitudes (for its bound).
    cos_min: f64,
    kind: NodeKind,
}

#[derive(Clone, Copy, Debug)]
enum NodeKind {
    Cell(u32),
    Split(u32, u32),
}

/// How [`halve`] split the points: a leaf (its index in the leaves) or two halves.
enum Shape {
    Leaf(usize),
    Split(Box<Shape>, Box<Shape>),
}

impl Grid {
    /// Cells of at most about `per_cell` points (points without a place are left out): the
    /// points are halved at the median, across latitude and longitude in turn, until a half is
    /// small enough (a k-d tree's leaves), so that dense and sparse parts of a kommune get cells
    /// of the same size. Points at one place always share a cell (all of an enhed's offers are
    /// in one cell, which R22's one hit per enhed relies on); the points of a cell are in
    /// ascending index.
    pub fn new(points: &[Option<LatLon>], per_cell: usize) -> Grid {
        let mut placed: Vec<(u32, LatLon)> = points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((u32::try_from(i).ok()?, (*p)?)))
            .collect();
        let mut leaves = Vec::new();
        let shape = halve(&mut placed, per_cell.max(1), true, 0, &mut leaves);
        let mut grid = Grid {
            start: vec![0],
            ..Grid::default()
        };
        // Each leaf's node (none for an empty one).
        let mut leaf_nodes: Vec<Option<u32>> = Vec::with_capacity(leaves.len());
        for range in leaves {
            let cell = &mut placed[range];
            cell.sort_unstable_by_key(|(i, _)| *i);
            let Some(&(_, first)) = cell.first() else {
                leaf_nodes.push(None);
                continue;
            };
            let mut b = BBox {
                min_lat: first.lat,
                min_lon: first.lon,
                max_lat: first.lat,
                max_lon: first.lon,
            };
            for (i, p) in cell.iter() {
                b.min_lat = b.min_lat.min(p.lat);
                b.max_lat = b.max_lat.max(p.lat);
                b.min_lon = b.min_lon.min(p.lon);
                b.max_lon = b.max_lon.max(p.lon);
                grid.items.push(*i);
            }
            let c = grid.start.len() as u32 - 1;
            grid.start.push(grid.items.len() as u32);
            leaf_nodes.push(Some(grid.push(b, NodeKind::Cell(c))));
        }
        grid.build(&shape, &leaf_nodes);
        grid
    }

    fn push(&mut self, b: BBox, kind: NodeKind) -> u32 {
        let cos_min = b
            .min_lat
            .to_radians()
            .cos()
            .min(b.max_lat.to_radians().cos())
            .max(0.0);
        self.nodes.push(Node { b, cos_min, kind });
        self.nodes.len() as u32 - 1
    }

    /// The nodes above the leaves, children first (so the root is pushed last).
    fn build(&mut self, shape: &Shape, leaf_nodes: &[Option<u32>]) -> Option<u32> {
        match shape {
            Shape::Leaf(l) => leaf_nodes.get(*l).copied().flatten(),
            Shape::Split(left, right) => {
                match (self.build(left, leaf_nodes), self.build(right, leaf_nodes)) {
                    (Some(a), Some(b)) => {
                        let (x, y) = (self.nodes[a as usize].b, self.nodes[b as usize].b);
                        let union = BBox {
                            min_lat: x.min_lat.min(y.min_lat),
                            min_lon: x.min_lon.min(y.min_lon),
                            max_lat: x.max_lat.max(y.max_lat),
                            max_lon: x.max_lon.max(y.max_lon),
                        };
                        Some(self.push(union, NodeKind::Split(a, b)))
                    }
                    (one, None) | (None, one) => one,
                }
            }
        }
    }

    /// The points of all cells, cell after cell ([`Grid::by_distance`] gives ranges of it).
    pub fn items(&self) -> &[u32] {
        &self.items
    }

    /// The cells as (a lower bound of the squared chord from `p` to any of their points, the
    /// range of [`Grid::items`] that holds their points), nearest bound first: the tree's nodes
    /// in a heap by bound, a node replaced by its children when taken, so a search that stops
    /// after a few cells pays for the nodes on their way, not for every cell.
    pub fn by_distance(
        &self,
        p: LatLon,
    ) -> impl Iterator<Item = (f64, std::ops::Range<usize>)> + '_ {
        let cos_p = p.lat.to_radians().cos().max(0.0);
        let bound = move |n: u32| {
            let node = &self.nodes[n as usize];
            Cell(chord2_lower_bound(p, cos_p, &node.b, node.cos_min), n)
        };
        let mut heap = std::collections::BinaryHeap::with_capacity(64);
        if let Some(root) = self.nodes.len().checked_sub(1) {
            heap.push(bound(root as u32));
        }
        std::iter::from_fn(move || loop {
            let Cell(b, n) = heap.pop()?;
            match self.nodes[n as usize].kind {
                NodeKind::Cell(c) => {
                    let c = c as usize;
                    return Some((b, self.start[c] as usize..self.start[c + 1] as usize));
                }
                NodeKind::Split(left, right) => {
                    // A node's bound holds for its children's points too, and keeps the cells
                    // in order where the formula is not monotone (gaps near 180°).
                    for child in [left, right] {
                        let Cell(cb, child) = bound(child);
                        heap.push(Cell(cb.max(b), child));
                    }
                }
            }
        })
    }
}

/// Splits `points` (at `base` in the whole list) at the median place along latitude (`lat`) or
/// longitude until each part has at most `per_cell` points or all its points are at one place,
/// and adds the parts' ranges to `leaves`; gives the splits made. Points at the same place stay
/// on one side.
fn halve(
    points: &mut [(u32, LatLon)],
    per_cell: usize,
    lat: bool,
    base: usize,
    leaves: &mut Vec<std::ops::Range<usize>>,
) -> Shape {
    let n = points.len();
    let leaf = |leaves: &mut Vec<std::ops::Range<usize>>| {
        leaves.push(base..base + n);
        Shape::Leaf(leaves.len() - 1)
    };
    if n <= per_cell {
        return leaf(leaves);
    }
    let order = |a: &LatLon, b: &LatLon| {
        let (a, b) = if lat {
            ((a.lat, a.lon), (b.lat, b.lon))
        } else {
            ((a.lon, a.lat), (b.lon, b.lat))
        };
        a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1))
    };
    let mid = n / 2;
    points.select_nth_unstable_by(mid, |a, b| order(&a.1, &b.1));
    let pivot = points[mid].1;
    // The points at the pivot's place go right with it; if nothing is left of them, left.
    let below = partition(&mut points[..mid], |p| order(&p.1, &pivot).is_lt());
    let split = if below > 0 {
        below
    } else {
        mid + partition(&mut points[mid..], |p| order(&p.1, &pivot).is_eq())
    };
    if split == 0 || split == n {
        // All at one place: one cell, however many.
        return leaf(leaves);
    }
    let (left, right) = points.split_at_mut(split);
    let left = halve(left, per_cell, !lat, base, leaves);
    let right = halve(right, per_cell, !lat, base + split, leaves);
    Shape::Split(Box::new(left), Box::new(right))
}

/// Moves the items for which `first` holds to the front; how many there are. (The standard
/// library's in-place partition is not stable Rust yet.)
fn partition<T>(items: &mut [T], first: impl Fn(&T) -> bool) -> usize {
    let mut k = 0;
    for i in 0..items.len() {
        if first(&items[i]) {
            items.swap(i, k);
            k += 1;
        }
    }
    k
}

/// A node in the heap of [`Grid::by_distance`]: the nearest bound on top.
struct Cell(f64, u32);

impl PartialEq for Cell {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o).is_eq()
    }
}

impl Eq for Cell {}

impl PartialOrd for Cell {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Cell {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        o.0.total_cmp(&self.0).then(o.1.cmp(&self.1))
    }
}

/// A lower bound of the squared chord ([`Unit::chord2`]) from `p` to any point in `b`, given
/// cos φ of `p` and the smaller cosine of `b`'s edge latitudes.
///
/// With h = sin²(Δφ/2) + cos φ₁ cos φ₂ sin²(Δλ/2) (the haversine of the distance) the squared
/// chord is 4h; Δφ is at least the latitude gap to the box, Δλ (taken the short way round) at
/// least the longitude gap, and cos φ₂ at least its smaller value on the box's edges, so each
/// term is bounded below, and sin y ≥ y - y³/6 for y ≥ 0 bounds the sines without computing
/// them. The result is lowered by more than the rounding of a chord computed from unit vectors
/// (about 2e-15 of a chord) so that it never exceeds one.
fn chord2_lower_bound(p: LatLon, cos_p: f64, b: &BBox, cos_box: f64) -> f64 {
    let gap_lat = (b.min_lat - p.lat)
        .max(p.lat - b.max_lat)
        .max(0.0)
        .to_radians();
    let gap_lon = if (b.min_lon..=b.max_lon).contains(&p.lon) {
        0.0
    } else {
        let east = (b.min_lon - p.lon).rem_euclid(360.0);
        let west = (p.lon - b.max_lon).rem_euclid(360.0);
        east.min(west).min(180.0).to_radians()
    };
    let sin_below = |y: f64| (y - y * y * y / 6.0).max(0.0);
    let h = sin_below(gap_lat / 2.0).powi(2) + cos_p * cos_box * sin_below(gap_lon / 2.0).powi(2);
    let chord = (4.0 * h).sqrt() * (1.0 - 1e-9) - 1e-14;
    if chord > 0.0 {
        chord * chord
    } else {
        0.0
    }
}

/// A latitude/longitude box, inclusive on all sides.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BBox {
    pub min_lat: f64,
    pub min_lon: f64,
    pub max_lat: f64,
    pub max_lon: f64,
}

impl BBox {
    pub fn contains(&self, p: LatLon) -> bool {
        (self.min_lat..=self.max_lat).contains(&p.lat)
            && (self.min_lon..=self.max_lon).contains(&p.lon)
    }

    /// A box that surely contains every point within `radius_km` of `center`, to narrow a
    /// radius search in SQL before the exact distance is computed.
    pub fn around(center: LatLon, radius_km: f64) -> BBox {
        let dlat = (radius_km / EARTH_RADIUS_KM).to_degrees() * 1.01;
        let cos = center.lat.to_radians().cos().abs().max(0.01);
        let dlon = (dlat / cos).min(180.0);
        BBox {
            min_lat: (center.lat - dlat).max(-90.0),
            max_lat: (center.lat + dlat).min(90.0),
            min_lon: (center.lon - dlon).max(-180.0),
            max_lon: (center.lon + dlon).min(180.0),
        }
    }

    /// The intersection of two boxes, or `None` when they do not meet.
    pub fn intersect(&self, o: &BBox) -> Option<BBox> {
        let b = BBox {
            min_lat: self.min_lat.max(o.min_lat),
            min_lon: self.min_lon.max(o.min_lon),
            max_lat: self.max_lat.min(o.max_lat),
            max_lon: self.max_lon.min(o.max_lon),
        };
        (b.min_lat <= b.max_lat && b.min_lon <= b.max_lon).then_some(b)
    }
}

/// The kommune boundaries, to find which kommune a point lies in.
pub struct Boundaries {
    areas: Vec<(String, Rect<f64>, MultiPolygon<f64>)>,
}

impl Boundaries {
    /// Reads a GeoJSON FeatureCollection whose features have a `kode` property and a Polygon or
    /// MultiPolygon geometry (lon/lat).
    pub fn from_geojson(text: &str) -> Result<Self, String> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let features = v["features"].as_array().ok_or("features mangler")?;
        let mut areas = Vec::with_capacity(features.len());
        for f in features {
            let kode = f["properties"]["kode"]
                .as_str()
                .ok_or("kode mangler")?
                .to_string();
            let mp = multipolygon_from_geojson(&f["geometry"])?;
            if let Some(rect) = mp.bounding_rect() {
                areas.push((kode, rect, mp));
            }
        }
        Ok(Self { areas })
    }

    /// The kode of the kommune whose boundary contains the point, if any.
    pub fn kommune_at(&self, p: LatLon) -> Option<&str> {
        let pt = Point::new(p.lon, p.lat);
        let c: Coord<f64> = pt.into();
        self.areas
            .iter()
            .filter(|(_, r, _)| {
                r.min().x <= c.x && c.x <= r.max().x && r.min().y <= c.y && c.y <= r.max().y
            })
            .find(|(_, _, mp)| mp.contains(&pt))
            .map(|(k, _, _)| k.as_str())
    }

    /// The boundary of a kommune by kode.
    pub fn of(&self, kode: &str) -> Option<&MultiPolygon<f64>> {
        self.areas
            .iter()
            .find(|(k, _, _)| k == kode)
            .map(|(_, _, mp)| mp)
    }

    pub fn len(&self) -> usize {
        self.areas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }
}

/// Converts a GeoJSON Polygon or MultiPolygon geometry to a `geo` MultiPolygon.
pub fn multipolygon_from_geojson(g: &serde_json::Value) -> Result<MultiPolygon<f64>, String> {
    fn ring(v: &serde_json::Value) -> Result<LineString<f64>, String> {
        let pts = v.as_array().ok_or("ring")?;
        pts.iter()
            .map(|p| match (p[0].as_f64(), p[1].as_f64()) {
                (Some(x), Some(y)) => Ok(Coord { x, y }),
                _ => Err("koordinat".to_string()),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(LineString::new)
    }
    fn polygon(v: &serde_json::Value) -> Result<Polygon<f64>, String> {
        let rings = v.as_array().ok_or("polygon")?;
        let mut it = rings.iter();
        let exterior = ring(it.next().ok_or("tom polygon")?)?;
        let interiors = it.map(ring).collect::<Result<Vec<_>, _>>()?;
        Ok(Polygon::new(exterior, interiors))
    }
    let coords = &g["coordinates"];
    match g["type"].as_str() {
        Some("Polygon") => Ok(MultiPolygon(vec![polygon(coords)?])),
        Some("MultiPolygon") => Ok(MultiPolygon(
            coords
                .as_array()
                .ok_or("multipolygon")?
                .iter()
                .map(polygon)
                .collect::<Result<_, _>>()?,
        )),
        other => Err(format!("ukendt geometri {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_copenhagen_aarhus_is_about_157_km() {
        let cph = LatLon::new(55.6761, 12.5683).expect("point");
        let aar = LatLon::new(56.1629, 10.2039).expect("point");
        let d = distance_km(cph, aar);
        assert!((d - 156.9).abs() < 1.5, "{d}");
        assert_eq!(distance_km(cph, cph), 0.0);
    }

    /// R23: the distance through unit vectors agrees with the haversine formula (to a
    /// micrometre), near and far, and the chord orders points as the distance does.
    #[test]
    fn chord_distance_agrees_with_haversine() {
        fn haversine(a: LatLon, b: LatLon) -> f64 {
            let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
            let (dp, dl) = (p2 - p1, (b.lon - a.lon).to_radians());
            let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
            2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
        }
        let c = LatLon::new(56.1535, 10.2045).expect("point");
        let mut last = (0.0, 0.0);
        for i in 1..2000 {
            let step = i as f64 * 1e-4 * (1.0 + (i % 7) as f64);
            let p = LatLon::new(c.lat + step * 0.3, c.lon + step).expect("point");
            let (d, h) = (distance_km(c, p), haversine(c, p));
            assert!((d - h).abs() < 1e-9, "{d} {h}");
            let c2 = c.unit().chord2(p.unit());
            assert!((chord2_of_km(d) - c2).abs() <= 1e-15 + c2 * 1e-12);
            if i % 7 == 0 {
                last = (0.0, 0.0);
            }
            assert!(c2 > last.0 && d >= last.1);
            last = (c2, d);
        }
        let antipode = LatLon::new(-56.1535, -169.7955).expect("point");
        assert!((distance_km(c, antipode) - std::f64::consts::PI * EARTH_RADIUS_KM).abs() < 1e-6);
    }

    /// R23: a cell's bound is never above the chord to any of its points, from points near,
    /// far, inside the grid and across the date line.
    #[test]
    fn grid_bounds_are_below_every_chord() {
        let mut next = crate::domain::test_rng(0x2545_F491_4F6C_DD1D);
        let mut unit = move || next(1 << 53) as f64 / (1u64 << 53) as f64;
        let points: Vec<Option<LatLon>> = (0..3000)
            .map(|i| {
                (i % 17 != 0)
                    .then(|| LatLon::new(54.5 + unit() * 3.0, 8.0 + unit() * 7.0).expect("point"))
            })
            .collect();
        let grid = Grid::new(&points, 16);
        let mut seen = vec![false; points.len()];
        for probe in 0..200 {
            let p = match probe % 4 {
                0 => LatLon::new(54.5 + unit() * 3.0, 8.0 + unit() * 7.0),
                1 => LatLon::new(-80.0 + unit() * 160.0, -180.0 + unit() * 360.0),
                2 => LatLon::new(55.0, -179.9 + unit() * 0.2),
                _ => points[(unit() * 2999.0) as usize].or(LatLon::new(56.0, 10.0)),
            }
            .expect("probe");
            let cells: Vec<(f64, std::ops::Range<usize>)> = grid.by_distance(p).collect();
            assert!(cells.windows(2).all(|w| w[0].0 <= w[1].0));
            for (bound, items) in cells {
                for &i in &grid.items()[items] {
                    let q = points[i as usize].expect("placed");
                    let c2 = p.unit().chord2(q.unit());
                    assert!(bound <= c2, "{bound} > {c2} for {p:?} and {q:?}");
                    seen[i as usize] = true;
                }
            }
        }
        // Points at one place share a cell, also when a place has more points than a cell.
        let mut shared: Vec<Option<LatLon>> = points.clone();
        for i in 0..shared.len() {
            if i % 3 == 0 {
                shared[i] = shared[i / 50 * 50];
            }
        }
        shared.extend(std::iter::repeat_n(LatLon::new(55.5, 9.5), 40));
        let g = Grid::new(&shared, 16);
        let mut cell_of = vec![usize::MAX; shared.len()];
        for (c, (_, at)) in g
            .by_distance(LatLon::new(56.0, 10.0).expect("p"))
            .enumerate()
        {
            for &i in &g.items()[at.clone()] {
                assert_eq!(cell_of[i as usize], usize::MAX, "point {i} in two cells");
                cell_of[i as usize] = c;
            }
            assert!(
                g.items()[at].windows(2).all(|w| w[0] < w[1]),
                "ascending in a cell"
            );
        }
        for i in 0..shared.len() {
            for j in 0..i {
                if shared[i].is_some() && shared[i] == shared[j] {
                    assert_eq!(cell_of[i], cell_of[j], "points {i} and {j} at one place");
                }
            }
        }
        // Every placed point is in exactly one cell; the others in none.
        for (i, p) in points.iter().enumerate() {
            assert_eq!(seen[i], p.is_some(), "point {i}");
        }
        let total: usize = grid
            .by_distance(LatLon::new(56.0, 10.0).expect("p"))
            .map(|c| c.1.len())
            .sum();
        assert_eq!(total, points.iter().flatten().count());
    }

    #[test]
    fn bbox_around_contains_the_circle() {
        let c = LatLon::new(56.15, 10.2).expect("point");
        let b = BBox::around(c, 5.0);
        for bearing in 0..36 {
            let a = (bearing as f64 * 10.0).to_radians();
            let p = LatLon::new(
                c.lat + 0.0449 * a.cos(),
                c.lon + 0.0449 / c.lat.to_radians().cos() * a.sin(),
            )
            .expect("point");
            assert!(distance_km(c, p) < 5.01);
            assert!(b.contains(p), "{p:?} outside {b:?}");
        }
    }

    #[test]
    fn invalid_points_are_refused() {
        assert!(LatLon::new(91.0, 0.0).is_none());
        assert!(LatLon::new(f64::NAN, 0.0).is_none());
        assert!(LatLon::new(0.0, 180.5).is_none());
    }

    #[test]
    fn r17_points_fall_in_their_kommune() {
        let b =
            Boundaries::from_geojson(include_str!("../../data/kommuner.geojson")).expect("geojson");
        assert_eq!(b.len(), 98);
        // Aarhus C, Rådhuspladsen in København, Rønne on Bornholm, Skagen.
        assert_eq!(
            b.kommune_at(LatLon {
                lat: 56.1535,
                lon: 10.2045
            }),
            Some("0751")
        );
        assert_eq!(
            b.kommune_at(LatLon {
                lat: 55.6757,
                lon: 12.5691
            }),
            Some("0101")
        );
        assert_eq!(
            b.kommune_at(LatLon {
                lat: 55.1003,
                lon: 14.7065
            }),
            Some("0400")
        );
        assert_eq!(
            b.kommune_at(LatLon {
                lat: 57.7209,
                lon: 10.5839
            }),
            Some("0813")
        );
        // The North Sea is no kommune.
        assert_eq!(
            b.kommune_at(LatLon {
                lat: 56.0,
                lon: 7.0
            }),
            None
        );
    }
}
