//! Dakiya: the outcome of handing one message over "all or nothing".
//!
//! Upstream `send` stops at the first refused `RCPT TO` and reports one error, so a client
//! cannot tell the user which of several recipients the server refused, nor why. A mail client
//! that sends to nobody unless it can send to everybody (as Thunderbird does) needs every
//! recipient's reply, and a connection it can keep using afterwards.

use crate::{address::Address, transport::smtp::response::Response};

/// One recipient the server did not accept, with the server's own reply to its `RCPT TO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedRecipient {
    /// The address as it went out in `RCPT TO`.
    pub address: Address,
    /// The server's negative reply (4yz or 5yz, RFC 5321 §4.2.1).
    pub reply: Response,
}

/// What became of a message handed over with
/// [`AsyncSmtpTransport::send_raw_all_or_nothing`](crate::AsyncSmtpTransport).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handover {
    /// Every recipient was accepted and the server accepted the data with this reply.
    Accepted(Response),
    /// At least one `RCPT TO` was refused. The transaction was reset with `RSET`, so the
    /// message went to nobody and the connection is ready for the next one.
    RecipientsRefused(Vec<RefusedRecipient>),
    /// These envelope addresses need SMTPUTF8 (RFC 6531: non-ASCII characters) and the server
    /// does not offer it. Nothing was sent, not even `MAIL FROM`.
    NeedsSmtpUtf8(Vec<Address>),
}
