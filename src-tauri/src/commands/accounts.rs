//! Account settings, language, finding a new account's servers, and the "Test connection"
//! check.

use dakiya_engine::{
    Account, AccountSettings, ConnectionReport, Discovery, Language, Passwords, TrustedCertificate,
};
use tauri::{AppHandle, Runtime, State};

use crate::ipc_error::{ipc, IpcError};
use crate::state::{AppState, Shell};

#[tauri::command]
pub async fn get_app_state(shell: State<'_, Shell>) -> Result<AppState, IpcError> {
    let engine = shell.engine()?;
    Ok(AppState {
        accounts: engine.accounts().await.map_err(ipc)?,
        keyring_available: engine.keyring_available(),
        language: engine.language().await.map_err(ipc)?,
        data_dir: engine.data_dir().display().to_string(),
        undo_send_seconds: engine.undo_send_seconds().await.map_err(ipc)?,
        view: engine.view_settings().await.map_err(ipc)?,
        desktop: engine.desktop_settings().await.map_err(ipc)?,
    })
}

#[tauri::command]
pub async fn set_undo_send_seconds(shell: State<'_, Shell>, seconds: u32) -> Result<(), IpcError> {
    shell
        .engine()?
        .set_undo_send_seconds(seconds)
        .await
        .map_err(ipc)
}

/// The tray's menu follows the window's language.
#[tauri::command]
pub async fn set_language<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    language: Language,
) -> Result<(), IpcError> {
    let engine = shell.engine()?;
    engine.set_language(language).await.map_err(ipc)?;
    crate::desktop::refresh_tray(&app, &engine).await;
    Ok(())
}

#[tauri::command]
pub async fn save_account(
    shell: State<'_, Shell>,
    account_id: Option<i64>,
    settings: AccountSettings,
    passwords: Passwords,
) -> Result<Account, IpcError> {
    shell
        .engine()?
        .save_account(account_id, settings, passwords)
        .await
        .map_err(ipc)
}

#[tauri::command]
pub async fn test_connection(
    shell: State<'_, Shell>,
    account_id: Option<i64>,
    settings: AccountSettings,
    passwords: Passwords,
) -> Result<ConnectionReport, IpcError> {
    shell
        .engine()?
        .test_connection(account_id, settings, passwords)
        .await
        .map_err(ipc)
}

#[tauri::command]
pub fn parse_certificate(pem: String) -> Result<TrustedCertificate, IpcError> {
    TrustedCertificate::from_pem(&pem).map_err(ipc)
}

/// Finds POP3 and SMTP settings for a new account's address, for the user to confirm.
#[tauri::command]
pub async fn discover_account(
    shell: State<'_, Shell>,
    email: String,
) -> Result<Discovery, IpcError> {
    shell.engine()?.discover_account(&email).await.map_err(ipc)
}
