//! Search indexing in the background. FTS5 costs more than storing a message itself (measured:
//! 2,000 × 20 KB messages take ~0.3 s to commit and ~0.5 s more to index), so a fetch commits
//! the mail, deletes it from the server and ends its session without waiting for the index; the
//! indexer catches up right after, one transaction per batch. Whatever it has not reached (the
//! app was closed, the disk was full) it reaches at the next start or fetch.

use std::sync::{Arc, Mutex, PoisonError};

use crate::store::Store;

/// Messages indexed per transaction: large enough to amortise the commit, small enough that a
/// fetch's own commit never waits long for the writer.
const BATCH: u32 = 256;
/// Raw mail read per transaction at most (but always one message).
const BATCH_BYTES: usize = 16 * 1024 * 1024;

pub(crate) struct Indexer {
    store: Arc<Store>,
    state: Mutex<State>,
    idle: tokio::sync::Notify,
}

#[derive(Default)]
struct State {
    running: bool,
    /// New mail arrived while a run was under way: look again before stopping.
    again: bool,
}

impl Indexer {
    pub(crate) fn new(store: Arc<Store>) -> Arc<Indexer> {
        Arc::new(Indexer {
            store,
            state: Mutex::new(State::default()),
            idle: tokio::sync::Notify::new(),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Indexes whatever is not indexed yet, on the current tokio runtime; without one (a
    /// synchronous caller) the next call from async code does it.
    pub(crate) fn kick(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        {
            let mut state = self.state();
            if state.running {
                state.again = true;
                return;
            }
            state.running = true;
            state.again = false;
        }
        let indexer = Arc::clone(self);
        runtime.spawn(async move { indexer.run().await });
    }

    async fn run(self: Arc<Self>) {
        loop {
            let store = Arc::clone(&self.store);
            // Threads first: they need only headers and change what the list shows.
            let more = match tokio::task::spawn_blocking(move || {
                Ok::<_, crate::error::Error>(
                    store.thread_pending(BATCH)? + store.index_pending(BATCH, BATCH_BYTES)?,
                )
            })
            .await
            {
                Ok(Ok(indexed)) => indexed > 0,
                Ok(Err(error)) => {
                    tracing::warn!(%error, "search indexing stopped; it resumes at the next fetch");
                    false
                }
                Err(error) => {
                    tracing::warn!(%error, "search indexing failed; it resumes at the next fetch");
                    false
                }
            };
            if more {
                continue;
            }
            let mut state = self.state();
            if state.again {
                state.again = false;
                continue;
            }
            state.running = false;
            drop(state);
            self.idle.notify_waiters();
            return;
        }
    }

    /// Returns once no indexing runs (everything stored so far is searchable, unless indexing
    /// failed and said so in the log).
    pub(crate) async fn wait_until_idle(&self) {
        loop {
            // Created before the check, so a run that ends in between still wakes us.
            let idle = self.idle.notified();
            if !self.state().running {
                return;
            }
            idle.await;
        }
    }
}
