//! SMTP typed by hand: each line goes out as typed with CRLF, after a warning when it is out
//! of order; its reply teaches the shell what changed (capabilities after EHLO, TLS after a 220
//! to STARTTLS, AUTH after 235, the phase). Inside a typed DATA, BDAT or AUTH exchange the
//! lines are message text, chunk bytes or challenge answers, sent as the server expects them.

use super::exec::Shell;
use super::state::{self, Phase as TxPhase};
use crate::error::{Phase, Result};
use crate::secret::Secret;
use crate::smtp::command::Command;
use crate::smtp::ehlo::Capabilities;
use crate::smtp::reply::Reply;
use crate::smtp::session::Session;

impl Shell<'_> {
    /// An SMTP line typed by hand.
    pub(super) fn smtp_line(&mut self, line: &str, s: &mut Session<'_>) -> Result<()> {
        let (verb, args) = state::split_verb(line);
        self.warn_for(&verb, args, s);
        self.tracker.note_command(&verb, args);
        if verb == "BDAT" {
            return self.bdat_line(line, args, s);
        }
        let reply = s.command(&Command::Raw(line.to_string()), phase_of(&verb))?;
        self.after_reply(&verb, args, &reply, s)
    }

    /// What a reply teaches, beyond the tracker's phase.
    pub(super) fn after_reply(
        &mut self,
        verb: &str,
        args: &str,
        reply: &Reply,
        s: &mut Session<'_>,
    ) -> Result<()> {
        self.last = Some((reply.clone(), verb.to_string()));
        match verb {
            "EHLO" if reply.is_positive() => {
                s.caps = Some(Capabilities::from_ehlo(reply));
                self.remember_ehlo(args);
            }
            "HELO" if reply.is_positive() => {
                s.caps = Some(Capabilities::helo(reply));
                self.remember_ehlo(args);
            }
            "STARTTLS" if reply.code == 220 => {
                let params = self.tls_params();
                let upgraded = s.upgrade_to_tls(&params);
                if upgraded.is_err() {
                    self.tracker.closed();
                }
                upgraded?;
                self.tracker.tls_started();
                super::show::certificate(self, s, false);
                self.info(
                    "TLS is up: the server has forgotten the EHLO (RFC 3207 §4.2); say EHLO again",
                );
                return Ok(());
            }
            "AUTH" if reply.code == 235 => s.authenticated = true,
            "QUIT" if reply.code == 221 => s.abort(),
            _ => {}
        }
        self.tracker.observe(verb, args, reply);
        if reply.code == 421 && s.is_open() {
            // RFC 5321 §3.8: the server closes after a 421; so do we.
            s.abort();
        }
        if !s.is_open() {
            self.tracker.closed();
            if verb != "QUIT" {
                self.info("the session has ended; /connect to start a new one");
            }
        }
        Ok(())
    }

    fn remember_ehlo(&mut self, args: &str) {
        let name = args.trim();
        if !name.is_empty() {
            self.ehlo_name = name.to_string();
            self.ehlo_typed = true;
        }
    }

    /// A typed `BDAT n [LAST]`: the server reads n bytes before it answers, so the reply waits
    /// for the chunk typed on the next lines (RFC 3030 §2).
    fn bdat_line(&mut self, line: &str, args: &str, s: &mut Session<'_>) -> Result<()> {
        let mut words = args.split_whitespace();
        let size = words.next().and_then(|w| w.parse::<usize>().ok());
        let last = words.next().is_some_and(|w| w.eq_ignore_ascii_case("LAST"));
        let mut wire = line.as_bytes().to_vec();
        wire.extend_from_slice(b"\r\n");
        match size {
            Some(remaining) if remaining > 0 => {
                s.send_raw(&wire, Phase::Data, false)?;
                self.tracker.phase = TxPhase::Bdat { remaining, last };
                self.info(format!(
                    "type the {remaining} bytes of the chunk on the next lines (each line counts with its CRLF); the server answers after the last byte"
                ));
                Ok(())
            }
            _ => {
                // BDAT 0 LAST, or a malformed size the server will refuse at once.
                let reply = s.command(&Command::Raw(line.to_string()), Phase::Data)?;
                self.after_reply("BDAT", args, &reply, s)
            }
        }
    }

    /// A line inside typed DATA (after its 354) or a typed BDAT chunk.
    pub(super) fn message_line(&mut self, line: &str, s: &mut Session<'_>) -> Result<()> {
        let mut wire = line.as_bytes().to_vec();
        wire.extend_from_slice(b"\r\n");
        match self.tracker.phase.clone() {
            TxPhase::Bdat { remaining, last } => {
                s.send_raw(&wire, Phase::Data, false)?;
                if wire.len() < remaining {
                    self.tracker.phase = TxPhase::Bdat {
                        remaining: remaining - wire.len(),
                        last,
                    };
                    return Ok(());
                }
                if wire.len() > remaining {
                    self.warn(format!(
                        "that line went {} bytes past the chunk size: the server reads them as the start of the next command",
                        wire.len() - remaining
                    ));
                }
                let args = if last { "0 LAST" } else { "0" };
                let reply = s.read_reply(Phase::Data, "BDAT")?;
                self.after_reply("BDAT", args, &reply, s)
            }
            _ => {
                s.send_raw(&wire, Phase::Data, false)?;
                if line != "." {
                    return Ok(());
                }
                let reply = s.read_reply(Phase::Data, ".")?;
                self.after_reply(".", "", &reply, s)
            }
        }
    }

    /// A line answering a 334 challenge to a typed AUTH: a credential, so never shown.
    pub(super) fn auth_answer(&mut self, answer: &str, s: &mut Session<'_>) -> Result<()> {
        let reply = s.command(&Command::AuthResponse(Secret::new(answer)), Phase::Auth)?;
        self.after_reply("AUTH", "", &reply, s)
    }
}

/// The session phase an error in reply to `verb` belongs to.
pub(super) fn phase_of(verb: &str) -> Phase {
    match verb {
        "EHLO" | "HELO" => Phase::Ehlo,
        "STARTTLS" => Phase::Starttls,
        "AUTH" => Phase::Auth,
        "MAIL" => Phase::Mail,
        "RCPT" => Phase::Rcpt,
        "DATA" | "BDAT" | "." => Phase::Data,
        "QUIT" => Phase::Quit,
        _ => Phase::Command,
    }
}
