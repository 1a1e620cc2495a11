//! The facade the shell and the CLI call: one method per user action, each async, each
//! returning a typed [`Error`]. Blocking SQLite work runs on tokio's blocking pool.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

mod attachments;
mod compose;
mod desktop;
mod organise;

pub use compose::ComposeStart;
pub use desktop::{DesktopSettings, Theme};
pub use organise::ViewSettings;

use crate::account::secrets::{PasswordStore, Server};
use crate::account::{Account, AccountSettings, Passwords};
use crate::error::{Error, ErrorInfo, ErrorKind, Result};
use crate::events::{EngineEvent, FetchFailure, FetchReport};
use crate::mime::{self, OutgoingMessage};
use crate::pop3::{Pop3Session, Timeouts};
use crate::store::{MessageSummary, SearchHit, Store};
use crate::sync::{self, FetchProgress, Fetched};

/// The environment variable that moves all of Dakiya's data (tests, benchmarks, portable use).
pub const DATA_DIR_ENV: &str = "DAKIYA_DATA_DIR";
const STORE_FILE: &str = "mail.sqlite3";
const LANGUAGE_KEY: &str = "language";
const UNDO_SEND_KEY: &str = "undo_send_seconds";
/// Gmail's and Thunderbird's add-ons' default: long enough to notice a mistake.
const DEFAULT_UNDO_SEND_SECONDS: u32 = 10;
const MAX_UNDO_SEND_SECONDS: u32 = 120;

/// What "Send" started: sent at once (no undo delay), or waiting for "Undo" until `send_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum SendStarted {
    Sent(SendReport),
    #[serde(rename_all = "camelCase")]
    Undoable {
        #[cfg_attr(feature = "bindings", ts(type = "number"))]
        outbox_id: i64,
        message_id: String,
        #[cfg_attr(feature = "bindings", ts(type = "number"))]
        send_at: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Language {
    #[default]
    En,
    Hi,
}

/// Whether the passwords may go to the OS keyring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordStorage {
    /// The Secret Service when one answers, else memory for this session.
    KeyringIfAvailable,
    MemoryOnly,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CheckOutcome {
    pub ok: bool,
    pub error: Option<ErrorInfo>,
}

impl CheckOutcome {
    fn from_result(result: Result<()>) -> Self {
        match result {
            Ok(()) => CheckOutcome {
                ok: true,
                error: None,
            },
            Err(error) => CheckOutcome {
                ok: false,
                error: Some(ErrorInfo::from(&error)),
            },
        }
    }
}

/// What "Test connection" found, per server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ConnectionReport {
    pub pop3: CheckOutcome,
    pub smtp: CheckOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SendReport {
    /// The Message-ID header's value, without angle brackets.
    pub message_id: String,
    pub outcome: SendOutcome,
}

/// What became of a message handed to the server. It is in the outbox (durable) before any of
/// these is decided, so none of them loses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum SendOutcome {
    /// The server accepted it; its exact bytes are under Sent.
    Sent,
    /// A passing failure (network, timeout, 4xx): tried again automatically at `retry_at`.
    #[serde(rename_all = "camelCase")]
    WillRetry {
        #[cfg_attr(feature = "bindings", ts(type = "number"))]
        retry_at: i64,
        error: ErrorInfo,
    },
    /// Refused for good (5xx) or the account needs the user (password, settings): it waits
    /// in the outbox for "Send now".
    Held { error: ErrorInfo },
}

/// Everything the message view shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct MessageDetail {
    pub summary: MessageSummary,
    pub to: String,
    pub cc: String,
    /// The readable text, also for HTML mail (HTML converted), for a plain-text view.
    pub text_body: Option<String>,
    /// The HTML part(s), sanitised; `None` without an HTML part.
    pub sanitized_html: Option<String>,
    /// Something was left out of the HTML: remote images (see `open_message_with_remote`)
    /// or an inline image too big to embed.
    pub remote_content_blocked: bool,
    pub attachments: Vec<mime::AttachmentInfo>,
    /// The message could not be parsed: `text_body` is its raw source.
    pub parse_failed: bool,
}

