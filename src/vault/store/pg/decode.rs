//! Reading rows leniently: a column of the wrong type (an altered table) marks the row
//! malformed, which the vault reports as tampered, instead of failing the whole read.

use ::postgres::Row;

use crate::vault::error::{Error, Result};
use crate::vault::store::{ActivityRow, KeyRow, NodeRow};

/// Format 1 never existed on a server.
pub fn refuse_v1(v1: bool) -> Result<()> {
    if v1 {
        return Err(Error::damaged(
            "format",
            "a server vault is never in format 1",
        ));
    }
    Ok(())
}

/// Reads columns of one row, remembering whether any had the wrong type.
struct Lenient<'a> {
    row: &'a Row,
    bad: bool,
}

impl<'a> Lenient<'a> {
    fn new(row: &'a Row) -> Self {
        Lenient { row, bad: false }
    }

    fn get<T: for<'b> ::postgres::types::FromSql<'b> + Default>(&mut self, idx: usize) -> T {
        self.row.try_get::<_, T>(idx).unwrap_or_else(|_| {
            self.bad = true;
            T::default()
        })
    }

    fn opt<T: for<'b> ::postgres::types::FromSql<'b>>(&mut self, idx: usize) -> Option<T> {
        self.row.try_get::<_, Option<T>>(idx).unwrap_or_else(|_| {
            self.bad = true;
            None
        })
    }
}

pub fn node_row_of(r: &Row) -> NodeRow {
    let mut l = Lenient::new(r);
    let row = NodeRow {
        id: l.get(0),
        parent_id: l.get(1),
        kind: l.get(2),
        version: l.get(3),
        sealed: l.get(4),
        malformed: false,
    };
    NodeRow {
        malformed: l.bad,
        ..row
    }
}

pub fn key_row_of(r: &Row) -> KeyRow {
    let mut l = Lenient::new(r);
    let row = KeyRow {
        id: l.get(0),
        node_id: l.get(1),
        key_id: l.get(2),
        version: l.get(3),
        full_access: l.get(4),
        last_used_at: l.opt(5),
        sealed: l.get(6),
        matched_previous: false,
        malformed: false,
    };
    KeyRow {
        malformed: l.bad,
        ..row
    }
}

pub fn activity_row_of(r: &Row) -> ActivityRow {
    let mut l = Lenient::new(r);
    let row = ActivityRow {
        seq: l.get(0),
        at: l.get(1),
        action: l.get(2),
        node_id: l.opt(3),
        sealed: l.get(4),
        mac: l.get(5),
        malformed: false,
    };
    ActivityRow {
        malformed: l.bad,
        ..row
    }
}
