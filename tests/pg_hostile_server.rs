//! A hostile server: the administrator of a team vault's PostgreSQL server rewrites rows
//! between the members' transactions (swaps slots, replays an older root or publish targets,
//! deletes a member, rolls the whole database back, swaps or replays sealed key rows). Every
//! case must be `tampered` or refused on the members' next commands, never accepted: no
//! revoked key verifies `valid` and no write commits over it. Alice and bob work on "two
//! machines", each with a pins dir of their own. SKIPPED loudly without PostgreSQL unless
//! `KEYWARD_REQUIRE_POSTGRES=1`.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{Run, Sandbox, StoreKind, on_store, pg};

const ALICE: &str = "alice passphrase one two";
const BOB: &str = "bob passphrase two words";
const NODE: &str = "acme/billing/prod";

/// A team vault on the server with members alice and bob.
struct Team {
    s: Sandbox,
    db: String,
    /// The `meta` name of alice's slot (the only one before bob was added).
    alice_slot: String,
}

impl Team {
    /// alice (first member) and bob, the tree acme/billing/prod, a fast KDF.
    fn new() -> Team {
        let t = Team::alice_only();
        t.add_bob();
        t
    }

    /// Alice alone (first member), the tree acme/billing/prod, a fast KDF.
    fn alice_only() -> Team {
        let s = Sandbox::empty();
        assert!(s.on_postgres());
        let mut t = Team {
            db: pg::db_of(&s.vault.to_string_lossy()),
            s,
            alice_slot: String::new(),
        };
        t.alice(&["init", "--kdf-memory-mib", "8", "--kdf-passes", "1"])
            .ok();
        t.alice_slot = t
            .sql("SELECT name FROM meta WHERE name LIKE 'member:%'")
            .trim()
            .to_owned();
        for args in [
            &["workspace", "add", "acme", "--preset", "read-write"][..],
            &["project", "add", "acme/billing"],
            &["env", "add", NODE, "--prefix", "acme"],
        ] {
            t.alice(args).ok();
        }
        t
    }

    fn add_bob(&self) {
        let t = self;
        let mut add = t.command("alice", ALICE, "alice");
        add.env("KEYWARD_NEW_PASSPHRASE", BOB)
            .args(["member", "add", "bob"]);
        t.s.run_with(&mut add).ok();
        t.bob(&["key", "list"]).ok();
    }

    /// A member's command on their own machine (`machine` names its pins dir).
    fn command(&self, member: &str, pass: &str, machine: &str) -> Command {
        let mut cmd = common::bin();
        cmd.env("KEYWARD_VAULT", &self.s.vault)
            .env("KEYWARD_PASSPHRASE", pass)
            .env("KEYWARD_MEMBER", member)
            .env("KEYWARD_PINS_DIR", self.s.path(&format!("pins-{machine}")))
            .current_dir(self.s.dir.path());
        cmd
    }

    fn alice(&self, args: &[&str]) -> Run {
        self.s
            .run_with(self.command("alice", ALICE, "alice").args(args))
    }

    fn bob(&self, args: &[&str]) -> Run {
        self.s.run_with(self.command("bob", BOB, "bob").args(args))
    }

    /// Alice on a machine that never opened this vault before.
    fn alice_elsewhere(&self, machine: &str, args: &[&str]) -> Run {
        self.s
            .run_with(self.command("alice", ALICE, machine).args(args))
    }

    /// The attacker: SQL as the server's superuser.
    fn sql(&self, sql: &str) -> String {
        pg::cluster().expect("cluster").psql(&self.db, sql)
    }

