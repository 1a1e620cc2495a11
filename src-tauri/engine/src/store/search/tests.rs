//! Search against a real SQLite file: every operator, Hindi words and prefixes, snippets,
//! hostile input and interruption.

use std::path::Path;
use std::time::{Duration, Instant};

use super::*;
use crate::store::{Folder, NewMessage};

/// A message as the tests describe it; `raw()` makes its bytes.
struct Mail<'a> {
    from: &'a str,
    to: &'a str,
    subject: &'a str,
    body: &'a str,
    /// "YYYY-MM-DD HH:MM" UTC.
    date: &'a str,
    attachment: Option<&'a str>,
}

impl Mail<'_> {
    fn raw(&self) -> Vec<u8> {
        let (day, time) = self.date.split_once(' ').unwrap();
        let mut parts = day.split('-');
        let (y, m, d) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let month = MONTHS[m.parse::<usize>().unwrap() - 1];
        let mut raw = format!(
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {d} {month} {y} {time}:00 +0000\r\n\
             MIME-Version: 1.0\r\n",
            self.from, self.to, self.subject
        );
        match self.attachment {
            None => raw.push_str(&format!(
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n",
                self.body
            )),
            Some(name) => raw.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
                 Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n\
                 --b\r\nContent-Type: application/pdf; name=\"{name}\"\r\n\
                 Content-Disposition: attachment; filename=\"{name}\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n",
                self.body
            )),
        }
        raw.into_bytes()
    }
}

fn store(dir: &Path) -> (Store, i64) {
    crate::store::tests::store_with_account(dir)
}

fn add(store: &Store, account: i64, mail: &Mail<'_>) -> i64 {
    let raw = mail.raw();
    let envelope = crate::mime::envelope(&raw);
    let uidl = uuid::Uuid::new_v4().to_string();
    let stored = store
        .insert_downloaded(&[NewMessage {
            account_id: account,
            uidl: &uidl,
            raw: &raw,
            envelope: &envelope,
            partial_of: None,
        }])
        .unwrap();
    stored[0].as_ref().unwrap().id
}

fn index_all(store: &Store) {
    while store.index_pending(100, 1 << 24).unwrap() > 0 {}
}

fn set(store: &Store, id: i64, assignment: &str) {
    store
        .write(|tx| {
            tx.execute(
                &format!("UPDATE messages SET {assignment} WHERE id = ?1"),
                [id],
            )?;
            Ok(())
        })
        .unwrap();
}

