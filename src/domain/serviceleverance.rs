//! Serviceleverancer: fields and their validation (R2-R5), consistency warnings (R9) and the
//! issues that decide whether an agreement is public (R10).
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// The type of a serviceleverance (glossary).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SlType {
    /// Any agreement with a private company's unit.
    Driftsoverenskomst,
    /// The kommune's own units.
    Myndighedsproduktion,
    /// A lokalplejehjem the kommune established (own private CVR).
    Lokalplejehjem,
    /// Reserved for friplejeboliger the kommune has no agreement with; set only by administrators.
    Friplejebolig,
}

/// The two kinds of enhed (R17).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EnhedKind {
    /// A nursing-home unit (plejecenter, plejehjem, plejeboliger).
    Plejeenhed,
    /// A unit (location) of a provider of helhedspleje.
    Helhedsplejeenhed,
}

/// The boligtype of a plejeenhed (R17).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Boligtype {
    /// Ordinary plejeboliger.
    Plejebolig,
    /// Friplejeboliger.
    Friplejebolig,
    /// A lokalplejehjem.
    Lokalplejehjem,
}

macro_rules! str_enum {
    ($t:ty { $($v:ident => $s:literal),* $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)* _ => None }
            }
        }
    };
}
str_enum!(SlType { Driftsoverenskomst => "DRIFTSOVERENSKOMST", Myndighedsproduktion => "MYNDIGHEDSPRODUKTION",
    Lokalplejehjem => "LOKALPLEJEHJEM", Friplejebolig => "FRIPLEJEBOLIG" });
str_enum!(EnhedKind { Plejeenhed => "PLEJEENHED", Helhedsplejeenhed => "HELHEDSPLEJEENHED" });
str_enum!(Boligtype { Plejebolig => "PLEJEBOLIG", Friplejebolig => "FRIPLEJEBOLIG", Lokalplejehjem => "LOKALPLEJEHJEM" });

impl SlType {
    /// The type's name as a person reads it ("Driftsoverenskomst").
    pub fn in_words(self) -> &'static str {
        match self {
            SlType::Driftsoverenskomst => "Driftsoverenskomst",
            SlType::Myndighedsproduktion => "Myndighedsproduktion",
            SlType::Lokalplejehjem => "Lokalplejehjem",
            SlType::Friplejebolig => "Friplejebolig",
        }
    }

    /// What the type means to a citizen choosing a home or a provider (issue 21: plain
    /// language on the public pages).
    pub fn for_citizens(self) -> &'static str {
        match self {
            SlType::Driftsoverenskomst => "Privat leverandør med aftale med kommunen",
            SlType::Myndighedsproduktion => "Kommunens eget tilbud",
            SlType::Lokalplejehjem => "Oprettet af kommunen og drevet selvstændigt",
            SlType::Friplejebolig => "Privat tilbud godkendt af staten",
        }
    }
}

/// The editable fields of a serviceleverance (R2); the snapshot of a version (R13).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Fields {
    pub navn: String,
    pub enhed_id: Option<String>,
    pub aftaleidentifikation: Option<String>,
    #[serde(rename = "type")]
    pub sl_type: Option<SlType>,
    pub beskrivelse: Option<String>,
    pub startdato: Option<NaiveDate>,
    pub slutdato: Option<NaiveDate>,
}

/// What the rules need to know of the enhed an agreement names.
#[derive(Clone, Debug, PartialEq)]
pub struct EnhedFacts {
    pub kind: EnhedKind,
    pub ejer_cvr: String,
}

/// A refused field: the field name as the API spells it and a Danish message.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

pub const NAVN_MAX: usize = 200;
pub const TEXT_MAX: usize = 200;
pub const BESKRIVELSE_MAX: usize = 10_000;

