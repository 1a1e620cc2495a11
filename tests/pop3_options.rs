//! The per-account download options Thunderbird offers — headers only, a size limit with
//! "Download the whole message", and "delete from server when I delete it here" — against the
//! real Dovecot; and servers without UIDL (which Dovecot always has) against the scripted one.

use std::time::Duration;

use dakiya_engine::pop3::Timeouts;
use dakiya_engine::{
    AccountSettings, Engine, ErrorKind, ErrorReason, FetchProgress, PasswordStorage, Pop3Mode,
    Security,
};
use dakiya_tests::fake_pop3::{top, FakePop3, Fault};
use dakiya_tests::fixtures::{as_served, scripted_account, scripted_passwords, User};

const NO_PROGRESS: &(dyn Fn(FetchProgress) + Send + Sync) = &|_| {};

/// A message of about `body_lines` × 60 octets, some lines dot-stuffed on the wire.
fn message(subject: &str, body_lines: usize) -> Vec<u8> {
    let mut text = format!(
        "From: Asha <asha@dakiya.test>\r\nSubject: {subject}\r\nMessage-ID: <{}@dakiya.test>\r\n\r\n",
        subject.replace(' ', "-")
    );
    for n in 0..body_lines {
        if n % 9 == 0 {
            text.push('.');
        }
        text.push_str(&format!(
            "line {n:05} of {subject}: पत्र आया है, the post is here\r\n"
        ));
    }
    text.into_bytes()
}

async fn stored_by_subject(engine: &Engine, subject: &str) -> dakiya_engine::MessageSummary {
    engine
        .list_messages(dakiya_engine::store::Folder::Inbox, None, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.subject == subject)
        .unwrap_or_else(|| panic!("{subject} is not listed"))
}

#[tokio::test]
async fn headers_only_then_the_whole_message_on_request() {
    let user = User::new("headersonly", "pw");
    let originals = [message("first", 30), message("दूसरा पत्र", 200)];
    for original in &originals {
        user.mailbox.deliver_raw(original);
    }
    let mut settings = user.settings(Security::Tls, Security::Tls, Pop3Mode::KeepOnServer);
    settings.headers_only = true;
    let account = user.add_account(settings).await;

    let fetched = user.engine.fetch(account.id, NO_PROGRESS).await.unwrap();
    assert_eq!(fetched.new_messages.len(), 2);
    for (original, subject) in originals.iter().zip(["first", "दूसरा पत्र"]) {
        let summary = stored_by_subject(&user.engine, subject).await;
        assert!(summary.partial, "{subject} arrived whole");
        assert_eq!(summary.server_size, Some(original.len() as i64));
        let raw = user.engine.raw_message(summary.id).await.unwrap();
        assert_eq!(
            raw,
            top(original, 0),
            "the stored start is the headers, exactly"
        );
    }

    let again = user.engine.fetch(account.id, NO_PROGRESS).await.unwrap();
    assert_eq!(
        again.new_messages.len(),
        0,
        "a partial message is not fetched again"
    );

    let second = stored_by_subject(&user.engine, "दूसरा पत्र").await;
    let whole = user.engine.download_whole(second.id).await.unwrap();
    assert!(!whole.summary.partial);
    assert_eq!(whole.summary.id, second.id, "the message keeps its place");
    assert!(whole
        .text_body
        .as_deref()
        .is_some_and(|body| body.contains("line 00199")));
    assert_eq!(
        user.engine.raw_message(second.id).await.unwrap(),
        as_served(&originals[1])
    );
    assert_eq!(user.mailbox.messages().len(), 2, "keep mode keeps both");
    assert!(
        stored_by_subject(&user.engine, "first").await.partial,
        "only the one asked for is downloaded"
    );
}

