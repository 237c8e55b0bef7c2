//! R6: activity on a day, and "today" as the calendar day in Europe/Copenhagen.
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Copenhagen;
use std::sync::Arc;

/// The source of "now". Production uses the system clock; tests inject a fixed instant.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that always answers the same instant (tests, benchmarks).
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

pub type SharedClock = Arc<dyn Clock>;

/// The calendar day in Copenhagen at the instant `now` (R6).
pub fn copenhagen_day(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&Copenhagen).date_naive()
}

/// R6: active on `day` when startdato <= day and (no slutdato or day <= slutdato).
/// Without a startdato an agreement is never active (it has an ERROR issue, R10).
pub fn is_active(
    startdato: Option<NaiveDate>,
    slutdato: Option<NaiveDate>,
    day: NaiveDate,
) -> bool {
    match startdato {
        Some(start) => start <= day && slutdato.is_none_or(|end| day <= end),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).expect("valid date")
    }

    #[test]
    fn r6_both_ends_inclusive() {
        let day = d(2026, 3, 1);
        assert!(is_active(Some(day), Some(day), day));
        assert!(is_active(Some(d(2026, 1, 1)), None, day));
        assert!(!is_active(Some(d(2026, 3, 2)), None, day));
        assert!(!is_active(Some(d(2026, 1, 1)), Some(d(2026, 2, 28)), day));
        assert!(!is_active(None, None, day));
    }

    #[test]
    fn r6_today_is_copenhagen_not_utc() {
        // Winter (UTC+1): 23:30 UTC on 31 Dec is already 1 Jan in Copenhagen.
        let winter = Utc
            .with_ymd_and_hms(2026, 12, 31, 23, 30, 0)
            .single()
            .expect("time");
        assert_eq!(copenhagen_day(winter), d(2027, 1, 1));
        let winter_before = Utc
            .with_ymd_and_hms(2026, 12, 31, 22, 59, 0)
            .single()
            .expect("time");
        assert_eq!(copenhagen_day(winter_before), d(2026, 12, 31));
        // Summer (UTC+2): 22:00 UTC on 30 June is 1 July in Copenhagen.
        let summer = Utc
            .with_ymd_and_hms(2026, 6, 30, 22, 0, 0)
            .single()
            .expect("time");
        assert_eq!(copenhagen_day(summer), d(2026, 7, 1));
        let summer_before = Utc
            .with_ymd_and_hms(2026, 6, 30, 21, 59, 59)
            .single()
            .expect("time");
        assert_eq!(copenhagen_day(summer_before), d(2026, 6, 30));
    }
}
