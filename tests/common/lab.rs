//! The vault library under test on either store: a [`Lab`] is a vault location (a file in a
//! temp dir, or a new database on the test PostgreSQL server) with its passphrase and,
//! optionally, a clock the test moves. Tests run on both stores through
//! [`on_both_stores!`](crate::on_both_stores); those about the SQLite file itself (bytes
//! edited, rows put back from an older copy of the file) make a [`Lab::file`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use keyward::vault::{KdfParams, Result, Vault};
use rusqlite::Connection;

use super::{StoreKind, pg, store_kind};

/// Fast Argon2id for test vaults.
pub fn fast() -> KdfParams {
    KdfParams::new(8, 1).expect("params")
}

pub struct Lab {
    pub dir: tempfile::TempDir,
    /// The vault's location: a file in `dir`, or a `postgres://` URL.
    pub path: PathBuf,
    /// The passphrase [`Lab::create`] and [`Lab::open`] use.
    pub pass: &'static str,
    clock: Option<Arc<AtomicI64>>,
}

impl Lab {
    /// A vault location on this test's store (see [`on_store`](super::on_store)): `file` in a
    /// new temp dir, or a new, empty database.
    pub fn new(file: &str, pass: &'static str) -> Lab {
        match store_kind() {
            StoreKind::File => Lab::file(file, pass),
            StoreKind::Postgres => {
                let url = pg::cluster()
                    .expect("a PostgreSQL server (on_store checked)")
                    .new_database();
                Lab {
                    dir: tempfile::tempdir().expect("tempdir"),
                    path: PathBuf::from(url),
                    pass,
                    clock: None,
                }
            }
        }
    }

    /// A vault file `file` in a new temp dir, whatever the test's store: for tests about the
    /// SQLite file itself.
    pub fn file(file: &str, pass: &'static str) -> Lab {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(file);
        Lab {
            dir,
            path,
            pass,
            clock: None,
        }
    }

    /// Vaults made or opened by this lab read the time from a clock starting at `t0`
    /// (see [`Lab::advance`]).
    pub fn clocked(mut self, t0: i64) -> Lab {
        self.clock = Some(Arc::new(AtomicI64::new(t0)));
        self
    }

    /// Moves the lab's clock on by `seconds`.
    pub fn advance(&self, seconds: i64) {
        self.clock
            .as_ref()
            .expect("a clocked lab")
            .fetch_add(seconds, Ordering::SeqCst);
    }

    /// Sets the lab's clock to `t`.
    pub fn set_now(&self, t: i64) {
        self.clock
            .as_ref()
            .expect("a clocked lab")
            .store(t, Ordering::SeqCst);
    }

    /// The lab's clock now.
    pub fn now(&self) -> i64 {
        self.clock
            .as_ref()
            .expect("a clocked lab")
            .load(Ordering::SeqCst)
    }

    fn with_clock(&self, mut v: Vault) -> Vault {
        if let Some(clock) = &self.clock {
            let c = Arc::clone(clock);
            v.set_clock(Arc::new(move || c.load(Ordering::SeqCst)));
        }
        v
    }

    pub fn on_postgres(&self) -> bool {
        self.path
            .to_str()
            .is_some_and(|p| p.starts_with("postgres://"))
    }

    /// A new vault at the lab's location with its passphrase.
    pub fn create(&self) -> Vault {
        self.with_clock(Vault::create(&self.path, self.pass, fast()).expect("create"))
    }

    /// A new vault whose first member is `member` with `pass`.
    pub fn create_as(&self, member: &str, pass: &str) -> Vault {
        self.with_clock(Vault::create_as(&self.path, member, pass, fast()).expect("create"))
    }

    pub fn open(&self) -> Vault {
        self.with_clock(Vault::open(&self.path, self.pass).expect("open"))
    }

    pub fn open_as(&self, member: &str, pass: &str) -> Result<Vault> {
        Vault::open_as(&self.path, Some(member), pass).map(|v| self.with_clock(v))
    }

    /// Everything the store holds, as an attacker with the file or the server reads it: the
    /// file's bytes, or a dump of the database.
    pub fn stored_bytes(&self) -> Vec<u8> {
        if self.on_postgres() {
            let url = self.path.to_string_lossy();
            pg::cluster()
                .expect("the server of this lab")
                .dump(&pg::db_of(&url))
        } else {
            std::fs::read(&self.path).expect("read")
        }
    }

    /// A copy of the whole file as it is now (the vault must be closed).
    pub fn copy(&self, name: &str) -> PathBuf {
        let to = self.dir.path().join(name);
        std::fs::copy(&self.path, &to).expect("copy");
        to
    }

    /// Raw SQL on the file, as someone without the passphrase can run it.
    pub fn attack(&self, sql: &str) {
        let conn = Connection::open(&self.path).expect("attacker opens the file");
        conn.execute_batch(sql).expect("attack");
    }

    /// Raw SQL on the file with an older copy attached as `old`.
    pub fn attack_from(&self, old: &Path, sql: &str) {
        let conn = Connection::open(&self.path).expect("attacker opens the file");
        conn.execute("ATTACH ?1 AS old", [old.to_str().expect("utf-8")])
            .expect("attach");
        conn.execute_batch(sql).expect("attack");
    }

    /// The names in the file's `meta` table, sorted.
    pub fn meta_names(&self) -> Vec<String> {
        let conn = Connection::open(&self.path).expect("open");
        let mut stmt = conn
            .prepare("SELECT name FROM meta ORDER BY name")
            .expect("prepare");
        stmt.query_map([], |r| r.get(0))
            .expect("query")
            .collect::<std::result::Result<_, _>>()
            .expect("rows")
    }
}
