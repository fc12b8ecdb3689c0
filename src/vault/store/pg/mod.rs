//! The PostgreSQL store: a team's vault in a database on a server. The server holds what the
//! file holds, sealed rows, blind tags, ids and versions, and nothing else; every record is
//! sealed and opened on the client.
//!
//! Writers on several machines are serialised by an advisory lock taken at the start of each
//! write transaction; the writer then reads the state commitment afresh, so the activity chain
//! stays one chain and nothing is lost. Each commit bumps a counter and notifies
//! [`schema::CHANNEL`], which the window listens on.

/// The columns `decode::key_row_of` reads, then the commit counter they were read at (for the
/// verification cache), as SQL text for `concat!`; defined before the modules that use it.
macro_rules! key_row_columns {
    () => {
        "id, node_id, key_id, version, full_access, last_used_at, sealed,
         (SELECT seq FROM seqs WHERE tbl = '$tx')"
    };
}

mod connect;
mod decode;
mod lookup_cache;
mod rebuild;
mod schema;
mod store_impl;
mod watch;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use ::postgres::error::SqlState;
use ::postgres::types::ToSql;
use ::postgres::{Client, Row, Statement};

use super::{MAGIC, SCHEMA_VERSION, Store, readable_schema_version};
use crate::vault::error::{Error, Result};
use crate::vault::location::redact;

pub use connect::Target;

/// Where the connection is, transaction-wise.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tx {
    None,
    Read,
    Write,
}

