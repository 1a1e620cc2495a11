//! Search: the typed query language (search/query.rs), the background index (search/index.rs)
//! and the query itself, newest first, with a highlighted snippet for each hit.
//!
//! Search as you type: every new query takes a ticket from [`Store::begin_search`]; a query
//! whose ticket is no longer the newest stops at SQLite's next progress callback (or before the
//! next snippet) with [`ErrorReason::Superseded`], so the reader connection is free for the
//! query the user is waiting for.

mod index;
mod query;

pub use query::{Day, Field, FolderName, SearchQuery, Term};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, ErrorCode, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::messages::{summary, MessageSummary, SUMMARY_COLUMNS_OF_M};
use super::Store;
use crate::error::{Error, ErrorKind, ErrorReason, Result};
use index::day_key;

/// Starts a matched word in [`SearchHit::subject`] and [`SearchHit::snippet`] (U+E000, private
/// use). The UI splits the text at these and renders each piece as a text node (matched pieces
/// inside `<mark>`), so mail text never becomes HTML. Mail text cannot forge a mark: any of
/// these two characters already in it is replaced by U+FFFD first.
pub const MARK_START: char = '\u{E000}';
/// Ends a matched word (U+E001).
pub const MARK_END: char = '\u{E001}';

/// One message found, with what the result list shows about the match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub summary: MessageSummary,
    /// The subject with matched words between U+E000 and U+E001.
    pub subject: String,
    /// About 24 words of the text around the first match (or its start when the match is not
    /// in the text), on one line, matched words between U+E000 and U+E001, "…" where cut.
    pub snippet: String,
}

/// Which search is the newest; shared with the progress callback of the reader connection.
#[derive(Default)]
pub(super) struct Searches(Arc<AtomicU64>);

/// The right to run one search until a newer one begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchTicket(u64);

/// SQLite virtual-machine steps between two looks at the ticket: about 10–50 µs of work, so a
/// superseded query stops within a fraction of a millisecond.
const STEPS_BETWEEN_CHECKS: i32 = 1000;

/// Raw bytes of a hit parsed for its snippet: first, and at most.
const SNIPPET_FIRST_BYTES: i64 = 64 * 1024;
const SNIPPET_RAW_BYTES: i64 = 384 * 1024;

/// Words of context in a snippet.
const SNIPPET_WORDS: i32 = 24;

impl Store {
    /// Makes every search begun before this one stop early. Take the ticket where the order of
    /// queries is known (the async caller), before the search waits for a thread.
    pub fn begin_search(&self) -> SearchTicket {
        SearchTicket(self.searches.0.fetch_add(1, Ordering::SeqCst) + 1)
    }

