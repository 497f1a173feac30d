//! pg_dump and pg_restore as child processes: spawned from argv, stdout never inherited, stderr read on a thread
//! that turns `--verbose` lines into table progress and keeps the lines worth showing when the program fails;
//! killed and reaped on cancellation or failure.

use crate::failure::Failure;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, ChildStdout, Command};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Progress of a backup or restore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Uncompressed dump bytes streamed so far.
    Bytes(u64),
    /// A table's data was dumped or restored: its name, tables done, tables in all.
    Table { name: String, done: usize, total: usize },
}

pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;

/// An event sink that drops everything.
pub fn no_events() -> EventSink {
    Arc::new(|_| {})
}

pub fn cancelled() -> Failure {
    Failure::new(
        "the operation was cancelled",
        "the request was cancelled by the client",
        "run it again when wanted; nothing partial was kept",
    )
}

const KEPT_LINES: usize = 12;

/// The table named by a `--verbose` progress line of pg_dump or pg_restore.
pub fn table_of_verbose_line(line: &str) -> Option<&str> {
    let rest = line
        .strip_prefix("pg_dump: dumping contents of table ")
        .or_else(|| line.strip_prefix("pg_restore: processing data for table "))?;
    Some(rest.trim().trim_matches('"'))
}

/// A running pg_dump or pg_restore.
pub struct DumpProcess {
    name: &'static str,
    child: Arc<Mutex<Child>>,
    stderr: Option<JoinHandle<Vec<String>>>,
}

impl DumpProcess {
    pub fn spawn(mut command: Command, name: &'static str, events: EventSink, total: usize) -> Result<Self, Failure> {
        let mut child = command.spawn().map_err(|e| {
            Failure::new(format!("cannot run {name}"), e.to_string(), "check the PostgreSQL client installation")
        })?;
        let stderr = child.stderr.take().map(|stderr| {
            std::thread::spawn(move || {
                let mut kept = VecDeque::new();
                let mut done = 0;
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Some(table) = table_of_verbose_line(&line) {
                        done += 1;
                        events(Event::Table { name: table.to_owned(), done, total: total.max(done) });
                        continue;
                    }
                    let verbose = line.starts_with("pg_dump: ") || line.starts_with("pg_restore: ");
                    let notable = line.contains("error") || line.contains("warning") || !verbose;
                    if notable {
                        if kept.len() == KEPT_LINES {
                            kept.pop_front();
                        }
                        kept.push_back(line);
                    }
                }
                kept.into_iter().collect()
            })
        });
        Ok(DumpProcess { name, child: Arc::new(Mutex::new(child)), stderr })
    }

    fn locked(&self) -> std::sync::MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn take_stdout(&mut self) -> Result<ChildStdout, Failure> {
        self.locked().stdout.take().ok_or_else(|| self.unpiped("stdout"))
    }

    pub fn take_stdin(&mut self) -> Result<ChildStdin, Failure> {
        self.locked().stdin.take().ok_or_else(|| self.unpiped("stdin"))
    }

    fn unpiped(&self, stream: &str) -> Failure {
        Failure::new(format!("{} has no {stream} pipe", self.name), "it was not piped", "report this as a supamcp bug")
    }

    async fn stderr_lines(&mut self) -> Vec<String> {
        match self.stderr.take() {
            Some(thread) => {
                tokio::task::spawn_blocking(move || thread.join().unwrap_or_default()).await.unwrap_or_default()
            }
            None => Vec::new(),
        }
    }

    /// Waits for the program (its output is consumed by then) and turns a failure into its stderr lines.
    pub async fn wait(&mut self) -> Result<(), Failure> {
        let child = self.child.clone();
        let status =
            tokio::task::spawn_blocking(move || child.lock().unwrap_or_else(std::sync::PoisonError::into_inner).wait())
                .await
                .map_err(|e| Failure::new(format!("lost {}", self.name), e.to_string(), "retry"))?
                .map_err(|e| Failure::new(format!("lost {}", self.name), e.to_string(), "retry"))?;
        let name = self.name;
        let lines = self.stderr_lines().await;
        if status.success() {
            return Ok(());
        }
        let why = if lines.is_empty() { format!("it ended with {status}") } else { lines.join("\n") };
        Err(Failure::new(
            format!("{name} failed ({status})"),
            why,
            "read its messages above; a killed or terminated process means the connection was cut mid-way: retry",
        ))
    }

    /// Kills the program and reaps it.
    pub async fn kill_and_reap(&mut self) {
        let child = self.child.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let mut child = child.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let _ = child.kill();
            let _ = child.wait();
        })
        .await;
        let _ = self.stderr_lines().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbose_table_lines_are_recognised() {
        assert_eq!(table_of_verbose_line("pg_dump: dumping contents of table \"public.todos\""), Some("public.todos"));
        assert_eq!(table_of_verbose_line("pg_restore: processing data for table \"auth.users\""), Some("auth.users"));
        assert_eq!(table_of_verbose_line("pg_dump: reading schemas"), None);
    }
}
