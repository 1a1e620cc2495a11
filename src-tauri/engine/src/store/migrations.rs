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

pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![M::up(V1), M::up(V2)])
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
}
