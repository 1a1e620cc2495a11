//! Text from bytes whose charset is missing, misspelled or wrong: the declared charset when we
//! know it, else UTF-8, else Windows-1252 byte by byte — never a run of U+FFFD.
//!
//! mail-parser decodes a declared charset it knows (with `full_encoding`, also the CJK ones)
//! but turns everything else into lossy UTF-8: an undeclared Latin-1 body, a part labelled
//! `x-unknown`, a `us-ascii` part that really holds UTF-8 (decoded as Windows-1252 there:
//! "cafÃ©"), raw 8-bit header lines. The reader repairs those cases with what is here.

use std::borrow::Cow;

use base64::Engine as _;
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::decoders::charsets::DecoderFnc;

/// Windows-1252: what undeclared 8-bit mail was most often written in, and a superset of
/// ISO-8859-1's printable characters (WHATWG maps the label "iso-8859-1" to it, as does
/// mail-parser).
fn windows_1252(bytes: &[u8]) -> String {
    match charset_decoder(b"windows-1252") {
        Some(decode) => decode(bytes),
        None => bytes.iter().map(|&byte| char::from(byte)).collect(),
    }
}

/// Valid UTF-8 sequences as UTF-8, every other byte as Windows-1252: right for UTF-8, right for
/// Latin-1, and readable for the mail that mixes both (a Latin-1 signature under UTF-8 text).
pub(crate) fn utf8_or_windows_1252(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                text.push_str(valid);
                return text;
            }
            Err(error) => {
                let (valid, after) = rest.split_at(error.valid_up_to());
                text.push_str(&String::from_utf8_lossy(valid));
                let bad = error.error_len().unwrap_or(after.len()).min(after.len());
                let (invalid, remaining) = after.split_at(bad);
                text.push_str(&windows_1252(invalid));
                rest = remaining;
            }
        }
    }
}

/// Labels that promise ASCII or UTF-8: 8-bit bytes under them are decoded by the fallback,
/// since a `us-ascii` part with 8-bit bytes is almost always UTF-8 sent by a careless mailer.
fn promises_utf8_or_ascii(compact: &str) -> bool {
    matches!(
        compact,
        "utf8" | "usascii" | "ascii" | "ansix341968" | "iso646us" | "us" | "unknown8bit"
    )
}