    /// The newest `limit` messages matching `query` (see search/query.rs for the language).
    /// Trash is searched only with `in:trash`; messages deleted for good never. Dates are the
    /// Date header (or arrival time), days start at midnight in the computer's time zone.
    pub fn search(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>> {
        let ticket = self.begin_search();
        self.search_with(ticket, query, limit)
    }

    /// [`Store::search`] under a ticket taken earlier; fails with [`ErrorReason::Superseded`]
    /// once a newer search has begun.
    pub fn search_with(
        &self,
        ticket: SearchTicket,
        query: &str,
        limit: u32,
    ) -> Result<Vec<SearchHit>> {
        let query = SearchQuery::parse(query);
        if query.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        self.read(|connection| {
            self.interruptible(connection, ticket, |connection, superseded| {
                find(connection, &query, limit, superseded)
            })
        })
    }

    /// Runs `work` on the reader connection until a search newer than `ticket` begins; then
    /// SQLite stops the running statement and this returns [`ErrorReason::Superseded`].
    fn interruptible<T>(
        &self,
        connection: &Connection,
        ticket: SearchTicket,
        work: impl FnOnce(&Connection, &dyn Fn() -> bool) -> Result<T>,
    ) -> Result<T> {
        let newest = Arc::clone(&self.searches.0);
        let superseded = move || newest.load(Ordering::SeqCst) != ticket.0;
        if superseded() {
            return Err(superseded_error());
        }
        connection.progress_handler(STEPS_BETWEEN_CHECKS, Some(superseded.clone()));
        let done = work(connection, &superseded);
        // Other reads on this connection (the message list) must never be interrupted.
        connection.progress_handler(STEPS_BETWEEN_CHECKS, None::<fn() -> bool>);
        done.map_err(|error| match error.interrupted() {
            true => superseded_error(),
            false => error,
        })
    }
}

fn superseded_error() -> Error {
    Error::new(ErrorKind::Internal, "a newer search replaced this one")
        .with_reason(ErrorReason::Superseded)
}

/// The hits, newest first, with their snippets.
fn find(
    connection: &Connection,
    query: &SearchQuery,
    limit: u32,
    superseded: &dyn Fn() -> bool,
) -> Result<Vec<SearchHit>> {
    let Some(filters) = Filters::of(connection, query)? else {
        return Ok(Vec::new());
    };
    let expression = match query.typed_prefix() {
        Some((_, start)) => match words_starting(connection, &start)? {
            Some(words) => query.fts_expression_expanded(&words),
            None => query.fts_expression(),
        },
        None => query.fts_expression(),
    };
    let summaries = match expression {
        Some(expression) => text_matches(connection, &expression, &filters, limit)?,
        None => filtered_messages(connection, &filters, limit)?,
    };
    snippets(connection, summaries, query, superseded)
}

/// Most words a typed prefix is written out as; a start shared by more (one or two letters in
/// a large mailbox) is left to FTS5's own prefix query, slower but complete.
const MAX_PREFIX_WORDS: usize = 256;

/// The indexed words that begin with `start`, in the index's spelling; `None` when there are
/// too many to write out.
fn words_starting(connection: &Connection, start: &str) -> Result<Option<Vec<String>>> {
    let words: Vec<String> = connection
        .prepare_cached(
            "SELECT term FROM search_terms WHERE term >= ?1 AND term < ?2 ORDER BY term LIMIT ?3",
        )?
        .query_map(
            rusqlite::params![start, format!("{start}\u{10FFFF}"), MAX_PREFIX_WORDS + 1],
            |row| row.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?;
    Ok((words.len() <= MAX_PREFIX_WORDS).then_some(words))
}

/// The parts of a query that are plain SQL on `messages`, as conditions and their values.
struct Filters {
    conditions: Vec<&'static str>,
    values: Vec<Value>,
    /// `after:`/`before:` as Unix seconds: [from, until).
    from: Option<i64>,
    until: Option<i64>,
}

impl Filters {
    /// `None` when nothing can match (an `in:` folder that does not exist).
    fn of(connection: &Connection, query: &SearchQuery) -> Result<Option<Filters>> {
        let mut filters = Filters {
            conditions: vec!["m.deleted_at IS NULL"],
            values: Vec::new(),
            from: None,
            until: None,
        };
        let folder = match &query.folder {
            None => None,
            Some(FolderName::Inbox) => Some("inbox".to_owned()),
            Some(FolderName::Sent) => Some("sent".to_owned()),
            Some(FolderName::Trash) => Some("trash".to_owned()),
            Some(FolderName::Archive) => Some("archive".to_owned()),
            Some(FolderName::User(name)) => {
                let id: Option<i64> = connection
                    .prepare_cached("SELECT id FROM folders WHERE lower(name) = lower(?1)")?
                    .query_row([name], |row| row.get(0))
                    .optional()?;
                let Some(id) = id else {
                    return Ok(None);
                };
                Some(format!("user:{id}"))
            }
        };
        match folder {
            Some(key) => filters.add("m.folder = ?", Value::Text(key)),
            None => filters.conditions.push("m.folder <> 'trash'"),
        }
        match query.read {
            Some(true) => filters.conditions.push("m.is_read = 1"),
            Some(false) => filters.conditions.push("m.is_read = 0"),
            None => {}
        }
        if query.starred {
            filters.conditions.push("m.starred = 1");
        }
        if query.has_attachment {
            filters.conditions.push("m.has_attachment = 1");
        }
        filters.from = query
            .after
            .map(|day| local_midnight(connection, day))
            .transpose()?;
        filters.until = query
            .before
            .map(|day| local_midnight(connection, day))
            .transpose()?;
        Ok(Some(filters))
    }

    fn add(&mut self, condition: &'static str, value: Value) {
        self.conditions.push(condition);
        self.values.push(value);
    }

    fn sql(&self) -> String {
        self.conditions.join(" AND ")
    }
}

/// The Unix time at which `day` begins in the computer's time zone. SQLite's `'utc'` modifier
/// reads the time as local and converts it with the C library's zone rules (DST included), so
/// `before:2024-03-10` means what the user's calendar says, not midnight in Greenwich.
fn local_midnight(connection: &Connection, day: Day) -> Result<i64> {
    let unix: Option<i64> =
        connection.query_row("SELECT unixepoch(?1, 'utc')", [day.iso()], |row| row.get(0))?;
    unix.ok_or_else(|| Error::internal(format!("SQLite cannot read the date {}", day.iso())))
}

/// Text queries: FTS5 finds the words, newest first by its rowid (the search key), and stops
/// after `limit` hits that also pass the filters. `CROSS JOIN` keeps FTS5 the outer loop:
/// starting from `messages` would test every message against the index. Each hit is tested
/// through `messages_search_filters` (V8), which holds every filtered column, so a hit that
/// fails the filters never reads its table row; SQLite would otherwise pick the narrower
/// unique index. Dates narrow the rowid range, which FTS5 applies while reading its lists.
fn text_matches(
    connection: &Connection,
    expression: &str,
    filters: &Filters,
    limit: u32,
) -> Result<Vec<MessageSummary>> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS_OF_M} FROM message_search
             CROSS JOIN messages m INDEXED BY messages_search_filters
             ON m.search_key = message_search.rowid
         WHERE message_search MATCH ? AND message_search.rowid >= ?
             AND message_search.rowid < ? AND {}
         ORDER BY message_search.rowid DESC LIMIT ?",
        filters.sql()
    );
    let mut values = vec![
        Value::Text(expression.to_owned()),
        Value::Integer(filters.from.map_or(i64::MIN, day_key)),
        Value::Integer(filters.until.map_or(i64::MAX, day_key)),
    ];
    values.extend(filters.values.iter().cloned());
    values.push(Value::Integer(limit.into()));
    let mut statement = connection.prepare_cached(&sql)?;
    let rows = statement.query_map(params_from_iter(values), summary)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Operators alone (`is:unread`, `in:archive before:2024-01-01`) need no index of words: the
