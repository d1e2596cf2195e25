//! One probe: a host's address on one port, spoken to in its role. Connect, implicit TLS for
//! `tls`, greeting, EHLO (HELO when refused, RFC 5321 §4.1.4), STARTTLS when offered and the
//! handshake (RFC 3207 §4), EHLO again, QUIT. Nothing else is ever sent: a check sends no mail.
//! Every step runs under `--connect-timeout` or `--timeout`. The probe records what it saw as
//! a [`ProbeReport`]; the transcript events are kept for `-v`.

use super::discovery::{ProbeSpec, Source};
use super::plan::{Plan, Role};
use crate::cli::TlsBackend;
use crate::error::{Error, ErrorKind, Phase, Result};
use crate::explain::{self, Context, Explanation};
use crate::net::cert::CertInfo;
use crate::net::connect::connect_one;
use crate::net::stream::Stream;
use crate::net::tls::{self, CertProblem, TlsFailure, TlsInfo, TlsParams};
use crate::report::{Event, Observer, Recorder};
use crate::smtp::command::Command;
use crate::smtp::ehlo::Capabilities;
use crate::smtp::reply::Reply;
use crate::smtp::session::{Session, SessionConfig, tls_error};
use serde::Serialize;
use std::time::{Duration, Instant};

/// How a probe ended, for the summary table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// The whole probe worked (it may still have findings, such as a bad certificate).
    Ok,
    /// Connection refused.
    Refused,
    /// No answer to the TCP connect in time.
    Timeout,
    /// Network or host unreachable.
    Unreachable,
    /// Another connect failure.
    ConnectFailed,
    /// The TLS handshake failed (implicit TLS, or after STARTTLS).
    TlsFailed,
    /// No usable greeting: timeout, close, malformed.
    NoGreeting,
    /// A 4xx/5xx greeting (RFC 5321 §3.1, e.g. `554 no service`).
    GreetingRefused,
    /// EHLO and HELO refused.
    EhloRefused,
    /// STARTTLS advertised but refused (e.g. `454`).
    StarttlsRefused,
    /// Another error after the greeting (timeout, close, protocol error).
    Error,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Refused => "refused",
            State::Timeout => "timeout",
            State::Unreachable => "unreachable",
            State::ConnectFailed => "connect-failed",
            State::TlsFailed => "tls-failed",
            State::NoGreeting => "no-greeting",
            State::GreetingRefused => "greeting-refused",
            State::EhloRefused => "ehlo-refused",
            State::StarttlsRefused => "starttls-refused",
            State::Error => "error",
        }
    }
}

/// A reply as the report keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyInfo {
    pub code: u16,
    pub enhanced: Option<String>,
    /// The text, lines joined (raw; sanitised when shown).
    pub text: String,
    /// For a 4xx/5xx: what it means and what to do (as in `reply` events).
    pub explanation: Option<Box<Explanation>>,
}

impl ReplyInfo {
    fn new(reply: &Reply, ctx: &Context) -> ReplyInfo {
        ReplyInfo {
            code: reply.code,
            enhanced: reply.enhanced.map(|e| e.to_string()),
            text: reply.text(),
            explanation: reply
                .is_error()
                .then(|| Box::new(explain::explain(reply, ctx))),
        }
    }
}

/// The greeting (RFC 5321 §3.1, §4.2).
#[derive(Debug, Clone, Serialize)]
pub struct GreetingInfo {
    #[serde(flatten)]
    pub reply: ReplyInfo,
    /// The first word: the name the server calls itself (RFC 5321 §4.3.1).
    pub name: Option<String>,
    /// From the connection (or the end of the implicit TLS handshake) to the whole greeting.
    pub delay_ms: u64,
}

/// The answer to EHLO (and to HELO, when EHLO was refused).
#[derive(Debug, Clone, Serialize)]
pub struct EhloInfo {
    #[serde(flatten)]
    pub reply: ReplyInfo,
    /// The name on the first line of the positive reply.
    pub name: Option<String>,
    /// EHLO was refused and HELO was tried (its reply).
    pub helo: Option<ReplyInfo>,
    /// Whether the session got a positive EHLO or HELO.
    pub accepted: bool,
}

