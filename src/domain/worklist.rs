//! "Kræver handling" (issue 20): what in an agreement asks a caseworker to act, and which of it
//! each role is asked about. The 30-day windows and the warnings come from the issues of R9/R10
//! (`serviceleverance::issues`), so the list and the agreement's own page never disagree.
use super::access::{Role, Viewer};
use super::diff::day_in_words;
use super::serviceleverance::{Fields, Issue, Severity};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Europe::Copenhagen;

/// Why an agreement is on the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkKind {
    /// Ends within 30 days (R9's UDLOEBER_SNART).
    EndingSoon,
    /// Ended within the last 30 days (R9's AFSLUTTET, recent).
    EndedRecently,
    /// Has other warnings (R9).
    Warnings,
    /// Waits for the provider's beskrivelse (R4, R10).
    AwaitingBeskrivelse,
    /// Locked, or changed without a check-in, for more than a day (R13, R14: "meget vigtigt" to
    /// check in, says the guide).
    NotCheckedIn,
}

impl WorkKind {
    pub const ALL: [WorkKind; 5] = [
        WorkKind::EndingSoon,
        WorkKind::EndedRecently,
        WorkKind::Warnings,
        WorkKind::AwaitingBeskrivelse,
        WorkKind::NotCheckedIn,
    ];

    /// The group's heading.
    pub fn title(self) -> &'static str {
        match self {
            WorkKind::EndingSoon => "Udløber inden for 30 dage",
            WorkKind::EndedRecently => "Udløbet inden for de seneste 30 dage",
            WorkKind::Warnings => "Har advarsler",
            WorkKind::AwaitingBeskrivelse => "Venter på leverandørens beskrivelse",
            WorkKind::NotCheckedIn => "Ikke tjekket ind i over et døgn",
        }
    }
}

/// What each role is asked about: the kommune's driftsoverenskomstansvarlig (and an
/// administrator) all of it; the provider's redaktør the beskrivelser it is waited on for.
pub fn kinds_for(v: &Viewer) -> Vec<WorkKind> {
    if v.has(Role::Administrator) || v.has(Role::Driftsoverenskomstansvarlig) {
        WorkKind::ALL.to_vec()
    } else if v.has(Role::Redaktoer) {
        vec![WorkKind::AwaitingBeskrivelse]
    } else {
        Vec::new()
    }
}

/// R33's warning about the viewer's own kommune is for its driftsoverenskomstansvarlig.
pub fn asks_frit_valg(v: &Viewer) -> bool {
    v.has(Role::Driftsoverenskomstansvarlig)
}

/// The facts about one agreement the list needs besides its fields and issues.
pub struct Facts<'a> {
    pub fields: &'a Fields,
    pub issues: &'a [Issue],
    /// The live lock: (holder's name, since).
    pub lock: Option<(&'a str, DateTime<Utc>)>,
    /// The last save, and when the last version was recorded (R13).
    pub saved_at: DateTime<Utc>,
    pub versioned_at: Option<DateTime<Utc>>,
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
}

/// "3. december 2026 kl. 10.12" in Copenhagen time.
fn moment(t: DateTime<Utc>) -> String {
    let l = t.with_timezone(&Copenhagen);
    format!("{} kl. {}", day_in_words(l.date_naive()), l.format("%H.%M"))
}

/// Each reason the agreement is on the list, with a sentence saying it.
pub fn reasons(f: &Facts<'_>) -> Vec<(WorkKind, String)> {
    let mut out = Vec::new();
    let has = |code: &str| f.issues.iter().any(|i| i.code == code);
    if let Some(end) = f.fields.slutdato {
        if has("UDLOEBER_SNART") {
            let days = (end - f.today).num_days();
            let when = match days {
                0 => "i dag".to_string(),
                1 => "i morgen".to_string(),
                n => format!("om {n} dage"),
            };
            out.push((
                WorkKind::EndingSoon,
                format!("Udløber {} ({when}).", day_in_words(end)),
            ));
        }
        if has("AFSLUTTET") && end >= f.today - Duration::days(30) {
            out.push((
                WorkKind::EndedRecently,
                format!("Udløb {}.", day_in_words(end)),
            ));
        }
    }
    let warnings: Vec<&str> = f
        .issues
        .iter()
        .filter(|i| {
            i.severity == Severity::Warning && !matches!(i.code, "UDLOEBER_SNART" | "AFSLUTTET")
        })
        .map(|i| i.message.as_str())
        .collect();
    if !warnings.is_empty() {
        out.push((WorkKind::Warnings, warnings.join(" ")));
    }
    if has("MANGLER_BESKRIVELSE") {
        out.push((
            WorkKind::AwaitingBeskrivelse,
            "Helhedsplejeleverandørens redaktør har ikke skrevet beskrivelsen endnu.".into(),
        ));
    }
    let day_ago = f.now - Duration::days(1);
    match f.lock {
        Some((who, since)) if since < day_ago => out.push((
            WorkKind::NotCheckedIn,
            format!("Låst af {who} siden {}.", moment(since)),
        )),
        None if f.versioned_at.is_some_and(|v| f.saved_at > v) && f.saved_at < day_ago => {
            out.push((
                WorkKind::NotCheckedIn,
                format!(
                    "Gemt {} uden at blive tjekket ind: ændringerne er ikke en version.",
                    moment(f.saved_at)
                ),
            ))
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::serviceleverance::{issues, IssueContext};
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).single().expect("t")
    }

    #[test]
    fn the_windows_come_from_the_issues() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).expect("d");
        let f = Fields {
            navn: "A".into(),
            startdato: NaiveDate::from_ymd_opt(2026, 1, 1),
            slutdato: NaiveDate::from_ymd_opt(2026, 12, 7),
            ..Fields::default()
        };
        let ctx = IssueContext {
            enhed: None,
            aftalepart_cvr: "1",
            today,
            overlaps_other: false,
            frit_valg: None,
        };
        let is = issues(&f, &ctx);
        let facts = Facts {
            fields: &f,
            issues: &is,
            lock: None,
            saved_at: at(2026, 12, 1),
            versioned_at: Some(at(2026, 11, 30)),
            today,
            now: at(2026, 12, 6),
        };
        let r = reasons(&facts);
        let kinds: Vec<_> = r.iter().map(|(k, _)| *k).collect();
        assert_eq!(kinds, vec![WorkKind::EndingSoon, WorkKind::NotCheckedIn]);
        assert_eq!(r[0].1, "Udløber 7. december 2026 (i morgen).");
        assert!(r[1].1.contains("1. december 2026 kl. 10.00"), "{}", r[1].1);
    }
}
