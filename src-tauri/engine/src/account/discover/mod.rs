//! Account setup from an e-mail address alone, in Thunderbird's order:
//! 1. the provider database shipped with Dakiya (no network at all);
//! 2. the provider's own autoconfig file, over verified HTTPS only;
//! 3. guessing `pop.`/`pop3.`/`mail.`/bare domain and `smtp.`/`mail.` on the standard ports,
//!    implicit TLS first, each candidate checked by a real POP3 or SMTP exchange and a
//!    verified certificate.
//!
//! Only POP3 incoming servers count; an IMAP-only provider is said so by name
//! ([`ErrorReason::ImapOnly`]). What is found is a proposal the user confirms or edits:
//! manual settings stay possible whatever this finds.

mod config;
mod connect;
mod guess;
mod https;
mod providers;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::account::{Security, ServerSettings};
use crate::error::{Error, ErrorKind, ErrorReason, Result};
use crate::tls::TrustedCertificate;

pub use config::MAX_CONFIG_BYTES;

/// Where the proposed settings came from, so the user knows how much to trust them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum DiscoverySource {
    /// The provider database shipped with Dakiya.
    Database,
    /// The provider's own `autoconfig.` or `.well-known` file, fetched over HTTPS.
    ProviderAutoconfig,
    /// Found by trying the usual server names and ports.
    Guessed,
}

/// How the login name is formed from the address (Thunderbird's placeholders).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum UsernameForm {
    /// `%EMAILADDRESS%`: the whole address.
    EmailAddress,
    /// `%EMAILLOCALPART%`: the part before the `@`.
    LocalPart,
    /// Something else the provider's file spelt out.
    Other,
}

/// One server as found, ready for the account form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DiscoveredServer {
    pub server: ServerSettings,
    pub username_form: UsernameForm,
    /// The configuration's security did not match its standard port (995/465 are implicit
    /// TLS, 110/587 STARTTLS) and the port's was used instead.
    pub corrected: bool,
}

/// One sentence of a provider note, in one language (`None`: the file did not say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct NoteText {
    pub lang: Option<String>,
    pub text: String,
}

/// Something the user must do at the provider first ("turn on POP", "use an app password"),
/// with the page where it is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ProviderNote {
    pub url: Option<String>,
    /// The same note in each language the file has it in.
    pub texts: Vec<NoteText>,
}

/// What discovery proposes for an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Discovery {
    pub source: DiscoverySource,
    /// The provider's name ("Google Mail"); empty when guessed.
    pub provider: String,
    pub pop3: DiscoveredServer,
    pub smtp: DiscoveredServer,
    pub notes: Vec<ProviderNote>,
}

/// Maps a host and standard port to where to connect instead. Tests use it to send
/// `pop.example.test:995` to a local Dovecot; `None` from it means "no such host". Production
/// leaves it unset and uses the system's resolver. TLS is still verified for the host name.
#[derive(Clone)]
pub struct Resolver(Arc<ResolveFn>);

type ResolveFn = dyn Fn(&str, u16) -> Option<SocketAddr> + Send + Sync;

impl Resolver {
    pub fn new(map: impl Fn(&str, u16) -> Option<SocketAddr> + Send + Sync + 'static) -> Self {
        Resolver(Arc::new(map))
    }

    fn resolve(&self, host: &str, port: u16) -> Option<SocketAddr> {
        (self.0)(host, port)
    }
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Resolver(..)")
    }
}

/// How discovery reaches the network.
#[derive(Debug, Clone)]
pub struct DiscoveryOptions {
    /// Trusted in addition to the system's roots (tests: their per-run CAs).
    pub extra_roots: Vec<TrustedCertificate>,
    pub resolver: Option<Resolver>,
    /// For each guessed candidate's whole exchange (connect, TLS, greeting, CAPA/EHLO).
    pub probe_timeout: Duration,
    /// For each autoconfig HTTPS request, redirects included.
    pub http_timeout: Duration,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        DiscoveryOptions {
            extra_roots: Vec::new(),
            resolver: None,
            probe_timeout: Duration::from_secs(4),
            http_timeout: Duration::from_secs(5),
        }
    }
}

