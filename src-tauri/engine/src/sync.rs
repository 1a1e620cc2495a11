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

/// "n of N" while a fetch runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FetchProgress {
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub account_id: i64,
    pub current: u32,
    pub total: u32,
}

/// The result of one fetch: the messages it stored, newest last.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    pub account_id: i64,
    pub new_messages: Vec<MessageSummary>,
    /// Messages removed from the server by this session's QUIT.
    pub deleted_on_server: usize,
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
    let delete = settings.pop3_mode == Pop3Mode::DeleteAfterDownload;
    let mut run = Run {
        session: &mut session,
        delete,
        fetched: Fetched::default(),
        deleted: Vec::new(),
    };
    run.fetched.account_id = account.id;
    progress(FetchProgress {
        account_id: account.id,
        current: 0,
        total,
    });

    let mut batch: Batch = Vec::new();
    let mut batch_bytes = 0;
    let mut pending: Option<Commit> = None;
    for (done, (number, uidl)) in wanted.into_iter().enumerate() {
        let size = sizes.get(number).copied().unwrap_or(0);
        let raw = match run.session.retr(*number, size).await {
            Ok(raw) => raw,
            Err(error) => {
                // Keep what already arrived; the broken session deletes nothing more.
                run.delete = false;
                run.finish(pending.take()).await?;
                run.finish(Some(commit(&store, account.id, batch))).await?;
                return Err(error);
            }
        };
        batch_bytes += raw.len();
        batch.push((*number, uidl.clone(), raw));
        if batch.len() >= BATCH_MESSAGES || batch_bytes >= BATCH_BYTES {
            run.finish(pending.take()).await?;
            pending = Some(commit(&store, account.id, std::mem::take(&mut batch)));
            batch_bytes = 0;
        }
        let current = u32::try_from(done + 1).unwrap_or(u32::MAX);
        progress(FetchProgress {
            account_id: account.id,
            current,
            total,
        });
    }
    run.finish(pending.take()).await?;
    run.finish(Some(commit(&store, account.id, batch))).await?;

    // Messages stored by an earlier session that the policy now removes from the server: in
    // delete mode every one (its QUIT never took effect), in keep mode those past their days.
    let expired_before = settings
        .keep_days
        .map(|days| now_unix() - i64::from(days) * 86_400);
    for (number, uidl) in &on_server {
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
