//! Dakiya as a desktop citizen: one running instance per data directory (launching it again,
//! or as the `mailto:` handler, reaches the running one), the tray icon with the unread count,
//! closing to the tray, starting at login, and the requests these make of the window.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use dakiya_engine::store::{Folder, FolderCount};
use dakiya_engine::{DesktopSettings, Engine, Language, Theme};
use serde::{Deserialize, Serialize};
use tauri::image::Image;
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::words;

/// Payload: `DesktopRequest`. The tray, a notification or another launch asks the window to
/// do something.
pub const DESKTOP_REQUEST: &str = "desktop-request";

const TRAY_ID: &str = "dakiya";

/// What the desktop asks of the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum DesktopRequest {
    GetMail,
    /// Write a message, filled in from a `mailto:` URL when there is one (RFC 6068; the window
    /// parses it, as it does for links in mail).
    Compose {
        mailto: Option<String>,
    },
    OpenMessage {
        #[ts(type = "number")]
        id: i64,
    },
    OpenInbox,
}

/// A `mailto:` URL longer than this is not a link anyone clicked; it is ignored.
const MAX_MAILTO_BYTES: usize = 64 * 1024;

/// The `mailto:` URL among command-line arguments (`dakiya mailto:…`, as the desktop entry's
/// `%u` passes it).
pub fn mailto_argument<I: IntoIterator<Item = String>>(arguments: I) -> Option<String> {
    arguments.into_iter().skip(1).find(|argument| {
        argument.len() <= MAX_MAILTO_BYTES
            && argument
                .get(..7)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("mailto:"))
    })
}

/// The D-Bus name that makes an instance single: the app's identifier for the usual data
/// directory, and one per other directory (`--data-dir`), so a second profile, or a test's
/// throw-away instance, never hands its launch to the user's running Dakiya.
pub fn instance_id(identifier: &str, data_dir: Option<&Path>, default: Option<&Path>) -> String {
    match data_dir {
        Some(dir) if Some(dir) != default => {
            let mut hasher = std::hash::DefaultHasher::new();
            dir.hash(&mut hasher);
            format!("{identifier}.d{:016x}", hasher.finish())
        }
        _ => identifier.to_owned(),
    }
}

