//! One SMTP session over one connection: sending commands, reading replies in step with them,
//! the STARTTLS upgrade, AUTH exchanges, message data and QUIT. Replies are data, not errors:
//! a 550 is returned to the caller, which decides whether it fails the run. Errors are what makes
//! the session unusable: timeouts, closes, malformed or unsolicited replies, TLS failures.

use super::auth::{self, Mechanism};
use super::command::Command;
use super::data;
use super::ehlo::Capabilities;
use super::reply::{Reply, ReplyAssembler};
use crate::cli::LineEnding;
use crate::error::{Error, ErrorKind, Phase, Result};
use crate::explain::{self, Context};
use crate::net::stream::{Connection, ReadError, Stream};
use crate::net::tls::TlsInfo;
use crate::net::tls::{self, TlsParams};
use crate::report::{Event, Observer};
use crate::sanitize::sanitize_bytes;
use crate::secret::Secret;
use std::time::{Duration, Instant};

/// Settings that stay fixed for a session.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The deadline for each reply, write and handshake.
    pub timeout: Duration,
    pub line_ending: LineEnding,
    pub show_secrets: bool,
    /// The server port (explanations use it: 587 without TLS means "use STARTTLS").
    pub port: u16,
}

/// How long QUIT may take at the end: a courtesy, not worth a full timeout.
const QUIT_GRACE: Duration = Duration::from_secs(2);
/// After a timeout the server is presumed unresponsive: shorter still.
const QUIT_GRACE_AFTER_TIMEOUT: Duration = Duration::from_millis(500);
/// How long to wait for the rest of an unsolicited reply, to show it whole.
const UNSOLICITED_GRACE: Duration = Duration::from_millis(300);

/// A live session.
pub struct Session<'o> {
    conn: Option<Connection>,
    obs: &'o mut dyn Observer,
    cfg: SessionConfig,
    /// Capabilities from the latest EHLO.
    pub caps: Option<Capabilities>,
    /// Capabilities from the EHLO before STARTTLS, when TLS was started.
    pub caps_before_tls: Option<Capabilities>,
    pub tls: Option<TlsInfo>,
    pub authenticated: bool,
    /// The AUTH mechanism last tried, for explaining its replies (535 after LOGIN differs
    /// from 535 after XOAUTH2).
    auth_mechanism: Option<&'static str>,
    pub greeting: Option<Reply>,
    /// The reply most recently read.
    pub last_reply: Option<Reply>,
    /// The session can no longer be used (protocol error, close, TLS failure).
    broken: bool,
    /// A reply timed out: QUIT gets only a short grace.
    timed_out: bool,
    connected_at: Instant,
    /// Time from connect to the end of the greeting.
    pub greeting_delay: Option<Duration>,
}

impl<'o> Session<'o> {
    /// Wraps a connected stream (plain, or already TLS for implicit TLS).
    pub fn new(
        stream: Stream,
        tls: Option<TlsInfo>,
        obs: &'o mut dyn Observer,
        cfg: SessionConfig,
    ) -> Self {
        Session {
            conn: Some(Connection::new(stream)),
            obs,
            cfg,
            caps: None,
            caps_before_tls: None,
            tls,
            authenticated: false,
            auth_mechanism: None,
            greeting: None,
            last_reply: None,
            broken: false,
            timed_out: false,
            connected_at: Instant::now(),
            greeting_delay: None,
        }
    }

    pub fn is_tls(&self) -> bool {
        self.conn.as_ref().is_some_and(Connection::is_tls)
    }

    pub fn is_open(&self) -> bool {
        self.conn.is_some() && !self.broken
    }

    pub fn config(&self) -> &SessionConfig {
        &self.cfg
    }

    /// Emits an event through the session's observer (for callers that narrate).
    pub fn emit(&mut self, event: Event) {
        self.obs.event(event);
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.cfg.timeout
    }

    fn conn(&mut self, phase: Phase) -> Result<&mut Connection> {
        match self.conn.as_mut() {
            Some(c) if !self.broken => Ok(c),
            _ => Err(Error::new(
                phase,
                ErrorKind::Closed,
                "the connection is closed",
            )),
        }
    }

