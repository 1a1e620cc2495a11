//! Step 3: guessing. Every candidate host and port is tried at once, each under its own short
//! deadline, and counts only after a real exchange over a verified TLS connection: POP3
//! greeting + CAPA (RFC 1939 §4, RFC 2449 §5) with STLS (RFC 2595 §4) on 110; SMTP greeting +
//! EHLO (RFC 5321 §4.1.1.1) with STARTTLS (RFC 3207) on 587. The first candidate in
//! preference order that passed wins, so a slow better choice is not beaten by a fast worse one.

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::JoinSet;
use tokio_rustls::rustls::ClientConfig;

use super::connect::{tcp, tls, within};
use super::wire::Wire;
use super::{
    not_found, Address, DiscoveredServer, Discovery, DiscoveryOptions, DiscoverySource, Protocol,
    UsernameForm,
};
use crate::account::{Security, ServerSettings};
use crate::error::{Error, ErrorKind, ErrorReason, Result};

/// Replies with more lines than this are not CAPA or EHLO.
const MAX_REPLY_LINES: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Candidate {
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub security: Security,
}

/// Thunderbird's guesses, most likely first; implicit TLS before STARTTLS on each host.
pub(super) fn candidates(domain: &str) -> Vec<Candidate> {
    let pop3_hosts = [
        format!("pop.{domain}"),
        format!("pop3.{domain}"),
        format!("mail.{domain}"),
        domain.to_owned(),
    ];
    let smtp_hosts = [format!("smtp.{domain}"), format!("mail.{domain}")];
    let mut list = Vec::new();
    for (protocol, hosts) in [
        (Protocol::Pop3, &pop3_hosts[..]),
        (Protocol::Smtp, &smtp_hosts[..]),
    ] {
        for host in hosts {
            for security in [Security::Tls, Security::StartTls] {
                list.push(Candidate {
                    protocol,
                    host: host.clone(),
                    port: protocol.default_port(security),
                    security,
                });
            }
        }
    }
    list
}

pub(super) async fn guess(
    address: &Address,
    options: &DiscoveryOptions,
    config: Arc<ClientConfig>,
) -> Result<Discovery> {
    let list = candidates(&address.domain);
    let mut probes = JoinSet::new();
    for (index, candidate) in list.iter().cloned().enumerate() {
        let options = options.clone();
        let config = config.clone();
        probes.spawn(async move {
            let what = format!("{}:{}", candidate.host, candidate.port);
            let result = within(
                options.probe_timeout,
                what,
                probe(&candidate, &options, config),
            )
            .await;
            (index, result)
        });
    }
    let mut passed = vec![false; list.len()];
    while let Some(joined) = probes.join_next().await {
        let (index, result) = joined?;
        match result {
            Ok(()) => passed[index] = true,
            Err(error) => {
                tracing::debug!(candidate = ?list[index], "not this one: {}", error.chain())
            }
        }
    }
    let best = |protocol: Protocol| {
        list.iter()
            .zip(&passed)
            .find(|(candidate, ok)| **ok && candidate.protocol == protocol)
            .map(|(candidate, _)| DiscoveredServer {
                server: ServerSettings {
                    host: candidate.host.clone(),
                    port: candidate.port,
                    security: candidate.security,
                    username: address.email.clone(),
                },
                username_form: UsernameForm::EmailAddress,
                corrected: false,
            })
    };
    let pop3 = best(Protocol::Pop3).ok_or_else(|| {
        not_found(format!(
            "no POP3 server with a trusted certificate answered at pop.{0}, pop3.{0}, mail.{0} or {0}",
            address.domain
        ))
    })?;
    let smtp = best(Protocol::Smtp).ok_or_else(|| {
        not_found(format!(
            "no SMTP server with a trusted certificate answered at smtp.{0} or mail.{0}",
            address.domain
        ))
    })?;
    Ok(Discovery {
        source: DiscoverySource::Guessed,
        provider: String::new(),
        pop3,
        smtp,
        notes: Vec::new(),
    })
}

