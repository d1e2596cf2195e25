//! The crate's error: what went wrong, in which phase, classified where it happens.

use crate::net::tls::TlsFailure;
use crate::smtp::reply::Reply;
use std::fmt;

/// The phase of a session an error happened in (dog's `Error [tls]: …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Usage,
    Dns,
    Connect,
    Greeting,
    Ehlo,
    Starttls,
    TlsHandshake,
    Auth,
    Mail,
    Rcpt,
    Data,
    Quit,
    Command,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Usage => "usage",
            Phase::Dns => "dns",
            Phase::Connect => "connect",
            Phase::Greeting => "greeting",
            Phase::Ehlo => "ehlo",
            Phase::Starttls => "starttls",
            Phase::TlsHandshake => "tls-handshake",
            Phase::Auth => "auth",
            Phase::Mail => "mail",
            Phase::Rcpt => "rcpt",
            Phase::Data => "data",
            Phase::Quit => "quit",
            Phase::Command => "command",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of DNS failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DnsFailure {
    NxDomain,
    NoMailServers,
    NullMx,
    ServFail,
    Timeout,
    Other,
}

/// The classification of an error; it alone picks the exit code.
#[derive(Debug, Clone)]
pub enum ErrorKind {
    Usage,
    Dns(DnsFailure),
    Connect,
    Tls(Box<TlsFailure>),
    /// STARTTLS was required but not offered or refused.
    TlsRequired,
    Auth,
    /// The server answered with a reply that was not the success needed.
    Reply(Box<Reply>),
    /// Malformed, unsolicited or oversized replies.
    Protocol,
    /// The server closed the connection when a reply was expected.
    Closed,
    Timeout,
    Io,
    /// A script expectation did not hold.
    ExpectFailed,
}

impl ErrorKind {
    /// A stable name for JSON.
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::Usage => "usage",
            ErrorKind::Dns(_) => "dns",
            ErrorKind::Connect => "connect",
            ErrorKind::Tls(_) => "tls",
            ErrorKind::TlsRequired => "tls-required",
            ErrorKind::Auth => "auth",
            ErrorKind::Reply(r) if r.code >= 500 => "permanent-reply",
            ErrorKind::Reply(_) => "transient-reply",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Closed => "closed",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Io => "io",
            ErrorKind::ExpectFailed => "expect-failed",
        }
    }
}

/// An error with its phase, a message that says what happened, and a hint that says what to do.
#[derive(Debug, Clone)]
pub struct Error {
    pub phase: Phase,
    pub kind: ErrorKind,
    pub message: String,
    pub hint: Option<String>,
}

impl Error {
    pub fn new(phase: Phase, kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            phase,
            kind,
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into());
        self
    }

    pub fn usage(message: impl Into<String>) -> Error {
        Error::new(Phase::Usage, ErrorKind::Usage, message)
    }

    /// Classifies an I/O error from the network.
    pub fn io(phase: Phase, err: &std::io::Error, what: &str) -> Error {
        use std::io::ErrorKind as K;
        match err.kind() {
            K::TimedOut | K::WouldBlock => {
                Error::new(phase, ErrorKind::Timeout, format!("timed out {what}"))
                    .with_hint("the server is slow or silent; raise --timeout to wait longer")
            }
            K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => {
                Error::new(
                    phase,
                    ErrorKind::Closed,
                    format!("the server closed the connection {what} ({err})"),
                )
            }
            _ => Error::new(phase, ErrorKind::Io, format!("network error {what}: {err}")),
        }
    }

    /// The exit code for this error.
    pub fn exit_code(&self) -> u8 {
        crate::exit::for_error(self)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.phase, self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
