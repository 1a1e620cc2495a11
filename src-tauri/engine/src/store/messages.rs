//! Messages: the slim list row, the raw bytes beside it, and the POP3 UIDL that brought it —
//! all written in one transaction, so a message is either wholly stored or not at all.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::{now_unix, Store};
use crate::error::{Error, Result};
use crate::mime::Envelope;

/// One line of the message list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct MessageSummary {
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub id: i64,
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub account_id: i64,
    pub from_name: String,
    pub from_address: String,
    pub subject: String,
    /// The Date header as Unix seconds; `None` when missing or unreadable.
    #[cfg_attr(feature = "bindings", ts(type = "number | null"))]
    pub date: Option<i64>,
    pub is_read: bool,
    /// The message could not be parsed; it is listed from its raw bytes only.
    pub parse_failed: bool,
    /// Only the headers (and perhaps the first lines) were downloaded; `server_size` octets
    /// wait on the server.
    pub partial: bool,
    #[cfg_attr(feature = "bindings", ts(type = "number | null"))]
    pub server_size: Option<i64>,
    /// For sent mail: the To and Cc addresses (the Sent list shows them instead of the sender).
    pub recipients: String,
    pub starred: bool,
    pub has_attachment: bool,
}

/// Where a message is filed: the fixed folders or one of the user's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Folder {
    #[default]
    Inbox,
    Sent,
    Trash,
    Archive,
    User(#[cfg_attr(feature = "bindings", ts(type = "number"))] i64),
}

impl Folder {
    /// How the store spells it in `messages.folder`.
    pub fn key(self) -> String {
        match self {
            Folder::Inbox => "inbox".to_owned(),
            Folder::Sent => "sent".to_owned(),
            Folder::Trash => "trash".to_owned(),
            Folder::Archive => "archive".to_owned(),
            Folder::User(id) => format!("user:{id}"),
        }
    }

    pub fn from_key(key: &str) -> Option<Folder> {
        Some(match key {
            "inbox" => Folder::Inbox,
            "sent" => Folder::Sent,
            "trash" => Folder::Trash,
            "archive" => Folder::Archive,
            other => Folder::User(other.strip_prefix("user:")?.parse().ok()?),
        })
    }
}

/// A message downloaded over POP3, about to be stored.
pub struct NewMessage<'a> {
    pub account_id: i64,
    pub uidl: &'a str,
    pub raw: &'a [u8],
    pub envelope: &'a Envelope,
    /// `Some(size of the whole message)` when `raw` is only its start (TOP).
    pub partial_of: Option<u64>,
}

/// What the store knows about a UIDL seen on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UidlState {
    pub deleted_on_server: bool,
    /// When the message was committed locally (Unix seconds): its age for "keep N days".
    pub stored_at: i64,
    /// Only its start is stored: no policy but the user's own delete removes it from the server.
    pub partial: bool,
    /// The user deleted it here (or its row is gone).
    pub deleted_here: bool,
}

pub(super) const SUMMARY_COLUMNS: &str = "id, account_id, from_name, from_address, subject, \
     header_date, is_read, parse_failed, partial, server_size, recipients, starred, has_attachment";

/// The same columns of `messages AS m`, for queries that join other tables.
pub(super) const SUMMARY_COLUMNS_OF_M: &str = "m.id, m.account_id, m.from_name, m.from_address, \
     m.subject, m.header_date, m.is_read, m.parse_failed, m.partial, m.server_size, m.recipients, \
     m.starred, m.has_attachment";

pub(super) fn summary(row: &Row<'_>) -> rusqlite::Result<MessageSummary> {
    Ok(MessageSummary {
        id: row.get(0)?,
        account_id: row.get(1)?,
        from_name: row.get(2)?,
        from_address: row.get(3)?,
        subject: row.get(4)?,
        date: row.get(5)?,
        is_read: row.get(6)?,
        parse_failed: row.get(7)?,
        partial: row.get(8)?,
        server_size: row.get(9)?,
        recipients: row.get(10)?,
        starred: row.get(11)?,
        has_attachment: row.get(12)?,
    })
}