/// Text that is fine to store: no control characters other than line breaks and tabs.
fn clean_text(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// R2: navn is required, 1-200 characters after trimming, any Unicode letters. Returns the
/// trimmed name.
pub fn validate_navn(navn: &str) -> Result<String, FieldError> {
    let t = navn.trim();
    if t.is_empty() {
        return Err(FieldError::new("navn", "Navn skal udfyldes."));
    }
    if t.chars().count() > NAVN_MAX {
        return Err(FieldError::new(
            "navn",
            format!("Navn må højst være {NAVN_MAX} tegn."),
        ));
    }
    if !clean_text(t) || t.contains(['\n', '\r', '\t']) {
        return Err(FieldError::new("navn", "Navn indeholder ugyldige tegn."));
    }
    Ok(t.to_string())
}

/// Trims an optional one-line text; empty becomes `None`.
pub fn validate_short_text(
    field: &'static str,
    label: &str,
    v: Option<&str>,
) -> Result<Option<String>, FieldError> {
    let Some(t) = v.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if t.chars().count() > TEXT_MAX {
        return Err(FieldError::new(
            field,
            format!("{label} må højst være {TEXT_MAX} tegn."),
        ));
    }
    if !clean_text(t) || t.contains(['\n', '\r']) {
        return Err(FieldError::new(
            field,
            format!("{label} indeholder ugyldige tegn."),
        ));
    }
    Ok(Some(t.to_string()))
}

/// Trims an optional long text (beskrivelse); empty becomes `None`.
pub fn validate_long_text(
    field: &'static str,
    label: &str,
    v: Option<&str>,
) -> Result<Option<String>, FieldError> {
    let Some(t) = v.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if t.chars().count() > BESKRIVELSE_MAX {
        return Err(FieldError::new(
            field,
            format!("{label} må højst være {BESKRIVELSE_MAX} tegn."),
        ));
    }
    if !clean_text(t) {
        return Err(FieldError::new(
            field,
            format!("{label} indeholder ugyldige tegn."),
        ));
    }
    Ok(Some(t.to_string()))
}

/// Whether the caller may set this type (R3): FRIPLEJEBOLIG only by administrators.
pub fn validate_type(t: Option<SlType>, is_admin: bool) -> Result<(), FieldError> {
    if t == Some(SlType::Friplejebolig) && !is_admin {
        return Err(FieldError::new(
            "type",
            "Typen FRIPLEJEBOLIG kan kun sættes af en administrator. Vælg DRIFTSOVERENSKOMST, MYNDIGHEDSPRODUKTION eller LOKALPLEJEHJEM.",
        ));
    }
    Ok(())
}

/// R5: slutdato, when set, is on or after startdato.
pub fn validate_dates(start: Option<NaiveDate>, slut: Option<NaiveDate>) -> Result<(), FieldError> {
    match (start, slut) {
        (Some(s), Some(e)) if e < s => Err(FieldError::new(
            "slutdato",
            "Slutdato skal være samme dag som eller efter startdato.",
        )),
        _ => Ok(()),
    }
}

/// R4: does beskrivelse apply to this agreement (DRIFTSOVERENSKOMST with a helhedsplejeenhed)?
pub fn beskrivelse_applies(t: Option<SlType>, enhed: Option<&EnhedFacts>) -> bool {
    beskrivelse_applies_to_kind(t, enhed.map(|e| e.kind))
}

/// R4 as [`beskrivelse_applies`], from the enhed's kind alone (all the rule reads of it).
pub fn beskrivelse_applies_to_kind(t: Option<SlType>, kind: Option<EnhedKind>) -> bool {
    t == Some(SlType::Driftsoverenskomst) && kind == Some(EnhedKind::Helhedsplejeenhed)
}

/// R4: writing beskrivelse where it does not apply is refused.
pub fn validate_beskrivelse_write(
    t: Option<SlType>,
    enhed: Option<&EnhedFacts>,
) -> Result<(), FieldError> {
    if beskrivelse_applies(t, enhed) {
        Ok(())
    } else {
        Err(FieldError::new(
            "beskrivelse",
            "Beskrivelse bruges kun, når typen er DRIFTSOVERENSKOMST og enheden er en helhedsplejeenhed.",
        ))
    }
}

/// All save-time checks of a complete set of fields (R2-R5). Beskrivelse is checked by
/// `validate_beskrivelse_write` only when it is being written.
pub fn validate(f: &Fields, is_admin: bool) -> Result<(), Vec<FieldError>> {
    let mut errs = Vec::new();
    if let Err(e) = validate_navn(&f.navn) {
        errs.push(e);
    }
    if let Err(e) = validate_type(f.sl_type, is_admin) {
        errs.push(e);
    }
    if let Err(e) = validate_dates(f.startdato, f.slutdato) {
        errs.push(e);
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

/// The checks of a save (R2-R5): `before` is the saved agreement being changed, `None` for a
/// new one. R3: a kommune user may keep an existing FRIPLEJEBOLIG but not set one.
pub fn validate_save(
    f: &Fields,
    before: Option<&Fields>,
    is_admin: bool,
) -> Result<(), Vec<FieldError>> {
    let type_kept = before.is_some_and(|b| b.sl_type == f.sl_type);
    validate(f, is_admin || type_kept)
}

/// How serious an issue is (R10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    /// The agreement is not shown publicly until this is fixed.
    Error,
    /// Shown publicly, but worth a look.
    Warning,
}

/// A validation issue (R10).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Issue {
    pub field: Option<&'static str>,
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
}

fn issue(
    field: Option<&'static str>,
    severity: Severity,
    code: &'static str,
    message: &str,
) -> Issue {
    Issue {
        field,
        severity,
        code,
        message: message.to_string(),
    }
}

/// What the issue rules need besides the fields.
pub struct IssueContext<'a> {
    pub enhed: Option<&'a EnhedFacts>,
    pub aftalepart_cvr: &'a str,
    pub today: NaiveDate,
    /// Another active, not deleted agreement between the same kommune and enhed overlaps this one.
    pub overlaps_other: bool,
    /// R33: the choice of helhedspleje the aftalepart's citizens have today, when known.
    pub frit_valg: Option<&'a crate::domain::frit_valg::Choice>,
}

