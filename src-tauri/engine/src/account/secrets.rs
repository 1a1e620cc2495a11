//! Passwords: in the OS keyring (Secret Service) when one is running, otherwise in memory for
//! this session only — never in a file. The UI is told which of the two it got.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::{Error, ErrorKind, ErrorReason, Result};

const SERVICE: &str = "dakiya";

/// Which password of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Server {
    Pop3,
    Smtp,
}

impl Server {
    fn label(self) -> &'static str {
        match self {
            Server::Pop3 => "pop3",
            Server::Smtp => "smtp",
        }
    }
}

/// Where passwords are kept this session.
pub struct PasswordStore {
    keyring_available: bool,
    /// The key names the data directory too, so test instances never read a user's passwords.
    namespace: String,
    memory: Mutex<HashMap<(i64, Server), String>>,
}

impl PasswordStore {
    /// Probes the keyring once by writing and deleting a throw-away entry: `keyring` reports a
    /// missing Secret Service only when it is used.
    pub fn open(namespace: &str) -> Self {
        let keyring_available = match keyring::Entry::new(SERVICE, &format!("{namespace}/probe")) {
            Ok(entry) => match entry.set_password("probe") {
                Ok(()) => {
                    let _ = entry.delete_credential();
                    true
                }
                Err(error) => {
                    tracing::warn!("no usable keyring, passwords stay in memory: {error}");
                    false
                }
            },
            Err(error) => {
                tracing::warn!("no usable keyring, passwords stay in memory: {error}");
                false
            }
        };
        PasswordStore::with_keyring(namespace, keyring_available)
    }

    /// Memory only, whatever the desktop offers (the CLI's `--no-keyring`, tests).
    pub fn memory_only(namespace: &str) -> Self {
        PasswordStore::with_keyring(namespace, false)
    }

    fn with_keyring(namespace: &str, keyring_available: bool) -> Self {
        PasswordStore {
            keyring_available,
            namespace: namespace.to_owned(),
            memory: Mutex::new(HashMap::new()),
        }
    }

    pub fn keyring_available(&self) -> bool {
        self.keyring_available
    }

    fn entry(&self, account: i64, server: Server) -> Result<keyring::Entry> {
        let user = format!("{}/account-{account}/{}", self.namespace, server.label());
        keyring::Entry::new(SERVICE, &user).map_err(keyring_error)
    }

    pub fn set(&self, account: i64, server: Server, password: &str) -> Result<()> {
        self.remember(account, server, password);
        if self.keyring_available {
            self.entry(account, server)?
                .set_password(password)
                .map_err(keyring_error)?;
        }
        Ok(())
    }

    pub fn get(&self, account: i64, server: Server) -> Result<String> {
        if let Some(password) = self.lock().get(&(account, server)) {
            return Ok(password.clone());
        }
        if self.keyring_available {
            match self.entry(account, server)?.get_password() {
                Ok(password) => {
                    self.remember(account, server, &password);
                    return Ok(password);
                }
                Err(keyring::Error::NoEntry) => {}
                Err(error) => return Err(keyring_error(error)),
            }
        }
        Err(
            Error::new(ErrorKind::Config, "no password is known for this account")
                .with_reason(ErrorReason::PasswordMissing),
        )
    }

    pub fn forget(&self, account: i64) -> Result<()> {
        for server in [Server::Pop3, Server::Smtp] {
            self.lock().remove(&(account, server));
            if self.keyring_available {
                match self.entry(account, server)?.delete_credential() {
                    Ok(()) | Err(keyring::Error::NoEntry) => {}
                    Err(error) => return Err(keyring_error(error)),
                }
            }
        }
        Ok(())
    }

    /// Used for this session only, whatever the keyring offers.
    pub fn remember_for_session(&self, account: i64, server: Server, password: &str) {
        self.remember(account, server, password);
    }

    fn remember(&self, account: i64, server: Server, password: &str) {
        self.lock().insert((account, server), password.to_owned());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(i64, Server), String>> {
        // A panic while holding the lock cannot leave the map half-written; keep using it.
        self.memory
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn keyring_error(error: keyring::Error) -> Error {
    Error::new(ErrorKind::Config, format!("the keyring failed: {error}"))
        .with_reason(ErrorReason::KeyringUnavailable)
        .with_source(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_round_trips_and_forgets() {
        let store = PasswordStore::memory_only("test");
        store.set(1, Server::Pop3, "pass word ü").unwrap();
        assert_eq!(store.get(1, Server::Pop3).unwrap(), "pass word ü");
        let missing = store.get(1, Server::Smtp).unwrap_err();
        assert_eq!(missing.reason(), Some(&ErrorReason::PasswordMissing));
        store.forget(1).unwrap();
        assert!(store.get(1, Server::Pop3).is_err());
    }
}
