//! Human text and JSON shapes for the command line.

use serde_json::json;
use zeroize::Zeroizing;

use super::finding::{Finding, Totals};
use super::printable::printable;
use super::table::{Column, Table};

use crate::vault::{
    ActivityEntry, DoctorReport, KeyInfo, MintedKey, Node, PublishTarget, Scope, Verification,
    format_time,
};

pub fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

pub fn node_json(node: &Node) -> serde_json::Value {
    json!({
        "kind": node.kind.noun(),
        "name": node.name,
        "path": node.path,
        "prefix": node.prefix,
        "tampered": node.tampered,
    })
}

pub fn nodes(nodes: &[Node]) -> String {
    if nodes.is_empty() {
        return "(none)".into();
    }
    let rows: Vec<Vec<String>> = nodes
        .iter()
        .map(|n| {
            let mut name = n.name.clone();
            if n.tampered {
                name.push_str("  [tampered]");
            }
            vec![name, n.path.clone(), format!("{}_", n.prefix)]
        })
        .collect();
    table(&["NAME", "PATH", "PREFIX"], &rows)
}

pub fn scope_list(scopes: &[String]) -> String {
    if scopes.is_empty() {
        "(none)".into()
    } else {
        scopes.join(", ")
    }
}

pub fn scopes(scopes: &[Scope]) -> String {
    if scopes.is_empty() {
        return "(no scopes; add one with `keyward scope add`)".into();
    }
    let rows: Vec<Vec<String>> = scopes
        .iter()
        .map(|s| {
            let flags = match (s.required, s.default) {
                (true, _) => "required",
                (false, true) => "default",
                (false, false) => "",
            };
            vec![
                s.id.clone(),
                s.label.clone(),
                flags.into(),
                s.description.clone(),
            ]
        })
        .collect();
    table(&["ID", "LABEL", "FLAGS", "DESCRIPTION"], &rows)
}

fn when(t: Option<i64>, none: &str) -> String {
    t.map(format_time).unwrap_or_else(|| none.into())
}

/// `key list`'s columns. On a narrow terminal names, nodes and scopes are cut first, then
/// last used, the masked key, the node, the scopes and the expiry are left out, in that order.
pub const KEY_COLUMNS: [Column; 8] = [
    Column::new("KEY ID", false, 0),
    Column::new("NAME", true, 0),
    Column::new("NODE", true, 4),
    Column::new("SCOPES", true, 3),
    Column::new("EXPIRES", false, 2),
    Column::new("LAST USED", false, 6),
    Column::new("STATUS", false, 0),
    Column::new("KEY", false, 5),
];

/// One `key list` row, cells in [`KEY_COLUMNS`] order.
pub fn key_row(k: KeyInfo) -> Vec<String> {
    vec![
        k.key_id,
        k.name,
        k.node,
        if k.full_access {
            "full access".into()
        } else {
            scope_list(&k.policy.scopes)
        },
        when(k.policy.expires_at, "never"),
        when(k.last_used_at, "never"),
        k.status.as_str().into(),
        k.display,
    ]
}

pub fn key(k: &KeyInfo) -> String {
    let scopes = if k.full_access {
        format!("{} (full access)", scope_list(&k.policy.scopes))
    } else {
        scope_list(&k.policy.scopes)
    };
    let mut lines = vec![
        format!("Key id:     {}", k.key_id),
        format!("Name:       {}", k.name),
        format!("Node:       {}", k.node),
        format!("Key:        {}", k.display),
        format!("Scopes:     {scopes}"),
        format!("Status:     {}", k.status.as_str()),
        format!("Created:    {}", format_time(k.created_at)),
        format!("Expires:    {}", when(k.policy.expires_at, "never")),
        format!("Last used:  {}", when(k.last_used_at, "never")),
    ];
    if let (Some(day), Some(month)) = (k.uses_24h, k.uses_30d) {
        lines.push(format!(
            "Checks:     {day} in the last 24 hours, {month} in 30 days (keyward serve)"
        ));
    }
    if let Some(limits) = k.policy.limits.as_deref() {
        lines.push(format!("Limits:     {}", limits.summary()));
    }
    if let Some(left) = k.credits_left {
        lines.push(format!(
            "Credits:    {left} left (as keyward serve last counted)"
        ));
    }
    if let Some(r) = k.revoked_at {
        lines.push(format!("Revoked:    {}", format_time(r)));
    }
    if !k.details.owner.is_empty() {
        lines.push(format!("Owner:      {}", k.details.owner));
    }
    if !k.details.tags.is_empty() {
        lines.push(format!("Tags:       {}", k.details.tags.join(", ")));
    }
    if !k.details.description.is_empty() {
        lines.push(format!("About:      {}", k.details.description));
    }
    lines.join("\n")
}