/// The STARTTLS step.
#[derive(Debug, Clone, Serialize)]
pub struct StarttlsInfo {
    pub offered: bool,
    /// The reply to STARTTLS, when it was sent.
    pub reply: Option<ReplyInfo>,
    /// Bytes the server sent after its 220 and before TLS, discarded (RFC 3207 §4.2).
    pub discarded_bytes: usize,
}

/// TLS as negotiated (or as far as the handshake got).
#[derive(Debug, Clone, Serialize)]
pub struct TlsReport {
    /// `starttls` or `implicit`.
    pub mode: &'static str,
    /// The handshake completed.
    pub established: bool,
    pub backend: &'static str,
    pub version: Option<String>,
    pub cipher: Option<String>,
    /// The name sent as SNI and verified against.
    pub server_name: String,
    /// The chain is trusted, in date and matches `server_name`.
    pub verified: bool,
    pub verify_error: Option<String>,
    pub cert_problem: Option<CertProblem>,
    /// The SAN (or CN) of the leaf that matches the host name probed (the MX name).
    pub matched_name: Option<String>,
    /// Leaf first.
    pub chain: Vec<CertInfo>,
    /// Why the handshake failed.
    pub error: Option<String>,
    pub timed_out: bool,
    /// TLS below 1.2: negotiated, or the only thing the server offered.
    pub old_version: bool,
}

impl TlsReport {
    fn from_info(info: &TlsInfo, mode: &'static str, host: &str) -> TlsReport {
        TlsReport {
            mode,
            established: true,
            backend: info.backend,
            version: Some(info.version.clone()),
            cipher: Some(info.cipher.clone()),
            server_name: info.server_name.clone(),
            verified: info.verified,
            verify_error: info.verify_error.clone(),
            cert_problem: info.cert_problem,
            matched_name: info.chain.first().and_then(|c| c.matching_name(host)),
            chain: info.chain.clone(),
            error: None,
            timed_out: false,
            old_version: info.version_number().is_some_and(|v| v < 12),
        }
    }

    fn from_failure(
        f: &TlsFailure,
        mode: &'static str,
        host: &str,
        backend: TlsBackend,
    ) -> TlsReport {
        TlsReport {
            mode,
            established: false,
            backend: match backend {
                TlsBackend::Rustls => "rustls",
                TlsBackend::Native => "native",
            },
            version: None,
            cipher: None,
            server_name: f.server_name.clone(),
            verified: false,
            verify_error: f.cert_problem.map(|p| p.describe().to_string()),
            cert_problem: f.cert_problem,
            matched_name: f.chain.first().and_then(|c| c.matching_name(host)),
            chain: f.chain.clone(),
            error: Some(f.message.clone()),
            timed_out: f.timed_out,
            old_version: f.old_version,
        }
    }

    /// The leaf certificate.
    pub fn leaf(&self) -> Option<&CertInfo> {
        self.chain.first()
    }
}

/// An error that ended (part of) a probe, with the phase it happened in.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeError {
    pub phase: Phase,
    pub kind: &'static str,
    pub message: String,
    pub hint: Option<String>,
}

impl From<&Error> for ProbeError {
    fn from(e: &Error) -> ProbeError {
        ProbeError {
            phase: e.phase,
            kind: e.kind.name(),
            message: e.message.clone(),
            hint: e.hint.clone(),
        }
    }
}

/// Everything one probe saw. Field names are part of the JSON report (README.md, section "check").
#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    pub id: String,
    pub host: String,
    pub address: String,
    pub port: u16,
    pub role: Role,
    pub source: Source,
    pub state: State,
    pub connect_ms: Option<u64>,
    /// `refused`, `timeout`, `unreachable` or `other`.
    pub connect_failure: Option<&'static str>,
    pub greeting: Option<GreetingInfo>,
    pub ehlo: Option<EhloInfo>,
    /// EHLO keywords in plaintext (null for implicit TLS).
    pub capabilities_before_tls: Option<Vec<String>>,
    /// EHLO keywords inside TLS (null when TLS was not reached).
    pub capabilities_after_tls: Option<Vec<String>>,
    pub starttls: Option<StarttlsInfo>,
    pub tls: Option<TlsReport>,
    /// The second EHLO, after STARTTLS (RFC 3207 §4.2).
    pub ehlo_after_tls: Option<EhloInfo>,
    pub auth_before_tls: Option<Vec<String>>,
    pub auth_after_tls: Option<Vec<String>>,
    /// SIZE (RFC 1870) from the last EHLO, when the server names a limit.
    pub size_limit: Option<u64>,
    pub errors: Vec<ProbeError>,
    pub elapsed_ms: u64,
    /// The transcript, for `-v`.
    #[serde(skip)]
    pub events: Vec<Event>,
}

