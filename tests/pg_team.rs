//! Team vaults on a real PostgreSQL server (a throwaway cluster the tests start): members
//! writing at once, what the server holds, a removed member, a rollback on the server, moving a
//! vault in and out. SKIPPED loudly without PostgreSQL unless `KEYWARD_REQUIRE_POSTGRES=1`.

mod common;

use std::path::{Path, PathBuf};

use common::{PASS, Sandbox, StoreKind, on_store, pg};
use keyward::vault::{KdfParams, KeyStatus, NewKey, Outcome, Preset, Vault};

const BOB: &str = "bob passphrase two words";

fn fast() -> KdfParams {
    KdfParams::new(8, 1).expect("params")
}

fn new_key(name: &str, scopes: &[&str]) -> NewKey {
    NewKey::named(name).scopes(scopes.iter().copied())
}

fn db_of(s: &Sandbox) -> String {
    pg::db_of(&s.vault.to_string_lossy())
}

fn psql(s: &Sandbox, sql: &str) -> String {
    pg::cluster().expect("cluster").psql(&db_of(s), sql)
}

/// A team vault on the server with acme/billing/prod and a second member, bob.
fn team() -> Sandbox {
    let s = Sandbox::with_tree();
    assert!(s.on_postgres());
    let mut add = s.command();
    add.env("KEYWARD_NEW_PASSPHRASE", BOB)
        .args(["member", "add", "bob"]);
    s.run_with(&mut add).ok();
    s
}

fn key_secret(file: &serde_json::Value) -> String {
    file["key_secret"].as_str().expect("secret").to_owned()
}

#[test]
fn two_members_minting_200_keys_each_at_once_lose_nothing() {
    on_store(StoreKind::Postgres, || {
        let s = team();
        let mint = |member: &'static str, pass: &'static str| {
            let vault = s.vault.clone();
            std::thread::spawn(move || {
                (0..200)
                    .map(|i| {
                        let out = common::bin()
                            .env("KEYWARD_VAULT", &vault)
                            .env("KEYWARD_PASSPHRASE", pass)
                            .env("KEYWARD_MEMBER", member)
                            .args(["--json", "key", "create", "acme/billing/prod"])
                            .args(["--name", &format!("{member}-{i}")])
                            .output()
                            .expect("run keyward");
                        assert!(
                            out.status.success(),
                            "{member} {i}: {}",
                            String::from_utf8_lossy(&out.stderr)
                        );
                        let file: serde_json::Value =
                            serde_json::from_slice(&out.stdout).expect("key file");
                        key_secret(&file)
                    })
                    .collect::<Vec<_>>()
            })
        };
        let owner = mint("owner", PASS);
        let bob = mint("bob", BOB);
        let mut secrets = owner.join().expect("owner");
        secrets.extend(bob.join().expect("bob"));
        assert_eq!(secrets.len(), 400);

        let mut v = Vault::open(&s.vault, PASS).expect("open");
        assert_eq!(v.list_keys(None).expect("list").len(), 400);
        for secret in &secrets {
            assert_eq!(
                v.verify(secret, &[]).expect("verify").result,
                Outcome::Valid
            );
        }
        let report = v.doctor().expect("doctor");
        assert!(report.is_healthy(), "{:?}", report.problems);
        let log = v.activity(None, 1000).expect("log");
        for member in ["owner", "bob"] {
            let created = log
                .iter()
                .filter(|e| e.action == "key.create" && e.member == member)
                .count();
            assert_eq!(created, 200, "{member}'s key.create entries");
        }
        s.run(&["doctor"]).ok();
    });
}