pub struct Engine {
    data_dir: PathBuf,
    store: Arc<Store>,
    passwords: PasswordStore,
    /// One fetch per account at a time: a second request waits for the first.
    fetch_locks: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
    pop3_timeouts: Timeouts,
    smtp_timeout: std::time::Duration,
    events: tokio::sync::broadcast::Sender<EngineEvent>,
    /// The Cancel switch of each account's running fetch.
    cancels: Mutex<HashMap<i64, tokio::sync::watch::Sender<bool>>>,
    /// How long a "minute" of the check interval lasts (shorter in tests).
    scheduler_minute: std::time::Duration,
    indexer: Arc<crate::indexer::Indexer>,
    /// One sender at a time: a message is never handed to the server by two tasks at once.
    send_lock: tokio::sync::Mutex<()>,
    /// Each account's SMTP size limit, once asked (forgotten when its settings change).
    size_limits: Mutex<HashMap<i64, Option<u64>>>,
}

/// Events kept for a slow listener before the oldest are dropped (progress is the bulk).
const EVENT_BACKLOG: usize = 1024;

/// Where Dakiya keeps its data: `DAKIYA_DATA_DIR` if set, else the XDG data directory.
pub fn default_data_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|dir| !dir.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "dakiya")
        .map(|dirs| dirs.data_dir().to_owned())
        .ok_or_else(|| Error::config("no home directory is known, so there is no place for mail"))
}

impl Engine {
    pub fn open(data_dir: &Path, storage: PasswordStorage) -> Result<Engine> {
        let store = Arc::new(Store::open(&data_dir.join(STORE_FILE))?);
        let indexer = crate::indexer::Indexer::new(Arc::clone(&store));
        // Mail a closed app left unindexed becomes searchable now, not at the next fetch.
        indexer.kick();
        let namespace = data_dir.to_string_lossy();
        let passwords = match storage {
            PasswordStorage::KeyringIfAvailable => PasswordStore::open(&namespace),
            PasswordStorage::MemoryOnly => PasswordStore::memory_only(&namespace),
        };
        Ok(Engine {
            data_dir: data_dir.to_owned(),
            store,
            passwords,
            fetch_locks: Mutex::new(HashMap::new()),
            pop3_timeouts: Timeouts::default(),
            smtp_timeout: crate::smtp::DEFAULT_TIMEOUT,
            events: tokio::sync::broadcast::channel(EVENT_BACKLOG).0,
            cancels: Mutex::new(HashMap::new()),
            scheduler_minute: std::time::Duration::from_secs(60),
            indexer,
            send_lock: tokio::sync::Mutex::new(()),
            size_limits: Mutex::default(),
        })
    }

    /// Shorter deadlines, for tests of stalled servers.
    pub fn set_pop3_timeouts(&mut self, timeouts: Timeouts) {
        self.pop3_timeouts = timeouts;
    }

