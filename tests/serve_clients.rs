//! The README's client recipes, run as written against a real `keyward serve`: nginx
//! `auth_request` in front of a location (a real nginx from the distribution), the Python
//! standard-library client, and curl. A missing program is a loud SKIPPED line, or a failure
//! when `KEYWARD_REQUIRE_NGINX=1` / `KEYWARD_REQUIRE_PYTHON=1` / `KEYWARD_REQUIRE_CURL=1`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::Sandbox;
use common::serve::{
    self, Keys, Server, id, program, readme_recipe, request, secret, terminate, wait_for,
};

fn published() -> (Sandbox, Keys, PathBuf) {
    serve::published("acme.verifier.json")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

struct Nginx {
    child: Child,
    dir: PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        terminate(&self.child);
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = &self.dir;
    }
}

/// The README's nginx locations in a whole config of the test's own: nginx on `port`, the
/// application a second server block of the same nginx that serves a file.
fn start_nginx(nginx: &str, dir: &Path, port: u16, serve_addr: &str) -> Nginx {
    let app_port = free_port();
    let recipe = readme_recipe("nginx")
        .replace("127.0.0.1:8787", serve_addr)
        .replace("127.0.0.1:9000", &format!("127.0.0.1:{app_port}"));
    let www = dir.join("www");
    std::fs::create_dir_all(www.join("api")).expect("www");
    std::fs::write(www.join("api/hello.txt"), "hello from the application\n").expect("file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // nginx's workers run as nobody when started as root: let them read the files.
        for p in [dir, &www, &www.join("api")] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        std::fs::set_permissions(
            www.join("api/hello.txt"),
            std::fs::Permissions::from_mode(0o644),
        )
        .expect("chmod");
    }
    let d = dir.display();
    let config = format!(
        r#"
worker_processes 1;
daemon off;
master_process on;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {d}/client_temp;
    proxy_temp_path {d}/proxy_temp;
    fastcgi_temp_path {d}/fastcgi_temp;
    uwsgi_temp_path {d}/uwsgi_temp;
    scgi_temp_path {d}/scgi_temp;
    server {{
        listen 127.0.0.1:{app_port};
        root {www};
    }}
    server {{
        listen 127.0.0.1:{port};
{recipe}
    }}
}}
"#,
        www = www.display(),
    );
    let conf = dir.join("nginx.conf");
    std::fs::write(&conf, config).expect("conf");
    let child = Command::new(nginx)
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(&conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start nginx");
    let up = wait_for(Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            && std::net::TcpStream::connect(("127.0.0.1", app_port)).is_ok()
    });
    let mut nginx = Nginx {
        child,
        dir: dir.to_owned(),
    };
    if up.is_none() {
        let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
        let _ = nginx.child.kill();
        panic!("nginx did not start:\n{log}");
    }
    nginx
}

