//! `cargo bench --bench window`: CPU time of one frame of the whole window (egui_kittest, no
//! GPU) with 100,000 keys listed, at 1280x800 and at the smallest window (760x480), of the
//! frame in which a search over them runs, and the time from start to the first frame.
//! kittest also builds the accessibility tree every frame, so these are upper bounds.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use keyward::ui::clipboard::MemoryClipboard;
use keyward::ui::{AppOptions, KeywardApp};
use keyward::vault::{KdfParams, NewKey, Preset, Vault};

const PASS: &str = "benchmark passphrase";

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The median time of `n` frames in a row.
fn median_frame<S>(h: &mut egui_kittest::Harness<'_, S>, n: usize) -> Duration {
    median(
        (0..n)
            .map(|_| {
                let t = Instant::now();
                h.step();
                t.elapsed()
            })
            .collect(),
    )
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let n: usize = std::env::var("KEYWARD_BENCH_KEYS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("window.keyward");
    let params = KdfParams::new(8, 1).expect("kdf");
    let mut vault = Vault::create(&path, PASS, params).expect("create");
    let ws = vault.add_workspace("bench", Preset::ReadWrite).expect("ws");
    for chunk in 0..n.div_ceil(10_000) {
        let batch = (chunk * 10_000..((chunk + 1) * 10_000).min(n))
            .map(|i| {
                NewKey::named(format!("key-{i:06}")).scopes(if i % 3 == 0 {
                    vec!["write"]
                } else {
                    Vec::new()
                })
            })
            .collect();
        vault.create_keys(ws.id, batch).expect("bulk create");
    }
    drop(vault);

    let vault_path = path.clone();
    let started = Instant::now();
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| {
            KeywardApp::new(
                cc,
                AppOptions {
                    vault_path,
                    clipboard: Box::new(MemoryClipboard::default()),
                    download_dir: None,
                    new_vault_kdf: params,
                },
            )
        });
    // Building the harness runs the app's first frame (the unlock screen).
    let first_frame = started.elapsed();
    let field = h.get_by_label("Passphrase");
    field.focus();
    field.type_text(PASS);
    h.run();
    h.get_by_label("Unlock").click();
    let unlock_started = Instant::now();
    while h.state().is_locked() {
        h.step();
        std::thread::sleep(Duration::from_millis(1));
    }
    let unlock = unlock_started.elapsed();
    h.run();

    let frames = median_frame(&mut h, 60);

    // Each round types a query matching 10% of the keys, then clears it (all keys again);
    // both frames filter and sort every row.
    let mut narrowing = Vec::new();
    let mut clearing = Vec::new();
    for i in 0..10 {
        h.get_by_label("Search keys").focus();
        h.step();
        let t = Instant::now();
        h.get_by_label("Search keys")
            .type_text(&format!("key-0{i}"));
        h.step();
        narrowing.push(t.elapsed());
        h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
        h.step();
        let t = Instant::now();
        h.key_press(egui::Key::Backspace);
        h.step();
        clearing.push(t.elapsed());
    }
    // The same table at the smallest window (760x480: fewer columns, fewer rows on screen).
    h.set_size(egui::vec2(760.0, 480.0));
    h.run();
    let small_frames = median_frame(&mut h, 60);
    let shown = h
        .state()
        .session()
        .map(|s| (s.keys.search.clone(), s.keys.visible_len()));
    println!("keys listed: {n}; after the searches: {shown:?}");
    println!(
        "start to the first frame (unlock screen, fonts): {}",
        ms(first_frame)
    );
    println!("unlock + first list (8 MiB KDF): {}", ms(unlock));
    println!("one frame, whole window, median of 60: {}", ms(frames));
    println!(
        "one frame at the smallest window (760x480), median of 60: {}",
        ms(small_frames)
    );
    println!(
        "frame typing a search that keeps 10% of the keys, median of 10: {}",
        ms(median(narrowing))
    );
    println!(
        "frame clearing the search (all keys back, re-sorted), median of 10: {}",
        ms(median(clearing))
    );
}
