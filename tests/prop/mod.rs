//! Properties of every parser of outside input, shared by the `parsers` test (a few hundred
//! cases each, in CI) and the `fuzz` bench (a million and more): whatever the input, a parser
//! answers with a value or an error, never a panic, and what it accepts is well formed.
#![allow(dead_code)]

use std::sync::OnceLock;

use keyward::vault::{
    Expiry, Grace, KdfParams, NewKey, Outcome, Preset, Scope, Secret, TrustedKey, Vault, Verifier,
    extract_key, parse_time, parse_valid_for,
};
use keyward::vault::{validate_name, validate_prefix};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// Text that looks like what the parsers expect, and text that does not.
fn texty() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,80}",
        "(Authorization|authorization|X-Api-Key)?:? ?(Api-Key|Bearer|Basic|api-key)? ?[a-z_]{0,8}_[0-9A-Za-z]{0,60}",
        "[0-9]{0,12}[dhmwy]?|never|[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:]{8}Z)?",
    ]
}

/// A real secret with one character of its random part or checksum replaced, removed or
/// added (the prefix is not covered by the checksum, as in GitHub's tokens).
fn damaged_secret() -> impl Strategy<Value = (String, String)> {
    (
        "[a-z][a-z0-9_]{1,15}",
        any::<prop::sample::Index>(),
        "[0-9A-Za-z]",
        0..3u8,
    )
        .prop_map(|(prefix, at, ch, how)| {
            let good = Secret::generate(&prefix).expose().to_owned();
            let body = good.rfind('_').map_or(0, |u| u + 1);
            let i = body + at.index(good.len() - body);
            let mut bad = good.clone();
            match how {
                0 => bad.replace_range(i..=i, &ch),
                1 => {
                    bad.remove(i);
                }
                _ => bad.insert_str(i, &ch),
            }
            (good, bad)
        })
}

/// Signed verifier files of one small vault, made once: an empty one and one with keys (one
/// rolled, one revoked), and the key they are signed with.
pub struct Signed {
    pub trusted: TrustedKey,
    pub empty: String,
    pub small: String,
}

pub fn signed() -> &'static Signed {
    static SIGNED: OnceLock<Signed> = OnceLock::new();
    SIGNED.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let params = KdfParams::new(8, 1).expect("params");
        let mut v =
            Vault::create(&dir.path().join("p.keyward"), "prop pass", params).expect("create");
        let ws = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
        let empty = v.export_verifier(None, None).expect("export").to_json();
        let key = |name: &str| NewKey::named(name).scopes(["write"]);
        let a = v.create_key(ws.id, key("a")).expect("a");
        let b = v.create_key(ws.id, key("b")).expect("b");
        v.roll_key(&a.info.key_id, Grace::OneHour).expect("roll");
        v.revoke_key(&b.info.key_id).expect("revoke");
        let small = v
            .export_verifier(None, Some(86_400))
            .expect("export")
            .to_json();
        Signed {
            trusted: v.verifier_key().expect("key"),
            empty,
            small,
        }
    })
}

fn payload_of(text: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    v["payload"].as_str().map(str::to_owned)
}

