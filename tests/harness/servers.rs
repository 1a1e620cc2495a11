//! Real Dovecot (POP3) and Postfix (submission) on 127.0.0.1, one set per test process.
//!
//! [`MailServers::shared`] starts both daemons the first time a test in the process asks, in a run
//! directory of their own (`<temp dir>/dakiya-servers-<pid>-<random>`), on ports picked by the
//! kernel, with a certificate signed by a CA made for this run. Cargo runs each test binary as its
//! own process, possibly at the same time, so nothing is shared between binaries.
//!
//! - **Logins** use the full address as the user name (`alice-1a2b3c@dakiya.test`), for POP3
//!   `USER`/`PASS` and for SMTP `AUTH PLAIN`/`LOGIN` alike (Dovecot's passwd-file is the only user
//!   database; Postfix asks Dovecot through its auth socket).
//! - **TLS**: two ports are implicit TLS (POP3S, submissions), two offer STLS/STARTTLS.
//!   Postfix refuses AUTH before STARTTLS. Dovecot is set up the same way (`ssl = required`) but
//!   counts any connection whose remote IP equals its local IP, i.e. all of loopback, as secure,
//!   so USER/PASS works on the plain POP3 port without STLS: a client under test must insist on
//!   STLS itself.
//! - **Delivery**: Postfix delivers `*@dakiya.test` for mailboxes made by
//!   [`MailServers::create_mailbox`] into the Maildirs Dovecot serves; other recipients in the
//!   domain are refused at `RCPT`, anything else bounces (nothing leaves the machine).
//! - **Cleanup**: a watchdog shell, started before the daemons, holds the read end of a pipe
//!   whose write end only this process has. When the process ends in any way (normal exit,
//!   panic, SIGKILL) the pipe closes, and the watchdog stops both daemons and deletes the run
//!   directory (kept if `DAKIYA_KEEP_SERVERS_DIR` is set, for debugging).
//!
//! Needs root (the Postfix master must run as root) and the packages installed by
//! `tests/servers/install-deps.sh`, which also creates the `dakiyatest` user owning the Maildirs.

mod config;

use std::collections::hash_map::RandomState;
use std::fmt::Write as _;
use std::fs;
use std::hash::BuildHasher;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The mail domain of every test mailbox.
pub const DOMAIN: &str = "dakiya.test";

/// Owns every Maildir; Dovecot refuses root for mail access. Created by install-deps.sh.
const MAIL_USER: &str = "dakiyatest";
const DOVECOT: &str = "/usr/sbin/dovecot";
const POSTFIX_MASTER: &str = "/usr/lib/postfix/sbin/master";
const POSTMAP: &str = "/usr/sbin/postmap";
const INSTALL_HINT: &str = "run `tests/servers/install-deps.sh` (as root or with sudo) first";
const READY_TIMEOUT: Duration = Duration::from_secs(15);

type Result<T> = std::result::Result<T, String>;

/// One running Dovecot + Postfix pair. See the module docs.
pub struct MailServers {
    host: String,
    pop3_starttls_port: u16,
    pop3_tls_port: u16,
    submission_starttls_port: u16,
    submission_tls_port: u16,
    ca_pem: String,
    ca_pem_path: PathBuf,
    ca_der: Vec<u8>,
    run_dir: PathBuf,
    mail_owner: Owner,
    users: Mutex<UserTables>,
    next_mailbox: AtomicU64,
    random: RandomState,
    /// Never dropped (the value lives in a static); the watchdog acts when the process ends.
    _processes: Mutex<Processes>,
}

/// A mailbox on the test servers. Log in with `username` (the full address) and `password`.
#[derive(Debug, Clone)]
pub struct Mailbox {
    pub address: String,
    /// The login name for POP3 and SMTP AUTH: the full address.
    pub username: String,
    pub password: String,
    maildir: PathBuf,
    owner: Owner,
}

#[derive(Debug, Clone, Copy)]
struct Owner {
    uid: u32,
    gid: u32,
}

