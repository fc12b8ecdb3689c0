//! Times as the verifier files carry them (Unix seconds) and as messages show them (RFC 3339).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Unix seconds, UTC.
pub type Timestamp = i64;

pub fn now() -> Timestamp {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// RFC 3339 in UTC, e.g. `2026-11-22T10:00:00Z`.
pub fn format_time(t: Timestamp) -> String {
    match rfc3339_utc(t) {
        Some(text) => String::from_utf8_lossy(&text).into_owned(),
        None => OffsetDateTime::from_unix_timestamp(t)
            .ok()
            .and_then(|d| d.format(&Rfc3339).ok())
            .unwrap_or_else(|| t.to_string()),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for years 1970 to 9999, without allocating: listings format four
/// times per key (Howard Hinnant's `civil_from_days`).
pub fn rfc3339_utc(t: Timestamp) -> Option<[u8; 20]> {
    const LAST: Timestamp = 253_402_300_799; // 9999-12-31T23:59:59Z
    if !(0..=LAST).contains(&t) {
        return None;
    }
    let (days, secs) = (t / 86_400, t % 86_400);
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + Timestamp::from(month <= 2);
    let mut out = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, width: usize, mut n: i64| {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, month);
    put(8, 2, day);
    put(11, 2, secs / 3_600);
    put(14, 2, secs / 60 % 60);
    put(17, 2, secs % 60);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The fast formatter writes what the `time` crate writes, for every second it covers.
        #[test]
        fn rfc3339_matches_the_time_crate(t in -100_000i64..260_000_000_000) {
            let slow = OffsetDateTime::from_unix_timestamp(t)
                .ok()
                .and_then(|d| d.format(&Rfc3339).ok())
                .unwrap_or_else(|| t.to_string());
            proptest::prop_assert_eq!(format_time(t), slow);
        }
    }

    #[test]
    fn rfc3339_edges() {
        for t in [0, 951_782_400, 253_402_300_799, 1_764_028_800] {
            let want = OffsetDateTime::from_unix_timestamp(t)
                .unwrap()
                .format(&Rfc3339)
                .unwrap();
            assert_eq!(format_time(t), want);
        }
        assert_eq!(format_time(-1), "1969-12-31T23:59:59Z");
        assert_eq!(format_time(253_402_300_800), "253402300800");
    }
}
