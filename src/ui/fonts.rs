//! Fallback fonts from the system for scripts the bundled fonts lack (CJK, Arabic, Hebrew,
//! Devanagari, Thai, and symbols such as ✓), and a system colour emoji font for the names
//! users give (the [`names_family`]). Nothing is loaded until text needs it; the font folders
//! are looked through once, by file name (no fontconfig library needed).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use egui::{
    FallbackRequest, FontData, FontDefinitions, FontFamily, FontInsert, FontPriority, FontProvider,
    FontTweak, InsertFontFamily, RichText,
};

/// A script the bundled fonts do not cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Script {
    Cjk,
    Arabic,
    Hebrew,
    Devanagari,
    Thai,
    /// Anything else: symbols, other alphabets.
    Other,
}

impl Script {
    pub fn of(c: char) -> Script {
        match u32::from(c) {
            0x0590..=0x05FF | 0xFB1D..=0xFB4F => Script::Hebrew,
            0x0600..=0x06FF
            | 0x0750..=0x077F
            | 0x08A0..=0x08FF
            | 0xFB50..=0xFDFF
            | 0xFE70..=0xFEFF => Script::Arabic,
            0x0900..=0x097F | 0xA8E0..=0xA8FF => Script::Devanagari,
            0x0E00..=0x0E7F => Script::Thai,
            0x1100..=0x11FF
            | 0x2E80..=0x9FFF
            | 0xA960..=0xA97F
            | 0xAC00..=0xD7FF
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFFEF
            | 0x20000..=0x3FFFF => Script::Cjk,
            _ => Script::Other,
        }
    }

    /// Font files (lower-case names, `(file, face index)`) that cover the script, best first:
    /// Linux distributions' packages, then macOS and Windows system fonts.
    fn candidates(self) -> &'static [(&'static str, u32)] {
        match self {
            Script::Cjk => &[
                ("notosanscjk-regular.ttc", 0),
                ("notosanscjksc-regular.otf", 0),
                ("notosanssc-regular.otf", 0),
                ("notosanssc-regular.ttf", 0),
                ("sourcehansans-regular.ttc", 0),
                ("wqy-microhei.ttc", 0),
                ("wqy-zenhei.ttc", 0),
                ("droidsansfallbackfull.ttf", 0),
                ("droidsansfallback.ttf", 0),
                ("uming.ttc", 0),
                ("pingfang.ttc", 0),
                ("hiragino sans gb.ttc", 0),
                ("msyh.ttc", 0),
                ("yugothm.ttc", 0),
                ("malgun.ttf", 0),
                ("simsun.ttc", 0),
            ],
            Script::Arabic => &[
                ("notosansarabic-regular.ttf", 0),
                ("notosansarabic-regular.otf", 0),
                ("notonaskharabic-regular.ttf", 0),
                ("notokufiarabic-regular.ttf", 0),
                ("dejavusans.ttf", 0),
                ("kacstone.ttf", 0),
                ("geezapro.ttc", 0),
                ("segoeui.ttf", 0),
                ("arial.ttf", 0),
            ],
            Script::Hebrew => &[
                ("notosanshebrew-regular.ttf", 0),
                ("notosanshebrew-regular.otf", 0),
                ("dejavusans.ttf", 0),
                ("freesans.ttf", 0),
                ("freesans.otf", 0),
                ("arialhb.ttc", 0),
                ("segoeui.ttf", 0),
                ("arial.ttf", 0),
            ],
            Script::Devanagari => &[
                ("notosansdevanagari-regular.ttf", 0),
                ("notosansdevanagari-regular.otf", 0),
                ("lohit-devanagari.ttf", 0),
                ("gargi.ttf", 0),
                ("kalimati.ttf", 0),
                ("freeserif.ttf", 0),
                ("freeserif.otf", 0),
                ("kohinoordevanagari.ttc", 0),
                ("nirmala.ttf", 0),
                ("nirmala.ttc", 0),
                ("mangal.ttf", 0),
            ],
            Script::Thai => &[
                ("notosansthai-regular.ttf", 0),
                ("notosansthai-regular.otf", 0),
                ("loma.ttf", 0),
                ("loma.otf", 0),
                ("garuda.ttf", 0),
                ("garuda.otf", 0),
                ("tlwgtypo.ttf", 0),
                ("freeserif.ttf", 0),
                ("thonburi.ttc", 0),
                ("leelawui.ttf", 0),
                ("tahoma.ttf", 0),
            ],
            Script::Other => &[
                ("dejavusans.ttf", 0),
                ("notosans-regular.ttf", 0),
                ("notosanssymbols2-regular.ttf", 0),
                ("freesans.ttf", 0),
                ("freeserif.ttf", 0),
                ("liberationsans-regular.ttf", 0),
                ("segoeuisymbol.ttf", 0),
                ("seguisym.ttf", 0),
                ("arial unicode.ttf", 0),
            ],
        }
    }
}

