//! Thunderbird's autoconfig format (`config-v1.1.xml`, the same one its ISPDB and providers'
//! `autoconfig.` hosts serve), read from text that may be hostile: the size is capped, a
//! DOCTYPE (and with it every entity definition) is refused, and only XML's five predefined
//! entities and character references are resolved, so nothing can expand.
//!
//! Only what Dakiya uses is kept: domains, the display name, incoming and outgoing servers,
//! and the `enable`/`documentation` notes a provider gives its users.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::error::{Error, ErrorKind, ErrorReason, Result};

use super::{NoteText, ProviderNote};

/// No real provider's file comes near this (Gmail's, with every note, is ~3 KiB).
pub const MAX_CONFIG_BYTES: usize = 64 * 1024;
/// Deeper nesting than this is not an autoconfig file.
const MAX_DEPTH: usize = 16;
/// More servers, domains or notes than this is not an autoconfig file either.
const MAX_ITEMS: usize = 256;

/// One `<incomingServer>` or `<outgoingServer>`, before placeholders are filled in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigServer {
    /// `pop3`, `imap`, `smtp`, … as the `type` attribute says, lower-cased.
    pub kind: String,
    pub hostname: String,
    pub port: Option<u16>,
    /// `SSL`, `STARTTLS` or `plain`, as written.
    pub socket_type: String,
    /// With its placeholders, e.g. `%EMAILADDRESS%`.
    pub username: String,
    /// `password-cleartext`, `OAuth2`, … in the file's order.
    pub authentication: Vec<String>,
}

/// One `<emailProvider>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderConfig {
    pub id: String,
    pub domains: Vec<String>,
    pub display_name: String,
    pub incoming: Vec<ConfigServer>,
    pub outgoing: Vec<ConfigServer>,
    pub notes: Vec<ProviderNote>,
}

fn invalid(why: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Parse,
        format!("the provider's configuration file is not valid: {why}"),
    )
    .with_reason(ErrorReason::AutoconfigInvalid)
}

pub fn too_large() -> Error {
    Error::new(
        ErrorKind::Parse,
        format!(
            "the provider's configuration file is larger than {} KiB, more than any real one",
            MAX_CONFIG_BYTES / 1024
        ),
    )
    .with_reason(ErrorReason::AutoconfigTooLarge)
}

/// Which element the text being read belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Domain,
    DisplayName,
    Hostname,
    Port,
    SocketType,
    Username,
    Authentication,
    Instruction,
    Description,
}

