//! Engines and accounts wired to the test servers, so each test reads as the user's story.

use std::path::Path;
use std::sync::Arc;

use dakiya_engine::{
    Account, AccountSettings, Engine, PasswordStorage, Passwords, Pop3Mode, Security,
    ServerSettings, TrustedCertificate,
};
use tempfile::TempDir;

use crate::servers::{MailServers, Mailbox};

/// An engine on its own data directory, passwords in memory (tests never touch a keyring).
pub fn engine(data_dir: &Path) -> Engine {
    Engine::open(data_dir, PasswordStorage::MemoryOnly).expect("the engine opens")
}

/// The account settings a user would type for `mailbox` on the test servers.
pub fn account_settings(
    servers: &MailServers,
    mailbox: &Mailbox,
    pop3_security: Security,
    smtp_security: Security,
    mode: Pop3Mode,
) -> AccountSettings {
    let pop3_port = match pop3_security {
        Security::Tls => servers.pop3_tls_port(),
        _ => servers.pop3_starttls_port(),
    };
    let smtp_port = match smtp_security {
        Security::Tls => servers.submission_tls_port(),
        _ => servers.submission_starttls_port(),
    };
    AccountSettings {
        display_name: "आशा Test".into(),
        email: mailbox.address.clone(),
        pop3: ServerSettings {
            host: servers.host().into(),
            port: pop3_port,
            security: pop3_security,
            username: mailbox.username.clone(),
        },
        pop3_mode: mode,
        keep_days: None,
        delete_when_deleted_here: false,
        headers_only: false,
        max_message_kib: None,
        check_interval_minutes: None,
        smtp: ServerSettings {
            host: servers.host().into(),
            port: smtp_port,
            security: smtp_security,
            username: mailbox.username.clone(),
        },
        trusted_certificate: Some(
            TrustedCertificate::from_pem(servers.ca_pem()).expect("the test CA parses"),
        ),
        reply_to: String::new(),
        signature: String::new(),
        identities: Vec::new(),
    }
}

pub fn passwords(mailbox: &Mailbox) -> Passwords {
    Passwords {
        pop3: mailbox.password.clone(),
        smtp: mailbox.password.clone(),
    }
}

/// A person using the test servers: a mailbox of their own, a fresh data directory and an
/// engine on it — what every test that talks to the real servers starts from.
pub struct User {
    pub servers: &'static MailServers,
    pub mailbox: Mailbox,
    /// Shared, so a test can also hand it to the scheduler.
    pub engine: Arc<Engine>,
    _data: TempDir,
}

impl User {
    pub fn new(prefix: &str, password: &str) -> User {
        User::with_engine(prefix, password, |_| {})
    }

    /// A user whose engine is adjusted (shorter timeouts, faster scheduler) before use.
    pub fn with_engine(prefix: &str, password: &str, adjust: impl FnOnce(&mut Engine)) -> User {
        let servers = MailServers::shared();
        let mailbox = servers.create_mailbox(prefix, password);
        let data = tempfile::tempdir().expect("a temporary data directory");
        let mut engine = engine(data.path());
        adjust(&mut engine);
        User {
            servers,
            mailbox,
            engine: Arc::new(engine),
            _data: data,
        }
    }

    /// Where this user's engine keeps its data.
    pub fn data_dir(&self) -> &Path {
        self._data.path()
    }

    /// The settings a user would type, trusting the per-run CA.
    pub fn settings(&self, pop3: Security, smtp: Security, mode: Pop3Mode) -> AccountSettings {
        account_settings(self.servers, &self.mailbox, pop3, smtp, mode)
    }

    /// Saves an account with these settings and the mailbox's password.
    pub async fn add_account(&self, settings: AccountSettings) -> Account {
        self.engine
            .save_account(None, settings, passwords(&self.mailbox))
            .await
            .expect("the account is saved")
    }
}

/// An account whose POP3 and SMTP servers are both the scripted one on 127.0.0.1:`port`
/// (user "user", password "pw"), for the faults the real daemons cannot make.
pub fn scripted_account(port: u16, security: Security, mode: Pop3Mode) -> AccountSettings {
    let server = ServerSettings {
        host: "127.0.0.1".into(),
        port,
        security,
        username: "user".into(),
    };
    AccountSettings {
        display_name: "Scripted".into(),
        email: "scripted@dakiya.test".into(),
        pop3: server.clone(),
        pop3_mode: mode,
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

/// The passwords of a [`scripted_account`].
pub fn scripted_passwords() -> Passwords {
    Passwords {
        pop3: "pw".into(),
        smtp: "pw".into(),
    }
}

/// What a POP3 server serves for a Maildir file: Maildir stores bare LF, RETR sends CRLF.
pub fn as_served(maildir_file: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(maildir_file.len() + maildir_file.len() / 40);
    let mut previous = 0u8;
    for &byte in maildir_file {
        if byte == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(byte);
        previous = byte;
    }
    out
}
