//! The desktop: settings that act outside the window, what the window shows (so notifications
//! do not repeat it), closing to the tray, and what Dakiya was launched to do.

use dakiya_engine::DesktopSettings;
use tauri::{AppHandle, Manager, Runtime, State};

use crate::desktop::{self, Desktop, DesktopRequest};
use crate::ipc_error::{ipc, IpcError};
use crate::state::Shell;

/// Keeps the settings, then acts on them: the window's colours and the login entry.
#[tauri::command]
pub async fn set_desktop_settings<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    settings: DesktopSettings,
) -> Result<(), IpcError> {
    let engine = shell.engine()?;
    engine
        .set_desktop_settings(settings.clone())
        .await
        .map_err(ipc)?;
    desktop::apply(&app, &settings).map_err(|error| {
        ipc(dakiya_engine::Error::storage(error).context("writing the start-at-login entry"))
    })
}

/// The window shows an inbox (`showing_inbox`; of one account, or of all when `account_id` is
/// null) or something else.
#[tauri::command]
pub fn set_viewing<R: Runtime>(app: AppHandle<R>, showing_inbox: bool, account_id: Option<i64>) {
    app.state::<Desktop>()
        .set_viewing_inbox(showing_inbox.then_some(account_id));
}

/// The user closed the window (after it saved what needed saving): to the tray when they chose
/// that and there is a tray to come back from, else Dakiya quits. Never fails (the `Result` is
/// Tauri's rule for async commands): a close button that does nothing would be worse.
#[tauri::command]
pub async fn close_main_window<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
) -> Result<(), IpcError> {
    let to_tray = match shell.engine() {
        Ok(engine) => engine
            .desktop_settings()
            .await
            .is_ok_and(|settings| settings.close_to_tray),
        Err(_) => false,
    };
    if to_tray && app.state::<Desktop>().has_tray() {
        match app.get_webview_window("main").map(|window| window.hide()) {
            Some(Ok(())) => return Ok(()),
            Some(Err(error)) => tracing::warn!("could not hide the window, so quitting: {error}"),
            None => {}
        }
    }
    app.exit(0);
    Ok(())
}

/// What Dakiya was started to do (e.g. write to a `mailto:` address), once.
#[tauri::command]
pub fn take_launch_request<R: Runtime>(app: AppHandle<R>) -> Option<DesktopRequest> {
    app.state::<Desktop>().take_launch_request()
}
