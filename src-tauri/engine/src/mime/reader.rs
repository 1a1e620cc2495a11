//! From raw bytes to the envelope (list row) and the content (reader view).
//!
//! mail-parser does the MIME work; this module wraps it where it falls short for a reader
//! (see [`super::charset`]): the top-level header block is repaired before parsing, and a text
//! part whose charset was missing, unknown or wrong is decoded again from its bytes.

use std::borrow::Cow;

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::html::{html_to_text, text_to_html};
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{Address, Encoding, Message, MessageParser, MessagePart, MimeHeaders, PartType};

use super::attachments::{self, AttachmentInfo};
use super::charset::{
    declared_decoder, decode_text, html_meta_charset, mail_parser_knows, repair_headers,
};
use super::html::{inline_images, sanitize_html_with, HtmlOptions};

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

/// At most `max` bytes of `text`, cut at a character boundary: taken before copying, so a
/// huge body is never duplicated just to index its start.
fn start_at_char(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
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
    let body = body_text(message, MAX_INDEXED_BODY).unwrap_or_default();
    let attachment_names: Vec<String> = attachments::list(message)
        .into_iter()
        .map(|attachment| attachment.name)
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
    /// The readable text: the plain part(s), or the HTML converted to text, so a "plain text"
    /// view exists for every message that has any text. `None` when it has none.
    pub text_body: Option<String>,
    /// The HTML part(s), sanitised; `None` when the message has no HTML part.
    pub sanitized_html: Option<String>,
    /// Something was left out of `sanitized_html`: a remote resource, or an inline image too
    /// big to embed.
    pub remote_content_blocked: bool,
    pub attachments: Vec<AttachmentInfo>,
    /// Nothing MIME-shaped could be read: `text_body` is the raw source.
    pub parse_failed: bool,
}

/// How to read a message for the view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// "Load remote content": keep http(s) images. Never anything that runs.
    pub allow_remote_content: bool,
}

/// Header-ish text is shown in one line: control characters (including CR/LF from a hostile
/// encoded-word) become spaces.
pub(crate) fn one_line(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parses bytes already passed through [`repair_headers`].
pub(crate) fn parse(raw: &[u8]) -> Option<Message<'_>> {
    MessageParser::default().parse(raw).filter(is_mail)
}

/// mail-parser reads any first line as a header: binary garbage becomes one "header" named
/// by its bytes and an empty body. A body without headers still counts as a message; headers
/// none of which has a valid field name (RFC 5322 §2.2: printable ASCII, no colon) do not.
fn is_mail(message: &Message<'_>) -> bool {
    let Some(first) = message.parts.first() else {
        return false;
    };
    first.headers.is_empty()
        || first.headers.iter().any(|header| {
            let name = header.name.as_str();
            !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':')
        })
}

