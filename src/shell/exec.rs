//! The shell's state across lines and sessions, and one line's way through it: `${}`
//! expansion, parsing, then SMTP text to [`super::typed`] and meta commands to [`super::meta`]
//! and [`super::show`]. Also how failures end (or do not end) a run. Replies are data: only
//! network and local failures stop a script, plus a failed `/expect`, and a meta command whose
//! step the server refused (`/starttls`, `/auth`, `/data`) unless the next line is an `/expect`
//! that decides instead.

use super::input::{Input, LineKind};
use super::state::{Facts, Phase as TxPhase, Step, Tracker};
use super::transcript::SharedObs;
use crate::cli::GlobalArgs;
use crate::dns::Dns;
use crate::error::{Error, ErrorKind, Phase, Result};
use crate::exit;
use crate::net::tls::TlsParams;
use crate::report::{Event, Observer};
use crate::sanitize::sanitize;
use crate::script::{self, Line, Meta};
use crate::smtp::ehlo::Capabilities;
use crate::smtp::reply::Reply;
use crate::smtp::session::Session;
use serde_json::json;

/// What the loop does after a line.
#[derive(Debug)]
pub enum Flow {
    Next,
    /// Close the session (if any) and open this one.
    Connect(ConnectRequest),
    /// QUIT and leave.
    Quit,
    /// Leave with this exit code (a script failed).
    Stop(u8),
}

/// Where to connect (the TARGET argument, or `/connect`).
#[derive(Debug, Clone)]
pub struct ConnectRequest {
    /// `HOST[:PORT]`, `[IPv6]:PORT`, or a mail domain (its MX) when no port is given.
    pub target: String,
    /// Implicit TLS even when the port is not 465.
    pub tls: bool,
    pub sni: Option<String>,
    /// `-p`: the port when the target has none.
    pub port: Option<u16>,
}

/// What the REPL shows and completes from, rebuilt before every line.
#[derive(Debug, Clone, Default)]
pub struct View {
    pub prompt: String,
    pub kind: Option<LineKind>,
    pub step: Option<Step>,
    /// Extension keywords the server advertised (upper case).
    pub keywords: Vec<String>,
    /// AUTH mechanisms it advertised.
    pub mechanisms: Vec<String>,
    /// Addresses typed earlier.
    pub addresses: Vec<String>,
}

/// The server of the current (or last) session.
#[derive(Debug, Clone)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub params: TlsParams,
}

/// A failure the server's reply caused for a meta command, waiting for an `/expect`.
pub(super) struct Pending {
    error: Error,
    pub(super) location: Option<String>,
}

/// The shell's state across lines and sessions.
pub struct Shell<'g> {
    pub(super) global: &'g GlobalArgs,
    obs: SharedObs,
    pub(super) interactive: bool,
    /// `--allow-plaintext-auth`: /auth may send credentials without TLS.
    pub(super) allow_plaintext_auth: bool,
    pub(super) tracker: Tracker,
    pub(super) dns: Option<Dns>,
    pub(super) server: Option<Server>,
    /// The name for EHLO after `/starttls`: the last one typed, else this host's.
    pub(super) ehlo_name: String,
    pub(super) ehlo_typed: bool,
    /// The last reply and the verb it answered (for `/expect` and `/explain`).
    pub(super) last: Option<(Reply, String)>,
    pub(super) pending: Option<Pending>,
    expectations_held: usize,
    lines: usize,
    /// Where the last line came from (scripts).
    location: Option<String>,
    /// The error that stopped the run, for the result.
    stopped_by: Option<(Error, Option<String>)>,
}

