//! Forward-only schema migrations. Never edit a migration that has shipped: add a new one.
//! Each shipped schema is frozen under `tests/` of this module so upgrades are tested.

use rusqlite_migration::{Migrations, M};

/// Version 1: accounts, the slim message list, raw bytes apart from it (so listing never reads
/// wide rows, DESIGN.md §3.6), and POP3 sync state per (account, UIDL).
const V1: &str = "
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    settings_json TEXT NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE messages (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    received_at   INTEGER NOT NULL,
    sort_date     INTEGER NOT NULL,
    header_date   INTEGER,
    from_name     TEXT NOT NULL,
    from_address  TEXT NOT NULL,
    subject       TEXT NOT NULL,
    message_id    TEXT,
    size          INTEGER NOT NULL,
    is_read       INTEGER NOT NULL DEFAULT 0,
    parse_failed  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX messages_newest ON messages(sort_date DESC, id DESC);
CREATE INDEX messages_account_newest ON messages(account_id, sort_date DESC, id DESC);

CREATE TABLE message_raw (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    raw        BLOB NOT NULL
) STRICT;

CREATE TABLE pop3_uidls (
    account_id        INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    uidl              TEXT NOT NULL,
    message_id        INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    stored_at         INTEGER NOT NULL,
    deleted_on_server INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, uidl)
) STRICT, WITHOUT ROWID;
";

/// Version 2: messages that arrived partly (headers only, or too big: the server's size is
/// kept to show what is missing), and messages the user deleted here — hidden from the
/// inbox, raw bytes kept, and for "delete from server when I delete it here" the next fetch's
/// cue to DELE them.
const V2: &str = "
ALTER TABLE messages ADD COLUMN partial INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN server_size INTEGER;
ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
";

/// Version 3: search (DESIGN.md §3.6). FTS5 indexes each message's subject, addresses, text and
/// attachment names under a search key that follows date order, so "the newest 50 matches" can
/// stop after 50 hits. The index is contentless: the text is derived again from the raw bytes
/// when it is needed, so the store does not keep a second copy of every body (which also made
/// each commit write twice the bytes). `contentless_delete` lets a message leave the index.
/// The tokenizer keeps Devanagari vowel signs (category M) inside words; the default would
/// split मेल into pieces and match thousands of wrong messages. A NULL key means "not indexed
/// yet": the engine indexes in the background, after the fetch that stored the message.
const V3: &str = "
ALTER TABLE messages ADD COLUMN search_key INTEGER;
CREATE UNIQUE INDEX messages_search_key ON messages(search_key);
CREATE INDEX messages_unindexed ON messages(id) WHERE search_key IS NULL;

CREATE VIRTUAL TABLE message_search USING fts5(
    subject, addresses, body, attachment_names,
    content = '', contentless_delete = 1,
    tokenize = \"unicode61 categories 'L* N* Co M*'\"
);

CREATE TRIGGER message_leaves_search AFTER DELETE ON messages
WHEN old.search_key IS NOT NULL BEGIN
    DELETE FROM message_search WHERE rowid = old.search_key;
END;
";

/// Version 4: sending. A message is written to the outbox — its exact bytes and its envelope —
/// before the network starts, and leaves it only in the transaction that files those bytes
/// under Sent, so a crash or an outage never drops it (at worst it is sent twice, with the same
/// Message-ID). `folder` separates received mail from sent copies until issue 6's folders;
/// `recipients` is what the Sent list shows instead of the sender (always the user).
const V4: &str = "
ALTER TABLE messages ADD COLUMN folder TEXT NOT NULL DEFAULT 'inbox';
ALTER TABLE messages ADD COLUMN recipients TEXT NOT NULL DEFAULT '';
CREATE INDEX messages_folder_newest ON messages(folder, sort_date DESC, id DESC);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL,
    raw             BLOB NOT NULL,
    envelope_from   TEXT NOT NULL,
    envelope_to     TEXT NOT NULL,
    bcc             TEXT NOT NULL,
    subject         TEXT NOT NULL,
    to_display      TEXT NOT NULL,
    queued_at       INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    held            INTEGER NOT NULL DEFAULT 0,
    draft           TEXT
) STRICT;
CREATE INDEX outbox_due ON outbox(held, next_attempt_at);
";

