//! Account discovery against real parts: a local HTTPS autoconfig server with a certificate
//! from a CA made for this test, and guessing against the real Dovecot and Postfix. Test names
//! reach them through the discovery's resolver hook; every certificate is verified for the
//! name asked for, and every guessed server must really speak POP3 or SMTP.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dakiya_engine::account::discover::{discover, fetch_provider_config, Resolver};
use dakiya_engine::{
    DiscoveredServer, DiscoveryOptions, DiscoverySource, ErrorKind, ErrorReason, Security,
    TrustedCertificate, UsernameForm,
};
use dakiya_tests::servers::MailServers;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::rustls;

/// Every domain the web server answers for, as `autoconfig.<domain>` and `<domain>`.
const WEB_DOMAINS: &[&str] = &[
    "acme.test",
    "wellknown.test",
    "imaponly.test",
    "big.test",
    "bigstream.test",
    "broken.test",
    "doctype.test",
    "insecure.test",
    "hop.test",
    "mismatch.test",
];

fn provider(domain: &str, incoming: &str, outgoing: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="{domain}">
  <domain>{domain}</domain><displayName>Acme Mail</displayName>
  {incoming}{outgoing}
  <enable visiturl="https://{domain}/settings"><instruction>Turn on POP in Acme's settings.</instruction></enable>
</emailProvider></clientConfig>"#
    )
}

fn server(tag: &str, kind: &str, host: &str, port: u16, socket: &str, user: &str) -> String {
    format!(
        "<{tag} type=\"{kind}\"><hostname>{host}</hostname><port>{port}</port>\
         <socketType>{socket}</socketType><username>{user}</username>\
         <authentication>password-cleartext</authentication></{tag}>"
    )
}

fn acme() -> String {
    provider(
        "acme.test",
        &format!(
            "{}{}",
            server(
                "incomingServer",
                "imap",
                "imap.acme.test",
                993,
                "SSL",
                "%EMAILADDRESS%"
            ),
            server(
                "incomingServer",
                "pop3",
                "pop.%EMAILDOMAIN%",
                995,
                "SSL",
                "%EMAILLOCALPART%"
            )
        ),
        &server(
            "outgoingServer",
            "smtp",
            "smtp.acme.test",
            587,
            "STARTTLS",
            "%EMAILADDRESS%",
        ),
    )
}

struct Reply {
    status: &'static str,
    headers: Vec<String>,
    body: Vec<u8>,
    /// Send no Content-Length and close when done, so the client must cap what it reads.
    stream: bool,
}

fn ok(body: impl Into<Vec<u8>>) -> Reply {
    Reply {
        status: "200 OK",
        headers: vec!["Content-Type: text/xml".into()],
        body: body.into(),
        stream: false,
    }
}

fn redirect(location: &str) -> Reply {
    Reply {
        status: "301 Moved Permanently",
        headers: vec![format!("Location: {location}")],
        body: Vec::new(),
        stream: false,
    }
}

fn not_found() -> Reply {
    Reply {
        status: "404 Not Found",
        headers: Vec::new(),
        body: b"no".to_vec(),
        stream: false,
    }
}

/// What the web server says for each host and path.
fn respond(host: &str, target: &str) -> Reply {
    let autoconfig_path = target.starts_with("/mail/config-v1.1.xml");
    let well_known = target == "/.well-known/autoconfig/mail/config-v1.1.xml";
    match host {
        "autoconfig.acme.test" if autoconfig_path => ok(acme()),
        "wellknown.test" if well_known => ok(acme().replace("acme.test", "wellknown.test")),
        "autoconfig.imaponly.test" => ok(provider(
            "imaponly.test",
            &server("incomingServer", "imap", "imap.imaponly.test", 993, "SSL", "%EMAILADDRESS%"),
            &server("outgoingServer", "smtp", "smtp.imaponly.test", 465, "SSL", "%EMAILADDRESS%"),
        )),
        "autoconfig.big.test" => ok(format!("{}<!--{}-->", acme(), "x".repeat(100 * 1024))),
        "autoconfig.bigstream.test" => Reply {
            stream: true,
            ..ok(format!("{}<!--{}-->", acme(), "x".repeat(100 * 1024)))
        },
        "autoconfig.broken.test" => ok("<clientConfig><emailProvider><domain>broken.test</clientConfig>"),
        "autoconfig.doctype.test" => ok(format!(
            "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]>{}",
            acme().replace("Acme Mail", "&lol2;").replace("<?xml version=\"1.0\"?>", "")
        )),
        "autoconfig.insecure.test" => redirect("http://autoconfig.insecure.test/mail/config-v1.1.xml"),
        "autoconfig.hop.test" => redirect("https://autoconfig.acme.test/mail/config-v1.1.xml?from=hop"),
        "autoconfig.mismatch.test" => ok(provider(
            "mismatch.test",
            &server("incomingServer", "pop3", "pop.mismatch.test", 995, "STARTTLS", "%EMAILADDRESS%"),
            &server("outgoingServer", "smtp", "smtp.mismatch.test", 587, "SSL", "%EMAILADDRESS%"),
        )),
        _ => not_found(),
    }
}

