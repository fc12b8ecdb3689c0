//! Keeping a vault sound: backups and `doctor`.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Serialize;

use crate::vault::activity::{self, Action};
use crate::vault::commitment::{Entry, Table};
use crate::vault::crypto;
use crate::vault::error::{Error, Result, Thing};
use crate::vault::handle::Vault;
use crate::vault::records::KeyData;
use crate::vault::store;

/// What `doctor` found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DoctorReport {
    pub nodes: usize,
    pub keys: usize,
    pub activity_entries: usize,
    /// Changes committed since the vault was created (or last re-keyed).
    pub transactions: u64,
    pub problems: Vec<String>,
    /// Not damage, but worth fixing (a file others can read).
    pub warnings: Vec<String>,
}

impl DoctorReport {
    pub fn is_healthy(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Vault {
    /// Blind indexes recomputed from the records (a wrong one would make a key unfindable or
    /// a name look taken), and id counters that moved below ids the vault already used.
    fn index_problems(&self, committed: &HashMap<(Table, i64), Entry>) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let tree = self.tree()?;
        for row in self.conn.index_rows(false)? {
            if let Some(node) = tree.nodes.get(&row.id).filter(|n| !n.tampered) {
                let tag = self.name_tag("node", node.parent, &node.name);
                if !crypto::ct_eq(&tag, &row.name_tag) {
                    problems.push(format!("node #{}: its name index was changed", row.id));
                }
            }
        }
        let indexes = self.conn.index_rows(true)?;
        for row in &indexes {
            let Some(stored) = self.conn.key_row_by_id(row.id)? else {
                continue;
            };
            let Some(data) = self.open_key(&stored)? else {
                continue;
            };
            let what = format!("key {}", data.key_id);
            if !crypto::ct_eq(
                &self.name_tag("key", data.node_id, &data.name),
                &row.name_tag,
            ) {
                problems.push(format!("{what}: its name index was changed"));
            }
            let lookup = crypto::from_hex(&data.sha256).map(|h| self.lookup_tag(&h));
            if lookup.is_none_or(|l| !crypto::ct_eq(&l, &row.lookup)) {
                problems.push(format!("{what}: its lookup index was changed"));
            }
            let prev = data
                .previous
                .as_ref()
                .and_then(|p| crypto::from_hex(&p.sha256))
                .map(|h| self.lookup_tag(&h));
            let prev_ok = match (&prev, &row.prev_lookup) {
                (None, None) => true,
                (Some(a), Some(b)) => crypto::ct_eq(a, b),
                _ => false,
            };
            if !prev_ok {
                problems.push(format!("{what}: its previous-secret index was changed"));
            }
        }
        for table in Table::ALL {
            let highest = committed
                .iter()
                .filter(|((t, _), _)| *t == table)
                .map(|((_, id), _)| *id)
                .max()
                .unwrap_or(0);
            let counter = self.conn.sequence_of(table.name())?;
            if counter < highest {
                problems.push(format!(
                    "the id counter of {} was moved back ({counter}, below id {highest} the vault used)",
                    table.name()
                ));
            }
        }
        Ok(problems)
    }

    /// Writes a consistent copy of the vault (still encrypted, same passphrase) to `dest`,
    /// owner-only from its first byte; logged once it is written.
    pub fn backup(&mut self, dest: &Path) -> Result<()> {
        if dest.symlink_metadata().is_ok() {
            return Err(Error::NameTaken {
                what: Thing::File,
                name: dest.display().to_string(),
                place: String::new(),
            });
        }
        self.conn.backup_into(dest)?;
        self.write(|v, tx| {
            v.log(
                tx,
                Action::BackupWritten,
                None,
                "",
                &dest.display().to_string(),
            )
        })
    }

    /// Checks the file, the state commitment, every sealed record against it, and the
    /// activity chain against its committed head.
    pub fn doctor(&self) -> Result<DoctorReport> {
        let mut report = DoctorReport::default();
        let kind = if self.conn.is_server() {
            "server"
        } else {
            "sqlite"
        };
        for line in self.conn.integrity_check()? {
            report.problems.push(format!("{kind}: {line}"));
        }
        if store::others_can_read(&self.path) {
            report.warnings.push(format!(
                "{} can be read by other users; run: chmod 600 {}",
                self.path.display(),
                self.path.display()
            ));
        }
        let audit = self
            .commitment
            .borrow_mut()
            .audit(&*self.conn, &self.sealer)?;
        self.commitment.borrow_mut().invalidate();
        report.problems.extend(audit.problems);
        report.transactions = audit.root.as_ref().map_or(0, |r| r.tx);
        let mut present: HashSet<(Table, i64)> = HashSet::new();
        let tree = self.tree()?;
        report.nodes = tree.nodes.len();
        for row in self.conn.node_rows()? {
            present.insert((Table::Nodes, row.id));
            let what = format!("node #{}", row.id);
            let committed = audit.entries.get(&(Table::Nodes, row.id));
            if let Some(problem) =
                commitment_problem(&what, committed, &row.sealed, row.version, row.malformed)
            {
                report.problems.push(problem);
            } else if self.open_node(&row)?.is_none() {
                report.problems.push(format!(
                    "{what} failed its integrity check (or its plain columns were changed)"
                ));
            }
        }
        for node in tree.nodes.values() {
            if !node.tampered && node.parent != 0 && !tree.nodes.contains_key(&node.parent) {
                report.problems.push(format!("{} has no parent", node.path));
            }
        }
        self.conn.each_key_row(None, &mut |row| {
            report.keys += 1;
            present.insert((Table::Keys, row.id));
            let what = format!("key {} (row #{})", row.key_id, row.id);
            let committed = audit.entries.get(&(Table::Keys, row.id));
            if let Some(problem) =
                commitment_problem(&what, committed, &row.sealed, row.version, row.malformed)
            {
                report.problems.push(problem);
            } else {
                match self.open_key(&row)? {
                    None => report
                        .problems
                        .push(format!("{what} failed its integrity check")),
                    Some(KeyData { node_id, .. }) if !tree.nodes.contains_key(&node_id) => report
                        .problems
                        .push(format!("{what} belongs to a missing node")),
                    Some(_) => {}
                }
            }
            Ok(())
        })?;
        let mut missing: Vec<String> = audit
            .entries
            .iter()
            .filter(|(key, e)| e.is_live() && !present.contains(key))
            .map(|((table, id), e)| {
                format!(
                    "{} row #{id} (version {}) was deleted from the file",
                    table.name(),
                    e.version
                )
            })
            .collect();
        missing.sort();
        report.problems.extend(missing);
        report.problems.extend(self.index_problems(&audit.entries)?);
        let head = audit
            .root
            .as_ref()
            .map(|r| (r.activity_seq, r.activity_mac.as_str()));
        let (entries, problems) = activity::check_chain(self, &*self.conn, head)?;
        report.activity_entries = entries;
        report.problems.extend(problems);
        report.problems.extend(self.signing_key_problem());
        report.problems.extend(self.member_problems());
        report.problems.extend(self.settings_problems());
        Ok(report)
    }
}

/// What is wrong with a stored row against its committed entry, if anything.
fn commitment_problem(
    what: &str,
    committed: Option<&Entry>,
    sealed: &[u8],
    version: i64,
    malformed: bool,
) -> Option<String> {
    Some(match committed {
        _ if malformed => format!("{what} has a value of the wrong type"),
        None => format!("{what} is not in the state commitment (inserted)"),
        Some(e) if !e.is_live() => format!("{what} was deleted and has been put back"),
        Some(e) if e.version != version => format!(
            "{what} is at version {version}, the vault committed version {} (rolled back or replayed)",
            e.version
        ),
        Some(e) if !e.matches(version, sealed) => {
            format!("{what} is not the record the vault committed")
        }
        Some(_) => return None,
    })
}
