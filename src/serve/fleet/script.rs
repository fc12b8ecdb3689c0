//! The one round trip of a fleet check: the key names, the arguments `take.lua` is given, and
//! the reading of its answer, which is hostile input (a wrong shape is an error, never a panic).

use std::borrow::Cow;
use std::collections::HashSet;

use keyward_verify::limits::{CreditState, Credits, Millis, RateLimit, WindowAnswer};
use redis::Value;

use super::error::FleetError;

/// The check, run with EVALSHA (EVAL once after a restart or SCRIPT FLUSH: NOSCRIPT).
pub const TAKE: &str = include_str!("take.lua");

/// Numbers Lua holds exactly (doubles): costs, credits and times stay below it.
pub const MAX_EXACT: u64 = 1 << 53;

/// Credits not touched for this long vanish (a key idle over a year starts afresh).
pub const CREDITS_TTL_MS: u64 = 400 * 86_400_000;

/// At most this many rate limits on one key (each is a key in the script).
const MAX_LIMITS: usize = 32;

/// The hash tag of a key id: `{…}` keeps all of one key's state in one Redis Cluster slot.
/// Ids of letters, digits, `_`, `-` and `.` are used as they are; any other is hex, after a
/// `~` that no plain id has.
pub fn tag(key_id: &str) -> Cow<'_, str> {
    let plain = key_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if plain {
        Cow::Borrowed(key_id)
    } else {
        let mut out = String::with_capacity(1 + 2 * key_id.len());
        out.push('~');
        for b in key_id.bytes() {
            out.push_str(&format!("{b:02x}"));
        }
        Cow::Owned(out)
    }
}

/// The key holding a key's credits.
pub fn credits_key(key_id: &str) -> String {
    format!("kw:{{{}}}:c", tag(key_id))
}

/// The key holding a key's sliding window for one named limit.
pub fn window_key(key_id: &str, limit: &RateLimit) -> String {
    format!("kw:{{{}}}:w:{}", tag(key_id), limit.name)
}

/// Checks what a caller asks before anything is sent.
pub fn check_request(
    key_id: &str,
    limits: &[RateLimit],
    credits: Option<&Credits>,
    cost: u64,
    now_ms: Millis,
) -> Result<(), FleetError> {
    if key_id.is_empty() || key_id.len() > 256 {
        return Err(FleetError::Invalid("a key id is 1 to 256 bytes".into()));
    }
    if limits.len() > MAX_LIMITS {
        return Err(FleetError::Invalid(format!(
            "a key has at most {MAX_LIMITS} rate limits"
        )));
    }
    let mut names = HashSet::new();
    for limit in limits {
        limit
            .validate()
            .map_err(|e| FleetError::Invalid(e.to_string()))?;
        if !names.insert(limit.name.as_str()) {
            return Err(FleetError::Invalid(format!(
                "two rate limits of one key are named {:?}",
                limit.name
            )));
        }
    }
    if let Some(c) = credits {
        c.validate()
            .map_err(|e| FleetError::Invalid(e.to_string()))?;
    }
    if cost > MAX_EXACT {
        return Err(FleetError::Invalid(format!(
            "a check costs at most {MAX_EXACT}"
        )));
    }
    if now_ms == 0 || now_ms > MAX_EXACT {
        return Err(FleetError::Invalid(
            "the clock reads no sensible time".into(),
        ));
    }
    Ok(())
}

/// The script with its keys and arguments for one check.
pub fn invocation<'a>(
    script: &'a redis::Script,
    key_id: &str,
    limits: &[RateLimit],
    credits: Option<&Credits>,
    cost: u64,
    now_ms: Millis,
) -> redis::ScriptInvocation<'a> {
    let mut call = script.prepare_invoke();
    call.key(credits_key(key_id));
    for limit in limits {
        call.key(window_key(key_id, limit));
    }
    let now_secs = i64::try_from(now_ms / 1_000).unwrap_or(i64::MAX);
    let (has, initial, amount, start) = match credits {
        Some(c) => (
            1,
            c.initial,
            c.refill.map_or(0, |r| r.amount),
            c.refill.map_or(0, |r| r.period.start_of(now_secs)),
        ),
        None => (0, 0, 0, 0),
    };
    call.arg(now_ms)
        .arg(cost)
        .arg(has)
        .arg(initial)
        .arg(amount)
        .arg(start)
        .arg(CREDITS_TTL_MS);
    for limit in limits {
        call.arg(limit.limit).arg(limit.period_ms);
    }
    call
}

