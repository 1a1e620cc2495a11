//! One POP3 fetch for one account (DESIGN.md §4): connect, log in, list, download what is not
//! stored yet, commit each message, and only then — in delete mode — DELE it. QUIT commits the
//! deletions; a session that dies before QUIT deletes nothing (RFC 1939 §6), so the next fetch
//! issues DELE again for messages already stored but still on the server.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::account::{Account, Pop3Mode};
use crate::error::Result;
use crate::mime;
use crate::pop3::{Pop3Session, Timeouts};
use crate::store::{now_unix, MessageSummary, NewMessage, Store};

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

/// Downloaded messages not yet committed: (message number, UIDL, raw bytes).
type Batch = Vec<(u32, String, Vec<u8>)>;

/// A batch being committed on the blocking pool while the next one downloads.
struct Commit {
    numbers: Vec<(u32, String)>,
    task: tokio::task::JoinHandle<Result<Vec<Option<MessageSummary>>>>,
}

fn commit(store: &Arc<Store>, account_id: i64, batch: Batch) -> Commit {
    let numbers = batch
        .iter()
        .map(|(number, uidl, _)| (*number, uidl.clone()))
        .collect();
    let store = Arc::clone(store);
    let task = tokio::task::spawn_blocking(move || {
        let envelopes: Vec<mime::Envelope> = batch
            .iter()
            .map(|(_, _, raw)| mime::envelope(raw))
            .collect();
        let messages: Vec<NewMessage<'_>> = batch
            .iter()
            .zip(&envelopes)
            .map(|((_, uidl, raw), envelope)| NewMessage {
                account_id,
                uidl,
                raw,
                envelope,
            })
            .collect();
        store.insert_downloaded(&messages)
    });
    Commit { numbers, task }
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
    let tls = crate::tls::client_config(settings.trusted_certificate.as_ref())?;
    let mut session = Pop3Session::connect(&settings.pop3, tls, timeouts).await?;
    session.login(&settings.pop3.username, password).await?;

    let on_server = session.uidl_all().await?;
    let sizes: HashMap<u32, u64> = session.list_all().await?.into_iter().collect();
    let stored = {
        let store = Arc::clone(&store);
        let account_id = account.id;
        tokio::task::spawn_blocking(move || store.stored_uidls(account_id)).await??
    };

    let wanted: Vec<&(u32, String)> = on_server
        .iter()
        .filter(|(_, uidl)| !stored.contains_key(uidl))
        .collect();
    let total = u32::try_from(wanted.len()).unwrap_or(u32::MAX);
    let bytes_total: u64 = wanted
        .iter()
        .filter_map(|(number, _)| sizes.get(number))
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

    // The loop asks for exactly these, in this order: the session can ask ahead (PIPELINING).
    run.session.plan_retrs(
        wanted
            .iter()
            .map(|(number, _)| (*number, sizes.get(number).copied().unwrap_or(0))),
    );
    let mut batch: Batch = Vec::new();
    let mut batch_bytes = 0;
    let mut pending: Option<Commit> = None;
    for (number, uidl) in wanted {
        if cancel.is_cancelled() {
            run.fetched.cancelled = true;
            break;
        }
        let size = sizes.get(number).copied().unwrap_or(0);
        let downloaded = tokio::select! {
            result = run.session.retr(*number, size) => Some(result),
            () = cancel.cancelled() => None,
        };
        let failure = match downloaded {
            Some(Ok(raw)) => {
                step.bytes_done += raw.len() as u64;
                batch_bytes += raw.len();
                batch.push((*number, uidl.clone(), raw));
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
    // delete mode every one (its QUIT never took effect), in keep mode those past their days.
    let expired_before = settings
        .keep_days
        .map(|days| now_unix() - i64::from(days) * 86_400);
    let cleanup = if run.fetched.cancelled {
        &[][..]
    } else {
        &on_server[..]
    };
    for (number, uidl) in cleanup {
        let Some(state) = stored.get(uidl) else {
            continue;
        };
        let expired = expired_before.is_some_and(|cutoff| state.stored_at <= cutoff);
        if delete || expired {
            run.session.dele(*number).await?;
            run.deleted.push(uidl.clone());
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
            for (number, uidl) in commit.numbers {
                self.session.dele(number).await?;
                self.deleted.push(uidl);
            }
        }
        Ok(())
    }
}
