//! One way for CLI tests to run the real binary on a vault in a temp dir.
#![allow(dead_code)]

pub mod serve;

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

impl Sandbox {
    /// An empty temp dir (no vault yet).
    pub fn empty() -> Sandbox {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = dir.path().join("test.keyward");
        Sandbox { dir, vault }
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
            .env("KEYWARD_PASSPHRASE", PASS);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        output(self.command().args(args).output().expect("run keyward"))
    }

    pub fn run_with(&self, cmd: &mut Command) -> Run {
        output(cmd.output().expect("run keyward"))
    }

    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Run {
        use std::io::Write;
        let mut child = self
            .command()
            .args(args)
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

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}