impl<'g> Shell<'g> {
    pub fn new(
        global: &'g GlobalArgs,
        obs: SharedObs,
        interactive: bool,
        allow_plaintext_auth: bool,
    ) -> Shell<'g> {
        Shell {
            global,
            obs,
            interactive,
            allow_plaintext_auth,
            tracker: Tracker::default(),
            dns: None,
            server: None,
            ehlo_name: crate::send::client_name(),
            ehlo_typed: false,
            last: None,
            pending: None,
            expectations_held: 0,
            lines: 0,
            location: None,
            stopped_by: None,
        }
    }

    /// A handle on the output for a session.
    pub fn observer(&self) -> SharedObs {
        self.obs.clone()
    }

    pub(super) fn emit(&mut self, event: Event) {
        self.obs.event(event);
    }

    pub(super) fn info(&mut self, message: impl Into<String>) {
        self.emit(Event::info(message));
    }

    pub(super) fn warn(&mut self, message: impl Into<String>) {
        self.emit(Event::warning(message));
    }

    /// The transcript so far.
    pub(super) fn transcript(&self) -> Vec<u8> {
        self.obs.transcript()
    }

    /// The first words of an interactive session.
    pub fn welcome(&mut self) {
        self.info("smtp-doctor shell: type SMTP as you would in telnet (each line goes out with CRLF); /help lists the / commands; Tab completes, → takes the hint, Ctrl-D quits");
    }

    /// What the tracker needs from the session.
    pub(super) fn facts<'s>(&self, s: Option<&'s Session<'_>>) -> Facts<'s> {
        Facts {
            tls: s.is_some_and(|s| s.is_tls()),
            authenticated: s.is_some_and(|s| s.authenticated),
            caps: s.and_then(|s| s.caps.as_ref()),
            port: self.server.as_ref().map_or(25, |srv| srv.port),
        }
    }

    /// The prompt: host and port, TLS or not, authenticated or not, and the phase.
    pub fn prompt(&self, s: Option<&Session<'_>>) -> String {
        let open = s.is_some_and(|s| s.is_open());
        match (&self.server, open) {
            (Some(srv), true) => {
                let s = s.filter(|_| open);
                let tls = if s.is_some_and(|s| s.is_tls()) {
                    "TLS"
                } else {
                    "plain"
                };
                let auth = if s.is_some_and(|s| s.authenticated) {
                    "+auth"
                } else {
                    ""
                };
                let host = if srv.host.contains(':') {
                    format!("[{}]", srv.host)
                } else {
                    srv.host.clone()
                };
                format!(
                    "{}:{} {tls}{auth} {}> ",
                    sanitize(&host),
                    srv.port,
                    self.tracker.phase.name()
                )
            }
            (Some(srv), false) => format!("{}:{} closed> ", sanitize(&srv.host), srv.port),
            (None, _) => "smtp-doctor> ".into(),
        }
    }

    /// The view for the next line.
    pub fn view(&self, s: Option<&Session<'_>>, kind: LineKind) -> View {
        let caps = s
            .and_then(|s| s.caps.as_ref())
            .filter(|_| self.tracker.extended);
        let step = match kind {
            LineKind::Command => Some(self.tracker.next_step(self.facts(s), &self.ehlo_name)),
            LineKind::Body => Some(Step::Say("message text; a lone . ends it".into())),
            LineKind::Answer => None,
        };
        View {
            prompt: self.prompt(s),
            kind: Some(kind),
            step,
            keywords: caps
                .map(|c| c.keywords.keys().cloned().collect())
                .unwrap_or_default(),
            // Server text reaches the completion list unescaped: keep only SASL mechanism
            // names (RFC 4422 §3.1: letters, digits, - and _).
            mechanisms: caps
                .map(Capabilities::auth_mechanisms)
                .unwrap_or_default()
                .into_iter()
                .filter(|m| {
                    m.len() <= 20
                        && m.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                })
                .collect(),
            addresses: self.tracker.addresses.clone(),
        }
    }

    /// Reports a failure. Interactive: shown, and the shell goes on. Script: shown with the
    /// line it happened at, and the script stops with the failure's exit code.
    pub fn fail(&mut self, mut e: Error) -> Flow {
        if self.interactive {
            self.emit(Event::error(&e));
            return Flow::Next;
        }
        if let Some(loc) = &self.location {
            e.message = format!("{loc}: {}", e.message);
        }
        self.emit(Event::error(&e));
        let code = e.exit_code();
        self.stopped_by = Some((e, self.location.clone()));
        Flow::Stop(code)
    }

    /// A meta command's step was refused by the server. Interactive: the reply and its
    /// explanation are already on screen. Script: it fails the run unless the next line is an
    /// `/expect` (which then decides).
    pub(super) fn refused(&mut self, error: Error) {
        if !self.interactive {
            self.pending = Some(Pending {
                error,
                location: self.location.clone(),
            });
        }
    }

    fn take_pending(&mut self) -> Option<Flow> {
        let p = self.pending.take()?;
        let saved = std::mem::replace(&mut self.location, p.location);
        let flow = self.fail(p.error);
        self.location = saved;
        Some(flow)
    }

    /// At the end of the input: a refused step nobody checked fails the script.
    pub fn at_end(&mut self) -> u8 {
        match self.take_pending() {
            Some(Flow::Stop(code)) => code,
            _ => exit::SUCCESS,
        }
    }

    /// The `result` event; returns the exit code.
    pub fn finish(&mut self, code: u8) -> u8 {
        let mut summary = Vec::new();
        if !self.interactive {
            match &self.stopped_by {
                Some((_, loc)) => summary.push(format!(
                    "*** Script stopped{} (exit {code})",
                    loc.as_ref().map(|l| format!(" at {l}")).unwrap_or_default()
                )),
                None => summary.push(format!(
                    "=== Script done: {} lines, {} expectation{} held",
                    self.lines,
                    self.expectations_held,
                    if self.expectations_held == 1 { "" } else { "s" }
                )),
            }
        }
        let mut data = serde_json::Map::new();
        data.insert("command".into(), json!("shell"));
        data.insert(
            "mode".into(),
            json!(if self.interactive {
                "interactive"
            } else {
                "script"
            }),
        );
        data.insert(
            "server".into(),
            json!(self.server.as_ref().map(|s| s.host.clone())),
        );
        data.insert("port".into(), json!(self.server.as_ref().map(|s| s.port)));
        data.insert("lines".into(), json!(self.lines));
        data.insert("expectations_held".into(), json!(self.expectations_held));
        data.insert(
            "error".into(),
            json!(self.stopped_by.as_ref().map(|(e, loc)| json!({
                "phase": e.phase, "kind": e.kind.name(), "message": e.message, "hint": e.hint, "location": loc,
            }))),
        );
        self.emit(Event::Result {
            summary,
            ok: code == exit::SUCCESS,
            exit_code: code,
            data,
        });
        code
    }

    /// Runs one line.
    pub fn handle(
        &mut self,
        raw: &str,
        session: &mut Option<Session<'_>>,
        input: &mut dyn Input,
    ) -> Flow {
        self.location = input.location();
        if let Some(s) = session
            .as_mut()
            .filter(|s| s.is_open() && !script::is_meta_command(raw))
        {
            // Inside message data, after a typed BDAT, or answering a 334: the line is not an
            // SMTP command (the shell's / commands still are). Message text is sent as it
            // stands; a challenge answer may use ${VAR}.
            match self.tracker.phase {
                TxPhase::Data | TxPhase::Bdat { .. } => {
                    self.lines += 1;
                    let result = self.message_line(raw, s);
                    return self.outcome(result);
                }
                TxPhase::AuthChallenge => {
                    self.lines += 1;
                    let answer = match script::expand_vars(raw, env_var) {
                        Ok(a) => a,
                        Err(m) => return self.fail(Error::usage(m)),
                    };
                    let result = self.auth_answer(&answer, s);
                    return self.outcome(result);
                }
                _ => {}
            }
        }
        if script::is_comment_or_blank(raw) {
            return Flow::Next;
        }
        self.lines += 1;
        let line = match script::expand_vars(raw, env_var) {
            Ok(l) => l,
            Err(m) => {
                return self.fail(
                    Error::usage(m).with_hint("export the variable, or write $${ for a literal ${"),
                );
            }
        };
        let parsed = match script::parse(&line) {
            Ok(p) => p,
            Err(m) => return self.fail(Error::usage(m)),
        };
        if !matches!(parsed, Line::Meta(Meta::Expect(_)))
            && let Some(flow) = self.take_pending()
        {
            return flow;
        }
        if let Some(h) = history_form(raw, &parsed) {
            input.remember(&h);
        }
        match parsed {
            Line::Empty => Flow::Next,
            Line::Smtp(text) => match self.need_session(session) {
                Ok(s) => {
                    let result = self.smtp_line(&text, s);
                    self.outcome_with(result, session)
                }
                Err(e) => self.fail(e),
            },
            Line::Meta(m) => self.meta(m, session, input),
        }
    }

    /// Turns the result of a step into the next flow.
    pub(super) fn outcome(&mut self, result: Result<()>) -> Flow {
        match result {
            Ok(()) => Flow::Next,
            Err(e) => self.fail(e),
        }
    }

    /// Like [`Shell::outcome`], also noting a session that the failure closed.
    pub(super) fn outcome_with(
        &mut self,
        result: Result<()>,
        session: &mut Option<Session<'_>>,
    ) -> Flow {
        if session.as_ref().is_some_and(|s| !s.is_open()) {
            self.tracker.closed();
        }
        self.outcome(result)
    }

    /// The open session, or the error that says why there is none.
    pub(super) fn need_session<'a, 'o>(
        &self,
        session: &'a mut Option<Session<'o>>,
    ) -> Result<&'a mut Session<'o>> {
        match session {
            Some(s) if s.is_open() => Ok(s),
            _ if self.tracker.phase == TxPhase::Closed => Err(Error::new(
                Phase::Command,
                ErrorKind::Closed,
                "the session has ended; nothing was sent",
            )
            .with_hint("/connect HOST[:PORT] starts a new one")),
            _ => Err(Error::usage("not connected; nothing was sent")
                .with_hint("start with /connect HOST[:PORT] (or give the server as TARGET)")),
        }
    }

    /// Emits the warnings for a command in this state.
    pub(super) fn warn_for(&mut self, verb: &str, args: &str, s: &Session<'_>) {
        let warnings = self.tracker.warnings(verb, args, self.facts(Some(s)));
        for w in warnings {
            self.warn(w);
        }
    }

    /// An `/expect` ran: it decides about a refused step before it.
    pub(super) fn pending_checked(&mut self) {
        self.pending = None;
    }

    /// Counts an expectation that held.
    pub(super) fn held(&mut self) {
        self.expectations_held += 1;
    }

    /// The explanation context for the last reply.
    pub(super) fn explain_context(
        &self,
        verb: &str,
        s: Option<&Session<'_>>,
    ) -> crate::explain::Context {
        crate::explain::Context {
            command: Some(verb.to_string()),
            auth_mechanism: None,
            port: self.server.as_ref().map(|srv| srv.port),
            tls: s.is_some_and(|s| s.is_tls()),
            authenticated: s.is_some_and(|s| s.authenticated),
            broken_line_ending: None,
            greeting: s.and_then(|s| s.greeting.as_ref()).map(Reply::text),
        }
    }

    /// Is this a human at a terminal?
    pub(super) fn interactive(&self) -> bool {
        self.interactive
    }
}