/// Colour emoji fonts egui can draw (CBDT, COLR or sbix glyphs), best first: Debian's and
/// Fedora's packages, then macOS and Windows.
const COLOUR_EMOJI: &[(&str, u32)] = &[
    ("notocoloremoji.ttf", 0),
    ("twemoji.ttf", 0),
    ("apple color emoji.ttc", 0),
    ("seguiemj.ttf", 0),
];

/// The font family for names users give (keys, workspaces, projects, environments): the
/// proportional fonts with a colour emoji font before the monochrome one, so "🚀 prod" shows
/// a coloured rocket. Only user text uses it: a colour glyph ignores the text colour, and the
/// window's own pictograms (the status dot, 🔑, ⚠) must keep their theme and status colours.
pub fn names_family() -> FontFamily {
    FontFamily::Name(NAMES.into())
}

const NAMES: &str = "names";

/// `text` (a name a user gave) in the [`names_family`].
pub fn name_text(text: impl Into<String>) -> RichText {
    RichText::new(text).family(names_family())
}

/// The font for fields where names are typed: body size in the [`names_family`] (the cursor
/// and selection follow the laid-out glyphs, colour ones included).
pub fn name_font(style: &egui::Style) -> egui::FontId {
    egui::FontId::new(egui::TextStyle::Body.resolve(style).size, names_family())
}

/// Texts drawn as one, each in its own family: the window's pictogram in the proportional
/// family and a name beside it in the names family ("🏢 acme"). Unset colours stay the widget's.
pub fn joined(
    style: &egui::Style,
    parts: impl IntoIterator<Item = RichText>,
) -> egui::text::LayoutJob {
    let mut job = egui::text::LayoutJob::default();
    for part in parts {
        part.append_to(
            &mut job,
            style,
            egui::FontSelection::Default,
            egui::Align::Center,
        );
    }
    job
}

/// The usual font folders: fontconfig's defaults on Linux and the BSDs, then macOS and Windows.
pub fn font_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(data) = std::env::var_os("XDG_DATA_HOME") {
        dirs.push(PathBuf::from(data).join("fonts"));
    }
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
        dirs.push(home.join(".local/share/fonts"));
        dirs.push(home.join(".fonts"));
        dirs.push(home.join("Library/Fonts"));
    }
    let data_dirs =
        std::env::var("XDG_DATA_DIRS").unwrap_or_else(|_| "/usr/local/share:/usr/share".to_owned());
    for dir in data_dirs.split(':').filter(|d| !d.is_empty()) {
        dirs.push(Path::new(dir).join("fonts"));
    }
    for dir in [
        "/usr/share/fonts",
        "/usr/local/share/fonts",
        "/usr/X11R6/lib/X11/fonts",
        "/System/Library/Fonts",
        "/Library/Fonts",
    ] {
        dirs.push(PathBuf::from(dir));
    }
    if let Some(windir) = std::env::var_os("WINDIR") {
        dirs.push(PathBuf::from(windir).join("Fonts"));
    }
    let mut seen = std::collections::HashSet::new();
    dirs.retain(|d| seen.insert(d.clone()));
    dirs
}

/// Every font file under `dirs` by lower-case file name (the first one found wins).
fn index_fonts(dirs: &[PathBuf]) -> HashMap<String, PathBuf> {
    let mut found = HashMap::new();
    let mut stack: Vec<(PathBuf, usize)> = dirs.iter().map(|d| (d.clone(), 0)).collect();
    // Bounded: font trees are a few levels deep; a link loop must not hang the first frame.
    let mut budget = 50_000usize;
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            budget = budget.saturating_sub(1);
            if budget == 0 {
                return found;
            }
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() || (kind.is_symlink() && path.is_dir()) {
                if depth < 6 {
                    stack.push((path, depth + 1));
                }
            } else if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                let lower = name.to_lowercase();
                if lower.ends_with(".ttf") || lower.ends_with(".otf") || lower.ends_with(".ttc") {
                    found.entry(lower).or_insert(path);
                }
            }
        }
    }
    found
}

