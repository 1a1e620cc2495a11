//! Bug 10 (logging): trace logs printed `PASS <password>` and panicked on a non-UTF-8 reply.
//! A capturing subscriber turns every trace event on, so the formatting code really runs.

mod support;

use std::{
    fmt::{Debug, Write},
    sync::{Arc, Mutex},
    time::Duration,
};

use support::{serve, within, GREETING};
use tracing::{
    field::{Field, Visit},
    span, Event, Metadata, Subscriber,
};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<String>>);

struct Line<'a>(&'a mut String);

impl Visit for Line<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }
    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut text = String::new();
        event.record(&mut Line(&mut text));
        if let Ok(mut log) = self.0.lock() {
            log.push_str(&text);
            log.push('\n');
        }
    }
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}
}

#[tokio::test]
async fn trace_logs_hold_no_password_and_survive_binary_replies() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());

    let (address, server) = serve(|mut peer| async move {
        peer.send(GREETING).await;
        peer.expect("CAPA").await;
        peer.send("+OK\r\nUSER\r\n.\r\n").await;
        peer.expect("USER asha").await;
        peer.send(b"+OK \xff\xfe\xc3 not UTF-8\r\n").await;
        peer.expect("PASS hunter2 पासवर्ड").await;
        peer.send(b"-ERR \x1b[31m\xff\r\n").await;
        peer
    })
    .await;
    let mut client = async_pop::connect_plain(address).await.unwrap();
    let error = within(
        Duration::from_secs(10),
        client.login("asha", "hunter2 पासवर्ड"),
    )
    .await;
    assert!(error.unwrap_err().is_server_error());
    server.await.unwrap();

    let log = capture.0.lock().unwrap().clone();
    assert!(log.contains("USER asha"), "the trace ran: {log}");
    assert!(log.contains("PASS <redacted>"), "{log}");
    assert!(!log.contains("hunter2"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "control characters are escaped: {log}"
    );
}