    /// The context explanations need.
    fn context(&self, verb: &str) -> Context {
        Context {
            command: Some(verb.to_string()),
            auth_mechanism: self.auth_mechanism.map(str::to_string),
            port: Some(self.cfg.port),
            tls: self.is_tls(),
            authenticated: self.authenticated,
            broken_line_ending: match self.cfg.line_ending {
                LineEnding::Crlf => None,
                LineEnding::Lf => Some("lf"),
                LineEnding::Cr => Some("cr"),
            },
            greeting: self.greeting.as_ref().map(Reply::text),
        }
    }

    fn emit_reply(&mut self, reply: &Reply, verb: &str) {
        let explanation = reply
            .is_error()
            .then(|| Box::new(explain::explain(reply, &self.context(verb))));
        let tls = self.is_tls();
        self.obs.event(Event::Reply {
            code: reply.code,
            enhanced: reply.enhanced.map(|e| e.to_string()),
            lines: reply.lines.clone(),
            permanent: reply.is_permanent(),
            tls,
            reply: Box::new(reply.clone()),
            explanation,
        });
    }

    /// Reads one complete reply, bounded by one deadline for the whole reply.
    fn read_reply_raw(&mut self, phase: Phase, what: &str, deadline: Instant) -> Result<Reply> {
        let conn = self.conn(phase)?;
        let mut asm = ReplyAssembler::new();
        let outcome = loop {
            match conn.read_line(deadline) {
                Ok((line, end)) => match asm.push(&line, end) {
                    Ok(Some(reply)) => break Ok(reply),
                    Ok(None) => {}
                    Err(e) => {
                        break Err(Error::new(
                            phase,
                            ErrorKind::Protocol,
                            format!("{e} (in the reply to {what})"),
                        )
                        .with_hint(
                            "the server is not speaking SMTP correctly; nothing more was sent",
                        ));
                    }
                },
                Err(ReadError::Timeout) => {
                    self.timed_out = true;
                    break Err(Error::new(
                        phase,
                        ErrorKind::Timeout,
                        format!(
                            "no complete reply to {what} within {:.0} s",
                            self.cfg.timeout.as_secs_f64()
                        ),
                    )
                    .with_hint("the server is slow or stuck; raise --timeout to wait longer"));
                }
                Err(ReadError::Closed { partial }) => {
                    let detail = if partial.is_empty() {
                        String::new()
                    } else {
                        format!("; it had sent {:?}", sanitize_bytes(&partial))
                    };
                    break Err(Error::new(
                        phase,
                        ErrorKind::Closed,
                        format!(
                            "the server closed the connection instead of replying to {what}{detail}"
                        ),
                    )
                    .with_hint(close_hint(phase, self.cfg.port, self.is_tls())));
                }
                Err(ReadError::LineTooLong) => {
                    break Err(Error::new(
                        phase,
                        ErrorKind::Protocol,
                        format!(
                            "a reply line to {what} is longer than {} bytes",
                            super::reply::MAX_LINE_LEN
                        ),
                    ));
                }
                Err(ReadError::Io(e)) => {
                    break Err(Error::io(
                        phase,
                        &e,
                        &format!("reading the reply to {what}"),
                    ));
                }
            }
        };
        if outcome.is_err() {
            self.broken = true;
        }
        outcome
    }

    /// Reads a reply to `verb`, emits it, remembers it.
    pub fn read_reply(&mut self, phase: Phase, verb: &str) -> Result<Reply> {
        let what = if verb == "greeting" {
            "the connection (the greeting)".to_string()
        } else {
            verb.to_string()
        };
        let deadline = self.deadline();
        let reply = self.read_reply_raw(phase, &what, deadline)?;
        self.emit_reply(&reply, verb);
        self.last_reply = Some(reply.clone());
        Ok(reply)
    }

