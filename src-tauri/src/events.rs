//! Engine events → Tauri events (names below; payload types are generated into the UI's
//! bindings) and desktop notifications. Every fetch reports here, whoever started it: the Get
//! mail button, the startup check or the scheduler.

use std::sync::Arc;

use dakiya_engine::{Engine, EngineEvent};
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::broadcast::error::RecvError;

use crate::notify;

/// Payload: `FetchReport`. A fetch stored new mail.
pub const MAIL_ARRIVED: &str = "mail-arrived";
/// Payload: `FetchProgress`. "n of N" while any fetch runs.
pub const FETCH_PROGRESS: &str = "fetch-progress";
/// Payload: `FetchFailure`. A fetch failed (typically a scheduled one nobody is waiting for).
pub const FETCH_FAILED: &str = "fetch-failed";
/// Payload: `FetchReport`. A fetch ended without error (new mail or not, or cancelled).
pub const FETCH_FINISHED: &str = "fetch-finished";
/// No payload. A message entered or left the outbox, or an attempt to send one failed.
pub const OUTBOX_CHANGED: &str = "outbox-changed";
/// No payload. A draft was saved, deleted or sent.
pub const DRAFTS_CHANGED: &str = "drafts-changed";

/// Forwards the engine's events to the windows until the engine goes away.
pub async fn forward<R: Runtime>(app: AppHandle<R>, engine: Arc<Engine>) {
    let mut events = engine.subscribe();
    loop {
        let sent = match events.recv().await {
            Ok(EngineEvent::FetchProgress(progress)) => app.emit(FETCH_PROGRESS, progress),
            Ok(EngineEvent::MailArrived { report, messages }) => {
                let language = engine.language().await.unwrap_or_default();
                let settings = engine.desktop_settings().await.unwrap_or_default();
                tauri::async_runtime::spawn(notify::new_mail(
                    app.clone(),
                    messages,
                    settings,
                    language,
                ));
                // The window answers with folder_counts, which brings the tray's count along.
                app.emit(MAIL_ARRIVED, report)
            }
            Ok(EngineEvent::FetchFailed(failure)) => app.emit(FETCH_FAILED, failure),
            Ok(EngineEvent::FetchFinished(report)) => app.emit(FETCH_FINISHED, report),
            Ok(EngineEvent::OutboxChanged) => app.emit(OUTBOX_CHANGED, ()),
            Ok(EngineEvent::DraftsChanged) => app.emit(DRAFTS_CHANGED, ()),
            // Only progress is plentiful enough to be dropped; the next one replaces it.
            Err(RecvError::Lagged(_)) => Ok(()),
            Err(RecvError::Closed) => return,
        };
        if let Err(error) = sent {
            tracing::warn!("could not tell the window about an engine event: {error}");
        }
    }
}
