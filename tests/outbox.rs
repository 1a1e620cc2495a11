//! The outbox: a message is durable before the network starts, leaves the outbox only when the
//! server accepted it (its exact bytes then filed under Sent), is retried after a 4xx, waits
//! for the user after a 5xx, and survives kill -9 — against the real Postfix and a scripted
//! server for what Postfix will not do on demand.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use dakiya_engine::store::Folder;
use dakiya_engine::{
    Engine, ErrorKind, ErrorReason, OutgoingMessage, PasswordStorage, Pop3Mode, Security,
    SendOutcome,
};
use dakiya_tests::fake_smtp::{FakeSmtp, SmtpBehaviour};
use dakiya_tests::fixtures::{scripted_account, scripted_passwords, User};

const DELIVERY: Duration = Duration::from_secs(20);

fn letter(to: &str) -> OutgoingMessage {
    OutgoingMessage {
        to: to.into(),
        subject: "डाक: outbox test".into(),
        body: "पहली पंक्ति\nsecond line\n".into(),
        ..OutgoingMessage::default()
    }
}

/// Postfix prepends Return-Path, Delivered-To and Received; the rest must be what was sent.
fn delivered_tail(delivered: &[u8], sent_len: usize) -> &[u8] {
    &delivered[delivered.len().saturating_sub(sent_len)..]
}

#[tokio::test]
async fn a_sent_message_is_filed_under_sent_and_bcc_stays_in_the_envelope() {
    let user = User::new("outbox-sent", "pw");
    let secret = user.servers.create_mailbox("outbox-bcc", "pw");
    let account = user
        .add_account(user.settings(Security::Tls, Security::StartTls, Pop3Mode::KeepOnServer))
        .await;
    let mut message = letter(&user.mailbox.address);
    message.bcc = secret.address.clone();
    let report = user.engine.send(account.id, message).await.unwrap();
    assert_eq!(report.outcome, SendOutcome::Sent);
    assert!(user.engine.outbox().await.unwrap().is_empty());

    let sent = user
        .engine
        .list_messages(Folder::Sent, None, 0, 10)
        .await
        .unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].subject, "डाक: outbox test");
    assert_eq!(
        sent[0].recipients, user.mailbox.address,
        "Bcc is not among them"
    );
    assert!(
        user.engine
            .list_messages(Folder::Inbox, None, 0, 10)
            .await
            .unwrap()
            .is_empty(),
        "a sent copy is not received mail"
    );
    let sent_raw = user.engine.raw_message(sent[0].id).await.unwrap();
    assert!(String::from_utf8_lossy(&sent_raw).contains(&report.message_id));

    for mailbox in [&user.mailbox, &secret] {
        let delivered = mailbox.wait_for_messages(1, DELIVERY);
        let delivered = dakiya_tests::fixtures::as_served(&delivered[0]);
        assert_eq!(
            delivered_tail(&delivered, sent_raw.len()),
            &sent_raw[..],
            "Sent holds exactly the bytes the server was given"
        );
        let text = String::from_utf8_lossy(&delivered).to_ascii_lowercase();
        assert!(!text.contains("\nbcc:"), "a Bcc header was delivered");
        assert!(
            !text.contains(&secret.address.to_ascii_lowercase())
                || mailbox.address == secret.address,
            "the Bcc recipient is named in what the others received"
        );
    }
}

async fn scripted_engine(port: u16, dir: &Path) -> (Engine, i64) {
    let mut engine = Engine::open(dir, PasswordStorage::MemoryOnly).unwrap();
    engine.set_smtp_timeout(Duration::from_millis(700));
    let settings = scripted_account(port, Security::PlaintextDangerous, Pop3Mode::KeepOnServer);
    let account = engine
        .save_account(None, settings, scripted_passwords())
        .await
        .unwrap();
    (engine, account.id)
}

