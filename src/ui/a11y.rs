//! Accessible names in plain words: a button drawn as "🔒 Lock" is named "Lock" (egui's
//! `Response::accessible_name`), without the pictogram a screen reader would spell out.

/// True if `text` has a pictogram: an emoji, a dingbat or another symbol a screen reader reads
/// out by its Unicode name.
pub fn has_pictogram(text: &str) -> bool {
    text.chars().any(is_pictogram)
}

fn is_pictogram(c: char) -> bool {
    matches!(u32::from(c),
        0x2190..=0x21FF // arrows
        | 0x2300..=0x23FF // technical (⏶ ⏺)
        | 0x2460..=0x24FF
        | 0x25A0..=0x27BF // shapes, symbols, dingbats (⚙ ✏ ⚠)
        | 0x2900..=0x297F
        | 0x2B00..=0x2BFF
        | 0xFE0F
        | 0x1F000..=0x1FAFF)
}

/// The words of `text`, its pictograms left out: "⏺ Active" is "Active".
pub fn words(text: &str) -> String {
    let kept: Vec<String> = text
        .split_whitespace()
        .map(|w| w.chars().filter(|c| !is_pictogram(*c)).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect();
    kept.join(" ")
}

/// A label drawn with pictograms whose accessible text is its words only (see [`plain`]). Not
/// selectable: a selectable label also hands its drawn text, pictograms and all, to readers.
pub fn plain_label(ui: &mut egui::Ui, text: impl Into<egui::WidgetText>) -> egui::Response {
    plain(ui.add(egui::Label::new(text).selectable(false)))
}

/// Gives the widget of `response` its words only as accessible text (a label's text, another
/// widget's name): a label drawn as "⚠ Store this secret…" is read without the sign, and one
/// that is only a pictogram ("🔍" before the search field) is hidden from screen readers.
pub fn plain(response: egui::Response) -> egui::Response {
    use egui::accesskit::Role;
    response.ctx.accesskit_node_builder(response.id, |node| {
        let label = node.role() == Role::Label;
        let text = if label { node.value() } else { node.label() };
        let Some(text) = text.map(str::to_owned) else {
            return;
        };
        let words = words(&text);
        if words.is_empty() {
            node.set_hidden();
            node.clear_value();
            node.clear_label();
        } else if label {
            node.set_value(words);
        } else {
            node.set_label(words);
        }
    });
    response
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

    #[test]
    fn words_leave_pictograms_out() {
        assert_eq!(super::words("⏺ Active"), "Active");
        assert_eq!(super::words("🔍"), "");
        assert_eq!(
            super::words("⚠ 2 health findings: keys need attention."),
            "2 health findings: keys need attention."
        );
        assert_eq!(
            super::words("📋Clipboard clears in 3 s"),
            "Clipboard clears in 3 s"
        );
        assert_eq!(super::words("研发部 café › prod"), "研发部 café › prod");
    }
}
