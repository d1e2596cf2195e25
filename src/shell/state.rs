//! Where a hand-typed session stands (greeted, EHLO done, in a transaction, in DATA …), learnt
//! from the replies, and what follows from it: the warning before a command sent out of order
//! (with the reply the server will likely give — the command is still sent, since testing that
//! is the point), the next step for hints, and the phase shown in the prompt.

use crate::smtp::ehlo::Capabilities;
use crate::smtp::reply::Reply;

/// The transaction phase (RFC 5321 §3.3), as far as the shell can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// No connection.
    Disconnected,
    /// Greeted; no EHLO/HELO accepted yet (again, after STARTTLS: RFC 3207 §4.2).
    Greeted,
    /// EHLO/HELO accepted, no transaction open.
    Ready,
    /// MAIL accepted.
    Mail,
    /// At least one RCPT accepted.
    Rcpt,
    /// After a 354 to a typed DATA: lines are message text until a lone `.`.
    Data,
    /// After a typed `BDAT n`: the server reads `remaining` more bytes before it answers.
    Bdat { remaining: usize, last: bool },
    /// After a 334 to a typed AUTH: the next line answers the challenge.
    AuthChallenge,
    /// The server ended the session (221 to QUIT, 421, a close).
    Closed,
}

impl Phase {
    /// The name in the prompt.
    pub fn name(&self) -> &'static str {
        match self {
            Phase::Disconnected => "not connected",
            Phase::Greeted => "greeted",
            Phase::Ready => "ready",
            Phase::Mail => "mail",
            Phase::Rcpt => "rcpt",
            Phase::Data => "data",
            Phase::Bdat { .. } => "bdat",
            Phase::AuthChallenge => "auth",
            Phase::Closed => "closed",
        }
    }
}

/// What the tracker needs to know about the session besides its own state.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub tls: bool,
    pub authenticated: bool,
    pub caps: Option<&'a Capabilities>,
    pub port: u16,
}

/// The next step, for hints: text to complete, or guidance to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Text the user may accept (→): `EHLO client.example`.
    Complete(String),
    /// Guidance only.
    Say(String),
}

/// The session state, updated from every command and reply.
#[derive(Debug, Clone)]
pub struct Tracker {
    pub phase: Phase,
    /// EHLO (not HELO) was accepted: extensions are known.
    pub extended: bool,
    /// Addresses typed in MAIL FROM, RCPT TO, VRFY and EXPN, most recent first (completion).
    pub addresses: Vec<String>,
    /// The last sender and recipient typed (for hints).
    last_from: Option<String>,
    last_to: Option<String>,
}

impl Default for Tracker {
    fn default() -> Self {
        Tracker {
            phase: Phase::Disconnected,
            extended: false,
            addresses: Vec::new(),
            last_from: None,
            last_to: None,
        }
    }
}

/// The verbs RFC 5321 §4.1 defines (every server knows them, even when it refuses them).
const BASE_VERBS: &[&str] = &[
    "EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "VRFY", "EXPN", "HELP",
];

/// Splits a typed line into its verb (upper case) and the rest.
pub fn split_verb(line: &str) -> (String, &str) {
    let t = line.trim_start();
    let end = t.find(char::is_whitespace).unwrap_or(t.len());
    (t[..end].to_ascii_uppercase(), t[end..].trim_start())
}

/// The address in `FROM:<a@b>` / `TO:<a@b>` / `<a@b>` / `a@b`.
fn address_in(args: &str) -> Option<String> {
    let a = args.trim();
    let a = match a.split_once(':') {
        Some((k, v)) if k.eq_ignore_ascii_case("FROM") || k.eq_ignore_ascii_case("TO") => {
            v.trim_start()
        }
        _ => a,
    };
    let a = a.split_whitespace().next()?;
    let a = a.trim_start_matches('<');
    let a = a.split('>').next()?;
    (!a.is_empty() && a.len() <= 320).then(|| a.to_string())
}

impl Tracker {
    /// The phase after a new connection's greeting.
    pub fn connected(&mut self) {
        self.phase = Phase::Greeted;
        self.extended = false;
    }

    /// The connection ended.
    pub fn closed(&mut self) {
        self.phase = Phase::Closed;
    }