/// The text that hands a freshly minted secret over: the key-file JSON (SPEC 5), or text for
/// people. `created` adds the `"created"` field that `key master` answers with; `note` is a
/// last line for people (what happens to a rolled key's old secret).
pub fn secret_text(
    as_json: bool,
    verb: &str,
    minted: &MintedKey,
    created: Option<bool>,
    note: Option<&str>,
) -> Zeroizing<String> {
    let file = minted.key_file();
    if as_json {
        let json = file.to_json();
        return match created {
            None => Zeroizing::new(json.trim_end().to_owned()),
            Some(c) => {
                let mut value: serde_json::Value =
                    serde_json::from_str(&json).unwrap_or(serde_json::Value::Null);
                value["created"] = json!(c);
                let out = Zeroizing::new(pretty(&value));
                // The parsed copy holds the secret too: wipe its string before it is dropped.
                if let Some(serde_json::Value::String(s)) = value.get_mut("key_secret") {
                    zeroize::Zeroize::zeroize(s);
                }
                if let Some(serde_json::Value::String(s)) = value.get_mut("authorization") {
                    zeroize::Zeroize::zeroize(s);
                }
                out
            }
        };
    }
    let info = &minted.info;
    let mut out = Zeroizing::new(String::with_capacity(512));
    out.push_str(&format!(
        "{verb} key '{}' ({}) in {}\n\n    ",
        info.name, info.key_id, info.node
    ));
    out.push_str(minted.secret.expose());
    out.push_str("\n\n");
    out.push_str(&format!("Scopes:   {}\n", scope_list(&info.policy.scopes)));
    out.push_str(&format!(
        "Expires:  {}\n",
        when(info.policy.expires_at, "never")
    ));
    out.push_str("Header:   Authorization: Api-Key <the key above>\n\n");
    out.push_str("Store this secret key securely. You won't be able to view it again.");
    if let Some(note) = note {
        out.push('\n');
        out.push_str(note);
    }
    out
}

pub fn verification(v: &Verification) -> String {
    let mut out = v.result.as_str().to_owned();
    if let Some(id) = &v.key_id {
        out.push_str(&format!("  key_id={id}"));
    }
    if v.key_id.is_some() {
        out.push_str(&format!("  scopes={}", v.scopes.join(",")));
    }
    if let Some(reason) = &v.reason {
        out.push_str(&format!("  ({reason})"));
    }
    if let Some(limits) = &v.limits {
        for r in &limits.rate {
            out.push_str(&format!(
                "  limit {}={}/{}s remaining={} reset={}s",
                r.name, r.limit, r.window, r.remaining, r.reset
            ));
            if let Some(after) = r.retry_after {
                out.push_str(&format!(" retry_after={after}s"));
            }
        }
        if let Some(c) = &limits.credits {
            out.push_str(&format!("  credits={}", c.remaining));
            if let Some(at) = c.refill_at {
                out.push_str(&format!(" refill_at={}", format_time(at)));
            }
        }
    }
    out
}