    /// Reads the greeting (RFC 5321 §3.1).
    pub fn read_greeting(&mut self) -> Result<Reply> {
        let reply = self.read_reply(Phase::Greeting, "greeting")?;
        self.greeting_delay = Some(self.connected_at.elapsed());
        self.greeting = Some(reply.clone());
        Ok(reply)
    }

    /// Fails when the server has sent something nobody asked for: replies must stay in step
    /// with commands (RFC 5321 §4.1; RFC 2920 §3 only allows batching when PIPELINING is used).
    /// A 421 is the exception: a server may announce its shutdown at any time (§3.8).
    fn check_unsolicited(&mut self, phase: Phase, before: &str) -> Result<()> {
        self.conn(phase)?;
        match self.poll_unsolicited_reply() {
            Unsolicited::Nothing => Ok(()),
            Unsolicited::Closed => Err(Error::new(
                phase,
                ErrorKind::Closed,
                format!("the server closed the connection before {before} could be sent"),
            )),
            Unsolicited::Reply(reply) if reply.code == 421 => {
                self.broken = true;
                Err(Error::new(
                    phase,
                    ErrorKind::Reply(Box::new(reply)),
                    format!("the server is closing the session (421) before {before}"),
                ))
            }
            Unsolicited::Reply(reply) => {
                self.broken = true;
                Err(Error::new(
                    phase,
                    ErrorKind::Protocol,
                    format!(
                        "the server sent a {} reply nobody asked for, before {before}",
                        reply.code
                    ),
                )
                .with_hint("replies would no longer match commands; nothing more was sent"))
            }
            // Whatever it was (not a reply, or a reply left unfinished), it was not asked for.
            Unsolicited::Garbage(e) => {
                self.broken = true;
                Err(Error::new(
                    phase,
                    ErrorKind::Protocol,
                    format!(
                        "the server sent unsolicited data before {before}: {}",
                        e.message
                    ),
                ))
            }
        }
    }

    fn write(&mut self, bytes: &[u8], phase: Phase, what: &str) -> Result<()> {
        let deadline = self.deadline();
        let conn = self.conn(phase)?;
        if let Err(e) = conn.write_all(bytes, deadline) {
            self.broken = true;
            if matches!(
                e.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            ) {
                self.timed_out = true;
                return Err(Error::new(
                    phase,
                    ErrorKind::Timeout,
                    format!(
                        "the server stopped reading while {what} was sent ({:.0} s)",
                        self.cfg.timeout.as_secs_f64()
                    ),
                ));
            }
            return Err(Error::io(phase, &e, &format!("while sending {what}")));
        }
        Ok(())
    }

    fn emit_send(&mut self, cmd: &Command) {
        let shown = cmd.display(self.cfg.show_secrets);
        let redacted = !self.cfg.show_secrets && shown != cmd.display(true);
        let tls = self.is_tls();
        self.obs.event(Event::Send {
            line: shown,
            tls,
            redacted,
            line_ending: self.cfg.line_ending,
        });
    }

    /// Sends one command and reads its reply.
    pub fn command(&mut self, cmd: &Command, phase: Phase) -> Result<Reply> {
        let verb = cmd.verb();
        self.check_unsolicited(phase, &verb)?;
        self.emit_send(cmd);
        self.write(&cmd.wire(self.cfg.line_ending), phase, &verb)?;
        self.read_reply(phase, &verb)
    }

    /// Sends a group of commands in one write and reads their replies in order (RFC 2920 §3.1).
    /// Only for servers that advertised PIPELINING.
    pub fn pipeline(&mut self, cmds: &[(Command, Phase)]) -> Result<Vec<Reply>> {
        let Some((first, first_phase)) = cmds.first() else {
            return Ok(vec![]);
        };
        self.check_unsolicited(*first_phase, &first.verb())?;
        let mut wire = Vec::new();
        for (cmd, _) in cmds {
            self.emit_send(cmd);
            wire.extend_from_slice(&cmd.wire(self.cfg.line_ending));
        }
        self.write(&wire, *first_phase, "the pipelined commands")?;
        let mut replies = Vec::with_capacity(cmds.len());
        for (cmd, phase) in cmds {
            replies.push(self.read_reply(*phase, &cmd.verb())?);
        }
        Ok(replies)
    }

