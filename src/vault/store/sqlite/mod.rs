//! The SQLite store: one vault file, its schema, pragmas and every SQL statement.
//!
//! The file is hostile input: it is opened with SQLite's defensive mode and without trusting
//! its schema, and its schema is compared with the one Keyward writes before anything else is
//! read, so a planted trigger or view never runs.

mod buckets;
mod rebuild;
mod rows;
mod schema;
mod store_impl;

use std::path::Path;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::{
    MAGIC, SCHEMA_VERSION, create_private_dir, create_private_file, readable_schema_version,
};
use crate::vault::error::{Error, Result};

use schema::{create_v2_tables, create_v2_triggers};

/// An open vault file.
pub struct SqliteStore {
    conn: Connection,
    schema_version: i64,
}

impl SqliteStore {
    pub fn create(path: &Path, meta: &[(&str, &[u8])]) -> Result<SqliteStore> {
        Ok(SqliteStore {
            conn: create(path, meta)?,
            schema_version: SCHEMA_VERSION,
        })
    }

    pub fn open(path: &Path) -> Result<SqliteStore> {
        let opened = open(path)?;
        Ok(SqliteStore {
            conn: opened.conn,
            schema_version: opened.schema_version,
        })
    }
}

fn flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_NOFOLLOW
}

/// Before the first read: do not trust anything the schema asks for.
fn harden(conn: &Connection) -> Result<()> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    conn.pragma_update(None, "trusted_schema", "OFF")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(())
}

fn configure(conn: &Connection) -> Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    // 16 MiB of page cache keeps the lookup index of 100,000 keys in memory for verification.
    conn.pragma_update(None, "cache_size", -16_384)?;
    Ok(())
}

/// SQLite's page cache for this connection, in MiB.
pub fn set_cache_mib(conn: &Connection, mib: u32) -> Result<()> {
    conn.pragma_update(None, "cache_size", -(i64::from(mib) * 1024))?;
    Ok(())
}

/// Creates a new vault file (private from its first byte) with the schema and the given meta
/// entries, in one transaction.
fn create(path: &Path, meta: &[(&str, &[u8])]) -> Result<Connection> {
    if path.symlink_metadata().is_ok() {
        return Err(Error::VaultExists(path.to_owned()));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    create_private_file(path)?;
    let built = (|| {
        let mut conn = Connection::open_with_flags(path, flags())?;
        harden(&conn)?;
        configure(&conn)?;
        let tx = conn.transaction()?;
        create_v2_tables(&tx, true)?;
        create_v2_triggers(&tx)?;
        tx.execute(
            "INSERT INTO meta(name, value) VALUES ('magic', ?1), ('schema_version', ?2)",
            params![MAGIC.as_bytes(), SCHEMA_VERSION.to_string().as_bytes()],
        )?;
        for (name, value) in meta {
            meta_set(&tx, name, value)?;
        }
        tx.commit()?;
        Ok(conn)
    })();
    if built.is_err() {
        let _ = std::fs::remove_file(path);
    }
    built
}

/// An open vault file and the schema version it was written with.
struct Opened {
    pub conn: Connection,
    pub schema_version: i64,
}

/// Opens an existing vault, refusing anything that is not one (without writing to it): not a
/// SQLite file, no magic, a newer schema, or a schema with objects Keyward did not create.
fn open(path: &Path) -> Result<Opened> {
    let meta = path
        .symlink_metadata()
        .map_err(|_| Error::NoVault(path.to_owned()))?;
    if meta.file_type().is_symlink() {
        return Err(Error::bad_input(
            "path",
            format!(
                "{} is a symbolic link; Keyward opens only the vault file itself",
                path.display()
            ),
        ));
    }
    if !meta.is_file() {
        return Err(Error::NotAVault(path.to_owned()));
    }
    let not_a_vault = || Error::NotAVault(path.to_owned());
    let conn = Connection::open_with_flags(path, flags()).map_err(|_| not_a_vault())?;
    harden(&conn)?;
    let magic: Option<Vec<u8>> = conn
        .query_row("SELECT value FROM meta WHERE name = 'magic'", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::DatabaseBusy
                    || f.code == rusqlite::ErrorCode::DatabaseLocked =>
            {
                Error::Storage(e)
            }
            _ => not_a_vault(),
        })?;
    if magic.as_deref() != Some(MAGIC.as_bytes()) {
        return Err(not_a_vault());
    }
    // Schema 1 files open for `keyward upgrade`.
    let version = readable_schema_version(meta_get(&conn, "schema_version")?, 1)?;
    let differences = schema::differences(&conn, version)?;
    if !differences.refused.is_empty() {
        return Err(Error::UnexpectedSchema(differences.refused));
    }
    configure(&conn)?;
    if !differences.missing_triggers.is_empty() {
        // Best effort (a read-only file stays as it is): the triggers guard Keyward's own
        // code paths; an edited log is caught by the keyed chain either way.
        let _ = in_transaction(&conn, || schema::restore_triggers(&conn));
    }
    Ok(Opened {
        conn,
        schema_version: version,
    })
}

