//! R33, frit valg (ældreloven § 18; extends R9): a kommune's citizens must be able to choose
//! between at least two providers of helhedspleje, not only the kommune itself. On a day, the
//! providers are the owners (by CVR) of the enheder of the kommune's public helhedspleje offers.
use super::serviceleverance::{Issue, Severity};
use std::collections::BTreeSet;

/// The choice a kommune's citizens have on a day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The distinct owner CVRs of the public helhedspleje offers.
    pub providers: BTreeSet<String>,
    /// The kommune's own CVR.
    pub kommune_cvr: String,
}

impl Choice {
    /// Fewer than two providers, or only the kommune itself.
    pub fn lacking(&self) -> bool {
        self.providers.len() < 2 || self.providers.iter().all(|p| *p == self.kommune_cvr)
    }

    /// The warning for the kommune's driftsoverenskomstansvarlig, when the choice is lacking.
    pub fn warning(&self) -> Option<Issue> {
        if !self.lacking() {
            return None;
        }
        let n = self.providers.len();
        let have = match n {
            0 => "ingen leverandører".to_string(),
            1 if self.providers.contains(&self.kommune_cvr) => {
                "kun kommunen selv som leverandør".to_string()
            }
            1 => "kun én leverandør".to_string(),
            n => format!("{n} leverandører"),
        };
        Some(Issue {
            field: None,
            severity: Severity::Warning,
            code: "FRIT_VALG",
            message: format!(
                "Frit valg: kommunens borgere har i dag {have} af helhedspleje at vælge imellem. Ældreloven § 18 kræver mindst to, som ikke begge er kommunen selv."
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(providers: &[&str]) -> Choice {
        Choice {
            providers: providers.iter().map(|s| s.to_string()).collect(),
            kommune_cvr: "29189404".into(),
        }
    }

    #[test]
    fn r33_two_providers_that_are_not_only_the_kommune() {
        assert!(choice(&[]).lacking());
        assert!(choice(&["90000001"]).lacking());
        assert!(choice(&["29189404"]).lacking());
        assert!(!choice(&["29189404", "90000001"]).lacking());
        assert!(!choice(&["90000002", "90000001"]).lacking());
        let w = choice(&["29189404"]).warning().expect("warning");
        assert!(w.message.contains("kun kommunen selv"), "{}", w.message);
        assert_eq!(w.code, "FRIT_VALG");
        assert!(choice(&["1", "2"]).warning().is_none());
    }
}