/// An environment variable for `${NAME}`.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// What goes into the history for a line: as typed (before `${}` expansion), but never a
/// password or an AUTH payload.
fn history_form(raw: &str, parsed: &Line) -> Option<String> {
    match parsed {
        Line::Empty => None,
        Line::Meta(Meta::Auth {
            mechanism,
            user,
            password,
        }) => {
            let mut h = format!("/auth {mechanism}");
            if let Some(u) = user {
                h.push(' ');
                h.push_str(u);
            }
            // A password from ${VAR} is safe to keep as the reference; a literal one is not.
            if password.is_some() {
                let typed_rest = raw.split_whitespace().nth(3);
                if let Some(word) = typed_rest.filter(|w| w.starts_with("${") && w.ends_with('}')) {
                    h.push(' ');
                    h.push_str(word);
                }
            }
            Some(h)
        }
        Line::Smtp(_) => Some(crate::smtp::command::redact_raw(raw).replace(" ***", "")),
        Line::Meta(_) => Some(raw.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_never_keeps_secrets() {
        let form = |raw: &str| history_form(raw, &script::parse(raw).unwrap());
        assert_eq!(
            form("/auth PLAIN tester hunter2").as_deref(),
            Some("/auth PLAIN tester")
        );
        assert_eq!(
            form("/auth PLAIN tester ${SMTP_PASSWORD}").as_deref(),
            Some("/auth PLAIN tester ${SMTP_PASSWORD}")
        );
        assert_eq!(
            form("AUTH PLAIN AHRlc3RlcgBodW50ZXIy").as_deref(),
            Some("AUTH PLAIN")
        );
        assert_eq!(form("EHLO me.example").as_deref(), Some("EHLO me.example"));
        assert_eq!(form("# note"), None);
    }
}