/// What the shell keeps for the desktop between events.
#[derive(Default)]
pub struct Desktop {
    /// Which inbox the window shows: `Some(None)` all accounts', `Some(Some(id))` one
    /// account's, `None` anything else (set by the window as the user moves).
    viewing_inbox: Mutex<Option<Option<i64>>>,
    /// What Dakiya was launched to do (a `mailto:`), until the window is ready to do it.
    launch_request: Mutex<Option<DesktopRequest>>,
    /// The tray icon exists, so a hidden window can be brought back from it.
    has_tray: Mutex<bool>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Desktop {
    pub fn launched_with(request: Option<DesktopRequest>) -> Desktop {
        Desktop {
            launch_request: Mutex::new(request),
            ..Desktop::default()
        }
    }

    pub fn set_viewing_inbox(&self, inbox: Option<Option<i64>>) {
        *lock(&self.viewing_inbox) = inbox;
    }

    pub fn viewing_inbox(&self) -> Option<Option<i64>> {
        *lock(&self.viewing_inbox)
    }

    pub fn take_launch_request(&self) -> Option<DesktopRequest> {
        lock(&self.launch_request).take()
    }

    pub fn has_tray(&self) -> bool {
        *lock(&self.has_tray)
    }
}

/// Brings the main window to the front (from the tray, a notification or another launch).
pub fn show_window<R: Runtime>(app: &AppHandle<R>) {
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    for result in [window.unminimize(), window.show(), window.set_focus()] {
        if let Err(error) = result {
            tracing::warn!("could not bring the window forward: {error}");
        }
    }
}

/// Shows the window and asks it to do `request`.
pub fn request<R: Runtime>(app: &AppHandle<R>, request: DesktopRequest) {
    show_window(app);
    if let Err(error) = app.emit(DESKTOP_REQUEST, request) {
        tracing::warn!("could not pass a desktop request to the window: {error}");
    }
}

/// Another `dakiya` was started while this one runs: it has already exited, handing over its
/// arguments.
pub fn launched_again<R: Runtime>(app: &AppHandle<R>, arguments: Vec<String>) {
    match mailto_argument(arguments) {
        Some(mailto) => request(
            app,
            DesktopRequest::Compose {
                mailto: Some(mailto),
            },
        ),
        None => show_window(app),
    }
}

/// Whether the user is looking at the inbox that new mail for `account_id` appears in, so a
/// notification would only repeat what is on the screen.
pub fn is_watching<R: Runtime>(app: &AppHandle<R>, account_id: i64) -> bool {
    let Some(inbox) = app.state::<Desktop>().viewing_inbox() else {
        return false;
    };
    let Some(window) = app.get_webview_window("main") else {
        return false;
    };
    let on_screen = window.is_visible().unwrap_or(false)
        && !window.is_minimized().unwrap_or(true)
        && window.is_focused().unwrap_or(false);
    on_screen && inbox.is_none_or(|shown| shown == account_id)
}

// ---- the tray ----------------------------------------------------------------------------

struct TrayWords {
    unread: String,
    get_mail: &'static str,
    compose: &'static str,
    open: &'static str,
    quit: &'static str,
}

/// The tray's words, the window's own (see `words`).
fn tray_words(language: Language, unread: u32) -> TrayWords {
    TrayWords {
        unread: match unread {
            0 => words::text(language, "tray.unreadNone").to_owned(),
            n => words::count(language, "tray.unread", n),
        },
        get_mail: words::text(language, "action.getMail"),
        compose: words::text(language, "nav.compose"),
        open: words::text(language, "tray.open"),
        quit: words::text(language, "tray.quit"),
    }
}

const MENU_GET_MAIL: &str = "get-mail";
const MENU_COMPOSE: &str = "compose";
const MENU_OPEN: &str = "open";
const MENU_QUIT: &str = "quit";

fn tray_menu<R: Runtime>(app: &AppHandle<R>, words: &TrayWords) -> tauri::Result<Menu<R>> {
    let count = MenuItem::with_id(app, "unread", &words.unread, false, None::<&str>)?;
    let get_mail = MenuItem::with_id(app, MENU_GET_MAIL, words.get_mail, true, None::<&str>)?;
    let compose = MenuItem::with_id(app, MENU_COMPOSE, words.compose, true, None::<&str>)?;
    let open = MenuItem::with_id(app, MENU_OPEN, words.open, true, None::<&str>)?;
    let quit = MenuItem::with_id(app, MENU_QUIT, words.quit, true, None::<&str>)?;
    Menu::with_items(
        app,
        &[
            &count,
            &PredefinedMenuItem::separator(app)?,
            &get_mail,
            &compose,
            &open,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    match event.id().as_ref() {
        MENU_GET_MAIL => {
            if let Err(error) = app.emit(DESKTOP_REQUEST, DesktopRequest::GetMail) {
                tracing::warn!("could not ask the window to get mail: {error}");
            }
        }
        MENU_COMPOSE => request(app, DesktopRequest::Compose { mailto: None }),
        MENU_OPEN => show_window(app),
        MENU_QUIT => app.exit(0),
        _ => {}
    }
}

const DOT_RED: [u8; 4] = [0xd9, 0x30, 0x25, 0xff];
const DOT_RING: [u8; 4] = [0xff, 0xff, 0xff, 0xff];

/// The app's icon with a red dot, ringed in white, in its bottom right corner: there is unread
/// mail. (Panels show an indicator's label, the count, only on some desktops; the dot shows
/// everywhere. The top right already holds the logo's own yellow dot.)
fn icon_with_dot(icon: &Image<'_>) -> Image<'static> {
    let (width, height) = (icon.width(), icon.height());
    let mut rgba = icon.rgba().to_vec();
    let outer = f64::from(width.min(height)) * 0.25;
    let inner = outer * 0.78;
    let (cx, cy) = (f64::from(width) - outer, f64::from(height) - outer);
    for y in 0..height {
        for x in 0..width {
            let (dx, dy) = (f64::from(x) + 0.5 - cx, f64::from(y) + 0.5 - cy);
            let distance = (dx * dx + dy * dy).sqrt();
            let colour = if distance <= inner {
                DOT_RED
            } else if distance <= outer {
                DOT_RING
            } else {
                continue;
            };
            let at = usize::try_from(y * width + x).unwrap_or(usize::MAX) * 4;
            if let Some(pixel) = rgba.get_mut(at..at + 4) {
                pixel.copy_from_slice(&colour);
            }
        }
    }
    Image::new_owned(rgba, width, height)
}

/// Where the tray library writes the icon file the panel reads: a folder of this instance's own
/// in the user's private runtime directory (else in the data directory). The library's default
/// is one `tray-icon` folder for every program with the same tray id, `/tmp/tray-icon` without
/// `XDG_RUNTIME_DIR`: two Dakiyas (two `--data-dir`s) would overwrite and delete each other's
/// icon, and under `/tmp` another user could own the folder first.
pub fn tray_icon_dir(
    instance: &str,
    runtime_dir: Option<&Path>,
    data_dir: Option<&Path>,
) -> Option<PathBuf> {
    match (runtime_dir, data_dir) {
        (Some(runtime), _) if runtime.is_absolute() => {
            Some(runtime.join("dakiya").join(instance).join("tray"))
        }
        (_, Some(data)) => Some(data.join("tray")),
        _ => None,
    }
}

/// Puts Dakiya in the tray. Without a tray (no panel, no StatusNotifier host, the library
/// missing) the app runs on without it, and closing the window quits.
pub fn create_tray<R: Runtime>(app: &AppHandle<R>, icon_dir: Option<PathBuf>) {
    let Some(icon) = app.default_window_icon().cloned() else {
        return;
    };
    // The tray library loads libayatana-appindicator3 when the first icon is made and panics
    // when it is not installed: Dakiya then runs without a tray rather than not at all.
    let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tray_menu(app, &tray_words(Language::En, 0)).and_then(|menu| {
            let mut builder = TrayIconBuilder::with_id(TRAY_ID)
                .icon(icon)
                .tooltip("Dakiya")
                .menu(&menu)
                .show_menu_on_left_click(true)
                .on_menu_event(on_menu);
            if let Some(dir) = icon_dir {
                builder = builder.temp_dir_path(dir);
            }
            builder.build(app)
        })
    }));
    match built {
        Ok(Ok(_)) => *lock(&app.state::<Desktop>().has_tray) = true,
        Ok(Err(error)) => tracing::warn!("no tray icon: {error}"),
        Err(_) => tracing::warn!("no tray icon: the AppIndicator library is not installed"),
    }
}

/// Unread messages in all accounts' inboxes: the tray's count.
pub fn inbox_unread(counts: &[FolderCount]) -> u32 {
    counts
        .iter()
        .filter(|count| count.folder == Folder::Inbox)
        .map(|count| count.unread)
        .sum()
}

/// Shows the current unread count in the tray, in the user's language.
pub async fn refresh_tray<R: Runtime>(app: &AppHandle<R>, engine: &Engine) {
    if app.tray_by_id(TRAY_ID).is_none() {
        return;
    }
    match engine.folder_counts().await {
        Ok(counts) => {
            let language = engine.language().await.unwrap_or_default();
            show_unread(app, inbox_unread(&counts), language);
        }
        Err(error) => tracing::warn!("the tray's unread count: {error}"),
    }
}

pub fn show_unread<R: Runtime>(app: &AppHandle<R>, unread: u32, language: Language) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let words = tray_words(language, unread);
    let label = (unread > 0).then(|| words::number(language, unread));
    let icon = app.default_window_icon().map(|icon| match unread {
        0 => icon.clone().to_owned(),
        _ => icon_with_dot(icon),
    });
    let result = tray_menu(app, &words).and_then(|menu| {
        tray.set_menu(Some(menu))?;
        tray.set_title(label.as_deref())?;
        tray.set_tooltip(Some(format!("Dakiya — {}", words.unread)))?;
        tray.set_icon(icon)
    });
    if let Err(error) = result {
        tracing::warn!("could not update the tray: {error}");
    }
}

