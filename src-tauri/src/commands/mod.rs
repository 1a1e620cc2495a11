//! Tauri commands: argument → one engine call → result or `IpcError`. No SQL, no protocol code.

mod accounts;
mod mail;

pub use accounts::*;
pub use mail::*;
