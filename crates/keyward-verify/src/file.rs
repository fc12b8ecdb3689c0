//! The signed verifier file: what `keyward export-verifier` writes and services load.
//!
//! ```text
//! { "type": "keyward.verifier", "version": 3,
//!   "public_key": "kwpk_…",              // informational: loaders use the key they trust
//!   "signature": "<128 hex>",            // Ed25519 over the UTF-8 bytes of `payload`
//!   "payload": "{\"type\":\"keyward.verifier\",\"version\":3,\"vault_id\":…}" }
//! ```
//!
//! Version 3 is version 2 with key limits (`limits`: rate limits, credits, allowed
//! networks). A file is written as version 2 when no key carries limits, so services on an
//! older reader go on loading it; one with limits is version 3, which such a reader refuses
//! ("newer than this Keyward reads") rather than load it and ignore the limits.
//!
//! The payload is a JSON document kept as a string, so the signed bytes are exactly the
//! string's bytes whatever a JSON library does to the outer object (pretty-printing, key
//! order). The README documents every field, with a test vector.

use std::borrow::Cow;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::hex;
use crate::policy::{Policy, PolicyFields, Rolled};
use crate::signature::{SigningKey, TrustedKey};
use crate::time::{Timestamp, format_time};

pub const TYPE: &str = "keyward.verifier";
/// The newest version read and written.
pub const VERSION: u32 = 3;
/// The version of a file whose keys carry no limits.
pub const VERSION_WITHOUT_LIMITS: u32 = 2;
/// `--valid-for` at most ten years.
const MAX_VALID_FOR_SECS: i64 = 3650 * 86_400;

/// The outer object of a verifier file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VerifierFile {
    #[serde(rename = "type")]
    pub kind: String,
    pub version: u32,
    pub public_key: String,
    pub signature: String,
    /// The signed bytes: the JSON text of a [`VerifierPayload`].
    pub payload: String,
}

/// What is signed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VerifierPayload {
    #[serde(rename = "type")]
    pub kind: String,
    pub version: u32,
    /// The exporting vault's public id (32 hex).
    pub vault_id: String,
    /// The node the file covers (`acme/billing`), or "" for the whole vault.
    pub node: String,
    /// Grows with every export of the vault (its committed transaction count).
    pub serial: u64,
    /// Unix seconds.
    pub exported_at: Timestamp,
    /// Unix seconds after which loaders refuse the file; `null`: no limit.
    pub valid_until: Option<Timestamp>,
    pub keys: Vec<VerifierEntry>,
}

/// A rolled key's previous secret, as the file carries it.
pub type VerifierPrevious = Rolled;

/// One key of a verifier file: its id, its secret's SHA-256 (hex), its policy (written in
/// place: `scopes`, `expires_at`, `revoked`, …) and, after a roll, the previous secret.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VerifierEntry {
    pub key_id: String,
    pub sha256: String,
    #[serde(flatten)]
    pub policy: Policy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Rolled>,
}

/// An export: the file to write, and what it signed.
#[derive(Clone, Debug)]
pub struct ExportedVerifier {
    pub file: VerifierFile,
    pub payload: VerifierPayload,
}

impl ExportedVerifier {
    pub fn to_json(&self) -> String {
        self.file.to_json()
    }
}

impl VerifierFile {
    pub const TYPE: &'static str = TYPE;
    pub const VERSION: u32 = VERSION;

    /// The version a file of `keys` is written as: 2 unless a key carries limits.
    pub fn version_for(keys: &[VerifierEntry]) -> u32 {
        if keys.iter().any(|k| k.policy.limits.is_some()) {
            VERSION
        } else {
            VERSION_WITHOUT_LIMITS
        }
    }

    /// Signs `payload` with the vault's key. Its version must be
    /// [`VerifierFile::version_for`] its keys (a reader of version 2 would ignore limits).
    pub fn sign(payload: &VerifierPayload, key: &SigningKey) -> Result<VerifierFile> {
        if payload.version != VerifierFile::version_for(&payload.keys) {
            return Err(Error::Invalid(format!(
                "a verifier file of these keys is version {}, not {}",
                VerifierFile::version_for(&payload.keys),
                payload.version
            )));
        }
        let text = serde_json::to_string(payload).map_err(|e| Error::Invalid(e.to_string()))?;
        Ok(VerifierFile {
            kind: TYPE.into(),
            version: payload.version,
            public_key: key.public().to_string(),
            signature: hex::to_hex(&key.sign(text.as_bytes())),
            payload: text,
        })
    }

    /// The file's text (the outer object pretty-printed; the payload stays one string).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The payload, parsed (no signature check: for the exporting side).
    pub fn payload(&self) -> Result<VerifierPayload> {
        serde_json::from_str(&self.payload)
            .map_err(|e| refused(format!("its payload is not readable: {e}")))
    }
}

fn refused(why: impl Into<String>) -> Error {
    Error::Refused(why.into())
}

/// The outer object as read: every field optional, so each refusal can say what is wrong.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(default)]
    version: Option<u64>,
    #[serde(default, borrow)]
    public_key: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    signature: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    payload: Option<Cow<'a, str>>,
}

