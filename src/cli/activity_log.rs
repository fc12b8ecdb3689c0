//! `keyward log`: the activity log as a table, as JSON, or as JSON lines for a log shipper
//! (journald, Vector, a SIEM). `--since` bounds it; `--follow` keeps printing the entries any
//! process or member commits, until Ctrl-C, SIGTERM or the reader closes the pipe.
//!
//! Entries hold no secret (the vault never logs one), so every field is printed.

use std::time::Duration;

use serde_json::json;

use super::args::{LogArgs, LogFormat};
use super::context::Context;
use super::error::{CliError, CliResult, done};
use super::{output, render, stop};
use crate::vault::{self, ActivityEntry, ActivityWindow, NodeId, Timestamp, Vault};

/// Entries shown without `--limit` or `--since`.
const DEFAULT_LIMIT: usize = 50;

/// How often `--follow` looks for new entries.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);

pub(super) fn log(ctx: &Context, args: LogArgs) -> CliResult {
    let since = args
        .since
        .as_deref()
        .map(|text| parse_since(text, vault::now()))
        .transpose()?;
    let format = match (args.format, ctx.json()) {
        (Some(format), _) => format,
        (None, true) if args.follow => LogFormat::Jsonl,
        (None, true) => LogFormat::Json,
        (None, false) => LogFormat::Text,
    };
    if args.follow && format == LogFormat::Json {
        return Err(CliError::msg(
            "--follow prints text or jsonl (one JSON object a line), not one JSON array",
        ));
    }
    let limit = args.limit.unwrap_or(match since {
        Some(_) => usize::MAX,
        None => DEFAULT_LIMIT,
    });
    let v = ctx.open()?;
    let node = args.node.map(|n| v.resolve(&n)).transpose()?.map(|n| n.id);
    let window = ActivityWindow {
        limit,
        since,
        after: None,
    };
    if args.follow {
        return follow(ctx, &v, node, window, format);
    }
    let entries = v.activity_within(node, window)?;
    let text = match format {
        LogFormat::Text => render::activity(&entries),
        LogFormat::Json => render::pretty(&json!(entries)),
        LogFormat::Jsonl => lines(&entries, format),
    };
    if !text.is_empty() {
        emit(ctx, &text);
    }
    done()
}

/// Prints the entries in `window` oldest first, then each new one as it is committed.
fn follow(
    ctx: &Context,
    v: &Vault,
    node: Option<NodeId>,
    window: ActivityWindow,
    format: LogFormat,
) -> CliResult {
    stop::on_signals();
    // Taken before the first read: an entry committed meanwhile is in it or read next.
    let mark = v.activity_mark()?;
    let mut entries = v.activity_within(node, window)?;
    entries.reverse();
    let mut last = newest(&entries).max(mark);
    if !entries.is_empty() && !emit(ctx, &lines(&entries, format)) {
        return done();
    }
    let mut unreachable = false;
    while stop::sleep(FOLLOW_EVERY) {
        let now = match v.activity_mark() {
            Ok(now) => now,
            Err(e) => {
                if !std::mem::replace(&mut unreachable, true) {
                    ctx.warn(&format!("cannot read the vault, trying again: {e}"));
                }
                continue;
            }
        };
        if std::mem::take(&mut unreachable) {
            ctx.warn("the vault answers again");
        }
        if now <= last {
            continue;
        }
        // A member removed or a passphrase changed: this process holds the old data key and
        // could not open the entries from now on.
        if !v.data_key_current().unwrap_or(true) {
            return Err(CliError::msg(
                "the vault was re-keyed (a member removed or a passphrase changed): start \
                 `log --follow --since …` again",
            ));
        }
        let window = ActivityWindow {
            limit: usize::MAX,
            since: None,
            after: Some(last),
        };
        let mut entries = match v.activity_within(node, window) {
            Ok(entries) => entries,
            Err(e) => {
                unreachable = true;
                ctx.warn(&format!("cannot read the vault, trying again: {e}"));
                continue;
            }
        };
        entries.reverse();
        last = newest(&entries).max(now);
        if !entries.is_empty() && !emit(ctx, &lines(&entries, format)) {
            break;
        }
    }
    done()
}

fn newest(entries: &[ActivityEntry]) -> i64 {
    entries.iter().map(|e| e.seq).max().unwrap_or(0)
}

