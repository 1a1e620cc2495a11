//! Test harness for Dakiya's integration and end-to-end tests.
//!
//! [`servers`] starts real Dovecot (POP3) and Postfix (submission) on 127.0.0.1, one set per
//! test process, with a per-run CA; `tests/servers/install-deps.sh` installs them.

pub mod fake_pop3;
pub mod fake_smtp;
pub mod fixtures;
pub mod servers;
pub mod webdriver;