    /// EHLO, falling back to HELO when EHLO is refused (RFC 5321 §4.1.4: a server that does not
    /// support EHLO answers 500/502, and the client may then say HELO).
    pub fn ehlo(&mut self, name: &str, force_helo: bool) -> Result<Reply> {
        if !force_helo {
            let reply = self.command(&Command::Ehlo(name.to_string()), Phase::Ehlo)?;
            if reply.is_positive() {
                self.caps = Some(Capabilities::from_ehlo(&reply));
                return Ok(reply);
            }
            if !matches!(reply.code, 500 | 502 | 504 | 550) {
                return Ok(reply);
            }
            self.obs
                .event(Event::info("EHLO refused; falling back to HELO"));
        }
        let reply = self.command(&Command::Helo(name.to_string()), Phase::Ehlo)?;
        if reply.is_positive() {
            self.caps = Some(Capabilities::helo(&reply));
        }
        Ok(reply)
    }

    /// Sends STARTTLS; on 220, discards anything already received in plaintext (RFC 3207 §4.2,
    /// the CVE-2011-0411 class), then runs the handshake. Returns the reply: a non-220 is data
    /// for the caller; a failed handshake is an error (the session is then closed).
    pub fn starttls(&mut self, params: &TlsParams) -> Result<Reply> {
        let reply = self.command(&Command::StartTls, Phase::Starttls)?;
        if reply.code != 220 {
            return Ok(reply);
        }
        self.upgrade_to_tls(params)?;
        Ok(reply)
    }

    /// Runs an AUTH exchange. Returns the final reply (235 on success), as data.
    pub fn auth(&mut self, mechanism: Mechanism, user: &str, password: &Secret) -> Result<Reply> {
        let name = mechanism.name().to_string();
        self.auth_mechanism = Some(mechanism.name());
        let initial = match mechanism {
            Mechanism::Plain => Some(auth::plain(user, password)),
            Mechanism::Xoauth2 => Some(auth::xoauth2(user, password)),
            Mechanism::Login | Mechanism::CramMd5 => None,
        };
        let mut reply = self.command(
            &Command::Auth {
                mechanism: name.clone(),
                initial: initial.clone(),
            },
            Phase::Auth,
        )?;
        let mut round = 0;
        // RFC 4954 §4: each 334 carries a challenge; answer until 235 or a failure.
        while reply.code == 334 {
            round += 1;
            let challenge = reply.lines.first().cloned().unwrap_or_default();
            let response = match (mechanism, round) {
                (Mechanism::Plain, 1) => initial.clone().unwrap_or_default(),
                (Mechanism::Login, 1) => auth::login_user(user),
                (Mechanism::Login, 2) => auth::login_password(password),
                (Mechanism::CramMd5, 1) => match auth::cram_md5(user, password, &challenge) {
                    Ok(r) => r,
                    Err(msg) => {
                        self.obs.event(Event::warning(msg));
                        Secret::new("*")
                    }
                },
                // XOAUTH2 errors come as a 334 with a JSON status; an empty line ends the
                // exchange and the server then sends its 5xx.
                (Mechanism::Xoauth2, _) => Secret::default(),
                // A challenge we did not expect: cancel (RFC 4954 §4, "*").
                _ => Secret::new("*"),
            };
            if round > 4 {
                break;
            }
            reply = self.command(&Command::AuthResponse(response), Phase::Auth)?;
        }
        if reply.code == 235 {
            self.authenticated = true;
        }
        Ok(reply)
    }

    /// After a 354 to DATA: sends the message, dot-stuffed, and reads the final reply.
    pub fn send_data(&mut self, message: &[u8]) -> Result<Reply> {
        self.check_unsolicited(Phase::Data, "the message data")?;
        let wire = data::dot_stuff(message, self.cfg.line_ending);
        self.emit_body(message, wire.len());
        self.write(&wire, Phase::Data, "the message data")?;
        self.read_reply(Phase::Data, ".")
    }

