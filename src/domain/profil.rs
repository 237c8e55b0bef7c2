//! R31: the enhed's profile, what a citizen compares homes and providers on. A plejeenhed's
//! redaktør states husleje, indskud, boliger for couples, dementia, food, animals, training,
//! facilities and photos; a helhedsplejeenhed's the services, the day it can deliver from and
//! the areas it covers. Each field is validated here with a Danish message naming it; a field of
//! the other kind is refused, so that no citizen reads a husleje of a home-care provider.
use super::serviceleverance::{Edit, EnhedKind, FieldError};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The highest husleje (kr. a month) and indskud (kr.) taken: far above any plejebolig's, low
/// enough that a typo of three zeros is caught.
pub const HUSLEJE_MAX: i32 = 100_000;
pub const INDSKUD_MAX: i32 = 1_000_000;
/// The most areas a provider lists, and the longest name of one.
pub const OMRAADER_MAX: usize = 50;
pub const OMRAADE_LEN: usize = 100;
/// R31: up to four photos an enhed.
pub const FOTOS_MAX: usize = 4;
/// The longest alt text of a photo (a sentence or two, as screen readers read them).
pub const ALT_MAX: usize = 300;

/// Dementia: whether the home is suited for residents with dementia.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Demens {
    /// No special arrangements.
    Nej,
    /// The whole home is arranged for residents with dementia.
    Demensvenlig,
    /// A separate unit (afsnit) for residents with dementia.
    Demensafsnit,
}

/// Animals: may residents keep their own, does the home have some, or neither.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Dyr {
    /// Residents may bring their own animal.
    Egne,
    /// The home keeps animals residents share.
    Faelles,
    /// No animals.
    Ingen,
}

/// The facilities a plejeenhed may have (the former bekendtgørelse's list).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Facilitet {
    EgetBad,
    Tekoekken,
    AltanTerrasse,
    Have,
    Sansehave,
    Internet,
}

/// The services a helhedsplejeenhed delivers (ældreloven's helhedspleje and what is often
/// delivered with it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Ydelse {
    PersonligPleje,
    PraktiskHjaelp,
    Madservice,
    Traening,
    Sygepleje,
    Nattepleje,
}

impl Demens {
    pub fn in_words(self) -> &'static str {
        match self {
            Demens::Nej => "Ingen særlige forhold for demens",
            Demens::Demensvenlig => "Demensvenlig",
            Demens::Demensafsnit => "Har et demensafsnit",
        }
    }
    /// What the search's demens filter finds (either arrangement).
    pub fn suits_dementia(self) -> bool {
        self != Demens::Nej
    }
}

impl Dyr {
    pub fn in_words(self) -> &'static str {
        match self {
            Dyr::Egne => "Du kan tage dit eget dyr med",
            Dyr::Faelles => "Stedet har dyr, som beboerne deler",
            Dyr::Ingen => "Ingen dyr",
        }
    }
    /// What the search's animal filter finds (own or shared animals).
    pub fn has_animals(self) -> bool {
        self != Dyr::Ingen
    }
}

impl Facilitet {
    pub fn in_words(self) -> &'static str {
        match self {
            Facilitet::EgetBad => "Eget bad og toilet",
            Facilitet::Tekoekken => "Tekøkken",
            Facilitet::AltanTerrasse => "Altan eller terrasse",
            Facilitet::Have => "Have",
            Facilitet::Sansehave => "Sansehave",
            Facilitet::Internet => "Internet",
        }
    }
}

impl Ydelse {
    pub fn in_words(self) -> &'static str {
        match self {
            Ydelse::PersonligPleje => "Personlig pleje",
            Ydelse::PraktiskHjaelp => "Praktisk hjælp",
            Ydelse::Madservice => "Madservice",
            Ydelse::Traening => "Træning og rehabilitering",
            Ydelse::Sygepleje => "Sygepleje",
            Ydelse::Nattepleje => "Pleje om natten",
        }
    }
}

/// A photo of the enhed: its content hash (the bytes are stored by it), size and alt text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Foto {
    pub hash: String,
    pub alt: String,
    pub bredde: u32,
    pub hoejde: u32,
}