/// The label reduced to lowercase letters and digits: "UTF_8", "utf8 " and "Utf-8" match.
fn compact(label: &str) -> String {
    label
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A decoder for a misspelled label: "koi8r", "win-1251", "iso8859-5", "shiftjis".
fn respelled(compact: &str) -> Option<DecoderFnc> {
    let digits = |prefix: &str| {
        compact
            .strip_prefix(prefix)
            .filter(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_owned)
    };
    let candidate = if let Some(number) = digits("windows")
        .or_else(|| digits("win"))
        .or_else(|| digits("cp"))
        .or_else(|| digits("ms"))
    {
        format!("cp{number}")
    } else if let Some(part) = digits("iso8859") {
        format!("iso-8859-{part}")
    } else {
        match compact {
            "koi8r" => "koi8-r",
            "koi8u" => "koi8-u",
            "shiftjis" | "sjis" | "xsjis" => "shift_jis",
            "eucjp" => "euc-jp",
            "euckr" => "euc-kr",
            "iso2022jp" => "iso-2022-jp",
            "gb2312" | "gbk" | "gb18030" | "big5" | "latin1" | "latin2" => compact,
            _ => return None,
        }
        .to_owned()
    };
    charset_decoder(candidate.as_bytes())
}

/// The decoder to trust for a declared charset; `None` means "decode by the fallback".
pub(crate) fn declared_decoder(label: Option<&str>) -> Option<DecoderFnc> {
    let label = label?.trim();
    let compact = compact(label);
    if promises_utf8_or_ascii(&compact) {
        return None;
    }
    charset_decoder(label.as_bytes()).or_else(|| respelled(&compact))
}

/// mail-parser decodes this label itself (exactly as written) and the label does not promise
/// ASCII or UTF-8 — its result can be trusted as it is.
pub(crate) fn mail_parser_knows(label: Option<&str>) -> bool {
    label.is_some_and(|label| {
        let label = label.trim();
        !promises_utf8_or_ascii(&compact(label)) && charset_decoder(label.as_bytes()).is_some()
    })
}

/// Decodes `bytes` declared as `label`: declared → UTF-8 → Windows-1252.
pub(crate) fn decode_text(bytes: &[u8], label: Option<&str>) -> String {
    match declared_decoder(label) {
        Some(decode) => decode(bytes),
        None => utf8_or_windows_1252(bytes),
    }
}

/// The charset an HTML part names in its own `<meta>`, for a part whose Content-Type names
/// none (WHATWG's prescan looks at the first 1024 bytes).
pub(crate) fn html_meta_charset(bytes: &[u8]) -> Option<String> {
    let head = bytes.get(..bytes.len().min(1024))?;
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let at = lower.windows(8).position(|window| window == b"charset=")? + 8;
    let label: String = lower
        .get(at..)?
        .iter()
        .skip_while(|&&b| b == b'"' || b == b'\'')
        .take_while(|&&b| b.is_ascii_alphanumeric() || b"-_:.".contains(&b))
        .map(|&b| char::from(b))
        .collect();
    (!label.is_empty()).then_some(label)
}

/// The top-level header block, repaired before parsing: raw 8-bit lines that are not UTF-8
/// become Windows-1252 text, and adjacent encoded words of one charset are joined so that a
/// character split across two words (as some mailers do, against RFC 2047 §5) decodes.
/// Borrowed, at the cost of one scan, for the common header block that needs neither.
pub(crate) fn repair_headers(raw: &[u8]) -> Cow<'_, [u8]> {
    let end = header_block_end(raw);
    let (block, body) = raw.split_at(end);
    let utf8 = std::str::from_utf8(block).ok();
    let text: Cow<'_, str> = match utf8 {
        Some(text) => Cow::Borrowed(text),
        None => Cow::Owned(utf8_or_windows_1252(block)),
    };
    let joined = join_encoded_words(&text);
    if utf8.is_some() && joined.is_none() {
        return Cow::Borrowed(raw);
    }
    let block = joined.map_or(text, Cow::Owned);
    let mut repaired = Vec::with_capacity(block.len() + body.len());
    repaired.extend_from_slice(block.as_bytes());
    repaired.extend_from_slice(body);
    Cow::Owned(repaired)
}

/// Where the headers end: after the first empty line, or the whole input when it has none.
fn header_block_end(raw: &[u8]) -> usize {
    let mut start = 0;
    while start < raw.len() {
        let line_end = raw
            .get(start..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
            .map_or(raw.len(), |at| start + at + 1);
        let line = raw.get(start..line_end).unwrap_or_default();
        if line == b"\n" || line == b"\r\n" {
            return start;
        }
        start = line_end;
    }
    raw.len()
}

/// One RFC 2047 encoded word found in a header line.
struct EncodedWord<'a> {
    start: usize,
    end: usize,
    charset: &'a str,
    bytes: Vec<u8>,
}

/// The encoded word starting at `start` (which holds "=?"), decoded to its bytes.
fn encoded_word_at(text: &str, start: usize) -> Option<EncodedWord<'_>> {
    let rest = text.get(start + 2..)?;
    let (charset, rest) = rest.split_once('?')?;
    let (encoding, rest) = rest.split_once('?')?;
    let payload_len = rest.find("?=")?;
    let payload = rest.get(..payload_len)?;
    if charset.is_empty()
        || charset.contains(|c: char| c.is_whitespace() || c == '=')
        || payload.contains(|c: char| c.is_whitespace() || c == '?')
    {
        return None;
    }
    let bytes = match encoding {
        "B" | "b" => base64_lenient(payload)?,
        "Q" | "q" => q_decode(payload),
        _ => return None,
    };
    let end = start + 2 + charset.len() + 1 + encoding.len() + 1 + payload_len + 2;
    Some(EncodedWord {
        start,
        end,
        charset,
        bytes,
    })
}