// ---- settings that act on the desktop ------------------------------------------------------

/// Gives the window's frame the chosen colours (the page follows the same setting).
pub fn apply_theme<R: Runtime>(app: &AppHandle<R>, theme: Theme) {
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let native = match theme {
        Theme::System => None,
        Theme::Light => Some(tauri::Theme::Light),
        Theme::Dark => Some(tauri::Theme::Dark),
    };
    if let Err(error) = window.set_theme(native) {
        tracing::warn!("could not set the window's theme: {error}");
    }
}

/// The XDG autostart entry (freedesktop.org Desktop Application Autostart Specification).
pub fn autostart_entry(config_home: &Path) -> PathBuf {
    config_home.join("autostart").join("in.dakiya.mail.desktop")
}

fn config_home() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))
}

/// Writes or removes the entry that starts Dakiya (in the tray) at login.
pub fn set_start_at_login(enabled: bool, executable: &Path) -> std::io::Result<()> {
    let Some(config_home) = config_home() else {
        return Err(std::io::Error::other("no home directory is known"));
    };
    write_autostart(&autostart_entry(&config_home), enabled, executable)
}

pub fn write_autostart(entry: &Path, enabled: bool, executable: &Path) -> std::io::Result<()> {
    if !enabled {
        return match std::fs::remove_file(entry) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        };
    }
    if let Some(dir) = entry.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Exec takes a quoted path whose `"`, `` ` ``, `$` and `\` are escaped by a backslash,
    // and that backslash is itself escaped by the string rule read first (Desktop Entry
    // Specification, "The Exec key"): `"` is written `\\"`, `\` is written as four.
    let quoted = executable
        .to_string_lossy()
        .replace('\\', "\\\\\\\\")
        .replace('"', "\\\\\"")
        .replace('`', "\\\\`")
        .replace('$', "\\\\$");
    std::fs::write(
        entry,
        format!(
            "[Desktop Entry]\nType=Application\nName=Dakiya\nComment=Mail (POP3 and SMTP)\n\
             Exec=\"{quoted}\" --background\nIcon=dakiya\nTerminal=false\n\
             X-GNOME-Autostart-enabled=true\n"
        ),
    )
}

