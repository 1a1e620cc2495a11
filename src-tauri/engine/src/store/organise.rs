//! Keeping order: folders (the fixed ones and the user's own), Trash, flags, the counts the
//! folder list shows, and conversations (threads).

use std::collections::BTreeSet;

use rusqlite::{params, params_from_iter, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::messages::{summary, write_raw, RawRow, SUMMARY_COLUMNS, SUMMARY_COLUMNS_OF_M};
use super::{now_unix, Folder, MessageSummary, Store};
use crate::error::{Error, Result};

/// A folder the user made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct UserFolder {
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub id: i64,
    pub name: String,
}

/// How many messages a folder holds for one account, and how many of them are unread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FolderCount {
    pub folder: Folder,
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub account_id: i64,
    pub total: u32,
    pub unread: u32,
}

/// One line of the threaded list: a conversation, shown by its newest message in the folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ThreadSummary {
    pub latest: MessageSummary,
    /// Messages of the conversation in this folder.
    pub messages: u32,
    pub unread: u32,
}

const MAX_FOLDER_NAME: usize = 100;

fn folder_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::config("a folder needs a name"));
    }
    if name.chars().any(char::is_control) || name.chars().count() > MAX_FOLDER_NAME {
        return Err(Error::config(format!(
            "a folder name is one line of at most {MAX_FOLDER_NAME} characters"
        )));
    }
    Ok(name.to_owned())
}

fn name_taken(error: rusqlite::Error, name: &str) -> Error {
    match error {
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Error::config(format!("there is already a folder named “{name}”"))
        }
        other => other.into(),
    }
}

/// `?, ?, ?` for an IN list of `count` parameters starting at `?first`.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("?{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The subject a conversation keeps whatever its replies prefix: "Re: Aw: Plans" → "plans".
pub(crate) fn thread_subject(subject: &str) -> String {
    crate::mime::strip_reply_prefixes(subject).to_lowercase()
}

impl Store {
    pub fn folders(&self) -> Result<Vec<UserFolder>> {
        self.read(|connection| {
            let mut statement = connection
                .prepare_cached("SELECT id, name FROM folders ORDER BY lower(name), id")?;
            let rows = statement.query_map([], |row| {
                Ok(UserFolder {
                    id: row.get(0)?,
                    name: row.get(1)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub fn create_folder(&self, name: &str) -> Result<UserFolder> {
        let name = folder_name(name)?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO folders (name, created_at) VALUES (?1, ?2)",
                params![name, now_unix()],
            )
            .map_err(|error| name_taken(error, &name))?;
            Ok(UserFolder {
                id: tx.last_insert_rowid(),
                name: name.clone(),
            })
        })
    }

    pub fn rename_folder(&self, id: i64, name: &str) -> Result<UserFolder> {
        let name = folder_name(name)?;
        self.write(|tx| {
            let changed = tx
                .execute(
                    "UPDATE folders SET name = ?2 WHERE id = ?1",
                    params![id, name],
                )
                .map_err(|error| name_taken(error, &name))?;
            if changed == 0 {
                return Err(Error::not_found(format!("folder {id}")));
            }
            Ok(UserFolder {
                id,
                name: name.clone(),
            })
        })
    }

    /// Deletes a folder of the user's; the messages in it go to Trash, never away.
    pub fn delete_folder(&self, id: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE messages SET folder = 'trash', trashed_from = NULL WHERE folder = ?1",
                [Folder::User(id).key()],
            )?;
            if tx.execute("DELETE FROM folders WHERE id = ?1", [id])? == 0 {
                return Err(Error::not_found(format!("folder {id}")));
            }
            Ok(())
        })
    }

    fn check_destination(tx: &rusqlite::Transaction<'_>, to: Folder) -> Result<()> {
        if let Folder::User(id) = to {
            let exists = tx
                .query_row("SELECT 1 FROM folders WHERE id = ?1", [id], |_| Ok(()))
                .optional()?;
            if exists.is_none() {
                return Err(Error::not_found(format!("folder {id}")));
            }
        }
        Ok(())
    }

    /// Files messages in another folder. Into Trash they remember where they were; out of it
    /// they forget.
    pub fn move_messages(&self, ids: &[i64], to: Folder) -> Result<()> {
        self.write(|tx| {
            Self::check_destination(tx, to)?;
            let mut statement = tx.prepare_cached(
                "UPDATE messages SET
                     trashed_from = CASE WHEN ?2 = 'trash'
                         THEN CASE WHEN folder = 'trash' THEN trashed_from ELSE folder END
                         ELSE NULL END,
                     folder = ?2
                 WHERE id = ?1 AND deleted_at IS NULL",
            )?;
            for id in ids {
                if statement.execute(params![id, to.key()])? == 0 {
                    return Err(Error::not_found(format!("message {id}")));
                }
            }
            Ok(())
        })
    }

    /// Files a copy of each message (its own row and bytes, unread state kept) in `to`;
    /// returns the copies' ids. The copy is searchable once the indexer has seen it.
    pub fn copy_messages(&self, ids: &[i64], to: Folder) -> Result<Vec<i64>> {
        self.write(|tx| {
            Self::check_destination(tx, to)?;
            let mut copies = Vec::with_capacity(ids.len());
            for id in ids {
                let copied = tx.execute(
                    "INSERT INTO messages (account_id, received_at, sort_date, header_date,
                         from_name, from_address, subject, message_id, size, is_read,
                         parse_failed, partial, server_size, folder, recipients, starred,
                         has_attachment, thread_id, thread_subject)
                     SELECT account_id, received_at, sort_date, header_date, from_name,
                         from_address, subject, message_id, size, is_read, parse_failed, partial,
                         server_size, ?2, recipients, starred, has_attachment, thread_id,
                         thread_subject
                     FROM messages WHERE id = ?1 AND deleted_at IS NULL",
                    params![id, to.key()],
                )?;
                if copied == 0 {
                    return Err(Error::not_found(format!("message {id}")));
                }
                let copy = tx.last_insert_rowid();
                let raw: Vec<u8> = tx.query_row(
                    "SELECT raw FROM message_raw WHERE message_id = ?1",
                    [id],
                    |row| row.get(0),
                )?;
                write_raw(tx, copy, &raw, RawRow::New)?;
                tx.execute(
                    "INSERT INTO message_references (message, reference)
                     SELECT ?2, reference FROM message_references WHERE message = ?1",
                    params![id, copy],
                )?;
                copies.push(copy);
            }
            Ok(copies)
        })
    }

