//! The walking skeleton end to end on real servers: send over Postfix submission, fetch over
//! Dovecot POP3, and check that what is stored is exactly what the server holds.

use std::time::Duration;

use dakiya_engine::{ErrorKind, ErrorReason, OutgoingMessage, Passwords, Pop3Mode, Security};
use dakiya_tests::fixtures::{as_served, passwords, User};

const DELIVERY: Duration = Duration::from_secs(20);
const NO_PROGRESS: &(dyn Fn(dakiya_engine::FetchProgress) + Send + Sync) = &|_| {};

/// Sends with one security mode and fetches with the other, then compares bytes.
async fn send_then_fetch(pop3: Security, smtp: Security) {
    let user = User::new("roundtrip", "correct horse");
    let account = user
        .add_account(user.settings(pop3, smtp, Pop3Mode::KeepOnServer))
        .await;

    let subject = "परीक्षण: हिन्दी विषय";
    // The long paragraph travels format=flowed (RFC 3676) in lines of at most 78 characters
    // and must come back as one line.
    let paragraph = "डाकिया हर सुबह गाँव की हर गली में चिट्ठियाँ बाँटता है, the postman comes. ".repeat(4);
    let body = format!(
        "नमस्ते!\n{}\n.a line that starts with a dot\n..two dots\n.\nFrom here on\nlast line",
        paragraph.trim_end()
    );
    let message = OutgoingMessage {
        to: user.mailbox.address.clone(),
        subject: subject.into(),
        body: body.clone(),
        ..OutgoingMessage::default()
    };
    let sent = user.engine.send(account.id, message).await.unwrap();
    let on_server = user.mailbox.wait_for_messages(1, DELIVERY);

    let fetched = user.engine.fetch(account.id, NO_PROGRESS).await.unwrap();
    assert_eq!(fetched.new_messages.len(), 1);
    let stored = &fetched.new_messages[0];
    assert_eq!(stored.subject, subject);
    assert_eq!(stored.from_name, "आशा Test");
    let raw = user.engine.raw_message(stored.id).await.unwrap();
    assert_eq!(
        raw,
        as_served(&on_server[0]),
        "stored bytes differ from the server's"
    );
    assert!(String::from_utf8_lossy(&raw).contains(&sent.message_id));

    let detail = user.engine.open_message(stored.id).await.unwrap();
    let text = detail.text_body.unwrap();
    assert_eq!(text.replace("\r\n", "\n").trim_end(), body);
    assert!(String::from_utf8_lossy(&raw).contains("format=flowed"));
    assert!(detail.summary.is_read);
}

#[tokio::test]
async fn starttls_submission_then_implicit_tls_pop3() {
    send_then_fetch(Security::Tls, Security::StartTls).await;
}

#[tokio::test]
async fn implicit_tls_submission_then_stls_pop3() {
    send_then_fetch(Security::StartTls, Security::Tls).await;
}