/// R10 as a flag: does the agreement have ERROR issues (stored with it for the search)?
pub fn has_errors(f: &Fields, enhed: Option<&EnhedFacts>) -> bool {
    !errors(f, enhed).is_empty()
}

/// One field of a partial update: keep the current value, clear it, or set a new one.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Edit<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Edit<T> {
    /// The field's value after the edit.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Edit::Keep => current,
            Edit::Clear => None,
            Edit::Set(v) => Some(v),
        }
    }

    pub fn is_keep(&self) -> bool {
        matches!(self, Edit::Keep)
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Edit<U> {
        match self {
            Edit::Keep => Edit::Keep,
            Edit::Clear => Edit::Clear,
            Edit::Set(v) => Edit::Set(f(v)),
        }
    }
}

/// Which fields of an agreement a user may write (R3, R4): the kommune side writes the
/// agreement's own fields, the provider side the beskrivelse; an administrator both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldRights {
    /// navn, enhed, aftaleidentifikation, type, startdato, slutdato.
    pub agreement: bool,
    pub beskrivelse: bool,
}

/// R15 with R3/R4: restoring a version writes only the fields the user may write; the others
/// keep their current values.
pub fn restored(current: &Fields, version: &Fields, rights: FieldRights) -> Fields {
    let agreement = if rights.agreement { version } else { current };
    Fields {
        navn: agreement.navn.clone(),
        enhed_id: agreement.enhed_id.clone(),
        aftaleidentifikation: agreement.aftaleidentifikation.clone(),
        sl_type: agreement.sl_type,
        startdato: agreement.startdato,
        slutdato: agreement.slutdato,
        beskrivelse: if rights.beskrivelse {
            version.beskrivelse.clone()
        } else {
            current.beskrivelse.clone()
        },
    }
}

