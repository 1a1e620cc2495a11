//! The app's tray item as a panel sees it: the StatusNotifierItem and its menu
//! (`com.canonical.dbusmenu`), which libayatana-appindicator exports on the session bus whether
//! or not a panel is there to show them. The test reads the count and the menu and clicks the
//! menu's items through the same D-Bus calls a panel makes, with `dbus-send`.

use std::path::PathBuf;
use std::process::Command;

const ITEMS: &str = "/org/ayatana/NotificationItem";
const ITEM_INTERFACE: &str = "org.kde.StatusNotifierItem";

pub struct Tray {
    /// The app's connection to the session bus (a unique name, `:1.N`).
    bus_name: String,
    /// The StatusNotifierItem's object path.
    item: String,
    /// The process that owns the connection: the app.
    pub pid: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MenuEntry {
    pub id: i32,
    pub label: String,
    pub enabled: bool,
}

/// `dbus-send --print-reply` on the session bus; `None` when the call fails.
fn call(destination: &str, path: &str, method: &str, arguments: &[&str]) -> Option<String> {
    let output = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--reply-timeout=5000",
            &format!("--dest={destination}"),
            path,
            method,
        ])
        .args(arguments)
        .output()
        .unwrap_or_else(|e| panic!("run dbus-send (Debian package dbus): {e}"));
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The values of `string "…"` lines (unquoted, as dbus-send prints them: no escapes).
fn strings(reply: &str) -> Vec<&str> {
    reply
        .lines()
        .filter_map(|line| {
            let rest = line.trim_start();
            let rest = rest
                .strip_prefix("variant")
                .map_or(rest, str::trim_start)
                .strip_prefix("string \"")?;
            Some(rest.strip_suffix('"').unwrap_or(rest))
        })
        .collect()
}

impl Tray {
    /// The tray item of the running Dakiya, if one is on the bus.
    pub fn find() -> Option<Tray> {
        let names = call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.ListNames",
            &[],
        )?;
        strings(&names)
            .into_iter()
            .filter(|name| name.starts_with(':'))
            .find_map(|bus_name| {
                let xml = call(
                    bus_name,
                    ITEMS,
                    "org.freedesktop.DBus.Introspectable.Introspect",
                    &[],
                )?;
                let node = xml.split("<node name=\"").skip(1).find_map(|rest| {
                    let name = rest.split('"').next()?;
                    name.contains("dakiya").then(|| format!("{ITEMS}/{name}"))
                })?;
                let pid = call(
                    "org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.GetConnectionUnixProcessID",
                    &[&format!("string:{bus_name}")],
                )?;
                let pid = pid
                    .lines()
                    .find_map(|line| line.trim().strip_prefix("uint32 ")?.parse().ok())?;
                Some(Tray {
                    bus_name: bus_name.to_owned(),
                    item: node,
                    pid,
                })
            })
    }

    fn property(&self, name: &str) -> String {
        let reply = call(
            &self.bus_name,
            &self.item,
            "org.freedesktop.DBus.Properties.Get",
            &[
                &format!("string:{ITEM_INTERFACE}"),
                &format!("string:{name}"),
            ],
        )
        .unwrap_or_else(|| panic!("read the tray item's {name}"));
        strings(&reply)
            .first()
            .copied()
            .unwrap_or_default()
            .to_owned()
    }

    /// The text panels show beside the icon: the unread count, or nothing.
    pub fn label(&self) -> String {
        self.property("XAyatanaLabel")
    }

    /// The icon's file, which the tray library writes for the panel to read.
    pub fn icon(&self) -> PathBuf {
        PathBuf::from(self.property("IconName"))
    }

    fn menu_path(&self) -> String {
        format!("{}/Menu", self.item)
    }

    /// The menu's items that have labels, in order (separators left out).
    pub fn menu(&self) -> Vec<MenuEntry> {
        let reply = call(
            &self.bus_name,
            &self.menu_path(),
            "com.canonical.dbusmenu.GetLayout",
            &["int32:0", "int32:-1", "array:string:"],
        )
        .unwrap_or_else(|| panic!("read the tray menu"));
        parse_layout(&reply)
    }

    /// Clicks the item labelled `label`, as a panel does when the user picks it.
    pub fn click(&self, label: &str) {
        let menu = self.menu();
        let entry = menu
            .iter()
            .find(|entry| entry.label == label)
            .unwrap_or_else(|| panic!("no {label:?} in the tray menu: {menu:?}"));
        assert!(entry.enabled, "{label:?} is greyed out in the tray menu");
        call(
            &self.bus_name,
            &self.menu_path(),
            "com.canonical.dbusmenu.Event",
            &[
                &format!("int32:{}", entry.id),
                "string:clicked",
                "variant:int32:0",
                "uint32:0",
            ],
        )
        .unwrap_or_else(|| panic!("click {label:?} in the tray menu"));
    }
}

