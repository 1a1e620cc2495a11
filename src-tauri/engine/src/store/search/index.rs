//! Filling the search index, in the background after each fetch (indexer.rs). The index is
//! contentless: only the words are kept, the text is derived again from the raw bytes when a
//! snippet is shown (DESIGN.md §3.6, and the README's "Search" section for why).

use mail_parser::{Address, MessageParser};
use rusqlite::{params, OptionalExtension};
use rustc_hash::FxHashSet;

use crate::error::Result;
use crate::mime::SearchText;
use crate::store::Store;

/// What one message puts in each column of `message_search`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct IndexedText {
    pub subject: String,
    /// From: names and addresses (`from:`).
    pub sender: String,
    /// To and Cc (`to:`).
    pub recipients: String,
    /// Every other address (Reply-To, Bcc of a sent copy): found by free words only.
    pub addresses: String,
    pub body: String,
    pub attachment_names: String,
}

impl IndexedText {
    /// The text of a message as search sees it. `from:` must not find a message merely sent
    /// *to* that person, so the addresses are split by header here (a header-only parse, cheap
    /// beside the full parse `mime::search_text` does).
    pub fn of(raw: &[u8]) -> IndexedText {
        // A message the parser cannot cope with is indexed as empty rather than keeping every
        // message after it from ever becoming searchable.
        let text =
            std::panic::catch_unwind(|| crate::mime::search_text(raw)).unwrap_or_else(|_| {
                tracing::warn!("search: a message could not be parsed for the index");
                SearchText::default()
            });
        let headers = std::panic::catch_unwind(|| {
            MessageParser::new().parse_headers(raw).map(|message| {
                (
                    addresses(&[message.from()]),
                    addresses(&[message.to(), message.cc()]),
                    addresses(&[message.reply_to(), message.bcc(), message.sender()]),
                )
            })
        })
        .ok()
        .flatten();
        let (sender, recipients, addresses) = match headers {
            Some(split) => split,
            // No headers to split: every address still counts for free words.
            None => (String::new(), String::new(), text.addresses),
        };
        IndexedText {
            subject: text.subject,
            sender,
            recipients,
            addresses,
            body: text.body,
            attachment_names: text.attachment_names,
        }
    }
}

impl IndexedText {
    /// Every whitespace-separated piece of its text, once.
    fn pieces_into(&self, pieces: &mut FxHashSet<String>) {
        for column in [
            &self.subject,
            &self.sender,
            &self.recipients,
            &self.addresses,
            &self.body,
            &self.attachment_names,
        ] {
            for piece in column.split_whitespace() {
                if !pieces.contains(piece) {
                    pieces.insert(piece.to_owned());
                }
            }
        }
    }
}

