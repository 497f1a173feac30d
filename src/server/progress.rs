//! `notifications/progress` for tool calls whose request carries a `progressToken`: a
//! [`crate::progress::Progress`] handle for the domain code (which never sees rmcp), a forwarder task that sends
//! its reports to the client in order (only growing `progress` values, as the spec requires), and a heartbeat
//! for work that cannot count its steps (elapsed seconds, from the first second on). Every notification is sent
//! before the call's reply: [`Reporter::finish`] waits for the forwarder.

use crate::progress::{Progress, Update};
use rmcp::RoleServer;
use rmcp::model::ProgressNotificationParam;
use rmcp::service::RequestContext;
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Reports queued for the client at most; past it reports are dropped (the next one says more).
const QUEUE: usize = 64;
/// How long the reply waits for queued notifications.
const FLUSH: Duration = Duration::from_secs(1);

/// The progress of one call: a handle for the domain code and the task that forwards its reports.
pub struct Reporter {
    progress: Progress,
    forwarder: Option<tokio::task::JoinHandle<()>>,
}

impl Reporter {
    /// Silent unless the request carries a progress token.
    pub fn new(context: &RequestContext<RoleServer>) -> Reporter {
        let Some(token) = context.meta.get_progress_token() else {
            return Reporter { progress: Progress::silent(), forwarder: None };
        };
        let (sender, mut queue) = mpsc::channel::<Update>(QUEUE);
        let peer = context.peer.clone();
        let forwarder = tokio::spawn(async move {
            let mut last = f64::NEG_INFINITY;
            while let Some(update) = queue.recv().await {
                if update.done <= last {
                    continue;
                }
                last = update.done;
                let mut param = ProgressNotificationParam::new(token.clone(), update.done).with_message(update.message);
                if let Some(total) = update.total {
                    param = param.with_total(total.max(update.done));
                }
                if peer.notify_progress(param).await.is_err() {
                    break;
                }
            }
        });
        let progress = Progress::to(move |update| {
            let _ = sender.try_send(update);
        });
        Reporter { progress, forwarder: Some(forwarder) }
    }

    /// A handle for the work (clones end when the work does).
    pub fn progress(&self) -> Progress {
        self.progress.clone()
    }

    /// Waits (briefly) until every report made so far has reached the client: call it before replying.
    pub async fn finish(self) {
        let Reporter { progress, forwarder } = self;
        drop(progress);
        if let Some(forwarder) = forwarder {
            let _ = tokio::time::timeout(FLUSH, forwarder).await;
        }
    }
}

/// Runs `work`, sending elapsed seconds as progress from its first second on (when the client asked).
pub async fn heartbeat<Fut: Future>(context: &RequestContext<RoleServer>, label: &str, work: Fut) -> Fut::Output {
    let reporter = Reporter::new(context);
    let output = if reporter.progress.is_listening() {
        let progress = reporter.progress();
        let started = Instant::now();
        let mut ticks = tokio::time::interval_at((started + Duration::from_secs(1)).into(), Duration::from_secs(1));
        tokio::pin!(work);
        loop {
            tokio::select! {
                output = &mut work => break output,
                _ = ticks.tick() => {
                    let seconds = started.elapsed().as_secs();
                    progress.report(seconds as f64, None, || format!("{label}: running for {seconds} s"));
                }
            }
        }
    } else {
        work.await
    };
    reporter.finish().await;
    output
}