#[tokio::test]
async fn over_the_size_limit_a_message_arrives_partly_and_stays_on_the_server() {
    let user = User::new("sizelimit", "pw");
    let small = message("small", 10);
    let big = message("big", 1_000);
    user.mailbox.deliver_raw(&small);
    user.mailbox.deliver_raw(&big);
    let mut settings = user.settings(Security::Tls, Security::Tls, Pop3Mode::DeleteAfterDownload);
    settings.max_message_kib = Some(8);
    let account = user.add_account(settings).await;

    let fetched = user.engine.fetch(account.id, NO_PROGRESS).await.unwrap();
    assert_eq!(fetched.new_messages.len(), 2);
    assert_eq!(fetched.deleted_on_server, 1);
    let small_row = stored_by_subject(&user.engine, "small").await;
    assert!(!small_row.partial);
    assert_eq!(user.engine.raw_message(small_row.id).await.unwrap(), small);
    let big_row = stored_by_subject(&user.engine, "big").await;
    assert!(big_row.partial);
    assert_eq!(
        user.engine.raw_message(big_row.id).await.unwrap(),
        top(&big, 40),
        "headers and the first 40 lines"
    );
    let left = user.mailbox.messages();
    assert_eq!(left.len(), 1, "only the whole one is deleted");
    assert_eq!(as_served(&left[0]), big);

    // Later checks leave the partial message alone too.
    let again = user.engine.fetch(account.id, NO_PROGRESS).await.unwrap();
    assert_eq!((again.new_messages.len(), again.deleted_on_server), (0, 0));
    assert_eq!(user.mailbox.messages().len(), 1);

    user.engine.download_whole(big_row.id).await.unwrap();
    assert_eq!(user.engine.raw_message(big_row.id).await.unwrap(), big);
    assert!(
        user.mailbox.messages().is_empty(),
        "in delete mode the whole message leaves the server once stored"
    );
    let error = user.engine.download_whole(big_row.id).await;
    assert!(
        error.is_ok(),
        "a whole message needs no download: {error:?}"
    );
}

#[tokio::test]
async fn a_message_gone_from_the_server_cannot_be_completed_and_keeps_its_start() {
    let user = User::new("gone", "pw");
    let original = message("vanishing", 50);
    user.mailbox.deliver_raw(&original);
    let mut settings = user.settings(Security::Tls, Security::Tls, Pop3Mode::KeepOnServer);
    settings.headers_only = true;
    let account = user.add_account(settings).await;
    user.engine.fetch(account.id, NO_PROGRESS).await.unwrap();
    let row = stored_by_subject(&user.engine, "vanishing").await;
    for file in ["new", "cur"] {
        for entry in std::fs::read_dir(user.mailbox.maildir().join(file)).unwrap() {
            std::fs::remove_file(entry.unwrap().path()).unwrap();
        }
    }
    let error = user.engine.download_whole(row.id).await.unwrap_err();
    assert_eq!(error.reason(), Some(&ErrorReason::GoneFromServer));
    assert_eq!(
        user.engine.raw_message(row.id).await.unwrap(),
        top(&original, 0)
    );
}

#[tokio::test]
async fn deleting_here_deletes_on_the_server_at_the_next_check_when_asked() {
    for delete_when_deleted_here in [true, false] {
        let user = User::new("deletehere", "pw");
        user.mailbox.deliver_raw(&message("keep me", 5));
        user.mailbox.deliver_raw(&message("throw me away", 5));
        let mut settings = user.settings(Security::Tls, Security::Tls, Pop3Mode::KeepOnServer);
        settings.delete_when_deleted_here = delete_when_deleted_here;
        let account = user.add_account(settings).await;
        user.engine.fetch(account.id, NO_PROGRESS).await.unwrap();

        let unwanted = stored_by_subject(&user.engine, "throw me away").await;
        user.engine.delete_message(unwanted.id).await.unwrap();
        let listed = user
            .engine
            .list_messages(dakiya_engine::store::Folder::Inbox, None, 0, 10)
            .await
            .unwrap();
        assert_eq!(listed.len(), 1, "a deleted message leaves the list");
        assert_eq!(
            user.engine.raw_message(unwanted.id).await.unwrap(),
            message("throw me away", 5),
            "its bytes stay in the store"
        );

        let next = user.engine.fetch(account.id, NO_PROGRESS).await.unwrap();
        assert_eq!(next.new_messages.len(), 0, "nothing comes back");
        let left = user.mailbox.messages();
        if delete_when_deleted_here {
            assert_eq!(next.deleted_on_server, 1);
            assert_eq!(left.len(), 1);
            assert_eq!(as_served(&left[0]), message("keep me", 5));
        } else {
            assert_eq!(next.deleted_on_server, 0);
            assert_eq!(left.len(), 2, "without the option the server keeps it");
        }
        let after = user.engine.fetch(account.id, NO_PROGRESS).await.unwrap();
        assert_eq!((after.new_messages.len(), after.deleted_on_server), (0, 0));
    }
}

fn scripted_messages() -> Vec<Vec<u8>> {
    (1..=3)
        .map(|n| message(&format!("scripted {n}"), 20 + n))
        .collect()
}