/// The local HTTPS server, its CA, and the request lines it saw (`host target`).
struct WebServer {
    address: SocketAddr,
    ca: TrustedCertificate,
    requests: Arc<Mutex<Vec<String>>>,
}

impl WebServer {
    async fn start() -> WebServer {
        use rcgen::{
            BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa,
            KeyPair, KeyUsagePurpose,
        };
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let names: Vec<String> = WEB_DOMAINS
            .iter()
            .flat_map(|domain| [domain.to_string(), format!("autoconfig.{domain}")])
            .collect();
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(names).unwrap();
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&key, &ca).unwrap();

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
            )
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
                        if tls.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let target = head.split(' ').nth(1).unwrap_or("").to_owned();
                    let host = head
                        .lines()
                        .find_map(|line| {
                            line.strip_prefix("host: ").or(line.strip_prefix("Host: "))
                        })
                        .unwrap_or("")
                        .to_owned();
                    seen.lock().unwrap().push(format!("{host} {target}"));
                    let reply = respond(&host, &target);
                    let mut out = format!("HTTP/1.1 {}\r\n", reply.status);
                    for header in &reply.headers {
                        out.push_str(&format!("{header}\r\n"));
                    }
                    if reply.stream {
                        out.push_str("Connection: close\r\n\r\n");
                    } else {
                        out.push_str(&format!("Content-Length: {}\r\n\r\n", reply.body.len()));
                    }
                    let _ = tls.write_all(out.as_bytes()).await;
                    for chunk in reply.body.chunks(4096) {
                        if tls.write_all(chunk).await.is_err() {
                            return;
                        }
                    }
                    let _ = tls.shutdown().await;
                });
            }
        });
        WebServer {
            address,
            ca: TrustedCertificate::from_pem(&ca.pem()).unwrap(),
            requests,
        }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// A server that accepts connections and never says a word.
async fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    address
}

/// Discovery options whose resolver knows only `map` (and every web domain's HTTPS host),
/// trusting the mail servers' and the web server's test CAs.
fn options(web: &WebServer, map: &[(&str, u16, SocketAddr)]) -> DiscoveryOptions {
    let mut table: HashMap<(String, u16), SocketAddr> = map
        .iter()
        .map(|(host, port, address)| ((host.to_string(), *port), *address))
        .collect();
    for domain in WEB_DOMAINS {
        if *domain != "wellknown.test" {
            table.insert((format!("autoconfig.{domain}"), 443), web.address);
        }
        table.insert((domain.to_string(), 443), web.address);
    }
    let mail_ca = TrustedCertificate::from_pem(MailServers::shared().ca_pem()).unwrap();
    DiscoveryOptions {
        extra_roots: vec![mail_ca, web.ca.clone()],
        resolver: Some(Resolver::new(move |host, port| {
            table.get(&(host.to_owned(), port)).copied()
        })),
        probe_timeout: Duration::from_secs(3),
        http_timeout: Duration::from_secs(3),
    }
}

/// A found server's host, port and security, to compare in one assertion.
fn endpoint(found: &DiscoveredServer) -> (&str, u16, Security) {
    (
        found.server.host.as_str(),
        found.server.port,
        found.server.security,
    )
}

fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

#[tokio::test]
async fn the_providers_autoconfig_is_used_over_verified_https() {
    let web = WebServer::start().await;
    let found = discover("Asha+mail@ACME.test", &options(&web, &[]))
        .await
        .unwrap();
    assert_eq!(found.source, DiscoverySource::ProviderAutoconfig);
    assert_eq!(found.provider, "Acme Mail");
    assert_eq!(found.pop3.server.host, "pop.acme.test", "IMAP is skipped");
    assert_eq!(found.pop3.server.port, 995);
    assert_eq!(found.pop3.server.security, Security::Tls);
    assert_eq!(found.pop3.server.username, "Asha+mail");
    assert_eq!(found.pop3.username_form, UsernameForm::LocalPart);
    assert_eq!(found.smtp.server.host, "smtp.acme.test");
    assert_eq!(found.smtp.server.security, Security::StartTls);
    assert_eq!(found.smtp.server.username, "Asha+mail@acme.test");
    assert_eq!(found.notes.len(), 1);
    assert_eq!(
        found.notes[0].texts[0].text,
        "Turn on POP in Acme's settings."
    );
    let requests = web.requests();
    assert!(
        requests.contains(
            &"autoconfig.acme.test /mail/config-v1.1.xml?emailaddress=Asha%2Bmail%40acme.test"
                .to_owned()
        ),
        "{requests:?}"
    );
}