    /// "Delete": to Trash; what is already in Trash is deleted for good (hidden; an account
    /// set to delete from the server when deleted here does so at its next check either way).
    pub fn delete_messages(&self, ids: &[i64]) -> Result<()> {
        let now = now_unix();
        self.write(|tx| {
            let mut statement = tx.prepare_cached(
                "UPDATE messages SET
                     deleted_at = CASE WHEN folder = 'trash' THEN ?2 ELSE NULL END,
                     trashed_from = CASE WHEN folder = 'trash' THEN trashed_from ELSE folder END,
                     folder = 'trash'
                 WHERE id = ?1 AND deleted_at IS NULL",
            )?;
            for id in ids {
                if statement.execute(params![id, now])? == 0 {
                    let exists = tx
                        .query_row("SELECT 1 FROM messages WHERE id = ?1", [id], |_| Ok(()))
                        .optional()?;
                    if exists.is_none() {
                        return Err(Error::not_found(format!("message {id}")));
                    }
                }
            }
            Ok(())
        })
    }

    /// "Empty Trash": everything in it is deleted for good. Returns how many.
    pub fn empty_trash(&self) -> Result<usize> {
        let now = now_unix();
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE messages SET deleted_at = ?1 WHERE folder = 'trash' AND deleted_at IS NULL",
                [now],
            )?)
        })
    }

    pub fn set_flags(&self, ids: &[i64], read: Option<bool>, starred: Option<bool>) -> Result<()> {
        self.write(|tx| {
            let mut statement = tx.prepare_cached(
                "UPDATE messages SET is_read = coalesce(?2, is_read), starred = coalesce(?3, starred)
                 WHERE id = ?1",
            )?;
            for id in ids {
                if statement.execute(params![id, read, starred])? == 0 {
                    return Err(Error::not_found(format!("message {id}")));
                }
            }
            Ok(())
        })
    }

    /// Every folder's total and unread messages, per account (what the folder list shows).
    pub fn folder_counts(&self) -> Result<Vec<FolderCount>> {
        self.read(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT folder, account_id, count(*), sum(is_read = 0) FROM messages
                 WHERE deleted_at IS NULL GROUP BY folder, account_id",
            )?;
            let rows = statement.query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, u32>(2)?,
                    row.get::<_, u32>(3)?,
                ))
            })?;
            let mut counts = Vec::new();
            for row in rows {
                let (key, account_id, total, unread) = row?;
                // A folder key this version does not know (a newer one wrote it) is skipped.
                if let Some(folder) = Folder::from_key(&key) {
                    counts.push(FolderCount {
                        folder,
                        account_id,
                        total,
                        unread,
                    });
                }
            }
            Ok(counts)
        })
    }

    /// The conversation list: one line per thread in `folder`, newest first, shown by the
    /// thread's newest message there.
    pub fn list_threads(
        &self,
        folder: Folder,
        account_id: Option<i64>,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<ThreadSummary>> {
        self.read(|connection| {
            // SQLite takes the other columns from the row that holds max(sort_date).
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS}, max(sort_date), count(*), sum(is_read = 0)
                 FROM messages
                 WHERE folder = ?1 AND (?2 IS NULL OR account_id = ?2) AND deleted_at IS NULL
                 GROUP BY coalesce(thread_id, -id)
                 ORDER BY max(sort_date) DESC, max(id) DESC LIMIT ?3 OFFSET ?4"
            ))?;
            let rows =
                statement.query_map(params![folder.key(), account_id, limit, offset], |row| {
                    Ok(ThreadSummary {
                        latest: summary(row)?,
                        messages: row.get(14)?,
                        unread: row.get(15)?,
                    })
                })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Every message of the conversation `id` belongs to, in any folder but Trash, oldest
    /// first: the conversation view (received mail and the user's replies together).
    pub fn conversation(&self, id: i64) -> Result<Vec<MessageSummary>> {
        self.read(|connection| {
            let thread: Option<i64> = connection
                .query_row(
                    "SELECT thread_id FROM messages WHERE id = ?1",
                    [id],
                    |row| row.get(0),
                )
                .optional()?
                .ok_or_else(|| Error::not_found(format!("message {id}")))?;
            let Some(thread) = thread else {
                return Ok(vec![self_summary(connection, id)?]);
            };
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS_OF_M} FROM messages m
                 WHERE m.thread_id = ?1 AND m.deleted_at IS NULL
                     AND (m.folder <> 'trash' OR m.id = ?2)
                 ORDER BY m.sort_date, m.id"
            ))?;
            let rows = statement.query_map(params![thread, id], summary)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Threads messages not threaded yet (new mail, and mail stored before threads existed),
    /// in one transaction: up to `limit` of them. Returns how many.
    pub fn thread_pending(&self, limit: u32) -> Result<usize> {
        self.write(|tx| {
            let pending: Vec<(i64, i64, Option<String>, String)> = tx
                .prepare_cached(
                    "SELECT id, account_id, message_id, subject FROM messages
                     WHERE thread_id IS NULL ORDER BY id LIMIT ?1",
                )?
                .query_map([limit], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            for (id, account_id, message_id, subject) in &pending {
                let raw = header_bytes(tx, *id)?;
                let references = crate::mime::ancestor_ids(&raw);
                thread_one(
                    tx,
                    *id,
                    *account_id,
                    message_id.as_deref(),
                    subject,
                    &references,
                )?;
            }
            Ok(pending.len())
        })
    }
}

/// Threading needs the headers only: the first 256 KiB of a message, read through incremental
/// blob I/O so a 50 MB message is not loaded whole just to find its References.
const THREADING_HEADER_BYTES: usize = 256 * 1024;

fn header_bytes(tx: &rusqlite::Transaction<'_>, id: i64) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let Ok(blob) = tx.blob_open(rusqlite::MAIN_DB, "message_raw", "raw", id, true) else {
        // No bytes stored (a row without raw): nothing to thread by but the subject.
        return Ok(Vec::new());
    };
    let mut bytes = Vec::with_capacity(THREADING_HEADER_BYTES.min(blob.len()));
    blob.take(THREADING_HEADER_BYTES as u64)
        .read_to_end(&mut bytes)
        .map_err(|error| Error::internal(format!("reading message {id}: {error}")))?;
    Ok(bytes)
}

