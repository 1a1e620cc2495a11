//! Refusals that concern the envelope rather than the connection: recipients the server would
//! not take, and addresses it cannot be given at all. Each becomes one error that names every
//! address and the server's words for it, so the user can correct them in one go.

use lettre::transport::smtp::response::{Response, Severity};

use crate::account::ServerSettings;
use crate::error::{Error, ErrorKind, ErrorReason, RefusedRecipient};

/// The server's reply as one line: "550 5.1.1 User unknown".
fn reply_text(reply: &Response) -> String {
    let text = reply.message_joined();
    if text.is_empty() {
        reply.code().to_string()
    } else {
        format!("{} {text}", reply.code())
    }
}

/// The server refused some or all of `total` recipients; nothing was sent (the transaction was
/// reset). RFC 5321 §4.2.1: if any refusal is 4yz the whole attempt is tried again later, since
/// an all-or-nothing message cannot go until every recipient is accepted; otherwise it is held
/// for the user with every refused address named.
pub(super) fn recipients_refused(
    server: &ServerSettings,
    total: usize,
    refused: &[lettre::transport::smtp::RefusedRecipient],
) -> Error {
    let place = format!("the SMTP server {}:{}", server.host, server.port);
    let transient = refused
        .iter()
        .any(|r| r.reply.code().severity == Severity::TransientNegativeCompletion);
    let listed: Vec<RefusedRecipient> = refused
        .iter()
        .map(|r| RefusedRecipient {
            address: r.address.to_string(),
            reply: reply_text(&r.reply),
        })
        .collect();
    let named = listed
        .iter()
        .map(|r| format!("{} ({})", r.address, r.reply))
        .collect::<Vec<_>>()
        .join("; ");
    let count = listed.len();
    if transient {
        Error::new(
            ErrorKind::Protocol,
            format!(
                "{place} did not accept {count} of {total} recipients for now: {named}; \
                 the message was sent to nobody and will be tried again"
            ),
        )
        .with_reason(ErrorReason::ServerTemporaryFailure)
    } else {
        Error::new(
            ErrorKind::Protocol,
            format!(
                "{place} refused {count} of {total} recipients: {named}; \
                 the message was sent to nobody"
            ),
        )
        .with_reason(ErrorReason::RecipientsRefused { refused: listed })
    }
}

/// Addresses with a non-ASCII local part need SMTPUTF8 (RFC 6531), which this server does not
/// offer. Nothing was sent; only a changed address (or server) helps, so it is not retried.
pub(super) fn needs_smtputf8(server: &ServerSettings, addresses: &[lettre::Address]) -> Error {
    let place = format!("the SMTP server {}:{}", server.host, server.port);
    let named = addresses
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let (them, their, parts) = if addresses.len() == 1 {
        ("the address", "its", "part")
    } else {
        ("the addresses", "their", "parts")
    };
    Error::new(
        ErrorKind::Config,
        format!(
            "{place} does not accept {them} {named}: {their} {parts} before @ \
             {is} not ASCII and the server does not offer SMTPUTF8",
            is = if addresses.len() == 1 { "is" } else { "are" }
        ),
    )
}

#[cfg(test)]
mod tests {
    use lettre::transport::smtp::response::{Category, Code, Detail};

    use super::*;
    use crate::account::Security;

    fn server() -> ServerSettings {
        ServerSettings {
            host: "smtp.example.org".into(),
            port: 587,
            security: Security::StartTls,
            username: "u".into(),
        }
    }

    fn refused(
        address: &str,
        severity: Severity,
        detail: Detail,
        text: &str,
    ) -> lettre::transport::smtp::RefusedRecipient {
        lettre::transport::smtp::RefusedRecipient {
            address: address.parse().expect("address"),
            reply: Response::new(
                Code::new(severity, Category::MailSystem, detail),
                vec![text.to_owned()],
            ),
        }
    }

    #[test]
    fn every_refused_recipient_is_named_with_its_reply() {
        let error = recipients_refused(
            &server(),
            3,
            &[
                refused(
                    "bad@x.example",
                    Severity::PermanentNegativeCompletion,
                    Detail::Zero,
                    "5.1.1 User unknown",
                ),
                refused(
                    "other@y.example",
                    Severity::PermanentNegativeCompletion,
                    Detail::Three,
                    "5.1.3 Bad address syntax",
                ),
            ],
        );
        assert_eq!(
            error.message(),
            "the SMTP server smtp.example.org:587 refused 2 of 3 recipients: \
             bad@x.example (550 5.1.1 User unknown); other@y.example (553 5.1.3 Bad address \
             syntax); the message was sent to nobody"
        );
        assert_eq!(error.kind(), ErrorKind::Protocol);
        assert!(!error.is_transient(), "held for the user");
        assert_eq!(
            error.reason(),
            Some(&ErrorReason::RecipientsRefused {
                refused: vec![
                    RefusedRecipient {
                        address: "bad@x.example".into(),
                        reply: "550 5.1.1 User unknown".into()
                    },
                    RefusedRecipient {
                        address: "other@y.example".into(),
                        reply: "553 5.1.3 Bad address syntax".into()
                    },
                ]
            })
        );
    }

    #[test]
    fn one_temporary_refusal_makes_the_whole_attempt_temporary() {
        let error = recipients_refused(
            &server(),
            2,
            &[
                refused(
                    "bad@x.example",
                    Severity::PermanentNegativeCompletion,
                    Detail::Zero,
                    "5.1.1 User unknown",
                ),
                refused(
                    "busy@y.example",
                    Severity::TransientNegativeCompletion,
                    Detail::Zero,
                    "4.2.1 Try later",
                ),
            ],
        );
        assert_eq!(error.reason(), Some(&ErrorReason::ServerTemporaryFailure));
        assert!(error.is_transient());
        assert!(
            error
                .message()
                .contains("busy@y.example (450 4.2.1 Try later)"),
            "{error}"
        );
    }

    #[test]
    fn the_reason_reaches_the_ui_as_structured_json() {
        let error = recipients_refused(
            &server(),
            1,
            &[refused(
                "bad@x.example",
                Severity::PermanentNegativeCompletion,
                Detail::Zero,
                "User unknown",
            )],
        );
        let json = serde_json::to_value(crate::error::ErrorInfo::from(&error)).expect("json");
        assert_eq!(
            json["reason"],
            serde_json::json!({"recipientsRefused": {"refused": [
                {"address": "bad@x.example", "reply": "550 User unknown"}
            ]}})
        );
        let back: crate::error::ErrorInfo = serde_json::from_value(json).expect("read back");
        assert_eq!(back.reason, error.reason().cloned());
    }

    #[test]
    fn a_non_ascii_local_part_without_smtputf8_is_a_config_error_naming_it() {
        let error = needs_smtputf8(&server(), &["रवि@example.org".parse().expect("address")]);
        assert_eq!(error.kind(), ErrorKind::Config);
        assert!(!error.is_transient());
        assert_eq!(
            error.message(),
            "the SMTP server smtp.example.org:587 does not accept the address रवि@example.org: \
             its part before @ is not ASCII and the server does not offer SMTPUTF8"
        );
    }
}
