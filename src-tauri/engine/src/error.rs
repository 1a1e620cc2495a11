//! One error type for the whole engine. Callers branch on [`ErrorKind`], never on message text;
//! the UI turns the kind (plus a few structured details) into an English or Hindi sentence.

use std::fmt;

/// What went wrong, coarsely enough that the UI can say it in a sentence and decide what to do
/// (ask for a password, retry later, show the raw message…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    /// The host name did not resolve, the connection was refused or dropped.
    Network,
    /// The TLS handshake failed: untrusted or mismatched certificate, or no STARTTLS offered.
    Tls,
    /// The server refused the user name or password.
    Auth,
    /// A connect, handshake or command took longer than its deadline.
    Timeout,
    /// The server answered something the protocol does not allow, or refused a command.
    Protocol,
    /// The local SQLite store could not be read or written.
    Storage,
    /// A message, address or certificate could not be parsed.
    Parse,
    /// The account settings are incomplete or contradictory.
    Config,
    /// The account or message asked for does not exist.
    NotFound,
    /// A bug or an environment problem the user cannot fix (a task panicked, …).
    Internal,
}

impl ErrorKind {
    /// Worth retrying later without asking the user anything.
    pub fn is_transient(self) -> bool {
        matches!(self, ErrorKind::Network | ErrorKind::Timeout)
    }
}

/// Finer detail for the few failures the user must be told apart. The UI has a sentence for each.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum ErrorReason {
    /// DNS found no such host.
    UnknownHost,
    /// Nothing listens on that port (connection refused).
    ConnectionRefused,
    /// The server's certificate is not trusted for this host name.
    CertificateNotTrusted,
    /// STARTTLS/STLS was required but the server does not offer it.
    StartTlsNotOffered,
    /// The server closed the connection before the reply was complete.
    ConnectionClosed,
    /// The database was written by a newer Dakiya and is left untouched.
    DatabaseTooNew,
    /// The OS keyring (Secret Service) is not available; passwords live in memory only.
    KeyringUnavailable,
    /// No password is known for this account in this session.
    PasswordMissing,
    /// POP3 `[IN-USE]` (RFC 2449 §8): another client holds the maildrop right now.
    MailboxInUse,
    /// POP3 `[LOGIN-DELAY]` (RFC 2449 §8): the server allows logins only so often.
    LoginTooSoon,
    /// POP3 `[SYS/TEMP]` (RFC 3206): the server has a passing problem of its own.
    ServerTemporaryFailure,
    /// POP3 `[SYS/PERM]` (RFC 3206): the server has a lasting problem; the provider must fix it.
    ServerPermanentFailure,
    /// The disk holding the mail store is full (or the store hit a size limit).
    DiskFull,
    /// The POP3 server has neither UIDL nor TOP, so Dakiya cannot tell which messages it
    /// already has: only "delete after download", whole messages, works with it.
    NoUniqueIds,
    /// The message is no longer on the POP3 server, so it cannot be downloaded whole.
    GoneFromServer,
    /// The SMTP server refused the message for good (5yz): it stays in the outbox until the
    /// user changes something and sends it again.
    MessageRefused,
    /// A file attached to the message is gone or unreadable: the message was not sent and
    /// stays in the composer.
    AttachmentMissing,
    /// The SMTP server refused these recipients for good (5yz to their RCPT TO). The message
    /// went to nobody (all or nothing) and stays in the outbox until the user corrects them.
    RecipientsRefused { refused: Vec<RefusedRecipient> },
    /// A newer search (the user typed on) replaced this one before it finished: nothing to
    /// show or report, the newer one's results follow.
    Superseded,
    /// Account discovery: the provider's configuration lists only IMAP servers, and Dakiya
    /// speaks POP3. The user can still enter a POP3 server by hand if the provider has one.
    ImapOnly,
    /// Account discovery: neither the provider database, the provider's own configuration nor
    /// guessing found a POP3 and an SMTP server that answer with a trusted certificate.
    ServersNotFound,
    /// Account discovery: the provider's configuration file is not valid (malformed XML, a
    /// DOCTYPE, an unknown entity, a missing required field).
    AutoconfigInvalid,
    /// Account discovery: the provider's configuration file is larger than any real one.
    AutoconfigTooLarge,
    /// Account discovery: the provider's configuration redirected to an unencrypted http://
    /// address, which anyone on the network could have forged, so it was not followed.
    InsecureRedirect,
}

