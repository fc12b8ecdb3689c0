//! `keyward scan`: this vault's secrets found in files, folders and standard input, looked up
//! by hash; live keys are marked exposed and make it exit 1 (a pre-commit hook).

use std::process::ExitCode;

use serde_json::json;

use super::args::{ScanArgs, ScanFormat};
use super::context::{Context, finished};
use super::error::{CliError, CliResult, EXIT_NOT_VALID, done};
use super::finding::{self, Finding, Totals};
use super::{baseline, output, render, sarif};

pub(super) fn scan(ctx: &Context, args: &ScanArgs) -> CliResult {
    use crate::scan::{Matcher, WalkOptions};
    use crate::vault::{Found, KeyStatus};
    let mut v = ctx.open()?;
    let matcher = Matcher::new(&v.secret_prefixes()?);
    if let Some(tool) = args.print_rule.as_deref() {
        let rule = matcher
            .rule(tool)
            .ok_or_else(|| CliError::msg(format!("no rule format for '{tool}'")))?;
        ctx.print(json!({ "tool": tool, "rule": rule }), || {
            rule.trim_end().to_owned()
        });
        return done();
    }
    let options = WalkOptions {
        hidden: args.hidden,
        no_ignore: args.no_ignore,
        max_file_size: args.max_file_size,
    };
    let mut hits = Vec::new();
    let mut totals = Totals::default();
    for path in &args.paths {
        if path.as_os_str() == "-" {
            let found = matcher
                .scan_reader("-", std::io::stdin().lock())
                .map_err(|e| CliError::msg(format!("standard input: {e}")))?;
            hits.extend(found.into_iter().map(|h| (h, "-".to_owned())));
            totals.files += 1;
        } else {
            if path.symlink_metadata().is_err() {
                return Err(CliError::msg(format!(
                    "{}: no such file or folder",
                    path.display()
                )));
            }
            let scanned = matcher.scan_path(path, options);
            totals.files += scanned.files;
            totals.bytes += scanned.bytes;
            totals.skipped += scanned.skipped;
            let folder = path.is_dir();
            hits.extend(scanned.hits.into_iter().map(|h| {
                let uri = sarif::uri_of(path, folder, &h.source);
                (h, uri)
            }));
        }
    }
    let mut findings = Vec::with_capacity(hits.len());
    for (hit, uri) in hits {
        let place = hit.place();
        let secret = hit.secret.display();
        let (line, column) = (hit.line, hit.column);
        let finding = match v.find_secret(&hit.secret)? {
            Found::Foreign => Finding {
                place,
                column,
                kind: "foreign",
                key_id: None,
                name: None,
                secret,
                live: false,
                new_place: false,
                fingerprint: String::new(),
                uri,
                line,
            },
            Found::Key { info, previous } => {
                let live = v.inspect(hit.secret.expose(), &[])?.is_valid();
                let kind = match info.status {
                    KeyStatus::Tampered => "tampered",
                    _ if previous && live => "old_secret",
                    _ if !live => "inactive",
                    _ => "exposed",
                };
                Finding {
                    place,
                    column,
                    kind,
                    key_id: Some(info.key_id.clone()),
                    name: Some(info.name.clone()),
                    secret,
                    live,
                    new_place: false,
                    fingerprint: String::new(),
                    uri,
                    line,
                }
            }
        };
        findings.push(finding);
    }
    // Every new place of a scan in one transaction, one log entry per key.
    let exposed: Vec<usize> = (0..findings.len())
        .filter(|&i| findings[i].kind == "exposed")
        .collect();
    let pairs: Vec<(String, String)> = exposed
        .iter()
        .map(|&i| {
            let f = &findings[i];
            (f.key_id.clone().unwrap_or_default(), f.place.clone())
        })
        .collect();
    let new = v.mark_exposed_at(&pairs)?;
    for (&i, new) in exposed.iter().zip(new) {
        findings[i].new_place = new;
    }
    finding::fingerprint_all(&mut findings);
    if let Some(file) = &args.write_baseline {
        let n = baseline::write(file, &findings)?;
        ctx.print(
            json!({ "baseline": file.display().to_string(), "fingerprints": n }),
            || {
                format!(
                    "Wrote {} to {} (no secrets): later scans with --baseline leave them out",
                    crate::numbers::count_of(n, "fingerprint", "fingerprints"),
                    file.display()
                )
            },
        );
        return done();
    }
    if let Some(file) = &args.baseline {
        let known = baseline::read(file)?;
        let before = findings.len();
        findings.retain(|f| !known.contains(&f.fingerprint));
        totals.baselined = before - findings.len();
    }
    totals.live = findings.iter().filter(|f| f.live).count();
    let report = || {
        json!({
            "findings": findings,
            "files": totals.files,
            "bytes": totals.bytes,
            "skipped": totals.skipped,
            "baselined": totals.baselined,
            "live": totals.live,
        })
    };
    let written = match args.format {
        ScanFormat::Sarif => serde_json::to_string_pretty(&sarif::log(&findings))
            .map_err(|e| CliError::msg(format!("SARIF: {e}")))
            .map(Some)?,
        // `--format json` without the global `--json`: the same document.
        ScanFormat::Json if !ctx.json() => Some(render::pretty(&report())),
        _ => None,
    };
    match written {
        Some(text) => {
            if let Err(e) = output::stdout_line(&text) {
                ctx.output_failed(e);
            }
        }
        None => ctx.print(report(), || render::scan(&findings, &totals)),
    }
    Ok(if totals.live > 0 {
        ExitCode::from(EXIT_NOT_VALID)
    } else {
        finished(&v)?
    })
}