/// The profile as stored (one JSON document on the enhed; absent fields are unknown).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profil {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub husleje_fra: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub husleje_til: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indskud: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parboliger: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demens: Option<Demens>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mad_paa_stedet: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dyr: Option<Dyr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traening: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub faciliteter: Option<Vec<Facilitet>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fotos: Vec<Foto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ydelser: Option<Vec<Ydelse>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kan_levere_fra: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub omraader: Option<Vec<String>>,
}

impl Profil {
    pub fn is_empty(&self) -> bool {
        *self == Profil::default()
    }

    /// The search's filters (R31): suited for dementia, boliger for couples, animals.
    pub fn suits_dementia(&self) -> bool {
        self.demens.is_some_and(Demens::suits_dementia)
    }
    pub fn has_parboliger(&self) -> bool {
        self.parboliger.is_some_and(|n| n > 0)
    }
    pub fn has_animals(&self) -> bool {
        self.dyr.is_some_and(Dyr::has_animals)
    }
    /// Does the lowest husleje stated fit within `max` kr. a month? Unknown never fits.
    pub fn husleje_within(&self, max: i32) -> bool {
        self.husleje_fra.is_some_and(|h| h <= max)
    }
}

/// A change to the profile: each field kept when omitted, cleared by null, set by a value (R29).
/// Photos change through their own operations (upload, alt text, removal).
#[derive(Clone, Debug, Default)]
pub struct ProfilPatch {
    pub husleje_fra: Edit<i32>,
    pub husleje_til: Edit<i32>,
    pub indskud: Edit<i32>,
    pub parboliger: Edit<i32>,
    pub demens: Edit<Demens>,
    pub mad_paa_stedet: Edit<bool>,
    pub dyr: Edit<Dyr>,
    pub traening: Edit<bool>,
    pub faciliteter: Edit<Vec<Facilitet>>,
    pub ydelser: Edit<Vec<Ydelse>>,
    pub kan_levere_fra: Edit<NaiveDate>,
    pub omraader: Edit<Vec<String>>,
}

impl ProfilPatch {
    pub fn is_empty(&self) -> bool {
        self.husleje_fra.is_keep()
            && self.husleje_til.is_keep()
            && self.indskud.is_keep()
            && self.parboliger.is_keep()
            && self.demens.is_keep()
            && self.mad_paa_stedet.is_keep()
            && self.dyr.is_keep()
            && self.traening.is_keep()
            && self.faciliteter.is_keep()
            && self.ydelser.is_keep()
            && self.kan_levere_fra.is_keep()
            && self.omraader.is_keep()
    }

    /// The profile after the change (not yet validated: `validate` follows).
    pub fn apply(self, p: Profil) -> Profil {
        Profil {
            husleje_fra: self.husleje_fra.apply(p.husleje_fra),
            husleje_til: self.husleje_til.apply(p.husleje_til),
            indskud: self.indskud.apply(p.indskud),
            parboliger: self.parboliger.apply(p.parboliger),
            demens: self.demens.apply(p.demens),
            mad_paa_stedet: self.mad_paa_stedet.apply(p.mad_paa_stedet),
            dyr: self.dyr.apply(p.dyr),
            traening: self.traening.apply(p.traening),
            faciliteter: self.faciliteter.apply(p.faciliteter),
            ydelser: self.ydelser.apply(p.ydelser),
            kan_levere_fra: self.kan_levere_fra.apply(p.kan_levere_fra),
            omraader: self.omraader.apply(p.omraader),
            fotos: p.fotos,
        }
    }
}

/// R31: photos belong to a plejeenhed's profile (a helhedsplejeenhed states services and areas).
pub fn takes_photos(kind: Option<EnhedKind>) -> bool {
    kind != Some(EnhedKind::Helhedsplejeenhed)
}

/// The fields of a plejeenhed's profile, for the message refusing them on a helhedsplejeenhed.
const PLEJE_FIELDS: [(&str, &str); 10] = [
    ("fotos", "Billeder"),
    ("huslejeFra", "Husleje"),
    ("huslejeTil", "Husleje"),
    ("indskud", "Indskud"),
    ("parboliger", "Boliger til par"),
    ("demens", "Demens"),
    ("madPaaStedet", "Mad lavet på stedet"),
    ("dyr", "Dyr"),
    ("traening", "Træningsfaciliteter"),
    ("faciliteter", "Faciliteter"),
];
const HELHED_FIELDS: [(&str, &str); 3] = [
    ("ydelser", "Ydelser"),
    ("kanLevereFra", "Kan levere fra"),
    ("omraader", "Områder"),
];

