//! Ending on SIGTERM or SIGINT: the signals are caught from the start of `serve` and `demo`; a signal cancels
//! every call in flight (their cancellation token: queries get a server-side cancel request, child processes
//! are stopped by the calls' own cancel paths), waits a bounded time for those calls to finish, and the
//! process exits 0. [`InFlight`] counts the calls so the wait ends as soon as the last one has.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// How long calls in flight get to finish after a signal (the process must be gone within 2 s).
pub const DRAIN: Duration = Duration::from_millis(1200);

/// The calls running now.
#[derive(Default)]
pub struct InFlight {
    count: AtomicUsize,
    idle: Notify,
}

/// Held by a running call; the call leaves the count when it is dropped.
pub struct InFlightGuard(Arc<InFlight>);

impl InFlight {
    pub fn enter(self: &Arc<Self>) -> InFlightGuard {
        self.count.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(self.clone())
    }

    pub fn running(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Resolves once no call runs, or after `limit`; true when they all ended.
    pub async fn drained(&self, limit: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.idle.notified();
                if self.running() == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// Catches SIGTERM and SIGINT from now on (their default action, ending the process at once, is replaced) and
/// returns a token cancelled at the first of them. A signal whose handler cannot be installed is left as it is.
pub fn on_signal() -> CancellationToken {
    use tokio::signal::unix::{SignalKind, signal};
    let stop = CancellationToken::new();
    let mut streams = Vec::new();
    for (kind, name) in [(SignalKind::terminate(), "SIGTERM"), (SignalKind::interrupt(), "SIGINT")] {
        match signal(kind) {
            Ok(stream) => streams.push((stream, name)),
            Err(e) => tracing::warn!("cannot catch {name}: {e}"),
        }
    }
    let cancel = stop.clone();
    tokio::spawn(async move {
        let waits = streams.iter_mut().map(|(stream, name)| {
            Box::pin(async move {
                stream.recv().await;
                *name
            })
        });
        if waits.len() == 0 {
            return;
        }
        let (name, _, _) = futures_util::future::select_all(waits).await;
        tracing::info!("{name} received: cancelling the calls in flight and exiting");
        cancel.cancel();
    });
    stop
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_drain_ends_when_the_last_call_does() {
        let in_flight = Arc::new(InFlight::default());
        assert!(in_flight.drained(Duration::from_millis(10)).await, "nothing runs");
        let guard = in_flight.enter();
        assert!(!in_flight.drained(Duration::from_millis(10)).await, "one call runs");
        let waiter = {
            let in_flight = in_flight.clone();
            tokio::spawn(async move { in_flight.drained(Duration::from_secs(30)).await })
        };
        drop(guard);
        assert!(waiter.await.unwrap_or(false));
    }
}
