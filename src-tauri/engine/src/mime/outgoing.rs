//! Building an outgoing message with lettre: RFC 5322 headers (Date, Message-ID always set —
//! lettre adds no Message-ID by itself), RFC 2047 encoded Hindi names and subjects, UTF-8 body.

use std::str::FromStr;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Attachment, Body, Mailbox, Mailboxes, MultiPart, SinglePart};
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
    /// The identity to send as (one of the account's addresses); empty: the account's own.
    #[serde(default)]
    pub from_address: String,
    /// The Message-ID this answers, without angle brackets (RFC 5322 §3.6.4).
    #[serde(default)]
    pub in_reply_to: Option<String>,
    /// The thread's Message-IDs, oldest first, without angle brackets.
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub attachments: Vec<OutgoingAttachment>,
    /// The saved draft this message was written in: it is deleted once the message is queued.
    #[serde(default)]
    pub draft_id: Option<i64>,
}

/// A file or a piece of stored mail to attach. Files are read when the message is sent (as
/// Thunderbird does), so a draft stays small and a changed file goes out as it is then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct OutgoingAttachment {
    /// The name the recipient sees.
    pub name: String,
    /// Bytes, as it was when attached: shown in the composer and checked against the server's
    /// SIZE limit.
    pub size: u64,
    pub source: AttachmentSource,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum AttachmentSource {
    File {
        path: String,
    },
    /// A whole stored message, attached as message/rfc822 ("forward as attachment").
    #[serde(rename_all = "camelCase")]
    Message {
        message_id: i64,
    },
    /// One attachment of a stored message (forwarding keeps the original's attachments).
    #[serde(rename_all = "camelCase")]
    MessagePart {
        message_id: i64,
        part: u32,
    },
}

/// An attachment's bytes, read when the message is built.
pub struct AttachmentData {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
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

/// A Message-ID as it goes in a header: one token in angle brackets, or nothing when what a
/// stored message or a draft gave cannot be one.
fn message_id_token(id: &str) -> Option<String> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    let valid = !id.is_empty()
        && id.len() <= 250
        && id.contains('@')
        && id
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>'));
    valid.then(|| format!("<{id}>"))
}

/// RFC 5322 §3.6.4 lets References grow with the thread; like Thunderbird we keep the first
/// (the thread's root) and the newest ones, so a long thread's header stays short.
const MAX_REFERENCES: usize = 20;