impl Store {
    /// Stores each message's raw bytes, list row and UIDL, all in one committed transaction:
    /// when this returns, every one of them is durable (and may be deleted from the server).
    /// A UIDL already stored (a resumed fetch) stores nothing and yields `None` in its place.
    pub fn insert_downloaded(
        &self,
        messages: &[NewMessage<'_>],
    ) -> Result<Vec<Option<MessageSummary>>> {
        let received_at = now_unix();
        self.write(|tx| {
            messages
                .iter()
                .map(|message| insert_one(tx, message, received_at))
                .collect()
        })
    }

    /// Every UIDL of this account that is safely stored.
    pub fn stored_uidls(&self, account_id: i64) -> Result<HashMap<String, UidlState>> {
        self.read(|connection| {
            let mut statement = connection.prepare(
                "SELECT u.uidl, u.deleted_on_server, u.stored_at, coalesce(m.partial, 0),
                        m.id IS NULL OR m.deleted_at IS NOT NULL OR m.folder = 'trash'
                 FROM pop3_uidls u LEFT JOIN messages m ON m.id = u.message_id
                 WHERE u.account_id = ?1",
            )?;
            let rows = statement.query_map([account_id], |row| {
                let state = UidlState {
                    deleted_on_server: row.get(1)?,
                    stored_at: row.get(2)?,
                    partial: row.get(3)?,
                    deleted_here: row.get(4)?,
                };
                Ok((row.get::<_, String>(0)?, state))
            })?;
            Ok(rows.collect::<rusqlite::Result<HashMap<_, _>>>()?)
        })
    }

    /// Records that the server confirmed (by a successful QUIT) the deletion of these UIDLs.
    pub fn mark_deleted_on_server(&self, account_id: i64, uidls: &[String]) -> Result<()> {
        self.write(|tx| {
            let mut statement = tx.prepare(
                "UPDATE pop3_uidls SET deleted_on_server = 1 WHERE account_id = ?1 AND uidl = ?2",
            )?;
            for uidl in uidls {
                statement.execute(params![account_id, uidl])?;
            }
            Ok(())
        })
    }

    /// Newest first; `account_id = None` lists every account.
    pub fn list_messages(
        &self,
        folder: Folder,
        account_id: Option<i64>,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<MessageSummary>> {
        self.read(|connection| {
            let sql = match account_id {
                Some(_) => format!(
                    "SELECT {SUMMARY_COLUMNS} FROM messages
                     WHERE folder = ?4 AND account_id = ?1 AND deleted_at IS NULL
                     ORDER BY sort_date DESC, id DESC LIMIT ?2 OFFSET ?3"
                ),
                None => format!(
                    "SELECT {SUMMARY_COLUMNS} FROM messages
                     WHERE folder = ?4 AND ?1 IS NULL AND deleted_at IS NULL
                     ORDER BY sort_date DESC, id DESC LIMIT ?2 OFFSET ?3"
                ),
            };
            let mut statement = connection.prepare_cached(&sql)?;
            let rows =
                statement.query_map(params![account_id, limit, offset, folder.key()], summary)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    pub fn message_summary(&self, id: i64) -> Result<MessageSummary> {
        self.read(|connection| {
            connection
                .query_row(
                    &format!("SELECT {SUMMARY_COLUMNS} FROM messages WHERE id = ?1"),
                    [id],
                    summary,
                )
                .optional()?
                .ok_or_else(|| Error::not_found(format!("message {id}")))
        })
    }

    /// The bytes exactly as the server sent them (after dot-unstuffing).
    pub fn raw_message(&self, id: i64) -> Result<Vec<u8>> {
        self.read(|connection| {
            connection
                .query_row(
                    "SELECT raw FROM message_raw WHERE message_id = ?1",
                    [id],
                    |row| row.get(0),
                )
                .optional()?
                .ok_or_else(|| Error::not_found(format!("message {id}")))
        })
    }

    /// The account and UIDL a stored message came with, to find it on the server again.
    pub fn message_origin(&self, id: i64) -> Result<(i64, String)> {
        self.read(|connection| {
            connection
                .query_row(
                    "SELECT account_id, uidl FROM pop3_uidls WHERE message_id = ?1",
                    [id],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?
                .ok_or_else(|| Error::not_found(format!("message {id} on the server")))
        })
    }

    /// Replaces a partly downloaded message by the whole one, in one transaction: its raw
    /// bytes and the list row parsed from them. The id, read state and UIDL stay.
    pub fn complete_partial(&self, id: i64, raw: &[u8], envelope: &Envelope) -> Result<()> {
        let size = i64::try_from(raw.len()).unwrap_or(i64::MAX);
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE messages SET partial = 0, server_size = NULL, size = ?2, from_name = ?3,
                     from_address = ?4, subject = ?5, header_date = ?6, message_id = ?7,
                     parse_failed = ?8, sort_date = coalesce(?6, sort_date)
                 WHERE id = ?1",
                params![
                    id,
                    size,
                    envelope.from_name,
                    envelope.from_address,
                    envelope.subject,
                    envelope.date,
                    envelope.message_id,
                    envelope.parse_failed,
                ],
            )?;
            if changed == 0 {
                return Err(Error::not_found(format!("message {id}")));
            }
            write_raw(tx, id, raw, RawRow::Existing)?;
            // The indexer derives the new text from the whole message.
            tx.execute(
                "DELETE FROM message_search
                 WHERE rowid = (SELECT search_key FROM messages WHERE id = ?1)",
                [id],
            )?;
            tx.execute("UPDATE messages SET search_key = NULL WHERE id = ?1", [id])?;
            Ok(())
        })
    }

    pub fn set_read(&self, id: i64, read: bool) -> Result<()> {
        let changed = self.write(|tx| {
            Ok(tx.execute(
                "UPDATE messages SET is_read = ?1 WHERE id = ?2",
                params![read, id],
            )?)
        })?;
        if changed == 0 {
            return Err(Error::not_found(format!("message {id}")));
        }
        Ok(())
    }
}

pub(super) fn insert_one(
    tx: &rusqlite::Transaction<'_>,
    message: &NewMessage<'_>,
    received_at: i64,
) -> Result<Option<MessageSummary>> {
    let envelope = message.envelope;
    let known: Option<i64> = tx
        .prepare_cached("SELECT 1 FROM pop3_uidls WHERE account_id = ?1 AND uidl = ?2")?
        .query_row(params![message.account_id, message.uidl], |row| row.get(0))
        .optional()?;
    if known.is_some() {
        return Ok(None);
    }
    let size = i64::try_from(message.raw.len()).unwrap_or(i64::MAX);
    let server_size = message
        .partial_of
        .map(|whole| i64::try_from(whole).unwrap_or(i64::MAX));
    tx.prepare_cached(
        "INSERT INTO messages (account_id, received_at, sort_date, header_date, from_name,
             from_address, subject, message_id, size, parse_failed, partial, server_size)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        message.account_id,
        received_at,
        envelope.date.unwrap_or(received_at),
        envelope.date,
        envelope.from_name,
        envelope.from_address,
        envelope.subject,
        envelope.message_id,
        size,
        envelope.parse_failed,
        server_size.is_some(),
        server_size,
    ])?;
    let id = tx.last_insert_rowid();
    write_raw(tx, id, message.raw, RawRow::New)?;
    tx.prepare_cached(
        "INSERT INTO pop3_uidls (account_id, uidl, message_id, stored_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![message.account_id, message.uidl, id, received_at])?;
    Ok(Some(MessageSummary {
        id,
        account_id: message.account_id,
        from_name: envelope.from_name.clone(),
        from_address: envelope.from_address.clone(),
        subject: envelope.subject.clone(),
        date: envelope.date,
        is_read: false,
        parse_failed: envelope.parse_failed,
        partial: server_size.is_some(),
        server_size,
        recipients: String::new(),
        starred: false,
        has_attachment: false,
    }))
}

/// Raw bytes above this size are written through SQLite's incremental blob I/O: binding them
/// as a parameter would make SQLite copy them twice (the bound value, then the record), tripling
/// a large message in memory. Below it, one statement is faster than opening a blob handle.
const STREAMED_RAW_BYTES: usize = 1024 * 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum RawRow {
    New,
    Existing,
}

pub(super) fn write_raw(
    tx: &rusqlite::Transaction<'_>,
    message_id: i64,
    raw: &[u8],
    row: RawRow,
) -> Result<()> {
    if raw.len() < STREAMED_RAW_BYTES {
        let sql = match row {
            RawRow::New => "INSERT INTO message_raw (message_id, raw) VALUES (?1, ?2)",
            RawRow::Existing => "UPDATE message_raw SET raw = ?2 WHERE message_id = ?1",
        };
        tx.prepare_cached(sql)?.execute(params![message_id, raw])?;
        return Ok(());
    }
    let sql = match row {
        RawRow::New => "INSERT INTO message_raw (message_id, raw) VALUES (?1, zeroblob(?2))",
        RawRow::Existing => "UPDATE message_raw SET raw = zeroblob(?2) WHERE message_id = ?1",
    };
    let length = i64::try_from(raw.len()).unwrap_or(i64::MAX);
    tx.prepare_cached(sql)?
        .execute(params![message_id, length])?;
    let mut blob = tx.blob_open(rusqlite::MAIN_DB, "message_raw", "raw", message_id, false)?;
    blob.write_all_at(raw, 0)?;
    Ok(())
}