/// The mailboxes made so far. Postfix's table is rewritten whole (and atomically) on each new
/// one; Dovecot gets one passwd-file per user.
#[derive(Default)]
struct UserTables {
    addresses: Vec<String>,
    /// Postfix `virtual_mailbox_maps` source lines.
    virtual_mailboxes: String,
}

struct Processes {
    _watchdog: Child,
    /// Closing this (process exit) tells the watchdog to stop the daemons.
    _watchdog_pipe: ChildStdin,
    _daemons: Vec<Child>,
}

static SHARED: OnceLock<std::result::Result<MailServers, String>> = OnceLock::new();

impl MailServers {
    /// Started once per test process (OnceLock) and shared by all tests in it; each test makes
    /// its own mailboxes. Panics with the daemons' logs if they cannot start.
    pub fn shared() -> &'static MailServers {
        match SHARED.get_or_init(MailServers::start) {
            Ok(servers) => servers,
            Err(why) => panic!("the test mail servers did not start: {why}"),
        }
    }

    /// `"127.0.0.1"`. The certificate is also valid for `"localhost"`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Plain POP3 that offers STLS (listed in CAPA). Dovecot accepts USER/PASS here even
    /// without STLS, because it trusts loopback connections (see the module docs).
    pub fn pop3_starttls_port(&self) -> u16 {
        self.pop3_starttls_port
    }

    /// POP3 over implicit TLS (POP3S).
    pub fn pop3_tls_port(&self) -> u16 {
        self.pop3_tls_port
    }

    /// Postfix submission: STARTTLS required before AUTH (checked by Dovecot).
    pub fn submission_starttls_port(&self) -> u16 {
        self.submission_starttls_port
    }

    /// Postfix submissions: implicit TLS, then AUTH.
    pub fn submission_tls_port(&self) -> u16 {
        self.submission_tls_port
    }

    /// The per-run CA certificate (PEM) that signed the servers' certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn ca_pem_path(&self) -> &Path {
        &self.ca_pem_path
    }

    /// The per-run CA certificate (DER).
    pub fn ca_der(&self) -> &[u8] {
        &self.ca_der
    }

    /// The run directory: configs, logs (`dovecot.log`, `postfix.log`), certificates, Maildirs.
    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }

    /// A rustls client configuration (ring provider) that trusts only the per-run CA.
    pub fn tls_client_config(&self) -> Arc<rustls::ClientConfig> {
        client_config(&self.ca_der).unwrap_or_else(|why| panic!("{why}"))
    }

    /// Both daemons' logs, for a failing test to print.
    pub fn logs(&self) -> String {
        daemon_logs(&self.run_dir)
    }

    /// A new mailbox with a unique user name derived from `prefix`, e.g.
    /// `alice-1a2b3c@dakiya.test`. Characters outside `[a-z0-9._-]` in `prefix` become `-`.
    /// Usable over POP3 and SMTP as soon as this returns.
    pub fn create_mailbox(&self, prefix: &str, password: &str) -> Mailbox {
        let n = self.next_mailbox.fetch_add(1, Ordering::Relaxed);
        let tag = self.random.hash_one(n) & 0xffff;
        let local = format!("{}-{n:x}{tag:04x}", sanitize_local_part(prefix));
        self.add_mailbox(&local, password)
            .unwrap_or_else(|why| panic!("create_mailbox({prefix:?}): {why}"))
    }

    /// A mailbox with exactly `local_part@dakiya.test` (for demos and screenshots, where names
    /// should read well). Panics if `local_part` is not `[a-z0-9._-]+` or already exists.
    pub fn create_mailbox_exact(&self, local_part: &str, password: &str) -> Mailbox {
        assert!(
            !local_part.is_empty() && sanitize_local_part(local_part) == local_part,
            "create_mailbox_exact: {local_part:?} must be [a-z0-9._-]+"
        );
        self.add_mailbox(local_part, password)
            .unwrap_or_else(|why| panic!("create_mailbox_exact({local_part:?}): {why}"))
    }

    /// A mailbox whose local part starts with `prefix` in any script (`रवि-…@dakiya.test`), for
    /// SMTPUTF8 delivery: the harness's Postfix has `smtputf8_enable = yes`. Panics if
    /// `prefix` holds white space, controls, '@', '/' or '"'.
    pub fn create_mailbox_utf8(&self, prefix: &str, password: &str) -> Mailbox {
        assert!(
            !prefix.is_empty()
                && !prefix
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '@' | '/' | '"')),
            "create_mailbox_utf8: {prefix:?} is not a plain local part"
        );
        let n = self.next_mailbox.fetch_add(1, Ordering::Relaxed);
        let tag = self.random.hash_one(n) & 0xffff;
        let local = format!("{prefix}-{n:x}{tag:04x}");
        self.add_mailbox(&local, password)
            .unwrap_or_else(|why| panic!("create_mailbox_utf8({prefix:?}): {why}"))
    }

    fn add_mailbox(&self, local_part: &str, password: &str) -> Result<Mailbox> {
        let address = format!("{local_part}@{DOMAIN}");
        let mut tables = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if tables.addresses.contains(&address) {
            return Err(format!("{address} already exists"));
        }
        tables.addresses.push(address.clone());

        let home = self.run_dir.join("mail").join(&address);
        let maildir = home.join("Maildir");
        for dir in [&home, &maildir] {
            make_dir(dir, 0o700, Some(self.mail_owner))?;
        }
        for sub in ["cur", "new", "tmp"] {
            make_dir(&maildir.join(sub), 0o700, Some(self.mail_owner))?;
        }

        // Dovecot: one passwd-file per user (`passdb` args end in `%u`). Dovecot checks a
        // passwd-file for changes at most once a second, so a user appended to a shared file
        // right after a login could stay unknown for up to a second; a new file is read on first
        // use. {PLAIN.b64} keeps any password (spaces, ':', non-ASCII) intact in the
        // colon-separated format.
        let line = format!(
            "{address}:{{PLAIN.b64}}{}::::::\n",
            base64(password.as_bytes())
        );
        write_replace(
            &self.run_dir.join("passwd.d").join(&address),
            line.as_bytes(),
            0o644,
        )?;

        // Postfix: smtpd and virtual notice that the hash file was replaced (its old inode is
        // unlinked) before they accept the next connection or delivery, and restart.
        let _ = writeln!(tables.virtual_mailboxes, "{address} {address}/Maildir/");
        write_virtual_mailboxes(&self.run_dir, &tables.virtual_mailboxes)?;

        Ok(Mailbox {
            username: address.clone(),
            address,
            password: password.to_owned(),
            maildir,
            owner: self.mail_owner,
        })
    }

    fn start() -> Result<MailServers> {
        preflight()?;
        let mail_owner = lookup_user(MAIL_USER)?;
        let postfix_user = lookup_user("postfix")?;
        let postdrop_gid = lookup_group("postdrop")?;

        let random = RandomState::new();
        let run_dir = std::env::temp_dir().join(format!(
            "dakiya-servers-{}-{:08x}",
            std::process::id(),
            random.hash_one(SystemTime::now()) & 0xffff_ffff
        ));
        fs::create_dir(&run_dir).map_err(|e| format!("create {}: {e}", run_dir.display()))?;
        // Daemon users (postfix, dovecot, dakiyatest) must reach into it.
        set_mode(&run_dir, 0o755)?;

        // The watchdog comes first, so that nothing started below can outlive this process.
        let (watchdog, mut watchdog_pipe) = spawn_watchdog(&run_dir)?;
        let mut daemons = Vec::new();
        let result = Self::start_daemons(
            &run_dir,
            mail_owner,
            postfix_user,
            postdrop_gid,
            &mut watchdog_pipe,
            &mut daemons,
        );
        let (ports, ca_pem, ca_der) = match result {
            Ok(started) => started,
            Err(why) => {
                for daemon in &mut daemons {
                    let _ = daemon.kill();
                }
                return Err(format!("{why}\n{}", daemon_logs(&run_dir)));
            }
        };
        Ok(MailServers {
            host: Ipv4Addr::LOCALHOST.to_string(),
            pop3_starttls_port: ports[0],
            pop3_tls_port: ports[1],
            submission_starttls_port: ports[2],
            submission_tls_port: ports[3],
            ca_pem,
            ca_pem_path: run_dir.join("ca.pem"),
            ca_der,
            run_dir,
            mail_owner,
            users: Mutex::new(UserTables::default()),
            next_mailbox: AtomicU64::new(1),
            random,
            _processes: Mutex::new(Processes {
                _watchdog: watchdog,
                _watchdog_pipe: watchdog_pipe,
                _daemons: daemons,
            }),
        })
    }

    /// Writes the run directory and starts both daemons; returns the ports
    /// (POP3, POP3S, submission, submissions) and the CA (PEM, DER) once all four answer.
    fn start_daemons(
        run_dir: &Path,
        mail_owner: Owner,
        postfix_user: Owner,
        postdrop_gid: u32,
        watchdog_pipe: &mut ChildStdin,
        daemons: &mut Vec<Child>,
    ) -> Result<([u16; 4], String, Vec<u8>)> {
        let certs = make_certificates()?;
        write_file(&run_dir.join("ca.pem"), certs.ca_pem.as_bytes(), 0o644)?;
        write_file(
            &run_dir.join("server.crt"),
            certs.cert_pem.as_bytes(),
            0o644,
        )?;
        write_file(&run_dir.join("server.key"), certs.key_pem.as_bytes(), 0o600)?;

        let ports = free_ports()?;
        let instance = run_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let settings = config::Settings {
            run_dir,
            instance: &instance,
            pop3_starttls_port: ports[0],
            pop3_tls_port: ports[1],
            submission_starttls_port: ports[2],
            submission_tls_port: ports[3],
            mail_uid: mail_owner.uid,
            mail_gid: mail_owner.gid,
        };

        // Dovecot.
        make_dir(&run_dir.join("dovecot-state"), 0o750, None)?;
        make_dir(&run_dir.join("mail"), 0o755, Some(mail_owner))?;
        make_dir(&run_dir.join("passwd.d"), 0o755, None)?;
        let dovecot_conf = run_dir.join("dovecot.conf");
        write_file(
            &dovecot_conf,
            config::dovecot_conf(&settings).as_bytes(),
            0o644,
        )?;

        // Postfix: the queue layout of /etc/postfix/postfix-files, made directly (the
        // `postfix check` route takes ~3 s).
        let etc = run_dir.join("postfix-etc");
        make_dir(&etc, 0o755, None)?;
        // Postfix waits (up to ~2 s, in every process) for a main.cf modified within the last
        // second to settle; these are complete when written, so date them back.
        for (name, text) in [
            ("main.cf", config::postfix_main_cf(&settings)),
            ("master.cf", config::postfix_master_cf(&settings)),
        ] {
            let path = etc.join(name);
            write_file(&path, text.as_bytes(), 0o644)?;
            backdate(&path)?;
        }
        write_virtual_mailboxes(run_dir, "")?;
        let postfix_only = Owner {
            uid: postfix_user.uid,
            gid: 0,
        };
        make_dir(&run_dir.join("postfix-data"), 0o700, Some(postfix_only))?;
        let queue = run_dir.join("postfix-queue");
        make_dir(&queue, 0o755, None)?;
        make_dir(&queue.join("pid"), 0o755, None)?;
        for dir in [
            "active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming",
            "private", "saved", "trace",
        ] {
            make_dir(&queue.join(dir), 0o700, Some(postfix_only))?;
        }
        let postdrop = Owner {
            uid: postfix_user.uid,
            gid: postdrop_gid,
        };
        make_dir(&queue.join("maildrop"), 0o730, Some(postdrop))?;
        make_dir(&queue.join("public"), 0o710, Some(postdrop))?;

        // Each daemon leads a process group, so the watchdog can kill it with all its children
        // (and a terminal's Ctrl-C reaches neither): Dovecot in the foreground in a new group,
        // the Postfix master makes its own session.
        let dovecot = spawn_daemon(
            Command::new(DOVECOT)
                .arg("-F")
                .arg("-c")
                .arg(&dovecot_conf)
                .process_group(0),
            &run_dir.join("dovecot.stderr"),
        )?;
        let _ = writeln!(watchdog_pipe, "{}", dovecot.id());
        daemons.push(dovecot);
        let master = spawn_daemon(
            Command::new(POSTFIX_MASTER).arg("-c").arg(&etc).arg("-s"),
            &run_dir.join("postfix.stderr"),
        )?;
        let _ = writeln!(watchdog_pipe, "{}", master.id());
        daemons.push(master);
        watchdog_pipe
            .flush()
            .map_err(|e| format!("watchdog pipe: {e}"))?;

        let tls = client_config(&certs.ca_der)?;
        let deadline = Instant::now() + READY_TIMEOUT;
        let checks: [(u16, bool, &str); 4] = [
            (ports[0], false, "+OK"),
            (ports[1], true, "+OK"),
            (ports[2], false, "220 "),
            (ports[3], true, "220 "),
        ];
        for (port, implicit_tls, greeting) in checks {
            wait_for_greeting(port, implicit_tls, greeting, &tls, deadline, daemons)?;
        }
        Ok((ports, certs.ca_pem, certs.ca_der))
    }
}

