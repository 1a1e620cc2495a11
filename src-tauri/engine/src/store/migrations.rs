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

pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![M::up(V1)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        assert!(migrations().validate().is_ok());
    }
}