/// A vault database on a PostgreSQL server.
pub struct PgStore {
    client: RefCell<Client>,
    target: Target,
    schema_version: i64,
    statements: RefCell<HashMap<&'static str, Statement>>,
    tx: Cell<Tx>,
    /// Nested read snapshots (only the outermost one begins and ends the transaction).
    read_depth: Cell<u32>,
    /// The commit counter as of the last read that returned it (see [`Store::pager_version`]).
    seen_version: Cell<Option<i64>>,
    /// The write under way changed something other members must hear of (last-used stamps
    /// alone do not: they neither bump the counter nor notify).
    dirty: Cell<bool>,
    /// Key rows by lookup tag for verification, emptied by every commit (see the module).
    lookups: RefCell<lookup_cache::LookupCache>,
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Rows per page of a walk: the `LIMIT` of the paged queries.
const PAGE_ROWS: usize = 2048;

impl PgStore {
    /// Creates the vault's tables in an empty database (refusing one that already has any of
    /// them) and writes the given meta entries, in one transaction.
    pub fn create(url: &str, meta: &[(&str, &[u8])]) -> Result<PgStore> {
        let target = Target::parse(url)?;
        let mut client = target.connect()?;
        let store = (|| {
            let mut tx = client.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&schema::WRITE_LOCK])?;
            // A vault gets a database (or schema) of its own: anything already there is
            // either a vault or somebody else's data.
            let existing: Vec<String> = tx
                .query(
                    "SELECT tablename::text FROM pg_tables
                     WHERE schemaname = current_schema() ORDER BY tablename",
                    &[],
                )?
                .iter()
                .map(|r| r.get(0))
                .collect();
            if existing.iter().any(|t| t == "meta") {
                return Ok(Err(Error::VaultExists(redact(url).into())));
            }
            if !existing.is_empty() {
                return Ok(Err(Error::bad_input(
                    "destination",
                    format!(
                        "the database {} already has tables named {}; a vault needs an empty database",
                        target.place,
                        existing.join(", ")
                    ),
                )));
            }
            tx.batch_execute(schema::CREATE)?;
            tx.batch_execute(schema::SEALED_TABLES)?;
            let version = SCHEMA_VERSION.to_string();
            for (name, value) in [
                ("magic", MAGIC.as_bytes()),
                ("schema_version", version.as_bytes()),
            ]
            .into_iter()
            .chain(meta.iter().copied())
            {
                tx.execute(
                    "INSERT INTO meta(name, value) VALUES ($1, $2)",
                    &[&name, &value],
                )?;
            }
            tx.commit()?;
            Ok(Ok(()))
        })()
        .map_err(|e: ::postgres::Error| server_error(&target, &e))?;
        store?;
        PgStore::with(client, target, SCHEMA_VERSION)
    }

    /// Connects and checks that the database is a Keyward vault this build can read.
    pub fn open(url: &str) -> Result<PgStore> {
        let target = Target::parse(url)?;
        let mut client = target.connect()?;
        let not_a_vault = || Error::NotAVault(redact(url).into());
        let magic = match client.query_opt("SELECT value FROM meta WHERE name = 'magic'", &[]) {
            Ok(row) => row.and_then(|r| r.try_get::<_, Vec<u8>>(0).ok()),
            Err(e) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => {
                // An empty database is where `init` would create one; one with other tables is
                // somebody else's.
                let tables = client.query_one(
                    "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()",
                    &[],
                );
                return Err(match tables.map(|r| r.get::<_, i64>(0)) {
                    Ok(0) => Error::NoVault(redact(url).into()),
                    _ => not_a_vault(),
                });
            }
            Err(e) if e.as_db_error().is_some() => return Err(not_a_vault()),
            Err(e) => return Err(server_error(&target, &e)),
        };
        if magic.as_deref() != Some(MAGIC.as_bytes()) {
            return Err(not_a_vault());
        }
        let version = client
            .query_opt("SELECT value FROM meta WHERE name = 'schema_version'", &[])
            .map_err(|e| server_error(&target, &e))?
            .and_then(|r| r.try_get::<_, Vec<u8>>(0).ok());
        // A server vault was always created at the current schema.
        let version = readable_schema_version(version, SCHEMA_VERSION)?;
        PgStore::with(client, target, version)
    }

    fn with(mut client: Client, target: Target, schema_version: i64) -> Result<PgStore> {
        // A writer waiting on another's lock gives up instead of hanging.
        client
            .batch_execute("SET lock_timeout = '30s'")
            .map_err(|e| server_error(&target, &e))?;
        Ok(PgStore {
            client: RefCell::new(client),
            target,
            schema_version,
            statements: RefCell::new(HashMap::new()),
            tx: Cell::new(Tx::None),
            read_depth: Cell::new(0),
            seen_version: Cell::new(None),
            dirty: Cell::new(false),
            lookups: RefCell::new(lookup_cache::LookupCache::default()),
        })
    }

    /// Reconnects a connection the server dropped, between transactions only (a change under
    /// way is lost with its connection and refused, never replayed).
    fn reconnect_if_closed(&self) -> Result<()> {
        if self.tx.get() != Tx::None || !self.client.borrow().is_closed() {
            return Ok(());
        }
        self.reconnect()
    }

    fn reconnect(&self) -> Result<()> {
        let mut client = self.target.connect()?;
        client
            .batch_execute("SET lock_timeout = '30s'")
            .map_err(|e| self.err(e))?;
        *self.client.borrow_mut() = client;
        self.forget_statements();
        Ok(())
    }

    fn err(&self, e: ::postgres::Error) -> Error {
        server_error(&self.target, &e)
    }

    fn statement(&self, sql: &'static str) -> Result<Statement> {
        self.reconnect_if_closed()?;
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let prepared = self
            .client
            .borrow_mut()
            .prepare(sql)
            .map_err(|e| self.err(e))?;
        self.statements.borrow_mut().insert(sql, prepared.clone());
        Ok(prepared)
    }

    fn query(&self, sql: &'static str, params: Params<'_>) -> Result<Vec<Row>> {
        let stmt = self.statement(sql)?;
        let first = self.client.borrow_mut().query(&stmt, params);
        match first {
            // The server dropped the connection while it was idle: outside a transaction
            // nothing ran, so connect again and ask once more.
            Err(e) if connection_gone(&e) && self.tx.get() == Tx::None => {
                self.reconnect()?;
                let stmt = self.statement(sql)?;
                let again = self.client.borrow_mut().query(&stmt, params);
                again.map_err(|e| self.err(e))
            }
            other => other.map_err(|e| self.err(e)),
        }
    }

    fn query_opt(&self, sql: &'static str, params: Params<'_>) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// A change other members must hear of at commit.
    fn execute(&self, sql: &'static str, params: Params<'_>) -> Result<u64> {
        self.dirty.set(true);
        self.execute_quiet(sql, params)
    }

    /// A change nobody needs to be told of (a last-used stamp).
    fn execute_quiet(&self, sql: &'static str, params: Params<'_>) -> Result<u64> {
        let stmt = self.statement(sql)?;
        self.client
            .borrow_mut()
            .execute(&stmt, params)
            .map_err(|e| self.err(e))
    }

    /// As [`PgStore::execute`], a unique violation being [`Error::Duplicate`].
    fn execute_unique(&self, sql: &'static str, params: Params<'_>) -> Result<u64> {
        self.dirty.set(true);
        let stmt = self.statement(sql)?;
        let done = self.client.borrow_mut().execute(&stmt, params);
        done.map_err(|e| {
            if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                Error::Duplicate
            } else {
                self.err(e)
            }
        })
    }

    fn batch(&self, sql: &str) -> Result<()> {
        self.reconnect_if_closed()?;
        let first = self.client.borrow_mut().batch_execute(sql);
        match first {
            // As in `query`: a statement that starts a transaction never ran on a dead one.
            Err(e) if connection_gone(&e) && self.tx.get() == Tx::None => {
                self.reconnect()?;
                let again = self.client.borrow_mut().batch_execute(sql);
                again.map_err(|e| self.err(e))
            }
            other => other.map_err(|e| self.err(e)),
        }
    }

    /// Forgets prepared statements (after the tables they name were replaced).
    fn forget_statements(&self) {
        self.statements.borrow_mut().clear();
    }

    /// Walks a query page by page: `page(after)` reads the rows whose first column (an id,
    /// ascending) is above `after`, at most [`PAGE_ROWS`] (its `LIMIT`); each page is handed
    /// to `each` row by row, so `each` may use the connection between pages and a walk of
    /// 100,000 rows never holds them all.
    fn each_page(
        &self,
        mut page: impl FnMut(i64) -> Result<Vec<Row>>,
        mut each: impl FnMut(&Row) -> Result<()>,
    ) -> Result<()> {
        let mut after = i64::MIN;
        loop {
            let rows = page(after)?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.try_get::<_, i64>(0).unwrap_or(i64::MAX);
            let full = rows.len() == PAGE_ROWS;
            rows.iter().try_for_each(&mut each)?;
            if !full || after == i64::MAX {
                return Ok(());
            }
        }
    }

    /// Runs `f` in a read snapshot unless a transaction is already open (a walk of many
    /// statements then reads one state).
    fn snapshot<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        if self.tx.get() != Tx::None {
            return f();
        }
        self.begin_read()?;
        let out = f();
        self.end_read();
        out
    }

    /// Records the commit counter a read returned in column `idx` (see `pager_version`).
    fn saw_version(&self, row: Option<&Row>, idx: usize) {
        self.seen_version
            .set(row.and_then(|r| r.try_get::<_, i64>(idx).ok()));
    }
}