/// Parses a `config-v1.1.xml` document; the first `<emailProvider>` is the one used.
pub fn parse(bytes: &[u8]) -> Result<ProviderConfig> {
    if bytes.len() > MAX_CONFIG_BYTES {
        return Err(too_large());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| invalid("it is not UTF-8"))?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().expand_empty_elements = true;

    let mut config = ProviderConfig::default();
    let mut path: Vec<String> = Vec::new();
    let mut seen_provider = false;
    let mut in_provider = false;
    // The server or note being read, and the text of the current leaf element.
    let mut server: Option<(bool, ConfigServer)> = None;
    let mut note: Option<ProviderNote> = None;
    let mut field: Option<(Field, Option<String>)> = None;
    let mut value = String::new();

    loop {
        let event = reader
            .read_event()
            .map_err(|error| invalid(format!("{error} (at byte {})", reader.error_position())))?;
        match event {
            Event::DocType(_) => return Err(invalid("it declares a DOCTYPE")),
            Event::Start(start) => {
                let name = local_name(&start)?;
                if path.len() >= MAX_DEPTH {
                    return Err(invalid("its elements are nested too deeply"));
                }
                match (path.len(), name.as_str()) {
                    (0, "clientConfig") => {}
                    (0, other) => return Err(invalid(format!("it starts with <{other}>"))),
                    (1, "emailProvider") if !seen_provider => {
                        seen_provider = true;
                        in_provider = true;
                        config.id = attribute(&start, "id")?.unwrap_or_default();
                    }
                    (2, "incomingServer" | "outgoingServer") if in_provider => {
                        let kind = attribute(&start, "type")?
                            .unwrap_or_default()
                            .to_ascii_lowercase();
                        let server_value = ConfigServer {
                            kind,
                            ..ConfigServer::default()
                        };
                        server = Some((name == "incomingServer", server_value));
                    }
                    (2, "enable") if in_provider => {
                        note = Some(ProviderNote {
                            url: attribute(&start, "visiturl")?,
                            texts: Vec::new(),
                        });
                    }
                    (2, "documentation") if in_provider => {
                        note = Some(ProviderNote {
                            url: attribute(&start, "url")?,
                            texts: Vec::new(),
                        });
                    }
                    (2, "domain") if in_provider => field = Some((Field::Domain, None)),
                    (2, "displayName") if in_provider => {
                        field = Some((Field::DisplayName, None));
                    }
                    (3, leaf) if server.is_some() => {
                        field = match leaf {
                            "hostname" => Some((Field::Hostname, None)),
                            "port" => Some((Field::Port, None)),
                            "socketType" => Some((Field::SocketType, None)),
                            "username" => Some((Field::Username, None)),
                            "authentication" => Some((Field::Authentication, None)),
                            _ => None,
                        };
                    }
                    (3, leaf @ ("instruction" | "descr")) if note.is_some() => {
                        let which = if leaf == "instruction" {
                            Field::Instruction
                        } else {
                            Field::Description
                        };
                        field = Some((which, attribute(&start, "lang")?));
                    }
                    _ => {}
                }
                value.clear();
                path.push(name);
            }
            Event::End(_) => {
                let depth = path.len();
                let name = path.pop().unwrap_or_default();
                if let Some((which, lang)) = field.take() {
                    let text = value.trim().to_owned();
                    store(&mut config, &mut server, &mut note, which, lang, text)?;
                }
                value.clear();
                match (depth, name.as_str()) {
                    (2, "emailProvider") => in_provider = false,
                    (3, "incomingServer" | "outgoingServer") => {
                        if let Some((incoming, done)) = server.take() {
                            let list = if incoming {
                                &mut config.incoming
                            } else {
                                &mut config.outgoing
                            };
                            push_limited(list, done)?;
                        }
                    }
                    (3, "enable" | "documentation") => {
                        if let Some(done) = note.take().filter(|note| !note.texts.is_empty()) {
                            push_limited(&mut config.notes, done)?;
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(text) => append(&mut value, &text.xml10_content())?,
            Event::CData(data) => append(&mut value, &data.xml10_content())?,
            Event::GeneralRef(reference) => {
                let resolved = if reference.is_char_ref() {
                    reference
                        .resolve_char_ref()
                        .map_err(|error| invalid(format!("a bad character reference: {error}")))?
                        .map(String::from)
                } else {
                    match reference.xml10_content().as_ref() {
                        "amp" => Some("&".to_owned()),
                        "lt" => Some("<".to_owned()),
                        "gt" => Some(">".to_owned()),
                        "quot" => Some("\"".to_owned()),
                        "apos" => Some("'".to_owned()),
                        _ => None,
                    }
                };
                let resolved = resolved.ok_or_else(|| invalid("it uses an undefined entity"))?;
                append(&mut value, &resolved)?;
            }
            Event::Eof => break,
            Event::Empty(_) | Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if !path.is_empty() {
        return Err(invalid("it ends before its elements are closed"));
    }
    if !seen_provider {
        return Err(invalid("it names no <emailProvider>"));
    }
    Ok(config)
}

fn local_name(start: &BytesStart<'_>) -> Result<String> {
    Ok(start.local_name().into_inner().to_owned())
}

fn attribute(start: &BytesStart<'_>, name: &str) -> Result<Option<String>> {
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|error| invalid(format!("a bad attribute: {error}")))?;
        if attribute.key.local_name().into_inner() == name {
            let value = attribute
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|error| invalid(format!("a bad attribute value: {error}")))?;
            return Ok(Some(value.trim().to_owned()));
        }
    }
    Ok(None)
}

fn append(value: &mut String, text: &str) -> Result<()> {
    // A leaf's text is a host name or a sentence; the overall cap bounds it too, this only
    // stops one element from collecting the whole file through references.
    if value.len() + text.len() > 4096 {
        return Err(invalid("an element's text is too long"));
    }
    value.push_str(text);
    Ok(())
}

fn push_limited<T>(list: &mut Vec<T>, item: T) -> Result<()> {
    if list.len() >= MAX_ITEMS {
        return Err(invalid("it lists too many entries"));
    }
    list.push(item);
    Ok(())
}

fn store(
    config: &mut ProviderConfig,
    server: &mut Option<(bool, ConfigServer)>,
    note: &mut Option<ProviderNote>,
    which: Field,
    lang: Option<String>,
    text: String,
) -> Result<()> {
    match which {
        Field::Domain => push_limited(&mut config.domains, text.to_ascii_lowercase())?,
        Field::DisplayName => config.display_name = text,
        Field::Instruction | Field::Description => {
            if let Some(note) = note.as_mut().filter(|_| !text.is_empty()) {
                push_limited(&mut note.texts, NoteText { lang, text })?;
            }
        }
        _ => {
            let Some((_, server)) = server.as_mut() else {
                return Ok(());
            };
            match which {
                Field::Hostname => server.hostname = text,
                Field::Port => {
                    let port = text
                        .parse::<u16>()
                        .ok()
                        .filter(|port| *port != 0)
                        .ok_or_else(|| invalid(format!("“{text}” is not a port number")))?;
                    server.port = Some(port);
                }
                Field::SocketType => server.socket_type = text,
                Field::Username => server.username = text,
                Field::Authentication => push_limited(&mut server.authentication, text)?,
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GMAIL_LIKE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment -->
<clientConfig version="1.1">
  <emailProvider id="example.com">
    <domain>example.com</domain>
    <domain>Example.NET</domain>
    <displayName>Example &amp; Co</displayName>
    <incomingServer type="imap">
      <hostname>imap.example.com</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.example.com</hostname>
      <port>995</port>
      <socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>OAuth2</authentication>
      <authentication>password-cleartext</authentication>
      <pop3><leaveMessagesOnServer>true</leaveMessagesOnServer></pop3>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.com</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
    <enable visiturl="https://example.com/settings?a=1&amp;b=2">
      <instruction>Turn on POP &#8594; in settings</instruction>
      <instruction lang="hi">सेटिंग में POP चालू करें</instruction>
    </enable>
    <documentation url="https://example.com/help">
      <descr lang="en"><![CDATA[Help <here>]]></descr>
    </documentation>
    <documentation url="https://example.com/empty"></documentation>
  </emailProvider>
</clientConfig>"#;

    #[test]
    fn reads_servers_domains_and_notes() {
        let config = parse(GMAIL_LIKE.as_bytes()).unwrap();
        assert_eq!(config.id, "example.com");
        assert_eq!(config.domains, ["example.com", "example.net"]);
        assert_eq!(config.display_name, "Example & Co");
        assert_eq!(config.incoming.len(), 2);
        let pop = &config.incoming[1];
        assert_eq!(pop.kind, "pop3");
        assert_eq!(pop.hostname, "pop.example.com");
        assert_eq!(pop.port, Some(995));
        assert_eq!(pop.socket_type, "SSL");
        assert_eq!(pop.username, "%EMAILLOCALPART%");
        assert_eq!(pop.authentication, ["OAuth2", "password-cleartext"]);
        assert_eq!(config.outgoing[0].kind, "smtp");
        assert_eq!(config.outgoing[0].port, Some(587));
        assert_eq!(config.notes.len(), 2, "the empty note is dropped");
        let enable = &config.notes[0];
        assert_eq!(
            enable.url.as_deref(),
            Some("https://example.com/settings?a=1&b=2")
        );
        assert_eq!(enable.texts[0].text, "Turn on POP → in settings");
        assert_eq!(enable.texts[0].lang, None);
        assert_eq!(enable.texts[1].lang.as_deref(), Some("hi"));
        assert_eq!(config.notes[1].texts[0].text, "Help <here>");
    }

    #[test]
    fn self_closing_elements_are_empty_fields() {
        let xml = r#"<clientConfig><emailProvider id="x"><domain>x.org</domain>
            <incomingServer type="pop3"><hostname>pop.x.org</hostname><port>110</port>
            <socketType>STARTTLS</socketType><username/></incomingServer></emailProvider></clientConfig>"#;
        let config = parse(xml.as_bytes()).unwrap();
        assert_eq!(config.incoming[0].username, "");
        assert_eq!(config.incoming[0].port, Some(110));
    }

    #[test]
    fn hostile_or_broken_files_are_typed_errors() {
        let billion_laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<clientConfig><emailProvider id="x"><displayName>&lol2;</displayName></emailProvider></clientConfig>"#;
        let cases: &[&[u8]] = &[
            billion_laughs.as_bytes(),
            b"<clientConfig><emailProvider id=\"x\"><displayName>&lol;</displayName></emailProvider></clientConfig>",
            b"<clientConfig><emailProvider>",
            b"<clientConfig><emailProvider></clientConfig></emailProvider>",
            b"<html><body>404</body></html>",
            b"not xml at all",
            b"",
            b"<clientConfig></clientConfig>",
            b"<clientConfig><emailProvider><incomingServer type=\"pop3\"><port>99999</port></incomingServer></emailProvider></clientConfig>",
            b"<clientConfig><emailProvider id=\"\xff\"></emailProvider></clientConfig>",
            b"<clientConfig><emailProvider><domain>&#xFFFFFFFF;</domain></emailProvider></clientConfig>",
        ];
        for case in cases {
            let error = parse(case).unwrap_err();
            assert_eq!(
                error.reason(),
                Some(&ErrorReason::AutoconfigInvalid),
                "{:?}: {error}",
                String::from_utf8_lossy(case)
            );
        }
    }

    #[test]
    fn deep_nesting_and_oversize_are_refused() {
        let deep = format!(
            "<clientConfig>{}{}</clientConfig>",
            "<a>".repeat(100),
            "</a>".repeat(100)
        );
        assert_eq!(
            parse(deep.as_bytes()).unwrap_err().reason(),
            Some(&ErrorReason::AutoconfigInvalid)
        );
        let huge = vec![b' '; MAX_CONFIG_BYTES + 1];
        assert_eq!(
            parse(&huge).unwrap_err().reason(),
            Some(&ErrorReason::AutoconfigTooLarge)
        );
    }

    #[test]
    fn only_the_first_provider_counts() {
        let xml = r#"<clientConfig><emailProvider id="a"><domain>a.org</domain></emailProvider>
            <emailProvider id="b"><domain>b.org</domain></emailProvider></clientConfig>"#;
        let config = parse(xml.as_bytes()).unwrap();
        assert_eq!(config.id, "a");
        assert_eq!(config.domains, ["a.org"]);
    }
}