fn base64_lenient(payload: &str) -> Option<Vec<u8>> {
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    engine.decode(payload).ok()
}

/// RFC 2047 §4.2: "_" is a space, "=XX" a byte; anything malformed is kept as written.
fn q_decode(payload: &str) -> Vec<u8> {
    unescape_hex(payload, b'=', Some(b'_'))
}

/// Bytes written as `<escape>XX` (two hex digits) decoded, and `space_for` (if any) read as
/// a space: RFC 2047's Q encoding and URL percent-encoding are both this. Anything malformed
/// is kept as written.
pub(super) fn unescape_hex(text: &str, escape: u8, space_for: Option<u8>) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let hex = bytes
            .get(at + 1..at + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match hex {
            Some(value) if byte == escape => {
                decoded.push(value);
                at += 3;
            }
            _ => {
                decoded.push(if Some(byte) == space_for { b' ' } else { byte });
                at += 1;
            }
        }
    }
    decoded
}

/// The charset without an RFC 2231 language ("utf-8*en"), for comparing two words.
fn bare_charset(charset: &str) -> &str {
    charset.split('*').next().unwrap_or(charset)
}

fn push_base64_word(text: &mut String, charset: &str, bytes: &[u8]) {
    text.push_str("=?");
    text.push_str(charset);
    text.push_str("?B?");
    text.push_str(&base64::engine::general_purpose::STANDARD.encode(bytes));
    text.push_str("?=");
}

