//! Every command of the CLI, run as the real binary on a vault in a temp dir.

mod common;

use common::{PASS, Sandbox, bin};

crate::on_both_stores! {
    fn init_refuses_weak_kdf_settings_and_an_existing_vault() {
        let s = Sandbox::empty();
        s.run(&["init", "--kdf-memory-mib", "4"]).refused("8");
        s.run(&["init", "--kdf-memory-mib", "8", "--kdf-passes", "0"])
            .refused("pass");
        assert!(!s.vault.exists(), "a refused init writes nothing");
        let r = s
            .run(&[
                "--json",
                "init",
                "--kdf-memory-mib",
                "8",
                "--kdf-passes",
                "1",
            ])
            .ok();
        assert_eq!(r.json()["kdf"]["memory_kib"], 8 * 1024);
        s.run(&["init", "--kdf-memory-mib", "8", "--kdf-passes", "1"])
            .refused("already exists");
    }
}

crate::on_both_stores! {
    fn a_missing_passphrase_says_how_to_give_one() {
        let s = Sandbox::new();
        let r = s.run_with(bin().env("KEYWARD_VAULT", &s.vault).args(["key", "list"]));
        assert_eq!(r.code, 2);
        assert!(
            r.stderr.contains("--passphrase-file") && r.stderr.contains("KEYWARD_PASSPHRASE"),
            "{}",
            r.stderr
        );
    }
}

