//! Table semantics for a table drawn with egui_extras' `TableBuilder`, which gives its cells no
//! roles (a screen reader hears a flat run of labels): one Table node, a Row node per drawn row
//! and a Cell or ColumnHeader node per cell, so a reader moves by row and column and names the
//! column a cell is in.

use egui::accesskit::Role;
use egui::{Id, Ui, UiBuilder};
use egui_extras::TableRow;

/// The table's node; rows and cells hang under it.
#[derive(Clone, Copy)]
pub struct A11yTable {
    id: Id,
}

impl A11yTable {
    /// A `Ui` whose node is the table named `name`, to draw the `TableBuilder` in (then
    /// [`A11yTable::end`]): `id` is that node's id (no widget's: a focusable widget on it would
    /// lose its focus), `rows` counts every row with the header, as only the rows in view are
    /// drawn.
    pub fn begin(ui: &mut Ui, id: Id, name: &str, rows: usize, columns: usize) -> (Ui, A11yTable) {
        let table_ui = ui.new_child(
            UiBuilder::new()
                .scope_id(id)
                .accessibility_role(Role::Table)
                .accessibility_label(name),
        );
        ui.ctx().accesskit_node_builder(id, |node| {
            node.set_row_count(rows);
            node.set_column_count(columns);
        });
        (table_ui, A11yTable { id })
    }

    /// Places the table drawn in `table_ui` in `ui`.
    pub fn end(self, ui: &mut Ui, table_ui: Ui) {
        let rect = table_ui.min_rect();
        drop(table_ui);
        ui.advance_cursor_after_rect(rect);
    }

    /// The header row's cell in `column`, named "`name` column" (the header's own button or
    /// label keeps the bare name, so each name still finds one control), holding what `add`
    /// draws (in place of `header.col(add)`).
    pub fn header_col(
        self,
        header: &mut TableRow<'_, '_>,
        column: usize,
        name: &str,
        add: impl FnOnce(&mut Ui),
    ) {
        let name = format!("{name} column");
        header.col(|ui| self.cell_with(ui, 0, column, Role::ColumnHeader, Some(&name), add));
    }

    /// A body row's cell in `column` holding what `add` draws (in place of `row.col(add)`).
    /// The header is the table's row 0, so body row `n` is row `n + 1`.
    pub fn col(self, row: &mut TableRow<'_, '_>, column: usize, add: impl FnOnce(&mut Ui)) {
        let index = row.index() + 1;
        row.col(|ui| self.cell_with(ui, index, column, Role::Cell, None, add));
    }

    /// Marks body row `row` as the current one (the arrow keys' row): a reader follows it while
    /// the table has focus.
    pub fn set_current(self, ctx: &egui::Context, row: usize) {
        let row_id = self.row_id(row + 1);
        if ctx.has_accesskit_node(row_id) {
            ctx.accesskit_node_builder(self.id, |node| {
                node.set_active_descendant(row_id.accesskit_id());
            });
        }
    }

    fn row_id(self, row: usize) -> Id {
        self.id.with(("a11y_row", row))
    }

    fn cell_with<R>(
        self,
        ui: &mut Ui,
        row: usize,
        column: usize,
        role: Role,
        name: Option<&str>,
        add: impl FnOnce(&mut Ui) -> R,
    ) -> R {
        // With no accessibility tree (no screen reader asked) there is nothing to build.
        let enabled = ui
            .ctx()
            .accesskit_node_builder(egui::accesskit_root_id(), |_| ())
            .is_some();
        if !enabled {
            return add(ui);
        }
        let row_id = self.row_id(row);
        if !ui.ctx().has_accesskit_node(row_id) {
            // A row is no `Ui` of egui_extras': an empty one stands for it, made by its first
            // cell.
            let at = egui::Rect::from_min_size(ui.max_rect().min, egui::Vec2::ZERO);
            let row_ui = ui.new_child(
                UiBuilder::new()
                    .scope_id(row_id)
                    .max_rect(at)
                    .accessibility_parent(self.id)
                    .accessibility_role(Role::Row),
            );
            drop(row_ui);
            ui.ctx()
                .accesskit_node_builder(row_id, |node| node.set_row_index(row));
        }
        let mut builder = UiBuilder::new()
            .id_salt(("a11y_cell", row, column))
            .accessibility_parent(row_id)
            .accessibility_role(role);
        if let Some(name) = name {
            builder = builder.accessibility_label(name);
        }
        ui.scope_builder(builder, |ui| {
            ui.ctx().accesskit_node_builder(ui.unique_id(), |node| {
                node.set_row_index(row);
                node.set_column_index(column);
            });
            add(ui)
        })
        .inner
    }
}
