//! `dakiya-cli` over the same engine: add an account, send, fetch, list and show, against the
//! real servers, in a data directory of the test's own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use dakiya_tests::fixtures::as_served;
use dakiya_tests::servers::MailServers;

fn cli_path() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/dakiya-cli");
    assert!(
        path.exists(),
        "build it first: cargo build --workspace --bins ({})",
        path.display()
    );
    path
}

fn cli(data_dir: &Path, password: &str, args: &[&str]) -> Output {
    let output = Command::new(cli_path())
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--no-keyring")
        .args(args)
        .env("DAKIYA_POP3_PASSWORD", password)
        .env("DAKIYA_SMTP_PASSWORD", password)
        .output()
        .expect("dakiya-cli runs");
    output
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "dakiya-cli failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

#[test]
fn add_send_fetch_list_show() {
    let servers = MailServers::shared();
    let password = "cli pass पास";
    let mailbox = servers.create_mailbox("cli", password);
    let data = tempfile::tempdir().unwrap();
    let ca = servers.ca_pem_path().to_str().unwrap().to_owned();
    let pop3_port = servers.pop3_tls_port().to_string();
    let smtp_port = servers.submission_starttls_port().to_string();
    let added = ok(cli(
        data.path(),
        password,
        &[
            "--json",
            "account",
            "add",
            "--name",
            "CLI रवि",
            "--email",
            &mailbox.address,
            "--pop3-host",
            servers.host(),
            "--pop3-port",
            &pop3_port,
            "--pop3-security",
            "tls",
            "--pop3-user",
            &mailbox.username,
            "--pop3-mode",
            "delete",
            "--smtp-host",
            servers.host(),
            "--smtp-port",
            &smtp_port,
            "--smtp-security",
            "starttls",
            "--smtp-user",
            &mailbox.username,
            "--trust-cert",
            &ca,
        ],
    ));
    let account: serde_json::Value = serde_json::from_str(&added).unwrap();
    let id = account["id"].as_i64().unwrap().to_string();
    assert_eq!(
        account["trustedCertificate"]["sha256Fingerprint"]
            .as_str()
            .unwrap()
            .len(),
        95
    );

    ok(cli(
        data.path(),
        password,
        &[
            "send",
            "--account",
            &id,
            "--to",
            &mailbox.address,
            "--subject",
            "CLI नमस्ते",
            "--body",
            "from the CLI",
        ],
    ));
    let on_server = mailbox.wait_for_messages(1, Duration::from_secs(20));

    let fetched = ok(cli(data.path(), password, &["--json", "fetch", &id]));
    let report: serde_json::Value = serde_json::from_str(&fetched).unwrap();
    assert_eq!(report["newMessages"], 1);
    assert!(
        mailbox.messages().is_empty(),
        "delete mode must empty the maildrop"
    );

    let listed: serde_json::Value =
        serde_json::from_str(&ok(cli(data.path(), password, &["--json", "list"]))).unwrap();
    let message = &listed[0];
    assert_eq!(message["subject"], "CLI नमस्ते");
    assert_eq!(message["isRead"], false);
    let message_id = message["id"].as_i64().unwrap().to_string();

    let raw = cli(data.path(), password, &["show", "--raw", &message_id]);
    assert!(raw.status.success());
    assert_eq!(raw.stdout, as_served(&on_server[0]));
    let shown = ok(cli(data.path(), password, &["show", &message_id]));
    assert!(shown.contains("from the CLI"));
}

#[test]
fn errors_are_one_sentence_and_a_failure_exit() {
    let data = tempfile::tempdir().unwrap();
    let output = cli(data.path(), "x", &["show", "42"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("message 42 does not exist"), "{stderr}");
    let json = cli(data.path(), "x", &["--json", "show", "42"]);
    let error: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(error["kind"], "notFound");
}
