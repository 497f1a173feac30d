//! `notifications/progress` for tool calls whose request carries a `progressToken`: a
//! [`crate::progress::Progress`] handle for the domain code (which never sees rmcp), a forwarder task that sends
//! its reports to the client in order (only growing `progress` values, as the spec requires), and a heartbeat
//! for work that cannot count its steps (elapsed seconds, from the first second on). Every notification is sent
//! before the call's reply: [`with_progress`] waits for the forwarder before it returns.

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

/// How a call reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reporting {
    /// The domain code reports its own steps (with totals where it knows them).
    Steps,
    /// Elapsed seconds every second, from the first second on.
    Heartbeat,
}

/// Runs `work`, sending elapsed seconds as progress from its first second on (when the client asked).
pub async fn heartbeat<Fut: Future>(context: &RequestContext<RoleServer>, label: &str, work: Fut) -> Fut::Output {
    with_progress(context, label, Reporting::Heartbeat, |_| work).await
}

/// Runs `work` with a progress handle for this call: silent unless the request carries a progress token.
pub async fn with_progress<F, Fut>(
    context: &RequestContext<RoleServer>,
    label: &str,
    how: Reporting,
    work: F,
) -> Fut::Output
where
    F: FnOnce(Progress) -> Fut,
    Fut: Future,
{
    let Some(token) = context.meta.get_progress_token() else {
        return work(Progress::silent()).await;
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
                param = param.with_total(total);
            }
            if peer.notify_progress(param).await.is_err() {
                break;
            }
        }
    });
    let progress = Progress::to(move |update| {
        let _ = sender.try_send(update);
    });
    let output = match how {
        Reporting::Steps => work(progress.clone()).await,
        Reporting::Heartbeat => {
            let started = Instant::now();
            let mut ticks = tokio::time::interval_at((started + Duration::from_secs(1)).into(), Duration::from_secs(1));
            let work = work(progress.clone());
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
        }
    };
    drop(progress);
    let _ = tokio::time::timeout(FLUSH, forwarder).await;
    output
}
