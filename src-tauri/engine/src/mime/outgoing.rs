//! Building an outgoing message with lettre: RFC 5322 headers (Date, Message-ID always set —
//! lettre adds no Message-ID by itself), RFC 2047 encoded Hindi names and subjects, UTF-8 body.

use std::str::FromStr;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Mailboxes};
use lettre::Message;
use serde::{Deserialize, Serialize};

use crate::account::AccountSettings;
use crate::error::{Error, ErrorKind, Result};

/// What the user wrote in the composer. Addresses are as typed: comma-separated, with or
/// without display names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct OutgoingMessage {
    pub to: String,
    pub cc: String,
    /// Recipients who receive the message without appearing in it: they are in the SMTP
    /// envelope only, never in a header anyone receives.
    #[serde(default)]
    pub bcc: String,
    pub subject: String,
    pub body: String,
}

pub struct BuiltMessage {
    /// The exact bytes that go to the server and, once accepted, to Sent.
    pub raw: Vec<u8>,
    /// Without angle brackets.
    pub message_id: String,
    pub envelope_from: String,
    /// To, Cc and Bcc addresses: every RCPT TO.
    pub envelope_to: Vec<String>,
    pub bcc: Vec<String>,
    pub subject: String,
    /// The To and Cc addresses, for the Outbox list.
    pub to_display: String,
}

/// A header value supplied by a user is one line: CR, LF and other controls never reach the
/// wire, so no field can smuggle in a header or a recipient.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

fn parse_addresses(field: &str, text: &str) -> Result<Mailboxes> {
    let text = one_line(text);
    if text.is_empty() {
        return Ok(Mailboxes::new());
    }
    let mailboxes = Mailboxes::from_str(&text).map_err(|error| {
        Error::new(
            ErrorKind::Parse,
            format!("the {field} field holds an invalid address: {text}"),
        )
        .with_source(error)
    })?;
    // IDN domains as A-labels: headers and envelope stay ASCII where they can (see idn.rs).
    Ok(mailboxes
        .into_iter()
        .map(super::idn::ascii_domain_mailbox)
        .collect())
}

