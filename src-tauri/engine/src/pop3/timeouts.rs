//! How long each step of a POP3 session may take (DESIGN §4: every step has a deadline).

use std::time::Duration;

/// Deadlines for one session. A step that overruns fails with `ErrorKind::Timeout` and ends
/// the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    /// Resolving the host name and opening the TCP connection.
    pub connect: Duration,
    /// The TLS handshake (implicit TLS, or after STLS).
    pub tls: Duration,
    /// The greeting and each command's complete reply.
    pub command: Duration,
    /// extra time per MiB of a RETR
    pub per_mib: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(15),
            tls: Duration::from_secs(15),
            command: Duration::from_secs(30),
            per_mib: Duration::from_secs(10),
        }
    }
}

impl Timeouts {
    /// RETR's deadline grows with the size LIST announced, so a 50 MB message on a slow line
    /// is not cut off while a stalled small one still fails in `command`. Saturates rather
    /// than panicking on an absurd size from the server.
    pub fn retr(&self, size_hint: u64) -> Duration {
        let mib = size_hint as f64 / (1024.0 * 1024.0);
        let extra =
            Duration::try_from_secs_f64(self.per_mib.as_secs_f64() * mib).unwrap_or(Duration::MAX);
        self.command.saturating_add(extra)
    }
}

/// "30 s", "300 ms", "1.5 s": the deadline as the error message states it.
pub(crate) fn describe(limit: Duration) -> String {
    if limit.subsec_millis() == 0 {
        format!("{} s", limit.as_secs())
    } else if limit < Duration::from_secs(1) {
        format!("{} ms", limit.as_millis())
    } else {
        format!("{:.1} s", limit.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retr_deadline_scales_with_size() {
        let t = Timeouts::default();
        assert_eq!(t.retr(0), Duration::from_secs(30));
        assert_eq!(t.retr(1024 * 1024), Duration::from_secs(40));
        assert_eq!(t.retr(512 * 1024), Duration::from_secs(35));
        assert!(t.retr(u64::MAX) > Duration::from_secs(1 << 40));
        let absurd = Timeouts {
            per_mib: Duration::MAX,
            ..Timeouts::default()
        };
        assert_eq!(absurd.retr(u64::MAX), Duration::MAX);
    }

    #[test]
    fn deadlines_read_naturally() {
        assert_eq!(describe(Duration::from_secs(30)), "30 s");
        assert_eq!(describe(Duration::from_millis(300)), "300 ms");
        assert_eq!(describe(Duration::from_millis(1500)), "1.5 s");
    }
}