/// A signed file with bytes overwritten, removed or inserted anywhere, outer object or payload.
fn damaged_signed() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..4),
        any::<bool>(),
    )
        .prop_map(|(edits, small)| {
            let s = signed();
            let mut bytes = if small { &s.small } else { &s.empty }.clone().into_bytes();
            for (at, b, how) in edits {
                let i = at.index(bytes.len().max(1));
                match how {
                    0 if i < bytes.len() => bytes[i] = b,
                    1 if i < bytes.len() => {
                        bytes.remove(i);
                    }
                    _ => bytes.insert(i.min(bytes.len()), b),
                }
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
}

/// Envelopes of the signed shape around a payload and signature that were never signed.
fn forged_envelope() -> impl Strategy<Value = String> {
    (verifier_json(), "[0-9a-f]{0,130}", any::<bool>()).prop_map(|(payload, sig, right_key)| {
        let key = if right_key {
            signed().trusted.to_string()
        } else {
            TrustedKey::from_bytes([7; 32]).to_string()
        };
        serde_json::json!({"type": "keyward.verifier", "version": 2, "public_key": key,
                           "signature": sig, "payload": payload})
        .to_string()
    })
}

fn verifier_json() -> impl Strategy<Value = String> {
    let entry = (
        "kid_[0-9A-Za-z]{17}",
        "[0-9a-f]{64}",
        prop::collection::vec("[a-z.]{1,12}", 0..4),
        prop::option::of(any::<i64>()),
        any::<bool>(),
    )
        .prop_map(|(id, sha, scopes, exp, revoked)| {
            serde_json::json!({"key_id": id, "sha256": sha, "scopes": scopes,
                               "expires_at": exp, "revoked": revoked})
        });
    (prop::collection::vec(entry, 0..6), any::<u32>()).prop_map(|(keys, version)| {
        serde_json::json!({"type": "keyward.verifier", "version": version % 3,
                           "exported_at": "2026-01-01T00:00:00Z", "keys": keys})
        .to_string()
    })
}

/// A verifier file with some bytes overwritten, cut or repeated.
fn damaged_verifier() -> impl Strategy<Value = String> {
    (
        verifier_json(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(json, edits, cut)| {
            let mut bytes = json.into_bytes();
            for (at, b) in edits {
                let i = at.index(bytes.len().max(1));
                if i < bytes.len() {
                    bytes[i] = b;
                }
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            String::from_utf8_lossy(&bytes).into_owned()
        })
}

pub type Property = (&'static str, fn(&mut TestRunner) -> Result<(), String>);

fn run<S: Strategy>(
    runner: &mut TestRunner,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) -> Result<(), String> {
    runner.run(&strategy, test).map_err(|e| e.to_string())
}

/// JSON shaped like a member's key slot, with absurd or wrong values among good ones.
fn slot_json() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just(65_536u64),
            0..u64::MAX,
            Just(4_194_304u64),
            Just(1_048_577u64)
        ],
        prop_oneof![Just(3u64), 0..u64::MAX, Just(64u64), Just(11u64)],
        prop_oneof![Just(1u64), 0..u64::MAX, Just(17u64)],
        "[0-9a-f]{0,70}",
        texty(),
    )
        .prop_map(|(memory_kib, passes, lanes, hex, junk)| {
            serde_json::json!({
                "params": {"memory_kib": memory_kib, "passes": passes, "lanes": lanes},
                "salt": hex, "secret": hex, "public": hex, "data_key": junk,
                "identity": hex, "grant": junk,
            })
            .to_string()
        })
}

pub const PROPERTIES: &[Property] = &[
    ("secret and header parsing", |r| {
        run(r, texty(), |text| {
            if let Ok(key) = extract_key(&text)
                && let Ok(secret) = Secret::parse(key)
            {
                prop_assert_eq!(secret.expose(), key.trim());
                prop_assert!(secret.display().len() < secret.expose().len());
            }
            Ok(())
        })
    }),
    ("a damaged secret is refused without a lookup", |r| {
        run(r, damaged_secret(), |(good, bad)| {
            prop_assert!(Secret::parse(&good).is_ok());
            let s = signed();
            let verdict = Verifier::from_file_contents(&s.empty, &s.trusted)
                .expect("empty verifier")
                .verify(&bad, &[]);
            if bad != good {
                prop_assert_eq!(verdict.result, Outcome::Malformed, "{} accepted", bad);
            }
            Ok(())
        })
    }),
    ("expiry, grace and time text", |r| {
        run(r, texty(), |text| {
            if let Ok(e) = Expiry::parse(&text) {
                let _ = e.resolve(1_800_000_000);
                let _ = e.resolve(i64::MAX);
                let _ = e.resolve(i64::MIN);
            }
            let _ = Grace::parse(&text);
            if let Some(t) = parse_time(&text) {
                let _ = keyward::vault::format_time(t);
            }
            Ok(())
        })
    }),
    ("names, prefixes and scope ids", |r| {
        run(r, texty(), |text| {
            if let Ok(name) = validate_name("key", &text) {
                prop_assert!(!name.is_empty() && name.chars().count() <= 64);
            }
            if validate_prefix(&text).is_ok() {
                prop_assert!(text.len() >= 2 && text.len() <= 16);
            }
            let _ = Scope::validate_id(&text);
            if let Ok(key) = TrustedKey::parse(&text) {
                prop_assert_eq!(key.to_string(), text.trim());
            }
            if let Ok(secs) = parse_valid_for(&text) {
                prop_assert!(secs > 0 && secs <= 3650 * 86_400);
            }
            Ok(())
        })
    }),
    ("unsigned and forged verifier files are refused", |r| {
        run(
            r,
            prop_oneof![
                texty(),
                verifier_json(),
                damaged_verifier(),
                forged_envelope()
            ],
            |text| {
                let s = signed();
                prop_assert!(Verifier::from_file_contents(&text, &s.trusted).is_err());
                Ok(())
            },
        )
    }),
    ("member key slots: absurd key derivation refused", |r| {
        run(
            r,
            prop_oneof![
                slot_json(),
                texty(),
                any::<Vec<u8>>().prop_map(|b| String::from_utf8_lossy(&b).into_owned())
            ],
            |text| {
                if let Some(params) = keyward::vault::fuzzing::slot(text.as_bytes()) {
                    prop_assert!(params.memory_kib <= 1024 * 1024 && params.passes <= 10);
                }
                Ok(())
            },
        )
    }),
    ("commitment buckets, pins and usage files", |r| {
        run(
            r,
            (any::<Vec<u8>>(), any::<i64>(), texty()),
            |(bytes, index, text)| {
                let _ = keyward::vault::fuzzing::bucket(&bytes, index);
                let _ = keyward::vault::fuzzing::bucket(&bytes, 0);
                let _ = keyward::vault::fuzzing::pin(&text);
                let _ = keyward::vault::UsageFile::parse(&text);
                Ok(())
            },
        )
    }),
    (
        "a damaged signed file is refused unless its payload is untouched",
        |r| {
            run(r, damaged_signed(), |text| {
                let s = signed();
                if let Ok(v) = Verifier::from_file_contents(&text, &s.trusted) {
                    let _ = v.verify("Api-Key kw_abc", &["read"]);
                    let payload = payload_of(&text);
                    prop_assert!(
                        payload == payload_of(&s.small) || payload == payload_of(&s.empty),
                        "a changed payload was accepted: {}",
                        text
                    );
                }
                Ok(())
            })
        },
    ),
];

/// Runs every property with `cases` cases; returns the inputs generated in all.
pub fn run_all(cases: u32) -> Result<u64, String> {
    let mut total = 0u64;
    for (name, property) in PROPERTIES {
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        property(&mut runner).map_err(|e| format!("{name}: {e}"))?;
        total += u64::from(cases);
    }
    Ok(total)
}