/// What the script answered, read strictly.
pub struct Reply {
    pub credits: Option<(bool, CreditState)>,
    pub windows: Vec<WindowAnswer>,
}

fn wrong(what: impl Into<String>) -> FleetError {
    FleetError::Reply(what.into())
}

fn int(value: &Value) -> Result<i64, FleetError> {
    match value {
        Value::Int(n) => Ok(*n),
        _ => Err(wrong("a field is not an integer")),
    }
}

fn flag(value: &Value) -> Result<bool, FleetError> {
    match int(value)? {
        0 => Ok(false),
        1 => Ok(true),
        n => Err(wrong(format!("a yes/no field is {n}"))),
    }
}

/// A count in `0..=max`.
fn count(value: &Value, max: u64) -> Result<u64, FleetError> {
    let n = int(value)?;
    u64::try_from(n)
        .ok()
        .filter(|n| *n <= max)
        .ok_or_else(|| wrong(format!("a count is {n}, outside 0 to {max}")))
}

/// Reads the script's answer for `limits`: exactly 5 + 4 per limit integers, each in range.
pub fn read_reply(value: &Value, limits: &[RateLimit]) -> Result<Reply, FleetError> {
    let Value::Array(fields) = value else {
        return Err(wrong("not an array"));
    };
    if fields.len() != 5 + 4 * limits.len() {
        return Err(wrong(format!(
            "{} fields for {} rate limits",
            fields.len(),
            limits.len()
        )));
    }
    let _all = flag(&fields[0])?;
    let credits = if flag(&fields[1])? {
        let allowed = flag(&fields[2])?;
        let remaining = count(&fields[3], MAX_EXACT)?;
        let period_start = int(&fields[4])?;
        if period_start < 0 {
            return Err(wrong("a refill period starts before 1970"));
        }
        Some((
            allowed,
            CreditState {
                remaining,
                period_start,
            },
        ))
    } else {
        None
    };
    let windows = limits
        .iter()
        .zip(fields[5..].chunks_exact(4))
        .map(|(limit, f)| {
            let allowed = flag(&f[0])?;
            let remaining = count(&f[1], limit.limit)?;
            // An entry written by a clock ahead of ours may leave a little after one window.
            let reset_ms = count(&f[2], limit.period_ms.saturating_mul(2))?;
            let retry_after_ms = match int(&f[3])? {
                -1 => None,
                _ => Some(count(&f[3], limit.period_ms.saturating_mul(2))?),
            };
            Ok(WindowAnswer {
                allowed,
                remaining,
                reset_ms,
                retry_after_ms,
            })
        })
        .collect::<Result<Vec<_>, FleetError>>()?;
    Ok(Reply { credits, windows })
}

