//! Links clicked in mail: never followed inside the app. The window asks the user (showing the
//! real target, whatever the link's text claims), and only http, https and mailto go anywhere.

use tauri::{Emitter, Runtime, Url};

/// Payload: the URL as a string. A link in a message was clicked.
pub const LINK_REQUESTED: &str = "link-requested";

/// The app's own pages (bundled, or the dev server), and the mail iframe's srcdoc.
pub fn is_app_page(url: &Url) -> bool {
    match url.scheme() {
        "tauri" | "about" | "data" => true,
        "http" | "https" => matches!(
            url.host_str(),
            Some("tauri.localhost" | "localhost" | "ipc.localhost")
        ),
        _ => false,
    }
}

/// Schemes a mail may link to; everything else (javascript:, file:, custom handlers) is dropped.
pub fn is_followable(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https" | "mailto")
}

pub fn requested<R: Runtime>(app: &tauri::AppHandle<R>, url: &Url) {
    if !is_followable(url) {
        tracing::info!(
            scheme = url.scheme(),
            "a link with a scheme mail may not use was ignored"
        );
        return;
    }
    if let Err(error) = app.emit(LINK_REQUESTED, url.as_str()) {
        tracing::warn!("could not ask about a link: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_mail_links_are_followed() {
        let url = |text: &str| Url::parse(text).expect("a URL");
        assert!(is_followable(&url("https://example.org/x")));
        assert!(is_followable(&url("mailto:ravi@example.org")));
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "data:text/html,x",
            "smb://h/x",
        ] {
            assert!(!is_followable(&url(bad)), "{bad}");
        }
        assert!(is_app_page(&url("http://tauri.localhost/index.html")));
        assert!(is_app_page(&url("about:srcdoc")));
        assert!(!is_app_page(&url("https://evil.example/")));
    }
}
