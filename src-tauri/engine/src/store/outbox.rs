//! The outbox: every message the user sends is written here, exact bytes and envelope, before
//! the network starts, and leaves only in the transaction that files it under Sent.

use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::messages::{write_raw, RawRow};
use super::{now_unix, Store};
use crate::error::{Error, ErrorInfo, Result};
use crate::mime::Envelope;

/// A message waiting in the outbox, as the Outbox view lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct OutboxItem {
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub id: i64,
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub account_id: i64,
    pub message_id: String,
    pub subject: String,
    pub to: String,
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub queued_at: i64,
    pub attempts: u32,
    /// When the next automatic attempt is due (Unix seconds); meaningless while `held`.
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub next_attempt_at: i64,
    /// Why the last attempt failed.
    pub last_error: Option<ErrorInfo>,
    /// The server refused the message for good (5xx) or the account needs the user (a wrong
    /// password): no automatic retry; "Send now" tries again.
    pub held: bool,
}

/// What is needed to hand a queued message to the server.
#[derive(Debug, Clone)]
pub struct QueuedMessage {
    pub id: i64,
    pub account_id: i64,
    pub message_id: String,
    pub raw: Vec<u8>,
    pub envelope_from: String,
    pub envelope_to: Vec<String>,
    pub attempts: u32,
}

/// A message about to be queued.
pub struct NewOutgoing<'a> {
    pub account_id: i64,
    pub message_id: &'a str,
    pub raw: &'a [u8],
    pub envelope_from: &'a str,
    pub envelope_to: &'a [String],
    /// Recorded with the Sent copy: who received it without appearing in its headers.
    pub bcc: &'a [String],
    pub subject: &'a str,
    pub to_display: &'a str,
    /// What the user wrote (JSON of `OutgoingMessage`), given back by "Undo".
    pub draft: &'a str,
    /// The saved draft it was written in, deleted in the transaction that queues it.
    pub draft_id: Option<i64>,
}

const ITEM_COLUMNS: &str = "id, account_id, message_id, subject, to_display, queued_at, \
     attempts, next_attempt_at, last_error, held";

fn item(row: &Row<'_>) -> rusqlite::Result<OutboxItem> {
    let last_error: Option<String> = row.get(8)?;
    Ok(OutboxItem {
        id: row.get(0)?,
        account_id: row.get(1)?,
        message_id: row.get(2)?,
        subject: row.get(3)?,
        to: row.get(4)?,
        queued_at: row.get(5)?,
        attempts: row.get(6)?,
        next_attempt_at: row.get(7)?,
        last_error: last_error.and_then(|json| serde_json::from_str(&json).ok()),
        held: row.get(9)?,
    })
}

fn json(value: &impl Serialize) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|error| Error::internal(format!("cannot record the outbox state: {error}")))
}

