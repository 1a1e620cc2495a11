//! Which RETRs to have in flight (RFC 2449 §6.6 PIPELINING). Waiting for each reply before
//! sending the next RETR left both cores ~37 % idle in the bench against Dovecot: the server
//! sat idle during our round trip, we sat idle during its. The plan is the messages the fetch
//! will ask for, in order; the window keeps a few of them asked for ahead.

use std::collections::VecDeque;

/// At most this many RETRs in flight. Each command is ~12 bytes, so the commands never come
/// near filling a TCP window (RFC 2449 §6.6). Measured on the bench (2,000 × 20 KB, Dovecot,
/// TLS), the RETR loop took ~390 ms with 16, ~355 ms with 32 and ~335 ms with 64 (and 2 MiB):
/// 32 takes most of the gain while keeping what a stop reads for nothing small.
pub(super) const WINDOW_MESSAGES: usize = 32;

/// At most this many bytes (by LIST size) in flight, so a message bigger than this is never
/// asked for before the caller asks for it: one it then skips (headers only, too big) is not
/// downloaded, and what is read ahead before another command stays small.
pub(super) const WINDOW_BYTES: u64 = 1024 * 1024;

/// A message number and its size from LIST.
pub(super) type Planned = (u32, u64);

#[derive(Debug, Default)]
pub(super) struct ReadAhead {
    /// Messages the caller will RETR next, in order, not asked for yet.
    planned: VecDeque<Planned>,
    /// Asked for, reply not read yet: always the client's `retrs_due`, in the same order.
    pub(super) in_flight: VecDeque<Planned>,
    /// Replies read before the caller asked for them, because another command had to go out.
    /// A `-ERR` is kept as such and answers its message only.
    pub(super) ready: VecDeque<(u32, async_pop::Result<Vec<u8>>)>,
}

/// How `retr(number)` goes, given what is planned and in flight.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Route {
    /// Its reply was read already (it is at the front of `ready`).
    Ready,
    /// Read and throw away the replies to the first `skip` RETRs in flight (their messages
    /// the caller passed over), then read this one's; `send` first goes out to keep the
    /// window full.
    Pipelined { skip: Vec<Planned>, send: Vec<u32> },
    /// Not planned (a fallback after a refused TOP, say): read the replies in flight into
    /// `ready`, as for any other command, then one RETR the ordinary way. The plan stays.
    Unplanned,
}

impl ReadAhead {
    pub(super) fn plan(&mut self, messages: impl IntoIterator<Item = Planned>) {
        self.planned = messages.into_iter().collect();
    }

    /// Decides how to get `number`, updating the bookkeeping as if it succeeded: afterwards
    /// `in_flight` holds only the RETRs after it. On failure the session is dropped, so the
    /// bookkeeping no longer matters.
    pub(super) fn route(&mut self, number: u32) -> Route {
        if let Some(position) = self.ready.iter().position(|(n, _)| *n == number) {
            // Replies read before it were for messages the caller passed over.
            self.ready.drain(..position);
            return Route::Ready;
        }
        let skip: Vec<Planned> =
            if let Some(position) = self.in_flight.iter().position(|(n, _)| *n == number) {
                self.in_flight.drain(..position).collect()
            } else if let Some(position) = self.planned.iter().position(|(n, _)| *n == number) {
                self.planned.drain(..position);
                self.in_flight.drain(..).collect()
            } else {
                return Route::Unplanned;
            };
        // Everything read ahead came before `number` in the plan: passed over.
        self.ready.clear();
        let send = self.top_up();
        // Its reply is read next.
        self.in_flight.pop_front();
        Route::Pipelined { skip, send }
    }