async fn scripted_engine(
    port: u16,
    dir: &std::path::Path,
    mode: Pop3Mode,
    adjust: impl FnOnce(&mut AccountSettings),
) -> (Engine, i64) {
    let mut engine = Engine::open(dir, PasswordStorage::MemoryOnly).unwrap();
    engine.set_pop3_timeouts(Timeouts {
        connect: Duration::from_secs(2),
        tls: Duration::from_secs(2),
        command: Duration::from_secs(2),
        per_mib: Duration::from_millis(100),
    });
    let mut settings = scripted_account(port, Security::PlaintextDangerous, mode);
    adjust(&mut settings);
    let passwords = scripted_passwords();
    let account = engine
        .save_account(None, settings, passwords)
        .await
        .unwrap();
    (engine, account.id)
}

async fn all_raw(engine: &Engine) -> Vec<Vec<u8>> {
    let mut raws = Vec::new();
    for summary in engine
        .list_messages(dakiya_engine::store::Folder::Inbox, None, 0, 100)
        .await
        .unwrap()
    {
        raws.push(engine.raw_message(summary.id).await.unwrap());
    }
    raws.sort();
    raws
}

#[tokio::test]
async fn without_uidl_messages_are_told_apart_by_their_headers() {
    let server = FakePop3::start(scripted_messages(), 0, Fault::NoUidl).await;
    let dir = tempfile::tempdir().unwrap();
    let (engine, account) = scripted_engine(server.port, dir.path(), Pop3Mode::KeepOnServer, |s| {
        s.headers_only = true;
    })
    .await;
    let first = engine.fetch(account, &|_| {}).await.unwrap();
    assert_eq!(first.new_messages.len(), 3);
    let again = engine.fetch(account, &|_| {}).await.unwrap();
    assert_eq!(again.new_messages.len(), 0, "known by their headers");
    assert_eq!(server.remaining(), 3);

    let row = stored_by_subject(&engine, "scripted 2").await;
    assert!(row.partial);
    engine.download_whole(row.id).await.unwrap();
    assert_eq!(
        engine.raw_message(row.id).await.unwrap(),
        scripted_messages()[1],
        "found again by its headers and downloaded whole"
    );
}

