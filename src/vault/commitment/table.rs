//! The sealed tables the commitment covers, and their names in bucket keys.

/// The sealed tables the commitment covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Nodes,
    Keys,
}

impl Table {
    pub const ALL: [Table; 2] = [Table::Nodes, Table::Keys];

    pub fn name(self) -> &'static str {
        match self {
            Table::Nodes => "nodes",
            Table::Keys => "keys",
        }
    }

    pub(super) fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }
}
