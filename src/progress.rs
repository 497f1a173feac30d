//! Progress of long work, for callers that want to hear about it: domain code reports `(done, total, message)`
//! through a [`Progress`] handle without knowing who listens (the MCP server turns reports into
//! `notifications/progress`; elsewhere the handle is silent). Reports are cheap and never block: a report made
//! while nobody listens costs a branch.

use std::sync::Arc;

/// One report: `done` grows with every report of the same work; `total` when it is known.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    pub done: f64,
    pub total: Option<f64>,
    pub message: String,
}

type Sink = Arc<dyn Fn(Update) + Send + Sync>;

/// Where progress goes; cheap to clone, usable from blocking threads.
#[derive(Clone, Default)]
pub struct Progress {
    sink: Option<Sink>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.sink.is_some() { "Progress(listening)" } else { "Progress(silent)" })
    }
}

impl Progress {
    /// A handle nobody listens to.
    pub fn silent() -> Self {
        Progress::default()
    }

    /// A handle that hands every report to `sink` (which must not block).
    pub fn to(sink: impl Fn(Update) + Send + Sync + 'static) -> Self {
        Progress { sink: Some(Arc::new(sink)) }
    }

    pub fn is_listening(&self) -> bool {
        self.sink.is_some()
    }

    /// Reports `done` of `total` (when known); the message is only built when someone listens.
    pub fn report(&self, done: f64, total: Option<f64>, message: impl FnOnce() -> String) {
        if let Some(sink) = &self.sink {
            sink(Update { done, total, message: message() });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn reports_reach_the_sink_and_silence_costs_nothing() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let progress = {
            let seen = seen.clone();
            Progress::to(move |update| seen.lock().unwrap_or_else(|e| e.into_inner()).push(update))
        };
        progress.report(1.0, Some(4.0), || "table 1 of 4".into());
        Progress::silent().report(2.0, None, || unreachable!("never built while nobody listens"));
        let seen = seen.lock().unwrap_or_else(|e| e.into_inner());
        assert_eq!(*seen, vec![Update { done: 1.0, total: Some(4.0), message: "table 1 of 4".into() }]);
    }
}
