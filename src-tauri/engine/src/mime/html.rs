//! Mail HTML never runs (DESIGN.md §3.7): an allow-list sanitiser (ammonia) strips scripts,
//! event handlers, styles and dangerous URLs, and every remote resource is dropped so that
//! opening a message tells no tracker it was read.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub struct SanitizedHtml {
    pub html: String,
    pub remote_content_blocked: bool,
}

/// Attributes that fetch something when rendered.
const FETCHING_ATTRIBUTES: [&str; 4] = ["src", "background", "poster", "srcset"];

pub fn sanitize_html(html: &str) -> SanitizedHtml {
    let blocked = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&blocked);
    let html = ammonia::Builder::default()
        .url_schemes(HashSet::from(["http", "https", "mailto", "cid", "data"]))
        .link_rel(Some("noopener noreferrer"))
        .attribute_filter(move |_element, attribute, value| {
            if FETCHING_ATTRIBUTES.contains(&attribute) {
                let inline = value
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("data:image/");
                if !inline {
                    flag.store(true, Ordering::Relaxed);
                    return None;
                }
            }
            Some(value.into())
        })
        .clean(html)
        .to_string();
    SanitizedHtml {
        html,
        remote_content_blocked: blocked.load(Ordering::Relaxed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_javascript_links_go() {
        let out = sanitize_html(
            r#"<a href="javascript:alert(1)">x</a><svg onload="alert(1)"></svg><b onmouseover="x">y</b><style>body{}</style>"#,
        );
        for bad in ["javascript", "onload", "onmouseover", "<svg", "<style"] {
            assert!(!out.html.contains(bad), "{bad} survived in {}", out.html);
        }
        assert!(!out.remote_content_blocked);
    }

    #[test]
    fn remote_images_are_blocked_inline_ones_kept() {
        let out = sanitize_html(
            r#"<img src="http://tracker.example/x.png"><img src="data:image/png;base64,AAAA">"#,
        );
        assert!(out.remote_content_blocked);
        assert!(!out.html.contains("tracker.example"));
        assert!(out.html.contains("data:image/png;base64,AAAA"));
    }
}
