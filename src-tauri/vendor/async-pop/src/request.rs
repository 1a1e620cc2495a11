use std::{fmt::Display, str::FromStr};

use crate::{
    command::Command,
    constants::END_OF_LINE,
    error::{err, Error, ErrorKind, Result},
};

/// One command line. `Display` is its wire form without the final CRLF (RFC 1939 §3:
/// "a case-insensitive keyword, possibly followed by one or more arguments … separated by a
/// single SPACE character"); [`Request::to_wire`] adds the CRLF.
#[derive(Debug, Clone)]
pub struct Request {
    command: Command,
    args: Vec<String>,
}

impl From<Request> for Command {
    fn from(val: Request) -> Self {
        val.command
    }
}

impl From<Command> for Request {
    fn from(command: Command) -> Self {
        Self {
            command,
            args: Vec::new(),
        }
    }
}

impl Display for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.command)?;

        for arg in &self.args {
            write!(f, " {}", arg)?;
        }

        Ok(())
    }
}

impl FromStr for Request {
    type Err = Error;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let command: Command = s.parse()?;

        Ok(command.into())
    }
}

impl Request {
    pub fn new<A: Display>(command: Command, args: &[A]) -> Self {
        Self {
            command,
            args: args.iter().map(|arg| arg.to_string()).collect(),
        }
    }

    pub fn add_arg<A: Display>(&mut self, arg: A) {
        self.args.push(arg.to_string())
    }

    pub fn command(&self) -> &Command {
        &self.command
    }

    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// The exact bytes sent. Refuses CR, LF and NUL in arguments: a password such as
    /// "x\r\nDELE 1" must never become a second command.
    pub fn to_wire(&self) -> Result<Vec<u8>> {
        let forbidden = |arg: &String| arg.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0));
        if self.args.iter().any(forbidden) {
            err!(
                ErrorKind::InvalidArgument,
                "An argument to {} contains a line break or NUL",
                self.command
            );
        }
        let mut wire = self.to_string().into_bytes();
        wire.extend_from_slice(&END_OF_LINE);
        Ok(wire)
    }

    /// The form written to logs: never a password, a SASL response or an APOP digest.
    pub fn log_form(&self) -> String {
        match &self.command {
            Command::Pass => "PASS <redacted>".to_owned(),
            Command::Apop => match self.args.first() {
                Some(name) => format!("APOP {name} <redacted>"),
                None => "APOP".to_owned(),
            },
            Command::Auth => match self.args.as_slice() {
                [mechanism] => format!("AUTH {mechanism}"),
                [mechanism, ..] => format!("AUTH {mechanism} <redacted>"),
                [] => "AUTH".to_owned(),
            },
            #[cfg(feature = "sasl")]
            Command::Base64(_) => "<redacted SASL response>".to_owned(),
            _ => self.to_string(),
        }
    }

    /// RFC 1939 §3 and RFC 2449 §5: which positive replies carry a multi-line body.
    pub(crate) fn expects_multiline(&self) -> bool {
        match self.command {
            Command::Capa | Command::Retr | Command::Top => true,
            Command::List | Command::Uidl => self.args.is_empty(),
            _ => false,
        }
    }

    /// RFC 5034 §4: only an AUTH exchange may be answered with a "+ " continuation.
    pub(crate) fn allows_continuation(&self) -> bool {
        match self.command {
            Command::Auth => true,
            #[cfg(feature = "sasl")]
            Command::Base64(_) => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(request: Request) -> Vec<u8> {
        request.to_wire().unwrap()
    }

    #[test]
    fn wire_forms_are_pinned() {
        assert_eq!(wire(Command::Capa.into()), b"CAPA\r\n");
        assert_eq!(wire(Command::Stls.into()), b"STLS\r\n");
        assert_eq!(wire(Request::new(Command::Retr, &[7])), b"RETR 7\r\n");
        assert_eq!(wire(Request::new(Command::Top, &[7, 0])), b"TOP 7 0\r\n");
        assert_eq!(
            wire(Request::new(Command::User, &["asha"])),
            b"USER asha\r\n"
        );
        assert_eq!(
            wire(Request::new(Command::Pass, &["pa ss वर्ड"])),
            "PASS pa ss वर्ड\r\n".as_bytes()
        );
        assert_eq!(
            wire(Request::new(Command::Auth, &["PLAIN"])),
            b"AUTH PLAIN\r\n"
        );
        assert_eq!(wire(Command::Quit.into()), b"QUIT\r\n");
    }

    #[cfg(feature = "sasl")]
    #[test]
    fn sasl_response_is_base64_of_the_secret() {
        assert_eq!(
            wire(Command::Base64("\0u\0p".into()).into()),
            b"AHUAcA==\r\n"
        );
        assert_eq!(wire(Command::AuthCancel.into()), b"*\r\n");
    }

    #[test]
    fn line_breaks_in_arguments_are_refused() {
        for bad in ["x\r\nDELE 1", "x\nDELE 1", "x\rq", "nul\0"] {
            let error = Request::new(Command::Pass, &[bad]).to_wire().unwrap_err();
            assert!(
                matches!(error.kind(), ErrorKind::InvalidArgument),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn logs_never_hold_secrets() {
        assert_eq!(
            Request::new(Command::Pass, &["hunter2"]).log_form(),
            "PASS <redacted>"
        );
        assert_eq!(
            Request::new(Command::Auth, &["PLAIN", "AGEAYg=="]).log_form(),
            "AUTH PLAIN <redacted>"
        );
        assert_eq!(
            Request::new(Command::Apop, &["asha", "c4c9334bac560ecc979e58001b3e22fb"]).log_form(),
            "APOP asha <redacted>"
        );
        #[cfg(feature = "sasl")]
        assert!(!Request::from(Command::Base64("hunter2".into()))
            .log_form()
            .contains("aHVudGVy"));
        assert_eq!(Request::new(Command::Retr, &[3]).log_form(), "RETR 3");
    }

    #[test]
    fn multiline_replies_follow_rfc_1939() {
        assert!(Request::from(Command::Uidl).expects_multiline());
        assert!(!Request::new(Command::Uidl, &[1]).expects_multiline());
        assert!(Request::from(Command::List).expects_multiline());
        assert!(!Request::new(Command::List, &[1]).expects_multiline());
        assert!(Request::new(Command::Retr, &[1]).expects_multiline());
        assert!(!Request::from(Command::Stat).expects_multiline());
    }
}
