//! Step 2: the provider's own autoconfig file, fetched the way Thunderbird does but stricter:
//! HTTPS only with a verified certificate, HTTP/1.1 through hyper over our rustls config, a
//! deadline over the whole request (redirects included), at most a few redirects and never
//! one to http:// (an unencrypted answer could send the user's password anywhere), and a body
//! cut off at [`MAX_CONFIG_BYTES`].

use std::sync::Arc;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper::header::{ACCEPT, CONTENT_LENGTH, HOST, LOCATION, USER_AGENT};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_rustls::rustls::ClientConfig;

use super::config::{self, too_large, ProviderConfig, MAX_CONFIG_BYTES};
use super::connect::{tcp, tls, within};
use super::{is_host_name, Address, DiscoveryOptions};
use crate::error::{Error, ErrorKind, ErrorReason, Result};

const MAX_REDIRECTS: usize = 3;

/// Both of the provider's addresses at once; the `autoconfig.` host is preferred when both
/// answer. When neither gives a file, the more telling failure is returned (a broken or
/// oversized file says more than "no such host").
pub(super) async fn fetch_autoconfig(
    address: &Address,
    options: &DiscoveryOptions,
    tls: Arc<ClientConfig>,
) -> Result<ProviderConfig> {
    let domain = &address.domain;
    let first = format!(
        "https://autoconfig.{domain}/mail/config-v1.1.xml?emailaddress={}",
        percent_encode(&address.email)
    );
    let second = format!("https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml");
    let (first, second) = tokio::join!(
        fetch_config(&first, options, tls.clone()),
        fetch_config(&second, options, tls)
    );
    match (first, second) {
        (Ok(config), _) | (Err(_), Ok(config)) => Ok(config),
        (Err(first), Err(second)) => Err(if telling(&first) || !telling(&second) {
            first
        } else {
            second
        }),
    }
}

fn telling(error: &Error) -> bool {
    !matches!(
        error.kind(),
        ErrorKind::Network | ErrorKind::NotFound | ErrorKind::Timeout
    )
}

async fn fetch_config(
    url: &str,
    options: &DiscoveryOptions,
    tls: Arc<ClientConfig>,
) -> Result<ProviderConfig> {
    let body = within(options.http_timeout, url, get(url, options, tls)).await?;
    config::parse(&body)
}

/// GETs an https:// URL, following https:// redirects only.
pub(super) async fn get(
    url: &str,
    options: &DiscoveryOptions,
    tls: Arc<ClientConfig>,
) -> Result<Vec<u8>> {
    let mut url = HttpsUrl::parse(url)?;
    for _ in 0..=MAX_REDIRECTS {
        match get_once(&url, options, tls.clone()).await? {
            Fetched::Body(body) => return Ok(body),
            Fetched::Redirect(location) => url = url.follow(&location)?,
        }
    }
    Err(Error::new(
        ErrorKind::Protocol,
        format!("{} redirected more than {MAX_REDIRECTS} times", url.host),
    ))
}

enum Fetched {
    Body(Vec<u8>),
    Redirect(String),
}

/// Aborts hyper's connection task when the request is done or abandoned.
struct Driver(tokio::task::JoinHandle<()>);

impl Drop for Driver {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn http_error(url: &HttpsUrl, error: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::new(
        ErrorKind::Network,
        format!("the request to {} failed: {error}", url.host),
    )
    .with_source(error)
}

async fn get_once(
    url: &HttpsUrl,
    options: &DiscoveryOptions,
    config: Arc<ClientConfig>,
) -> Result<Fetched> {
    let stream = tls(tcp(&url.host, url.port, options).await?, &url.host, config).await?;
    let (mut sender, connection) = http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
        .await
        .map_err(|error| http_error(url, error))?;
    let _driver = Driver(tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!("autoconfig connection ended: {error}");
        }
    }));
    let request = Request::get(url.target.as_str())
        .header(HOST, url.authority())
        .header(USER_AGENT, "Dakiya")
        .header(ACCEPT, "application/xml, text/xml")
        .body(Empty::new())
        .map_err(|error| Error::config(format!("the URL cannot be requested: {error}")))?;
    let mut response = sender
        .send_request(request)
        .await
        .map_err(|error| http_error(url, error))?;
    let status = response.status();
    if status.is_redirection() {
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Protocol,
                    format!("{} redirected without saying where", url.host),
                )
            })?;
        return Ok(Fetched::Redirect(location.to_owned()));
    }
    if status != StatusCode::OK {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!("{} has no configuration file (HTTP {status})", url.host),
        ));
    }
    let declared = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_CONFIG_BYTES as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(frame) = response.body_mut().frame().await {
        let frame = frame.map_err(|error| http_error(url, error))?;
        if let Ok(data) = frame.into_data() {
            if body.len() + data.len() > MAX_CONFIG_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&data);
        }
    }
    Ok(Fetched::Body(body))
}