/// Version 5: the composer. Drafts are kept as what the user wrote (JSON of the composer's
/// fields), saved every few seconds, so a crash or a closed window loses at most those seconds.
/// Draft ids are never reused (AUTOINCREMENT): a late autosave of a draft that was just sent
/// must not overwrite a newer draft that got its id.
/// `addresses` is what address completion offers: everyone mail came from (kept current by a
/// trigger, so the fetch path needs no extra code) and everyone the user wrote to, with counts
/// that rank the people one writes to above those who only write.
const V5: &str = "
CREATE TABLE drafts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    draft      TEXT NOT NULL,
    subject    TEXT NOT NULL,
    to_display TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE addresses (
    address        TEXT PRIMARY KEY COLLATE NOCASE,
    name           TEXT NOT NULL,
    last_seen      INTEGER NOT NULL,
    times_written  INTEGER NOT NULL DEFAULT 0,
    times_received INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

INSERT INTO addresses (address, name, last_seen, times_received)
    SELECT from_address, max(from_name), max(sort_date), count(*) FROM messages
    WHERE folder = 'inbox' AND from_address LIKE '_%@_%'
    GROUP BY from_address COLLATE NOCASE;

CREATE TRIGGER message_sender_is_an_address AFTER INSERT ON messages
WHEN new.folder = 'inbox' AND new.from_address LIKE '_%@_%' BEGIN
    INSERT INTO addresses (address, name, last_seen, times_received)
        VALUES (new.from_address, new.from_name, new.sort_date, 1)
    ON CONFLICT (address) DO UPDATE SET
        times_received = times_received + 1,
        last_seen = max(last_seen, excluded.last_seen),
        name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE name END;
END;
";

/// Version 6: organising (issue 6). Folders beside Inbox and Sent: Trash (a deleted message
/// remembers where it came from), Archive and the user's own (`folder` = "user:<id>"); the
/// starred flag; whether a message has attachments (set by the background indexer, which parses
/// the whole message anyway). Threads: `thread_id` joins a conversation (the id of one of its
/// messages), `thread_subject` is the subject without Re:/Fwd: for the fallback when a reply
/// lacks In-Reply-To and References, and `message_references` keeps the Message-IDs each
/// message names as its ancestors, so a parent that arrives after its reply still finds it.
/// Threads are computed in the background too (NULL: not yet), which also threads the mail
/// stored before this version. `remote_content_senders`: whose HTML mail may load remote
/// images ("always for this sender").
const V6: &str = "
CREATE TABLE folders (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX folders_by_name ON folders(lower(name));

ALTER TABLE messages ADD COLUMN trashed_from TEXT;
ALTER TABLE messages ADD COLUMN starred INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN has_attachment INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN thread_id INTEGER;
ALTER TABLE messages ADD COLUMN thread_subject TEXT;
CREATE INDEX messages_by_message_id ON messages(message_id) WHERE message_id IS NOT NULL;
CREATE INDEX messages_by_thread ON messages(thread_id, sort_date);
CREATE INDEX messages_unthreaded ON messages(id) WHERE thread_id IS NULL;
CREATE INDEX messages_by_thread_subject ON messages(account_id, thread_subject, sort_date)
    WHERE thread_subject IS NOT NULL;

CREATE TABLE message_references (
    message   INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    reference TEXT NOT NULL
) STRICT;
CREATE INDEX message_references_by_reference ON message_references(reference);
CREATE INDEX message_references_by_message ON message_references(message);

CREATE TABLE remote_content_senders (
    address TEXT PRIMARY KEY COLLATE NOCASE
) STRICT, WITHOUT ROWID;
";

/// Version 7: the search language (issue 6). `from:` must not find mail merely sent *to* that
/// person, so the one `addresses` column becomes three: `sender` (From), `recipients` (To, Cc)
/// and `addresses` (the rest: Reply-To, Bcc). A contentless index cannot be altered or
/// re-derived in SQL, so it is made again empty and every message is marked "not indexed"
/// (search_key NULL): the background indexer redoes them all from the raw bytes, newest ids
/// last, while the app stays usable. Partial indexes let `is:unread`, `is:starred` and
/// `has:attachment` alone read the newest matching messages directly instead of walking all.
/// `search_terms` lists every word the index holds, so a prefix being typed can be searched as
/// the words it starts (see store/search.rs); words of deleted mail stay, harmlessly.
const V7: &str = "
CREATE TABLE search_terms (term TEXT PRIMARY KEY) STRICT, WITHOUT ROWID;

DROP TRIGGER message_leaves_search;
DROP TABLE message_search;
UPDATE messages SET search_key = NULL;

CREATE VIRTUAL TABLE message_search USING fts5(
    subject, sender, recipients, addresses, body, attachment_names,
    content = '', contentless_delete = 1,
    tokenize = \"unicode61 categories 'L* N* Co M*'\"
);

CREATE TRIGGER message_leaves_search AFTER DELETE ON messages
WHEN old.search_key IS NOT NULL BEGIN
    DELETE FROM message_search WHERE rowid = old.search_key;
END;

CREATE INDEX messages_unread_newest ON messages(sort_date DESC, id DESC) WHERE is_read = 0;
CREATE INDEX messages_starred_newest ON messages(sort_date DESC, id DESC) WHERE starred = 1;
CREATE INDEX messages_attachment_newest ON messages(sort_date DESC, id DESC)
    WHERE has_attachment = 1;
";

/// Version 8: speed at 100,000 messages.
/// - A word joined to a rare filter (`is:starred meeting`) makes SQLite check thousands of FTS5
///   hits against `messages`, newest first, to find 50 that pass. Looked up through
///   `messages_search_key`, each check read the whole row from the table; `messages_search_filters`
///   holds every column the filters test, so a check reads only the index and the table is read
///   for the 50 rows shown (3 ms → 1 ms for such a query). Partial, so storing a message (not
///   indexed yet) does not write it.
/// - The sidebar's counts (asked after every read, move and delete) scanned the whole table:
///   230 ms. `messages_counts` holds what they count: 8 ms.
const V8: &str = "
CREATE INDEX messages_search_filters
    ON messages(search_key, folder, deleted_at, is_read, starred, has_attachment)
    WHERE search_key IS NOT NULL;
CREATE INDEX messages_counts ON messages(folder, account_id, is_read) WHERE deleted_at IS NULL;
";

pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(V1),
        M::up(V2),
        M::up(V3),
        M::up(V4),
        M::up(V5),
        M::up(V6),
        M::up(V7),
        M::up(V8),
    ])
}

