//! `keyward key usage KEY [--days N]`: a key's checks through `keyward serve` per UTC day over
//! the last N days (from the usage files beside this machine's publish targets): one row per
//! day with checks, the allowed ones, a column per refusal reason seen, and the total; with
//! `--json`, the same data.

use serde_json::json;

use super::context::Context;
use super::error::CliError;
use super::printable::printable;
use super::render;
use crate::vault::{Error, KeyInfo, OTHER_REASON, Outcome, Thing, UsageSeries, Vault, format_date};

/// The key named by `key`: its id, else the one key with that name.
fn find_key(v: &Vault, key: &str) -> Result<KeyInfo, CliError> {
    match v.key(key) {
        Err(Error::NotFound { .. }) => {}
        found => return Ok(found?),
    }
    let mut named = Vec::new();
    v.each_key(None, |k| {
        if k.name == key {
            named.push(k);
        }
    })?;
    match named.len() {
        0 => Err(Error::not_found(Thing::Key, key.to_owned()).into()),
        1 => Ok(named.remove(0)),
        _ => Err(CliError::msg(format!(
            "{} keys are named '{key}': name one by its id ({})",
            named.len(),
            named
                .iter()
                .map(|k| k.key_id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

pub(super) fn key_usage(ctx: &Context, v: &Vault, key: &str, days: u32) -> Result<(), CliError> {
    let key = find_key(v, key)?;
    let series = v.key_usage_days(&key.key_id, days);
    ctx.print(usage_json(&key, &series), || usage_text(&key, &series));
    Ok(())
}

fn usage_json(key: &KeyInfo, s: &UsageSeries) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = s
        .rows
        .iter()
        .map(|r| {
            json!({
                "date": format_date(r.day),
                "allowed": r.allowed,
                "refused": r.refused,
                "total": r.total(),
            })
        })
        .collect();
    json!({
        "key_id": key.key_id,
        "name": key.name,
        "days": s.days,
        "from": format_date(s.from),
        "to": format_date(s.to),
        "reasons": s.reasons(),
        "rows": rows,
        "allowed": s.total() - s.refused_total(),
        "refused": s.refused_total(),
        "total": s.total(),
        "credits_left": key.credits_left,
    })
}

/// A reason's column header: its code (every reason is a code this build knows, or
/// [`OTHER_REASON`]).
fn header(reason: &str) -> &'static str {
    serde_json::from_value::<Outcome>(serde_json::Value::String(reason.to_owned()))
        .map_or(OTHER_REASON, Outcome::as_str)
}

fn usage_text(key: &KeyInfo, s: &UsageSeries) -> String {
    let title = format!(
        "Checks of {} ({}) through keyward serve, {} to {} (UTC)",
        printable(&key.name),
        key.key_id,
        format_date(s.from),
        format_date(s.to)
    );
    let credits = key
        .credits_left
        .map(|left| format!("\nCredits left: {left} (as keyward serve last counted)"))
        .unwrap_or_default();
    if s.is_empty() {
        return format!("{title}\nNo checks in the last {} days.{credits}", s.days);
    }
    let reasons = s.reasons();
    let mut headers = vec!["DATE", "ALLOWED"];
    headers.extend(reasons.iter().map(|r| header(r)));
    headers.push("TOTAL");
    let count = |n: u64| crate::numbers::count(usize::try_from(n).unwrap_or(usize::MAX));
    let mut rows: Vec<Vec<String>> = s
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![format_date(r.day), count(r.allowed)];
            row.extend(
                reasons
                    .iter()
                    .map(|reason| count(r.refused.get(*reason).copied().unwrap_or(0))),
            );
            row.push(count(r.total()));
            row
        })
        .collect();
    let mut sum = vec!["all".to_owned(), count(s.total() - s.refused_total())];
    sum.extend(reasons.iter().map(|reason| {
        count(
            s.rows
                .iter()
                .filter_map(|r| r.refused.get(*reason))
                .fold(0u64, |a, &n| a.saturating_add(n)),
        )
    }));
    sum.push(count(s.total()));
    rows.push(sum);
    format!("{title}\n{}{credits}", render::table(&headers, &rows))
}