/// R10 errors only: those that keep an agreement out of the public search. Does not depend on
/// the day, so it can be stored with the agreement.
pub fn errors(f: &Fields, enhed: Option<&EnhedFacts>) -> Vec<Issue> {
    let mut out = Vec::new();
    if f.enhed_id.is_none() || enhed.is_none() {
        out.push(issue(
            Some("enhed"),
            Severity::Error,
            "MANGLER_ENHED",
            "Vælg den enhed, serviceleverancen omhandler.",
        ));
    }
    if f.sl_type.is_none() {
        out.push(issue(
            Some("type"),
            Severity::Error,
            "MANGLER_TYPE",
            "Vælg serviceleverancens type.",
        ));
    }
    if f.startdato.is_none() {
        out.push(issue(
            Some("startdato"),
            Severity::Error,
            "MANGLER_STARTDATO",
            "Udfyld startdato.",
        ));
    }
    if beskrivelse_applies(f.sl_type, enhed)
        && f.beskrivelse.as_deref().is_none_or(|b| b.trim().is_empty())
    {
        out.push(issue(
            Some("beskrivelse"),
            Severity::Error,
            "MANGLER_BESKRIVELSE",
            "Helhedsplejeleverandørens redaktør skal udfylde beskrivelsen, før serviceleverancen kan vises.",
        ));
    }
    out
}

/// R10: all issues, errors first, then the warnings of R9.
pub fn issues(f: &Fields, ctx: &IssueContext<'_>) -> Vec<Issue> {
    let mut out = errors(f, ctx.enhed);
    if let (Some(t), Some(e)) = (f.sl_type, ctx.enhed) {
        if t == SlType::Myndighedsproduktion && e.ejer_cvr != ctx.aftalepart_cvr {
            out.push(issue(
                Some("type"),
                Severity::Warning,
                "MYNDIGHEDSPRODUKTION_FREMMED_EJER",
                "Typen er myndighedsproduktion, men enheden ejes af et andet CVR-nummer end kommunen.",
            ));
        }
        if t == SlType::Driftsoverenskomst && e.ejer_cvr == ctx.aftalepart_cvr {
            out.push(issue(
                Some("type"),
                Severity::Warning,
                "DRIFTSOVERENSKOMST_EGEN_ENHED",
                "Typen er driftsoverenskomst, men enheden ejes af kommunen selv.",
            ));
        }
    }
    if let Some(end) = f.slutdato {
        if end < ctx.today {
            out.push(issue(
                Some("slutdato"),
                Severity::Warning,
                "AFSLUTTET",
                "Aftalen er udløbet.",
            ));
        } else if end <= ctx.today + Duration::days(30) {
            out.push(issue(
                Some("slutdato"),
                Severity::Warning,
                "UDLOEBER_SNART",
                "Aftalen udløber inden for 30 dage.",
            ));
        }
    }
    if ctx.overlaps_other {
        out.push(issue(
            Some("enhed"),
            Severity::Warning,
            "OVERLAPPENDE_AFTALE",
            "Kommunen har en anden aktiv serviceleverance med samme enhed i samme periode.",
        ));
    }
    // R33 on every helhedspleje agreement of a kommune whose citizens lack a choice.
    if ctx
        .enhed
        .is_some_and(|e| e.kind == EnhedKind::Helhedsplejeenhed)
    {
        out.extend(ctx.frit_valg.and_then(|c| c.warning()));
    }
    out
}

/// R10: why an agreement is not public, or `None` when it is (given it is active and not deleted).
pub fn not_public_reason(
    f: &Fields,
    enhed: Option<&EnhedFacts>,
    deleted: bool,
    today: NaiveDate,
) -> Option<String> {
    if deleted {
        return Some("Serviceleverancen er slettet.".into());
    }
    let errs = errors(f, enhed);
    if !errs.is_empty() {
        let list: Vec<_> = errs.iter().map(|e| e.message.as_str()).collect();
        return Some(format!("Serviceleverancen har fejl: {}", list.join(" ")));
    }
    if !crate::domain::day::is_active(f.startdato, f.slutdato, today) {
        return Some("Serviceleverancen er ikke aktiv i dag.".into());
    }
    None
}

