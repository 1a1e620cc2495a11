//! Search end to end: 300 generated messages (English and Hindi, attachments, five senders)
//! are fetched from the real Dovecot over POP3, indexed by the background indexer, filed and
//! flagged through the engine, then every operator, Hindi words and prefixes, phrases and
//! hostile input are checked against what the generator put where.

use std::collections::BTreeSet;

use dakiya_engine::store::{Folder, MARK_END, MARK_START};
use dakiya_engine::{ErrorReason, FetchProgress, Pop3Mode, SearchHit, Security};
use dakiya_tests::fixtures::User;

const NO_PROGRESS: &(dyn Fn(FetchProgress) + Send + Sync) = &|_| {};
const MESSAGES: usize = 300;
/// 2020-01-01 12:00 UTC; message `i` is dated `i` days later, so newest first is highest `i`
/// first, and noon keeps each on the same calendar day in any zone within ±11 hours.
const FIRST_NOON: i64 = 1_577_880_000;

const SENDERS: [(&str, &str); 5] = [
    ("Ravi Kumar", "ravi@example.org"),
    ("मीना शर्मा", "meena@example.in"),
    ("Boss", "boss@corp.example.com"),
    ("बैंक", "alerts@bank.example.co.in"),
    ("Yatra", "trips@example.net"),
];
const RECIPIENTS: [(&str, &str); 3] = [
    ("Asha Verma", "asha@dakiya.test"),
    ("आशा", "asha.home@dakiya.test"),
    ("Team", "team@dakiya.test"),
];

/// What the generator decided for message `i`; the tests derive every expected answer from it.
#[derive(Clone, Copy)]
struct Plan(usize);

impl Plan {
    fn hindi(self) -> bool {
        self.0.is_multiple_of(3)
    }
    fn sender(self) -> usize {
        self.0 % SENDERS.len()
    }
    fn recipient(self) -> usize {
        self.0 % RECIPIENTS.len()
    }
    fn attachment(self) -> bool {
        self.0.is_multiple_of(7)
    }
    /// "invoice" in an English body.
    fn invoice(self) -> bool {
        !self.hindi() && self.0.is_multiple_of(4)
    }
    fn annual_report(self) -> bool {
        !self.hindi() && self.0 % 10 == 1
    }
    fn report_annual(self) -> bool {
        !self.hindi() && self.0 % 10 == 5
    }
    /// मेल (mail) in a Hindi body; मेला (fair) in others: whole words must not be confused.
    fn mail(self) -> bool {
        self.hindi() && self.0.is_multiple_of(2)
    }
    fn fair(self) -> bool {
        self.hindi() && self.0 % 2 == 1
    }
    fn read(self) -> bool {
        self.0 % 5 < 3
    }
    fn starred(self) -> bool {
        self.0.is_multiple_of(11)
    }
    fn trash(self) -> bool {
        self.0.is_multiple_of(19)
    }
    fn deleted_for_good(self) -> bool {
        self.0.is_multiple_of(38)
    }
    fn user_folder(self) -> bool {
        !self.trash() && self.0.is_multiple_of(17)
    }
    fn archive(self) -> bool {
        !self.trash() && !self.user_folder() && self.0.is_multiple_of(13)
    }
    fn date(self) -> i64 {
        FIRST_NOON + self.0 as i64 * 86_400
    }

    fn raw(self) -> Vec<u8> {
        let i = self.0;
        let (from_name, from) = SENDERS[self.sender()];
        let (to_name, to) = RECIPIENTS[self.recipient()];
        let mut body = if self.hindi() {
            String::from("आपका पत्र डाकघर पहुँच गया। धन्यवाद।")
        } else {
            String::from("Hello, please find the details below.")
        };
        for (wanted, words) in [
            (self.invoice(), " The invoice is attached."),
            (self.annual_report(), " Our annual report is ready."),
            (self.report_annual(), " The report, annual edition."),
            (self.mail(), " आपका मेल मिला।"),
            (self.fair(), " गाँव में मेला लगा।"),
        ] {
            if wanted {
                body.push_str(words);
            }
        }
        let subject = if self.hindi() {
            format!("सूचना n{i}")
        } else {
            format!("Notice n{i}")
        };
        let date = time_header(self.date());
        let headers = format!(
            "From: {from_name} <{from}>\r\nTo: {to_name} <{to}>\r\nSubject: {subject}\r\n\
             Date: {date}\r\nMessage-ID: <n{i}@search.dakiya.test>\r\nMIME-Version: 1.0\r\n"
        );
        let raw = if self.attachment() {
            let name = if self.hindi() {
                "रसीद.pdf"
            } else {
                "receipt.pdf"
            };
            format!(
                "{headers}Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
                 Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
                 {body}\r\n--b\r\nContent-Type: application/pdf\r\n\
                 Content-Disposition: attachment; filename*=utf-8''{}\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n",
                name.bytes()
                    .map(|b| format!("%{b:02X}"))
                    .collect::<String>()
            )
        } else {
            format!(
                "{headers}Content-Type: text/plain; charset=utf-8\r\n\
                 Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
            )
        };
        raw.into_bytes()
    }
}

