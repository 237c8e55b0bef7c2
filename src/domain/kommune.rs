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
        let key = Self::key(t);
        let find = |k: &str| self.entries.iter().find(|e| e.2 == k).map(|e| e.0.as_str());
        if let Some(k) = find(&key).or_else(|| key.strip_suffix('s').and_then(find)) {
            return Some(k);
        }
        // Names as people write them (issue 21): the short forms in use, and one part of a
        // double name when it names one kommune ("Lyngby", "Skjern", "Taastrup").
        if let Some((_, kode)) = ALIASES.iter().find(|(a, _)| *a == key) {
            return self
                .entries
                .iter()
                .find(|e| e.0 == *kode)
                .map(|e| e.0.as_str());
        }
        let words: Vec<&str> = key.split(' ').filter(|w| !w.is_empty()).collect();
        if words.is_empty() {
            return None;
        }
        let mut parts = self.entries.iter().filter(|e| {
            let own: Vec<&str> = e.2.split(' ').collect();
            own.len() > 1 && words.iter().all(|w| own.contains(w))
        });
        match (parts.next(), parts.next()) {
            (Some(e), None) => Some(e.0.as_str()),
            _ => None,
        }
    }

    /// The loose key of what a person typed, without "Kommune", "Kommunes" or
    /// "Regionskommune" after it.
    fn key(t: &str) -> String {
        let mut key = loose(t);
        for suffix in [" regionskommune", " kommunes", " kommune"] {
            if let Some(s) = key.strip_suffix(suffix) {
                key = s.trim().to_string();
            }
        }
        key
    }

    /// "Mente du …?": the names nearest to a name that matches no kommune (by edit distance of
    /// the loose spellings, at most a third of the name's letters away), nearest first, at most
    /// three.
    pub fn suggest(&self, input: &str) -> Vec<&str> {
        let key = Self::key(input);
        let n = key.chars().count();
        if n < 3 {
            return Vec::new();
        }
        let limit = (n / 3).max(1);
        let mut near: Vec<(usize, &str)> = self
            .entries
            .iter()
            .filter_map(|e| {
                // A prefix typed so far counts as near too ("Frederiks" for Frederikssund).
                let d = edit_distance(&key, &e.2).min(
                    e.2.get(..key.len())
                        .map_or(usize::MAX, |p| edit_distance(&key, p) + 1),
                );
                (d <= limit).then_some((d, e.1.as_str()))
            })
            .collect();
        near.sort();
        near.into_iter().take(3).map(|(_, n)| n).collect()
    }

    /// The Danish message for a name that matches no kommune: "Mente du …?" with the nearest
    /// names, or an example of what is expected (never a request for a kommunekode).
    pub fn unknown(&self, input: &str) -> String {
        let shown: String = input.trim().chars().take(60).collect();
        match self.suggest(input).as_slice() {
            [] => format!(
                "Kommunen »{shown}« findes ikke. Skriv kommunens navn, fx Roskilde, Lyngby eller København."
            ),
            [one] => format!("Kommunen »{shown}« findes ikke. Mente du {one}?"),
            [first @ .., last] => format!(
                "Kommunen »{shown}« findes ikke. Mente du {} eller {last}?",
                first.join(", ")
            ),
        }
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

/// Short forms people write for a kommune, in the loose spelling, with its kode.
const ALIASES: &[(&str, &str)] = &[
    ("kbh", "0101"),
    ("kbhvn", "0101"),
    ("cph", "0101"),
    ("copenhagen", "0101"),
    ("frb", "0147"),
    ("frederiksberg c", "0147"),
];

/// Levenshtein distance of two short texts (a kommune's name): a hand-written loop of a dozen
/// lines rather than a crate for 98 names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
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
        // Issue 21: names as people write them.
        assert_eq!(i.resolve("Lyngby"), Some("0173"));
        assert_eq!(i.resolve("Kbh"), Some("0101"));
        assert_eq!(i.resolve("Bornholms Regionskommune"), Some("0400"));
        assert_eq!(i.resolve("Skjern"), Some("0760"));
        assert_eq!(i.resolve("Taastrup"), Some("0169"));
        assert_eq!(i.resolve("Frederiksberg Kommune"), Some("0147"));
        assert_eq!(i.suggest("Roskile"), vec!["Roskilde"]);
        assert_eq!(i.suggest("Kobenhaven").first(), Some(&"København"));
        assert!(i.suggest("Korsbæk").iter().all(|n| *n != "Roskilde"));
        assert!(i.suggest("xq").is_empty());
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