    /// A digest of the sealed state (the root, the log's end, every key, node and bucket): a
    /// refused write must not change it. (The commit counter in `seqs` moves with a failed
    /// unlock's count, which is kept outside the sealed state.)
    fn state(&self) -> String {
        let all = |table: &str, order: &str| {
            format!(
                "(SELECT md5(coalesce(string_agg(r::text, ',' ORDER BY {order}), '')) FROM {table} r)"
            )
        };
        self.sql(&format!(
            "SELECT md5((SELECT value FROM meta WHERE name = 'commitment')::text)
                || (SELECT coalesce(max(seq), 0) FROM activity)::text
                || {} || {} || {}",
            all("keys", "id"),
            all("nodes", "id"),
            all("commit_buckets", "tbl, bucket")
        ))
        .trim()
        .to_owned()
    }

    /// The `meta` name of bob's slot (the one that is not alice's).
    fn bob_slot(&self) -> String {
        self.sql(&format!(
            "SELECT name FROM meta WHERE name LIKE 'member:%' AND name <> '{}'",
            self.alice_slot
        ))
        .trim()
        .to_owned()
    }

    /// The attacker saves tables (or some rows of them) into schema `saved`.
    fn save(&self, what: &[(&str, &str)]) {
        let mut sql = String::from("DROP SCHEMA IF EXISTS saved CASCADE; CREATE SCHEMA saved;");
        for (table, filter) in what {
            sql.push_str(&format!(
                "CREATE TABLE saved.{table} AS SELECT * FROM {table} WHERE {filter};"
            ));
        }
        self.sql(&sql);
    }

    /// Puts back the saved rows of `table` in place of the current ones with the same key.
    fn put_back(&self, table: &str, key: &str) {
        self.sql(&format!(
            "DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM saved.{table});
             INSERT INTO {table} SELECT * FROM saved.{table};"
        ));
    }

    /// `pg_dump` of the whole database.
    fn dump(&self) -> Vec<u8> {
        pg::cluster().expect("cluster").dump(&self.db)
    }

