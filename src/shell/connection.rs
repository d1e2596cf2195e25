//! A session's life in the shell: opening one (a domain without a port means its MX; 465 or
//! `--tls` means implicit TLS; then the greeting), what the server says unasked between
//! commands (a 421 before it hangs up, a close), and ending it politely.

use super::exec::{ConnectRequest, Server, Shell};
use super::state::Phase as TxPhase;
use super::transcript::SharedObs;
use crate::cli::LineEnding;
use crate::connect::{self, Connected};
use crate::error::{Error, ErrorKind, Phase, Result};
use crate::net::stream::Stream;
use crate::net::tls::TlsParams;
use crate::report::{Event, Observer};
use crate::sanitize::sanitize;
use crate::send::TlsMode;
use crate::smtp::session::{Session, SessionConfig, Unsolicited};
use crate::target::split_host_port;
use std::time::Duration;

impl Shell<'_> {
    /// Opens a session: resolve (a domain without a port means its MX), connect, implicit TLS
    /// when the port or `--tls` says so, then the greeting.
    pub fn open<'o>(
        &mut self,
        req: &ConnectRequest,
        obs: &'o mut SharedObs,
    ) -> Result<Session<'o>> {
        self.tracker.reset();
        self.pending = None;
        self.server = None;
        let (host, explicit_port) = split_host_port(&req.target).map_err(|e| {
            Error::usage(format!("cannot connect to {}: {e}", sanitize(&req.target)))
                .with_hint("give HOST, HOST:PORT, [IPv6]:PORT, or a mail domain")
        })?;
        crate::smtp::command::check_argument("host", &host).map_err(Error::usage)?;
        let port = explicit_port.or(req.port).unwrap_or(25);
        let hosts = if explicit_port.is_none() && !is_literal_host(&host) {
            connect::mail_hosts(&host, &mut self.dns, self.global, obs)?
        } else {
            vec![host.clone()]
        };
        let mut attempts = Vec::new();
        let Connected { host, tcp, .. } =
            connect::connect_hosts(&hosts, port, &mut self.dns, self.global, obs, &mut attempts)?;
        if !self.ehlo_typed {
            self.ehlo_name = crate::send::default_ehlo(tcp.local_addr().ok());
        }
        if self.global.insecure {
            obs.event(Event::warning(
                "--insecure: server certificates are not verified",
            ));
        }
        let sni = req.sni.clone().unwrap_or_else(|| host.clone());
        let params = connect::tls_params(self.global, &sni);
        let timeout = Duration::from_secs_f64(self.global.timeout);
        let implicit = req.tls || TlsMode::for_port(port) == TlsMode::Implicit;
        self.server = Some(Server {
            host,
            port,
            params: params.clone(),
        });
        let (stream, info) = if implicit {
            let (stream, info) = connect::implicit_tls(tcp, &params, timeout, obs)?;
            (stream, Some(info))
        } else {
            (Stream::Plain(tcp), None)
        };
        let cfg = SessionConfig {
            timeout,
            line_ending: LineEnding::Crlf,
            show_secrets: self.global.show_secrets,
            port,
        };
        let mut session = Session::new(stream, info, obs, cfg);
        let greeting = session.read_greeting()?;
        self.last = Some((greeting.clone(), "greeting".into()));
        self.tracker.observe("greeting", "", &greeting);
        if greeting.code != 220 {
            self.refused(Error::new(
                Phase::Greeting,
                ErrorKind::Reply(Box::new(greeting.clone())),
                format!(
                    "the server refused the session in its greeting: {} {}",
                    greeting.code,
                    sanitize(&greeting.text())
                ),
            ));
        }
        Ok(session)
    }

    /// The connection could not be made (or was lost): the prompt says so.
    pub fn lost_connection(&mut self) {
        if self.server.is_some() {
            self.tracker.closed();
        } else {
            self.tracker.reset();
        }
    }

    /// Shows what arrived unasked while a prompt was showing.
    pub fn unsolicited(&mut self, u: Unsolicited, s: &mut Session<'_>) {
        match u {
            Unsolicited::Nothing => {}
            Unsolicited::Reply(reply) => {
                self.tracker.observe("unsolicited", "", &reply);
                if reply.code == 421 {
                    self.info("the server closed the session (421); /connect to start a new one");
                } else {
                    self.warn("that reply came unasked (or late): replies no longer line up with commands one to one");
                    // A script cannot trust what follows (RFC 5321 §4.1: one reply per
                    // command): it stops with a protocol error unless the next line is an
                    // `/expect` about this very reply. Interactively, the user decides.
                    self.refused(Error::new(
                        Phase::Command,
                        ErrorKind::Protocol,
                        format!("the server sent a {} reply nobody asked for", reply.code),
                    ));
                }
                self.last = Some((reply, "unsolicited".into()));
            }
            Unsolicited::Closed => {
                self.tracker.closed();
                self.warn("the server closed the connection; /connect to start a new session");
            }
            Unsolicited::Garbage(e) => {
                self.tracker.closed();
                self.emit(Event::error(&e));
            }
        }
        if !s.is_open() {
            self.tracker.closed();
        }
    }

    /// Checks for unsolicited input before a line runs.
    pub fn poll(&mut self, s: &mut Session<'_>) {
        let u = s.poll_unsolicited_reply();
        if !matches!(u, Unsolicited::Nothing) {
            self.unsolicited(u, s);
        }
    }

    /// Ends a session politely (QUIT), or abruptly inside message data.
    pub fn close(&mut self, s: &mut Session<'_>) {
        if !s.is_open() {
            return;
        }
        if matches!(self.tracker.phase, TxPhase::Data | TxPhase::Bdat { .. }) {
            self.warn("closing inside message data without QUIT: the server discards the unfinished message");
            s.abort();
        } else {
            s.quit();
        }
        self.tracker.closed();
    }

    /// The TLS settings for the current server.
    pub(super) fn tls_params(&self) -> TlsParams {
        self.server.as_ref().map_or_else(
            || connect::tls_params(self.global, "localhost"),
            |s| s.params.clone(),
        )
    }
}

/// A host given as an IP literal or `localhost`: connected to as is, never looked up as MX.
fn is_literal_host(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok() || host.eq_ignore_ascii_case("localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_hosts_skip_mx() {
        assert!(is_literal_host("127.0.0.1"));
        assert!(is_literal_host("::1"));
        assert!(is_literal_host("LOCALHOST"));
        assert!(!is_literal_host("example.com"));
    }
}