    /// Every fetch's progress, new mail and failures, whoever started the fetch.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<EngineEvent> {
        self.events.subscribe()
    }

    fn emit(&self, event: EngineEvent) {
        // No listener (the CLI, a test) is not an error.
        let _ = self.events.send(event);
    }

    /// Makes the scheduler's minutes shorter, for tests.
    pub fn set_scheduler_minute(&mut self, minute: std::time::Duration) {
        self.scheduler_minute = minute;
    }

    /// A shorter SMTP deadline, for tests of stalled servers.
    pub fn set_smtp_timeout(&mut self, timeout: std::time::Duration) {
        self.smtp_timeout = timeout;
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn keyring_available(&self) -> bool {
        self.passwords.keyring_available()
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Store) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || work(&store)).await?
    }

    /// A settings group kept as JSON under `key`. Unreadable (written by another version): the
    /// defaults, rather than no window.
    async fn json_setting<T>(&self, key: &'static str) -> Result<T>
    where
        T: serde::de::DeserializeOwned + Default,
    {
        let stored = self.blocking(move |store| store.setting(key)).await?;
        Ok(stored
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default())
    }

    async fn set_json_setting<T: serde::Serialize>(
        &self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        let json = serde_json::to_string(value)
            .map_err(|error| Error::internal(format!("cannot keep the {key} settings: {error}")))?;
        self.blocking(move |store| store.set_setting(key, &json))
            .await
    }

    pub async fn accounts(&self) -> Result<Vec<Account>> {
        self.blocking(Store::accounts).await
    }

    pub async fn account(&self, id: i64) -> Result<Account> {
        self.blocking(move |store| store.account(id)).await
    }

    pub async fn language(&self) -> Result<Language> {
        let stored = self.blocking(|store| store.setting(LANGUAGE_KEY)).await?;
        Ok(match stored.as_deref() {
            Some("hi") => Language::Hi,
            _ => Language::En,
        })
    }

    pub async fn set_language(&self, language: Language) -> Result<()> {
        let code = match language {
            Language::En => "en",
            Language::Hi => "hi",
        };
        self.blocking(move |store| store.set_setting(LANGUAGE_KEY, code))
            .await
    }

    /// Creates (`id = None`) or updates an account. An empty password keeps the stored one.
    pub async fn save_account(
        &self,
        id: Option<i64>,
        settings: AccountSettings,
        passwords: Passwords,
    ) -> Result<Account> {
        let settings = normalised(settings);
        settings.validate()?;
        let account = self
            .blocking(move |store| match id {
                Some(id) => store.update_account(id, &settings),
                None => store.insert_account(&settings),
            })
            .await?;
        self.size_limits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&account.id);
        if !passwords.pop3.is_empty() {
            self.passwords
                .set(account.id, Server::Pop3, &passwords.pop3)?;
        }
        if !passwords.smtp.is_empty() {
            self.passwords
                .set(account.id, Server::Smtp, &passwords.smtp)?;
        }
        Ok(account)
    }

    /// Uses these passwords for this session without saving them (the CLI's environment).
    pub fn remember_passwords(&self, account_id: i64, passwords: &Passwords) -> Result<()> {
        for (server, password) in [
            (Server::Pop3, &passwords.pop3),
            (Server::Smtp, &passwords.smtp),
        ] {
            if !password.is_empty() {
                self.passwords
                    .remember_for_session(account_id, server, password);
            }
        }
        Ok(())
    }

    fn password(&self, account: Option<i64>, server: Server, given: &str) -> Result<String> {
        match account {
            _ if !given.is_empty() => Ok(given.to_owned()),
            Some(id) => self.passwords.get(id, server),
            None => Err(Error::new(ErrorKind::Config, "no password was entered")
                .with_reason(crate::error::ErrorReason::PasswordMissing)),
        }
    }

    /// Finds POP3 and SMTP settings for a new account's address (provider database, the
    /// provider's autoconfig, then guessing), for the user to confirm or edit.
    pub async fn discover_account(&self, email: &str) -> Result<crate::Discovery> {
        crate::account::discover::discover(email, &crate::DiscoveryOptions::default()).await
    }

    /// Logs in to both servers with these (possibly unsaved) settings, and reports each.
    pub async fn test_connection(
        &self,
        id: Option<i64>,
        settings: AccountSettings,
        passwords: Passwords,
    ) -> Result<ConnectionReport> {
        let settings = normalised(settings);
        settings.validate()?;
        let pop3 = async {
            let password = self.password(id, Server::Pop3, &passwords.pop3)?;
            let tls = crate::tls::client_config(settings.trusted_certificate.as_ref())?;
            let mut session =
                Pop3Session::connect(&settings.pop3, tls, self.pop3_timeouts.clone()).await?;
            session.login(&settings.pop3.username, &password).await?;
            session.quit().await
        };
        let smtp = async {
            let password = self.password(id, Server::Smtp, &passwords.smtp)?;
            crate::smtp::check_login(
                &settings.smtp,
                &password,
                settings.trusted_certificate.as_ref(),
                self.smtp_timeout,
            )
            .await
        };
        let (pop3, smtp) = tokio::join!(pop3, smtp);
        Ok(ConnectionReport {
            pop3: CheckOutcome::from_result(pop3),
            smtp: CheckOutcome::from_result(smtp),
        })
    }

    /// Sends a message: builds it, writes it to the outbox (durable from here on), and hands it
    /// to the server at once. An error means nothing was queued (the message could not be
    /// built); every failure after queueing is an outcome, and the message stays in the outbox.
    pub async fn send(&self, account_id: i64, outgoing: OutgoingMessage) -> Result<SendReport> {
        let account = self.account(account_id).await?;
        let built = Arc::new(self.build(&account, &outgoing).await?);
        let _sending = self.send_lock.lock().await;
        let outbox_id = self
            .queue_built(
                account_id,
                Arc::clone(&built),
                &outgoing,
                crate::store::now_unix(),
            )
            .await?;
        let queued = crate::store::QueuedMessage {
            id: outbox_id,
            account_id,
            message_id: built.message_id.clone(),
            raw: built.raw.clone(),
            envelope_from: built.envelope_from.clone(),
            envelope_to: built.envelope_to.clone(),
            attempts: 0,
        };
        let submission = self.open_submission(&account).await;
        let outcome = self.attempt(submission.as_ref(), queued).await?;
        Ok(SendReport {
            message_id: built.message_id.clone(),
            outcome,
        })
    }

    /// Send with a chance to take it back: the message waits in the outbox for the user's
    /// "undo send" delay (a setting, 10 s by default) and is then sent. With no delay it is sent
    /// at once, as by [`Engine::send`].
    pub async fn send_with_undo(
        self: &Arc<Self>,
        account_id: i64,
        outgoing: OutgoingMessage,
    ) -> Result<SendStarted> {
        let delay = self.undo_send_seconds().await?;
        if delay == 0 {
            return Ok(SendStarted::Sent(self.send(account_id, outgoing).await?));
        }
        let send_at = crate::store::now_unix() + i64::from(delay);
        let account = self.account(account_id).await?;
        let built = Arc::new(self.build(&account, &outgoing).await?);
        let outbox_id = self
            .queue_built(account_id, Arc::clone(&built), &outgoing, send_at)
            .await?;
        let engine = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(u64::from(delay))).await;
            // Undone in the meantime: the message is simply no longer due.
            if let Err(error) = engine.flush_outbox(false).await {
                tracing::warn!(error = %error.chain(), "outbox: the delayed send failed");
            }
        });
        Ok(SendStarted::Undoable {
            outbox_id,
            message_id: built.message_id.clone(),
            send_at,
        })
    }

    /// "Undo": takes a message that has not been handed to a server yet out of the outbox and
    /// gives back what the user wrote.
    pub async fn undo_send(&self, outbox_id: i64) -> Result<OutgoingMessage> {
        self.withdraw(outbox_id, false).await
    }

    /// "Edit" in the Outbox: a message held there (refused by the server, or waiting for a
    /// password) goes back to the composer, to be corrected and sent again.
    pub async fn edit_queued(&self, outbox_id: i64) -> Result<OutgoingMessage> {
        self.withdraw(outbox_id, true).await
    }

    async fn withdraw(&self, outbox_id: i64, held_too: bool) -> Result<OutgoingMessage> {
        // Never while a flush is handing messages over: it is either sent or withdrawn, whole.
        let _sending = self.send_lock.lock().await;
        let draft = self
            .blocking(move |store| store.withdraw_outgoing(outbox_id, held_too))
            .await?;
        self.emit(EngineEvent::OutboxChanged);
        let draft = draft.ok_or_else(|| Error::internal("the withdrawn message kept no draft"))?;
        serde_json::from_str(&draft)
            .map_err(|error| Error::internal(format!("the withdrawn draft is unreadable: {error}")))
    }

    /// Seconds a sent message waits for "Undo" (0: none).
    pub async fn undo_send_seconds(&self) -> Result<u32> {
        let stored = self.blocking(|store| store.setting(UNDO_SEND_KEY)).await?;
        Ok(stored
            .and_then(|value| value.parse().ok())
            .unwrap_or(DEFAULT_UNDO_SEND_SECONDS))
    }

    pub async fn set_undo_send_seconds(&self, seconds: u32) -> Result<()> {
        if seconds > MAX_UNDO_SEND_SECONDS {
            return Err(Error::config(format!(
                "undo send waits at most {MAX_UNDO_SEND_SECONDS} seconds"
            )));
        }
        self.blocking(move |store| store.set_setting(UNDO_SEND_KEY, &seconds.to_string()))
            .await
    }

    /// Puts a message in the outbox to be sent at `send_at` (Unix seconds; "send later") or at
    /// the next flush, without contacting the server now. Returns its Message-ID.
    pub async fn queue_message(
        &self,
        account_id: i64,
        outgoing: OutgoingMessage,
        send_at: Option<i64>,
    ) -> Result<String> {
        let account = self.account(account_id).await?;
        let built = Arc::new(self.build(&account, &outgoing).await?);
        let not_before = send_at.unwrap_or_else(crate::store::now_unix);
        self.queue_built(account_id, Arc::clone(&built), &outgoing, not_before)
            .await?;
        Ok(built.message_id.clone())
    }

    async fn queue_built(
        &self,
        account_id: i64,
        built: Arc<mime::BuiltMessage>,
        outgoing: &OutgoingMessage,
        not_before: i64,
    ) -> Result<i64> {
        let draft = serde_json::to_string(outgoing)
            .map_err(|error| Error::internal(format!("cannot keep the draft: {error}")))?;
        let draft_id = outgoing.draft_id;
        let outbox_id = self
            .blocking(move |store| {
                store.queue_outgoing(
                    &crate::store::NewOutgoing {
                        account_id,
                        message_id: &built.message_id,
                        raw: &built.raw,
                        envelope_from: &built.envelope_from,
                        envelope_to: &built.envelope_to,
                        bcc: &built.bcc,
                        subject: &built.subject,
                        to_display: &built.to_display,
                        draft: &draft,
                        draft_id,
                    },
                    not_before,
                )
            })
            .await?;
        self.emit(EngineEvent::OutboxChanged);
        if draft_id.is_some() {
            self.emit(EngineEvent::DraftsChanged);
        }
        Ok(outbox_id)
    }

    /// Sends what is due in the outbox (every message, held ones too, when `everything`: the
    /// user's "Send now"). One flush at a time, so no message is ever handed over twice at once.
    pub async fn flush_outbox(&self, everything: bool) -> Result<Vec<SendReport>> {
        let _sending = self.send_lock.lock().await;
        let now = crate::store::now_unix();
        let due = self
            .blocking(move |store| store.due_outgoing(now, everything))
            .await?;
        let mut reports = Vec::with_capacity(due.len());
        let mut accounts: Vec<Account> = Vec::new();
        for queued in &due {
            if !accounts
                .iter()
                .any(|account| account.id == queued.account_id)
            {
                accounts.push(self.account(queued.account_id).await?);
            }
        }
        // One submission (one connection, one login) per account for the whole flush.
        for account in &accounts {
            let submission = self.open_submission(account).await;
            for queued in due.iter().filter(|queued| queued.account_id == account.id) {
                let message_id = queued.message_id.clone();
                let mut queued = queued.clone();
                let id = queued.id;
                queued.raw = self.blocking(move |store| store.outgoing_raw(id)).await?;
                let outcome = self.attempt(submission.as_ref(), queued).await?;
                reports.push(SendReport {
                    message_id,
                    outcome,
                });
            }
        }
        Ok(reports)
    }

    async fn open_submission<'a>(
        &self,
        account: &'a Account,
    ) -> Result<crate::smtp::Submission<'a>> {
        let password = self.passwords.get(account.id, Server::Smtp)?;
        crate::smtp::Submission::open(&account.settings, &password, self.smtp_timeout).await
    }

    pub async fn outbox(&self) -> Result<Vec<crate::store::OutboxItem>> {
        self.blocking(|store| store.outbox()).await
    }

    /// One attempt for one queued message over `submission` (or the reason there is none);
    /// the outcome is recorded before it is returned.
    async fn attempt(
        &self,
        submission: std::result::Result<&crate::smtp::Submission<'_>, &Error>,
        queued: crate::store::QueuedMessage,
    ) -> Result<SendOutcome> {
        let submitted = match submission {
            Ok(submission) => {
                submission
                    .submit(&queued.envelope_from, &queued.envelope_to, &queued.raw)
                    .await
            }
            Err(error) => Err(Error::new(error.kind(), error.message().to_owned())
                .with_reason_opt(error.reason().cloned())),
        };
        let outbox_id = queued.id;
        let outcome = match submitted {
            Ok(()) => {
                let raw = queued.raw;
                self.blocking(move |store| {
                    let envelope = mime::envelope(&raw);
                    store.mark_sent(outbox_id, &envelope)
                })
                .await?;
                self.indexer.kick();
                SendOutcome::Sent
            }
            Err(error) => {
                let info = ErrorInfo::from(&error);
                tracing::info!(outbox_id, error = %error.chain(), "SMTP: not sent yet");
                let retry_at = error
                    .is_transient()
                    .then(|| crate::store::now_unix() + retry_delay(queued.attempts + 1));
                let recorded = info.clone();
                self.blocking(move |store| {
                    store.mark_attempt_failed(outbox_id, &recorded, retry_at)
                })
                .await?;
                match retry_at {
                    Some(retry_at) => SendOutcome::WillRetry {
                        retry_at,
                        error: info,
                    },
                    None => SendOutcome::Held { error: info },
                }
            }
        };
        self.emit(EngineEvent::OutboxChanged);
        Ok(outcome)
    }

    fn fetch_lock(&self, account_id: i64) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .fetch_locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(locks.entry(account_id).or_default())
    }

    /// Downloads new mail for one account into the store, reporting to `progress` and to every
    /// subscriber.
    pub async fn fetch(
        &self,
        account_id: i64,
        progress: &(dyn Fn(FetchProgress) + Send + Sync),
    ) -> Result<Fetched> {
        let lock = self.fetch_lock(account_id);
        let _running = lock.lock().await;
        let (cancel_switch, cancel) = tokio::sync::watch::channel(false);
        self.cancels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(account_id, cancel_switch);
        let report_progress = |step: FetchProgress| {
            progress(step);
            self.emit(EngineEvent::FetchProgress(step));
        };
        let result = async {
            let account = self.account(account_id).await?;
            let password = self.passwords.get(account_id, Server::Pop3)?;
            let timeouts = self.pop3_timeouts.clone();
            let cancel = sync::Cancel::new(cancel);
            let store = Arc::clone(&self.store);
            sync::fetch(
                store,
                &account,
                &password,
                timeouts,
                cancel,
                &report_progress,
            )
            .await
        }
        .await;
        self.cancels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&account_id);
        // Even a failed fetch may have committed mail.
        self.indexer.kick();
        match &result {
            Ok(fetched) => {
                let report = FetchReport::from(fetched);
                if !fetched.new_messages.is_empty() {
                    self.emit(EngineEvent::MailArrived {
                        report,
                        messages: fetched.new_messages.clone(),
                    });
                }
                self.emit(EngineEvent::FetchFinished(report));
            }
            Err(error) => self.emit(EngineEvent::FetchFailed(FetchFailure {
                account_id,
                error: ErrorInfo::from(error),
            })),
        }
        result
    }

    /// Asks the account's running fetch, if any, to stop: what is committed stays (and, in
    /// delete mode, is deleted from the server); the rest comes with the next fetch.
    pub fn cancel_fetch(&self, account_id: i64) {
        if let Some(switch) = self
            .cancels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&account_id)
        {
            let _ = switch.send(true);
        }
    }

    /// Checks each account for mail every `check_interval_minutes` (±10 %, so that many
    /// clients do not knock at the same moment), each check its own POP3 session. Runs until
    /// the engine is dropped; the startup check is the caller's, so the first scheduled check
    /// comes one interval after start.
    pub async fn run_scheduler(self: Arc<Self>) {
        let mut next_check: HashMap<i64, tokio::time::Instant> = HashMap::new();
        let tick = (self.scheduler_minute / 6).max(std::time::Duration::from_millis(10));
        loop {
            // The outbox: what a crash, an outage or a 4xx left behind goes out when due.
            if self.send_lock.try_lock().is_ok() {
                let engine = Arc::clone(&self);
                tokio::spawn(async move {
                    if let Err(error) = engine.flush_outbox(false).await {
                        tracing::warn!(error = %error.chain(), "outbox: flush failed");
                    }
                });
            }
            let now = tokio::time::Instant::now();
            let accounts = self.accounts().await.unwrap_or_default();
            next_check.retain(|id, _| accounts.iter().any(|account| account.id == *id));
            for account in accounts {
                let Some(minutes) = account.settings.check_interval_minutes else {
                    next_check.remove(&account.id);
                    continue;
                };
                let interval = self.scheduler_minute.saturating_mul(minutes);
                let due = *next_check
                    .entry(account.id)
                    .or_insert_with(|| now + jittered(interval));
                if now >= due {
                    next_check.insert(account.id, now + jittered(interval));
                    let engine = Arc::clone(&self);
                    // Failures reach subscribers as FetchFailed; the next check is already set.
                    tokio::spawn(async move { engine.fetch(account.id, &|_| {}).await });
                }
            }
            tokio::time::sleep(tick).await;
        }
    }

    pub async fn list_messages(
        &self,
        folder: crate::store::Folder,
        account_id: Option<i64>,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<MessageSummary>> {
        self.blocking(move |store| store.list_messages(folder, account_id, offset, limit))
            .await
    }

    /// Returns once every message stored so far is in the search index.
    pub async fn wait_until_indexed(&self) {
        self.indexer.kick();
        self.indexer.wait_until_idle().await;
    }

    /// The newest `limit` messages matching `query` (see `store::SearchQuery`), with snippets.
    /// A newer call makes this one fail early with `ErrorReason::Superseded`. Not an `async
    /// fn`: the ticket is taken at the call, so calls are ordered as made, not as polled.
    pub fn search(
        &self,
        query: String,
        limit: u32,
    ) -> impl std::future::Future<Output = Result<Vec<SearchHit>>> + Send + '_ {
        let ticket = self.store.begin_search();
        self.blocking(move |store| store.search_with(ticket, &query, limit))
    }

    pub async fn message_summary(&self, id: i64) -> Result<MessageSummary> {
        self.blocking(move |store| store.message_summary(id)).await
    }

    /// Everything the message view shows; opening a message marks it read. Remote content
    /// stays blocked unless the user chose "always" for this sender.
    pub async fn open_message(&self, id: i64) -> Result<MessageDetail> {
        self.open_message_with(id, false).await
    }

    /// The message view after "Load remote content": http(s) images are kept, nothing that
    /// runs. The user asked for this message; the per-sender choice lives in the store.
    pub async fn open_message_with_remote(&self, id: i64) -> Result<MessageDetail> {
        self.open_message_with(id, true).await
    }

    /// One store visit: the bytes, the row (marked read) and the sender's remote-content choice.
    async fn open_message_with(&self, id: i64, remote_asked_for: bool) -> Result<MessageDetail> {
        self.blocking(move |store| {
            let raw = store.raw_message(id)?;
            store.set_read(id, true)?;
            let summary = store.message_summary(id)?;
            let options = mime::ReadOptions {
                allow_remote_content: remote_asked_for
                    || store.remote_content_allowed(&summary.from_address)?,
            };
            let content = mime::read_message_with(&raw, options);
            Ok(MessageDetail {
                summary,
                to: content.to,
                cc: content.cc,
                text_body: content.text_body,
                sanitized_html: content.sanitized_html,
                remote_content_blocked: content.remote_content_blocked,
                attachments: content.attachments,
                parse_failed: content.parse_failed,
            })
        })
        .await
    }

    /// Downloads the rest of a message that arrived partly (headers only, or over the size
    /// limit), then shows it. Waits for the account's running fetch, if any: one POP3 session
    /// per account at a time.
    pub async fn download_whole(&self, id: i64) -> Result<MessageDetail> {
        let summary = self
            .blocking(move |store| store.message_summary(id))
            .await?;
        if summary.partial {
            let (account_id, uidl) = self.blocking(move |store| store.message_origin(id)).await?;
            let lock = self.fetch_lock(account_id);
            let _running = lock.lock().await;
            // A second request that waited for the first finds the message whole already.
            let still_partial = self
                .blocking(move |store| store.message_summary(id))
                .await?
                .partial;
            if !still_partial {
                return self.open_message(id).await;
            }
            let account = self.account(account_id).await?;
            let password = self.passwords.get(account_id, Server::Pop3)?;
            sync::download_whole(
                Arc::clone(&self.store),
                &account,
                &password,
                self.pop3_timeouts.clone(),
                id,
                &uidl,
            )
            .await?;
            self.indexer.kick();
        }
        self.open_message(id).await
    }

    /// Deletes a message here. Its bytes stay in the store; an account set to "delete from the
    /// server when I delete it here" removes it from the server at its next check.
    pub async fn delete_message(&self, id: i64) -> Result<()> {
        self.blocking(move |store| store.delete_messages(&[id]))
            .await
    }

    pub async fn raw_message(&self, id: i64) -> Result<Vec<u8>> {
        self.blocking(move |store| store.raw_message(id)).await
    }
}

fn normalised(mut settings: AccountSettings) -> AccountSettings {
    for text in [
        &mut settings.display_name,
        &mut settings.email,
        &mut settings.pop3.host,
        &mut settings.smtp.host,
    ] {
        *text = text.trim().to_owned();
    }
    settings
}

/// Seconds until the next automatic attempt after `attempts` failed ones: soon at first (a
/// blip), then backing off to half an hour, so a long outage costs the server little.
fn retry_delay(attempts: u32) -> i64 {
    match attempts {
        0 | 1 => 60,
        2 => 120,
        3 => 300,
        4 => 600,
        _ => 1800,
    }
}

/// `interval` ± 10 %, from the clock's nanoseconds: spread, not secret.
fn jittered(interval: std::time::Duration) -> std::time::Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    let permille = 900 + nanos % 201;
    interval.saturating_mul(permille) / 1000
}