/// Writes `text` as a line; false once standard output failed (kept for `launch` to report,
/// or to end quietly on a closed pipe).
fn emit(ctx: &Context, text: &str) -> bool {
    if ctx.output_failed.borrow().is_some() {
        return false;
    }
    match output::stdout_line(text) {
        Ok(()) => true,
        Err(e) => {
            ctx.output_failed(e);
            false
        }
    }
}

/// One line per entry: JSON objects for `jsonl`, else `#SEQ TIME ACTION by MEMBER on NODE:
/// DETAIL`.
fn lines(entries: &[ActivityEntry], format: LogFormat) -> String {
    let mut out = String::new();
    for e in entries {
        if !out.is_empty() {
            out.push('\n');
        }
        match format {
            LogFormat::Jsonl => out.push_str(&json_line(e)),
            LogFormat::Text | LogFormat::Json => out.push_str(&text_line(e)),
        }
    }
    out
}

/// An entry as one JSON object: its time as RFC 3339 in UTC (`at`, as `--json` has it) and
/// as Unix seconds (`at_unix`).
pub(super) fn json_line(e: &ActivityEntry) -> String {
    json!({
        "seq": e.seq,
        "at": vault::format_time(e.at),
        "at_unix": e.at,
        "action": e.action,
        "member": e.member,
        "node": e.node,
        "detail": e.detail,
        "intact": e.intact,
    })
    .to_string()
}

fn text_line(e: &ActivityEntry) -> String {
    let mut line = format!("#{} {} {}", e.seq, vault::format_time(e.at), e.action);
    if !e.member.is_empty() {
        line.push_str(&format!(" by {}", e.member));
    }
    if !e.node.is_empty() {
        line.push_str(&format!(" on {}", e.node));
    }
    let detail = if e.intact {
        e.detail.as_str()
    } else {
        "[entry failed its integrity check]"
    };
    if !detail.is_empty() {
        line.push_str(&format!(": {detail}"));
    }
    line
}

/// `--since`: an RFC 3339 time, a date (from its start, UTC), or a span back from `now` in the
/// form `export-verifier --valid-for` takes (30m, 24h, 7d).
fn parse_since(text: &str, now: Timestamp) -> Result<Timestamp, CliError> {
    let t = text.trim();
    if let Some(at) = vault::parse_time(t) {
        return Ok(at);
    }
    let day = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(date) = time::Date::parse(t, day) {
        return Ok(date.midnight().assume_utc().unix_timestamp());
    }
    if let Ok(span) = vault::parse_valid_for(t) {
        return Ok(now.saturating_sub(span));
    }
    Err(CliError::msg(format!(
        "--since '{}' is not a time: give an RFC 3339 time (2026-12-01T09:00:00Z), a date \
         (2026-12-01) or a span back from now (30m, 24h, 7d)",
        t.chars().take(40).collect::<String>()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_forms() {
        let now = vault::parse_time("2026-12-07T12:00:00Z").expect("time");
        let at = |text| parse_since(text, now).ok();
        assert_eq!(
            at("2026-12-01T09:30:00Z"),
            vault::parse_time("2026-12-01T09:30:00Z")
        );
        assert_eq!(
            at("2026-12-01T10:30:00+01:00"),
            vault::parse_time("2026-12-01T09:30:00Z")
        );
        assert_eq!(at("2026-12-01"), vault::parse_time("2026-12-01T00:00:00Z"));
        assert_eq!(at(" 24h "), Some(now - 86_400));
        assert_eq!(at("7d"), Some(now - 7 * 86_400));
        assert_eq!(at("30m"), Some(now - 1_800));
        for bad in [
            "",
            "yesterday",
            "2026-13-01",
            "-1d",
            "0h",
            "2026-12-01T09:30",
        ] {
            assert!(parse_since(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_json_line_carries_every_field_on_one_line() {
        let e = ActivityEntry {
            seq: 7,
            at: 1_796_000_000,
            action: "key.create".into(),
            node: "acme/billing/prod".into(),
            detail: "svc\nkid_x".into(),
            member: "ana".into(),
            intact: true,
        };
        let line = json_line(&e);
        assert!(!line.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).expect("json");
        assert_eq!(v["seq"], 7);
        assert_eq!(v["at"], vault::format_time(1_796_000_000));
        assert_eq!(v["at_unix"], 1_796_000_000);
        assert_eq!(v["action"], "key.create");
        assert_eq!(v["member"], "ana");
        assert_eq!(v["node"], "acme/billing/prod");
        assert_eq!(v["detail"], "svc\nkid_x");
        assert_eq!(v["intact"], true);
    }
}
