//! A minimal W3C WebDriver client for the end-to-end test, talking to `tauri-driver`.
//!
//! [`TauriDriver::start`] runs `tauri-driver` (which runs `WebKitWebDriver`) on free ports, in a
//! process group of its own; dropping it ends that group. [`TauriDriver::new_session`] starts the
//! app under test; dropping the [`Session`] deletes it, which closes the app's window and process.
//!
//! Only new-session goes through tauri-driver (it turns `tauri:options` into WebKitGTK's
//! options); every later command goes straight to WebKitWebDriver, which is all tauri-driver does
//! with them anyway. Measured here: tauri-driver 2.1.0 keeps a pool of connections to
//! WebKitWebDriver, which closes them, and a command sent on a closed one fails ("connection reset",
//! our connection closed with no answer) within the first few commands of a session.
//!
//! HTTP is hand-written over `std::net::TcpStream` (one request per connection), so the test crate
//! needs no HTTP client. Needs a display (`DISPLAY`): without one, new-session hangs.

use std::fmt;
use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The W3C "web element identifier".
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// Starting the app (WebKitGTK under Xvfb) takes a few seconds; allow for a cold cache.
const NEW_SESSION_TIMEOUT: Duration = Duration::from_secs(90);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const DRIVER_READY_TIMEOUT: Duration = Duration::from_secs(20);

/// A failed WebDriver call: the W3C error code (`no such element`, …) or a transport problem.
#[derive(Debug, Clone)]
pub struct Error {
    /// The W3C error code, or `"transport"` when no WebDriver answer was received.
    pub code: String,
    pub message: String,
}

impl Error {
    fn transport(message: impl Into<String>) -> Error {
        Error {
            code: "transport".into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// A running `tauri-driver`; ends its process group when dropped.
pub struct TauriDriver {
    child: Child,
    port: u16,
    native_port: u16,
    log: PathBuf,
}

impl TauriDriver {
    /// Starts `tauri-driver --port P --native-port Q` on two free ports, its output going to
    /// `log`, and waits until it answers. The binary is `$TAURI_DRIVER`, else `tauri-driver` on
    /// the `PATH`, else `$CARGO_HOME/bin` or `~/.cargo/bin`.
    pub fn start(log: &Path) -> TauriDriver {
        let binary = tauri_driver_binary().unwrap_or_else(|| {
            panic!(
                "tauri-driver not found: install it with \
                 `cargo install tauri-driver --version '^2' --locked` (or set TAURI_DRIVER)"
            )
        });
        let port = free_port();
        let native_port = free_port();
        let out = fs::File::create(log).unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
        let err = out.try_clone().expect("clone the log file handle");
        let child = Command::new(&binary)
            .arg("--port")
            .arg(port.to_string())
            .arg("--native-port")
            .arg(native_port.to_string())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            // Its own group, so that WebKitWebDriver and the app end with it.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        let driver = TauriDriver {
            child,
            port,
            native_port,
            log: log.to_owned(),
        };
        let deadline = Instant::now() + DRIVER_READY_TIMEOUT;
        loop {
            // tauri-driver forwards /status to WebKitWebDriver: an answer means both are up.
            if let Ok((200, _)) = http(port, "GET", "/status", None, Duration::from_secs(2)) {
                return driver;
            }
            if Instant::now() >= deadline {
                panic!(
                    "tauri-driver did not answer on port {port} within {DRIVER_READY_TIMEOUT:?}; \
                     its log:\n{}",
                    driver.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What tauri-driver, WebKitWebDriver and the app wrote so far.
    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Starts `application` with `args` and opens a session on its window. WebKitWebDriver
    /// sometimes drops the very first connection when the machine is busy (seen under a
    /// parallel build: "connection reset by peer" before any reply); one more attempt then
    /// starts the app normally. Any other failure, or a second one, is the test's.
    pub fn new_session(&self, application: &Path, args: &[&str]) -> Result<Session> {
        match self.try_new_session(application, args) {
            Err(first) if first.code == "transport" => {
                eprintln!("webdriver: new session failed ({first}); trying once more");
                std::thread::sleep(Duration::from_secs(1));
                self.try_new_session(application, args)
            }
            outcome => outcome,
        }
    }

    fn try_new_session(&self, application: &Path, args: &[&str]) -> Result<Session> {
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "tauri:options": { "application": application, "args": args }
                }
            }
        });
        let value = call(
            self.port,
            "POST",
            "/session",
            Some(&capabilities),
            NEW_SESSION_TIMEOUT,
        )?;
        let id = value["sessionId"]
            .as_str()
            .ok_or_else(|| Error::transport(format!("new session: no sessionId in {value}")))?;
        Ok(Session {
            port: self.native_port,
            id: id.to_owned(),
            deleted: false,
        })
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        // SIGTERM lets tauri-driver kill WebKitWebDriver itself; then make sure of the group.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &group])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One WebDriver session: the app's window. Deleted (the app closed) when dropped.
pub struct Session {
    /// WebKitWebDriver's port (see the module docs).
    port: u16,
    id: String,
    deleted: bool,
}

/// An element of the page, valid while it stays in the DOM.
pub struct Element<'s> {
    session: &'s Session,
    id: String,
}

impl Session {
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        let path = format!("/session/{}{path}", self.id);
        call(self.port, method, &path, body, REQUEST_TIMEOUT)
    }

    fn element(&self, value: &Value) -> Result<Element<'_>> {
        let id = value[ELEMENT_KEY]
            .as_str()
            .ok_or_else(|| Error::transport(format!("not an element reference: {value}")))?;
        Ok(Element {
            session: self,
            id: id.to_owned(),
        })
    }

    /// The first element matching the CSS selector (error `no such element` if none).
    pub fn find(&self, css: &str) -> Result<Element<'_>> {
        let value = self.call(
            "POST",
            "/element",
            Some(&json!({"using": "css selector", "value": css})),
        )?;
        self.element(&value)
    }

