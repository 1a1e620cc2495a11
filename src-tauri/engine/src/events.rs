//! What the engine tells the outside world without being asked. The shell forwards each as a
//! typed Tauri event; the CLI prints them.

use serde::{Deserialize, Serialize};

/// After a fetch that stored new mail: the UI reloads the list, the shell notifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FetchReport {
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub account_id: i64,
    pub new_messages: u32,
}

impl From<&crate::sync::Fetched> for FetchReport {
    fn from(fetched: &crate::sync::Fetched) -> Self {
        FetchReport {
            account_id: fetched.account_id,
            new_messages: u32::try_from(fetched.new_messages.len()).unwrap_or(u32::MAX),
        }
    }
}
