pub mod capability;
pub mod list;
pub(crate) mod parse;
pub mod stat;
pub mod types;
pub mod uidl;

use bytes::Bytes;

use self::{
    capability::Capability, list::List, stat::Stat, types::message::Text, uidl::UidlResponse,
};

#[derive(Debug)]
pub struct Status {
    success: bool,
}

impl Status {
    pub fn new(success: bool) -> Self {
        Self { success }
    }

    pub fn success(&self) -> bool {
        self.success
    }
}

#[derive(Debug)]
pub enum Response {
    Stat(Stat),
    List(List),
    /// A RETR or TOP body: dot-unstuffed, final CRLF kept (RFC 1939 §3).
    Bytes(Bytes),
    Uidl(UidlResponse),
    Capability(Vec<Capability>),
    Message(Text),
    #[cfg(feature = "sasl")]
    Challenge(Text),
    Err(Text),
}
