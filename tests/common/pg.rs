//! A throwaway PostgreSQL cluster for the tests of one test binary: `initdb` into a temp dir
//! (as the `postgres` user when the tests run as root), a free loopback port, started on first
//! use and stopped by a watchdog when the test process ends. Each test gets a database of its
//! own.
//!
//! Without PostgreSQL installed, tests that need it are SKIPPED loudly and pass, unless
//! `KEYWARD_REQUIRE_POSTGRES=1` (CI), where they fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const REQUIRE: &str = "KEYWARD_REQUIRE_POSTGRES";

pub struct Cluster {
    pub port: u16,
    pub bin: PathBuf,
    /// The CA that signed the server's TLS certificate (for `sslrootcert=`), when `openssl`
    /// was there to make one. Database `tlsonly` refuses connections without TLS; database
    /// `pwonly` asks for the password of its user (set one with `ALTER ROLE`).
    pub ca: Option<PathBuf>,
    _dir: PathBuf,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static DURABLE: OnceLock<Result<Cluster, String>> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

/// The cluster, started on first use; `None` (after a loud SKIP line) when PostgreSQL is not
/// installed and not required.
pub fn cluster() -> Option<&'static Cluster> {
    match CLUSTER.get_or_init(|| start(false)) {
        Ok(c) => Some(c),
        Err(why) => {
            if std::env::var(REQUIRE).is_ok_and(|v| v == "1") {
                panic!("{REQUIRE}=1 but no PostgreSQL server could be started: {why}");
            }
            eprintln!(
                "SKIPPED: no PostgreSQL server for this test ({why}); set {REQUIRE}=1 to fail instead"
            );
            None
        }
    }
}

/// A cluster with PostgreSQL's durable defaults (fsync on), for benchmarks that compare it with
/// SQLite's `synchronous=FULL`.
pub fn durable_cluster() -> Result<&'static Cluster, String> {
    DURABLE
        .get_or_init(|| start(true))
        .as_ref()
        .map_err(Clone::clone)
}

