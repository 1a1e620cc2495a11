//! MIME: reading received messages (mail-parser) into what the list and the reader show,
//! sanitising their HTML, and building outgoing messages (lettre's builder).
//! Every message is untrusted input: nothing here panics or fails on a broken message — it is
//! listed from whatever could be read and flagged as a parse failure.

mod flowed;
mod html;
mod idn;
mod outgoing;
mod reader;
mod reply;

pub use html::{sanitize_html, SanitizedHtml};
pub(crate) use idn::ascii_domain;
pub use outgoing::{
    build_message, AttachmentData, AttachmentSource, BuiltMessage, OutgoingAttachment,
    OutgoingMessage,
};
pub use reader::{envelope, read_message, search_text, Envelope, MessageContent, SearchText};
pub use reply::{
    ancestor_ids, attachment_of, respond, strip_reply_prefixes, QuoteWords, Response, ENGLISH,
    HINDI,
};
