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

#[test]
fn discover_prints_the_servers_and_the_command_that_adds_them() {
    let data = tempfile::tempdir().unwrap();
    // Gmail is in the provider list shipped with Dakiya: found without the network.
    let found = ok(cli(data.path(), "", &["discover", "asha@gmail.com"]));
    assert!(
        found.starts_with("Google Mail, found in Dakiya's provider list:"),
        "{found}"
    );
    assert!(
        found.contains("POP3  pop.gmail.com:995  tls  user asha@gmail.com"),
        "{found}"
    );
    assert!(found.contains("SMTP  smtp.gmail.com:465  tls"), "{found}");
    assert!(found.contains("Note: Turn on POP"), "{found}");
    let add = found
        .lines()
        .find_map(|line| line.strip_prefix("To add it: dakiya-cli "))
        .unwrap_or_else(|| panic!("no `account add` line: {found}"));
    let args: Vec<&str> = add
        .split_whitespace()
        .map(|word| if word == "NAME" { "Asha" } else { word })
        .collect();
    ok(cli(data.path(), "app password", &args));
    let accounts: serde_json::Value =
        serde_json::from_str(&ok(cli(data.path(), "", &["--json", "account", "list"])))
            .expect("JSON");
    let settings = &accounts[0];
    assert_eq!(settings["pop3"]["host"], "pop.gmail.com");
    assert_eq!(settings["pop3"]["port"], 995);
    assert_eq!(settings["smtp"]["host"], "smtp.gmail.com");
    assert_eq!(settings["smtp"]["security"], "tls");

    let json = ok(cli(
        data.path(),
        "",
        &["--json", "discover", "asha@gmail.com"],
    ));
    let json: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(json["source"], "database");
    assert_eq!(json["pop3"]["server"]["host"], "pop.gmail.com");

    // A domain that cannot exist: one sentence and a failure exit, quickly.
    let started = std::time::Instant::now();
    let nothing = cli(data.path(), "", &["discover", "asha@nowhere.invalid"]);
    assert!(!nothing.status.success());
    let said = String::from_utf8_lossy(&nothing.stderr);
    assert!(said.starts_with("dakiya-cli: no POP3 server"), "{said}");
    assert_eq!(said.trim_end().lines().count(), 1, "{said}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}
