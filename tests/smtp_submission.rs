//! Handing a message to the SMTP server, through the public engine API: all recipients or none
//! (every refused recipient named with the server's reply, the message held or retried as a
//! whole), a connection that breaks in DATA retried and delivered once, SMTPUTF8 only where the
//! server offers it, and internationalised domains as A-labels.

use std::time::Duration;

use dakiya_engine::store::Folder;
use dakiya_engine::{
    Engine, ErrorInfo, ErrorKind, ErrorReason, OutgoingMessage, PasswordStorage, Pop3Mode,
    RefusedRecipient, Security, SendOutcome,
};
use dakiya_tests::fake_smtp::{FakeSmtp, SmtpBehaviour};
use dakiya_tests::fixtures::{scripted_account, scripted_passwords, User};

/// "उदाहरण.भारत" as A-labels (RFC 5891; Python's `"उदाहरण.भारत".encode("idna")` agrees).
const IDN_DOMAIN_ASCII: &str = "xn--p1b6ci4b4b3a.xn--h2brj9c";

fn letter(to: &str, cc: &str) -> OutgoingMessage {
    OutgoingMessage {
        to: to.into(),
        cc: cc.into(),
        subject: "डाक: submission test".into(),
        body: "पहली पंक्ति\nsecond line\n".into(),
        ..OutgoingMessage::default()
    }
}

struct Scripted {
    server: FakeSmtp,
    engine: Engine,
    account: i64,
    _dir: tempfile::TempDir,
}

async fn scripted(behaviour: SmtpBehaviour) -> Scripted {
    let server = FakeSmtp::start(behaviour).await;
    let dir = tempfile::tempdir().unwrap();
    let mut engine = Engine::open(dir.path(), PasswordStorage::MemoryOnly).unwrap();
    engine.set_smtp_timeout(Duration::from_millis(700));
    let settings = scripted_account(
        server.port,
        Security::PlaintextDangerous,
        Pop3Mode::KeepOnServer,
    );
    let account = engine
        .save_account(None, settings, scripted_passwords())
        .await
        .unwrap()
        .id;
    Scripted {
        server,
        engine,
        account,
        _dir: dir,
    }
}

fn held(outcome: SendOutcome) -> ErrorInfo {
    match outcome {
        SendOutcome::Held { error } => error,
        other => panic!("the message must be held for the user: {other:?}"),
    }
}

fn will_retry(outcome: SendOutcome) -> ErrorInfo {
    match outcome {
        SendOutcome::WillRetry { error, .. } => error,
        other => panic!("the message must be retried by itself: {other:?}"),
    }
}

fn refused(address: &str, reply: &str) -> RefusedRecipient {
    RefusedRecipient {
        address: address.into(),
        reply: reply.into(),
    }
}

fn saw(server: &FakeSmtp, verb: &str) -> bool {
    server
        .received()
        .iter()
        .any(|line| line.eq_ignore_ascii_case(verb))
}

#[tokio::test]
async fn some_refused_recipients_hold_the_message_and_each_is_named() {
    let s = scripted(SmtpBehaviour::Accept).await;
    s.server.refuse_recipient(
        "bad@dakiya.test",
        "550 5.1.1 <bad@dakiya.test>: User unknown",
    );
    s.server.refuse_recipient(
        "other@dakiya.test",
        "553 5.1.3 Bad recipient address syntax",
    );
    let report = s
        .engine
        .send(
            s.account,
            letter("good@dakiya.test, bad@dakiya.test", "other@dakiya.test"),
        )
        .await
        .unwrap();
    let error = held(report.outcome);
    assert_eq!(error.kind, ErrorKind::Protocol, "{}", error.message);
    assert_eq!(
        error.reason,
        Some(ErrorReason::RecipientsRefused {
            refused: vec![
                refused(
                    "bad@dakiya.test",
                    "550 5.1.1 <bad@dakiya.test>: User unknown"
                ),
                refused(
                    "other@dakiya.test",
                    "553 5.1.3 Bad recipient address syntax"
                ),
            ]
        })
    );
    assert!(
        error.message.contains(
            "refused 2 of 3 recipients: bad@dakiya.test (550 5.1.1 <bad@dakiya.test>: User \
             unknown); other@dakiya.test (553 5.1.3 Bad recipient address syntax)"
        ),
        "{}",
        error.message
    );

    // Nobody got it: the transaction was reset before DATA.
    assert!(s.server.messages().is_empty());
    assert!(saw(&s.server, "RSET"), "{:?}", s.server.received());
    assert!(!saw(&s.server, "DATA"), "{:?}", s.server.received());
    let outbox = s.engine.outbox().await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert!(outbox[0].held);
    assert_eq!(
        outbox[0].last_error.as_ref().map(|e| &e.reason),
        Some(&error.reason),
        "the outbox keeps each refused recipient"
    );

    // Held: an automatic flush leaves it; "Send now" once the server accepts them sends it once.
    assert!(s.engine.flush_outbox(false).await.unwrap().is_empty());
    s.server.accept_all_recipients();
    let reports = s.engine.flush_outbox(true).await.unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].outcome, SendOutcome::Sent);
    assert_eq!(s.server.messages().len(), 1);
    assert!(s.engine.outbox().await.unwrap().is_empty());
}

