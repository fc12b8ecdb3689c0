//! The README's "Checking it in your service" example is the crate's doc-tested one: the
//! visible lines of the example in `src/lib.rs` must appear in the README as one block, so the
//! README cannot show code that no longer compiles.

use std::path::Path;

/// The doc example's lines as rendered: `//! ` taken off, hidden `# ` lines left out.
fn doc_example(lib: &str) -> String {
    let mut inside = false;
    let mut lines = Vec::new();
    for line in lib.lines() {
        let Some(doc) = line.strip_prefix("//!") else {
            continue;
        };
        let doc = doc.strip_prefix(' ').unwrap_or(doc);
        if doc.starts_with("```") {
            if inside {
                break;
            }
            inside = true;
            continue;
        }
        if inside && !doc.starts_with("# ") && doc != "#" {
            lines.push(doc);
        }
    }
    lines.join("\n")
}

#[test]
fn the_readme_shows_the_doc_tested_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).expect("lib.rs");
    let readme = std::fs::read_to_string(root.join("../../README.md")).expect("the README");
    let example = doc_example(&lib);
    assert!(
        example.contains("Verifier::load") && example.lines().count() > 5,
        "the doc example was not found:\n{example}"
    );
    assert!(
        readme.contains(&format!("```rust\n{example}\n```")),
        "the README's service example differs from the doc test in src/lib.rs:\n{example}"
    );
}
