//! Signing keys rotate: `member rm` and `verifier-key rotate` make a new one, so a removed
//! member's old copy of the vault signs nothing a service trusting the current key accepts;
//! `--trust` takes several keys while services move over; `verifier-key --all` lists them.

mod common;

use std::path::Path;
use std::time::Duration;

use common::serve::{Server, wait_for};
use common::{PASS, Sandbox};

const BOB: &str = "bob's own passphrase 42";

fn verify_with(s: &Sandbox, file: &Path, trust: &str, secret: &str) -> common::Run {
    let mut cmd = s.command();
    cmd.args(["--json", "verify", "--verifier"])
        .arg(file)
        .args(["--trust", trust, "--key", secret]);
    s.run_with(&mut cmd)
}

#[test]
fn a_removed_members_old_copy_signs_nothing_a_service_accepts() {
    let s = Sandbox::with_member("alice");
    let alice = |args: &[&str]| s.as_member_at(&s.vault, "alice", PASS, args);
    alice(&["workspace", "add", "acme"]).ok();
    let mut add = s.command();
    add.env("KEYWARD_MEMBER", "alice")
        .env("KEYWARD_NEW_PASSPHRASE", BOB)
        .args(["member", "add", "bob"]);
    s.run_with(&mut add).ok();
    let old_key = alice(&["verifier-key"]).ok().stdout.trim().to_owned();

    // Bob keeps a copy while he is a member.
    let copy = s.path("bob-copy.keyward");
    s.as_member_at(
        &s.vault,
        "bob",
        BOB,
        &["backup", copy.to_str().expect("utf-8")],
    )
    .ok();
    // The service's file (added after Bob's copy, so his copy does not write it).
    let real = s.path("acme.json");
    alice(&["publish", "add", "acme", real.to_str().expect("utf-8")]).ok();

    let removed = alice(&["--json", "member", "rm", "bob"]).ok().json();
    let new_key = removed["public_key"]
        .as_str()
        .expect("public_key")
        .to_owned();
    assert_eq!(removed["retired"], old_key.as_str());
    assert_ne!(new_key, old_key, "member rm must replace the signing key");
    assert_eq!(alice(&["verifier-key"]).ok().stdout.trim(), new_key);
    let text = s
        .as_member_at(&s.vault, "alice", PASS, &["verifier-key", "--all"])
        .ok()
        .stdout;
    assert!(text.contains(&new_key) && text.contains(&old_key), "{text}");
    assert!(
        text.contains("current") && text.contains("retired"),
        "{text}"
    );
    let all = alice(&["--json", "verifier-key", "--all"]).ok().json();
    let keys = all["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["key"], new_key.as_str());
    assert_eq!(keys[1]["key"], old_key.as_str());
    assert!(keys[1]["retired_at"].is_string(), "{all}");

    // On his copy, Bob mints a full-access key, raises the serial and exports.
    let bob = |args: &[&str]| s.as_member_at(&copy, "bob", BOB, args);
    let forged_key = bob(&[
        "--json",
        "key",
        "create",
        "acme",
        "--name",
        "backdoor",
        "--full-access",
    ])
    .ok()
    .json();
    let forged_secret = forged_key["key_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    for n in 0..12 {
        bob(&["workspace", "add", &format!("w{n}")]).ok();
    }
    let forged = s.path("forged.json");
    bob(&[
        "export-verifier",
        "acme",
        "--output",
        forged.to_str().expect("utf-8"),
    ])
    .ok();

    // What the owner tells services to trust now refuses it, in the CLI...
    let run = verify_with(&s, &forged, &new_key, &forged_secret);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("signed by"), "{}", run.stderr);
    // ...while the real file, rewritten at the removal, is signed by the new key.
    let real_file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&real).expect("read")).expect("json");
    assert_eq!(real_file["public_key"], new_key.as_str());

    // ...and in a running serve: the forged file swapped in is refused, the key stays 401.
    let server = Server::start(&[&real], &[]);
    assert_eq!(server.check(&forged_secret, &[]).status, 401);
    let tmp = real.with_extension("swap");
    std::fs::copy(&forged, &tmp).expect("copy");
    std::fs::rename(&tmp, &real).expect("swap");
    let refused = wait_for(Duration::from_secs(3), || {
        server.metric("keyward_reloads_refused_total") >= 1.0
    });
    assert!(refused.is_some(), "{}", server.stderr());
    assert_eq!(server.check(&forged_secret, &[]).status, 401);
    assert!(server.logged("signed by"), "{}", server.stderr());
    server.stop();
}

#[test]
fn verifier_key_rotate_resigns_targets_and_services_can_trust_both_while_moving() {
    let s = Sandbox::with_tree();
    let key = s.create_key("acme/billing/prod", "svc", &[]);
    let secret = key["key_secret"].as_str().expect("secret").to_owned();
    let file = s.path("published/acme.json");
    std::fs::create_dir_all(file.parent().expect("dir")).expect("dir");
    s.run(&["publish", "add", "acme", file.to_str().expect("utf-8")])
        .ok();
    let old = s.run(&["verifier-key"]).ok().stdout.trim().to_owned();
    let server = Server::start(&[&file], &[]);
    assert_eq!(server.check(&secret, &[]).status, 204);

    let out = s.run(&["verifier-key", "rotate"]).ok().stdout;
    let new = s.run(&["verifier-key"]).ok().stdout.trim().to_owned();
    assert_ne!(new, old);
    assert!(out.contains(&format!("--trust {new}")), "{out}");
    assert!(out.contains(&format!("--trust {new},{old}")), "{out}");

    // The target was rewritten with the new key: a serve trusting only the old one refuses
    // it and keeps serving what it had.
    let refused = wait_for(Duration::from_secs(3), || {
        server.metric("keyward_reloads_refused_total") >= 1.0
    });
    assert!(refused.is_some(), "{}", server.stderr());
    assert_eq!(server.check(&secret, &[]).status, 204);
    server.stop();

    // Trusting both (as the advice says), the new file loads; trusting only the old, not.
    let both = format!("{new},{old}");
    assert_eq!(verify_with(&s, &file, &both, &secret).code, 0);
    assert_eq!(verify_with(&s, &file, &new, &secret).code, 0);
    assert_eq!(verify_with(&s, &file, &old, &secret).code, 2);
    let server = Server::start(&[&file], &["--trust", &new, "--trust", &old]);
    assert_eq!(server.check(&secret, &[]).status, 204);
    server.stop();

    let log = s.run(&["--json", "log"]).ok().json();
    assert!(
        log.as_array()
            .expect("entries")
            .iter()
            .any(|e| e["action"] == "signing_key.rotate"),
        "{log}"
    );
    // The rotation is committed: doctor finds nothing wrong, and the key stays after reopening.
    s.run(&["doctor"]).ok();
    assert_eq!(s.run(&["verifier-key"]).ok().stdout.trim(), new);
}