#[test]
fn nginx_auth_request_lets_valid_keys_through_and_answers_401_and_403() {
    let Some(nginx) = program(
        "nginx",
        &["nginx", "/usr/sbin/nginx"],
        "KEYWARD_REQUIRE_NGINX",
        "the nginx auth_request test",
    ) else {
        return;
    };
    let (s, keys, file) = published();
    let server = Server::start(&[&file], &[]);
    let port = free_port();
    let dir = s.path("nginx");
    std::fs::create_dir_all(&dir).expect("dir");
    let _nginx = start_nginx(&nginx, &dir, port, &server.addr);
    let addr = format!("127.0.0.1:{port}");
    let get = |auth: Option<String>| {
        let headers: Vec<(&str, &str)> = auth
            .as_deref()
            .map(|a| vec![("Authorization", a)])
            .unwrap_or_default();
        request(&addr, "GET", "/api/hello.txt", &headers, b"")
    };

    let ok = get(Some(format!("Api-Key {}", secret(&keys.rw))));
    assert_eq!(ok.status, 200, "{ok:?}");
    assert_eq!(ok.body, "hello from the application\n");
    assert_eq!(
        get(Some(format!("Bearer {}", secret(&keys.rw)))).status,
        200
    );
    for (auth, status) in [
        (Some(format!("Api-Key {}", secret(&keys.ro))), 403),
        (Some(format!("Api-Key {}", secret(&keys.revoked))), 401),
        (Some("Api-Key acme_not_a_key".to_owned()), 401),
        (None, 401),
    ] {
        let r = get(auth.clone());
        assert_eq!(r.status, status, "{auth:?}: {r:?}");
        assert!(!r.body.contains("hello from the application"));
    }
    // The checks went through serve, which saw the key id nginx passes on.
    assert!(server.metric("keyward_checks_total{result=\"valid\"}") >= 2.0);
    assert_eq!(
        server.metric("keyward_checks_total{result=\"insufficient_scope\"}"),
        1.0
    );
    // A rate-limited key gets its limit through nginx, then 429 with serve's headers.
    let limited = s.create_key(
        "acme/billing/prod",
        "partner",
        &["--scope", "write", "--rate-limit", "2/min"],
    );
    let auth = format!("Api-Key {}", secret(&limited));
    assert!(
        wait_for(Duration::from_secs(3), || server
            .check(secret(&limited), &["write"])
            .status
            == 204)
        .is_some(),
        "the new key reached serve"
    );
    let first = get(Some(auth.clone()));
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(first.header("ratelimit"), Some(r#""default";r=0;t=60"#));
    let refused = get(Some(auth.clone()));
    assert_eq!(refused.status, 429, "{refused:?}");
    assert!(!refused.body.contains("hello from the application"));
    let retry: u64 = refused
        .header("retry-after")
        .and_then(|r| r.parse().ok())
        .expect("Retry-After passed on");
    assert!((55..=60).contains(&retry), "{retry}");
    assert!(
        refused
            .header("ratelimit")
            .is_some_and(|h| h.starts_with(r#""default";r=0"#))
    );
    // A revoke reaches nginx's answer too.
    s.run(&["key", "revoke", id(&keys.rw)]).ok();
    assert!(
        wait_for(Duration::from_secs(3), || get(Some(format!(
            "Api-Key {}",
            secret(&keys.rw)
        )))
        .status
            == 401)
        .is_some()
    );
    server.stop();
}

#[test]
fn the_python_recipe_checks_keys_with_the_standard_library() {
    let Some(python) = program(
        "python3",
        &["python3"],
        "KEYWARD_REQUIRE_PYTHON",
        "the Python recipe test",
    ) else {
        return;
    };
    let (s, keys, file) = published();
    let server = Server::start(&[&file], &[]);
    let script = s.path("client.py");
    std::fs::write(&script, readme_recipe("python")).expect("script");
    let run = |authorization: String| {
        let out = Command::new(&python)
            .arg(&script)
            .env("KEYWARD_URL", format!("http://{}", server.addr))
            .env("HTTP_AUTHORIZATION", authorization)
            .stdin(Stdio::null())
            .output()
            .expect("python3");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    assert_eq!(
        run(format!("Api-Key {}", secret(&keys.rw))),
        format!("valid {}", id(&keys.rw))
    );
    assert!(run(format!("Api-Key {}", secret(&keys.ro))).starts_with("insufficient_scope kid_"));
    assert!(run(format!("Bearer {}", secret(&keys.revoked))).starts_with("revoked kid_"));
    assert_eq!(run("Api-Key acme_x".into()), "malformed None");
    server.stop();
}

#[test]
fn the_curl_recipe_shows_the_status_and_the_json_answer() {
    let Some(_curl) = program(
        "curl",
        &["curl"],
        "KEYWARD_REQUIRE_CURL",
        "the curl recipe test",
    ) else {
        return;
    };
    let (_s, keys, file) = published();
    let server = Server::start(&[&file], &[]);
    let script = readme_recipe("curl").replace("127.0.0.1:8787", &server.addr);
    let run = |key: &str| {
        let out = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .env("API_KEY", key)
            .stdin(Stdio::null())
            .output()
            .expect("sh");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let out = run(secret(&keys.rw));
    let (status, json) = out.split_once('\n').expect("two answers");
    assert_eq!(status, "204");
    let json: serde_json::Value = serde_json::from_str(json).expect("json");
    assert_eq!(json["result"], "valid");
    assert_eq!(json["key_id"], id(&keys.rw));
    let out = run(secret(&keys.ro));
    assert!(out.starts_with("403\n"), "{out}");
    assert!(out.contains("insufficient_scope"));
    assert!(run(secret(&keys.revoked)).starts_with("401\n"));
    server.stop();
}
