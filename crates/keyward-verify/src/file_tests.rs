//! Tests of the verifier file format (a child of `file`).

use super::*;

#[test]
fn valid_for_forms() {
    assert_eq!(parse_valid_for("30m").ok(), Some(1_800));
    assert_eq!(parse_valid_for(" 1h ").ok(), Some(3_600));
    assert_eq!(parse_valid_for("7d").ok(), Some(7 * 86_400));
    assert_eq!(parse_valid_for("3650d").ok(), Some(3650 * 86_400));
    for bad in [
        "",
        "d",
        "0h",
        "-1d",
        "3651d",
        "1w",
        "1.5h",
        "99999999999999999999d",
        "h1",
    ] {
        assert!(parse_valid_for(bad).is_err(), "{bad}");
    }
}

/// The entries as the vault writes them (one plain, one rolled, revoked and expiring).
fn entries() -> Vec<VerifierEntry> {
    vec![
        VerifierEntry {
            key_id: "kid_1".into(),
            sha256: "aa".repeat(32),
            policy: Policy {
                scopes: vec!["read".into(), "write".into()],
                expires_at: None,
                revoked: false,
                limits: None,
            },
            previous: None,
        },
        VerifierEntry {
            key_id: "kid_2".into(),
            sha256: "bb".repeat(32),
            policy: Policy {
                scopes: Vec::new(),
                expires_at: Some(1_900_000_000),
                revoked: true,
                limits: None,
            },
            previous: Some(Rolled {
                sha256: "cc".repeat(32),
                valid_until: 1_800_000_000,
            }),
        },
    ]
}

/// The signed payload is the file's contract: the same fields in the same order, byte for
/// byte, as the files services already hold.
#[test]
fn payload_text_is_unchanged() {
    let payload = VerifierPayload {
        kind: TYPE.into(),
        version: VERSION_WITHOUT_LIMITS,
        vault_id: "0f".repeat(16),
        node: "acme/billing".into(),
        serial: 42,
        exported_at: 1_700_000_000,
        valid_until: None,
        keys: entries(),
    };
    let text = serde_json::to_string(&payload).expect("a payload serialises");
    let expected = format!(
        concat!(
            r#"{{"type":"keyward.verifier","version":2,"vault_id":"{v}","node":"acme/billing","#,
            r#""serial":42,"exported_at":1700000000,"valid_until":null,"keys":["#,
            r#"{{"key_id":"kid_1","sha256":"{a}","scopes":["read","write"],"expires_at":null,"#,
            r#""revoked":false}},"#,
            r#"{{"key_id":"kid_2","sha256":"{b}","scopes":[],"expires_at":1900000000,"#,
            r#""revoked":true,"previous":{{"sha256":"{c}","valid_until":1800000000}}}}]}}"#
        ),
        v = "0f".repeat(16),
        a = "aa".repeat(32),
        b = "bb".repeat(32),
        c = "cc".repeat(32),
    );
    assert_eq!(text, expected);
    let back: VerifierPayload = serde_json::from_str(&text).expect("it reads back");
    assert_eq!(serde_json::to_string(&back).ok(), Some(text));
}

/// Limits are written in the entry after the rest, and make the file version 3; a payload
/// that claims version 2 for them is not signed.
#[test]
fn limits_make_a_version_3_file() {
    let key = SigningKey::from_seed("0f".repeat(16), &[3; 32]).expect("a seed");
    let mut keys = entries();
    assert_eq!(VerifierFile::version_for(&keys), 2);
    keys[0].policy.limits = crate::limits::KeyLimits {
        rate: vec!["burst=20/s".parse().unwrap()],
        ..Default::default()
    }
    .boxed();
    assert_eq!(VerifierFile::version_for(&keys), 3);
    let mut payload = VerifierPayload {
        kind: TYPE.into(),
        version: 2,
        vault_id: "0f".repeat(16),
        node: String::new(),
        serial: 1,
        exported_at: 1_700_000_000,
        valid_until: None,
        keys,
    };
    assert!(VerifierFile::sign(&payload, &key).is_err());
    payload.version = 3;
    let file = VerifierFile::sign(&payload, &key).expect("signed");
    assert_eq!(file.version, 3);
    assert!(file.payload.contains(
        r#""revoked":false,"limits":{"rate":[{"name":"burst","limit":20,"period_ms":1000}]}}"#
    ));
    let back =
        crate::Verifier::from_file_contents_at(&file.to_json(), &key.public(), 1_700_000_000)
            .expect("it loads");
    assert_eq!(back.key_count(), 2);
}