/// newest messages passing the filters, read along a date index (V7 adds partial ones for
/// unread, starred and attachments, so a rare flag does not walk every message).
fn filtered_messages(
    connection: &Connection,
    filters: &Filters,
    limit: u32,
) -> Result<Vec<MessageSummary>> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS_OF_M} FROM messages m
         WHERE {} AND m.sort_date >= ? AND m.sort_date < ?
         ORDER BY m.sort_date DESC, m.id DESC LIMIT ?",
        filters.sql()
    );
    let mut values = filters.values.clone();
    values.push(Value::Integer(filters.from.unwrap_or(i64::MIN)));
    values.push(Value::Integer(filters.until.unwrap_or(i64::MAX)));
    values.push(Value::Integer(limit.into()));
    let mut statement = connection.prepare_cached(&sql)?;
    let rows = statement.query_map(params_from_iter(values), summary)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Snippets for the hits shown. The index keeps no text, so each hit's text is derived again
/// from its raw bytes (only these ≤ `limit` messages). A window of the body around the first
/// place a searched word occurs goes, with the subject and attachment names, into a small
/// in-memory FTS5 table with the index's tokenizer, which is asked for its own `highlight()` and
/// `snippet()`: the marks then fall exactly on what the index matches — whole Devanagari
/// words, prefixes, phrases. Only a window, because FTS5 tokenizes every byte it is given
/// three times (insert, snippet, delete): whole bodies made a query 50 ms slower.
fn snippets(
    connection: &Connection,
    summaries: Vec<MessageSummary>,
    query: &SearchQuery,
    superseded: &dyn Fn() -> bool,
) -> Result<Vec<SearchHit>> {
    let body_words = query.body_words();
    let mut hits = Vec::with_capacity(summaries.len());
    let mut texts = Vec::with_capacity(summaries.len());
    for summary in summaries {
        if superseded() {
            return Err(superseded_error());
        }
        let (text, window) = snippet_text(connection, summary.id, &body_words)?;
        let body = unmarked(&text.body[window.start..window.end]);
        hits.push(SearchHit {
            subject: unmarked(&summary.subject),
            snippet: window.ellipses(opening(&body)),
            summary,
        });
        texts.push((
            unmarked(&text.subject),
            body,
            unmarked(&text.attachment_names),
            window,
        ));
    }
    let Some(expression) = query.highlight_expression() else {
        return Ok(hits);
    };
    connection.execute_batch(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_snippet USING fts5(
             subject, sender, recipients, addresses, body, attachment_names,
             tokenize = \"unicode61 categories 'L* N* Co M*'\");",
    )?;
    // One transaction, rolled back when dropped: FTS5 writes one segment instead of one per
    // row, and the rollback empties the table without tokenizing everything again to delete.
    let scratch = connection.unchecked_transaction()?;
    let mut insert = connection.prepare_cached(
        "INSERT INTO temp.search_snippet (rowid, subject, body, attachment_names)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (row, (subject, body, attachment_names, _)) in texts.iter().enumerate() {
        insert.execute(rusqlite::params![row, subject, body, attachment_names])?;
    }
    let marks = format!("{MARK_START}");
    let end = format!("{MARK_END}");
    let mut marked = connection.prepare_cached(&format!(
        "SELECT rowid, highlight(search_snippet, 0, ?2, ?3),
                snippet(search_snippet, 4, ?2, ?3, '…', {SNIPPET_WORDS}),
                snippet(search_snippet, 5, ?2, ?3, '…', {SNIPPET_WORDS})
         FROM temp.search_snippet WHERE search_snippet MATCH ?1"
    ))?;
    let rows = marked.query_map(rusqlite::params![expression, marks, end], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
        ))
    })?;
    for row in rows {
        let (row, subject, body, attachment_names) = row?;
        let Some((hit, text)) = usize::try_from(row)
            .ok()
            .and_then(|row| Some((hits.get_mut(row)?, texts.get(row)?)))
        else {
            continue;
        };
        if subject.contains(MARK_START) {
            hit.subject = one_line(&subject);
        }
        if body.contains(MARK_START) {
            hit.snippet = text.3.ellipses(one_line(&body));
        } else if attachment_names.contains(MARK_START) {
            // The match is only in an attachment's name: show that rather than the letter.
            hit.snippet = one_line(&attachment_names);
        }
    }
    drop(marked);
    drop(insert);
    drop(scratch);
    Ok(hits)
}

