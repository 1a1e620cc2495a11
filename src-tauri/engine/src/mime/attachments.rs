//! A received message's attachments: what the reader lists, and the names they are shown and
//! saved under. A name comes from the sender, so it is hostile: it may hold line breaks,
//! directories ("../../.bashrc"), a device name ("CON") or nothing at all.

use std::borrow::Cow;

use mail_parser::{Message, MessagePart, MimeHeaders, PartType};
use serde::{Deserialize, Serialize};

use super::reader::{one_line, transfer_decoded};

/// One attachment as the message view lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AttachmentInfo {
    /// Position among mail-parser's `Message::attachments()`: what `mime::attachment_of`
    /// and `Engine::attachment` take.
    pub index: u32,
    /// Safe to show: one line, no directory parts, never empty.
    pub name: String,
    /// "type/subtype", lowercase.
    pub content_type: String,
    /// Decoded size in bytes (what saving it writes).
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub size: u64,
    /// Shown inside the HTML body through a `cid:` reference, so the view may hide it.
    pub inline: bool,
    /// A whole message (message/rfc822), e.g. a forwarded mail.
    pub is_message: bool,
}

/// Longest name shown, in characters: a 2 MB filename parameter must not reach the UI.
const MAX_NAME_CHARS: usize = 200;

/// "type/subtype" of a part, lowercase; application/octet-stream when it says nothing.
pub(crate) fn content_type_of(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(content_type) => match content_type.subtype() {
            Some(subtype) => format!("{}/{}", content_type.ctype(), subtype),
            None => content_type.ctype().to_owned(),
        }
        .to_ascii_lowercase(),
        None if matches!(part.body, PartType::Message(_)) => "message/rfc822".to_owned(),
        None if matches!(part.body, PartType::Text(_)) => "text/plain".to_owned(),
        None => "application/octet-stream".to_owned(),
    }
}

/// A file extension for a type, for attachments that arrive without a name.
fn extension_for(content_type: &str) -> &'static str {
    match content_type {
        "message/rfc822" | "message/global" => "eml",
        "text/plain" => "txt",
        "text/html" => "html",
        "image/jpeg" => "jpg",
        "application/pdf" => "pdf",
        other => mime_guess::get_mime_extensions_str(other)
            .and_then(|extensions| extensions.first().copied())
            .unwrap_or("bin"),
    }
}

/// The last path component, in one line, at most [`MAX_NAME_CHARS`] characters (keeping
/// the extension); empty when nothing usable is left.
fn shown_name(raw: &str) -> String {
    let line = one_line(raw);
    let base = line
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    if base.chars().all(|c| c == '.') {
        return String::new();
    }
    shorten_keeping_extension(&base, MAX_NAME_CHARS)
}

fn shorten_keeping_extension(name: &str, max_chars: usize) -> String {
    if name.chars().count() <= max_chars {
        return name.to_owned();
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, extension)| extension)
        .filter(|extension| extension.chars().count() <= 16)
        .map(|extension| format!(".{extension}"))
        .unwrap_or_default();
    let keep = max_chars.saturating_sub(extension.chars().count());
    let stem: String = name.chars().take(keep).collect();
    format!("{}{extension}", stem.trim_end())
}

/// The name an attachment is shown and saved under: its own, else a forwarded message's
/// subject, else "attachment-N.ext" from its type.
pub(crate) fn attachment_name(part: &MessagePart<'_>, index: u32, content_type: &str) -> String {
    let own = part.attachment_name().map(shown_name).unwrap_or_default();
    if !own.is_empty() {
        return own;
    }
    if let PartType::Message(inner) = &part.body {
        let subject = inner.subject().map(shown_name).unwrap_or_default();
        if !subject.is_empty() {
            return format!("{subject}.eml");
        }
    }
    format!(
        "attachment-{}.{}",
        u64::from(index) + 1,
        extension_for(content_type)
    )
}

/// What saving the part writes: a text part as the sender wrote it (its own charset, not
/// mail-parser's decoding of it), any other part decoded.
pub(crate) fn part_bytes<'m>(message: &'m Message<'_>, part: &'m MessagePart<'_>) -> Cow<'m, [u8]> {
    match part.body {
        PartType::Text(_) | PartType::Html(_) => transfer_decoded(message, part),
        _ => Cow::Borrowed(part.contents()),
    }
}

