//! One POP3 fetch for one account (DESIGN.md §4): connect, log in, list, download what is not
//! stored yet, commit each message, and only then — in delete mode — DELE it. QUIT commits the
//! deletions; a session that dies before QUIT deletes nothing (RFC 1939 §6), so the next fetch
//! issues DELE again for messages already stored but still on the server.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::account::{Account, AccountSettings, Pop3Mode};
use crate::error::{Error, ErrorKind, ErrorReason, Result};
use crate::mime;
use crate::pop3::{Pop3Session, Timeouts};
use crate::store::{now_unix, MessageSummary, NewMessage, Store, UidlState};

/// "n of N" (and bytes) while a fetch runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FetchProgress {
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub account_id: i64,
    pub current: u32,
    pub total: u32,
    /// Octets downloaded so far, of `bytes_total` (the server's LIST sizes).
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub bytes_done: u64,
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub bytes_total: u64,
    /// Messages committed to the store so far: listable before the fetch ends.
    pub stored: u32,
}

/// The user's Cancel for one running fetch. Checked between messages and raced against each
/// RETR; a fetch cancelled mid-message drops its connection, which deletes nothing on the
/// server (RFC 1939 §6).
#[derive(Clone)]
pub struct Cancel(tokio::sync::watch::Receiver<bool>);

impl Cancel {
    pub fn new(receiver: tokio::sync::watch::Receiver<bool>) -> Cancel {
        Cancel(receiver)
    }

    /// A fetch nobody can cancel (the CLI's `fetch`, tests).
    pub fn never() -> Cancel {
        Cancel(tokio::sync::watch::channel(false).1)
    }

    fn is_cancelled(&self) -> bool {
        *self.0.borrow()
    }

    async fn cancelled(&mut self) {
        if self.0.wait_for(|cancelled| *cancelled).await.is_err() {
            // The sender is gone: nobody can cancel any more.
            std::future::pending::<()>().await;
        }
    }
}

/// The result of one fetch: the messages it stored, newest last.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    pub account_id: i64,
    pub new_messages: Vec<MessageSummary>,
    /// Messages removed from the server by this session's QUIT.
    pub deleted_on_server: usize,
    /// The user cancelled; what was committed stays, the rest comes next time.
    pub cancelled: bool,
}

/// Messages downloaded and committed together. Each commit is one fsync, so batching is what
/// lets a fetch keep up with the network; the batch stays small enough that a crash costs
/// little re-download.
const BATCH_MESSAGES: usize = 64;
const BATCH_BYTES: usize = 8 * 1024 * 1024;

/// Body lines kept of a message too big to download whole: enough to see what it is about.
const PREVIEW_LINES: u32 = 40;

/// One message downloaded and not yet committed.
struct Downloaded {
    number: u32,
    uidl: String,
    raw: Vec<u8>,
    /// `Some(size on the server)` when `raw` is only the message's start.
    partial_of: Option<u64>,
}

/// A batch being committed on the blocking pool while the next one downloads.
struct Commit {
    /// (message number, UIDL, partly downloaded) of each message in the batch.
    numbers: Vec<(u32, String, bool)>,
    task: tokio::task::JoinHandle<Result<Vec<Option<MessageSummary>>>>,
}

fn commit(store: &Arc<Store>, account_id: i64, batch: Vec<Downloaded>) -> Commit {
    let numbers = batch
        .iter()
        .map(|message| {
            (
                message.number,
                message.uidl.clone(),
                message.partial_of.is_some(),
            )
        })
        .collect();
    let store = Arc::clone(store);
    let task = tokio::task::spawn_blocking(move || {
        let envelopes: Vec<mime::Envelope> = batch
            .iter()
            .map(|message| mime::envelope(&message.raw))
            .collect();
        let messages: Vec<NewMessage<'_>> = batch
            .iter()
            .zip(&envelopes)
            .map(|(message, envelope)| NewMessage {
                account_id,
                uidl: &message.uidl,
                raw: &message.raw,
                envelope,
                partial_of: message.partial_of,
            })
            .collect();
        store.insert_downloaded(&messages)
    });
    Commit { numbers, task }
}

