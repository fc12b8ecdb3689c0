//! Key hygiene on the command line: the health report (the leak scanner is `scan`).

use std::process::ExitCode;

use serde_json::json;

use super::context::Context;
use super::error::{CliError, CliResult, EXIT_NOT_VALID, done};
use super::{listing, output, render};
use crate::vault::{self, Expiry};
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
    listing::read_once(&v);
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