/// Reads the answer to `HMGET kw:{id}:c r p` (`None`: no credits stored for the key).
pub fn read_credits(value: &Value) -> Result<Option<CreditState>, FleetError> {
    let Value::Array(fields) = value else {
        return Err(wrong("credits: not an array"));
    };
    let number = |v: &Value| -> Result<Option<u64>, FleetError> {
        match v {
            Value::Nil => Ok(None),
            Value::BulkString(bytes) => std::str::from_utf8(bytes)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .filter(|n| *n <= MAX_EXACT)
                .map(Some)
                .ok_or_else(|| wrong("credits: a field is not a number")),
            Value::Int(n) => u64::try_from(*n)
                .ok()
                .filter(|n| *n <= MAX_EXACT)
                .map(Some)
                .ok_or_else(|| wrong("credits: a field is out of range")),
            _ => Err(wrong("credits: a field is neither a number nor missing")),
        }
    };
    match fields.as_slice() {
        [r, p] => match (number(r)?, number(p)?) {
            (Some(remaining), Some(start)) => Ok(Some(CreditState {
                remaining,
                period_start: i64::try_from(start)
                    .map_err(|_| wrong("credits: a period start out of range"))?,
            })),
            (None, None) => Ok(None),
            _ => Err(wrong("credits: half a record")),
        },
        _ => Err(wrong(format!("credits: {} fields, not 2", fields.len()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(name: &str, n: u64) -> RateLimit {
        RateLimit::new(name, n, 60_000).unwrap()
    }

    #[test]
    fn every_key_of_one_key_id_shares_a_hash_tag() {
        let l = limit("burst", 2);
        assert_eq!(credits_key("k_1.a-b"), "kw:{k_1.a-b}:c");
        assert_eq!(window_key("k_1.a-b", &l), "kw:{k_1.a-b}:w:burst");
        // Braces or anything else in an id cannot end the tag early or collide with a plain id.
        assert_eq!(credits_key("a}b"), "kw:{~617d62}:c");
        assert_eq!(window_key("", &l), "kw:{}:w:burst");
    }

    #[test]
    fn requests_that_cannot_be_sent_are_refused_before_any_round_trip() {
        let ok = [limit("a", 1)];
        assert!(check_request("k", &ok, None, 1, 1).is_ok());
        let bad = [
            check_request("", &ok, None, 1, 1),
            check_request(&"k".repeat(257), &ok, None, 1, 1),
            check_request("k", &[limit("a", 1), limit("a", 2)], None, 1, 1),
            check_request(
                "k",
                &[RateLimit {
                    name: "x".into(),
                    limit: 0,
                    period_ms: 1_000,
                }],
                None,
                1,
                1,
            ),
            check_request("k", &ok, None, MAX_EXACT + 1, 1),
            check_request("k", &ok, None, 1, 0),
            check_request("k", &ok, None, 1, u64::MAX),
        ];
        for r in bad {
            assert!(matches!(r, Err(FleetError::Invalid(_))), "{r:?}");
        }
    }

    fn ints(v: &[i64]) -> Value {
        Value::Array(v.iter().map(|n| Value::Int(*n)).collect())
    }

    #[test]
    fn a_well_formed_reply_is_read() {
        let limits = [limit("a", 10)];
        let r = read_reply(
            &ints(&[1, 1, 1, 7, 1_767_225_600, 1, 9, 60_000, -1]),
            &limits,
        )
        .unwrap();
        assert_eq!(
            r.credits,
            Some((
                true,
                CreditState {
                    remaining: 7,
                    period_start: 1_767_225_600
                }
            ))
        );
        assert_eq!(
            r.windows,
            [WindowAnswer {
                allowed: true,
                remaining: 9,
                reset_ms: 60_000,
                retry_after_ms: None
            }]
        );
    }

    #[test]
    fn replies_of_the_wrong_shape_are_errors_not_panics() {
        let limits = [limit("a", 10)];
        let bad = [
            Value::Nil,
            Value::Okay,
            Value::Int(1),
            ints(&[]),
            ints(&[1, 0, 1, 0, 0]),
            ints(&[1, 0, 1, 0, 0, 1, 9, 60_000, -1, 0]),
            ints(&[2, 0, 1, 0, 0, 1, 9, 60_000, -1]),
            ints(&[1, 0, 1, 0, 0, 1, 11, 60_000, -1]),
            ints(&[1, 0, 1, 0, 0, 1, -3, 60_000, -1]),
            ints(&[1, 0, 1, 0, 0, 1, 9, i64::MAX, -1]),
            ints(&[1, 0, 1, 0, 0, 0, 0, 0, -2]),
            ints(&[1, 1, 1, -1, 0, 1, 9, 0, -1]),
            ints(&[1, 1, 1, 0, -5, 1, 9, 0, -1]),
            Value::Array(vec![
                Value::BulkString(b"1".to_vec()),
                Value::Int(0),
                Value::Int(1),
                Value::Int(0),
                Value::Int(0),
                Value::Nil,
                Value::Int(0),
                Value::Int(0),
                Value::Int(0),
            ]),
        ];
        for v in bad {
            assert!(
                matches!(read_reply(&v, &limits), Err(FleetError::Reply(_))),
                "{v:?}"
            );
        }
    }

    #[test]
    fn stored_credits_are_read_strictly() {
        let bulk = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        let read = |a: Value, b: Value| read_credits(&Value::Array(vec![a, b]));
        assert_eq!(read(Value::Nil, Value::Nil).unwrap(), None);
        assert_eq!(
            read(bulk("5"), bulk("0")).unwrap(),
            Some(CreditState {
                remaining: 5,
                period_start: 0
            })
        );
        for (a, b) in [
            (bulk("5"), Value::Nil),
            (bulk("-1"), bulk("0")),
            (bulk("5x"), bulk("0")),
            (bulk("99999999999999999999"), bulk("0")),
            (Value::Okay, bulk("0")),
        ] {
            assert!(read(a, b).is_err());
        }
        assert!(read_credits(&Value::Nil).is_err());
        assert!(read_credits(&Value::Array(vec![Value::Nil])).is_err());
    }
}