impl Mailbox {
    /// The Maildir (with `cur/`, `new/`, `tmp/`) that Postfix delivers to and Dovecot serves.
    pub fn maildir(&self) -> &Path {
        &self.maildir
    }

    /// Raw bytes of every message in the Maildir (new/ and cur/), in delivery order (by the
    /// time stamp in the file name, then the name).
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut files = Vec::new();
        for sub in ["new", "cur"] {
            let dir = self.maildir.join(sub);
            let entries =
                fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
            for entry in entries {
                let entry = entry.unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
                let name = entry.file_name().to_string_lossy().into_owned();
                if !name.starts_with('.') {
                    files.push((delivery_order_key(&name), entry.path()));
                }
            }
        }
        files.sort();
        files
            .into_iter()
            .filter_map(|(_, path)| match fs::read(&path) {
                Ok(bytes) => Some(bytes),
                // Dovecot may have moved it from new/ to cur/ meanwhile; the next poll sees it.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => panic!("read {}: {e}", path.display()),
            })
            .collect()
    }

    /// Drops a raw message straight into Maildir/new (for POP3 tests with crafted bytes).
    pub fn deliver_raw(&self, bytes: &[u8]) {
        static SEQUENCE: AtomicU64 = AtomicU64::new(0);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let name = format!(
            "{}.M{}P{}Q{}.dakiya-harness",
            now.as_secs(),
            now.subsec_micros(),
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        );
        let tmp = self.maildir.join("tmp").join(&name);
        let new = self.maildir.join("new").join(&name);
        let result = write_file(&tmp, bytes, 0o600)
            .and_then(|()| chown(&tmp, self.owner))
            .and_then(|()| {
                fs::rename(&tmp, &new).map_err(|e| format!("rename to {}: {e}", new.display()))
            });
        if let Err(why) = result {
            panic!("deliver_raw: {why}");
        }
    }

    /// Polls until the Maildir holds at least `count` messages or `timeout` passes (Postfix
    /// delivers asynchronously); returns what is there then. On a timeout it prints the tail of
    /// the Postfix log to stderr, so the failing assertion comes with an explanation.
    pub fn wait_for_messages(&self, count: usize, timeout: Duration) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            if Instant::now() >= deadline {
                let log = self
                    .maildir
                    .ancestors()
                    .nth(3)
                    .map(|run| tail(&run.join("postfix.log"), 30))
                    .unwrap_or_default();
                eprintln!(
                    "wait_for_messages: {} has {} of {count} messages after {timeout:?}; \
                     postfix.log ends:\n{log}",
                    self.address,
                    messages.len()
                );
                return messages;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Sort key for Maildir file names `<secs>.<…M<usecs>…>.<host>[:2,flags]`: seconds, then the
/// microseconds Dovecot and Postfix put after `M`, then the name.
fn delivery_order_key(name: &str) -> (u64, u64, String) {
    let mut parts = name.splitn(3, '.');
    let secs = parts
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(u64::MAX);
    let micros = parts
        .next()
        .and_then(|middle| {
            let after_m = &middle[middle.find('M')? + 1..];
            let digits: String = after_m.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .unwrap_or(0);
    (secs, micros, name.to_owned())
}

fn sanitize_local_part(prefix: &str) -> String {
    let cleaned: String = prefix
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "user".to_owned()
    } else {
        cleaned
    }
}

fn preflight() -> Result<()> {
    for (path, package) in [
        (DOVECOT, "dovecot-core"),
        ("/usr/lib/dovecot/pop3", "dovecot-pop3d"),
        (POSTFIX_MASTER, "postfix"),
        (POSTMAP, "postfix"),
    ] {
        if !Path::new(path).exists() {
            return Err(format!(
                "{path} is missing (package {package}): {INSTALL_HINT}"
            ));
        }
    }
    let euid = fs::metadata("/proc/self")
        .map_err(|e| format!("stat /proc/self: {e}"))?
        .uid();
    if euid != 0 {
        return Err(format!(
            "the test mail servers need root (the Postfix master runs as root and Dovecot \
             switches users); this process runs as uid {euid}"
        ));
    }
    Ok(())
}

/// Picks four distinct free ports: all four listeners are held at once, then closed just before
/// the daemons bind them.
fn free_ports() -> Result<[u16; 4]> {
    let mut listeners = Vec::new();
    let mut ports = [0u16; 4];
    for port in &mut ports {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|e| format!("bind 127.0.0.1:0: {e}"))?;
        *port = listener
            .local_addr()
            .map_err(|e| format!("local_addr: {e}"))?
            .port();
        listeners.push(listener);
    }
    Ok(ports)
}

/// The watchdog: a shell that reads daemon pids from its stdin until EOF (this process is gone,
/// however it ended), then kills each daemon's process group, waits for them to be gone, and
/// deletes the run directory.
fn spawn_watchdog(run_dir: &Path) -> Result<(Child, ChildStdin)> {
    const SCRIPT: &str = r#"
trap '' INT HUP QUIT PIPE
run=$1
pids=
while read -r pid; do pids="$pids $pid"; done
# Each daemon leads its own process group: SIGKILL the groups, which is immediate (Dovecot takes
# over a second to stop on SIGTERM) and loses nothing a test needs.
for p in $pids; do kill -s KILL -- "-$p" 2>/dev/null; kill -s KILL "$p" 2>/dev/null; done
i=0
while [ "$i" -lt 50 ]; do
  alive=
  for p in $pids; do
    # A zombie is gone too (this process was its parent; init reaps it when it gets to it).
    state=$(cut -d ' ' -f 3 "/proc/$p/stat" 2>/dev/null)
    if [ -n "$state" ] && [ "$state" != Z ]; then alive=1; fi
  done
  [ -n "$alive" ] || break
  sleep 0.1
  i=$((i + 1))
done
if [ -z "$DAKIYA_KEEP_SERVERS_DIR" ]; then rm -rf -- "$run"; fi
"#;
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(SCRIPT)
        .arg("dakiya-servers-watchdog")
        .arg(run_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own process group: a Ctrl-C in the terminal must not kill it before it cleans up.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("spawn the watchdog shell: {e}"))?;
    let pipe = child
        .stdin
        .take()
        .ok_or_else(|| "the watchdog has no stdin".to_owned())?;
    Ok((child, pipe))
}

fn spawn_daemon(command: &mut Command, output: &Path) -> Result<Child> {
    let out = fs::File::create(output).map_err(|e| format!("create {}: {e}", output.display()))?;
    let err = out
        .try_clone()
        .map_err(|e| format!("dup {}: {e}", output.display()))?;
    command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("spawn {:?}: {e}", command.get_program()))
}