fn time_header(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
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
        "{day} {} {year} 12:00:00 +0000",
        MONTHS[(month - 1) as usize]
    )
}

/// The `n<i>` in a subject (marks removed).
fn plan_of(hit: &SearchHit) -> usize {
    let subject = hit.summary.subject.as_str();
    let at = subject.rfind('n').expect("an n<i> in the subject");
    subject[at + 1..].parse().expect("a number")
}

struct Mailbox {
    user: User,
    ids: Vec<i64>,
}

impl Mailbox {
    async fn search(&self, query: &str, limit: u32) -> Vec<usize> {
        self.user
            .engine
            .search(query.to_owned(), limit)
            .await
            .unwrap_or_else(|error| panic!("{query:?}: {error}"))
            .iter()
            .map(plan_of)
            .collect()
    }

    /// Asserts that `query` finds exactly the messages `wanted` holds for, newest first.
    async fn expect(&self, query: &str, wanted: impl Fn(Plan) -> bool) {
        let expected: Vec<usize> = (0..MESSAGES)
            .rev()
            .map(Plan)
            .filter(|&plan| !plan.deleted_for_good() && wanted(plan))
            .map(|plan| plan.0)
            .collect();
        assert!(!expected.is_empty(), "{query:?} should find something");
        assert_eq!(self.search(query, 1000).await, expected, "{query:?}");
    }

    async fn expect_none(&self, query: &str) {
        assert_eq!(
            self.search(query, 1000).await,
            Vec::<usize>::new(),
            "{query:?}"
        );
    }
}

async fn mailbox() -> Mailbox {
    let user = User::new("search", "पासवर्ड pw");
    for i in 0..MESSAGES {
        user.mailbox.deliver_raw(&Plan(i).raw());
    }
    let settings = user.settings(Security::Tls, Security::Tls, Pop3Mode::KeepOnServer);
    let account = user.add_account(settings).await;
    let report = user.engine.fetch(account.id, NO_PROGRESS).await.unwrap();
    assert_eq!(report.new_messages.len(), MESSAGES);
    user.engine.wait_until_indexed().await;

    // Map each generated message to its stored id through the search itself.
    let mut ids = vec![0; MESSAGES];
    for hit in user
        .engine
        .search("after:2019-01-01".into(), 1000)
        .await
        .unwrap()
    {
        ids[plan_of(&hit)] = hit.summary.id;
    }
    assert!(ids.iter().all(|&id| id > 0));
    let pick = |wanted: fn(Plan) -> bool| -> Vec<i64> {
        (0..MESSAGES)
            .filter(|&i| wanted(Plan(i)))
            .map(|i| ids[i])
            .collect()
    };
    let engine = &user.engine;
    engine
        .set_flags(pick(|p| p.read()), Some(true), None)
        .await
        .unwrap();
    engine
        .set_flags(pick(|p| p.starred()), None, Some(true))
        .await
        .unwrap();
    let bills = engine.create_folder("मेरे बिल".into()).await.unwrap();
    engine
        .move_messages(pick(|p| p.user_folder()), Folder::User(bills.id))
        .await
        .unwrap();
    engine
        .move_messages(pick(|p| p.archive()), Folder::Archive)
        .await
        .unwrap();
    engine.delete_messages(pick(|p| p.trash())).await.unwrap();
    // Deleting from Trash deletes for good: never found again, not even with in:trash.
    engine
        .delete_messages(pick(|p| p.deleted_for_good()))
        .await
        .unwrap();
    Mailbox { user, ids }
}

