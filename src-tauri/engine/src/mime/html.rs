//! Mail HTML never runs (DESIGN.md §3.7): an allow-list sanitiser (ammonia) strips scripts,
//! event handlers, styles and dangerous URLs, and every remote resource is dropped so that
//! opening a message tells no tracker it was read — unless the user asked to load remote
//! content for this message, and then only http(s) images come back, nothing that runs.
//! `cid:` images (multipart/related) become `data:` URLs of the message's own parts.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;

pub struct SanitizedHtml {
    pub html: String,
    pub remote_content_blocked: bool,
}

/// What the sanitiser may let through beyond the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HtmlOptions {
    /// Keep http(s) image sources ("Load remote content").
    pub allow_remote_content: bool,
}

/// An image part that a `cid:` reference may show.
pub(crate) struct InlineImage {
    /// "image/png", lowercase.
    pub content_type: String,
    /// Decoded size; `bytes` is left empty when it is over [`MAX_INLINE_IMAGE`].
    pub size: usize,
    pub bytes: Vec<u8>,
    /// The part's position among the message's attachments.
    pub attachment_index: u32,
}

/// One inline image may be at most this big, decoded: a mail that embeds a 50 MB photo still
/// opens at once, and the photo stays in the attachment list.
pub(crate) const MAX_INLINE_IMAGE: usize = 5 * 1024 * 1024;
/// All `cid:` substitutions of one message together, counting each reference (the same image
/// referenced 1000 times must not make a 5 GB page).
const MAX_INLINE_TOTAL: usize = 20 * 1024 * 1024;

/// Attributes that fetch something when rendered.
const FETCHING_ATTRIBUTES: [&str; 4] = ["src", "background", "poster", "srcset"];

/// A URL as a browser reads it (WHATWG URL: leading/trailing C0 controls and spaces trimmed,
/// tabs and newlines removed anywhere), lowercased — so "da\tta:" is seen as "data:".
fn normalised_url(value: &str) -> String {
    value
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .to_ascii_lowercase()
}

/// `data:` images a page may carry itself. SVG is left out: it is a document that can hold
/// script and links, and nothing in a letter needs it badly enough.
fn is_safe_data_image(url: &str) -> bool {
    url.starts_with("data:image/") && !url.starts_with("data:image/svg")
}

fn is_safe_image_type(content_type: &str) -> bool {
    content_type.starts_with("image/") && !content_type.starts_with("image/svg")
}

/// The state the attribute filter shares with the caller (ammonia wants `'static + Sync`).
#[derive(Default)]
struct Filtering {
    remote_blocked: bool,
    images: HashMap<String, InlineImage>,
    inline_budget: usize,
    shown_inline: HashSet<u32>,
}

/// RFC 2392: a `cid:` URL is the Content-ID without angle brackets, percent-encoded.
fn content_id_of_url(value: &str) -> Option<String> {
    let trimmed = value.trim();
    let rest = trimmed
        .get(..4)?
        .eq_ignore_ascii_case("cid:")
        .then(|| &trimmed[4..])?;
    Some(percent_decoded(rest).trim_matches(['<', '>']).to_owned())
}

fn percent_decoded(text: &str) -> String {
    String::from_utf8_lossy(&super::charset::unescape_hex(text, b'%', None)).into_owned()
}

/// The key a Content-ID is looked up by: without brackets, case-insensitive.
pub(crate) fn content_id_key(content_id: &str) -> String {
    content_id
        .trim()
        .trim_matches(['<', '>'])
        .to_ascii_lowercase()
}

impl Filtering {
    /// What `src` becomes for an `<img>` that names a cid: a data: URL, or nothing.
    fn inline_source(&mut self, content_id: &str) -> Option<String> {
        let image = self.images.get(&content_id_key(content_id))?;
        if image.size > MAX_INLINE_IMAGE
            || image.size > MAX_INLINE_TOTAL.saturating_sub(self.inline_budget)
        {
            // Too big to embed: the image stays in the attachment list and the view says
            // something was left out.
            self.remote_blocked = true;
            return None;
        }
        self.inline_budget += image.size;
        self.shown_inline.insert(image.attachment_index);
        Some(format!(
            "data:{};base64,{}",
            image.content_type,
            base64::engine::general_purpose::STANDARD.encode(&image.bytes)
        ))
    }