    /// Sends the message with BDAT (RFC 3030 §2) in chunks; the last chunk carries LAST. Returns
    /// the reply to the last chunk, or the first non-2xx reply.
    pub fn bdat(&mut self, message: &[u8], chunk_size: usize) -> Result<Reply> {
        let normalized = data::normalize_line_endings(message, self.cfg.line_ending);
        let chunks: Vec<&[u8]> = data::bdat_chunks(&normalized, chunk_size).collect();
        let count = chunks.len().max(1);
        self.emit_body(message, normalized.len());
        for i in 0..count {
            let chunk = chunks.get(i).copied().unwrap_or(&[]);
            let last = i + 1 == count;
            let cmd = Command::Bdat {
                size: chunk.len(),
                last,
            };
            self.check_unsolicited(Phase::Data, "BDAT")?;
            self.emit_send(&cmd);
            let mut wire = cmd.wire(self.cfg.line_ending);
            wire.extend_from_slice(chunk);
            self.write(&wire, Phase::Data, "BDAT")?;
            let reply = self.read_reply(Phase::Data, if last { "." } else { "BDAT" })?;
            if !reply.is_positive() || last {
                return Ok(reply);
            }
        }
        unreachable_reply()
    }

    fn emit_body(&mut self, message: &[u8], wire_bytes: usize) {
        let text = String::from_utf8_lossy(message);
        let lines = text.lines().count();
        let preview: Vec<String> = text.lines().take(200).map(str::to_string).collect();
        let tls = self.is_tls();
        self.obs.event(Event::Body {
            bytes: wire_bytes,
            lines,
            tls,
            preview,
        });
    }

    /// Ends the session politely: QUIT with a short grace, then close. After a protocol error
    /// the stream is out of step, so the connection is simply closed.
    pub fn quit(&mut self) -> Option<Reply> {
        let conn = self.conn.as_mut()?;
        if self.broken {
            conn.shutdown();
            self.conn = None;
            return None;
        }
        let grace = if self.timed_out {
            QUIT_GRACE_AFTER_TIMEOUT
        } else {
            QUIT_GRACE
        };
        let saved = self.cfg.timeout;
        self.cfg.timeout = saved.min(grace);
        let reply = self.command(&Command::Quit, Phase::Quit).ok();
        self.cfg.timeout = saved;
        if let Some(c) = self.conn.as_mut() {
            c.shutdown();
        }
        self.conn = None;
        reply
    }

    /// Closes at once without QUIT (`--quit-after connect`, or in the middle of DATA).
    pub fn abort(&mut self) {
        if let Some(c) = self.conn.as_mut() {
            c.shutdown();
        }
        self.conn = None;
    }

    /// Marks the session as unusable (a caller saw a protocol violation it detected itself).
    pub fn mark_broken(&mut self) {
        self.broken = true;
    }
}

fn unreachable_reply() -> Result<Reply> {
    Err(Error::new(
        Phase::Data,
        ErrorKind::Protocol,
        "BDAT sent no chunk",
    ))
}

/// What an unexpected close most likely means, by phase and port.
fn close_hint(phase: Phase, port: u16, tls: bool) -> String {
    match phase {
        Phase::Greeting if port == 465 && !tls => {
            "port 465 expects TLS from the first byte: use --tls-on-connect".into()
        }
        Phase::Greeting => "the server dropped the connection before greeting: it may refuse \
                            this client's IP, or it expects TLS from the first byte (--tls-on-connect)"
            .into(),
        _ => "the server ended the session; its log says why".into(),
    }
}

/// The error for a failed handshake, naming the certificate problem when there is one.
pub fn tls_error(phase: Phase, failure: &tls::TlsFailure) -> Error {
    let mut message = failure.message.clone();
    if let Some(problem) = failure.cert_problem {
        message = format!("{}: {}", problem.describe(), failure.message);
    }
    let hint = match failure.cert_problem {
        Some(_) => {
            "fix the server's certificate; to test anyway use --insecure (or --ca-file for a private CA)"
        }
        None if failure.timed_out => "the server stopped answering during the TLS handshake",
        None => {
            "the server's TLS setup or version support may be broken; try --tls-backend native to compare"
        }
    };
    Error::new(phase, ErrorKind::Tls(Box::new(failure.clone())), message).with_hint(hint)
}

