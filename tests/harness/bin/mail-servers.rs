//! Starts the test mail servers (real Dovecot + Postfix on 127.0.0.1), prints their settings as
//! one line of JSON on stdout, and serves until killed (Ctrl-C, SIGTERM); the harness's watchdog
//! then stops the daemons and deletes the run directory.
//!
//! Usage: `mail-servers [--mailbox LOCAL_PART:PASSWORD]...`
//! Each `--mailbox` creates exactly `LOCAL_PART@dakiya.test` (the password may contain spaces and
//! any Unicode, and `:`; it is everything after the first `:`). Without any, one mailbox
//! `demo@dakiya.test` with password `pass wörd पासवर्ड` is created.

use dakiya_tests::servers::{MailServers, Mailbox};

fn main() {
    let mut wanted: Vec<(String, String)> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let spec = match arg.as_str() {
            "--mailbox" => args.next(),
            other => other.strip_prefix("--mailbox=").map(str::to_owned),
        };
        match spec.as_deref().and_then(|s| s.split_once(':')) {
            Some((local, password)) => wanted.push((local.to_owned(), password.to_owned())),
            None => {
                eprintln!("usage: mail-servers [--mailbox LOCAL_PART:PASSWORD]...");
                std::process::exit(2);
            }
        }
    }
    if wanted.is_empty() {
        wanted.push(("demo".to_owned(), "pass wörd पासवर्ड".to_owned()));
    }

    let servers = MailServers::shared();
    let mailboxes: Vec<Mailbox> = wanted
        .iter()
        .map(|(local, password)| servers.create_mailbox_exact(local, password))
        .collect();

    let settings = serde_json::json!({
        "host": servers.host(),
        "pop3_starttls_port": servers.pop3_starttls_port(),
        "pop3_tls_port": servers.pop3_tls_port(),
        "submission_starttls_port": servers.submission_starttls_port(),
        "submission_tls_port": servers.submission_tls_port(),
        "ca_pem_path": servers.ca_pem_path(),
        "run_dir": servers.run_dir(),
        "pid": std::process::id(),
        "mailboxes": mailboxes
            .iter()
            .map(|m| serde_json::json!({
                "address": m.address,
                "username": m.username,
                "password": m.password,
                "maildir": m.maildir(),
            }))
            .collect::<Vec<_>>(),
    });
    println!("{settings}");
    eprintln!(
        "mail-servers: serving (pid {}); stop with Ctrl-C or kill",
        std::process::id()
    );

    loop {
        std::thread::park();
    }
}