/// The list row, from the headers alone: decoding the whole body (as `parse` does) was the
/// largest piece of our CPU time in a fetch of 20 KB messages, on a machine whose other core
/// runs the server. Without headers the whole parse decides, since a body alone still counts
/// as a message.
pub fn envelope(raw: &[u8]) -> Envelope {
    let raw = repair_headers(raw);
    let headers = MessageParser::default().parse_headers(&raw).filter(is_mail);
    envelope_of(headers.or_else(|| parse(&raw)))
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
    let repaired = repair_headers(raw);
    let Some(message) = parse(&repaired) else {
        // Unreadable as MIME: still findable by whatever text its bytes hold.
        let start = raw.get(..raw.len().min(MAX_INDEXED_BODY)).unwrap_or(raw);
        return SearchText {
            body: super::charset::utf8_or_windows_1252(start),
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

/// `Some(DelSp)` when a text part is format=flowed (RFC 3676 §4.1).
fn flowed(part: &MessagePart<'_>) -> Option<bool> {
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

/// A part's body after its Content-Transfer-Encoding, before any charset: the bytes the
/// sender's program wrote (RFC 2045 §6). mail-parser keeps only the charset-decoded text of
/// text parts, so they are decoded again from the raw message by the part's offsets.
pub(crate) fn transfer_decoded<'m>(
    message: &'m Message<'_>,
    part: &MessagePart<'_>,
) -> Cow<'m, [u8]> {
    let encoded = message
        .raw_message
        .get(part.offset_body as usize..part.offset_end as usize)
        .unwrap_or_default();
    let decoded = match part.encoding {
        Encoding::None => None,
        Encoding::QuotedPrintable => quoted_printable_decode(encoded),
        Encoding::Base64 => base64_decode(encoded),
    };
    decoded.map_or(Cow::Borrowed(encoded), Cow::Owned)
}

fn is_utf8_label(label: &str) -> bool {
    label
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .eq_ignore_ascii_case("utf8")
}

/// A text or HTML part's text, decoded declared → UTF-8 → Windows-1252 (mail-parser stops at
/// lossy UTF-8 for anything it does not know, and reads `us-ascii` as Windows-1252).
fn part_text<'m>(message: &'m Message<'_>, part: &'m MessagePart<'_>) -> Option<Cow<'m, str>> {
    let (text, is_html) = match &part.body {
        PartType::Text(text) => (text, false),
        PartType::Html(html) => (html, true),
        _ => return None,
    };
    let label = part.content_type().and_then(|ct| ct.attribute("charset"));
    if mail_parser_knows(label) {
        return Some(Cow::Borrowed(text.as_ref()));
    }
    // A misspelled label we can still read ("koi8r"): decode it ourselves. Otherwise only a
    // damaged text is decoded again.
    let respelled = declared_decoder(label).is_some();
    let promised_ascii = label.is_some_and(|label| !is_utf8_label(label));
    let damaged = text.contains('\u{FFFD}') || (promised_ascii && !text.is_ascii());
    if !respelled && !damaged {
        return Some(Cow::Borrowed(text.as_ref()));
    }
    let bytes = transfer_decoded(message, part);
    let sniffed = if is_html && label.is_none() {
        html_meta_charset(&bytes)
    } else {
        None
    };
    Some(Cow::Owned(decode_text(
        &bytes,
        sniffed.as_deref().or(label),
    )))
}

/// The readable text of a message: every text part of its text body, HTML ones converted;
/// at most about `max` bytes of it. Each part is cut before it is copied or converted, so
/// indexing the start of a 50 MB text part never copies all of it (that copy was a third of
/// the fetch's peak memory for such a message).
fn body_text(message: &Message<'_>, max: usize) -> Option<String> {
    let mut pieces = Vec::new();
    let mut room = max;
    for &id in &message.text_body {
        if room == 0 {
            break;
        }
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        let Some(text) = part_text(message, part) else {
            continue;
        };
        let mut piece = match (&part.body, flowed(part)) {
            // Markup and entities shrink: four times the room still yields enough text.
            (PartType::Html(_), _) => html_to_text(start_at_char(&text, room.saturating_mul(4))),
            (_, Some(del_sp)) => super::flowed::decode(start_at_char(&text, room), del_sp),
            (_, None) => start_at_char(&text, room).to_owned(),
        };
        piece.truncate(start_at_char(&piece, room).len());
        room = room.saturating_sub(piece.len() + 1);
        pieces.push(piece);
    }
    (!pieces.is_empty()).then(|| pieces.join("\n"))
}

/// The HTML of a message, unsanitised: its HTML parts, with any plain part of its HTML body
/// (mixed text and HTML) turned into HTML. `None` when no part is HTML.
fn body_html(message: &Message<'_>) -> Option<String> {
    let parts: Vec<&MessagePart<'_>> = message
        .html_body
        .iter()
        .filter_map(|&id| message.parts.get(id as usize))
        .collect();
    if !parts
        .iter()
        .any(|part| matches!(part.body, PartType::Html(_)))
    {
        return None;
    }
    let mut html = String::new();
    for part in parts {
        let Some(text) = part_text(message, part) else {
            continue;
        };
        match (&part.body, flowed(part)) {
            (PartType::Html(_), _) => html.push_str(&text),
            (_, Some(del_sp)) => {
                html.push_str(&text_to_html(&super::flowed::decode(&text, del_sp)))
            }
            (_, None) => html.push_str(&text_to_html(&text)),
        }
    }
    Some(html)
}

fn names_a_cid(html: &str) -> bool {
    html.as_bytes()
        .windows(4)
        .any(|window| window.eq_ignore_ascii_case(b"cid:"))
}

pub fn read_message(raw: &[u8]) -> MessageContent {
    read_message_with(raw, ReadOptions::default())
}

pub fn read_message_with(raw: &[u8], options: ReadOptions) -> MessageContent {
    let repaired = repair_headers(raw);
    let Some(message) = parse(&repaired) else {
        return MessageContent {
            text_body: Some(super::charset::utf8_or_windows_1252(raw)),
            parse_failed: true,
            ..MessageContent::default()
        };
    };
    let mut content = MessageContent {
        to: address_list(message.to()),
        cc: address_list(message.cc()),
        text_body: body_text(&message, usize::MAX),
        attachments: attachments::list(&message),
        ..MessageContent::default()
    };
    if let Some(html) = body_html(&message) {
        let images = if names_a_cid(&html) {
            inline_images(message.attachments().zip(&content.attachments).filter_map(
                |(part, info)| {
                    let content_id = part.content_id()?;
                    Some((
                        info.index,
                        content_id,
                        info.content_type.clone(),
                        part.contents(),
                    ))
                },
            ))
        } else {
            Default::default()
        };
        let html_options = HtmlOptions {
            allow_remote_content: options.allow_remote_content,
        };
        let (sanitized, shown_inline) = sanitize_html_with(&html, html_options, images);
        for attachment in &mut content.attachments {
            attachment.inline = shown_inline.contains(&attachment.index);
        }
        content.sanitized_html = Some(sanitized.html);
        content.remote_content_blocked = sanitized.remote_content_blocked;
    }
    content
}

/// Attachment `index` of a raw message (as [`MessageContent::attachments`] numbers them): its
/// shown name, "type/subtype" and bytes. A text attachment comes as the sender wrote it,
/// in its own charset.
pub fn attachment_of(raw: &[u8], index: u32) -> Option<(String, String, Vec<u8>)> {
    let repaired = repair_headers(raw);
    let message = parse(&repaired)?;
    let part = message.attachments().nth(usize::try_from(index).ok()?)?;
    let content_type = attachments::content_type_of(part);
    let name = attachments::attachment_name(part, index, &content_type);
    Some((
        name,
        content_type,
        attachments::part_bytes(&message, part).into_owned(),
    ))
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
                envelope_of(parse(&repair_headers(raw))),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    /// Search reads the start of the text, cut at a character and never beyond the limit, from
    /// however many parts, plain or HTML; the reader still gets all of it.
    #[test]
    fn search_text_is_the_start_of_the_text() {
        let long = "डाक ".repeat(MAX_INDEXED_BODY / 4);
        let raw = format!(
            "Subject: big\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
             --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{long}\r\n\
             --b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>{long}</p>\r\n--b--\r\n"
        );
        let text = search_text(raw.as_bytes());
        assert!(text.body.len() <= MAX_INDEXED_BODY);
        assert!(text.body.len() > MAX_INDEXED_BODY - 16);
        assert!(text.body.starts_with("डाक डाक"));
        let shown = read_message(raw.as_bytes()).text_body.unwrap();
        assert!(shown.len() > 2 * long.trim_end().len(), "{}", shown.len());
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
        assert_eq!(content.text_body.as_deref(), Some("hi\n"));
        let html = content.sanitized_html.unwrap();
        assert!(
            !html.contains("script") && !html.contains("onclick") && !html.contains("t.example")
        );
        assert!(content.remote_content_blocked);
    }

    #[test]
    fn charsets_fall_back_to_utf8_then_windows_1252() {
        let undeclared_latin1 =
            b"Subject: caf\xe9\r\nFrom: Jos\xe9 <j@example.org>\r\n\r\ncaf\xe9 \x93q\x94\r\n";
        let content = read_message(undeclared_latin1);
        assert_eq!(
            content.text_body.as_deref(),
            Some("caf\u{e9} \u{201c}q\u{201d}\r\n")
        );
        let envelope = envelope(undeclared_latin1);
        assert_eq!(
            (envelope.subject.as_str(), envelope.from_name.as_str()),
            ("caf\u{e9}", "Jos\u{e9}")
        );

        let qp_unknown = b"Content-Type: text/plain; charset=x-unknown\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9 =\r\nna=C3=AFve\r\n";
        assert_eq!(
            read_message(qp_unknown).text_body.as_deref(),
            Some("caf\u{e9} na\u{ef}ve\r\n")
        );

        let ascii_but_utf8 = "Content-Type: text/plain; charset=us-ascii\r\n\r\nनमस्ते".as_bytes();
        assert_eq!(
            read_message(ascii_but_utf8).text_body.as_deref(),
            Some("नमस्ते")
        );

        let base64_in_multipart = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nY2Fm6SA=\r\n--b\r\nContent-Type: text/html\r\n\r\n<meta charset=koi8-r><p>\xf0\xd2\xc9\xd7</p>\r\n--b--\r\n";
        let content = read_message(base64_in_multipart);
        assert_eq!(
            content.text_body.as_deref(),
            Some("caf\u{e9} \n\u{41f}\u{440}\u{438}\u{432}\n")
        );
    }

    #[test]
    fn alternative_gives_both_and_remote_content_can_be_loaded() {
        let raw = b"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nplain\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>rich<img src=\"https://pics.example/a.png\"></p>\r\n--b--\r\n";
        let blocked = read_message(raw);
        assert_eq!(blocked.text_body.as_deref(), Some("plain"));
        assert_eq!(blocked.sanitized_html.as_deref(), Some("<p>rich<img></p>"));
        assert!(blocked.remote_content_blocked);
        let loaded = read_message_with(
            raw,
            ReadOptions {
                allow_remote_content: true,
            },
        );
        assert_eq!(
            loaded.sanitized_html.as_deref(),
            Some("<p>rich<img src=\"https://pics.example/a.png\"></p>")
        );
        assert!(!loaded.remote_content_blocked);
    }

    #[test]
    fn cid_images_are_embedded_and_marked_inline() {
        let raw = b"Content-Type: multipart/related; boundary=r\r\n\r\n--r\r\nContent-Type: text/html\r\n\r\n<img src=\"cid:logo@example\"><img src=\"cid:script@example\">\r\n--r\r\nContent-Type: image/png\r\nContent-ID: <logo@example>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw==\r\n--r\r\nContent-Type: text/html\r\nContent-ID: <script@example>\r\nContent-Disposition: attachment; filename=\"../x.html\"\r\n\r\n<script>alert(1)</script>\r\n--r--\r\n";
        let content = read_message(raw);
        assert_eq!(
            content.sanitized_html.as_deref(),
            Some("<img src=\"data:image/png;base64,iVBORw==\"><img>")
        );
        let listed: Vec<(u32, &str, &str, u64, bool)> = content
            .attachments
            .iter()
            .map(|a| {
                (
                    a.index,
                    a.name.as_str(),
                    a.content_type.as_str(),
                    a.size,
                    a.inline,
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                (0, "attachment-1.png", "image/png", 4, true),
                (1, "x.html", "text/html", 25, false)
            ]
        );
        let (name, content_type, bytes) = attachment_of(raw, 1).unwrap();
        assert_eq!(
            (name.as_str(), content_type.as_str(), bytes.as_slice()),
            ("x.html", "text/html", &b"<script>alert(1)</script>"[..])
        );
    }
}
