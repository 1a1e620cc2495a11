//! From raw bytes to the envelope (list row) and the content (reader view).

use mail_parser::{Address, Message, MessageParser, MimeHeaders, PartType};

use super::html::sanitize_html;

/// What the message list needs, derived once when a message is stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Envelope {
    pub from_name: String,
    pub from_address: String,
    pub subject: String,
    /// Date header, Unix seconds.
    pub date: Option<i64>,
    pub message_id: Option<String>,
    /// Nothing MIME-shaped could be read; the list shows what a raw scan found.
    pub parse_failed: bool,
}

/// The words a message is found by (DESIGN.md §3.6).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchText {
    pub subject: String,
    /// Names and addresses of From, To, Cc and Reply-To.
    pub addresses: String,
    /// The readable body (HTML converted to text), at most [`MAX_INDEXED_BODY`] bytes of it.
    pub body: String,
    pub attachment_names: String,
}

/// Search finds a message by its first 256 KiB of text: enough for any letter, and a 50 MB
/// log file pasted into a mail neither bloats the index nor stalls the fetch.
pub const MAX_INDEXED_BODY: usize = 256 * 1024;

/// At most `max` bytes of `text`, cut at a character boundary — before copying, so a huge
/// body is never duplicated just to index its start.
fn prefix_at_char(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

fn search_text_of(message: &Message<'_>) -> SearchText {
    let mut addresses = Vec::new();
    for list in [
        message.from(),
        message.to(),
        message.cc(),
        message.reply_to(),
    ]
    .into_iter()
    .flatten()
    {
        for address in list.iter() {
            addresses.extend(address.name().map(one_line));
            addresses.extend(address.address().map(one_line));
        }
    }
    let body = message
        .body_text(0)
        .map(|text| prefix_at_char(&text, MAX_INDEXED_BODY))
        .unwrap_or_default();
    let attachment_names: Vec<String> = message
        .attachments()
        .filter_map(|part| part.attachment_name().map(one_line))
        .collect();
    SearchText {
        subject: message.subject().map(one_line).unwrap_or_default(),
        addresses: addresses.join(" "),
        body,
        attachment_names: attachment_names.join(" "),
    }
}

/// What the message view shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageContent {
    pub to: String,
    pub cc: String,
    /// The plain-text body; `None` for HTML-only mail (then `sanitized_html` is set).
    pub text_body: Option<String>,
    pub sanitized_html: Option<String>,
    pub remote_content_blocked: bool,
}

/// Header-ish text is shown in one line: control characters (including CR/LF from a hostile
/// encoded-word) become spaces.
fn one_line(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn parse(raw: &[u8]) -> Option<Message<'_>> {
    MessageParser::default()
        .parse(raw)
        .filter(|message| !message.parts.is_empty())
}

/// The list row, from the headers alone: decoding the whole body (as `parse` does) was the
/// largest piece of our CPU time in a fetch of 20 KB messages, on a machine whose other core
/// runs the server. Without headers the whole parse decides, since a body alone still counts
/// as a message.
pub fn envelope(raw: &[u8]) -> Envelope {
    let headers = MessageParser::default()
        .parse_headers(raw)
        .filter(|message| !message.parts.is_empty());
    envelope_of(headers.or_else(|| parse(raw)))
}

fn envelope_of(message: Option<Message<'_>>) -> Envelope {
    let Some(message) = message else {
        return Envelope {
            parse_failed: true,
            ..Envelope::default()
        };
    };
    let from = message.from().and_then(Address::first);
    Envelope {
        from_name: from
            .and_then(|addr| addr.name())
            .map(one_line)
            .unwrap_or_default(),
        from_address: from
            .and_then(|addr| addr.address())
            .map(one_line)
            .unwrap_or_default(),
        subject: message.subject().map(one_line).unwrap_or_default(),
        date: message.date().map(mail_parser::DateTime::to_timestamp),
        message_id: message.message_id().map(one_line),
        parse_failed: false,
    }
}

/// What search finds a message by. The whole message is parsed (the body is decoded); the
/// search indexer calls this in the background, never the fetch.
pub fn search_text(raw: &[u8]) -> SearchText {
    let Some(message) = parse(raw) else {
        // Unreadable as MIME: still findable by whatever text its bytes hold.
        let text = String::from_utf8_lossy(&raw[..raw.len().min(MAX_INDEXED_BODY)]).into_owned();
        return SearchText {
            body: text,
            ..SearchText::default()
        };
    };
    search_text_of(&message)
}

fn address_list(address: Option<&Address<'_>>) -> String {
    let Some(address) = address else {
        return String::new();
    };
    let shown: Vec<String> = address
        .iter()
        .map(|addr| match (addr.name(), addr.address()) {
            (Some(name), Some(email)) => format!("{} <{}>", one_line(name), one_line(email)),
            (None, Some(email)) => one_line(email),
            (Some(name), None) => one_line(name),
            (None, None) => String::new(),
        })
        .filter(|text| !text.is_empty())
        .collect();
    shown.join(", ")
}

