//! The schema Keyward writes, per version, and the check that a file has exactly that.

use rusqlite::Connection;

use crate::vault::error::Result;

/// Schema 1 (Keyward 0.1), kept verbatim: a v1 file is compared with it before the upgrade.
pub(super) const SCHEMA_V1: &str = r#"
CREATE TABLE meta(name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE nodes(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    name_tag BLOB NOT NULL,
    sealed BLOB NOT NULL,
    UNIQUE(parent_id, name_tag)
);
CREATE TABLE keys(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    node_id INTEGER NOT NULL,
    key_id TEXT NOT NULL UNIQUE,
    name_tag BLOB NOT NULL,
    lookup BLOB NOT NULL UNIQUE,
    prev_lookup BLOB UNIQUE,
    full_access INTEGER NOT NULL DEFAULT 0,
    last_used_at INTEGER,
    sealed BLOB NOT NULL,
    UNIQUE(node_id, name_tag)
);
CREATE INDEX keys_by_node ON keys(node_id, full_access);
CREATE TABLE activity(
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    action TEXT NOT NULL,
    node_id INTEGER,
    sealed BLOB,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
);
CREATE INDEX activity_by_node ON activity(node_id);
CREATE TRIGGER activity_no_update BEFORE UPDATE ON activity
    BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END;
CREATE TRIGGER activity_no_delete BEFORE DELETE ON activity
    BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END;
"#;

/// `meta` is the same in every version (its text too: the schema check compares texts).
const META: &str = "CREATE TABLE meta(name TEXT PRIMARY KEY, value BLOB NOT NULL);";

/// Schema 2 (without `meta`, which is unchanged since 1): every sealed row has a version that is
/// bound into its associated data, and `commit_buckets` holds the state commitment's leaves.
const TABLES_V2: &str = r#"
CREATE TABLE nodes(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    version INTEGER NOT NULL,
    name_tag BLOB NOT NULL,
    sealed BLOB NOT NULL,
    UNIQUE(parent_id, name_tag)
);
CREATE TABLE keys(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    node_id INTEGER NOT NULL,
    key_id TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    name_tag BLOB NOT NULL,
    lookup BLOB NOT NULL UNIQUE,
    prev_lookup BLOB UNIQUE,
    full_access INTEGER NOT NULL DEFAULT 0,
    last_used_at INTEGER,
    sealed BLOB NOT NULL,
    UNIQUE(node_id, name_tag)
);
CREATE INDEX keys_by_node ON keys(node_id, full_access);
CREATE TABLE activity(
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    action TEXT NOT NULL,
    node_id INTEGER,
    sealed BLOB NOT NULL,
    mac BLOB NOT NULL
);
CREATE INDEX activity_by_node ON activity(node_id);
CREATE TABLE commit_buckets(
    tbl TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    entries BLOB NOT NULL,
    PRIMARY KEY(tbl, bucket)
);
"#;

/// The log is append-only for Keyward's own code paths (anyone with the file can drop these;
/// the keyed chain and the commitment are what detect an edited log). Same text in schema 1.
const TRIGGERS: [(&str, &str); 2] = [
    (
        "activity_no_update",
        "CREATE TRIGGER activity_no_update BEFORE UPDATE ON activity
    BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END;",
    ),
    (
        "activity_no_delete",
        "CREATE TRIGGER activity_no_delete BEFORE DELETE ON activity
    BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END;",
    ),
];

/// Creates the v2 tables and indexes, and `meta` when `with_meta` (a new file).
pub fn create_v2_tables(conn: &Connection, with_meta: bool) -> Result<()> {
    if with_meta {
        conn.execute_batch(META)?;
    }
    conn.execute_batch(TABLES_V2)?;
    Ok(())
}

pub fn create_v2_triggers(conn: &Connection) -> Result<()> {
    for (_, sql) in TRIGGERS {
        conn.execute_batch(sql)?;
    }
    Ok(())
}

type Object = (String, String, String, Option<String>);

fn objects(conn: &Connection) -> Result<Vec<Object>> {
    let mut stmt = conn.prepare(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name, tbl_name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn reference(version: i64) -> Result<Vec<Object>> {
    let conn = Connection::open_in_memory()?;
    if version == 1 {
        conn.execute_batch(SCHEMA_V1)?;
    } else {
        create_v2_tables(&conn, true)?;
        create_v2_triggers(&conn)?;
    }
    objects(&conn)
}

/// How a file's schema differs from the one Keyward writes.
#[derive(Debug, Default)]
pub struct Differences {
    /// Planted or changed objects (a trigger, a view, an altered table): never run them.
    pub refused: Vec<String>,
    /// Our append-only triggers, dropped (anyone with the file can): re-created on open; the
    /// keyed chain is what detects an edited log.
    pub missing_triggers: Vec<String>,
}

/// What differs between the file's schema and the one Keyward writes for `version`.
pub fn differences(conn: &Connection, version: i64) -> Result<Differences> {
    let expected = reference(version)?;
    let mut out = Differences::default();
    let found = match objects(conn) {
        Ok(found) => found,
        Err(e) => {
            out.refused.push(format!("the schema cannot be read: {e}"));
            return Ok(out);
        }
    };
    for obj in &found {
        if !expected.contains(obj) {
            let (kind, name, table, _) = obj;
            out.refused
                .push(if expected.iter().any(|e| &e.0 == kind && &e.1 == name) {
                    format!("{kind} '{name}' was changed")
                } else {
                    format!("{kind} '{name}' on '{table}' is not Keyward's")
                });
        }
    }
    for (kind, name, _, _) in &expected {
        if !found.iter().any(|f| &f.0 == kind && &f.1 == name) {
            if kind == "trigger" {
                out.missing_triggers.push(name.clone());
            } else {
                out.refused.push(format!("{kind} '{name}' is missing"));
            }
        }
    }
    Ok(out)
}

/// Re-creates the append-only triggers that were dropped.
pub fn restore_triggers(conn: &Connection) -> Result<()> {
    for (name, sql) in TRIGGERS {
        let exists: bool = conn.query_row(
            "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
            [name],
            |r| r.get(0),
        )?;
        if !exists {
            conn.execute_batch(sql)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planted_objects_are_named_and_dropped_triggers_restored() {
        let conn = Connection::open_in_memory().expect("db");
        create_v2_tables(&conn, true).expect("tables");
        create_v2_triggers(&conn).expect("triggers");
        let clean = differences(&conn, 2).expect("diff");
        assert!(clean.refused.is_empty() && clean.missing_triggers.is_empty());
        conn.execute_batch(
            "CREATE TRIGGER evil AFTER UPDATE ON keys BEGIN DELETE FROM meta; END;
             CREATE VIEW peek AS SELECT * FROM keys;
             DROP TRIGGER activity_no_delete;",
        )
        .expect("plant");
        let diff = differences(&conn, 2).expect("diff");
        let refused = &diff.refused;
        assert!(
            refused.iter().any(|d| d.contains("trigger 'evil'")),
            "{diff:?}"
        );
        assert!(
            refused.iter().any(|d| d.contains("view 'peek'")),
            "{diff:?}"
        );
        assert_eq!(diff.missing_triggers, vec!["activity_no_delete"]);
        restore_triggers(&conn).expect("restore");
        let after = differences(&conn, 2).expect("diff");
        assert!(after.missing_triggers.is_empty(), "{after:?}");
        assert_eq!(after.refused.len(), 2, "restoring touches nothing else");
    }

    #[test]
    fn schema_1_and_2_share_the_trigger_text() {
        for (_, sql) in TRIGGERS {
            assert!(SCHEMA_V1.contains(sql), "{sql}");
        }
    }
}
