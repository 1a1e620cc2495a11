//! Sending, fetching, listing and reading mail.

use dakiya_engine::store::{Folder, OutboxItem};
use dakiya_engine::{
    FetchProgress, FetchReport, MessageDetail, MessageSummary, OutgoingMessage, SendReport,
    SendStarted,
};
use tauri::ipc::Channel;
use tauri::State;

use crate::ipc_error::{ipc, IpcError};
use crate::state::Shell;

/// Send: the message waits for "Undo" for the user's delay, then goes (see `undo_send`).
#[tauri::command]
pub async fn send_message(
    shell: State<'_, Shell>,
    account_id: i64,
    message: OutgoingMessage,
) -> Result<SendStarted, IpcError> {
    shell
        .engine()?
        .send_with_undo(account_id, message)
        .await
        .map_err(ipc)
}

/// "Send later": the message waits in the outbox until `send_at` (Unix seconds).
#[tauri::command]
pub async fn send_later(
    shell: State<'_, Shell>,
    account_id: i64,
    message: OutgoingMessage,
    send_at: i64,
) -> Result<String, IpcError> {
    shell
        .engine()?
        .queue_message(account_id, message, Some(send_at))
        .await
        .map_err(ipc)
}

/// "Edit" on a held Outbox message: it leaves the outbox and its text goes to the composer.
#[tauri::command]
pub async fn edit_queued(
    shell: State<'_, Shell>,
    outbox_id: i64,
) -> Result<OutgoingMessage, IpcError> {
    shell.engine()?.edit_queued(outbox_id).await.map_err(ipc)
}

/// "Undo": the message leaves the outbox unsent; what was written comes back to the composer.
#[tauri::command]
pub async fn undo_send(
    shell: State<'_, Shell>,
    outbox_id: i64,
) -> Result<OutgoingMessage, IpcError> {
    shell.engine()?.undo_send(outbox_id).await.map_err(ipc)
}

/// What waits in the outbox, oldest first.
#[tauri::command]
pub async fn get_outbox(shell: State<'_, Shell>) -> Result<Vec<OutboxItem>, IpcError> {
    shell.engine()?.outbox().await.map_err(ipc)
}

/// "Send now": every message in the outbox, held ones too, goes to its server at once.
#[tauri::command]
pub async fn send_outbox_now(shell: State<'_, Shell>) -> Result<Vec<SendReport>, IpcError> {
    shell.engine()?.flush_outbox(true).await.map_err(ipc)
}

/// Downloads new mail, streaming "n of N" to `on_progress`. New mail is announced to every
/// window and on the desktop by the event forwarder, as for scheduled checks.
#[tauri::command]
pub async fn fetch_mail(
    shell: State<'_, Shell>,
    account_id: i64,
    on_progress: Channel<FetchProgress>,
) -> Result<FetchReport, IpcError> {
    let report_progress = move |progress: FetchProgress| {
        // The window may have gone away mid-fetch; the fetch itself must go on.
        let _ = on_progress.send(progress);
    };
    let fetched = shell
        .engine()?
        .fetch(account_id, &report_progress)
        .await
        .map_err(ipc)?;
    Ok(FetchReport::from(&fetched))
}

/// The Cancel button: the running fetch of this account stops after keeping what it committed.
#[tauri::command]
pub fn cancel_fetch(shell: State<'_, Shell>, account_id: i64) -> Result<(), IpcError> {
    shell.engine()?.cancel_fetch(account_id);
    Ok(())
}

#[tauri::command]
pub async fn list_messages(
    shell: State<'_, Shell>,
    folder: Folder,
    account_id: Option<i64>,
    offset: u32,
    limit: u32,
) -> Result<Vec<MessageSummary>, IpcError> {
    shell
        .engine()?
        .list_messages(folder, account_id, offset, limit.min(1000))
        .await
        .map_err(ipc)
}

#[tauri::command]
pub async fn get_message(
    shell: State<'_, Shell>,
    message_id: i64,
) -> Result<MessageDetail, IpcError> {
    shell.engine()?.open_message(message_id).await.map_err(ipc)
}

