//! What changed, field by field, in words a caseworker reads (issue 20: version compare, R15;
//! the audit log's before and after, R34). Values are shown as the console shows them: a type
//! in words, a day as "1. januar 2027", an empty field as nothing.
use super::serviceleverance::Fields;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde_json::Value;

/// One field that differs: its API name, its Danish label and the values before and after
/// (None: empty).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub label: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The fields a person reads, in the order the forms show them, with their labels. Keys of both
/// the GraphQL spelling (agreements, lock events) and the stored one (enheder) are known.
const LABELS: &[(&str, &str)] = &[
    ("navn", "Navn"),
    ("enhed_id", "Enhed"),
    ("aftaleidentifikation", "Aftaleidentifikation"),
    ("type", "Type"),
    ("startdato", "Startdato"),
    ("slutdato", "Slutdato"),
    ("beskrivelse", "Beskrivelse"),
    ("kind", "Art"),
    ("ejer_cvr", "Ejers CVR-nummer"),
    ("sor_kode", "SOR-kode"),
    ("vejnavn", "Adresse"),
    ("postnummer", "Postnummer"),
    ("by", "By"),
    ("lat", "Breddegrad"),
    ("lon", "Længdegrad"),
    ("kommune_kode", "Kommunekode"),
    ("telefon", "Telefon"),
    ("email", "E-mail"),
    ("web", "Hjemmeside"),
    ("boligtype", "Boligtype"),
    ("antal_boliger", "Antal boliger"),
    ("husleje_fra", "Husleje fra"),
    ("husleje_til", "Husleje til"),
    ("indskud", "Indskud"),
    ("parboliger", "Boliger til par"),
    ("demens", "Demens"),
    ("mad_paa_stedet", "Mad lavet på stedet"),
    ("dyr", "Dyr"),
    ("traening", "Træningsfaciliteter"),
    ("faciliteter", "Faciliteter"),
    ("ydelser", "Ydelser"),
    ("kan_levere_fra", "Kan levere fra"),
    ("omraader", "Områder"),
    ("fotos", "Billeder"),
    ("dato", "Dato"),
    ("vurdering", "Samlet vurdering"),
    ("sammenfatning", "Sammenfatning"),
    ("rapport_url", "Rapport"),
    ("tekst", "Tekst"),
    ("givet", "Givet"),
    ("ophaevet", "Ophævet"),
    ("cvr", "CVR-nummer"),
    ("laastAf", "Låst af"),
    ("siden", "Låst siden"),
    ("version", "Version"),
    ("kommentar", "Kommentar"),
    ("slettede", "Slettede poster"),
    ("foer", "Ældre end"),
];

/// Bookkeeping that changes with every write and says nothing to a person.
const HIDDEN: &[&str] = &[
    "id",
    "navn_soeg",
    "demo",
    "revision",
    "created_at",
    "updated_at",
    "lock_subject",
    "lock_name",
    "lock_since",
    "lock_expires_ms",
    "lock_cvr",
    "lock_roles",
];

const MONTHS: [&str; 12] = [
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
];

/// "1. januar 2027", as the console writes a day.
pub fn day_in_words(d: NaiveDate) -> String {
    format!("{}. {} {}", d.day(), MONTHS[d.month0() as usize], d.year())
}

/// An enum value in words ("DRIFTSOVERENSKOMST" -> "Driftsoverenskomst").
pub fn code_in_words(s: &str) -> Option<&'static str> {
    if let Some(t) = super::serviceleverance::SlType::parse(s) {
        return Some(t.in_words());
    }
    Some(match s {
        "PLEJEBOLIG" => "Plejebolig",
        "PLEJEENHED" => "Plejeenhed",
        "HELHEDSPLEJEENHED" => "Helhedsplejeenhed",
        "PAABUD" => "Påbud",
        "FORBUD" => "Forbud",
        _ => return super::profil::code_in_words(s),
    })
}

