//! Every screen, in English and in Hindi, light and dark, checked by axe-core in the real window,
//! and the keyboard: Tab reaches the main controls in order with a visible focus ring, and the
//! dialogs keep the focus inside and close with Escape.
//!
//! axe comes from `ui/node_modules/axe-core` (a devDependency of the UI, installed by `make
//! test`); it is injected through WebDriver, never loaded from the network. The mail's own HTML
//! (the sender's, shown in a sandboxed frame that runs no script) is left out: axe checks the
//! frame element (its title) but not inside it. Serious and critical violations fail the test;
//! moderate and minor ones are printed and kept in `a11y-report.json`.

use super::*;
use dakiya_engine::{OutgoingMessage, Pop3Mode, Security};
use dakiya_tests::fixtures;

const A11Y_PASSWORD: &str = "a11y पास word";
const PLAIN_SUBJECT: &str = "Train times / ट्रेन का समय";
const HTML_SUBJECT: &str = "Monsoon offers";
const THREAD_SUBJECT: &str = "यात्रा की योजना";
const SEARCH_WORD: &str = "monsoon";
/// Axe runs over the whole page; WebKit under a parallel build can take a while.
const AXE_TIMEOUT: Duration = Duration::from_secs(60);

const PLAIN_MAIL: &str = "From: Meera Iyer <meera@example.org>\r\n\
Subject: Train times / ट्रेन का समय\r\n\
Date: Sat, 28 Nov 2026 09:00:00 +0530\r\n\
Message-ID: <plain-1@example.org>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
The train leaves at 07:40 from platform 3.\r\n\
ट्रेन सुबह 07:40 बजे प्लेटफ़ॉर्म 3 से चलेगी।\r\n";

const HTML_MAIL: &str = "From: Travel Shop <shop@example.org>\r\n\
Subject: Monsoon offers\r\n\
Date: Sun, 29 Nov 2026 08:00:00 +0000\r\n\
Message-ID: <offer-a11y@example.org>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<html><body><h1>Monsoon offers</h1>\r\n\
<p><img src=\"https://images.example.org/banner.png\" alt=\"\"> Rain or shine.</p>\r\n\
<p><a href=\"https://offers.example.org/monsoon\">See the offers</a></p>\r\n\
</body></html>\r\n";

fn thread_mail(from: &str, id: &str, parent: Option<&str>, date: &str, body: &str) -> Vec<u8> {
    let (subject, threading) = match parent {
        Some(parent) => (
            format!("Re: {THREAD_SUBJECT}"),
            format!("In-Reply-To: <{parent}>\r\nReferences: <{parent}>\r\n"),
        ),
        None => (THREAD_SUBJECT.to_owned(), String::new()),
    };
    format!(
        "From: {from}\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <{id}>\r\n{threading}\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn outgoing(to: &str, subject: &str, body: &str) -> OutgoingMessage {
    OutgoingMessage {
        to: to.to_owned(),
        cc: String::new(),
        bcc: String::new(),
        subject: subject.to_owned(),
        body: body.to_owned(),
        from_address: String::new(),
        in_reply_to: None,
        references: Vec::new(),
        attachments: Vec::new(),
        draft_id: None,
    }
}

/// One account with mail in every place a screen shows: Inbox (plain, HTML, a conversation),
/// Sent, Drafts and a message waiting in the Outbox. Its passwords stay in this engine's
/// memory, so the app, finding none in the keyring, asks for the POP3 one at start.
fn prepare_mail(servers: &MailServers, mailbox: &Mailbox, data_dir: &Path) {
    mailbox.deliver_raw(PLAIN_MAIL.as_bytes());
    mailbox.deliver_raw(HTML_MAIL.as_bytes());
    mailbox.deliver_raw(&thread_mail(
        "Ravi <ravi@example.org>",
        "trip-1@example.org",
        None,
        "Mon, 30 Nov 2026 10:00:00 +0530",
        "Shall we go to Shimla in May?",
    ));
    mailbox.deliver_raw(&thread_mail(
        "Meera Iyer <meera@example.org>",
        "trip-2@example.org",
        Some("trip-1@example.org"),
        "Tue, 01 Dec 2026 10:00:00 +0530",
        "हाँ, मई अच्छा रहेगा।",
    ));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let engine = fixtures::engine(data_dir);
        let settings = fixtures::account_settings(
            servers,
            mailbox,
            Security::Tls,
            Security::StartTls,
            Pop3Mode::KeepOnServer,
        );
        let account = engine
            .save_account(None, settings, fixtures::passwords(mailbox))
            .await
            .expect("the account is saved");
        engine
            .send(
                account.id,
                outgoing(&mailbox.address, "Notes for myself", "Pack the umbrella."),
            )
            .await
            .expect("the message to oneself is sent");
        mailbox.wait_for_messages(5, DELIVERY);
        engine
            .fetch(account.id, &|_| {})
            .await
            .expect("the prepared mail is fetched");
        engine
            .save_draft(
                account.id,
                outgoing("ravi@example.org", "Half-written", "Dear Ravi,"),
            )
            .await
            .expect("a draft is saved");
        let tomorrow = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|now| now.as_secs() as i64 + 86_400)
            .unwrap_or(i64::MAX);
        engine
            .queue_message(
                account.id,
                outgoing("ravi@example.org", "Tomorrow's reminder", "Don't forget."),
                Some(tomorrow),
            )
            .await
            .expect("a message waits in the outbox");
        engine.wait_until_indexed().await;
    });
}