fn inbox_like(plan: Plan) -> bool {
    !plan.trash()
}

#[tokio::test]
async fn fetched_mail_is_found_by_every_operator() {
    let m = mailbox().await;

    // Words, phrases, prefixes, newest first; Trash left out.
    m.expect("invoice ", |p| inbox_like(p) && p.invoice()).await;
    m.expect("\"annual report\"", |p| inbox_like(p) && p.annual_report())
        .await;
    m.expect("\"report annual\"", |p| inbox_like(p) && p.report_annual())
        .await;
    m.expect("annual report ", |p| {
        inbox_like(p) && (p.annual_report() || p.report_annual())
    })
    .await;
    m.expect("invo", |p| inbox_like(p) && p.invoice()).await;
    m.expect_none("invo ").await;

    // Hindi: मेल is not मेला, but while typing मे finds both.
    m.expect("मेल ", |p| inbox_like(p) && p.mail()).await;
    m.expect("मेला ", |p| inbox_like(p) && p.fair()).await;
    m.expect("\"मेल\"", |p| inbox_like(p) && p.mail()).await;
    m.expect("मे", |p| inbox_like(p) && (p.mail() || p.fair()))
        .await;
    m.expect("\"डाकघर पहुँच\"", |p| {
        inbox_like(p) && p.hindi()
    })
    .await;
    m.expect("डाकघर पहुँ", |p| {
        inbox_like(p) && p.hindi()
    })
    .await;
    m.expect_none("\"पहुँच डाकघर\"").await;

    // Addresses: from: is the sender only, to: the recipients only.
    m.expect("from:ravi", |p| inbox_like(p) && p.sender() == 0)
        .await;
    m.expect("from:\"मीना शर्मा\"", |p| {
        inbox_like(p) && p.sender() == 1
    })
    .await;
    m.expect("from:bank.example", |p| inbox_like(p) && p.sender() == 3)
        .await;
    m.expect_none("from:asha").await;
    m.expect("to:asha", |p| inbox_like(p) && p.recipient() != 2)
        .await;
    m.expect("to:आशा", |p| inbox_like(p) && p.recipient() == 1)
        .await;
    m.expect_none("to:ravi").await;
    m.expect("ravi ", |p| inbox_like(p) && p.sender() == 0)
        .await;

    // Subject.
    m.expect("subject:सूचना", |p| inbox_like(p) && p.hindi())
        .await;
    m.expect("subject:notice invoice ", |p| inbox_like(p) && p.invoice())
        .await;
    m.expect_none("subject:invoice").await;

    // Flags and attachments, alone (plain SQL) and with words.
    m.expect("is:unread", |p| inbox_like(p) && !p.read()).await;
    m.expect("is:read", |p| inbox_like(p) && p.read()).await;
    m.expect("is:starred", |p| inbox_like(p) && p.starred())
        .await;
    m.expect("has:attachment", |p| inbox_like(p) && p.attachment())
        .await;
    m.expect("has:attachment रसीद", |p| {
        inbox_like(p) && p.attachment() && p.hindi()
    })
    .await;
    m.expect("is:unread invoice ", |p| {
        inbox_like(p) && !p.read() && p.invoice()
    })
    .await;

    // Dates: before: excludes its day, after: includes it.
    let day = |i: i64| time_day(FIRST_NOON + i * 86_400);
    m.expect(&format!("before:{}", day(100)), |p| {
        inbox_like(p) && p.0 < 100
    })
    .await;
    m.expect(&format!("after:{}", day(250)), |p| {
        inbox_like(p) && p.0 >= 250
    })
    .await;
    m.expect(
        &format!("after:{} before:{} invoice ", day(40), day(120)),
        |p| inbox_like(p) && (40..120).contains(&p.0) && p.invoice(),
    )
    .await;

    // Folders.
    m.expect("in:archive", |p| p.archive()).await;
    m.expect("in:\"मेरे बिल\"", |p| p.user_folder()).await;
    m.expect("in:trash", |p| p.trash()).await;
    m.expect("in:trash मेला ", |p| p.trash() && p.fair()).await;
    m.expect("in:inbox is:starred", |p| {
        p.starred() && !p.trash() && !p.archive() && !p.user_folder()
    })
    .await;
    m.expect_none("in:\"no such folder\" invoice").await;

    // Combinations.
    m.expect("from:alerts@bank is:unread has:attachment", |p| {
        inbox_like(p) && p.sender() == 3 && !p.read() && p.attachment()
    })
    .await;

    // The newest 50 only.
    let newest = m.search("is:unread", 50).await;
    let all = m.search("is:unread", 1000).await;
    assert_eq!(newest, all[..50]);

    // Snippets mark the words, in the subject too.
    let hits = m
        .user
        .engine
        .search("subject:notice invoice".into(), 3)
        .await
        .unwrap();
    for hit in &hits {
        assert!(
            hit.subject
                .starts_with(&format!("{MARK_START}Notice{MARK_END} n")),
            "{}",
            hit.subject
        );
        assert!(
            hit.snippet
                .contains(&format!("The {MARK_START}invoice{MARK_END} is attached.")),
            "{}",
            hit.snippet
        );
    }
    assert_eq!(m.ids.len(), MESSAGES);
}

