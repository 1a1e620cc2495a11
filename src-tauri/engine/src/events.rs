//! What the engine tells the outside world without being asked — about every fetch, whether
//! the user, the startup check or the scheduler started it. The shell forwards each as a typed
//! Tauri event and shows notifications from them.

use serde::{Deserialize, Serialize};

use crate::error::ErrorInfo;
use crate::store::MessageSummary;
use crate::sync::FetchProgress;

#[derive(Debug, Clone)]
pub enum EngineEvent {
    /// "n of N" while a fetch runs.
    FetchProgress(FetchProgress),
    /// A fetch stored new mail (`messages`, oldest first).
    MailArrived {
        report: FetchReport,
        messages: Vec<MessageSummary>,
    },
    /// A fetch ended without error (with or without new mail, or cancelled).
    FetchFinished(FetchReport),
    /// A fetch failed; nothing it had not committed was deleted.
    FetchFailed(FetchFailure),
    /// A message entered or left the outbox, or an attempt to send one failed.
    OutboxChanged,
    /// A draft was saved or deleted (or sent, which deletes it).
    DraftsChanged,
}

/// Payload of a failed fetch, for the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FetchFailure {
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub account_id: i64,
    pub error: ErrorInfo,
}

/// After a fetch that stored new mail: the UI reloads the list, the shell notifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FetchReport {
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub account_id: i64,
    pub new_messages: u32,
    /// The user cancelled this fetch before it finished.
    pub cancelled: bool,
}

impl From<&crate::sync::Fetched> for FetchReport {
    fn from(fetched: &crate::sync::Fetched) -> Self {
        FetchReport {
            account_id: fetched.account_id,
            new_messages: u32::try_from(fetched.new_messages.len()).unwrap_or(u32::MAX),
            cancelled: fetched.cancelled,
        }
    }
}