crate::on_both_stores! {
    fn passphrase_file_and_vault_flag_work_anywhere_on_the_line() {
        let s = Sandbox::new();
        let pass_file = s.path("pass.txt");
        std::fs::write(&pass_file, format!("{PASS}\n")).expect("write");
        let vault = s.vault.to_string_lossy().into_owned();
        let pf = pass_file.to_string_lossy().into_owned();
        let r = s.run_with(bin().args([
            "workspace",
            "add",
            "acme",
            "--vault",
            &vault,
            "--passphrase-file",
            &pf,
        ]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = s.run_with(bin().args([
            "--vault",
            &vault,
            "--passphrase-file",
            &pf,
            "workspace",
            "list",
            "--json",
        ]));
        assert_eq!(r.json()[0]["name"], "acme");
    }
}

crate::on_both_stores! {
    fn workspace_project_env_lifecycle() {
        let s = Sandbox::new();
        s.run(&["workspace", "add", "acme", "--preset", "labels-datasets"])
            .ok();
        s.run(&["workspace", "add", "ACME"]).refused("already");
        s.run(&["workspace", "add", "a/b"]).refused("/");
        s.run(&["workspace", "add", &"n".repeat(65)]).refused("64");
        s.run(&["workspace", "add", "x", "--preset", "admin"])
            .refused("admin");
        s.run(&["project", "add", "acme/billing"]).ok();
        s.run(&["project", "add", "nowhere/billing"])
            .refused("not found");
        s.run(&["env", "add", "acme/billing/prod", "--prefix", "Bad-Prefix"])
            .refused("prefix");
        s.run(&["env", "add", "acme/billing/prod", "--prefix", "acme_live"])
            .ok();
        s.run(&["env", "add", "acme/billing"])
            .refused("workspace, not a project");
        s.run(&["env", "rename", "acme/billing", "x"])
            .refused("project, not an environment");

        let ws = s.run(&["--json", "workspace", "list"]).ok().json();
        assert_eq!(ws.as_array().map(Vec::len), Some(1));
        let projects = s.run(&["--json", "project", "list", "acme"]).ok().json();
        assert_eq!(projects[0]["path"], "acme/billing");
        let envs = s
            .run(&["--json", "env", "list", "acme/billing"])
            .ok()
            .json();
        assert_eq!(envs[0]["prefix"], "acme_live");

        s.run(&["workspace", "rename", "acme", "globex"]).ok();
        s.run(&["project", "rename", "globex/billing", "payments"])
            .ok();
        s.run(&["env", "rename", "globex/payments/prod", "live"])
            .ok();
        let key = s.create_key("globex/payments/live", "svc", &[]);
        assert!(
            key["key_secret"]
                .as_str()
                .is_some_and(|k| k.starts_with("acme_live_"))
        );
        assert_eq!(key["project"], "payments");

        s.run(&["env", "rm", "globex/payments/live"])
            .refused("1 key");
        let r = s
            .run(&["--json", "env", "rm", "globex/payments/live", "--force"])
            .ok()
            .json();
        assert_eq!(r["keys_deleted"], 1);
        s.run(&["project", "rm", "globex/payments"]).ok();
        s.run(&["workspace", "rm", "globex"]).ok();
        let ws = s.run(&["--json", "workspace", "list"]).ok().json();
        assert_eq!(ws.as_array().map(Vec::len), Some(0));
    }
}

crate::on_both_stores! {
    fn scope_catalog_add_list_remove() {
        let s = Sandbox::with_tree();
        let r = s.run(&["--json", "scope", "list", "acme"]).ok().json();
        assert_eq!(r[0]["id"], "read");
        assert_eq!(r[0]["required"], true);
        s.run(&[
            "scope",
            "add",
            "acme",
            "admin",
            "--label",
            "Admin",
            "--description",
            "Everything",
            "--default",
        ])
        .ok();
        s.run(&["scope", "add", "acme", "admin"]).refused("already");
        s.run(&["scope", "add", "acme", "Bad Scope"])
            .refused("scope");
        let r = s
            .run(&["--json", "scope", "list", "acme/billing/prod"])
            .ok()
            .json();
        assert_eq!(
            r.as_array().map(Vec::len),
            Some(3),
            "environments inherit the catalog"
        );
        assert_eq!(r[2]["default"], true);
        let key = s.create_key("acme", "ops", &["--scope", "admin"]);
        let r = s
            .run(&["--json", "scope", "rm", "acme", "admin"])
            .ok()
            .json();
        assert_eq!(r["keys_changed"], 1);
        let shown = s
            .run(&[
                "--json",
                "key",
                "show",
                key["key_id"].as_str().unwrap_or(""),
            ])
            .ok()
            .json();
        assert_eq!(shown["scopes"], serde_json::json!(["read"]));
        s.run(&["scope", "rm", "acme", "admin"])
            .refused("not found");
    }
}

crate::on_both_stores! {
    fn key_create_prints_the_key_file_and_refuses_bad_input() {
        let s = Sandbox::with_tree();
        let k = s.create_key(
            "acme/billing/prod",
            "ci-deployer",
            &["--scope", "write", "--expires", "30d"],
        );
        let fields: Vec<&str> = k
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            fields,
            [
                "type",
                "version",
                "key_id",
                "key_secret",
                "name",
                "workspace",
                "project",
                "environment",
                "scopes",
                "created_at",
                "expires_at",
                "authorization"
            ]
        );
        assert_eq!(k["type"], "keyward.api_key");
        assert_eq!(k["scopes"], serde_json::json!(["read", "write"]));
        let secret = k["key_secret"].as_str().unwrap_or_default();
        assert_eq!(k["authorization"], format!("Api-Key {secret}"));
        assert!(k["expires_at"].as_str().is_some());

        s.run(&[
            "key",
            "create",
            "acme/billing/prod",
            "--name",
            "CI-deployer",
        ])
        .refused("already exists");
        s.run(&["key", "create", "acme/billing/prod", "--name", ""])
            .refused("empty");
        s.run(&[
            "key",
            "create",
            "acme/billing/prod",
            "--name",
            &"k".repeat(65),
        ])
        .refused("64");
        s.run(&[
            "key",
            "create",
            "acme/billing/prod",
            "--name",
            "x",
            "--scope",
            "delete",
        ])
        .refused("unknown scope");
        s.run(&[
            "key",
            "create",
            "acme/billing/prod",
            "--name",
            "x",
            "--expires",
            "2020-01-01",
        ])
        .refused("past");
        s.run(&[
            "key",
            "create",
            "acme/billing/prod",
            "--name",
            "x",
            "--expires",
            "soon",
        ])
        .refused("expir");
        s.run(&["key", "create", "acme/nope", "--name", "x"])
            .refused("not found");
        let list = s.run(&["--json", "key", "list"]).ok().json();
        assert_eq!(
            list.as_array().map(Vec::len),
            Some(1),
            "refusals created nothing"
        );

        let human = s.run(&["key", "create", "acme", "--name", "human"]).ok();
        assert!(human.stdout.contains("You won't be able to view it again"));
        assert!(human.stdout.contains("kw_"));
    }
}

crate::on_both_stores! {
    fn key_list_show_and_scopes() {
        let s = Sandbox::with_tree();
        let a = s.create_key("acme/billing/prod", "a", &[]);
        s.create_key("acme", "b", &["--full-access"]);
        let list = s
            .run(&["--json", "key", "list", "acme/billing"])
            .ok()
            .json();
        assert_eq!(list.as_array().map(Vec::len), Some(1));
        let row = &list[0];
        for field in [
            "key_id",
            "name",
            "node",
            "scopes",
            "created_at",
            "expires_at",
            "last_used_at",
            "status",
            "display",
        ] {
            assert!(row.get(field).is_some(), "key list lacks {field}: {row}");
        }
        assert_eq!(row["status"], "active");
        let display = row["display"].as_str().unwrap_or_default();
        let secret = a["key_secret"].as_str().unwrap_or_default();
        assert!(display.starts_with(&secret[..9]) && display.ends_with(&secret[secret.len() - 4..]));
        assert!(
            !s.run(&["key", "list"]).ok().stdout.contains(secret),
            "lists never show the secret"
        );
        assert_eq!(
            s.run(&["--json", "key", "list"])
                .ok()
                .json()
                .as_array()
                .map(Vec::len),
            Some(2)
        );

        let id = a["key_id"].as_str().unwrap_or_default();
        let r = s
            .run(&["--json", "key", "scopes", id, "--set", "write"])
            .ok()
            .json();
        assert_eq!(r["scopes"], serde_json::json!(["read", "write"]));
        let r = s
            .run(&["--json", "key", "scopes", id, "--set", ""])
            .ok()
            .json();
        assert_eq!(
            r["scopes"],
            serde_json::json!(["read"]),
            "required scopes stay"
        );
        s.run(&["key", "scopes", id, "--set", "read,nuke"])
            .refused("unknown scope");
        s.run(&["key", "show", "kid_nothing"]).refused("not found");
        assert!(
            s.run(&["key", "show", id])
                .ok()
                .stdout
                .contains("acme/billing/prod")
        );
    }
}

crate::on_both_stores! {
    fn key_master_is_get_or_create() {
        let s = Sandbox::with_tree();
        let first = s
            .run(&["--json", "key", "master", "acme/billing"])
            .ok()
            .json();
        assert_eq!(first["created"], true);
        assert_eq!(first["name"], "master");
        assert_eq!(first["scopes"], serde_json::json!(["read", "write"]));
        let secret = first["key_secret"].as_str().unwrap_or_default().to_owned();
        let again = s
            .run(&["--json", "key", "master", "acme/billing"])
            .ok()
            .json();
        assert_eq!(again["created"], false);
        assert_eq!(again["key_id"], first["key_id"]);
        assert!(again.get("key_secret").is_none());
        let (code, v) = s.verify(&secret, &["write"]);
        assert_eq!((code, v["result"].as_str()), (0, Some("valid")));
    }
}

crate::on_both_stores! {
    fn verify_answers_every_outcome_with_exit_status() {
        let s = Sandbox::with_tree();
        let k = s.create_key("acme/billing/prod", "svc", &[]);
        let secret = k["key_secret"].as_str().unwrap_or_default().to_owned();
        let id = k["key_id"].as_str().unwrap_or_default().to_owned();

        for header in [
            format!("Authorization: Api-Key {secret}"),
            format!("Api-Key {secret}"),
            format!("Bearer {secret}"),
        ] {
            let r = s.run(&["--json", "verify", "--header", &header]);
            assert_eq!(r.code, 0, "{header}: {}", r.stderr);
            assert_eq!(r.json()["result"], "valid");
            assert_eq!(r.json()["key_id"], id.as_str());
            assert_eq!(r.json()["scopes"], serde_json::json!(["read"]));
        }
        let r = s.run_stdin(&["--json", "verify"], &format!("{secret}\n"));
        assert_eq!((r.code, r.json()["result"].as_str()), (0, Some("valid")));
        let human = s.run(&["verify", "--key", &secret]).ok();
        assert!(human.stdout.starts_with("valid") && human.stdout.contains(&id));

        assert_eq!(
            s.verify(&secret, &["write"]).1["result"],
            "insufficient_scope"
        );
        assert_eq!(s.verify(&secret, &["write"]).0, 1);
        let mut typo = secret.clone();
        typo.replace_range(10..11, if &secret[10..11] == "a" { "b" } else { "a" });
        assert_eq!(
            s.verify(&typo, &[]),
            (
                1,
                serde_json::json!({"result": "malformed", "key_id": null, "scopes": [], "reason": s.verify(&typo, &[]).1["reason"]})
            )
        );
        assert_eq!(s.verify(&secret[..30], &[]).1["result"], "malformed");
        assert_eq!(
            s.run(&["--json", "verify", "--header", "Authorization: Basic abc"])
                .json()["result"],
            "malformed"
        );

        let other = Sandbox::with_tree();
        let foreign = other.create_key("acme", "elsewhere", &[]);
        assert_eq!(
            s.verify(foreign["key_secret"].as_str().unwrap_or_default(), &[])
                .1["result"],
            "not_found"
        );

        let shown = s.run(&["--json", "key", "show", &id]).ok().json();
        assert!(
            shown["last_used_at"].as_str().is_some(),
            "verify updates last used"
        );

        s.run(&["key", "revoke", &id]).ok();
        assert_eq!(s.verify(&secret, &[]), (1, s.verify(&secret, &[]).1));
        assert_eq!(s.verify(&secret, &[]).1["result"], "revoked");
        assert_eq!(
            s.run(&["--json", "key", "show", &id]).ok().json()["status"],
            "revoked"
        );
        s.run(&["key", "rm", &id]).ok();
        assert_eq!(s.verify(&secret, &[]).1["result"], "not_found");
        s.run(&["key", "rm", &id]).refused("not found");
    }
}

crate::on_both_stores! {
    fn expired_keys_and_rolled_secrets_answer_expired() {
        let s = Sandbox::with_tree();
        let k = s.create_key("acme", "svc", &[]);
        let id = k["key_id"].as_str().unwrap_or_default().to_owned();
        let old = k["key_secret"].as_str().unwrap_or_default().to_owned();

        let rolled = s
            .run(&["--json", "key", "roll", &id, "--grace", "1h"])
            .ok()
            .json();
        assert_eq!(rolled["key_id"], id.as_str());
        let new = rolled["key_secret"].as_str().unwrap_or_default().to_owned();
        assert_ne!(new, old);
        assert_eq!(
            s.verify(&old, &[]).1["result"],
            "valid",
            "old secret works during the grace"
        );
        assert_eq!(s.verify(&new, &[]).1["result"], "valid");

        let newest = s
            .run(&["--json", "key", "roll", &id, "--grace", "0"])
            .ok()
            .json();
        assert_eq!(
            s.verify(&new, &[]).1["result"],
            "expired",
            "no grace: the old secret stops at once"
        );
        assert_eq!(
            s.verify(newest["key_secret"].as_str().unwrap_or_default(), &[])
                .1["result"],
            "valid"
        );
        s.run(&["key", "roll", &id, "--grace", "2w"]).refused("2w");

        // An expiry already reached, checked through a verifier file (the file is signed, so the
        // key is made by the library with its clock two hours back, expiring after one).
        let short = {
            let mut v = keyward::vault::Vault::open(&s.vault, PASS).expect("open");
            let then = v.now() - 7200;
            v.set_clock(std::sync::Arc::new(move || then));
            let acme = v.resolve("acme").expect("acme");
            let new = keyward::vault::NewKey::named("short").expires_at(Some(then + 3600));
            v.create_key(acme.id, new).expect("key").secret
        };
        let out = s.path("verifier.json");
        let trust = s.run(&["verifier-key"]).ok().stdout.trim().to_owned();
        s.run(&[
            "export-verifier",
            "--output",
            out.to_str().unwrap_or_default(),
        ])
        .ok();
        let r = s.run(&[
            "--json",
            "verify",
            "--key",
            short.expose(),
            "--verifier",
            out.to_str().unwrap_or_default(),
            "--trust",
            &trust,
        ]);
        assert_eq!((r.code, r.json()["result"].as_str()), (1, Some("expired")));
    }
}

crate::on_both_stores! {
    fn export_verifier_checks_keys_without_the_vault_or_passphrase() {
        let s = Sandbox::with_tree();
        let a = s.create_key("acme/billing/prod", "secret-name-a", &["--scope", "write"]);
        let b = s.create_key("acme/billing/prod", "secret-name-b", &[]);
        s.run(&["key", "revoke", b["key_id"].as_str().unwrap_or_default()])
            .ok();
        let out = s.path("verifier.json");
        let r = s
            .run(&[
                "--json",
                "export-verifier",
                "acme/billing",
                "--output",
                out.to_str().unwrap_or_default(),
            ])
            .ok();
        assert_eq!(r.json()["keys"], 2);
        assert_eq!(r.json()["node"], "acme/billing");
        let trust = s.run(&["verifier-key"]).ok().stdout.trim().to_owned();
        assert_eq!(r.json()["public_key"], trust.as_str());
        let text = std::fs::read_to_string(&out).expect("read");
        for hidden in [
            "secret-name-a",
            "secret-name-b",
            a["key_secret"].as_str().unwrap_or("x"),
            b["key_secret"].as_str().unwrap_or("x"),
        ] {
            assert!(!text.contains(hidden), "the verifier file leaks {hidden}");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&out).expect("meta").permissions().mode() & 0o777,
                0o600
            );
        }
        let verify = |key: &str, scope: &str| {
            let mut cmd = bin();
            cmd.args([
                "--json",
                "verify",
                "--key",
                key,
                "--verifier",
                out.to_str().unwrap_or_default(),
                "--trust",
                &trust,
            ]);
            if !scope.is_empty() {
                cmd.args(["--require-scope", scope]);
            }
            s.run_with(&mut cmd)
        };
        let r = verify(a["key_secret"].as_str().unwrap_or_default(), "write");
        assert_eq!((r.code, r.json()["result"].as_str()), (0, Some("valid")));
        assert_eq!(
            verify(b["key_secret"].as_str().unwrap_or_default(), "").json()["result"],
            "revoked"
        );
        let garbage = s.path("garbage.json");
        std::fs::write(&garbage, "{not json").expect("write");
        let r = s.run_with(bin().args([
            "verify",
            "--key",
            "kw_x",
            "--verifier",
            garbage.to_str().unwrap_or_default(),
            "--trust",
            &trust,
        ]));
        r.refused("not a Keyward verifier file");
    }
}