    /// Every element matching the CSS selector (possibly none).
    pub fn find_all(&self, css: &str) -> Result<Vec<Element<'_>>> {
        let value = self.call(
            "POST",
            "/elements",
            Some(&json!({"using": "css selector", "value": css})),
        )?;
        value
            .as_array()
            .ok_or_else(|| Error::transport(format!("find elements: not a list: {value}")))?
            .iter()
            .map(|v| self.element(v))
            .collect()
    }

    /// `[data-testid="…"]`.
    pub fn by_testid(&self, testid: &str) -> Result<Element<'_>> {
        self.find(&testid_selector(testid))
    }

    /// Every `[data-testid="…"]`.
    pub fn all_by_testid(&self, testid: &str) -> Result<Vec<Element<'_>>> {
        self.find_all(&testid_selector(testid))
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its result.
    pub fn execute(&self, script: &str, args: &[Value]) -> Result<Value> {
        self.call(
            "POST",
            "/execute/sync",
            Some(&json!({"script": script, "args": args})),
        )
    }

    /// Runs `script` asynchronously (W3C "execute async script"): the script calls its last
    /// argument with the result, e.g. when a promise settles. Used to await `axe.run`.
    pub fn execute_async(&self, script: &str, args: &[Value]) -> Result<Value> {
        self.call(
            "POST",
            "/execute/async",
            Some(&json!({"script": script, "args": args})),
        )
    }

    /// Sets the script timeout (W3C "set timeouts"): how long an async script may take.
    pub fn set_script_timeout(&self, timeout: Duration) -> Result<()> {
        let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self.call("POST", "/timeouts", Some(&json!({ "script": millis })))
            .map(drop)
    }

    /// Presses keys on whatever has the focus, as a keyboard does (W3C Actions), so keyboard
    /// shortcuts are tested the way a user triggers them.
    pub fn press_keys(&self, keys: &str) -> Result<()> {
        let mut actions = Vec::new();
        for key in keys.chars() {
            actions.push(json!({"type": "keyDown", "value": key.to_string()}));
            actions.push(json!({"type": "keyUp", "value": key.to_string()}));
        }
        let body = json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]});
        self.call("POST", "/actions", Some(&body)).map(drop)
    }

    /// Performs W3C actions given as the body of "perform actions" (key chords like Shift+Tab).
    pub fn perform_actions(&self, body: &Value) -> Result<()> {
        self.call("POST", "/actions", Some(body)).map(drop)
    }

    /// Puts the session inside an iframe (W3C "switch to frame"), to act on a mail's HTML.
    pub fn switch_to_frame(&self, frame: &Element<'_>) -> Result<()> {
        self.call("POST", "/frame", Some(&json!({ "id": frame.as_arg() })))
            .map(drop)
    }

    pub fn switch_to_parent_frame(&self) -> Result<()> {
        self.call("POST", "/frame/parent", Some(&json!({})))
            .map(drop)
    }

    /// The text of an open alert, confirm or prompt dialog; an error when none is open (what a
    /// test of hostile mail expects: no script of it ever ran).
    pub fn alert_text(&self) -> Result<String> {
        let value = self.call("GET", "/alert/text", None)?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// The serialised DOM.
    pub fn page_source(&self) -> Result<String> {
        let value = self.call("GET", "/source", None)?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// A PNG of the window's viewport.
    pub fn screenshot_png(&self) -> Result<Vec<u8>> {
        let value = self.call("GET", "/screenshot", None)?;
        let text = value
            .as_str()
            .ok_or_else(|| Error::transport(format!("screenshot: not a string: {value}")))?;
        base64_decode(text).ok_or_else(|| Error::transport("screenshot: invalid base64"))
    }

    /// Saves a PNG of the window to `path`.
    pub fn save_screenshot(&self, path: &Path) -> Result<()> {
        let png = self.screenshot_png()?;
        fs::write(path, png).map_err(|e| Error::transport(format!("write {}: {e}", path.display())))
    }

    /// Ends the session (closes the app). Also done on drop.
    pub fn delete(&mut self) -> Result<()> {
        if self.deleted {
            return Ok(());
        }
        self.deleted = true;
        self.call("DELETE", "", None).map(drop)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.delete();
    }
}

impl Element<'_> {
    fn call(&self, method: &str, what: &str, body: Option<&Value>) -> Result<Value> {
        self.session
            .call(method, &format!("/element/{}{what}", self.id), body)
    }

    pub fn click(&self) -> Result<()> {
        self.call("POST", "/click", Some(&json!({}))).map(drop)
    }

    pub fn clear(&self) -> Result<()> {
        self.call("POST", "/clear", Some(&json!({}))).map(drop)
    }

    /// Types `text` as key presses (W3C "element send keys").
    pub fn send_keys(&self, text: &str) -> Result<()> {
        self.call("POST", "/value", Some(&json!({ "text": text })))
            .map(drop)
    }

    /// The rendered text (W3C "get element text").
    pub fn text(&self) -> Result<String> {
        Ok(self
            .call("GET", "/text", None)?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// The element's `innerText`. WebKitWebDriver's own "get element text" left out most of a
    /// message row here (it answered "09:51" for a row showing a sender, a subject and "09:51").
    pub fn inner_text(&self) -> Result<String> {
        let value = self
            .session
            .execute("return arguments[0].innerText;", &[self.as_arg()])?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// An HTML attribute, `None` when absent.
    pub fn attribute(&self, name: &str) -> Result<Option<String>> {
        let value = self.call("GET", &format!("/attribute/{name}"), None)?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// A DOM property (`value`, `checked`, `disabled`, …).
    pub fn property(&self, name: &str) -> Result<Value> {
        self.call("GET", &format!("/property/{name}"), None)
    }

    /// Whether `class` lists `name`.
    pub fn has_class(&self, name: &str) -> Result<bool> {
        Ok(self
            .attribute("class")?
            .is_some_and(|classes| classes.split_whitespace().any(|c| c == name)))
    }

    /// This element as a script argument.
    pub fn as_arg(&self) -> Value {
        json!({ ELEMENT_KEY: self.id })
    }
}

/// `[data-testid="…"]` for a test id (which never holds quotes).
pub fn testid_selector(testid: &str) -> String {
    format!("[data-testid=\"{testid}\"]")
}

/// Polls `probe` every `poll` until it returns `Some`, or `timeout` passes (then `None`). The
/// probe runs at least once, and once more at the deadline.
pub fn wait_until<T>(
    timeout: Duration,
    poll: Duration,
    mut probe: impl FnMut() -> Option<T>,
) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(found) = probe() {
            return Some(found);
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        std::thread::sleep(poll.min(deadline - now));
    }
}

fn tauri_driver_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TAURI_DRIVER") {
        return Some(PathBuf::from(path));
    }
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("tauri-driver"))
                .collect()
        })
        .unwrap_or_default();
    if let Some(cargo_home) = std::env::var_os("CARGO_HOME") {
        candidates.push(Path::new(&cargo_home).join("bin/tauri-driver"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(Path::new(&home).join(".cargo/bin/tauri-driver"));
    }
    candidates.into_iter().find(|path| path.is_file())
}

/// A port nobody listens on now (the kernel's pick; released before use).
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("bind a free port on 127.0.0.1")
}