    /// TLS started: everything learnt before is forgotten (RFC 3207 §4.2).
    pub fn tls_started(&mut self) {
        self.phase = Phase::Greeted;
        self.extended = false;
    }

    /// A new connection is being made: the phase starts over; the addresses typed stay.
    pub fn reset(&mut self) {
        self.phase = Phase::Disconnected;
        self.extended = false;
    }

    fn helo_done(&self) -> bool {
        matches!(
            self.phase,
            Phase::Ready
                | Phase::Mail
                | Phase::Rcpt
                | Phase::Data
                | Phase::Bdat { .. }
                | Phase::AuthChallenge
        )
    }

    /// Remembers the addresses a command names (for completion and hints).
    pub fn note_command(&mut self, verb: &str, args: &str) {
        if !matches!(verb, "MAIL" | "RCPT" | "VRFY" | "EXPN") {
            return;
        }
        let Some(addr) = address_in(args) else { return };
        match verb {
            "MAIL" => self.last_from = Some(addr.clone()),
            "RCPT" => self.last_to = Some(addr.clone()),
            _ => {}
        }
        self.addresses.retain(|a| a != &addr);
        self.addresses.insert(0, addr);
        self.addresses.truncate(100);
    }

    /// What the server will likely say to `verb` in this state, when it is out of order or
    /// unsupported. Empty when the command looks fine.
    pub fn warnings(&self, verb: &str, args: &str, f: Facts<'_>) -> Vec<String> {
        let mut out = Vec::new();
        let caps = f.caps.filter(|_| self.extended);
        let advertised = |k: &str| caps.is_some_and(|c| c.has(k));
        let in_transaction = matches!(self.phase, Phase::Mail | Phase::Rcpt);
        match verb {
            "EHLO" | "HELO" if in_transaction => out.push(format!(
                "{verb} inside a transaction resets it (RFC 5321 §4.1.4): the MAIL and RCPT so far are forgotten"
            )),
            "MAIL" => {
                if !self.helo_done() {
                    out.push("MAIL before EHLO/HELO: the server will likely answer 503 5.5.1 (send EHLO first)".into());
                } else if in_transaction {
                    out.push("a transaction is already open: the server will likely answer 503 5.5.1 (nested MAIL; RSET first)".into());
                } else if f.port == 587 && !f.tls && advertised("STARTTLS") {
                    out.push("MAIL before STARTTLS on the submission port: the server will likely answer 530 5.7.0 (Must issue a STARTTLS command first)".into());
                } else if f.port == 587 && !f.authenticated && advertised("AUTH") {
                    out.push("MAIL before AUTH on the submission port: the server will likely answer 530 5.7.0 (Authentication required), or refuse every RCPT outside its domains".into());
                }
                if !args.trim_start().to_ascii_uppercase().starts_with("FROM:") {
                    out.push("the syntax is MAIL FROM:<address>: the server will likely answer 501 5.5.4 (or 500 5.5.2)".into());
                }
            }
            "RCPT" => {
                if !in_transaction {
                    out.push("RCPT before MAIL: the server will likely answer 503 5.5.1 (need MAIL command)".into());
                }
                if !args.trim_start().to_ascii_uppercase().starts_with("TO:") {
                    out.push("the syntax is RCPT TO:<address>: the server will likely answer 501 5.5.4 (or 500 5.5.2)".into());
                }
            }
            "DATA" | "BDAT" => {
                match self.phase {
                    Phase::Rcpt => {}
                    Phase::Mail => out.push(format!(
                        "{verb} before any recipient was accepted: the server will likely answer 503 5.5.1 or 554 5.5.1 (no valid recipients)"
                    )),
                    _ => out.push(format!("{verb} before MAIL and RCPT: the server will likely answer 503 5.5.1 (need MAIL command)")),
                }
                if verb == "BDAT" && caps.is_some() && !advertised("CHUNKING") {
                    out.push("the server did not advertise CHUNKING: it will likely answer 500 5.5.2 or 502 5.5.1 (command not recognized) — and then read the chunk as commands".into());
                }
            }
            "STARTTLS" => {
                if f.tls {
                    out.push("TLS is already active: the server will likely answer 503 5.5.1 or 554 (RFC 3207 §4.2 forbids STARTTLS twice)".into());
                } else if caps.is_some() && !advertised("STARTTLS") {
                    out.push("the server did not advertise STARTTLS: it will likely answer 502 5.5.1 or 454 4.7.0 (TLS not available)".into());
                } else if !self.helo_done() {
                    out.push("STARTTLS before EHLO: some servers answer 503 5.5.1 (RFC 3207 §4 expects EHLO first)".into());
                }
            }
            "AUTH" => {
                let mech = args.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
                if f.authenticated {
                    out.push("already authenticated: the server will likely answer 503 5.5.1 (RFC 4954 §4 allows one AUTH per session)".into());
                } else if !self.helo_done() {
                    out.push("AUTH before EHLO: the server will likely answer 503 5.5.1 (send EHLO first)".into());
                } else if in_transaction {
                    out.push("AUTH inside a transaction: the server will likely answer 503 5.5.1 (RFC 4954 §4)".into());
                } else if let Some(c) = caps {
                    let offered = c.auth_mechanisms();
                    if offered.is_empty() {
                        if !f.tls && (advertised("STARTTLS") || f.port == 587) {
                            out.push("the server offers AUTH only after STARTTLS: it will likely answer 530 5.7.0 (Must issue a STARTTLS command first) or 503 5.5.1".into());
                        } else {
                            out.push("the server did not advertise AUTH: it will likely answer 502 5.5.1 or 503 5.5.1".into());
                        }
                    } else if !mech.is_empty() && !offered.contains(&mech) {
                        out.push(format!(
                            "the server did not advertise AUTH {mech} (it offers {}): it will likely answer 504 5.5.4 (mechanism not supported)",
                            offered.join(" ")
                        ));
                    }
                }
                if !f.tls && f.port == 587 && !out.iter().any(|w| w.contains("530")) {
                    out.push("AUTH before STARTTLS on the submission port: the server will likely answer 530 5.7.0 (Must issue a STARTTLS command first)".into());
                }
            }
            // A verb RFC 5321 does not define and the server did not advertise.
            v if !v.is_empty() && !BASE_VERBS.contains(&v) && caps.is_some_and(|c| !c.has(v)) => {
                out.push(format!(
                    "the server did not advertise {v}: it will likely answer 500 5.5.2 (command unrecognized) or 502 5.5.1 (not implemented)"
                ));
            }
            _ => {}
        }
        out
    }

