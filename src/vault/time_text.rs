//! Times as text: RFC 3339 in UTC for records, JSON and logs, dates for tables.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use keyward_verify::time::Timestamp;

// The formatter verifier files' messages use too (allocation-free for listings).
use keyward_verify::time::rfc3339_utc;
pub use keyward_verify::time::{format_time, now};

/// `2026-11-22`, for tables.
pub fn format_date(t: Timestamp) -> String {
    OffsetDateTime::from_unix_timestamp(t)
        .map(|d| d.date().to_string())
        .unwrap_or_else(|_| t.to_string())
}

pub fn parse_time(text: &str) -> Option<Timestamp> {
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .map(|d| d.unix_timestamp())
}

pub(crate) fn ser_time<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    match rfc3339_utc(*t) {
        Some(text) => s.serialize_str(std::str::from_utf8(&text).unwrap_or_default()),
        None => s.serialize_str(&format_time(*t)),
    }
}

pub(crate) fn ser_opt_time<S: serde::Serializer>(
    t: &Option<Timestamp>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => ser_time(t, s),
        None => s.serialize_none(),
    }
}