#[test]
fn the_server_holds_no_name_scope_secret_or_hash_in_plaintext() {
    on_store(StoreKind::Postgres, || {
        let s = Sandbox::new();
        s.run(&["workspace", "add", "quokkaworks"]).ok();
        s.run(&["scope", "add", "quokkaworks", "platypus:export"])
            .ok();
        s.run(&["project", "add", "quokkaworks/wallabyproject"])
            .ok();
        s.run(&[
            "env",
            "add",
            "quokkaworks/wallabyproject/numbatenv",
            "--prefix",
            "qkw",
        ])
        .ok();
        let file = s.create_key(
            "quokkaworks/wallabyproject/numbatenv",
            "zanzibar-deploy",
            &["--scope", "platypus:export"],
        );
        let id = file["key_id"].as_str().expect("id").to_owned();
        s.run(&[
            "key",
            "edit",
            &id,
            "--owner",
            "dingo-team",
            "--tag",
            "emu-tag",
        ])
        .ok();
        let secret = key_secret(&file);
        let sha = {
            use sha2_hex::hex_sha256;
            hex_sha256(secret.as_bytes())
        };
        let dump = pg::cluster().expect("cluster").dump(&db_of(&s));
        assert!(dump.len() > 1000, "the dump has the tables");
        assert!(common::contains(&dump, "CREATE TABLE public.keys"));
        for needle in [
            "quokkaworks",
            "wallabyproject",
            "numbatenv",
            "platypus",
            "zanzibar",
            "dingo-team",
            "emu-tag",
            secret.as_str(),
            &secret[secret.len() - 20..],
            sha.as_str(),
        ] {
            assert!(
                !common::contains(&dump, needle),
                "pg_dump shows {needle:?} in plaintext"
            );
        }
    });
}