#[tokio::test]
async fn a_4xx_is_retried_and_then_sent_once() {
    let server = FakeSmtp::start(SmtpBehaviour::TempFailData).await;
    let dir = tempfile::tempdir().unwrap();
    let (engine, account) = scripted_engine(server.port, dir.path()).await;
    let report = engine
        .send(account, letter("ravi@dakiya.test"))
        .await
        .unwrap();
    let SendOutcome::WillRetry { retry_at, error } = report.outcome else {
        panic!("a 451 must be retried: {:?}", report.outcome);
    };
    assert_eq!(error.reason, Some(ErrorReason::ServerTemporaryFailure));
    assert!(retry_at > dakiya_engine::store::now_unix());
    let waiting = engine.outbox().await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!((waiting[0].attempts, waiting[0].held), (1, false));

    // Not due yet: an automatic flush leaves it alone.
    server.set_behaviour(SmtpBehaviour::Accept);
    assert!(engine.flush_outbox(false).await.unwrap().is_empty());
    let reports = engine.flush_outbox(true).await.unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].outcome, SendOutcome::Sent);
    assert_eq!(reports[0].message_id, report.message_id);
    assert!(engine.outbox().await.unwrap().is_empty());
    let accepted = server.messages();
    assert_eq!(accepted.len(), 1, "sent exactly once");
    let sent = engine
        .list_messages(Folder::Sent, None, 0, 10)
        .await
        .unwrap();
    assert_eq!(engine.raw_message(sent[0].id).await.unwrap(), accepted[0]);
}

#[tokio::test]
async fn a_5xx_is_held_with_the_servers_reason_until_sent_again() {
    let server = FakeSmtp::start(SmtpBehaviour::RefuseRecipient).await;
    let dir = tempfile::tempdir().unwrap();
    let (engine, account) = scripted_engine(server.port, dir.path()).await;
    let report = engine
        .send(account, letter("nobody@dakiya.test"))
        .await
        .unwrap();
    let SendOutcome::Held { error } = report.outcome else {
        panic!("a 550 must not be retried by itself: {:?}", report.outcome);
    };
    assert_eq!(error.kind, ErrorKind::Protocol);
    // Refused at RCPT TO: the reason names the recipient (smtp_submission.rs has the details).
    assert!(
        matches!(error.reason, Some(ErrorReason::RecipientsRefused { .. })),
        "{:?}",
        error.reason
    );
    assert!(error.message.contains("no such user"), "{}", error.message);
    let held = engine.outbox().await.unwrap();
    assert!(held[0].held);
    assert!(held[0]
        .last_error
        .as_ref()
        .is_some_and(|e| e.message.contains("no such user")));

    server.set_behaviour(SmtpBehaviour::Accept);
    assert!(engine.flush_outbox(false).await.unwrap().is_empty(), "held");
    let reports = engine.flush_outbox(true).await.unwrap();
    assert_eq!(reports[0].outcome, SendOutcome::Sent);
    assert_eq!(server.messages().len(), 1);
}

/// "Edit" on a held message gives the text back for correction; a message that is only
/// waiting to be retried (it may yet be accepted) is not taken back.
#[tokio::test]
async fn a_held_message_can_be_taken_back_to_edit() {
    let server = FakeSmtp::start(SmtpBehaviour::RefuseRecipient).await;
    let dir = tempfile::tempdir().unwrap();
    let (engine, account) = scripted_engine(server.port, dir.path()).await;
    let written = letter("nobody@dakiya.test");
    engine.send(account, written.clone()).await.unwrap();
    let held = engine.outbox().await.unwrap();
    assert!(held[0].held);
    assert!(engine.undo_send(held[0].id).await.is_err(), "not an undo");
    assert_eq!(engine.edit_queued(held[0].id).await.unwrap(), written);
    assert!(engine.outbox().await.unwrap().is_empty());

    server.set_behaviour(SmtpBehaviour::TempFailData);
    engine.send(account, written).await.unwrap();
    let retrying = engine.outbox().await.unwrap();
    assert!(!retrying[0].held);
    assert!(engine.edit_queued(retrying[0].id).await.is_err());
    assert_eq!(engine.outbox().await.unwrap().len(), 1, "still queued");
}

fn cli_path() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/dakiya-cli");
    assert!(path.exists(), "build it first: {}", path.display());
    path
}