/// R9: do two date ranges overlap (open ends are infinite)?
pub fn periods_overlap(
    a: (Option<NaiveDate>, Option<NaiveDate>),
    b: (Option<NaiveDate>, Option<NaiveDate>),
) -> bool {
    let (Some(a0), Some(b0)) = (a.0, b.0) else {
        return false;
    };
    a.1.is_none_or(|a1| b0 <= a1) && b.1.is_none_or(|b1| a0 <= b1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r15_restore_keeps_the_fields_the_user_may_not_write() {
        let cur = Fields {
            navn: "Ny".into(),
            beskrivelse: Some("Leverandørens tekst".into()),
            ..Default::default()
        };
        let old = Fields {
            navn: "Gammel".into(),
            beskrivelse: None,
            ..Default::default()
        };
        let kommune = FieldRights {
            agreement: true,
            beskrivelse: false,
        };
        let r = restored(&cur, &old, kommune);
        assert_eq!(r.navn, "Gammel");
        assert_eq!(r.beskrivelse.as_deref(), Some("Leverandørens tekst"), "R4");
        let admin = FieldRights {
            agreement: true,
            beskrivelse: true,
        };
        assert_eq!(restored(&cur, &old, admin), old);
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn helhed(cvr: &str) -> EnhedFacts {
        EnhedFacts {
            kind: EnhedKind::Helhedsplejeenhed,
            ejer_cvr: cvr.into(),
        }
    }

    fn full() -> Fields {
        Fields {
            navn: "Aldersro".into(),
            enhed_id: Some("e1".into()),
            aftaleidentifikation: Some("K-1".into()),
            sl_type: Some(SlType::Driftsoverenskomst),
            beskrivelse: None,
            startdato: Some(d("2026-01-01")),
            slutdato: None,
        }
    }

    #[test]
    fn r2_navn_rules() {
        assert_eq!(
            validate_navn("  Ældrecenter Åbo  ").expect("ok"),
            "Ældrecenter Åbo"
        );
        assert!(validate_navn("   ").is_err());
        assert!(validate_navn(&"æ".repeat(200)).is_ok());
        assert!(validate_navn(&"æ".repeat(201)).is_err());
        assert!(validate_navn("a\0b").is_err());
    }

    #[test]
    fn r3_friplejebolig_only_for_admin() {
        assert!(validate_type(Some(SlType::Friplejebolig), false).is_err());
        assert!(validate_type(Some(SlType::Friplejebolig), true).is_ok());
        for t in [
            SlType::Driftsoverenskomst,
            SlType::Myndighedsproduktion,
            SlType::Lokalplejehjem,
        ] {
            assert!(validate_type(Some(t), false).is_ok());
        }
    }

    #[test]
    fn r4_beskrivelse_only_for_private_helhedspleje_and_then_mandatory() {
        let e = helhed("22222222");
        assert!(validate_beskrivelse_write(Some(SlType::Driftsoverenskomst), Some(&e)).is_ok());
        assert!(validate_beskrivelse_write(Some(SlType::Myndighedsproduktion), Some(&e)).is_err());
        let pleje = EnhedFacts {
            kind: EnhedKind::Plejeenhed,
            ejer_cvr: "2".into(),
        };
        assert!(
            validate_beskrivelse_write(Some(SlType::Driftsoverenskomst), Some(&pleje)).is_err()
        );
        let errs = errors(&full(), Some(&e));
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].code, "MANGLER_BESKRIVELSE");
        let with = Fields {
            beskrivelse: Some("Rengøring hver uge".into()),
            ..full()
        };
        assert!(errors(&with, Some(&e)).is_empty());
        assert!(
            errors(&full(), Some(&pleje)).is_empty(),
            "no beskrivelse needed for plejeenheder"
        );
    }

    #[test]
    fn r3_a_kommune_user_may_keep_but_not_set_friplejebolig() {
        let fri = Fields {
            sl_type: Some(SlType::Friplejebolig),
            ..full()
        };
        assert!(validate_save(&fri, None, false).is_err());
        assert!(validate_save(&fri, Some(&full()), false).is_err());
        assert!(validate_save(&fri, Some(&fri), false).is_ok());
        assert!(validate_save(&fri, None, true).is_ok());
    }

    #[test]
    fn r5_slutdato_not_before_startdato() {
        assert!(validate_dates(Some(d("2026-01-02")), Some(d("2026-01-01"))).is_err());
        assert!(validate_dates(Some(d("2026-01-02")), Some(d("2026-01-02"))).is_ok());
        assert!(validate_dates(None, Some(d("2026-01-01"))).is_ok());
    }

    #[test]
    fn r10_missing_fields_are_errors() {
        let f = Fields {
            navn: "Ny".into(),
            ..Default::default()
        };
        let codes: Vec<_> = errors(&f, None).iter().map(|i| i.code).collect();
        assert_eq!(
            codes,
            vec!["MANGLER_ENHED", "MANGLER_TYPE", "MANGLER_STARTDATO"]
        );
        assert!(not_public_reason(&f, None, false, d("2026-02-01")).is_some());
    }

    #[test]
    fn r9_warnings() {
        let today = d("2026-06-01");
        let own = EnhedFacts {
            kind: EnhedKind::Plejeenhed,
            ejer_cvr: "11111111".into(),
        };
        let foreign = EnhedFacts {
            kind: EnhedKind::Plejeenhed,
            ejer_cvr: "22222222".into(),
        };
        let codes = |f: &Fields, e: &EnhedFacts, overlaps| {
            let ctx = IssueContext {
                frit_valg: None,
                enhed: Some(e),
                aftalepart_cvr: "11111111",
                today,
                overlaps_other: overlaps,
            };
            issues(f, &ctx)
                .into_iter()
                .map(|i| (i.code, i.severity))
                .collect::<Vec<_>>()
        };
        let myn = Fields {
            sl_type: Some(SlType::Myndighedsproduktion),
            ..full()
        };
        assert_eq!(
            codes(&myn, &foreign, false),
            vec![("MYNDIGHEDSPRODUKTION_FREMMED_EJER", Severity::Warning)]
        );
        assert!(codes(&myn, &own, false).is_empty());
        assert_eq!(
            codes(&full(), &own, false),
            vec![("DRIFTSOVERENSKOMST_EGEN_ENHED", Severity::Warning)]
        );
        let ended = Fields {
            slutdato: Some(d("2026-05-31")),
            ..myn.clone()
        };
        assert_eq!(
            codes(&ended, &own, false),
            vec![("AFSLUTTET", Severity::Warning)]
        );
        let soon = Fields {
            slutdato: Some(d("2026-07-01")),
            ..myn.clone()
        };
        assert_eq!(
            codes(&soon, &own, false),
            vec![("UDLOEBER_SNART", Severity::Warning)]
        );
        let later = Fields {
            slutdato: Some(d("2026-07-02")),
            ..myn.clone()
        };
        assert!(codes(&later, &own, false).is_empty());
        assert_eq!(
            codes(&myn, &own, true),
            vec![("OVERLAPPENDE_AFTALE", Severity::Warning)]
        );
    }

    #[test]
    fn r9_overlap_of_periods() {
        let p = |a: &str, b: Option<&str>| (Some(d(a)), b.map(d));
        assert!(periods_overlap(
            p("2026-01-01", None),
            p("2027-01-01", None)
        ));
        assert!(periods_overlap(
            p("2026-01-01", Some("2026-06-01")),
            p("2026-06-01", None)
        ));
        assert!(!periods_overlap(
            p("2026-01-01", Some("2026-05-31")),
            p("2026-06-01", None)
        ));
        assert!(!periods_overlap((None, None), p("2026-06-01", None)));
    }
}
