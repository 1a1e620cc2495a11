//! Drafts (what the composer holds, saved as the user writes) and the addresses the composer
//! completes.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{now_unix, Store};
use crate::error::{Error, Result};

/// A draft as the Drafts list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DraftItem {
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub id: i64,
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub account_id: i64,
    pub subject: String,
    pub to: String,
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub updated_at: i64,
}

/// Someone the user can write to, as address completion offers them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct KnownAddress {
    pub name: String,
    pub address: String,
}

/// `text` as a LIKE pattern that matches it literally.
fn like_literal(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

impl Store {
    /// Saves what the composer holds. `id` is the draft being edited; when it is gone (sent, or
    /// deleted in another window) the text is kept as a new draft rather than lost.
    pub fn save_draft(
        &self,
        id: Option<i64>,
        account_id: i64,
        draft: &str,
        subject: &str,
        to: &str,
    ) -> Result<i64> {
        let now = now_unix();
        self.write(|tx| {
            if let Some(id) = id {
                let updated = tx.execute(
                    "UPDATE drafts SET account_id = ?2, draft = ?3, subject = ?4, to_display = ?5,
                         updated_at = ?6 WHERE id = ?1",
                    params![id, account_id, draft, subject, to, now],
                )?;
                if updated == 1 {
                    return Ok(id);
                }
            }
            tx.execute(
                "INSERT INTO drafts (account_id, draft, subject, to_display, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![account_id, draft, subject, to, now],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    pub fn drafts(&self) -> Result<Vec<DraftItem>> {
        self.read(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT id, account_id, subject, to_display, updated_at FROM drafts
                 ORDER BY updated_at DESC, id DESC",
            )?;
            let rows = statement.query_map([], |row| {
                Ok(DraftItem {
                    id: row.get(0)?,
                    account_id: row.get(1)?,
                    subject: row.get(2)?,
                    to: row.get(3)?,
                    updated_at: row.get(4)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// The account and the saved composer fields (JSON) of a draft.
    pub fn draft(&self, id: i64) -> Result<(i64, String)> {
        self.read(|connection| {
            connection
                .query_row(
                    "SELECT account_id, draft FROM drafts WHERE id = ?1",
                    [id],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?
                .ok_or_else(|| Error::not_found(format!("draft {id}")))
        })
    }

    pub fn delete_draft(&self, id: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM drafts WHERE id = ?1", [id])?;
            Ok(())
        })
    }

    /// Addresses whose address, or a word of whose name, starts with `prefix` (any case):
    /// people the user wrote to first, then the most frequent and recent senders.
    pub fn address_suggestions(&self, prefix: &str, limit: u32) -> Result<Vec<KnownAddress>> {
        let prefix = prefix.trim();
        if prefix.is_empty() {
            return Ok(Vec::new());
        }
        let pattern = like_literal(prefix);
        self.read(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT name, address FROM addresses
                 WHERE address LIKE ?1 || '%' ESCAPE '\\'
                    OR name LIKE ?1 || '%' ESCAPE '\\'
                    OR name LIKE '% ' || ?1 || '%' ESCAPE '\\'
                 ORDER BY times_written * 5 + times_received DESC, last_seen DESC
                 LIMIT ?2",
            )?;
            let rows = statement.query_map(params![pattern, limit], |row| {
                Ok(KnownAddress {
                    name: row.get(0)?,
                    address: row.get(1)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

/// Records that the user wrote to these addresses (in the transaction that files a sent
/// message), so completion offers them first.
pub(super) fn note_written_to(
    tx: &rusqlite::Transaction<'_>,
    addresses: &[String],
    when: i64,
) -> Result<()> {
    let mut statement = tx.prepare_cached(
        "INSERT INTO addresses (address, name, last_seen, times_written) VALUES (?1, '', ?2, 1)
         ON CONFLICT (address) DO UPDATE SET
             times_written = times_written + 1, last_seen = max(last_seen, excluded.last_seen)",
    )?;
    for address in addresses {
        statement.execute(params![address, when])?;
    }
    Ok(())
}
