//! What the shell keeps between commands: the engine, or why it could not be opened (a store
//! that is corrupt or too new must be reported in the window, not crash it).

use std::path::PathBuf;
use std::sync::Arc;

use dakiya_engine::{Account, Engine, Language, PasswordStorage};
use serde::{Deserialize, Serialize};

use crate::ipc_error::{ipc, IpcError};

pub struct Shell {
    /// Where this instance keeps its data; `None` when not even that could be found.
    data_dir: Option<PathBuf>,
    engine: Result<Arc<Engine>, IpcError>,
}

impl Shell {
    pub fn open(data_dir: Option<PathBuf>) -> Shell {
        Shell::open_with(data_dir, PasswordStorage::KeyringIfAvailable)
    }

    pub fn open_with(data_dir: Option<PathBuf>, storage: PasswordStorage) -> Shell {
        match data_dir.map_or_else(dakiya_engine::default_data_dir, Ok) {
            Ok(dir) => {
                let engine = Engine::open(&dir, storage).map(Arc::new).map_err(ipc);
                Shell {
                    data_dir: Some(dir),
                    engine,
                }
            }
            Err(error) => Shell {
                data_dir: None,
                engine: Err(ipc(error)),
            },
        }
    }

    /// The webview's own storage (cache, local storage) lives beside the mail, so a separate
    /// data directory isolates an instance completely.
    pub fn webview_data_dir(&self) -> Option<PathBuf> {
        self.data_dir.as_ref().map(|dir| dir.join("webview"))
    }

    pub fn data_dir(&self) -> Option<&std::path::Path> {
        self.data_dir.as_deref()
    }

    pub fn engine(&self) -> Result<Arc<Engine>, IpcError> {
        self.engine.clone()
    }
}

/// Everything the UI needs at start.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AppState {
    pub accounts: Vec<Account>,
    pub keyring_available: bool,
    pub language: Language,
    pub data_dir: String,
    /// Seconds a sent message can still be taken back (0: sent at once).
    pub undo_send_seconds: u32,
    pub view: dakiya_engine::ViewSettings,
    pub desktop: dakiya_engine::DesktopSettings,
}