/// Connects until the server greets (through TLS for the implicit-TLS ports, verified against
/// the per-run CA), or fails early if a daemon has exited.
fn wait_for_greeting(
    port: u16,
    implicit_tls: bool,
    greeting: &str,
    tls: &Arc<rustls::ClientConfig>,
    deadline: Instant,
    daemons: &mut [Child],
) -> Result<()> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut last_error = String::new();
    while Instant::now() < deadline {
        for daemon in daemons.iter_mut() {
            if let Ok(Some(status)) = daemon.try_wait() {
                return Err(format!("daemon pid {} exited: {status}", daemon.id()));
            }
        }
        match read_greeting(addr, implicit_tls, tls) {
            Ok(line) if line.starts_with(greeting) => return Ok(()),
            Ok(line) => last_error = format!("unexpected greeting {line:?}"),
            Err(e) => last_error = e,
        }
        std::thread::sleep(Duration::from_millis(15));
    }
    Err(format!(
        "port {port} did not greet with {greeting:?} within {READY_TIMEOUT:?}: {last_error}"
    ))
}

fn read_greeting(
    addr: SocketAddr,
    implicit_tls: bool,
    tls: &Arc<rustls::ClientConfig>,
) -> Result<String> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    let mut line = String::new();
    let read = if implicit_tls {
        let name = rustls::pki_types::ServerName::try_from("localhost")
            .map_err(|e| e.to_string())?
            .to_owned();
        let conn = rustls::ClientConnection::new(Arc::clone(tls), name)
            .map_err(|e| format!("TLS: {e}"))?;
        BufReader::new(rustls::StreamOwned::new(conn, stream)).read_line(&mut line)
    } else {
        BufReader::new(stream).read_line(&mut line)
    };
    read.map_err(|e| format!("read greeting from {addr}: {e}"))?;
    Ok(line)
}

