//! `make bench`: search on 100,000 generated messages (fixed seed) — English and Hindi text,
//! HTML, attachments, threads, five years of dates, a few large messages — stored and indexed
//! through the real store code path, then a fixed set of queries (every operator, Hindi words
//! and prefixes, phrases, combinations), each timed warm for "newest 50 matches" with
//! snippets. The same messages are written as a Maildir, indexed by `notmuch new` and searched
//! with `notmuch search`; notmuch's process start is measured apart so the comparison is fair.
//! Figures are what this machine measures; nothing is asserted. Everything stays in a
//! temporary directory. `BENCH_SEARCH_MESSAGES=N` runs a smaller corpus.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use dakiya_engine::store::{NewMessage, Store};

const SEED: u64 = 0xDA_C1A0_5EED;
const RUNS: usize = 7;
const NOTMUCH_RUNS: usize = 3;
const LIMIT: u32 = 50;
/// 2020-01-01 00:00 UTC; dates spread over five years from there.
const FIRST_DATE: i64 = 1_577_836_800;
const FIVE_YEARS: i64 = 5 * 365 * 86_400;

/// splitmix64: small, fast and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn range(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }
    fn percent(&mut self, p: f64) -> bool {
        (self.next() % 1_000_000) as f64 / 10_000.0 < p
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const ENGLISH: &[&str] = &[
    "the",
    "the",
    "the",
    "and",
    "and",
    "to",
    "to",
    "of",
    "of",
    "a",
    "a",
    "in",
    "is",
    "for",
    "that",
    "with",
    "on",
    "as",
    "you",
    "it",
    "be",
    "this",
    "are",
    "we",
    "have",
    "please",
    "will",
    "can",
    "from",
    "our",
    "your",
    "at",
    "by",
    "meeting",
    "project",
    "update",
    "report",
    "invoice",
    "payment",
    "account",
    "team",
    "schedule",
    "review",
    "draft",
    "budget",
    "quarterly",
    "annual",
    "office",
    "client",
    "customer",
    "order",
    "delivery",
    "shipment",
    "contract",
    "agreement",
    "proposal",
    "deadline",
    "tomorrow",
    "today",
    "week",
    "month",
    "year",
    "morning",
    "evening",
    "thanks",
    "regards",
    "attached",
    "document",
    "file",
    "details",
    "information",
    "question",
    "answer",
    "issue",
    "problem",
    "solution",
    "request",
    "approval",
    "signature",
    "bank",
    "statement",
    "balance",
    "transfer",
    "receipt",
    "ticket",
    "travel",
    "train",
    "flight",
    "hotel",
    "booking",
    "family",
    "wedding",
    "invitation",
    "festival",
    "birthday",
    "school",
    "exam",
    "result",
    "book",
    "news",
    "weather",
    "rain",
    "summer",
    "winter",
    "market",
    "price",
    "money",
    "rupees",
    "government",
    "scheme",
    "application",
    "form",
    "certificate",
    "officer",
    "salary",
    "leave",
    "holiday",
    "health",
    "doctor",
    "hospital",
    "medicine",
    "lunch",
    "dinner",
    "tea",
    "house",
    "rent",
    "electricity",
    "water",
    "phone",
    "internet",
    "computer",
    "email",
    "message",
    "note",
    "plan",
    "launch",
    "release",
    "version",
    "server",
    "backup",
    "password",
    "security",
    "login",
    "website",
    "design",
    "feedback",
    "survey",
    "training",
    "workshop",
    "conference",
    "presentation",
    "slides",
    "minutes",
    "agenda",
    "call",
    "discuss",
    "confirm",
    "cancel",
    "reschedule",
    "available",
    "important",
    "urgent",
    "reminder",
    "follow",
    "next",
    "last",
    "new",
    "old",
    "good",
    "great",
    "sorry",
    "happy",
    "kind",
    "help",
    "support",
    "service",
];

/// Hindi words as people write them, with vowel signs, nukta and conjuncts; मेल and मेला are
/// both common, so whole-word matching is tested on real frequencies.
const HINDI: &[&str] = &[
    "और",
    "और",
    "के",
    "के",
    "की",
    "की",
    "में",
    "में",
    "से",
    "है",
    "है",
    "हैं",
    "था",
    "थी",
    "को",
    "पर",
    "लिए",
    "साथ",
    "बाद",
    "पहले",
    "अब",
    "भी",
    "नहीं",
    "हाँ",
    "आप",
    "हम",
    "मैं",
    "वह",
    "यह",
    "उनका",
    "हमारा",
    "आपका",
    "मेरा",
    "मेल",
    "मेल",
    "मेला",
    "डाकघर",
    "डाक",
    "डाकिया",
    "पत्र",
    "चिट्ठी",
    "नमस्ते",
    "धन्यवाद",
    "कृपया",
    "सूचना",
    "बैठक",
    "परियोजना",
    "रिपोर्ट",
    "बिल",
    "भुगतान",
    "खाता",
    "बैंक",
    "यात्रा",
    "टिकट",
    "रेल",
    "दिल्ली",
    "मुंबई",
    "परिवार",
    "शादी",
    "निमंत्रण",
    "त्योहार",
    "दीवाली",
    "होली",
    "बधाई",
    "जन्मदिन",
    "स्कूल",
    "परीक्षा",
    "परिणाम",
    "किताब",
    "समाचार",
    "मौसम",
    "बारिश",
    "गर्मी",
    "सर्दी",
    "खेत",
    "किसान",
    "गाँव",
    "शहर",
    "बाज़ार",
    "दुकान",
    "कीमत",
    "पैसा",
    "रुपये",
    "हज़ार",
    "लाख",
    "सरकार",
    "योजना",
    "आवेदन",
    "फ़ॉर्म",
    "दस्तावेज़",
    "प्रमाणपत्र",
    "कार्यालय",
    "अधिकारी",
    "कर्मचारी",
    "वेतन",
    "छुट्टी",
    "अवकाश",
    "स्वास्थ्य",
    "डॉक्टर",
    "अस्पताल",
    "दवाई",
    "इलाज",
    "भोजन",
    "पानी",
    "दूध",
    "चाय",
    "मिठाई",
    "लड्डू",
    "घर",
    "कमरा",
    "किराया",
    "मकान",
    "बिजली",
    "गैस",
    "फ़ोन",
    "इंटरनेट",
    "कंप्यूटर",
    "ईमेल",
    "संदेश",
    "जानकारी",
    "विवरण",
    "प्रश्न",
    "उत्तर",
    "समस्या",
    "समाधान",
    "अनुरोध",
    "स्वीकृति",
    "मंज़ूरी",
    "हस्ताक्षर",
    "तारीख़",
    "समय",
    "सप्ताह",
    "महीना",
    "साल",
    "आज",
    "कल",
    "परसों",
    "सुबह",
    "शाम",
    "रात",
    "ज़रूरी",
    "तुरंत",
    "जल्दी",
    "अच्छा",
    "बहुत",
    "कुछ",
    "सब",
    "मेलजोल",
    "मेहनत",
    "मेज़",
];

const FIRST_NAMES: &[&str] = &[
    "Ravi",
    "Asha",
    "Meena",
    "Arjun",
    "Priya",
    "Vikram",
    "Sunita",
    "Rahul",
    "Anita",
    "Suresh",
    "Kavita",
    "Amit",
    "Neha",
    "Rajesh",
    "Pooja",
    "John",
    "Mary",
    "David",
    "Sarah",
    "Michael",
    "रवि",
    "आशा",
    "मीना",
    "अर्जुन",
    "प्रिया",
    "सुनीता",
    "राहुल",
];
const LAST_NAMES: &[&str] = &[
    "Kumar",
    "Sharma",
    "Verma",
    "Gupta",
    "Singh",
    "Patel",
    "Iyer",
    "Nair",
    "Das",
    "Smith",
    "Jones",
    "Brown",
    "शर्मा",
    "वर्मा",
    "गुप्ता",
];
const DOMAINS: &[&str] = &[
    "example.org",
    "example.com",
    "mail.example.in",
    "corp.example.net",
    "bank.example.co.in",
    "school.example.edu",
];
const ATTACHMENTS: &[&str] = &[
    "invoice-2023.pdf",
    "receipt.pdf",
    "photo.jpg",
    "report-q3.xlsx",
    "minutes.docx",
    "रसीद.pdf",
    "बिल.pdf",
    "टिकट.pdf",
    "slides.pptx",
    "contract-signed.pdf",
    "statement.pdf",
    "फ़ोटो.jpg",
];

/// The user's own folders, one with a Hindi name and one with a space.
const USER_FOLDERS: &[&str] = &["मेरी यात्राएँ", "Tax 2024"];

/// Where a message is filed and how it is flagged; the same in the store and the Maildir.
#[derive(Clone, Copy)]
struct Meta {
    /// 0 inbox, 1 sent, 2 archive, 3 trash, 4.. user folders.
    folder: usize,
    read: bool,
    starred: bool,
}

impl Meta {
    fn store_key(self, user_folder_ids: &[i64]) -> String {
        match self.folder {
            0 => "inbox".into(),
            1 => "sent".into(),
            2 => "archive".into(),
            3 => "trash".into(),
            n => format!("user:{}", user_folder_ids[n - 4]),
        }
    }
    fn maildir(self) -> String {
        match self.folder {
            0 => "inbox".into(),
            1 => "sent".into(),
            2 => "archive".into(),
            3 => "trash".into(),
            n => format!("user-{}", n - 4),
        }
    }
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// RFC 2047 for header text that is not ASCII.
fn header_text(text: &str) -> String {
    if text.is_ascii() {
        text.to_owned()
    } else {
        format!("=?utf-8?b?{}?=", base64(text.as_bytes()))
    }
}

fn person(rng: &mut Rng) -> (String, String) {
    let first = rng.pick(FIRST_NAMES);
    let last = rng.pick(LAST_NAMES);
    let local = if first.is_ascii() {
        first.to_lowercase()
    } else {
        format!("user{}", rng.below(500))
    };
    (
        format!("{first} {last}"),
        format!("{local}@{}", rng.pick(DOMAINS)),
    )
}

fn mailbox(name: &str, address: &str) -> String {
    format!("{} <{address}>", header_text(name))
}

fn words(rng: &mut Rng, hindi: bool, count: usize) -> String {
    let list = if hindi { HINDI } else { ENGLISH };
    let mut text = String::new();
    for i in 0..count {
        if i > 0 {
            text.push(' ');
        }
        text.push_str(rng.pick(list));
    }
    text
}

/// About `bytes` of text in lines, with the rare words the queries look for planted sparingly.
fn body_text(rng: &mut Rng, hindi: bool, bytes: usize) -> String {
    let mut text = String::with_capacity(bytes + 200);
    while text.len() < bytes {
        let mixed = rng.percent(10.0);
        let count = rng.range(6, 14);
        text.push_str(&words(rng, hindi ^ mixed, count));
        if rng.percent(0.4) {
            text.push_str(" zeppelin");
        }
        if rng.percent(0.4) {
            text.push_str(" अंतरिक्षयान");
        }
        if rng.percent(3.0) {
            text.push_str(if hindi {
                " भुगतान की सूचना"
            } else {
                " quarterly report"
            });
        }
        text.push_str(if hindi { "।\n" } else { ".\n" });
    }
    text
}

struct Generated {
    raw: Vec<u8>,
    meta: Meta,
    message_id: String,
    subject: String,
}

fn message(rng: &mut Rng, n: usize, earlier: &[(String, String)]) -> Generated {
    let hindi = rng.percent(40.0);
    let date = FIRST_DATE + (rng.next() % FIVE_YEARS as u64) as i64;
    let folder = match rng.below(100) {
        0..=79 => 0,
        80..=87 => 1,
        88..=92 => 2,
        93..=95 => 3,
        _ => 4 + rng.below(USER_FOLDERS.len()),
    };
    let meta = Meta {
        folder,
        read: folder == 1 || rng.percent(75.0),
        starred: rng.percent(2.0),
    };
    let me = ("Asha Verma".to_owned(), "asha@dakiya.test".to_owned());
    let other = person(rng);
    let (from, to) = if folder == 1 {
        (me.clone(), other)
    } else {
        (other, me.clone())
    };
    let mut to_list = vec![mailbox(&to.0, &to.1)];
    for _ in 0..rng.below(3) {
        let (name, address) = person(rng);
        to_list.push(mailbox(&name, &address));
    }
    let cc = rng.percent(20.0).then(|| {
        let (name, address) = person(rng);
        mailbox(&name, &address)
    });
    let message_id = format!("<{n}.{:x}@bench.dakiya.test>", rng.next());
    let reply_to = (!earlier.is_empty() && rng.percent(20.0))
        .then(|| earlier[rng.below(earlier.len())].clone());
    let subject = match &reply_to {
        Some((_, subject)) => format!("Re: {}", subject.trim_start_matches("Re: ")),
        None => {
            let count = rng.range(3, 7);
            let mut subject = words(rng, hindi, count);
            if rng.percent(1.0) {
                subject.push_str(" zeppelin");
            }
            subject
        }
    };
    let size_class = rng.below(1000);
    let text_bytes = match size_class {
        0..=4 => rng.range(200_000, 2_000_000),
        _ => rng.range(2_000, 30_000),
    };
    let attachments = if size_class < 3 || rng.percent(10.0) {
        rng.range(1, 2)
    } else {
        0
    };
    // Large messages are mostly attachments (scans, photos); a few are long text (logs).
    let (text_bytes, attachment_bytes) = if size_class < 3 {
        (rng.range(2_000, 20_000), text_bytes / attachments.max(1))
    } else {
        match text_bytes.checked_div(attachments) {
            Some(each) => (text_bytes * 2 / 3, each / 3),
            None => (text_bytes, 0),
        }
    };
    let day = time_header(date);
    let mut raw = format!(
        "From: {}\r\nTo: {}\r\n{}Subject: {}\r\nDate: {day}\r\nMessage-ID: {message_id}\r\n{}\
         MIME-Version: 1.0\r\n",
        mailbox(&from.0, &from.1),
        to_list.join(", "),
        cc.map(|cc| format!("Cc: {cc}\r\n")).unwrap_or_default(),
        header_text(&subject),
        reply_to
            .as_ref()
            .map(|(id, _)| format!("In-Reply-To: {id}\r\nReferences: {id}\r\n"))
            .unwrap_or_default(),
    );
    let text = body_text(rng, hindi, text_bytes);
    let html = rng.percent(15.0);
    let text_part = if html {
        let paragraphs: Vec<String> = text.lines().map(|line| format!("<p>{line}</p>")).collect();
        format!(
            "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
             <html><body><div style=\"font-family:sans-serif\">{}</div></body></html>\r\n",
            paragraphs.join("\r\n")
        )
    } else {
        format!(
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n",
            text.replace('\n', "\r\n")
        )
    };
    if attachments == 0 {
        raw.push_str(&text_part);
    } else {
        raw.push_str("Content-Type: multipart/mixed; boundary=\"=b\"\r\n\r\n--=b\r\n");
        raw.push_str(&text_part);
        for _ in 0..attachments {
            let name = rng.pick(ATTACHMENTS);
            let mut bytes = vec![0u8; attachment_bytes];
            for chunk in bytes.chunks_mut(8) {
                let random = rng.next().to_le_bytes();
                chunk.copy_from_slice(&random[..chunk.len()]);
            }
            let encoded = base64(&bytes);
            let disposition = if name.is_ascii() {
                format!("filename=\"{name}\"")
            } else {
                let escaped: String = name.bytes().map(|b| format!("%{b:02X}")).collect();
                format!("filename*=utf-8''{escaped}")
            };
            raw.push_str(&format!(
                "--=b\r\nContent-Type: application/octet-stream\r\n\
                 Content-Disposition: attachment; {disposition}\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n"
            ));
            for line in encoded.as_bytes().chunks(76) {
                raw.push_str(std::str::from_utf8(line).unwrap_or_default());
                raw.push_str("\r\n");
            }
        }
        raw.push_str("--=b--\r\n");
    }
    Generated {
        raw: raw.into_bytes(),
        meta,
        message_id,
        subject,
    }
}

/// RFC 5322 date in UTC.
fn time_header(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let seconds = unix.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{day} {} {year} {:02}:{:02}:{:02} +0000",
        MONTHS[(month - 1) as usize],
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// One query in Dakiya's language and notmuch's, and whether notmuch must not exclude Trash.
struct Query {
    dakiya: &'static str,
    notmuch: &'static str,
    trash: bool,
}

const fn q(dakiya: &'static str, notmuch: &'static str) -> Query {
    Query {
        dakiya,
        notmuch,
        trash: false,
    }
}

const QUERIES: &[Query] = &[
    q("the ", "the"),
    q("invoice ", "invoice"),
    q("meeting ", "meeting"),
    q("zeppelin ", "zeppelin"),
    q("quarterly report ", "quarterly and report"),
    q("\"quarterly report\"", "\"quarterly report\""),
    q(
        "project update schedule ",
        "project and update and schedule",
    ),
    q("inv", "inv*"),
    q("z", "z*"),
    q("मेल ", "मेल"),
    q("मेला ", "मेला"),
    q("डाकघर ", "डाकघर"),
    q("अंतरिक्षयान ", "अंतरिक्षयान"),
    q("धन्यवाद कृपया ", "धन्यवाद and कृपया"),
    q("\"भुगतान की सूचना\"", "\"भुगतान की सूचना\""),
    q("मे", "मे*"),
    q("डाक", "डाक*"),
    q("from:ravi ", "from:ravi"),
    q("to:meena ", "to:meena"),
    q("subject:invoice ", "subject:invoice"),
    q("subject:मेल ", "subject:मेल"),
    q("is:unread", "tag:unread"),
    q("is:read", "not tag:unread"),
    q("is:starred", "tag:flagged"),
    q("has:attachment", "tag:attachment"),
    q("before:2021-01-01", "date:..2020-12-31"),
    q("after:2024-06-01", "date:2024-06-01.."),
    q("in:archive", "folder:archive"),
    q("in:sent", "folder:sent"),
    q("in:\"मेरी यात्राएँ\"", "folder:user-0"),
    q("is:unread invoice ", "tag:unread and invoice"),
    q("has:attachment रसीद", "tag:attachment and रसीद*"),
    q(
        "from:ravi invoice after:2023-01-01 ",
        "from:ravi and invoice and date:2023-01-01..",
    ),
    q("in:archive बैंक ", "folder:archive and बैंक"),
    q("is:starred meeting ", "tag:flagged and meeting"),
    q("subject:मेल is:unread", "subject:मेल and tag:unread"),
    q(
        "to:asha before:2022-01-01 report ",
        "to:asha and date:..2021-12-31 and report",
    ),
    q(
        "zeppelin is:unread has:attachment",
        "zeppelin and tag:unread and tag:attachment",
    ),
    q("in:\"Tax 2024\" bank ", "folder:user-1 and bank"),
    Query {
        dakiya: "in:trash invoice ",
        notmuch: "folder:trash and invoice",
        trash: true,
    },
];

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn dir_size(path: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = fs::read_dir(path) {
        for entry in entries.flatten() {
            match entry.metadata() {
                Ok(meta) if meta.is_dir() => total += dir_size(&entry.path()),
                Ok(meta) => total += meta.len(),
                Err(_) => {}
            }
        }
    }
    total
}

fn notmuch(config: &Path, args: &[&str]) -> std::process::Output {
    let output = Command::new("notmuch")
        .env("NOTMUCH_CONFIG", config)
        .args(args)
        .output()
        .expect("notmuch runs (apt-get install notmuch)");
    assert!(
        output.status.success(),
        "notmuch {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn main() {
    let messages: usize = std::env::var("BENCH_SEARCH_MESSAGES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store_path = dir.path().join("mail.sqlite3");
    let maildir = dir.path().join("maildir");
    let store = Store::open(&store_path).expect("the store opens");
    // A real account, so the app can open this store for the startup measurement; its servers
    // are a closed loopback port, so a check at start fails at once and touches nothing.
    let server = dakiya_engine::ServerSettings {
        host: "127.0.0.1".into(),
        port: 9,
        security: dakiya_engine::Security::PlaintextDangerous,
        username: "asha".into(),
    };
    let account = store
        .insert_account(&dakiya_engine::AccountSettings {
            display_name: "Asha Verma".into(),
            email: "asha@dakiya.test".into(),
            pop3: server.clone(),
            pop3_mode: dakiya_engine::Pop3Mode::KeepOnServer,
            keep_days: None,
            delete_when_deleted_here: false,
            headers_only: false,
            max_message_kib: None,
            check_interval_minutes: None,
            smtp: server,
            trusted_certificate: None,
            reply_to: String::new(),
            signature: String::new(),
            identities: Vec::new(),
        })
        .expect("an account")
        .id;
    let user_folder_ids: Vec<i64> = USER_FOLDERS
        .iter()
        .map(|name| store.create_folder(name).expect("a folder").id)
        .collect();
    for folder in ["inbox", "sent", "archive", "trash", "user-0", "user-1"] {
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(maildir.join(folder).join(sub)).expect("the Maildir");
        }
    }

    // 1. Generate and store, as a fetch would (batches of 100, one commit each).
    println!("search bench: generating {messages} messages (seed {SEED:#x}) …");
    let mut rng = Rng(SEED);
    let mut earlier: Vec<(String, String)> = Vec::new();
    let mut raw_bytes: u64 = 0;
    let mut store_time = Duration::ZERO;
    let mut n = 0;
    while n < messages {
        let batch: Vec<Generated> = (n..(n + 100).min(messages))
            .map(|i| {
                let generated = message(&mut rng, i, &earlier);
                if earlier.len() < 20_000 && !generated.subject.starts_with("Re: ") {
                    earlier.push((generated.message_id.clone(), generated.subject.clone()));
                }
                generated
            })
            .collect();
        let envelopes: Vec<_> = batch
            .iter()
            .map(|g| dakiya_engine::mime::envelope(&g.raw))
            .collect();
        let uidls: Vec<String> = (n..n + batch.len()).map(|i| format!("u{i}")).collect();
        let new: Vec<NewMessage<'_>> = batch
            .iter()
            .zip(&envelopes)
            .zip(&uidls)
            .map(|((g, envelope), uidl)| NewMessage {
                account_id: account,
                uidl,
                raw: &g.raw,
                envelope,
                partial_of: None,
            })
            .collect();
        let clock = Instant::now();
        let stored = store.insert_downloaded(&new).expect("stored");
        store
            .write(|tx| {
                let mut update = tx.prepare_cached(
                    "UPDATE messages SET folder = ?2, is_read = ?3, starred = ?4 WHERE id = ?1",
                )?;
                for (summary, g) in stored.iter().zip(&batch) {
                    if let Some(summary) = summary {
                        update.execute(rusqlite::params![
                            summary.id,
                            g.meta.store_key(&user_folder_ids),
                            g.meta.read,
                            g.meta.starred
                        ])?;
                    }
                }
                Ok(())
            })
            .expect("filed");
        store_time += clock.elapsed();
        for (i, g) in batch.iter().enumerate() {
            raw_bytes += g.raw.len() as u64;
            let flags = match (g.meta.read, g.meta.starred) {
                (true, true) => "FS",
                (true, false) => "S",
                (false, true) => "F",
                (false, false) => "",
            };
            let file = maildir
                .join(g.meta.maildir())
                .join("cur")
                .join(format!("{}.bench:2,{flags}", n + i));
            fs::write(file, &g.raw).expect("a Maildir file");
        }
        n += batch.len();
    }
    let raw_mib = raw_bytes as f64 / (1024.0 * 1024.0);
    println!(
        "  stored {messages} messages, {raw_mib:.0} MiB raw, in {:.1} s ({:.0} msg/s) [generated in {:.0} s total]",
        store_time.as_secs_f64(),
        messages as f64 / store_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );

    // 2. Index, as the background indexer does.
    let clock = Instant::now();
    let mut indexed = 0;
    loop {
        let done = store.index_pending(256, 16 * 1024 * 1024).expect("indexed");
        if done == 0 {
            break;
        }
        indexed += done;
    }
    let index_time = clock.elapsed();
    let index_rate = indexed as f64 / index_time.as_secs_f64();
    // Threads, as the same background pass makes them (headers only).
    let clock = Instant::now();
    let mut threaded = 0;
    loop {
        let done = store.thread_pending(256).expect("threaded");
        if done == 0 {
            break;
        }
        threaded += done;
    }
    let thread_rate = threaded as f64 / clock.elapsed().as_secs_f64();
    println!("  threaded {threaded}: {thread_rate:.0} msg/s");
    let index_mbs = raw_mib / index_time.as_secs_f64();
    println!(
        "  indexed {indexed} in {:.1} s: {index_rate:.0} msg/s, {index_mbs:.1} MiB/s",
        index_time.as_secs_f64()
    );
    store
        .write(|tx| {
            tx.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            Ok(())
        })
        .ok();
    let store_bytes = fs::metadata(&store_path).map_or(0, |m| m.len())
        + fs::metadata(dir.path().join("mail.sqlite3-wal")).map_or(0, |m| m.len());
    let store_mib = store_bytes as f64 / (1024.0 * 1024.0);
    println!(
        "  store file {store_mib:.0} MiB = {:.2}× the raw mail",
        store_mib / raw_mib
    );

    // 3. Dakiya's queries, warm: one run to warm, then the median of RUNS.
    let mut ours = Vec::new();
    for query in QUERIES {
        let hits = store.search(query.dakiya, LIMIT).expect("search");
        let samples: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let clock = Instant::now();
                let found = store.search(query.dakiya, LIMIT).expect("search");
                let took = clock.elapsed();
                assert_eq!(found.len(), hits.len());
                took
            })
            .collect();
        ours.push((hits.len(), median(samples)));
    }

    // 4. notmuch on the same messages (BENCH_SEARCH_NOTMUCH=0 skips it while tuning).
    if std::env::var("BENCH_SEARCH_NOTMUCH").is_ok_and(|v| v == "0") {
        for (query, (hits, took)) in QUERIES.iter().zip(&ours) {
            println!("  {:<40} {hits:>5} {:>9.2}", query.dakiya, ms(*took));
        }
        let mut sorted: Vec<f64> = ours.iter().map(|(_, took)| ms(*took)).collect();
        sorted.sort_by(f64::total_cmp);
        println!(
            "  dakiya query ms p50 {:.2} p95 {:.2} max {:.2}",
            percentile(&sorted, 50.0),
            percentile(&sorted, 95.0),
            percentile(&sorted, 100.0)
        );
        drop(store);
        // The window can still be measured on this store.
        if let Some(app) = std::env::var_os("BENCH_APP") {
            let runs: Vec<u64> = (0..4)
                .map(|_| ready_ms(Path::new(&app), dir.path()))
                .collect();
            println!(
                "  app launch → usable inbox ms: {runs:?} (the first after the store was written)"
            );
            if std::env::var_os("DISPLAY").is_some() {
                let scroll = scroll_inbox(Path::new(&app), dir.path());
                println!(
                    "  inbox scrolling: {} rows loaded in pages of 200: median {:.0} ms a page \
                     (max {:.0}); at most {} rows in the page at once",
                    scroll.rows, scroll.median_page_ms, scroll.max_page_ms, scroll.max_dom_rows
                );
            }
        }
        if std::env::var("BENCH_SEARCH_KEEP").is_ok() {
            println!("  kept {}", dir.keep().display());
        }
        return;
    }
    let config = dir.path().join("notmuch-config");
    fs::write(
        &config,
        format!(
            "[database]\npath={}\n[user]\nname=Asha Verma\nprimary_email=asha@dakiya.test\n\
             [new]\ntags=\nignore=\n[search]\nexclude_tags=deleted;\n\
             [maildir]\nsynchronize_flags=true\n",
            maildir.display()
        ),
    )
    .expect("notmuch config");
    let clock = Instant::now();
    notmuch(&config, &["new", "--quiet"]);
    let notmuch_index = clock.elapsed();
    // Trash is left out of searches the notmuch way: a tag its configuration excludes.
    notmuch(&config, &["tag", "+deleted", "--", "folder:trash"]);
    let notmuch_rate = messages as f64 / notmuch_index.as_secs_f64();
    let xapian_mib = dir_size(&maildir.join(".notmuch")) as f64 / (1024.0 * 1024.0);
    println!(
        "  notmuch new: {:.1} s, {notmuch_rate:.0} msg/s, {:.1} MiB/s; its index {xapian_mib:.0} MiB = {:.2}× the raw mail (plus the Maildir itself)",
        notmuch_index.as_secs_f64(),
        raw_mib / notmuch_index.as_secs_f64(),
        xapian_mib / raw_mib
    );
    let spawn = median(
        (0..5)
            .map(|_| {
                let clock = Instant::now();
                notmuch(&config, &["count", "id:nothing@bench.dakiya.test"]);
                clock.elapsed()
            })
            .collect(),
    );
    let limit = format!("--limit={LIMIT}");
    let mut theirs = Vec::new();
    for query in QUERIES {
        let mut args = vec!["search", limit.as_str(), "--sort=newest-first"];
        if query.trash {
            args.push("--exclude=false");
        }
        args.push("--");
        args.push(query.notmuch);
        let first = notmuch(&config, &args);
        let lines = first
            .stdout
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        let samples: Vec<Duration> = (0..NOTMUCH_RUNS)
            .map(|_| {
                let clock = Instant::now();
                notmuch(&config, &args);
                clock.elapsed()
            })
            .collect();
        theirs.push((lines, median(samples)));
    }

    // 5. The app on this store: launch to a usable inbox, under Xvfb (BENCH_APP = the binary).
    drop(store);
    let startup = std::env::var_os("BENCH_APP").map(|app| {
        let runs: Vec<u64> = (0..4)
            .map(|_| ready_ms(Path::new(&app), dir.path()))
            .collect();
        let mut warm = runs[1..].to_vec();
        warm.sort_unstable();
        (runs[0], warm[warm.len() / 2])
    });
    // Scrolling the inbox in the real window (needs a display: make bench runs this binary
    // under xvfb-run, and tauri-driver).
    let scrolling = std::env::var_os("BENCH_APP")
        .filter(|_| std::env::var_os("DISPLAY").is_some())
        .map(|app| scroll_inbox(Path::new(&app), dir.path()));

    // 6. Results.
    println!();
    println!(
        "Search, newest {LIMIT} matches, {messages} messages ({raw_mib:.0} MiB), warm, median of {RUNS} (notmuch: {NOTMUCH_RUNS}):"
    );
    println!(
        "  {:<40} {:>5} {:>9} {:>7} {:>10} {:>11} {:>7}",
        "query", "hits", "dakiya ms", "threads", "notmuch ms", "− spawn ms", "ratio"
    );
    for ((query, (hits, ours)), (lines, theirs)) in QUERIES.iter().zip(&ours).zip(&theirs) {
        let net = ms(*theirs) - ms(spawn);
        println!(
            "  {:<40} {:>5} {:>9.2} {:>7} {:>10.1} {:>11.1} {:>6.1}×",
            query.dakiya,
            hits,
            ms(*ours),
            lines,
            ms(*theirs),
            net,
            net.max(0.0) / ms(*ours)
        );
    }
    let mut sorted: Vec<f64> = ours.iter().map(|(_, took)| ms(*took)).collect();
    sorted.sort_by(f64::total_cmp);
    let mut notmuch_sorted: Vec<f64> = theirs.iter().map(|(_, took)| ms(*took)).collect();
    notmuch_sorted.sort_by(f64::total_cmp);
    let (p50, p95, max) = (
        percentile(&sorted, 50.0),
        percentile(&sorted, 95.0),
        percentile(&sorted, 100.0),
    );
    let (n50, n95, nmax) = (
        percentile(&notmuch_sorted, 50.0),
        percentile(&notmuch_sorted, 95.0),
        percentile(&notmuch_sorted, 100.0),
    );
    println!();
    println!("==== search bench summary ====");
    println!("  messages                 {messages} ({raw_mib:.0} MiB raw)");
    println!(
        "  store (fetch commit)     {:.0} msg/s",
        messages as f64 / store_time.as_secs_f64()
    );
    println!("  dakiya indexing          {index_rate:.0} msg/s, {index_mbs:.1} MiB/s");
    println!(
        "  notmuch new              {notmuch_rate:.0} msg/s, {:.1} MiB/s",
        raw_mib / notmuch_index.as_secs_f64()
    );
    println!(
        "  store size               {store_mib:.0} MiB ({:.2}× raw); notmuch index {xapian_mib:.0} MiB ({:.2}× raw) + Maildir",
        store_mib / raw_mib,
        xapian_mib / raw_mib
    );
    println!(
        "  dakiya query ms          p50 {p50:.2}  p95 {p95:.2}  max {max:.2}  (targets: p95 ≤ 10, max ≤ 50)"
    );
    println!(
        "  notmuch query ms         p50 {n50:.1}  p95 {n95:.1}  max {nmax:.1}  (process start + open: {:.1})",
        ms(spawn)
    );
    println!(
        "  p50 ratio                {:.1}× with process start, {:.1}× without",
        n50 / p50,
        (n50 - ms(spawn)).max(0.0) / p50
    );
    println!("  threading                {thread_rate:.0} msg/s");
    match startup {
        Some((first, warm)) => println!(
            "  app launch → usable inbox  first {first} ms, warm {warm} ms (median of 3; target < 1000)"
        ),
        None => println!("  app launch               not measured (set BENCH_APP to the app binary)"),
    }
    match scrolling {
        Some(scroll) => println!(
            "  inbox scrolling          {} rows loaded in pages of 200: median {:.0} ms a page \
             (max {:.0}); at most {} rows in the page at once",
            scroll.rows, scroll.median_page_ms, scroll.max_page_ms, scroll.max_dom_rows
        ),
        None => println!("  inbox scrolling          not measured (needs BENCH_APP and a display)"),
    }
    println!(
        "  whole run                {:.0} s",
        started.elapsed().as_secs_f64()
    );
}

/// Launches the app on `data_dir` under a throw-away X server and returns the milliseconds it
/// reported from launch to its first drawn list (`DAKIYA_EXIT_WHEN_READY`).
fn ready_ms(app: &Path, data_dir: &Path) -> u64 {
    let output = Command::new("xvfb-run")
        .args(["-a", "env", "DAKIYA_EXIT_WHEN_READY=1"])
        .arg(app)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .expect("xvfb-run runs the app");
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("ready_ms="))
        .and_then(|ms| ms.trim().parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "the app did not report ready:\n{stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
}

struct Scrolling {
    rows: u64,
    median_page_ms: f64,
    max_page_ms: f64,
    max_dom_rows: u64,
}

/// Opens the app on the store through tauri-driver, then scrolls the inbox to the end of what
/// is loaded 50 times: each time the next 200 rows must arrive; measures how long that takes
/// and how many rows the page holds (the list draws only the ones in view).
fn scroll_inbox(app: &Path, data_dir: &Path) -> Scrolling {
    use dakiya_tests::webdriver::TauriDriver;
    let log = data_dir.join("tauri-driver.log");
    let driver = TauriDriver::start(&log);
    let data_dir_arg = data_dir.to_str().expect("a UTF-8 path");
    let session = driver
        .new_session(app, &["--data-dir", data_dir_arg])
        .unwrap_or_else(|e| {
            panic!(
                "the app did not start under WebDriver: {e}\n{}",
                driver.log_text()
            )
        });
    let probe = "const list = document.querySelector('[data-testid=\"message-list\"]');
        if (!list) return null;
        return [list.scrollHeight, document.querySelectorAll('[data-testid=\"message-row\"]').length];";
    let state = || -> Option<(u64, u64)> {
        let value = session.execute(probe, &[]).ok()?;
        Some((value.get(0)?.as_u64()?, value.get(1)?.as_u64()?))
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let (mut height, _) = loop {
        if let Some(found) = state().filter(|(height, _)| *height > 0) {
            break found;
        }
        assert!(Instant::now() < deadline, "the inbox never showed");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut pages = Vec::new();
    let mut max_dom_rows = 0;
    for _ in 0..50 {
        let clock = Instant::now();
        session
            .execute(
                "const list = document.querySelector('[data-testid=\"message-list\"]');
                 list.scrollTop = list.scrollHeight;",
                &[],
            )
            .expect("scroll");
        let grown = loop {
            if let Some((now, rows)) = state() {
                max_dom_rows = max_dom_rows.max(rows);
                if now > height {
                    break now;
                }
            }
            assert!(
                clock.elapsed() < Duration::from_secs(10),
                "no more rows came"
            );
            std::thread::sleep(Duration::from_millis(2));
        };
        pages.push(clock.elapsed());
        height = grown;
    }
    let mut sorted: Vec<f64> = pages.iter().map(|took| ms(*took)).collect();
    sorted.sort_by(f64::total_cmp);
    let mut session = session;
    session.delete().ok();
    drop(driver);
    Scrolling {
        rows: height / 62,
        median_page_ms: percentile(&sorted, 50.0),
        max_page_ms: percentile(&sorted, 100.0),
        max_dom_rows,
    }
}