/// `Some(DelSp)` when the first text part is format=flowed (RFC 3676 §4.1).
fn flowed(message: &Message<'_>) -> Option<bool> {
    let part = message
        .text_body
        .first()
        .and_then(|&index| message.parts.get(index as usize))?;
    if !matches!(part.body, PartType::Text(_)) {
        return None;
    }
    let content_type = part.content_type()?;
    let format = content_type.attribute("format")?;
    if !format.eq_ignore_ascii_case("flowed") {
        return None;
    }
    Some(
        content_type
            .attribute("delsp")
            .is_some_and(|del_sp| del_sp.eq_ignore_ascii_case("yes")),
    )
}

pub fn read_message(raw: &[u8]) -> MessageContent {
    let Some(message) = parse(raw) else {
        return MessageContent {
            text_body: Some(String::from_utf8_lossy(raw).into_owned()),
            ..MessageContent::default()
        };
    };
    let has_plain_text = message.text_body.iter().any(|&index| {
        message
            .parts
            .get(index as usize)
            .is_some_and(|part| matches!(part.body, PartType::Text(_)))
    });
    let mut content = MessageContent {
        to: address_list(message.to()),
        cc: address_list(message.cc()),
        ..MessageContent::default()
    };
    if has_plain_text || message.html_body.is_empty() {
        let text = message
            .body_text(0)
            .map(|text| text.into_owned())
            .unwrap_or_default();
        content.text_body = Some(match flowed(&message) {
            Some(del_sp) => super::flowed::decode(&text, del_sp),
            None => text,
        });
    } else if let Some(html) = message.body_html(0) {
        let sanitized = sanitize_html(&html);
        content.sanitized_html = Some(sanitized.html);
        content.remote_content_blocked = sanitized.remote_content_blocked;
    }
    content
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE_0330_UTC: i64 = 1_795_923_000;

    #[test]
    fn hindi_encoded_subject_and_name() {
        let raw = b"From: =?UTF-8?B?4KSG4KS24KS+?= <asha@example.org>\r\n\
Subject: =?UTF-8?B?4KSo4KSu4KS44KWN4KSk4KWH?=\r\n\
Date: Sun, 29 Nov 2026 09:00:00 +0530\r\n\
Message-ID: <a@b>\r\n\r\nbody\r\n";
        let envelope = envelope(raw);
        assert_eq!(envelope.from_name, "आशा");
        assert_eq!(envelope.subject, "नमस्ते");
        assert_eq!(envelope.from_address, "asha@example.org");
        // 09:00 in India (+05:30) is 03:30 UTC.
        assert_eq!(envelope.date, Some(DATE_0330_UTC));
        assert!(!envelope.parse_failed);
    }

    /// Headers only must give what parsing the whole message gave, whatever the message.
    #[test]
    fn envelope_from_headers_equals_envelope_from_the_whole_message() {
        let cases: [&[u8]; 12] = [
            b"",
            b"\xff\xfe not mail",
            b"\r\nbody without headers\r\n",
            b"Subject: headers only, no blank line",
            b"Subject: bare\nFrom: Lf <lf@example.org>\n\nbody\n",
            b"From: =?UTF-8?B?4KSG4KS24KS+?= <asha@example.org>\r\nSubject: =?UTF-8?B?4KSo4KSu4KS44KWN4KSk4KWH?=\r\nDate: Sun, 29 Nov 2026 09:00:00 +0530\r\nMessage-ID: <a@b>\r\n\r\nbody\r\n",
            b"Subject: =?UTF-8?Q?a=0D=0AX-Evil:_1?=\r\n\r\nx\r\n",
            b"From: \"Folded\r\n Name\" <f@example.org>\r\nSubject: one\r\n two\r\n\r\n\xff\xfe\r\n",
            b"Content-Type: multipart/mixed; boundary=b\r\nSubject: parts\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n",
            b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\nFrom: in@example.org\r\n\r\ninner body\r\n",
            b"Subject: latin\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n\xe9t\xe9\r\n",
            b"no colon here\r\nSubject: after junk\r\n\r\nbody\r\n",
        ];
        for raw in cases {
            assert_eq!(
                envelope(raw),
                envelope_of(parse(raw)),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn garbage_is_flagged_not_dropped() {
        let envelope = envelope(b"");
        assert!(envelope.parse_failed);
        let content = read_message(b"\xff\xfe not mail");
        assert!(content.text_body.is_some());
    }

    #[test]
    fn header_line_breaks_never_survive() {
        let raw = b"Subject: =?UTF-8?Q?a=0D=0AX-Evil:_1?=\r\n\r\nx\r\n";
        assert_eq!(envelope(raw).subject, "a X-Evil: 1");
    }

    #[test]
    fn html_only_mail_is_sanitised() {
        let raw = b"Content-Type: text/html\r\n\r\n<p onclick=\"x()\">hi<script>alert(1)</script><img src=\"https://t.example/p.gif\"></p>\r\n";
        let content = read_message(raw);
        assert_eq!(content.text_body, None);
        let html = content.sanitized_html.unwrap();
        assert!(
            !html.contains("script") && !html.contains("onclick") && !html.contains("t.example")
        );
        assert!(content.remote_content_blocked);
    }
}