/// Finds system fonts on demand for characters no installed font has (an egui
/// [`FontProvider`]). Each file is read once and shared.
pub struct SystemFallback {
    dirs: Vec<PathBuf>,
    index: OnceLock<HashMap<String, PathBuf>>,
    loaded: Mutex<HashMap<PathBuf, Option<FontData>>>,
    /// The colour emoji font, looked for when names are first drawn.
    colour: OnceLock<Option<FontInsert>>,
    /// The [`names_family`]'s fonts after the colour emoji font (the monochrome emoji).
    names_tail: Vec<FontInsert>,
}

impl SystemFallback {
    pub fn new(dirs: Vec<PathBuf>) -> SystemFallback {
        SystemFallback {
            dirs,
            index: OnceLock::new(),
            loaded: Mutex::new(HashMap::new()),
            colour: OnceLock::new(),
            names_tail: Vec::new(),
        }
    }

    fn index(&self) -> &HashMap<String, PathBuf> {
        self.index.get_or_init(|| index_fonts(&self.dirs))
    }

    /// The first installed font file for `script`, with its face index.
    pub fn font_file(&self, script: Script) -> Option<(PathBuf, u32)> {
        let index = self.index();
        script
            .candidates()
            .iter()
            .find_map(|(name, face)| index.get(*name).map(|p| (p.clone(), *face)))
    }

    /// The installed colour emoji font egui can draw, read and checked once; `None` when there
    /// is none (names then show the monochrome emoji, as the rest of the window does).
    pub fn colour_emoji(&self) -> Option<FontInsert> {
        self.colour
            .get_or_init(|| {
                COLOUR_EMOJI.iter().find_map(|(name, face)| {
                    let path = self.index().get(*name)?.clone();
                    let data = self.load(&path, *face)?;
                    if !is_colour_emoji(&data) {
                        log::debug!("{} has no colour emoji egui can draw", path.display());
                        return None;
                    }
                    let name = format!("system:{}", path.file_name()?.to_string_lossy());
                    Some(FontInsert::new(
                        &name,
                        data.tweak(emoji_tweak()),
                        Vec::new(),
                    ))
                })
            })
            .clone()
    }

    fn load(&self, path: &Path, face: u32) -> Option<FontData> {
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        loaded
            .entry(path.to_owned())
            .or_insert_with(|| match std::fs::read(path) {
                Ok(bytes) => Some(FontData::from_blob(Arc::new(bytes), face)),
                Err(e) => {
                    log::debug!("fallback font {} unreadable: {e}", path.display());
                    None
                }
            })
            .clone()
    }
}

impl FontProvider for SystemFallback {
    fn font_for(&self, request: &FallbackRequest<'_>) -> Option<FontInsert> {
        let c = request.cluster.chars().next()?;
        let (path, face) = self.font_file(Script::of(c))?;
        let data = self.load(&path, face)?;
        let name = format!("system:{}", path.file_name()?.to_string_lossy());
        Some(FontInsert::new(
            &name,
            data,
            vec![InsertFontFamily {
                family: request.family.clone(),
                priority: FontPriority::Lowest,
            }],
        ))
    }

    /// The names family's colour emoji font and the monochrome ones after it (the text fonts
    /// before it are configured in [`with_names_family`]).
    fn fonts_for_family(&self, family: &FontFamily) -> Vec<FontInsert> {
        if *family != names_family() {
            return Vec::new();
        }
        let mut fonts: Vec<FontInsert> = self.colour_emoji().into_iter().collect();
        fonts.extend(self.names_tail.iter().cloned());
        fonts
    }
}

/// Scales the colour emoji to the monochrome emoji's size so that a name's emoji sit within
/// its line like the window's pictograms.
fn emoji_tweak() -> FontTweak {
    FontTweak {
        scale: 0.81,
        ..FontTweak::default()
    }
}

/// Whether `data` parses (egui panics on a configured font it cannot parse) and draws emoji
/// in colour (a `COLR`, `CBDT` or `sbix` table, and a glyph for 😀).
fn is_colour_emoji(data: &FontData) -> bool {
    use skrifa::MetadataProvider as _;
    use skrifa::raw::TableProvider as _;
    let bytes: &[u8] = (*data.font).as_ref();
    let Ok(font) = skrifa::FontRef::from_index(bytes, data.index) else {
        return false;
    };
    let colour = font.colr().is_ok() || font.cbdt().is_ok() || font.sbix().is_ok();
    colour && font.charmap().map('\u{1F600}').is_some()
}

