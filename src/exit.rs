//! Exit codes (SPEC.md), as named constants, and the one function that picks one for an error.

use crate::error::{Error, ErrorKind};

pub const SUCCESS: u8 = 0;
/// A check found errors, or a script's `/expect` did not hold.
pub const CHECK_FAILED: u8 = 1;
/// Bad flags or arguments.
pub const USAGE: u8 = 2;
/// No such domain, no mail servers, null MX, resolver failure.
pub const DNS: u8 = 3;
/// Refused, unreachable, connect timeout.
pub const CONNECT: u8 = 4;
/// Handshake or certificate failure, or STARTTLS required but unavailable.
pub const TLS: u8 = 5;
/// Authentication failed or impossible.
pub const AUTH: u8 = 6;
/// A 5xx where success was needed.
pub const PERMANENT: u8 = 7;
/// A 4xx where success was needed.
pub const TRANSIENT: u8 = 8;
/// Malformed reply, unexpected close, oversized reply.
pub const PROTOCOL: u8 = 9;
/// Timeout waiting for the server after connecting.
pub const TIMEOUT: u8 = 10;

/// The exit code for an error.
pub fn for_error(err: &Error) -> u8 {
    match &err.kind {
        ErrorKind::Usage => USAGE,
        ErrorKind::Dns(_) => DNS,
        ErrorKind::Connect => CONNECT,
        // A handshake that stalled is a timeout first: the server stopped answering.
        ErrorKind::Tls(failure) if failure.timed_out => TIMEOUT,
        ErrorKind::Tls(_) | ErrorKind::TlsRequired => TLS,
        ErrorKind::Auth => AUTH,
        ErrorKind::Reply(reply) => for_reply_code(reply.code),
        ErrorKind::Protocol | ErrorKind::Closed => PROTOCOL,
        ErrorKind::Timeout => TIMEOUT,
        ErrorKind::Io => PROTOCOL,
        ErrorKind::ExpectFailed => CHECK_FAILED,
    }
}

/// The exit code for a reply that was not the success needed: 7 for 5xx, 8 for 4xx.
pub fn for_reply_code(code: u16) -> u8 {
    if code >= 500 { PERMANENT } else { TRANSIENT }
}
