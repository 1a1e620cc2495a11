//! Turns async-pop's errors into the engine's [`Error`] kinds the UI can act on.

use std::time::Duration;

use async_pop::ErrorKind as Pop;

use super::timeouts::describe;
use crate::error::{network_error, Error, ErrorKind, ErrorReason};

/// A command (or the greeting) that failed with `error`.
pub(super) fn from_pop(step: &str, error: async_pop::Error) -> Error {
    let detail = error.to_string();
    match error.into_kind() {
        Pop::Io(io) => network_error(
            format!("the connection to the POP3 server failed during {step}"),
            io,
        ),
        Pop::ConnectionClosed => Error::new(
            ErrorKind::Network,
            format!("the POP3 server closed the connection during {step}"),
        )
        .with_reason(ErrorReason::ConnectionClosed),
        Pop::ServerError(text) => Error::new(
            ErrorKind::Protocol,
            format!("the POP3 server refused {step}: {text}"),
        ),
        Pop::InvalidArgument => Error::config(format!("{step} was not sent: {detail}")),
        Pop::InvalidResponse
        | Pop::UnexpectedResponse
        | Pop::ResponseTooLarge
        | Pop::ParseInt(_)
        | Pop::ParseString(_)
        | Pop::DecodeBase64(_)
        | Pop::ServerFailedToGreet => Error::new(
            ErrorKind::Protocol,
            format!("the POP3 server's reply to {step} makes no sense: {detail}"),
        ),
        Pop::NotConnected
        | Pop::ShouldNotBeConnected
        | Pop::IncorrectStateForCommand
        | Pop::MessageIsDeleted
        | Pop::FeatureUnsupported
        | Pop::MissingRequest
        | Pop::ParseCommand => Error::internal(format!("{step} could not be sent: {detail}")),
    }
}

/// A failed login. `-ERR` means wrong credentials — unless a response code (RFC 2449 §8,
/// RFC 3206) says the account is busy or the server is in trouble, when asking the user for
/// a new password would be wrong (DESIGN §4).
pub(super) fn from_login(error: async_pop::Error) -> Error {
    let Pop::ServerError(text) = error.kind() else {
        return from_pop("the login", error);
    };
    let code = text
        .strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .map(|(code, _)| code);
    let reason = code.and_then(|code| {
        let code = code.to_ascii_uppercase();
        match code.as_str() {
            "IN-USE" => Some(ErrorReason::MailboxInUse),
            "LOGIN-DELAY" => Some(ErrorReason::LoginTooSoon),
            "SYS/TEMP" => Some(ErrorReason::ServerTemporaryFailure),
            "SYS/PERM" => Some(ErrorReason::ServerPermanentFailure),
            _ => None,
        }
    });
    match reason {
        Some(reason) => Error::new(
            ErrorKind::Protocol,
            format!("the POP3 server cannot log you in now: {text}"),
        )
        .with_reason(reason),
        None => Error::new(
            ErrorKind::Auth,
            format!("the POP3 server refused the user name or password: {text}"),
        ),
    }
}

pub(super) fn timed_out(step: &str, limit: Duration) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!(
            "the POP3 server did not answer {step} within {}",
            describe(limit)
        ),
    )
}

pub(super) fn greeting_timed_out(limit: Duration) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!(
            "the POP3 server did not send its greeting within {}",
            describe(limit)
        ),
    )
}

pub(super) fn dropped(step: &str) -> Error {
    Error::internal(format!(
        "the POP3 session was dropped after an earlier error, so {step} was not sent"
    ))
}

/// A reply that parsed but holds a number the engine cannot use.
pub(super) fn nonsense(step: &str, what: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Protocol,
        format!("the POP3 server's reply to {step} makes no sense: {what}"),
    )
}
