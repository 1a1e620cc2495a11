//! Turns received lines into [`Response`]s. Works on complete lines only (the reader in
//! `reader.rs` assembles them), so nothing here can ask for "more bytes" and hang.

use bytes::Bytes;

use crate::{
    command::Command,
    constants::{ERR, OK},
    error::{err, ErrorKind, Result},
    request::Request,
    response::{
        capability::Capability,
        list::List,
        stat::Stat,
        uidl::{Uidl, UidlResponse, UniqueId},
        Response,
    },
};

/// The status indicator that starts every reply (RFC 1939 §3), or a SASL continuation
/// (RFC 5034 §4).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Status<'a> {
    Positive(&'a [u8]),
    Negative(&'a [u8]),
    Continuation(&'a [u8]),
}

/// Parses a reply's first line (with or without its CRLF).
pub(crate) fn status(line: &[u8]) -> Result<Status<'_>> {
    let line = trim_line_end(line);
    if let Some(text) = keyword(line, OK.as_bytes()) {
        Ok(Status::Positive(text))
    } else if let Some(text) = keyword(line, ERR.as_bytes()) {
        Ok(Status::Negative(text))
    } else if let Some(text) = keyword(line, b"+") {
        Ok(Status::Continuation(text))
    } else {
        err!(
            ErrorKind::InvalidResponse,
            "The server sent \"{}\", which is not a POP3 reply",
            printable(line)
        )
    }
}

/// `word` at the start of `line`, followed by nothing or by white space.
fn keyword<'a>(line: &'a [u8], word: &[u8]) -> Option<&'a [u8]> {
    let head = line.get(..word.len())?;
    if !head.eq_ignore_ascii_case(word) {
        return None;
    }
    let rest = &line[word.len()..];
    match rest.first() {
        None => Some(rest),
        Some(b' ' | b'\t') => Some(rest.trim_ascii_start()),
        Some(_) => None,
    }
}

pub(crate) fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A server's bytes made safe for an error message or a log: lossy UTF-8, control characters
/// escaped, cut at 120 characters.
pub(crate) fn printable(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = text
        .chars()
        .take(120)
        .flat_map(char::escape_debug)
        .collect();
    if text.chars().nth(120).is_some() {
        out.push('…');
    }
    out
}

/// The response to a positive single-line reply whose text is `text`.
pub(crate) fn single_line(request: &Request, text: &[u8]) -> Result<Response> {
    Ok(match request.command() {
        Command::Stat | Command::List => Response::Stat(scan_listing(text)?),
        Command::Uidl => Response::Uidl(UidlResponse::Single(unique_id(text)?)),
        _ => Response::Message(text.into()),
    })
}

/// The response to a positive multi-line reply: `first` is the status line's text, `body` the
/// dot-unstuffed lines after it.
pub(crate) fn multi_line(request: &Request, first: &[u8], body: Vec<u8>) -> Result<Response> {
    Ok(match request.command() {
        Command::Retr | Command::Top => Response::Bytes(Bytes::from(body)),
        Command::List => {
            let items = lines(&body).map(scan_listing).collect::<Result<Vec<_>>>()?;
            Response::List(List::new(drop_summary(first), items))
        }
        Command::Uidl => {
            let items = lines(&body).map(unique_id).collect::<Result<Vec<_>>>()?;
            let message = (!first.is_empty()).then_some(first);
            Response::Uidl(Uidl::new(message, items).into())
        }
        Command::Capa => Response::Capability(lines(&body).map(Capability::parse).collect()),
        other => err!(
            ErrorKind::UnexpectedResponse,
            "{} does not have a multi-line reply",
            other
        ),
    })
}

/// The non-empty lines of a body, without line ends.
fn lines(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    body.split(|&b| b == b'\n')
        .map(trim_line_end)
        .filter(|line| !line.trim_ascii().is_empty())
}

fn words(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(u8::is_ascii_whitespace)
        .filter(|word| !word.is_empty())
}

fn number(word: Option<&[u8]>, line: &[u8]) -> Result<crate::response::types::number::Number> {
    match word {
        Some(word) if word.iter().all(u8::is_ascii_digit) => Ok(word.into()),
        _ => err!(
            ErrorKind::InvalidResponse,
            "Expected a number in \"{}\"",
            printable(line)
        ),
    }
}

/// "nn mm" of a drop listing or scan listing (RFC 1939 §5): anything after is ignored.
fn scan_listing(line: &[u8]) -> Result<Stat> {
    let mut parts = words(line);
    let count = number(parts.next(), line)?;
    let size = number(parts.next(), line)?;
    Ok(Stat::new(count, size))
}

/// Best effort on texts like "2 messages (320 octets)"; the text is free-form, so no error.
fn drop_summary(text: &[u8]) -> Option<Stat> {
    let mut parts = words(text);
    let count = parts.next().filter(|w| w.iter().all(u8::is_ascii_digit))?;
    let size = parts.find_map(|w| w.strip_prefix(b"("))?;
    size.iter()
        .all(u8::is_ascii_digit)
        .then(|| Stat::new(count, size))
}