fn references_header(references: &[String]) -> Option<String> {
    let tokens: Vec<String> = references
        .iter()
        .filter_map(|id| message_id_token(id))
        .collect();
    let kept: Vec<&String> = if tokens.len() > MAX_REFERENCES {
        tokens
            .first()
            .into_iter()
            .chain(&tokens[tokens.len() - (MAX_REFERENCES - 1)..])
            .collect()
    } else {
        tokens.iter().collect()
    };
    (!kept.is_empty()).then(|| {
        kept.into_iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// A file name as a recipient's client will save it: one line, no directories.
fn attachment_file_name(name: &str) -> String {
    let name = one_line(name);
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    if base.is_empty() || base == "." || base == ".." {
        "attachment".to_owned()
    } else {
        base.to_owned()
    }
}

fn attachment_part(attachment: &AttachmentData) -> SinglePart {
    let content_type = ContentType::parse(&one_line(&attachment.content_type))
        .or_else(|_| ContentType::parse("application/octet-stream"))
        .unwrap_or(ContentType::TEXT_PLAIN);
    let name = attachment_file_name(&attachment.name);
    let bytes = attachment.bytes.clone();
    let body = if attachment
        .content_type
        .eq_ignore_ascii_case("message/rfc822")
    {
        // RFC 2046 §5.2.1 wants a message/rfc822 part in 7bit or 8bit; base64 is the last
        // resort for a message with lines too long for either (readers decode it anyway).
        Body::new_with_encoding(bytes, ContentTransferEncoding::SevenBit)
            .or_else(|bytes| Body::new_with_encoding(bytes, ContentTransferEncoding::EightBit))
            .or_else(|bytes| Body::new_with_encoding(bytes, ContentTransferEncoding::Base64))
            .unwrap_or_else(Body::new)
    } else {
        // Base64 always: the recipient gets exactly these bytes, whatever their line endings.
        Body::new_with_encoding(bytes, ContentTransferEncoding::Base64).unwrap_or_else(Body::new)
    };
    Attachment::new(name).body(body, content_type)
}

pub fn build_message(
    account: &AccountSettings,
    outgoing: &OutgoingMessage,
    attachments: &[AttachmentData],
) -> Result<BuiltMessage> {
    let from = account.identity(&outgoing.from_address);
    let sender_address = one_line(&from.email).parse().map_err(|error| {
        Error::new(
            ErrorKind::Config,
            format!("the sender address {} is invalid", from.email),
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
    for mailbox in parse_addresses("Reply-To", &from.reply_to)?.into_iter() {
        builder = builder.reply_to(mailbox);
    }
    if let Some(parent) = outgoing.in_reply_to.as_deref().and_then(message_id_token) {
        builder = builder.in_reply_to(parent);
    }
    if let Some(references) = references_header(&outgoing.references) {
        builder = builder.references(references);
    }
    for mailbox in to {
        builder = builder.to(mailbox);
    }
    for mailbox in cc {
        builder = builder.cc(mailbox);
    }
    let text = SinglePart::builder()
        .header(flowed_text())
        .body(super::flowed::encode(&unix_line_endings(&outgoing.body)));
    let built = if attachments.is_empty() {
        builder.singlepart(text)
    } else {
        let mut mixed = MultiPart::mixed().singlepart(text);
        for attachment in attachments {
            mixed = mixed.singlepart(attachment_part(attachment));
        }
        builder.multipart(mixed)
    };
    let message = built.map_err(|error| {
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

    fn account() -> AccountSettings {
        crate::account::test_account("आशा राव", "asha@example.org")
    }

    #[test]
    fn hindi_headers_are_encoded_and_ids_set() {
        let outgoing = OutgoingMessage {
            to: "रवि <ravi@example.org>, b@example.org".into(),
            cc: String::new(),
            bcc: String::new(),
            subject: "नमस्ते दुनिया".into(),
            body: "पहली पंक्ति\n.dot line\n".into(),
            ..OutgoingMessage::default()
        };
        let built = build_message(&account(), &outgoing, &[]).unwrap();
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
            ..OutgoingMessage::default()
        };
        match build_message(&account(), &outgoing, &[]) {
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
            ..OutgoingMessage::default()
        };
        let built = build_message(&account(), &outgoing, &[]).unwrap();
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

    /// What a draft or a mailto: link supplies is as untrusted as what is typed: no field,
    /// threading header, identity or attachment name can smuggle in a header or a recipient.
    #[test]
    fn hostile_drafts_never_make_headers() {
        let mut sender = account();
        sender.identities = vec![crate::account::Identity {
            display_name: "Evil\r\nBcc: spy@example.org".into(),
            email: "alt@example.org".into(),
            reply_to: String::new(),
            signature: String::new(),
        }];
        let outgoing = OutgoingMessage {
            to: "ravi@example.org".into(),
            subject: "s".into(),
            body: "b".into(),
            from_address: "alt@example.org".into(),
            in_reply_to: Some("a@b>\r\nX-Injected: 1".into()),
            references: vec!["ok@example.org".into(), "x@y\r\nX-Injected: 2".into()],
            ..OutgoingMessage::default()
        };
        let attachment = AttachmentData {
            name: "../../etc/evil\r\nX-Injected: 3.txt".into(),
            content_type: "text/plain\r\nX-Injected: 4".into(),
            bytes: b"x".to_vec(),
        };
        let built = build_message(&sender, &outgoing, &[attachment]).unwrap();
        let wire = String::from_utf8(built.raw.clone()).unwrap();
        assert!(!wire.contains("\r\nX-Injected"), "{wire}");
        assert!(!wire.contains("\r\nBcc:"), "{wire}");
        assert_eq!(built.envelope_to, ["ravi@example.org"]);
        assert!(
            wire.contains("\r\nReferences: <ok@example.org>\r\n"),
            "{wire}"
        );
        assert!(
            !wire.contains("In-Reply-To"),
            "an invalid id is dropped: {wire}"
        );
        assert!(
            !wire.contains("etc/evil") && !wire.contains(".."),
            "no path: {wire}"
        );
    }

    /// A line longer than SMTP allows (998) is encoded, never cut: it arrives whole.
    #[test]
    fn over_long_lines_are_encoded_not_cut() {
        let line: String = "अ".repeat(3000) + &"x".repeat(3000);
        let outgoing = OutgoingMessage {
            to: "ravi@example.org".into(),
            subject: "s".into(),
            body: format!("{line}\n"),
            ..OutgoingMessage::default()
        };
        let built = build_message(&account(), &outgoing, &[]).unwrap();
        let wire = String::from_utf8(built.raw.clone()).unwrap();
        assert!(
            wire.split("\r\n").all(|l| l.len() <= 998),
            "a line over 998"
        );
        let read = crate::mime::read_message(&built.raw);
        assert_eq!(read.text_body.unwrap(), format!("{line}\n"));
    }

    #[test]
    fn no_recipient_is_an_error() {
        let error = build_message(&account(), &OutgoingMessage::default(), &[])
            .err()
            .unwrap();
        assert_eq!(error.kind(), ErrorKind::Parse);
    }
}
