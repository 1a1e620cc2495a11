//! The composer's work, through the engine and the real Postfix and Dovecot: replies that
//! thread, forwards, attachments that arrive byte for byte under Hindi names, identities,
//! drafts that are deleted once sent and kept when sending fails, and address completion.

use std::time::Duration;

use dakiya_engine::account::Identity;
use dakiya_engine::mime::{AttachmentSource, Response};
use dakiya_engine::store::Folder;
use dakiya_engine::{Account, ErrorReason, OutgoingMessage, Pop3Mode, Security, SendOutcome};
use dakiya_tests::fixtures::{account_settings, passwords, User};
use mail_parser::{MessageParser, MimeHeaders};

const DELIVERY: Duration = Duration::from_secs(20);

/// Bytes no text encoding would carry unharmed: every byte value, bare CR and LF, NUL.
fn binary_payload() -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    bytes.extend_from_slice(b"\r\n.\r\n\n\r\0end");
    bytes
}

async fn fetch_all(user: &User, account: &Account) {
    user.engine
        .fetch(account.id, &|_| {})
        .await
        .expect("the fetch succeeds");
}

/// Ravi writes to Asha's work address; Asha replies to all with an attachment. What Ravi's
/// mailbox receives — fetched back over POP3 — threads under the original, quotes it, comes
/// from the identity it was sent to, and carries the file byte for byte under its Hindi name.
#[tokio::test]
async fn a_reply_threads_quotes_and_carries_a_hindi_named_attachment() {
    let asha = User::new("compose-asha", "pw");
    let ravi = asha.servers.create_mailbox("compose-ravi", "pw");
    let mut settings = asha.settings(Security::Tls, Security::StartTls, Pop3Mode::KeepOnServer);
    settings.identities = vec![Identity {
        display_name: "Asha at work".into(),
        email: "asha.work@example.org".into(),
        reply_to: ravi.address.clone(),
        signature: "Asha Rao\nWork Ltd".into(),
    }];
    let account = asha.add_account(settings).await;

    let original = format!(
        "From: Ravi <{ravi}>\r\nTo: Asha <asha.work@example.org>\r\nCc: {asha}\r\n\
         Subject: Re: =?UTF-8?B?4KSv4KWL4KSc4KSo4KS+?=\r\nDate: Sun, 29 Nov 2026 09:05:00 +0530\r\n\
         Message-ID: <original-3@example.org>\r\nIn-Reply-To: <original-2@example.org>\r\n\
         References: <original-1@example.org> <original-2@example.org>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nकल मिलते हैं?\r\n",
        ravi = ravi.address,
        asha = asha.mailbox.address,
    );
    asha.mailbox.deliver_raw(original.as_bytes());
    fetch_all(&asha, &account).await;
    let inbox = asha
        .engine
        .list_messages(Folder::Inbox, None, 0, 10)
        .await
        .unwrap();
    assert_eq!(inbox.len(), 1);

    let start = asha
        .engine
        .respond(inbox[0].id, Response::ReplyAll)
        .await
        .unwrap();
    assert_eq!(start.account_id, account.id);
    let mut reply = start.message;
    assert_eq!(reply.from_address, "asha.work@example.org");
    assert_eq!(reply.subject, "Re: योजना");
    assert_eq!(reply.to, format!("\"Ravi\" <{}>", ravi.address));
    assert_eq!(reply.cc, "", "Asha's own address is not copied");
    assert!(reply.body.contains("> कल मिलते हैं?\n"), "{}", reply.body);
    assert!(reply.body.ends_with("\n-- \nAsha Rao\nWork Ltd\n"));
    reply.body = format!("हाँ, ज़रूर।\n{}", reply.body);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("यात्रा योजना.bin");
    std::fs::write(&file, binary_payload()).unwrap();
    reply.attachments = asha
        .engine
        .attachments_from_files(vec![file.to_string_lossy().into_owned()])
        .await
        .unwrap();
    assert_eq!(reply.attachments[0].name, "यात्रा योजना.bin");
    assert_eq!(reply.attachments[0].size, binary_payload().len() as u64);

    let report = asha.engine.send(account.id, reply).await.unwrap();
    assert_eq!(report.outcome, SendOutcome::Sent);

    // Ravi reads it with Dakiya too: the message comes back over POP3.
    let ravi_account = asha
        .engine
        .save_account(
            None,
            account_settings(
                asha.servers,
                &ravi,
                Security::Tls,
                Security::StartTls,
                Pop3Mode::KeepOnServer,
            ),
            passwords(&ravi),
        )
        .await
        .unwrap();
    ravi.wait_for_messages(1, DELIVERY);
    fetch_all(&asha, &ravi_account).await;
    let received = asha
        .engine
        .list_messages(Folder::Inbox, Some(ravi_account.id), 0, 10)
        .await
        .unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].subject, "Re: योजना");
    assert_eq!(received[0].from_name, "Asha at work");
    let raw = asha.engine.raw_message(received[0].id).await.unwrap();
    let message = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        message.in_reply_to().as_text(),
        Some("original-3@example.org")
    );
    let references: Vec<&str> = message
        .references()
        .as_text_list()
        .unwrap_or_default()
        .iter()
        .map(|id| id.as_ref())
        .collect();
    assert_eq!(
        references,
        [
            "original-1@example.org",
            "original-2@example.org",
            "original-3@example.org"
        ]
    );
    assert_eq!(
        message
            .reply_to()
            .and_then(|r| r.first())
            .and_then(|a| a.address()),
        Some(ravi.address.as_str())
    );
    let text = message.body_text(0).unwrap();
    assert!(text.starts_with("हाँ, ज़रूर।"), "{text}");
    assert!(text.contains("> कल मिलते हैं?"));
    let attachment = message
        .attachments()
        .next()
        .expect("the attachment arrived");
    assert_eq!(attachment.attachment_name(), Some("यात्रा योजना.bin"));
    assert_eq!(attachment.contents(), &binary_payload()[..]);
}

