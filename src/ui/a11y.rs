//! Accessible names in plain words: a button drawn as "🔒 Lock" is named "Lock" (egui's
//! `Response::accessible_name`), without the pictogram a screen reader would spell out.

/// True if `text` has a pictogram: an emoji, a dingbat or another symbol a screen reader reads
/// out by its Unicode name.
pub fn has_pictogram(text: &str) -> bool {
    text.chars().any(|c| {
        matches!(u32::from(c),
            0x2190..=0x21FF // arrows
            | 0x2300..=0x23FF // technical (⏶ ⏺)
            | 0x2460..=0x24FF
            | 0x25A0..=0x27BF // shapes, symbols, dingbats (⚙ ✏ ⚠)
            | 0x2900..=0x297F
            | 0x2B00..=0x2BFF
            | 0xFE0F
            | 0x1F000..=0x1FAFF)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn pictograms() {
        for s in [
            "🔒 Lock",
            "⚙ Settings",
            "✏",
            "⏶",
            "➕ Add",
            "📋 Copy",
            "⚠ Store",
        ] {
            assert!(super::has_pictogram(s), "{s}");
        }
        for s in [
            "Lock",
            "Add New Key",
            "研发部",
            "café",
            "a › b",
            "Ünïcode – ok",
        ] {
            assert!(!super::has_pictogram(s), "{s}");
        }
    }
}