/// Joins every run of adjacent encoded words (only whitespace between them) in one charset
/// into one base64 word, and rewrites words in a charset mail-parser does not know as UTF-8;
/// `None` when there is nothing to do.
fn join_encoded_words(text: &str) -> Option<String> {
    if !text.contains("?=") {
        return None;
    }
    let mut words = Vec::new();
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|rest| rest.find("=?")) {
        let start = from + found;
        match encoded_word_at(text, start) {
            Some(word) => {
                from = word.end;
                words.push(word);
            }
            None => from = start + 2,
        }
    }
    let mut joined = String::with_capacity(text.len());
    let mut copied = 0;
    let mut changed = false;
    let mut index = 0;
    while let Some(first) = words.get(index) {
        let mut last = index;
        while let Some(next) = words.get(last + 1) {
            let gap = text.get(words[last].end..next.start).unwrap_or("x");
            let adjacent = gap.chars().all(char::is_whitespace);
            if !adjacent
                || !bare_charset(next.charset).eq_ignore_ascii_case(bare_charset(first.charset))
            {
                break;
            }
            last += 1;
        }
        let bytes: Vec<u8> = words[index..=last]
            .iter()
            .flat_map(|word| word.bytes.iter().copied())
            .collect();
        let charset = bare_charset(first.charset);
        // mail-parser decodes a charset it knows; UTF-8 words holding Latin-1 bytes it would
        // still make U+FFFD of.
        let known = if promises_utf8_or_ascii(&compact(charset)) {
            std::str::from_utf8(&bytes).is_ok()
        } else {
            charset_decoder(charset.as_bytes()).is_some()
        };
        if last > index || !known {
            joined.push_str(text.get(copied..first.start).unwrap_or_default());
            if known {
                push_base64_word(&mut joined, first.charset, &bytes);
            } else {
                // mail-parser would make U+FFFD of a charset it does not know: decode it here
                // (misspelled label, else UTF-8, else Windows-1252) and hand it over as UTF-8.
                let decoded = decode_text(&bytes, Some(bare_charset(first.charset)));
                push_base64_word(&mut joined, "UTF-8", decoded.as_bytes());
            }
            copied = words[last].end;
            changed = true;
        }
        index = last + 1;
    }
    if !changed {
        return None;
    }
    joined.push_str(text.get(copied..).unwrap_or_default());
    Some(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_bytes_become_windows_1252_and_utf8_stays() {
        assert_eq!(utf8_or_windows_1252(b"caf\xe9 \x93q\x94"), "café “q”");
        assert_eq!(utf8_or_windows_1252("नमस्ते".as_bytes()), "नमस्ते");
        assert_eq!(utf8_or_windows_1252(b"caf\xc3\xa9 and \xe9"), "café and é");
        assert_eq!(utf8_or_windows_1252(b"cut \xe0\xa4"), "cut à¤");
    }

    #[test]
    fn labels_declared_misspelled_and_promising_ascii() {
        assert_eq!(decode_text(b"\xf0\xd2\xc9\xd7", Some("KOI8R")), "Прив");
        assert_eq!(decode_text(b"\xcf\xf0", Some("win-1251")), "Пр");
        assert_eq!(decode_text("café".as_bytes(), Some("us-ascii")), "café");
        assert_eq!(decode_text(b"caf\xe9", Some("x-unknown")), "café");
        assert_eq!(decode_text(b"caf\xe9", Some("utf-8")), "café");
        assert_eq!(
            decode_text(b"\x1b$B%O%m!<\x1b(B", Some("iso-2022-jp")),
            "ハロー"
        );
        assert_eq!(decode_text(b"\xc4\xe3\xba\xc3", Some("gb2312")), "你好");
    }

    #[test]
    fn meta_charset_is_found() {
        assert_eq!(
            html_meta_charset(b"<html><meta http-equiv=\"Content-Type\" content=\"text/html; charset=Windows-1252\">").as_deref(),
            Some("windows-1252")
        );
        assert_eq!(
            html_meta_charset(b"<meta charset=\"koi8-r\">").as_deref(),
            Some("koi8-r")
        );
        assert_eq!(html_meta_charset(b"<p>none</p>"), None);
    }

    #[test]
    fn header_repair_leaves_good_headers_borrowed() {
        let raw = b"Subject: =?UTF-8?Q?a?= b\r\n\r\n\xff body";
        assert!(matches!(repair_headers(raw), Cow::Borrowed(_)));
    }

    #[test]
    fn raw_latin1_header_lines_are_transcoded_and_the_body_kept() {
        let raw = b"Subject: caf\xe9\r\nFrom: \xe0 <a@b>\r\n\r\n\xe9";
        assert_eq!(
            repair_headers(raw).as_ref(),
            "Subject: café\r\nFrom: à <a@b>\r\n\r\n"
                .as_bytes()
                .iter()
                .copied()
                .chain([0xe9])
                .collect::<Vec<u8>>()
                .as_slice()
        );
    }

    #[test]
    fn split_characters_across_encoded_words_are_joined() {
        let raw = b"Subject: =?UTF-8?Q?=E0=A4?= =?utf-8?B?qA==?=\r\n =?UTF-8?Q?_x?= plain =?ISO-8859-1?Q?=E9?=\r\n\r\n";
        let repaired = repair_headers(raw);
        let text = String::from_utf8_lossy(&repaired);
        assert_eq!(
            text,
            "Subject: =?UTF-8?B?4KSoIHg=?= plain =?ISO-8859-1?Q?=E9?=\r\n\r\n"
        );
    }

    #[test]
    fn encoded_words_in_unknown_or_misspelled_charsets_become_utf8() {
        let raw = b"Subject: =?x-unknown?Q?caf=E9?= =?koi8r?B?8NLJ1w==?=\r\n\r\n";
        let repaired = repair_headers(raw);
        assert_eq!(
            String::from_utf8_lossy(&repaired),
            "Subject: =?UTF-8?B?Y2Fmw6k=?= =?UTF-8?B?0J/RgNC40LI=?=\r\n\r\n"
        );
        let message = mail_parser::MessageParser::default()
            .parse(repaired.as_ref())
            .unwrap();
        // Two adjacent encoded words: the space between them is not text (RFC 2047 §6.2).
        assert_eq!(
            message.subject(),
            Some("caf\u{e9}\u{41f}\u{440}\u{438}\u{432}")
        );
    }
}