pub fn activity(entries: &[ActivityEntry]) -> String {
    if entries.is_empty() {
        return "(no activity)".into();
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let detail = if e.intact {
                e.detail.clone()
            } else {
                "[entry failed its integrity check]".into()
            };
            vec![
                e.seq.to_string(),
                format_time(e.at),
                e.action.clone(),
                e.member.clone(),
                e.node.clone(),
                detail,
            ]
        })
        .collect();
    table(&["#", "AT", "ACTION", "BY", "NODE", "DETAIL"], &rows)
}

pub fn members(members: &[crate::vault::Member]) -> String {
    let rows: Vec<Vec<String>> = members
        .iter()
        .map(|m| {
            vec![
                m.name.clone(),
                format_time(m.added_at),
                if m.you { "you".into() } else { String::new() },
            ]
        })
        .collect();
    table(&["MEMBER", "ADDED", ""], &rows)
}

/// `verifier-key --all`: the current key and the retired ones, with their dates.
pub fn verifier_keys(keys: &[crate::vault::VerifierKeyInfo]) -> String {
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            vec![
                k.key.to_string(),
                if k.current { "current" } else { "retired" }.into(),
                k.since
                    .map(format_time)
                    .unwrap_or_else(|| "with the vault".into()),
                k.retired_at.map(format_time).unwrap_or_default(),
            ]
        })
        .collect();
    table(&["KEY", "STATE", "SINCE", "RETIRED"], &rows)
}

