//! R32: the ældretilsyn's registrations. A tilsyn (its date, overall assessment, a summary of
//! the written feedback and a link to the report) and påbud or forbud (given and lifted on a
//! day). The latest tilsyn and the påbud/forbud in force are public; every registration is
//! kept. Ældretilsynsloven § 7 (LOV nr. 1653 af 30/12/2024) makes the ældretilsyn assess the
//! quality of the helhedspleje within three themes but fixes no scale (the minister may set
//! one, stk. 5), so the assessment is free text: see the README's *Tilsyn*.
use super::serviceleverance::FieldError;
use chrono::NaiveDate;

pub const VURDERING_MAX: usize = 200;
pub const SAMMENFATNING_MAX: usize = 4000;
pub const TEKST_MAX: usize = 2000;

/// A påbud (an order to put something right) or a forbud (a ban).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SanktionKind {
    Paabud,
    Forbud,
}

impl SanktionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SanktionKind::Paabud => "PAABUD",
            SanktionKind::Forbud => "FORBUD",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "PAABUD" => Some(SanktionKind::Paabud),
            "FORBUD" => Some(SanktionKind::Forbud),
            _ => None,
        }
    }
    pub fn in_words(self) -> &'static str {
        match self {
            SanktionKind::Paabud => "Påbud",
            SanktionKind::Forbud => "Forbud",
        }
    }
}

/// Is a påbud/forbud given on `givet` and lifted on `ophaevet` in force on `day`? From the day
/// it is given until the day before it is lifted.
pub fn in_force(givet: NaiveDate, ophaevet: Option<NaiveDate>, day: NaiveDate) -> bool {
    givet <= day && ophaevet.is_none_or(|o| day < o)
}

fn text(
    field: &'static str,
    label: &str,
    v: &str,
    max: usize,
    errs: &mut Vec<FieldError>,
) -> String {
    let t = v.trim();
    if t.is_empty() {
        errs.push(FieldError::new(field, format!("{label} skal udfyldes.")));
    } else if t.chars().count() > max
        || t.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errs.push(FieldError::new(
            field,
            format!("{label} må højst være {max} tegn uden kontroltegn."),
        ));
    }
    t.to_string()
}

fn not_after_today(
    field: &'static str,
    label: &str,
    d: NaiveDate,
    today: NaiveDate,
    errs: &mut Vec<FieldError>,
) {
    if d > today {
        errs.push(FieldError::new(
            field,
            format!("{label} kan ikke ligge efter i dag."),
        ));
    }
}

/// A tilsyn as registered, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct NewTilsyn {
    pub dato: NaiveDate,
    pub vurdering: String,
    pub sammenfatning: String,
    pub rapport_url: Option<String>,
}

/// R32: a tilsyn's fields: the date (not in the future), the assessment and the summary (both
/// required), the report's address (an http(s) address, as R17's web address).
pub fn validate_tilsyn(t: NewTilsyn, today: NaiveDate) -> Result<NewTilsyn, Vec<FieldError>> {
    let mut errs = Vec::new();
    not_after_today("dato", "Datoen for tilsynet", t.dato, today, &mut errs);
    let vurdering = text(
        "vurdering",
        "Den samlede vurdering",
        &t.vurdering,
        VURDERING_MAX,
        &mut errs,
    );
    let sammenfatning = text(
        "sammenfatning",
        "Sammenfatningen",
        &t.sammenfatning,
        SAMMENFATNING_MAX,
        &mut errs,
    );
    let rapport_url = match super::enhed::validate_web(t.rapport_url.as_deref()) {
        Ok(u) => u,
        Err(_) => {
            errs.push(FieldError::new(
                "rapportUrl",
                "Linket til rapporten skal være en http- eller https-adresse.",
            ));
            None
        }
    };
    if errs.is_empty() {
        Ok(NewTilsyn {
            dato: t.dato,
            vurdering,
            sammenfatning,
            rapport_url,
        })
    } else {
        Err(errs)
    }
}

/// R32: a påbud/forbud's text (required) and days: given not in the future, lifted on or after
/// the day it was given.
pub fn validate_sanktion(
    tekst: &str,
    givet: NaiveDate,
    ophaevet: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<String, Vec<FieldError>> {
    let mut errs = Vec::new();
    let t = text("tekst", "Teksten", tekst, TEKST_MAX, &mut errs);
    not_after_today("givet", "Dagen, det blev givet,", givet, today, &mut errs);
    if let Some(o) = ophaevet {
        if o < givet {
            errs.push(FieldError::new(
                "ophaevet",
                "Dagen, det blev ophævet, kan ikke ligge før dagen, det blev givet.",
            ));
        }
        not_after_today("ophaevet", "Dagen, det blev ophævet,", o, today, &mut errs);
    }
    if errs.is_empty() {
        Ok(t)
    } else {
        Err(errs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn r32_in_force_from_given_until_lifted() {
        let (g, o) = (d("2026-03-01"), Some(d("2026-04-01")));
        assert!(!in_force(g, o, d("2026-02-28")));
        assert!(in_force(g, o, d("2026-03-01")));
        assert!(in_force(g, o, d("2026-03-31")));
        assert!(!in_force(g, o, d("2026-04-01")));
        assert!(in_force(g, None, d("2030-01-01")));
    }

    #[test]
    fn r32_tilsyn_fields_named() {
        let e = validate_tilsyn(
            NewTilsyn {
                dato: d("2027-01-01"),
                vurdering: " ".into(),
                sammenfatning: "ok".into(),
                rapport_url: Some("javascript:alert(1)".into()),
            },
            d("2026-12-07"),
        )
        .expect_err("refused");
        let f: Vec<&str> = e.iter().map(|e| e.field).collect();
        assert_eq!(f, ["dato", "vurdering", "rapportUrl"]);
    }

    #[test]
    fn r32_lifted_not_before_given() {
        let e = validate_sanktion("x", d("2026-03-01"), Some(d("2026-02-01")), d("2026-12-07"))
            .expect_err("refused");
        assert_eq!(e[0].field, "ophaevet");
    }
}
