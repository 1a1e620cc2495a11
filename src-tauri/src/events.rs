//! Names of the events the shell emits to the UI (payload types are generated into the UI's
//! bindings).

/// Payload: `FetchReport`. Sent after a fetch stored new mail.
pub const MAIL_ARRIVED: &str = "mail-arrived";