crate::on_both_stores! {
    fn log_passwd_backup_doctor() {
        let s = Sandbox::with_tree();
        let k = s.create_key("acme/billing/prod", "svc", &[]);
        let log = s.run(&["--json", "log", "--limit", "2"]).ok().json();
        assert_eq!(log.as_array().map(Vec::len), Some(2));
        assert_eq!(log[0]["action"], "key.create");
        let node_log = s.run(&["--json", "log", "acme/billing/prod"]).ok().json();
        assert!(node_log.as_array().is_some_and(|a| a.iter().all(|e| {
            e["node"]
                .as_str()
                .is_some_and(|n| n.starts_with("acme/billing/prod"))
        })));
        let full = s.run(&["log"]).ok().stdout;
        assert!(
            !full.contains(k["key_secret"].as_str().unwrap_or("x")),
            "the log never holds a secret"
        );

        let doctor = s.run(&["--json", "doctor"]).ok().json();
        assert_eq!(doctor["problems"], serde_json::json!([]));
        assert_eq!(doctor["keys"], 1);

        let backup = s.path("copy.keyward");
        s.run(&["backup", backup.to_str().unwrap_or_default()]).ok();
        s.run(&["backup", backup.to_str().unwrap_or_default()])
            .refused("exists");

        let r = s.run_with(
            s.command()
                .env("KEYWARD_NEW_PASSPHRASE", "a new and longer passphrase")
                .arg("passwd"),
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        s.run(&["key", "list"]).refused("wrong passphrase");
        let r = s.run_with(
            s.command()
                .env("KEYWARD_PASSPHRASE", "a new and longer passphrase")
                .args([
                    "--json",
                    "verify",
                    "--key",
                    k["key_secret"].as_str().unwrap_or_default(),
                ]),
        );
        assert_eq!(r.json()["result"], "valid");

        // The backup keeps the old passphrase and the key.
        let r = s.run_with(
            s.command()
                .env("KEYWARD_VAULT", &backup)
                .args(["--json", "key", "list"]),
        );
        assert_eq!(r.json()[0]["name"], "svc");
    }
}

crate::on_both_stores! {
    fn usage_errors_exit_2_and_help_exits_0() {
        let s = Sandbox::new();
        assert_eq!(s.run(&["key", "frobnicate"]).code, 2);
        assert_eq!(
            s.run(&["key", "create", "acme"]).code,
            2,
            "--name is required"
        );
        let help = s.run(&["--help"]);
        assert_eq!(help.code, 0);
        assert!(help.stdout.contains("verify"));
    }
}