/// A small mailbox with one message per thing to tell apart; returns the store and the ids.
struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    ravi_to_asha: i64,
    asha_to_ravi: i64,
    mela: i64,
    mail_hindi: i64,
    report: i64,
    trashed: i64,
    deleted: i64,
    archived: i64,
    in_user_folder: i64,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (store, account) = store(dir.path());
    let ravi_to_asha = add(
        &store,
        account,
        &Mail {
            from: "Ravi Kumar <ravi@example.org>",
            to: "Asha <asha@example.org>",
            subject: "Invoice for March",
            body: "Please find the invoice attached. Payment due next week.",
            date: "2024-03-10 12:00",
            attachment: Some("invoice-march.pdf"),
        },
    );
    let asha_to_ravi = add(
        &store,
        account,
        &Mail {
            from: "Asha <asha@example.org>",
            to: "Ravi Kumar <ravi@example.org>",
            subject: "Re: Invoice for March",
            body: "Thanks, the payment went out today.",
            date: "2024-03-12 12:00",
            attachment: None,
        },
    );
    let mela = add(
        &store,
        account,
        &Mail {
            from: "Meena <meena@example.org>",
            to: "Asha <asha@example.org>",
            subject: "=?utf-8?b?4KSu4KWH4KSy4KS+IOCkquCksCDgpJrgpLLgpYfgpII=?=",
            body: "गाँव में कल मेला लगेगा। सब लोग आएँगे।",
            date: "2023-11-01 12:00",
            attachment: None,
        },
    );
    let mail_hindi = add(
        &store,
        account,
        &Mail {
            from: "Ravi Kumar <ravi@example.org>",
            to: "Meena <meena@example.org>",
            subject: "=?utf-8?b?4KSG4KSq4KSV4KS+IOCkruClh+CksiDgpIbgpK/gpL4=?=",
            body: "आपका मेल डाकघर पहुँच गया। धन्यवाद।",
            date: "2024-01-05 12:00",
            attachment: Some("रसीद.pdf"),
        },
    );
    let report = add(
        &store,
        account,
        &Mail {
            from: "Boss <boss@example.com>",
            to: "Team <team@example.com>",
            subject: "Quarterly numbers",
            body: "The annual report is due on Friday. Report sections are attached separately.",
            date: "2022-06-15 12:00",
            attachment: None,
        },
    );
    let trashed = add(
        &store,
        account,
        &Mail {
            from: "Spam <spam@example.net>",
            to: "Asha <asha@example.org>",
            subject: "Cheap invoice software",
            body: "Buy our invoice software.",
            date: "2024-02-01 12:00",
            attachment: None,
        },
    );
    let deleted = add(
        &store,
        account,
        &Mail {
            from: "Old <old@example.net>",
            to: "Asha <asha@example.org>",
            subject: "Old invoice",
            body: "An invoice deleted for good.",
            date: "2021-02-01 12:00",
            attachment: None,
        },
    );
    let archived = add(
        &store,
        account,
        &Mail {
            from: "Bank <bank@example.com>",
            to: "Asha <asha@example.org>",
            subject: "Statement",
            body: "Your statement and invoice summary for 2020.",
            date: "2020-12-31 12:00",
            attachment: None,
        },
    );
    let in_user_folder = add(
        &store,
        account,
        &Mail {
            from: "Yatra <trips@example.in>",
            to: "Asha <asha@example.org>",
            subject: "=?utf-8?b?4KSf4KS/4KSV4KSf?=",
            body: "आपकी रेल यात्रा का टिकट। invoice number 42.",
            date: "2023-08-20 12:00",
            attachment: None,
        },
    );
    set(&store, trashed, "folder = 'trash'");
    set(&store, deleted, "folder = 'trash', deleted_at = 1");
    set(&store, archived, "folder = 'archive', is_read = 1");
    set(
        &store,
        asha_to_ravi,
        "folder = 'sent', is_read = 1, starred = 1",
    );
    set(&store, report, "is_read = 1");
    let folder = store.create_folder("मेरी यात्राएँ").unwrap();
    set(
        &store,
        in_user_folder,
        &format!("folder = 'user:{}'", folder.id),
    );
    index_all(&store);
    Fixture {
        _dir: dir,
        store,
        ravi_to_asha,
        asha_to_ravi,
        mela,
        mail_hindi,
        report,
        trashed,
        deleted,
        archived,
        in_user_folder,
    }
}

impl Fixture {
    fn ids(&self, query: &str) -> Vec<i64> {
        self.store
            .search(query, 50)
            .unwrap_or_else(|error| panic!("{query:?}: {error}"))
            .into_iter()
            .map(|hit| hit.summary.id)
            .collect()
    }
}

#[test]
fn free_words_phrases_and_newest_first() {
    let f = fixture();
    assert_eq!(
        f.ids("invoice"),
        [f.asha_to_ravi, f.ravi_to_asha, f.in_user_folder, f.archived],
        "newest first; Trash and deleted mail are left out"
    );
    assert_eq!(f.ids("invoice payment "), [f.asha_to_ravi, f.ravi_to_asha]);
    assert_eq!(f.ids("\"annual report\""), [f.report]);
    assert_eq!(f.ids("\"report annual\""), Vec::<i64>::new());
    assert_eq!(f.ids("repo"), [f.report], "the last word is a prefix");
    assert_eq!(f.ids("repo "), Vec::<i64>::new(), "a space ends the word");
    assert_eq!(f.ids("invoice-march"), [f.ravi_to_asha], "attachment name");
}

#[test]
fn hindi_words_are_whole_and_prefixes_only_while_typing() {
    let f = fixture();
    assert_eq!(f.ids("मेल "), [f.mail_hindi], "मेल is not मेला");
    assert_eq!(f.ids("\"मेल\""), [f.mail_hindi]);
    assert_eq!(f.ids("मेला "), [f.mela]);
    let mut typing = f.ids("मे");
    typing.sort_unstable();
    assert_eq!(typing, [f.mela, f.mail_hindi], "मे starts both words");
    assert_eq!(f.ids("डाकघर पहुँ"), [f.mail_hindi]);
    assert_eq!(f.ids("\"डाकघर पहुँच\""), [f.mail_hindi]);
    assert_eq!(f.ids("रसीद"), [f.mail_hindi], "Hindi attachment name");
    assert_eq!(f.ids("डाकिया"), Vec::<i64>::new());
    assert_eq!(f.ids("subject:मेला"), [f.mela]);
}

