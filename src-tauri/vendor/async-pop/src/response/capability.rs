use bytes::Bytes;

use super::types::{message::Text, number::Duration};

#[derive(Eq, PartialEq, PartialOrd, Ord, Debug, Hash, Clone, Default)]
pub enum Expiration {
    #[default]
    Never,
    Time(Duration),
}

/// One line of a CAPA reply (RFC 2449 §6).
#[derive(Eq, PartialEq, PartialOrd, Ord, Debug, Hash, Clone)]
pub enum Capability {
    /// Whether the TOP command is supported.
    Top,
    /// Whether the USER and PASS commands (login) are supported.
    User,
    /// The SASL mechanisms offered (RFC 2449 §6.3, RFC 5034), any name the server lists.
    Sasl(Vec<Bytes>),
    /// Whether the server uses extended response codes. See RFC 2449 §8.
    RespCodes,
    /// The minimum delay between logins (RFC 2449 §6.5).
    LoginDelay(Duration),
    /// Whether the server supports pipelining. See RFC 2449 §6.6.
    Pipelining,
    /// How long the server keeps messages (RFC 2449 §6.7).
    Expire(Expiration),
    /// Whether the UIDL command is supported.
    Uidl,
    /// The server's self-description (RFC 2449 §6.9).
    Implementation(Text),
    /// RFC 2595 §4: the server accepts STLS.
    Stls,
    /// Anything else, kept whole (name and arguments) so an unknown capability never fails the
    /// parse: upstream's allow-list rejected e.g. "SASL SCRAM-SHA-1-PLUS" and broke login.
    Other(Text),
}

pub type Capabilities = Vec<Capability>;

impl Capability {
    /// Parses one capability line (without its line end). Never fails: what is not understood
    /// becomes [`Capability::Other`].
    pub(crate) fn parse(line: &[u8]) -> Capability {
        let mut words = line
            .split(u8::is_ascii_whitespace)
            .filter(|word| !word.is_empty());
        let Some(name) = words.next() else {
            return Capability::Other(line.into());
        };
        let args: Vec<&[u8]> = words.collect();
        let is = |keyword: &str| name.eq_ignore_ascii_case(keyword.as_bytes());
        let digits = |word: &&[u8]| !word.is_empty() && word.iter().all(u8::is_ascii_digit);
        if is("TOP") {
            Capability::Top
        } else if is("USER") {
            Capability::User
        } else if is("SASL") {
            Capability::Sasl(args.iter().map(|arg| Bytes::copy_from_slice(arg)).collect())
        } else if is("RESP-CODES") {
            Capability::RespCodes
        } else if is("PIPELINING") {
            Capability::Pipelining
        } else if is("UIDL") {
            Capability::Uidl
        } else if is("STLS") {
            Capability::Stls
        } else if is("IMPLEMENTATION") {
            let text = line[name.len()..].trim_ascii_start();
            Capability::Implementation(text.into())
        } else if is("LOGIN-DELAY") && args.first().is_some_and(digits) {
            Capability::LoginDelay(Duration::new(args[0], 1))
        } else if is("EXPIRE") {
            match args.first() {
                Some(days) if digits(days) => {
                    Capability::Expire(Expiration::Time(Duration::new(*days, 24 * 60 * 60)))
                }
                Some(word) if word.eq_ignore_ascii_case(b"NEVER") => {
                    Capability::Expire(Expiration::Never)
                }
                _ => Capability::Other(line.into()),
            }
        } else {
            Capability::Other(line.into())
        }
    }
}