    fn filter<'u>(
        &mut self,
        options: HtmlOptions,
        element: &str,
        attribute: &str,
        value: &'u str,
    ) -> Option<Cow<'u, str>> {
        let url = normalised_url(value);
        if !FETCHING_ATTRIBUTES.contains(&attribute) {
            // A link may point anywhere ammonia's scheme list allows, except a data: document
            // (or a cid:, which leads nowhere inside the sandboxed view).
            let kept = !url.starts_with("data:") && !url.starts_with("cid:");
            return kept.then_some(Cow::Borrowed(value));
        }
        if is_safe_data_image(&url) && element == "img" {
            return Some(Cow::Borrowed(value));
        }
        if url.starts_with("cid:") {
            if element != "img" {
                return None;
            }
            let content_id = content_id_of_url(value)?;
            return self.inline_source(&content_id).map(Cow::Owned);
        }
        let remote = url.starts_with("http://") || url.starts_with("https://");
        let scheme_relative = url.starts_with("//");
        if options.allow_remote_content && element == "img" {
            if remote {
                return Some(Cow::Borrowed(value));
            }
            if scheme_relative {
                return Some(Cow::Owned(format!("https:{}", value.trim())));
            }
        }
        // Ammonia shows the filter attributes of elements it then drops (a <script src>):
        // only an image the view would have shown counts as blocked.
        if (remote || scheme_relative) && element == "img" {
            self.remote_blocked = true;
        }
        None
    }
}

/// Deeper element nesting than any letter needs. html5ever checks the stack of open elements
/// for many start tags, so 20,000 nested `<div>`s took 11 s in a debug build (quadratic); a
/// reply chain of 50 quotes is well within this.
const MAX_NESTING: usize = 256;

/// Elements that never hold others, and ones whose end tag may be left out (the parser closes
/// them itself, so they do not nest): neither deepens the tree.
fn opens_a_level(tag: &str) -> bool {
    !matches!(
        tag,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
            | "p"
            | "li"
            | "dt"
            | "dd"
            | "tr"
            | "td"
            | "th"
            | "option"
            | "optgroup"
            | "tbody"
            | "thead"
            | "tfoot"
            | "colgroup"
            | "rb"
            | "rt"
            | "rp"
    )
}

/// `html` with the tags beyond [`MAX_NESTING`] levels left out (their text stays). A rough
/// scan, not a parser: whatever it leaves is still sanitised by ammonia afterwards, so a
/// wrong guess can only cost formatting, never safety.
fn flatten_deep_nesting(html: &str) -> Cow<'_, str> {
    if html.bytes().filter(|&b| b == b'<').count() <= MAX_NESTING {
        return Cow::Borrowed(html);
    }
    let mut kept = String::with_capacity(html.len());
    let mut depth = 0usize;
    let mut rest = html;
    let mut dropped = false;
    while let Some(open) = rest.find('<') {
        let (text, from_tag) = rest.split_at(open);
        kept.push_str(text);
        let Some(close) = from_tag.find('>') else {
            kept.push_str(from_tag);
            rest = "";
            break;
        };
        let (tag, after) = from_tag.split_at(close + 1);
        rest = after;
        let inner = tag.trim_start_matches('<').trim_end_matches('>');
        let closing = inner.starts_with('/');
        let name: String = inner
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        let counts = !name.is_empty() && opens_a_level(&name) && !inner.ends_with('/');
        if counts && closing {
            let too_deep = depth > MAX_NESTING;
            depth = depth.saturating_sub(1);
            if too_deep {
                dropped = true;
                continue;
            }
        } else if counts {
            depth += 1;
            if depth > MAX_NESTING {
                dropped = true;
                continue;
            }
        }
        kept.push_str(tag);
    }
    kept.push_str(rest);
    if dropped {
        Cow::Owned(kept)
    } else {
        Cow::Borrowed(html)
    }
}

/// Sanitises with remote content blocked and no inline images.
pub fn sanitize_html(html: &str) -> SanitizedHtml {
    sanitize_html_with(html, HtmlOptions::default(), HashMap::new()).0
}

/// Sanitises `html`; `images` (keyed by [`content_id_key`]) may be shown for `cid:`
/// references. Also returns the attachment indices shown that way.
pub(crate) fn sanitize_html_with(
    html: &str,
    options: HtmlOptions,
    images: HashMap<String, InlineImage>,
) -> (SanitizedHtml, HashSet<u32>) {
    let state = Arc::new(Mutex::new(Filtering {
        images,
        ..Filtering::default()
    }));
    let shared = Arc::clone(&state);
    let html = ammonia::Builder::default()
        .url_schemes(HashSet::from(["http", "https", "mailto", "cid", "data"]))
        .link_rel(Some("noopener noreferrer"))
        .attribute_filter(move |element, attribute, value| {
            shared
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .filter(options, element, attribute, value)
        })
        .clean(&flatten_deep_nesting(html))
        .to_string();
    let state = std::mem::take(&mut *state.lock().unwrap_or_else(PoisonError::into_inner));
    (
        SanitizedHtml {
            html,
            remote_content_blocked: state.remote_blocked,
        },
        state.shown_inline,
    )
}

