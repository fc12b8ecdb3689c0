//! Editing what people know about a key (its name, description, owner, tags) and its policy
//! (expiry, limits).

use crate::vault::error::{Error, Result, Thing};
use crate::vault::keys::read::written_key_row;
use crate::vault::model::{KeyDetails, KeyInfo, Timestamp, format_time, validate_name};
use crate::vault::{Action, Vault};
use keyward_verify::limits::KeyLimits;

/// A change to a key's details; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct KeyEdit {
    pub name: Option<String>,
    pub description: Option<String>,
    pub owner: Option<String>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
    /// `Some(None)`: never expires; `Some(Some(t))`: expires at `t` (extend or shorten).
    pub expires_at: Option<Option<Timestamp>>,
    /// The key's rate limits, credits and allowed networks, all at once (`Some` of empty
    /// limits removes them).
    pub limits: Option<KeyLimits>,
}

fn when(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "never".to_owned(), format_time)
}

impl Vault {
    /// Applies `edit` in one transaction and logs what changed (old and new expiry included).
    pub fn edit_key_details(&mut self, key_id: &str, edit: KeyEdit) -> Result<KeyInfo> {
        let now = self.now();
        let name = edit
            .name
            .as_deref()
            .map(|n| validate_name("key", n))
            .transpose()?;
        if let Some(d) = &edit.description
            && d.chars().count() > KeyDetails::MAX_DESCRIPTION_CHARS
        {
            return Err(Error::bad_input(
                "description",
                format!(
                    "a description has at most {} characters",
                    KeyDetails::MAX_DESCRIPTION_CHARS
                ),
            ));
        }
        if let Some(o) = &edit.owner
            && (o.chars().count() > KeyDetails::MAX_OWNER_CHARS || o.chars().any(char::is_control))
        {
            return Err(Error::bad_input(
                "owner",
                format!(
                    "an owner has at most {} characters and no control characters",
                    KeyDetails::MAX_OWNER_CHARS
                ),
            ));
        }
        let add: Vec<String> = edit
            .add_tags
            .iter()
            .map(|t| KeyDetails::validate_tag(t))
            .collect::<Result<_>>()?;
        let remove: Vec<String> = edit
            .remove_tags
            .iter()
            .map(|t| t.trim().to_lowercase())
            .collect();
        if let Some(Some(at)) = edit.expires_at
            && at <= now
        {
            return Err(Error::bad_input(
                "expiry",
                format!("expiry {} is in the past", format_time(at)),
            ));
        }
        if let Some(limits) = &edit.limits {
            limits.validate()?;
        }
        self.write(|v, tx| {
            let tree = v.tree_from(tx)?;
            let (row, mut data) = v.key_to_change(tx, key_id)?;
            let mut changes = Vec::new();
            if let Some(name) = &name
                && *name != data.name
            {
                let tag = v.name_tag("key", data.node_id, name);
                tx.set_key_name_tag(row.id, &tag).map_err(|e| match e {
                    Error::Duplicate => Error::name_taken(
                        Thing::Key,
                        name.clone(),
                        format!("in {}", tree.path_of(data.node_id)),
                    ),
                    e => e,
                })?;
                changes.push(format!("renamed '{}' to '{name}'", data.name));
                data.name = name.clone();
            }
            if let Some(d) = &edit.description
                && *d != data.description
            {
                data.description = d.trim().to_owned();
                changes.push("description changed".into());
            }
            if let Some(o) = &edit.owner
                && *o != data.owner
            {
                changes.push(format!("owner '{}' to '{}'", data.owner, o.trim()));
                data.owner = o.trim().to_owned();
            }
            for t in &add {
                if !data.tags.contains(t) {
                    data.tags.push(t.clone());
                    changes.push(format!("tag +{t}"));
                }
            }
            for t in &remove {
                if data.tags.contains(t) {
                    data.tags.retain(|x| x != t);
                    changes.push(format!("tag -{t}"));
                }
            }
            if data.tags.len() > KeyDetails::MAX_TAGS {
                return Err(Error::bad_input(
                    "tags",
                    format!("a key has at most {} tags", KeyDetails::MAX_TAGS),
                ));
            }
            if let Some(expires) = edit.expires_at
                && expires != data.expires_at
            {
                if data.revoked_at.is_some() {
                    return Err(Error::not_allowed("a revoked key's expiry cannot change"));
                }
                changes.push(format!(
                    "expiry {} to {}",
                    when(data.expires_at),
                    when(expires)
                ));
                data.expires_at = expires;
            }
            if let Some(limits) = &edit.limits
                && data.limits.as_deref().unwrap_or(&KeyLimits::default()) != limits
            {
                if data.revoked_at.is_some() {
                    return Err(Error::NotAllowed(
                        "a revoked key's limits cannot change".into(),
                    ));
                }
                let show = |l: Option<&KeyLimits>| {
                    l.map(KeyLimits::summary)
                        .filter(|s| !s.is_empty())
                        .unwrap_or_else(|| "none".into())
                };
                changes.push(format!(
                    "limits {} to {}",
                    show(data.limits.as_deref()),
                    show(Some(limits))
                ));
                data.limits = limits.clone().boxed();
            }
            if changes.is_empty() {
                return v.key_info(&tree, &row, now);
            }
            v.reseal_key(tx, &row, &data, None)?;
            v.log(
                tx,
                Action::KeyEdited,
                Some(row.node_id),
                &tree.path_of(row.node_id),
                &format!("{key_id} '{}': {}", data.name, changes.join("; ")),
            )?;
            v.key_info(&tree, &written_key_row(tx, key_id)?, now)
        })
    }
}
