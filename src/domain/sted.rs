//! Places a citizen knows (issue 21): a postnummer ("2800") or a town ("Kongens Lyngby",
//! "kgs lyngby", "Ronne"), to search from instead of coordinates. The points are GeoNames'
//! town-level points of the postnumre (`data/postnumre.SOURCES.md`): good for "nearest first",
//! not for an address (the README says how precise).
use super::geo::LatLon;
use super::text::loose_words;

/// One postnummer with its town and point.
#[derive(Clone, Debug, PartialEq)]
pub struct Sted {
    pub postnummer: String,
    pub navn: String,
    pub punkt: LatLon,
}

/// The postnumre, searchable by number and by town name in the loose spelling.
#[derive(Debug, Default)]
pub struct StedIndex {
    steder: Vec<Sted>,
    /// `loose(navn)` of each, beside it.
    keys: Vec<String>,
}

/// The most places one look-up gives.
pub const MAX_HITS: usize = 10;

impl StedIndex {
    pub fn new(steder: Vec<Sted>) -> StedIndex {
        let keys = steder
            .iter()
            .map(|s| loose_words(&s.navn).join(" "))
            .collect();
        StedIndex { steder, keys }
    }

    pub fn len(&self) -> usize {
        self.steder.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steder.is_empty()
    }

    /// The places that `text` names: a postnummer exactly; else the towns whose name is the
    /// text (first), starts with it, or has a word that starts with it, in the loose spelling
    /// ("kgs." for "Kongens" too). A town with several postnumre (København K) is given once,
    /// with its lowest postnummer's point. At most `MAX_HITS`.
    pub fn find(&self, text: &str) -> Vec<&Sted> {
        let t = text.trim();
        if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
            return self.steder.iter().filter(|s| s.postnummer == t).collect();
        }
        // "2800 Kongens Lyngby" as an address line gives: the number decides.
        if let Some((num, _)) = t.split_once(' ') {
            if num.len() == 4 && num.bytes().all(|b| b.is_ascii_digit()) {
                let by_number = self.find(num);
                if !by_number.is_empty() {
                    return by_number;
                }
            }
        }
        // "Kgs." as on signs and letters is Kongens.
        let q = loose_words(t)
            .iter()
            .map(String::as_str)
            .map(|w| if w == "kgs" { "kongens" } else { w })
            .collect::<Vec<_>>()
            .join(" ");
        if q.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<(u8, &Sted)> = Vec::new();
        for (s, k) in self.steder.iter().zip(&self.keys) {
            let rank = if *k == q {
                0
            } else if k.starts_with(&q) {
                1
            } else if k.split(' ').any(|w| w.starts_with(&q)) {
                2
            } else {
                continue;
            };
            if hits.iter().any(|(_, h)| h.navn == s.navn) {
                continue;
            }
            hits.push((rank, s));
        }
        hits.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.navn.cmp(&b.1.navn)));
        hits.into_iter().take(MAX_HITS).map(|(_, s)| s).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx() -> StedIndex {
        let p = |n: &str, navn: &str| Sted {
            postnummer: n.into(),
            navn: navn.into(),
            punkt: LatLon::new(55.7, 12.5).expect("p"),
        };
        StedIndex::new(vec![
            p("1050", "København K"),
            p("1051", "København K"),
            p("2800", "Kongens Lyngby"),
            p("3700", "Rønne"),
            p("2100", "København Ø"),
        ])
    }

    #[test]
    fn by_number_town_and_loose_spelling() {
        let i = idx();
        assert_eq!(i.find("2800")[0].navn, "Kongens Lyngby");
        assert_eq!(i.find("2800 Kongens Lyngby")[0].postnummer, "2800");
        assert_eq!(i.find("Kgs. Lyngby")[0].postnummer, "2800");
        assert_eq!(i.find("lyngby")[0].postnummer, "2800");
        assert_eq!(i.find("Ronne")[0].postnummer, "3700");
        let kbh: Vec<&str> = i
            .find("københavn")
            .iter()
            .map(|s| s.navn.as_str())
            .collect();
        assert_eq!(kbh, ["København K", "København Ø"]);
        assert!(i.find("9999").is_empty());
        assert!(i.find("   ").is_empty());
    }
}
