//! Keeping order in stored mail, through the engine on mail fetched from the real Dovecot:
//! conversations (even when a reply arrives before its parent, or lacks threading headers),
//! folders of one's own, moving and copying, Trash, flags and the folder counts.

use dakiya_engine::mime::Response;
use dakiya_engine::store::Folder;
use dakiya_engine::{Account, Pop3Mode, Security, SendOutcome};
use dakiya_tests::fixtures::User;

async fn fetched(user: &User, account: &Account) {
    user.engine
        .fetch(account.id, &|_| {})
        .await
        .expect("the fetch succeeds");
    user.engine.wait_until_indexed().await;
}

fn mail(from: &str, subject: &str, id: &str, parent: Option<&str>, date: &str) -> Vec<u8> {
    let threading = parent
        .map(|parent| format!("In-Reply-To: <{parent}>\r\nReferences: <{parent}>\r\n"))
        .unwrap_or_default();
    format!(
        "From: {from}\r\nTo: asha@example.org\r\nSubject: {subject}\r\nDate: {date}\r\n\
         Message-ID: <{id}>\r\n{threading}\r\nbody of {id}\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn conversations_folders_trash_and_flags() {
    let user = User::new("organise", "pw");
    let account = user
        .add_account(user.settings(Security::Tls, Security::StartTls, Pop3Mode::KeepOnServer))
        .await;
    // The reply is delivered before the message it answers; a second reply has no threading
    // headers at all; an unrelated message shares nothing.
    let mailbox = &user.mailbox;
    mailbox.deliver_raw(&mail(
        "Ravi <ravi@example.org>",
        "Re: यात्रा",
        "reply-1@example.org",
        Some("root@example.org"),
        "Mon, 30 Nov 2026 10:00:00 +0530",
    ));
    mailbox.deliver_raw(&mail(
        "Meera <meera@example.org>",
        "यात्रा",
        "root@example.org",
        None,
        "Sun, 29 Nov 2026 10:00:00 +0530",
    ));
    mailbox.deliver_raw(&mail(
        "Meera <meera@example.org>",
        "RE: Re: यात्रा",
        "reply-2@example.org",
        None,
        "Tue, 01 Dec 2026 10:00:00 +0530",
    ));
    mailbox.deliver_raw(&mail(
        "Shop <shop@example.org>",
        "Offer",
        "offer@example.org",
        None,
        "Wed, 02 Dec 2026 10:00:00 +0530",
    ));
    fetched(&user, &account).await;

    let threads = user
        .engine
        .list_threads(Folder::Inbox, None, 0, 50)
        .await
        .unwrap();
    let shape: Vec<(String, u32, u32)> = threads
        .iter()
        .map(|t| (t.latest.subject.clone(), t.messages, t.unread))
        .collect();
    assert_eq!(
        shape,
        [
            ("Offer".to_owned(), 1, 1),
            ("RE: Re: यात्रा".to_owned(), 3, 3)
        ],
        "newest thread first, shown by its newest message"
    );

    // Answering puts the Sent copy in the same conversation.
    let root = user
        .engine
        .list_messages(Folder::Inbox, None, 0, 50)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.subject == "यात्रा")
        .unwrap();
    let mut reply = user
        .engine
        .respond(root.id, Response::Reply)
        .await
        .unwrap()
        .message;
    reply.to = mailbox.address.clone();
    assert_eq!(
        user.engine.send(account.id, reply).await.unwrap().outcome,
        SendOutcome::Sent
    );
    user.engine.wait_until_indexed().await;
    let conversation = user.engine.conversation(root.id).await.unwrap();
    let subjects: Vec<&str> = conversation.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        ["यात्रा", "Re: यात्रा", "RE: Re: यात्रा", "Re: यात्रा"],
        "oldest first, the user's own reply included"
    );

    // Flags and counts.
    let offer = threads[0].latest.id;
    user.engine
        .set_flags(vec![offer], Some(true), Some(true))
        .await
        .unwrap();
    let summary = user.engine.message_summary(offer).await.unwrap();
    assert!(summary.is_read && summary.starred);
    let inbox_count = |counts: &[dakiya_engine::store::FolderCount]| {
        counts
            .iter()
            .find(|c| c.folder == Folder::Inbox && c.account_id == account.id)
            .map(|c| (c.total, c.unread))
    };
    assert_eq!(
        inbox_count(&user.engine.folder_counts().await.unwrap()),
        Some((4, 3))
    );

    // A folder of one's own: create, refuse a duplicate name, rename, move into, copy.
    let receipts = user.engine.create_folder("रसीदें".into()).await.unwrap();
    let duplicate = user.engine.create_folder(" रसीदें ".into()).await;
    assert!(duplicate.is_err(), "the same name twice");
    let receipts = user
        .engine
        .rename_folder(receipts.id, "Receipts 2026".into())
        .await
        .unwrap();
    assert_eq!(
        user.engine.folders().await.unwrap(),
        std::slice::from_ref(&receipts)
    );
    let into = Folder::User(receipts.id);
    user.engine.move_messages(vec![offer], into).await.unwrap();
    let copies = user
        .engine
        .copy_messages(vec![root.id], into)
        .await
        .unwrap();
    let in_folder = user.engine.list_messages(into, None, 0, 50).await.unwrap();
    assert_eq!(in_folder.len(), 2);
    assert_eq!(
        user.engine.raw_message(copies[0]).await.unwrap(),
        user.engine.raw_message(root.id).await.unwrap(),
        "a copy has the same bytes"
    );
    assert_eq!(
        user.engine
            .list_messages(Folder::Inbox, None, 0, 50)
            .await
            .unwrap()
            .len(),
        3,
        "the moved message left the Inbox, the copied one stayed"
    );

    // Trash: delete moves there; moving out restores; deleting there (or emptying) is final.
    user.engine.delete_messages(vec![offer]).await.unwrap();
    let trash = user
        .engine
        .list_messages(Folder::Trash, None, 0, 50)
        .await
        .unwrap();
    assert_eq!(trash.len(), 1);
    user.engine.move_messages(vec![offer], into).await.unwrap();
    user.engine.delete_folder(receipts.id).await.unwrap();
    let trash = user
        .engine
        .list_messages(Folder::Trash, None, 0, 50)
        .await
        .unwrap();
    assert_eq!(trash.len(), 2, "a deleted folder's messages go to Trash");
    assert_eq!(user.engine.empty_trash().await.unwrap(), 2);
    assert!(user
        .engine
        .list_messages(Folder::Trash, None, 0, 50)
        .await
        .unwrap()
        .is_empty());
    // Nothing is gone from the store's bytes, and the mail is still on the server (keep mode).
    assert!(user.engine.raw_message(offer).await.is_ok());
    assert_eq!(
        mailbox.messages().len(),
        5,
        "4 received + the reply to oneself"
    );
}

