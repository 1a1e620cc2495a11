//! What happens on the server after download, per account policy, against the real Dovecot.
//! (Keep and delete modes themselves are in `mail_roundtrip.rs`.)

use std::sync::Arc;
use std::time::Duration;

use dakiya_engine::{EngineEvent, FetchProgress, Pop3Mode, Security};
use dakiya_tests::fixtures::User;

const NO_PROGRESS: &(dyn Fn(FetchProgress) + Send + Sync) = &|_| {};
const DAY: i64 = 86_400;

/// Moves the local download time of these messages `days` into the past, as if they had been
/// fetched then.
fn age_downloads(user: &User, subjects: &[&str], days: i64) {
    let store = rusqlite::Connection::open(user.data_dir().join("mail.sqlite3")).unwrap();
    for subject in subjects {
        let changed = store
            .execute(
                "UPDATE pop3_uidls SET stored_at = stored_at - ?1
                 WHERE message_id IN (SELECT id FROM messages WHERE subject = ?2)",
                rusqlite::params![days * DAY, subject],
            )
            .unwrap();
        assert_eq!(changed, 1, "{subject} is not stored");
    }
}

#[tokio::test]
async fn keep_at_most_n_days_deletes_only_what_is_older() {
    let user = User::new("keepdays", "pw");
    for subject in ["old one", "old two", "fresh"] {
        user.mailbox
            .deliver_raw(format!("Subject: {subject}\r\n\r\n{subject}\r\n").as_bytes());
    }
    let mut settings = user.settings(Security::Tls, Security::Tls, Pop3Mode::KeepOnServer);
    settings.keep_days = Some(7);
    let account = user.add_account(settings).await;

    let first = user.engine.fetch(account.id, NO_PROGRESS).await.unwrap();
    assert_eq!(first.new_messages.len(), 3);
    assert_eq!(first.deleted_on_server, 0, "nothing is a week old yet");
    assert_eq!(user.mailbox.messages().len(), 3);

    age_downloads(&user, &["old one", "old two"], 8);
    let second = user.engine.fetch(account.id, NO_PROGRESS).await.unwrap();
    assert_eq!(second.new_messages.len(), 0);
    assert_eq!(second.deleted_on_server, 2);
    let left = user.mailbox.messages();
    assert_eq!(left.len(), 1);
    assert!(String::from_utf8_lossy(&left[0]).contains("Subject: fresh"));
    assert_eq!(
        user.engine
            .list_messages(dakiya_engine::store::Folder::Inbox, None, 0, 10)
            .await
            .unwrap()
            .len(),
        3,
        "local copies stay"
    );
}

#[tokio::test]
async fn zero_days_is_refused_as_a_setting() {
    let user = User::new("zerodays", "pw");
    let mut settings = user.settings(Security::Tls, Security::Tls, Pop3Mode::KeepOnServer);
    settings.keep_days = Some(0);
    let error = user
        .engine
        .save_account(None, settings, Default::default())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), dakiya_engine::ErrorKind::Config);
}

/// The scheduler checks at the account's interval, each check its own session, and reports new
/// mail to subscribers (here a "minute" lasts 200 ms).
#[tokio::test]
async fn the_scheduler_checks_at_each_interval() {
    let user = User::with_engine("scheduled", "pw", |engine| {
        engine.set_scheduler_minute(Duration::from_millis(200));
    });
    let mut settings = user.settings(Security::Tls, Security::Tls, Pop3Mode::KeepOnServer);
    settings.check_interval_minutes = Some(1);
    user.add_account(settings).await;
    let mut events = user.engine.subscribe();
    let scheduler = tokio::spawn(Arc::clone(&user.engine).run_scheduler());

    for round in 0..2 {
        user.mailbox
            .deliver_raw(format!("Subject: round {round}\r\n\r\nbody\r\n").as_bytes());
        let arrived = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Ok(EngineEvent::MailArrived { report, messages }) = events.recv().await {
                    return (report, messages);
                }
            }
        })
        .await
        .expect("the scheduler fetches the new message");
        assert_eq!(arrived.0.new_messages, 1);
        assert_eq!(arrived.1[0].subject, format!("round {round}"));
    }
    scheduler.abort();
}

#[tokio::test]
async fn no_interval_means_no_scheduled_checks() {
    let user = User::with_engine("unscheduled", "pw", |engine| {
        engine.set_scheduler_minute(Duration::from_millis(50));
    });
    let mut settings = user.settings(Security::Tls, Security::Tls, Pop3Mode::KeepOnServer);
    settings.check_interval_minutes = None;
    user.add_account(settings).await;
    user.mailbox.deliver_raw(b"Subject: waits\r\n\r\nbody\r\n");
    let scheduler = tokio::spawn(Arc::clone(&user.engine).run_scheduler());
    tokio::time::sleep(Duration::from_millis(600)).await;
    scheduler.abort();
    assert!(user
        .engine
        .list_messages(dakiya_engine::store::Folder::Inbox, None, 0, 10)
        .await
        .unwrap()
        .is_empty());
}

/// Cancel between messages in delete mode: the session ends cleanly, what was committed is
/// deleted from the server, nothing else is, and the next fetch brings the rest.
#[tokio::test]
async fn cancel_keeps_what_is_committed_and_the_next_fetch_brings_the_rest() {
    let user = User::new("cancel", "pw");
    for n in 0..300 {
        user.mailbox
            .deliver_raw(format!("Subject: cancel {n}\r\n\r\nbody {n}\r\n").as_bytes());
    }
    let settings = user.settings(Security::Tls, Security::Tls, Pop3Mode::DeleteAfterDownload);
    let account = user.add_account(settings).await;
    let engine = &user.engine;
    let last = std::sync::Mutex::new(None);
    let progress = |step: FetchProgress| {
        if step.current == 100 {
            engine.cancel_fetch(account.id);
        }
        *last.lock().unwrap() = Some(step);
    };
    let first = engine.fetch(account.id, &progress).await.unwrap();
    assert!(first.cancelled);
    let stored = first.new_messages.len();
    assert!((100..300).contains(&stored), "stored {stored}");
    assert_eq!(first.deleted_on_server, stored);
    assert_eq!(user.mailbox.messages().len(), 300 - stored);
    let step = last.lock().unwrap().expect("progress was reported");
    assert_eq!(step.total, 300);
    assert!(
        step.bytes_done > 0 && step.bytes_done < step.bytes_total,
        "{step:?}"
    );

    let second = engine.fetch(account.id, NO_PROGRESS).await.unwrap();
    assert!(!second.cancelled);
    assert_eq!(stored + second.new_messages.len(), 300);
    assert!(user.mailbox.messages().is_empty());
}