/// An address taken apart: the local part as typed, the domain as IDNA A-labels, lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Address {
    pub email: String,
    pub local: String,
    pub domain: String,
}

impl Address {
    pub fn parse(email: &str) -> Result<Address> {
        let email = email.trim();
        let not_an_address = || Error::config(format!("“{email}” is not an e-mail address"));
        let (local, domain) = email.rsplit_once('@').ok_or_else(not_an_address)?;
        if local.is_empty() || local.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(not_an_address());
        }
        let domain = idna::domain_to_ascii(domain.trim_end_matches('.'))
            .map_err(|_| not_an_address())?
            .to_ascii_lowercase();
        if !is_host_name(&domain) || !domain.contains('.') && domain != "localhost" {
            return Err(not_an_address());
        }
        Ok(Address {
            email: format!("{local}@{domain}"),
            local: local.to_owned(),
            domain,
        })
    }

    /// Thunderbird's placeholders filled in.
    fn fill(&self, template: &str) -> String {
        template
            .replace("%EMAILADDRESS%", &self.email)
            .replace("%EMAILLOCALPART%", &self.local)
            .replace("%EMAILDOMAIN%", &self.domain)
    }
}

/// A DNS name made of letters, digits, `-` and dots: what may go into a URL or a TLS check.
pub(crate) fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    Pop3,
    Smtp,
}

impl Protocol {
    /// The security a standard port means (RFC 8314 §3, RFC 2595, RFC 6409).
    fn standard_security(self, port: u16) -> Option<Security> {
        match (self, port) {
            (Protocol::Pop3, 995) | (Protocol::Smtp, 465) => Some(Security::Tls),
            (Protocol::Pop3, 110) | (Protocol::Smtp, 587) => Some(Security::StartTls),
            _ => None,
        }
    }

    fn default_port(self, security: Security) -> u16 {
        match self {
            Protocol::Pop3 => security.default_pop3_port(),
            Protocol::Smtp => security.default_smtp_port(),
        }
    }
}

/// Finds POP3 and SMTP settings for `email`. Errors: [`ErrorKind::Config`] for something that
/// is not an address, [`ErrorReason::ImapOnly`], [`ErrorReason::ServersNotFound`].
pub async fn discover(email: &str, options: &DiscoveryOptions) -> Result<Discovery> {
    let address = Address::parse(email)?;
    if let Some(config) = providers::lookup(&address.domain)? {
        return from_config(&config, &address, DiscoverySource::Database);
    }
    let tls = crate::tls::client_config_trusting(&options.extra_roots)?;
    match https::fetch_autoconfig(&address, options, tls.clone()).await {
        Ok(config) => match from_config(&config, &address, DiscoverySource::ProviderAutoconfig) {
            Ok(found) => return Ok(found),
            Err(error) if error.reason() == Some(&ErrorReason::ImapOnly) => return Err(error),
            Err(error) => tracing::info!("the provider's configuration is unusable: {error}"),
        },
        Err(error) => {
            tracing::info!(domain = %address.domain, "no provider autoconfig: {}", error.chain())
        }
    }
    guess::guess(&address, options, tls).await
}

/// Fetches and parses the provider's own autoconfig file (step 2 alone), for tests and tools.
pub async fn fetch_provider_config(email: &str, options: &DiscoveryOptions) -> Result<Discovery> {
    let address = Address::parse(email)?;
    let tls = crate::tls::client_config_trusting(&options.extra_roots)?;
    let config = https::fetch_autoconfig(&address, options, tls).await?;
    from_config(&config, &address, DiscoverySource::ProviderAutoconfig)
}

/// Every domain the shipped provider database answers for without touching the network.
pub fn database_domains() -> Result<Vec<String>> {
    providers::domains()
}

/// Sign-in methods Dakiya can do with a password (Thunderbird's names).
const PASSWORD_METHODS: &[&str] = &[
    "password-cleartext",
    "plain",
    "password-encrypted",
    "secure",
];