impl Store {
    /// Queues a message, to be sent from `not_before` (Unix seconds) on; when this returns it
    /// is durable and will be sent.
    pub fn queue_outgoing(&self, message: &NewOutgoing<'_>, not_before: i64) -> Result<i64> {
        let now = now_unix();
        let envelope_to = json(&message.envelope_to)?;
        let bcc = json(&message.bcc)?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO outbox (account_id, message_id, raw, envelope_from, envelope_to, bcc,
                     subject, to_display, queued_at, next_attempt_at, draft)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    message.account_id,
                    message.message_id,
                    message.raw,
                    message.envelope_from,
                    envelope_to,
                    bcc,
                    message.subject,
                    message.to_display,
                    now,
                    not_before.max(now),
                    message.draft
                ],
            )?;
            let id = tx.last_insert_rowid();
            if let Some(draft_id) = message.draft_id {
                tx.execute("DELETE FROM drafts WHERE id = ?1", [draft_id])?;
            }
            Ok(id)
        })
    }

    pub fn outbox(&self) -> Result<Vec<OutboxItem>> {
        self.read(|connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {ITEM_COLUMNS} FROM outbox ORDER BY queued_at, id"
            ))?;
            let rows = statement.query_map([], item)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Messages whose attempt is due now (or, with `include_held`, every one: "Send now"),
    /// without their bytes: an outbox of large attachments must not be loaded at once
    /// ([`Store::outgoing_raw`] reads each when it is sent).
    pub fn due_outgoing(&self, now: i64, include_held: bool) -> Result<Vec<QueuedMessage>> {
        self.read(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT id, account_id, message_id, x'', envelope_from, envelope_to, attempts
                 FROM outbox WHERE ?2 OR (held = 0 AND next_attempt_at <= ?1)
                 ORDER BY queued_at, id",
            )?;
            let rows = statement.query_map(params![now, include_held], |row| {
                let envelope_to: String = row.get(5)?;
                Ok((
                    QueuedMessage {
                        id: row.get(0)?,
                        account_id: row.get(1)?,
                        message_id: row.get(2)?,
                        raw: row.get(3)?,
                        envelope_from: row.get(4)?,
                        envelope_to: Vec::new(),
                        attempts: row.get(6)?,
                    },
                    envelope_to,
                ))
            })?;
            let mut due = Vec::new();
            for row in rows {
                let (mut queued, envelope_to) = row?;
                queued.envelope_to = serde_json::from_str(&envelope_to).map_err(|error| {
                    Error::internal(format!(
                        "outbox message {} is unreadable: {error}",
                        queued.id
                    ))
                })?;
                due.push(queued);
            }
            Ok(due)
        })
    }

    /// Takes a message back out of the outbox and returns what the user wrote: before any
    /// attempt to send it ("Undo"), or, with `held_too`, also when the server refused it or
    /// the account needs the user ("Edit" in the Outbox). Fails when it is gone (sent) or was
    /// handed to a server that may still accept it on the next attempt.
    pub fn withdraw_outgoing(&self, outbox_id: i64, held_too: bool) -> Result<Option<String>> {
        self.write(|tx| {
            let found: Option<(u32, bool, Option<String>)> = tx
                .query_row(
                    "SELECT attempts, held, draft FROM outbox WHERE id = ?1",
                    [outbox_id],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()?;
            match found {
                None => Err(Error::not_found("the message in the outbox (it was sent)")),
                Some((attempts, held, _)) if attempts > 0 && !(held && held_too) => {
                    Err(Error::new(
                        crate::error::ErrorKind::Config,
                        "the message was already handed to the server and can no longer be undone",
                    ))
                }
                Some((_, _, draft)) => {
                    tx.execute("DELETE FROM outbox WHERE id = ?1", [outbox_id])?;
                    Ok(draft)
                }
            }
        })
    }

    /// The exact bytes of a queued message.
    pub fn outgoing_raw(&self, outbox_id: i64) -> Result<Vec<u8>> {
        self.read(|connection| {
            connection
                .query_row("SELECT raw FROM outbox WHERE id = ?1", [outbox_id], |row| {
                    row.get(0)
                })
                .optional()?
                .ok_or_else(|| Error::not_found(format!("outbox message {outbox_id}")))
        })
    }

    /// The server accepted the message: its exact bytes are filed under Sent and it leaves the
    /// outbox, in one transaction. Returns the Sent copy's id.
    pub fn mark_sent(&self, outbox_id: i64, envelope: &Envelope) -> Result<i64> {
        let now = now_unix();
        self.write(|tx| {
            let found: Option<(i64, Vec<u8>, String, String)> = tx
                .query_row(
                    "SELECT account_id, raw, to_display, envelope_to FROM outbox WHERE id = ?1",
                    [outbox_id],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
                )
                .optional()?;
            let Some((account_id, raw, recipients, envelope_to)) = found else {
                return Err(Error::not_found(format!("outbox message {outbox_id}")));
            };
            let size = i64::try_from(raw.len()).unwrap_or(i64::MAX);
            tx.execute(
                "INSERT INTO messages (account_id, received_at, sort_date, header_date, from_name,
                     from_address, subject, message_id, size, parse_failed, is_read, folder,
                     recipients)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, 'sent', ?11)",
                params![
                    account_id,
                    now,
                    envelope.date.unwrap_or(now),
                    envelope.date,
                    envelope.from_name,
                    envelope.from_address,
                    envelope.subject,
                    envelope.message_id,
                    size,
                    envelope.parse_failed,
                    recipients
                ],
            )?;
            let id = tx.last_insert_rowid();
            write_raw(tx, id, &raw, RawRow::New)?;
            // Unreadable only if the outbox row was damaged; completion is not worth failing for.
            let written_to: Vec<String> = serde_json::from_str(&envelope_to).unwrap_or_default();
            super::drafts::note_written_to(tx, &written_to, now)?;
            tx.execute("DELETE FROM outbox WHERE id = ?1", [outbox_id])?;
            Ok(id)
        })
    }

    /// An attempt failed: record why, and when to try again (`None`: hold it for the user).
    pub fn mark_attempt_failed(
        &self,
        outbox_id: i64,
        error: &ErrorInfo,
        retry_at: Option<i64>,
    ) -> Result<()> {
        let error = json(error)?;
        self.write(|tx| {
            tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2,
                     held = ?3, next_attempt_at = coalesce(?4, next_attempt_at)
                 WHERE id = ?1",
                params![outbox_id, error, retry_at.is_none(), retry_at],
            )?;
            Ok(())
        })
    }
}
