//! R30, the change feed: when an offer enters, changes in or leaves the public view, and what
//! event that is. The feed's view of an offer is where it last said the offer stands; each write
//! and each day change compares the offer as it now is against that view.
use super::day;
use chrono::NaiveDate;

/// What happened to an offer in the public view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// It became public (a new agreement, its first day, an error fixed, an enhed linked).
    Added,
    /// It stays public and its public data changed (the agreement or its enhed).
    Updated,
    /// It left the public view (deleted, its last day passed, an error, unlinked).
    Removed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "ADDED",
            ChangeKind::Updated => "UPDATED",
            ChangeKind::Removed => "REMOVED",
        }
    }

    pub fn parse(s: &str) -> Option<ChangeKind> {
        match s {
            "ADDED" => Some(ChangeKind::Added),
            "UPDATED" => Some(ChangeKind::Updated),
            "REMOVED" => Some(ChangeKind::Removed),
            _ => None,
        }
    }
}

/// Where a public offer stands: for which kommune, with which enhed (and its kind).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    pub kommune: String,
    pub enhed_id: Option<String>,
    pub enhed_kind: Option<String>,
}

/// The facts of an agreement that decide whether it is public on a day.
pub struct Facts {
    pub deleted: bool,
    pub has_errors: bool,
    pub linked: bool,
    pub startdato: Option<NaiveDate>,
    pub slutdato: Option<NaiveDate>,
}

/// R8, R10, R20: could the agreement be public on some day (not deleted, no ERROR issue,
/// an enhed linked)? The read model keeps exactly these.
pub fn may_be_public(deleted: bool, has_errors: bool, linked: bool) -> bool {
    !deleted && !has_errors && linked
}

/// R6 with R8, R10, R20: is the agreement public on `day`?
pub fn public_on(f: &Facts, on: NaiveDate) -> bool {
    may_be_public(f.deleted, f.has_errors, f.linked) && day::is_active(f.startdato, f.slutdato, on)
}

/// The events that take the feed's view of one offer from `was` to `is`. `touched`: the offer's
/// public data may have changed (a write to it or its enhed); a day change alone is not.
/// An offer that moves to another kommune leaves the one and enters the other.
pub fn events<'a>(
    was: Option<&'a Standing>,
    is: Option<&'a Standing>,
    touched: bool,
) -> Vec<(ChangeKind, &'a Standing)> {
    match (was, is) {
        (None, None) => vec![],
        (None, Some(p)) => vec![(ChangeKind::Added, p)],
        (Some(w), None) => vec![(ChangeKind::Removed, w)],
        (Some(w), Some(p)) if w.kommune != p.kommune => {
            vec![(ChangeKind::Removed, w), (ChangeKind::Added, p)]
        }
        (Some(w), Some(p)) if touched || w != p => vec![(ChangeKind::Updated, p)],
        (Some(_), Some(_)) => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(k: &str) -> Standing {
        Standing {
            kommune: k.into(),
            enhed_id: Some("e".into()),
            enhed_kind: Some("PLEJEENHED".into()),
        }
    }

    /// R30: each move between "not public" and "public" is one event, an untouched public offer
    /// none, and a move of kommune leaves one kommune's feed and enters the other's.
    #[test]
    fn r30_events_follow_the_view() {
        let (a, b) = (at("0101"), at("0147"));
        let kinds = |v: Vec<(ChangeKind, &Standing)>| {
            v.into_iter()
                .map(|(k, s)| (k, s.kommune.clone()))
                .collect::<Vec<_>>()
        };
        assert!(events(None, None, true).is_empty());
        assert_eq!(
            kinds(events(None, Some(&a), false)),
            [(ChangeKind::Added, "0101".into())]
        );
        assert_eq!(
            kinds(events(Some(&a), None, false)),
            [(ChangeKind::Removed, "0101".into())]
        );
        assert_eq!(
            kinds(events(Some(&a), Some(&a), true)),
            [(ChangeKind::Updated, "0101".into())]
        );
        assert!(events(Some(&a), Some(&a), false).is_empty());
        assert_eq!(
            kinds(events(Some(&a), Some(&b), false)),
            [
                (ChangeKind::Removed, "0101".into()),
                (ChangeKind::Added, "0147".into())
            ]
        );
    }

    /// R6: public from the first day through the last, never without a start, never deleted or
    /// with errors or without an enhed.
    #[test]
    fn r30_public_on_the_edge_days() {
        let d = |n| NaiveDate::from_ymd_opt(2027, 1, n).expect("day");
        let f = |deleted, has_errors, linked| Facts {
            deleted,
            has_errors,
            linked,
            startdato: Some(d(10)),
            slutdato: Some(d(20)),
        };
        assert!(!public_on(&f(false, false, true), d(9)));
        assert!(public_on(&f(false, false, true), d(10)));
        assert!(public_on(&f(false, false, true), d(20)));
        assert!(!public_on(&f(false, false, true), d(21)));
        assert!(!public_on(&f(true, false, true), d(15)));
        assert!(!public_on(&f(false, true, true), d(15)));
        assert!(!public_on(&f(false, false, false), d(15)));
    }
}
