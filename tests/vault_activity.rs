//! The activity of a node keeps what happened to nodes deleted under it, the delete included.

use keyward::vault::{KdfParams, Preset, Vault};

#[test]
fn a_deleted_project_stays_in_its_workspace_activity() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut v = Vault::create(
        &dir.path().join("a.keyward"),
        "tundra maple 3390 cobalt",
        KdfParams::new(8, 1).expect("kdf"),
    )
    .expect("create");
    let acme = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
    let other = v.add_workspace("acmeco", Preset::ReadWrite).expect("ws");
    let billing = v.add_project(acme.id, "billing").expect("project");
    v.add_environment(billing.id, "prod", None).expect("env");
    let elsewhere = v.add_project(other.id, "web").expect("project");
    v.delete_node(billing.id, true).expect("delete");
    v.delete_node(elsewhere.id, true).expect("delete");

    let nodes = |id| -> Vec<String> {
        v.activity(Some(id), 500)
            .expect("activity")
            .into_iter()
            .map(|e| format!("{} {}", e.action, e.node))
            .collect()
    };
    let acme_log = nodes(acme.id);
    assert!(
        acme_log.iter().any(|e| e.contains("acme/billing/prod")),
        "{acme_log:?}"
    );
    let deletes = acme_log
        .iter()
        .filter(|e| e.starts_with("node.delete"))
        .count();
    assert_eq!(deletes, 1, "{acme_log:?}");
    assert!(
        !acme_log.iter().any(|e| e.contains("acmeco")),
        "a sibling with a longer name is not under acme: {acme_log:?}"
    );
    let other_log = nodes(other.id);
    assert!(
        other_log.iter().any(|e| e.contains("acmeco/web")),
        "{other_log:?}"
    );
}
