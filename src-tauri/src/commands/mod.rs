//! Tauri commands: argument → one engine call → result or `IpcError`. No SQL, no protocol code.

mod accounts;
mod compose;
mod desktop;
mod mail;
mod organise;

pub use accounts::*;
pub use compose::*;
pub use desktop::*;
pub use mail::*;
pub use organise::*;
