//! `export-verifier`, `verifier-key` and `verify --verifier --trust` as the real binary: exit
//! status 0 valid, 1 not valid, 2 for a file that is refused (or any other error).

mod common;

use common::{PASS, Run, Sandbox, bin};

fn key_of(s: &Sandbox) -> String {
    let out = s.run(&["verifier-key"]).ok().stdout;
    out.trim().to_owned()
}

fn export(s: &Sandbox, name: &str, extra: &[&str]) -> (String, serde_json::Value) {
    let out = s.path(name).to_str().unwrap_or_default().to_owned();
    let mut args = vec!["--json", "export-verifier", "--output", &out];
    args.extend_from_slice(extra);
    let summary = s.run(&args).ok().json();
    (out, summary)
}

/// `verify` with no vault and no passphrase in the environment: only the file and the key.
fn check(file: &str, trust: Option<&str>, key: &str) -> Run {
    let mut cmd = bin();
    cmd.args(["--json", "verify", "--key", key, "--verifier", file]);
    if let Some(t) = trust {
        cmd.args(["--trust", t]);
    }
    Sandbox::empty().run_with(&mut cmd)
}

fn secret(k: &serde_json::Value) -> &str {
    k["key_secret"].as_str().unwrap_or_default()
}

crate::on_both_stores! {
    fn verifier_key_is_kwpk_and_stays_across_passwd_and_reopen() {
        let s = Sandbox::with_tree();
        let key = key_of(&s);
        assert!(key.starts_with("kwpk_") && key.len() == 54, "{key}");
        let j = s.run(&["--json", "verifier-key"]).ok().json();
        assert_eq!(j["public_key"], key.as_str());
        let id = j["vault_id"].as_str().unwrap_or_default().to_owned();
        assert_eq!(id.len(), 32);
        assert_eq!(key_of(&s), key, "reopened");
        let r = s.run_with(
            s.command()
                .env("KEYWARD_NEW_PASSPHRASE", "an entirely new passphrase 42")
                .arg("passwd"),
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let after = s.run_with(
            bin()
                .env("KEYWARD_VAULT", &s.vault)
                .env("KEYWARD_PASSPHRASE", "an entirely new passphrase 42")
                .args(["--json", "verifier-key"]),
        );
        assert_eq!(after.json()["public_key"], key.as_str(), "passwd keeps it");
        assert_eq!(after.json()["vault_id"], id.as_str());
    }
}

crate::on_both_stores! {
    fn verify_with_a_signed_file_exits_0_1_or_2() {
        let s = Sandbox::with_tree();
        let a = s.create_key("acme/billing/prod", "a", &["--scope", "write"]);
        let b = s.create_key("acme/billing/prod", "b", &[]);
        s.run(&["key", "revoke", b["key_id"].as_str().unwrap_or_default()])
            .ok();
        let trust = key_of(&s);
        let (file, summary) = export(&s, "v.json", &["--valid-for", "1h"]);
        assert_eq!(summary["keys"], 2);
        assert!(summary["serial"].as_u64().is_some_and(|n| n > 0));
        assert!(summary["valid_until"].as_i64().is_some());

        let r = check(&file, Some(&trust), secret(&a));
        assert_eq!((r.code, r.json()["result"].as_str()), (0, Some("valid")));
        let r = check(&file, Some(&trust), secret(&b));
        assert_eq!((r.code, r.json()["result"].as_str()), (1, Some("revoked")));
        let r = check(&file, Some(&trust), "acme_nope");
        assert_eq!(
            (r.code, r.json()["result"].as_str()),
            (1, Some("malformed"))
        );
        // The trusted key from the environment.
        let r = Sandbox::empty().run_with(bin().env("KEYWARD_TRUST", &trust).args([
            "verify",
            "--key",
            secret(&a),
            "--verifier",
            &file,
        ]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        // The key on stdin, as before.
        let r = s.run_stdin(
            &["verify", "--verifier", &file, "--trust", &trust],
            secret(&a),
        );
        assert_eq!(r.code, 0, "{}", r.stderr);

        // Refused files and keys: exit 2 with one clear line.
        check(&file, None, secret(&a)).refused("--trust");
        let mut typo = trust.clone().into_bytes();
        typo[20] = if typo[20] == b'a' { b'b' } else { b'a' };
        check(
            &file,
            Some(&String::from_utf8(typo).unwrap_or_default()),
            secret(&a),
        )
        .refused("checksum");
        let other = Sandbox::new();
        check(&file, Some(&key_of(&other)), secret(&a)).refused("not by the trusted key");

        let text = std::fs::read_to_string(&file).expect("read");
        let flipped = s.path("flipped.json");
        std::fs::write(
            &flipped,
            text.replacen("\\\"revoked\\\":true", "\\\"revoked\\\":false", 1),
        )
        .expect("write");
        assert_ne!(std::fs::read_to_string(&flipped).ok(), Some(text.clone()));
        check(
            flipped.to_str().unwrap_or_default(),
            Some(&trust),
            secret(&b),
        )
        .refused("signature");

        let unsigned = s.path("v1.json");
        std::fs::write(
            &unsigned,
            r#"{"type":"keyward.verifier","version":1,"exported_at":"2026-01-01T00:00:00Z","keys":[]}"#,
        )
        .expect("write");
        check(
            unsigned.to_str().unwrap_or_default(),
            Some(&trust),
            secret(&a),
        )
        .refused("re-export");

        s.run(&["export-verifier", "--output", "x.json", "--valid-for", "2w"])
            .refused("duration");
    }
}

crate::on_both_stores! {
    fn an_expired_file_is_refused_with_exit_2() {
        let s = Sandbox::with_tree();
        let a = s.create_key("acme", "a", &[]);
        let trust = key_of(&s);
        let out = s.path("old.json");
        {
            // Exported two hours ago, valid for one.
            let mut v = keyward::vault::Vault::open(&s.vault, PASS).expect("open");
            let then = v.now() - 7200;
            v.set_clock(std::sync::Arc::new(move || then));
            let file = v.export_verifier(None, Some(3600)).expect("export");
            std::fs::write(&out, file.to_json()).expect("write");
        }
        check(out.to_str().unwrap_or_default(), Some(&trust), secret(&a)).refused("expired");
    }
}

crate::on_both_stores! {
    fn an_altered_signing_key_is_a_clear_error_and_the_rest_works() {
        let s = Sandbox::with_tree();
        s.create_key("acme", "a", &[]);
        s.raw_sql(
            "UPDATE meta SET value = x'0102' WHERE name = 'signing_key'",
            "UPDATE meta SET value = '\\x0102' WHERE name = 'signing_key'",
        );
        s.run(&["verifier-key"]).refused("signing key");
        s.run(&["export-verifier", "--output", "x.json"])
            .refused("signing key");
        s.run(&["key", "list"]).ok();
        let doctor = s.run(&["--json", "doctor"]);
        assert_eq!(doctor.code, 1, "{}", doctor.stdout);
        assert!(doctor.stdout.contains("signing key"), "{}", doctor.stdout);
    }
}