/// The only URLs discovery requests: `https://host[:port]/target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HttpsUrl {
    pub host: String,
    pub port: u16,
    /// Path and query, always starting with `/`.
    pub target: String,
}

impl HttpsUrl {
    pub fn parse(text: &str) -> Result<HttpsUrl> {
        let text = text.trim();
        let scheme_end = text.find("://").unwrap_or(0);
        let scheme = text[..scheme_end].to_ascii_lowercase();
        if scheme == "http" {
            return Err(Error::new(
                ErrorKind::Tls,
                format!("the provider's configuration was sent to an unencrypted address ({text}), which was not followed"),
            )
            .with_reason(ErrorReason::InsecureRedirect));
        }
        if scheme != "https" {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!("“{text}” is not an https:// address"),
            ));
        }
        let rest = &text[scheme_end + 3..];
        let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(split);
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, port.parse::<u16>().ok().filter(|port| *port != 0)),
            None => (authority, Some(443)),
        };
        let host = host.to_ascii_lowercase();
        let port = port.filter(|_| is_host_name(&host)).ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                format!("“{text}” does not name a server discovery can reach"),
            )
        })?;
        Ok(HttpsUrl {
            host,
            port,
            target: clean_target(target)?,
        })
    }

    /// Where a `Location` header leads from here (RFC 9110 §10.2.2: it may be relative).
    pub fn follow(&self, location: &str) -> Result<HttpsUrl> {
        let location = location.trim();
        if location.contains("://") {
            return HttpsUrl::parse(location);
        }
        if let Some(rest) = location.strip_prefix("//") {
            return HttpsUrl::parse(&format!("https://{rest}"));
        }
        let target = if location.starts_with('/') {
            location.to_owned()
        } else {
            let path = self.target.split('?').next().unwrap_or("/");
            let directory = &path[..path.rfind('/').map_or(0, |slash| slash + 1)];
            format!("{directory}{location}")
        };
        Ok(HttpsUrl {
            host: self.host.clone(),
            port: self.port,
            target: clean_target(&target)?,
        })
    }

    fn authority(&self) -> String {
        if self.port == 443 {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

fn clean_target(target: &str) -> Result<String> {
    let target = target.split('#').next().unwrap_or("");
    if target
        .bytes()
        .any(|byte| !byte.is_ascii_graphic() || byte == b'\\')
    {
        return Err(Error::new(
            ErrorKind::Protocol,
            "a redirect named an address with spaces or control characters",
        ));
    }
    Ok(match target {
        "" => "/".to_owned(),
        query if query.starts_with('?') => format!("/{query}"),
        path => path.to_owned(),
    })
}

/// RFC 3986 §2.1 for a query value: everything but unreserved characters is escaped.
fn percent_encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_https_only() {
        let url =
            HttpsUrl::parse("https://Autoconfig.Example.org/mail/config-v1.1.xml?e=1#x").unwrap();
        assert_eq!(url.host, "autoconfig.example.org");
        assert_eq!(url.port, 443);
        assert_eq!(url.target, "/mail/config-v1.1.xml?e=1");
        assert_eq!(
            HttpsUrl::parse("https://example.org:8443").unwrap().target,
            "/"
        );
        let insecure = HttpsUrl::parse("HTTP://example.org/x").unwrap_err();
        assert_eq!(insecure.reason(), Some(&ErrorReason::InsecureRedirect));
        for bad in [
            "ftp://example.org/",
            "example.org/x",
            "https://user@example.org/",
            "https://[::1]/",
            "https://example.org:0/",
            "https://exa mple.org/",
            "https://example.org/a b",
        ] {
            assert!(HttpsUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn redirects_resolve_against_the_current_url() {
        let here = HttpsUrl::parse("https://example.org/mail/config-v1.1.xml?x=1").unwrap();
        assert_eq!(here.follow("/other.xml").unwrap().target, "/other.xml");
        assert_eq!(here.follow("other.xml").unwrap().target, "/mail/other.xml");
        let elsewhere = here.follow("//mail.example.net/c.xml").unwrap();
        assert_eq!(
            (elsewhere.host.as_str(), elsewhere.target.as_str()),
            ("mail.example.net", "/c.xml")
        );
        assert_eq!(
            here.follow("http://example.org/c.xml")
                .unwrap_err()
                .reason(),
            Some(&ErrorReason::InsecureRedirect)
        );
    }

    #[test]
    fn the_address_is_percent_encoded() {
        assert_eq!(percent_encode("a+b@x.org"), "a%2Bb%40x.org");
        assert_eq!(percent_encode("आ@x"), "%E0%A4%86%40x");
    }
}
