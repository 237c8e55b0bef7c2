//! Finding a kommune by kode or name (R20), and by location (R17).
use super::geo::{Boundaries, LatLon};
use super::text::loose;

pub struct KommuneIndex {
    /// (kode, navn, loose name key)
    entries: Vec<(String, String, String)>,
    pub boundaries: Boundaries,
}

impl KommuneIndex {
    pub fn new(
        kommuner: impl IntoIterator<Item = (String, String)>,
        boundaries: Boundaries,
    ) -> Self {
        let entries = kommuner
            .into_iter()
            .map(|(kode, navn)| (kode, loose(&navn), navn))
            .map(|(k, l, n)| (k, n, l))
            .collect();
        Self {
            entries,
            boundaries,
        }
    }

    /// A kommune by its 4-digit kode ("0101", also "101") or its name in any case, with or
    /// without Danish letters, with or without "Kommune" ("København", "Kobenhavn",
    /// "Koebenhavn", "Københavns Kommune").
    pub fn resolve(&self, input: &str) -> Option<&str> {
        let t = input.trim();
        if !t.is_empty() && t.len() <= 4 && t.bytes().all(|b| b.is_ascii_digit()) {
            let kode = format!("{t:0>4}");
            return self
                .entries
                .iter()
                .find(|e| e.0 == kode)
                .map(|e| e.0.as_str());
        }
        let mut key = loose(t);
        for suffix in [" kommune", " kommunes"] {
            if let Some(s) = key.strip_suffix(suffix) {
                key = s.trim().to_string();
            }
        }
        let find = |k: &str| self.entries.iter().find(|e| e.2 == k).map(|e| e.0.as_str());
        find(&key).or_else(|| key.strip_suffix('s').and_then(find))
    }

    pub fn navn(&self, kode: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.0 == kode)
            .map(|e| e.1.as_str())
    }

    /// R17: the kommune a location lies in.
    pub fn at(&self, p: LatLon) -> Option<&str> {
        self.boundaries.kommune_at(p)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A kommune's official name from its short one: the two whose names take a genitive
/// (Københavns Kommune, Bornholms Regionskommune) and "<navn> Kommune" for the others.
pub fn official_name(navn: &str) -> String {
    match navn {
        "København" => "Københavns Kommune".to_string(),
        "Bornholm" => "Bornholms Regionskommune".to_string(),
        n => format!("{n} Kommune"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> KommuneIndex {
        let rows = crate::store::kommune::reference_rows().expect("csv");
        let b = Boundaries::from_geojson(crate::store::kommune::KOMMUNER_GEOJSON).expect("geojson");
        KommuneIndex::new(rows.into_iter().map(|r| (r.kode, r.navn)), b)
    }

    #[test]
    fn official_names_as_danish_writes_them() {
        assert_eq!(official_name("København"), "Københavns Kommune");
        assert_eq!(official_name("Bornholm"), "Bornholms Regionskommune");
        assert_eq!(official_name("Vesthimmerlands"), "Vesthimmerlands Kommune");
        assert_eq!(official_name("Aarhus"), "Aarhus Kommune");
    }

    #[test]
    fn r20_kommune_by_kode_or_name() {
        let i = index();
        assert_eq!(i.len(), 98);
        for q in [
            "0101",
            "101",
            "København",
            "københavn",
            "Kobenhavn",
            "Koebenhavn",
            "Københavns Kommune",
        ] {
            assert_eq!(i.resolve(q), Some("0101"), "{q}");
        }
        assert_eq!(i.resolve("Aarhus"), Some("0751"));
        assert_eq!(i.resolve("Århus"), Some("0751"));
        assert_eq!(i.resolve("Lyngby-Taarbæk"), Some("0173"));
        assert_eq!(i.resolve("Korsbæk"), None);
        assert_eq!(i.resolve("9999"), None);
        assert_eq!(i.resolve(""), None);
    }

    #[test]
    fn loose_names_are_unique() {
        let i = index();
        let mut keys: Vec<_> = i.entries.iter().map(|e| e.2.clone()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 98);
    }
}