/// The payload's fields but its keys, as read (borrowing from the text).
pub(crate) struct Header<'a> {
    pub kind: Cow<'a, str>,
    pub version: u32,
    pub vault_id: Cow<'a, str>,
    pub node: Cow<'a, str>,
    pub serial: u64,
    pub exported_at: Timestamp,
    pub valid_until: Option<Timestamp>,
    pub keys: usize,
}

/// Where the entries go as they are read: 100,000 keys are never held twice.
pub(crate) type Sink<'s, 'a> = &'s mut dyn FnMut(EntryIn<'a>) -> std::result::Result<(), String>;

struct PayloadSeed<'s, 'a> {
    sink: Sink<'s, 'a>,
}

impl<'de> DeserializeSeed<'de> for PayloadSeed<'_, 'de> {
    type Value = Header<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Header<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PayloadSeed<'_, 'de> {
    type Value = Header<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a verifier payload object")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Header<'de>, A::Error> {
        let sink = self.sink;
        let (mut kind, mut version, mut vault_id, mut node) = (None, None, None, None);
        let (mut serial, mut exported_at, mut valid_until, mut keys) = (None, None, None, None);
        while let Some(field) = map.next_key::<Cow<'de, str>>()? {
            match field.as_ref() {
                "type" => kind = Some(map.next_value()?),
                "version" => version = Some(map.next_value()?),
                "vault_id" => vault_id = Some(map.next_value()?),
                "node" => node = Some(map.next_value()?),
                "serial" => serial = Some(map.next_value()?),
                "exported_at" => exported_at = Some(map.next_value()?),
                "valid_until" => valid_until = Some(map.next_value()?),
                "keys" => keys = Some(map.next_value_seed(KeysSeed { sink: &mut *sink })?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let missing = serde::de::Error::missing_field;
        Ok(Header {
            kind: kind.ok_or_else(|| missing("type"))?,
            version: version.ok_or_else(|| missing("version"))?,
            vault_id: vault_id.ok_or_else(|| missing("vault_id"))?,
            node: node.ok_or_else(|| missing("node"))?,
            serial: serial.ok_or_else(|| missing("serial"))?,
            exported_at: exported_at.ok_or_else(|| missing("exported_at"))?,
            valid_until: valid_until.ok_or_else(|| missing("valid_until"))?,
            keys: keys.ok_or_else(|| missing("keys"))?,
        })
    }
}

struct KeysSeed<'s, 'a> {
    sink: Sink<'s, 'a>,
}

impl<'de> DeserializeSeed<'de> for KeysSeed<'_, 'de> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<usize, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for KeysSeed<'_, 'de> {
    type Value = usize;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of keys")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<usize, A::Error> {
        let mut count = 0usize;
        while let Some(entry) = seq.next_element::<EntryIn<'de>>()? {
            (self.sink)(entry).map_err(serde::de::Error::custom)?;
            count += 1;
        }
        Ok(count)
    }
}

/// A [`VerifierEntry`] as a loader reads it, borrowing from the file's text: 100,000 keys
/// are read without copying their ids and hashes. Its policy's fields are read by
/// [`PolicyFields`], beside the [`Policy`] they make.
pub(crate) struct EntryIn<'a> {
    pub key_id: Cow<'a, str>,
    pub sha256: Cow<'a, str>,
    pub policy: Policy<Vec<Cow<'a, str>>>,
    pub previous: Option<PreviousIn<'a>>,
}

/// A string borrowed from the text when it has no escapes.
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

impl<'de> Deserialize<'de> for EntryIn<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<EntryIn<'de>, D::Error> {
        d.deserialize_map(EntryVisitor)
    }
}

struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = EntryIn<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a verifier file entry")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<EntryIn<'de>, A::Error> {
        let (mut key_id, mut sha256, mut previous) = (None, None, None);
        let mut policy = PolicyFields::default();
        while let Some(Text(field)) = map.next_key::<Text<'de>>()? {
            match field.as_ref() {
                "key_id" => key_id = Some(map.next_value::<Text<'de>>()?.0),
                "sha256" => sha256 = Some(map.next_value::<Text<'de>>()?.0),
                "previous" => previous = map.next_value()?,
                other => {
                    if !policy.read(other, &mut map)? {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
        }
        let missing = serde::de::Error::missing_field;
        Ok(EntryIn {
            key_id: key_id.ok_or_else(|| missing("key_id"))?,
            sha256: sha256.ok_or_else(|| missing("sha256"))?,
            policy: policy.finish()?,
            previous,
        })
    }
}

#[derive(Deserialize)]
pub(crate) struct PreviousIn<'a> {
    #[serde(borrow)]
    pub sha256: Cow<'a, str>,
    pub valid_until: Timestamp,
}

/// A file's envelope, checked: the payload text, the signature to check it with
/// ([`check_signature`]), the trusted key the file names and the file's version.
pub(crate) struct Checked<'a> {
    pub payload: Cow<'a, str>,
    pub signature: Vec<u8>,
    pub signer: TrustedKey,
    pub version: u32,
}