/// A WebDriver command: the `value` of a 2xx answer, or the W3C error of any other.
fn call(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
    timeout: Duration,
) -> Result<Value> {
    let (status, body) = http(port, method, path, body, timeout)?;
    let json: Value = serde_json::from_slice(&body).map_err(|e| {
        Error::transport(format!(
            "{method} {path}: HTTP {status}, not JSON ({e}): {}",
            String::from_utf8_lossy(&body)
        ))
    })?;
    let value = json.get("value").cloned().unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        Ok(value)
    } else {
        Err(Error {
            code: value["error"]
                .as_str()
                .unwrap_or("unknown error")
                .to_owned(),
            message: format!(
                "{method} {path}: HTTP {status}: {}",
                value["message"].as_str().unwrap_or_default()
            ),
        })
    }
}

/// One HTTP/1.1 exchange on a fresh connection (`Connection: close`): status and body.
fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
    timeout: Duration,
) -> Result<(u16, Vec<u8>)> {
    let failed = |e: std::io::Error| Error::transport(format!("{method} {path}: {e}"));
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).map_err(failed)?;
    stream.set_read_timeout(Some(timeout)).map_err(failed)?;
    stream.set_write_timeout(Some(timeout)).map_err(failed)?;
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Accept: application/json\r\n"
    );
    if body.is_some() || method == "POST" {
        request.push_str("Content-Type: application/json; charset=utf-8\r\n");
        request.push_str(&format!("Content-Length: {}\r\n", payload.len()));
    }
    request.push_str("\r\n");
    request.push_str(&payload);
    stream.write_all(request.as_bytes()).map_err(failed)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).map_err(failed)?;
    parse_response(&response).ok_or_else(|| {
        Error::transport(format!(
            "{method} {path}: malformed HTTP response: {}",
            String::from_utf8_lossy(&response)
        ))
    })
}

fn parse_response(response: &[u8]) -> Option<(u16, Vec<u8>)> {
    let end = response.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&response[..end]).ok()?;
    let body = &response[end + 4..];
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        } else if name.eq_ignore_ascii_case("content-length") {
            length = value.parse::<usize>().ok();
        }
    }
    if chunked {
        return Some((status, dechunk(body)?));
    }
    let body = match length {
        Some(n) => body.get(..n)?,
        None => body,
    };
    Some((status, body.to_vec()))
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&body[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

/// Standard base64 (with or without padding; whitespace ignored).
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.bytes() {
        let sextet = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\r' | b'\n' | b' ' => continue,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(sextet);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_known_values() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8h").unwrap(), b"hello!");
        assert_eq!(base64_decode("aA==").unwrap(), b"h");
        assert!(base64_decode("a*b").is_none());
    }

    #[test]
    fn responses_with_length_and_chunks() {
        let plain = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(parse_response(plain).unwrap(), (200, b"{}".to_vec()));
        let chunked =
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked).unwrap(), (404, b"abcde".to_vec()));
    }
}
