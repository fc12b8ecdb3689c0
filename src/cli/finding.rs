//! What `scan` reports: one finding per secret found, the scan's totals, and the fingerprint
//! that names a finding across scans (read by SARIF and baselines alike).

use std::collections::HashMap;

use crate::vault::{sha256, to_hex};

/// One secret `scan` found, as reported.
#[derive(serde::Serialize)]
pub struct Finding {
    pub place: String,
    /// 1-based, in characters from the line's start.
    pub column: usize,
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
    /// Names this finding across scans (for SARIF and baselines): a hash of the key id (or
    /// `foreign`), the file and which of its occurrences there; never of the secret.
    pub fingerprint: String,
    /// The file relative to the scanned folder, as a URI reference (`-` for standard input).
    #[serde(skip)]
    pub uri: String,
    #[serde(skip)]
    pub line: usize,
}

/// What a scan read, for its summary line.
#[derive(Default, serde::Serialize)]
pub struct Totals {
    pub files: u64,
    pub bytes: u64,
    /// Over `--max-file-size`, not read.
    pub skipped: u64,
    /// Left out: their fingerprints are in `--baseline`.
    pub baselined: usize,
    pub live: usize,
}

/// The fingerprint's name in `partialFingerprints` (its version: a change of the recipe
/// is a new name, so old alerts are not matched wrongly).
pub const FINGERPRINT: &str = "keyward/v1";

/// Fills every finding's fingerprint: SHA-256 of the key id (or `foreign`), the file's URI
/// and which occurrence of that key in that file it is, so it stays when lines move.
pub fn fingerprint_all(findings: &mut [Finding]) {
    let mut seen: HashMap<(Option<String>, String), usize> = HashMap::new();
    for f in findings {
        let n = seen.entry((f.key_id.clone(), f.uri.clone())).or_default();
        *n += 1;
        let who = f.key_id.as_deref().unwrap_or("foreign");
        f.fingerprint = to_hex(&sha256(format!("{who}\0{}\0{n}", f.uri).as_bytes()));
    }
}
