//! The citizen page's map (issue 21): a kommune's outline from the shipped boundaries as an SVG
//! path, and the projection that places the offers on it. No tiles and no other host: the map
//! is the outline and numbered points, the list beside it is its text alternative.
use geo::{BoundingRect, MultiPolygon};

/// Width of the drawing in SVG units; the height follows the kommune's shape.
pub const WIDTH: f64 = 600.0;
/// Blank space around the outline, so that points on the edge are drawn whole.
pub const MARGIN: f64 = 16.0;

/// An equirectangular projection scaled to the kommune (at Danish latitudes and a kommune's
/// size, straight enough): `x = margin + (lon - min_lon) * x_per_degree`,
/// `y = margin + (max_lat - lat) * y_per_degree`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Projection {
    pub min_lon: f64,
    pub max_lat: f64,
    pub x_per_degree: f64,
    pub y_per_degree: f64,
}

impl Projection {
    pub fn place(&self, lat: f64, lon: f64) -> (f64, f64) {
        (
            MARGIN + (lon - self.min_lon) * self.x_per_degree,
            MARGIN + (self.max_lat - lat) * self.y_per_degree,
        )
    }
}

/// A kommune drawn: its size, its outline as an SVG path and the projection.
#[derive(Clone, Debug, PartialEq)]
pub struct Outline {
    pub width: f64,
    pub height: f64,
    pub path: String,
    pub projection: Projection,
}

/// The outline of a (multi)polygon in lon/lat: every ring as `M … L … Z`, in tenths of a unit,
/// leaving out points closer than one unit to the last one kept (a kommune's 5,000 points
/// become a few hundred, invisible at this size).
pub fn outline(mp: &MultiPolygon<f64>) -> Option<Outline> {
    let r = mp.bounding_rect()?;
    let (min, max) = (r.min(), r.max());
    let span_lon = (max.x - min.x).max(1e-6);
    let span_lat = (max.y - min.y).max(1e-6);
    let cos = ((min.y + max.y) / 2.0).to_radians().cos();
    let y_per_degree = (WIDTH - 2.0 * MARGIN) / (span_lon * cos);
    let projection = Projection {
        min_lon: min.x,
        max_lat: max.y,
        x_per_degree: y_per_degree * cos,
        y_per_degree,
    };
    let mut path = String::new();
    let rings =
        mp.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()));
    for ring in rings {
        let mut last: Option<(f64, f64)> = None;
        let mut n = 0;
        for c in ring.coords() {
            let (x, y) = projection.place(c.y, c.x);
            if last.is_some_and(|(lx, ly)| (lx - x).abs() < 1.0 && (ly - y).abs() < 1.0) {
                continue;
            }
            path.push_str(if n == 0 { "M" } else { "L" });
            path.push_str(&format!("{:.1} {:.1}", x, y));
            last = Some((x, y));
            n += 1;
        }
        if n > 0 {
            path.push('Z');
        }
    }
    Some(Outline {
        width: WIDTH,
        height: span_lat * y_per_degree + 2.0 * MARGIN,
        path,
        projection,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};

    #[test]
    fn a_square_is_drawn_within_the_margin_and_points_land_inside() {
        let sq = Polygon::new(
            LineString::from(vec![
                (10.0, 56.0),
                (10.2, 56.0),
                (10.2, 56.1),
                (10.0, 56.1),
                (10.0, 56.0),
            ]),
            vec![],
        );
        let o = outline(&MultiPolygon(vec![sq])).expect("outline");
        assert!(o.path.starts_with("M16.0 "), "{}", o.path);
        assert!(o.path.ends_with('Z'));
        let (x, y) = o.projection.place(56.05, 10.1);
        assert!((x - WIDTH / 2.0).abs() < 0.01, "{x}");
        assert!(y > MARGIN && y < o.height - MARGIN, "{y}");
        let (x, _) = o.projection.place(56.0, 10.2);
        assert!((x - (WIDTH - MARGIN)).abs() < 0.01);
    }
}
