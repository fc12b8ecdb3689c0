//! A machine pins each vault it has unlocked (vault id, highest commit counter): a whole-file
//! rollback or another vault put at the same path is refused there, with one explicit way to
//! accept it; a crash or kill at any moment never makes a machine refuse its own vault.

mod common;

use std::time::Duration;

use common::Sandbox;

#[test]
fn a_rolled_back_file_is_refused_on_the_machine_that_saw_the_newer_one() {
    let s = Sandbox::with_tree();
    let key = s.create_key("acme/billing/prod", "svc", &[]);
    let id = key["key_id"].as_str().expect("id").to_owned();
    let secret = key["key_secret"].as_str().expect("secret").to_owned();
    let old = s.path("old.keyward");
    std::fs::copy(&s.vault, &old).expect("copy");
    s.run(&["key", "revoke", &id]).ok();
    // The whole file from before the revoke is put back (a consistent older state).
    std::fs::copy(&old, &s.vault).expect("put back");
    let _ = std::fs::remove_file(s.vault.with_extension("keyward-wal"));
    let run = s.run(&["key", "list"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("went back"), "{}", run.stderr);
    assert!(
        run.stderr.contains("--accept-vault-change"),
        "{}",
        run.stderr
    );
    // The revoked key does not come back to life through the vault either.
    let run = s.run(&["verify", "--key", &secret]);
    assert_eq!(
        run.code, 2,
        "the revoked key must not verify on the rolled-back file"
    );
    // Taking it on purpose is one explicit step, remembered after.
    s.run(&["--accept-vault-change", "key", "list"]).ok();
    s.run(&["key", "list"]).ok();
}

#[test]
fn another_vault_at_the_same_path_is_refused() {
    let a = Sandbox::with_tree();
    a.run(&["key", "list"]).ok();
    let b = Sandbox::new();
    std::fs::copy(&b.vault, &a.vault).expect("swap in another vault");
    let run = a.run(&["key", "list"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("not the vault this machine knew"),
        "{}",
        run.stderr
    );
    a.run(&["--accept-vault-change", "workspace", "list"]).ok();
}

#[test]
fn killing_writes_at_any_moment_never_makes_the_machine_refuse_its_own_vault() {
    let s = Sandbox::with_tree();
    for i in 0..24u64 {
        let mut child = s
            .command()
            .args([
                "key",
                "create",
                "acme/billing/prod",
                "--name",
                &format!("k{i}"),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        // Somewhere between before the unlock and after the commit.
        std::thread::sleep(Duration::from_millis(3 * i));
        let _ = child.kill();
        let _ = child.wait();
        let run = s.run(&["key", "list", "acme/billing/prod"]);
        assert_eq!(run.code, 0, "after a kill at {} ms: {}", 3 * i, run.stderr);
    }
    s.run(&["doctor"]).ok();
}

#[cfg(unix)]
#[test]
fn pins_are_private_and_hold_no_secret_or_name() {
    use std::os::unix::fs::PermissionsExt;
    let s = Sandbox::with_tree();
    let key = s.create_key("acme/billing/prod", "svc-name", &[]);
    let pins = s.path("pins");
    let files: Vec<_> = std::fs::read_dir(&pins)
        .expect("pins")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let mode = std::fs::metadata(&files[0])
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&files[0]).expect("read");
    assert!(!text.contains(key["key_secret"].as_str().expect("secret")));
    assert!(
        !text.contains("svc-name") && !text.contains("acme"),
        "{text}"
    );
    assert!(!text.contains(common::PASS));
}
