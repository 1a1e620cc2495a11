//! POP3 retrieval (RFC 1939) on top of our fixed copy of async-pop: connecting with implicit
//! TLS or STLS (RFC 2595), CAPA (RFC 2449), one login attempt, UIDL/LIST/RETR/DELE and QUIT,
//! each under a deadline; RETRs pipelined (RFC 2449 §6.6) when the server offers it. A [`Pop3Session`] that failed once is finished: it never sends
//! another command on a connection whose state is unknown (DESIGN §4).

mod failure;
mod read_ahead;
mod session;
mod timeouts;
mod transport;

pub use session::Pop3Session;
pub use timeouts::Timeouts;

#[cfg(test)]
mod tests;