fn amount(errs: &mut Vec<FieldError>, field: &'static str, label: &str, v: Option<i32>, max: i32) {
    if v.is_some_and(|n| !(0..=max).contains(&n)) {
        errs.push(FieldError::new(
            field,
            format!("{label} skal være et beløb i kroner mellem 0 og {max}."),
        ));
    }
}

/// R31: checks a profile for an enhed of `kind` with `antal_boliger` boliger, and puts it in
/// order (lists sorted, duplicates and blank areas dropped). Every error names its field.
pub fn validate(
    mut p: Profil,
    kind: Option<EnhedKind>,
    antal_boliger: Option<i32>,
) -> Result<Profil, Vec<FieldError>> {
    let mut errs = Vec::new();
    amount(
        &mut errs,
        "huslejeFra",
        "Husleje fra",
        p.husleje_fra,
        HUSLEJE_MAX,
    );
    amount(
        &mut errs,
        "huslejeTil",
        "Husleje til",
        p.husleje_til,
        HUSLEJE_MAX,
    );
    amount(&mut errs, "indskud", "Indskud", p.indskud, INDSKUD_MAX);
    // A single husleje is given as "fra"; "til" alone is taken as the only figure.
    if p.husleje_fra.is_none() {
        p.husleje_fra = p.husleje_til.take();
    }
    if let (Some(a), Some(b)) = (p.husleje_fra, p.husleje_til) {
        if b < a {
            errs.push(FieldError::new(
                "huslejeTil",
                "Husleje til skal være mindst lige så stor som husleje fra.",
            ));
        } else if a == b {
            p.husleje_til = None;
        }
    }
    if let Some(n) = p.parboliger {
        if n < 0 {
            errs.push(FieldError::new(
                "parboliger",
                "Boliger til par skal være et antal, 0 eller flere.",
            ));
        } else if antal_boliger.is_some_and(|all| n > all) {
            errs.push(FieldError::new(
                "parboliger",
                format!(
                    "Boliger til par kan ikke være flere end enhedens {} boliger.",
                    antal_boliger.unwrap_or_default()
                ),
            ));
        }
    }
    for list in [&mut p.faciliteter].into_iter().flatten() {
        list.sort_unstable();
        list.dedup();
    }
    for list in [&mut p.ydelser].into_iter().flatten() {
        list.sort_unstable();
        list.dedup();
    }
    if let Some(list) = &mut p.omraader {
        let mut clean: Vec<String> = Vec::new();
        for a in list.iter() {
            let t = a.trim();
            if t.is_empty() {
                continue;
            }
            if t.chars().count() > OMRAADE_LEN || t.chars().any(char::is_control) {
                errs.push(FieldError::new(
                    "omraader",
                    format!("Et område må højst være {OMRAADE_LEN} tegn uden kontroltegn."),
                ));
                break;
            }
            if !clean.iter().any(|c| c.eq_ignore_ascii_case(t)) {
                clean.push(t.to_string());
            }
        }
        if clean.len() > OMRAADER_MAX {
            errs.push(FieldError::new(
                "omraader",
                format!("Angiv højst {OMRAADER_MAX} områder."),
            ));
        }
        *list = clean;
    }
    if let Some(d) = p.kan_levere_fra {
        if !(2000..=2100).contains(&chrono::Datelike::year(&d)) {
            errs.push(FieldError::new(
                "kanLevereFra",
                "Kan levere fra skal være en dato mellem år 2000 og 2100.",
            ));
        }
    }
    if p.fotos.len() > FOTOS_MAX {
        errs.push(FieldError::new(
            "fotos",
            format!("En enhed kan have højst {FOTOS_MAX} billeder."),
        ));
    }
    for f in &p.fotos {
        if let Err(e) = validate_alt(&f.alt) {
            errs.push(e);
            break;
        }
    }
    // A field of the other kind is refused by name, so a kind's profile never shows the other's.
    let (other, kind_name): (&[(&str, &str)], &str) = match kind {
        Some(EnhedKind::Plejeenhed) => (&HELHED_FIELDS, "plejeenheder"),
        Some(EnhedKind::Helhedsplejeenhed) => (&PLEJE_FIELDS, "helhedsplejeenheder"),
        None => (&[], ""),
    };
    let present = |f: &str| match f {
        "huslejeFra" => p.husleje_fra.is_some(),
        "huslejeTil" => p.husleje_til.is_some(),
        "indskud" => p.indskud.is_some(),
        "parboliger" => p.parboliger.is_some(),
        "demens" => p.demens.is_some(),
        "madPaaStedet" => p.mad_paa_stedet.is_some(),
        "dyr" => p.dyr.is_some(),
        "traening" => p.traening.is_some(),
        "faciliteter" => p.faciliteter.is_some(),
        "ydelser" => p.ydelser.is_some(),
        "kanLevereFra" => p.kan_levere_fra.is_some(),
        "omraader" => p.omraader.is_some(),
        "fotos" => !p.fotos.is_empty(),
        _ => false,
    };
    for (f, label) in other {
        if present(f) {
            errs.push(FieldError::new(
                static_field(f),
                format!("{label} kan ikke angives for {kind_name}."),
            ));
        }
    }
    if errs.is_empty() {
        Ok(p)
    } else {
        Err(errs)
    }
}