/// The schema as a given earlier version left it, for upgrade tests.
#[cfg(test)]
pub(super) fn migrations_up_to(version: usize) -> Migrations<'static> {
    Migrations::new(
        [V1, V2, V3, V4, V5, V6, V7, V8]
            .into_iter()
            .take(version)
            .map(M::up)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        assert!(migrations().validate().is_ok());
    }

    /// A store made by the first release opens with its mail intact and the new columns at
    /// their defaults.
    #[test]
    fn a_version_1_store_upgrades_with_its_mail() {
        let mut connection = rusqlite::Connection::open_in_memory().unwrap();
        Migrations::new(vec![M::up(V1)])
            .to_latest(&mut connection)
            .unwrap();
        connection
            .execute_batch(
                "INSERT INTO accounts (id, settings_json, created_at) VALUES (1, '{}', 0);
                 INSERT INTO messages (id, account_id, received_at, sort_date, from_name,
                     from_address, subject, size) VALUES (7, 1, 0, 0, '', '', 'old', 3);
                 INSERT INTO message_raw (message_id, raw) VALUES (7, x'616263');",
            )
            .unwrap();
        migrations().to_latest(&mut connection).unwrap();
        let (subject, partial, deleted): (String, bool, Option<i64>) = connection
            .query_row(
                "SELECT subject, partial, deleted_at FROM messages WHERE id = 7",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .unwrap();
        assert_eq!((subject.as_str(), partial, deleted), ("old", false, None));
    }

    /// Address completion knows the senders of mail stored before it existed.
    #[test]
    fn a_version_4_store_learns_its_senders_as_addresses() {
        let mut connection = rusqlite::Connection::open_in_memory().unwrap();
        migrations_up_to(4).to_latest(&mut connection).unwrap();
        connection
            .execute_batch(
                "INSERT INTO accounts (id, settings_json, created_at) VALUES (1, '{}', 0);
                 INSERT INTO messages (id, account_id, received_at, sort_date, from_name,
                     from_address, subject, size) VALUES
                     (1, 1, 0, 5, 'Ravi', 'ravi@example.org', 'a', 1),
                     (2, 1, 0, 9, '', 'RAVI@example.org', 'b', 1),
                     (3, 1, 0, 1, '', '', 'no sender', 1);",
            )
            .unwrap();
        migrations().to_latest(&mut connection).unwrap();
        let learned: Vec<(String, String, i64, i64)> = connection
            .prepare("SELECT address, name, last_seen, times_received FROM addresses")
            .unwrap()
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(learned.len(), 1, "{learned:?}");
        assert!(learned[0].0.eq_ignore_ascii_case("ravi@example.org"));
        assert_eq!(
            (learned[0].1.as_str(), learned[0].2, learned[0].3),
            ("Ravi", 9, 2)
        );
    }

    /// Mail stored before threads existed waits for the background threader (thread_id NULL)
    /// and keeps its folder; nothing is starred or counted as having attachments yet.
    #[test]
    fn a_version_5_store_upgrades_unthreaded() {
        let mut connection = rusqlite::Connection::open_in_memory().unwrap();
        migrations_up_to(5).to_latest(&mut connection).unwrap();
        connection
            .execute_batch(
                "INSERT INTO accounts (id, settings_json, created_at) VALUES (1, '{}', 0);
                 INSERT INTO messages (id, account_id, received_at, sort_date, from_name,
                     from_address, subject, size, folder) VALUES
                     (1, 1, 0, 5, '', 'a@example.org', 'a', 1, 'sent');",
            )
            .unwrap();
        migrations().to_latest(&mut connection).unwrap();
        let row: (String, Option<i64>, bool, bool) = connection
            .query_row(
                "SELECT folder, thread_id, starred, has_attachment FROM messages WHERE id = 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .unwrap();
        assert_eq!(row, ("sent".to_owned(), None, false, false));
    }
}
