//! The golden corpus: every `fixtures/eml/<group>/<name>.eml` next to `<name>.json`, which holds
//! what Dakiya derives from it (list row, text, sanitised HTML, attachments). Each fixture is
//! read twice, with LF and with CRLF line endings: mail arrives both ways (POP3 gives CRLF,
//! files on disk and some servers LF) and must read the same.
//!
//! On a mismatch `<name>.actual.json` is written next to the fixture and the test fails naming
//! them; `DAKIYA_BLESS=1 cargo test -p dakiya-tests --test eml_corpus` rewrites the expected
//! files after a deliberate change (review the diff).
//! Whatever the fixture, nothing that runs may survive in the HTML, and no derivation may take
//! over two seconds (deep nesting, a 2 MB header line).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dakiya_engine::mime::{self, ReadOptions};
use serde_json::{json, Map, Value};

const SLOWEST_DERIVATION: Duration = Duration::from_secs(2);
/// Longer strings are shortened in the expected files (the 2 MB header, deep HTML): their
/// start and length are enough to see a change.
const LONGEST_KEPT_STRING: usize = 2000;

/// What must never be in sanitised HTML, in either mode (lowercase).
const FORBIDDEN_IN_HTML: &[&str] = &[
    "<script",
    "javascript:",
    "vbscript:",
    "data:text",
    "data:image/svg",
    "<iframe",
    "<object",
    "<embed",
    "<form",
    "<input",
    "<button",
    "<meta",
    "<base",
    "<link",
    "<style",
    "style=",
    "<svg",
    "<math",
    "<video",
    "expression(",
    "@import",
    "behavior:",
    "-moz-binding",
    "formaction",
    "background=",
    "evil.example",
];

fn to_lf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter().peekable();
    while let Some(&byte) = bytes.next() {
        if byte == b'\r' && bytes.peek() == Some(&&b'\n') {
            continue;
        }
        out.push(byte);
    }
    out
}

fn to_crlf(lf: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(lf.len() + lf.len() / 20);
    for &byte in lf {
        if byte == b'\n' {
            out.push(b'\r');
        }
        out.push(byte);
    }
    out
}

/// Times one derivation; the corpus fails on any that is too slow.
fn timed<T>(what: &str, slow: &mut Vec<String>, work: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let result = work();
    let took = started.elapsed();
    if took > SLOWEST_DERIVATION {
        slow.push(format!("{what} took {took:?}"));
    }
    result
}

fn derive(raw: &[u8], label: &str, slow: &mut Vec<String>, unsafe_html: &mut Vec<String>) -> Value {
    let envelope = timed(&format!("{label}: envelope"), slow, || mime::envelope(raw));
    let content = timed(&format!("{label}: read_message"), slow, || {
        mime::read_message(raw)
    });
    let with_remote = timed(&format!("{label}: read with remote content"), slow, || {
        mime::read_message_with(
            raw,
            ReadOptions {
                allow_remote_content: true,
            },
        )
    });
    let search = timed(&format!("{label}: search_text"), slow, || {
        mime::search_text(raw)
    });

    for html in [&content.sanitized_html, &with_remote.sanitized_html]
        .into_iter()
        .flatten()
    {
        let lower = html.to_ascii_lowercase();
        for bad in FORBIDDEN_IN_HTML {
            if lower.contains(bad) {
                unsafe_html.push(format!("{label}: {bad:?} survived"));
            }
        }
        if lower
            .split_whitespace()
            .any(|word| word.starts_with("on") && word.contains('=') && !word.starts_with("one"))
        {
            unsafe_html.push(format!("{label}: an on… event handler survived"));
        }
    }

    let mut attachments = Vec::new();
    for attachment in &content.attachments {
        // The list and the bytes the shell saves must agree.
        match mime::attachment_of(raw, attachment.index) {
            Some((name, content_type, bytes)) => {
                let agrees = name == attachment.name
                    && content_type == attachment.content_type
                    && bytes.len() as u64 == attachment.size;
                if !agrees {
                    unsafe_html.push(format!(
                        "{label}: attachment {} listed as {:?} but read as {name:?} {content_type} {} bytes",
                        attachment.index,
                        attachment,
                        bytes.len()
                    ));
                }
            }
            None => unsafe_html.push(format!(
                "{label}: attachment {} is listed but cannot be read",
                attachment.index
            )),
        }
        attachments.push(json!({
            "index": attachment.index,
            "name": attachment.name,
            "contentType": attachment.content_type,
            "size": attachment.size,
            "inline": attachment.inline,
            "isMessage": attachment.is_message,
        }));
    }

    json!({
        "envelope": {
            "fromName": envelope.from_name,
            "fromAddress": envelope.from_address,
            "subject": envelope.subject,
            "date": envelope.date,
            "messageId": envelope.message_id,
            "parseFailed": envelope.parse_failed,
        },
        "to": content.to,
        "cc": content.cc,
        "parseFailed": content.parse_failed,
        "textBody": content.text_body,
        "sanitizedHtml": content.sanitized_html,
        "remoteContentBlocked": content.remote_content_blocked,
        // Only when "Load remote content" changes something.
        "htmlWithRemoteContent": (with_remote.sanitized_html != content.sanitized_html)
            .then_some(with_remote.sanitized_html),
        "attachments": attachments,
        "searchAttachmentNames": search.attachment_names,
    })
}

