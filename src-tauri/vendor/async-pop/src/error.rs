//! The crate's error type. A `-ERR` reply is [`ErrorKind::ServerError`] and leaves the
//! connection usable; every other kind means the connection was dropped (see `PopStream`).

use std::{error, fmt, io, num::ParseIntError, result, str::Utf8Error};

macro_rules! err {
    ($kind:expr, $($arg:tt)*) => {{
        let kind = $kind;
        let message = format!($($arg)*);
        return Err($crate::error::Error::new(kind, message));
    }};
}

#[derive(Debug)]
pub enum ErrorKind {
    Io(io::Error),
    ParseInt(ParseIntError),
    ParseString(Utf8Error),
    /// The server answered `-ERR`; the text after it (RFC 1939 §3).
    ServerError(String),
    #[cfg(feature = "sasl")]
    DecodeBase64(base64::DecodeError),
    NotConnected,
    ShouldNotBeConnected,
    IncorrectStateForCommand,
    MessageIsDeleted,
    FeatureUnsupported,
    ServerFailedToGreet,
    InvalidResponse,
    ResponseTooLarge,
    MissingRequest,
    ParseCommand,
    UnexpectedResponse,
    /// The server closed the connection (a read returned 0 bytes) before the reply was complete.
    ConnectionClosed,
    /// A command argument holds CR, LF or NUL, which would smuggle a second command onto the wire.
    InvalidArgument,
}

#[derive(Debug)]
pub struct Error {
    message: String,
    kind: ErrorKind,
}

impl Error {
    pub fn new<S>(error_kind: ErrorKind, message: S) -> Self
    where
        String: From<S>,
    {
        Self {
            message: message.into(),
            kind: error_kind,
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Gives up the kind by value, so callers can keep the `io::Error` (and what it wraps).
    pub fn into_kind(self) -> ErrorKind {
        self.kind
    }

    /// A `-ERR` reply: the exchange completed and the connection is still in step.
    pub fn is_server_error(&self) -> bool {
        matches!(self.kind, ErrorKind::ServerError(_))
    }
}

impl error::Error for Error {
    fn source(&self) -> Option<&(dyn error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(inner) => Some(inner),
            ErrorKind::ParseInt(inner) => Some(inner),
            ErrorKind::ParseString(inner) => Some(inner),
            #[cfg(feature = "sasl")]
            ErrorKind::DecodeBase64(inner) => Some(inner),
            _ => None,
        }
    }
}

impl From<Error> for String {
    fn from(val: Error) -> Self {
        val.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::ServerError(text) if !text.is_empty() => {
                write!(f, "{}: {}", self.message, text)
            }
            _ => f.write_str(&self.message),
        }
    }
}

impl From<io::Error> for Error {
    fn from(io_error: io::Error) -> Self {
        let message = format!("Error with connection to server: {io_error}");
        Self::new(ErrorKind::Io(io_error), message)
    }
}

impl From<ParseIntError> for Error {
    fn from(parse_int_error: ParseIntError) -> Self {
        Self::new(ErrorKind::ParseInt(parse_int_error), "Failed to parse int")
    }
}

impl From<Utf8Error> for Error {
    fn from(error: Utf8Error) -> Self {
        Self::new(ErrorKind::ParseString(error), "Failed to parse string")
    }
}

#[cfg(feature = "sasl")]
impl From<base64::DecodeError> for Error {
    fn from(error: base64::DecodeError) -> Self {
        Self::new(ErrorKind::DecodeBase64(error), "Failed to decode base64")
    }
}

pub(crate) use err;

pub type Result<T> = result::Result<T, Error>;
