//! The user's story in the real window: set up an account, send a message to oneself, get mail,
//! read it, see the desktop notification, switch to Hindi. The app is the real binary (UI
//! embedded) driven over WebDriver (`tauri-driver` → `WebKitWebDriver`) against the real test
//! servers (Dovecot + Postfix, see `harness/servers.rs`).
//!
//! Run by `tests/e2e/run.sh` (from `make test`), which provides the display (Xvfb), the session
//! bus, an unlocked throw-away keyring, a notification daemon and the `dbus-monitor` log:
//!
//! - `DAKIYA_APP`: the app binary, built with `--features dakiya/custom-protocol`;
//! - `DAKIYA_ARTIFACTS`: where screenshots (and on failure `failure.png`, `failure.html`) go;
//! - `DAKIYA_NOTIFY_LOG`: the `dbus-monitor` output holding the `Notify` calls;
//! - `DISPLAY`: the X display the app opens its window on.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use dakiya_tests::servers::{MailServers, Mailbox};
use dakiya_tests::webdriver::{self, wait_until, Element, Session, TauriDriver};
use serde_json::{json, Value};

const DISPLAY_NAME: &str = "आशा राव";
/// A space and non-ASCII letters: the password must survive the form, the keyring and AUTH.
const PASSWORD: &str = "e2e पास word";
const SUBJECT: &str = "नमस्ते e2e";
/// The second line starts with a dot: SMTP dot-stuffing and POP3 un-stuffing must undo each other.
const BODY: &str = "Hello from the end-to-end test.\n.a line that starts with a dot\nनमस्ते, डाकिया!";

const HTML_SUBJECT: &str = "Big offer inside";
/// Hostile on purpose: a remote tracker image, a script, an event handler, a javascript: link.
const HOSTILE_HTML: &str = "From: Web Shop <shop@example.org>\r\n\
Subject: Big offer inside\r\n\
Date: Sun, 29 Nov 2026 08:00:00 +0000\r\n\
Message-ID: <offer-1@example.org>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<html><body><h1>Big offer</h1>\r\n\
<img src=\"http://tracker.invalid/open.png?who=me\">\r\n\
<script>parent.document.title = 'pwned'; document.title = 'pwned';</script>\r\n\
<p onclick=\"parent.document.title='pwned'\">Click <a href=\"javascript:alert(1)\">here</a></p>\r\n\
<p><a data-test=\"phish\" href=\"https://real-target.invalid/login\">https://your-bank.example/</a></p>\r\n\
</body></html>\r\n";

/// Corpus fixtures (tests/fixtures/eml/malformed) opened in the real window: none may run.
const HOSTILE_FIXTURES: [&str; 2] = ["hostile-html.eml", "hostile-svg-part.eml"];
const HOSTILE_SUBJECTS: [&str; 2] = ["Hostile HTML", "SVG and HTML attachments"];

const FIND: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(100);
const SERVER_CHECK: Duration = Duration::from_secs(30);
const SEND: Duration = Duration::from_secs(30);
const DELIVERY: Duration = Duration::from_secs(30);
const FETCH: Duration = Duration::from_secs(30);
const NOTIFICATION: Duration = Duration::from_secs(15);

struct Setup {
    app: PathBuf,
    artifacts: PathBuf,
    notify_log: PathBuf,
}

fn setup() -> Setup {
    let var =
        |name: &str| {
            std::env::var_os(name).map(PathBuf::from).unwrap_or_else(|| {
            panic!("{name} is not set: run this test through `tests/e2e/run.sh` (see `make test`)")
        })
        };
    let app = var("DAKIYA_APP");
    let artifacts = var("DAKIYA_ARTIFACTS");
    let notify_log = var("DAKIYA_NOTIFY_LOG");
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "DISPLAY is not set: run through tests/e2e/run.sh"
    );
    assert!(
        app.is_file(),
        "{} is missing: `make ui && cargo build --features dakiya/custom-protocol --bin dakiya`",
        app.display()
    );
    fs::create_dir_all(&artifacts)
        .unwrap_or_else(|e| panic!("create {}: {e}", artifacts.display()));
    Setup {
        app,
        artifacts,
        notify_log,
    }
}

/// The UI's own strings, so the test follows the translations instead of copying them.
fn strings(language: &str) -> HashMap<String, String> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../ui/src/lib/i18n/{language}.json"));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

fn is_devanagari(c: char) -> bool {
    ('\u{0900}'..='\u{097F}').contains(&c)
}

/// The window under test, with waits that fail loudly. When the test panics, dropping the story
/// saves `failure.png`, `failure.html` and the driver's log to the artifacts directory.
struct Story<'s> {
    session: &'s Session,
    driver: &'s TauriDriver,
    artifacts: PathBuf,
    started: Instant,
    timings: std::cell::RefCell<String>,
    setup: &'s Setup,
    /// The first account's mailbox on the test servers, for mail that arrives mid-story.
    mailbox: &'s Mailbox,
    /// The app's `--data-dir`, for launching it a second time.
    data_dir: &'s str,
}

impl<'s> Story<'s> {
    fn new(
        session: &'s Session,
        driver: &'s TauriDriver,
        setup: &'s Setup,
        mailbox: &'s Mailbox,
        data_dir: &'s str,
        started: Instant,
    ) -> Story<'s> {
        Story {
            session,
            driver,
            artifacts: setup.artifacts.clone(),
            started,
            timings: std::cell::RefCell::new(String::new()),
            setup,
            mailbox,
            data_dir,
        }
    }

    fn step(&self, what: &str) {
        let line = format!("{:7.2}s  {what}", self.started.elapsed().as_secs_f64());
        eprintln!("e2e: {line}");
        let mut timings = self.timings.borrow_mut();
        timings.push_str(&line);
        timings.push('\n');
    }

    /// Polls `probe` until it answers or `timeout` passes, then fails with `what`.
    fn wait<T>(&self, what: &str, timeout: Duration, probe: impl FnMut() -> Option<T>) -> T {
        wait_until(timeout, POLL, probe)
            .unwrap_or_else(|| panic!("timed out after {timeout:?} waiting for {what}"))
    }

    fn must<T>(&self, what: &str, result: webdriver::Result<T>) -> T {
        result.unwrap_or_else(|e| panic!("{what}: {e}"))
    }

    /// The element with `data-testid`, waiting for it to appear.
    fn el(&self, testid: &str) -> Element<'s> {
        self.wait(&format!("[data-testid={testid}] to appear"), FIND, || {
            self.session.by_testid(testid).ok()
        })
    }

    /// The first message row whose text holds `text`, if one is shown now.
    fn row_with(&self, text: &str) -> Option<Element<'s>> {
        let rows = self.session.all_by_testid("message-row").ok()?;
        rows.into_iter()
            .find(|row| row.inner_text().is_ok_and(|shown| shown.contains(text)))
    }

    fn present(&self, testid: &str) -> bool {
        self.session
            .all_by_testid(testid)
            .is_ok_and(|all| !all.is_empty())
    }

    /// The text of `[data-testid]` as shown now, `None` while it is not there: for polls.
    fn text_now(&self, testid: &str) -> Option<String> {
        self.session.by_testid(testid).ok()?.inner_text().ok()
    }

    /// Whether a control takes input right now; None while it is not on screen.
    fn enabled_now(&self, testid: &str) -> Option<bool> {
        let disabled = self
            .session
            .by_testid(testid)
            .ok()?
            .property("disabled")
            .ok()?;
        Some(disabled == Value::Bool(false))
    }

    fn text(&self, testid: &str) -> String {
        self.must(&format!("text of {testid}"), self.el(testid).inner_text())
    }

    fn click(&self, testid: &str) {
        self.must(&format!("click {testid}"), self.el(testid).click());
    }

    fn value(&self, element: &Element<'_>) -> String {
        let value = self.must("read the value property", element.property("value"));
        value.as_str().unwrap_or_default().to_owned()
    }

    /// Clears the field and types `text` as key presses, then checks the field holds it.
    fn type_into(&self, testid: &str, text: &str) {
        let field = self.el(testid);
        self.must(&format!("clear {testid}"), field.clear());
        // A line break is typed as the Enter key (WebKitWebDriver drops a bare "\n").
        let keys = text.replace('\n', "\u{E007}");
        self.must(&format!("type into {testid}"), field.send_keys(&keys));
        let typed = self.value(&field);
        assert_eq!(
            typed, text,
            "[data-testid={testid}] does not hold what was typed"
        );
    }

    /// Sets a field's value the way a paste does, firing `input` and `change`.
    fn paste_into(&self, testid: &str, text: &str) {
        let field = self.el(testid);
        let script = "const [el, text] = arguments;
            el.focus();
            el.value = text;
            el.dispatchEvent(new Event('input', { bubbles: true }));
            el.dispatchEvent(new Event('change', { bubbles: true }));";
        self.must(
            &format!("paste into {testid}"),
            self.session.execute(script, &[field.as_arg(), json!(text)]),
        );
    }

    /// Chooses `value` in a `<select>`, as picking the option does (fires `input` and `change`).
    fn select(&self, testid: &str, value: &str) {
        self.paste_into(testid, value);
        let chosen = self.value(&self.el(testid));
        assert_eq!(
            chosen, value,
            "[data-testid={testid}] has no option {value:?}"
        );
    }

    fn fail_on_banner(&self) {
        if let Ok(banners) = self.session.all_by_testid("error-banner") {
            if let Some(banner) = banners.first() {
                let text = banner.inner_text().unwrap_or_default();
                panic!("the app shows an error banner: {text}");
            }
        }
    }

    fn screenshot(&self, name: &str) {
        let path = self.artifacts.join(name);
        self.must(
            &format!("screenshot {name}"),
            self.session.save_screenshot(&path),
        );
        self.step(&format!("screenshot {}", path.display()));
    }

    /// The whole X screen (the window plus the notification bubble dunst draws), best effort.
    fn desktop_screenshot(&self, name: &str) {
        let path = self.artifacts.join(name);
        match Command::new("import")
            .args(["-window", "root"])
            .arg(&path)
            .status()
        {
            Ok(status) if status.success() => self.step(&format!("screenshot {}", path.display())),
            other => eprintln!("e2e: no desktop screenshot ({other:?})"),
        }
    }

    /// Whether a notification naming `subject` was sent.
    fn announced(&self, subject: &str) -> bool {
        fs::read_to_string(&self.setup.notify_log).is_ok_and(|log| {
            notify_calls(&log)
                .iter()
                .any(|(strings, _)| strings.iter().any(|s| s == subject))
        })
    }

    /// Clicks the notification on screen (dunst's default action is what a click does), then
    /// waits for the window to show the message with `subject`.
    fn click_notification_to_open(&self, subject: &str) {
        wait_until(FIND, POLL, || {
            let shown = Command::new("dunstctl")
                .args(["count", "displayed"])
                .output()
                .ok()?;
            (String::from_utf8_lossy(&shown.stdout).trim() != "0").then_some(())
        })
        .unwrap_or_else(|| panic!("dunst never displayed the notification"));
        let clicked = Command::new("dunstctl")
            .args(["action", "0"])
            .status()
            .expect("dunstctl runs");
        assert!(clicked.success(), "dunstctl action: {clicked}");
        self.wait("the notified message to open", FIND, || {
            let shown = self.text_now("message-subject")?;
            shown.contains(subject).then_some(())
        });
    }

    /// Starts Dakiya again on the same data directory, as the desktop does, and checks that it
    /// hands over to the running one and exits.
    fn launch_again(&self, arguments: &[&str]) {
        let mut again = Command::new(&self.setup.app)
            .args(["--data-dir", self.data_dir])
            .args(arguments)
            .env("NO_AT_BRIDGE", "1")
            .spawn()
            .expect("the app starts a second time");
        let ended = wait_until(FIND, POLL, || again.try_wait().ok().flatten());
        let Some(status) = ended else {
            let _ = again.kill();
            panic!("the second launch did not hand over to the running Dakiya and exit");
        };
        assert!(status.success(), "the second launch ended with {status}");
    }

    fn body_text(&self) -> String {
        let text = self.must(
            "read the page text",
            self.session.execute("return document.body.innerText;", &[]),
        );
        text.as_str().unwrap_or_default().to_owned()
    }
}