#[test]
fn address_operators_tell_sender_from_recipients() {
    let f = fixture();
    assert_eq!(f.ids("from:ravi"), [f.ravi_to_asha, f.mail_hindi]);
    assert_eq!(f.ids("to:ravi"), [f.asha_to_ravi]);
    assert_eq!(
        f.ids("ravi "),
        [f.asha_to_ravi, f.ravi_to_asha, f.mail_hindi]
    );
    assert_eq!(f.ids("from:\"Ravi Kumar\" invoice"), [f.ravi_to_asha]);
    assert_eq!(
        f.ids("from:ravi@example.org"),
        [f.ravi_to_asha, f.mail_hindi]
    );
    assert_eq!(f.ids("to:meena"), [f.mail_hindi]);
    assert_eq!(f.ids("from:boss@exa"), [f.report], "prefix while typing");
    assert_eq!(f.ids("subject:invoice"), [f.asha_to_ravi, f.ravi_to_asha]);
    assert_eq!(f.ids("subject:payment"), Vec::<i64>::new());
}

#[test]
fn flags_dates_and_folders() {
    let f = fixture();
    assert_eq!(
        f.ids("is:unread"),
        [f.ravi_to_asha, f.mail_hindi, f.mela, f.in_user_folder]
    );
    assert_eq!(
        f.ids("is:read"),
        [f.asha_to_ravi, f.report, f.archived],
        "operators alone use plain SQL"
    );
    assert_eq!(f.ids("is:starred"), [f.asha_to_ravi]);
    assert_eq!(f.ids("has:attachment"), [f.ravi_to_asha, f.mail_hindi]);
    assert_eq!(f.ids("has:attachment invoice"), [f.ravi_to_asha]);
    assert_eq!(
        f.ids("is:unread invoice"),
        [f.ravi_to_asha, f.in_user_folder]
    );
    assert_eq!(f.ids("in:sent"), [f.asha_to_ravi]);
    assert_eq!(f.ids("in:inbox invoice"), [f.ravi_to_asha]);
    assert_eq!(f.ids("in:archive"), [f.archived]);
    assert_eq!(
        f.ids("in:trash"),
        [f.trashed],
        "deleted for good is never found"
    );
    assert_eq!(f.ids("in:trash invoice"), [f.trashed]);
    assert_eq!(f.ids("in:\"मेरी यात्राएँ\""), [f.in_user_folder]);
    assert_eq!(f.ids("in:\"मेरी यात्राएँ\" invoice"), [f.in_user_folder]);
    assert_eq!(f.ids("in:nowhere invoice"), Vec::<i64>::new());
    // Dates are noon UTC: the same calendar day in any zone within ±11 hours.
    assert_eq!(
        f.ids("invoice before:2024-03-10"),
        [f.in_user_folder, f.archived]
    );
    assert_eq!(
        f.ids("invoice before:2024-03-11"),
        [f.ravi_to_asha, f.in_user_folder, f.archived]
    );
    assert_eq!(f.ids("invoice after:2024-03-12"), [f.asha_to_ravi]);
    assert_eq!(
        f.ids("after:2023-01-01 before:2024-01-06"),
        [f.mail_hindi, f.mela, f.in_user_folder]
    );
    assert_eq!(f.ids("after:2024-03-13"), Vec::<i64>::new());
    assert_eq!(
        f.ids("is:unread has:attachment after:2024-01-01 in:inbox"),
        [f.ravi_to_asha, f.mail_hindi]
    );
    assert!(!f.ids("is:read").contains(&f.deleted));
}

#[test]
fn snippets_and_subjects_mark_the_matched_words() {
    let f = fixture();
    let hits = f.store.search("invoice pay", 50).unwrap();
    let first = hits
        .iter()
        .find(|h| h.summary.id == f.ravi_to_asha)
        .unwrap();
    assert_eq!(first.subject, "\u{E000}Invoice\u{E001} for March");
    assert_eq!(
        first.snippet,
        "Please find the \u{E000}invoice\u{E001} attached. \u{E000}Payment\u{E001} due next week."
    );
    let hindi = f.store.search("मेल ", 5).unwrap();
    assert_eq!(hindi[0].subject, "आपका \u{E000}मेल\u{E001} आया");
    assert_eq!(
        hindi[0].snippet,
        "आपका \u{E000}मेल\u{E001} डाकघर पहुँच गया। धन्यवाद।"
    );
    let attachment = f.store.search("रसीद", 5).unwrap();
    assert_eq!(attachment[0].snippet, "\u{E000}रसीद\u{E001}.pdf");
    let unmarked = f.store.search("is:starred", 5).unwrap();
    assert_eq!(unmarked[0].snippet, "Thanks, the payment went out today.");
    assert_eq!(unmarked[0].subject, "Re: Invoice for March");
}