#[tokio::test]
async fn the_well_known_address_is_the_fallback() {
    let web = WebServer::start().await;
    let found = discover("asha@wellknown.test", &options(&web, &[]))
        .await
        .unwrap();
    assert_eq!(found.source, DiscoverySource::ProviderAutoconfig);
    assert_eq!(found.pop3.server.host, "pop.wellknown.test");
}

#[tokio::test]
async fn https_redirects_are_followed_and_http_ones_refused() {
    let web = WebServer::start().await;
    let options = options(&web, &[]);
    let hop = fetch_provider_config("asha@hop.test", &options)
        .await
        .unwrap();
    assert_eq!(hop.smtp.server.host, "smtp.acme.test");

    let error = fetch_provider_config("asha@insecure.test", &options)
        .await
        .unwrap_err();
    assert_eq!(
        error.reason(),
        Some(&ErrorReason::InsecureRedirect),
        "{error}"
    );
    assert!(error.message().contains("unencrypted"), "{error}");
    assert!(
        !web.requests()
            .iter()
            .any(|r| r.contains("insecure") && r.contains("http://")),
        "nothing was requested over http"
    );
}

#[tokio::test]
async fn oversize_and_malformed_files_are_clear_errors() {
    let web = WebServer::start().await;
    let options = options(&web, &[]);
    for (domain, reason) in [
        ("big.test", ErrorReason::AutoconfigTooLarge),
        ("bigstream.test", ErrorReason::AutoconfigTooLarge),
        ("broken.test", ErrorReason::AutoconfigInvalid),
        ("doctype.test", ErrorReason::AutoconfigInvalid),
    ] {
        let error = fetch_provider_config(&format!("asha@{domain}"), &options)
            .await
            .unwrap_err();
        assert_eq!(error.reason(), Some(&reason), "{domain}: {error}");
        assert_eq!(error.kind(), ErrorKind::Parse, "{domain}: {error}");
    }
}

#[tokio::test]
async fn an_imap_only_provider_is_said_so() {
    let web = WebServer::start().await;
    let error = discover("asha@imaponly.test", &options(&web, &[]))
        .await
        .unwrap_err();
    assert_eq!(error.reason(), Some(&ErrorReason::ImapOnly), "{error}");
    assert!(error.message().contains("only IMAP"), "{error}");

    // The same from the shipped database, without any network.
    let error = discover("asha@icloud.com", &options(&web, &[]))
        .await
        .unwrap_err();
    assert_eq!(error.reason(), Some(&ErrorReason::ImapOnly), "{error}");
}

#[tokio::test]
async fn mismatched_port_and_security_are_corrected() {
    let web = WebServer::start().await;
    let found = discover("asha@mismatch.test", &options(&web, &[]))
        .await
        .unwrap();
    assert_eq!(
        (found.pop3.server.port, found.pop3.server.security),
        (995, Security::Tls)
    );
    assert!(found.pop3.corrected);
    assert_eq!(
        (found.smtp.server.port, found.smtp.server.security),
        (587, Security::StartTls)
    );
    assert!(found.smtp.corrected);
}

#[tokio::test]
async fn the_provider_database_needs_no_network() {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = asked.clone();
    let options = DiscoveryOptions {
        resolver: Some(Resolver::new(move |host, port| {
            log.lock().unwrap().push(format!("{host}:{port}"));
            None
        })),
        ..DiscoveryOptions::default()
    };
    let found = discover("asha@yahoo.co.in", &options).await.unwrap();
    assert_eq!(found.source, DiscoverySource::Database);
    assert_eq!(found.pop3.server.host, "pop.mail.yahoo.com");
    assert_eq!(found.smtp.server.port, 465);
    assert!(found.notes.iter().any(|note| note
        .texts
        .iter()
        .any(|text| text.text.contains("app password"))));
    assert!(
        asked.lock().unwrap().is_empty(),
        "{:?}",
        asked.lock().unwrap()
    );
}

