//! MIME: reading received messages (mail-parser) into what the list and the reader show,
//! sanitising their HTML, and building outgoing messages (lettre's builder).
//! Every message is untrusted input: nothing here panics or fails on a broken message — it is
//! listed from whatever could be read and flagged as a parse failure.

mod attachments;
mod charset;
mod flowed;
mod html;
mod idn;
mod outgoing;
mod reader;
mod reply;

pub use attachments::{numbered_file_name, safe_file_name, AttachmentInfo};
pub use html::{sanitize_html, HtmlOptions, SanitizedHtml};
pub(crate) use idn::ascii_domain;
pub use outgoing::{
    build_message, AttachmentData, AttachmentSource, BuiltMessage, OutgoingAttachment,
    OutgoingMessage,
};
pub use reader::{
    attachment_of, envelope, read_message, read_message_with, search_text, Envelope,
    MessageContent, ReadOptions, SearchText,
};
pub use reply::{
    ancestor_ids, respond, strip_reply_prefixes, QuoteWords, Response, ENGLISH, HINDI,
};