/// A hit's text and the window of its body the snippet is made from. Only the start of the raw
/// bytes is parsed: the text comes first in nearly every message and the index holds only its
/// first 256 KiB anyway, while decoding a 2 MB attachment's base64 would cost more than the
/// whole query. First [`SNIPPET_FIRST_BYTES`], which is all of most messages; more only when
/// the window is not wholly inside the text read (a searched word further on, or only in the
/// subject or an attachment's name, whose list may come after the cut).
fn snippet_text(
    connection: &Connection,
    message_id: i64,
    body_words: &[(String, bool)],
) -> Result<(crate::mime::SearchText, Window)> {
    let mut read = SNIPPET_FIRST_BYTES;
    loop {
        let (raw, whole): (Vec<u8>, bool) = connection
            .prepare_cached(
                "SELECT substr(raw, 1, ?2), length(raw) <= ?2 FROM message_raw
                 WHERE message_id = ?1",
            )?
            .query_row(rusqlite::params![message_id, read], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?
            .unwrap_or((Vec::new(), true));
        let text = crate::mime::search_text(&raw);
        let window = Window::of(&text.body, body_words);
        let enough = window.cut_after && (window.found || body_words.is_empty());
        if whole || enough || read >= SNIPPET_RAW_BYTES {
            return Ok((text, window));
        }
        read = (read * 4).min(SNIPPET_RAW_BYTES);
    }
}

/// Bytes of body kept before and after the first searched word, for the snippet.
const WINDOW_BEFORE: usize = 240;
const WINDOW_AFTER: usize = 720;

/// The part of a body a snippet is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    start: usize,
    end: usize,
    /// Text was cut off before `start` / after `end`.
    cut_before: bool,
    cut_after: bool,
    /// Around a searched word (not the start for want of one).
    found: bool,
}

