//! The session against scripted fake servers on 127.0.0.1 (DESIGN §8: faults the real daemons
//! cannot produce). Real Dovecot tests live in the `dakiya-tests` crate.

mod fake_server;
mod faults;
mod pipelining;
mod plaintext;
mod tls;
