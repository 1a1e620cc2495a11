//! Desktop notifications for new mail. Sender names and subjects are hostile text: they are
//! escaped for the notification server's markup, and the D-Bus call runs on its own thread under
//! a timeout, because a frozen notification daemon blocks `show()` for over a minute.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dakiya_engine::{DesktopSettings, Language, MessageSummary};
use tauri::{AppHandle, Runtime};

use crate::desktop::{self, DesktopRequest};
use crate::words;

const SHOW_TIMEOUT: Duration = Duration::from_secs(5);
/// Notifications whose click is still awaited, each by a thread of its own.
static WAITING: AtomicUsize = AtomicUsize::new(0);
const MAX_WAITING: usize = 8;
const MAX_FIELD_CHARS: usize = 200;

/// Escapes what notification servers interpret as markup, and removes control characters.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().take(MAX_FIELD_CHARS) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Title and body for a batch of new messages: the sender and subject for one, a count for more.
pub fn summarise(messages: &[MessageSummary], language: Language) -> (String, String) {
    match messages {
        [one] => {
            let sender = if one.from_name.is_empty() {
                &one.from_address
            } else {
                &one.from_name
            };
            let subject = if one.subject.is_empty() {
                words::text(language, "inbox.noSubject")
            } else {
                &one.subject
            };
            (escape(sender), escape(subject))
        }
        many => {
            let n = u32::try_from(many.len()).unwrap_or(u32::MAX);
            let title = words::count(language, "fetch.newMessages", n);
            (title, "Dakiya".to_owned())
        }
    }
}

/// Announces the new messages the user wants to hear about and is not already looking at.
/// Clicking the notification opens the message (or the inbox, for several).
pub async fn new_mail<R: Runtime>(
    app: AppHandle<R>,
    messages: Vec<MessageSummary>,
    settings: DesktopSettings,
    language: Language,
) {
    let messages: Vec<MessageSummary> = messages
        .into_iter()
        .filter(|message| {
            settings.notifies(message.account_id) && !desktop::is_watching(&app, message.account_id)
        })
        .collect();
    if messages.is_empty() {
        return;
    }
    let (summary, body) = summarise(&messages, language);
    let target = match messages.as_slice() {
        [one] => DesktopRequest::OpenMessage { id: one.id },
        _ => DesktopRequest::OpenInbox,
    };
    let open = match language {
        Language::En => "Open",
        Language::Hi => "खोलें",
    };
    // The D-Bus call runs on its own thread, which then waits for the click (or for the
    // notification to close) without holding a worker of the async runtime. Some desktops keep
    // notifications until the user clears them, so at most a few threads wait; beyond that a
    // notification is shown without a click to wait for.
    let clickable = WAITING.fetch_add(1, Ordering::SeqCst) < MAX_WAITING;
    if !clickable {
        WAITING.fetch_sub(1, Ordering::SeqCst);
    }
    let (shown, was_shown) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("notification".to_owned())
        .spawn(move || {
            let handle = notify_rust::Notification::new()
                .appname("Dakiya")
                .summary(&summary)
                .body(&body)
                .icon("mail-unread")
                .action("default", open)
                .hint(notify_rust::Hint::Category("email.arrived".to_owned()))
                .show();
            match handle {
                Ok(handle) => {
                    let _ = shown.send(Ok(()));
                    if clickable {
                        handle.wait_for_action(|action| {
                            if action == "default" {
                                desktop::request(&app, target);
                            }
                        });
                    }
                }
                Err(error) => {
                    let _ = shown.send(Err(error));
                }
            }
            if clickable {
                WAITING.fetch_sub(1, Ordering::SeqCst);
            }
        });
    if let Err(error) = spawned {
        if clickable {
            WAITING.fetch_sub(1, Ordering::SeqCst);
        }
        tracing::warn!("no thread for the notification: {error}");
        return;
    }
    match tokio::time::timeout(SHOW_TIMEOUT, was_shown).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(error))) => tracing::warn!("the desktop did not show the notification: {error}"),
        Ok(Err(_)) => tracing::warn!("the notification thread ended without a word"),
        Err(_) => tracing::warn!("the notification server did not answer within {SHOW_TIMEOUT:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(name: &str, subject: &str) -> MessageSummary {
        MessageSummary {
            id: 1,
            account_id: 1,
            from_name: name.into(),
            from_address: "a@example.org".into(),
            subject: subject.into(),
            date: None,
            is_read: false,
            parse_failed: false,
            partial: false,
            server_size: None,
            recipients: String::new(),
            starred: false,
            has_attachment: false,
        }
    }

    #[test]
    fn markup_and_controls_are_escaped() {
        let (title, body) = summarise(&[message("<b>Eve</b> & co", "x\u{7}\"y'")], Language::En);
        assert_eq!(title, "&lt;b&gt;Eve&lt;/b&gt; &amp; co");
        assert_eq!(body, "x &quot;y&#39;");
    }

    #[test]
    fn several_messages_are_counted_in_both_languages() {
        let batch = [message("a", "b"), message("c", "d"), message("e", "f")];
        assert_eq!(summarise(&batch, Language::En).0, "3 new messages");
        assert_eq!(summarise(&batch, Language::Hi).0, "3 नए संदेश");
    }
}