#[tokio::test]
async fn without_uidl_and_top_only_delete_mode_works_and_the_rest_is_refused_clearly() {
    let server = FakePop3::start(scripted_messages(), 0, Fault::NoUidlNoTop).await;
    let dir = tempfile::tempdir().unwrap();
    let (engine, account) =
        scripted_engine(server.port, dir.path(), Pop3Mode::KeepOnServer, |_| {}).await;
    let error = engine.fetch(account, &|_| {}).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config, "{}", error.chain());
    assert_eq!(error.reason(), Some(&ErrorReason::NoUniqueIds));
    for option in [
        "UIDL",
        "keeping messages on the server",
        "delete after download",
    ] {
        assert!(error.message().contains(option), "{}", error.message());
    }
    assert!(engine
        .list_messages(dakiya_engine::store::Folder::Inbox, None, 0, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(server.remaining(), 3, "nothing touched");
}

/// Without UIDL a session that dies before QUIT leaves stored messages on the server; the next
/// one downloads them again, recognises their bytes, and deletes them without storing twice.
#[tokio::test]
async fn without_uidl_and_top_delete_mode_never_stores_twice() {
    let server = FakePop3::start(scripted_messages(), 0, Fault::NoUidlNoTopDropInsteadOfQuit).await;
    let dir = tempfile::tempdir().unwrap();
    let (engine, account) = scripted_engine(
        server.port,
        dir.path(),
        Pop3Mode::DeleteAfterDownload,
        |_| {},
    )
    .await;
    assert!(
        engine.fetch(account, &|_| {}).await.is_err(),
        "QUIT was never answered"
    );
    assert_eq!(all_raw(&engine).await.len(), 3);
    assert_eq!(server.remaining(), 3, "no QUIT, no deletion");

    server.set_fault(Fault::NoUidlNoTop);
    let next = engine.fetch(account, &|_| {}).await.unwrap();
    assert_eq!(
        next.new_messages.len(),
        0,
        "the same bytes are not stored again"
    );
    assert_eq!(server.remaining(), 0);
    let mut expected = scripted_messages();
    expected.sort();
    assert_eq!(all_raw(&engine).await, expected);
}

/// Fetched mail is searchable at once: by body words in Hindi (whole Devanagari words, not
/// the pieces the default tokenizer makes), by sender and by attachment name.
#[tokio::test]
async fn fetched_mail_is_searchable_at_once() {
    let user = User::new("search", "pw");
    user.mailbox.deliver_raw(
        "From: Ravi <ravi@example.org>\r\nSubject: =?utf-8?b?4KSu4KWH4KSyIOCkhuCkiA==?=\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nआपका मेल डाकघर पहुँच गया।\r\n--b\r\n\
         Content-Type: application/pdf; name=rasid.pdf\r\n\
         Content-Disposition: attachment; filename=rasid.pdf\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n"
            .as_bytes(),
    );
    user.mailbox.deliver_raw(
        "From: Asha <asha@example.org>\r\nSubject: malik\r\nContent-Type: text/plain; \
         charset=utf-8\r\n\r\nमालिक ने लिखा है\r\n"
            .as_bytes(),
    );
    let settings = user.settings(Security::Tls, Security::Tls, Pop3Mode::KeepOnServer);
    let account = user.add_account(settings).await;
    user.engine.fetch(account.id, NO_PROGRESS).await.unwrap();
    user.engine.wait_until_indexed().await;

    let subjects = |found: Vec<dakiya_engine::SearchHit>| -> Vec<String> {
        found.into_iter().map(|hit| hit.summary.subject).collect()
    };
    let search = |query: &str| user.engine.search(query.to_owned(), 50);
    assert_eq!(subjects(search("मेल").await.unwrap()), ["मेल आई"]);
    assert_eq!(subjects(search("डाकघर पहुँ").await.unwrap()), ["मेल आई"]);
    assert_eq!(subjects(search("rasid").await.unwrap()), ["मेल आई"]);
    assert_eq!(subjects(search("ravi@example").await.unwrap()), ["मेल आई"]);
    assert_eq!(subjects(search("मालिक").await.unwrap()), ["malik"]);
    assert!(search("डाकिया").await.unwrap().is_empty());
    assert!(
        search("\"OR subject:").await.unwrap().is_empty(),
        "typed syntax is text"
    );
}

/// Two messages whose header blocks are identical share a digest: neither is ever deleted by
/// it, even when "keep N days" says the stored one is old enough.
#[tokio::test]
async fn without_uidl_a_shared_header_digest_deletes_nothing() {
    let headers = "From: Asha <asha@dakiya.test>\r\nSubject: twins\r\n\r\n";
    let twins = vec![
        format!("{headers}first body\r\n").into_bytes(),
        format!("{headers}second body\r\n").into_bytes(),
    ];
    let server = FakePop3::start(twins, 0, Fault::NoUidl).await;
    let dir = tempfile::tempdir().unwrap();
    let (engine, account) = scripted_engine(server.port, dir.path(), Pop3Mode::KeepOnServer, |s| {
        s.keep_days = Some(1);
    })
    .await;
    let first = engine.fetch(account, &|_| {}).await.unwrap();
    assert_eq!(
        first.new_messages.len(),
        1,
        "the twin is known by the same digest"
    );
    let store = rusqlite::Connection::open(dir.path().join("mail.sqlite3")).unwrap();
    store
        .execute(
            "UPDATE pop3_uidls SET stored_at = stored_at - 30 * 86400",
            [],
        )
        .unwrap();
    let later = engine.fetch(account, &|_| {}).await.unwrap();
    assert_eq!(later.deleted_on_server, 0);
    assert_eq!(
        server.remaining(),
        2,
        "an ambiguous digest deletes neither twin"
    );
}

/// An account whose messages are known by the server's UIDLs does not switch to digests when
/// UIDL disappears: that would download every message again.
#[tokio::test]
async fn a_server_that_loses_uidl_is_refused_rather_than_downloaded_again() {
    let server = FakePop3::start(scripted_messages(), 0, Fault::None).await;
    let dir = tempfile::tempdir().unwrap();
    let (engine, account) =
        scripted_engine(server.port, dir.path(), Pop3Mode::KeepOnServer, |_| {}).await;
    assert_eq!(
        engine
            .fetch(account, &|_| {})
            .await
            .unwrap()
            .new_messages
            .len(),
        3
    );
    server.set_fault(Fault::NoUidl);
    let error = engine.fetch(account, &|_| {}).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Protocol, "{}", error.chain());
    assert!(error.message().contains("UIDL"), "{}", error.message());
    assert_eq!(
        engine
            .list_messages(dakiya_engine::store::Folder::Inbox, None, 0, 10)
            .await
            .unwrap()
            .len(),
        3
    );
}
