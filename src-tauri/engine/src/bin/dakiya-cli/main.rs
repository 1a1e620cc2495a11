//! `dakiya-cli`: the same engine and data directory as the desktop app, without a window —
//! for scripts, tests and benchmarks. Errors print as one sentence and exit non-zero; `--json`
//! prints results (and errors) as JSON.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use dakiya_engine::{
    AccountSettings, Engine, Error, ErrorInfo, ErrorKind, OutgoingMessage, PasswordStorage,
    Passwords, Pop3Mode, Security, ServerSettings, TrustedCertificate,
};

#[derive(Parser)]
#[command(
    name = "dakiya-cli",
    version,
    about = "Dakiya's mail engine on the command line"
)]
struct Cli {
    /// Where Dakiya keeps its data (default: $DAKIYA_DATA_DIR, else the XDG data directory).
    #[arg(long, global = true, env = "DAKIYA_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Keep passwords in memory for this run only, even when a keyring is available.
    #[arg(long, global = true)]
    no_keyring: bool,
    /// Print results as JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Manage accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Find an address's POP3 and SMTP servers as the app's setup does (the shipped provider
    /// list, the provider's autoconfig file, then guessing), and print them with the
    /// `account add` line that uses them.
    Discover { email: String },
    /// Download new mail over POP3 (every account when none is given).
    Fetch { account: Option<i64> },
    /// Keep checking every account at its interval, printing what arrives, until interrupted.
    Watch,
    /// Send a plain-text message; the body is read from standard input when --body is absent.
    Send {
        #[arg(long)]
        account: i64,
        #[arg(long)]
        to: String,
        #[arg(long, default_value = "")]
        cc: String,
        /// Recipients who are not named in the message.
        #[arg(long, default_value = "")]
        bcc: String,
        #[arg(long, default_value = "")]
        subject: String,
        #[arg(long)]
        body: Option<String>,
        /// A file to attach (repeat for several).
        #[arg(long = "attach")]
        attachments: Vec<String>,
    },
    /// List what waits in the outbox; with --send, send all of it now (held messages too).
    Outbox {
        #[arg(long)]
        send: bool,
    },
    /// List messages, newest first.
    List {
        #[arg(long)]
        account: Option<i64>,
        #[arg(long, value_enum, default_value = "inbox")]
        folder: FolderArg,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Newest messages matching a search: words (the last may be a word's start), "phrases",
    /// from: to: subject: is:unread|read|starred has:attachment before: after: in:FOLDER.
    /// Prints each hit like `list`, then its snippet with matched words in [brackets].
    Search {
        #[arg(required = true)]
        words: Vec<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Show one message (and mark it read).
    Show {
        id: i64,
        /// Print the raw bytes exactly as stored.
        #[arg(long)]
        raw: bool,
    },
    /// Download the whole of a message that arrived as headers only or over the size limit.
    DownloadWhole { id: i64 },
    /// Delete a message here (its account may then delete it from the server too).
    Delete { id: i64 },
}

#[derive(Clone, Copy, ValueEnum)]
enum SecurityArg {
    Tls,
    Starttls,
}

#[derive(Clone, Copy, ValueEnum)]
enum FolderArg {
    Inbox,
    Sent,
}

#[derive(Clone, Copy, ValueEnum)]
enum ModeArg {
    Keep,
    Delete,
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Add an account. Passwords come from $DAKIYA_POP3_PASSWORD / $DAKIYA_SMTP_PASSWORD.
    Add(AccountArgs),
    /// List accounts.
    List,
    /// Log in to both servers and report.
    Test { account: i64 },
    /// Trust one extra CA or self-signed server certificate (PEM file) for this account.
    Trust { account: i64, pem_file: PathBuf },
}

#[derive(clap::Args)]
struct AccountArgs {
    #[arg(long)]
    name: String,
    #[arg(long)]
    email: String,
    #[arg(long)]
    pop3_host: String,
    #[arg(long, value_enum, default_value = "tls")]
    pop3_security: SecurityArg,
    /// Default: 995 for TLS, 110 for STARTTLS.
    #[arg(long)]
    pop3_port: Option<u16>,
    /// Default: the e-mail address.
    #[arg(long)]
    pop3_user: Option<String>,
    #[arg(long, value_enum, default_value = "keep")]
    pop3_mode: ModeArg,
    /// In keep mode: delete messages from the server this many days after download.
    #[arg(long)]
    keep_days: Option<u32>,
    /// In keep mode: delete a message from the server once it is deleted here.
    #[arg(long)]
    delete_when_deleted_here: bool,
    /// Download only the headers; the body comes with `dakiya-cli download-whole`.
    #[arg(long)]
    headers_only: bool,
    /// Download messages larger than this many KiB as headers and first lines only.
    #[arg(long)]
    max_message_kib: Option<u32>,
    /// Check for new mail every this many minutes while `dakiya-cli watch` or the app runs.
    #[arg(long, default_value_t = 10)]
    check_every: u32,
    #[arg(long)]
    smtp_host: String,
    #[arg(long, value_enum, default_value = "starttls")]
    smtp_security: SecurityArg,
    /// Default: 465 for TLS, 587 for STARTTLS.
    #[arg(long)]
    smtp_port: Option<u16>,
    /// Default: the e-mail address.
    #[arg(long)]
    smtp_user: Option<String>,
    /// A CA or self-signed server certificate (PEM) to trust for this account.
    #[arg(long)]
    trust_cert: Option<PathBuf>,
}

fn security(arg: SecurityArg) -> Security {
    match arg {
        SecurityArg::Tls => Security::Tls,
        SecurityArg::Starttls => Security::StartTls,
    }
}

fn passwords_from_env() -> Passwords {
    Passwords {
        pop3: std::env::var("DAKIYA_POP3_PASSWORD").unwrap_or_default(),
        smtp: std::env::var("DAKIYA_SMTP_PASSWORD").unwrap_or_default(),
    }
}

fn read_certificate(path: &PathBuf) -> Result<TrustedCertificate, Error> {
    let pem = std::fs::read_to_string(path).map_err(|error| {
        Error::new(
            ErrorKind::Config,
            format!("cannot read {}: {error}", path.display()),
        )
    })?;
    TrustedCertificate::from_pem(&pem)
}

fn settings(args: AccountArgs) -> Result<AccountSettings, Error> {
    let pop3_security = security(args.pop3_security);
    let smtp_security = security(args.smtp_security);
    Ok(AccountSettings {
        display_name: args.name,
        pop3: ServerSettings {
            host: args.pop3_host,
            port: args.pop3_port.unwrap_or(pop3_security.default_pop3_port()),
            security: pop3_security,
            username: args.pop3_user.unwrap_or_else(|| args.email.clone()),
        },
        pop3_mode: match args.pop3_mode {
            ModeArg::Keep => Pop3Mode::KeepOnServer,
            ModeArg::Delete => Pop3Mode::DeleteAfterDownload,
        },
        keep_days: args.keep_days,
        delete_when_deleted_here: args.delete_when_deleted_here,
        headers_only: args.headers_only,
        max_message_kib: args.max_message_kib,
        check_interval_minutes: Some(args.check_every),
        smtp: ServerSettings {
            host: args.smtp_host,
            port: args.smtp_port.unwrap_or(smtp_security.default_smtp_port()),
            security: smtp_security,
            username: args.smtp_user.unwrap_or_else(|| args.email.clone()),
        },
        email: args.email,
        trusted_certificate: args.trust_cert.as_ref().map(read_certificate).transpose()?,
        reply_to: String::new(),
        signature: String::new(),
        identities: Vec::new(),
    })
}

fn print<T: serde::Serialize>(json: bool, value: &T, text: impl FnOnce(&T) -> String) {
    if json {
        match serde_json::to_string_pretty(value) {
            Ok(out) => println!("{out}"),
            Err(error) => eprintln!("cannot print JSON: {error}"),
        }
    } else {
        println!("{}", text(value));
    }
}

/// Passwords given in the environment are used for this run (needed when no keyring runs).
async fn remember_env_passwords(engine: &Engine, account: i64) -> Result<(), Error> {
    let passwords = passwords_from_env();
    if passwords.pop3.is_empty() && passwords.smtp.is_empty() {
        return Ok(());
    }
    engine.remember_passwords(account, &passwords)
}

fn security_word(security: Security) -> &'static str {
    match security {
        Security::Tls => "tls",
        Security::StartTls => "starttls",
        Security::PlaintextDangerous => "none",
    }
}

/// What discovery found, for a person: where from, each server, the provider's notes, and the
/// command that adds the account with these settings.
fn discovery_text(email: &str, found: &dakiya_engine::Discovery) -> String {
    let source = match found.source {
        dakiya_engine::DiscoverySource::Database => "Dakiya's provider list",
        dakiya_engine::DiscoverySource::ProviderAutoconfig => "the provider's autoconfig file",
        dakiya_engine::DiscoverySource::Guessed => "trying the usual server names",
    };
    let mut lines = vec![if found.provider.is_empty() {
        format!("Found by {source}:")
    } else {
        format!("{}, found in {source}:", found.provider)
    }];
    let mut add = format!("dakiya-cli account add --name NAME --email {email}");
    for (name, flag, server) in [("POP3", "pop3", &found.pop3), ("SMTP", "smtp", &found.smtp)] {
        let settings = &server.server;
        let security = security_word(settings.security);
        lines.push(format!(
            "  {name}  {}:{}  {security}  user {}{}",
            settings.host,
            settings.port,
            settings.username,
            if server.corrected {
                "  (security corrected to match the port)"
            } else {
                ""
            }
        ));
        add.push_str(&format!(
            " --{flag}-host {} --{flag}-port {} --{flag}-security {security}",
            settings.host, settings.port
        ));
        if settings.username != email {
            add.push_str(&format!(" --{flag}-user {}", settings.username));
        }
    }
    for note in &found.notes {
        let english = note
            .texts
            .iter()
            .find(|text| {
                text.lang
                    .as_deref()
                    .is_none_or(|lang| lang.starts_with("en"))
            })
            .or_else(|| note.texts.first());
        if let Some(text) = english {
            lines.push(format!("  Note: {}", text.text));
        }
        if let Some(url) = &note.url {
            lines.push(format!("        {url}"));
        }
    }
    lines.push(format!("To add it: {add}"));
    lines.join("\n")
}

async fn run(cli: Cli) -> Result<(), Error> {
    let data_dir = match cli.data_dir {
        Some(dir) => dir,
        None => dakiya_engine::default_data_dir()?,
    };
    let storage = if cli.no_keyring {
        PasswordStorage::MemoryOnly
    } else {
        PasswordStorage::KeyringIfAvailable
    };
    let engine = Engine::open(&data_dir, storage)?;
    let json = cli.json;
    match cli.command {
        Command::Account(AccountCommand::Add(args)) => {
            let account = engine
                .save_account(None, settings(args)?, passwords_from_env())
                .await?;
            if !engine.keyring_available() {
                eprintln!("No keyring is running: the passwords are not saved; pass them again in the environment.");
            }
            print(json, &account, |account| {
                format!("added account {}", account.id)
            });
        }
        Command::Account(AccountCommand::List) => {
            let accounts = engine.accounts().await?;
            print(json, &accounts, |accounts| {
                let lines: Vec<String> = accounts
                    .iter()
                    .map(|a| {
                        format!(
                            "{}\t{}\t{}",
                            a.id, a.settings.email, a.settings.display_name
                        )
                    })
                    .collect();
                lines.join("\n")
            });
        }
        Command::Account(AccountCommand::Test { account }) => {
            remember_env_passwords(&engine, account).await?;
            let settings = engine.account(account).await?.settings;
            let report = engine
                .test_connection(Some(account), settings, Passwords::default())
                .await?;
            print(json, &report, |report| {
                let line = |name: &str, outcome: &dakiya_engine::CheckOutcome| match &outcome.error
                {
                    None => format!("{name}: logged in"),
                    Some(error) => format!("{name}: {}", error.message),
                };
                format!(
                    "{}\n{}",
                    line("POP3", &report.pop3),
                    line("SMTP", &report.smtp)
                )
            });
            if !(report.pop3.ok && report.smtp.ok) {
                return Err(Error::new(ErrorKind::Auth, "the connection test failed"));
            }
        }
        Command::Account(AccountCommand::Trust { account, pem_file }) => {
            let certificate = read_certificate(&pem_file)?;
            let mut settings = engine.account(account).await?.settings;
            settings.trusted_certificate = Some(certificate.clone());
            engine
                .save_account(Some(account), settings, Passwords::default())
                .await?;
            print(json, &certificate, |c| {
                format!("trusted, SHA-256 {}", c.sha256_fingerprint)
            });
        }
        Command::Discover { email } => {
            let found = engine.discover_account(&email).await?;
            print(json, &found, |found| discovery_text(&email, found));
        }
        Command::Fetch { account } => {
            let accounts = match account {
                Some(id) => vec![engine.account(id).await?],
                None => engine.accounts().await?,
            };
            for account in accounts {
                remember_env_passwords(&engine, account.id).await?;
                let progress = |p: dakiya_engine::FetchProgress| {
                    if !json && p.total > 0 {
                        eprint!("\r{} of {}", p.current, p.total);
                    }
                };
                let fetched = engine.fetch(account.id, &progress).await;
                if !json {
                    // Ends the "n of N" line, also when an error follows it.
                    eprintln!();
                }
                let fetched = fetched?;
                let report = dakiya_engine::FetchReport::from(&fetched);
                print(json, &report, |r| {
                    format!(
                        "account {}: {} new message(s)",
                        r.account_id, r.new_messages
                    )
                });
            }
            // Mail is safe and listed already; leave it searchable too before exiting.
            engine.wait_until_indexed().await;
        }
        Command::Watch => {
            for account in engine.accounts().await? {
                remember_env_passwords(&engine, account.id).await?;
            }
            let engine = std::sync::Arc::new(engine);
            let mut events = engine.subscribe();
            tokio::spawn(std::sync::Arc::clone(&engine).run_scheduler());
            // Runs until interrupted (Ctrl-C ends the process; every commit is already durable).
            loop {
                match events.recv().await {
                    Ok(dakiya_engine::EngineEvent::MailArrived { report, .. }) => {
                        print(json, &report, |r| {
                            format!(
                                "account {}: {} new message(s)",
                                r.account_id, r.new_messages
                            )
                        });
                    }
                    Ok(dakiya_engine::EngineEvent::FetchFailed(failure)) => {
                        let message = &failure.error.message;
                        eprintln!("dakiya-cli: account {}: {message}", failure.account_id);
                    }
                    Ok(dakiya_engine::EngineEvent::FetchProgress(_))
                    | Ok(dakiya_engine::EngineEvent::FetchFinished(_))
                    | Ok(dakiya_engine::EngineEvent::OutboxChanged)
                    | Ok(dakiya_engine::EngineEvent::DraftsChanged)
                    | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
                }
            }
        }
        Command::Send {
            account,
            to,
            cc,
            bcc,
            subject,
            body,
            attachments,
        } => {
            remember_env_passwords(&engine, account).await?;
            let attachments = engine.attachments_from_files(attachments).await?;
            let body = match body {
                Some(body) => body,
                None => {
                    let mut text = String::new();
                    std::io::stdin()
                        .read_to_string(&mut text)
                        .map_err(|error| {
                            Error::new(ErrorKind::Config, format!("cannot read the body: {error}"))
                        })?;
                    text
                }
            };
            let report = engine
                .send(
                    account,
                    OutgoingMessage {
                        to,
                        cc,
                        bcc,
                        subject,
                        body,
                        attachments,
                        ..OutgoingMessage::default()
                    },
                )
                .await?;
            print(json, &report, describe_outcome);
            if !matches!(report.outcome, dakiya_engine::SendOutcome::Sent) && !json {
                return Err(Error::new(
                    ErrorKind::Network,
                    "the message is in the outbox and will be sent later",
                ));
            }
        }
        Command::Outbox { send } => {
            if send {
                for account in engine.accounts().await? {
                    remember_env_passwords(&engine, account.id).await?;
                }
                let reports = engine.flush_outbox(true).await?;
                print(json, &reports, |reports| {
                    let lines: Vec<String> = reports.iter().map(describe_outcome).collect();
                    lines.join("\n")
                });
            } else {
                let items = engine.outbox().await?;
                print(json, &items, |items| {
                    let lines: Vec<String> = items
                        .iter()
                        .map(|item| {
                            let state = match &item.last_error {
                                None => "queued".to_owned(),
                                Some(error) if item.held => format!("held: {}", error.message),
                                Some(error) => format!("will retry: {}", error.message),
                            };
                            format!("{}\t<{}>\t{}\t{state}", item.id, item.message_id, item.to)
                        })
                        .collect();
                    lines.join("\n")
                });
            }
        }
        Command::List {
            account,
            folder,
            limit,
        } => {
            let folder = match folder {
                FolderArg::Inbox => dakiya_engine::store::Folder::Inbox,
                FolderArg::Sent => dakiya_engine::store::Folder::Sent,
            };
            let messages = engine.list_messages(folder, account, 0, limit).await?;
            print_list(json, &messages);
        }
        Command::Search { words, limit } => {
            engine.wait_until_indexed().await;
            let hits = engine.search(words.join(" "), limit).await?;
            print_hits(json, &hits);
        }
        Command::Show { id, raw } => {
            if raw {
                use std::io::Write;
                let bytes = engine.raw_message(id).await?;
                std::io::stdout().write_all(&bytes).map_err(|error| {
                    Error::new(ErrorKind::Internal, format!("cannot write: {error}"))
                })?;
            } else {
                let detail = engine.open_message(id).await?;
                print_detail(json, &detail);
            }
        }
        Command::DownloadWhole { id } => {
            let summary = engine.message_summary(id).await?;
            remember_env_passwords(&engine, summary.account_id).await?;
            let detail = engine.download_whole(id).await?;
            print_detail(json, &detail);
        }
        Command::Delete { id } => {
            engine.delete_message(id).await?;
            print(json, &id, |id| format!("message {id} deleted"));
        }
    }
    Ok(())
}

fn describe_outcome(report: &dakiya_engine::SendReport) -> String {
    match &report.outcome {
        dakiya_engine::SendOutcome::Sent => format!("sent <{}>", report.message_id),
        dakiya_engine::SendOutcome::WillRetry { error, .. } => format!(
            "<{}> is in the outbox and will be sent again soon: {}",
            report.message_id, error.message
        ),
        dakiya_engine::SendOutcome::Held { error } => format!(
            "<{}> is held in the outbox: {}",
            report.message_id, error.message
        ),
    }
}

fn print_list(json: bool, messages: &Vec<dakiya_engine::MessageSummary>) {
    print(json, messages, |messages| {
        let lines: Vec<String> = messages
            .iter()
            .map(|m| {
                let unread = if m.is_read { ' ' } else { '*' };
                let from = if m.from_name.is_empty() {
                    &m.from_address
                } else {
                    &m.from_name
                };
                format!("{}{unread}\t{from}\t{}", m.id, m.subject)
            })
            .collect();
        lines.join("\n")
    });
}

fn print_hits(json: bool, hits: &Vec<dakiya_engine::SearchHit>) {
    use dakiya_engine::store::{MARK_END, MARK_START};
    // A terminal has no <mark>: brackets show the matched words.
    let plain = |text: &str| text.replace(MARK_START, "[").replace(MARK_END, "]");
    print(json, hits, |hits| {
        let lines: Vec<String> = hits
            .iter()
            .map(|hit| {
                let m = &hit.summary;
                let unread = if m.is_read { ' ' } else { '*' };
                let from = if m.from_name.is_empty() {
                    &m.from_address
                } else {
                    &m.from_name
                };
                format!(
                    "{}{unread}\t{from}\t{}\n\t{}",
                    m.id,
                    plain(&hit.subject),
                    plain(&hit.snippet)
                )
            })
            .collect();
        lines.join("\n")
    });
}

fn print_detail(json: bool, detail: &dakiya_engine::MessageDetail) {
    print(json, detail, |d| {
        let body = d.text_body.clone().or_else(|| d.sanitized_html.clone());
        format!(
            "From: {} <{}>\nTo: {}\nSubject: {}\n\n{}",
            d.summary.from_name,
            d.summary.from_address,
            d.to,
            d.summary.subject,
            body.unwrap_or_default()
        )
    });
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cli = Cli::parse();
    let json = cli.json;
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if json {
                print(true, &ErrorInfo::from(&error), |_| String::new());
            } else {
                eprintln!("dakiya-cli: {}", error.chain());
            }
            ExitCode::FAILURE
        }
    }
}
