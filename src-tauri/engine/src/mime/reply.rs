//! Starting a reply or a forward from a received message: who it goes to, the subject, the
//! threading headers, the quoted text and what is attached — what Thunderbird fills in.

use mail_parser::{Address, HeaderValue, Message, MessageParser, MimeHeaders};
use serde::{Deserialize, Serialize};

use super::outgoing::{AttachmentSource, OutgoingAttachment, OutgoingMessage};
use crate::account::AccountSettings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Response {
    Reply,
    ReplyAll,
    /// The original's text quoted in the body, its attachments attached again.
    Forward,
    /// The original, untouched, as a message/rfc822 attachment.
    ForwardAsAttachment,
}

/// The words around a quote, in the user's language.
pub struct QuoteWords<'a> {
    /// "On {date}, {name} wrote:"
    pub attribution: &'a dyn Fn(&str, &str) -> String,
    pub forwarded_header: &'a str,
}

pub const ENGLISH: QuoteWords<'static> = QuoteWords {
    attribution: &|date, name| format!("On {date}, {name} wrote:"),
    forwarded_header: "-------- Forwarded Message --------",
};

pub const HINDI: QuoteWords<'static> = QuoteWords {
    attribution: &|date, name| format!("{date} को {name} ने लिखा:"),
    forwarded_header: "-------- अग्रेषित संदेश --------",
};

fn one_line(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

struct Person {
    name: String,
    address: String,
}

impl Person {
    /// As it goes in a composer field: `"Name" <address>`, the name quoted so a comma in it
    /// does not split the field.
    fn field(&self) -> String {
        if self.name.is_empty() {
            self.address.clone()
        } else {
            let name = self.name.replace(['"', '\\'], "");
            format!("\"{name}\" <{}>", self.address)
        }
    }

    fn shown(&self) -> String {
        if self.name.is_empty() {
            self.address.clone()
        } else {
            self.name.clone()
        }
    }
}

fn people(address: Option<&Address<'_>>) -> Vec<Person> {
    let Some(address) = address else {
        return Vec::new();
    };
    address
        .iter()
        .filter_map(|addr| {
            let address = one_line(addr.address()?);
            address.contains('@').then(|| Person {
                name: addr.name().map(one_line).unwrap_or_default(),
                address,
            })
        })
        .collect()
}

fn is_mine(account: &AccountSettings, address: &str) -> bool {
    account
        .all_identities()
        .iter()
        .any(|identity| identity.email.trim().eq_ignore_ascii_case(address))
}

/// Which of the account's identities the original was sent to: a reply goes out as that one.
/// Delivered-To and X-Original-To (set by the receiving server) count too, for mail that
/// reached us by Bcc or a list.
pub fn addressed_identity(message: &Message<'_>, account: &AccountSettings) -> String {
    let mut candidates: Vec<String> = [message.to(), message.cc()]
        .into_iter()
        .flat_map(people)
        .map(|person| person.address)
        .collect();
    for header in ["Delivered-To", "X-Original-To"] {
        for value in message.header_values(header) {
            if let HeaderValue::Text(text) = value {
                candidates.push(one_line(text));
            }
        }
    }
    // The first match in header order: an address in To wins over one in Cc.
    let identities = account.all_identities();
    candidates
        .iter()
        .find_map(|address| {
            identities
                .iter()
                .find(|identity| identity.email.trim().eq_ignore_ascii_case(address))
        })
        .map(|identity| identity.email.clone())
        .unwrap_or_else(|| account.email.clone())
}

/// The subject without the "Re:", "RE:", "Aw:", "Fwd:" or "Re[2]:" prefixes replies pile up.
pub fn strip_reply_prefixes(subject: &str) -> &str {
    let mut rest = subject.trim();
    loop {
        let lower = rest.to_lowercase();
        let prefix_len = ["re:", "aw:", "sv:", "fwd:", "fw:", "wg:"]
            .iter()
            .find(|prefix| lower.starts_with(*prefix))
            .map(|prefix| prefix.len())
            .or_else(|| {
                // "Re[2]:"
                let after = lower.strip_prefix("re[")?;
                let close = after.find("]:")?;
                after[..close]
                    .chars()
                    .all(|c| c.is_ascii_digit())
                    .then_some(3 + close + 2)
            });
        match prefix_len {
            Some(len) => rest = rest[len..].trim_start(),
            None => return rest,
        }
    }
}

pub fn reply_subject(subject: &str) -> String {
    format!("Re: {}", strip_reply_prefixes(subject))
}

pub fn forward_subject(subject: &str) -> String {
    format!("Fwd: {}", strip_reply_prefixes(subject))
}

fn message_id_list(message: &Message<'_>, header: &str) -> Vec<String> {
    message
        .header_values(header)
        .flat_map(|value| match value {
            HeaderValue::Text(id) => vec![id.to_string()],
            HeaderValue::TextList(ids) => ids.iter().map(ToString::to_string).collect(),
            _ => Vec::new(),
        })
        .map(|id| one_line(&id))
        .filter(|id| !id.is_empty())
        .collect()
}

/// The Message-IDs a message names as its ancestors (References, then In-Reply-To), from its
/// headers alone: what threading needs.
pub fn ancestor_ids(raw: &[u8]) -> Vec<String> {
    let Some(message) = MessageParser::default().parse_headers(raw) else {
        return Vec::new();
    };
    let mut references = message_id_list(&message, "References");
    references.extend(message_id_list(&message, "In-Reply-To"));
    let own = message.message_id().map(one_line);
    let mut seen = std::collections::HashSet::new();
    references.retain(|id| Some(id) != own.as_ref() && seen.insert(id.clone()));
    references
}

/// RFC 5322 §3.6.4: the parent's References (or, lacking them, its In-Reply-To) followed by
/// the parent's Message-ID.
fn thread_references(message: &Message<'_>, parent: Option<&str>) -> Vec<String> {
    let mut references = message_id_list(message, "References");
    if references.is_empty() {
        references = message_id_list(message, "In-Reply-To");
    }
    references.extend(parent.map(str::to_owned));
    let mut seen = std::collections::HashSet::new();
    references.retain(|id| seen.insert(id.clone()));
    references
}

/// The date as the sender wrote it (their time zone), in a form every language reads.
fn written_date(message: &Message<'_>) -> String {
    message
        .date()
        .map(|date| {
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                date.year, date.month, date.day, date.hour, date.minute
            )
        })
        .unwrap_or_default()
}

