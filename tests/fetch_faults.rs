//! A misbehaving POP3 server yields a clear error within its timeout, stores no half-message,
//! and loses nothing that was already stored.

use std::time::{Duration, Instant};

use dakiya_engine::pop3::Timeouts;
use dakiya_engine::{Engine, ErrorKind, PasswordStorage, Passwords, Pop3Mode, Security};
use dakiya_tests::fake_pop3::{FakePop3, Fault};
use dakiya_tests::fixtures::{scripted_account, scripted_passwords};

fn messages() -> Vec<Vec<u8>> {
    (1..=3)
        .map(|n| {
            format!(
                "Subject: fake {n}\r\n\r\n.dotted line {n}\r\n{}\r\n",
                "x".repeat(400)
            )
            .into_bytes()
        })
        .collect()
}

async fn engine_for(port: u16, dir: &std::path::Path) -> (Engine, i64) {
    let mut engine = Engine::open(dir, PasswordStorage::MemoryOnly).unwrap();
    engine.set_pop3_timeouts(Timeouts {
        connect: Duration::from_secs(2),
        tls: Duration::from_secs(2),
        command: Duration::from_millis(700),
        per_mib: Duration::from_millis(100),
    });
    let settings = scripted_account(
        port,
        Security::PlaintextDangerous,
        Pop3Mode::DeleteAfterDownload,
    );
    let passwords = scripted_passwords();
    let account = engine
        .save_account(None, settings, passwords)
        .await
        .unwrap();
    (engine, account.id)
}

async fn fetch_with_fault(fault: Fault) -> (dakiya_engine::Error, Duration) {
    fetch_with_fault_offering(fault, false).await
}

/// As [`fetch_with_fault`]; with `pipelining`, RETRs 3 and on are already sent when 2 fails.
async fn fetch_with_fault_offering(
    fault: Fault,
    pipelining: bool,
) -> (dakiya_engine::Error, Duration) {
    let server = FakePop3::start(messages(), 2, fault).await;
    server.set_pipelining(pipelining);
    let dir = tempfile::tempdir().unwrap();
    let (engine, account) = engine_for(server.port, dir.path()).await;
    let started = Instant::now();
    let error = engine.fetch(account, &|_| {}).await.unwrap_err();
    let elapsed = started.elapsed();
    // The first message was committed before the fault and must survive; the second must not
    // exist even partially.
    let stored = engine
        .list_messages(dakiya_engine::store::Folder::Inbox, None, 0, 10)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].subject, "fake 1");
    let raw = engine.raw_message(stored[0].id).await.unwrap();
    assert_eq!(raw, messages()[0]);
    (error, elapsed)
}

#[tokio::test]
async fn hang_up_mid_message_is_a_network_error() {
    let (error, elapsed) = fetch_with_fault(Fault::HangUpMidMessage).await;
    assert_eq!(error.kind(), ErrorKind::Network, "{}", error.chain());
    assert!(elapsed < Duration::from_secs(5));
}