/// The images of `parts` that `cid:` may show: image types other than SVG, with a Content-ID.
pub(crate) fn inline_images<'a>(
    parts: impl Iterator<Item = (u32, &'a str, String, &'a [u8])>,
) -> HashMap<String, InlineImage> {
    parts
        .filter(|(_, _, content_type, _)| is_safe_image_type(content_type))
        .map(|(attachment_index, content_id, content_type, bytes)| {
            (
                content_id_key(content_id),
                InlineImage {
                    content_type,
                    size: bytes.len(),
                    // Copied only when the HTML names a cid (the caller checks); an oversized
                    // image is never copied.
                    bytes: if bytes.len() > MAX_INLINE_IMAGE {
                        Vec::new()
                    } else {
                        bytes.to_vec()
                    },
                    attachment_index,
                },
            )
        })
        .collect()
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

    #[test]
    fn data_documents_never_pass() {
        let out = sanitize_html(
            "<a href=\"data:text/html,<script>alert(1)</script>\">a</a>\
             <a href=\"da\tta:text/html,x\">b</a>\
             <img src=\"data:image/svg+xml;base64,PHN2Zz4=\">\
             <img src=\" DATA:text/html,x\">",
        );
        assert!(
            !out.html.to_ascii_lowercase().contains("data:"),
            "{}",
            out.html
        );
    }

    #[test]
    fn remote_allowed_keeps_http_images_only() {
        let (out, _) = sanitize_html_with(
            r#"<img src="https://pics.example/a.png"><img src="//pics.example/b.png"><img src="ftp://x/c.png"><script src="https://evil.example/x.js"></script><a href="https://ok.example/">l</a>"#,
            HtmlOptions {
                allow_remote_content: true,
            },
            HashMap::new(),
        );
        assert!(out.html.contains(r#"src="https://pics.example/a.png""#));
        assert!(out.html.contains(r#"src="https://pics.example/b.png""#));
        assert!(!out.html.contains("ftp:") && !out.html.contains("evil.example"));
        assert!(!out.remote_content_blocked);
    }

    #[test]
    fn deep_nesting_is_flattened_and_fast() {
        let html = format!("{}deep{}", "<div>".repeat(20_000), "</div>".repeat(20_000));
        let started = std::time::Instant::now();
        let out = sanitize_html(&html);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert_eq!(out.html.matches("<div>").count(), MAX_NESTING);
        assert!(out.html.contains("deep"));
        let shallow = "<p>one<p>two".repeat(1000);
        assert_eq!(flatten_deep_nesting(&shallow), shallow.as_str());
    }

    fn image(index: u32, size: usize) -> InlineImage {
        InlineImage {
            content_type: "image/png".into(),
            size,
            bytes: vec![7; size.min(MAX_INLINE_IMAGE)],
            attachment_index: index,
        }
    }

    #[test]
    fn cid_images_become_data_urls_within_budget() {
        let images = HashMap::from([
            ("logo@x".to_owned(), image(0, 3)),
            ("big@x".to_owned(), image(1, MAX_INLINE_IMAGE + 1)),
        ]);
        let (out, shown) = sanitize_html_with(
            r#"<img src="cid:Logo@X"><img src="cid:%3Cbig@x%3E"><img src="cid:missing"><a href="cid:logo@x">l</a>"#,
            HtmlOptions::default(),
            images,
        );
        assert!(
            out.html
                .contains(r#"<img src="data:image/png;base64,BwcH">"#),
            "{}",
            out.html
        );
        assert!(!out.html.contains("cid:"), "{}", out.html);
        assert!(out.remote_content_blocked);
        assert_eq!(shown, HashSet::from([0]));
    }

    #[test]
    fn the_total_budget_counts_every_reference() {
        let images = HashMap::from([("a".to_owned(), image(0, MAX_INLINE_IMAGE))]);
        let html = r#"<img src="cid:a">"#.repeat(5);
        let (out, _) = sanitize_html_with(&html, HtmlOptions::default(), images);
        assert_eq!(out.html.matches("data:image/png").count(), 4);
        assert!(out.remote_content_blocked);
    }
}
