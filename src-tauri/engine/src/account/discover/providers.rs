//! Step 1: the provider database shipped inside the binary, one Thunderbird-format file per
//! provider with all its domains (`src-tauri/engine/providers/`). Answering from it needs no
//! network at all, and its notes tell the user what the provider wants done first.

use std::sync::OnceLock;

use super::config::{self, ProviderConfig};
use crate::error::{Error, Result};

/// Each file as shipped. Add a provider by adding its file here.
const FILES: &[(&str, &str)] = &[
    ("aol.xml", include_str!("../../../providers/aol.xml")),
    (
        "fastmail.xml",
        include_str!("../../../providers/fastmail.xml"),
    ),
    ("gmail.xml", include_str!("../../../providers/gmail.xml")),
    ("gmx.xml", include_str!("../../../providers/gmx.xml")),
    (
        "gmx-com.xml",
        include_str!("../../../providers/gmx-com.xml"),
    ),
    ("icloud.xml", include_str!("../../../providers/icloud.xml")),
    (
        "mail-ru.xml",
        include_str!("../../../providers/mail-ru.xml"),
    ),
    (
        "mailbox-org.xml",
        include_str!("../../../providers/mailbox-org.xml"),
    ),
    (
        "outlook.xml",
        include_str!("../../../providers/outlook.xml"),
    ),
    ("posteo.xml", include_str!("../../../providers/posteo.xml")),
    (
        "rediffmail.xml",
        include_str!("../../../providers/rediffmail.xml"),
    ),
    ("web-de.xml", include_str!("../../../providers/web-de.xml")),
    ("yahoo.xml", include_str!("../../../providers/yahoo.xml")),
    ("yandex.xml", include_str!("../../../providers/yandex.xml")),
    ("zoho.xml", include_str!("../../../providers/zoho.xml")),
    (
        "zoho-in.xml",
        include_str!("../../../providers/zoho-in.xml"),
    ),
];

/// Parsed once. A file that does not parse is a bug in Dakiya, caught by the unit tests.
fn database() -> Result<&'static [ProviderConfig]> {
    static PARSED: OnceLock<std::result::Result<Vec<ProviderConfig>, String>> = OnceLock::new();
    PARSED
        .get_or_init(|| {
            FILES
                .iter()
                .map(|(name, text)| {
                    config::parse(text.as_bytes()).map_err(|error| format!("{name}: {error}"))
                })
                .collect()
        })
        .as_deref()
        .map_err(|why| Error::internal(format!("the provider database is broken: {why}")))
}

pub(super) fn lookup(domain: &str) -> Result<Option<ProviderConfig>> {
    Ok(database()?
        .iter()
        .find(|provider| provider.domains.iter().any(|known| known == domain))
        .cloned())
}

pub(super) fn domains() -> Result<Vec<String>> {
    Ok(database()?
        .iter()
        .flat_map(|provider| provider.domains.iter().cloned())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::discover::{discover, DiscoveryOptions, DiscoverySource};
    use crate::error::ErrorReason;

    #[test]
    fn every_file_parses_and_no_domain_is_listed_twice() {
        let all = domains().unwrap();
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), all.len(), "a domain is in two files");
        for provider in database().unwrap() {
            assert!(
                !provider.domains.is_empty(),
                "{} has no domain",
                provider.id
            );
            assert!(
                !provider.display_name.is_empty(),
                "{} has no name",
                provider.id
            );
        }
    }

    /// Every provider either gives usable POP3 and SMTP settings, all encrypted, or is known to
    /// be IMAP-only; and every one of its domains finds it without the network.
    #[tokio::test]
    async fn every_domain_answers_from_the_database() {
        for domain in domains().unwrap() {
            let options = DiscoveryOptions {
                resolver: Some(crate::account::discover::Resolver::new(|host, port| {
                    panic!("the database answer went to the network: {host}:{port}")
                })),
                ..DiscoveryOptions::default()
            };
            match discover(&format!("asha@{domain}"), &options).await {
                Ok(found) => {
                    assert_eq!(found.source, DiscoverySource::Database);
                    assert!(!found.notes.is_empty(), "{domain}: no notes");
                }
                Err(error) => assert_eq!(
                    error.reason(),
                    Some(&ErrorReason::ImapOnly),
                    "{domain}: {error}"
                ),
            }
        }
    }

    #[tokio::test]
    async fn gmail_is_known() {
        let found = discover("asha.rao@GMail.com", &DiscoveryOptions::default())
            .await
            .unwrap();
        assert_eq!(found.provider, "Google Mail");
        assert_eq!(found.pop3.server.host, "pop.gmail.com");
        assert_eq!(found.pop3.server.port, 995);
        assert_eq!(found.pop3.server.username, "asha.rao@gmail.com");
        assert_eq!(found.smtp.server.host, "smtp.gmail.com");
        assert!(!found.pop3.corrected && !found.smtp.corrected);
        let hindi = found
            .notes
            .iter()
            .flat_map(|note| &note.texts)
            .any(|text| text.lang.as_deref() == Some("hi"));
        assert!(hindi, "the notes have Hindi too");
    }
}