impl ProbeReport {
    pub fn new(spec: &ProbeSpec) -> ProbeReport {
        ProbeReport {
            id: spec.id.clone(),
            host: spec.host.clone(),
            address: spec.address.ip().to_string(),
            port: spec.address.port(),
            role: spec.role,
            source: spec.source,
            state: State::Ok,
            connect_ms: None,
            connect_failure: None,
            greeting: None,
            ehlo: None,
            capabilities_before_tls: None,
            capabilities_after_tls: None,
            starttls: None,
            tls: None,
            ehlo_after_tls: None,
            auth_before_tls: None,
            auth_after_tls: None,
            size_limit: None,
            errors: vec![],
            elapsed_ms: 0,
            events: vec![],
        }
    }

    /// The TCP connection was made.
    pub fn reached(&self) -> bool {
        self.connect_ms.is_some() && self.connect_failure.is_none()
    }

    /// The server greeted with 220.
    pub fn greeted(&self) -> bool {
        self.greeting.as_ref().is_some_and(|g| g.reply.code == 220)
    }

    /// The server accepted an SMTP session: 220 and a positive EHLO or HELO.
    pub fn accepted(&self) -> bool {
        self.greeted() && self.ehlo.as_ref().is_some_and(|e| e.accepted)
    }

    /// The AUTH mechanisms offered where credentials would be protected.
    pub fn auth_offered(&self) -> Option<&Vec<String>> {
        self.auth_after_tls.as_ref().filter(|m| !m.is_empty())
    }

    /// The EHLO that counts for capabilities: after TLS when there was one.
    pub fn last_ehlo(&self) -> Option<&EhloInfo> {
        self.ehlo_after_tls.as_ref().or(self.ehlo.as_ref())
    }
}

/// Keeps a probe's events and reports its progress (one short stage word per event).
pub struct ProbeObserver<'a> {
    pub recorder: Recorder,
    stage: &'a (dyn Fn(&str) + Sync),
}

impl<'a> ProbeObserver<'a> {
    pub fn new(stage: &'a (dyn Fn(&str) + Sync)) -> Self {
        ProbeObserver {
            recorder: Recorder::default(),
            stage,
        }
    }
}

impl Observer for ProbeObserver<'_> {
    fn event(&mut self, event: Event) {
        let stage = match &event {
            Event::Trying { .. } => Some("connecting".to_string()),
            Event::Connect { ok: true, .. } => Some("connected".into()),
            Event::Connect { ok: false, .. } => Some("connect failed".into()),
            Event::Send { line, .. } => line
                .split_whitespace()
                .next()
                .map(|v| format!("-> {}", crate::sanitize::sanitize(v))),
            Event::Reply { code, .. } => Some(format!("<- {code}")),
            Event::Tls { .. } => Some("TLS established".into()),
            Event::TlsFailed { .. } => Some("TLS failed".into()),
            _ => None,
        };
        if let Some(s) = stage {
            (self.stage)(&s);
        }
        self.recorder.event(event);
    }
}

/// The TLS parameters of a probe. With rustls the handshake always completes and records the
/// verification verdict instead of failing on it, so a bad certificate still lets the probe
/// see what the server offers inside TLS (like posttls-finger); the verdict becomes findings.
/// The native backend cannot record a verdict, so it verifies for real unless `--insecure`.
fn tls_params(plan: &Plan, sni: &str) -> TlsParams {
    TlsParams {
        backend: plan.tls.backend,
        ca_file: plan.tls.ca_file.clone(),
        insecure: plan.tls.insecure || plan.tls.backend == TlsBackend::Rustls,
        server_name: sni.to_string(),
    }
}

/// Runs one probe.
pub fn run(spec: &ProbeSpec, plan: &Plan, obs: &mut ProbeObserver<'_>) -> ProbeReport {
    let start = Instant::now();
    let mut r = ProbeReport::new(spec);
    probe(spec, plan, obs, &mut r);
    // The handshake ran in recording mode (see tls_params): say `--insecure` only if asked.
    for e in &mut obs.recorder.events {
        if let Event::Tls { info } = e {
            info.insecure = plan.tls.insecure;
        }
    }
    if let Some(st) = &mut r.starttls {
        st.discarded_bytes = discarded_bytes(&obs.recorder.events);
    }
    r.events = std::mem::take(&mut obs.recorder.events);
    r.elapsed_ms = start.elapsed().as_millis() as u64;
    r
}

