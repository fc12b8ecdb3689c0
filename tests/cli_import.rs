//! `key import`: JSON Lines in, every line checked first, all keys minted in one transaction,
//! the key files written (0600, never over another file) before it commits.

mod common;

use common::Sandbox;

fn key_count(s: &Sandbox) -> usize {
    s.run(&["--json", "key", "list"])
        .ok()
        .json()
        .as_array()
        .expect("list")
        .len()
}

crate::on_both_stores! {
    fn a_good_file_mints_every_key_with_its_details_and_delivers_every_secret() {
        let s = Sandbox::with_tree();
        let input = s.path("keys.jsonl");
        std::fs::write(
            &input,
            concat!(
                r#"{"name": "ingest-1", "scopes": ["write"], "expires": "90d", "owner": "data", "tags": ["etl"]}"#,
                "\n\n",
                r#"{"name": "ingest-2", "description": "nightly batch"}"#,
                "\n",
                r#"{"name": "admin", "full_access": true, "expires": "2099-12-31"}"#,
                "\n"
            ),
        )
        .expect("write");
        let out = s.path("secrets.jsonl");
        let r = s.run(&[
            "key",
            "import",
            "acme/billing/prod",
            input.to_str().expect("utf-8"),
            "--output",
            out.to_str().expect("utf-8"),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stderr.contains("Imported 3 keys"), "{}", r.stderr);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&out).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
            .expect("read")
            .lines()
            .map(|l| serde_json::from_str(l).expect("a key file a line"))
            .collect();
        assert_eq!(lines.len(), 3);
        for key in &lines {
            let (code, v) = s.verify(key["key_secret"].as_str().expect("secret"), &[]);
            assert_eq!((code, v["result"].as_str()), (0, Some("valid")), "{key}");
        }
        let first = s
            .run(&[
                "--json",
                "key",
                "show",
                lines[0]["key_id"].as_str().expect("id"),
            ])
            .ok()
            .json();
        assert_eq!(first["owner"], "data");
        assert_eq!(first["tags"], serde_json::json!(["etl"]));
        assert_eq!(first["scopes"], serde_json::json!(["read", "write"]));
        assert!(first["expires_at"].is_string());

        s.run(&[
            "key",
            "import",
            "acme/billing/prod",
            input.to_str().expect("utf-8"),
            "--output",
            out.to_str().expect("utf-8"),
        ])
        .refused("exists already");
        assert_eq!(
            key_count(&s),
            3,
            "nothing minted when the output cannot be written"
        );
    }
}

crate::on_both_stores! {
    fn one_bad_line_mints_nothing_and_is_named() {
        let s = Sandbox::with_tree();
        let out = s.path("secrets.jsonl");
        for (bad, needle) in [
            (
                r#"{"name": "b", "scopes": ["delete"]}"#,
                "line 2: unknown scope 'delete'",
            ),
            (r#"{"name": "b", "expires": "yesterday"}"#, "line 2: expiry"),
            (r#"{"name": "b", "color": "red"}"#, "line 2: unknown field"),
            (r#"{"name": "A"}"#, "line 2: the name 'A' appears twice"),
            ("not json", "line 2:"),
        ] {
            let input = s.path("keys.jsonl");
            std::fs::write(
                &input,
                format!("{{\"name\": \"a\"}}\n{bad}\n{{\"name\": \"c\"}}\n"),
            )
            .expect("write");
            s.run(&[
                "key",
                "import",
                "acme/billing/prod",
                input.to_str().expect("utf-8"),
                "--output",
                out.to_str().expect("utf-8"),
            ])
            .refused(needle);
            assert_eq!(key_count(&s), 0, "{bad}");
            assert!(!out.exists(), "no secrets file for a refused import");
        }
    }
}

crate::on_both_stores! {
    fn secrets_can_go_to_standard_output() {
        let s = Sandbox::with_tree();
        let r = s.run_stdin(
            &["key", "import", "acme", "-", "--output", "-"],
            "{\"name\": \"one\"}\n{\"name\": \"two\"}\n",
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let lines: Vec<&str> = r.stdout.lines().collect();
        assert_eq!(lines.len(), 2, "only key files on stdout: {}", r.stdout);
        assert!(lines.iter().all(|l| l.contains("\"key_secret\"")));
        assert!(r.stderr.contains("Imported 2"));
    }
}