    /// Learns from the reply to `verb`.
    pub fn observe(&mut self, verb: &str, args: &str, reply: &Reply) {
        if reply.code == 421 {
            self.phase = Phase::Closed;
            return;
        }
        let ok = reply.is_positive();
        match verb {
            "greeting" => self.connected(),
            "EHLO" | "HELO" if ok => {
                self.phase = Phase::Ready;
                self.extended = verb == "EHLO";
            }
            "MAIL" if ok => self.phase = Phase::Mail,
            "RCPT" if ok && matches!(self.phase, Phase::Mail | Phase::Rcpt) => {
                self.phase = Phase::Rcpt
            }
            "DATA" if reply.code == 354 => self.phase = Phase::Data,
            // The end of the message ends the transaction, accepted or not (RFC 5321 §4.1.1.4).
            "." => self.phase = Phase::Ready,
            "BDAT" => {
                let last = args
                    .split_whitespace()
                    .nth(1)
                    .is_some_and(|w| w.eq_ignore_ascii_case("LAST"));
                if !ok || last {
                    self.phase = if self.helo_done() || matches!(self.phase, Phase::Bdat { .. }) {
                        Phase::Ready
                    } else {
                        self.phase.clone()
                    };
                } else {
                    self.phase = Phase::Rcpt;
                }
            }
            "RSET" if ok && self.helo_done() => self.phase = Phase::Ready,
            "AUTH" if reply.code == 334 => self.phase = Phase::AuthChallenge,
            "AUTH" if self.phase == Phase::AuthChallenge => self.phase = Phase::Ready,
            "QUIT" if reply.code == 221 => self.phase = Phase::Closed,
            _ => {}
        }
    }