/// One candidate's whole exchange, ending with QUIT.
pub(super) async fn probe(
    candidate: &Candidate,
    options: &DiscoveryOptions,
    config: Arc<ClientConfig>,
) -> Result<()> {
    let host = candidate.host.as_str();
    let stream = tcp(host, candidate.port, options).await?;
    match (candidate.protocol, candidate.security) {
        (_, Security::PlaintextDangerous) => Err(Error::config(
            "discovery never proposes an unencrypted server",
        )),
        (Protocol::Pop3, Security::Tls) => {
            let mut wire = Wire::new(tls(stream, host, config).await?, host);
            pop3_greeting(&mut wire).await?;
            pop3_capa(&mut wire).await?;
            let _ = wire.send("QUIT\r\n").await;
            Ok(())
        }
        (Protocol::Pop3, Security::StartTls) => {
            let mut wire = Wire::new(stream, host);
            pop3_greeting(&mut wire).await?;
            let capabilities = pop3_capa(&mut wire).await?;
            if !capabilities
                .iter()
                .any(|line| line.eq_ignore_ascii_case("STLS"))
            {
                return Err(no_starttls(host, "STLS"));
            }
            wire.send("STLS\r\n").await?;
            if !wire.line().await?.starts_with("+OK") {
                return Err(wire.nonsense("-ERR to STLS"));
            }
            let mut wire = Wire::new(tls(wire.into_stream()?, host, config).await?, host);
            pop3_capa(&mut wire).await?;
            let _ = wire.send("QUIT\r\n").await;
            Ok(())
        }
        (Protocol::Smtp, Security::Tls) => {
            let mut wire = Wire::new(tls(stream, host, config).await?, host);
            smtp_expect(&mut wire, 220).await?;
            wire.send("EHLO dakiya.invalid\r\n").await?;
            smtp_expect(&mut wire, 250).await?;
            let _ = wire.send("QUIT\r\n").await;
            Ok(())
        }
        (Protocol::Smtp, Security::StartTls) => {
            let mut wire = Wire::new(stream, host);
            smtp_expect(&mut wire, 220).await?;
            wire.send("EHLO dakiya.invalid\r\n").await?;
            let extensions = smtp_expect(&mut wire, 250).await?;
            if !extensions
                .iter()
                .skip(1)
                .any(|line| line.eq_ignore_ascii_case("STARTTLS"))
            {
                return Err(no_starttls(host, "STARTTLS"));
            }
            wire.send("STARTTLS\r\n").await?;
            smtp_expect(&mut wire, 220).await?;
            let mut wire = Wire::new(tls(wire.into_stream()?, host, config).await?, host);
            wire.send("EHLO dakiya.invalid\r\n").await?;
            smtp_expect(&mut wire, 250).await?;
            let _ = wire.send("QUIT\r\n").await;
            Ok(())
        }
    }
}

fn no_starttls(host: &str, command: &str) -> Error {
    Error::new(
        ErrorKind::Tls,
        format!("{host} does not offer {command}, so the connection cannot be encrypted"),
    )
    .with_reason(ErrorReason::StartTlsNotOffered)
}

async fn pop3_greeting<S: AsyncRead + AsyncWrite + Unpin>(wire: &mut Wire<S>) -> Result<()> {
    if wire.line().await?.starts_with("+OK") {
        Ok(())
    } else {
        Err(wire.nonsense("a greeting that is not POP3"))
    }
}

/// The capability lines, or none when the server has no CAPA (`-ERR`).
async fn pop3_capa<S: AsyncRead + AsyncWrite + Unpin>(wire: &mut Wire<S>) -> Result<Vec<String>> {
    wire.send("CAPA\r\n").await?;
    let status = wire.line().await?;
    if status.starts_with("-ERR") {
        return Ok(Vec::new());
    }
    if !status.starts_with("+OK") {
        return Err(wire.nonsense("something that is not POP3 to CAPA"));
    }
    let mut lines = Vec::new();
    loop {
        let line = wire.line().await?;
        if line == "." {
            return Ok(lines);
        }
        if lines.len() >= MAX_REPLY_LINES {
            return Err(wire.nonsense("an endless CAPA list"));
        }
        lines.push(line.trim().to_owned());
    }
}

/// One SMTP reply (RFC 5321 §4.2) that must have code `want`; its lines' text, code removed.
async fn smtp_expect<S: AsyncRead + AsyncWrite + Unpin>(
    wire: &mut Wire<S>,
    want: u16,
) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    loop {
        let line = wire.line().await?;
        let code = line.get(..3).and_then(|code| code.parse::<u16>().ok());
        if code != Some(want) {
            return Err(wire.nonsense(&format!(
                "“{}” where SMTP {want} was due",
                line.chars().take(80).collect::<String>()
            )));
        }
        let more = line.as_bytes().get(3) == Some(&b'-');
        lines.push(line.get(4..).unwrap_or("").trim().to_owned());
        if !more {
            return Ok(lines);
        }
        if lines.len() >= MAX_REPLY_LINES {
            return Err(wire.nonsense("an endless reply"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_follow_thunderbirds_order() {
        let list: Vec<String> = candidates("example.org")
            .iter()
            .map(|c| format!("{:?} {}:{} {:?}", c.protocol, c.host, c.port, c.security))
            .collect();
        assert_eq!(
            list,
            [
                "Pop3 pop.example.org:995 Tls",
                "Pop3 pop.example.org:110 StartTls",
                "Pop3 pop3.example.org:995 Tls",
                "Pop3 pop3.example.org:110 StartTls",
                "Pop3 mail.example.org:995 Tls",
                "Pop3 mail.example.org:110 StartTls",
                "Pop3 example.org:995 Tls",
                "Pop3 example.org:110 StartTls",
                "Smtp smtp.example.org:465 Tls",
                "Smtp smtp.example.org:587 StartTls",
                "Smtp mail.example.org:465 Tls",
                "Smtp mail.example.org:587 StartTls",
            ]
        );
    }
}