/// A snippet is cut from a window around the first searched word, however long the letter.
#[test]
fn long_bodies_give_a_window_around_the_first_match() {
    let dir = tempfile::tempdir().unwrap();
    let (store, account) = store(dir.path());
    let filler = "ordinary words in a long letter ".repeat(2000);
    let body = format!("{filler}the camelcase zeppelin landed here {filler} zeppelin again");
    add(
        &store,
        account,
        &Mail {
            from: "x@example.org",
            to: "y@example.org",
            subject: "long",
            body: &body,
            date: "2024-01-01 12:00",
            attachment: None,
        },
    );
    index_all(&store);
    let hits = store.search("zeppelin camel", 5).unwrap();
    assert_eq!(hits.len(), 1);
    let snippet = &hits[0].snippet;
    assert!(snippet.starts_with('…'), "{snippet}");
    assert!(snippet.ends_with('…'), "{snippet}");
    assert!(
        snippet.contains("the \u{E000}camelcase\u{E001} \u{E000}zeppelin\u{E001} landed"),
        "{snippet}"
    );
    assert!(store.search("zeppelin camel ", 5).unwrap().is_empty());
    assert_eq!(
        Window::of("a camel and a camelcase", &[("camel".into(), false)]).start,
        0
    );
}

/// A snippet first parses the start of a message; a word further on, or only in the name of an
/// attachment that comes after a long text, is still shown marked.
#[test]
fn snippets_read_further_when_the_word_is_not_near_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let (store, account) = store(dir.path());
    let filler = "ordinary words in a long letter ".repeat(4000);
    let late = format!("{filler}the zeppelin landed {filler}");
    add(
        &store,
        account,
        &Mail {
            from: "x@example.org",
            to: "y@example.org",
            subject: "late",
            body: &late,
            date: "2024-01-01 12:00",
            attachment: None,
        },
    );
    add(
        &store,
        account,
        &Mail {
            from: "x@example.org",
            to: "y@example.org",
            subject: "named",
            body: &filler,
            date: "2024-01-02 12:00",
            attachment: Some("airship-plans.pdf"),
        },
    );
    index_all(&store);
    let hits = store.search("zeppelin", 5).unwrap();
    assert_eq!(hits.len(), 1);
    assert!(
        hits[0]
            .snippet
            .contains("the \u{E000}zeppelin\u{E001} landed"),
        "{}",
        hits[0].snippet
    );
    let hits = store.search("airship", 5).unwrap();
    assert_eq!(hits.len(), 1);
    assert!(
        hits[0].snippet.contains("\u{E000}airship\u{E001}"),
        "{}",
        hits[0].snippet
    );
}

#[test]
fn mail_text_cannot_forge_marks() {
    let dir = tempfile::tempdir().unwrap();
    let (store, account) = store(dir.path());
    add(
        &store,
        account,
        &Mail {
            from: "x@example.org",
            to: "y@example.org",
            subject: "\u{E000}fake\u{E001} mark",
            body: "a \u{E000}fake\u{E001} mark and a real word",
            date: "2024-01-01 12:00",
            attachment: None,
        },
    );
    index_all(&store);
    let hits = store.search("real", 5).unwrap();
    assert_eq!(hits[0].subject, "\u{FFFD}fake\u{FFFD} mark");
    assert_eq!(
        hits[0].snippet,
        "a \u{FFFD}fake\u{FFFD} mark and a \u{E000}real\u{E001} word"
    );
}

