//! The composer: replies and forwards, drafts, attachments, address completion.

use dakiya_engine::mime::{OutgoingAttachment, Response};
use dakiya_engine::store::{DraftItem, KnownAddress};
use dakiya_engine::{ComposeStart, OutgoingMessage};
use tauri::{Runtime, State, WebviewWindow};
use tauri_plugin_dialog::DialogExt;

use crate::ipc_error::{ipc, IpcError};
use crate::state::Shell;

/// Reply, reply all, forward: the composer's fields for answering a stored message.
#[tauri::command]
pub async fn respond_to_message(
    shell: State<'_, Shell>,
    id: i64,
    response: Response,
) -> Result<ComposeStart, IpcError> {
    shell.engine()?.respond(id, response).await.map_err(ipc)
}

/// Autosave: the composer's fields as a draft; returns the draft's id for the next save.
#[tauri::command]
pub async fn save_draft(
    shell: State<'_, Shell>,
    account_id: i64,
    message: OutgoingMessage,
) -> Result<i64, IpcError> {
    shell
        .engine()?
        .save_draft(account_id, message)
        .await
        .map_err(ipc)
}

#[tauri::command]
pub async fn get_drafts(shell: State<'_, Shell>) -> Result<Vec<DraftItem>, IpcError> {
    shell.engine()?.drafts().await.map_err(ipc)
}

#[tauri::command]
pub async fn open_draft(shell: State<'_, Shell>, id: i64) -> Result<ComposeStart, IpcError> {
    shell.engine()?.open_draft(id).await.map_err(ipc)
}

#[tauri::command]
pub async fn delete_draft(shell: State<'_, Shell>, id: i64) -> Result<(), IpcError> {
    shell.engine()?.delete_draft(id).await.map_err(ipc)
}

/// The account's SMTP message size limit (bytes), for the composer's warning; `null` if the
/// server declares none.
#[tauri::command]
pub async fn submission_size_limit(
    shell: State<'_, Shell>,
    account_id: i64,
) -> Result<Option<u64>, IpcError> {
    shell
        .engine()?
        .submission_size_limit(account_id)
        .await
        .map_err(ipc)
}

/// Address completion for a recipient field.
#[tauri::command]
pub async fn suggest_addresses(
    shell: State<'_, Shell>,
    prefix: String,
) -> Result<Vec<KnownAddress>, IpcError> {
    shell
        .engine()?
        .address_suggestions(prefix)
        .await
        .map_err(ipc)
}

/// Files dropped on the composer (the window reports their paths), as attachments.
#[tauri::command]
pub async fn attach_files(
    shell: State<'_, Shell>,
    paths: Vec<String>,
) -> Result<Vec<OutgoingAttachment>, IpcError> {
    shell
        .engine()?
        .attachments_from_files(paths)
        .await
        .map_err(ipc)
}

/// "Attach": the desktop's file chooser, over the composer's window; nothing when cancelled.
/// The chooser is opened here, not by the UI, so the page gets no general file-system access.
#[tauri::command]
pub async fn choose_attachments<R: Runtime>(
    shell: State<'_, Shell>,
    window: WebviewWindow<R>,
) -> Result<Vec<OutgoingAttachment>, IpcError> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    window
        .dialog()
        .file()
        .set_parent(&window)
        .pick_files(move |chosen| {
            // The composer may have closed meanwhile; then nobody waits for the answer.
            let _ = sender.send(chosen);
        });
    let chosen = receiver.await.ok().flatten().unwrap_or_default();
    let paths = chosen
        .into_iter()
        .filter_map(|file| file.into_path().ok())
        .map(|path| path.to_string_lossy().into_owned())
        .collect();
    shell
        .engine()?
        .attachments_from_files(paths)
        .await
        .map_err(ipc)
}
