//! TCP connection: try each address in turn under a connect timeout, keeping every attempt.

use serde::Serialize;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// One connection attempt, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub host: String,
    pub address: SocketAddr,
    pub elapsed_ms: u64,
    /// `None` on success.
    pub error: Option<String>,
    /// `refused`, `timeout`, `unreachable`, `other`.
    pub failure: Option<&'static str>,
}

/// Connects to `addr` within `timeout`.
pub fn connect_one(
    host: &str,
    addr: SocketAddr,
    timeout: Duration,
) -> (Option<TcpStream>, Attempt) {
    let start = Instant::now();
    let result = TcpStream::connect_timeout(&addr, timeout);
    let elapsed_ms = start.elapsed().as_millis() as u64;
    match result {
        Ok(tcp) => {
            let _ = tcp.set_nodelay(true);
            (
                Some(tcp),
                Attempt {
                    host: host.into(),
                    address: addr,
                    elapsed_ms,
                    error: None,
                    failure: None,
                },
            )
        }
        Err(e) => {
            let failure = match e.kind() {
                std::io::ErrorKind::ConnectionRefused => "refused",
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => "timeout",
                std::io::ErrorKind::HostUnreachable | std::io::ErrorKind::NetworkUnreachable => {
                    "unreachable"
                }
                _ => "other",
            };
            let error = match failure {
                "refused" => "connection refused (nothing listens on that port)".to_string(),
                "timeout" => format!(
                    "no answer within {:.0} s (filtered or down)",
                    timeout.as_secs_f64()
                ),
                _ => e.to_string(),
            };
            (
                None,
                Attempt {
                    host: host.into(),
                    address: addr,
                    elapsed_ms,
                    error: Some(error),
                    failure: Some(failure),
                },
            )
        }
    }
}

/// Tries each address of `host` in turn and returns the first connection. Every attempt is
/// reported to `on_attempt` as it ends (for the live transcript) and kept in `attempts`.
pub fn connect_first(
    host: &str,
    addrs: &[SocketAddr],
    timeout: Duration,
    attempts: &mut Vec<Attempt>,
    mut on_event: impl FnMut(ConnectProgress<'_>),
) -> Option<(TcpStream, SocketAddr)> {
    for &addr in addrs {
        on_event(ConnectProgress::Trying(addr));
        let (tcp, attempt) = connect_one(host, addr, timeout);
        on_event(ConnectProgress::Done(&attempt));
        attempts.push(attempt);
        if let Some(tcp) = tcp {
            return Some((tcp, addr));
        }
    }
    None
}

/// Progress of [`connect_first`].
pub enum ConnectProgress<'a> {
    Trying(SocketAddr),
    Done(&'a Attempt),
}