#[derive(Debug, Clone)]
struct Violation {
    id: String,
    impact: String,
    help: String,
    nodes: Vec<String>,
}

impl Violation {
    fn fails(&self) -> bool {
        matches!(self.impact.as_str(), "serious" | "critical")
    }
}

/// axe's source, and what it found on each screen.
struct Audit {
    axe: String,
    /// Where each checked screen's screenshot goes.
    shots: PathBuf,
    screens: std::cell::RefCell<Vec<(String, Vec<Violation>)>>,
}

impl Audit {
    fn new(artifacts: &Path) -> Audit {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/node_modules/axe-core/axe.min.js");
        let axe = fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "read {}: {e} (axe-core is a devDependency of ui/: run `npm ci` there)",
                path.display()
            )
        });
        let shots = artifacts.join("a11y");
        fs::create_dir_all(&shots).unwrap_or_else(|e| panic!("create {}: {e}", shots.display()));
        Audit {
            axe,
            shots,
            screens: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// Runs axe over the page as it is now and records what it found under `screen`.
    fn check(&self, story: &Story<'_>, screen: &str) {
        // Let transitions (a dialog fading in, a list loading) settle: axe reads colours.
        std::thread::sleep(Duration::from_millis(250));
        let loaded = story.must(
            "look for axe",
            story.session.execute("return typeof window.axe;", &[]),
        );
        if loaded != json!("object") {
            story.must(
                "inject axe-core",
                story
                    .session
                    .execute(&format!("{}\nreturn true;", self.axe), &[]),
            );
            story.must(
                "set the script timeout",
                story.session.set_script_timeout(AXE_TIMEOUT),
            );
        }
        // `iframes: false`: the frame element is checked (it needs a title), the sender's HTML
        // inside it is not ours to judge (and runs no script, so axe could not enter it anyway).
        let script = "const done = arguments[arguments.length - 1];
            axe.run(document, { iframes: false, resultTypes: ['violations'] })
              .then((r) => done(r.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => n.target.join(' ') + '  ' + n.html.slice(0, 140)),
              }))))
              .catch((e) => done({ error: String(e) }));";
        let result = story.must("run axe", story.session.execute_async(script, &[]));
        if let Some(error) = result.get("error") {
            panic!("axe failed on {screen}: {error}");
        }
        let violations: Vec<Violation> = result
            .as_array()
            .unwrap_or_else(|| panic!("axe answered {result}"))
            .iter()
            .map(|v| Violation {
                id: v["id"].as_str().unwrap_or_default().to_owned(),
                impact: v["impact"].as_str().unwrap_or("unknown").to_owned(),
                help: v["help"].as_str().unwrap_or_default().to_owned(),
                nodes: v["nodes"]
                    .as_array()
                    .map(|nodes| {
                        nodes
                            .iter()
                            .filter_map(|n| n.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        let mut line = format!("axe: {screen}: ");
        if violations.is_empty() {
            line.push_str("no violations");
        }
        for v in &violations {
            let _ = write!(line, "[{} {} ×{}] ", v.impact, v.id, v.nodes.len());
        }
        story.step(&line);
        for v in violations.iter().filter(|v| v.fails()) {
            for node in &v.nodes {
                eprintln!("  {} {}: {node}", v.impact, v.id);
            }
        }
        let file: String = screen
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .split('-')
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        let _ = story
            .session
            .save_screenshot(&self.shots.join(format!("{file}.png")));
        self.screens
            .borrow_mut()
            .push((screen.to_owned(), violations));
    }

    /// Writes `a11y-report.json` and counts by impact; fails on any serious or critical one.
    fn finish(&self, artifacts: &Path) {
        let screens = self.screens.borrow();
        let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
        let mut failing = Vec::new();
        let mut report = Vec::new();
        for (screen, violations) in screens.iter() {
            for v in violations {
                *counts.entry(v.impact.clone()).or_default() += v.nodes.len();
                if v.fails() {
                    failing.push(format!(
                        "{screen}: {} {} ({}): {}",
                        v.impact,
                        v.id,
                        v.help,
                        v.nodes.join(" | ")
                    ));
                }
            }
            report.push(json!({
                "screen": screen,
                "violations": violations.iter().map(|v| json!({
                    "id": v.id, "impact": v.impact, "help": v.help, "nodes": v.nodes,
                })).collect::<Vec<_>>(),
            }));
        }
        let path = artifacts.join("a11y-report.json");
        let _ = fs::write(
            &path,
            serde_json::to_string_pretty(&report).unwrap_or_default(),
        );
        eprintln!(
            "axe: {} screens checked; elements in violation by impact: {counts:?}; report in {}",
            screens.len(),
            path.display()
        );
        assert!(
            failing.is_empty(),
            "serious or critical accessibility violations:\n{}",
            failing.join("\n")
        );
    }
}

/// What has the focus: its test id (or tag), and whether a focus ring is drawn around it.
fn focused(story: &Story<'_>) -> (String, bool, bool) {
    let value = story.must(
        "read the focused element",
        story.session.execute(
            "const el = document.activeElement;
            if (!el || el === document.body) return ['', false, false];
            const cs = getComputedStyle(el);
            const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
            const ring = outline || (cs.boxShadow && cs.boxShadow !== 'none');
            const name = el.dataset.testid || el.id || el.tagName.toLowerCase();
            const modal = el.closest('[role=dialog]');
            return [name, ring && el.matches(':focus-visible'), modal !== null];",
            &[],
        ),
    );
    (
        value[0].as_str().unwrap_or_default().to_owned(),
        value[1].as_bool().unwrap_or(false),
        value[2].as_bool().unwrap_or(false),
    )
}

const TAB: &str = "\u{E004}";
const ESCAPE: &str = "\u{E00C}";
const ENTER: &str = "\u{E007}";

/// Focuses `start` and presses Tab `presses` times: every stop must show a focus ring, and
/// `expected` must come in this order among the stops.
fn tab_through(story: &Story<'_>, start: &str, presses: usize, expected: &[&str]) {
    let first = story.el(start);
    story.must(
        "focus the first control",
        story
            .session
            .execute("arguments[0].focus();", &[first.as_arg()]),
    );
    let mut stops = vec![start.to_owned()];
    for _ in 0..presses {
        story.must("press Tab", story.session.press_keys(TAB));
        let (name, ring, _) = focused(story);
        assert!(
            ring,
            "Tab reached {name:?} but no focus ring is visible (stops so far: {stops:?})"
        );
        stops.push(name);
    }
    let mut remaining = stops.iter();
    for want in expected {
        assert!(
            remaining.any(|stop| stop == want),
            "Tab did not reach {want} in order; it went {stops:?}"
        );
    }
    story.step(&format!("Tab order from {start}: {}", stops.join(" → ")));
}

/// A modal dialog: the focus is inside it when it opens, Tab and Shift+Tab keep it inside,
/// Escape closes it and the focus goes back to one of `returns_to` (what had it before), if
/// anything did.
fn dialog_keeps_focus(story: &Story<'_>, testid: &str, returns_to: &[&str]) {
    story.el(testid);
    let (name, _, inside) = story.wait("the focus inside the dialog", FIND, || {
        let now = focused(story);
        now.2.then_some(now)
    });
    let mut stops = vec![name];
    for _ in 0..6 {
        story.must("press Tab", story.session.press_keys(TAB));
        let (name, ring, inside) = focused(story);
        assert!(
            inside,
            "Tab left the {testid} dialog for {name:?}: {stops:?}"
        );
        assert!(
            ring,
            "{name} in the {testid} dialog has no visible focus ring"
        );
        stops.push(name);
    }
    let shift_tab = json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
        {"type": "keyDown", "value": "\u{E008}"},
        {"type": "keyDown", "value": TAB},
        {"type": "keyUp", "value": TAB},
        {"type": "keyUp", "value": "\u{E008}"},
    ]}]});
    for _ in 0..4 {
        story.must("press Shift+Tab", story.session.perform_actions(&shift_tab));
        let (name, _, inside) = focused(story);
        assert!(inside, "Shift+Tab left the {testid} dialog for {name:?}");
    }
    assert!(inside);
    // The page's shortcuts sleep while a dialog is open ("c" would open the composer behind it).
    story.must("press c", story.session.press_keys("c"));
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        story.present(testid) && !story.present("compose-to"),
        "a shortcut acted behind the {testid} dialog"
    );
    story.must("press Escape", story.session.press_keys(ESCAPE));
    story.wait(&format!("Escape to close {testid}"), FIND, || {
        (!story.present(testid)).then_some(())
    });
    if !returns_to.is_empty() {
        let (now, _, _) = focused(story);
        assert!(
            returns_to.contains(&now.as_str()),
            "closing {testid} gave the focus to {now:?}, not back to {returns_to:?}"
        );
    }
    story.step(&format!(
        "{testid}: focus kept inside ({}), Escape closes it",
        stops.join(" → ")
    ));
}

