//! The breadcrumb at the smallest window (issue 22, item 11): a name that fits is shown whole;
//! only names longer than their share of the room are cut.

mod common;

use common::PASS;
use common::window;
use egui_kittest::kittest::Queryable as _;
use keyward::ui::clipboard::MemoryClipboard;
use keyward::vault::{Preset, Vault};

/// The widths of the breadcrumb's parts of acme's environment, in a window of `size`.
fn crumb_widths(path: &std::path::Path, size: egui::Vec2) -> Vec<f32> {
    let mut h = window::app(path.to_owned(), size, None, MemoryClipboard::default());
    window::unlock(&mut h, PASS);
    h.get_by_label("Environment ordering").click();
    h.run();
    h.run();
    ["neuland", "billing"]
        .iter()
        .map(|part| h.get_by_label(part).rect().width())
        .collect()
}

#[test]
fn at_760_points_names_that_fit_are_not_cut() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("crumbs.keyward");
    let mut v = Vault::create(&path, PASS, window::fast_kdf()).expect("create");
    let ws = v.add_workspace("neuland", Preset::ReadWrite).expect("ws");
    let p = v.add_project(ws.id, "billing").expect("project");
    v.add_environment(p.id, "ordering", None).expect("env");
    drop(v);
    let whole = crumb_widths(&path, egui::vec2(1400.0, 800.0));
    let small = crumb_widths(&path, egui::vec2(760.0, 480.0));
    for (w, s) in whole.iter().zip(&small) {
        assert!(
            (w - s).abs() < 1.0,
            "cut at 760: {small:?}, whole: {whole:?}"
        );
    }
}