/// The `'static` name of a profile field (the lists above hold `'static` names).
fn static_field(f: &str) -> &'static str {
    PLEJE_FIELDS
        .iter()
        .chain(HELHED_FIELDS.iter())
        .map(|(n, _)| *n)
        .find(|n| *n == f)
        .unwrap_or("profil")
}

/// R31: a photo's alt text is required (1-300 characters, no control characters).
pub fn validate_alt(alt: &str) -> Result<String, FieldError> {
    let t = alt.trim();
    if t.is_empty() {
        return Err(FieldError::new(
            "alt",
            "Billedet skal have en alternativ tekst, der beskriver det for den, der ikke kan se det.",
        ));
    }
    if t.chars().count() > ALT_MAX || t.chars().any(char::is_control) {
        return Err(FieldError::new(
            "alt",
            format!("Den alternative tekst må højst være {ALT_MAX} tegn uden kontroltegn."),
        ));
    }
    Ok(t.to_string())
}

/// A profile code in words ("EGET_BAD" -> "Eget bad og toilet"), for the audit log.
pub fn code_in_words(s: &str) -> Option<&'static str> {
    let v = serde_json::Value::String(s.to_string());
    serde_json::from_value::<Demens>(v.clone())
        .map(Demens::in_words)
        .or_else(|_| serde_json::from_value::<Dyr>(v.clone()).map(Dyr::in_words))
        .or_else(|_| serde_json::from_value::<Facilitet>(v.clone()).map(Facilitet::in_words))
        .or_else(|_| serde_json::from_value::<Ydelse>(v).map(Ydelse::in_words))
        .ok()
}

/// Where a photo is served: its content hash names it, so the address changes with the bytes
/// and the response may be cached for a year.
/// The enhed is in the address so that the server can check, in the read model, that the
/// photo is still shown before serving it.
pub fn foto_path(enhed_id: &str, hash: &str) -> String {
    let mut id = String::new();
    for b in enhed_id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            id.push(char::from(b));
        } else {
            id.push_str(&format!("%{b:02X}"));
        }
    }
    format!("/foto/{id}/{hash}.jpg")
}

/// The husleje as a citizen reads it: "8.500 kr. om måneden" or "8.500–9.200 kr. om måneden".
/// Written into one buffer: a search page writes it for most of its hits.
pub fn husleje_in_words(p: &Profil) -> Option<String> {
    let fra = p.husleje_fra?;
    let mut out = String::with_capacity(40);
    push_kroner(&mut out, fra);
    if let Some(til) = p.husleje_til.filter(|t| *t != fra) {
        out.push('–');
        push_kroner(&mut out, til);
    }
    out.push_str(" kr. om måneden");
    Some(out)
}