fn self_summary(connection: &rusqlite::Connection, id: i64) -> Result<MessageSummary> {
    Ok(connection.query_row(
        &format!("SELECT {SUMMARY_COLUMNS} FROM messages WHERE id = ?1"),
        [id],
        summary,
    )?)
}

/// Joins message `id` to its conversation: the thread of any message it names as an ancestor,
/// of any message that names it (a reply that arrived first), or of another copy of it (the
/// Sent copy of a message also received); threads it links are merged. Without In-Reply-To
/// and References, a reply ("Re: …") joins the newest conversation of the same subject.
fn thread_one(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    account_id: i64,
    message_id: Option<&str>,
    subject: &str,
    references: &[String],
) -> Result<()> {
    let mut threads = BTreeSet::new();
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO message_references (message, reference) VALUES (?1, ?2)",
        )?;
        for reference in references {
            insert.execute(params![id, reference])?;
        }
    }
    if !references.is_empty() {
        let sql = format!(
            "SELECT DISTINCT thread_id FROM messages
             WHERE message_id IN ({}) AND thread_id IS NOT NULL",
            placeholders(1, references.len())
        );
        let mut statement = tx.prepare(&sql)?;
        let found = statement.query_map(params_from_iter(references), |row| row.get(0))?;
        for thread in found {
            threads.insert(thread?);
        }
    }
    if let Some(message_id) = message_id {
        let mut statement = tx.prepare_cached(
            "SELECT m.thread_id FROM message_references r JOIN messages m ON m.id = r.message
             WHERE r.reference = ?1 AND m.thread_id IS NOT NULL
             UNION
             SELECT thread_id FROM messages
             WHERE message_id = ?1 AND thread_id IS NOT NULL AND id <> ?2",
        )?;
        let found = statement.query_map(params![message_id, id], |row| row.get(0))?;
        for thread in found {
            threads.insert(thread?);
        }
    }
    let base_subject = thread_subject(subject);
    let is_reply = crate::mime::strip_reply_prefixes(subject).len() < subject.trim().len();
    if threads.is_empty() && references.is_empty() && is_reply && !base_subject.is_empty() {
        let found: Option<i64> = tx
            .prepare_cached(
                "SELECT thread_id FROM messages
                 WHERE account_id = ?1 AND thread_subject = ?2 AND thread_id IS NOT NULL
                 ORDER BY sort_date DESC LIMIT 1",
            )?
            .query_row(params![account_id, base_subject], |row| row.get(0))
            .optional()?;
        threads.extend(found);
    }
    let thread = threads.first().copied().unwrap_or(id);
    tx.prepare_cached("UPDATE messages SET thread_id = ?2, thread_subject = ?3 WHERE id = ?1")?
        .execute(params![id, thread, base_subject])?;
    let mut merge = tx.prepare_cached("UPDATE messages SET thread_id = ?1 WHERE thread_id = ?2")?;
    for other in threads.iter().skip(1) {
        merge.execute(params![thread, other])?;
    }
    Ok(())
}

impl Store {
    /// Whether HTML mail from this address may load remote content ("always for this sender").
    pub fn remote_content_allowed(&self, address: &str) -> Result<bool> {
        let address = address.trim();
        if address.is_empty() {
            return Ok(false);
        }
        self.read(|connection| {
            Ok(connection
                .prepare_cached("SELECT 1 FROM remote_content_senders WHERE address = ?1")?
                .query_row([address], |_| Ok(()))
                .optional()?
                .is_some())
        })
    }

    pub fn set_remote_content_allowed(&self, address: &str, allowed: bool) -> Result<()> {
        let address = address.trim().to_owned();
        if address.is_empty() || address.chars().any(char::is_control) {
            return Err(Error::config("the sender has no usable address"));
        }
        self.write(|tx| {
            if allowed {
                tx.execute(
                    "INSERT OR IGNORE INTO remote_content_senders (address) VALUES (?1)",
                    [&address],
                )?;
            } else {
                tx.execute(
                    "DELETE FROM remote_content_senders WHERE address = ?1",
                    [&address],
                )?;
            }
            Ok(())
        })
    }
}