/// Forward inline keeps the original's attachments; forward as attachment carries the
/// original untouched. Both are fetched back over POP3.
#[tokio::test]
async fn forwards_carry_the_original_and_its_attachments() {
    let user = User::new("compose-forward", "pw");
    let account = user
        .add_account(user.settings(Security::Tls, Security::Tls, Pop3Mode::KeepOnServer))
        .await;
    let original = b"From: Meera <meera@example.org>\r\nTo: someone@example.org\r\n\
Subject: =?UTF-8?B?4KSw4KS/4KSq4KWL4KSw4KWN4KSf?=\r\nMessage-ID: <fwd-original@example.org>\r\n\
Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
see attached\r\n--b\r\nContent-Type: application/pdf\r\n\
Content-Disposition: attachment; filename*=utf-8''%E0%A4%B0%E0%A4%BF%E0%A4%AA%E0%A5%8B%E0%A4%B0%E0%A5%8D%E0%A4%9F.pdf\r\n\
Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n";
    user.mailbox.deliver_raw(original);
    fetch_all(&user, &account).await;
    let id = user
        .engine
        .list_messages(Folder::Inbox, None, 0, 10)
        .await
        .unwrap()[0]
        .id;

    let mut inline = user
        .engine
        .respond(id, Response::Forward)
        .await
        .unwrap()
        .message;
    assert_eq!(inline.subject, "Fwd: रिपोर्ट");
    assert!(inline.body.contains("From: \"Meera\" <meera@example.org>"));
    inline.to = user.mailbox.address.clone();
    assert_eq!(
        user.engine.send(account.id, inline).await.unwrap().outcome,
        SendOutcome::Sent
    );

    let mut attached = user
        .engine
        .respond(id, Response::ForwardAsAttachment)
        .await
        .unwrap()
        .message;
    assert_eq!(
        attached.attachments[0].source,
        AttachmentSource::Message { message_id: id }
    );
    attached.to = user.mailbox.address.clone();
    assert_eq!(
        user.engine
            .send(account.id, attached)
            .await
            .unwrap()
            .outcome,
        SendOutcome::Sent
    );

    user.mailbox.wait_for_messages(3, DELIVERY);
    fetch_all(&user, &account).await;
    let inbox = user
        .engine
        .list_messages(Folder::Inbox, None, 0, 10)
        .await
        .unwrap();
    assert_eq!(inbox.len(), 3);
    let original_raw = user.engine.raw_message(id).await.unwrap();
    let mut forwards = Vec::new();
    for summary in inbox.iter().filter(|summary| summary.id != id) {
        assert_eq!(summary.subject, "Fwd: रिपोर्ट");
        forwards.push(user.engine.raw_message(summary.id).await.unwrap());
    }
    let parsed: Vec<_> = forwards
        .iter()
        .map(|raw| MessageParser::default().parse(raw).unwrap())
        .collect();
    let inline = parsed
        .iter()
        .find(|message| {
            message
                .body_text(0)
                .is_some_and(|text| text.contains("Forwarded Message"))
        })
        .expect("the inline forward arrived");
    let pdf = inline
        .attachments()
        .next()
        .expect("the original's attachment is kept");
    assert_eq!(pdf.attachment_name(), Some("रिपोर्ट.pdf"));
    assert_eq!(pdf.contents(), b"%PDF-1.4\n");
    let as_attachment = parsed
        .iter()
        .find(|message| message.attachments().any(|part| part.message().is_some()))
        .expect("the forward as attachment arrived");
    let inner = as_attachment
        .attachments()
        .find(|part| part.message().is_some())
        .unwrap();
    assert_eq!(
        inner.contents(),
        &original_raw[..],
        "the original, untouched"
    );
}

