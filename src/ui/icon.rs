//! The window icon: the same PNGs the desktop entry's icon theme uses
//! (`assets/icons/hicolor/<size>/apps/<APP_ID>.png`).

use std::sync::Arc;

/// The sizes shipped under `assets/icons/hicolor/`, in pixels.
pub const SIZES: [u32; 7] = [16, 24, 32, 48, 64, 128, 256];

/// The largest size: window managers scale it down for title bars and task switchers.
const ICON_256: &[u8] =
    include_bytes!("../../assets/icons/hicolor/256x256/apps/dev.keyward.Keyward.png");

/// The window icon, decoded; `None` only if the embedded PNG were broken (then the platform's
/// default icon shows, the window still opens).
pub fn window_icon() -> Option<Arc<egui::IconData>> {
    eframe::icon_data::from_png_bytes(ICON_256)
        .ok()
        .map(Arc::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_size_is_a_square_png_of_that_size() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/icons/hicolor");
        for size in SIZES {
            let path = root.join(format!("{size}x{size}/apps/{}.png", crate::APP_ID));
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let icon = eframe::icon_data::from_png_bytes(&bytes).expect("a PNG");
            assert_eq!(
                (icon.width, icon.height),
                (size, size),
                "{}",
                path.display()
            );
            // Not a blank square: the key is drawn on a coloured, rounded tile.
            assert!(
                icon.rgba.chunks(4).any(|p| p[3] == 0),
                "transparent corners"
            );
            assert!(icon.rgba.chunks(4).any(|p| p[3] == 255), "an opaque tile");
        }
        let icon = window_icon().expect("the window icon decodes");
        assert_eq!((icon.width, icon.height), (256, 256));
    }
}
