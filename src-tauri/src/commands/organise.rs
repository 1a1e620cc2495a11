//! Folders, Trash, flags, conversations and how the user likes to read.

use dakiya_engine::store::{Folder, FolderCount, ThreadSummary, UserFolder};
use dakiya_engine::{MessageSummary, ViewSettings};
use tauri::{AppHandle, Runtime, State};

use crate::ipc_error::{ipc, IpcError};
use crate::state::Shell;

#[tauri::command]
pub async fn get_folders(shell: State<'_, Shell>) -> Result<Vec<UserFolder>, IpcError> {
    shell.engine()?.folders().await.map_err(ipc)
}

#[tauri::command]
pub async fn create_folder(shell: State<'_, Shell>, name: String) -> Result<UserFolder, IpcError> {
    shell.engine()?.create_folder(name).await.map_err(ipc)
}

#[tauri::command]
pub async fn rename_folder(
    shell: State<'_, Shell>,
    id: i64,
    name: String,
) -> Result<UserFolder, IpcError> {
    shell.engine()?.rename_folder(id, name).await.map_err(ipc)
}

/// The folder goes; its messages go to Trash.
#[tauri::command]
pub async fn delete_folder(shell: State<'_, Shell>, id: i64) -> Result<(), IpcError> {
    shell.engine()?.delete_folder(id).await.map_err(ipc)
}

#[tauri::command]
pub async fn move_messages(
    shell: State<'_, Shell>,
    ids: Vec<i64>,
    to: Folder,
) -> Result<(), IpcError> {
    shell.engine()?.move_messages(ids, to).await.map_err(ipc)
}

#[tauri::command]
pub async fn copy_messages(
    shell: State<'_, Shell>,
    ids: Vec<i64>,
    to: Folder,
) -> Result<Vec<i64>, IpcError> {
    shell.engine()?.copy_messages(ids, to).await.map_err(ipc)
}

/// To Trash; from Trash, for good.
#[tauri::command]
pub async fn delete_messages(shell: State<'_, Shell>, ids: Vec<i64>) -> Result<(), IpcError> {
    shell.engine()?.delete_messages(ids).await.map_err(ipc)
}

#[tauri::command]
pub async fn empty_trash(shell: State<'_, Shell>) -> Result<usize, IpcError> {
    shell.engine()?.empty_trash().await.map_err(ipc)
}

/// Read/unread and starred; `null` leaves a flag as it is.
#[tauri::command]
pub async fn set_flags(
    shell: State<'_, Shell>,
    ids: Vec<i64>,
    read: Option<bool>,
    starred: Option<bool>,
) -> Result<(), IpcError> {
    shell
        .engine()?
        .set_flags(ids, read, starred)
        .await
        .map_err(ipc)
}

/// The window asks after every change to what is read or where it is, so the tray's count is
/// brought up to date from the same answer.
#[tauri::command]
pub async fn folder_counts<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
) -> Result<Vec<FolderCount>, IpcError> {
    let engine = shell.engine()?;
    let counts = engine.folder_counts().await.map_err(ipc)?;
    let language = engine.language().await.unwrap_or_default();
    crate::desktop::show_unread(&app, crate::desktop::inbox_unread(&counts), language);
    Ok(counts)
}

#[tauri::command]
pub async fn list_threads(
    shell: State<'_, Shell>,
    folder: Folder,
    account_id: Option<i64>,
    offset: u32,
    limit: u32,
) -> Result<Vec<ThreadSummary>, IpcError> {
    shell
        .engine()?
        .list_threads(folder, account_id, offset, limit)
        .await
        .map_err(ipc)
}

#[tauri::command]
pub async fn get_conversation(
    shell: State<'_, Shell>,
    id: i64,
) -> Result<Vec<MessageSummary>, IpcError> {
    shell.engine()?.conversation(id).await.map_err(ipc)
}

#[tauri::command]
pub async fn set_view_settings(
    shell: State<'_, Shell>,
    settings: ViewSettings,
) -> Result<(), IpcError> {
    shell
        .engine()?
        .set_view_settings(settings)
        .await
        .map_err(ipc)
}

/// "Always load remote content from this sender", or no longer.
#[tauri::command]
pub async fn set_remote_content_allowed(
    shell: State<'_, Shell>,
    address: String,
    allowed: bool,
) -> Result<(), IpcError> {
    shell
        .engine()?
        .set_remote_content_allowed(address, allowed)
        .await
        .map_err(ipc)
}

/// "Open" on a link from a mail, after the user saw its real target: the system browser (or
/// mail handler) opens it. Only http and https; mailto opens Dakiya's own composer instead.
#[tauri::command]
pub async fn open_link<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    url: String,
) -> Result<(), IpcError> {
    use tauri_plugin_opener::OpenerExt;
    let parsed = tauri::Url::parse(&url).map_err(|error| {
        ipc(dakiya_engine::Error::config(format!(
            "“{url}” is not a link: {error}"
        )))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ipc(dakiya_engine::Error::config(format!(
            "links of the kind “{}:” are not opened",
            parsed.scheme()
        ))));
    }
    app.opener()
        .open_url(parsed.as_str(), None::<&str>)
        .map_err(|error| {
            ipc(dakiya_engine::Error::config(format!(
                "the browser could not be started: {error}"
            )))
        })
}
