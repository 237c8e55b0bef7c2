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
    /// To the microsecond: what PostgreSQL's `timestamptz` keeps, so that a time the service
    /// wrote reads back the same on either database, and `copy-data` moves it unchanged.
    fn now(&self) -> DateTime<Utc> {
        use chrono::SubsecRound;
        Utc::now().trunc_subsecs(6)
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

/// The instant a Copenhagen day begins (midnight; on a day whose midnight a clock change
/// skipped, the first instant that exists).
pub fn day_start(d: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    let mut t = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..4 {
        if let Some(x) = Copenhagen.from_local_datetime(&t).earliest() {
            return x.with_timezone(&Utc);
        }
        t += chrono::Duration::minutes(30);
    }
    t.and_utc()
}

/// The earliest and latest day the service accepts anywhere a date enters.
pub const FIRST_DAY: (i32, u32, u32) = (1900, 1, 1);
pub const LAST_DAY: (i32, u32, u32) = (2999, 12, 31);

/// A day as clients write it: exactly `YYYY-MM-DD` (RFC 3339 full-date) with a four-digit year,
/// between 1900-01-01 and 2999-12-31. The Danish message says what is expected.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let expected = "en dato på formen ÅÅÅÅ-MM-DD (fx 2026-01-31) mellem 1900-01-01 og 2999-12-31";
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err(format!("Forventede {expected}."));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("{s:.10} er ikke en dato i kalenderen; forventede {expected}."))?;
    let in_range = |(y, m, dd): (i32, u32, u32)| NaiveDate::from_ymd_opt(y, m, dd);
    match (in_range(FIRST_DAY), in_range(LAST_DAY)) {
        (Some(first), Some(last)) if d >= first && d <= last => Ok(d),
        _ => Err(format!(
            "{s} ligger uden for det tilladte; forventede {expected}."
        )),
    }
}

/// R6: active on `day` when startdato <= day and (no slutdato or day <= slutdato).
/// Without a startdato an agreement is never active (it has an ERROR issue, R10).
/// The SQL of the lists and the public search mirrors this in one place,
/// `store::serviceleverance::active_on`; tests/api/search.rs proves that they agree.
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

    #[test]
    fn dates_are_exactly_yyyy_mm_dd_in_range() {
        assert_eq!(parse_date("2026-01-31"), Ok(d(2026, 1, 31)));
        assert_eq!(parse_date("1900-01-01"), Ok(d(1900, 1, 1)));
        assert_eq!(parse_date("2999-12-31"), Ok(d(2999, 12, 31)));
        for bad in [
            "26-01-01",
            "-5000-01-01",
            "+2026-01-01",
            "2026-1-01",
            "2026-02-30",
            "1899-12-31",
            "3000-01-01",
            "2026-01-01T00:00",
            " 2026-01-01",
            "2026/01/01",
            "",
            "٢٠٢٦-٠١-٠١",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

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
