use std::{fmt::Display, str::FromStr};

use crate::error::{Error, ErrorKind};

/// A POP3 command keyword (RFC 1939 §§4–7, RFC 2449 §5, RFC 2595 §4, RFC 5034 §4).
#[derive(Debug, Eq, PartialEq, Clone)]
pub enum Command {
    Noop,
    Uidl,
    Top,
    Dele,
    Rset,
    Retr,
    List,
    Stat,
    Apop,
    Auth,
    User,
    Pass,
    Quit,
    Capa,
    /// RFC 2595 §4: switch the connection to TLS.
    Stls,
    /// Not sent: stands for the greeting the server sends unasked (RFC 1939 §4).
    Greet,
    /// A SASL client response (RFC 5034 §4); its `Display` is the BASE64 of the secret.
    #[cfg(feature = "sasl")]
    Base64(String),
    /// "*": abandons a SASL exchange (RFC 5034 §4).
    #[cfg(feature = "sasl")]
    AuthCancel,
}

impl Command {
    fn keyword(&self) -> &'static str {
        match self {
            Command::Noop => "NOOP",
            Command::Uidl => "UIDL",
            Command::Top => "TOP",
            Command::Dele => "DELE",
            Command::Rset => "RSET",
            Command::Retr => "RETR",
            Command::List => "LIST",
            Command::Stat => "STAT",
            Command::Apop => "APOP",
            Command::Auth => "AUTH",
            Command::User => "USER",
            Command::Pass => "PASS",
            Command::Quit => "QUIT",
            Command::Capa => "CAPA",
            Command::Stls => "STLS",
            Command::Greet => "",
            #[cfg(feature = "sasl")]
            Command::Base64(_) => "",
            #[cfg(feature = "sasl")]
            Command::AuthCancel => "*",
        }
    }
}

impl Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            #[cfg(feature = "sasl")]
            Self::Base64(secret) => f.write_str(&crate::base64::encode(secret)),
            other => f.write_str(other.keyword()),
        }
    }
}

impl FromStr for Command {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const ALL: [Command; 15] = [
            Command::Noop,
            Command::Uidl,
            Command::Top,
            Command::Dele,
            Command::Rset,
            Command::Retr,
            Command::List,
            Command::Stat,
            Command::Apop,
            Command::Auth,
            Command::User,
            Command::Pass,
            Command::Quit,
            Command::Capa,
            Command::Stls,
        ];
        ALL.into_iter()
            .find(|command| command.keyword().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::ParseCommand,
                    format!(
                        "Could not recognize '{}' as a valid POP command",
                        s.to_lowercase()
                    ),
                )
            })
    }
}