/// The raw source for "View source", decoded leniently: the stored bytes stay untouched.
#[tauri::command]
pub async fn get_raw_message(shell: State<'_, Shell>, message_id: i64) -> Result<String, IpcError> {
    let raw = shell.engine()?.raw_message(message_id).await.map_err(ipc)?;
    Ok(String::from_utf8_lossy(&raw).into_owned())
}

/// "Download the whole message" for one that arrived as headers only or over the size limit.
#[tauri::command]
pub async fn download_whole_message(
    shell: State<'_, Shell>,
    message_id: i64,
) -> Result<MessageDetail, IpcError> {
    shell
        .engine()?
        .download_whole(message_id)
        .await
        .map_err(ipc)
}

#[tauri::command]
pub async fn delete_message(shell: State<'_, Shell>, message_id: i64) -> Result<(), IpcError> {
    shell
        .engine()?
        .delete_message(message_id)
        .await
        .map_err(ipc)
}

/// "Load remote content" for this message (the per-sender "always" is `set_remote_content_allowed`).
#[tauri::command]
pub async fn get_message_with_remote(
    shell: State<'_, Shell>,
    message_id: i64,
) -> Result<MessageDetail, IpcError> {
    shell
        .engine()?
        .open_message_with_remote(message_id)
        .await
        .map_err(ipc)
}

/// "Save": the desktop's folder chooser, then the attachment under its sanitised name in that
/// folder (never over a file already there). `None` when the user cancelled.
#[tauri::command]
pub async fn save_attachment<R: tauri::Runtime>(
    shell: State<'_, Shell>,
    window: tauri::WebviewWindow<R>,
    message_id: i64,
    index: u32,
) -> Result<Option<String>, IpcError> {
    use tauri_plugin_dialog::DialogExt;
    let (sender, receiver) = tokio::sync::oneshot::channel();
    window
        .dialog()
        .file()
        .set_parent(&window)
        .pick_folder(move |chosen| {
            let _ = sender.send(chosen);
        });
    let Some(folder) = receiver.await.ok().flatten() else {
        return Ok(None);
    };
    let folder = folder.into_path().map_err(|error| {
        ipc(dakiya_engine::Error::config(format!(
            "that folder cannot be used: {error}"
        )))
    })?;
    let written = shell
        .engine()?
        .save_attachment(message_id, index, &folder)
        .await
        .map_err(ipc)?;
    Ok(Some(written.display().to_string()))
}

/// "Open": the attachment is written to a private folder of Dakiya's and handed to the
/// desktop's default application for its type.
#[tauri::command]
pub async fn open_attachment<R: tauri::Runtime>(
    shell: State<'_, Shell>,
    app: tauri::AppHandle<R>,
    message_id: i64,
    index: u32,
) -> Result<(), IpcError> {
    use tauri_plugin_opener::OpenerExt;
    let engine = shell.engine()?;
    let folder = engine
        .data_dir()
        .join("opened")
        .join(format!("{message_id}-{index}"));
    std::fs::create_dir_all(&folder).map_err(|error| {
        ipc(dakiya_engine::Error::new(
            dakiya_engine::ErrorKind::Storage,
            format!("cannot make a folder for the attachment: {error}"),
        ))
    })?;
    let written = engine
        .save_attachment(message_id, index, &folder)
        .await
        .map_err(ipc)?;
    app.opener()
        .open_path(written.display().to_string(), None::<&str>)
        .map_err(|error| {
            ipc(dakiya_engine::Error::config(format!(
                "no application opened {}: {error}",
                written.display()
            )))
        })
}

/// Search as you type: the newest `limit` matches; a search still running when a newer one
/// starts stops and fails as superseded (the UI ignores that).
#[tauri::command]
pub async fn search_messages(
    shell: State<'_, Shell>,
    query: String,
    limit: u32,
) -> Result<Vec<dakiya_engine::store::SearchHit>, IpcError> {
    shell.engine()?.search(query, limit).await.map_err(ipc)
}
