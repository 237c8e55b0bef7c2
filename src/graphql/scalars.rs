//! The `Date` scalar: one date type for the whole API, strict where a date enters.
use crate::domain::day;
use async_graphql::{Description, InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::NaiveDate;

/// A calendar day, `YYYY-MM-DD` (RFC 3339 full-date) with a four-digit year between
/// 1900-01-01 and 2999-12-31.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Description)]
pub struct Date(pub NaiveDate);

#[Scalar(
    name = "Date",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6",
    use_type_description
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => day::parse_date(s)
                .map(Date)
                .map_err(InputValueError::custom),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    /// Checked already when the request is validated, so a bad date is refused before
    /// anything runs, with the argument's path in the message.
    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(s) if day::parse_date(s).is_ok())
    }

    fn to_value(&self) -> Value {
        // Written out: chrono's `format` parses its pattern on every call, and a search page
        // writes two dates per hit. Years are 1900..2999 (four digits) in this API.
        use chrono::Datelike;
        let d = self.0;
        Value::String(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
    }
}

impl From<NaiveDate> for Date {
    fn from(d: NaiveDate) -> Self {
        Date(d)
    }
}

impl From<Date> for NaiveDate {
    fn from(d: Date) -> Self {
        d.0
    }
}

/// An instant: an RFC 3339 date-time, e.g. `2026-01-31T12:00:00+00:00`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Description)]
pub struct DateTime(pub chrono::DateTime<chrono::Utc>);

#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6",
    use_type_description
)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| DateTime(t.with_timezone(&chrono::Utc)))
                .map_err(|_| {
                    InputValueError::custom(
                        "Forventede et tidspunkt efter RFC 3339, fx 2026-01-31T12:00:00Z.",
                    )
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339())
    }
}