#[tokio::test]
async fn when_every_recipient_is_refused_each_is_named_the_same_way() {
    let s = scripted(SmtpBehaviour::Accept).await;
    s.server
        .refuse_recipient("a@dakiya.test", "550 5.1.1 No such user a");
    s.server
        .refuse_recipient("b@dakiya.test", "550 5.1.1 No such user b");
    let report = s
        .engine
        .send(s.account, letter("a@dakiya.test", "b@dakiya.test"))
        .await
        .unwrap();
    let error = held(report.outcome);
    assert!(
        error.message.contains(
            "refused 2 of 2 recipients: a@dakiya.test (550 5.1.1 No such user a); \
             b@dakiya.test (550 5.1.1 No such user b)"
        ),
        "{}",
        error.message
    );
    assert!(matches!(
        error.reason,
        Some(ErrorReason::RecipientsRefused { ref refused }) if refused.len() == 2
    ));
    assert!(s.server.messages().is_empty());
}

#[tokio::test]
async fn a_4xx_to_one_recipient_retries_the_whole_message() {
    let s = scripted(SmtpBehaviour::Accept).await;
    s.server
        .refuse_recipient("busy@dakiya.test", "450 4.2.1 Mailbox busy, try later");
    let report = s
        .engine
        .send(s.account, letter("good@dakiya.test, busy@dakiya.test", ""))
        .await
        .unwrap();
    let error = will_retry(report.outcome);
    assert_eq!(error.reason, Some(ErrorReason::ServerTemporaryFailure));
    assert!(
        error
            .message
            .contains("busy@dakiya.test (450 4.2.1 Mailbox busy, try later)"),
        "{}",
        error.message
    );
    assert!(s.server.messages().is_empty(), "not even to good@");
    let waiting = s.engine.outbox().await.unwrap();
    assert_eq!((waiting[0].attempts, waiting[0].held), (1, false));

    s.server.accept_all_recipients();
    let reports = s.engine.flush_outbox(true).await.unwrap();
    assert_eq!(reports[0].outcome, SendOutcome::Sent);
    assert_eq!(s.server.messages().len(), 1, "sent exactly once");
}

/// The outbox flushes many messages over one connection; a refusal resets the transaction
/// and the same connection carries the next message.
#[tokio::test]
async fn the_connection_carries_on_after_a_refusal() {
    let s = scripted(SmtpBehaviour::Accept).await;
    s.server
        .refuse_recipient("bad@dakiya.test", "550 5.1.1 User unknown");
    let refused_id = s
        .engine
        .queue_message(s.account, letter("bad@dakiya.test", ""), None)
        .await
        .unwrap();
    let sent_id = s
        .engine
        .queue_message(s.account, letter("good@dakiya.test", ""), None)
        .await
        .unwrap();
    let reports = s.engine.flush_outbox(false).await.unwrap();
    assert_eq!(reports.len(), 2);
    for report in reports {
        if report.message_id == refused_id {
            held(report.outcome);
        } else {
            assert_eq!(report.message_id, sent_id);
            assert_eq!(report.outcome, SendOutcome::Sent);
        }
    }
    assert_eq!(s.server.messages().len(), 1);
    assert_eq!(s.server.connections(), 1, "one connection, one login");
    assert!(saw(&s.server, "RSET"));
}

#[tokio::test]
async fn a_hang_up_after_the_data_is_retried_and_delivered_once() {
    let s = scripted(SmtpBehaviour::HangUpAfterDataEnd).await;
    let report = s
        .engine
        .send(s.account, letter("ravi@dakiya.test", ""))
        .await
        .unwrap();
    let error = will_retry(report.outcome);
    assert_eq!(error.kind, ErrorKind::Network, "{}", error.message);
    assert_eq!(error.reason, Some(ErrorReason::ConnectionClosed));
    let waiting = s.engine.outbox().await.unwrap();
    assert_eq!((waiting.len(), waiting[0].held), (1, false));

    s.server.set_behaviour(SmtpBehaviour::Accept);
    let reports = s.engine.flush_outbox(true).await.unwrap();
    assert_eq!(reports[0].outcome, SendOutcome::Sent);
    assert_eq!(reports[0].message_id, report.message_id);
    let accepted = s.server.messages();
    assert_eq!(accepted.len(), 1, "delivered exactly once");
    let sent = s
        .engine
        .list_messages(Folder::Sent, None, 0, 10)
        .await
        .unwrap();
    assert_eq!(s.engine.raw_message(sent[0].id).await.unwrap(), accepted[0]);
}