/// A draft is saved and reopened, deleted once its message is queued, and kept — with a
/// clear error — when an attached file vanished before sending.
#[tokio::test]
async fn drafts_are_kept_until_sent_and_a_vanished_attachment_keeps_the_draft() {
    let user = User::new("compose-drafts", "pw");
    let account = user
        .add_account(user.settings(Security::Tls, Security::StartTls, Pop3Mode::KeepOnServer))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("नोट्स.txt");
    std::fs::write(&file, "कुछ नोट्स\n").unwrap();
    let mut message = OutgoingMessage {
        to: user.mailbox.address.clone(),
        subject: "मसौदा".into(),
        body: "आधा लिखा".into(),
        attachments: user
            .engine
            .attachments_from_files(vec![file.to_string_lossy().into_owned()])
            .await
            .unwrap(),
        ..OutgoingMessage::default()
    };
    let draft_id = user
        .engine
        .save_draft(account.id, message.clone())
        .await
        .unwrap();
    message.draft_id = Some(draft_id);
    message.body.push_str(" और पूरा");
    assert_eq!(
        user.engine
            .save_draft(account.id, message.clone())
            .await
            .unwrap(),
        draft_id,
        "saving again updates the same draft"
    );
    let drafts = user.engine.drafts().await.unwrap();
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].subject, "मसौदा");
    let reopened = user.engine.open_draft(draft_id).await.unwrap();
    assert_eq!(reopened.message, message);

    std::fs::remove_file(&file).unwrap();
    let error = user
        .engine
        .send(account.id, message.clone())
        .await
        .expect_err("a vanished attachment stops the send");
    assert_eq!(error.reason(), Some(&ErrorReason::AttachmentMissing));
    assert!(error.message().contains("नोट्स.txt"), "{}", error.message());
    assert!(user.engine.outbox().await.unwrap().is_empty());
    assert_eq!(
        user.engine.drafts().await.unwrap().len(),
        1,
        "the draft stays"
    );

    std::fs::write(&file, "कुछ नोट्स\n").unwrap();
    let report = user.engine.send(account.id, message).await.unwrap();
    assert_eq!(report.outcome, SendOutcome::Sent);
    assert!(
        user.engine.drafts().await.unwrap().is_empty(),
        "sent: the draft is gone"
    );

    // A save that races the send (autosave of a draft that was just sent) keeps the text as
    // a new draft instead of failing or losing it.
    let late = OutgoingMessage {
        draft_id: Some(draft_id),
        subject: "late".into(),
        ..OutgoingMessage::default()
    };
    let new_id = user.engine.save_draft(account.id, late).await.unwrap();
    assert_ne!(new_id, draft_id);
    user.engine.delete_draft(new_id).await.unwrap();
    assert!(user.engine.drafts().await.unwrap().is_empty());
}

