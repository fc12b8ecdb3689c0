//! The tables of a vault on PostgreSQL: the file's schema 2, column for column, plus `seqs`
//! (the id high-water marks SQLite keeps in `sqlite_sequence`, and the commit counter other
//! connections watch).

/// Every table Keyward creates, in the order they are created.
pub const TABLES: [&str; 6] = [
    "meta",
    "seqs",
    "nodes",
    "keys",
    "activity",
    "commit_buckets",
];

pub const CREATE: &str = r#"
CREATE TABLE meta(name TEXT PRIMARY KEY, value BYTEA NOT NULL);
CREATE TABLE seqs(tbl TEXT PRIMARY KEY, seq BIGINT NOT NULL);
INSERT INTO seqs(tbl, seq) VALUES ('nodes', 0), ('keys', 0), ('$tx', 0);
"#;

/// The sealed tables (re-created by a re-key).
pub const SEALED_TABLES: &str = r#"
CREATE TABLE nodes(
    id BIGINT PRIMARY KEY,
    parent_id BIGINT NOT NULL,
    kind BIGINT NOT NULL,
    version BIGINT NOT NULL,
    name_tag BYTEA NOT NULL,
    sealed BYTEA NOT NULL,
    UNIQUE(parent_id, name_tag)
);
CREATE TABLE keys(
    id BIGINT PRIMARY KEY,
    node_id BIGINT NOT NULL,
    key_id TEXT NOT NULL UNIQUE,
    version BIGINT NOT NULL,
    name_tag BYTEA NOT NULL,
    lookup BYTEA NOT NULL UNIQUE,
    prev_lookup BYTEA UNIQUE,
    full_access BOOLEAN NOT NULL DEFAULT FALSE,
    last_used_at BIGINT,
    sealed BYTEA NOT NULL,
    UNIQUE(node_id, name_tag)
);
CREATE INDEX keys_by_node ON keys(node_id, full_access);
CREATE TABLE activity(
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    action TEXT NOT NULL,
    node_id BIGINT,
    sealed BYTEA NOT NULL,
    mac BYTEA NOT NULL
);
CREATE INDEX activity_by_node ON activity(node_id);
CREATE TABLE commit_buckets(
    tbl TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    entries BYTEA NOT NULL,
    PRIMARY KEY(tbl, bucket)
);
"#;

/// Moves the sealed tables aside for a rebuild (indexes Keyward names go with them).
pub const MOVE_ASIDE: &str = r#"
DROP INDEX IF EXISTS keys_by_node;
DROP INDEX IF EXISTS activity_by_node;
ALTER TABLE nodes RENAME TO old_nodes;
ALTER TABLE keys RENAME TO old_keys;
ALTER TABLE activity RENAME TO old_activity;
DROP TABLE IF EXISTS commit_buckets;
"#;

pub const DROP_OLD: &str = "DROP TABLE old_nodes; DROP TABLE old_keys; DROP TABLE old_activity;";

/// The commit counter's row in `seqs`.
pub const TX_ROW: &str = "$tx";

/// The channel every commit notifies (the window listens on it).
pub const CHANNEL: &str = "keyward_changes";

/// Serialises writers across machines: every write transaction takes this advisory lock first
/// (released at commit or rollback), then reads the state commitment afresh.
pub const WRITE_LOCK: i64 = 0x6b65_7977_6172_6401;