impl Drop for Story<'_> {
    fn drop(&mut self) {
        let timings = self.artifacts.join("e2e-timings.txt");
        let _ = fs::write(&timings, self.timings.borrow().as_bytes());
        if !std::thread::panicking() {
            return;
        }
        let shot = self.artifacts.join("failure.png");
        match self.session.save_screenshot(&shot) {
            Ok(()) => eprintln!("e2e: failure screenshot: {}", shot.display()),
            Err(e) => eprintln!("e2e: no failure screenshot: {e}"),
        }
        let html = self.artifacts.join("failure.html");
        match self.session.page_source() {
            Ok(source) => {
                let _ = fs::write(&html, source);
                eprintln!("e2e: page source at failure: {}", html.display());
            }
            Err(e) => eprintln!("e2e: no page source: {e}"),
        }
        let log = self.driver.log_text();
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        let mut text = String::new();
        for line in tail.into_iter().rev() {
            let _ = writeln!(text, "  {line}");
        }
        eprintln!("e2e: the app's and the driver's output ends:\n{text}");
    }
}

/// `secret-tool search --all service dakiya`: the entries (with their secrets) and, separately
/// (secret-tool prints them to stderr), their attributes.
fn keyring_entries() -> (String, String) {
    let output = Command::new("secret-tool")
        .args(["search", "--all", "service", "dakiya"])
        .output()
        .unwrap_or_else(|e| panic!("run secret-tool (Debian package libsecret-tools): {e}"));
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The string arguments of every `Notify` call in a `dbus-monitor` log: app name, icon, summary,
/// body (the top-level `string "…"` lines), and the whole call's text.
fn notify_calls(log: &str) -> Vec<(Vec<String>, String)> {
    let mut calls = Vec::new();
    let mut current: Option<(Vec<String>, String)> = None;
    for line in log.lines() {
        if !line.starts_with(' ') {
            calls.extend(current.take());
            if line.starts_with("method call") && line.contains("member=Notify") {
                current = Some((Vec::new(), String::new()));
            }
            continue;
        }
        if let Some((strings, text)) = current.as_mut() {
            text.push_str(line);
            text.push('\n');
            if let Some(rest) = line.strip_prefix("   string \"") {
                strings.push(rest.strip_suffix('"').unwrap_or(rest).to_owned());
            }
        }
    }
    calls.extend(current);
    calls
}

/// In a module so that its name, `e2e::send_fetch_read_in_the_real_window`, is what
/// `cargo test -- --skip e2e` (the integration-test step of `make test`) leaves out.
mod e2e {
    use super::*;

    /// `e2e::a11y::every_screen_is_accessible_in_both_languages`, in tests/e2e/a11y.rs.
    mod a11y;
    /// The tray item and its menu, as a panel sees them on the session bus.
    mod tray;
    /// The X window, for the close button a window manager would press.
    mod window;

    #[test]
    fn send_fetch_read_in_the_real_window() {
        let setup = setup();
        let en = strings("en");
        let hi = strings("hi");
        let servers = MailServers::shared();
        let mailbox = servers.create_mailbox("e2e", PASSWORD);
        let data_dir = tempfile::tempdir().expect("a temporary data directory");
        let data_dir_arg = data_dir
            .path()
            .to_str()
            .expect("a UTF-8 temporary path")
            .to_owned();

        let started = Instant::now();
        let driver = TauriDriver::start(&setup.artifacts.join("tauri-driver.log"));
        let session = driver
            .new_session(&setup.app, &["--data-dir", &data_dir_arg])
            .unwrap_or_else(|e| {
                panic!(
                    "the app did not start under WebDriver: {e}\n{}",
                    driver.log_text()
                )
            });
        let story = Story::new(&session, &driver, &setup, &mailbox, &data_dir_arg, started);
        story.step("app started");

        // First start: no account, so the one-step setup. A provider in the shipped database
        // is found without any network; "Edit manually" carries what was typed and found into
        // the full form, where the story then points the account at the local servers.
        story.type_into("setup-name", DISPLAY_NAME);
        story.type_into("setup-email", "asha.e2e@gmail.com");
        story.type_into("setup-password", &mailbox.password);
        story.click("setup-continue");
        story.el("setup-found");
        let pop3 = story.text("setup-pop3");
        assert!(pop3.contains("pop.gmail.com:995"), "found: {pop3}");
        assert!(story.present("setup-notes"), "Gmail's notes are shown");
        // The window's first paint can lag the DOM this early in the story; a shot taken at
        // once came out blank.
        std::thread::sleep(Duration::from_millis(1500));
        story.screenshot("00-setup-found.png");
        story.click("setup-edit");
        let host = story.el("pop3-host");
        assert_eq!(story.value(&host), "pop.gmail.com");
        assert_eq!(
            story.value(&story.el("settings-display-name")),
            DISPLAY_NAME
        );
        assert!(
            !story.present("keyring-note"),
            "the app says the keyring is unavailable, but run.sh unlocked one: {}",
            story.text("keyring-note")
        );
        story.type_into("settings-display-name", DISPLAY_NAME);
        story.type_into("settings-email", &mailbox.address);
        story.select("pop3-security", "tls");
        story.type_into("pop3-host", servers.host());
        story.type_into("pop3-port", &servers.pop3_tls_port().to_string());
        story.type_into("pop3-username", &mailbox.username);
        story.type_into("pop3-password", &mailbox.password);
        story.select("pop3-mode", "keepOnServer");
        story.select("smtp-security", "startTls");
        story.type_into("smtp-host", servers.host());
        story.type_into("smtp-port", &servers.submission_starttls_port().to_string());
        story.type_into("smtp-username", &mailbox.username);
        story.type_into("smtp-password", &mailbox.password);
        story.paste_into("trusted-cert-pem", servers.ca_pem());
        let fingerprint = story.wait("the certificate's fingerprint", FIND, || {
            let text = story.text_now("trusted-cert-fingerprint")?;
            (!text.trim().is_empty()).then_some(text)
        });
        story.step(&format!("form filled; CA fingerprint {fingerprint}"));

        story.click("settings-test");
        let report = story.wait("the connection test's result", SERVER_CHECK, || {
            let result = story.session.by_testid("settings-test-result").ok()?;
            story
                .enabled_now("settings-test")?
                .then(|| result.inner_text().unwrap_or_default())
        });
        let failures = story.must("find failed checks", story.session.find_all("[data-testid=\"settings-test-result\"] li.fail, [data-testid=\"settings-test-result\"].failed"));
        let passes = story.must(
            "find passed checks",
            story
                .session
                .find_all("[data-testid=\"settings-test-result\"] li.ok"),
        );
        assert!(failures.is_empty(), "Test connection failed: {report}");
        assert_eq!(
            passes.len(),
            2,
            "Test connection should pass POP3 and SMTP: {report}"
        );
        for server in ["POP3", "SMTP"] {
            let ok = en["settings.testOk"].replace("{server}", server);
            assert!(
                report.contains(&ok),
                "no {ok:?} in the test result: {report}"
            );
        }
        story.step("Test connection: both servers OK");

        story.click("settings-save");
        story.wait("the settings to be saved", SERVER_CHECK, || {
            story.fail_on_banner();
            let status = story.text_now("settings-status")?;
            status.contains(&en["settings.saved"]).then_some(())
        });
        story.step("account saved");
        let (secrets, attributes) = keyring_entries();
        let stored = secrets
            .lines()
            .filter(|l| *l == format!("secret = {PASSWORD}"))
            .count();
        assert_eq!(
            stored, 2,
            "the keyring should hold the POP3 and SMTP passwords:\n{secrets}\n{attributes}"
        );
        for server in ["/pop3", "/smtp"] {
            assert!(
                attributes
                    .lines()
                    .any(|l| l.starts_with("attribute.username = ") && l.ends_with(server)),
                "no {server} password in the keyring:\n{attributes}"
            );
        }
        story.step("both passwords are in the (throw-away) keyring");
        let result = story.el("settings-test-result");
        // Scroll the settings page (not the whole document, which scrollIntoView would also
        // move although the body hides its overflow) so the result is in the screenshot.
        let scroll = "const page = arguments[0].closest('.page') ?? document.scrollingElement;
            page.scrollTop = page.scrollHeight;";
        story.must(
            "scroll to the test result",
            story.session.execute(scroll, &[result.as_arg()]),
        );
        // Once, a screenshot right after the scroll still showed the page unscrolled.
        std::thread::sleep(Duration::from_millis(300));
        story.screenshot("01-settings.png");

        // A short "undo send" delay, so the story does not wait 10 s (saved when the field
        // loses focus).
        story.type_into("undo-send-seconds", "3");

        // Write to oneself; send, undo, and send again.
        story.click("nav-compose");
        story.type_into("compose-to", &mailbox.address);
        story.type_into("compose-subject", SUBJECT);
        story.type_into("compose-body", BODY);
        story.click("compose-send");
        story.click("compose-undo");
        story.wait("the undone message back in the composer", FIND, || {
            let to = story.session.by_testid("compose-to").ok()?;
            (story.value(&to) == mailbox.address).then_some(())
        });
        assert_eq!(story.value(&story.el("compose-subject")), SUBJECT);
        story.step("send undone: the text is back");
        story.click("compose-send");
        story.el("compose-undoable");
        story.screenshot("02-compose-undo.png");
        story.wait("the message to be sent", SEND, || {
            let status = story.text_now("compose-status")?;
            if status.contains(&en["compose.sent"]) {
                return Some(());
            }
            assert!(
                status.trim().is_empty()
                    || status.contains(&en["compose.undo"])
                    || status.contains(&en["compose.sending"]),
                "sending failed: {status}"
            );
            None
        });
        story.step("message sent");
        story.screenshot("02-compose.png");

        let delivered = mailbox.wait_for_messages(1, DELIVERY);
        assert_eq!(
            delivered.len(),
            1,
            "one message (the undone copy never went); servers' logs:\n{}",
            servers.logs()
        );
        story.step("delivered to the Maildir");

        // Get mail while another folder is shown (new mail already on screen in the inbox is
        // not announced), then find it unread in the inbox.
        story.click("nav-sent");
        story.click("get-mail");
        story.wait("the inbox's unread count after Get mail", FETCH, || {
            story.fail_on_banner();
            let text = story.text_now("nav-inbox")?;
            text.lines()
                .skip(1)
                .any(|line| line.trim() == "1")
                .then_some(())
        });
        story.click("nav-inbox");
        let row = story.wait("a message row after Get mail", FETCH, || {
            story.fail_on_banner();
            story.session.by_testid("message-row").ok()
        });
        let rows = story.must(
            "list message rows",
            story.session.all_by_testid("message-row"),
        );
        assert_eq!(
            rows.len(),
            1,
            "one message was sent, the inbox lists {}",
            rows.len()
        );
        let row_text = story.must("row text", row.inner_text());
        assert!(
            row_text.contains(SUBJECT),
            "the row does not show the subject: {row_text:?}"
        );
        assert!(
            row_text.contains(DISPLAY_NAME),
            "the row does not show the sender: {row_text:?}"
        );
        assert!(
            story.must("row class", row.has_class("unread")),
            "the new message is not shown as unread"
        );
        let message_id = story
            .must("row id", row.attribute("data-message-id"))
            .unwrap_or_default();
        story.step(&format!("message {message_id} listed, unread"));
        story.screenshot("03-inbox.png");
        story.desktop_screenshot("03-desktop.png");

        // Read it.
        story.must("open the message", row.click());
        story.el("message-view");
        let subject = story.wait("the message's subject", FIND, || {
            let text = story.text_now("message-subject")?;
            (!text.is_empty()).then_some(text)
        });
        assert_eq!(subject, SUBJECT);
        let body = story.must(
            "read the body",
            story.session.execute(
                "return document.querySelector('[data-testid=\"message-body-text\"]')?.textContent ?? null;",
                &[],
            ),
        );
        let body = body
            .as_str()
            .unwrap_or_else(|| panic!("no message-body-text; page text:\n{}", story.body_text()));
        assert!(
            body.replace("\r\n", "\n").contains(BODY),
            "the body shown is not the body sent:\n{body:?}\nsent:\n{BODY:?}"
        );
        let from = story.text("message-from");
        assert!(
            from.contains(DISPLAY_NAME) && from.contains(&mailbox.address),
            "From: {from:?}"
        );
        let to = story.text("message-to");
        assert!(to.contains(&mailbox.address), "To: {to:?}");
        assert!(
            !story.text("message-date").trim().is_empty(),
            "no date shown"
        );
        story.wait("the row to be marked read", FIND, || {
            let row = story
                .session
                .find(&format!(
                    "[data-testid=\"message-row\"][data-message-id=\"{message_id}\"]"
                ))
                .ok()?;
            (!row.has_class("unread").ok()?).then_some(())
        });
        story.step("message opened; subject and body match; marked read");
        story.screenshot("04-message.png");

        story.click("message-show-source");
        let source = story.wait("the message source", FIND, || {
            let text = story.text_now("message-source")?;
            (!text.is_empty()).then_some(text)
        });
        assert!(
            source.contains("Subject:") && source.contains(&mailbox.address),
            "source: {source}"
        );

        // The desktop notification went over the session bus.
        let log_path = &setup.notify_log;
        let notification = wait_until(NOTIFICATION, POLL, || {
            let log = fs::read_to_string(log_path).ok()?;
            notify_calls(&log)
                .into_iter()
                .find(|(strings, _)| strings.iter().any(|s| s == SUBJECT))
        });
        let (strings, call) = notification.unwrap_or_else(|| {
            panic!(
                "no Notify call with the subject {SUBJECT:?} on the session bus; {} holds:\n{}",
                log_path.display(),
                fs::read_to_string(log_path).unwrap_or_default()
            )
        });
        assert_eq!(
            strings.get(..4),
            Some(&["Dakiya".to_owned(), "mail-unread".to_owned(), DISPLAY_NAME.to_owned(), SUBJECT.to_owned()][..]),
            "Notify(app name, icon, summary, body) is not (Dakiya, mail-unread, sender, subject):\n{call}"
        );
        assert!(
            call.contains("email.arrived"),
            "the notification has no category email.arrived:\n{call}"
        );
        story.step("notification observed on the session bus");

        // Hindi.
        story.click("nav-settings");
        story.select("language-select", "hi");
        story.wait("the navigation to be in Hindi", FIND, || {
            let text = story.text_now("nav-inbox")?;
            // The label, then perhaps the unread count.
            (text.lines().next().unwrap_or_default().trim() == hi["nav.inbox"]).then_some(())
        });
        let page = story.body_text();
        let devanagari = page.chars().filter(|&c| is_devanagari(c)).count();
        assert!(
            devanagari > 50,
            "after switching to Hindi the page shows little Devanagari:\n{page}"
        );
        assert!(
            page.contains(&hi["settings.title"]),
            "the settings title is not in Hindi:\n{page}"
        );
        let lang = story.must(
            "read <html lang>",
            story
                .session
                .execute("return document.documentElement.lang;", &[]),
        );
        assert_eq!(lang, json!("hi"));
        story.step("switched to Hindi");
        story.screenshot("05-settings-hi.png");

        // Close the app through WebDriver, as a user's session ends.
        drop(story);
        let mut session = session;
        session
            .delete()
            .unwrap_or_else(|e| panic!("delete the WebDriver session: {e}"));

        // An HTML-only newsletter with a tracker, a script and an event handler arrives while
        // the app is closed.
        mailbox.deliver_raw(HOSTILE_HTML.as_bytes());
        // And two from the golden corpus's hostile suite: every trick it knows, and SVG and
        // HTML parts that an inline image reference tries to pull in.
        for fixture in HOSTILE_FIXTURES {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/eml/malformed")
                .join(fixture);
            mailbox.deliver_raw(&fs::read(&path).expect("a hostile fixture"));
        }
        restart_and_read_html_mail(&setup, &driver, &mailbox, &data_dir_arg, &hi, started);
        drop(driver);
        eprintln!("e2e: passed in {:.1}s", started.elapsed().as_secs_f64());
    }

    /// The second start: settings, language and the keyring's passwords survived the restart
    /// (Get mail works without typing a password); HTML mail is shown sanitised in a sandbox.
    fn restart_and_read_html_mail(
        setup: &Setup,
        driver: &TauriDriver,
        mailbox: &Mailbox,
        data_dir: &str,
        hi: &HashMap<String, String>,
        started: Instant,
    ) {
        let mut session = driver
            .new_session(&setup.app, &["--data-dir", data_dir])
            .unwrap_or_else(|e| panic!("the app did not start again: {e}\n{}", driver.log_text()));
        let story = Story::new(&session, driver, setup, mailbox, data_dir, started);
        story.step("app restarted on the same data directory");
        // With an account saved, the app opens on the inbox, still in Hindi, and checks for mail
        // at startup with the password from the keyring.
        story.wait(
            "the inbox to list all four messages after the startup check",
            FETCH,
            || {
                story.fail_on_banner();
                let rows = story.session.all_by_testid("message-row").ok()?;
                (rows.len() == 4).then_some(())
            },
        );
        let lang = story.must(
            "read <html lang>",
            story
                .session
                .execute("return document.documentElement.lang;", &[]),
        );
        assert_eq!(
            lang,
            json!("hi"),
            "the language choice did not survive the restart"
        );
        assert_eq!(
            story
                .text("nav-inbox")
                .lines()
                .next()
                .unwrap_or_default()
                .trim(),
            hi["nav.inbox"]
        );
        story.step("restart: inbox in Hindi, the new message fetched with the stored password");

        let newsletter = story.wait("the newsletter row", FIND, || story.row_with(HTML_SUBJECT));
        let row_text = story.must("row text", newsletter.inner_text());
        assert!(
            row_text.contains(HTML_SUBJECT),
            "the unread row is not the newsletter: {row_text}"
        );
        story.must("open the newsletter", newsletter.click());
        let frame = story.el("message-body-html");
        let sandbox = story.must("read sandbox", frame.attribute("sandbox"));
        assert_eq!(
            sandbox.as_deref(),
            Some("allow-popups"),
            "HTML mail must be in an iframe with an empty sandbox (no scripts, no same origin)"
        );
        let srcdoc = story
            .must("read srcdoc", frame.attribute("srcdoc"))
            .unwrap_or_default();
        assert!(
            srcdoc.contains("Big offer"),
            "the newsletter's text is missing: {srcdoc}"
        );
        for hostile in ["<script", "onclick", "tracker.invalid", "javascript:"] {
            assert!(
                !srcdoc.contains(hostile),
                "{hostile} reached the iframe: {srcdoc}"
            );
        }
        story.el("message-remote-blocked");
        let title = story.must(
            "read the window title",
            story.session.execute("return document.title;", &[]),
        );
        assert_ne!(title, json!("pwned"), "a script from the mail ran");
        std::thread::sleep(Duration::from_millis(300));
        story.step("HTML mail shown sanitised in a sandbox, remote content blocked");
        story.screenshot("06-html-message-hi.png");

        // A link whose text names one site and whose target is another: clicking it opens
        // nothing, but asks, showing the real target.
        story.must(
            "enter the mail's frame",
            story.session.switch_to_frame(&frame),
        );
        let link = story.must(
            "the link",
            story.session.find("a[href^=\"https://real-target\"]"),
        );
        story.must("click the link", link.click());
        story.must("back to the window", story.session.switch_to_parent_frame());
        let host = story.wait("the link question", FIND, || story.text_now("link-host"));
        assert_eq!(
            host, "real-target.invalid",
            "the real target, not the link's text"
        );
        std::thread::sleep(Duration::from_millis(300));
        story.screenshot("17-link-hi.png");
        story.click("link-cancel");
        story.step("a clicked link asks first and shows its real target");

        // Remote content for this message only, on request: the image's address is kept (it
        // points nowhere real); scripts stay out.
        story.click("message-load-remote");
        let srcdoc = story.wait("the message with remote images", FIND, || {
            let frame = story.session.by_testid("message-body-html").ok()?;
            let doc = frame.attribute("srcdoc").ok()??;
            doc.contains("tracker.invalid").then_some(doc)
        });
        assert!(!srcdoc.contains("<script"), "{srcdoc}");
        assert!(srcdoc.contains("img-src data: https: http:"), "{srcdoc}");
        // The same message as plain text.
        story.click("message-plain-toggle");
        let text = story.wait("the plain-text view", FIND, || {
            story.text_now("message-body-text")
        });
        assert!(text.contains("Big offer"), "{text}");
        story.click("message-plain-toggle");
        story.el("message-body-html");
        story.step("remote content loaded on request; plain text on request");

        // The corpus's hostile messages, shown and with their remote content allowed: no
        // script runs (an alert would be open), nothing navigates, no frame or form appears.
        for subject in HOSTILE_SUBJECTS {
            let row = story.wait("a hostile message's row", FIND, || story.row_with(subject));
            story.must("open the hostile message", row.click());
            story.wait("its subject", FIND, || {
                let shown = story.text_now("message-subject")?;
                (shown == subject).then_some(())
            });
            if story.present("message-load-remote") {
                story.click("message-load-remote");
            }
            std::thread::sleep(Duration::from_millis(500));
            assert!(
                story.session.alert_text().is_err(),
                "a script in “{subject}” opened a dialog"
            );
            if let Ok(frame) = story.session.by_testid("message-body-html") {
                let srcdoc = story
                    .must("read srcdoc", frame.attribute("srcdoc"))
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                // Dakiya's own policy, base and style come first; the mail follows them.
                let srcdoc = srcdoc
                    .split_once("</style>")
                    .map_or(srcdoc.as_str(), |(_, mail)| mail)
                    .to_owned();
                for hostile in [
                    "<script",
                    "onload",
                    "onerror",
                    "javascript:",
                    "vbscript:",
                    "<iframe",
                    "<object",
                    "<embed",
                    "<form",
                    "http-equiv",
                    "<base",
                    "expression(",
                    "data:text/html",
                    "<svg",
                ] {
                    assert!(
                        !srcdoc.contains(hostile),
                        "{hostile} in “{subject}”: {srcdoc}"
                    );
                }
            }
            let title = story.must(
                "read the window title",
                story.session.execute("return document.title;", &[]),
            );
            assert_ne!(title, json!("pwned"));
        }
        story.step("the corpus's hostile HTML and SVG ran nothing in the real window");

        add_a_second_account_and_get_mail_for_both(&story);

        drop(story);
        // The story ended with Quit in the tray, so the session has no window left to close;
        // deleting it only tidies the driver.
        let _ = session.delete();
    }

    /// A second account is added beside the first; one Get mail fetches both into one inbox.
    fn add_a_second_account_and_get_mail_for_both(story: &Story<'_>) {
        let servers = MailServers::shared();
        let second = servers.create_mailbox("e2e-second", PASSWORD);
        second.deliver_raw(
            b"From: Ravi <ravi@example.org>\r\nSubject: For the second account\r\n\r\nHello.\r\n",
        );

        story.click("nav-settings");
        story.click("account-add");
        story.click("setup-manual");
        story.wait("an empty form for the new account", FIND, || {
            let field = story.session.by_testid("settings-email").ok()?;
            let value = field.property("value").ok()?;
            (value == json!("")).then_some(())
        });
        story.type_into("settings-display-name", "दूसरा खाता");
        story.type_into("settings-email", &second.address);
        story.select("pop3-security", "tls");
        story.type_into("pop3-host", servers.host());
        story.type_into("pop3-port", &servers.pop3_tls_port().to_string());
        story.type_into("pop3-username", &second.username);
        // A mistyped password: Get mail must ask for the right one.
        story.type_into("pop3-password", "not the password");
        story.select("smtp-security", "tls");
        story.type_into("smtp-host", servers.host());
        story.type_into("smtp-port", &servers.submission_tls_port().to_string());
        story.type_into("smtp-username", &second.username);
        story.type_into("smtp-password", &second.password);
        // This account downloads headers only: the body comes when asked for.
        story.click("pop3-headers-only");
        story.paste_into("trusted-cert-pem", servers.ca_pem());
        story.wait("the certificate's fingerprint", FIND, || {
            let text = story.text_now("trusted-cert-fingerprint")?;
            (!text.trim().is_empty()).then_some(())
        });
        story.click("settings-save");
        let chips = story.wait("both accounts listed in the settings", SERVER_CHECK, || {
            story.fail_on_banner();
            let chips = story.session.all_by_testid("account-tab").ok()?;
            (chips.len() == 2).then_some(chips)
        });
        let selected = story.must("the selected chip", chips[1].attribute("aria-pressed"));
        assert_eq!(
            selected.as_deref(),
            Some("true"),
            "the new account is not the one shown"
        );
        story.step("second account saved");

        story.click("nav-inbox");
        story.click("get-mail");
        story.el("password-prompt");
        std::thread::sleep(Duration::from_millis(300));
        story.screenshot("08-password-prompt-hi.png");
        story.type_into("password-prompt-input", &second.password);
        story.click("password-prompt-submit");
        story.step("the refused password was asked for again");
        story.wait(
            "the second account's message in the one inbox",
            FETCH,
            || {
                story.fail_on_banner();
                let rows = story.session.all_by_testid("message-row").ok()?;
                let texts: Vec<String> = rows
                    .iter()
                    .filter_map(|row| row.inner_text().ok())
                    .collect();
                (rows.len() == 5 && texts.iter().any(|t| t.contains("For the second account")))
                    .then_some(())
            },
        );
        story.step("one Get mail fetched both accounts into one inbox");
        story.screenshot("07-two-accounts-hi.png");

        read_a_partial_message_then_delete_it(story);
    }

    /// The headers-only message is marked in the list; "Download the whole message" brings its
    /// body; Delete takes it out of the inbox.
    fn read_a_partial_message_then_delete_it(story: &Story<'_>) {
        let rows = story.must(
            "the message rows",
            story.session.all_by_testid("message-row"),
        );
        let partial_row = rows
            .iter()
            .find(|row| {
                row.inner_text()
                    .is_ok_and(|text| text.contains("For the second account"))
            })
            .expect("the second account's row");
        assert!(
            story
                .must("the row's text", partial_row.inner_text())
                .contains(&strings("hi")["inbox.partial"]),
            "the headers-only message is not marked as partly downloaded"
        );
        story.must("open the partial message", partial_row.click());
        story.el("message-partial");
        assert!(
            !story.present("message-body-text")
                || !story.text("message-body-text").contains("Hello."),
            "the body is shown before it was downloaded"
        );
        std::thread::sleep(Duration::from_millis(300));
        story.screenshot("09-partial-message-hi.png");
        story.click("message-download-whole");
        story.wait("the whole message's body", FETCH, || {
            story.fail_on_banner();
            let body = story.session.by_testid("message-body-text").ok()?;
            let text = body.inner_text().ok()?;
            (text.contains("Hello.") && !story.present("message-partial")).then_some(())
        });
        story.step("headers-only message downloaded whole on request");

        story.click("message-delete");
        story.wait("the deleted message to leave the inbox", FIND, || {
            let rows = story.session.all_by_testid("message-row").ok()?;
            let texts: Vec<String> = rows
                .iter()
                .filter_map(|row| row.inner_text().ok())
                .collect();
            (rows.len() == 4 && !texts.iter().any(|t| t.contains("For the second account")))
                .then_some(())
        });
        story.step("message deleted here");

        a_refused_message_waits_in_the_outbox(story);
    }

    /// Postfix refuses an unknown recipient with 5xx: the message is not lost but held in the
    /// Outbox with the server's reason.
    fn a_refused_message_waits_in_the_outbox(story: &Story<'_>) {
        story.click("nav-compose");
        story.type_into("compose-to", "nobody-at-all@dakiya.test");
        story.type_into("compose-subject", "कोई नहीं");
        story.type_into("compose-body", "This address does not exist.");
        story.click("compose-send");
        story.wait(
            "the compose result to say the message is held",
            SERVER_CHECK,
            || story.present("compose-held").then_some(()),
        );
        story.click("nav-outbox");
        let state = story.wait("the held message in the Outbox", FIND, || {
            let states = story.session.all_by_testid("outbox-state").ok()?;
            let first = states.first()?.inner_text().ok()?;
            (!first.trim().is_empty()).then_some(first)
        });
        let hi = strings("hi");
        // Postfix refuses the address at RCPT TO, so the sentence names it.
        let refused = hi["error.reason.recipientsRefused"]
            .replace("{recipients}", "nobody-at-all@dakiya.test");
        assert!(
            state.contains(&hi["outbox.held"]) && state.contains(&refused),
            "the Outbox does not say the server refused the recipient: {state}"
        );
        let detail = story.must(
            "the server's own words",
            story.session.execute(
                "return document.querySelector('[data-testid=\"outbox-state\"] details')?.textContent ?? '';",
                &[],
            ),
        );
        assert!(
            detail
                .as_str()
                .is_some_and(|text| text.contains("nobody-at-all")),
            "the server's reason is not among the details: {detail}"
        );
        assert_eq!(story.text("outbox-count").trim(), "1");
        std::thread::sleep(Duration::from_millis(300));
        story.screenshot("10-outbox-hi.png");
        story.step("a refused message waits in the Outbox with the server's reason");

        // "Edit and send again": the text goes back to the composer and leaves the Outbox.
        story.click("outbox-edit");
        story.wait("the held message back in the composer", FIND, || {
            let to = story.session.by_testid("compose-to").ok()?;
            (story.value(&to) == "nobody-at-all@dakiya.test").then_some(())
        });
        assert_eq!(story.value(&story.el("compose-subject")), "कोई नहीं");
        story.wait("the Outbox to be empty again", FIND, || {
            (!story.present("outbox-count")).then_some(())
        });
        story.step("a held message went back to the composer");

        // Corrected and sent later: it waits in the Outbox, scheduled.
        story.type_into("compose-to", "ravi@example.org");
        story.click("compose-later-toggle");
        story.paste_into("compose-later-time", "2030-01-15T09:30");
        std::thread::sleep(Duration::from_millis(300));
        story.screenshot("12-send-later-hi.png");
        story.click("compose-send");
        story.el("compose-scheduled");
        story.click("nav-outbox");
        story.el("outbox-scheduled");
        story.wait("one scheduled message in the Outbox", FIND, || {
            let count = story.session.by_testid("outbox-count").ok()?;
            (count.inner_text().ok()?.trim() == "1").then_some(())
        });
        story.step("a message scheduled for later waits in the Outbox");

        // The message sent in the first session is under Sent, exactly once.
        story.click("nav-sent");
        let rows = story.wait("the sent message listed under Sent", FIND, || {
            let rows = story.session.all_by_testid("message-row").ok()?;
            (!rows.is_empty()).then_some(rows)
        });
        assert_eq!(rows.len(), 1, "one message was sent, one is in Sent");
        let row = story.must("the sent row's text", rows[0].inner_text());
        assert!(
            row.contains(&strings("hi")["sent.to"].replace("{recipients}", "")),
            "the Sent list names the recipients: {row}"
        );
        story.screenshot("11-sent-hi.png");
        story.step("the sent message is under Sent");

        reply_with_an_attachment(story);
    }

    /// Reply to the first message: the composer is filled in (recipient, "Re:", the quote with
    /// a Hindi attribution), completes an address, marks one that is not, takes a dropped file
    /// with a Hindi name, saves itself as a draft; the reply is sent from Drafts and arrives
    /// threaded with its attachment.
    fn reply_with_an_attachment(story: &Story<'_>) {
        let hi = strings("hi");
        story.click("nav-inbox");
        let row = story.wait("the first message's row", FIND, || {
            let rows = story.session.all_by_testid("message-row").ok()?;
            rows.into_iter().find(|row| {
                row.inner_text()
                    .is_ok_and(|text| text.contains(SUBJECT) && !text.contains("Re:"))
            })
        });
        story.must("open the first message", row.click());
        story.click("message-reply");
        let reply_subject = format!("Re: {SUBJECT}");
        story.wait("the reply in the composer", FIND, || {
            let subject = story.session.by_testid("compose-subject").ok()?;
            (story.value(&subject) == reply_subject).then_some(())
        });
        let to = story.value(&story.el("compose-to"));
        let address = to
            .rsplit_once('<')
            .and_then(|(_, rest)| rest.strip_suffix('>'))
            .unwrap_or(to.trim())
            .to_owned();
        assert!(
            address.contains('@') && !address.contains(','),
            "replying to one's own message goes to its recipient: {to}"
        );
        let body = story.value(&story.el("compose-body"));
        assert!(
            body.contains("ने लिखा:\n> Hello from the end-to-end test."),
            "no Hindi attribution and quote: {body:?}"
        );
        assert!(
            body.contains(">> .a line") || body.contains("> .a line"),
            "the quote: {body:?}"
        );
        story.step("Reply: recipient, Re: and the quoted original filled in");

        // Address completion from mail seen before.
        story.type_into("compose-cc", &address[..6]);
        let suggestion = story.wait("an address suggestion", FIND, || {
            story
                .session
                .find("[data-testid=\"compose-cc-suggestions\"] li")
                .ok()
        });
        assert!(story
            .must("the suggestion", suggestion.inner_text())
            .contains(&address));
        story.must("choose the suggestion", suggestion.click());
        let cc = story.value(&story.el("compose-cc"));
        assert!(
            cc.contains(&format!("<{address}>, ")) || cc.starts_with(&format!("{address}, ")),
            "Cc after completion: {cc:?}"
        );
        story.paste_into("compose-cc", "");

        // An entry that is not an address is marked when the field is left.
        story.type_into("compose-bcc", "रवि at home");
        story.click("compose-subject");
        let invalid = story.wait("the Bcc field to be marked", FIND, || {
            story.text_now("compose-bcc-invalid")
        });
        assert!(invalid.contains("रवि at home"), "{invalid}");
        story.paste_into("compose-bcc", "");
        story.step("address completed; a non-address marked");

        // A file dropped on the window (the event the window sends for a drop) is attached.
        let dir = tempfile::tempdir().expect("a directory for the attachment");
        let file = dir.path().join("यात्रा योजना.txt");
        fs::write(&file, "दिन 1: दिल्ली\nदिन 2: आगरा\n").expect("the attachment is written");
        let path = file.to_str().expect("a UTF-8 path").to_owned();
        story.must(
            "drop a file on the window",
            story.session.execute(
                "window.__TAURI_INTERNALS__.invoke('plugin:event|emit', {
                    event: 'tauri://drag-drop',
                    payload: { paths: [arguments[0]], position: { x: 300, y: 300 } },
                 });",
                &[json!(path)],
            ),
        );
        let attachment = story.wait("the dropped file in the attachment list", FIND, || {
            let text = story.text_now("compose-attachment")?;
            text.contains("यात्रा योजना.txt").then_some(text)
        });
        assert!(
            attachment.contains("बाइट") || attachment.contains("B"),
            "size shown: {attachment}"
        );
        story.step("a dropped file is attached with its size");

        // Autosaved as a draft, listed under Drafts, and reopened from there.
        story.wait("the draft to be saved", FIND, || {
            let text = story.text_now("compose-saved")?;
            text.contains(
                hi["compose.draftSaved"]
                    .split('{')
                    .next()
                    .unwrap_or_default()
                    .trim(),
            )
            .then_some(())
        });
        std::thread::sleep(Duration::from_millis(300));
        story.screenshot("13-reply-hi.png");
        story.click("nav-drafts");
        let drafts = story.wait("the reply under Drafts", FIND, || {
            let items = story.session.all_by_testid("drafts-item").ok()?;
            (!items.is_empty()).then_some(items)
        });
        assert_eq!(drafts.len(), 1, "one draft");
        assert!(story
            .must("the draft's row", drafts[0].inner_text())
            .contains(&reply_subject));
        std::thread::sleep(Duration::from_millis(300));
        story.screenshot("14-drafts-hi.png");
        story.click("drafts-open");
        story.wait("the draft back in the composer", FIND, || {
            story
                .session
                .by_testid("compose-attachment")
                .ok()
                .map(|_| ())
        });
        assert_eq!(story.value(&story.el("compose-subject")), reply_subject);
        story.step("autosaved, listed under Drafts, reopened");

        story.click("compose-send");
        story.wait("the reply to be sent", SEND, || {
            let status = story.text_now("compose-status")?;
            status.contains(&hi["compose.sent"]).then_some(())
        });
        story.click("nav-drafts");
        story.el("drafts-empty");
        story.step("sent; the draft is gone");

        // It arrives threaded under the original, with the file.
        story.click("nav-inbox");
        story.click("get-mail");
        let reply_row = story.wait("the reply in the inbox", FETCH, || {
            story.fail_on_banner();
            let rows = story.session.all_by_testid("message-row").ok()?;
            rows.into_iter().find(|row| {
                row.inner_text()
                    .is_ok_and(|text| text.contains(&reply_subject))
            })
        });
        story.must("open the reply", reply_row.click());
        let attachment = story.wait("the attachment listed", FIND, || {
            story.text_now("message-attachment")
        });
        assert!(
            attachment.contains("यात्रा योजना.txt") && attachment.contains("text/plain"),
            "name and type: {attachment}"
        );
        std::thread::sleep(Duration::from_millis(300));
        story.screenshot("18-attachments-hi.png");
        story.click("message-show-source");
        let source = story.wait("the reply's source", FIND, || {
            let text = story.text_now("message-source")?;
            text.contains("In-Reply-To:").then_some(text)
        });
        assert!(
            source.contains("References:"),
            "no References header: {source}"
        );
        assert!(
            source.contains("filename*0*=utf-8''%E0%A4%AF"),
            "the Hindi file name is not RFC 2231-encoded: {source}"
        );
        story.step("the reply arrived with In-Reply-To, References and the attachment");

        conversations_folders_and_trash(story, &reply_subject);
    }

    /// The reply and its original as one conversation; a star by keyboard; a folder of one's
    /// own, a message moved there, deleted to Trash, and Trash emptied.
    fn conversations_folders_and_trash(story: &Story<'_>, reply_subject: &str) {
        story.click("nav-inbox");
        story.click("list-threaded");
        let thread = story.wait("the conversation row", FIND, || {
            story.row_with(reply_subject)
        });
        let row_text = story.must("the conversation row's text", thread.inner_text());
        assert!(
            row_text.contains('2'),
            "the original and its reply are one line: {row_text}"
        );
        story.must("open the conversation", thread.click());
        let items = story.wait("the conversation view", FIND, || {
            let items = story.session.all_by_testid("conversation-item").ok()?;
            (items.len() >= 3).then_some(items.len())
        });
        story.step(&format!(
            "the conversation shows {items} messages, received and sent"
        ));
        std::thread::sleep(Duration::from_millis(300));
        story.screenshot("15-conversation-hi.png");

        // "s" stars the selected conversation's newest message.
        story.must("focus the row", thread.click());
        story.must("press s", story.session.press_keys("s"));
        story.wait("the star in the list", FIND, || {
            story.session.by_testid("row-starred").ok().map(drop)
        });
        story.step("starred with the keyboard");
        story.click("list-threaded");

        // A folder of one's own.
        story.click("folder-add");
        story.type_into("folder-name", "रसीदें");
        story.click("folder-create");
        let title = story.wait("the new folder open", FIND, || {
            let title = story.text_now("list-title")?;
            (title == "रसीदें").then_some(title)
        });
        let folder_button = story.must(
            "the folder in the sidebar",
            story.session.find("[data-testid^=\"nav-folder-\"]"),
        );
        let folder_testid = story
            .must("its test id", folder_button.attribute("data-testid"))
            .unwrap_or_default();
        let folder_id = folder_testid.trim_start_matches("nav-folder-").to_owned();
        story.step(&format!("folder {title} created"));

        // Move the reply there from the Inbox.
        story.click("nav-inbox");
        let reply = story.wait("the reply in the inbox", FIND, || {
            story.row_with(reply_subject)
        });
        story.must("open the reply", reply.click());
        story.el("message-view");
        // A copy to Archive leaves the message where it is.
        story.paste_into("message-move", "copy:archive");
        story.click("nav-archive");
        story.wait("the copy in Archive", FIND, || {
            story.row_with(reply_subject).map(drop)
        });
        story.click("nav-inbox");
        let reply = story.wait("the reply still in the inbox", FIND, || {
            story.row_with(reply_subject)
        });
        story.must("open the reply again", reply.click());
        story.el("message-view");
        // The menu springs back to "Move or copy…" once the message has gone.
        story.paste_into("message-move", &format!("move:user:{folder_id}"));
        story.wait("the reply to leave the inbox", FIND, || {
            story.row_with(reply_subject).is_none().then_some(())
        });
        story.click(&folder_testid);
        let moved = story.wait("the reply in the folder", FIND, || {
            let rows = story.session.all_by_testid("message-row").ok()?;
            (rows.len() == 1).then_some(rows)
        });
        std::thread::sleep(Duration::from_millis(300));
        story.screenshot("16-folder-hi.png");
        story.step("moved into the folder");

        // Delete goes to Trash; Empty Trash empties it.
        story.must("open the moved reply", moved[0].click());
        story.click("message-delete");
        story.el("inbox-empty");
        story.click("nav-trash");
        // Beside the message deleted earlier in the story.
        story.wait("the reply in Trash", FIND, || {
            story.row_with(reply_subject).map(drop)
        });
        story.click("trash-empty");
        story.el("inbox-empty");
        story.step("deleted to Trash, Trash emptied");

        search_the_mail(story);
    }

    /// "/" puts the cursor in the search box; results come as one types, newest first, with
    /// the matched words marked; operators narrow them.
    fn search_the_mail(story: &Story<'_>) {
        story.click("nav-inbox");
        story.must("focus the list", story.el("message-list").click());
        story.must("press /", story.session.press_keys("/"));
        let focused = story.must(
            "the focused element",
            story
                .session
                .execute("return document.activeElement?.dataset?.testid ?? '';", &[]),
        );
        assert_eq!(focused, json!("search-input"), "/ focuses the search box");
        // "नमस्" is the start of नमस्ते: found while typing.
        story.must("type a Hindi prefix", story.session.press_keys("नमस्"));
        let hits = story.wait("search results", FIND, || {
            let hits = story.session.all_by_testid("search-hit").ok()?;
            (!hits.is_empty()).then_some(hits)
        });
        let first = story.must("the first hit", hits[0].inner_text());
        assert!(first.contains("नमस्ते"), "{first}");
        let marked = story.must(
            "the marked words",
            story.session.execute(
                "return [...document.querySelectorAll('[data-testid=\"search-hit\"] mark')].map(m => m.textContent);",
                &[],
            ),
        );
        assert!(
            marked.to_string().contains("नमस्ते"),
            "the match is highlighted: {marked}"
        );
        std::thread::sleep(Duration::from_millis(300));
        story.screenshot("19-search-hi.png");
        story.must("open a hit", hits[0].click());
        story.el("message-view");
        // An operator alone: the starred message (starred earlier in the story).
        story.type_into("search-input", "is:starred");
        story.wait("the starred message alone", FIND, || {
            let hits = story.session.all_by_testid("search-hit").ok()?;
            (hits.len() == 1).then_some(())
        });
        story.type_into("search-input", "zzzz-no-such-word");
        story.el("search-none");
        story.step("searched as typing, with a Hindi prefix and an operator");
        story.paste_into("search-input", "");

        live_on_the_desktop(story);
    }

    /// Dakiya on the desktop: new mail on screen in the inbox is not announced; a notification
    /// opens its message when clicked; launching Dakiya again with a mailto: link writes to
    /// that address in the running window (and the second process ends); dark colours.
    fn live_on_the_desktop(story: &Story<'_>) {
        let deliver = |subject: &str| {
            story.mailbox.deliver_raw(
                format!("From: Meena <meena@example.org>\r\nSubject: {subject}\r\n\r\nHello.\r\n")
                    .as_bytes(),
            );
        };

        // The window shows the inbox: the new message appears there, and that is all.
        const SEEN: &str = "Arrives while you read";
        deliver(SEEN);
        story.click("nav-inbox");
        story.click("get-mail");
        story.wait("the new message in the open inbox", FETCH, || {
            story.fail_on_banner();
            story.row_with(SEEN)
        });
        std::thread::sleep(Duration::from_secs(2));
        assert!(
            !story.announced(SEEN),
            "mail that appeared in the inbox on screen was announced as well"
        );
        story.step("new mail in the inbox on screen is not announced");

        // Another folder is shown: announced, and a click on the notification opens it.
        const CLICKED: &str = "Open me from the notification";
        deliver(CLICKED);
        let _ = Command::new("dunstctl").arg("close-all").status();
        story.click("nav-sent");
        story.click("get-mail");
        wait_until(NOTIFICATION, POLL, || {
            story.announced(CLICKED).then_some(())
        })
        .unwrap_or_else(|| panic!("no notification for {CLICKED:?}"));
        story.click_notification_to_open(CLICKED);
        story.step("clicking the notification opened its message");

        // Dakiya launched again, as the desktop's mailto: handler: the running window writes.
        let mailto = "mailto:ravi@example.org?subject=%E0%A4%A8%E0%A4%AE%E0%A4%B8%E0%A5%8D%E0%A4%A4%E0%A5%87%20again&body=From%20a%20link";
        story.launch_again(&[mailto]);
        story.wait("the composer filled from the mailto: link", FIND, || {
            let to = story.session.by_testid("compose-to").ok()?;
            let subject = story.session.by_testid("compose-subject").ok()?;
            let filled =
                story.value(&to) == "ravi@example.org" && story.value(&subject) == "नमस्ते again";
            filled.then_some(())
        });
        assert_eq!(story.value(&story.el("compose-body")), "From a link");
        story.step("a second launch with a mailto: link filled the running composer, then ended");
        story.screenshot("20-mailto-compose.png");
        story.click("compose-discard");

        // Dark colours, chosen in the settings; then back to the desktop's.
        story.click("nav-settings");
        story.select("theme-select", "dark");
        let background = story.must(
            "the page colours",
            story.session.execute(
                "return [document.documentElement.dataset.theme ?? '', getComputedStyle(document.body).backgroundColor];",
                &[],
            ),
        );
        assert_eq!(background[0], json!("dark"), "{background}");
        let dark = background[1].as_str().unwrap_or_default().to_owned();
        let channels: Vec<u32> = dark
            .trim_start_matches("rgb(")
            .trim_end_matches(')')
            .split(',')
            .filter_map(|c| c.trim().parse().ok())
            .collect();
        assert!(
            channels.len() == 3 && channels.iter().all(|&c| c < 64),
            "the dark page's background is {dark}"
        );
        story.must(
            "scroll to the desktop settings",
            story.session.execute(
                "document.querySelector('[data-testid=\"desktop-settings\"]').scrollIntoView({ block: 'nearest' }); document.scrollingElement.scrollTop = 0;",
                &[],
            ),
        );
        std::thread::sleep(Duration::from_millis(300));
        story.screenshot("21-settings-dark.png");
        story.select("theme-select", "system");
        story.step("dark colours chosen and dropped again");

        // Start at login: an XDG autostart entry that runs this very program in the tray.
        let config_home = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .expect("run.sh gives the app a throw-away XDG_CONFIG_HOME");
        let entry = config_home.join("autostart/in.dakiya.mail.desktop");
        story.click("start-at-login");
        let text = story.wait("the autostart entry", FIND, || {
            fs::read_to_string(&entry).ok()
        });
        assert!(
            text.contains(&format!(
                "Exec=\"{}\" --background",
                story.setup.app.display()
            )),
            "{text}"
        );
        story.click("start-at-login");
        story.wait("the autostart entry to go", FIND, || {
            (!entry.exists()).then_some(())
        });
        story.step("start at login writes and removes its autostart entry");

        live_in_the_tray(story);
    }

    /// What the tray's menu and label say for this count (below 1,000: no grouping), from the
    /// window's catalogue, which the tray shares.
    fn tray_count_words(words: &HashMap<String, String>, unread: u32) -> (String, String) {
        match unread {
            0 => (words["tray.unreadNone"].clone(), String::new()),
            n => {
                let form = if n == 1 { "one" } else { "other" };
                let sentence =
                    words[&format!("tray.unread.{form}")].replace("{count}", &n.to_string());
                (sentence, n.to_string())
            }
        }
    }

    /// The tray menu's items after the count, from the window's catalogue.
    fn tray_menu_words(words: &HashMap<String, String>) -> [String; 4] {
        ["action.getMail", "nav.compose", "tray.open", "tray.quit"].map(|key| words[key].clone())
    }

    /// Dakiya in the tray, driven the way a panel drives it (see tests/e2e/tray.rs): the count
    /// matches the sidebar; closing the window with close-to-tray chosen hides it and Dakiya
    /// keeps running; it comes back from a notification, another launch, Compose and Open; Get
    /// mail works while hidden; the menu speaks Hindi, then English; Quit ends Dakiya.
    fn live_in_the_tray(story: &Story<'_>) {
        // The story is in Hindi here; English comes at the end.
        let (hi, en) = (strings("hi"), strings("en"));
        let menu_hi = tray_menu_words(&hi);
        let tray = story.wait("the tray item on the session bus", FIND, tray::Tray::find);
        let display = window::Display::open();
        let title = window::configured_title();
        let main_window = story.wait("the main window on the X display", FIND, || {
            display.window_titled(&title)
        });
        let inbox_unread = || -> u32 {
            story
                .session
                .all_by_testid("nav-inbox-unread")
                .ok()
                .and_then(|badges| badges.first()?.inner_text().ok())
                .and_then(|text| text.trim().replace(',', "").parse().ok())
                .unwrap_or(0)
        };
        let tray_counts = |unread: u32, timeout: Duration| {
            let (sentence, label) = tray_count_words(&hi, unread);
            let says = || {
                let menu = tray.menu();
                let first = menu.first()?;
                (first.label == sentence && !first.enabled && tray.label() == label).then_some(())
            };
            if wait_until(timeout, POLL, says).is_none() {
                panic!(
                    "the tray does not count {unread} unread: its label is {:?}, its menu {:?}",
                    tray.label(),
                    tray.menu()
                );
            }
        };

        // The count: what the sidebar shows, as the menu's first line and the label by the icon.
        story.click("nav-inbox");
        let unread = inbox_unread();
        tray_counts(unread, FIND);
        let labels: Vec<String> = tray.menu().into_iter().map(|entry| entry.label).collect();
        assert_eq!(labels[1..], menu_hi, "the tray menu");
        // The icon file is the instance's own, in the user's private runtime directory.
        let runtime = std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .expect("run.sh sets XDG_RUNTIME_DIR");
        let icon = tray.icon();
        assert!(
            icon.starts_with(runtime.join("dakiya")) && icon.is_file(),
            "the tray icon is {}",
            icon.display()
        );
        story.step(&format!(
            "the tray counts {unread} unread, as the sidebar does"
        ));

        // Closing the window with close-to-tray chosen: hidden, still running.
        story.click("nav-settings");
        story.click("close-to-tray");
        let store = Path::new(story.data_dir).join("mail.sqlite3");
        story.wait("the close-to-tray setting to be stored", FIND, || {
            let connection = rusqlite::Connection::open_with_flags(
                &store,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
            .ok()?;
            let json: String = connection
                .query_row(
                    "SELECT value FROM settings WHERE key = 'desktop'",
                    [],
                    |row| row.get(0),
                )
                .ok()?;
            let settings: Value = serde_json::from_str(&json).ok()?;
            (settings["closeToTray"] == json!(true)).then_some(())
        });
        let close_to_tray = || {
            display.close(main_window);
            story.wait("the window to hide in the tray", FIND, || {
                (!display.is_viewable(main_window)).then_some(())
            });
        };
        let wait_shown = |what: &str| {
            story.wait(what, FIND, || {
                display.is_viewable(main_window).then_some(())
            });
        };
        close_to_tray();
        std::thread::sleep(Duration::from_millis(500));
        let still = tray::Tray::find().map(|found| found.pid);
        assert_eq!(
            still,
            Some(tray.pid),
            "Dakiya did not keep running in the tray"
        );
        let _ = Command::new("dunstctl").arg("close-all").status();
        story.desktop_screenshot("22-closed-to-tray.png");
        story.step("closing the window hid it in the tray; Dakiya runs on");

        // Get mail from the tray while hidden: the mail is announced (nothing on screen shows
        // it), the count follows, and the notification brings the window back on its message.
        const FROM_TRAY: &str = "Fetched from the tray";
        story.mailbox.deliver_raw(
            format!("From: Meena <meena@example.org>\r\nSubject: {FROM_TRAY}\r\n\r\nHello.\r\n")
                .as_bytes(),
        );
        tray.click(&menu_hi[0]);
        wait_until(NOTIFICATION, POLL, || {
            story.announced(FROM_TRAY).then_some(())
        })
        .unwrap_or_else(|| panic!("Get mail from the tray announced nothing"));
        tray_counts(unread + 1, FETCH);
        assert!(
            !display.is_viewable(main_window),
            "Get mail showed the window"
        );
        story.step("Get mail in the tray fetched and announced new mail; the count followed");
        story.click_notification_to_open(FROM_TRAY);
        wait_shown("the notification to bring the window back");
        story.step("clicking the notification brought the hidden window back on its message");

        // Launching Dakiya again, from the app menu: the hidden window comes back.
        close_to_tray();
        story.launch_again(&[]);
        wait_shown("a second launch to bring the window back");
        story.step("launching Dakiya again brought the hidden window back");

        // Compose and Open from the tray.
        close_to_tray();
        tray.click(&menu_hi[1]);
        wait_shown("Compose in the tray to show the window");
        let to = story.el("compose-to");
        assert_eq!(story.value(&to), "", "the tray's composer starts empty");
        story.screenshot("23-tray-compose.png");
        story.click("compose-discard");
        close_to_tray();
        tray.click(&menu_hi[2]);
        wait_shown("Open Dakiya in the tray to show the window");
        story.step("Compose and Open Dakiya in the tray brought the window back");

        // The menu speaks the app's language.
        story.click("nav-settings");
        story.select("language-select", "en");
        let (count, _) = tray_count_words(&en, inbox_unread());
        let menu_en = tray_menu_words(&en);
        story.wait("the tray menu in English", FIND, || {
            let labels: Vec<String> = tray.menu().into_iter().map(|entry| entry.label).collect();
            (labels.get(1..)? == menu_en && *labels.first()? == count).then_some(())
        });
        story.step("the tray menu follows the language");

        // Quit: the process ends, and its tray item leaves the bus.
        tray.click(&menu_en[3]);
        story.wait("Dakiya to quit from the tray", FIND, || {
            let stat = fs::read_to_string(format!("/proc/{}/stat", tray.pid)).ok();
            // Ended, or a zombie its parent (WebKitWebDriver) has not reaped yet.
            let ended = stat.is_none_or(|stat| {
                stat.rsplit_once(')')
                    .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
            });
            (ended && tray::Tray::find().is_none()).then_some(())
        });
        story.step("Quit in the tray ended Dakiya");
    }
}

#[test]
fn notify_calls_reads_dbus_monitor_output() {
    let log = "signal time=1.0 sender=org.freedesktop.DBus -> destination=:1.9 serial=2 path=/org/freedesktop/DBus; interface=org.freedesktop.DBus; member=NameAcquired\n   string \":1.9\"\nmethod call time=2.0 sender=:1.10 -> destination=:1.3 serial=7 path=/org/freedesktop/Notifications; interface=org.freedesktop.Notifications; member=Notify\n   string \"Dakiya\"\n   uint32 0\n   string \"mail-unread\"\n   string \"आशा राव\"\n   string \"नमस्ते e2e\"\n   array [\n   ]\n   array [\n      dict entry(\n         string \"category\"\n         variant             string \"email.arrived\"\n      )\n   ]\n   int32 -1\n";
    let calls = notify_calls(log);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, ["Dakiya", "mail-unread", "आशा राव", "नमस्ते e2e"]);
    assert!(calls[0].1.contains("email.arrived"));
}