/// Completion offers the people mail came from and the people the user wrote to, by address
/// or by any word of the name, in Hindi too; those written to rank first.
#[tokio::test]
async fn addresses_are_completed_from_received_and_sent_mail() {
    let user = User::new("compose-complete", "pw");
    let ravi = user.servers.create_mailbox("ravi-compose", "pw");
    let account = user
        .add_account(user.settings(Security::Tls, Security::StartTls, Pop3Mode::KeepOnServer))
        .await;
    let ravi_from = format!(
        "=?UTF-8?B?4KSw4KS14KS/IOCkleClgeCkruCkvuCksA==?= <{}>",
        ravi.address
    );
    for from in [
        ravi_from.as_str(),
        "Raman <raman@example.org>",
        "Raman <raman@example.org>",
    ] {
        user.mailbox.deliver_raw(
            format!(
                "From: {from}\r\nTo: {}\r\nSubject: s\r\n\r\nx\r\n",
                user.mailbox.address
            )
            .as_bytes(),
        );
    }
    fetch_all(&user, &account).await;
    let suggestions = user.engine.address_suggestions("RAM".into()).await.unwrap();
    let addresses: Vec<&str> = suggestions.iter().map(|s| s.address.as_str()).collect();
    assert_eq!(
        addresses,
        ["raman@example.org"],
        "by the start of an address, any case"
    );
    assert!(user
        .engine
        .address_suggestions("man@".into())
        .await
        .unwrap()
        .is_empty());
    let by_name = user.engine.address_suggestions("रवि".into()).await.unwrap();
    let by_surname = user
        .engine
        .address_suggestions("कुमार".into())
        .await
        .unwrap();
    assert_eq!(by_name, by_surname);
    assert_eq!(by_name.len(), 1);
    assert_eq!(by_name[0].name, "रवि कुमार");
    assert_eq!(by_name[0].address, ravi.address);
    assert!(user
        .engine
        .address_suggestions("%".into())
        .await
        .unwrap()
        .is_empty());
    assert!(user
        .engine
        .address_suggestions(" ".into())
        .await
        .unwrap()
        .is_empty());

    // Raman wrote twice, Ravi once; once Asha writes to Ravi, Ravi comes first.
    let initial = &ravi.address[..1];
    let before = user
        .engine
        .address_suggestions(initial.into())
        .await
        .unwrap();
    let message = OutgoingMessage {
        to: ravi.address.clone(),
        subject: "s".into(),
        body: "b".into(),
        ..OutgoingMessage::default()
    };
    let sent = user.engine.send(account.id, message).await.unwrap();
    assert_eq!(sent.outcome, SendOutcome::Sent);
    let after = user
        .engine
        .address_suggestions(initial.into())
        .await
        .unwrap();
    assert_eq!(after[0].address, ravi.address, "before: {before:?}");
    assert_eq!(after[0].name, "रवि कुमार", "the name mail came with is kept");
    let _ = ravi.wait_for_messages(1, DELIVERY);
}

/// The composer warns by the server's own limit: Postfix's SIZE (its message_size_limit, 60 MiB
/// in the test configuration), read over the authenticated submission connection.
#[tokio::test]
async fn the_servers_size_limit_is_known_before_sending() {
    let user = User::new("compose-size", "pw");
    for smtp in [Security::StartTls, Security::Tls] {
        let account = user
            .add_account(user.settings(Security::Tls, smtp, Pop3Mode::KeepOnServer))
            .await;
        assert_eq!(
            user.engine.submission_size_limit(account.id).await.unwrap(),
            Some(62_914_560),
            "{smtp:?}"
        );
    }
}
