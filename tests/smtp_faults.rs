//! A misbehaving SMTP server yields the right kind of error, within the deadline, and the client
//! never sends credentials where it must not.

use std::time::{Duration, Instant};

use dakiya_engine::{
    AccountSettings, Engine, ErrorInfo, ErrorKind, ErrorReason, OutgoingMessage, PasswordStorage,
    Passwords, Pop3Mode, Security, SendOutcome,
};
use dakiya_tests::fake_smtp::{FakeSmtp, SmtpBehaviour};
use dakiya_tests::fixtures::scripted_account;

const DEADLINE: Duration = Duration::from_millis(700);

fn settings(port: u16, security: Security) -> AccountSettings {
    scripted_account(port, security, Pop3Mode::KeepOnServer)
}

async fn send_to(behaviour: SmtpBehaviour, security: Security) -> (ErrorInfo, FakeSmtp, Duration) {
    let server = FakeSmtp::start(behaviour).await;
    let dir = tempfile::tempdir().unwrap();
    let mut engine = Engine::open(dir.path(), PasswordStorage::MemoryOnly).unwrap();
    engine.set_smtp_timeout(DEADLINE);
    let passwords = Passwords {
        pop3: "secret pw".into(),
        smtp: "secret pw".into(),
    };
    let account = engine
        .save_account(None, settings(server.port, security), passwords)
        .await
        .unwrap();
    let message = OutgoingMessage {
        to: "nobody@dakiya.test".into(),
        subject: "hello".into(),
        body: "body".into(),
        ..OutgoingMessage::default()
    };
    let started = Instant::now();
    let report = engine.send(account.id, message).await.unwrap();
    let elapsed = started.elapsed();
    let error = match report.outcome {
        SendOutcome::Sent => panic!("the faulty server accepted the message"),
        SendOutcome::WillRetry { error, .. } | SendOutcome::Held { error } => error,
    };
    assert_eq!(
        engine.outbox().await.unwrap().len(),
        1,
        "a message the server did not accept stays in the outbox"
    );
    (error, server, elapsed)
}

#[tokio::test]
async fn a_server_without_starttls_is_refused_before_any_credential() {
    let (error, server, _) = send_to(SmtpBehaviour::NoStartTls, Security::StartTls).await;
    assert_eq!(error.kind, ErrorKind::Tls, "{}", error.message);
    assert_eq!(
        error.reason.as_ref(),
        Some(&ErrorReason::StartTlsNotOffered),
        "{}",
        error.message
    );
    let received = server.received();
    assert!(
        received
            .iter()
            .all(|line| !line.to_ascii_uppercase().starts_with("AUTH")),
        "{received:?}"
    );
}

#[tokio::test]
async fn a_stalled_server_times_out() {
    let (error, _, elapsed) = send_to(
        SmtpBehaviour::StallAfterGreeting,
        Security::PlaintextDangerous,
    )
    .await;
    assert_eq!(error.kind, ErrorKind::Timeout, "{}", error.message);
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

#[tokio::test]
async fn a_refused_recipient_names_the_server_reason() {
    let (error, _, _) = send_to(SmtpBehaviour::RefuseRecipient, Security::PlaintextDangerous).await;
    assert_eq!(error.kind, ErrorKind::Protocol, "{}", error.message);
    assert!(error.message.contains("no such user"), "{}", error.message);
}

#[tokio::test]
async fn refused_credentials_are_an_auth_error() {
    let (error, _, _) = send_to(
        SmtpBehaviour::RefuseCredentials,
        Security::PlaintextDangerous,
    )
    .await;
    assert_eq!(error.kind, ErrorKind::Auth, "{}", error.message);
}

/// A connection closed mid-DATA is a broken connection (retried later), not a server speaking
/// nonsense: our lettre reports the EOF as an I/O error, not an "incomplete response".
#[tokio::test]
async fn a_hang_up_in_data_fails_promptly() {
    let (error, _, elapsed) =
        send_to(SmtpBehaviour::HangUpInData, Security::PlaintextDangerous).await;
    assert_eq!(error.kind, ErrorKind::Network, "{}", error.message);
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

#[tokio::test]
async fn an_unknown_host_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), PasswordStorage::MemoryOnly).unwrap();
    let mut settings = settings(587, Security::StartTls);
    settings.smtp.host = "no-such-host.invalid".into();
    settings.pop3.host = "no-such-host.invalid".into();
    settings.pop3.security = Security::Tls;
    let passwords = Passwords {
        pop3: "pw".into(),
        smtp: "pw".into(),
    };
    let report = engine
        .test_connection(None, settings, passwords)
        .await
        .unwrap();
    for outcome in [report.pop3, report.smtp] {
        let error = outcome.error.expect("an unknown host must fail");
        assert_eq!(error.kind, ErrorKind::Network, "{}", error.message);
        assert_eq!(
            error.reason,
            Some(ErrorReason::UnknownHost),
            "{}",
            error.message
        );
    }
}
