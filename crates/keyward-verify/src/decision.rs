//! The decision: what a presented key is good for, as of a time, and its result codes.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The answer to "is this key good for this request?".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Valid,
    Malformed,
    NotFound,
    Revoked,
    Expired,
    InsufficientScope,
    Tampered,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Valid => "valid",
            Outcome::Malformed => "malformed",
            Outcome::NotFound => "not_found",
            Outcome::Revoked => "revoked",
            Outcome::Expired => "expired",
            Outcome::InsufficientScope => "insufficient_scope",
            Outcome::Tampered => "tampered",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub result: Outcome,
    pub key_id: Option<String>,
    pub scopes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Verification {
    pub fn is_valid(&self) -> bool {
        self.result == Outcome::Valid
    }

    pub fn of(result: Outcome, key_id: Option<String>, scopes: Vec<String>) -> Verification {
        Verification {
            result,
            key_id,
            scopes,
            reason: None,
        }
    }

    pub fn malformed(e: &Error) -> Verification {
        Verification {
            result: Outcome::Malformed,
            key_id: None,
            scopes: Vec::new(),
            reason: Some(match e {
                Error::Malformed(why) => why.clone(),
                other => other.to_string(),
            }),
        }
    }
}
