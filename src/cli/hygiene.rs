//! Key hygiene on the command line: the health report and the leak scanner.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;

use super::{
    CliError, CliResult, Context, EXIT_NOT_VALID, Expiry, done, finished, output, render, vault,
};
use std::io::Write;

pub(super) fn health(
    ctx: &Context,
    node: Option<&str>,
    ack: Option<String>,
    kind: Option<String>,
    until: Option<String>,
    reason: Option<String>,
) -> CliResult {
    use crate::vault::FindingKind;
    let mut v = ctx.open()?;
    if let (Some(subject), Some(kind), Some(until), Some(reason)) = (ack, kind, until, reason) {
        let kind = FindingKind::from_code(&kind).ok_or_else(|| {
            CliError::msg(format!(
                "unknown finding '{kind}' (one of: {})",
                FindingKind::ALL.map(FindingKind::code).join(", ")
            ))
        })?;
        let until = Expiry::parse(&until)?
            .resolve(v.now())?
            .ok_or_else(|| CliError::msg("an acknowledgement needs a date"))?;
        v.acknowledge(&subject, kind, until, &reason)?;
        ctx.print(
            json!({ "acknowledged": subject, "kind": kind, "until": vault::format_time(until) }),
            || {
                format!(
                    "Acknowledged {} for {subject} until {}",
                    kind.code(),
                    vault::format_time(until)
                )
            },
        );
        return done();
    }
    let node = node.map(|n| v.resolve(n)).transpose()?;
    super::listing::read_once(&v);
    let findings = v.health(node.map(|n| n.id))?;
    let open = findings.iter().filter(|f| f.acknowledged.is_none()).count();
    // Written straight from the findings: a report of 100,000 keys is not built twice.
    let mut out = output::stdout_stream();
    let written = if ctx.json() {
        #[derive(serde::Serialize)]
        struct Report<'a> {
            findings: &'a [vault::Finding],
            open: usize,
        }
        serde_json::to_writer_pretty(
            &mut out,
            &Report {
                findings: &findings,
                open,
            },
        )
        .map_err(std::io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
    } else {
        render::health(&mut out, &findings, open)
    };
    if let Err(e) = written.and_then(|()| out.flush()) {
        ctx.output_failed(e);
    }
    Ok(if open > 0 {
        ExitCode::from(EXIT_NOT_VALID)
    } else {
        ExitCode::SUCCESS
    })
}

/// One secret `scan` found, as reported.
#[derive(serde::Serialize)]
pub(super) struct Finding {
    pub place: String,
    /// `exposed` (a key of this vault that works), `inactive` (revoked, expired or past its
    /// grace), `old_secret` (a rolled key's previous secret still in its grace period),
    /// `foreign` (well formed, not this vault's) or `tampered`.
    pub kind: &'static str,
    pub key_id: Option<String>,
    pub name: Option<String>,
    pub secret: String,
    /// Still accepted by verification: this is what makes `scan` exit 1.
    pub live: bool,
    /// First time this place was recorded for the key.
    pub new_place: bool,
}

pub(super) fn scan(
    ctx: &Context,
    paths: &[PathBuf],
    hidden: bool,
    no_ignore: bool,
    print_rule: Option<&str>,
) -> CliResult {
    use crate::scan::{Matcher, WalkOptions};
    use crate::vault::{Found, KeyStatus};
    let mut v = ctx.open()?;
    let matcher = Matcher::new(&v.secret_prefixes()?);
    if let Some(tool) = print_rule {
        let rule = matcher
            .rule(tool)
            .ok_or_else(|| CliError::msg(format!("no rule format for '{tool}'")))?;
        ctx.print(json!({ "tool": tool, "rule": rule }), || {
            rule.trim_end().to_owned()
        });
        return done();
    }
    let options = WalkOptions { hidden, no_ignore };
    let mut hits = Vec::new();
    let (mut files, mut bytes) = (0u64, 0u64);
    for path in paths {
        if path.as_os_str() == "-" {
            let found = matcher
                .scan_reader("-", std::io::stdin().lock())
                .map_err(|e| CliError::msg(format!("standard input: {e}")))?;
            hits.extend(found);
            files += 1;
        } else {
            if path.symlink_metadata().is_err() {
                return Err(CliError::msg(format!(
                    "{}: no such file or folder",
                    path.display()
                )));
            }
            let scanned = matcher.scan_path(path, options);
            files += scanned.files;
            bytes += scanned.bytes;
            hits.extend(scanned.hits);
        }
    }
    let mut findings = Vec::with_capacity(hits.len());
    for hit in &hits {
        let place = hit.place();
        let secret = hit.secret.display();
        let finding = match v.find_secret(&hit.secret)? {
            Found::Foreign => Finding {
                place,
                kind: "foreign",
                key_id: None,
                name: None,
                secret,
                live: false,
                new_place: false,
            },
            Found::Key { info, previous } => {
                let live = v.inspect(hit.secret.expose(), &[])?.is_valid();
                let (kind, new_place) = match info.status {
                    KeyStatus::Tampered => ("tampered", false),
                    _ if previous && live => ("old_secret", false),
                    _ if !live => ("inactive", false),
                    _ => ("exposed", v.mark_exposed(&info.key_id, &place)?),
                };
                Finding {
                    place,
                    kind,
                    key_id: Some(info.key_id.clone()),
                    name: Some(info.name.clone()),
                    secret,
                    live,
                    new_place,
                }
            }
        };
        findings.push(finding);
    }
    let live = findings.iter().filter(|f| f.live).count();
    ctx.print(
        json!({ "findings": findings, "files": files, "bytes": bytes, "live": live }),
        || render::scan(&findings, files, live),
    );
    Ok(if live > 0 {
        ExitCode::from(EXIT_NOT_VALID)
    } else {
        finished(&v)?
    })
}