fn from_config(
    config: &config::ProviderConfig,
    address: &Address,
    source: DiscoverySource,
) -> Result<Discovery> {
    let provider = if config.display_name.is_empty() {
        address.domain.clone()
    } else {
        config.display_name.clone()
    };
    let pop3_entries: Vec<_> = config
        .incoming
        .iter()
        .filter(|server| server.kind == "pop3")
        .collect();
    if pop3_entries.is_empty() {
        if config.incoming.iter().any(|server| server.kind == "imap") {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("{provider} offers only IMAP, and Dakiya speaks POP3"),
            )
            .with_reason(ErrorReason::ImapOnly));
        }
        return Err(not_found(format!(
            "the configuration for {} lists no POP3 server",
            address.domain
        )));
    }
    let pop3 = pop3_entries
        .iter()
        .find_map(|server| usable(server, address, Protocol::Pop3))
        .ok_or_else(|| {
            not_found(format!(
                "{provider}'s POP3 servers need a sign-in Dakiya does not support, or no encryption"
            ))
        })?;
    let smtp = config
        .outgoing
        .iter()
        .filter(|server| server.kind == "smtp")
        .find_map(|server| usable(server, address, Protocol::Smtp))
        .ok_or_else(|| {
            not_found(format!(
                "the configuration for {} lists no SMTP server Dakiya can use",
                address.domain
            ))
        })?;
    Ok(Discovery {
        source,
        provider,
        pop3,
        smtp,
        notes: config.notes.clone(),
    })
}

pub(crate) fn not_found(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::NotFound, message).with_reason(ErrorReason::ServersNotFound)
}

/// The entry as settings Dakiya can use, or `None` when it cannot: OAuth-only, unencrypted on
/// a non-standard port, or a host name that is not one.
fn usable(
    entry: &config::ConfigServer,
    address: &Address,
    protocol: Protocol,
) -> Option<DiscoveredServer> {
    let password_ok = entry.authentication.is_empty()
        || entry.authentication.iter().any(|method| {
            PASSWORD_METHODS
                .iter()
                .any(|known| known.eq_ignore_ascii_case(method))
        });
    if !password_ok {
        return None;
    }
    let host = address.fill(&entry.hostname).to_ascii_lowercase();
    if !is_host_name(&host) {
        return None;
    }
    let declared = match entry.socket_type.to_ascii_uppercase().as_str() {
        "SSL" | "TLS" => Some(Security::Tls),
        "STARTTLS" => Some(Security::StartTls),
        _ => None,
    };
    let port = entry
        .port
        .or_else(|| declared.map(|security| protocol.default_port(security)))?;
    let (security, corrected) = match (protocol.standard_security(port), declared) {
        (Some(standard), declared) => (standard, declared != Some(standard)),
        (None, Some(declared)) => (declared, false),
        (None, None) => return None,
    };
    let template = entry.username.trim();
    let (username, username_form) = match template {
        "" | "%EMAILADDRESS%" => (address.email.clone(), UsernameForm::EmailAddress),
        "%EMAILLOCALPART%" => (address.local.clone(), UsernameForm::LocalPart),
        other => (address.fill(other), UsernameForm::Other),
    };
    Some(DiscoveredServer {
        server: ServerSettings {
            host,
            port,
            security,
            username,
        },
        username_form,
        corrected,
    })
}

#[cfg(test)]
mod tests {
    use super::config::{ConfigServer, ProviderConfig};
    use super::*;

    fn address() -> Address {
        Address::parse("Asha.Rao@Example.ORG").unwrap()
    }

    fn entry(kind: &str, port: Option<u16>, socket: &str) -> ConfigServer {
        ConfigServer {
            kind: kind.into(),
            hostname: "%EMAILDOMAIN%".into(),
            port,
            socket_type: socket.into(),
            username: "%EMAILLOCALPART%".into(),
            authentication: vec!["password-cleartext".into()],
        }
    }