/// RFC 1939 §7: "msg-number SP unique-id", the id being 1–70 octets 0x21–0x7E. Longer ids
/// exist in the wild and are accepted; other octets are not, because ids must compare exactly.
fn unique_id(line: &[u8]) -> Result<UniqueId> {
    let mut parts = words(line);
    let index = number(parts.next(), line)?;
    match parts.next() {
        Some(id) if id.iter().all(|b| (0x21..=0x7E).contains(b)) => Ok(UniqueId::new(index, id)),
        _ => err!(
            ErrorKind::InvalidResponse,
            "Expected \"number unique-id\" in \"{}\"",
            printable(line)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::{capability::Expiration, types::DataType};

    #[test]
    fn status_lines() {
        assert_eq!(status(b"+OK\r\n").unwrap(), Status::Positive(b""));
        assert_eq!(
            status(b"+OK ready\r\n").unwrap(),
            Status::Positive(b"ready")
        );
        assert_eq!(status(b"+ok lower\n").unwrap(), Status::Positive(b"lower"));
        assert_eq!(
            status(b"-ERR [AUTH] no\r\n").unwrap(),
            Status::Negative(b"[AUTH] no")
        );
        assert_eq!(status(b"+ \r\n").unwrap(), Status::Continuation(b""));
        assert_eq!(
            status(b"+ AGE=\r\n").unwrap(),
            Status::Continuation(b"AGE=")
        );
        for garbage in [
            &b"HTTP/1.1 400\r\n"[..],
            b"+OKAY\r\n",
            b"\r\n",
            b"\xff\xfe\r\n",
            b"-ER\r\n",
        ] {
            assert!(status(garbage).is_err(), "{garbage:?}");
        }
    }

    #[test]
    fn printable_never_panics_and_escapes() {
        assert_eq!(printable(b"a\x1bb\xff \xe0\xa4\xa1"), "a\\u{1b}b\u{fffd} ड");
        assert!(printable(&[b'x'; 500]).chars().count() <= 121);
    }

    #[test]
    fn capabilities_with_arguments_and_unknown_mechanisms_parse() {
        let request = Request::from(Command::Capa);
        let body = b"TOP\r\nUSER\r\nSASL PLAIN SCRAM-SHA-256-PLUS X-NEW\r\nLOGIN-DELAY 900 USER\r\nEXPIRE 30 USER\r\nEXPIRE NEVER\r\nX-FOO bar baz\r\nIMPLEMENTATION Dovecot 2.3\r\nSTLS\r\nUIDL\r\n".to_vec();
        let Response::Capability(capas) = multi_line(&request, b"", body).unwrap() else {
            panic!("not a capability list")
        };
        assert_eq!(capas.len(), 10);
        let Capability::Sasl(mechanisms) = &capas[2] else {
            panic!("{:?}", capas[2])
        };
        assert_eq!(mechanisms.len(), 3);
        assert_eq!(mechanisms[1].as_ref(), b"SCRAM-SHA-256-PLUS");
        assert!(
            matches!(&capas[3], Capability::LoginDelay(d) if d.value().unwrap().as_secs() == 900)
        );
        assert!(matches!(&capas[4], Capability::Expire(Expiration::Time(_))));
        assert_eq!(capas[5], Capability::Expire(Expiration::Never));
        assert_eq!(capas[6], Capability::Other("X-FOO bar baz".into()));
        assert_eq!(capas[7], Capability::Implementation("Dovecot 2.3".into()));
        assert!(capas.contains(&Capability::Stls));
    }

    #[test]
    fn listings() {
        let list = Request::from(Command::List);
        let Response::List(items) = multi_line(
            &list,
            b"2 messages (320 octets)",
            b"1 120\r\n2 200 extra\r\n".to_vec(),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(items.items().len(), 2);
        assert_eq!(items.items()[1].size().value().unwrap(), 200);
        assert_eq!(items.stats().unwrap().size().value().unwrap(), 320);
        assert!(multi_line(&list, b"", b"1 x\r\n".to_vec()).is_err());
        assert!(multi_line(&list, b"", b"1\r\n".to_vec()).is_err());

        let uidl = Request::from(Command::Uidl);
        let Response::Uidl(UidlResponse::Multiple(ids)) = multi_line(
            &uidl,
            b"",
            b"1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n".to_vec(),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(ids.items()[1].id().as_ref(), b"QhdPYR:00WBw1Ph7x7");
        assert!(multi_line(&uidl, b"", b"1 caf\xc3\xa9\r\n".to_vec()).is_err());
        assert!(multi_line(&uidl, b"", b"1\r\n".to_vec()).is_err());

        let stat = Request::from(Command::Stat);
        let Response::Stat(s) = single_line(&stat, b"20 600").unwrap() else {
            panic!()
        };
        assert_eq!(
            (s.counter().value().unwrap(), s.size().value().unwrap()),
            (20, 600)
        );
        assert!(single_line(&stat, b"").is_err());
    }
}
