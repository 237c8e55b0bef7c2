//! The public search's ranking and paging (R20-R24): exact radius and box filters, one hit per
//! enhed, sorting by name (Danish collation) or by distance, and opaque keyset cursors.
use super::geo::{distance_km, BBox, LatLon};
use super::text::collation_key;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDate;

pub const DEFAULT_PAGE: i32 = 20;
pub const MAX_PAGE: i32 = 100;
pub const MAX_RADIUS_KM: f64 = 1000.0;

/// One agreement of the kommune that the store found active, public and of the asked kind.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub enhed_id: String,
    pub navn: String,
    pub pos: Option<LatLon>,
    pub sl_id: String,
    pub startdato: Option<NaiveDate>,
}

/// A ranked hit: the candidate and, with `near`, its distance.
#[derive(Clone, Debug)]
pub struct Hit {
    pub candidate: Candidate,
    pub distance_km: Option<f64>,
    key: SortKey,
}

impl Hit {
    pub fn cursor(&self) -> String {
        self.key.encode()
    }
}

#[derive(Clone, Debug, PartialEq, PartialOrd)]
enum SortKey {
    Name(String, String),
    Distance(f64, String, String),
}

impl SortKey {
    fn encode(&self) -> String {
        let raw = match self {
            SortKey::Name(k, id) => format!("n\u{1}{k}\u{1}{id}"),
            SortKey::Distance(d, k, id) => format!("d\u{1}{:016x}\u{1}{k}\u{1}{id}", d.to_bits()),
        };
        URL_SAFE_NO_PAD.encode(raw)
    }

    fn decode(s: &str) -> Option<SortKey> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
        let parts: Vec<&str> = raw.split('\u{1}').collect();
        match parts.as_slice() {
            ["n", k, id] => Some(SortKey::Name(k.to_string(), id.to_string())),
            ["d", bits, k, id] => {
                let d = f64::from_bits(u64::from_str_radix(bits, 16).ok()?);
                d.is_finite()
                    .then(|| SortKey::Distance(d, k.to_string(), id.to_string()))
            }
            _ => None,
        }
    }
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

/// Applies the exact filters, keeps one agreement per enhed (the most recently started, then
/// the lowest id) and sorts: by distance with `near` (enheder without a location last out),
/// otherwise by name in Danish collation; ties broken by enhed id so the order is stable.
pub fn rank(candidates: Vec<Candidate>, q: &Query) -> Vec<Hit> {
    let mut best: std::collections::HashMap<String, Candidate> = std::collections::HashMap::new();
    for c in candidates {
        match best.get(&c.enhed_id) {
            Some(b)
                if (b.startdato, std::cmp::Reverse(&b.sl_id))
                    >= (c.startdato, std::cmp::Reverse(&c.sl_id)) => {}
            _ => {
                best.insert(c.enhed_id.clone(), c);
            }
        }
    }
    let mut hits: Vec<Hit> = best
        .into_values()
        .filter_map(|c| {
            if let Some(b) = q.bbox {
                if !c.pos.is_some_and(|p| b.contains(p)) {
                    return None;
                }
            }
            let distance = match (q.near, c.pos) {
                (Some(n), Some(p)) => Some(distance_km(n, p)),
                (Some(_), None) => return None,
                _ => None,
            };
            if let (Some(r), Some(d)) = (q.radius_km, distance) {
                if d > r {
                    return None;
                }
            }
            let name_key = collation_key(&c.navn);
            let key = match distance {
                Some(d) => SortKey::Distance(d, name_key, c.enhed_id.clone()),
                None => SortKey::Name(name_key, c.enhed_id.clone()),
            };
            Some(Hit {
                candidate: c,
                distance_km: distance,
                key,
            })
        })
        .collect();
    hits.sort_by(|a, b| {
        a.key
            .partial_cmp(&b.key)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    hits
}

/// One page of ranked hits.
pub struct Page<'a> {
    pub hits: &'a [Hit],
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

/// The page of `first` hits after the cursor `after` (R24). A cursor that is not one of ours, or
/// that belongs to the other ordering, is refused.
pub fn page<'a>(hits: &'a [Hit], first: usize, after: Option<&str>) -> Result<Page<'a>, Invalid> {
    let start = match after {
        None => 0,
        Some(c) => {
            let key = SortKey::decode(c).ok_or_else(|| invalid("after", "Ugyldig cursor."))?;
            let same_kind = matches!(
                (&key, hits.first().map(|h| &h.key)),
                (SortKey::Name(..), Some(SortKey::Name(..)) | None)
                    | (SortKey::Distance(..), Some(SortKey::Distance(..)) | None)
            );
            if !same_kind {
                return Err(invalid("after", "Cursoren hører til en anden sortering."));
            }
            hits.partition_point(|h| h.key.partial_cmp(&key).is_some_and(|o| o.is_le()))
        }
    };
    let end = (start + first).min(hits.len());
    Ok(Page {
        hits: &hits[start..end],
        has_next: end < hits.len(),
        has_previous: start > 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: &str, navn: &str, lat: f64, lon: f64) -> Candidate {
        Candidate {
            enhed_id: id.into(),
            navn: navn.into(),
            pos: LatLon::new(lat, lon),
            sl_id: format!("sl-{id}"),
            startdato: NaiveDate::from_ymd_opt(2026, 1, 1),
        }
    }

    fn sample() -> Vec<Candidate> {
        vec![
            c("1", "Åhaven", 56.16, 10.20),
            c("2", "Bøgely", 56.10, 10.10),
            c("3", "Aldersro", 56.30, 10.30),
            c("4", "Aldersro", 56.15, 10.21),
            c("5", "Zenia", 56.50, 10.50),
        ]
    }

    #[test]
    fn r24_name_order_is_danish_and_stable() {
        let hits = rank(sample(), &Query::default());
        let ids: Vec<_> = hits.iter().map(|h| h.candidate.enhed_id.as_str()).collect();
        assert_eq!(ids, vec!["3", "4", "2", "5", "1"]);
    }

    #[test]
    fn r24_paging_returns_each_hit_once() {
        let hits = rank(sample(), &Query::default());
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let p = page(&hits, 2, after.as_deref()).expect("page");
            seen.extend(p.hits.iter().map(|h| h.candidate.enhed_id.clone()));
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
        let hits = rank(sample(), &q);
        let ids: Vec<_> = hits.iter().map(|h| h.candidate.enhed_id.as_str()).collect();
        assert_eq!(ids, vec!["4", "1", "2"]);
        assert!(hits
            .windows(2)
            .all(|w| w[0].distance_km <= w[1].distance_km));
        assert!(hits
            .iter()
            .all(|h| h.distance_km.is_some_and(|d| d <= 10.0)));
        // A name cursor does not fit a distance ordering.
        let by_name = rank(sample(), &Query::default());
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
        let hits = rank(
            sample(),
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

    #[test]
    fn one_hit_per_enhed() {
        let mut v = sample();
        let mut dup = c("2", "Bøgely", 56.10, 10.10);
        dup.sl_id = "sl-newer".into();
        dup.startdato = NaiveDate::from_ymd_opt(2026, 5, 1);
        v.push(dup);
        let hits = rank(v, &Query::default());
        assert_eq!(hits.len(), 5);
        let h = hits
            .iter()
            .find(|h| h.candidate.enhed_id == "2")
            .expect("hit");
        assert_eq!(h.candidate.sl_id, "sl-newer");
    }
}
