//! How Dakiya lives on the desktop: its colours, which new mail is announced, whether closing
//! the window keeps it running in the tray, and whether it starts at login. Kept in the store
//! with the other settings; the desktop shell acts on them.

use serde::{Deserialize, Serialize};

use super::Engine;
use crate::error::Result;

/// Light or dark colours, or whatever the desktop uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct DesktopSettings {
    pub theme: Theme,
    /// A desktop notification when new mail arrives.
    pub notifications: bool,
    /// Accounts whose new mail arrives without a notification.
    pub quiet_accounts: Vec<i64>,
    /// Closing the window keeps Dakiya running (and checking mail) in the tray.
    pub close_to_tray: bool,
    /// Dakiya starts, in the tray, when the user logs in.
    pub start_at_login: bool,
}

impl Default for DesktopSettings {
    fn default() -> Self {
        DesktopSettings {
            theme: Theme::System,
            notifications: true,
            quiet_accounts: Vec::new(),
            // Closing a window ends a program unless the user asked otherwise (Thunderbird's
            // default too): a mail client that lingers unasked surprises people.
            close_to_tray: false,
            start_at_login: false,
        }
    }
}

impl DesktopSettings {
    /// Whether new mail for `account_id` is announced.
    pub fn notifies(&self, account_id: i64) -> bool {
        self.notifications && !self.quiet_accounts.contains(&account_id)
    }
}

const DESKTOP_SETTINGS_KEY: &str = "desktop";

impl Engine {
    pub async fn desktop_settings(&self) -> Result<DesktopSettings> {
        self.json_setting(DESKTOP_SETTINGS_KEY).await
    }

    pub async fn set_desktop_settings(&self, settings: DesktopSettings) -> Result<()> {
        self.set_json_setting(DESKTOP_SETTINGS_KEY, &settings).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_accounts_and_the_switch_silence_notifications() {
        let mut settings = DesktopSettings::default();
        assert!(settings.notifies(1));
        settings.quiet_accounts.push(1);
        assert!(!settings.notifies(1));
        assert!(settings.notifies(2));
        settings.notifications = false;
        assert!(!settings.notifies(2));
    }

    #[test]
    fn settings_from_an_older_version_keep_their_defaults() {
        let settings: DesktopSettings = serde_json::from_str(r#"{"theme":"dark"}"#).unwrap();
        assert_eq!(settings.theme, Theme::Dark);
        assert!(settings.notifications);
        assert!(!settings.close_to_tray);
    }
}
