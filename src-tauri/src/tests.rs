//! Command tests on Tauri's mock runtime (no display): each command's success and the exact
//! serialised shape of its error, through the real ACL (capabilities + app manifest).

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

use crate::state::Shell;

fn app(dir: &std::path::Path) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let shell = Shell::open_with(
        Some(dir.to_owned()),
        dakiya_engine::PasswordStorage::MemoryOnly,
    );
    let app = crate::with_commands(mock_builder())
        .manage(shell)
        .manage(crate::desktop::Desktop::default())
        .build(tauri::generate_context!())
        .expect("the mock app builds");
    let config = app
        .config()
        .app
        .windows
        .first()
        .cloned()
        .expect("a main window is configured");
    let window = WebviewWindowBuilder::from_config(&app, &config)
        .and_then(WebviewWindowBuilder::build)
        .expect("the main window opens");
    (app, window)
}

fn invoke(window: &WebviewWindow<MockRuntime>, command: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: command.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("a valid URL"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("JSON"))
}

fn settings(email: &str) -> Value {
    let server =
        json!({ "host": "mail.example.org", "port": 995, "security": "tls", "username": email });
    json!({
        "displayName": "आशा", "email": email, "pop3": server, "pop3Mode": "keepOnServer",
        "smtp": { "host": "mail.example.org", "port": 587, "security": "startTls", "username": email },
        "trustedCertificate": null
    })
}

#[test]
fn app_state_starts_empty_in_english() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_app, window) = app(dir.path());
    let state = invoke(&window, "get_app_state", json!({})).expect("state");
    assert_eq!(state["accounts"], json!([]));
    assert_eq!(state["language"], "en");
    assert_eq!(state["keyringAvailable"], false);
}

#[test]
fn language_is_saved() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_app, window) = app(dir.path());
    invoke(&window, "set_language", json!({ "language": "hi" })).expect("saved");
    let state = invoke(&window, "get_app_state", json!({})).expect("state");
    assert_eq!(state["language"], "hi");
}

#[test]
fn save_account_returns_it_and_lists_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_app, window) = app(dir.path());
    let args = json!({ "accountId": null, "settings": settings("asha@example.org"),
                       "passwords": { "pop3": "p", "smtp": "p" } });
    let account = invoke(&window, "save_account", args).expect("saved");
    assert_eq!(account["email"], "asha@example.org");
    assert!(account["id"].is_number());
    let state = invoke(&window, "get_app_state", json!({})).expect("state");
    assert_eq!(state["accounts"][0]["id"], account["id"]);
}

#[test]
fn invalid_settings_reject_with_a_config_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_app, window) = app(dir.path());
    let args = json!({ "accountId": null, "settings": settings("not-an-address"),
                       "passwords": { "pop3": "", "smtp": "" } });
    let error = invoke(&window, "save_account", args).expect_err("refused");
    assert_eq!(error["kind"], "config");
    assert_eq!(error["reason"], Value::Null);
    assert!(error["message"]
        .as_str()
        .expect("text")
        .contains("not-an-address"));
}

#[test]
fn discover_account_answers_from_the_provider_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_app, window) = app(dir.path());
    let found = invoke(
        &window,
        "discover_account",
        json!({ "email": "asha@gmail.com" }),
    )
    .expect("found");
    assert_eq!(found["source"], "database");
    assert_eq!(found["pop3"]["server"]["host"], "pop.gmail.com");
    assert_eq!(found["pop3"]["server"]["security"], "tls");
    assert_eq!(found["smtp"]["usernameForm"], "emailAddress");
    assert!(found["notes"][0]["texts"][0]["text"].is_string());

    let error = invoke(
        &window,
        "discover_account",
        json!({ "email": "asha@icloud.com" }),
    )
    .expect_err("IMAP only");
    assert_eq!(error["kind"], "notFound");
    assert_eq!(error["reason"], "imapOnly");
    let error = invoke(&window, "discover_account", json!({ "email": "asha" }))
        .expect_err("not an address");
    assert_eq!(error["kind"], "config");
}

#[test]
fn missing_things_reject_with_not_found() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_app, window) = app(dir.path());
    for (command, args) in [
        ("get_message", json!({ "messageId": 7 })),
        ("get_raw_message", json!({ "messageId": 7 })),
        (
            "send_message",
            json!({ "accountId": 3, "message": { "to": "a@b.c", "cc": "", "subject": "", "body": "" } }),
        ),
        (
            "fetch_mail",
            json!({ "accountId": 3, "onProgress": "__CHANNEL__:9" }),
        ),
    ] {
        let error = invoke(&window, command, args).expect_err(command);
        assert_eq!(error["kind"], "notFound", "{command}: {error}");
    }
}

#[test]
fn list_messages_of_an_empty_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_app, window) = app(dir.path());
    let list = invoke(
        &window,
        "list_messages",
        json!({ "folder": "inbox", "accountId": null, "offset": 0, "limit": 50 }),
    );
    assert_eq!(list.expect("listed"), json!([]));
}

#[test]
fn parse_certificate_rejects_garbage_with_a_parse_error() {
    let error = invoke_without_store("parse_certificate", json!({ "pem": "garbage" }));
    assert_eq!(error["kind"], "parse");
}