fn probe(spec: &ProbeSpec, plan: &Plan, obs: &mut ProbeObserver<'_>, r: &mut ProbeReport) {
    let port = spec.address.port();
    obs.event(Event::Trying {
        host: spec.host.clone(),
        address: spec.address.ip().to_string(),
        port,
    });
    let (tcp, attempt) = connect_one(&spec.host, spec.address, plan.connect_timeout);
    obs.event(Event::connect(&attempt));
    r.connect_ms = Some(attempt.elapsed_ms);
    let Some(tcp) = tcp else {
        r.connect_failure = Some(attempt.failure.unwrap_or("other"));
        r.state = match attempt.failure {
            Some("refused") => State::Refused,
            Some("timeout") => State::Timeout,
            Some("unreachable") => State::Unreachable,
            _ => State::ConnectFailed,
        };
        r.errors.push(ProbeError {
            phase: Phase::Connect,
            kind: "connect",
            message: attempt
                .error
                .unwrap_or_else(|| "the connection failed".into()),
            hint: None,
        });
        return;
    };
    let ehlo = plan
        .ehlo
        .clone()
        .unwrap_or_else(|| crate::send::default_ehlo(tcp.local_addr().ok()));
    let params = tls_params(plan, &spec.sni);
    // Implicit TLS (RFC 8314 §3): the handshake comes before any SMTP.
    let (stream, info) = if spec.role == Role::Tls {
        match tls::handshake(tcp, &params, Instant::now() + plan.timeout) {
            Ok((stream, info)) => {
                obs.event(Event::Tls {
                    info: Box::new(info.clone()),
                });
                r.tls = Some(TlsReport::from_info(&info, "implicit", &spec.host));
                (stream, Some(info))
            }
            Err(failure) => {
                let err = tls_error(Phase::TlsHandshake, &failure);
                r.tls = Some(TlsReport::from_failure(
                    &failure,
                    "implicit",
                    &spec.host,
                    plan.tls.backend,
                ));
                obs.event(Event::TlsFailed {
                    failure: Box::new(failure),
                });
                r.errors.push(ProbeError::from(&err));
                r.state = State::TlsFailed;
                return;
            }
        }
    } else {
        (Stream::Plain(tcp), None)
    };
    let cfg = SessionConfig {
        timeout: plan.timeout,
        line_ending: crate::cli::LineEnding::Crlf,
        show_secrets: plan.show_secrets,
        port,
    };
    let mut session = Session::new(stream, info, obs, cfg);
    if let Err(e) = converse(spec, &ehlo, &params, &mut session, r) {
        if let ErrorKind::Tls(f) = &e.kind {
            r.tls = Some(TlsReport::from_failure(
                f,
                "starttls",
                &spec.host,
                plan.tls.backend,
            ));
            r.state = State::TlsFailed;
        } else if r.greeting.is_none() {
            r.state = State::NoGreeting;
        } else {
            r.state = State::Error;
        }
        r.errors.push(ProbeError::from(&e));
    }
    session.quit();
}

fn context(verb: &str, port: u16, tls: bool, greeting: Option<&Reply>) -> Context {
    Context {
        command: Some(verb.to_string()),
        port: Some(port),
        tls,
        greeting: greeting.map(Reply::text),
        ..Context::default()
    }
}