/// Adds the words of a batch to `search_terms`, exactly as the index's tokenizer makes them:
/// FTS5 itself tokenizes the batch's distinct pieces of text (no word spans whitespace, so
/// they hold the same words as the whole text, in a fraction of its bytes) into a scratch
/// table, and its fts5vocab lists them. A tokenizer written again in Rust would sooner or
/// later fold or split some script differently, and a prefix would then miss mail.
fn record_terms(tx: &rusqlite::Transaction<'_>, pieces: &FxHashSet<String>) -> Result<()> {
    if pieces.is_empty() {
        return Ok(());
    }
    tx.execute_batch(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.new_words USING fts5(words, content = '',
             tokenize = \"unicode61 categories 'L* N* Co M*'\");
         CREATE VIRTUAL TABLE IF NOT EXISTS temp.new_terms
             USING fts5vocab(temp, new_words, row);",
    )?;
    let words: Vec<&str> = pieces.iter().map(String::as_str).collect();
    tx.prepare_cached("INSERT INTO temp.new_words (rowid, words) VALUES (1, ?1)")?
        .execute([words.join("\n")])?;
    tx.prepare_cached("INSERT OR IGNORE INTO search_terms (term) SELECT term FROM temp.new_terms")?
        .execute([])?;
    tx.prepare_cached("INSERT INTO temp.new_words (new_words) VALUES ('delete-all')")?
        .execute([])?;
    Ok(())
}

fn addresses(lists: &[Option<&Address<'_>>]) -> String {
    let mut words = Vec::new();
    for address in lists.iter().flatten().flat_map(|list| list.iter()) {
        words.extend(address.name().map(one_line));
        words.extend(address.address().map(one_line));
    }
    words.join(" ")
}

fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|piece| !piece.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Store {
    /// Indexes messages that are not in the search index yet, in one transaction: up to
    /// `limit` of them and about `max_bytes` of raw mail (at least one message), so a backlog
    /// of large messages neither fills memory nor holds the writer long. Returns how many.
    pub fn index_pending(&self, limit: u32, max_bytes: usize) -> Result<usize> {
        self.write(|tx| {
            let candidates: Vec<(i64, i64, i64)> = tx
                .prepare_cached(
                    "SELECT m.id, m.sort_date, length(r.raw) FROM messages m
                     JOIN message_raw r ON r.message_id = m.id
                     WHERE m.search_key IS NULL ORDER BY m.id LIMIT ?1",
                )?
                .query_map([limit], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut budget = max_bytes;
            let mut indexed = 0;
            let mut pieces = FxHashSet::default();
            for (id, sort_date, length) in candidates {
                let length = usize::try_from(length).unwrap_or(usize::MAX);
                if indexed > 0 && length > budget {
                    break;
                }
                budget = budget.saturating_sub(length);
                let raw: Vec<u8> = tx
                    .prepare_cached("SELECT raw FROM message_raw WHERE message_id = ?1")?
                    .query_row([id], |row| row.get(0))?;
                let text = IndexedText::of(&raw);
                index_one(tx, id, sort_date, &text)?;
                text.pieces_into(&mut pieces);
                indexed += 1;
            }
            record_terms(tx, &pieces)?;
            Ok(indexed)
        })
    }

    /// Whether every stored message is in the search index.
    pub fn fully_indexed(&self) -> Result<bool> {
        self.read(|connection| {
            Ok(connection
                .query_row(
                    "SELECT 1 FROM messages WHERE search_key IS NULL LIMIT 1",
                    [],
                    |_| Ok(()),
                )
                .optional()?
                .is_none())
        })
    }
}

/// Bits of the search key below the date.
const ID_BITS: u32 = 22;

/// The search key: the date in the high bits, so FTS5's rowid order is newest-first order, and
/// the message id in the low 22, so messages of the same second differ. Dates are clamped to
/// ±2^40 s (35,000 years) to keep the shift inside i64.
pub(super) fn search_key(sort_date: i64, message_id: i64) -> i64 {
    day_key(sort_date) | (message_id & ((1 << ID_BITS) - 1))
}

/// The smallest search key of a message dated `unix` (seconds): `before:`/`after:` become a
/// rowid range, which FTS5 applies while it reads its lists.
pub(super) fn day_key(unix: i64) -> i64 {
    unix.clamp(-(1 << 40), 1 << 40) << ID_BITS
}

fn index_one(
    tx: &rusqlite::Transaction<'_>,
    message_id: i64,
    sort_date: i64,
    text: &IndexedText,
) -> Result<()> {
    // Two messages collide on a key only if 4 million ids apart within one second; then the
    // next free key is taken.
    let first = search_key(sort_date, message_id);
    let mut key = first;
    let mut taken = tx.prepare_cached("SELECT 1 FROM messages WHERE search_key = ?1")?;
    while taken.exists([key])? {
        key = key.saturating_add(1);
    }
    tx.prepare_cached(
        "INSERT INTO message_search
             (rowid, subject, sender, recipients, addresses, body, attachment_names)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        key,
        text.subject,
        text.sender,
        text.recipients,
        text.addresses,
        text.body,
        text.attachment_names
    ])?;
    // One row update: each changes several indexes of `messages`.
    tx.prepare_cached("UPDATE messages SET search_key = ?2, has_attachment = ?3 WHERE id = ?1")?
        .execute(params![message_id, key, !text.attachment_names.is_empty()])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_keys_follow_dates_then_ids() {
        assert!(search_key(100, 5) < search_key(101, 1));
        assert!(search_key(100, 1) < search_key(100, 2));
        assert!(search_key(-5, 1) < search_key(0, 1));
        assert!(search_key(i64::MAX, 1) > search_key(2_000_000_000, 1));
        assert!(day_key(100) <= search_key(100, 9));
        assert!(search_key(99, (1 << ID_BITS) - 1) < day_key(100));
    }

    #[test]
    fn addresses_are_split_by_header() {
        let text = IndexedText::of(
            "From: Ravi Kumar <ravi@example.org>\r\nTo: =?utf-8?b?4KSG4KS24KS+?= <asha@example.org>\r\n\
             Cc: meena@example.org\r\nReply-To: desk@example.org\r\nSubject: hi\r\n\r\nbody\r\n"
                .as_bytes(),
        );
        assert_eq!(text.sender, "Ravi Kumar ravi@example.org");
        assert_eq!(text.recipients, "आशा asha@example.org meena@example.org");
        assert_eq!(text.addresses, "desk@example.org");
        assert_eq!(text.subject, "hi");
    }
}