#[tokio::test]
async fn a_hang_up_in_the_middle_of_data_is_retried() {
    let s = scripted(SmtpBehaviour::HangUpInData).await;
    let report = s
        .engine
        .send(s.account, letter("ravi@dakiya.test", ""))
        .await
        .unwrap();
    let error = will_retry(report.outcome);
    assert_eq!(error.kind, ErrorKind::Network, "{}", error.message);
    s.server.set_behaviour(SmtpBehaviour::Accept);
    let reports = s.engine.flush_outbox(true).await.unwrap();
    assert_eq!(reports[0].outcome, SendOutcome::Sent);
    assert_eq!(s.server.messages().len(), 1);
}

/// A 5xx to the data itself is about the message, not a recipient: held as MessageRefused.
#[tokio::test]
async fn a_5xx_to_the_data_is_held_as_a_refused_message() {
    let s = scripted(SmtpBehaviour::RefuseData).await;
    let report = s
        .engine
        .send(s.account, letter("ravi@dakiya.test", ""))
        .await
        .unwrap();
    let error = held(report.outcome);
    assert_eq!(error.kind, ErrorKind::Protocol, "{}", error.message);
    assert_eq!(error.reason, Some(ErrorReason::MessageRefused));
    assert!(
        error.message.contains("Message content rejected"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_non_ascii_local_part_goes_with_smtputf8_where_offered() {
    let s = scripted(SmtpBehaviour::Accept).await;
    s.server.offer_smtputf8(true);
    let report = s
        .engine
        .send(s.account, letter("रवि <रवि@dakiya.test>", ""))
        .await
        .unwrap();
    assert_eq!(report.outcome, SendOutcome::Sent);
    let envelope = s.server.envelope_lines();
    assert_eq!(envelope.len(), 2, "{envelope:?}");
    assert!(
        envelope[0].starts_with("MAIL FROM:<scripted@dakiya.test>")
            && envelope[0].split_whitespace().any(|p| p == "SMTPUTF8"),
        "{envelope:?}"
    );
    assert_eq!(envelope[1], "RCPT TO:<रवि@dakiya.test>");
    assert_eq!(s.server.messages().len(), 1);
}

#[tokio::test]
async fn a_non_ascii_local_part_without_smtputf8_is_held_before_mail_from() {
    let s = scripted(SmtpBehaviour::Accept).await;
    let report = s
        .engine
        .send(s.account, letter("ravi@dakiya.test", "रवि@dakiya.test"))
        .await
        .unwrap();
    let error = held(report.outcome);
    assert_eq!(error.kind, ErrorKind::Config, "{}", error.message);
    assert!(
        error.message.ends_with(
            "does not accept the address रवि@dakiya.test: its part before @ is not ASCII and \
             the server does not offer SMTPUTF8"
        ),
        "{}",
        error.message
    );
    assert!(
        s.server.envelope_lines().is_empty(),
        "nothing of the envelope was sent: {:?}",
        s.server.received()
    );
    assert!(s.engine.outbox().await.unwrap()[0].held);
}

#[tokio::test]
async fn an_idn_domain_goes_out_as_a_labels_without_smtputf8() {
    let s = scripted(SmtpBehaviour::Accept).await;
    let report = s
        .engine
        .send(
            s.account,
            letter("रवि <ravi@उदाहरण.भारत>", "mira@उदाहरण.भारत"),
        )
        .await
        .unwrap();
    assert_eq!(report.outcome, SendOutcome::Sent);
    let envelope = s.server.envelope_lines();
    assert_eq!(envelope.len(), 3, "{envelope:?}");
    assert!(
        envelope[0].starts_with("MAIL FROM:<scripted@dakiya.test>")
            && !envelope[0].contains("SMTPUTF8"),
        "no SMTPUTF8 needed: {envelope:?}"
    );
    assert_eq!(
        envelope[1..],
        [
            format!("RCPT TO:<ravi@{IDN_DOMAIN_ASCII}>"),
            format!("RCPT TO:<mira@{IDN_DOMAIN_ASCII}>"),
        ]
    );
    let message = String::from_utf8(s.server.messages().remove(0)).unwrap();
    assert!(message.is_ascii(), "{message}");
    assert!(
        message.contains(&format!("<ravi@{IDN_DOMAIN_ASCII}>"))
            && message.contains(&format!("Cc: mira@{IDN_DOMAIN_ASCII}")),
        "{message}"
    );
}

/// The real Postfix (smtputf8_enable = yes) takes a message for a Hindi local part over
/// SMTPUTF8 and delivers it into that mailbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postfix_delivers_to_a_hindi_local_part_over_smtputf8() {
    let user = User::new("utf8-sender", "pw");
    let recipient = user.servers.create_mailbox_utf8("रवि", "pw");
    let account = user
        .add_account(user.settings(Security::Tls, Security::StartTls, Pop3Mode::KeepOnServer))
        .await;
    let report = user
        .engine
        .send(account.id, letter(&recipient.address, ""))
        .await
        .unwrap();
    assert_eq!(report.outcome, SendOutcome::Sent);
    let delivered = recipient.wait_for_messages(1, Duration::from_secs(20));
    let text = String::from_utf8_lossy(&delivered[0]);
    assert!(text.contains(&report.message_id), "{text}");
}