/// The SMTP part of the probe.
fn converse(
    spec: &ProbeSpec,
    ehlo_name: &str,
    params: &TlsParams,
    s: &mut Session<'_>,
    r: &mut ProbeReport,
) -> Result<()> {
    let port = spec.address.port();
    let greeting = s.read_greeting()?;
    let delay = s.greeting_delay.unwrap_or(Duration::ZERO);
    r.greeting = Some(GreetingInfo {
        reply: ReplyInfo::new(&greeting, &context("greeting", port, s.is_tls(), None)),
        name: first_word(&greeting),
        delay_ms: delay.as_millis() as u64,
    });
    if greeting.code != 220 {
        // RFC 5321 §3.1: after a 554 greeting the client should QUIT (done by the caller).
        r.state = State::GreetingRefused;
        return Ok(());
    }
    let ehlo = hello(s, ehlo_name, port, &greeting)?;
    let accepted = ehlo.accepted;
    r.ehlo = Some(ehlo);
    if !accepted {
        r.state = State::EhloRefused;
        return Ok(());
    }
    let caps = s.caps.clone().unwrap_or_default();
    r.size_limit = caps.size_limit();
    if spec.role == Role::Tls {
        r.capabilities_after_tls = Some(caps.list());
        r.auth_after_tls = Some(caps.auth_mechanisms());
        return Ok(());
    }
    r.capabilities_before_tls = Some(caps.list());
    r.auth_before_tls = Some(caps.auth_mechanisms());
    if !caps.starttls() {
        r.starttls = Some(StarttlsInfo {
            offered: false,
            reply: None,
            discarded_bytes: 0,
        });
        return Ok(());
    }
    let ctx = context("STARTTLS", port, false, Some(&greeting));
    let reply = match s.starttls(params) {
        Ok(reply) => reply,
        Err(e) => {
            // The 220 came (a failed handshake) or the session broke: keep what was seen.
            let seen = s
                .last_reply
                .as_ref()
                .filter(|l| l.code == 220)
                .map(|l| ReplyInfo::new(l, &ctx));
            r.starttls = Some(StarttlsInfo {
                offered: true,
                reply: seen,
                discarded_bytes: 0,
            });
            return Err(e);
        }
    };
    r.starttls = Some(StarttlsInfo {
        offered: true,
        reply: Some(ReplyInfo::new(&reply, &ctx)),
        discarded_bytes: 0,
    });
    if reply.code != 220 {
        r.state = State::StarttlsRefused;
        return Ok(());
    }
    if let Some(t) = &s.tls {
        r.tls = Some(TlsReport::from_info(t, "starttls", &spec.host));
    }
    // RFC 3207 §4.2: everything learnt before TLS is discarded; EHLO again.
    let ehlo = hello(s, ehlo_name, port, &greeting)?;
    let accepted = ehlo.accepted;
    r.ehlo_after_tls = Some(ehlo);
    if !accepted {
        r.state = State::EhloRefused;
        return Ok(());
    }
    let caps = s.caps.clone().unwrap_or_default();
    r.size_limit = caps.size_limit().or(r.size_limit);
    r.capabilities_after_tls = Some(caps.list());
    r.auth_after_tls = Some(caps.auth_mechanisms());
    Ok(())
}

/// EHLO, and HELO when EHLO is refused (RFC 5321 §4.1.4; not after a 421, which closes the
/// session, §3.8). Sets the session's capabilities on success.
fn hello(s: &mut Session<'_>, name: &str, port: u16, greeting: &Reply) -> Result<EhloInfo> {
    let tls = s.is_tls();
    let reply = s.command(&Command::Ehlo(name.to_string()), Phase::Ehlo)?;
    let info = ReplyInfo::new(&reply, &context("EHLO", port, tls, Some(greeting)));
    if reply.is_positive() {
        s.caps = Some(Capabilities::from_ehlo(&reply));
        return Ok(EhloInfo {
            reply: info,
            name: first_word(&reply),
            helo: None,
            accepted: true,
        });
    }
    if reply.code == 421 {
        return Ok(EhloInfo {
            reply: info,
            name: None,
            helo: None,
            accepted: false,
        });
    }
    s.emit(Event::info("EHLO refused; trying HELO"));
    let helo = s.command(&Command::Helo(name.to_string()), Phase::Ehlo)?;
    let accepted = helo.is_positive();
    if accepted {
        s.caps = Some(Capabilities::helo(&helo));
    }
    Ok(EhloInfo {
        reply: info,
        name: if accepted { first_word(&helo) } else { None },
        helo: Some(ReplyInfo::new(
            &helo,
            &context("HELO", port, tls, Some(greeting)),
        )),
        accepted,
    })
}

fn first_word(reply: &Reply) -> Option<String> {
    reply
        .lines
        .first()?
        .split_whitespace()
        .next()
        .map(str::to_string)
}

/// Counts the bytes discarded before TLS (RFC 3207 §4.2), from the transcript.
pub fn discarded_bytes(events: &[Event]) -> usize {
    events
        .iter()
        .map(|e| {
            if let Event::Discarded { bytes, .. } = e {
                *bytes
            } else {
                0
            }
        })
        .sum()
}