impl Cluster {
    /// A new, empty database; its URL.
    pub fn new_database(&self) -> String {
        let name = format!(
            "t{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::Relaxed)
        );
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        self.url(&name)
    }

    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://keyward:unused@127.0.0.1:{}/{db}?sslmode=disable",
            self.port
        )
    }

    /// Runs SQL as the superuser (panics when it fails).
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = self
            .client("psql")
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-d", db, "-c", sql])
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// PostgreSQL's program `name`, set to reach this cluster as its superuser.
    fn client(&self, name: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(name));
        cmd.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "keyward",
        ]);
        cmd
    }

    /// `pg_dump` of a database, data and schema, as text.
    pub fn dump(&self, db: &str) -> Vec<u8> {
        let out = self
            .client("pg_dump")
            .arg(db)
            .output()
            .expect("run pg_dump");
        assert!(
            out.status.success(),
            "pg_dump failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

/// The database name of a URL made by [`Cluster::new_database`].
pub fn db_of(url: &str) -> String {
    let tail = url.rsplit('/').next().unwrap_or_default();
    tail.split('?').next().unwrap_or_default().to_owned()
}

fn bin_dir() -> Option<PathBuf> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").exists() {
            return Some(dir);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A command run as the server's owner: `postgres` when we are root (initdb refuses root).
fn as_owner(root: bool, program: &Path) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn start(durable: bool) -> Result<Cluster, String> {
    let bin = bin_dir().ok_or("PostgreSQL is not installed (apt-get install postgresql)")?;
    let root = is_root();
    let dir = std::env::temp_dir().join(format!(
        "keyward-pg-{}{}",
        std::process::id(),
        if durable { "-durable" } else { "" }
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("temp dir: {e}"))?;
    if root {
        let chown = Command::new("chown")
            .args(["-R", "postgres:"])
            .arg(&dir)
            .status();
        if !chown.is_ok_and(|s| s.success()) {
            return Err("cannot hand the temp dir to the postgres user".into());
        }
    }
    let data = dir.join("data");
    let init = as_owner(root, &bin.join("initdb"))
        .args([
            "-U",
            "keyward",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "-D",
        ])
        .arg(&data)
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("initdb: {e}"))?;
    if !init.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&init.stderr)
        ));
    }
    let ca = tls_files(&dir, root);
    // Before initdb's own rules: database `pwonly` asks for a password (SCRAM), and
    // `tlsonly` takes TLS connections only.
    let hba = data.join("pg_hba.conf");
    let rules = std::fs::read_to_string(&hba).map_err(|e| format!("pg_hba.conf: {e}"))?;
    let tls_rule = if ca.is_some() {
        "hostnossl tlsonly all 127.0.0.1/32 reject\n"
    } else {
        ""
    };
    std::fs::write(
        &hba,
        format!("host pwonly all 127.0.0.1/32 scram-sha-256\n{tls_rule}{rules}"),
    )
    .map_err(|e| format!("pg_hba.conf: {e}"))?;
    let tls = match &ca {
        Some(_) => format!(
            "-c ssl=on -c ssl_cert_file={0}/server.crt -c ssl_key_file={0}/server.key",
            dir.display()
        ),
        None => String::new(),
    };
    let port = free_port();
    // Tests trade durability for speed; benchmarks keep the server's defaults.
    let speed = if durable {
        ""
    } else {
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    };
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 {speed} {tls} -c max_connections=300",
        dir.display()
    );
    let started = as_owner(root, &bin.join("pg_ctl"))
        .args(["-D"])
        .arg(&data)
        .args(["-o", &options, "-l"])
        .arg(dir.join("log"))
        .args(["-w", "-t", "30", "start"])
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("pg_ctl: {e}"))?;
    if !started.status.success() {
        let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
        return Err(format!("pg_ctl start failed: {log}"));
    }
    watchdog(root, &bin, &data, &dir);
    let cluster = Cluster {
        port,
        bin,
        ca,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let ready = Command::new(cluster.bin.join("pg_isready"))
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .status();
        if ready.is_ok_and(|s| s.success()) {
            return Ok(cluster);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err("the server did not come up".into())
}

/// A test CA and a server certificate for 127.0.0.1 signed by it, made with `openssl` in
/// `dir` (the key readable by the server only); the CA's path, or `None` without `openssl`.
fn tls_files(dir: &Path, root: bool) -> Option<PathBuf> {
    let ext = dir.join("server.ext");
    std::fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .ok()?;
    let d = dir.display();
    let steps = [
        format!(
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
             -keyout {d}/ca.key -out {d}/ca.crt -days 2 -subj /CN=keyward-test-ca \
             -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign"
        ),
        format!(
            "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
             -keyout {d}/server.key -out {d}/server.csr -subj /CN=127.0.0.1"
        ),
        format!(
            "openssl x509 -req -in {d}/server.csr -CA {d}/ca.crt -CAkey {d}/ca.key \
             -CAcreateserial -out {d}/server.crt -days 2 -extfile {d}/server.ext"
        ),
        format!("chmod 600 {d}/server.key"),
    ];
    for step in steps {
        let ok = Command::new("sh")
            .args(["-c", &step])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return None;
        }
    }
    if root {
        let _ = Command::new("chown")
            .args(["-R", "postgres:"])
            .arg(dir)
            .status();
    }
    Some(dir.join("ca.crt"))
}

/// Stops the server and removes its files once this test process has ended.
fn watchdog(root: bool, bin: &Path, data: &Path, dir: &Path) {
    let stop = if root {
        format!(
            "runuser -u postgres -- '{}' -D '{}' stop -m immediate",
            bin.join("pg_ctl").display(),
            data.display()
        )
    } else {
        format!(
            "'{}' -D '{}' stop -m immediate",
            bin.join("pg_ctl").display(),
            data.display()
        )
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        dir = dir.display()
    );
    let _ = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}
