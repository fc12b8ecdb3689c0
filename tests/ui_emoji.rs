//! Emoji in names users give (issue 22, item 11): "🚀 prod deploy" shows a coloured rocket at
//! text size, while the window's own pictograms (the status dot, 🔑) keep the colours the theme
//! and the key's status give them.

mod common;

use common::PASS;
use common::window::{self, App};
use egui::epaint::text::Glyph;
use egui_kittest::kittest::Queryable as _;
use keyward::ui::clipboard::MemoryClipboard;
use keyward::ui::fonts::{SystemFallback, font_dirs};
use keyward::vault::{NewKey, Preset, Vault};

const KEY: &str = "🚀 prod deploy";
const WORKSPACE: &str = "🔥 hotfix";
const DESCRIPTION: &str = "🚢 ships billing";
const OWNER: &str = "🛠 platform";

/// Whether a colour emoji font is installed; without one (and without
/// `KEYWARD_REQUIRE_FONTS=1`) the colour checks are skipped.
fn colour_font_installed() -> bool {
    let required = std::env::var_os("KEYWARD_REQUIRE_FONTS").is_some_and(|v| v == "1");
    if SystemFallback::new(font_dirs()).colour_emoji().is_some() {
        return true;
    }
    assert!(
        !required,
        "no colour emoji font installed (fonts-noto-color-emoji)"
    );
    eprintln!("SKIPPED: no colour emoji font on this machine (Debian: fonts-noto-color-emoji)");
    false
}

/// The window at `size` on a vault with the workspace `WORKSPACE` and the key `KEY` in its
/// environment prod, unlocked, prod open.
fn window_with_emoji_names(dir: &tempfile::TempDir, size: egui::Vec2) -> App {
    let path = dir.path().join("emoji.keyward");
    let mut v = Vault::create(&path, PASS, window::fast_kdf()).expect("create");
    let ws = v.add_workspace(WORKSPACE, Preset::ReadWrite).expect("ws");
    let p = v.add_project(ws.id, "billing").expect("project");
    let env = v.add_environment(p.id, "prod", None).expect("env");
    let mut key = NewKey::named(KEY).scopes(["read"]);
    key.details = keyward::vault::KeyDetails {
        description: DESCRIPTION.into(),
        owner: OWNER.into(),
        tags: vec!["ci".into()],
    };
    v.create_keys(env.id, vec![key]).expect("key");
    drop(v);
    let mut h = window::app(path, size, None, MemoryClipboard::default());
    window::unlock(&mut h, PASS);
    assert!(!h.state().is_locked(), "{:?}", h.state().status_text());
    h.get_by_label("Environment prod").click();
    h.run();
    h.run();
    h
}

/// The glyphs of `c` in every drawn text that contains `text`.
fn glyphs_of(h: &App, text: &str, c: char) -> Vec<Glyph> {
    let drawn = window::drawn_texts(h);
    let found: Vec<Glyph> = drawn
        .iter()
        .filter(|g| g.text().contains(text))
        .flat_map(|g| g.rows.iter().flat_map(|r| r.glyphs.iter().cloned()))
        .filter(|g| g.chr == c)
        .collect();
    assert!(
        !found.is_empty(),
        "{text:?} is not drawn: {:?}",
        drawn
            .iter()
            .map(|g| g.text().to_owned())
            .collect::<Vec<_>>()
    );
    found
}

/// How many of the glyph's pixels in the font atlas are clearly coloured (not grey).
fn coloured_pixels(h: &App, glyph: &Glyph) -> usize {
    let atlas = h.ctx.fonts(|f| f.image());
    let [x0, y0] = glyph.uv_rect.min.map(usize::from);
    let [x1, y1] = glyph.uv_rect.max.map(usize::from);
    (y0..y1)
        .flat_map(|y| (x0..x1).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let [r, g, b, a] = atlas[(x, y)].to_array();
            let (hi, lo) = (r.max(g).max(b), r.min(g).min(b));
            a > 64 && hi - lo > 48
        })
        .count()
}

#[test]
fn an_emoji_in_a_key_name_is_drawn_in_colour_and_the_status_dot_is_not() {
    if !colour_font_installed() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let h = window_with_emoji_names(&dir, egui::vec2(1180.0, 760.0));
    for rocket in glyphs_of(&h, KEY, '🚀') {
        assert!(rocket.is_color, "the rocket in the table is monochrome");
        assert!(
            coloured_pixels(&h, &rocket) > 20,
            "the rocket's pixels are grey"
        );
    }
    for flame in glyphs_of(&h, WORKSPACE, '🔥') {
        assert!(flame.is_color, "the flame in the sidebar is monochrome");
    }
    // The window's own pictograms take the text colour they are given.
    for dot in glyphs_of(&h, "Active", '⏺') {
        assert!(!dot.is_color, "the status dot lost its status colour");
    }
    for key in glyphs_of(&h, "Keyward", '🔑') {
        assert!(!key.is_color, "the app name's key lost its theme colour");
    }
}

