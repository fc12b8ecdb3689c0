//! `scan --write-baseline FILE` / `--baseline FILE`: findings someone has seen and accepted,
//! remembered by fingerprint only (key id, file and occurrence hashed; never a secret), so a
//! CI run or a hook reports only what is new.

use std::collections::HashSet;
use std::path::Path;

use super::error::CliError;
use super::finding::{FINGERPRINT, Finding};

/// The file's format: `{"keyward_baseline": 1, "fingerprints": [...]}`.
const VERSION: u64 = 1;
/// A baseline of a million findings is about 70 MB.
const MAX_FILE: u64 = 256 << 20;

/// Writes the fingerprints of `findings` (sorted, once each) to `file`; returns how many.
pub fn write(file: &Path, findings: &[Finding]) -> Result<usize, CliError> {
    let mut fingerprints: Vec<&str> = findings.iter().map(|f| f.fingerprint.as_str()).collect();
    fingerprints.sort_unstable();
    fingerprints.dedup();
    let doc = serde_json::json!({
        "keyward_baseline": VERSION,
        "fingerprint": FINGERPRINT,
        "fingerprints": fingerprints,
    });
    let mut text = serde_json::to_string_pretty(&doc).map_err(|e| CliError::msg(e.to_string()))?;
    text.push('\n');
    crate::vault::write_file_atomically(file, text.as_bytes(), 0o644)?;
    Ok(fingerprints.len())
}

/// The fingerprints in a baseline file.
pub fn read(file: &Path) -> Result<HashSet<String>, CliError> {
    let text = crate::vault::outside::read_text(file, MAX_FILE)?;
    let bad = |why: &str| {
        CliError::msg(format!(
            "{}: not a keyward baseline ({why}); write one with scan --write-baseline",
            file.display()
        ))
    };
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|_| bad("not JSON"))?;
    if doc["keyward_baseline"].as_u64() != Some(VERSION) {
        return Err(bad("no keyward_baseline: 1"));
    }
    if doc["fingerprint"] != FINGERPRINT {
        return Err(bad("fingerprints of another kind"));
    }
    doc["fingerprints"]
        .as_array()
        .ok_or_else(|| bad("no fingerprints list"))?
        .iter()
        .map(|f| {
            f.as_str()
                .map(str::to_owned)
                .ok_or_else(|| bad("a fingerprint is not text"))
        })
        .collect()
}
