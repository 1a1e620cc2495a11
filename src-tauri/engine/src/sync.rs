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
use crate::store::{MessageSummary, NewMessage, Store};

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
    let mut fetched = Fetched {
        account_id: account.id,
        ..Fetched::default()
    };
    let mut deleted = Vec::new();
    progress(FetchProgress {
        account_id: account.id,
        current: 0,
        total,
    });

    for (done, (number, uidl)) in wanted.into_iter().enumerate() {
        let size = sizes.get(number).copied().unwrap_or(0);
        let raw = session.retr(*number, size).await?;
        let summary = store_message(Arc::clone(&store), account.id, uidl.clone(), raw).await?;
        // The bytes are committed: only now may the server forget the message.
        if delete {
            session.dele(*number).await?;
            deleted.push(uidl.clone());
        }
        fetched.new_messages.extend(summary);
        let current = u32::try_from(done + 1).unwrap_or(u32::MAX);
        progress(FetchProgress {
            account_id: account.id,
            current,
            total,
        });
    }

    if delete {
        // Stored by an earlier session that ended before its QUIT took effect.
        for (number, uidl) in &on_server {
            if stored.contains_key(uidl) {
                session.dele(*number).await?;
                deleted.push(uidl.clone());
            }
        }
    }
    session.quit().await?;

    if !deleted.is_empty() {
        fetched.deleted_on_server = deleted.len();
        let account_id = account.id;
        tokio::task::spawn_blocking(move || store.mark_deleted_on_server(account_id, &deleted))
            .await??;
    }
    Ok(fetched)
}

async fn store_message(
    store: Arc<Store>,
    account_id: i64,
    uidl: String,
    raw: Vec<u8>,
) -> Result<Option<MessageSummary>> {
    tokio::task::spawn_blocking(move || {
        let envelope = mime::envelope(&raw);
        store.insert_downloaded(&NewMessage {
            account_id,
            uidl: &uidl,
            raw: &raw,
            envelope: &envelope,
        })
    })
    .await?
}