fn quoted(text: &str) -> String {
    let mut out = String::new();
    for line in text.trim_end().lines() {
        // Quoting a quote stacks the markers without a space: ">> ", as RFC 3676 §4.5 does.
        if line.starts_with('>') {
            out.push('>');
        } else if !line.is_empty() {
            out.push_str("> ");
        } else {
            out.push('>');
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn signature_block(signature: &str) -> String {
    let signature = signature.trim_end();
    if signature.is_empty() {
        String::new()
    } else {
        format!("\n-- \n{signature}\n")
    }
}

/// Fills in a reply or forward to `raw`, a message stored with id `message_id`. `text` is the
/// original's readable text (what the reader shows).
pub fn respond(
    raw: &[u8],
    message_id: i64,
    text: &str,
    response: Response,
    account: &AccountSettings,
    words: &QuoteWords<'_>,
) -> OutgoingMessage {
    let Some(message) = MessageParser::default()
        .parse(raw)
        .filter(|message| !message.parts.is_empty())
    else {
        // Unreadable: a forward can still carry it whole; a reply has no one to go to.
        return OutgoingMessage {
            attachments: vec![whole_message(message_id, raw.len(), "")],
            ..OutgoingMessage::default()
        };
    };
    let identity = addressed_identity(&message, account);
    let subject = message.subject().map(one_line).unwrap_or_default();
    let parent = message
        .message_id()
        .map(one_line)
        .filter(|id| !id.is_empty());
    let from = people(message.from());
    let sender_name = from.first().map(Person::shown).unwrap_or_default();
    let mut outgoing = OutgoingMessage {
        from_address: identity.clone(),
        ..OutgoingMessage::default()
    };
    let signature = signature_block(&account.identity(&identity).signature);
    match response {
        Response::Reply | Response::ReplyAll => {
            let reply_to = people(message.reply_to());
            let sent_by_me = from.iter().any(|person| is_mine(account, &person.address));
            // Replying to one's own message continues the conversation with its recipients.
            let primary = if sent_by_me {
                people(message.to())
            } else if reply_to.is_empty() {
                from
            } else {
                reply_to
            };
            // Never to oneself, unless the message was only ever between oneself and oneself.
            let (others, mine): (Vec<Person>, Vec<Person>) = primary
                .into_iter()
                .partition(|person| !is_mine(account, &person.address));
            let mut to = if others.is_empty() { mine } else { others };
            let mut seen = std::collections::HashSet::new();
            to.retain(|person| seen.insert(person.address.to_lowercase()));
            let mut cc = Vec::new();
            if response == Response::ReplyAll {
                let mut others = |list: Vec<Person>, into: &mut Vec<Person>| {
                    into.extend(list.into_iter().filter(|person| {
                        !is_mine(account, &person.address)
                            && seen.insert(person.address.to_lowercase())
                    }));
                };
                others(people(message.to()), &mut to);
                others(people(message.cc()), &mut cc);
            }
            outgoing.to = to.iter().map(Person::field).collect::<Vec<_>>().join(", ");
            outgoing.cc = cc.iter().map(Person::field).collect::<Vec<_>>().join(", ");
            outgoing.subject = reply_subject(&subject);
            outgoing.in_reply_to = parent.clone();
            outgoing.references = thread_references(&message, parent.as_deref());
            let attribution = (words.attribution)(&written_date(&message), &sender_name);
            outgoing.body = format!("{attribution}\n{}\n{signature}", quoted(text));
        }
        Response::Forward => {
            outgoing.subject = forward_subject(&subject);
            let mut header = vec![words.forwarded_header.to_owned()];
            let lines = [
                ("Subject", subject.clone()),
                ("Date", written_date(&message)),
                ("From", join_fields(&people(message.from()))),
                ("To", join_fields(&people(message.to()))),
                ("Cc", join_fields(&people(message.cc()))),
            ];
            for (name, value) in lines {
                if !value.is_empty() {
                    header.push(format!("{name}: {value}"));
                }
            }
            outgoing.body = format!(
                "\n{signature}\n{}\n\n{}\n",
                header.join("\n"),
                text.trim_end()
            );
            outgoing.attachments = message
                .attachments()
                .enumerate()
                .map(|(index, part)| OutgoingAttachment {
                    name: part
                        .attachment_name()
                        .map(one_line)
                        .unwrap_or_else(|| format!("attachment-{}", index + 1)),
                    size: part.contents().len() as u64,
                    source: AttachmentSource::MessagePart {
                        message_id,
                        part: u32::try_from(index).unwrap_or(u32::MAX),
                    },
                })
                .collect();
        }
        Response::ForwardAsAttachment => {
            outgoing.subject = forward_subject(&subject);
            outgoing.body = if signature.is_empty() {
                String::new()
            } else {
                format!("\n{signature}")
            };
            outgoing.attachments = vec![whole_message(message_id, raw.len(), &subject)];
        }
    }
    outgoing
}

fn join_fields(people: &[Person]) -> String {
    people
        .iter()
        .map(Person::field)
        .collect::<Vec<_>>()
        .join(", ")
}

fn whole_message(message_id: i64, size: usize, subject: &str) -> OutgoingAttachment {
    let stem: String = subject
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\'))
        .take(60)
        .collect();
    let stem = stem.trim();
    OutgoingAttachment {
        name: format!("{}.eml", if stem.is_empty() { "message" } else { stem }),
        size: size as u64,
        source: AttachmentSource::Message { message_id },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::Identity;
    use crate::mime::attachment_of;

    fn account() -> AccountSettings {
        AccountSettings {
            signature: "Asha".into(),
            identities: vec![Identity {
                display_name: "Asha at work".into(),
                email: "asha@work.example".into(),
                reply_to: String::new(),
                signature: "Asha Rao, Work Ltd".into(),
            }],
            ..crate::account::test_account("Asha", "asha@example.org")
        }
    }

    const ORIGINAL: &[u8] = b"From: \"Ravi, K\" <ravi@example.org>\r\n\
To: asha@work.example, meera@example.org\r\n\
Cc: Asha <ASHA@example.org>, dev@example.org\r\n\
Subject: Re: RE: Aw: plans\r\n\
Date: Sun, 29 Nov 2026 09:05:00 +0530\r\n\
Message-ID: <m3@example.org>\r\n\
In-Reply-To: <m2@example.org>\r\n\
References: <m1@example.org> <m2@example.org>\r\n\
\r\n\
line one\r\n> older\r\n";

    #[test]
    fn reply_goes_to_the_sender_as_the_identity_it_was_sent_to() {
        let reply = respond(
            ORIGINAL,
            7,
            "line one\n> older\n",
            Response::Reply,
            &account(),
            &ENGLISH,
        );
        assert_eq!(reply.to, "\"Ravi, K\" <ravi@example.org>");
        assert_eq!(reply.cc, "");
        assert_eq!(reply.from_address, "asha@work.example");
        assert_eq!(reply.subject, "Re: plans");
        assert_eq!(reply.in_reply_to.as_deref(), Some("m3@example.org"));
        assert_eq!(
            reply.references,
            ["m1@example.org", "m2@example.org", "m3@example.org"]
        );
        assert_eq!(
            reply.body,
            "On 2026-11-29 09:05, Ravi, K wrote:\n> line one\n>> older\n\n\n-- \nAsha Rao, Work Ltd\n"
        );
    }

    #[test]
    fn reply_all_keeps_everyone_but_me_once() {
        let reply = respond(ORIGINAL, 7, "x", Response::ReplyAll, &account(), &HINDI);
        assert_eq!(
            reply.to,
            "\"Ravi, K\" <ravi@example.org>, meera@example.org"
        );
        assert_eq!(reply.cc, "dev@example.org");
        assert!(reply
            .body
            .starts_with("2026-11-29 09:05 को Ravi, K ने लिखा:\n> x\n"));
    }

    #[test]
    fn reply_to_header_wins_and_own_messages_continue_with_their_recipients() {
        let with_reply_to = b"From: a@example.org\r\nReply-To: list@example.org\r\nTo: asha@example.org\r\nSubject: s\r\n\r\nb\r\n";
        let reply = respond(with_reply_to, 1, "b", Response::Reply, &account(), &ENGLISH);
        assert_eq!(reply.to, "list@example.org");
        assert_eq!(reply.from_address, "asha@example.org");
        assert!(reply.references.is_empty());
        let mine = b"From: Asha <asha@example.org>\r\nTo: ravi@example.org\r\nSubject: s\r\nMessage-ID: <own@x>\r\n\r\nb\r\n";
        let reply = respond(mine, 1, "b", Response::Reply, &account(), &ENGLISH);
        assert_eq!(reply.to, "ravi@example.org");
        assert_eq!(reply.references, ["own@x"]);
        let note_to_self =
            b"From: Asha <asha@example.org>\r\nTo: asha@example.org\r\nSubject: s\r\n\r\nb\r\n";
        let reply = respond(
            note_to_self,
            1,
            "b",
            Response::ReplyAll,
            &account(),
            &ENGLISH,
        );
        assert_eq!(
            reply.to, "asha@example.org",
            "a note to oneself is answered to oneself"
        );
    }

    #[test]
    fn forwards() {
        let with_attachment = b"From: a@example.org\r\nTo: asha@example.org\r\nSubject: Fwd: report\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8''%E0%A4%B0%E0%A4%BF%E0%A4%AA%E0%A5%8B%E0%A4%B0%E0%A5%8D%E0%A4%9F.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0x\r\n--b--\r\n";
        let forward = respond(
            with_attachment,
            9,
            "see attached",
            Response::Forward,
            &account(),
            &ENGLISH,
        );
        assert_eq!(forward.subject, "Fwd: report");
        assert_eq!(forward.to, "");
        assert!(forward.in_reply_to.is_none());
        assert!(forward
            .body
            .contains("-------- Forwarded Message --------\nSubject: Fwd: report\n"));
        assert!(forward.body.contains("\nFrom: a@example.org\n"));
        assert!(forward.body.ends_with("\n\nsee attached\n"));
        assert_eq!(forward.attachments.len(), 1);
        assert_eq!(forward.attachments[0].name, "रिपोर्ट.pdf");
        assert_eq!(
            forward.attachments[0].source,
            AttachmentSource::MessagePart {
                message_id: 9,
                part: 0
            }
        );
        let (name, content_type, bytes) = attachment_of(with_attachment, 0).unwrap();
        assert_eq!(
            (name.as_str(), content_type.as_str(), bytes.as_slice()),
            ("रिपोर्ट.pdf", "application/pdf", &b"%PDF-1"[..])
        );

        let whole = respond(
            ORIGINAL,
            7,
            "",
            Response::ForwardAsAttachment,
            &account(),
            &ENGLISH,
        );
        assert_eq!(whole.subject, "Fwd: plans");
        assert_eq!(
            whole.attachments[0].source,
            AttachmentSource::Message { message_id: 7 }
        );
        assert_eq!(whole.attachments[0].name, "Re: RE: Aw: plans.eml");
    }

    #[test]
    fn subject_prefixes() {
        assert_eq!(reply_subject("Re[3]: Re: x"), "Re: x");
        assert_eq!(reply_subject("नमस्ते"), "Re: नमस्ते");
        assert_eq!(forward_subject("FW: x"), "Fwd: x");
        assert_eq!(reply_subject("Reply needed"), "Re: Reply needed");
    }
}
