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