    /// Moves planned messages into flight while the window allows. The front of the plan
    /// (the message wanted now) goes whatever its size; later ones only within the window.
    /// Refills only once half the window has drained, so commands go out several per write.
    fn top_up(&mut self) -> Vec<u32> {
        let mut send = Vec::new();
        if self.in_flight.is_empty() {
            match self.planned.pop_front() {
                Some(first) => {
                    self.in_flight.push_back(first);
                    send.push(first.0);
                }
                None => return send,
            }
        } else if self.in_flight.len() > WINDOW_MESSAGES / 2 {
            return send;
        }
        let mut bytes: u64 = self.in_flight.iter().map(|(_, size)| size).sum();
        while let Some(&(number, size)) = self.planned.front() {
            if self.in_flight.len() >= WINDOW_MESSAGES || bytes.saturating_add(size) > WINDOW_BYTES
            {
                break;
            }
            self.planned.pop_front();
            self.in_flight.push_back((number, size));
            bytes = bytes.saturating_add(size);
            send.push(number);
        }
        send
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(numbers: std::ops::RangeInclusive<u32>) -> Vec<Planned> {
        numbers.map(|n| (n, 20 * 1024)).collect()
    }

    fn numbers(planned: &[Planned]) -> Vec<u32> {
        planned.iter().map(|(n, _)| *n).collect()
    }

    #[test]
    fn fills_the_window_then_refills_by_halves() {
        let window = WINDOW_MESSAGES as u32;
        let mut ahead = ReadAhead::default();
        ahead.plan(small(1..=3 * window));
        let Route::Pipelined { skip, send } = ahead.route(1) else {
            panic!()
        };
        assert!(skip.is_empty());
        assert_eq!(send, (1..=window).collect::<Vec<_>>());
        // Reading 1 leaves the rest in flight: no refill until half the window has drained.
        assert_eq!(ahead.in_flight.len(), WINDOW_MESSAGES - 1);
        for n in 2..=window / 2 {
            assert_eq!(
                ahead.route(n),
                Route::Pipelined {
                    skip: vec![],
                    send: vec![]
                }
            );
        }
        let Route::Pipelined { send, .. } = ahead.route(window / 2 + 1) else {
            panic!()
        };
        assert_eq!(send, (window + 1..=window + window / 2).collect::<Vec<_>>());
        assert_eq!(ahead.in_flight.len(), WINDOW_MESSAGES - 1);
    }

    #[test]
    fn big_messages_are_never_asked_for_ahead() {
        let mut ahead = ReadAhead::default();
        let big = 5 * WINDOW_BYTES;
        ahead.plan([(1, 1000), (2, big), (3, 1000), (4, 1000)]);
        let Route::Pipelined { send, .. } = ahead.route(1) else {
            panic!()
        };
        assert_eq!(send, [1], "2 would pass the byte window");
        let Route::Pipelined { send, .. } = ahead.route(2) else {
            panic!()
        };
        assert_eq!(send, [2], "asked for now, so it goes whatever its size");
        let Route::Pipelined { send, .. } = ahead.route(3) else {
            panic!()
        };
        assert_eq!(send, [3, 4]);
    }

    #[test]
    fn the_byte_window_bounds_what_is_in_flight() {
        let mut ahead = ReadAhead::default();
        let size = WINDOW_BYTES / 4;
        ahead.plan((1..=10).map(|n| (n, size)));
        let Route::Pipelined { send, .. } = ahead.route(1) else {
            panic!()
        };
        assert_eq!(send, [1, 2, 3, 4]);
    }

    #[test]
    fn skipping_planned_messages_reads_only_those_already_asked_for() {
        let mut ahead = ReadAhead::default();
        ahead.plan(small(1..=100));
        ahead.route(1);
        // 2 and on are in flight; the caller goes on with 5: 2, 3, 4 must be read and dropped.
        let Route::Pipelined { skip, .. } = ahead.route(5) else {
            panic!()
        };
        assert_eq!(numbers(&skip), [2, 3, 4]);
        assert_eq!(ahead.in_flight.front().map(|p| p.0), Some(6));
        ahead.in_flight.clear();
        // Nothing in flight, 80 planned further on: those before it leave the plan unasked.
        let Route::Pipelined { skip, send } = ahead.route(80) else {
            panic!()
        };
        assert!(skip.is_empty());
        assert_eq!(send.first(), Some(&80));
    }

    #[test]
    fn an_unplanned_message_keeps_the_plan_and_what_is_in_flight() {
        let mut ahead = ReadAhead::default();
        ahead.plan(small(1..=5));
        ahead.route(1);
        assert_eq!(ahead.route(99), Route::Unplanned);
        assert_eq!(numbers(&Vec::from(ahead.in_flight.clone())), [2, 3, 4, 5]);
        ahead.ready.push_back((2, Ok(b"two".to_vec())));
        ahead.in_flight.pop_front();
        assert_eq!(ahead.route(98), Route::Unplanned);
        assert_eq!(
            ahead.route(2),
            Route::Ready,
            "read ahead before 98 and still wanted"
        );
    }

    #[test]
    fn replies_read_ahead_are_served_and_passed_over_ones_dropped() {
        let mut ahead = ReadAhead::default();
        ahead.plan(small(4..=9));
        ahead.ready.push_back((1, Ok(b"one".to_vec())));
        ahead.ready.push_back((2, Ok(b"two".to_vec())));
        ahead.ready.push_back((3, Ok(b"three".to_vec())));
        assert_eq!(ahead.route(2), Route::Ready);
        assert_eq!(ahead.ready.front().map(|r| r.0), Some(2));
        ahead.ready.pop_front();
        assert!(matches!(ahead.route(4), Route::Pipelined { .. }));
        assert!(ahead.ready.is_empty(), "3 was passed over");
    }

    #[test]
    fn nothing_planned_means_unplanned() {
        let mut ahead = ReadAhead::default();
        assert_eq!(ahead.route(1), Route::Unplanned);
    }
}