fn open_row(story: &Story<'_>, text: &str) {
    let row = story.wait(&format!("the row “{text}”"), FIND, || {
        story.row_with(text)
    });
    story.must("open the row", row.click());
}

fn set_language(story: &Story<'_>, language: &str) {
    story.click("nav-settings");
    story.select("language-select", language);
    story.wait(&format!("<html lang={language}>"), FIND, || {
        let lang = story
            .session
            .execute("return document.documentElement.lang;", &[])
            .ok()?;
        (lang == json!(language)).then_some(())
    });
}

fn set_theme(story: &Story<'_>, theme: &str) {
    story.click("nav-settings");
    story.select("theme-select", theme);
    story.wait(&format!("the {theme} colours"), FIND, || {
        let shown = story
            .session
            .execute(
                "return document.documentElement.dataset.theme ?? 'system';",
                &[],
            )
            .ok()?;
        (shown == json!(theme)).then_some(())
    });
}

/// Every screen of an account with mail, in the current language and colours.
fn audit_mail_screens(story: &Story<'_>, audit: &Audit, label: &str, everything: bool) {
    story.click("nav-settings");
    story.el("desktop-settings");
    audit.check(story, &format!("{label} account settings + desktop card"));
    if everything {
        story.click("settings-test");
        story.wait("the connection test's result", SERVER_CHECK, || {
            (story.enabled_now("settings-test")? && story.present("settings-test-result"))
                .then_some(())
        });
        audit.check(story, &format!("{label} connection test result"));
    }

    story.click("nav-inbox");
    if story.must(
        "read the threaded switch",
        story.el("list-threaded").property("checked"),
    ) == json!(true)
    {
        story.click("list-threaded");
    }
    story.wait("the flat inbox", FIND, || story.row_with(PLAIN_SUBJECT));
    audit.check(story, &format!("{label} inbox (flat)"));

    open_row(story, PLAIN_SUBJECT);
    story.el("message-body-text");
    audit.check(story, &format!("{label} plain-text message"));

    open_row(story, HTML_SUBJECT);
    let frame = story.el("message-body-html");
    audit.check(story, &format!("{label} HTML message"));

    if everything {
        click_offer_link(story, &frame);
        story.el("link-prompt");
        audit.check(story, &format!("{label} link prompt"));
        story.click("link-cancel");
    }

    story.click("list-threaded");
    let thread = story.wait("the conversation row", FIND, || {
        story.row_with(THREAD_SUBJECT)
    });
    audit.check(story, &format!("{label} inbox (threaded)"));
    story.must("open the conversation", thread.click());
    story.wait("the conversation", FIND, || {
        let items = story.session.all_by_testid("conversation-item").ok()?;
        (items.len() >= 2).then_some(())
    });
    audit.check(story, &format!("{label} conversation"));
    story.click("list-threaded");

    if everything {
        story.type_into("search-input", SEARCH_WORD);
        story.wait("search hits", FIND, || {
            story.session.by_testid("search-hit").ok().map(drop)
        });
        audit.check(story, &format!("{label} search results"));
        story.must("clear the search", story.el("search-input").clear());
        story.paste_into("search-input", "");
    }

    story.click("nav-compose");
    story.el("compose-to");
    audit.check(story, &format!("{label} composer"));

    if everything {
        story.click("nav-drafts");
        story.el("drafts-item");
        audit.check(story, &format!("{label} drafts"));
        story.click("nav-outbox");
        story.el("outbox-item");
        audit.check(story, &format!("{label} outbox"));
        story.click("nav-sent");
        story.wait("the sent message", FIND, || {
            story.row_with("Notes for myself")
        });
        audit.check(story, &format!("{label} sent"));

        story.click("get-mail");
        story.el("password-prompt");
        audit.check(story, &format!("{label} password prompt"));
        story.click("password-prompt-cancel");
    }
}

