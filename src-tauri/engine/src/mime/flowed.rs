//! format=flowed (RFC 3676) for plain text: long paragraphs travel as lines of at most 78
//! characters that the reader's client joins again, so text neither arrives cut at 78 columns
//! nor as one endless line.

/// Longest line sent, not counting the soft-break space (RFC 3676 §4.2 recommends 78).
const WIDTH: usize = 78;

/// Encodes `text` (lines separated by "\n") as format=flowed, DelSp=no, lines joined by CRLF.
/// Every hard line break stays; a line longer than [`WIDTH`] is broken after a space, the
/// space staying at the end of the line as the soft-break mark. Trailing spaces the user typed
/// are removed (they would read as soft breaks), except in the signature separator "-- ".
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 20);
    for (index, line) in text.split('\n').enumerate() {
        if index > 0 {
            out.push_str("\r\n");
        }
        let line = if line == "-- " {
            line
        } else {
            line.trim_end_matches(' ')
        };
        let mut rest = line;
        loop {
            let chunk = split_point(rest);
            let (head, tail) = rest.split_at(chunk);
            push_stuffed(&mut out, head);
            if tail.is_empty() {
                break;
            }
            out.push_str("\r\n");
            rest = tail;
        }
    }
    out
}

/// Where to break `line`: after the last space within [`WIDTH`] characters (the space stays
/// with the first part), or nowhere if it fits or has no such space (a long word or URL is sent
/// whole rather than cut).
fn split_point(line: &str) -> usize {
    if line.chars().count() <= WIDTH {
        return line.len();
    }
    let limit = line
        .char_indices()
        .nth(WIDTH)
        .map_or(line.len(), |(at, _)| at);
    match line[..limit].rfind(' ') {
        Some(space) if space > 0 => space + 1,
        _ => match line[limit..].find(' ') {
            Some(space) => limit + space + 1,
            None => line.len(),
        },
    }
}

/// Space-stuffing (RFC 3676 §4.4): a line starting with a space, ">" or "From " gets one more
/// space, so it is not read as stuffed, quoted, or mangled into ">From".
fn push_stuffed(out: &mut String, line: &str) {
    if line.starts_with(' ') || line.starts_with('>') || line.starts_with("From ") {
        out.push(' ');
    }
    out.push_str(line);
}

/// Decodes format=flowed text: lines ending in a space join the next one (with `del_sp`, the
/// DelSp=yes of RFC 3676 §4.5, that space is dropped); one stuffed space is removed; quote depth
/// is respected so quoted and unquoted lines never join.
pub fn decode(text: &str, del_sp: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut joining: Option<usize> = None;
    // A final line break ends the last line; it does not start an empty one.
    let body = text.strip_suffix('\n').unwrap_or(text);
    for raw_line in body.split('\n') {
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        let depth = line.chars().take_while(|&c| c == '>').count();
        let content = &line[depth..];
        let content = content.strip_prefix(' ').unwrap_or(content);
        let soft = content.ends_with(' ') && content != "-- ";
        match joining {
            Some(previous) if previous == depth => {}
            Some(_) => {
                out.push('\n');
                push_quote(&mut out, depth);
            }
            None => push_quote(&mut out, depth),
        }
        let kept = if soft && del_sp {
            &content[..content.len() - 1]
        } else {
            content
        };
        out.push_str(kept);
        if soft {
            joining = Some(depth);
        } else {
            out.push('\n');
            joining = None;
        }
    }
    if joining.is_some() {
        // The text ended inside a flowed paragraph: still a line.
        out.push('\n');
    }
    if out.ends_with('\n') && !text.ends_with('\n') {
        out.pop();
    }
    out
}

fn push_quote(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push('>');
    }
    if depth > 0 {
        out.push(' ');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_paragraphs_wrap_at_spaces_and_come_back_whole() {
        let paragraph = "डाकिया आया है और उसने चिट्ठी दी। ".repeat(8);
        let text = format!("{}\nshort line\n\nlast", paragraph.trim_end());
        let encoded = encode(&text);
        for line in encoded.split("\r\n") {
            assert!(line.trim_end().chars().count() <= WIDTH, "{line:?}");
        }
        assert!(encoded.split("\r\n").count() > 4, "{encoded}");
        assert_eq!(decode(&encoded, false), text);
    }

    #[test]
    fn hard_breaks_stuffing_and_the_signature_survive() {
        let text = "From the start\n>not a quote\n leading space\ntrailing   \n-- \nAsha";
        let encoded = encode(text);
        assert_eq!(
            encoded,
            " From the start\r\n >not a quote\r\n  leading space\r\ntrailing\r\n-- \r\nAsha"
        );
        assert_eq!(
            decode(&encoded, false),
            "From the start\n>not a quote\n leading space\ntrailing\n-- \nAsha"
        );
    }

    #[test]
    fn a_word_longer_than_a_line_is_sent_whole() {
        let url = format!("https://example.org/{}", "x".repeat(120));
        let encoded = encode(&format!("see {url} now"));
        assert!(encoded.contains(&url));
        assert_eq!(decode(&encoded, false), format!("see {url} now"));
    }

    #[test]
    fn quoted_lines_keep_their_depth() {
        assert_eq!(decode("> a \r\n> b\r\nc", false), "> a b\nc");
        assert_eq!(
            decode(">> deep \r\n> shallow", false),
            ">> deep \n> shallow"
        );
    }

    #[test]
    fn del_sp_drops_the_soft_break_space() {
        assert_eq!(decode("hyphen- \r\nated", true), "hyphen-ated");
        assert_eq!(decode("one\r\ntwo\r\n", false), "one\ntwo\n");
        assert_eq!(decode("hyphen- \r\nated", false), "hyphen- ated");
    }
}
