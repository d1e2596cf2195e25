//! Events the engine emits, and the renderers that turn them into output. The engine never
//! prints: it hands events to an [`Observer`], which writes a human transcript, JSON Lines, or
//! records them (for `check`, which shows transcripts only with `-v`).

pub mod human;
pub mod json;

use crate::cli::LineEnding;
use crate::error::Error;
use crate::explain::Explanation;
use crate::net::connect::Attempt;
use crate::net::tls::{TlsFailure, TlsInfo};
use crate::smtp::reply::Reply;
use serde::Serialize;

/// Something that happened. JSON field names are a public interface (README: "JSON events").
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// MX (or other) resolution finished.
    Resolve {
        domain: String,
        mx: Vec<MxEntry>,
        implicit: bool,
    },
    /// About to connect.
    Trying {
        host: String,
        address: String,
        port: u16,
    },
    /// A TCP connect attempt ended.
    Connect {
        host: String,
        address: String,
        ok: bool,
        elapsed_ms: u64,
        error: Option<String>,
    },
    /// A line the client sent (already redacted when it carries secrets).
    Send {
        line: String,
        tls: bool,
        redacted: bool,
        #[serde(skip_serializing_if = "is_crlf")]
        line_ending: LineEnding,
    },
    /// Message data was sent (DATA or BDAT body).
    Body {
        bytes: usize,
        lines: usize,
        tls: bool,
        preview: Vec<String>,
    },
    /// A complete reply.
    Reply {
        code: u16,
        enhanced: Option<String>,
        lines: Vec<String>,
        permanent: bool,
        tls: bool,
        /// The raw reply, for the human renderer (line endings, wire form).
        #[serde(skip)]
        reply: Box<Reply>,
        explanation: Option<Box<Explanation>>,
    },
    /// TLS is up.
    Tls {
        #[serde(flatten)]
        info: Box<TlsInfo>,
    },
    /// The TLS handshake failed.
    TlsFailed {
        #[serde(flatten)]
        failure: Box<TlsFailure>,
    },
    /// Bytes received in plaintext after the 220 to STARTTLS, discarded (RFC 3207 §4.2).
    Discarded { bytes: usize, text: String },
    /// The tool talking (`===`).
    Info { message: String },
    /// A warning (`!!!`).
    Warning { message: String },
    /// The final result of a command. `summary` is the human form; the rest is the JSON object.
    Result {
        #[serde(skip)]
        summary: Vec<String>,
        ok: bool,
        exit_code: u8,
        #[serde(flatten)]
        data: serde_json::Map<String, serde_json::Value>,
    },
    /// `check`: one probe (a host address and port) finished. The object is the same as an
    /// entry of the report's `probes` (README: "check report").
    Probe {
        #[serde(flatten)]
        data: serde_json::Map<String, serde_json::Value>,
    },
    /// `check`: a finding (severity `error`, `warning` or `info`) with its explanation and fix.
    Finding {
        #[serde(flatten)]
        data: serde_json::Map<String, serde_json::Value>,
    },
    /// The final event of `check`: the whole report (SPEC.md: "check ends with a report
    /// object"), its fields at the top level. `summary` is the human verdict line.
    Report {
        #[serde(skip)]
        summary: Vec<String>,
        ok: bool,
        exit_code: u8,
        #[serde(flatten)]
        data: serde_json::Map<String, serde_json::Value>,
    },
    /// A local error (`***`).
    Error {
        phase: String,
        kind: String,
        message: String,
        hint: Option<String>,
        exit_code: u8,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct MxEntry {
    pub preference: u16,
    pub host: String,
}

fn is_crlf(e: &LineEnding) -> bool {
    *e == LineEnding::Crlf
}

impl serde::Serialize for LineEnding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match self {
            LineEnding::Crlf => "crlf",
            LineEnding::Lf => "lf",
            LineEnding::Cr => "cr",
        })
    }
}

impl Event {
    pub fn info(message: impl Into<String>) -> Event {
        Event::Info {
            message: message.into(),
        }
    }
    pub fn warning(message: impl Into<String>) -> Event {
        Event::Warning {
            message: message.into(),
        }
    }
    pub fn error(err: &Error) -> Event {
        Event::Error {
            phase: err.phase.to_string(),
            kind: err.kind.name().to_string(),
            message: err.message.clone(),
            hint: err.hint.clone(),
            exit_code: err.exit_code(),
        }
    }
    pub fn connect(attempt: &Attempt) -> Event {
        Event::Connect {
            host: attempt.host.clone(),
            address: attempt.address.to_string(),
            ok: attempt.error.is_none(),
            elapsed_ms: attempt.elapsed_ms,
            error: attempt.error.clone(),
        }
    }
}

/// Receives events as they happen.
pub trait Observer {
    fn event(&mut self, event: Event);
}

/// Keeps events (for a probe's transcript, and for tests).
#[derive(Debug, Default)]
pub struct Recorder {
    pub events: Vec<Event>,
}

impl Observer for Recorder {
    fn event(&mut self, event: Event) {
        self.events.push(event);
    }
}
