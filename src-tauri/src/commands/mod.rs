//! Tauri commands: argument → one engine call → result or `IpcError`. No SQL, no protocol code.

mod accounts;
mod compose;
mod mail;

pub use accounts::*;
pub use compose::*;
pub use mail::*;