#[test]
fn an_emoji_in_a_name_has_the_size_of_the_text_beside_it() {
    if !colour_font_installed() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let h = window_with_emoji_names(&dir, egui::vec2(760.0, 480.0));
    let drawn = window::drawn_texts(&h);
    let galley = drawn
        .iter()
        .find(|g| g.text() == KEY)
        .expect("the name is drawn alone");
    let row = &galley.rows[0];
    let glyph = |c: char| row.glyphs.iter().find(|g| g.chr == c).expect("glyph");
    let (rocket, p, d) = (glyph('🚀'), glyph('p'), glyph('d'));
    // Its box: where the atlas image is drawn, relative to the row.
    let top = |g: &Glyph| g.pos.y + g.uv_rect.offset.y;
    let bottom = |g: &Glyph| top(g) + g.uv_rect.size.y;
    let text_height = bottom(p) - top(d); // ascender to descender
    let rocket_height = rocket.uv_rect.size.y;
    assert!(
        rocket_height > 0.8 * text_height && rocket_height < 1.3 * text_height,
        "the rocket is {rocket_height} points high beside text {text_height} points high"
    );
    assert!(
        top(rocket) > top(d) - 0.2 * text_height && bottom(rocket) < bottom(p) + 0.2 * text_height,
        "the rocket ({}..{}) sits off the text line ({}..{})",
        top(rocket),
        bottom(rocket),
        top(d),
        bottom(p)
    );
    // Every glyph of the name stays within its row, so the row height does not jump.
    assert!(
        galley.rect.height() <= row.height() + 0.5,
        "{:?}",
        galley.rect
    );
    assert!(rocket.advance_width < 1.6 * text_height);
}

/// Every glyph of `c` drawn in a text containing `text` is in colour.
fn assert_colour(h: &App, text: &str, c: char, where_: &str) {
    for glyph in glyphs_of(h, text, c) {
        assert!(
            glyph.is_color,
            "the {c} in {where_} ({text:?}) is monochrome"
        );
    }
}

#[test]
fn the_details_of_a_key_draw_the_emoji_of_its_name_description_and_owner_in_colour() {
    if !colour_font_installed() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    // Wide: the details beside the list.
    let mut h = window_with_emoji_names(&dir, egui::vec2(1180.0, 760.0));
    h.get_by_label(&format!("Actions for {KEY}")).click();
    h.run();
    h.get_by_label(&format!("Details of {KEY}")).click();
    h.run();
    h.run();
    assert_colour(&h, &format!("Key {KEY}"), '🚀', "the panel's title");
    assert_colour(&h, DESCRIPTION, '🚢', "the description");
    assert_colour(&h, OWNER, '🛠', "the owner");
    assert_colour(&h, &format!("'{KEY}'"), '🚀', "the key's activity");
    // The whole vault's activity names it too.
    h.get_by_label("Vault").click();
    h.run();
    h.get_by_label("Activity of the whole vault").click();
    h.run();
    h.run();
    assert_colour(&h, &format!("'{KEY}'"), '🚀', "the vault's activity");
    // Narrow: the details as a dialog, titled by the key's name.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = window_with_emoji_names(&dir, egui::vec2(760.0, 480.0));
    h.get_by_label(&format!("Actions for {KEY}")).click();
    h.run();
    h.get_by_label(&format!("Details of {KEY}")).click();
    h.run();
    h.run();
    assert_colour(&h, &format!("Key {KEY}"), '🚀', "the dialog's title");
    assert_colour(&h, DESCRIPTION, '🚢', "the dialog's description");
}

#[test]
fn dialogs_tooltips_and_name_fields_draw_the_emoji_of_a_name_in_colour() {
    if !colour_font_installed() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = window_with_emoji_names(&dir, egui::vec2(1180.0, 760.0));
    // The confirmation names the key in its title.
    h.get_by_label(&format!("Delete {KEY}")).click();
    h.run();
    assert_colour(&h, &format!("Delete {KEY}?"), '🚀', "the confirmation");
    h.get_by_label("Cancel").click();
    h.run();
    // So does the trash button's tooltip.
    h.get_by_label(&format!("Delete {KEY}")).hover();
    h.run();
    assert_colour(&h, &format!("Delete {KEY}"), '🚀', "the tooltip");
    // The edit dialog: its title and the name typed in its field.
    h.get_by_label(&format!("Actions for {KEY}")).click();
    h.run();
    h.get_by_label(&format!("Edit details of {KEY}")).click();
    h.run();
    h.run();
    assert_colour(&h, &format!("Edit {KEY}"), '🚀', "the edit dialog's title");
    assert_eq!(h.get_by_label("Key name").value().as_deref(), Some(KEY));
    assert_colour(&h, DESCRIPTION, '🚢', "the description field");
    assert_colour(&h, OWNER, '🛠', "the owner field");
    // The window's own pictograms stay out of the names family.
    for key in glyphs_of(&h, "Keyward", '🔑') {
        assert!(!key.is_color, "the app name's key lost its theme colour");
    }
}
