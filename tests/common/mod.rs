//! One way for CLI tests to run the real binary on a vault in a temp dir.
#![allow(dead_code)]

pub mod dbus;
pub mod lab;
pub mod pg;
pub mod redis;
pub mod serve;
pub mod window;
pub mod xvfb;

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const PASS: &str = "orbit tundra marble 71";

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub vault: PathBuf,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }

    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// An error: exit 2, one line on stderr, no panic or backtrace.
    #[track_caller]
    pub fn refused(self, needle: &str) -> Run {
        assert_eq!(
            self.code, 2,
            "expected exit 2\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        assert!(
            self.stderr.to_lowercase().contains(&needle.to_lowercase()),
            "stderr should mention '{needle}': {}",
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        self
    }
}

pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyward"));
    for var in [
        "KEYWARD_VAULT",
        "KEYWARD_PASSPHRASE",
        "KEYWARD_NEW_PASSPHRASE",
        "KEYWARD_MEMBER",
    ] {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null());
    cmd
}

fn output(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Where a test's vault lives: the same CLI tests run on both (see [`on_both_stores!`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    File,
    Postgres,
}

thread_local! {
    static STORE: Cell<StoreKind> = const { Cell::new(StoreKind::File) };
}

/// The store this test thread's sandboxes use.
pub fn store_kind() -> StoreKind {
    STORE.with(Cell::get)
}

/// Runs `body` with every [`Sandbox`] it makes on `kind`. On PostgreSQL without a server it
/// is SKIPPED loudly, unless `KEYWARD_REQUIRE_POSTGRES=1`, where it fails.
pub fn on_store(kind: StoreKind, body: fn()) {
    if kind == StoreKind::Postgres && pg::cluster().is_none() {
        return;
    }
    STORE.with(|s| s.set(kind));
    body();
}