fn client_config(ca_der: &[u8]) -> Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(ca_der.to_vec()))
        .map_err(|e| format!("add the per-run CA: {e}"))?;
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("rustls: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

struct Certificates {
    ca_pem: String,
    ca_der: Vec<u8>,
    cert_pem: String,
    key_pem: String,
}

/// A CA made for this run, and a server certificate it signs for `localhost` and `127.0.0.1`,
/// and for `dakiya.test` and its subdomains: account discovery's tests send guessed names
/// (`pop.dakiya.test`, `smtp.dakiya.test`, …) here, and TLS must verify them for real.
fn make_certificates() -> Result<Certificates> {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair, KeyUsagePurpose,
    };
    let err = |e: rcgen::Error| format!("rcgen: {e}");

    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Dakiya test CA (one run only)");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(err)?).map_err(err)?;

    let key = KeyPair::generate().map_err(err)?;
    let mut params = CertificateParams::new(vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "dakiya.test".to_owned(),
        "*.dakiya.test".to_owned(),
    ])
    .map_err(err)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let cert = params.signed_by(&key, &ca).map_err(err)?;

    Ok(Certificates {
        ca_pem: ca.pem(),
        ca_der: ca.der().to_vec(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Builds the hash table beside the live one and renames it into place.
fn write_virtual_mailboxes(run_dir: &Path, source: &str) -> Result<()> {
    let etc = run_dir.join("postfix-etc");
    let staging = etc.join("virtual-mailboxes.new");
    write_file(&staging, source.as_bytes(), 0o644)?;
    let output = Command::new(POSTMAP)
        .arg("-c")
        .arg(&etc)
        .arg(format!("hash:{}", staging.display()))
        .output()
        .map_err(|e| format!("run postmap: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "postmap failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let live = etc.join("virtual-mailboxes.db");
    fs::rename(etc.join("virtual-mailboxes.new.db"), &live)
        .map_err(|e| format!("rename to {}: {e}", live.display()))
}

fn lookup_user(name: &str) -> Result<Owner> {
    let passwd = fs::read_to_string("/etc/passwd").map_err(|e| format!("/etc/passwd: {e}"))?;
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&name) && fields.len() > 3)
        .and_then(|fields| {
            Some(Owner {
                uid: fields[2].parse().ok()?,
                gid: fields[3].parse().ok()?,
            })
        })
        .ok_or_else(|| format!("no user {name:?} in /etc/passwd: {INSTALL_HINT}"))
}

fn lookup_group(name: &str) -> Result<u32> {
    let group = fs::read_to_string("/etc/group").map_err(|e| format!("/etc/group: {e}"))?;
    group
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&name) && fields.len() > 2)
        .and_then(|fields| fields[2].parse().ok())
        .ok_or_else(|| format!("no group {name:?} in /etc/group: {INSTALL_HINT}"))
}

fn make_dir(path: &Path, mode: u32, owner: Option<Owner>) -> Result<()> {
    fs::create_dir(path).map_err(|e| format!("create {}: {e}", path.display()))?;
    set_mode(path, mode)?;
    match owner {
        Some(owner) => chown(path, owner),
        None => Ok(()),
    }
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| format!("chmod {}: {e}", path.display()))
}