/// Every attachment of `message`, in mail-parser's order; `inline` is filled in by the reader.
pub(crate) fn list(message: &Message<'_>) -> Vec<AttachmentInfo> {
    message
        .attachments()
        .enumerate()
        .map(|(position, part)| {
            let index = u32::try_from(position).unwrap_or(u32::MAX);
            let content_type = content_type_of(part);
            AttachmentInfo {
                index,
                name: attachment_name(part, index, &content_type),
                size: u64::try_from(part_bytes(message, part).len()).unwrap_or(u64::MAX),
                inline: false,
                is_message: matches!(part.body, PartType::Message(_)),
                content_type,
            }
        })
        .collect()
}

/// Names Windows refuses as files, with or without an extension (a saved file may be copied
/// to a USB stick or a Samba share).
fn is_reserved_device_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default().trim_end();
    let upper = stem.to_ascii_uppercase();
    matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((upper.starts_with("COM") || upper.starts_with("LPT"))
            && upper.len() == 4
            && upper.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
}

/// Longest file name most file systems take, in bytes.
const MAX_FILE_NAME_BYTES: usize = 255;

/// A name that is one plain file inside the chosen directory, whatever the sender wrote:
/// no separators, no control characters, nothing a shell or Windows treats specially, no
/// leading dot (hidden) and never "." or "..".
pub fn safe_file_name(name: &str) -> String {
    let shown = shown_name(name);
    let mut cleaned: String = shown
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    cleaned = cleaned.trim_end_matches(['.', ' ']).trim_start().to_owned();
    if let Some(rest) = cleaned.strip_prefix('.') {
        cleaned = format!("_{rest}");
    }
    if cleaned.is_empty() {
        cleaned = "attachment".to_owned();
    }
    if is_reserved_device_name(&cleaned) {
        cleaned = format!("_{cleaned}");
    }
    let mut max_chars = MAX_FILE_NAME_BYTES;
    // Leave room for " (999)" so a numbered copy fits too.
    while shorten_keeping_extension(&cleaned, max_chars).len() > MAX_FILE_NAME_BYTES - 6 {
        max_chars -= 1;
    }
    shorten_keeping_extension(&cleaned, max_chars)
}

/// "name (n).ext": the n-th candidate when "name.ext" is already taken.
pub fn numbered_file_name(name: &str, n: u32) -> String {
    if n <= 1 {
        return name.to_owned();
    }
    match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => format!("{stem} ({n}).{extension}"),
        _ => format!("{name} ({n})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_names_lose_directories_and_line_breaks() {
        assert_eq!(shown_name("../../etc/passwd"), "passwd");
        assert_eq!(shown_name("C:\\Users\\x\\evil.exe"), "evil.exe");
        assert_eq!(shown_name("a\r\nb.txt"), "a b.txt");
        assert_eq!(shown_name(".."), "");
        assert_eq!(shown_name("रिपोर्ट.pdf"), "रिपोर्ट.pdf");
        let long = format!("{}.pdf", "x".repeat(5000));
        let shortened = shown_name(&long);
        assert_eq!(shortened.chars().count(), MAX_NAME_CHARS);
        assert!(shortened.ends_with(".pdf"));
    }

    #[test]
    fn file_names_stay_inside_the_directory() {
        assert_eq!(safe_file_name("../../.bashrc"), "_bashrc");
        assert_eq!(safe_file_name("/etc/passwd"), "passwd");
        assert_eq!(safe_file_name("CON.txt"), "_CON.txt");
        assert_eq!(safe_file_name("lpt1"), "_lpt1");
        assert_eq!(safe_file_name("com10.txt"), "com10.txt");
        assert_eq!(safe_file_name("a:b*c?.txt"), "a_b_c_.txt");
        assert_eq!(safe_file_name("tab\there.txt"), "tab here.txt");
        assert_eq!(safe_file_name("name. . ."), "name");
        assert_eq!(safe_file_name(""), "attachment");
        assert_eq!(safe_file_name("..."), "attachment");
        let long = format!("{}.pdf", "अ".repeat(300));
        let safe = safe_file_name(&long);
        assert!(safe.len() <= MAX_FILE_NAME_BYTES - 6 && safe.ends_with(".pdf"));
    }

    #[test]
    fn numbered_names() {
        assert_eq!(numbered_file_name("a.pdf", 1), "a.pdf");
        assert_eq!(numbered_file_name("a.pdf", 2), "a (2).pdf");
        assert_eq!(numbered_file_name("README", 3), "README (3)");
        assert_eq!(numbered_file_name("_bashrc", 2), "_bashrc (2)");
    }

    #[test]
    fn device_names() {
        for name in ["CON", "con.txt", "Aux.tar.gz", "COM1", "lpt9.doc", "NUL "] {
            assert!(is_reserved_device_name(name), "{name}");
        }
        for name in ["CONSOLE", "COM", "COM10", "nullable.txt"] {
            assert!(!is_reserved_device_name(name), "{name}");
        }
    }
}