#[tokio::test]
async fn stall_mid_message_times_out() {
    let (error, elapsed) = fetch_with_fault(Fault::StallMidMessage).await;
    assert_eq!(error.kind(), ErrorKind::Timeout, "{}", error.chain());
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

#[tokio::test]
async fn nonsense_reply_is_a_protocol_error() {
    let (error, elapsed) = fetch_with_fault(Fault::Nonsense).await;
    assert_eq!(error.kind(), ErrorKind::Protocol, "{}", error.chain());
    assert!(elapsed < Duration::from_secs(5));
}

#[tokio::test]
async fn an_interrupted_fetch_resumes_without_duplicates() {
    let server = FakePop3::start(messages(), 2, Fault::HangUpMidMessage).await;
    let healthy = FakePop3::start(messages(), 0, Fault::None).await;
    let dir = tempfile::tempdir().unwrap();
    let (engine, account) = engine_for(server.port, dir.path()).await;
    assert!(engine.fetch(account, &|_| {}).await.is_err());
    let mut settings = engine.account(account).await.unwrap().settings;
    settings.pop3.port = healthy.port;
    engine
        .save_account(Some(account), settings, Passwords::default())
        .await
        .unwrap();
    let fetched = engine.fetch(account, &|_| {}).await.unwrap();
    assert_eq!(
        fetched.new_messages.len(),
        2,
        "only the two not stored before"
    );
    let mut subjects: Vec<String> = engine
        .list_messages(dakiya_engine::store::Folder::Inbox, None, 0, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.subject)
        .collect();
    subjects.sort();
    assert_eq!(subjects, ["fake 1", "fake 2", "fake 3"]);
}

/// RFC 1939 §6: a session that ends without QUIT deletes nothing. The messages are stored, the
/// server still has them, and the next session deletes them (without storing them twice).
#[tokio::test]
async fn a_disconnect_between_dele_and_quit_is_repaired_next_time() {
    let server = FakePop3::start(messages(), 0, Fault::DropInsteadOfQuit).await;
    let dir = tempfile::tempdir().unwrap();
    let (engine, account) = engine_for(server.port, dir.path()).await;
    let error = engine.fetch(account, &|_| {}).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Network, "{}", error.chain());
    assert_eq!(
        engine
            .list_messages(dakiya_engine::store::Folder::Inbox, None, 0, 10)
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(server.remaining(), 3, "a dropped session must not delete");

    server.set_fault(Fault::None);
    let fetched = engine.fetch(account, &|_| {}).await.unwrap();
    assert_eq!(fetched.new_messages.len(), 0);
    assert_eq!(fetched.deleted_on_server, 3);
    assert_eq!(server.remaining(), 0);
    assert_eq!(
        engine
            .list_messages(dakiya_engine::store::Folder::Inbox, None, 0, 10)
            .await
            .unwrap()
            .len(),
        3
    );
}

/// A reply line without an end must become an error within the deadline, not a memory leak.
#[tokio::test]
async fn an_endless_reply_line_is_an_error_not_a_hang() {
    let server = FakePop3::start(messages(), 0, Fault::EndlessUidlLine).await;
    let dir = tempfile::tempdir().unwrap();
    let (engine, account) = engine_for(server.port, dir.path()).await;
    let started = Instant::now();
    let error = engine.fetch(account, &|_| {}).await.unwrap_err();
    // Lines are capped at 64 KiB (async-pop's reader), so this fails long before the deadline.
    assert_eq!(error.kind(), ErrorKind::Protocol, "{}", error.chain());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(engine
        .list_messages(dakiya_engine::store::Folder::Inbox, None, 0, 10)
        .await
        .unwrap()
        .is_empty());
}

/// Cancel while the server is in the middle of sending a message: the fetch ends at once, keeps
/// what it had, and drops the connection, so the server deletes nothing.
#[tokio::test]
async fn cancel_mid_message_ends_promptly_and_deletes_nothing() {
    let server = FakePop3::start(messages(), 2, Fault::StallMidMessage).await;
    let dir = tempfile::tempdir().unwrap();
    let (engine, account) = engine_for(server.port, dir.path()).await;
    let engine = std::sync::Arc::new(engine);
    let canceller = std::sync::Arc::clone(&engine);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        canceller.cancel_fetch(account);
    });
    let started = Instant::now();
    let fetched = engine.fetch(account, &|_| {}).await.unwrap();
    assert!(fetched.cancelled);
    assert!(
        started.elapsed() < Duration::from_millis(650),
        "cancel took {:?}",
        started.elapsed()
    );
    assert_eq!(
        fetched.new_messages.len(),
        1,
        "the message before the stall is kept"
    );
    assert_eq!(
        server.remaining(),
        3,
        "an abandoned session deletes nothing"
    );
}

// The same faults with PIPELINING offered (as Dovecot does): replies to later RETRs are due
// when one fails, and none of them may be read as anything.

#[tokio::test]
async fn pipelined_hang_up_mid_message_is_a_network_error() {
    let (error, elapsed) = fetch_with_fault_offering(Fault::HangUpMidMessage, true).await;
    assert_eq!(error.kind(), ErrorKind::Network, "{}", error.chain());
    assert!(elapsed < Duration::from_secs(5));
}

