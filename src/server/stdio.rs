//! The stdio transport: one JSON-RPC message per line on stdin, one per line on stdout. rmcp's own stdio
//! transport drops a line it cannot parse without a word, so the client waits for its timeout; this one answers
//! every such line (`-32700 Parse error` with id null for text that is not JSON, too deep or too long;
//! `-32600 Invalid Request` for JSON that is no message) and reads on. Lines are capped at [`MAX_LINE_BYTES`]
//! (the rest of a longer line is skipped, never buffered), serde_json's nesting limit (128) bounds the parse,
//! and one writer task owns stdout, so every outgoing line is written whole and lines never interleave.

use super::stdio_checks::{Lifecycle, Verdict, params_fault};
use rmcp::RoleServer;
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde_json::{Value, json};
use std::io;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// The longest line read (16 MiB): longer ones are answered with a parse error and skipped.
pub const MAX_LINE_BYTES: usize = 16 << 20;
/// Outgoing lines waiting for stdout; senders wait beyond this (backpressure, bounded memory).
const QUEUE_LINES: usize = 16;
/// How long closing waits for queued lines to reach stdout.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

const PARSE_ERROR: i64 = -32700;
pub(super) const INVALID_REQUEST: i64 = -32600;
pub(super) const INVALID_PARAMS: i64 = -32602;
pub(super) const METHOD_NOT_FOUND: i64 = -32601;

struct Outgoing {
    line: Vec<u8>,
    written: Option<oneshot::Sender<io::Result<()>>>,
}

/// A line-delimited JSON-RPC transport over any reader and writer (stdin and stdout in [`stdio`]).
pub struct LineTransport<R> {
    reader: BufReader<R>,
    line: Vec<u8>,
    max_line: usize,
    /// Skipping the rest of an over-long line until its newline.
    discarding: bool,
    /// An error reply decided but not yet queued (kept here so a cancelled `receive` loses nothing).
    pending_reply: Option<Vec<u8>>,
    outgoing: Option<mpsc::Sender<Outgoing>>,
    writer: Option<JoinHandle<()>>,
    /// Known methods with unreadable params, requests before initialize ([`super::stdio_checks`]).
    lifecycle: Lifecycle,
}

/// The transport `supamcp serve` speaks MCP over: stdin and stdout.
pub fn stdio() -> LineTransport<tokio::io::Stdin> {
    LineTransport::new(tokio::io::stdin(), tokio::io::stdout(), MAX_LINE_BYTES)
}

/// What one line read in.
enum Read {
    Line,
    TooLong,
    Eof,
    Failed(io::Error),
}

/// What to do with a whole line.
#[derive(Debug)]
enum Incoming {
    Message(Box<RxJsonRpcMessage<RoleServer>>),
    Reply(Vec<u8>),
    Skip,
}

impl<R: AsyncRead + Unpin + Send> LineTransport<R> {
    /// Starts the writer task on `write`; must run inside a tokio runtime.
    pub fn new<W: AsyncWrite + Unpin + Send + 'static>(read: R, write: W, max_line: usize) -> Self {
        let (outgoing, queue) = mpsc::channel(QUEUE_LINES);
        LineTransport {
            reader: BufReader::new(read),
            line: Vec::new(),
            max_line,
            discarding: false,
            pending_reply: None,
            outgoing: Some(outgoing),
            writer: Some(tokio::spawn(write_lines(write, queue))),
            lifecycle: Lifecycle::default(),
        }
    }

    /// Reads one `\n`-terminated line into `self.line`, never holding more than `max_line` bytes of it.
    /// Cancel-safe: nothing is consumed from the reader without being recorded in `self`.
    async fn read_line(&mut self) -> Read {
        loop {
            let available = match self.reader.fill_buf().await {
                Ok(available) => available,
                Err(e) => return Read::Failed(e),
            };
            if available.is_empty() {
                return Read::Eof;
            }
            let newline = available.iter().position(|b| *b == b'\n');
            let take = newline.map_or(available.len(), |at| at + 1);
            let mut done = None;
            if self.discarding {
                self.discarding = newline.is_none();
            } else if self.line.len() + take > self.max_line.saturating_add(1) {
                self.line.clear();
                self.discarding = newline.is_none();
                done = Some(Read::TooLong);
            } else {
                self.line.extend_from_slice(&available[..take]);
                done = newline.map(|_| Read::Line);
            }
            self.reader.consume(take);
            if let Some(done) = done {
                return done;
            }
        }
    }
}

/// Writes each queued line whole, then flushes; after a write error every later line fails the same way.
async fn write_lines<W: AsyncWrite + Unpin>(mut out: W, mut queue: mpsc::Receiver<Outgoing>) {
    let mut broken: Option<io::ErrorKind> = None;
    while let Some(Outgoing { line, written }) = queue.recv().await {
        let result = match broken {
            Some(kind) => Err(io::Error::new(kind, "stdout failed earlier")),
            None => match out.write_all(&line).await {
                Ok(()) => out.flush().await,
                Err(e) => Err(e),
            },
        };
        if let Err(e) = &result {
            broken = Some(e.kind());
        }
        if let Some(written) = written {
            let _ = written.send(result);
        }
    }
}