    /// Rolls the whole database back to `dump`: every table dropped, the dump replayed.
    fn restore(&self, dump: &[u8]) {
        self.sql("DROP SCHEMA IF EXISTS saved CASCADE; DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
        let c = pg::cluster().expect("cluster");
        let mut child = Command::new(c.bin.join("psql"))
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
            .args(["-p", &c.port.to_string(), "-U", "keyward", "-d", &self.db])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run psql");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(dump)
            .expect("feed the dump");
        let out = child.wait_with_output().expect("psql");
        assert!(
            out.status.success(),
            "restore failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn create_key(&self, name: &str) -> (String, String) {
        let file = self
            .alice(&["--json", "key", "create", NODE, "--name", name])
            .ok()
            .json();
        (
            file["key_id"].as_str().expect("id").to_owned(),
            file["key_secret"].as_str().expect("secret").to_owned(),
        )
    }
}

/// Not accepted: exit 2 with one clear line, no panic.
#[track_caller]
fn refused(case: &str, what: &str, r: &Run) {
    assert_eq!(
        r.code, 2,
        "{case}: {what} should be refused\nstdout: {}\nstderr: {}",
        r.stdout, r.stderr
    );
    assert_eq!(
        r.stderr.trim().lines().count(),
        1,
        "{case}: {what}: one line\n{}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{case}: {}", r.stderr);
}

/// `doctor` objects (exit 1) or the unlock is refused (exit 2).
#[track_caller]
fn doctor_objects(case: &str, r: &Run) {
    assert!(
        matches!(r.code, 1 | 2),
        "{case}: doctor accepted the state\n{}{}",
        r.stdout,
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{case}: {}", r.stderr);
}

/// A revoked key's verification: `tampered`/`revoked` (exit 1) or refused (exit 2), never
/// `valid`.
#[track_caller]
fn not_valid(case: &str, r: &Run) {
    assert_ne!(r.code, 0, "{case}: a revoked key verifies\n{}", r.stdout);
    assert!(
        !r.stdout.contains("\"valid\""),
        "{case}: a revoked key verifies\n{}",
        r.stdout
    );
    assert!(!r.stderr.contains("panicked"), "{case}: {}", r.stderr);
}

/// A write after the attack: refused, and nothing of the sealed state changed.
#[track_caller]
fn write_refused(case: &str, t: &Team, run: impl FnOnce() -> Run) {
    let before = t.state();
    let r = run();
    refused(case, "the write", &r);
    assert_eq!(
        t.state(),
        before,
        "{case}: a refused write changed the vault"
    );
}

fn pg_test(body: fn()) {
    on_store(StoreKind::Postgres, body);
}

/// What a member's machine answers after an attack: the revoked key is not `valid`, a write
/// is refused without committing, and `doctor` objects.
#[track_caller]
fn after_attack(case: &str, t: &Team, member: &str, pass: &str, machine: &str, revoked: &str) {
    let run = |args: &[&str]| t.s.run_with(t.command(member, pass, machine).args(args));
    let who = format!("{case} ({member} on {machine})");
    not_valid(&who, &run(&["--json", "verify", "--key", revoked]));
    write_refused(&who, t, || {
        run(&["key", "create", NODE, "--name", "after-attack"])
    });
    write_refused(&who, t, || run(&["workspace", "add", "after-attack"]));
    doctor_objects(&who, &run(&["doctor"]));
}

/// Alice mints a key and bob revokes it; both machines see the newer state.
fn revoked_by_bob(t: &Team, name: &str) -> (String, String) {
    let (id, secret) = t.create_key(name);
    t.bob(&["key", "revoke", &id]).ok();
    let seen = t.alice(&["--json", "verify", "--key", &secret]);
    assert_eq!(seen.json()["result"], "revoked", "{}", seen.stdout);
    (id, secret)
}

#[test]
fn slots_swapped_between_members_are_refused() {
    pg_test(|| {
        let t = Team::new();
        let (_, revoked) = revoked_by_bob(&t, "k");
        let (alice, bob) = (t.alice_slot.clone(), t.bob_slot());
        let case = "alice's and bob's slots swapped";
        t.sql(&format!(
            "UPDATE meta SET value = CASE name
                WHEN '{alice}' THEN (SELECT value FROM meta WHERE name = '{bob}')
                ELSE (SELECT value FROM meta WHERE name = '{alice}') END
             WHERE name IN ('{alice}', '{bob}')"
        ));
        for (member, pass, machine) in [("alice", ALICE, "alice"), ("bob", BOB, "bob")] {
            let r =
                t.s.run_with(t.command(member, pass, machine).args(["key", "list"]));
            refused(&format!("{case}: {member}"), "key list", &r);
            after_attack(case, &t, member, pass, machine, &revoked);
        }
        // Each passphrase does open its own slot under the other's name: a member unlocking
        // as the other is refused, the slot is not the one committed for that name.
        let case = "alice claims bob's name over her own slot";
        let r =
            t.s.run_with(t.command("bob", ALICE, "alice").args(["key", "list"]));
        refused(case, "key list", &r);
        after_attack(case, &t, "bob", ALICE, "alice", &revoked);
    });
}

#[test]
fn a_slot_copied_over_another_members_is_refused() {
    pg_test(|| {
        let t = Team::new();
        let (_, revoked) = revoked_by_bob(&t, "k");
        let (alice, bob) = (t.alice_slot.clone(), t.bob_slot());
        // Alice's slot filed under bob's name too: alice's passphrase opens "bob".
        t.sql(&format!(
            "UPDATE meta SET value = (SELECT value FROM meta WHERE name = '{alice}')
             WHERE name = '{bob}'"
        ));
        let case = "alice's slot copied under bob's name";
        let r =
            t.s.run_with(t.command("bob", ALICE, "fresh").args(["key", "list"]));
        refused(case, "key list as bob with alice's passphrase", &r);
        after_attack(case, &t, "bob", ALICE, "fresh", &revoked);
        after_attack(case, &t, "bob", BOB, "bob", &revoked);
    });
}

#[test]
fn an_older_root_replayed_is_refused() {
    pg_test(|| {
        for (case, tables) in [
            ("the commitment row replayed", &[][..]),
            (
                "the commitment row and commit_buckets replayed",
                &["commit_buckets"][..],
            ),
            (
                "the commitment row, commit_buckets and keys replayed",
                &["commit_buckets", "keys"][..],
            ),
        ] {
            let t = Team::new();
            let mut saved = vec![("meta", "name = 'commitment'")];
            saved.extend(tables.iter().map(|table| (*table, "true")));
            let (id, secret) = t.create_key("k");
            t.save(&saved);
            t.bob(&["key", "revoke", &id]).ok();
            t.alice(&["key", "list"]).ok();
            t.put_back("meta", "name");
            for table in tables {
                t.sql(&format!(
                    "DELETE FROM {table}; INSERT INTO {table} SELECT * FROM saved.{table}"
                ));
            }
            // Both machines saw the newer root: refused at unlock.
            let r = t.alice(&["--json", "verify", "--key", &secret]);
            refused(case, "alice's verify", &r);
            assert!(r.stderr.contains("went back"), "{case}: {}", r.stderr);
            refused(case, "bob's key list", &t.bob(&["key", "list"]));
            after_attack(case, &t, "alice", ALICE, "alice", &secret);
            after_attack(case, &t, "bob", BOB, "bob", &secret);
            // A machine that never saw the newer root: every write is refused and doctor
            // objects. (Its reads of a consistent partial rollback are a known gap, so the
            // revoked key is checked only where the keys table was left newer.)
            let fresh = |args: &[&str]| t.alice_elsewhere("fresh", args);
            write_refused(case, &t, || fresh(&["key", "revoke", &id]));
            write_refused(case, &t, || fresh(&["workspace", "add", "x"]));
            doctor_objects(case, &fresh(&["doctor"]));
            if !tables.contains(&"keys") {
                not_valid(case, &fresh(&["--json", "verify", "--key", &secret]));
            }
        }
    });
}

#[test]
fn a_members_slot_deleted_is_refused() {
    pg_test(|| {
        let t = Team::new();
        let (_, revoked) = revoked_by_bob(&t, "k");
        let case = "bob's slot deleted";
        t.sql(&format!("DELETE FROM meta WHERE name = '{}'", t.bob_slot()));
        refused(case, "bob's key list", &t.bob(&["key", "list"]));
        after_attack(case, &t, "bob", BOB, "bob", &revoked);
        // Alice still unlocks (a deleted slot denies bob only); doctor names the slot, a
        // re-key (which seals a new data key to every member) is refused rather than dropping
        // bob silently, and no write makes the state look intact.
        let alice_doctor = |when: &str| {
            let doctor = t.alice(&["doctor"]);
            assert_eq!(
                doctor.code, 1,
                "{case}, {when}: {}{}",
                doctor.stdout, doctor.stderr
            );
            assert!(
                doctor.stdout.contains("member bob") && doctor.stdout.contains("slot is missing"),
                "{case}, {when}: {}",
                doctor.stdout
            );
        };
        alice_doctor("before any write");
        not_valid(case, &t.alice(&["--json", "verify", "--key", &revoked]));
        let mut passwd = t.command("alice", ALICE, "alice");
        passwd
            .env("KEYWARD_NEW_PASSPHRASE", "alice's next passphrase 9")
            .arg("passwd");
        write_refused(case, &t, || t.s.run_with(&mut passwd));
        // An ordinary write touches no slot: it may go through, and launders nothing.
        t.alice(&["workspace", "add", "other"]).ok();
        alice_doctor("after alice's next write");
        let members = t.alice(&["--json", "member", "list"]).ok().stdout;
        assert!(
            members.contains("\"bob\""),
            "{case}: bob was dropped: {members}"
        );
    });
}

#[test]
fn a_member_deleted_with_the_root_from_before_they_joined_is_refused() {
    pg_test(|| {
        let t = Team::alice_only();
        let (id, secret) = t.create_key("k");
        // The state from before bob joined: no slot of his, a root without him.
        t.save(&[("meta", "name = 'commitment'"), ("commit_buckets", "true")]);
        t.add_bob();
        t.bob(&["key", "revoke", &id]).ok();
        t.alice(&["key", "list"]).ok();
        let case = "bob's slot deleted and the root from before he joined put back";
        t.sql(&format!("DELETE FROM meta WHERE name = '{}'", t.bob_slot()));
        t.put_back("meta", "name");
        t.sql("DELETE FROM commit_buckets; INSERT INTO commit_buckets SELECT * FROM saved.commit_buckets");
        let r = t.alice(&["key", "list"]);
        refused(case, "alice's key list", &r);
        assert!(r.stderr.contains("went back"), "{case}: {}", r.stderr);
        after_attack(case, &t, "alice", ALICE, "alice", &secret);
        refused(case, "bob's key list", &t.bob(&["key", "list"]));
        // A machine that never saw bob: no write builds on it, doctor objects, and the key
        // bob revoked (its row newer than this root) is not valid.
        after_attack(case, &t, "alice", ALICE, "fresh", &secret);
    });
}

/// A security setting in `meta` (publish targets, health acknowledgements) put back to an
/// older copy, or deleted: `tampered`, doctor names it, every write is refused.
fn setting_replayed(setting: &str, change: fn(&Team, &str), deleted: bool) {
    let t = Team::new();
    let (_, revoked) = revoked_by_bob(&t, "k");
    change(&t, "first");
    t.save(&[("meta", &format!("name = '{setting}'"))]);
    change(&t, "second");
    t.bob(&["key", "list"]).ok();
    let case = if deleted {
        t.sql(&format!("DELETE FROM meta WHERE name = '{setting}'"));
        format!("{setting} deleted")
    } else {
        t.put_back("meta", "name");
        format!("an older {setting} put back")
    };
    for (member, pass) in [("alice", ALICE), ("bob", BOB)] {
        let doctor = t.s.run_with(t.command(member, pass, member).arg("doctor"));
        assert_eq!(
            doctor.code, 1,
            "{case}: {member}'s doctor\n{}{}",
            doctor.stdout, doctor.stderr
        );
        let named = if setting == "publish_targets" {
            "publish"
        } else {
            "acknowledg"
        };
        assert!(
            doctor.stdout.to_lowercase().contains(named),
            "{case}: doctor should name it\n{}",
            doctor.stdout
        );
        after_attack(&case, &t, member, pass, member, &revoked);
        write_refused(&case, &t, || {
            t.s.run_with(
                t.command(member, pass, member)
                    .args(["key", "revoke", "kid_none"]),
            )
        });
    }
}

#[test]
fn publish_targets_replayed_or_deleted_are_refused() {
    pg_test(|| {
        let add: fn(&Team, &str) = |t, which| {
            let node = if which == "first" {
                "acme"
            } else {
                "acme/billing"
            };
            t.alice(&["publish", "add", node, &format!("{which}.json")])
                .ok();
        };
        setting_replayed("publish_targets", add, false);
        setting_replayed("publish_targets", add, true);
    });
}

#[test]
fn health_acknowledgements_replayed_or_deleted_are_refused() {
    pg_test(|| {
        let ack: fn(&Team, &str) = |t, which| {
            let (id, _) = t.create_key(which);
            t.alice(&[
                "health",
                "--ack",
                &id,
                "--kind",
                "never_expires",
                "--until",
                "30d",
                "--reason",
                "rotated-by-hand",
            ])
            .ok();
        };
        setting_replayed("health_acks", ack, false);
        setting_replayed("health_acks", ack, true);
    });
}

#[test]
fn the_whole_database_rolled_back_to_a_dump_is_refused_where_the_newer_state_was_seen() {
    pg_test(|| {
        let t = Team::new();
        let (id, secret) = t.create_key("k");
        let dump = t.dump();
        t.bob(&["key", "revoke", &id]).ok();
        t.alice(&["key", "list"]).ok();
        let case = "the whole database rolled back to a dump from before the revoke";
        t.restore(&dump);
        for (member, pass) in [("alice", ALICE), ("bob", BOB)] {
            let r =
                t.s.run_with(t.command(member, pass, member).args(["key", "list"]));
            refused(case, &format!("{member}'s key list"), &r);
            assert!(
                r.stderr.contains("went back") && r.stderr.contains("--accept-vault-change"),
                "{case}: {}",
                r.stderr
            );
            let r = t.s.run_with(
                t.command(member, pass, member)
                    .args(["--json", "verify", "--key", &secret]),
            );
            refused(case, &format!("{member}'s verify"), &r);
            after_attack(case, &t, member, pass, member, &secret);
        }
    });
}

#[test]
fn key_rows_swapped_or_replayed_are_tampered_and_not_written_over() {
    pg_test(|| {
        let t = Team::new();
        let (a, a_secret) = t.create_key("a");
        let (b, b_secret) = t.create_key("b");
        let (c, c_secret) = t.create_key("c");
        let (keep, keep_secret) = t.create_key("keep");
        t.save(&[("keys", &format!("key_id = '{c}'"))]);
        t.bob(&["key", "revoke", &c]).ok();
        t.alice(&["key", "list"]).ok();

        // Two rows' sealed bytes swapped: neither opens as its row.
        let case = "the sealed bytes of keys a and b swapped";
        t.sql(&format!(
            "UPDATE keys SET sealed = CASE key_id
                WHEN '{a}' THEN (SELECT sealed FROM keys WHERE key_id = '{b}')
                ELSE (SELECT sealed FROM keys WHERE key_id = '{a}') END
             WHERE key_id IN ('{a}', '{b}')"
        ));
        // c's row from before bob revoked it.
        t.put_back("keys", "key_id");
        let c_case = "key c's row from before its revoke put back";
        for (member, pass) in [("alice", ALICE), ("bob", BOB)] {
            let run = |args: &[&str]| t.s.run_with(t.command(member, pass, member).args(args));
            for (what, secret) in [(case, &a_secret), (case, &b_secret), (c_case, &c_secret)] {
                let r = run(&["--json", "verify", "--key", secret]);
                assert_eq!(
                    (r.code, r.json()["result"].as_str()),
                    (1, Some("tampered")),
                    "{what}: {member}'s verify\n{}",
                    r.stderr
                );
            }
            for (what, id) in [(case, &a), (case, &b), (c_case, &c)] {
                for verb in ["revoke", "roll", "rm"] {
                    write_refused(what, &t, || run(&["key", verb, id]));
                }
                write_refused(what, &t, || run(&["key", "edit", id, "--name", "renamed"]));
            }
            let doctor = run(&["--json", "doctor"]);
            assert_eq!(
                doctor.code, 1,
                "{case}: {member}'s doctor\n{}",
                doctor.stdout
            );
            for id in [&a, &b, &c] {
                assert!(
                    doctor.stdout.contains(id.as_str()),
                    "{case}: {}",
                    doctor.stdout
                );
            }
            // The untouched key keeps working.
            let r = run(&["--json", "verify", "--key", &keep_secret]);
            assert_eq!(r.json()["result"], "valid", "{member}: {}", r.stdout);
        }
        // A write that touches only intact rows goes through and launders nothing.
        t.alice(&["key", "edit", &keep, "--name", "kept"]).ok();
        assert_eq!(t.alice(&["doctor"]).code, 1);
        not_valid(c_case, &t.bob(&["--json", "verify", "--key", &c_secret]));
    });
}