/// The labelled items of a `GetLayout` reply as `dbus-send --print-reply` prints it: each item
/// is an `int32` id followed by its properties, one `string "name"` line and then its
/// `variant … value` line.
pub fn parse_layout(reply: &str) -> Vec<MenuEntry> {
    let mut entries: Vec<MenuEntry> = Vec::new();
    let mut current: Option<MenuEntry> = None;
    let mut property: Option<String> = None;
    for line in reply.lines().map(str::trim) {
        if let Some(id) = line.strip_prefix("int32 ").and_then(|id| id.parse().ok()) {
            entries.extend(current.take().filter(|entry| !entry.label.is_empty()));
            current = Some(MenuEntry {
                id,
                label: String::new(),
                enabled: true,
            });
            continue;
        }
        let Some(entry) = current.as_mut() else {
            continue;
        };
        if let Some(value) = line.strip_prefix("variant") {
            let value = value.trim();
            match property.take().as_deref() {
                Some("label") => {
                    let text = value.strip_prefix("string \"").unwrap_or(value);
                    entry.label = text.strip_suffix('"').unwrap_or(text).to_owned();
                }
                Some("enabled") => entry.enabled = value != "boolean false",
                _ => {}
            }
        } else if let Some(name) = line.strip_prefix("string \"") {
            property = Some(name.strip_suffix('"').unwrap_or(name).to_owned());
        }
    }
    entries.extend(current.filter(|entry| !entry.label.is_empty()));
    entries
}

#[test]
fn parse_layout_reads_dbus_send_output() {
    let reply = "method return time=1.0 sender=:1.3 -> destination=:1.21 serial=31 reply_serial=2\n   uint32 3\n   struct {\n      int32 0\n      array [\n         dict entry(\n            string \"children-display\"\n            variant                string \"submenu\"\n         )\n      ]\n      array [\n         variant             struct {\n               int32 10\n               array [\n                  dict entry(\n                     string \"enabled\"\n                     variant                         boolean false\n                  )\n                  dict entry(\n                     string \"label\"\n                     variant                         string \"2 अपठित संदेश\"\n                  )\n               ]\n               array [\n               ]\n            }\n         variant             struct {\n               int32 11\n               array [\n                  dict entry(\n                     string \"type\"\n                     variant                         string \"separator\"\n                  )\n               ]\n               array [\n               ]\n            }\n         variant             struct {\n               int32 12\n               array [\n                  dict entry(\n                     string \"label\"\n                     variant                         string \"Get mail\"\n                  )\n               ]\n               array [\n               ]\n            }\n      ]\n   }\n";
    assert_eq!(
        parse_layout(reply),
        [
            MenuEntry {
                id: 10,
                label: "2 अपठित संदेश".to_owned(),
                enabled: false,
            },
            MenuEntry {
                id: 12,
                label: "Get mail".to_owned(),
                enabled: true,
            },
        ]
    );
}