/// How much of a message to download, by the account's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Portion {
    Whole,
    /// Headers and this many body lines (TOP).
    Start(u32),
}

fn portion(settings: &AccountSettings, size: u64) -> Portion {
    if settings.headers_only {
        return Portion::Start(0);
    }
    match settings.max_message_kib {
        Some(kib) if size > u64::from(kib) * 1024 => Portion::Start(PREVIEW_LINES),
        _ => Portion::Whole,
    }
}

/// Downloads `portion` of message `number`. A server that refuses TOP (it is optional) sends
/// the whole message instead, as Thunderbird does; so does a message no longer than its start.
async fn download(
    session: &mut Pop3Session,
    number: u32,
    size: u64,
    portion: Portion,
) -> Result<(Vec<u8>, Option<u64>)> {
    if let Portion::Start(lines) = portion {
        if let Some(start) = session.top(number, lines, size).await? {
            // Whole only when the server sent fewer body lines than asked for and as many bytes
            // as LIST announced: a LIST size that is wrong (servers count LF or estimate) must
            // never turn a message's start into "the whole message", which delete mode removes.
            let whole =
                size > 0 && start.len() as u64 >= size && body_lines(&start) < lines as usize;
            return Ok((start, (!whole).then_some(size)));
        }
    }
    Ok((session.retr(number, size).await?, None))
}

/// Lines after the header block (which ends at the first empty line).
fn body_lines(message: &[u8]) -> usize {
    let body_start = message
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map(|at| at + 4)
        .or_else(|| {
            message
                .windows(2)
                .position(|window| window == b"\n\n")
                .map(|at| at + 2)
        });
    let Some(body_start) = body_start else {
        return 0;
    };
    let body = &message[body_start..];
    body.iter().filter(|&&byte| byte == b'\n').count()
        + usize::from(!body.ends_with(b"\n") && !body.is_empty())
}

/// How this session tells the server's messages apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Naming {
    /// The server's UIDLs (RFC 1939 §7): the normal case.
    Uidl,
    /// No UIDL, keep modes: a digest of each message's headers, from TOP n 0. Delivery adds
    /// `Received` lines and a Message-ID, so different messages with identical header blocks
    /// do not occur in practice; where they do, nothing is deleted by a digest that more than
    /// one message on the server has, so the worst case leaves a message on the server.
    HeaderDigest,
    /// No UIDL, delete mode: a digest of the whole message, known after RETR. Every message is
    /// downloaded; one stored by a session that died before QUIT is recognised by its bytes, so
    /// it is deleted and never stored twice — and nothing is deleted that is not stored.
    ContentDigest,
}

const HEADER_DIGEST: &str = "dakiya-headers-sha256:";
const CONTENT_DIGEST: &str = "dakiya-content-sha256:";

