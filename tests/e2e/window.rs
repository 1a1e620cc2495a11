//! The app's window as the X server sees it. Bare Xvfb has no window manager, so nothing else
//! would press the close button: this sends the `WM_DELETE_WINDOW` message a window manager
//! sends when the user clicks ✕ (ICCCM §4.2.8.1), and reads whether the window is mapped, which
//! is what hiding to the tray changes.

use x11rb::connection::Connection as _;
use x11rb::protocol::xproto::{
    Atom, ClientMessageEvent, ConnectionExt as _, EventMask, MapState, Window,
};
use x11rb::rust_connection::RustConnection;
use x11rb::CURRENT_TIME;

pub struct Display {
    connection: RustConnection,
    root: Window,
    wm_protocols: Atom,
    wm_delete_window: Atom,
    net_wm_name: Atom,
    utf8_string: Atom,
}

impl Display {
    /// The display in `$DISPLAY`.
    pub fn open() -> Display {
        let (connection, screen) = x11rb::connect(None)
            .unwrap_or_else(|e| panic!("connect to the X display in $DISPLAY: {e}"));
        let root = connection.setup().roots[screen].root;
        let atom = |name: &str| -> Atom {
            let cookie = connection
                .intern_atom(false, name.as_bytes())
                .unwrap_or_else(|e| panic!("intern the X atom {name}: {e}"));
            cookie
                .reply()
                .unwrap_or_else(|e| panic!("intern the X atom {name}: {e}"))
                .atom
        };
        let (wm_protocols, wm_delete_window) = (atom("WM_PROTOCOLS"), atom("WM_DELETE_WINDOW"));
        let (net_wm_name, utf8_string) = (atom("_NET_WM_NAME"), atom("UTF8_STRING"));
        Display {
            connection,
            root,
            wm_protocols,
            wm_delete_window,
            net_wm_name,
            utf8_string,
        }
    }

    /// The top-level window with this title (`_NET_WM_NAME`, which GTK sets in UTF-8).
    pub fn window_titled(&self, title: &str) -> Option<Window> {
        let tree = self.connection.query_tree(self.root).ok()?.reply().ok()?;
        tree.children.into_iter().find(|&window| {
            let name = self
                .connection
                .get_property(false, window, self.net_wm_name, self.utf8_string, 0, 256)
                .ok()
                .and_then(|cookie| cookie.reply().ok());
            name.is_some_and(|reply| reply.value == title.as_bytes())
        })
    }

    /// Whether the window is on screen (mapped, with every ancestor mapped).
    pub fn is_viewable(&self, window: Window) -> bool {
        self.connection
            .get_window_attributes(window)
            .ok()
            .and_then(|cookie| cookie.reply().ok())
            .is_some_and(|attributes| attributes.map_state == MapState::VIEWABLE)
    }

    /// What a window manager sends when the user clicks the window's close button.
    pub fn close(&self, window: Window) {
        let message = ClientMessageEvent::new(
            32,
            window,
            self.wm_protocols,
            [self.wm_delete_window, CURRENT_TIME, 0, 0, 0],
        );
        self.connection
            .send_event(false, window, EventMask::NO_EVENT, message)
            .and_then(|_| self.connection.flush())
            .unwrap_or_else(|e| panic!("send WM_DELETE_WINDOW: {e}"));
    }
}

/// The main window's title, as the app's configuration sets it.
pub fn configured_title() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tauri.conf.json");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let config: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()));
    config["app"]["windows"][0]["title"]
        .as_str()
        .unwrap_or_else(|| panic!("no window title in {}", path.display()))
        .to_owned()
}
