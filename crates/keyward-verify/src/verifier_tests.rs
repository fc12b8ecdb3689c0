//! Tests of the decision and the vault-free `Verifier` (a child of `verifier`).

use super::*;
use crate::policy::Policy;

#[test]
fn decision_order() {
    let policy = |expires_at, revoked| Policy {
        scopes: vec!["read".to_string()],
        expires_at,
        revoked,
        limits: None,
    };
    assert_eq!(
        policy(None, false).decide(10, false, &["read"], None),
        Outcome::Valid
    );
    assert_eq!(
        policy(None, false).decide(10, false, &["write"], None),
        Outcome::InsufficientScope
    );
    assert_eq!(
        policy(Some(10), false).decide(10, false, &[], None),
        Outcome::Expired
    );
    assert_eq!(
        policy(None, false).decide(10, true, &[], None),
        Outcome::Expired
    );
    assert_eq!(
        policy(Some(5), true).decide(10, false, &["x"], None),
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

/// A file signed by a test key around a hand-written payload (of its version).
fn signed(payload: &str) -> (String, TrustedKey) {
    let key = crate::signature::SigningKey::from_seed("00".repeat(16), &[9; 32]).expect("seed");
    let version: serde_json::Value = serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|p| p.get("version").cloned())
        .unwrap_or(2.into());
    let file = serde_json::json!({
        "type": "keyward.verifier", "version": version,
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

/// A policy with limits, for the decision.
fn limited(limits: &str) -> Policy {
    Policy {
        scopes: vec!["read".to_string()],
        limits: Some(Box::new(serde_json::from_str(limits).expect("limits"))),
        ..Policy::default()
    }
}

#[test]
fn an_address_outside_the_allowed_networks_is_forbidden_before_scopes() {
    let p = limited(r#"{"allow_ips":["10.0.0.0/8","2001:db8::/32"]}"#);
    let ip = |t: &str| Some(t.parse().unwrap());
    assert_eq!(
        p.decide(1, false, &["read"], ip("10.1.2.3")),
        Outcome::Valid
    );
    assert_eq!(
        p.decide(1, false, &["read"], ip("2001:db8::7")),
        Outcome::Valid
    );
    assert_eq!(
        p.decide(1, false, &["read"], ip("192.0.2.1")),
        Outcome::Forbidden
    );
    // No address given: a key limited to networks is refused, not let through.
    assert_eq!(p.decide(1, false, &["read"], None), Outcome::Forbidden);
    // From outside, the scope asked is not revealed.
    assert_eq!(
        p.decide(1, false, &["admin"], ip("192.0.2.1")),
        Outcome::Forbidden
    );
    assert_eq!(
        p.decide(1, false, &["admin"], ip("10.0.0.1")),
        Outcome::InsufficientScope
    );
    // Revoked and expired come first.
    let revoked = Policy {
        revoked: true,
        ..p.clone()
    };
    assert_eq!(
        revoked.decide(1, false, &[], ip("192.0.2.1")),
        Outcome::Revoked
    );
}

fn limited_payload(keys: &str) -> String {
    payload(keys).replace(r#""version":2"#, r#""version":3"#)
}

fn limited_entry(sha: &str, limits: &str) -> String {
    entry(sha, r#""read""#).replace(
        r#""revoked":false"#,
        &format!(r#""revoked":false,"limits":{limits}"#),
    )
}

#[test]
fn rate_limits_and_credits_are_enforced_with_what_is_left() {
    let secret = Secret::generate("kw");
    let sha = hex::to_hex(&secret.sha256());
    let limits =
        r#"{"rate":[{"name":"default","limit":3,"period_ms":60000}],"credits":{"initial":5}}"#;
    let (file, key) = signed(&limited_payload(&limited_entry(&sha, limits)));
    let v = Verifier::from_file_contents(&file, &key).expect("loads");
    let at = |ms: u64, cost: u64| {
        v.check_at(
            ms,
            secret.expose(),
            &Request {
                scopes: &["read"],
                client: None,
                cost,
            },
        )
    };
    let first = at(1_000, 1);
    assert_eq!(first.result, Outcome::Valid);
    let report = first.limits.expect("a report");
    assert_eq!((report.rate[0].remaining, report.rate[0].reset), (2, 60));
    assert_eq!(report.credits.as_ref().map(|c| c.remaining), Some(4));
    assert_eq!(at(2_000, 2).result, Outcome::Valid);
    let limited = at(3_000, 1);
    assert_eq!(limited.result, Outcome::RateLimited);
    let report = limited.limits.expect("a report");
    assert_eq!(report.rate[0].retry_after, Some(58));
    assert_eq!(
        report.credits.map(|c| c.remaining),
        Some(2),
        "refused: nothing spent"
    );
    // A minute on, the window is free again but 2 credits cannot pay for 3.
    let broke = at(63_000, 3);
    assert_eq!(broke.result, Outcome::UsageExceeded);
    assert_eq!(at(63_001, 2).result, Outcome::Valid);
    assert_eq!(at(63_002, 1).result, Outcome::UsageExceeded);
    // A key that is refused for its scope spends nothing.
    let scope = v.check_at(
        120_000,
        secret.expose(),
        &Request {
            scopes: &["admin"],
            client: None,
            cost: 1,
        },
    );
    assert_eq!(
        (scope.result, scope.limits),
        (Outcome::InsufficientScope, None)
    );
}

#[test]
fn a_check_decided_here_and_charged_elsewhere_answers_the_same() {
    let secret = Secret::generate("kw");
    let sha = hex::to_hex(&secret.sha256());
    let limits = r#"{"rate":[{"name":"default","limit":1,"period_ms":60000}]}"#;
    let (file, key) = signed(&limited_payload(&limited_entry(&sha, limits)));
    let v = Verifier::from_file_contents(&file, &key).expect("loads");
    let request = Request::scopes(&["read"]);
    let elsewhere = crate::limits::Limiter::new();
    let charge = |d: Decided| {
        let (id, l) = d.to_charge.clone().expect("a key with limits");
        let answer = elsewhere.spend(&id, &l, 1, 1_000);
        d.charged(&answer)
    };
    let first = charge(v.decide_at(1_000, secret.expose(), &request));
    assert_eq!(first, v.check_at(1_000, secret.expose(), &request));
    assert_eq!(first.result, Outcome::Valid);
    let second = charge(v.decide_at(1_000, secret.expose(), &request));
    assert_eq!(second.result, Outcome::RateLimited);
    assert_eq!(second, v.check_at(1_000, secret.expose(), &request));
    // Nothing to charge for a refusal that needs no count.
    let scope = v.decide_at(1_000, secret.expose(), &Request::scopes(&["admin"]));
    assert!(scope.to_charge.is_none());
    assert_eq!(scope.verification.result, Outcome::InsufficientScope);
}

#[test]
fn counts_survive_a_reload_of_a_newer_file() {
    let secret = Secret::generate("kw");
    let sha = hex::to_hex(&secret.sha256());
    let limits = r#"{"rate":[{"name":"default","limit":1,"period_ms":3600000}]}"#;
    let (file, key) = signed(&limited_payload(&limited_entry(&sha, limits)));
    let mut v = Verifier::from_file_contents(&file, &key).expect("loads");
    assert_eq!(v.verify(secret.expose(), &[]).result, Outcome::Valid);
    let newer =
        limited_payload(&limited_entry(&sha, limits)).replace(r#""serial":1"#, r#""serial":2"#);
    let (file, _) = signed(&newer);
    assert_eq!(v.reload_from_contents(&file).ok(), Some(true));
    assert_eq!(v.verify(secret.expose(), &[]).result, Outcome::RateLimited);
}

#[test]
fn limits_need_version_3_and_bad_limits_refuse_the_file() {
    let sha = hex::to_hex(&[1; 32]);
    let ok = r#"{"allow_ips":["10.0.0.0/8"]}"#;
    let load = |p: &str| {
        let (file, key) = signed(p);
        Verifier::from_file_contents(&file, &key)
    };
    assert!(load(&limited_payload(&limited_entry(&sha, ok))).is_ok());
    // The same keys in a version 2 file: an older reader would ignore the limits.
    let v2 = load(&payload(&limited_entry(&sha, ok)));
    assert!(
        matches!(&v2, Err(Error::Refused(w)) if w.contains("need version 3")),
        "{:?}",
        v2.err()
    );
    // A version 3 file without limits is fine too.
    assert!(load(&limited_payload(&entry(&sha, ""))).is_ok());
    for bad in [
        r#"{"rate":[{"name":"default","limit":0,"period_ms":60000}]}"#,
        r#"{"rate":[{"name":"a","limit":1,"period_ms":1000},{"name":"a","limit":2,"period_ms":1000}]}"#,
        r#"{"allow_ips":["10.0.0.0/33"]}"#,
        r#"{"credits":{"initial":-1}}"#,
        r#"{"rate":"100/min"}"#,
    ] {
        let r = load(&limited_payload(&limited_entry(&sha, bad)));
        assert!(
            matches!(&r, Err(Error::Refused(_))),
            "{bad}: {:?}",
            r.ok().map(|v| v.len())
        );
    }
    // A version a later Keyward writes is refused with what to do.
    let v4 = load(&limited_payload("").replace(r#""version":3"#, r#""version":4"#));
    assert!(v4.is_err());
    let file = serde_json::json!({"type":"keyward.verifier","version":4,"public_key":"x","signature":"","payload":""});
    let e = Verifier::from_file_contents(&file.to_string(), &TrustedKey::from_bytes([1; 32]));
    assert!(e.err().is_some_and(|e| {
        e.to_string()
            .contains("newer than this Keyward reads (3); upgrade Keyward")
    }));
}

/// An entry of the lookup table stays at 64 bytes (with its 32-byte digest, 96 a slot): a
/// 100,000-key file's table (262,144 slots) is then no larger than before keys had limits.
#[test]
fn a_table_entry_stays_small() {
    assert!(
        std::mem::size_of::<Entry>() <= 64,
        "{} bytes",
        std::mem::size_of::<Entry>()
    );
}