fn digest_id(prefix: &str, bytes: &[u8]) -> String {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(bytes);
    let mut id = String::with_capacity(prefix.len() + 64);
    id.push_str(prefix);
    for byte in hash {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

fn header_digest(headers: &[u8]) -> String {
    digest_id(HEADER_DIGEST, headers)
}

fn content_digest(raw: &[u8]) -> String {
    digest_id(CONTENT_DIGEST, raw)
}

/// (message number, id) of every message on the server, and how the ids were made. An id of
/// `None` is known only after download ([`Naming::ContentDigest`]).
///
/// The naming follows what the account's store already holds, so a message is never known
/// under two names (which would download it again): an account named by header digests stays
/// so, and one named by the server's UIDLs refuses to go on when UIDL disappears.
async fn name_messages(
    session: &mut Pop3Session,
    sizes: &HashMap<u32, u64>,
    settings: &AccountSettings,
    stored: &HashMap<String, UidlState>,
) -> Result<(Vec<(u32, Option<String>)>, Naming)> {
    let host = &settings.pop3.host;
    let keep = settings.pop3_mode == Pop3Mode::KeepOnServer;
    let by_headers = stored.keys().any(|id| id.starts_with(HEADER_DIGEST));
    if !(keep && by_headers) {
        if let Some(listing) = session.uidl_all().await? {
            let named = listing
                .into_iter()
                .map(|(number, uidl)| (number, Some(uidl)))
                .collect();
            return Ok((named, Naming::Uidl));
        }
        let by_server = stored
            .keys()
            .any(|id| !id.starts_with(HEADER_DIGEST) && !id.starts_with(CONTENT_DIGEST));
        if by_server {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "the POP3 server {host} no longer answers UIDL, so Dakiya cannot tell which \
                     messages it already has; it downloads nothing rather than guess"
                ),
            ));
        }
    }
    let mut numbers: Vec<u32> = sizes.keys().copied().collect();
    numbers.sort_unstable();
    if !keep {
        if settings.headers_only || settings.max_message_kib.is_some() {
            return Err(no_unique_ids(format!(
                "the POP3 server {host} does not support UIDL, so a partly downloaded message \
                 could not be found again: in delete mode, headers only and a size limit are \
                 impossible with it"
            )));
        }
        let named = numbers.into_iter().map(|number| (number, None)).collect();
        return Ok((named, Naming::ContentDigest));
    }
    let mut named = Vec::with_capacity(numbers.len());
    for number in numbers {
        let size = sizes.get(&number).copied().unwrap_or(0);
        match session.top(number, 0, size).await? {
            Some(headers) => named.push((number, Some(header_digest(&headers)))),
            None => {
                return Err(no_unique_ids(format!(
                    "the POP3 server {host} supports neither UIDL nor TOP, so Dakiya cannot tell \
                     which messages it already has: keeping messages on the server is impossible \
                     with it; choose “delete after download”"
                )))
            }
        }
    }
    Ok((named, Naming::HeaderDigest))
}

fn no_unique_ids(message: String) -> Error {
    Error::new(ErrorKind::Config, message).with_reason(ErrorReason::NoUniqueIds)
}

/// What the store holds of this account's server, read on the blocking pool.
async fn stored_uidls(store: &Arc<Store>, account_id: i64) -> Result<HashMap<String, UidlState>> {
    let store = Arc::clone(store);
    tokio::task::spawn_blocking(move || store.stored_uidls(account_id)).await?
}

async fn open_session(
    account: &Account,
    password: &str,
    timeouts: Timeouts,
) -> Result<Pop3Session> {
    let settings = &account.settings;
    let tls = crate::tls::client_config(settings.trusted_certificate.as_ref())?;
    let mut session = Pop3Session::connect(&settings.pop3, tls, timeouts).await?;
    session.login(&settings.pop3.username, password).await?;
    Ok(session)
}