/// A whole number of kroner with Danish thousands separators ("12.500").
pub fn kroner(n: i32) -> String {
    let mut out = String::with_capacity(16);
    push_kroner(&mut out, n);
    out
}

fn push_kroner(out: &mut String, n: i32) {
    if n < 0 {
        out.push('-');
    }
    let mut digits = [0u8; 10];
    let mut v = n.unsigned_abs();
    let mut len = 0;
    loop {
        digits[len] = b'0' + (v % 10) as u8;
        len += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for i in (0..len).rev() {
        out.push(char::from(digits[i]));
        if i > 0 && i % 3 == 0 {
            out.push('.');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pleje() -> Option<EnhedKind> {
        Some(EnhedKind::Plejeenhed)
    }

    #[test]
    fn r31_amounts_are_checked_and_named() {
        let p = Profil {
            husleje_fra: Some(-1),
            indskud: Some(INDSKUD_MAX + 1),
            ..Default::default()
        };
        let e = validate(p, pleje(), None).expect_err("refused");
        let fields: Vec<&str> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["huslejeFra", "indskud"]);
        assert!(e[0].message.contains("Husleje fra"));
    }

    #[test]
    fn r31_husleje_range_in_order() {
        let p = Profil {
            husleje_fra: Some(9000),
            husleje_til: Some(8000),
            ..Default::default()
        };
        assert_eq!(
            validate(p, pleje(), None).expect_err("refused")[0].field,
            "huslejeTil"
        );
        let only_til = Profil {
            husleje_til: Some(8000),
            ..Default::default()
        };
        let ok = validate(only_til, pleje(), None).expect("ok");
        assert_eq!((ok.husleje_fra, ok.husleje_til), (Some(8000), None));
        assert_eq!(
            husleje_in_words(&ok).as_deref(),
            Some("8.000 kr. om måneden")
        );
    }

    #[test]
    fn r31_parboliger_within_the_boliger() {
        let p = Profil {
            parboliger: Some(5),
            ..Default::default()
        };
        assert!(validate(p.clone(), pleje(), Some(4)).is_err());
        assert!(validate(p, pleje(), Some(40)).is_ok());
    }

    #[test]
    fn r31_the_other_kinds_fields_are_refused() {
        let p = Profil {
            husleje_fra: Some(8000),
            ..Default::default()
        };
        let e = validate(p, Some(EnhedKind::Helhedsplejeenhed), None).expect_err("refused");
        assert_eq!(e[0].field, "huslejeFra");
        assert!(
            e[0].message.contains("helhedsplejeenheder"),
            "{}",
            e[0].message
        );
        let h = Profil {
            ydelser: Some(vec![
                Ydelse::Sygepleje,
                Ydelse::PersonligPleje,
                Ydelse::Sygepleje,
            ]),
            omraader: Some(vec![
                " Nord ".into(),
                "nord".into(),
                "".into(),
                "Syd".into(),
            ]),
            ..Default::default()
        };
        assert!(validate(h.clone(), pleje(), None).is_err());
        let ok = validate(h, Some(EnhedKind::Helhedsplejeenhed), None).expect("ok");
        assert_eq!(
            ok.ydelser,
            Some(vec![Ydelse::PersonligPleje, Ydelse::Sygepleje])
        );
        assert_eq!(
            ok.omraader,
            Some(vec!["Nord".to_string(), "Syd".to_string()])
        );
    }

    #[test]
    fn r31_alt_text_is_required() {
        assert_eq!(validate_alt("  ").expect_err("refused").field, "alt");
        assert_eq!(validate_alt(" Haven ").expect("ok"), "Haven");
    }

    #[test]
    fn kroner_has_danish_separators() {
        assert_eq!(kroner(1234567), "1.234.567");
        assert_eq!(kroner(850), "850");
        assert_eq!(kroner(0), "0");
        assert_eq!(kroner(100_000), "100.000");
        assert_eq!(kroner(-1500), "-1.500");
        let range = Profil {
            husleje_fra: Some(8500),
            husleje_til: Some(12000),
            ..Default::default()
        };
        assert_eq!(
            husleje_in_words(&range).as_deref(),
            Some("8.500–12.000 kr. om måneden")
        );
    }
}
