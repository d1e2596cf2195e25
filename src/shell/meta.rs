//! The meta commands that act: `/starttls` (handshake, certificate, EHLO again), `/auth` (the
//! SASL exchange, the password asked without echo), `/data` (the message, dot-stuffed and with
//! CRLF), `/raw` (exact bytes), `/expect` and `/save`. Those that only show something live in
//! [`super::show`].

use super::exec::{ConnectRequest, Flow, Shell};
use super::input::{Input, InputEvent, LineKind};
use super::show;
use super::state::{self, Phase as TxPhase};
use crate::error::{Error, ErrorKind, Phase, Result};
use crate::sanitize::sanitize;
use crate::script::{Expectation, Meta};
use crate::secret::Secret;
use crate::smtp::auth::Mechanism;
use crate::smtp::command::{Command, check_argument};
use crate::smtp::reply::Reply;
use crate::smtp::session::Session;
use std::time::Duration;

/// How long `/raw` waits for a reply that may never come (a bare LF is not a line end to
/// every server); a reply that comes later is shown when it arrives.
const RAW_SHORT_WAIT: Duration = Duration::from_secs(3);

impl Shell<'_> {
    /// Runs a meta command.
    pub(super) fn meta(
        &mut self,
        m: Meta,
        session: &mut Option<Session<'_>>,
        input: &mut dyn Input,
    ) -> Flow {
        match m {
            Meta::Connect { target, tls, sni } => Flow::Connect(ConnectRequest {
                target,
                tls,
                sni,
                port: None,
            }),
            Meta::Quit => Flow::Quit,
            Meta::Help(topic) => {
                show::help(self, topic.as_deref());
                Flow::Next
            }
            Meta::Caps => {
                show::caps(self, session.as_ref());
                Flow::Next
            }
            Meta::Tls => {
                show::tls(self, session.as_ref());
                Flow::Next
            }
            Meta::Explain(arg) => {
                let result = show::explain_cmd(self, arg.as_deref(), session.as_ref());
                self.outcome(result)
            }
            Meta::Expect(e) => self.expect(&e),
            Meta::Save(file) => {
                let result = self.save(&file);
                self.outcome(result)
            }
            Meta::Starttls | Meta::Auth { .. } | Meta::Data | Meta::Raw(_) => {
                let s = match self.need_session(session) {
                    Ok(s) => s,
                    Err(e) => return self.fail(e),
                };
                let result = match m {
                    Meta::Starttls => self.starttls(s),
                    Meta::Auth {
                        mechanism,
                        user,
                        password,
                    } => self.auth(&mechanism, user, password, s, input),
                    Meta::Data => self.data(s, input),
                    Meta::Raw(bytes) => self.raw(&bytes, s),
                    _ => Ok(()),
                };
                self.outcome_with(result, session)
            }
        }
    }

    /// `/starttls`: STARTTLS, the handshake, the certificate, and EHLO again (RFC 3207 §4.2).
    fn starttls(&mut self, s: &mut Session<'_>) -> Result<()> {
        self.warn_for("STARTTLS", "", s);
        let params = self.tls_params();
        let reply = match s.starttls(&params) {
            Ok(r) => r,
            Err(e) => {
                self.tracker.closed();
                return Err(e);
            }
        };
        self.last = Some((reply.clone(), "STARTTLS".into()));
        if reply.code != 220 {
            self.tracker.observe("STARTTLS", "", &reply);
            self.refused(Error::new(
                Phase::Starttls,
                ErrorKind::TlsRequired,
                format!(
                    "STARTTLS was refused: {} {}; the session is still in plaintext",
                    reply.code,
                    sanitize(&reply.text())
                ),
            ));
            return Ok(());
        }
        self.tracker.tls_started();
        show::certificate(self, s, false);
        let name = self.ehlo_name.clone();
        let reply = s.ehlo(&name, false)?;
        let verb = if s.caps.as_ref().is_some_and(|c| c.helo) {
            "HELO"
        } else {
            "EHLO"
        };
        self.last = Some((reply.clone(), verb.into()));
        self.tracker.observe(verb, &name, &reply);
        if s.caps.as_ref().is_some_and(|c| c.starttls()) {
            self.warn(
                "the server still advertises STARTTLS inside TLS (RFC 3207 §4.2 says it must not)",
            );
        }
        Ok(())
    }

    /// `/auth MECH [USER [PASSWORD]]`.
    fn auth(
        &mut self,
        mechanism: &str,
        user: Option<String>,
        password: Option<Secret>,
        s: &mut Session<'_>,
        input: &mut dyn Input,
    ) -> Result<()> {
        let mech = Mechanism::from_name(mechanism).ok_or_else(|| {
            Error::usage(format!("smtp-doctor does not speak AUTH {}", sanitize(mechanism)))
                .with_hint("use PLAIN, LOGIN, CRAM-MD5 or XOAUTH2, or type the AUTH exchange by hand (AUTH MECH, then each answer)")
        })?;
        self.warn_for("AUTH", mech.name(), s);
        if !s.is_tls() {
            // As in `send`: credentials never cross the network unencrypted unless asked for.
            if !self.allow_plaintext_auth {
                return Err(Error::new(
                    Phase::Auth,
                    ErrorKind::Auth,
                    format!("refusing to send credentials over a connection without TLS (AUTH {}); nothing was sent", mech.name()),
                )
                .with_hint("/starttls first; if you really mean it, start the shell with --allow-plaintext-auth"));
            }
            if mech.sends_password_in_clear() {
                self.warn(format!(
                    "AUTH {} without TLS (--allow-plaintext-auth): the password crosses the network readable by anyone on the path",
                    mech.name()
                ));
            }
        }
        let user = match user {
            Some(u) => u,
            None => self.ask_user(mech, s, input)?,
        };
        check_argument("user name", &user).map_err(Error::usage)?;
        let password = match password {
            Some(p) => p,
            None => match input.password(&format!("Password for {user} (not echoed): ")) {
                Some(Ok(p)) => p,
                Some(Err(e)) => {
                    return Err(Error::new(
                        Phase::Auth,
                        ErrorKind::Auth,
                        format!("reading the password failed: {e}"),
                    ));
                }
                None => {
                    return Err(Error::new(Phase::Auth, ErrorKind::Auth, "no password for /auth and no terminal to ask on")
                        .with_hint("give it as the third word, from the environment: /auth PLAIN USER ${SMTP_PASSWORD}"));
                }
            },
        };
        let reply = s.auth(mech, &user, &password)?;
        self.last = Some((reply.clone(), "AUTH".into()));
        self.tracker.observe("AUTH", mech.name(), &reply);
        if reply.code != 235 {
            self.refused(Error::new(
                Phase::Auth,
                ErrorKind::Auth,
                format!(
                    "authentication as {} with {} failed: {} {}",
                    sanitize(&user),
                    mech.name(),
                    reply.code,
                    sanitize(&reply.text())
                ),
            ));
        }
        Ok(())
    }

    fn ask_user(
        &mut self,
        mech: Mechanism,
        s: &mut Session<'_>,
        input: &mut dyn Input,
    ) -> Result<String> {
        let no_user = || {
            Error::usage(format!("/auth {} needs a user name", mech.name()))
                .with_hint(format!("/auth {} USER [PASSWORD]", mech.name()))
        };
        if !input.interactive() {
            return Err(no_user());
        }
        let mut view = self.view(Some(&*s), LineKind::Answer);
        view.prompt = format!("User name for AUTH {}: ", mech.name());
        loop {
            match input.read(&view, Some(&mut *s)) {
                InputEvent::Line(u) if !u.trim().is_empty() => return Ok(u.trim().to_string()),
                InputEvent::Line(_) | InputEvent::Interrupted | InputEvent::Eof => {
                    return Err(no_user());
                }
                InputEvent::Unsolicited(u) => {
                    self.unsolicited(u, s);
                    input.flush();
                    if !s.is_open() {
                        return Err(Error::new(
                            Phase::Auth,
                            ErrorKind::Closed,
                            "the server ended the session",
                        ));
                    }
                }
                InputEvent::Failed(e) => return Err(e),
            }
        }
    }

    /// `/data`: DATA, then the message up to a lone `.`, dot-stuffed with CRLF (RFC 5321
    /// §4.5.2). A script's message is read first, so that a refused DATA never turns its lines
    /// into commands.
    fn data(&mut self, s: &mut Session<'_>, input: &mut dyn Input) -> Result<()> {
        let body = if input.interactive() {
            None
        } else {
            Some(self.read_body(s, input)?)
        };
        self.warn_for("DATA", "", s);
        let reply = s.command(&Command::Data, Phase::Data)?;
        self.last = Some((reply.clone(), "DATA".into()));
        if reply.code != 354 {
            self.tracker.observe("DATA", "", &reply);
            self.refused(refusal(Phase::Data, &reply, "DATA was refused"));
            return Ok(());
        }
        let body = match body {
            Some(b) => b,
            None => {
                self.info("type the message (headers, a blank line, the body); a lone . on a line ends it");
                self.read_body(s, input)?
            }
        };
        let reply = s.send_data(&body)?;
        self.after_reply(".", "", &reply, s)?;
        if !reply.is_positive() {
            self.refused(refusal(Phase::Data, &reply, "the message was refused"));
        }
        Ok(())
    }

    /// The message lines after `/data`, up to a lone `.`, with CRLF endings.
    fn read_body(&mut self, s: &mut Session<'_>, input: &mut dyn Input) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        let view = self.view(Some(&*s), LineKind::Body);
        loop {
            match input.read(&view, Some(&mut *s)) {
                InputEvent::Line(line) if line == "." => return Ok(body),
                InputEvent::Line(line) => {
                    body.extend_from_slice(line.as_bytes());
                    body.extend_from_slice(b"\r\n");
                }
                InputEvent::Interrupted => {}
                // Ctrl-D ends the message, as in mail(1).
                InputEvent::Eof if input.interactive() => return Ok(body),
                InputEvent::Eof => {
                    return Err(Error::usage(
                        "the message after /data has no lone . line before the end of the script",
                    )
                    .with_hint("end the message with a line holding only ."));
                }
                InputEvent::Unsolicited(u) => {
                    self.unsolicited(u, s);
                    input.flush();
                    if !s.is_open() {
                        return Err(Error::new(
                            Phase::Data,
                            ErrorKind::Closed,
                            "the server ended the session while the message was being typed",
                        ));
                    }
                }
                InputEvent::Failed(e) => return Err(e),
            }
        }
    }

    /// `/raw TEXT`: the bytes exactly, then the replies they draw, each awaited only briefly
    /// unless the line ended in CRLF.
    fn raw(&mut self, bytes: &[u8], s: &mut Session<'_>) -> Result<()> {
        let bare_lf = bytes
            .iter()
            .enumerate()
            .any(|(i, &b)| b == b'\n' && (i == 0 || bytes[i - 1] != b'\r'));
        if bare_lf {
            self.warn("sending a bare LF, which RFC 5321 §2.3.8 forbids: servers differ — some take it as a line end, some wait for CRLF, some refuse the line (SMTP smuggling defences)");
        }
        // Inside an AUTH typed by hand, the bytes answer a challenge: a credential.
        let secret = self.tracker.phase == TxPhase::AuthChallenge;
        s.send_raw(bytes, Phase::Command, secret)?;
        let timeout = s.config().timeout;
        let mut waited_full = false;
        for line in bytes
            .split_inclusive(|&b| b == b'\n')
            .filter(|l| l.ends_with(b"\n"))
        {
            let text = String::from_utf8_lossy(line);
            let text = text.trim_end_matches(['\r', '\n']);
            // What the line is to the server decides which reply it draws, if any.
            let (verb, args) = match self.tracker.phase {
                TxPhase::Data if text != "." => continue,
                TxPhase::Data => (".".to_string(), ""),
                TxPhase::AuthChallenge => ("AUTH".to_string(), ""),
                _ => state::split_verb(text),
            };
            self.tracker.note_command(&verb, args);
            let full = line.ends_with(b"\r\n") && !waited_full;
            let wait = if full {
                timeout
            } else {
                timeout.min(RAW_SHORT_WAIT)
            };
            waited_full |= full;
            match s.await_reply(super::typed::phase_of(&verb), &verb, wait)? {
                Some(reply) => {
                    self.after_reply(&verb, args, &reply, s)?;
                    if !s.is_open() {
                        break;
                    }
                }
                None => {
                    let why = if line.ends_with(b"\r\n") {
                        ""
                    } else {
                        ": to this server a bare LF may not end the line, so it is still waiting for one"
                    };
                    self.info(format!("no reply within {:.0} s{why}; a reply that comes later is shown when it arrives", wait.as_secs_f64()));
                    break;
                }
            }
        }
        Ok(())
    }

    /// `/expect`: checks the last reply; a failure stops a script with exit 1.
    fn expect(&mut self, e: &Expectation) -> Flow {
        let Some((reply, _)) = &self.last else {
            return self.fail(Error::new(
                Phase::Command,
                ErrorKind::ExpectFailed,
                format!("/expect {}: there is no reply yet to check", e.text),
            ));
        };
        match e.check(reply) {
            Ok(()) => {
                // A refused step that the script expected is not a failure.
                self.pending_checked();
                self.held();
                self.info(format!("/expect {}: held", e.text));
                Flow::Next
            }
            Err(msg) => {
                self.pending_checked();
                self.fail(Error::new(
                    Phase::Command,
                    ErrorKind::ExpectFailed,
                    format!("/expect {} failed: {msg}", e.text),
                ))
            }
        }
    }

    /// `/save FILE`: the transcript so far.
    fn save(&mut self, file: &str) -> Result<()> {
        let text = self.transcript();
        std::fs::write(file, &text).map_err(|e| {
            Error::usage(format!(
                "cannot write the transcript to {}: {e}",
                sanitize(file)
            ))
            .with_hint("check the path and permissions")
        })?;
        let lines = text.iter().filter(|&&b| b == b'\n').count();
        self.info(format!(
            "transcript saved to {} ({lines} lines)",
            sanitize(file)
        ));
        Ok(())
    }
}

/// The error for a step the server refused with `reply`.
fn refusal(phase: Phase, reply: &Reply, what: &str) -> Error {
    Error::new(
        phase,
        ErrorKind::Reply(Box::new(reply.clone())),
        format!("{what}: {} {}", reply.code, sanitize(&reply.text())),
    )
}
