//! Desktop notifications for new mail. Sender names and subjects are hostile text: they are
//! escaped for the notification server's markup, and the D-Bus call runs on its own thread under
//! a timeout, because a frozen notification daemon blocks `show()` for over a minute.

use std::time::Duration;

use dakiya_engine::{Language, MessageSummary};

const SHOW_TIMEOUT: Duration = Duration::from_secs(5);
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
            let subject = match (one.subject.is_empty(), language) {
                (false, _) => one.subject.clone(),
                (true, Language::En) => "(no subject)".to_owned(),
                (true, Language::Hi) => "(कोई विषय नहीं)".to_owned(),
            };
            (escape(sender), escape(&subject))
        }
        many => {
            let title = match language {
                Language::En => format!("{} new messages", many.len()),
                Language::Hi => format!("{} नए संदेश", many.len()),
            };
            (title, "Dakiya".to_owned())
        }
    }
}

/// Shows the notification without holding up the caller: the D-Bus call runs on the blocking
/// pool and is given up on (logged) after a timeout.
pub async fn new_mail(messages: Vec<MessageSummary>, language: Language) {
    if messages.is_empty() {
        return;
    }
    let (summary, body) = summarise(&messages, language);
    let show = tokio::task::spawn_blocking(move || {
        notify_rust::Notification::new()
            .appname("Dakiya")
            .summary(&summary)
            .body(&body)
            .icon("mail-unread")
            .hint(notify_rust::Hint::Category("email.arrived".to_owned()))
            .show()
            .map(drop)
    });
    match tokio::time::timeout(SHOW_TIMEOUT, show).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(error))) => tracing::warn!("the desktop did not show the notification: {error}"),
        Ok(Err(error)) => tracing::warn!("the notification task failed: {error}"),
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