/// Clicks the HTML mail's link inside its frame, which asks the user before opening it.
fn click_offer_link(story: &Story<'_>, frame: &Element<'_>) {
    story.must(
        "enter the mail's frame",
        story.session.switch_to_frame(frame),
    );
    let link = story.must(
        "the link",
        story
            .session
            .find("a[href^=\"https://offers.example.org\"]"),
    );
    story.must("click the link", link.click());
    story.must("back to the window", story.session.switch_to_parent_frame());
}

/// Tauri's IPC fetches `ipc://localhost/<command>`; this leaves `discover_account`'s fetch
/// pending for good (the page's other calls go through).
const HOLD_DISCOVERY: &str = "const fetchNow = window.fetch;
    window.__dakiyaTestFetch = fetchNow;
    window.fetch = (resource, options) =>
      String(resource?.url ?? resource).includes('discover_account')
        ? new Promise(() => {})
        : fetchNow(resource, options);";
const RELEASE_DISCOVERY: &str = "window.fetch = window.__dakiyaTestFetch;";

#[test]
fn every_screen_is_accessible_in_both_languages() {
    let setup = setup();
    let audit = Audit::new(&setup.artifacts);
    let servers = MailServers::shared();
    let mailbox = servers.create_mailbox("a11y", A11Y_PASSWORD);
    let fresh = tempfile::tempdir().expect("a temporary data directory");
    let prepared = tempfile::tempdir().expect("a temporary data directory");
    prepare_mail(servers, &mailbox, prepared.path());
    let path_arg = |dir: &tempfile::TempDir| dir.path().to_str().expect("a UTF-8 path").to_owned();
    let (fresh_arg, prepared_arg) = (path_arg(&fresh), path_arg(&prepared));

    let started = Instant::now();
    let driver = TauriDriver::start(&setup.artifacts.join("tauri-driver-a11y.log"));

    // First start: no account. The one-step setup, what it finds for a provider in the shipped
    // database (no network needed), the full form behind "Edit", and the empty mail views.
    {
        let mut session = driver
            .new_session(&setup.app, &["--data-dir", &fresh_arg])
            .unwrap_or_else(|e| panic!("the app did not start: {e}\n{}", driver.log_text()));
        let story = Story::new(&session, &driver, &setup, &mailbox, &fresh_arg, started);
        story.el("setup-name");
        tab_through(
            &story,
            "setup-name",
            4,
            &["setup-email", "setup-password", "setup-continue"],
        );
        for (index, (language, theme)) in [
            ("en", "light"),
            ("hi", "light"),
            ("hi", "dark"),
            ("en", "dark"),
        ]
        .into_iter()
        .enumerate()
        {
            let label = format!("[{language} {theme}]");
            set_language(&story, language);
            set_theme(&story, theme);
            story.el("setup-name");
            audit.check(&story, &format!("{label} first-start setup"));
            // The one-step form, filled in and sent; then what it shows (`outcome`).
            let set_up = |email: &str, outcome: &str| {
                story.type_into("setup-name", "आशा राव");
                story.type_into("setup-email", email);
                story.type_into("setup-password", A11Y_PASSWORD);
                story.click("setup-continue");
                story.el(outcome);
            };
            // Nothing found: a domain that does not exist (`.invalid`, RFC 2606).
            set_up("asha@nowhere.invalid", "setup-failed");
            audit.check(&story, &format!("{label} setup: nothing found"));
            // Searching lasts as long as the network takes: offline, no time at all. The test
            // holds the discovery call (the IPC's fetch of its command) unanswered, so the
            // searching state stays on screen to be checked; "Set up manually" then stops the
            // wait, as it does for a user.
            story.must(
                "hold discovery unanswered",
                story.session.execute(HOLD_DISCOVERY, &[]),
            );
            set_up("asha.a11y@gmail.com", "setup-searching");
            audit.check(&story, &format!("{label} setup: searching"));
            story.must(
                "answer discovery again",
                story.session.execute(RELEASE_DISCOVERY, &[]),
            );
            story.click("setup-manual");
            story.el("pop3-host");
            story.click("nav-inbox");
            story.click("nav-settings");
            set_up("asha.a11y@gmail.com", "setup-found");
            audit.check(&story, &format!("{label} setup: servers found"));
            story.click("setup-edit");
            story.el("pop3-host");
            audit.check(&story, &format!("{label} first-start manual settings"));
            if index == 0 {
                tab_through(
                    &story,
                    "settings-display-name",
                    40,
                    &[
                        "settings-email",
                        "pop3-host",
                        "pop3-password",
                        "smtp-host",
                        "smtp-password",
                        "trusted-cert-pem",
                    ],
                );
            }
            for (nav, empty, screen) in [
                ("nav-inbox", "inbox-empty", "empty inbox"),
                ("nav-drafts", "drafts-empty", "no drafts"),
                ("nav-outbox", "outbox-empty", "empty outbox"),
            ] {
                story.click(nav);
                story.el(empty);
                audit.check(&story, &format!("{label} {screen}"));
            }
        }
        drop(story);
        session.delete().expect("close the first app");
    }

    // An account with mail; its password is not in the keyring, so the app asks at start.
    let mut session = driver
        .new_session(&setup.app, &["--data-dir", &prepared_arg])
        .unwrap_or_else(|e| panic!("the app did not start: {e}\n{}", driver.log_text()));
    let story = Story::new(&session, &driver, &setup, &mailbox, &prepared_arg, started);
    story.el("password-prompt");
    dialog_keeps_focus(&story, "password-prompt", &[]);

    set_language(&story, "en");
    set_theme(&story, "light");
    story.click("nav-inbox");
    story.wait("the inbox", FIND, || story.row_with(PLAIN_SUBJECT));
    // From the top of the page, the first Tab stop skips the sidebar: Enter, then Tab, lands
    // in the view (the search field).
    story.must(
        "take the focus off everything",
        story.session.execute(
            "document.activeElement?.blur(); window.scrollTo(0, 0);",
            &[],
        ),
    );
    story.must("press Tab", story.session.press_keys(TAB));
    let (first, ring, _) = focused(&story);
    assert_eq!(first, "skip-to-content", "the first Tab stop");
    assert!(ring, "the skip link shows no focus ring");
    // A screenshot right after a key press can show the frame painted before it.
    std::thread::sleep(Duration::from_millis(300));
    story.screenshot("a11y-skip-link.png");
    story.must("press Enter", story.session.press_keys(ENTER));
    story.must("press Tab", story.session.press_keys(TAB));
    let (next, _, _) = focused(&story);
    assert_eq!(next, "search-input", "Skip to content, then Tab");
    story.step("the first Tab stop skips the sidebar to the view");
    tab_through(
        &story,
        "get-mail",
        14,
        &[
            "nav-compose",
            "nav-inbox",
            "nav-drafts",
            "nav-outbox",
            "nav-sent",
            "nav-settings",
            "search-input",
            "list-threaded",
            "message-row",
        ],
    );
    open_row(&story, HTML_SUBJECT);
    let frame = story.el("message-body-html");
    click_offer_link(&story, &frame);
    // The link was clicked in the mail's frame: the focus returns to the frame, or to the row
    // that opened the message when the frame never took it.
    dialog_keeps_focus(&story, "link-prompt", &["message-body-html", "message-row"]);
    // Get mail, pressed with Enter, asks for the password; closing gives the focus back.
    let get_mail = story.el("get-mail");
    story.must(
        "focus Get mail",
        story
            .session
            .execute("arguments[0].focus();", &[get_mail.as_arg()]),
    );
    story.must("press Enter", story.session.press_keys(ENTER));
    dialog_keeps_focus(&story, "password-prompt", &["get-mail"]);
    open_row(&story, PLAIN_SUBJECT);
    story.el("message-body-text");
    tab_through(
        &story,
        "message-reply",
        12,
        &["message-reply-all", "message-forward"],
    );
    story.click("nav-compose");
    tab_through(
        &story,
        "compose-to",
        12,
        &["compose-subject", "compose-body", "compose-send"],
    );

    for (language, theme, everything) in [
        ("en", "light", true),
        ("hi", "light", true),
        ("hi", "dark", true),
        ("en", "dark", true),
    ] {
        set_language(&story, language);
        set_theme(&story, theme);
        audit_mail_screens(&story, &audit, &format!("[{language} {theme}]"), everything);
    }
    set_theme(&story, "system");
    drop(story);
    session.delete().expect("close the app");
    drop(driver);
    audit.finish(&setup.artifacts);
}