/// Nothing typed is FTS5 syntax or SQL: never an error, whatever it is.
#[test]
fn hostile_input_never_errors() {
    let f = fixture();
    for query in [
        "AND",
        "OR",
        "NOT",
        "NEAR(",
        "NEAR(a b, 2)",
        "a AND",
        "AND b",
        "*",
        "**",
        "a*",
        "*a",
        "\"",
        "\"\"",
        "\"\"\"",
        "\"a",
        "a\"",
        ":",
        "::",
        "a:b",
        "subject:",
        "from:\"",
        "-",
        "--",
        "-a",
        "a -b",
        "(",
        ")",
        "()",
        "(a OR b)",
        "{",
        "}",
        "{subject}: x",
        "subject : x",
        "^a",
        "a^",
        "+",
        "a + b",
        "'",
        "';DROP TABLE messages;--",
        "%",
        "_",
        "\\",
        "\u{0}",
        "\u{200d}",
        "\u{E000}",
        "in:'x'",
        "in:\"",
        "in:\"\"",
        "is:",
        "has:",
        "before:",
        "after:9999-12-31",
        "before:0001-01-01",
        "after:2024-02-29",
        "मे*",
        "\"मेल",
        "मेल\"",
        "NEAR(मेल",
        "rowid",
        "message_search",
        "rank:",
        "x:y:z",
        "नमस्ते:",
        ":नमस्ते",
        "ॐ",
        "्",
        "़",
    ] {
        if let Err(error) = f.store.search(query, 50) {
            panic!("{query:?}: {error}");
        }
    }
    let long = "invoice ".repeat(500);
    f.store.search(&long, 50).unwrap();
    assert_eq!(
        f.ids("NEAR(invoice"),
        Vec::<i64>::new(),
        "NEAR is a word here"
    );
    assert_eq!(
        f.ids("invoice AND"),
        [f.archived],
        "AND is a word (\"and\") here"
    );
    assert_eq!(f.ids("invoice OR "), Vec::<i64>::new(), "OR is a word here");
}