#[tokio::test]
async fn pipelined_stall_mid_message_times_out() {
    let (error, elapsed) = fetch_with_fault_offering(Fault::StallMidMessage, true).await;
    assert_eq!(error.kind(), ErrorKind::Timeout, "{}", error.chain());
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

#[tokio::test]
async fn pipelined_nonsense_reply_is_a_protocol_error() {
    let (error, elapsed) = fetch_with_fault_offering(Fault::Nonsense, true).await;
    assert_eq!(error.kind(), ErrorKind::Protocol, "{}", error.chain());
    assert!(elapsed < Duration::from_secs(5));
}

#[tokio::test]
async fn pipelined_cancel_mid_message_ends_promptly_and_deletes_nothing() {
    let server = FakePop3::start(messages(), 2, Fault::StallMidMessage).await;
    server.set_pipelining(true);
    let dir = tempfile::tempdir().unwrap();
    let (engine, account) = engine_for(server.port, dir.path()).await;
    let engine = std::sync::Arc::new(engine);
    let canceller = std::sync::Arc::clone(&engine);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        canceller.cancel_fetch(account);
    });
    let started = Instant::now();
    let fetched = engine.fetch(account, &|_| {}).await.unwrap();
    assert!(fetched.cancelled);
    assert!(
        started.elapsed() < Duration::from_millis(650),
        "cancel took {:?}",
        started.elapsed()
    );
    assert_eq!(fetched.new_messages.len(), 1);
    assert_eq!(server.remaining(), 3);
}

/// Delete mode with more messages than one commit batch: each batch's DELEs go out while
/// later RETRs are in flight, so their replies must be read (and kept) first. Every message is
/// stored once and deleted once.
#[tokio::test]
async fn pipelined_delete_mode_deletes_each_message_after_its_commit() {
    let many: Vec<Vec<u8>> = (1..=150)
        .map(|n| format!("Subject: many {n}\r\n\r\n.body {n}\r\n").into_bytes())
        .collect();
    let server = FakePop3::start(many, 0, Fault::None).await;
    server.set_pipelining(true);
    let dir = tempfile::tempdir().unwrap();
    let (engine, account) = engine_for(server.port, dir.path()).await;
    let fetched = engine.fetch(account, &|_| {}).await.unwrap();
    assert_eq!(fetched.new_messages.len(), 150);
    assert_eq!(fetched.deleted_on_server, 150);
    assert_eq!(server.remaining(), 0);
    let stored = engine
        .list_messages(dakiya_engine::store::Folder::Inbox, None, 0, 200)
        .await
        .unwrap();
    assert_eq!(stored.len(), 150);
    for summary in stored.iter().take(5) {
        let raw = engine.raw_message(summary.id).await.unwrap();
        let n = summary.subject.trim_start_matches("many ");
        assert_eq!(
            raw,
            format!("Subject: many {n}\r\n\r\n.body {n}\r\n").into_bytes()
        );
    }
}

#[tokio::test]
async fn pipelined_disconnect_between_dele_and_quit_is_repaired_next_time() {
    let server = FakePop3::start(messages(), 0, Fault::DropInsteadOfQuit).await;
    server.set_pipelining(true);
    let dir = tempfile::tempdir().unwrap();
    let (engine, account) = engine_for(server.port, dir.path()).await;
    let error = engine.fetch(account, &|_| {}).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Network, "{}", error.chain());
    assert_eq!(server.remaining(), 3, "a dropped session must not delete");
    server.set_fault(Fault::None);
    let fetched = engine.fetch(account, &|_| {}).await.unwrap();
    assert_eq!(fetched.new_messages.len(), 0);
    assert_eq!(fetched.deleted_on_server, 3);
    assert_eq!(server.remaining(), 0);
    assert_eq!(
        engine
            .list_messages(dakiya_engine::store::Folder::Inbox, None, 0, 10)
            .await
            .unwrap()
            .len(),
        3
    );
}