impl PgStore {
    /// The next id of `table` (ids are never reused, as with SQLite's AUTOINCREMENT).
    fn next_id(&self, table: &str) -> Result<i64> {
        let row = self.query_opt(
            "UPDATE seqs SET seq = seq + 1 WHERE tbl = $1 RETURNING seq",
            &[&table],
        )?;
        row.and_then(|r| r.try_get::<_, i64>(0).ok())
            .ok_or_else(|| {
                Error::damaged(
                    "id counter",
                    format!("the id counter of {table} is missing"),
                )
            })
    }

    fn raise_sequence(&self, table: &str, id: i64) -> Result<()> {
        self.execute(
            "UPDATE seqs SET seq = GREATEST(seq, $2) WHERE tbl = $1",
            &[&table, &id],
        )?;
        Ok(())
    }
}

/// Whether an error means the connection is gone (closed, or ended by the server with a
/// FATAL error such as an administrator's shutdown), so nothing of the statement ran.
fn connection_gone(e: &::postgres::Error) -> bool {
    e.is_closed() || e.as_db_error().is_some_and(|d| d.severity() == "FATAL")
}

/// One line for a failed statement: what the server said, or that it went away.
pub(super) fn server_error(target: &Target, e: &::postgres::Error) -> Error {
    if connection_gone(e) {
        return Error::Server(format!(
            "the connection to the PostgreSQL server at {} was lost",
            target.place
        ));
    }
    if let Some(db) = e.as_db_error() {
        if *db.code() == SqlState::LOCK_NOT_AVAILABLE {
            return Error::Server(format!(
                "another member's change to the vault at {} is taking too long; try again",
                target.place
            ));
        }
        return Error::Server(format!(
            "the PostgreSQL server at {} refused a statement: {}",
            target.place,
            db.message()
        ));
    }
    Error::Server(format!(
        "the PostgreSQL server at {} failed: {e}",
        target.place
    ))
}