#[test]
fn a_superseded_search_stops_early() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = store(dir.path());
    let store = std::sync::Arc::new(store);
    // Before it starts: a newer ticket was taken in the meantime.
    let older = store.begin_search();
    let _newer = store.begin_search();
    let error = store.search_with(older, "x", 10).unwrap_err();
    assert_eq!(error.reason(), Some(&ErrorReason::Superseded));

    // While it runs: a statement that would take minutes stops within milliseconds.
    let ticket = store.begin_search();
    let running = {
        let store = std::sync::Arc::clone(&store);
        std::thread::spawn(move || {
            let started = Instant::now();
            let result = store.read(|connection| {
                store.interruptible(connection, ticket, |connection, _| {
                    Ok(connection.query_row(
                        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
                             WHERE i < 10000000000) SELECT count(*) FROM n",
                        [],
                        |row| row.get::<_, i64>(0),
                    )?)
                })
            });
            (result, started.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    let newest = store.begin_search();
    let (result, took) = running.join().unwrap();
    assert_eq!(result.unwrap_err().reason(), Some(&ErrorReason::Superseded));
    assert!(took < Duration::from_secs(2), "{took:?}");
    // The connection is usable, uninterrupted, for the newest search and other reads.
    assert!(store.search_with(newest, "x", 10).unwrap().is_empty());
    store
        .read(|connection| {
            Ok(connection.query_row(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
                     WHERE i < 100000) SELECT count(*) FROM n",
                [],
                |row| row.get::<_, i64>(0),
            )?)
        })
        .unwrap();
}

/// A store indexed under version 6 (one `addresses` column) is re-indexed after the upgrade,
/// and then `from:` tells senders from recipients.
#[test]
fn a_version_6_index_is_rebuilt() {
    use crate::store::migrations::migrations_up_to;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.sqlite3");
    {
        let mut connection = rusqlite::Connection::open(&path).unwrap();
        migrations_up_to(6).to_latest(&mut connection).unwrap();
        connection
            .execute_batch(
                "INSERT INTO accounts (id, settings_json, created_at) VALUES (1, '{}', 0);
                 INSERT INTO messages (id, account_id, received_at, sort_date, from_name,
                     from_address, subject, size, search_key)
                     VALUES (7, 1, 0, 100, 'Ravi', 'ravi@example.org', 'पुराना', 3, 419430407);
                 INSERT INTO message_search (rowid, subject, addresses, body, attachment_names)
                     VALUES (419430407, 'पुराना', 'Ravi ravi@example.org Asha asha@example.org',
                             'old body', '');",
            )
            .unwrap();
        connection
            .execute(
                "INSERT INTO message_raw (message_id, raw) VALUES (7, ?1)",
                [
                    "From: Ravi <ravi@example.org>\r\nTo: Asha <asha@example.org>\r\n\
                     Subject: =?utf-8?b?4KSq4KWB4KSw4KS+4KSo4KS+?=\r\n\r\nडाकघर की चिट्ठी\r\n"
                        .as_bytes(),
                ],
            )
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert!(
        !store.fully_indexed().unwrap(),
        "everything waits for the indexer"
    );
    assert!(store.search("पुराना", 10).unwrap().is_empty());
    index_all(&store);
    assert!(store.fully_indexed().unwrap());
    let ids = |query: &str| -> Vec<i64> {
        store
            .search(query, 10)
            .unwrap()
            .into_iter()
            .map(|hit| hit.summary.id)
            .collect()
    };
    assert_eq!(ids("from:ravi"), [7]);
    assert_eq!(ids("from:asha"), Vec::<i64>::new());
    assert_eq!(ids("to:asha"), [7]);
    assert_eq!(ids("चिट्ठी"), [7]);
    assert_eq!(ids("पुरा"), [7]);
}

/// A store indexed before V8 gets the filter index over its indexed mail, and a word joined
/// to a filter (which reads through that index) still finds it.
#[test]
fn a_version_7_store_searches_with_filters() {
    let dir = tempfile::tempdir().unwrap();
    let (store, account) = store(dir.path());
    let starred = add(
        &store,
        account,
        &Mail {
            from: "ravi@example.org",
            to: "asha@example.org",
            subject: "meeting notes",
            body: "see you at the meeting",
            date: "2024-01-01 12:00",
            attachment: None,
        },
    );
    add(
        &store,
        account,
        &Mail {
            from: "ravi@example.org",
            to: "asha@example.org",
            subject: "another meeting",
            body: "and another meeting",
            date: "2024-01-02 12:00",
            attachment: None,
        },
    );
    index_all(&store);
    set(&store, starred, "starred = 1");
    // Back to what V7 left: the same tables without V8's indexes.
    store
        .write(|tx| {
            tx.execute_batch(
                "DROP INDEX messages_search_filters; DROP INDEX messages_counts;
                 PRAGMA user_version = 7;",
            )?;
            Ok(())
        })
        .unwrap();
    drop(store);
    let store = Store::open(&dir.path().join("mail.sqlite3")).unwrap();
    let ids: Vec<i64> = store
        .search("is:starred meeting", 10)
        .unwrap()
        .into_iter()
        .map(|hit| hit.summary.id)
        .collect();
    assert_eq!(ids, [starred]);
}

#[test]
fn folder_keys_match_the_store() {
    assert_eq!(Folder::Archive.key(), "archive");
    assert_eq!(Folder::User(3).key(), "user:3");
}

/// A prefix is written out as the indexed words it starts — exactly as the tokenizer made them
/// — or, when it starts too many, left to FTS5's own prefix query; both find the same mail.
#[test]
fn prefixes_find_the_same_mail_written_out_or_not() {
    let dir = tempfile::tempdir().unwrap();
    let (store, account) = store(dir.path());
    let many: Vec<String> = (0..300).map(|n| format!("w{n:03}")).collect();
    let body = format!("पत्र ज़रूरी Café {}", many.join(" "));
    let id = add(
        &store,
        account,
        &Mail {
            from: "x@example.org",
            to: "y@example.org",
            subject: "words",
            body: &body,
            date: "2024-01-01 12:00",
            attachment: None,
        },
    );
    index_all(&store);
    let terms: Vec<String> = store
        .read(|connection| {
            Ok(connection
                .prepare("SELECT term FROM search_terms WHERE term NOT GLOB 'w[0-9]*'")?
                .query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?)
        })
        .unwrap();
    for word in ["पत्र", "ज़रूरी", "cafe", "words", "x", "example", "org", "y"]
    {
        assert!(terms.contains(&word.to_owned()), "{word} in {terms:?}");
    }
    for typed in [
        "w",
        "w1",
        "w29",
        "पत्",
        "ज़",
        "caf",
        "CAF",
        "wor",
        "from:x@exa",
    ] {
        let found: Vec<i64> = store
            .search(typed, 5)
            .unwrap()
            .into_iter()
            .map(|hit| hit.summary.id)
            .collect();
        assert_eq!(found, [id], "{typed}");
    }
}