#[tokio::test]
async fn guessing_finds_the_local_dovecot_and_postfix_with_implicit_tls_first() {
    let servers = MailServers::shared();
    let web = WebServer::start().await;
    let mail = [
        ("mail.dakiya.test", 995, local(servers.pop3_tls_port())),
        ("mail.dakiya.test", 110, local(servers.pop3_starttls_port())),
        (
            "mail.dakiya.test",
            465,
            local(servers.submission_tls_port()),
        ),
        (
            "mail.dakiya.test",
            587,
            local(servers.submission_starttls_port()),
        ),
    ];
    let found = discover("asha@dakiya.test", &options(&web, &mail))
        .await
        .unwrap_or_else(|error| panic!("{}\n{}", error.chain(), servers.logs()));
    assert_eq!(found.source, DiscoverySource::Guessed);
    assert_eq!(
        endpoint(&found.pop3),
        ("mail.dakiya.test", 995, Security::Tls)
    );
    assert_eq!(
        endpoint(&found.smtp),
        ("mail.dakiya.test", 465, Security::Tls)
    );
    assert_eq!(found.pop3.server.username, "asha@dakiya.test");
    assert_eq!(found.pop3.username_form, UsernameForm::EmailAddress);
}

#[tokio::test]
async fn guessing_uses_starttls_and_prefers_the_earlier_name() {
    let servers = MailServers::shared();
    let web = WebServer::start().await;
    let mail = [
        // pop. (STARTTLS only) comes before mail. (implicit TLS) in Thunderbird's order.
        ("pop.dakiya.test", 110, local(servers.pop3_starttls_port())),
        ("mail.dakiya.test", 995, local(servers.pop3_tls_port())),
        (
            "smtp.dakiya.test",
            587,
            local(servers.submission_starttls_port()),
        ),
    ];
    let found = discover("asha@dakiya.test", &options(&web, &mail))
        .await
        .unwrap_or_else(|error| panic!("{}\n{}", error.chain(), servers.logs()));
    assert_eq!(
        endpoint(&found.pop3),
        ("pop.dakiya.test", 110, Security::StartTls)
    );
    assert_eq!(
        endpoint(&found.smtp),
        ("smtp.dakiya.test", 587, Security::StartTls)
    );
}

#[tokio::test]
async fn guessing_needs_the_right_protocol_and_a_certificate_for_the_name() {
    let servers = MailServers::shared();
    let web = WebServer::start().await;
    // The servers' certificate is for *.dakiya.test, not for elsewhere.test.
    let elsewhere = [
        ("pop.elsewhere.test", 995, local(servers.pop3_tls_port())),
        (
            "smtp.elsewhere.test",
            465,
            local(servers.submission_tls_port()),
        ),
    ];
    let error = discover("asha@elsewhere.test", &options(&web, &elsewhere))
        .await
        .unwrap_err();
    assert_eq!(
        error.reason(),
        Some(&ErrorReason::ServersNotFound),
        "{error}"
    );

    // SMTP where POP3 is due and the other way round.
    let crossed = [
        ("pop.dakiya.test", 995, local(servers.submission_tls_port())),
        (
            "pop.dakiya.test",
            110,
            local(servers.submission_starttls_port()),
        ),
        ("smtp.dakiya.test", 465, local(servers.pop3_tls_port())),
        ("smtp.dakiya.test", 587, local(servers.pop3_starttls_port())),
    ];
    let error = discover("asha@dakiya.test", &options(&web, &crossed))
        .await
        .unwrap_err();
    assert_eq!(
        error.reason(),
        Some(&ErrorReason::ServersNotFound),
        "{error}"
    );
    assert!(error.message().contains("POP3"), "{error}");
}

#[tokio::test]
async fn a_server_that_never_speaks_times_out_quickly() {
    let web = WebServer::start().await;
    let silent = silent_server().await;
    let mut map = vec![
        ("autoconfig.silent.test", 443, silent),
        ("silent.test", 443, silent),
    ];
    for host in [
        "pop.silent.test",
        "pop3.silent.test",
        "mail.silent.test",
        "silent.test",
    ] {
        map.push((host, 995, silent));
        map.push((host, 110, silent));
    }
    for host in ["smtp.silent.test", "mail.silent.test"] {
        map.push((host, 465, silent));
        map.push((host, 587, silent));
    }
    let options = DiscoveryOptions {
        probe_timeout: Duration::from_millis(800),
        http_timeout: Duration::from_millis(800),
        ..options(&web, &map)
    };
    let started = Instant::now();
    let error = discover("asha@silent.test", &options).await.unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(
        error.reason(),
        Some(&ErrorReason::ServersNotFound),
        "{error}"
    );
    // One autoconfig deadline, then all guesses at once under one more.
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");

    let error = fetch_provider_config("asha@silent.test", &options)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
}