    /// The likely next step.
    pub fn next_step(&self, f: Facts<'_>, ehlo_name: &str) -> Step {
        let caps = f.caps.filter(|_| self.extended);
        let offered = |k: &str| caps.is_some_and(|c| c.has(k));
        match self.phase {
            Phase::Disconnected => Step::Complete("/connect ".into()),
            Phase::Closed => Step::Say("the session ended: /connect HOST[:PORT] for a new one, /quit to leave".into()),
            Phase::Greeted => Step::Complete(format!("EHLO {ehlo_name}")),
            Phase::Ready if !f.tls && offered("STARTTLS") => Step::Complete("/starttls".into()),
            Phase::Ready if !f.authenticated && offered("AUTH") && (f.tls || f.port == 587) => {
                let mechs = caps.map(|c| c.auth_mechanisms()).unwrap_or_default();
                let mech = crate::smtp::auth::Mechanism::strongest(&mechs).map_or("PLAIN", |m| m.name());
                Step::Complete(format!("/auth {mech} "))
            }
            Phase::Ready => Step::Complete(format!("MAIL FROM:<{}>", self.last_from.clone().unwrap_or_default())),
            Phase::Mail => Step::Complete(format!("RCPT TO:<{}>", self.last_to.clone().unwrap_or_default())),
            Phase::Rcpt => Step::Complete("/data".into()),
            Phase::Data => Step::Say("message text; a lone . ends it (sent as typed: no dot-stuffing, use /data for that)".into()),
            Phase::Bdat { remaining, .. } => Step::Say(format!("{remaining} more bytes of the chunk (each line counts with its CRLF)")),
            Phase::AuthChallenge => Step::Say("answer the 334 challenge in base64, or * to cancel (/auth does this for you)".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(caps: Option<&Capabilities>, port: u16) -> Facts<'_> {
        Facts {
            tls: false,
            authenticated: false,
            caps,
            port,
        }
    }

    fn ehlo_caps(keywords: &[&str]) -> Capabilities {
        let mut lines = vec!["mx.example"];
        lines.extend_from_slice(keywords);
        Capabilities::from_ehlo(&Reply::new(250, &lines))
    }

    #[test]
    fn verbs_split_from_their_arguments() {
        assert_eq!(split_verb("mail from:<a@b>"), ("MAIL".into(), "from:<a@b>"));
        assert_eq!(
            split_verb("MAIL FROM:<a@b> SIZE=10"),
            ("MAIL".into(), "FROM:<a@b> SIZE=10")
        );
        assert_eq!(split_verb("  NOOP"), ("NOOP".into(), ""));
        assert_eq!(split_verb(""), (String::new(), ""));
        assert_eq!(
            address_in("FROM:<a@b.example> SIZE=1").as_deref(),
            Some("a@b.example")
        );
        assert_eq!(address_in("to: <c@d>").as_deref(), Some("c@d"));
        assert_eq!(address_in("FROM:<>"), None);
    }

    #[test]
    fn out_of_order_commands_are_warned_with_the_likely_reply() {
        let mut t = Tracker::default();
        t.connected();
        let w = t.warnings("MAIL", "FROM:<a@b>", facts(None, 25));
        assert!(w[0].contains("503 5.5.1"), "{w:?}");
        t.observe("EHLO", "x", &Reply::new(250, &["mx.example", "PIPELINING"]));
        assert!(t.warnings("MAIL", "FROM:<a@b>", facts(None, 25)).is_empty());
        assert!(t.warnings("DATA", "", facts(None, 25))[0].contains("503"));
        assert!(t.warnings("RCPT", "TO:<a@b>", facts(None, 25))[0].contains("need MAIL"));
        t.observe("MAIL", "FROM:<a@b>", &Reply::new(250, &["ok"]));
        assert!(t.warnings("DATA", "", facts(None, 25))[0].contains("no valid recipients"));
        t.observe("RCPT", "TO:<c@d>", &Reply::new(250, &["ok"]));
        assert!(t.warnings("DATA", "", facts(None, 25)).is_empty());
        assert!(t.warnings("MAIL", "FROM:<a@b>", facts(None, 25))[0].contains("nested"));
    }

    #[test]
    fn auth_before_starttls_on_587_warns_530() {
        let caps = ehlo_caps(&["STARTTLS", "PIPELINING"]);
        let mut t = Tracker::default();
        t.connected();
        t.observe("EHLO", "x", &Reply::new(250, &["mx.example", "STARTTLS"]));
        let w = t.warnings("AUTH", "PLAIN", facts(Some(&caps), 587));
        assert!(w.iter().any(|w| w.contains("530 5.7.0")), "{w:?}");
        let caps = ehlo_caps(&["AUTH PLAIN LOGIN"]);
        let w = t.warnings(
            "AUTH",
            "CRAM-MD5",
            Facts {
                tls: true,
                ..facts(Some(&caps), 587)
            },
        );
        assert!(w[0].contains("504 5.5.4"), "{w:?}");
    }

    #[test]
    fn unadvertised_extensions_are_warned_with_the_502_5_5_1_or_500_5_5_2_distinction() {
        let caps = ehlo_caps(&["PIPELINING", "XCLIENT NAME ADDR"]);
        let mut t = Tracker::default();
        t.connected();
        t.observe("EHLO", "x", &Reply::new(250, &["mx.example", "PIPELINING"]));
        assert!(
            t.warnings("XCLIENT", "NAME=x", facts(Some(&caps), 25))
                .is_empty()
        );
        let w = t.warnings("ETRN", "example.com", facts(Some(&caps), 25));
        assert!(
            w[0].contains("500 5.5.2") && w[0].contains("502 5.5.1"),
            "{w:?}"
        );
        assert!(
            t.warnings("BDAT", "10 LAST", facts(Some(&caps), 25))
                .iter()
                .any(|w| w.contains("CHUNKING"))
        );
    }

    #[test]
    fn the_phase_follows_the_replies() {
        let mut t = Tracker::default();
        t.connected();
        assert_eq!(t.phase, Phase::Greeted);
        t.observe("EHLO", "x", &Reply::new(250, &["ok"]));
        t.observe("MAIL", "FROM:<a@b>", &Reply::new(250, &["ok"]));
        t.observe("RCPT", "TO:<c@d>", &Reply::new(550, &["no"]));
        assert_eq!(t.phase, Phase::Mail);
        t.observe("RCPT", "TO:<c@d>", &Reply::new(250, &["ok"]));
        assert_eq!(t.phase, Phase::Rcpt);
        t.observe("DATA", "", &Reply::new(354, &["go"]));
        assert_eq!(t.phase, Phase::Data);
        t.observe(".", "", &Reply::new(250, &["queued"]));
        assert_eq!(t.phase, Phase::Ready);
        t.observe("NOOP", "", &Reply::new(421, &["bye"]));
        assert_eq!(t.phase, Phase::Closed);
    }

    #[test]
    fn the_next_step_is_hinted() {
        let mut t = Tracker::default();
        assert_eq!(
            t.next_step(facts(None, 25), "me"),
            Step::Complete("/connect ".into())
        );
        t.connected();
        assert_eq!(
            t.next_step(facts(None, 25), "me.example"),
            Step::Complete("EHLO me.example".into())
        );
        let caps = ehlo_caps(&["STARTTLS"]);
        t.observe("EHLO", "x", &Reply::new(250, &["ok"]));
        assert_eq!(
            t.next_step(facts(Some(&caps), 25), "me"),
            Step::Complete("/starttls".into())
        );
        t.note_command("MAIL", "FROM:<a@b.example>");
        assert_eq!(
            t.next_step(facts(None, 25), "me"),
            Step::Complete("MAIL FROM:<a@b.example>".into())
        );
        assert_eq!(t.addresses, vec!["a@b.example".to_string()]);
    }

    proptest::proptest! {
        #[test]
        fn any_typed_line_is_handled_without_panic(line in "\\PC{0,80}|(MAIL|RCPT|AUTH|BDAT|VRFY)[ :<>@a-z\u{3000}]{0,30}") {
            let caps = ehlo_caps(&["AUTH PLAIN", "STARTTLS"]);
            let mut t = Tracker::default();
            t.connected();
            let (verb, args) = split_verb(&line);
            t.note_command(&verb, args);
            let _ = t.warnings(&verb, args, facts(Some(&caps), 587));
            t.observe(&verb, args, &Reply::new(250, &["ok"]));
            let _ = t.next_step(facts(Some(&caps), 25), "me");
        }
    }
}
