//! Accounts: who the user is and how to reach their POP3 and SMTP servers.
//! Passwords are not part of an [`Account`]; they live in the [`secrets`] store.

pub mod discover;
pub mod secrets;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::tls::TrustedCertificate;

/// How a connection is protected (RFC 8314). Secure by default, insecure by name: the plaintext
/// variant exists for loopback test servers only and is never offered in the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Security {
    /// TLS from the first byte (POP3S 995, submissions 465).
    Tls,
    /// Plain connect, then STLS/STARTTLS; aborts if the server does not offer it (110, 587).
    StartTls,
    /// No TLS at all. Refused for any host but loopback.
    PlaintextDangerous,
}

impl Security {
    pub fn default_pop3_port(self) -> u16 {
        match self {
            Security::Tls => 995,
            Security::StartTls | Security::PlaintextDangerous => 110,
        }
    }

    pub fn default_smtp_port(self) -> u16 {
        match self {
            Security::Tls => 465,
            Security::StartTls | Security::PlaintextDangerous => 587,
        }
    }
}

/// What happens to a message on the POP3 server once it is safely in the local store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Pop3Mode {
    /// Leave it on the server (reading from a computer that is not your own).
    KeepOnServer,
    /// DELE it once its bytes are committed to SQLite.
    DeleteAfterDownload,
}

/// Where and as whom to log in to one server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
}

impl ServerSettings {
    fn validate(&self, which: &str) -> Result<()> {
        let host = self.host.trim();
        if host.is_empty() {
            return Err(Error::config(format!("the {which} server name is empty")));
        }
        if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::config(format!(
                "the {which} server name contains spaces"
            )));
        }
        if self.port == 0 {
            return Err(Error::config(format!("the {which} port is 0")));
        }
        if self.security == Security::PlaintextDangerous && !crate::net::is_loopback(host) {
            return Err(Error::config(format!(
                "the {which} server {host} would be reached without encryption"
            )));
        }
        Ok(())
    }
}

/// Thunderbird's default.
fn default_check_interval() -> Option<u32> {
    Some(10)
}

/// An account's settings as the user edits them (no id yet, no passwords).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AccountSettings {
    /// The name shown to recipients, e.g. "Asha Rao" or "आशा राव".
    pub display_name: String,
    pub email: String,
    pub pop3: ServerSettings,
    pub pop3_mode: Pop3Mode,
    /// In keep mode: delete a message from the server this many days after it was downloaded
    /// (Thunderbird's "leave messages on server at most N days"). `None` keeps them forever.
    #[serde(default)]
    pub keep_days: Option<u32>,
    /// In keep mode: when the user deletes a message here, delete it from the server at the
    /// next check (Thunderbird's "delete from server when I delete it here").
    #[serde(default)]
    pub delete_when_deleted_here: bool,
    /// Download only each message's headers (TOP n 0); the body comes when the user asks.
    #[serde(default)]
    pub headers_only: bool,
    /// Messages larger than this many KiB (by the server's LIST size) arrive as their headers
    /// and first lines only; `None` downloads every message whole.
    #[serde(default)]
    pub max_message_kib: Option<u32>,
    pub smtp: ServerSettings,
    /// Check for new mail every this many minutes while Dakiya runs; `None`: only at start
    /// and when asked.
    #[serde(default = "default_check_interval")]
    pub check_interval_minutes: Option<u32>,
    /// One extra CA or self-signed server certificate trusted for this account's servers only.
    pub trusted_certificate: Option<TrustedCertificate>,
    /// Replies to mail sent as `email` go here instead, when set.
    #[serde(default)]
    pub reply_to: String,
    /// Put below the `-- ` separator (RFC 3676 §4.3) of mail sent as `email`.
    #[serde(default)]
    pub signature: String,
    /// Other names and addresses this account sends as (Thunderbird's identities): mail for
    /// them arrives in the same mailbox, and a reply goes out as the one it was sent to.
    #[serde(default)]
    pub identities: Vec<Identity>,
}

/// A name and address to send as, with its own Reply-To and signature.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub display_name: String,
    pub email: String,
    #[serde(default)]
    pub reply_to: String,
    #[serde(default)]
    pub signature: String,
}

fn check_address(email: &str) -> Result<()> {
    let email = email.trim();
    match email.split_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => Ok(()),
        _ => Err(Error::config(format!("“{email}” is not an e-mail address"))),
    }
}

impl AccountSettings {
    /// Every identity this account sends as, its own name and address first.
    pub fn all_identities(&self) -> Vec<Identity> {
        let own = Identity {
            display_name: self.display_name.clone(),
            email: self.email.clone(),
            reply_to: self.reply_to.clone(),
            signature: self.signature.clone(),
        };
        std::iter::once(own)
            .chain(self.identities.iter().cloned())
            .collect()
    }

    /// The identity with this address (any case); the account's own for an empty or unknown one.
    pub fn identity(&self, email: &str) -> Identity {
        let email = email.trim();
        let all = self.all_identities();
        all.iter()
            .find(|identity| identity.email.trim().eq_ignore_ascii_case(email))
            .unwrap_or(&all[0])
            .clone()
    }

    pub fn validate(&self) -> Result<()> {
        for identity in self.all_identities() {
            check_address(&identity.email)?;
            if !identity.reply_to.trim().is_empty() {
                check_address(&identity.reply_to)?;
            }
            // A signature has lines; a name or address is one line and becomes a header.
            if [&identity.display_name, &identity.email, &identity.reply_to]
                .iter()
                .any(|field| field.chars().any(char::is_control))
            {
                return Err(Error::config(
                    "the name or address contains control characters",
                ));
            }
        }
        if self.check_interval_minutes == Some(0) {
            return Err(Error::config("check for new mail at most every minute"));
        }
        if self.keep_days == Some(0) {
            return Err(Error::config(
                "keep messages on the server for at least one day",
            ));
        }
        if self.max_message_kib == Some(0) {
            return Err(Error::config(
                "the largest message to download whole must be at least 1 KiB",
            ));
        }
        self.pop3.validate("POP3")?;
        self.smtp.validate("SMTP")?;
        Ok(())
    }
}

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Account {
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub id: i64,
    #[serde(flatten)]
    pub settings: AccountSettings,
}

/// The two passwords an account needs; kept out of [`AccountSettings`] so they are never
/// serialised into the store by accident.
#[derive(Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Passwords {
    pub pop3: String,
    pub smtp: String,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passwords { .. }")
    }
}

/// An account for unit tests that never connect: `name <email>`, servers on localhost:1.
#[cfg(test)]
pub(crate) fn test_account(name: &str, email: &str) -> AccountSettings {
    let server = ServerSettings {
        host: "localhost".into(),
        port: 1,
        security: Security::Tls,
        username: "u".into(),
    };
    AccountSettings {
        display_name: name.into(),
        email: email.into(),
        pop3: server.clone(),
        pop3_mode: Pop3Mode::KeepOnServer,
        keep_days: None,
        delete_when_deleted_here: false,
        headers_only: false,
        max_message_kib: None,
        check_interval_minutes: None,
        smtp: server,
        trusted_certificate: None,
        reply_to: String::new(),
        signature: String::new(),
        identities: Vec::new(),
    }
}