pub async fn fetch(
    store: Arc<Store>,
    account: &Account,
    password: &str,
    timeouts: Timeouts,
    mut cancel: Cancel,
    progress: &(dyn Fn(FetchProgress) + Send + Sync),
) -> Result<Fetched> {
    let settings = &account.settings;
    let mut session = open_session(account, password, timeouts).await?;

    let sizes: HashMap<u32, u64> = session.list_all().await?.into_iter().collect();
    let stored = stored_uidls(&store, account.id).await?;
    let (on_server, naming) = name_messages(&mut session, &sizes, settings, &stored).await?;
    if naming != Naming::Uidl {
        tracing::info!(
            account = account.id,
            ?naming,
            "POP3: no UIDL; naming messages by digest"
        );
    }
    // How many messages on the server carry each id: a digest that two carry deletes neither.
    let mut carriers: HashMap<&str, usize> = HashMap::new();
    for id in on_server.iter().filter_map(|(_, id)| id.as_deref()) {
        *carriers.entry(id).or_default() += 1;
    }

    let wanted: Vec<&(u32, Option<String>)> = on_server
        .iter()
        .filter(|(_, uidl)| uidl.as_ref().is_none_or(|uidl| !stored.contains_key(uidl)))
        .collect();
    let total = u32::try_from(wanted.len()).unwrap_or(u32::MAX);
    let bytes_total: u64 = wanted
        .iter()
        .filter_map(|(number, _)| sizes.get(number))
        .filter(|&&size| portion(settings, size) == Portion::Whole)
        .sum();
    let delete = settings.pop3_mode == Pop3Mode::DeleteAfterDownload;
    let mut run = Run {
        session: &mut session,
        delete,
        fetched: Fetched::default(),
        deleted: Vec::new(),
    };
    run.fetched.account_id = account.id;
    let mut step = FetchProgress {
        account_id: account.id,
        current: 0,
        total,
        bytes_done: 0,
        bytes_total,
        stored: 0,
    };
    progress(step);

    // The loop RETRs exactly these, in this order (the others get TOP): the session can ask
    // ahead (PIPELINING).
    run.session
        .plan_retrs(wanted.iter().filter_map(|(number, _)| {
            let size = sizes.get(number).copied().unwrap_or(0);
            (portion(settings, size) == Portion::Whole).then_some((*number, size))
        }));
    let mut batch: Vec<Downloaded> = Vec::new();
    let mut batch_bytes = 0;
    let mut pending: Option<Commit> = None;
    for (number, uidl) in wanted {
        if cancel.is_cancelled() {
            run.fetched.cancelled = true;
            break;
        }
        let size = sizes.get(number).copied().unwrap_or(0);
        let portion = portion(settings, size);
        let downloaded = tokio::select! {
            result = download(run.session, *number, size, portion) => Some(result),
            () = cancel.cancelled() => None,
        };
        let failure = match downloaded {
            Some(Ok((raw, partial_of))) => {
                if partial_of.is_none() && portion == Portion::Whole {
                    step.bytes_done += raw.len() as u64;
                }
                batch_bytes += raw.len();
                let uidl = uidl.clone().unwrap_or_else(|| content_digest(&raw));
                batch.push(Downloaded {
                    number: *number,
                    uidl,
                    raw,
                    partial_of,
                });
                None
            }
            Some(Err(error)) => Some(Err(error)),
            None => Some(Ok(())),
        };
        if let Some(outcome) = failure {
            // Keep what already arrived; a broken or abandoned session deletes nothing more
            // and is dropped without QUIT.
            run.delete = false;
            run.finish(pending.take()).await?;
            run.finish(Some(commit(&store, account.id, batch))).await?;
            outcome?;
            run.fetched.cancelled = true;
            return Ok(run.fetched);
        }
        if batch.len() >= BATCH_MESSAGES || batch_bytes >= BATCH_BYTES {
            run.finish(pending.take()).await?;
            pending = Some(commit(&store, account.id, std::mem::take(&mut batch)));
            batch_bytes = 0;
        }
        step.current = step.current.saturating_add(1);
        step.stored = u32::try_from(run.fetched.new_messages.len()).unwrap_or(u32::MAX);
        progress(step);
    }
    run.finish(pending.take()).await?;
    run.finish(Some(commit(&store, account.id, batch))).await?;

    // Messages stored by an earlier session that the policy now removes from the server: in
    // delete mode every whole one (its QUIT never took effect), in keep mode those past their
    // days, and those the user deleted here when the account says so. A partly downloaded
    // message leaves the server only by the user's own delete: its body exists nowhere else.
    let expired_before = settings
        .keep_days
        .map(|days| now_unix() - i64::from(days) * 86_400);
    let cleanup = if run.fetched.cancelled {
        &[][..]
    } else {
        &on_server[..]
    };
    for (number, uidl) in cleanup {
        let Some(state) = uidl.as_ref().and_then(|uidl| stored.get(uidl)) else {
            continue;
        };
        let expired = expired_before.is_some_and(|cutoff| state.stored_at <= cutoff);
        let deleted_here = state.deleted_here && (delete || settings.delete_when_deleted_here);
        let remove = deleted_here || (!state.partial && (delete || expired));
        let ambiguous = uidl
            .as_deref()
            .is_some_and(|id| carriers.get(id).copied().unwrap_or(0) > 1);
        if remove && !ambiguous && !run.session.is_marked_deleted(*number) {
            run.session.dele(*number).await?;
            if let Some(uidl) = uidl {
                run.deleted.push(uidl.clone());
            }
        }
    }
    let Run {
        fetched: mut result,
        deleted,
        ..
    } = run;
    session.quit().await?;

    if !deleted.is_empty() {
        result.deleted_on_server = deleted.len();
        let account_id = account.id;
        tokio::task::spawn_blocking(move || store.mark_deleted_on_server(account_id, &deleted))
            .await??;
    }
    Ok(result)
}