/// CRLF becomes LF in every string (the text of a CRLF message keeps its CRs), and strings too
/// long for a readable expected file are shortened.
fn normalised(value: Value) -> Value {
    match value {
        Value::String(text) => {
            let text = text.replace("\r\n", "\n");
            let chars = text.chars().count();
            if chars > LONGEST_KEPT_STRING {
                let start: String = text.chars().take(200).collect();
                Value::String(format!("{start}… ({chars} characters)"))
            } else {
                Value::String(text)
            }
        }
        Value::Array(items) => Value::Array(items.into_iter().map(normalised).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(key, value)| (key, normalised(value)))
                .collect::<Map<_, _>>(),
        ),
        other => other,
    }
}

/// An attachment sent without base64 (text, or a 7bit/8bit application part) is saved as
/// sent, so its size follows the line endings; sizes are checked against the expected file in
/// the LF reading, and everything else must be identical between the two readings.
fn without_sizes(mut value: Value) -> Value {
    if let Some(attachments) = value.get_mut("attachments").and_then(Value::as_array_mut) {
        for attachment in attachments {
            if let Some(fields) = attachment.as_object_mut() {
                fields.remove("size");
            }
        }
    }
    value
}

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/eml");
    let mut found = Vec::new();
    for group in ["rfc", "legacy", "thirdparty", "malformed"] {
        let dir = root.join(group);
        let entries =
            std::fs::read_dir(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.extension().is_some_and(|ext| ext == "eml") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("JSON values serialise");
    text.push('\n');
    text
}

#[test]
fn every_fixture_reads_as_recorded_with_lf_and_crlf() {
    let bless = std::env::var_os("DAKIYA_BLESS").is_some_and(|value| value == "1");
    let fixtures = fixtures();
    assert!(
        fixtures.len() >= 40,
        "the corpus went missing: {fixtures:?}"
    );

    let mut mismatched = Vec::new();
    let mut slow = Vec::new();
    let mut unsafe_html = Vec::new();
    for path in &fixtures {
        let name = path
            .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")))
            .unwrap_or(path)
            .display()
            .to_string();
        let raw = std::fs::read(path).expect("a fixture is readable");
        let lf = to_lf(&raw);
        let crlf = to_crlf(&lf);
        let from_lf = normalised(derive(
            &lf,
            &format!("{name} (LF)"),
            &mut slow,
            &mut unsafe_html,
        ));
        let from_crlf = normalised(derive(
            &crlf,
            &format!("{name} (CRLF)"),
            &mut slow,
            &mut unsafe_html,
        ));

        let expected_path = path.with_extension("json");
        let actual_path = path.with_extension("actual.json");
        if bless {
            std::fs::write(&expected_path, pretty(&from_lf)).expect("the expected file is written");
        }
        let expected: Option<Value> = std::fs::read_to_string(&expected_path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok());
        let same_as_recorded = expected.as_ref() == Some(&from_lf);
        let same_both_ways = without_sizes(from_lf.clone()) == without_sizes(from_crlf.clone());
        if same_as_recorded && same_both_ways {
            let _ = std::fs::remove_file(&actual_path);
            continue;
        }
        if !same_as_recorded {
            std::fs::write(&actual_path, pretty(&from_lf)).expect("the actual file is written");
            mismatched.push(format!("{} (see {})", name, actual_path.display()));
        }
        if !same_both_ways {
            let crlf_path = path.with_extension("crlf.actual.json");
            std::fs::write(&crlf_path, pretty(&from_crlf)).expect("the actual file is written");
            mismatched.push(format!(
                "{name}: CRLF reads differently (see {})",
                crlf_path.display()
            ));
        }
    }
    assert!(
        unsafe_html.is_empty(),
        "unsafe or inconsistent output:\n{}",
        unsafe_html.join("\n")
    );
    assert!(slow.is_empty(), "too slow:\n{}", slow.join("\n"));
    assert!(
        mismatched.is_empty(),
        "{} of {} fixtures differ from their expected JSON (DAKIYA_BLESS=1 rewrites them after a deliberate change):\n{}",
        mismatched.len(),
        fixtures.len(),
        mismatched.join("\n")
    );
}

#[test]
fn line_ending_conversion() {
    assert_eq!(to_lf(b"a\r\nb\nc\r"), b"a\nb\nc\r");
    assert_eq!(to_crlf(b"a\nb"), b"a\r\nb");
}
