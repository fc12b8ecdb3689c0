//! Tests of the decision and the vault-free `Verifier` (a child of `verifier`).

use super::*;
use crate::policy::Policy;

#[test]
fn decision_order() {
    let policy = |expires_at, revoked| Policy {
        scopes: vec!["read".to_string()],
        expires_at,
        revoked,
    };
    assert_eq!(
        policy(None, false).decide(10, false, &["read"]),
        Outcome::Valid
    );
    assert_eq!(
        policy(None, false).decide(10, false, &["write"]),
        Outcome::InsufficientScope
    );
    assert_eq!(
        policy(Some(10), false).decide(10, false, &[]),
        Outcome::Expired
    );
    assert_eq!(policy(None, false).decide(10, true, &[]), Outcome::Expired);
    assert_eq!(
        policy(Some(5), true).decide(10, false, &["x"]),
        Outcome::Revoked
    );
}

#[test]
fn verifier_file_rejects_foreign_json() {
    let key = TrustedKey::from_bytes([1; 32]);
    for text in [
        "{}",
        "not json",
        r#"{"type":"other","version":2}"#,
        r#"{"type":"keyward.verifier","version":1,"exported_at":"","keys":[]}"#,
        r#"{"type":"keyward.verifier","version":3}"#,
        r#"{"type":"keyward.verifier","version":2}"#,
    ] {
        assert!(
            matches!(
                Verifier::from_file_contents(text, &key),
                Err(Error::Refused(_))
            ),
            "{text}"
        );
    }
    let unsigned = Verifier::from_file_contents(
        r#"{"type":"keyward.verifier","version":1,"exported_at":"","keys":[]}"#,
        &key,
    );
    assert!(
        unsigned
            .err()
            .is_some_and(|e| e.to_string().contains("re-export"))
    );
}

/// A file signed by a test key around a hand-written payload.
fn signed(payload: &str) -> (String, TrustedKey) {
    let key = crate::signature::SigningKey::from_seed("00".repeat(16), &[9; 32]).expect("seed");
    let file = serde_json::json!({
        "type": "keyward.verifier", "version": 2,
        "public_key": key.public().to_string(),
        "signature": hex::to_hex(&key.sign(payload.as_bytes())),
        "payload": payload,
    });
    (file.to_string(), key.public())
}

fn payload(keys: &str) -> String {
    format!(
        r#"{{"type":"keyward.verifier","version":2,"vault_id":"00","node":"","serial":1,"exported_at":0,"valid_until":null,"keys":[{keys}]}}"#
    )
}

fn entry(sha: &str, scopes: &str) -> String {
    format!(
        r#"{{"key_id":"kid_x","sha256":"{sha}","scopes":[{scopes}],"expires_at":null,"revoked":false}}"#
    )
}

#[test]
fn signed_payloads_with_bad_entries_are_refused_not_trusted() {
    let sha = |n: u8| hex::to_hex(&[n; 32]);
    let load = |p: &str| {
        let (file, key) = signed(p);
        Verifier::from_file_contents(&file, &key)
    };
    assert!(load(&payload(&entry(&sha(1), r#""read""#))).is_ok());
    let twice = format!("{},{}", entry(&sha(1), ""), entry(&sha(1), ""));
    assert!(matches!(load(&payload(&twice)), Err(Error::Refused(w)) if w.contains("twice")));
    let bad = entry(&"zz".repeat(32), "");
    assert!(matches!(load(&payload(&bad)), Err(Error::Refused(w)) if w.contains("sha256")));
    let short = entry(&"ab".repeat(31), "");
    assert!(load(&payload(&short)).is_err());
    let other_type = payload("").replace("keyward.verifier", "something.else");
    assert!(matches!(load(&other_type), Err(Error::Refused(w)) if w.contains("type")));
    let no_serial = payload("").replace(r#""serial":1,"#, "");
    assert!(matches!(load(&no_serial), Err(Error::Refused(w)) if w.contains("serial")));
    let trailing = format!("{} x", payload(""));
    assert!(load(&trailing).is_err());
    // Fields a later version adds are ignored, in the payload and in entries.
    let extra = payload(&entry(&sha(2), "").replace(r#""revoked""#, r#""note":[1],"revoked""#))
        .replace(r#""serial""#, r#""later":{"a":1},"serial""#);
    assert_eq!(load(&extra).expect("extra fields").key_count(), 1);
}

#[test]
fn many_distinct_scope_lists_keep_their_own_scopes() {
    let secrets: Vec<Secret> = (0..40).map(|_| Secret::generate("kw")).collect();
    let entries: Vec<String> = secrets
        .iter()
        .enumerate()
        .map(|(n, s)| {
            let sha = hex::to_hex(&s.sha256());
            entry(&sha, &format!(r#""s{n}","common""#))
        })
        .collect();
    let (file, key) = signed(&payload(&entries.join(",")));
    let v = Verifier::from_file_contents(&file, &key).expect("loads");
    for (n, secret) in secrets.iter().enumerate() {
        let r = v.verify(secret.expose(), &[&format!("s{n}"), "common"]);
        assert_eq!(r.result, Outcome::Valid, "key {n}");
        assert_eq!(r.scopes, vec![format!("s{n}"), "common".to_owned()]);
        assert_eq!(r.key_id.as_deref(), Some("kid_x"));
    }
}
