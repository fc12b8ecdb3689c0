//! Counts as people read them: `100,000` in sentences, `1 key` and `2 keys` rather than
//! `key(s)`, `100k` where a badge has no room.

/// `1234567` → `1,234,567`.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// `n` with its noun in the right number: `1 key`, `0 keys`, `100,000 keys`.
pub fn count_of(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// At most four characters: `999`, `1.2k`, `12k`, `100k`, `1.2M`; never rounded up past
/// the count (`999,999` is `999k`, not `1M`).
pub fn compact(n: usize) -> String {
    let scaled = |unit: usize, suffix: &str| {
        let tenths = n / (unit / 10);
        if tenths < 100 && !tenths.is_multiple_of(10) {
            format!("{}.{}{suffix}", tenths / 10, tenths % 10)
        } else {
            format!("{}{suffix}", n / unit)
        }
    };
    match n {
        0..=999 => n.to_string(),
        1_000..=999_999 => scaled(1_000, "k"),
        _ => scaled(1_000_000, "M"),
    }
}

/// A size as people read it: `512 bytes`, `64 MiB`, `1 GiB`, `1.5 GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (unit, name) in UNITS {
        if n >= unit {
            let tenths = n * 10 / unit;
            return if tenths.is_multiple_of(10) {
                format!("{} {name}", tenths / 10)
            } else {
                format!("{}.{} {name}", tenths / 10, tenths % 10)
            };
        }
    }
    count_of(n as usize, "byte", "bytes")
}

/// A size as typed: `1048576`, `512K`, `64M`, `2G` or `1T` (powers of 1024; a trailing
/// `B` or `iB` is allowed).
pub fn parse_bytes(text: &str) -> Option<u64> {
    let t = text.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (digits, shift) = match t.char_indices().last()? {
        (i, 'K' | 'k') => (&t[..i], 10),
        (i, 'M' | 'm') => (&t[..i], 20),
        (i, 'G' | 'g') => (&t[..i], 30),
        (i, 'T' | 't') => (&t[..i], 40),
        _ => (t, 0),
    };
    let n: u64 = digits.trim().parse().ok()?;
    n.checked_mul(1 << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_as_typed() {
        assert_eq!(parse_bytes("2G"), Some(2 << 30));
        assert_eq!(parse_bytes("64MiB"), Some(64 << 20));
        assert_eq!(parse_bytes("512k"), Some(512 << 10));
        assert_eq!(parse_bytes("100"), Some(100));
        for bad in ["", "G", "-1M", "1.5G", "99999999999T", "1X"] {
            assert_eq!(parse_bytes(bad), None, "{bad}");
        }
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (100_000, "100,000"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(count(n), text);
        }
    }

    #[test]
    fn a_noun_follows_its_count() {
        assert_eq!(count_of(0, "key", "keys"), "0 keys");
        assert_eq!(count_of(1, "key", "keys"), "1 key");
        assert_eq!(count_of(2, "entry", "entries"), "2 entries");
        assert_eq!(count_of(100_000, "key", "keys"), "100,000 keys");
    }

    #[test]
    fn compact_counts_fit_a_badge() {
        for (n, text) in [
            (7, "7"),
            (999, "999"),
            (1_000, "1k"),
            (1_250, "1.2k"),
            (9_999, "9.9k"),
            (12_345, "12k"),
            (100_000, "100k"),
            (999_999, "999k"),
            (1_500_000, "1.5M"),
            (25_000_000, "25M"),
        ] {
            assert_eq!(compact(n), text, "{n}");
        }
    }

    #[test]
    fn sizes_in_binary_units() {
        assert_eq!(bytes(1), "1 byte");
        assert_eq!(bytes(512), "512 bytes");
        assert_eq!(bytes(64 << 20), "64 MiB");
        assert_eq!(bytes(1 << 30), "1 GiB");
        assert_eq!(bytes(3 << 29), "1.5 GiB");
    }
}