    #[test]
    fn addresses_are_split_and_domains_made_ascii() {
        let parsed = address();
        assert_eq!(parsed.local, "Asha.Rao");
        assert_eq!(parsed.domain, "example.org");
        assert_eq!(parsed.email, "Asha.Rao@example.org");
        let hindi = Address::parse("आशा@डाकिया.भारत").unwrap();
        assert!(hindi.domain.starts_with("xn--"), "{}", hindi.domain);
        for bad in [
            "",
            "no-at",
            "@example.org",
            "a@",
            "a b@x.org",
            "a@x",
            "a@exa mple.org",
        ] {
            assert_eq!(
                Address::parse(bad).unwrap_err().kind(),
                ErrorKind::Config,
                "{bad}"
            );
        }
    }

    #[test]
    fn standard_ports_decide_the_security() {
        let cases = [
            (Protocol::Pop3, 995, "STARTTLS", Security::Tls, true),
            (Protocol::Pop3, 995, "SSL", Security::Tls, false),
            (Protocol::Pop3, 110, "SSL", Security::StartTls, true),
            (Protocol::Pop3, 110, "plain", Security::StartTls, true),
            (Protocol::Smtp, 465, "STARTTLS", Security::Tls, true),
            (Protocol::Smtp, 587, "SSL", Security::StartTls, true),
            (Protocol::Smtp, 2525, "SSL", Security::Tls, false),
            (Protocol::Smtp, 2525, "STARTTLS", Security::StartTls, false),
        ];
        for (protocol, port, socket, security, corrected) in cases {
            let kind = if protocol == Protocol::Pop3 {
                "pop3"
            } else {
                "smtp"
            };
            let found = usable(&entry(kind, Some(port), socket), &address(), protocol).unwrap();
            assert_eq!(found.server.security, security, "{port} {socket}");
            assert_eq!(found.corrected, corrected, "{port} {socket}");
            assert_eq!(found.server.host, "example.org");
            assert_eq!(found.server.username, "Asha.Rao");
            assert_eq!(found.username_form, UsernameForm::LocalPart);
        }
    }

    #[test]
    fn unusable_entries_are_skipped() {
        let plain = entry("pop3", Some(2110), "plain");
        assert!(usable(&plain, &address(), Protocol::Pop3).is_none());
        let mut oauth = entry("pop3", Some(995), "SSL");
        oauth.authentication = vec!["OAuth2".into()];
        assert!(usable(&oauth, &address(), Protocol::Pop3).is_none());
        let mut hostile = entry("pop3", Some(995), "SSL");
        hostile.hostname = "pop.example.org/evil".into();
        assert!(usable(&hostile, &address(), Protocol::Pop3).is_none());
        let no_port = entry("pop3", None, "SSL");
        assert_eq!(
            usable(&no_port, &address(), Protocol::Pop3)
                .unwrap()
                .server
                .port,
            995
        );
    }

    #[test]
    fn imap_only_is_its_own_reason() {
        let config = ProviderConfig {
            display_name: "iCloud".into(),
            incoming: vec![entry("imap", Some(993), "SSL")],
            outgoing: vec![entry("smtp", Some(587), "STARTTLS")],
            ..ProviderConfig::default()
        };
        let error = from_config(&config, &address(), DiscoverySource::Database).unwrap_err();
        assert_eq!(error.reason(), Some(&ErrorReason::ImapOnly));
        assert!(error.message().contains("iCloud offers only IMAP"));
    }

    #[test]
    fn the_first_usable_pop3_entry_wins() {
        let mut oauth = entry("pop3", Some(995), "SSL");
        oauth.authentication = vec!["OAuth2".into()];
        let mut second = entry("pop3", Some(110), "STARTTLS");
        second.hostname = "pop.%EMAILDOMAIN%".into();
        let config = ProviderConfig {
            incoming: vec![entry("imap", Some(993), "SSL"), oauth, second],
            outgoing: vec![entry("smtp", Some(465), "SSL")],
            ..ProviderConfig::default()
        };
        let found = from_config(&config, &address(), DiscoverySource::Database).unwrap();
        assert_eq!(found.pop3.server.host, "pop.example.org");
        assert_eq!(found.pop3.server.port, 110);
        assert_eq!(found.provider, "example.org");
        assert_eq!(found.smtp.server.security, Security::Tls);
    }
}