/// Downloads the whole of a message that arrived partly (headers only, or over the size
/// limit) and replaces its stored start in one transaction. In delete mode it then leaves the
/// server, like any message stored whole.
pub async fn download_whole(
    store: Arc<Store>,
    account: &Account,
    password: &str,
    timeouts: Timeouts,
    message_id: i64,
    uidl: &str,
) -> Result<()> {
    let settings = &account.settings;
    let mut session = open_session(account, password, timeouts).await?;
    let sizes: HashMap<u32, u64> = session.list_all().await?.into_iter().collect();
    let stored = stored_uidls(&store, account.id).await?;
    let (on_server, _) = name_messages(&mut session, &sizes, settings, &stored).await?;
    let Some(number) = on_server
        .iter()
        .find(|(_, id)| id.as_deref() == Some(uidl))
        .map(|(number, _)| *number)
    else {
        session.quit().await?;
        return Err(Error::new(
            ErrorKind::NotFound,
            "the message is no longer on the POP3 server, so only its start can be shown",
        )
        .with_reason(ErrorReason::GoneFromServer));
    };
    let size = sizes.get(&number).copied().unwrap_or(0);
    let raw = session.retr(number, size).await?;
    {
        let store = Arc::clone(&store);
        tokio::task::spawn_blocking(move || {
            let envelope = mime::envelope(&raw);
            store.complete_partial(message_id, &raw, &envelope)
        })
        .await??;
    }
    let delete = settings.pop3_mode == Pop3Mode::DeleteAfterDownload;
    if delete {
        session.dele(number).await?;
    }
    session.quit().await?;
    if delete {
        let account_id = account.id;
        let deleted = vec![uidl.to_owned()];
        tokio::task::spawn_blocking(move || store.mark_deleted_on_server(account_id, &deleted))
            .await??;
    }
    Ok(())
}

/// The state of one fetch between batches.
struct Run<'s> {
    session: &'s mut Pop3Session,
    delete: bool,
    fetched: Fetched,
    deleted: Vec<String>,
}

impl Run<'_> {
    /// Waits for a batch's commit; only then, in delete mode, asks the server to delete it.
    async fn finish(&mut self, commit: Option<Commit>) -> Result<()> {
        let Some(commit) = commit else { return Ok(()) };
        if commit.numbers.is_empty() {
            return Ok(());
        }
        let summaries = commit.task.await??;
        self.fetched
            .new_messages
            .extend(summaries.into_iter().flatten());
        if self.delete {
            // A partly downloaded message stays: its body exists only on the server.
            for (number, uidl, partial) in commit.numbers {
                if !partial {
                    self.session.dele(number).await?;
                    self.deleted.push(uidl);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::body_lines;

    #[test]
    fn body_lines_count_what_follows_the_headers() {
        assert_eq!(body_lines(b"Subject: x\r\n\r\n"), 0);
        assert_eq!(body_lines(b"Subject: x\r\n\r\none\r\ntwo\r\n"), 2);
        assert_eq!(body_lines(b"Subject: x\r\n\r\none\r\nno end"), 2);
        assert_eq!(body_lines(b"Subject: x\n\nbare lf\n"), 1);
        assert_eq!(body_lines(b"Subject: no blank line\r\n"), 0);
    }
}