fn chown(path: &Path, owner: Owner) -> Result<()> {
    std::os::unix::fs::chown(path, Some(owner.uid), Some(owner.gid))
        .map_err(|e| format!("chown {}: {e}", path.display()))
}

fn backdate(path: &Path) -> Result<()> {
    let past = SystemTime::now() - Duration::from_secs(60);
    fs::File::options()
        .write(true)
        .open(path)
        .and_then(|file| file.set_modified(past))
        .map_err(|e| format!("set the mtime of {}: {e}", path.display()))
}

fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    fs::write(path, bytes).map_err(|e| format!("write {}: {e}", path.display()))?;
    set_mode(path, mode)
}

/// Writes beside `path` and renames over it, so a reader never sees half a file.
fn write_replace(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let mut staging = path.as_os_str().to_owned();
    staging.push(".new");
    let staging = PathBuf::from(staging);
    write_file(&staging, bytes, mode)?;
    fs::rename(&staging, path).map_err(|e| format!("rename to {}: {e}", path.display()))
}

fn daemon_logs(run_dir: &Path) -> String {
    let mut out = String::new();
    for name in [
        "dovecot.log",
        "dovecot.stderr",
        "postfix.log",
        "postfix.stderr",
    ] {
        let _ = write!(
            out,
            "\n--- {} ---\n{}",
            run_dir.join(name).display(),
            tail(&run_dir.join(name), 40)
        );
    }
    out
}

fn tail(path: &Path, lines: usize) -> String {
    match fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("({e})"),
    }
}

/// Standard base64 with padding (RFC 4648 §4), for passwd-file passwords.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn maildir_names_sort_by_delivery_time() {
        let mut names = vec![
            "1700000001.M5P1Q0.h",
            "1700000000.V803I9M999999.mail.dakiya.test",
            "1700000000.V803I1M10.mail.dakiya.test:2,S",
            "1700000000.M20P1Q1.dakiya-harness",
        ];
        names.sort_by_key(|n| delivery_order_key(n));
        assert_eq!(
            names,
            [
                "1700000000.V803I1M10.mail.dakiya.test:2,S",
                "1700000000.M20P1Q1.dakiya-harness",
                "1700000000.V803I9M999999.mail.dakiya.test",
                "1700000001.M5P1Q0.h",
            ]
        );
    }

    #[test]
    fn local_parts_are_sanitized() {
        assert_eq!(sanitize_local_part("Alice Smith+x"), "alice-smith-x");
        assert_eq!(sanitize_local_part(""), "user");
        assert_eq!(sanitize_local_part("ok.name_1-2"), "ok.name_1-2");
    }
}