/// SHA-256 in hex through the `ring` the crate already uses.
mod sha2_hex {
    pub fn hex_sha256(bytes: &[u8]) -> String {
        ring::digest::digest(&ring::digest::SHA256, bytes)
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[test]
fn a_removed_member_opens_nothing_even_with_an_old_copy_of_their_slot() {
    on_store(StoreKind::Postgres, || {
        let s = team();
        let file = s.create_key("acme/billing/prod", "deploy", &[]);
        let secret = key_secret(&file);
        psql(
            &s,
            "CREATE TABLE saved_slots AS SELECT * FROM meta WHERE name LIKE 'member:%'",
        );
        s.run(&["member", "rm", "bob"]).ok();
        let mut as_bob = s.command();
        as_bob
            .env("KEYWARD_MEMBER", "bob")
            .env("KEYWARD_PASSPHRASE", BOB)
            .args(["key", "list"]);
        s.run_with(&mut as_bob).refused("bob");
        // Bob kept his old slot: put back on the server, it unwraps the old data key, under
        // which nothing of the re-keyed vault opens.
        psql(
            &s,
            "INSERT INTO meta SELECT * FROM saved_slots
             WHERE name NOT IN (SELECT name FROM meta)",
        );
        match Vault::open_as(&s.vault, Some("bob"), BOB) {
            Err(e) => assert!(
                matches!(
                    e,
                    keyward::vault::Error::Tampered(_) | keyward::vault::Error::WrongPassphrase
                ),
                "{e}"
            ),
            Ok(mut v) => {
                assert_ne!(
                    v.verify(&secret, &[]).expect("verify").result,
                    Outcome::Valid
                );
                let keys = v.list_keys(None).expect("list");
                assert!(keys.iter().all(|k| k.status == KeyStatus::Tampered));
            }
        }
        // The owner is untouched by all of it.
        let (code, out) = s.verify(&secret, &[]);
        assert_eq!((code, out["result"].as_str()), (0, Some("valid")));
    });
}

crate::on_both_stores! {
    /// A `keys` table put back to an older copy (a revoked key made active again) is caught the
    /// same way on a file and on the server.
    fn a_keys_table_rolled_back_is_caught() {
        let s = Sandbox::with_tree();
        let a = s.create_key("acme/billing/prod", "a", &[]);
        let b = s.create_key("acme/billing/prod", "b", &[]);
        let key_a = a["key_id"].as_str().expect("id").to_owned();
        // On a file the copy goes to a database beside it (a table in the vault file would be
        // refused as a planted schema object); on the server, to a table.
        let saved = s.path("saved.db");
        let saved = saved.to_str().expect("utf-8");
        s.raw_sql(
            &format!("ATTACH '{saved}' AS s; CREATE TABLE s.saved AS SELECT * FROM keys;"),
            "CREATE TABLE saved AS SELECT * FROM keys",
        );
        s.run(&["key", "revoke", &key_a]).ok();
        let (code, out) = s.verify(&key_secret(&a), &[]);
        assert_eq!((code, out["result"].as_str()), (1, Some("revoked")));
        s.raw_sql(
            &format!("ATTACH '{saved}' AS s; DELETE FROM keys; INSERT INTO keys SELECT * FROM s.saved;"),
            "DELETE FROM keys; INSERT INTO keys SELECT * FROM saved",
        );
        let (code, out) = s.verify(&key_secret(&a), &[]);
        assert_eq!((code, out["result"].as_str()), (1, Some("tampered")));
        // The other key was not changed, so its old row is the committed one.
        let (code, out) = s.verify(&key_secret(&b), &[]);
        assert_eq!((code, out["result"].as_str()), (0, Some("valid")));
        let doctor = s.run(&["--json", "doctor"]);
        assert_eq!(doctor.code, 1, "{}", doctor.stdout);
        assert!(doctor.stdout.contains(&key_a), "{}", doctor.stdout);
    }

    /// The newest last-used stamp (what a team window looks for, since stamps commit nothing)
    /// is set by a verification, not by minting; `key show` has the stamp too.
    fn the_newest_last_used_stamp_follows_verification() {
        let s = Sandbox::with_tree();
        let v = Vault::open(&s.vault, PASS).expect("open");
        assert_eq!(v.latest_use().expect("latest use"), None);
        let a = s.create_key("acme/billing/prod", "a", &[]);
        s.create_key("acme/billing/prod", "b", &[]);
        assert_eq!(v.latest_use().expect("latest use"), None, "minting stamps nothing");
        assert_eq!(s.verify(&key_secret(&a), &[]).0, 0);
        let first = v.latest_use().expect("latest use").expect("a stamp");
        let used = s.run(&["--json", "key", "show", a["key_id"].as_str().expect("id")]);
        assert_eq!(used.json()["last_used_at"].as_str().map(|_| ()), Some(()));
        assert!(first > 0);
    }
}

#[test]
fn a_newer_schema_on_the_server_is_one_clear_line() {
    on_store(StoreKind::Postgres, || {
        let s = Sandbox::new();
        psql(
            &s,
            "UPDATE meta SET value = convert_to('9', 'UTF8') WHERE name = 'schema_version'",
        );
        s.run(&["key", "list"]).refused("newer Keyward");
        // A database of somebody else's.
        let other = Sandbox::empty();
        psql(&other, "CREATE TABLE invoices(id int)");
        s.run_with(
            common::bin()
                .env("KEYWARD_VAULT", &other.vault)
                .env("KEYWARD_PASSPHRASE", PASS)
                .args(["key", "list"]),
        )
        .refused("not a Keyward vault");
        s.run_with(
            common::bin()
                .env("KEYWARD_VAULT", &other.vault)
                .env("KEYWARD_PASSPHRASE", PASS)
                .args(["init", "--kdf-memory-mib", "8", "--kdf-passes", "1"]),
        )
        .refused("already has tables named");
    });
}

fn file_vault_with_keys(dir: &Path, n: usize) -> (PathBuf, Vec<String>) {
    let path = dir.join("big.keyward");
    let mut v = Vault::create(&path, PASS, fast()).expect("create");
    let ws = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
    let mut secrets = Vec::with_capacity(n);
    for chunk in 0..n.div_ceil(1000) {
        let batch = (0..1000.min(n - chunk * 1000))
            .map(|i| new_key(&format!("k{chunk}-{i}"), &["read"]))
            .collect();
        for minted in v.create_keys(ws.id, batch).expect("bulk") {
            secrets.push(minted.secret.expose().to_owned());
        }
    }
    (path, secrets)
}

#[test]
fn migrate_moves_a_10000_key_file_to_the_server_and_back() {
    on_store(StoreKind::Postgres, || {
        let s = Sandbox::empty();
        let (file, secrets) = file_vault_with_keys(s.dir.path(), 10_000);
        let url = s.vault.to_string_lossy().into_owned();
        let moved = s
            .run_with(
                common::bin()
                    .env("KEYWARD_VAULT", &file)
                    .env("KEYWARD_PASSPHRASE", PASS)
                    .args(["--json", "migrate", &url]),
            )
            .ok()
            .json();
        assert_eq!(moved["keys"], 10_000);
        assert!(
            !moved["destination"]
                .as_str()
                .unwrap_or("")
                .contains("unused")
        );

        let mut v = Vault::open(&s.vault, PASS).expect("open the server copy");
        assert_eq!(v.list_keys(None).expect("list").len(), 10_000);
        for secret in secrets.iter().step_by(97) {
            assert_eq!(
                v.verify(secret, &[]).expect("verify").result,
                Outcome::Valid
            );
        }
        // Keys minted on the server go on from the file's counters.
        let ws = v.nodes().expect("nodes")[0].id;
        let more = v.create_key(ws, new_key("after", &["read"])).expect("mint");
        drop(v);

        // Into a database that is not empty: refused, nothing changed.
        s.run_with(
            common::bin()
                .env("KEYWARD_VAULT", &file)
                .env("KEYWARD_PASSPHRASE", PASS)
                .args(["migrate", &url]),
        )
        .refused("already");

        // And back to a file, and a backup of the server vault to a file.
        let back = s.path("back.keyward");
        let backup = s.path("backup.keyward");
        s.run(&["migrate", back.to_str().expect("utf-8")]).ok();
        s.run(&["backup", backup.to_str().expect("utf-8")]).ok();
        for copy in [&back, &backup] {
            let mut v = Vault::open(copy, PASS).expect("open the file copy");
            assert_eq!(v.list_keys(None).expect("list").len(), 10_001);
            assert_eq!(
                v.verify(more.secret.expose(), &[]).expect("verify").result,
                Outcome::Valid
            );
            assert!(v.doctor().expect("doctor").is_healthy());
        }
    });
}

#[test]
fn a_key_revoked_by_another_member_stops_verifying_within_a_second() {
    on_store(StoreKind::Postgres, || {
        let s = team();
        let file = s.create_key("acme/billing/prod", "service", &[]);
        let secret = key_secret(&file);
        // A long-lived checker (a service using the library) that has seen the key before.
        let mut checker = Vault::open(&s.vault, PASS).expect("open");
        for _ in 0..3 {
            assert_eq!(
                checker.verify(&secret, &[]).expect("v").result,
                Outcome::Valid
            );
        }
        let mut revoke = s.command();
        revoke
            .env("KEYWARD_MEMBER", "bob")
            .env("KEYWARD_PASSPHRASE", BOB)
            .args(["key", "revoke", file["key_id"].as_str().expect("id")]);
        s.run_with(&mut revoke).ok();
        let start = std::time::Instant::now();
        loop {
            let result = checker.verify(&secret, &[]).expect("v").result;
            if result == Outcome::Revoked {
                break;
            }
            assert_eq!(result, Outcome::Valid);
            assert!(
                start.elapsed() < std::time::Duration::from_secs(1),
                "still valid a second after the revocation was committed"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        eprintln!(
            "the revocation took effect {} ms after its commit",
            start.elapsed().as_millis()
        );
        // Its own changes are seen at once.
        let other = checker
            .create_key(
                checker.nodes().expect("nodes")[2].id,
                new_key("own", &["read"]),
            )
            .expect("mint");
        assert_eq!(
            checker
                .verify(other.secret.expose(), &[])
                .expect("v")
                .result,
            Outcome::Valid
        );
    });
}

#[test]
fn wrong_credentials_and_a_missing_database_are_one_line_each() {
    on_store(StoreKind::Postgres, || {
        let s = Sandbox::new();
        let url = s.vault.to_string_lossy().into_owned();
        let stranger = url.replace("keyward:unused@", "nobody:s3cret-pw@");
        let missing = format!(
            "{}/no_such_db?sslmode=disable",
            url.rsplit_once('/').expect("url").0
        );
        for (location, needle) in [
            (stranger.as_str(), "refused the credentials of user nobody"),
            (missing.as_str(), "has no such database"),
        ] {
            let run = s
                .run_with(
                    common::bin()
                        .env("KEYWARD_VAULT", location)
                        .env("KEYWARD_PASSPHRASE", PASS)
                        .args(["key", "list"]),
                )
                .refused(needle);
            assert!(!run.stderr.contains("s3cret-pw"), "{}", run.stderr);
            assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
        }
    });
}

#[test]
fn tls_is_used_and_the_server_certificate_checked_as_the_url_asks() {
    on_store(StoreKind::Postgres, || {
        let c = pg::cluster().expect("cluster");
        let Some(ca) = &c.ca else {
            assert!(
                !std::env::var(pg::REQUIRE).is_ok_and(|v| v == "1"),
                "no openssl to make the test server's certificate"
            );
            eprintln!("SKIPPED: no openssl to make a certificate for the test server");
            return;
        };
        c.psql("postgres", "CREATE DATABASE tlsonly");
        let s = Sandbox::empty();
        let base = format!("postgres://keyward:unused@127.0.0.1:{}/tlsonly", c.port);
        let run = |url: &str, args: &[&str]| {
            s.run_with(
                common::bin()
                    .env("KEYWARD_VAULT", url)
                    .env("KEYWARD_PASSPHRASE", PASS)
                    .args(args),
            )
        };
        let init = ["init", "--kdf-memory-mib", "8", "--kdf-passes", "1"];
        // This database takes TLS only: without it the server says no.
        run(&format!("{base}?sslmode=disable"), &init).refused("no encryption");
        // TLS, the server's certificate checked against the web's roots: not trusted.
        run(&format!("{base}?sslmode=require"), &init).refused("TLS connection");
        // TLS with the test CA, host name checked: it works.
        let verified = format!("{base}?sslmode=verify-full&sslrootcert={}", ca.display());
        run(&verified, &init).ok();
        run(&verified, &["workspace", "add", "acme"]).ok();
        let list = run(&verified, &["--json", "workspace", "list"]).ok().json();
        assert_eq!(list[0]["name"], "acme");
    });
}

#[test]
fn the_server_password_comes_from_pgpassword_or_the_url_and_is_never_shown() {
    on_store(StoreKind::Postgres, || {
        let c = pg::cluster().expect("cluster");
        c.psql(
            "postgres",
            "CREATE ROLE teammate LOGIN PASSWORD 'pg-secret-42'",
        );
        c.psql("postgres", "CREATE DATABASE pwonly OWNER teammate");
        let s = Sandbox::empty();
        let bare = format!(
            "postgres://teammate@127.0.0.1:{}/pwonly?sslmode=disable",
            c.port
        );
        let run = |url: &str, pgpassword: Option<&str>, args: &[&str]| {
            let mut cmd = common::bin();
            cmd.env("KEYWARD_VAULT", url)
                .env("KEYWARD_PASSPHRASE", PASS)
                .env_remove("PGPASSWORD")
                .args(args);
            if let Some(p) = pgpassword {
                cmd.env("PGPASSWORD", p);
            }
            s.run_with(&mut cmd)
        };
        let init = ["init", "--kdf-memory-mib", "8", "--kdf-passes", "1"];
        let refused = run(&bare, Some("wrong-one"), &init)
            .refused("refused the credentials of user teammate");
        assert!(!refused.stderr.contains("wrong-one"), "{}", refused.stderr);
        run(&bare, None, &init).refused("teammate");
        run(&bare, Some("pg-secret-42"), &init).ok();
        let in_url = bare.replace("teammate@", "teammate:pg-secret-42@");
        let listed = run(&in_url, None, &["workspace", "list"]).ok();
        assert!(!listed.stdout.contains("pg-secret-42"));
        let shown = run(&in_url, None, &["--json", "doctor"]).ok();
        assert!(!shown.stdout.contains("pg-secret-42") && !shown.stderr.contains("pg-secret-42"));
    });
}

#[test]
fn columns_altered_on_the_server_are_tampered_rows_not_a_crash() {
    on_store(StoreKind::Postgres, || {
        let s = Sandbox::with_tree();
        let a = s.create_key("acme/billing/prod", "a", &[]);
        // An administrator changes a column's type, empties a sealed record, and plants a
        // huge one: every read stays a clear answer.
        psql(
            &s,
            "ALTER TABLE keys ALTER COLUMN version TYPE text USING version::text",
        );
        let list = s.run(&["--json", "key", "list"]);
        assert!(matches!(list.code, 0 | 1), "{}", list.stderr);
        assert!(!list.stderr.contains("panicked"), "{}", list.stderr);
        assert_eq!(list.json()[0]["status"], "tampered");
        let (code, out) = s.verify(&key_secret(&a), &[]);
        assert_eq!((code, out["result"].as_str()), (1, Some("tampered")));
        psql(
            &s,
            "ALTER TABLE keys ALTER COLUMN version TYPE bigint USING version::bigint;
             UPDATE keys SET sealed = '';
             UPDATE nodes SET sealed = decode(repeat('00', 4000000), 'hex') WHERE parent_id = 0",
        );
        let doctor = s.run(&["--json", "doctor"]);
        assert_eq!(doctor.code, 1, "{}", doctor.stderr);
        assert!(!doctor.stderr.contains("panicked"), "{}", doctor.stderr);
        let (code, out) = s.verify(&key_secret(&a), &[]);
        assert_eq!((code, out["result"].as_str()), (1, Some("tampered")));
        // A meta value of the wrong kind where the schema version is kept.
        psql(
            &s,
            "UPDATE meta SET value = '\\xff' WHERE name = 'schema_version'",
        );
        s.run(&["key", "list"]).refused("schema version");
    });
}
