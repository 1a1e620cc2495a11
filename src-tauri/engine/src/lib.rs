//! Dakiya's mail engine. It owns every mail fact — accounts, POP3 retrieval, SMTP submission,
//! MIME parsing and building, HTML sanitising, the SQLite store and the sync logic — and knows
//! nothing of Tauri or the UI, so all of it is testable headless (and drives the CLI).

pub mod account;
mod engine;
pub mod error;
pub mod events;
mod indexer;
pub mod mime;
mod net;
pub mod pop3;
pub mod smtp;
pub mod store;
pub mod sync;
pub mod tls;

pub use account::discover::{
    DiscoveredServer, Discovery, DiscoveryOptions, DiscoverySource, NoteText, ProviderNote,
    UsernameForm,
};
pub use account::{Account, AccountSettings, Passwords, Pop3Mode, Security, ServerSettings};
pub use engine::{
    default_data_dir, CheckOutcome, ComposeStart, ConnectionReport, DesktopSettings, Engine,
    Language, MessageDetail, PasswordStorage, SendOutcome, SendReport, SendStarted, Theme,
    ViewSettings, DATA_DIR_ENV,
};
pub use error::{Error, ErrorInfo, ErrorKind, ErrorReason, RefusedRecipient, Result};
pub use events::{EngineEvent, FetchFailure, FetchReport};
pub use mime::OutgoingMessage;
pub use store::{MessageSummary, SearchHit};
pub use sync::FetchProgress;
pub use tls::TrustedCertificate;