/// Checks a file's envelope against the `trusted` keys. Every refusal is [`Error::Refused`]
/// with the reason.
pub(crate) fn envelope<'a>(text: &'a str, trusted: &[TrustedKey]) -> Result<Checked<'a>> {
    let outer: Envelope<'a> = serde_json::from_str(text)
        .map_err(|e| refused(format!("it is not a Keyward verifier file (not JSON: {e})")))?;
    if outer.kind.as_deref() != Some(TYPE) {
        return Err(refused(format!(
            "it is not a Keyward verifier file (type is {})",
            outer
                .kind
                .as_deref()
                .map_or("missing".to_owned(), |k| format!("'{}'", short(k)))
        )));
    }
    let version = match outer.version {
        Some(1) => {
            return Err(refused(
                "it is an unsigned verifier file (version 1): re-export it with this version \
                 of Keyward (`keyward export-verifier`), which signs it",
            ));
        }
        Some(v @ (2 | 3)) => v as u32,
        Some(v) => {
            return Err(refused(format!(
                "it is verifier file version {v}, newer than this Keyward reads ({VERSION}); upgrade Keyward"
            )));
        }
        None => return Err(refused("it has no version")),
    };
    let (Some(public_key), Some(signature), Some(payload)) =
        (outer.public_key, outer.signature, outer.payload)
    else {
        return Err(refused(
            "it lacks its public_key, signature or payload field",
        ));
    };
    let named = TrustedKey::parse(&public_key).map_err(|_| {
        refused(format!(
            "its public_key '{}' is not a kwpk_ key",
            short(&public_key)
        ))
    })?;
    if !trusted.contains(&named) {
        let trusted: Vec<String> = trusted.iter().map(ToString::to_string).collect();
        let which = match trusted.as_slice() {
            [one] => format!("the trusted key {one}"),
            many => format!("any of the trusted keys {}", many.join(", ")),
        };
        return Err(refused(format!(
            "it was signed by {named}, not by {which} (a file of another vault, or signed by a key retired by `keyward verifier-key rotate`?)"
        )));
    }
    let signature = hex::from_hex(&signature)
        .filter(|s| s.len() == 64)
        .ok_or_else(|| refused("its signature is not 128 hexadecimal digits"))?;
    Ok(Checked {
        payload,
        signature,
        signer: named,
        version,
    })
}

/// The Ed25519 check of the exact payload bytes.
pub(crate) fn check_signature(trusted: &TrustedKey, payload: &str, signature: &[u8]) -> Result<()> {
    if trusted.verifies(payload.as_bytes(), signature) {
        Ok(())
    } else {
        Err(refused(
            "its signature does not match: the file was changed after it was signed",
        ))
    }
}

/// Parses a payload whose signature was checked, handing each entry to `sink`, and checks its
/// own type, version (the envelope's `version`) and expiry, and each key's limits.
pub(crate) fn parse_payload<'a>(
    payload: &'a str,
    version: u32,
    now: Timestamp,
    sink: Sink<'_, 'a>,
) -> Result<Header<'a>> {
    let mut de = serde_json::Deserializer::from_str(payload);
    let mut with_limits = false;
    let mut checked = |entry: EntryIn<'a>| {
        if let Some(limits) = &entry.policy.limits {
            with_limits = true;
            limits.validate().map_err(|e| {
                format!(
                    "key {} has limits that are not valid: {e}",
                    short(&entry.key_id)
                )
            })?;
        }
        sink(entry)
    };
    let p = PayloadSeed { sink: &mut checked }
        .deserialize(&mut de)
        .and_then(|h| de.end().map(|()| h))
        .map_err(|e| refused(format!("its signed payload is not readable: {e}")))?;
    if p.kind != TYPE || p.version != version {
        return Err(refused(format!(
            "its signed payload is of type '{}' version {}, not {TYPE} version {version}",
            short(&p.kind),
            p.version
        )));
    }
    if with_limits && version < VERSION {
        return Err(refused(format!(
            "it is version {version} but its keys carry limits, which need version {VERSION}"
        )));
    }
    if let Some(until) = p.valid_until
        && until <= now
    {
        return Err(refused(format!(
            "it expired at {} (exported {} with --valid-for); export a new one",
            format_time(until),
            format_time(p.exported_at)
        )));
    }
    Ok(p)
}

fn short(text: &str) -> String {
    text.chars().take(40).collect()
}

/// `--valid-for`: `<N>m`, `<N>h` or `<N>d`, in seconds (at most ten years).
pub fn parse_valid_for(text: &str) -> Result<i64> {
    let t = text.trim();
    let bad = || {
        Error::Invalid(format!(
            "'{}' is not a duration like 30m, 12h or 7d (at most 3650d)",
            short(text)
        ))
    };
    let unit = match t.chars().last() {
        Some('m') => 60,
        Some('h') => 3_600,
        Some('d') => 86_400,
        _ => return Err(bad()),
    };
    let n: i64 = t[..t.len() - 1].parse().map_err(|_| bad())?;
    match n.checked_mul(unit) {
        Some(secs) if n > 0 && secs <= MAX_VALID_FOR_SECS => Ok(secs),
        _ => Err(bad()),
    }
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