/// `--background`: started at login, so open in the tray rather than in the user's face.
pub fn background_argument<I: IntoIterator<Item = String>>(arguments: I) -> bool {
    arguments
        .into_iter()
        .skip(1)
        .any(|argument| argument == "--background")
}

/// Acts on settings the desktop keeps outside the store: the autostart entry and the frame.
pub fn apply<R: Runtime>(app: &AppHandle<R>, settings: &DesktopSettings) -> std::io::Result<()> {
    apply_theme(app, settings.theme);
    let executable = std::env::current_exe()?;
    set_start_at_login(settings.start_at_login, &executable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_mailto_argument_is_found_and_a_monster_is_not() {
        assert_eq!(
            mailto_argument(args(&["dakiya", "--data-dir", "/x", "MAILTO:a@b.example"])),
            Some("MAILTO:a@b.example".to_owned())
        );
        assert_eq!(mailto_argument(args(&["mailto:a@b.example"])), None);
        let huge = format!("mailto:a@b.example?body={}", "x".repeat(MAX_MAILTO_BYTES));
        assert_eq!(mailto_argument(vec!["dakiya".into(), huge]), None);
        assert_eq!(mailto_argument(args(&["dakiya", "https://x"])), None);
    }

    #[test]
    fn each_data_directory_is_its_own_instance() {
        let default = Path::new("/home/a/.local/share/dakiya");
        assert_eq!(
            instance_id("in.dakiya.mail", None, Some(default)),
            "in.dakiya.mail"
        );
        assert_eq!(
            instance_id("in.dakiya.mail", Some(default), Some(default)),
            "in.dakiya.mail"
        );
        let one = instance_id("in.dakiya.mail", Some(Path::new("/tmp/a")), Some(default));
        let two = instance_id("in.dakiya.mail", Some(Path::new("/tmp/b")), Some(default));
        assert_ne!(one, two);
        assert!(one.starts_with("in.dakiya.mail.d"));
        assert_eq!(
            one,
            instance_id("in.dakiya.mail", Some(Path::new("/tmp/a")), Some(default))
        );
    }

    #[test]
    fn the_autostart_entry_is_written_quoted_and_removed() {
        let dir = tempfile::tempdir().expect("a directory");
        let entry = autostart_entry(dir.path());
        write_autostart(&entry, true, Path::new("/opt/my \"apps\"/dakiya")).expect("written");
        let text = std::fs::read_to_string(&entry).expect("an entry");
        assert!(
            text.contains("Exec=\"/opt/my \\\\\"apps\\\\\"/dakiya\" --background\n"),
            "{text}"
        );
        write_autostart(&entry, false, Path::new("/x")).expect("removed");
        assert!(!entry.exists());
        write_autostart(&entry, false, Path::new("/x")).expect("removing twice is fine");
    }

    #[test]
    fn the_tray_says_what_the_window_says() {
        let hindi = tray_words(Language::Hi, 100_000);
        assert_eq!(hindi.unread, "1,00,000 अपठित संदेश");
        assert_eq!(hindi.get_mail, "मेल प्राप्त करें");
        assert_eq!(hindi.compose, "लिखें");
        let english = tray_words(Language::En, 0);
        assert_eq!(english.unread, "No unread mail");
        assert_eq!(english.open, "Open Dakiya");
        assert_eq!(tray_words(Language::En, 1).unread, "1 unread message");
    }

    #[test]
    fn each_instance_keeps_its_tray_icon_in_a_private_folder() {
        let runtime = Path::new("/run/user/1000");
        let data = Path::new("/home/asha/.local/share/dakiya");
        assert_eq!(
            tray_icon_dir("in.dakiya.mail.d1", Some(runtime), Some(data)),
            Some(PathBuf::from(
                "/run/user/1000/dakiya/in.dakiya.mail.d1/tray"
            ))
        );
        assert_ne!(
            tray_icon_dir("in.dakiya.mail", Some(runtime), Some(data)),
            tray_icon_dir("in.dakiya.mail.d1", Some(runtime), Some(data))
        );
        // A relative XDG_RUNTIME_DIR is invalid (XDG base directory spec): the data folder.
        assert_eq!(
            tray_icon_dir("in.dakiya.mail", Some(Path::new("run")), Some(data)),
            Some(data.join("tray"))
        );
        assert_eq!(tray_icon_dir("in.dakiya.mail", None, None), None);
    }

    #[test]
    fn the_unread_dot_is_drawn_in_the_corner() {
        let icon = Image::new_owned(vec![0; 32 * 32 * 4], 32, 32);
        let dotted = icon_with_dot(&icon);
        let pixel = |x: u32, y: u32| {
            let at = ((y * 32 + x) * 4) as usize;
            dotted.rgba()[at..at + 4].to_vec()
        };
        assert_eq!(pixel(24, 24), DOT_RED.to_vec());
        assert_eq!(pixel(31, 24), DOT_RING.to_vec());
        assert_eq!(pixel(27, 4), vec![0, 0, 0, 0]);
        assert_eq!(pixel(2, 28), vec![0, 0, 0, 0]);
    }
}