/// "Always load remote content from this sender" is kept in the store and honoured whenever
/// a message from that sender is opened; mail from anyone else stays blocked.
#[tokio::test]
async fn remote_content_is_allowed_per_sender() {
    let user = User::new("organise-remote", "pw");
    let account = user
        .add_account(user.settings(Security::Tls, Security::StartTls, Pop3Mode::KeepOnServer))
        .await;
    for from in ["news@shop.example", "other@shop.example"] {
        user.mailbox.deliver_raw(
            format!(
                "From: {from}\r\nSubject: offer\r\nContent-Type: text/html\r\n\r\n\
                 <p>hi<img src=\"https://images.shop.example/{from}.png\"></p>\r\n"
            )
            .as_bytes(),
        );
    }
    fetched(&user, &account).await;
    let messages = user
        .engine
        .list_messages(Folder::Inbox, None, 0, 10)
        .await
        .unwrap();
    let id_of = |from: &str| {
        messages
            .iter()
            .find(|m| m.from_address == from)
            .map(|m| m.id)
            .unwrap()
    };
    let opened = user
        .engine
        .open_message(id_of("news@shop.example"))
        .await
        .unwrap();
    assert!(opened.remote_content_blocked);
    assert!(!opened
        .sanitized_html
        .unwrap_or_default()
        .contains("images.shop.example"));

    user.engine
        .set_remote_content_allowed("NEWS@shop.example".into(), true)
        .await
        .unwrap();
    let opened = user
        .engine
        .open_message(id_of("news@shop.example"))
        .await
        .unwrap();
    assert!(opened
        .sanitized_html
        .unwrap_or_default()
        .contains("https://images.shop.example/news@shop.example.png"));
    let other = user
        .engine
        .open_message(id_of("other@shop.example"))
        .await
        .unwrap();
    assert!(other.remote_content_blocked, "only that sender");
}