/// A self-signed certificate and its SHA-256 fingerprint as `openssl x509 -fingerprint` shows it.
const SELF_SIGNED_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBjTCCATOgAwIBAgIUCAcFMY6ufCdr/Z0/1z0lzVVE1lMwCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQbWFpbC5kYWtpeWEudGVzdDAgFw0yNjExMjkxMDIyNDVaGA8y
MTI2MTEwNTEwMjI0NVowGzEZMBcGA1UEAwwQbWFpbC5kYWtpeWEudGVzdDBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABMc1vxrgf12o4zef49CIu9h4CRrWXbPizn3h
a2nDz2UNRT1bKFxMSF5a7z/CnM1naKWW4JoKA7hsPHqzOtdoVIqjUzBRMB0GA1Ud
DgQWBBQ27DIt9+QmTGTxVbLfBis04y1qajAfBgNVHSMEGDAWgBQ27DIt9+QmTGTx
VbLfBis04y1qajAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQC1
bXCEuPg4FpEp0R3KemcuX0S+UHEwh1vmGL6F9xJL/AIgMzeNvZN0raNmSa8JVRhC
UvMXwDUGDeodF/mmdfxVmhs=
-----END CERTIFICATE-----
";
const SELF_SIGNED_SHA256: &str = "E4:1E:93:31:9A:85:41:F9:85:83:E6:47:A3:4A:50:99:31:26:1B:23:84:C1:AE:61:17:B8:CF:3F:88:61:37:6C";

#[test]
fn parse_certificate_shows_the_fingerprint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_app, window) = app(dir.path());
    let trusted = invoke(
        &window,
        "parse_certificate",
        json!({ "pem": SELF_SIGNED_PEM }),
    )
    .expect("a PEM certificate parses");
    assert_eq!(trusted["sha256Fingerprint"], SELF_SIGNED_SHA256);
    assert_eq!(trusted["pem"], SELF_SIGNED_PEM.trim());
}

/// The command succeeds with a report; each server's failure is inside it, in the error shape.
#[test]
fn test_connection_reports_each_server() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_app, window) = app(dir.path());
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = closed.local_addr().expect("its address").port();
    drop(closed);
    let mut settings = settings("asha@example.org");
    for server in ["pop3", "smtp"] {
        settings[server]["host"] = json!("127.0.0.1");
        settings[server]["port"] = json!(port);
    }
    let args = json!({ "accountId": null, "settings": settings,
                       "passwords": { "pop3": "p", "smtp": "p" } });
    let report = invoke(&window, "test_connection", args).expect("a report");
    for server in ["pop3", "smtp"] {
        assert_eq!(report[server]["ok"], false, "{report}");
        let error = &report[server]["error"];
        assert_eq!(error["kind"], "network", "{report}");
        assert_eq!(error["reason"], "connectionRefused", "{report}");
        assert!(error["message"].is_string(), "{report}");
    }
}

fn invoke_without_store(command: &str, args: Value) -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_app, window) = app(dir.path());
    invoke(&window, command, args).expect_err(command)
}

#[test]
fn a_store_too_new_is_reported_by_every_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    drop(dakiya_engine::Engine::open(
        dir.path(),
        dakiya_engine::PasswordStorage::MemoryOnly,
    ));
    rusqlite::Connection::open(dir.path().join("mail.sqlite3"))
        .and_then(|db| db.pragma_update(None, "user_version", 999))
        .expect("the store is marked as written by a future version");
    let (_app, window) = app(dir.path());
    let error = invoke(&window, "get_app_state", json!({})).expect_err("refused");
    assert_eq!(error["kind"], "storage");
    assert_eq!(error["reason"], "databaseTooNew");
}

/// Writes the UI's TypeScript bindings from the Rust types (`make test` fails if they changed).
#[test]
fn export_bindings() {
    use ts_rs::TS;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/lib/ipc/bindings");
    // Start empty, so a type that is no longer exported leaves no stale file behind.
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            if entry.path().extension().is_some_and(|ext| ext == "ts") {
                std::fs::remove_file(entry.path()).expect("an old binding is removed");
            }
        }
    }
    let config = ts_rs::Config::new()
        .with_out_dir(&dir)
        .with_large_int("number");
    let results = [
        dakiya_engine::AccountSettings::export_all(&config),
        dakiya_engine::FetchFailure::export_all(&config),
        crate::state::AppState::export_all(&config),
        dakiya_engine::ConnectionReport::export_all(&config),
        dakiya_engine::SendReport::export_all(&config),
        dakiya_engine::SendStarted::export_all(&config),
        dakiya_engine::MessageDetail::export_all(&config),
        dakiya_engine::FetchReport::export_all(&config),
        dakiya_engine::FetchProgress::export_all(&config),
        dakiya_engine::OutgoingMessage::export_all(&config),
        dakiya_engine::Passwords::export_all(&config),
        dakiya_engine::ErrorInfo::export_all(&config),
        dakiya_engine::store::OutboxItem::export_all(&config),
        dakiya_engine::store::Folder::export_all(&config),
        dakiya_engine::ComposeStart::export_all(&config),
        dakiya_engine::store::DraftItem::export_all(&config),
        dakiya_engine::store::KnownAddress::export_all(&config),
        dakiya_engine::mime::Response::export_all(&config),
        dakiya_engine::store::FolderCount::export_all(&config),
        dakiya_engine::store::ThreadSummary::export_all(&config),
        dakiya_engine::store::UserFolder::export_all(&config),
        dakiya_engine::SearchHit::export_all(&config),
        crate::desktop::DesktopRequest::export_all(&config),
        dakiya_engine::Discovery::export_all(&config),
    ];
    for result in results {
        result.expect("bindings are written");
    }
}
