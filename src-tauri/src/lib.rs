//! Dakiya's desktop shell. It only translates: each command deserialises its arguments, makes one
//! engine call and maps the error; engine results become Tauri events and desktop notifications.
//! Everything about mail lives in `dakiya-engine`.

mod commands;
pub mod desktop;
pub mod events;
pub mod ipc_error;
mod links;
mod notify;
pub mod state;
#[cfg(test)]
mod tests;
mod words;

pub use commands::*;
pub use ipc_error::IpcError;
pub use state::{AppState, Shell};

use tauri::Manager;

/// The command line of the desktop app: `dakiya [--data-dir DIR]`.
fn data_dir_argument() -> Option<std::path::PathBuf> {
    let mut arguments = std::env::args_os().skip(1);
    while let Some(argument) = arguments.next() {
        if argument == "--data-dir" {
            return arguments.next().map(Into::into);
        }
        if let Some(value) = argument
            .to_str()
            .and_then(|text| text.strip_prefix("--data-dir="))
        {
            return Some(value.into());
        }
    }
    None
}

/// Registers every command; shared by the app and the mock-runtime tests.
pub fn with_commands<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::get_app_state,
        commands::set_language,
        commands::save_account,
        commands::test_connection,
        commands::discover_account,
        commands::parse_certificate,
        commands::send_message,
        commands::fetch_mail,
        commands::cancel_fetch,
        commands::list_messages,
        commands::get_message,
        commands::get_raw_message,
        commands::download_whole_message,
        commands::delete_message,
        commands::get_outbox,
        commands::send_outbox_now,
        commands::undo_send,
        commands::edit_queued,
        commands::send_later,
        commands::set_undo_send_seconds,
        commands::respond_to_message,
        commands::save_draft,
        commands::get_drafts,
        commands::open_draft,
        commands::delete_draft,
        commands::suggest_addresses,
        commands::attach_files,
        commands::choose_attachments,
        commands::submission_size_limit,
        commands::get_folders,
        commands::create_folder,
        commands::rename_folder,
        commands::delete_folder,
        commands::move_messages,
        commands::copy_messages,
        commands::delete_messages,
        commands::empty_trash,
        commands::set_flags,
        commands::folder_counts,
        commands::list_threads,
        commands::get_conversation,
        commands::set_view_settings,
        commands::set_remote_content_allowed,
        commands::open_link,
        report_ready,
        commands::get_message_with_remote,
        commands::save_attachment,
        commands::open_attachment,
        commands::search_messages,
        commands::set_desktop_settings,
        commands::set_viewing,
        commands::close_main_window,
        commands::take_launch_request,
    ])
}

/// The main window is created here rather than from the configuration so that its webview
/// storage follows `--data-dir`.
fn open_main_window<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    webview_data: Option<std::path::PathBuf>,
) -> tauri::Result<()> {
    let Some(config) = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == "main")
        .cloned()
    else {
        return Ok(());
    };
    let links = app.clone();
    let navigations = app.clone();
    let mut builder = tauri::WebviewWindowBuilder::from_config(app, &config)?
        // A link in a mail (its iframe may open popups, never navigate) becomes a question to
        // the user, who sees the real target before the system browser opens it.
        .on_new_window(move |url, _features| {
            links::requested(&links, &url);
            tauri::webview::NewWindowResponse::Deny
        })
        // The window itself never leaves the app's own pages.
        .on_navigation(move |url| {
            let own = links::is_app_page(url);
            if !own {
                links::requested(&navigations, url);
            }
            own
        });
    if let Some(dir) = webview_data {
        builder = builder.data_directory(dir);
    }
    builder.build()?;
    Ok(())
}

/// When the process started: "ready" is reported against it.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Set to make the app print how long it took to show the inbox and quit (the startup bench).
pub const EXIT_WHEN_READY_ENV: &str = "DAKIYA_EXIT_WHEN_READY";

/// The window drew its first list (the inbox, or the settings for a first start): the time
/// from launch to a usable window, logged every start and measured by `make bench`.
#[tauri::command]
fn report_ready<R: tauri::Runtime>(app: tauri::AppHandle<R>) {
    let Some(started) = STARTED.get() else {
        return;
    };
    let elapsed = started.elapsed();
    tracing::info!(
        "ready: the window was usable {} ms after launch",
        elapsed.as_millis()
    );
    if std::env::var_os(EXIT_WHEN_READY_ENV).is_some() {
        println!("ready_ms={}", elapsed.as_millis());
        app.exit(0);
    }
}

pub fn run() {
    STARTED.get_or_init(std::time::Instant::now);
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let data_dir = data_dir_argument();
    let shell = Shell::open(data_dir.clone());
    let webview_data = shell.webview_data_dir();
    let engine = shell.engine().ok();
    let context = tauri::generate_context!();
    let instance = desktop::instance_id(
        &context.config().identifier,
        shell.data_dir(),
        dakiya_engine::default_data_dir().ok().as_deref(),
    );
    let runtime_dir = std::env::var_os("XDG_RUNTIME_DIR").map(std::path::PathBuf::from);
    let tray_icons = desktop::tray_icon_dir(&instance, runtime_dir.as_deref(), shell.data_dir());
    let arguments: Vec<String> = std::env::args().collect();
    let background = desktop::background_argument(arguments.clone());
    let launch_request =
        desktop::mailto_argument(arguments).map(|mailto| desktop::DesktopRequest::Compose {
            mailto: Some(mailto),
        });
    let result = with_commands(tauri::Builder::default())
        // First, so a second launch hands over its arguments before anything else starts.
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id(instance)
                .callback(|app, arguments, _cwd| desktop::launched_again(app, arguments))
                .build(),
        )
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .setup(move |app| {
            open_main_window(app.handle(), webview_data.clone())?;
            desktop::create_tray(app.handle(), tray_icons.clone());
            if let Some(engine) = engine.clone() {
                let handle = app.handle().clone();
                let starting = engine.clone();
                tauri::async_runtime::spawn(async move {
                    let engine = starting;
                    let settings = engine.desktop_settings().await.unwrap_or_default();
                    desktop::apply_theme(&handle, settings.theme);
                    // Started at login: stay in the tray, if there is one to come back from.
                    if background
                        && settings.close_to_tray
                        && handle.state::<desktop::Desktop>().has_tray()
                    {
                        if let Some(window) = handle.get_webview_window("main") {
                            let _ = window.hide();
                        }
                    }
                    // The tray's count comes with the window's first folder_counts.
                });
                tauri::async_runtime::spawn(events::forward(app.handle().clone(), engine.clone()));
                tauri::async_runtime::spawn(engine.run_scheduler());
            }
            Ok(())
        })
        .manage(shell)
        .manage(desktop::Desktop::launched_with(launch_request))
        .run(context);
    if let Err(error) = result {
        tracing::error!("Dakiya could not start its window: {error}");
        std::process::exit(1);
    }
}