/// A JSON value as a person reads it; None for an empty one.
fn shown(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(
            match (code_in_words(s), NaiveDate::parse_from_str(s, "%Y-%m-%d")) {
                (Some(w), _) => w.to_string(),
                (None, Ok(d)) => day_in_words(d),
                _ => s.clone(),
            },
        ),
        Value::Bool(b) => Some(if *b { "Ja" } else { "Nej" }.to_string()),
        Value::Number(n) => Some(n.to_string()),
        // A list (R31's facilities, services, areas, photos) item by item.
        Value::Array(items) => {
            let words: Vec<String> = items.iter().filter_map(shown).collect();
            (!words.is_empty()).then(|| words.join(", "))
        }
        // A photo: its alt text says what it is.
        Value::Object(m) if m.contains_key("alt") => m.get("alt").and_then(shown),
        other => Some(other.to_string()),
    }
}

/// The API's spelling of a stored key that differs from it.
fn api_name(key: &str) -> String {
    match key {
        "enhed_id" => "enhedId".into(),
        k => k.into(),
    }
}

fn label_of(key: &str) -> String {
    LABELS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or_else(|| key.to_string(), |(_, l)| l.to_string())
}

fn rank(key: &str) -> usize {
    LABELS
        .iter()
        .position(|(k, _)| *k == key)
        .unwrap_or(LABELS.len())
}

/// The fields that differ between two JSON objects (an audit entry's before and after). When
/// only one side is there (a creation, a deletion, a lock event) its every non-empty field is
/// shown against nothing. Bookkeeping fields are left out; known fields come in the forms'
/// order, unknown ones after them by name.
pub fn between_json(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let obj = |v: Option<&Value>| match v {
        Some(Value::Object(m)) => m.clone(),
        _ => empty.clone(),
    };
    // The enhed's profile (R31) is one document: its fields are shown as the enhed's own.
    let flat = |mut m: serde_json::Map<String, Value>| {
        if let Some(Value::Object(p)) = m.remove("profil") {
            m.extend(p);
        }
        m
    };
    let (b, a) = (flat(obj(before)), flat(obj(after)));
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort_by(|x, y| rank(x).cmp(&rank(y)).then(x.cmp(y)));
    keys.dedup();
    keys.into_iter()
        .filter(|k| !HIDDEN.contains(&k.as_str()))
        .filter_map(|k| {
            let was = b.get(k).and_then(shown);
            let is = a.get(k).and_then(shown);
            (was != is).then(|| FieldChange {
                field: api_name(k),
                label: label_of(k),
                before: was,
                after: is,
            })
        })
        .collect()
}

/// The fields of an agreement that differ between two states (R15: two versions, or a version
/// and the current state).
pub fn between_fields(from: &Fields, to: &Fields) -> Vec<FieldChange> {
    let json = |f: &Fields| serde_json::to_value(f).unwrap_or(Value::Null);
    between_json(Some(&json(from)), Some(&json(to)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::serviceleverance::SlType;

    #[test]
    fn only_what_differs_in_words_and_in_the_forms_order() {
        let a = Fields {
            navn: "Egehjem".into(),
            sl_type: Some(SlType::Driftsoverenskomst),
            startdato: NaiveDate::from_ymd_opt(2027, 1, 1),
            ..Fields::default()
        };
        let b = Fields {
            navn: "Egehjem".into(),
            sl_type: Some(SlType::Myndighedsproduktion),
            slutdato: NaiveDate::from_ymd_opt(2027, 12, 31),
            ..Fields::default()
        };
        let d = between_fields(&a, &b);
        let got: Vec<_> = d
            .iter()
            .map(|c| (c.label.as_str(), c.before.as_deref(), c.after.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "Type",
                    Some("Driftsoverenskomst"),
                    Some("Myndighedsproduktion")
                ),
                ("Startdato", Some("1. januar 2027"), None),
                ("Slutdato", None, Some("31. december 2027")),
            ]
        );
        assert!(between_fields(&a, &a).is_empty());
    }

    #[test]
    fn bookkeeping_is_left_out_and_one_sided_entries_show_their_fields() {
        let before =
            serde_json::json!({ "navn": "A", "revision": 3, "updated_at": "x", "web": "" });
        let after =
            serde_json::json!({ "navn": "B", "revision": 4, "updated_at": "y", "web": null });
        let d = between_json(Some(&before), Some(&after));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].field, "navn");
        let d = between_json(None, Some(&serde_json::json!({ "version": 2 })));
        assert_eq!(d[0].label, "Version");
        assert_eq!(d[0].after.as_deref(), Some("2"));
    }
}