/// kill -9 while the server holds the message (between queueing and acceptance): the next run
/// sends it, with the same Message-ID (at least once, never zero times). Multi-threaded: the
/// scripted server must answer while this test waits for the CLI.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_dash_nine_before_acceptance_sends_it_after_restart() {
    let server = FakeSmtp::start(SmtpBehaviour::StallInData).await;
    let dir = tempfile::tempdir().unwrap();
    {
        let (_engine, _) = scripted_engine(server.port, dir.path()).await;
    }
    let cli = |args: &[&str]| {
        let mut command = Command::new(cli_path());
        command
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--no-keyring")
            .args(args)
            .env("DAKIYA_SMTP_PASSWORD", "pw")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    };
    let mut sending = cli(&[
        "send",
        "--account",
        "1",
        "--to",
        "ravi@dakiya.test",
        "--subject",
        "survives",
        "--body",
        "kill me",
    ])
    .spawn()
    .unwrap();
    // Wait until the message is inside DATA on the server, then kill.
    for _ in 0..100 {
        if server.received().iter().any(|line| line == "DATA") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(server.received().iter().any(|line| line == "DATA"));
    sending.kill().unwrap();
    let _ = sending.wait();

    let listed = cli(&["--json", "outbox"]).output().unwrap();
    let items: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let queued_id = items[0]["messageId"].as_str().unwrap().to_owned();

    server.set_behaviour(SmtpBehaviour::Accept);
    let flushed = cli(&["outbox", "--send"]).output().unwrap();
    assert!(
        flushed.status.success(),
        "{}",
        String::from_utf8_lossy(&flushed.stderr)
    );
    let accepted = server.messages();
    assert_eq!(accepted.len(), 1);
    assert!(String::from_utf8_lossy(&accepted[0]).contains(&format!("<{queued_id}>")));
    let listed = cli(&["--json", "outbox"]).output().unwrap();
    let items: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(items, serde_json::json!([]));
}

/// "Send later": a message queued for a later time waits in the outbox; automatic flushes
/// leave it until then, and "Send now" sends it at once.
#[tokio::test]
async fn a_message_for_later_waits_until_its_time() {
    let server = FakeSmtp::start(SmtpBehaviour::Accept).await;
    let dir = tempfile::tempdir().unwrap();
    let (engine, account) = scripted_engine(server.port, dir.path()).await;
    let in_an_hour = dakiya_engine::store::now_unix() + 3600;
    let message_id = engine
        .queue_message(account, letter("ravi@dakiya.test"), Some(in_an_hour))
        .await
        .unwrap();
    let waiting = engine.outbox().await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].next_attempt_at, in_an_hour);
    assert!(engine.flush_outbox(false).await.unwrap().is_empty());
    assert!(server.messages().is_empty(), "nothing before its time");
    let reports = engine.flush_outbox(true).await.unwrap();
    assert_eq!(reports[0].message_id, message_id);
    assert_eq!(server.messages().len(), 1);
}

/// Undo send: within the delay the message comes back unsent, exactly as written; after it the
/// message goes once, and can no longer be taken back.
#[tokio::test]
async fn undo_within_the_delay_sends_nothing_and_gives_the_text_back() {
    let server = FakeSmtp::start(SmtpBehaviour::Accept).await;
    let dir = tempfile::tempdir().unwrap();
    let (engine, account) = scripted_engine(server.port, dir.path()).await;
    let engine = std::sync::Arc::new(engine);
    assert_eq!(engine.undo_send_seconds().await.unwrap(), 10, "the default");
    engine.set_undo_send_seconds(1).await.unwrap();
    let mut written = letter("ravi@dakiya.test");
    written.bcc = "meera@dakiya.test".into();

    let started = engine
        .send_with_undo(account, written.clone())
        .await
        .unwrap();
    let dakiya_engine::SendStarted::Undoable { outbox_id, .. } = started else {
        panic!("with a delay the message must wait: {started:?}");
    };
    assert_eq!(engine.outbox().await.unwrap().len(), 1);
    let back = engine.undo_send(outbox_id).await.unwrap();
    assert_eq!(back, written);
    assert!(engine.outbox().await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert!(
        server.messages().is_empty(),
        "an undone message is never sent"
    );

    let started = engine.send_with_undo(account, written).await.unwrap();
    let dakiya_engine::SendStarted::Undoable { outbox_id, .. } = started else {
        panic!("with a delay the message must wait: {started:?}");
    };
    for _ in 0..40 {
        if !server.messages().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        server.messages().len(),
        1,
        "sent once when the delay is over"
    );
    assert!(
        engine.undo_send(outbox_id).await.is_err(),
        "too late to undo"
    );
    assert!(engine.set_undo_send_seconds(3600).await.is_err());
}