#[tokio::test]
async fn keep_mode_leaves_the_maildrop_and_fetches_once() {
    let user = User::new("keep", "pass word");
    for n in 0..3 {
        user.mailbox
            .deliver_raw(format!("Subject: keep {n}\r\n\r\nbody {n}\r\n").as_bytes());
    }
    let before = user.mailbox.messages();
    let settings = user.settings(Security::Tls, Security::Tls, Pop3Mode::KeepOnServer);
    let account = user.add_account(settings).await;

    let engine = &user.engine;
    assert_eq!(
        engine
            .fetch(account.id, NO_PROGRESS)
            .await
            .unwrap()
            .new_messages
            .len(),
        3
    );
    assert_eq!(
        engine
            .fetch(account.id, NO_PROGRESS)
            .await
            .unwrap()
            .new_messages
            .len(),
        0
    );
    assert_eq!(
        user.mailbox.messages(),
        before,
        "keep mode changed the maildrop"
    );
    assert_eq!(
        engine
            .list_messages(
                dakiya_engine::store::Folder::Inbox,
                Some(account.id),
                0,
                100
            )
            .await
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn delete_mode_empties_the_maildrop_after_storing() {
    let user = User::new("delete", "pass word");
    for n in 0..4 {
        user.mailbox
            .deliver_raw(format!("Subject: delete {n}\r\n\r\nbody {n}\r\n").as_bytes());
    }
    let settings = user.settings(
        Security::StartTls,
        Security::StartTls,
        Pop3Mode::DeleteAfterDownload,
    );
    let account = user.add_account(settings).await;
    let fetched = user.engine.fetch(account.id, NO_PROGRESS).await.unwrap();
    assert_eq!(fetched.new_messages.len(), 4);
    assert_eq!(fetched.deleted_on_server, 4);
    assert!(
        user.mailbox.messages().is_empty(),
        "delete mode left mail on the server"
    );
    let listed = user
        .engine
        .list_messages(
            dakiya_engine::store::Folder::Inbox,
            Some(account.id),
            0,
            100,
        )
        .await
        .unwrap();
    assert_eq!(listed.len(), 4);
    for summary in listed {
        let raw = user.engine.raw_message(summary.id).await.unwrap();
        assert!(raw.starts_with(b"Subject: delete "));
    }
}

#[tokio::test]
async fn five_hundred_messages_fetch_completely() {
    let user = User::new("many", "pass word");
    for n in 0..500 {
        let message =
            format!("Subject: message {n}\r\nMessage-ID: <{n}@many.test>\r\n\r\nbody {n}\r\n");
        user.mailbox.deliver_raw(message.as_bytes());
    }
    let settings = user.settings(Security::Tls, Security::Tls, Pop3Mode::KeepOnServer);
    let account = user.add_account(settings).await;
    let last_progress = std::sync::Mutex::new(None);
    let progress = |p: dakiya_engine::FetchProgress| {
        *last_progress.lock().unwrap() = Some((p.current, p.total));
    };
    let fetch = user.engine.fetch(account.id, &progress);
    let fetched = tokio::time::timeout(Duration::from_secs(120), fetch)
        .await
        .expect("fetching 500 messages must not hang")
        .unwrap();
    assert_eq!(fetched.new_messages.len(), 500);
    assert_eq!(*last_progress.lock().unwrap(), Some((500, 500)));
    assert_eq!(
        user.engine
            .list_messages(dakiya_engine::store::Folder::Inbox, None, 0, 1000)
            .await
            .unwrap()
            .len(),
        500
    );
}

#[tokio::test]
async fn password_with_space_and_hindi_letters_logs_in() {
    let user = User::new("unicode", "pass wörd पासवर्ड");
    let settings = user.settings(Security::Tls, Security::StartTls, Pop3Mode::KeepOnServer);
    let report = user
        .engine
        .test_connection(None, settings, passwords(&user.mailbox))
        .await;
    let report = report.unwrap();
    assert!(report.pop3.ok, "POP3: {:?}", report.pop3.error);
    assert!(report.smtp.ok, "SMTP: {:?}", report.smtp.error);
}

#[tokio::test]
async fn wrong_password_is_an_auth_error_and_stores_nothing() {
    let user = User::new("wrongpw", "the right one");
    user.mailbox
        .deliver_raw(b"Subject: secret\r\n\r\nsecret\r\n");
    let settings = user.settings(Security::Tls, Security::Tls, Pop3Mode::DeleteAfterDownload);
    let wrong = Passwords {
        pop3: "the wrong one".into(),
        smtp: "the wrong one".into(),
    };
    let engine = &user.engine;
    let account = engine
        .save_account(None, settings.clone(), wrong.clone())
        .await
        .unwrap();

    let error = engine.fetch(account.id, NO_PROGRESS).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Auth, "{}", error.chain());
    assert!(engine
        .list_messages(dakiya_engine::store::Folder::Inbox, None, 0, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(user.mailbox.messages().len(), 1);

    let report = engine
        .test_connection(Some(account.id), settings, wrong)
        .await
        .unwrap();
    assert_eq!(report.pop3.error.map(|e| e.kind), Some(ErrorKind::Auth));
    assert_eq!(report.smtp.error.map(|e| e.kind), Some(ErrorKind::Auth));
}

#[tokio::test]
async fn untrusted_certificate_is_named_as_such() {
    let user = User::new("untrusted", "pw");
    let mut settings = user.settings(Security::Tls, Security::StartTls, Pop3Mode::KeepOnServer);
    settings.trusted_certificate = None;
    let report = user
        .engine
        .test_connection(None, settings, passwords(&user.mailbox))
        .await;
    let report = report.unwrap();
    for outcome in [report.pop3, report.smtp] {
        let error = outcome.error.expect("an untrusted certificate must fail");
        assert_eq!(error.kind, ErrorKind::Tls, "{}", error.message);
        assert_eq!(
            error.reason,
            Some(ErrorReason::CertificateNotTrusted),
            "{}",
            error.message
        );
    }
}

#[tokio::test]
async fn nothing_listening_is_a_network_error_quickly() {
    let user = User::new("closed", "pw");
    let mut settings = user.settings(Security::Tls, Security::Tls, Pop3Mode::KeepOnServer);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    settings.pop3.port = port;
    settings.smtp.port = port;
    let started = std::time::Instant::now();
    let report = user
        .engine
        .test_connection(None, settings, passwords(&user.mailbox))
        .await;
    let report = report.unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    for outcome in [report.pop3, report.smtp] {
        let error = outcome.error.expect("a closed port must fail");
        assert_eq!(error.kind, ErrorKind::Network, "{}", error.message);
        assert_eq!(
            error.reason,
            Some(ErrorReason::ConnectionRefused),
            "{}",
            error.message
        );
    }
}

#[tokio::test]
async fn an_unparseable_message_is_stored_raw_and_listed() {
    let user = User::new("broken", "pw");
    let garbage: &[u8] = b"\xff\xfe\x00garbage without headers\r\n\x01\x02\r\n";
    user.mailbox.deliver_raw(garbage);
    let settings = user.settings(Security::Tls, Security::Tls, Pop3Mode::KeepOnServer);
    let account = user.add_account(settings).await;
    let fetched = user.engine.fetch(account.id, NO_PROGRESS).await.unwrap();
    assert_eq!(fetched.new_messages.len(), 1);
    let id = fetched.new_messages[0].id;
    let raw = user.engine.raw_message(id).await.unwrap();
    assert_eq!(raw, as_served(&user.mailbox.messages()[0]));
    let detail = user.engine.open_message(id).await.unwrap();
    assert!(detail.text_body.is_some());
}