/// `YYYY-MM-DD` of a Unix time (UTC; the dates are noon, the same day locally).
fn time_day(unix: i64) -> String {
    let header = time_header(unix);
    let mut parts = header.split(' ');
    let (day, month, year) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month).unwrap() + 1;
    format!("{year}-{month:02}-{:02}", day.parse::<u32>().unwrap())
}

/// Whatever is typed, search answers (perhaps with nothing) and never fails.
#[tokio::test]
async fn hostile_input_never_errors() {
    let m = mailbox().await;
    for query in [
        "AND",
        "OR",
        "NOT",
        "NEAR(",
        "NEAR(invoice report, 2)",
        "invoice AND",
        "AND invoice",
        "*",
        "**",
        "invoice*",
        "*invoice",
        "\"",
        "\"\"",
        "\"invoice",
        "invoice\"",
        ":",
        "a:b",
        "from:",
        "from:\"",
        "subject:\"\"",
        "-",
        "-invoice",
        "invoice -report",
        "(",
        ")",
        "(invoice OR report)",
        "{subject}: x",
        "subject : x",
        "^invoice",
        "+",
        "'",
        "%",
        "_",
        "';DROP TABLE messages;--",
        "\\",
        "\u{0}",
        "\u{200d}",
        "\u{E000}",
        "in:",
        "in:\"",
        "is:",
        "has:",
        "before:",
        "before:2024-02-30",
        "after:9999-12-31",
        "मे*",
        "\"मेल",
        "NEAR(मेल",
        "rowid:1",
        "message_search",
        "x:y:z",
        "नमस्ते:",
        "्",
        "ॐ",
    ] {
        if let Err(error) = m.user.engine.search(query.to_owned(), 50).await {
            panic!("{query:?}: {error}");
        }
    }
    assert!(m.search("invoice OR ", 50).await.is_empty(), "OR is a word");
}

/// Search as you type: each keystroke starts a search, and a search started before a newer
/// one stops with `Superseded` (which the UI ignores) instead of holding up the newest.
#[tokio::test]
async fn typing_supersedes_older_searches() {
    let m = mailbox().await;
    let typed = ["i", "in", "inv", "invo", "invoi", "invoic", "invoice "];
    // The order is that of the calls, not of when a thread gets to each search.
    let searches: Vec<_> = typed
        .iter()
        .map(|query| m.user.engine.search((*query).to_owned(), 50))
        .collect();
    let mut results = Vec::new();
    for search in searches {
        results.push(search.await);
    }
    let (last, older) = results.split_last().unwrap();
    for result in older {
        let error = result.as_ref().unwrap_err();
        assert_eq!(error.reason(), Some(&ErrorReason::Superseded), "{error}");
    }
    let found: BTreeSet<usize> = last.as_ref().unwrap().iter().map(plan_of).collect();
    let expected: BTreeSet<usize> = (0..MESSAGES)
        .rev()
        .filter(|&i| Plan(i).invoice() && inbox_like(Plan(i)))
        .take(50)
        .collect();
    assert_eq!(found, expected);
    // Nothing is left interrupted: the next search answers as usual.
    assert_eq!(m.search("invoice ", 50).await.len(), expected.len());
}