pub fn meta_get(conn: &Connection, name: &str) -> Result<Option<Vec<u8>>> {
    use rusqlite::types::ValueRef;
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE name = ?1")?
        .query_row([name], |r| {
            Ok(match r.get_ref(0)? {
                ValueRef::Blob(b) | ValueRef::Text(b) => b.to_vec(),
                _ => Vec::new(),
            })
        })
        .optional()?)
}

pub fn meta_set(conn: &Connection, name: &str, value: &[u8]) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta(name, value) VALUES (?1, ?2)
         ON CONFLICT(name) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![name, value])?;
    Ok(())
}

/// Every meta entry whose name starts with `prefix`, by name.
pub fn meta_with_prefix(conn: &Connection, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
    use rusqlite::types::ValueRef;
    let mut stmt = conn.prepare_cached(
        "SELECT name, value FROM meta WHERE substr(name, 1, length(?1)) = ?1 ORDER BY name",
    )?;
    let rows = stmt.query_map([prefix], |r| {
        let name: String = r.get(0)?;
        let value = match r.get_ref(1)? {
            ValueRef::Blob(b) | ValueRef::Text(b) => b.to_vec(),
            _ => Vec::new(),
        };
        Ok((name, value))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn meta_delete(conn: &Connection, name: &str) -> Result<()> {
    conn.execute("DELETE FROM meta WHERE name = ?1", [name])?;
    Ok(())
}

/// The pager's data version as of this connection's last read: it changes with every commit,
/// this connection's or another process's. A file control, so no statement and no lock: the
/// state commitment checks it after each read at no cost.
pub fn pager_version(conn: &Connection) -> Result<i64> {
    let mut version: u32 = 0;
    // SAFETY: the handle is this open connection's; SQLITE_FCNTL_DATA_VERSION writes one u32
    // through the pointer, which lives for the call.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            rusqlite::ffi::SQLITE_FCNTL_DATA_VERSION,
            (&mut version as *mut u32).cast(),
        )
    };
    if rc != rusqlite::ffi::SQLITE_OK {
        return Err(Error::damaged(
            "data version",
            format!("the database did not report its data version (code {rc})"),
        ));
    }
    Ok(i64::from(version))
}

/// Changes made by other connections since this one last looked (for live refresh).
pub fn data_version(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("PRAGMA data_version")?
        .query_row([], |r| r.get(0))?)
}

pub fn integrity_check(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let out: Vec<String> = rows.collect::<rusqlite::Result<_>>()?;
    Ok(out.into_iter().filter(|l| l != "ok").collect())
}

/// Folds the WAL into the file and truncates it, so replaced pages (an old wrap of the data
/// key) do not linger in it.
pub fn checkpoint_truncate(conn: &Connection) -> Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

/// Writes a consistent copy to `dest`, created owner-only (and never through a link) before
/// SQLite writes a byte of it.
pub fn backup_into(conn: &Connection, dest: &Path) -> Result<()> {
    let dest_text = dest
        .to_str()
        .ok_or_else(|| Error::bad_input("backup path", "the backup path must be valid UTF-8"))?;
    create_private_file(dest)?;
    let copied = conn.execute("VACUUM INTO ?1", [dest_text]);
    if let Err(e) = copied {
        let _ = std::fs::remove_file(dest);
        return Err(e.into());
    }
    Ok(())
}

/// Runs `f` in one IMMEDIATE transaction: all of it lands, or none of it.
fn in_transaction<T>(conn: &Connection, f: impl FnOnce() -> Result<T>) -> Result<T> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = f().and_then(|out| {
        conn.execute_batch("COMMIT")?;
        Ok(out)
    });
    if result.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    result
}