impl Window {
    /// Around the first whole-word occurrence of any of `words` (ASCII case ignored; a word
    /// marked as a prefix may continue), else the start of the body.
    fn of(body: &str, words: &[(String, bool)]) -> Window {
        let lower = body.to_ascii_lowercase();
        let found = words
            .iter()
            .filter_map(|(word, prefix)| {
                lower
                    .match_indices(word.as_str())
                    .map(|(at, _)| at)
                    .find(|&at| {
                        let before = lower[..at].chars().next_back();
                        let after = lower[at + word.len()..].chars().next();
                        !before.is_some_and(query::is_word_char)
                            && (*prefix || !after.is_some_and(query::is_word_char))
                    })
            })
            .min();
        let first = found.unwrap_or(0);
        let mut start = first.saturating_sub(WINDOW_BEFORE);
        while !body.is_char_boundary(start) {
            start += 1;
        }
        if start > 0 {
            // Begin at a word, not in the middle of one.
            start = body[start..first]
                .find(char::is_whitespace)
                .map_or(start, |space| start + space);
        }
        let mut end = (first + WINDOW_AFTER).min(body.len());
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        Window {
            start,
            end,
            cut_before: start > 0,
            cut_after: end < body.len(),
            found: found.is_some(),
        }
    }

    /// `snippet` with "…" where the window cut the body and FTS5 did not already say so.
    fn ellipses(self, mut snippet: String) -> String {
        if snippet.is_empty() {
            return snippet;
        }
        if self.cut_before && !snippet.starts_with('…') {
            snippet.insert(0, '…');
        }
        if self.cut_after && !snippet.ends_with('…') {
            snippet.push('…');
        }
        snippet
    }
}

/// Mail text with the two mark characters replaced, so only search can mark words.
fn unmarked(text: &str) -> String {
    text.replace([MARK_START, MARK_END], "\u{FFFD}")
}

/// Whitespace runs (line breaks too) as one space: a snippet is one line of the result list.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The start of a text, for hits without words to show around (operators alone).
fn opening(text: &str) -> String {
    let words: Vec<&str> = text
        .split_whitespace()
        .take(SNIPPET_WORDS as usize + 1)
        .collect();
    let mut opening = words[..words.len().min(SNIPPET_WORDS as usize)].join(" ");
    if words.len() > SNIPPET_WORDS as usize {
        opening.push('…');
    }
    opening
}

impl Error {
    /// SQLite stopped the statement because the progress callback asked it to.
    fn interrupted(&self) -> bool {
        use std::error::Error as _;
        let mut source = self.source();
        while let Some(error) = source {
            if let Some(sqlite) = error.downcast_ref::<rusqlite::Error>() {
                return sqlite.sqlite_error_code() == Some(ErrorCode::OperationInterrupted);
            }
            source = error.source();
        }
        false
    }
}

#[cfg(test)]
mod tests;