pub fn build_message(from: &AccountSettings, outgoing: &OutgoingMessage) -> Result<BuiltMessage> {
    let sender_address = one_line(&from.email).parse().map_err(|error| {
        Error::new(
            ErrorKind::Config,
            format!("the account address {} is invalid", from.email),
        )
        .with_source(error)
    })?;
    let sender_address = super::idn::ascii_domain(sender_address);
    let sender_name = one_line(&from.display_name);
    let sender = Mailbox::new(
        (!sender_name.is_empty()).then_some(sender_name),
        sender_address,
    );
    let to = parse_addresses("To", &outgoing.to)?;
    let cc = parse_addresses("Cc", &outgoing.cc)?;
    let bcc = parse_addresses("Bcc", &outgoing.bcc)?;
    if to
        .iter()
        .chain(cc.iter())
        .chain(bcc.iter())
        .next()
        .is_none()
    {
        return Err(Error::new(ErrorKind::Parse, "the message has no recipient"));
    }
    let envelope_from = sender.email.to_string();
    let mut envelope_to: Vec<String> = Vec::new();
    for mailbox in to.iter().chain(cc.iter()).chain(bcc.iter()) {
        let address = mailbox.email.to_string();
        if !envelope_to.contains(&address) {
            envelope_to.push(address);
        }
    }
    let bcc: Vec<String> = bcc
        .iter()
        .map(|mailbox| mailbox.email.to_string())
        .collect();
    let to_display = to
        .iter()
        .chain(cc.iter())
        .map(|mailbox| mailbox.email.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let subject = one_line(&outgoing.subject);
    // The sender's domain as A-labels: a Message-ID is ASCII (RFC 5322 §3.6.4).
    let message_id = format!(
        "{}@{}",
        uuid::Uuid::new_v4().simple(),
        sender.email.domain()
    );

    let mut builder = Message::builder()
        .from(sender)
        .subject(subject.clone())
        .message_id(Some(format!("<{message_id}>")))
        .date_now()
        .user_agent(format!("Dakiya/{}", env!("CARGO_PKG_VERSION")));
    for mailbox in to {
        builder = builder.to(mailbox);
    }
    for mailbox in cc {
        builder = builder.cc(mailbox);
    }
    let message = builder
        .header(flowed_text())
        .body(super::flowed::encode(&unix_line_endings(&outgoing.body)))
        .map_err(|error| {
            Error::new(
                ErrorKind::Parse,
                format!("the message cannot be built: {error}"),
            )
            .with_source(error)
        })?;
    // SMTP ends the data with CRLF "." CRLF, and that first CRLF ends the message's last line:
    // what the server stores always ends in CRLF, so the bytes kept for Sent do too.
    let mut raw = message.formatted();
    if !raw.ends_with(b"\r\n") {
        raw.extend_from_slice(b"\r\n");
    }
    Ok(BuiltMessage {
        raw,
        message_id,
        envelope_from,
        envelope_to,
        bcc,
        subject,
        to_display,
    })
}

/// Any line ending a text area or a paste gives becomes "\n" (the flowed encoder writes CRLF);
/// a lone CR must not survive as a line break of its own.
fn unix_line_endings(body: &str) -> String {
    body.replace("\r\n", "\n").replace('\r', "\n")
}

/// text/plain in UTF-8, format=flowed (RFC 3676).
fn flowed_text() -> ContentType {
    ContentType::parse("text/plain; charset=utf-8; format=flowed")
        .unwrap_or(ContentType::TEXT_PLAIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::{Pop3Mode, Security, ServerSettings};

    fn account() -> AccountSettings {
        let server = ServerSettings {
            host: "localhost".into(),
            port: 1,
            security: Security::Tls,
            username: "u".into(),
        };
        AccountSettings {
            display_name: "आशा राव".into(),
            email: "asha@example.org".into(),
            pop3: server.clone(),
            pop3_mode: Pop3Mode::KeepOnServer,
            keep_days: None,
            delete_when_deleted_here: false,
            headers_only: false,
            max_message_kib: None,
            check_interval_minutes: None,
            smtp: server,
            trusted_certificate: None,
        }
    }

    #[test]
    fn hindi_headers_are_encoded_and_ids_set() {
        let outgoing = OutgoingMessage {
            to: "रवि <ravi@example.org>, b@example.org".into(),
            cc: String::new(),
            bcc: String::new(),
            subject: "नमस्ते दुनिया".into(),
            body: "पहली पंक्ति\n.dot line\n".into(),
        };
        let built = build_message(&account(), &outgoing).unwrap();
        let wire = String::from_utf8(built.raw.clone()).unwrap();
        assert!(wire.is_ascii(), "headers and body must be encoded: {wire}");
        assert!(wire.contains(&format!("Message-ID: <{}>", built.message_id)));
        assert!(wire.contains("\r\nDate: "));
        let parsed = crate::mime::envelope(wire.as_bytes());
        assert_eq!(parsed.subject, "नमस्ते दुनिया");
        assert_eq!(parsed.from_name, "आशा राव");
        let content = crate::mime::read_message(wire.as_bytes());
        assert_eq!(content.text_body.unwrap(), "पहली पंक्ति\n.dot line\n");
    }

    #[test]
    fn newlines_in_fields_never_make_headers() {
        let outgoing = OutgoingMessage {
            to: "a@example.org\r\nBcc: evil@example.org".into(),
            cc: String::new(),
            bcc: String::new(),
            subject: "hi\r\nX-Injected: yes".into(),
            body: String::new(),
        };
        match build_message(&account(), &outgoing) {
            Ok(built) => {
                let wire = String::from_utf8(built.raw.clone()).unwrap();
                assert!(!wire.contains("\r\nX-Injected"));
                assert!(!wire.contains("\r\nBcc:"));
            }
            Err(error) => assert_eq!(error.kind(), ErrorKind::Parse),
        }
    }

    /// Bcc recipients are in the envelope only: no header anyone receives names them.
    #[test]
    fn bcc_is_in_the_envelope_only() {
        let outgoing = OutgoingMessage {
            to: "ravi@example.org".into(),
            cc: "meera@example.org".into(),
            bcc: "Secret <secret@example.org>, ravi@example.org".into(),
            subject: "s".into(),
            body: "b".into(),
        };
        let built = build_message(&account(), &outgoing).unwrap();
        let wire = String::from_utf8(built.raw.clone()).unwrap();
        assert!(!wire.to_ascii_lowercase().contains("secret"), "{wire}");
        assert!(!wire.contains("\r\nBcc:"));
        assert_eq!(
            built.envelope_to,
            [
                "ravi@example.org",
                "meera@example.org",
                "secret@example.org"
            ]
        );
        assert_eq!(built.bcc, ["secret@example.org", "ravi@example.org"]);
        assert_eq!(built.envelope_from, "asha@example.org");
    }

    #[test]
    fn no_recipient_is_an_error() {
        let error = build_message(&account(), &OutgoingMessage::default())
            .err()
            .unwrap();
        assert_eq!(error.kind(), ErrorKind::Parse);
    }
}