/// The health report for people: one block per kind of finding (why it matters and the fix
/// once), its keys a line each, then what is acknowledged, then the count.
pub fn health(
    out: &mut impl std::io::Write,
    findings: &[crate::vault::Finding],
    open: usize,
) -> std::io::Result<()> {
    if findings.is_empty() {
        return writeln!(out, "Healthy: no findings");
    }
    // Findings come sorted by (acknowledged, kind): each block is a run.
    let mut previous: Option<(bool, crate::vault::FindingKind)> = None;
    for (i, f) in findings.iter().enumerate() {
        let acked = f.acknowledged.is_some();
        if previous != Some((acked, f.kind)) {
            if previous.is_some() {
                writeln!(out)?;
            }
            let count = findings[i..]
                .iter()
                .take_while(|g| g.kind == f.kind && g.acknowledged.is_some() == acked)
                .count();
            let state = if acked { ", acknowledged" } else { "" };
            writeln!(out, "{} ({count}{state}): {}", f.kind.code(), f.why)?;
            if !acked {
                writeln!(out, "  fix: {}", f.fix)?;
            }
            previous = Some((acked, f.kind));
        }
        write!(
            out,
            "  {}  '{}' ({})",
            printable(&f.subject),
            printable(&f.name),
            printable(&f.node)
        )?;
        match &f.acknowledged {
            None => writeln!(out)?,
            Some(a) => writeln!(
                out,
                "  until {}: {}",
                format_time(a.until),
                printable(&a.reason)
            )?,
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "{} to fix, {} acknowledged",
        crate::numbers::count_of(open, "finding", "findings"),
        crate::numbers::count(findings.len() - open)
    )
}

pub fn scan(findings: &[Finding], totals: &Totals) -> String {
    let mut out: Vec<String> = findings
        .iter()
        .map(|f| {
            let what = match f.kind {
                "exposed" => format!(
                    "EXPOSED  {} '{}' ({}){}",
                    f.key_id.as_deref().unwrap_or(""),
                    printable(f.name.as_deref().unwrap_or("")),
                    f.secret,
                    if f.new_place {
                        ""
                    } else {
                        ", seen here before"
                    }
                ),
                "old_secret" => format!(
                    "OLD SECRET of {} '{}' ({}), still inside its roll's grace period",
                    f.key_id.as_deref().unwrap_or(""),
                    printable(f.name.as_deref().unwrap_or("")),
                    f.secret
                ),
                "inactive" => format!(
                    "inactive {} '{}' ({}): revoked, expired or past its grace",
                    f.key_id.as_deref().unwrap_or(""),
                    printable(f.name.as_deref().unwrap_or("")),
                    f.secret
                ),
                "tampered" => format!(
                    "tampered {} ({}): its record failed its integrity check",
                    f.key_id.as_deref().unwrap_or(""),
                    f.secret
                ),
                _ => format!(
                    "foreign  {}: well formed, not a key of this vault",
                    f.secret
                ),
            };
            format!("{}: {what}", printable(&f.place))
        })
        .collect();
    let live = totals.live;
    let baselined = match totals.baselined {
        0 => String::new(),
        n => format!(", baselined: {}", crate::numbers::count(n)),
    };
    let skipped = match totals.skipped {
        0 => String::new(),
        n => format!(
            " ({} over the size limit skipped)",
            crate::numbers::count(usize::try_from(n).unwrap_or(usize::MAX))
        ),
    };
    out.push(format!(
        "{} scanned{skipped}, {} found{baselined}, {live} still working{}",
        crate::numbers::count_of(
            usize::try_from(totals.files).unwrap_or(usize::MAX),
            "file",
            "files"
        ),
        crate::numbers::count_of(findings.len(), "secret", "secrets"),
        if live > 0 {
            ": roll or revoke them (keyward key roll / key revoke)"
        } else {
            ""
        }
    ));
    out.join("\n")
}

pub fn publish_targets(targets: &[(PublishTarget, String)]) -> String {
    if targets.is_empty() {
        return "No publish targets (add one with: keyward publish add NODE FILE)".into();
    }
    // Which machine writes each file, when any target belongs to one (a team vault).
    let hosts = targets.iter().any(|(t, _)| t.host.is_some());
    let rows: Vec<Vec<String>> = targets
        .iter()
        .map(|(t, path)| {
            let mut row = vec![
                t.file.display().to_string(),
                if t.node.is_none() {
                    "/".into()
                } else {
                    path.clone()
                },
                format!("{:o}", t.mode),
                t.last_published_at
                    .map(format_time)
                    .unwrap_or_else(|| "never".into()),
                t.last_keys.map(|k| k.to_string()).unwrap_or_default(),
                t.last_error.clone().unwrap_or_else(|| "ok".into()),
            ];
            if hosts {
                row.insert(1, t.host.clone().unwrap_or_else(|| "any".into()));
            }
            row
        })
        .collect();
    let mut headers = vec!["FILE", "NODE", "MODE", "LAST PUBLISHED", "KEYS", "STATUS"];
    if hosts {
        headers.insert(1, "MACHINE");
    }
    table(&headers, &rows)
}

pub fn doctor(report: &DoctorReport) -> String {
    let mut out = format!(
        "{}, {}, {} checked",
        crate::numbers::count_of(report.nodes, "node", "nodes"),
        crate::numbers::count_of(report.keys, "key", "keys"),
        crate::numbers::count_of(
            report.activity_entries,
            "activity entry",
            "activity entries"
        )
    );
    for w in &report.warnings {
        out.push_str(&format!("\nWARNING: {w}"));
    }
    if report.is_healthy() {
        out.push_str(
            "\nOK: the database, its schema, the state commitment, every record and the activity chain are intact",
        );
    } else {
        for p in &report.problems {
            out.push_str(&format!("\nPROBLEM: {p}"));
        }
    }
    out
}

/// Left-aligned columns separated by two spaces, measured by display width; the last column
/// is not padded. Nothing is cut (see [`Table`] for `key list`, which streams).
pub(super) fn table(headers: &[&'static str], rows: &[Vec<String>]) -> String {
    let columns: Vec<Column> = headers.iter().map(|h| Column::new(h, false, 0)).collect();
    let mut t = Table::new(Vec::new(), &columns, None);
    for row in rows {
        // Writing into memory cannot fail.
        let _ = t.push(row.clone());
    }
    let out = t.finish("").unwrap_or_default();
    String::from_utf8_lossy(&out)
        .trim_end_matches('\n')
        .to_owned()
}
