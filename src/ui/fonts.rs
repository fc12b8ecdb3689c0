//! Fallback fonts from the system for scripts the bundled fonts lack (CJK, Arabic, Hebrew,
//! Devanagari, Thai, and symbols such as ✓). Nothing is loaded until a character needs it;
//! the font folders are looked through once, by file name (no fontconfig library needed).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use egui::{
    FallbackRequest, FontData, FontFamily, FontInsert, FontPriority, FontProvider, InsertFontFamily,
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
}

impl SystemFallback {
    pub fn new(dirs: Vec<PathBuf>) -> SystemFallback {
        SystemFallback {
            dirs,
            index: OnceLock::new(),
            loaded: Mutex::new(HashMap::new()),
        }
    }

    /// The first installed font file for `script`, with its face index.
    pub fn font_file(&self, script: Script) -> Option<(PathBuf, u32)> {
        let index = self.index.get_or_init(|| index_fonts(&self.dirs));
        script
            .candidates()
            .iter()
            .find_map(|(name, face)| index.get(*name).map(|p| (p.clone(), *face)))
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

    fn fonts_for_family(&self, _family: &FontFamily) -> Vec<FontInsert> {
        Vec::new()
    }
}

/// Installs the fallback on the window's context.
pub fn install(ctx: &egui::Context) {
    ctx.add_font_provider(Arc::new(SystemFallback::new(font_dirs())));
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
}
