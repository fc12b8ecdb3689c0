//! `scan --format sarif`: findings as SARIF 2.1.0, the way GitHub code scanning takes them
//! (one rule per kind of finding, file, line and column, a stable fingerprint). A result
//! names the key by its id only: no secret, no part of one and no hash of one is written.

use std::path::{Component, Path};

use serde_json::{Value, json};

use super::finding::{FINGERPRINT, Finding};

/// One rule per kind `scan` reports: (kind, rule id, name, level, security severity, what).
const RULES: [(&str, &str, &str, &str, &str, &str); 5] = [
    (
        "exposed",
        "keyward/exposed-key",
        "ExposedKey",
        "error",
        "9.0",
        "A key of this vault that still works is in this file. Roll or revoke it (keyward key roll / key revoke) and remove it.",
    ),
    (
        "old_secret",
        "keyward/old-secret",
        "OldSecretInGrace",
        "error",
        "7.0",
        "The previous secret of a rolled key, still accepted during its grace period, is in this file. End the grace (keyward key roll --grace 0) and remove it.",
    ),
    (
        "inactive",
        "keyward/inactive-key",
        "InactiveKey",
        "note",
        "2.0",
        "A key of this vault that no longer works (revoked, expired or past its grace) is in this file. Remove it.",
    ),
    (
        "tampered",
        "keyward/tampered-key",
        "TamperedKey",
        "warning",
        "5.0",
        "A key of this vault whose record failed its integrity check is in this file. Run keyward doctor and remove it.",
    ),
    (
        "foreign",
        "keyward/unknown-key",
        "UnknownKey",
        "warning",
        "5.0",
        "A well-formed key with one of this vault's prefixes that is not a key of this vault (another vault's, or deleted) is in this file. Check where it comes from and remove it.",
    ),
];

/// The SARIF log of `findings` (their `uri`, line, column and fingerprint filled in).
pub fn log(findings: &[Finding]) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|(_, id, name, level, severity, what)| {
            json!({
                "id": id,
                "name": name,
                "shortDescription": { "text": format!("{name}: an API key in a file") },
                "fullDescription": { "text": what },
                "help": { "text": what },
                "defaultConfiguration": { "level": level },
                "properties": { "tags": ["security", "secret"], "security-severity": severity },
            })
        })
        .collect();
    let results: Vec<Value> = findings.iter().map(result).collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "keyward",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

fn result(f: &Finding) -> Value {
    let index = RULES
        .iter()
        .position(|r| r.0 == f.kind)
        .unwrap_or(RULES.len() - 1);
    let (_, id, _, level, _, _) = RULES[index];
    let text = match &f.key_id {
        Some(key_id) => match f.kind {
            "exposed" => format!("Key {key_id} of this vault, which still works, is here."),
            "old_secret" => {
                format!("The previous secret of key {key_id}, still in its grace, is here.")
            }
            "tampered" => format!("Key {key_id}, whose record failed its check, is here."),
            _ => format!("Key {key_id} of this vault, which no longer works, is here."),
        },
        None => "A key with this vault's prefix that is not one of its keys is here.".to_owned(),
    };
    json!({
        "ruleId": id,
        "ruleIndex": index,
        "level": level,
        "message": { "text": text },
        "locations": [{ "physicalLocation": {
            "artifactLocation": { "uri": f.uri },
            "region": { "startLine": f.line.max(1), "startColumn": f.column.max(1) },
        }}],
        "partialFingerprints": { FINGERPRINT: f.fingerprint },
    })
}

/// `source` (a path the walk of `root` gave) as a URI reference relative to `root` when it
/// is a folder, else as given; forward slashes, `.` left out, the rest percent-encoded.
pub fn uri_of(root: &Path, folder: bool, source: &str) -> String {
    let path = Path::new(source);
    let relative = if folder {
        path.strip_prefix(root).unwrap_or(path)
    } else {
        path
    };
    let mut uri = String::new();
    let mut first = true;
    for c in relative.components() {
        let part = match c {
            Component::RootDir => {
                uri.push('/');
                continue;
            }
            Component::CurDir | Component::Prefix(_) => continue,
            Component::ParentDir => "..".into(),
            Component::Normal(s) => s.to_string_lossy(),
        };
        if !first {
            uri.push('/');
        }
        first = false;
        encode_into(&mut uri, &part);
    }
    uri
}

/// Percent-encodes all but RFC 3986's unreserved characters and a few safe in a path.
fn encode_into(out: &mut String, part: &str) {
    for b in part.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_forward_slashed_and_encoded() {
        let root = Path::new("./repo");
        assert_eq!(uri_of(root, true, "./repo/src/a b.rs"), "src/a%20b.rs");
        assert_eq!(uri_of(Path::new("."), true, "./src/x.rs"), "src/x.rs");
        assert_eq!(uri_of(Path::new("src/x.rs"), false, "src/x.rs"), "src/x.rs");
        assert_eq!(
            uri_of(Path::new("/t"), true, "/t/é#?:%.env"),
            "%C3%A9%23%3F%3A%25.env"
        );
        assert_eq!(uri_of(Path::new("/t/f"), false, "/t/f"), "/t/f");
    }
}