/// `definitions` with the [`names_family`]: the proportional text fonts, up to the monochrome
/// emoji. The rest, returned, go after the colour emoji font, which the fallback adds when a
/// name is first drawn (no emoji font installed: the same fonts as the proportional family).
fn with_names_family(mut definitions: FontDefinitions) -> (FontDefinitions, Vec<FontInsert>) {
    let proportional = definitions
        .families
        .get(&FontFamily::Proportional)
        .cloned()
        .unwrap_or_default();
    let split = proportional
        .iter()
        .position(|name| name == "NotoEmoji-Regular")
        .unwrap_or(proportional.len());
    let tail = proportional[split..]
        .iter()
        .filter_map(|name| {
            let data = definitions.font_data.get(name)?;
            Some(FontInsert::new(name, (**data).clone(), Vec::new()))
        })
        .collect();
    definitions
        .families
        .insert(names_family(), proportional[..split].to_vec());
    (definitions, tail)
}

/// Installs the names family and the fallback on the window's context.
pub fn install(ctx: &egui::Context) {
    install_from(ctx, font_dirs());
}

fn install_from(ctx: &egui::Context, dirs: Vec<PathBuf>) {
    let (definitions, names_tail) = with_names_family(FontDefinitions::default());
    ctx.set_fonts(definitions);
    let mut fallback = SystemFallback::new(dirs);
    fallback.names_tail = names_tail;
    ctx.add_font_provider(Arc::new(fallback));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_by_character() {
        assert_eq!(Script::of('東'), Script::Cjk);
        assert_eq!(Script::of('한'), Script::Cjk);
        assert_eq!(Script::of('カ'), Script::Cjk);
        assert_eq!(Script::of('ع'), Script::Arabic);
        assert_eq!(Script::of('ש'), Script::Hebrew);
        assert_eq!(Script::of('क'), Script::Devanagari);
        assert_eq!(Script::of('ก'), Script::Thai);
        assert_eq!(Script::of('✓'), Script::Other);
    }

    #[test]
    fn a_font_is_found_by_name_in_nested_folders_and_loaded_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let nested = dir.path().join("truetype/wqy");
        std::fs::create_dir_all(&nested).expect("mkdir");
        std::fs::write(nested.join("WQY-MicroHei.ttc"), b"not really a font").expect("write");
        let fallback = SystemFallback::new(vec![dir.path().to_owned(), dir.path().join("none")]);
        let (path, face) = fallback.font_file(Script::Cjk).expect("found");
        assert_eq!(path, nested.join("WQY-MicroHei.ttc"));
        assert_eq!(face, 0);
        assert!(fallback.font_file(Script::Thai).is_none());
        let a = fallback.load(&path, 0).expect("read");
        std::fs::remove_file(&path).expect("rm");
        assert!(fallback.load(&path, 0).is_some(), "read once, then shared");
        assert_eq!(a.index, 0);
    }

    #[test]
    fn without_a_colour_emoji_font_names_are_drawn_as_the_rest_of_the_window() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A file by the colour font's name that is no font: refused, never handed to egui
        // (which panics on a configured font it cannot parse).
        std::fs::write(dir.path().join("NotoColorEmoji.ttf"), b"not a font").expect("write");
        let fallback = SystemFallback::new(vec![dir.path().to_owned()]);
        assert!(fallback.colour_emoji().is_none());

        let ctx = egui::Context::default();
        install_from(&ctx, vec![dir.path().to_owned()]);
        // The font atlas is not uploaded anywhere here.
        ctx.run_ui(egui::RawInput::default(), |_| {})
            .textures_delta
            .clear();
        let font = egui::FontId::new(14.0, names_family());
        let galley = ctx.fonts_mut(|f| {
            f.layout_no_wrap("🚀 prod".to_owned(), font.clone(), egui::Color32::WHITE)
        });
        let rocket = galley.rows[0].glyphs.iter().find(|g| g.chr == '🚀');
        assert!(rocket.is_some_and(|g| !g.is_color), "the monochrome rocket");
        assert!(ctx.fonts_mut(|f| f.has_glyph(&font, '🚀')), "no empty box");
        // The same fonts in the same order as the proportional family.
        let (definitions, tail) = with_names_family(FontDefinitions::default());
        let names: Vec<String> = definitions.families[&names_family()]
            .iter()
            .cloned()
            .chain(tail.into_iter().map(|f| f.name))
            .collect();
        assert_eq!(names, definitions.families[&FontFamily::Proportional]);
    }
}