// ---------------------------------------------------------------------------------------------
// Additions for `smtp-doctor shell` (issue 5): the TLS upgrade after a 220 however STARTTLS was
// sent, exact bytes for `/raw` and for lines typed inside DATA, replies that may or may not come
// (a bare LF is not a line end to every server), and input nobody asked for between commands.

/// What the server sent between commands ([`Session::poll_unsolicited_reply`]).
#[derive(Debug)]
pub enum Unsolicited {
    /// Nothing: the session is as it was.
    Nothing,
    /// A complete reply (already emitted). A 421 closes the session (RFC 5321 §3.8).
    Reply(Reply),
    /// The server closed the connection.
    Closed,
    /// Bytes that are not a reply; the session is unusable.
    Garbage(Error),
}

/// How often [`Session::await_reply`] looks for the first byte of a reply.
const AWAIT_POLL: Duration = Duration::from_millis(20);

impl Session<'_> {
    /// After a 220 to STARTTLS (sent by [`Session::starttls`], or typed in the shell): discards
    /// anything already received in plaintext (RFC 3207 §4.2, the CVE-2011-0411 class), then
    /// runs the handshake under the deadline. A failed handshake closes the session.
    pub fn upgrade_to_tls(&mut self, params: &TlsParams) -> Result<()> {
        let conn = self.conn(Phase::Starttls)?;
        let _ = conn.poll_unsolicited();
        let injected = conn.take_buffered();
        if !injected.is_empty() {
            self.obs.event(Event::Discarded {
                bytes: injected.len(),
                text: sanitize_bytes(&injected),
            });
            self.obs.event(Event::warning(format!(
                "the server sent {} bytes after its 220 to STARTTLS and before TLS; they were discarded \
                 (RFC 3207 §4.2). This is how STARTTLS command injection works (CVE-2011-0411): a \
                 server or middlebox that does it is broken or being attacked",
                injected.len()
            )));
        }
        let conn = self.conn.take().ok_or_else(|| {
            Error::new(
                Phase::Starttls,
                ErrorKind::Closed,
                "the connection is closed",
            )
        })?;
        let Some(tcp) = conn.into_tcp() else {
            self.broken = true;
            return Err(Error::new(
                Phase::Starttls,
                ErrorKind::Protocol,
                "STARTTLS inside TLS is not possible",
            ));
        };
        let deadline = self.deadline();
        match tls::handshake(tcp, params, deadline) {
            Ok((stream, info)) => {
                self.conn = Some(Connection::new(stream));
                self.obs.event(Event::Tls {
                    info: Box::new(info.clone()),
                });
                self.tls = Some(info);
                // RFC 3207 §4.2: all knowledge from before TLS is discarded; EHLO again.
                self.caps_before_tls = self.caps.take();
                Ok(())
            }
            Err(failure) => {
                self.broken = true;
                if failure.timed_out {
                    self.timed_out = true;
                }
                let err = tls_error(Phase::TlsHandshake, &failure);
                self.obs.event(Event::TlsFailed {
                    failure: Box::new(failure),
                });
                Err(err)
            }
        }
    }

    /// Writes `bytes` exactly as given, with no line ending added. Narrated as one `send` event
    /// per line with the ending that line really has (AUTH payloads redacted as usual, every
    /// line when `secret`: an answer to a 334); bytes after the last line ending are narrated
    /// as a warning, since the server waits for more.
    pub fn send_raw(&mut self, bytes: &[u8], phase: Phase, secret: bool) -> Result<()> {
        let tls = self.is_tls();
        let mut rest = bytes;
        while !rest.is_empty() {
            let Some(pos) = rest.iter().position(|&b| b == b'\n' || b == b'\r') else {
                let text = sanitize_bytes(rest);
                self.obs.event(Event::warning(format!(
                    "sent {} bytes without a line end: \"{}\" (the server waits for the rest of the line)",
                    rest.len(),
                    self.redact_line(&text, secret)
                )));
                break;
            };
            let (ending, len) = match (rest[pos], rest.get(pos + 1)) {
                (b'\r', Some(b'\n')) => (LineEnding::Crlf, 2),
                (b'\r', _) => (LineEnding::Cr, 1),
                _ => (LineEnding::Lf, 1),
            };
            let text = sanitize_bytes(&rest[..pos]);
            let line = self.redact_line(&text, secret);
            let redacted = line != text;
            self.obs.event(Event::Send {
                line,
                tls,
                redacted,
                line_ending: ending,
            });
            rest = &rest[pos + len..];
        }
        self.write(bytes, phase, "the raw bytes")
    }

    fn redact_line(&self, text: &str, secret: bool) -> String {
        match (self.cfg.show_secrets, secret) {
            (true, _) => text.to_string(),
            (false, true) => "***".into(),
            (false, false) => super::command::redact_raw(text),
        }
    }

    /// Waits up to `wait` for a reply to begin, then reads it whole under the normal deadline.
    /// `Ok(None)` when nothing arrived in time: the session stays usable, and the reply, if it
    /// comes later, is picked up by [`Session::poll_unsolicited_reply`].
    pub fn await_reply(
        &mut self,
        phase: Phase,
        verb: &str,
        wait: Duration,
    ) -> Result<Option<Reply>> {
        let deadline = Instant::now() + wait;
        loop {
            let conn = self.conn(phase)?;
            match conn.poll_unsolicited() {
                Ok(true) => break,
                Ok(false) => {}
                Err(ReadError::Closed { .. }) => {
                    self.broken = true;
                    return Err(Error::new(
                        phase,
                        ErrorKind::Closed,
                        format!("the server closed the connection instead of replying to {verb}"),
                    )
                    .with_hint(close_hint(phase, self.cfg.port, self.is_tls())));
                }
                // Let the blocking read report it properly.
                Err(_) => break,
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            std::thread::sleep(left.min(AWAIT_POLL));
        }
        self.read_reply(phase, verb).map(Some)
    }

    /// Between commands: shows what the server sent unasked, without waiting. A 421 (the
    /// server shutting the session, RFC 5321 §3.8) or a close ends the session; a late reply
    /// (to a `/raw` line that got none in time, say) is shown and the session goes on.
    pub fn poll_unsolicited_reply(&mut self) -> Unsolicited {
        if !self.is_open() {
            return Unsolicited::Nothing;
        }
        let Some(conn) = self.conn.as_mut() else {
            return Unsolicited::Nothing;
        };
        match conn.poll_unsolicited() {
            Ok(false) => Unsolicited::Nothing,
            Ok(true) => {
                let deadline = Instant::now() + UNSOLICITED_GRACE;
                match self.read_reply_raw(Phase::Command, "nothing (unsolicited)", deadline) {
                    Ok(reply) => {
                        self.emit_reply(&reply, "unsolicited");
                        self.last_reply = Some(reply.clone());
                        if reply.code == 421 {
                            self.abort();
                        }
                        Unsolicited::Reply(reply)
                    }
                    Err(e) => {
                        let junk = self
                            .conn
                            .as_mut()
                            .map(|c| c.take_buffered())
                            .unwrap_or_default();
                        let e = if junk.is_empty() {
                            e
                        } else {
                            Error::new(
                                Phase::Command,
                                ErrorKind::Protocol,
                                format!(
                                    "the server sent data that is not a reply: {:?}",
                                    sanitize_bytes(&junk)
                                ),
                            )
                        };
                        Unsolicited::Garbage(e)
                    }
                }
            }
            Err(ReadError::Closed { .. }) => {
                self.broken = true;
                Unsolicited::Closed
            }
            Err(_) => Unsolicited::Nothing,
        }
    }
}