/// A JSON-RPC error response line.
pub(super) fn error_line(code: i64, message: String, id: Value) -> Vec<u8> {
    let mut line = json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}).to_string();
    line.push('\n');
    line.into_bytes()
}

fn parse_error(message: impl std::fmt::Display) -> Incoming {
    Incoming::Reply(error_line(PARSE_ERROR, format!("Parse error: {message}"), Value::Null))
}

/// Decides what a line is. Never logs its content (it carries tool arguments).
fn classify(raw: &[u8]) -> Incoming {
    let line = raw.strip_suffix(b"\n").unwrap_or(raw);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    // RFC 8259 lets a parser ignore a leading byte order mark.
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Incoming::Skip;
    }
    let error = match serde_json::from_slice::<RxJsonRpcMessage<RoleServer>>(line) {
        Ok(message) => return Incoming::Message(Box::new(message)),
        Err(error) => error,
    };
    tracing::debug!(bytes = line.len(), line = error.line(), column = error.column(), "unreadable message");
    let value = match serde_json::from_slice::<Value>(line) {
        Ok(value) => value,
        Err(syntax) => return parse_error(syntax),
    };
    let id = value.get("id").filter(|id| id.is_string() || id.is_i64() || id.is_u64()).cloned();
    let is_request = value.get("method").is_some();
    let is_response = value.get("result").is_some() || value.get("error").is_some();
    let method = value.get("method").and_then(Value::as_str);
    if let (Some(method), Some(id)) = (method, &id)
        && let Some(fault) = params_fault(method, value.get("params"))
    {
        return Incoming::Reply(error_line(
            INVALID_PARAMS,
            format!("Invalid params for {method}: {fault}"),
            id.clone(),
        ));
    }
    let method = method.map(|m| format!("{m}: ")).unwrap_or_default();
    match (is_request, id) {
        // A notification, or a response to one of our requests: JSON-RPC never answers either.
        (true, None) if value.get("id").is_none() => Incoming::Skip,
        (false, _) if is_response => Incoming::Skip,
        (_, id) => Incoming::Reply(error_line(
            INVALID_REQUEST,
            format!("Invalid Request: {method}not a JSON-RPC 2.0 message of MCP ({error})"),
            id.unwrap_or(Value::Null),
        )),
    }
}

fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the stdout writer has stopped")
}

impl<R: AsyncRead + Unpin + Send + 'static> Transport<RoleServer> for LineTransport<R> {
    type Error = io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let queue = self.outgoing.clone();
        let line = serde_json::to_vec(&item);
        async move {
            let mut line = line.map_err(io::Error::other)?;
            line.push(b'\n');
            let queue = queue.ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "transport closed"))?;
            let (written, result) = oneshot::channel();
            queue.send(Outgoing { line, written: Some(written) }).await.map_err(|_| closed())?;
            result.await.map_err(|_| closed())?
        }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            if self.pending_reply.is_some() {
                let permit = self.outgoing.as_ref()?.reserve().await.ok()?;
                if let Some(line) = self.pending_reply.take() {
                    permit.send(Outgoing { line, written: None });
                }
            }
            match self.read_line().await {
                Read::Line => {}
                Read::TooLong => {
                    tracing::warn!(max_bytes = self.max_line, "a message longer than the line limit was skipped");
                    let limit = self.max_line;
                    self.pending_reply = Some(error_line(
                        PARSE_ERROR,
                        format!("Parse error: the line is longer than {limit} bytes; it was skipped"),
                        Value::Null,
                    ));
                    continue;
                }
                Read::Eof => {
                    if !self.line.is_empty() {
                        tracing::debug!(bytes = self.line.len(), "input ended inside a line without a newline");
                    }
                    return None;
                }
                Read::Failed(e) => {
                    tracing::error!("cannot read stdin: {e}");
                    return None;
                }
            }
            let incoming = classify(&self.line);
            let incoming = match incoming {
                Incoming::Message(message) => match self.lifecycle.check(&message, &self.line) {
                    Verdict::Pass => Incoming::Message(message),
                    Verdict::Reply(line) => Incoming::Reply(line),
                    Verdict::Skip => Incoming::Skip,
                },
                other => other,
            };
            self.line.clear();
            match incoming {
                Incoming::Message(message) => return Some(*message),
                Incoming::Reply(line) => self.pending_reply = Some(line),
                Incoming::Skip => {}
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        // The writer ends once every sender is gone and the queue is drained.
        self.outgoing = None;
        if let Some(writer) = self.writer.take() {
            let _ = tokio::time::timeout(CLOSE_GRACE, writer).await;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "stdio_tests.rs"]
mod tests;