/// Declares each test twice, `NAME::file` and `NAME::postgres`: one suite, two stores.
#[macro_export]
macro_rules! on_both_stores {
    ($( $(#[doc = $doc:literal])* fn $name:ident() $body:block )*) => {
        $(
            $(#[doc = $doc])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                fn body() $body

                #[test]
                fn file() {
                    $crate::common::on_store($crate::common::StoreKind::File, body)
                }

                #[test]
                fn postgres() {
                    $crate::common::on_store($crate::common::StoreKind::Postgres, body)
                }
            }
        )*
    };
}

impl Sandbox {
    /// An empty temp dir and a vault location with no vault yet: a file path in the dir, or
    /// (on PostgreSQL) the URL of a new, empty database.
    pub fn empty() -> Sandbox {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = match store_kind() {
            StoreKind::File => dir.path().join("test.keyward"),
            StoreKind::Postgres => PathBuf::from(
                pg::cluster()
                    .expect("a PostgreSQL server (on_store checked)")
                    .new_database(),
            ),
        };
        Sandbox { dir, vault }
    }

    /// Runs SQL on the vault's database behind Keyward's back, as an attacker with the file or
    /// the server would: `sqlite` on a file, `postgres` on a server.
    pub fn raw_sql(&self, sqlite: &str, postgres: &str) {
        if self.on_postgres() {
            let url = self.vault.to_string_lossy();
            pg::cluster()
                .expect("the server of this sandbox")
                .psql(&pg::db_of(&url), postgres);
        } else {
            rusqlite::Connection::open(&self.vault)
                .expect("open the file directly")
                .execute_batch(sqlite)
                .expect("raw SQL");
        }
    }

    /// Runs a command as `member` with their passphrase, on the vault at `vault` (this
    /// sandbox's or a copy of it).
    pub fn as_member_at(&self, vault: &Path, member: &str, pass: &str, args: &[&str]) -> Run {
        let mut cmd = self.command();
        cmd.env("KEYWARD_VAULT", vault)
            .env("KEYWARD_MEMBER", member)
            .env("KEYWARD_PASSPHRASE", pass)
            .args(args);
        self.run_with(&mut cmd)
    }

    /// Whether this sandbox's vault is on the server.
    pub fn on_postgres(&self) -> bool {
        self.vault
            .to_str()
            .is_some_and(|v| v.starts_with("postgres://"))
    }

    /// A vault with fast KDF settings whose first member is `member`.
    pub fn with_member(member: &str) -> Sandbox {
        let s = Sandbox::empty();
        s.run(&[
            "init",
            "--member",
            member,
            "--kdf-memory-mib",
            "8",
            "--kdf-passes",
            "1",
        ])
        .ok();
        s
    }

    /// A vault with fast KDF settings.
    pub fn new() -> Sandbox {
        let s = Sandbox::empty();
        s.run(&["init", "--kdf-memory-mib", "8", "--kdf-passes", "1"])
            .ok();
        s
    }

    /// acme (read-write) / billing / prod (prefix acme).
    pub fn with_tree() -> Sandbox {
        let s = Sandbox::new();
        s.run(&["workspace", "add", "acme", "--preset", "read-write"])
            .ok();
        s.run(&["project", "add", "acme/billing"]).ok();
        s.run(&["env", "add", "acme/billing/prod", "--prefix", "acme"])
            .ok();
        s
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn command(&self) -> Command {
        let mut cmd = bin();
        cmd.env("KEYWARD_VAULT", &self.vault)
            .env("KEYWARD_PASSPHRASE", PASS)
            // This machine's pins of the vaults it opened: the test's own.
            .env("KEYWARD_PINS_DIR", self.dir.path().join("pins"));
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        output(self.command().args(args).output().expect("run keyward"))
    }

    pub fn run_with(&self, cmd: &mut Command) -> Run {
        output(cmd.output().expect("run keyward"))
    }

    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Run {
        self.run_with_stdin(self.command().args(args), stdin)
    }

    /// Runs `cmd` with `stdin` written to its standard input.
    pub fn run_with_stdin(&self, cmd: &mut Command, stdin: &str) -> Run {
        use std::io::Write;
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write");
        output(child.wait_with_output().expect("wait"))
    }

    /// Creates a key and returns its key-file JSON.
    pub fn create_key(&self, node: &str, name: &str, extra: &[&str]) -> serde_json::Value {
        let mut args = vec!["--json", "key", "create", node, "--name", name];
        args.extend_from_slice(extra);
        self.run(&args).ok().json()
    }

    /// What a service reading the verifier file `file` answers for `secret`: exit code and
    /// result (`keyward verify --verifier FILE --trust` with this vault's public key).
    pub fn verify_with_file(&self, file: &Path, secret: &str) -> (i32, String) {
        let trust = self.run(&["verifier-key"]).ok().stdout.trim().to_owned();
        let r = self.verify_file(file, &trust, secret, &[]);
        let result = r.json()["result"].as_str().unwrap_or("").to_owned();
        (r.code, result)
    }

    /// `keyward --json verify` of `secret` against the verifier file `file` signed by `trust`,
    /// with `scopes` required.
    pub fn verify_file(&self, file: &Path, trust: &str, secret: &str, scopes: &[&str]) -> Run {
        let mut args = vec![
            "--json",
            "verify",
            "--verifier",
            file.to_str().expect("utf-8"),
            "--trust",
            trust,
            "--key",
            secret,
        ];
        for scope in scopes {
            args.extend(["--require-scope", scope]);
        }
        self.run(&args)
    }

    pub fn verify(&self, key: &str, scopes: &[&str]) -> (i32, serde_json::Value) {
        let mut args = vec![
            "--json".to_owned(),
            "verify".into(),
            "--key".into(),
            key.into(),
        ];
        for s in scopes {
            args.push("--require-scope".into());
            args.push(s.to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = self.run(&args);
        (r.code, r.json())
    }

    pub fn bytes_on_disk(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let p = PathBuf::from(format!("{}{suffix}", self.vault.display()));
            if let Ok(b) = std::fs::read(&p) {
                all.extend(b);
            }
        }
        all
    }
}

/// Cuts the newest entry off a vault file's activity log behind Keyward's back (the trigger
/// that forbids it is dropped and put back), as someone with the file can.
pub fn cut_activity_log(vault: &Path) {
    let conn = rusqlite::Connection::open(vault).expect("open");
    let trigger: String = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'activity_no_delete'",
            [],
            |r| r.get(0),
        )
        .expect("trigger");
    conn.execute_batch(&format!(
        "DROP TRIGGER activity_no_delete;
         DELETE FROM activity WHERE seq = (SELECT MAX(seq) FROM activity);
         {trigger};"
    ))
    .expect("cut the log");
}

/// Puts the sealed row of `key_id` back in a vault file as it was in `old` (a copy of the file
/// from before a change), as someone with the file can: the rolled-back row fails its
/// integrity check.
pub fn roll_back_key(vault: &Path, old: &Path, key_id: &str) {
    let conn = rusqlite::Connection::open(vault).expect("open file");
    conn.execute("ATTACH ?1 AS old", [old.to_str().expect("utf-8")])
        .expect("attach");
    conn.execute_batch(&format!(
        "DELETE FROM keys WHERE key_id = '{key_id}';
         INSERT INTO keys SELECT * FROM old.keys WHERE key_id = '{key_id}';"
    ))
    .expect("roll back");
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}