/// One recipient an SMTP server would not accept, and why in its own words.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RefusedRecipient {
    /// The address as it went out in RCPT TO.
    pub address: String,
    /// The server's reply: code, enhanced status code and text, e.g. "550 5.1.1 User unknown".
    pub reply: String,
}

/// The engine's error: a kind, a sentence-sized message in English for logs and the CLI,
/// an optional structured reason, and the underlying cause.
#[derive(Debug, thiserror::Error)]
pub struct Error {
    kind: ErrorKind,
    reason: Option<ErrorReason>,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            reason: None,
            message: message.into(),
            source: None,
        }
    }

    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        self.source = Some(source.into());
        self
    }

    pub fn with_reason_opt(mut self, reason: Option<ErrorReason>) -> Self {
        self.reason = reason;
        self
    }

    pub fn with_reason(mut self, reason: ErrorReason) -> Self {
        self.reason = Some(reason);
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Worth retrying later without asking the user anything (no new password, no new settings).
    pub fn is_transient(&self) -> bool {
        self.kind.is_transient()
            || matches!(
                self.reason,
                Some(
                    ErrorReason::MailboxInUse
                        | ErrorReason::LoginTooSoon
                        | ErrorReason::ServerTemporaryFailure
                )
            )
    }

    pub fn reason(&self) -> Option<&ErrorReason> {
        self.reason.as_ref()
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The message followed by every cause it does not already quote, for logs and the CLI.
    pub fn chain(&self) -> String {
        let mut text = self.message.clone();
        let mut cause = std::error::Error::source(self);
        while let Some(inner) = cause {
            let cause_text = inner.to_string();
            if !text.contains(&cause_text) {
                text.push_str(": ");
                text.push_str(&cause_text);
            }
            cause = inner.source();
        }
        text
    }

    /// Prefixes the message with what was being done, keeping kind, reason and cause.
    pub fn context(mut self, doing: impl fmt::Display) -> Self {
        self.message = format!("{doing}: {}", self.message);
        self
    }

    pub fn storage(source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        let source = source.into();
        Error::new(
            ErrorKind::Storage,
            format!("the mail store failed: {source}"),
        )
        .with_source(source)
    }

    pub fn not_found(what: impl fmt::Display) -> Self {
        Error::new(ErrorKind::NotFound, format!("{what} does not exist"))
    }

    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Internal, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Self {
        if error.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
            return Error::new(
                ErrorKind::Storage,
                "the disk holding the mail store is full; nothing more was downloaded or deleted",
            )
            .with_reason(ErrorReason::DiskFull)
            .with_source(error);
        }
        Error::storage(error)
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(error: tokio::task::JoinError) -> Self {
        Error::internal(format!("a background task failed: {error}"))
    }
}

/// Classifies an I/O error from a connection attempt or an open session.
pub fn network_error(doing: impl fmt::Display, error: std::io::Error) -> Error {
    use std::io::ErrorKind as Io;
    let (kind, reason) = match error.kind() {
        Io::ConnectionRefused => (ErrorKind::Network, Some(ErrorReason::ConnectionRefused)),
        Io::TimedOut => (ErrorKind::Timeout, None),
        Io::UnexpectedEof | Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe => {
            (ErrorKind::Network, Some(ErrorReason::ConnectionClosed))
        }
        Io::InvalidData if is_certificate_problem(&error) => {
            (ErrorKind::Tls, Some(ErrorReason::CertificateNotTrusted))
        }
        _ => (ErrorKind::Network, None),
    };
    let mut out = Error::new(kind, format!("{doing}: {error}")).with_source(error);
    out.reason = reason;
    out
}

/// tokio-rustls reports handshake failures as `InvalidData` wrapping the rustls error.
fn is_certificate_problem(error: &std::io::Error) -> bool {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<tokio_rustls::rustls::Error>())
        .is_some_and(|tls| matches!(tls, tokio_rustls::rustls::Error::InvalidCertificate(_)))
}

/// The serialisable face of an [`Error`] that crosses into the UI and the CLI's JSON output.
/// The UI builds its sentence from `kind` and `reason`; `message` is English detail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS), ts(rename = "IpcError"))]
#[serde(rename_all = "camelCase")]
pub struct ErrorInfo {
    pub kind: ErrorKind,
    pub reason: Option<ErrorReason>,
    pub message: String,
}

impl From<&Error> for ErrorInfo {
    fn from(error: &Error) -> Self {
        ErrorInfo {
            kind: error.kind,
            reason: error.reason.clone(),
            message: error.chain(),
        }
    }
}
