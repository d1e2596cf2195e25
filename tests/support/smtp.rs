//! A configurable fake SMTP server for integration tests: well behaved by default (RFC 5321
//! sequencing, RFC 3207 STARTTLS, RFC 4954 AUTH, RFC 3030 BDAT), hostile on request.
//!
//! Everything is synchronous std threads on 127.0.0.1:0. Every socket read and write polls
//! with a short timeout so the server notices when it is dropped, and a client that goes idle
//! for [`SmtpServerBuilder::idle_timeout`] is disconnected: no test can hang on it.
//!
//! Hostile behaviour is a small table of [`Rule`]s: at a [`Step`] (the greeting, the reply to a
//! verb, the reply after the final dot, ...) the server sends a [`Reply`] other than the normal
//! one and then does something ([`Then`]) other than carrying on. [`Misbehave`] names the
//! classic cases and expands into such rules.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use rustls::{ServerConfig, ServerConnection};

use super::certs::{CertKind, TestCerts};

/// Socket read/write timeout: how often a blocked server thread checks whether to stop.
const POLL: Duration = Duration::from_millis(25);
/// Longest command line accepted (RFC 5321 §4.5.3.1.4 says 512; real servers allow more).
const MAX_LINE: usize = 8192;
/// How long a closing server keeps reading (and recording) what the client still sends.
const DRAIN: Duration = Duration::from_millis(300);
/// The queue id in "250 2.0.0 Ok: queued as ABC123" (fixed, so transcripts snapshot well).
pub const QUEUE_ID: &str = "ABC123";

/// Where in a session a [`Rule`] applies.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// Right after accept: before the implicit-TLS handshake and before the greeting.
    /// Nothing is sent here normally.
    Connect,
    /// The 220 greeting.
    Greeting,
    /// The reply to a command verb (upper case: "EHLO", "MAIL", "RCPT", "STARTTLS", or any
    /// unknown verb). For DATA this is the 354; for AUTH it is the final 235/535 (the 334
    /// challenges are [`Step::AuthChallenge`]); for BDAT every chunk's reply.
    Command(String),
    /// Each 334 challenge of an AUTH exchange.
    AuthChallenge,
    /// The reply after the final "." of DATA, or to the last BDAT chunk (checked before
    /// `Command("BDAT")`).
    DataEnd,
}

impl Step {
    /// `Step::Command` for a verb, upper-cased.
    pub fn cmd(verb: &str) -> Step {
        Step::Command(verb.to_ascii_uppercase())
    }
}

/// What the server sends at a step that has a rule.
#[derive(Clone, Debug)]
pub enum Reply {
    /// The normal reply.
    Normal,
    /// Nothing at all.
    None,
    /// These bytes, verbatim (no CRLF added), instead of the normal reply. The command's
    /// normal effect (starting a transaction, STARTTLS, ...) still happens when the first
    /// byte matches the normal positive reply's first digit, and not otherwise.
    Replace(Vec<u8>),
    /// The normal reply, then these bytes verbatim in the same write.
    Append(Vec<u8>),
    /// These bytes one at a time, one per `interval`; with `forever`, cycling through them
    /// without end (so no line is ever completed if they hold no LF).
    Drip {
        bytes: Vec<u8>,
        interval: Duration,
        forever: bool,
    },
    /// `first`, then `line` again and again until the client goes away or the server stops.
    Endless { first: Vec<u8>, line: Vec<u8> },
}

impl Reply {
    /// `Replace` with a reply given as text: lines separated by `\n` or `\r\n`, CRLF added.
    pub fn text(text: &str) -> Reply {
        Reply::Replace(crlf(text).into_bytes())
    }
}

/// What the server does after sending a rule's reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Then {
    /// Carry on with the session (after a `421` reply the connection is closed anyway).
    Continue,
    /// Close the connection gracefully (FIN, after reading what the client still sends).
    Close,
    /// Reset the connection (RST, via SO_LINGER 0).
    Reset,
    /// Never answer again; keep reading (and recording) until the client closes.
    Silent,
    /// Never read again: the connection stays open until the server is dropped, so a client
    /// that writes a lot eventually blocks (the receive buffer is made small for this).
    NeverRead,
    /// Instead of a TLS handshake, read the ClientHello and go silent (after STARTTLS's 220,
    /// or at [`Step::Connect`] for implicit TLS).
    StallTls,
    /// Read up to this many more bytes (stopping early at the end of a DATA body or after a
    /// lull), then close without a reply.
    CloseAfterBytes(usize),
}

/// One entry of the behaviour table.
#[derive(Clone, Debug)]
pub struct Rule {
    pub step: Step,
    /// Only the nth occurrence of the step in a session (1-based); `None`: every time.
    pub nth: Option<u32>,
    pub reply: Reply,
    pub then: Then,
}

/// Which malformed reply [`Misbehave::Malformed`] sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// `2x0 hi`
    NonDigitCode,
    /// `99 ok`
    TwoDigitCode,
    /// an empty line
    EmptyLine,
}

impl Malformed {
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Malformed::NonDigitCode => b"2x0 hi\r\n",
            Malformed::TwoDigitCode => b"99 ok\r\n",
            Malformed::EmptyLine => b"\r\n",
        }
    }
}

/// The greeting sent by [`Misbehave::GarbageGreeting`]: an OSC title escape, an SGR colour,
/// a NUL and an invalid UTF-8 byte.
pub const GARBAGE_GREETING: &[u8] = b"220 \x1b]0;pwned\x07 \x1b[31mred\x00\xff\r\n";
/// Size of the line [`Misbehave::HugeLine`] sends.
pub const HUGE_LINE_LEN: usize = 10 * 1024 * 1024;
/// Keyword lines in [`Misbehave::HugeEhlo`]'s EHLO reply.
pub const HUGE_EHLO_LINES: usize = 5000;

/// Named hostile behaviours; each expands into [`Rule`]s (or a flag).
#[derive(Clone, Debug)]
pub enum Misbehave {
    /// Accept, then never send anything (reads and records until the client closes).
    Silent,
    /// Drip the greeting one byte per interval, forever, never completing the line.
    SlowDrip(Duration),
    /// Answer EHLO with `250-` lines without end.
    EndlessMultiline,
    /// Greet with a 10 MB line without CRLF, then go silent.
    HugeLine,
    /// Greet with [`GARBAGE_GREETING`] (escapes, NUL, 0xFF), then behave.
    GarbageGreeting,
    /// Send a malformed reply at a step, then carry on.
    Malformed(Step, Malformed),
    /// At a step, send a multi-line reply whose code changes: `250-a` then `251 b`.
    MixedCodes(Step),
    /// Read EHLO, then reset the connection (RST) without replying.
    ResetAfterEhlo,
    /// Send DATA's 354, read a few bytes of the message, then close.
    CloseDuringData,
    /// Answer STARTTLS with `220 Ready\r\n250 injected\r\n` in one write, then do TLS.
    StarttlsInjection,
    /// Answer STARTTLS with `454 4.7.0 TLS not available due to local problem`.
    Starttls454,
    /// Do not advertise STARTTLS (and treat the command as unknown), as a stripping
    /// middlebox does.
    StripStarttls,
    /// Answer STARTTLS with 220, read the ClientHello, go silent.
    TlsStall,
    /// Read the ClientHello at connect (implicit TLS), go silent.
    ImplicitTlsStall,
    /// Advertise and accept AUTH before STARTTLS (by default AUTH is hidden until TLS
    /// whenever STARTTLS is offered).
    AuthOnPlaintext,
    /// Accept MAIL, answer the next command (RCPT) with `421 4.4.2 ...` and close.
    Close421AfterMail,
    /// After the reply at a step, an extra unsolicited `250 surprise` line.
    Unsolicited(Step),
    /// Send `250 2.0.0 Ok: queued as PREMATURE` right after DATA's 354.
    PrematureDataOk,
    /// Answer EHLO with 5000 keyword lines.
    HugeEhlo,
    /// Greet, then never read again.
    NeverRead,
}

/// One message the server accepted (DATA's final dot or BDAT LAST was acknowledged).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// The reverse path without angle brackets (empty for `MAIL FROM:<>`).
    pub mail_from: String,
    /// MAIL parameters as sent (`SIZE=123`, `BODY=8BITMIME`, `SMTPUTF8`).
    pub mail_params: Vec<String>,
    /// Accepted recipients, without angle brackets.
    pub rcpt_to: Vec<String>,
    /// The content: for DATA un-dot-stuffed, line endings as received, without the final
    /// ".\r\n"; for BDAT the chunks concatenated.
    pub data: Vec<u8>,
    pub via_bdat: bool,
    /// Whether the transaction ran inside TLS.
    pub tls: bool,
    /// The authenticated user, if any.
    pub auth_user: Option<String>,
}

/// One AUTH exchange that reached a verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthAttempt {
    pub mechanism: String,
    /// The user the client claimed, when it got that far.
    pub username: Option<String>,
    pub success: bool,
}

/// What one connection did.
#[derive(Clone, Debug, Default)]
pub struct SessionRecord {
    /// Every plaintext byte read from the client, in order (TLS records decrypted; the
    /// handshake itself is not included).
    pub received: Vec<u8>,
    /// Lines read outside DATA/BDAT bodies, without their line ending (AUTH responses too).
    pub commands: Vec<String>,
    /// Whether TLS (STARTTLS or implicit) was established.
    pub tls: bool,
    /// The SNI the client sent in its TLS ClientHello.
    pub sni: Option<String>,
    /// Why a TLS handshake failed, if it did (for example the client's alert).
    pub tls_error: Option<String>,
}

/// Builds a [`SmtpServer`]; see the module docs.
#[derive(Clone)]
pub struct SmtpServerBuilder {
    hostname: String,
    greeting: Option<String>,
    greeting_delay: Duration,
    keywords: Option<Vec<String>>,
    starttls: Option<Arc<ServerConfig>>,
    implicit_tls: Option<Arc<ServerConfig>>,
    credentials: Option<(String, String)>,
    reject_rcpt: Vec<(String, String)>,
    rules: Vec<Rule>,
    misbehaviours: Vec<Misbehave>,
    require_tls: bool,
    require_auth: bool,
    idle_timeout: Duration,
    bind: IpAddr,
    port: u16,
}

struct Config {
    hostname: String,
    greeting: String,
    greeting_delay: Duration,
    keywords: Vec<String>,
    starttls: Option<Arc<ServerConfig>>,
    implicit_tls: Option<Arc<ServerConfig>>,
    credentials: Option<(String, String)>,
    reject_rcpt: Vec<(String, String)>,
    rules: Vec<Rule>,
    strip_starttls: bool,
    auth_on_plaintext: bool,
    require_tls: bool,
    require_auth: bool,
    idle_timeout: Duration,
}

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    /// Sessions whose thread is running.
    active: AtomicUsize,
    /// Sessions blocked in a read that has seen no data for a poll interval.
    waiting: AtomicUsize,
    /// Bumped whenever a session's read returns.
    activity: AtomicUsize,
    accepted: AtomicUsize,
    bare_lf: AtomicBool,
    records: Mutex<Vec<SessionRecord>>,
    messages: Mutex<Vec<ReceivedMessage>>,
    auths: Mutex<Vec<AuthAttempt>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

/// A running fake SMTP server; stops and joins its threads when dropped.
pub struct SmtpServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

/// Normalises reply text: `\n` or `\r\n` separated lines, each ended with CRLF.
fn crlf(text: &str) -> String {
    let mut out = String::new();
    for line in text.trim_end_matches(['\r', '\n']).split('\n') {
        out.push_str(line.trim_end_matches('\r'));
        out.push_str("\r\n");
    }
    out
}

impl Default for SmtpServerBuilder {
    fn default() -> Self {
        SmtpServerBuilder {
            hostname: "fake.test".to_string(),
            greeting: None,
            greeting_delay: Duration::ZERO,
            keywords: None,
            starttls: None,
            implicit_tls: None,
            credentials: None,
            reject_rcpt: Vec::new(),
            rules: Vec::new(),
            misbehaviours: Vec::new(),
            require_tls: false,
            require_auth: false,
            idle_timeout: Duration::from_secs(20),
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
        }
    }
}

impl SmtpServerBuilder {
    /// The name in the default greeting and EHLO reply (default `fake.test`).
    pub fn hostname(mut self, name: &str) -> Self {
        self.hostname = name.to_string();
        self
    }

    /// The greeting, e.g. `"220 fake.test ESMTP"`; lines separated by `\n` for a multi-line
    /// greeting. Default `220 <hostname> ESMTP smtp-doctor-test`.
    pub fn greeting(mut self, text: &str) -> Self {
        self.greeting = Some(text.to_string());
        self
    }

    /// Wait this long after accepting before greeting.
    pub fn greeting_delay(mut self, delay: Duration) -> Self {
        self.greeting_delay = delay;
        self
    }

    /// The EHLO keywords, exactly (STARTTLS is still added when [`Self::starttls`] is set).
    /// Default: PIPELINING, SIZE 10240000, 8BITMIME, ENHANCEDSTATUSCODES, SMTPUTF8, CHUNKING,
    /// DSN, plus STARTTLS when [`Self::starttls`] is set and `AUTH PLAIN LOGIN CRAM-MD5
    /// XOAUTH2` when [`Self::auth_credentials`] is set. ENHANCEDSTATUSCODES left out makes
    /// the default replies drop their enhanced codes; CHUNKING left out makes BDAT unknown.
    pub fn ehlo_keywords(mut self, keywords: &[&str]) -> Self {
        self.keywords = Some(keywords.iter().map(|k| k.to_string()).collect());
        self
    }

    /// Offer STARTTLS with this test certificate.
    pub fn starttls(self, kind: CertKind) -> Self {
        self.starttls_config(TestCerts::get().server_config(kind))
    }

    /// Offer STARTTLS with any rustls configuration.
    pub fn starttls_config(mut self, config: Arc<ServerConfig>) -> Self {
        self.starttls = Some(config);
        self
    }

    /// Speak TLS from the first byte (like port 465) with this test certificate.
    pub fn implicit_tls(self, kind: CertKind) -> Self {
        self.implicit_tls_config(TestCerts::get().server_config(kind))
    }

    /// Implicit TLS with any rustls configuration.
    pub fn implicit_tls_config(mut self, config: Arc<ServerConfig>) -> Self {
        self.implicit_tls = Some(config);
        self
    }

    /// The one account AUTH accepts (PLAIN, LOGIN, CRAM-MD5; XOAUTH2 with token == password).
    pub fn auth_credentials(mut self, user: &str, password: &str) -> Self {
        self.credentials = Some((user.to_string(), password.to_string()));
        self
    }

    /// Answer RCPT with `reply` when the address contains `pattern` (case-insensitive).
    pub fn reject_rcpt(mut self, pattern: &str, reply: &str) -> Self {
        self.reject_rcpt
            .push((pattern.to_ascii_lowercase(), reply.to_string()));
        self
    }

    /// Replace the reply to a verb (see [`Step::Command`] for which reply that is).
    pub fn reply_to(self, verb: &str, reply: &str) -> Self {
        self.on(Step::cmd(verb), Reply::text(reply), Then::Continue)
    }

    /// Replace the reply to the nth (1-based) use of a verb in each session.
    pub fn reply_to_nth(self, verb: &str, nth: u32, reply: &str) -> Self {
        self.on_nth(Step::cmd(verb), nth, Reply::text(reply), Then::Continue)
    }

    /// Add a rule for every occurrence of `step`. The first matching rule wins.
    pub fn on(mut self, step: Step, reply: Reply, then: Then) -> Self {
        self.rules.push(Rule {
            step,
            nth: None,
            reply,
            then,
        });
        self
    }

    /// Add a rule for the nth (1-based) occurrence of `step` in each session.
    pub fn on_nth(mut self, step: Step, nth: u32, reply: Reply, then: Then) -> Self {
        self.rules.push(Rule {
            step,
            nth: Some(nth),
            reply,
            then,
        });
        self
    }

    /// Add a named misbehaviour.
    pub fn misbehave(mut self, m: Misbehave) -> Self {
        self.misbehaviours.push(m);
        self
    }

    /// Refuse MAIL before STARTTLS with `530 5.7.0 Must issue a STARTTLS command first`.
    pub fn require_tls(mut self) -> Self {
        self.require_tls = true;
        self
    }

    /// Refuse MAIL before AUTH with `530 5.7.0 Authentication required`.
    pub fn require_auth(mut self) -> Self {
        self.require_auth = true;
        self
    }

    /// Disconnect a client that sends nothing for this long (default 20 s); also bounds
    /// how long a blocked write may stall.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Listen on a fixed loopback address and port (e.g. `127.0.0.77:587`, to test a port
    /// rule); panics on a non-loopback address.
    pub fn bind(mut self, addr: &str) -> Self {
        let addr: SocketAddr = addr.parse().expect("an ip:port");
        assert!(
            addr.ip().is_loopback(),
            "test servers listen on loopback only"
        );
        self.bind = addr.ip();
        self.port = addr.port();
        self
    }

    /// Listen on `::1` instead of `127.0.0.1` (for `-6` tests).
    pub fn ipv6(mut self) -> Self {
        self.bind = IpAddr::V6(Ipv6Addr::LOCALHOST);
        self
    }

    fn misbehaviour_rules(&self, m: &Misbehave) -> Vec<Rule> {
        let host = &self.hostname;
        let rule = |step: Step, reply: Reply, then: Then| Rule {
            step,
            nth: None,
            reply,
            then,
        };
        match m {
            Misbehave::Silent => vec![rule(Step::Greeting, Reply::None, Then::Silent)],
            Misbehave::SlowDrip(interval) => vec![rule(
                Step::Greeting,
                Reply::Drip {
                    bytes: format!("220 {host} ESMTP slowly ").into_bytes(),
                    interval: *interval,
                    forever: true,
                },
                Then::Continue,
            )],
            Misbehave::EndlessMultiline => vec![rule(
                Step::cmd("EHLO"),
                Reply::Endless {
                    first: format!("250-{host}\r\n").into_bytes(),
                    line: b"250-X-ENDLESS\r\n".to_vec(),
                },
                Then::Continue,
            )],
            Misbehave::HugeLine => {
                let mut line = b"220 ".to_vec();
                line.resize(HUGE_LINE_LEN, b'A');
                vec![rule(Step::Greeting, Reply::Replace(line), Then::Silent)]
            }
            Misbehave::GarbageGreeting => vec![rule(
                Step::Greeting,
                Reply::Replace(GARBAGE_GREETING.to_vec()),
                Then::Continue,
            )],
            Misbehave::Malformed(step, kind) => vec![rule(
                step.clone(),
                Reply::Replace(kind.bytes().to_vec()),
                Then::Continue,
            )],
            Misbehave::MixedCodes(step) => vec![rule(
                step.clone(),
                Reply::Replace(b"250-a\r\n251 b\r\n".to_vec()),
                Then::Continue,
            )],
            Misbehave::ResetAfterEhlo => vec![rule(Step::cmd("EHLO"), Reply::None, Then::Reset)],
            Misbehave::CloseDuringData => vec![rule(
                Step::cmd("DATA"),
                Reply::Normal,
                Then::CloseAfterBytes(16),
            )],
            Misbehave::StarttlsInjection => vec![rule(
                Step::cmd("STARTTLS"),
                Reply::Replace(b"220 Ready\r\n250 injected\r\n".to_vec()),
                Then::Continue,
            )],
            Misbehave::Starttls454 => vec![rule(
                Step::cmd("STARTTLS"),
                Reply::text("454 4.7.0 TLS not available due to local problem"),
                Then::Continue,
            )],
            Misbehave::TlsStall => {
                vec![rule(Step::cmd("STARTTLS"), Reply::Normal, Then::StallTls)]
            }
            Misbehave::ImplicitTlsStall => vec![rule(Step::Connect, Reply::None, Then::StallTls)],
            Misbehave::Close421AfterMail => vec![rule(
                Step::cmd("RCPT"),
                Reply::text(&format!(
                    "421 4.4.2 {host} Error: timeout exceeded, closing connection"
                )),
                Then::Close,
            )],
            Misbehave::Unsolicited(step) => vec![rule(
                step.clone(),
                Reply::Append(b"250 surprise\r\n".to_vec()),
                Then::Continue,
            )],
            Misbehave::PrematureDataOk => vec![rule(
                Step::cmd("DATA"),
                Reply::Append(b"250 2.0.0 Ok: queued as PREMATURE\r\n".to_vec()),
                Then::Continue,
            )],
            Misbehave::HugeEhlo => {
                let mut s = format!("250-{host}\r\n");
                for i in 0..HUGE_EHLO_LINES {
                    s.push_str(&format!("250-X-KEYWORD-{i}\r\n"));
                }
                s.push_str("250 HELP\r\n");
                vec![rule(
                    Step::cmd("EHLO"),
                    Reply::Replace(s.into_bytes()),
                    Then::Continue,
                )]
            }
            Misbehave::NeverRead => vec![rule(Step::Greeting, Reply::Normal, Then::NeverRead)],
            Misbehave::StripStarttls | Misbehave::AuthOnPlaintext => Vec::new(),
        }
    }

    /// Binds 127.0.0.1:0 (or [::1]:0) and starts accepting.
    pub fn start(self) -> SmtpServer {
        let mut rules = self.rules.clone();
        for m in &self.misbehaviours {
            rules.extend(self.misbehaviour_rules(m));
        }
        let strip_starttls = self
            .misbehaviours
            .iter()
            .any(|m| matches!(m, Misbehave::StripStarttls));
        let auth_on_plaintext = self
            .misbehaviours
            .iter()
            .any(|m| matches!(m, Misbehave::AuthOnPlaintext));

        let mut keywords = self.keywords.clone().unwrap_or_else(|| {
            let mut k: Vec<String> = [
                "PIPELINING",
                "SIZE 10240000",
                "8BITMIME",
                "ENHANCEDSTATUSCODES",
                "SMTPUTF8",
                "CHUNKING",
                "DSN",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            if self.credentials.is_some() {
                k.push("AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2".to_string());
            }
            k
        });
        if self.starttls.is_some() && !keywords.iter().any(|k| k.eq_ignore_ascii_case("STARTTLS")) {
            keywords.push("STARTTLS".to_string());
        }

        let greeting = self
            .greeting
            .clone()
            .unwrap_or_else(|| format!("220 {} ESMTP smtp-doctor-test", self.hostname));
        let config = Arc::new(Config {
            hostname: self.hostname,
            greeting: crlf(&greeting),
            greeting_delay: self.greeting_delay,
            keywords,
            starttls: self.starttls,
            implicit_tls: self.implicit_tls,
            credentials: self.credentials,
            reject_rcpt: self.reject_rcpt,
            rules,
            strip_starttls,
            auth_on_plaintext,
            require_tls: self.require_tls,
            require_auth: self.require_auth,
            idle_timeout: self.idle_timeout,
        });

        let listener = TcpListener::bind(SocketAddr::new(self.bind, self.port))
            .unwrap_or_else(|e| panic!("bind {}:{}: {e}", self.bind, self.port));
        if config.rules.iter().any(|r| r.then == Then::NeverRead) {
            // Small receive buffer (inherited by accepted sockets), so a client writing to a
            // server that never reads blocks after kilobytes rather than megabytes.
            let _ = socket2::SockRef::from(&listener).set_recv_buffer_size(4096);
        }
        let addr = listener.local_addr().expect("listener address");
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let accept = std::thread::spawn(move || accept_loop(listener, config, s));
        SmtpServer {
            addr,
            shared,
            accept: Some(accept),
        }
    }
}

fn accept_loop(listener: TcpListener, config: Arc<Config>, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            std::thread::sleep(POLL);
            continue;
        };
        let index = {
            let mut records = shared.records.lock().unwrap();
            records.push(SessionRecord::default());
            records.len() - 1
        };
        shared.active.fetch_add(1, Ordering::SeqCst);
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        let (c, s) = (config.clone(), shared.clone());
        let handle = std::thread::spawn(move || {
            let _guard = ActiveGuard(s.clone());
            let mut session = Session::new(stream, c, s, index);
            let _ = session.run();
        });
        shared.threads.lock().unwrap().push(handle);
    }
}

/// Marks a session inactive when its thread ends, however it ends.
struct ActiveGuard(Arc<Shared>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

impl SmtpServer {
    pub fn builder() -> SmtpServerBuilder {
        SmtpServerBuilder::default()
    }

    /// A well-behaved server with the default keywords, no TLS and no AUTH.
    pub fn start_default() -> SmtpServer {
        Self::builder().start()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `127.0.0.1:PORT` (or `[::1]:PORT`), ready for `--server`.
    pub fn arg(&self) -> String {
        self.addr.to_string()
    }

    /// Waits (at most `limit`) until every session is either over or waiting for input
    /// with nothing to read, so the records hold everything the clients sent; true if that
    /// state was reached. The accessors below do this with a 2 s limit.
    pub fn wait_idle(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let quiet = || {
            self.shared.active.load(Ordering::SeqCst) <= self.shared.waiting.load(Ordering::SeqCst)
        };
        loop {
            let before = self.shared.activity.load(Ordering::SeqCst);
            if quiet() {
                // Stable for two poll intervals: no read returned in between.
                std::thread::sleep(POLL * 2);
                if quiet() && self.shared.activity.load(Ordering::SeqCst) == before {
                    return true;
                }
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits (at most `limit`) until no session thread is running any more.
    pub fn wait_sessions_done(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while self.shared.active.load(Ordering::SeqCst) > 0 {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }

    fn settle(&self) {
        self.wait_idle(Duration::from_secs(2));
    }

    /// Every plaintext byte read from clients: each session's bytes in accept order.
    pub fn received(&self) -> Vec<u8> {
        self.settle();
        let records = self.shared.records.lock().unwrap();
        records.iter().flat_map(|r| r.received.clone()).collect()
    }

    /// Every line read outside DATA/BDAT bodies (sessions in accept order), no line ending.
    pub fn commands(&self) -> Vec<String> {
        self.settle();
        let records = self.shared.records.lock().unwrap();
        records.iter().flat_map(|r| r.commands.clone()).collect()
    }

    /// Every accepted message, in order.
    pub fn messages(&self) -> Vec<ReceivedMessage> {
        self.settle();
        self.shared.messages.lock().unwrap().clone()
    }

    /// Every AUTH exchange that reached a verdict.
    pub fn auth_attempts(&self) -> Vec<AuthAttempt> {
        self.settle();
        self.shared.auths.lock().unwrap().clone()
    }

    /// Per-connection records, in accept order.
    pub fn session_records(&self) -> Vec<SessionRecord> {
        self.settle();
        self.shared.records.lock().unwrap().clone()
    }

    /// How many connections were accepted.
    pub fn sessions(&self) -> usize {
        self.settle();
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Whether any line (command or DATA) ended in a bare LF.
    pub fn saw_bare_lf(&self) -> bool {
        self.settle();
        self.shared.bare_lf.load(Ordering::SeqCst)
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        let threads: Vec<_> = self.shared.threads.lock().unwrap().drain(..).collect();
        for t in threads {
            let _ = t.join();
        }
    }
}

// ---------------------------------------------------------------------------------------
// One session.

/// What a step's reply did to the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    /// The normal (positive) effect of the command applies.
    Go,
    /// The reply was negative (or replaced by a different class): no state change.
    Stay,
    /// The session is over.
    End,
}

struct Tx {
    from: String,
    params: Vec<String>,
    rcpts: Vec<String>,
    smtputf8: bool,
    bdat: Vec<u8>,
    bdat_started: bool,
}

struct Line {
    /// The line without its ending.
    text: Vec<u8>,
    bare_lf: bool,
    too_long: bool,
}

struct Session {
    cfg: Arc<Config>,
    shared: Arc<Shared>,
    index: usize,
    tcp: TcpStream,
    tls: Option<Box<ServerConnection>>,
    /// TLS records read from the socket that rustls has not taken yet.
    raw: Vec<u8>,
    inbuf: Vec<u8>,
    helo: Option<String>,
    auth_user: Option<String>,
    tx: Option<Tx>,
    counts: HashMap<Step, u32>,
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

fn stopping() -> io::Error {
    io::Error::other("server stopping")
}

fn idle() -> io::Error {
    io::Error::new(ErrorKind::TimedOut, "client idle")
}

impl Session {
    fn new(tcp: TcpStream, cfg: Arc<Config>, shared: Arc<Shared>, index: usize) -> Session {
        let _ = tcp.set_read_timeout(Some(POLL));
        let _ = tcp.set_write_timeout(Some(POLL));
        let _ = tcp.set_nodelay(true);
        Session {
            cfg,
            shared,
            index,
            tcp,
            tls: None,
            raw: Vec::new(),
            inbuf: Vec::new(),
            helo: None,
            auth_user: None,
            tx: None,
            counts: HashMap::new(),
        }
    }

    fn stopped(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
    }

    fn record(&self, f: impl FnOnce(&mut SessionRecord)) {
        let mut records = self.shared.records.lock().unwrap();
        f(&mut records[self.index]);
    }

    /// Sleeps in small steps; false if the server is stopping.
    fn sleep(&self, d: Duration) -> bool {
        let end = Instant::now() + d;
        while Instant::now() < end {
            if self.stopped() {
                return false;
            }
            std::thread::sleep(POLL.min(end.saturating_duration_since(Instant::now())));
        }
        !self.stopped()
    }

    // --- raw I/O -----------------------------------------------------------------------

    /// Writes all of `bytes` to the TCP socket, polling; gives up when the client stalls for
    /// the idle timeout or the server stops.
    fn tcp_write_all(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        let mut last = Instant::now();
        while !bytes.is_empty() {
            if self.stopped() {
                return Err(stopping());
            }
            match self.tcp.write(bytes) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => {
                    bytes = &bytes[n..];
                    last = Instant::now();
                }
                Err(e) if is_timeout(&e) || e.kind() == ErrorKind::Interrupted => {
                    if last.elapsed() > self.cfg.idle_timeout {
                        return Err(idle());
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Sends what rustls has queued.
    fn flush_tls(&mut self) -> io::Result<()> {
        let mut out = Vec::new();
        if let Some(tls) = self.tls.as_mut() {
            while tls.wants_write() {
                tls.write_tls(&mut out)?;
            }
        }
        self.tcp_write_all(&out)
    }

    /// Writes plaintext (encrypted when TLS is active).
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.tls.is_none() {
            return self.tcp_write_all(bytes);
        }
        for chunk in bytes.chunks(16 * 1024) {
            self.tls.as_mut().unwrap().writer().write_all(chunk)?;
            self.flush_tls()?;
        }
        Ok(())
    }

    /// Reads raw bytes from TCP; Ok(0) on EOF. While it has waited a whole poll interval
    /// without data the session counts as waiting (see [`SmtpServer::wait_idle`]).
    fn tcp_read(&mut self, buf: &mut [u8], deadline: Instant) -> io::Result<usize> {
        let mut waiting = false;
        let result = loop {
            if self.stopped() {
                break Err(stopping());
            }
            match self.tcp.read(buf) {
                Ok(n) => break Ok(n),
                Err(e) if is_timeout(&e) || e.kind() == ErrorKind::Interrupted => {
                    if Instant::now() >= deadline {
                        break Err(idle());
                    }
                    if !waiting {
                        waiting = true;
                        self.shared.waiting.fetch_add(1, Ordering::SeqCst);
                    }
                }
                Err(e) => break Err(e),
            }
        };
        self.shared.activity.fetch_add(1, Ordering::SeqCst);
        if waiting {
            self.shared.waiting.fetch_sub(1, Ordering::SeqCst);
        }
        result
    }

    /// Moves raw TLS bytes into rustls: pending ones first, else one TCP read. False on EOF.
    fn tls_pump(&mut self, deadline: Instant) -> io::Result<bool> {
        if self.raw.is_empty() {
            let mut buf = vec![0u8; 16 * 1024];
            let n = self.tcp_read(&mut buf, deadline)?;
            if n == 0 {
                let tls = self.tls.as_mut().expect("TLS is active");
                let mut empty: &[u8] = &[];
                let _ = tls.read_tls(&mut empty);
                let _ = tls.process_new_packets();
                return Ok(false);
            }
            self.raw.extend_from_slice(&buf[..n]);
        }
        let tls = self.tls.as_mut().expect("TLS is active");
        let mut slice = &self.raw[..];
        let n = tls.read_tls(&mut slice)?;
        if n == 0 {
            // close_notify already received: anything after it is ignored.
            self.raw.clear();
        } else {
            self.raw.drain(..n);
        }
        if let Err(e) = tls.process_new_packets() {
            let _ = self.flush_tls();
            return Err(io::Error::new(ErrorKind::InvalidData, e));
        }
        self.flush_tls()?;
        Ok(true)
    }

    /// Reads more plaintext into `inbuf` (and the session record); Ok(0) on EOF.
    fn fill(&mut self, deadline: Instant) -> io::Result<usize> {
        let mut buf = vec![0u8; 16 * 1024];
        let n = if self.tls.is_none() {
            self.tcp_read(&mut buf, deadline)?
        } else {
            let mut eof = false;
            loop {
                match self.tls.as_mut().unwrap().reader().read(&mut buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock && eof => break 0,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == ErrorKind::UnexpectedEof => break 0,
                    Err(e) => return Err(e),
                }
                eof = !self.tls_pump(deadline)?;
            }
        };
        if n > 0 {
            self.inbuf.extend_from_slice(&buf[..n]);
            self.record(|r| r.received.extend_from_slice(&buf[..n]));
        }
        Ok(n)
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.cfg.idle_timeout
    }

    /// The next line, or None on EOF. Lines longer than [`MAX_LINE`] come back `too_long`.
    fn read_line(&mut self) -> io::Result<Option<Line>> {
        let mut discarding = false;
        loop {
            if let Some(pos) = self.inbuf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.inbuf.drain(..=pos).collect();
                line.pop();
                let bare_lf = line.last() != Some(&b'\r');
                if !bare_lf {
                    line.pop();
                }
                return Ok(Some(Line {
                    text: line,
                    bare_lf,
                    too_long: discarding,
                }));
            }
            if self.inbuf.len() > MAX_LINE {
                discarding = true;
                self.inbuf.clear();
            }
            if self.fill(self.deadline())? == 0 {
                return Ok(None);
            }
        }
    }

    /// Exactly `n` bytes (for BDAT), or None on EOF.
    fn read_exact(&mut self, n: usize) -> io::Result<Option<Vec<u8>>> {
        while self.inbuf.len() < n {
            if self.fill(self.deadline())? == 0 {
                return Ok(None);
            }
        }
        Ok(Some(self.inbuf.drain(..n).collect()))
    }

    // --- endings -------------------------------------------------------------------------

    /// FIN after reading (and recording) what the client still sends for a moment, so
    /// unread data does not turn the close into an RST that could eat our last reply.
    fn close_gracefully(&mut self) {
        if let Some(tls) = self.tls.as_mut() {
            tls.send_close_notify();
            let _ = self.flush_tls();
        }
        let _ = self.tcp.shutdown(Shutdown::Write);
        let deadline = Instant::now() + DRAIN;
        while let Ok(n) = self.fill(deadline) {
            if n == 0 {
                break;
            }
        }
    }

    fn reset(&mut self) {
        let _ = socket2::SockRef::from(&self.tcp).set_linger(Some(Duration::ZERO));
        let _ = self.tcp.shutdown(Shutdown::Read);
        // The socket closes (with RST) when the session is dropped.
    }

    fn silent(&mut self) {
        let deadline = self.deadline();
        while let Ok(n) = self.fill(deadline) {
            if n == 0 {
                break;
            }
        }
    }

    fn never_read(&mut self) {
        // Nothing more will be recorded: do not make accessors wait for this session.
        self.shared.active.fetch_sub(1, Ordering::SeqCst);
        while self.sleep(Duration::from_millis(200)) {}
        self.shared.active.fetch_add(1, Ordering::SeqCst);
    }

    fn stall_tls(&mut self) {
        // Read the ClientHello (raw, not recorded) and whatever follows, never answering.
        let deadline = self.deadline();
        let mut buf = vec![0u8; 16 * 1024];
        while let Ok(n) = self.tcp_read(&mut buf, deadline) {
            if n == 0 {
                break;
            }
        }
    }

    fn close_after_bytes(&mut self, n: usize) {
        let start = self.inbuf.len();
        loop {
            let got = self.inbuf.len() - start;
            if got >= n || self.inbuf.windows(5).any(|w| w == b"\r\n.\r\n") {
                break;
            }
            match self.fill(Instant::now() + Duration::from_secs(1)) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        self.close_gracefully();
    }

    fn drip(&mut self, bytes: &[u8], interval: Duration, forever: bool) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let mut i = 0;
        loop {
            if i == bytes.len() {
                if !forever {
                    return Ok(());
                }
                i = 0;
            }
            self.write_all(&bytes[i..=i])?;
            i += 1;
            if !self.sleep(interval) {
                return Err(stopping());
            }
        }
    }

    fn endless(&mut self, first: &[u8], line: &[u8]) -> io::Result<()> {
        self.write_all(first)?;
        let block: Vec<u8> = line.repeat(64);
        loop {
            self.write_all(&block)?;
        }
    }

    // --- the rule table ----------------------------------------------------------------

    /// Sends the reply for `steps` (the first with a matching rule wins; all are counted),
    /// `normal` being what a well-behaved server says here.
    fn respond(&mut self, steps: &[Step], normal: &str) -> io::Result<Flow> {
        let mut found: Option<Rule> = None;
        for step in steps {
            let count = self.counts.entry(step.clone()).or_insert(0);
            *count += 1;
            let count = *count;
            if found.is_none() {
                found = self
                    .cfg
                    .rules
                    .iter()
                    .find(|r| r.step == *step && r.nth.is_none_or(|n| n == count))
                    .cloned();
            }
        }
        let positive = normal.starts_with(['2', '3']);
        let go = if positive { Flow::Go } else { Flow::Stay };
        let Some(rule) = found else {
            self.write_all(normal.as_bytes())?;
            return Ok(go);
        };

        let mut flow = go;
        let mut sent_421 = false;
        match &rule.reply {
            Reply::Normal => self.write_all(normal.as_bytes())?,
            Reply::None => {}
            Reply::Replace(bytes) => {
                if bytes.first() != normal.as_bytes().first() {
                    flow = Flow::Stay;
                }
                let last_line = bytes
                    .strip_suffix(b"\r\n")
                    .unwrap_or(bytes)
                    .rsplit(|&b| b == b'\n')
                    .next()
                    .unwrap_or_default();
                sent_421 = last_line.starts_with(b"421");
                self.write_all(bytes)?;
            }
            Reply::Append(bytes) => {
                let mut all = normal.as_bytes().to_vec();
                all.extend_from_slice(bytes);
                self.write_all(&all)?;
            }
            Reply::Drip {
                bytes,
                interval,
                forever,
            } => {
                self.drip(bytes, *interval, *forever)?;
                if *forever {
                    return Ok(Flow::End);
                }
            }
            Reply::Endless { first, line } => {
                let _ = self.endless(first, line);
                return Ok(Flow::End);
            }
        }
        match rule.then {
            Then::Continue if sent_421 => {
                self.close_gracefully();
                Ok(Flow::End)
            }
            Then::Continue => Ok(flow),
            Then::Close => {
                self.close_gracefully();
                Ok(Flow::End)
            }
            Then::Reset => {
                self.reset();
                Ok(Flow::End)
            }
            Then::Silent => {
                self.silent();
                Ok(Flow::End)
            }
            Then::NeverRead => {
                self.never_read();
                Ok(Flow::End)
            }
            Then::StallTls => {
                self.stall_tls();
                Ok(Flow::End)
            }
            Then::CloseAfterBytes(n) => {
                self.close_after_bytes(n);
                Ok(Flow::End)
            }
        }
    }

    // --- formatting ----------------------------------------------------------------------

    fn enhanced(&self) -> bool {
        self.cfg
            .keywords
            .iter()
            .any(|k| k.eq_ignore_ascii_case("ENHANCEDSTATUSCODES"))
    }

    /// A one-line reply, with the enhanced code only if ENHANCEDSTATUSCODES is advertised.
    fn r(&self, code: u16, enhanced: &str, text: &str) -> String {
        if self.enhanced() && !enhanced.is_empty() {
            format!("{code} {enhanced} {text}\r\n")
        } else {
            format!("{code} {text}\r\n")
        }
    }

    fn has_keyword(&self, name: &str) -> bool {
        self.cfg.keywords.iter().any(|k| {
            k.split_whitespace()
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case(name))
        })
    }

    /// STARTTLS is on offer on this connection.
    fn starttls_offered(&self) -> bool {
        self.tls.is_none()
            && self.cfg.implicit_tls.is_none()
            && !self.cfg.strip_starttls
            && self.has_keyword("STARTTLS")
    }

    /// AUTH is held back until TLS (Postfix's smtpd_tls_auth_only).
    fn auth_needs_tls(&self) -> bool {
        self.starttls_offered() && !self.cfg.auth_on_plaintext
    }

    /// The mechanisms on the AUTH keyword line, upper case.
    fn auth_mechanisms(&self) -> Vec<String> {
        self.cfg
            .keywords
            .iter()
            .find(|k| {
                k.split_whitespace()
                    .next()
                    .is_some_and(|w| w.eq_ignore_ascii_case("AUTH"))
            })
            .map(|k| {
                k.split_whitespace()
                    .skip(1)
                    .map(|m| m.to_ascii_uppercase())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn ehlo_lines(&self) -> Vec<String> {
        self.cfg
            .keywords
            .iter()
            .filter(|k| {
                let first = k.split_whitespace().next().unwrap_or("");
                if first.eq_ignore_ascii_case("STARTTLS") {
                    self.starttls_offered()
                } else if first.eq_ignore_ascii_case("AUTH") {
                    !self.auth_needs_tls()
                } else {
                    true
                }
            })
            .cloned()
            .collect()
    }

    // --- the protocol --------------------------------------------------------------------

    fn run(&mut self) -> io::Result<()> {
        if self.respond(&[Step::Connect], "")? == Flow::End {
            return Ok(());
        }
        if let Some(config) = self.cfg.implicit_tls.clone()
            && !self.start_tls(config)?
        {
            return Ok(());
        }
        if !self.cfg.greeting_delay.is_zero() && !self.sleep(self.cfg.greeting_delay) {
            return Ok(());
        }
        let greeting = self.cfg.greeting.clone();
        if self.respond(&[Step::Greeting], &greeting)? == Flow::End {
            return Ok(());
        }
        loop {
            let line = match self.read_line() {
                Ok(Some(line)) => line,
                Ok(None) => return Ok(()),
                Err(e) if e.kind() == ErrorKind::TimedOut => {
                    let host = self.cfg.hostname.clone();
                    let bye = self.r(421, "4.4.2", &format!("{host} Error: timeout exceeded"));
                    let _ = self.write_all(bye.as_bytes());
                    self.close_gracefully();
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            let text = String::from_utf8_lossy(&line.text).into_owned();
            self.record(|r| r.commands.push(text.clone()));
            if line.too_long {
                let reply = self.r(500, "5.5.2", "Error: line too long");
                self.write_all(reply.as_bytes())?;
                continue;
            }
            if line.bare_lf {
                // RFC 5321 §2.3.8: lines end in CRLF; bare LF is refused, as Postfix does
                // (smtpd_forbid_bare_newline).
                self.shared.bare_lf.store(true, Ordering::SeqCst);
                let reply = self.r(500, "5.5.2", "Error: bare <LF> received");
                self.write_all(reply.as_bytes())?;
                continue;
            }
            if self.command(&text)? == Flow::End {
                return Ok(());
            }
        }
    }

    fn command(&mut self, line: &str) -> io::Result<Flow> {
        let (verb, arg) = match line.split_once(' ') {
            Some((v, a)) => (v.to_ascii_uppercase(), a.trim().to_string()),
            None => (line.trim().to_ascii_uppercase(), String::new()),
        };
        let step = Step::Command(verb.clone());
        match verb.as_str() {
            "" => {
                let reply = self.r(500, "5.5.2", "Error: bad syntax");
                self.respond(&[step], &reply)
            }
            "EHLO" | "HELO" => self.cmd_hello(step, verb == "EHLO", &arg),
            "MAIL" => self.cmd_mail(step, &arg),
            "RCPT" => self.cmd_rcpt(step, &arg),
            "DATA" => self.cmd_data(step, &arg),
            "BDAT" if self.has_keyword("CHUNKING") => self.cmd_bdat(step, &arg),
            "RSET" => {
                let reply = self.r(250, "2.0.0", "Ok");
                let flow = self.respond(&[step], &reply)?;
                if flow == Flow::Go {
                    self.tx = None;
                }
                Ok(flow)
            }
            "NOOP" => {
                let reply = self.r(250, "2.0.0", "Ok");
                self.respond(&[step], &reply)
            }
            "VRFY" => {
                let reply = if arg.is_empty() {
                    self.r(501, "5.5.4", "Syntax: VRFY address")
                } else {
                    self.r(252, "2.0.0", &arg)
                };
                self.respond(&[step], &reply)
            }
            "EXPN" => {
                let reply = self.r(502, "5.5.1", "Error: command not implemented");
                self.respond(&[step], &reply)
            }
            "HELP" => {
                let reply = self.r(214, "2.0.0", "See RFC 5321");
                self.respond(&[step], &reply)
            }
            "QUIT" => {
                let reply = self.r(221, "2.0.0", "Bye");
                if self.respond(&[step], &reply)? != Flow::End {
                    self.close_gracefully();
                }
                Ok(Flow::End)
            }
            "STARTTLS" if self.starttls_offered() || self.tls.is_some() => {
                self.cmd_starttls(step, &arg)
            }
            "AUTH" => self.cmd_auth(step, &arg),
            _ => {
                let reply = self.r(502, "5.5.2", "Error: command not recognized");
                self.respond(&[step], &reply)
            }
        }
    }

    fn cmd_hello(&mut self, step: Step, ehlo: bool, arg: &str) -> io::Result<Flow> {
        let verb = if ehlo { "EHLO" } else { "HELO" };
        if arg.is_empty() {
            let reply = self.r(501, "5.5.4", &format!("Syntax: {verb} hostname"));
            return self.respond(&[step], &reply);
        }
        let host = self.cfg.hostname.clone();
        let reply = if ehlo {
            let lines = self.ehlo_lines();
            let mut out = String::new();
            let sep = if lines.is_empty() { ' ' } else { '-' };
            out.push_str(&format!("250{sep}{host}\r\n"));
            for (i, k) in lines.iter().enumerate() {
                let sep = if i + 1 == lines.len() { ' ' } else { '-' };
                out.push_str(&format!("250{sep}{k}\r\n"));
            }
            out
        } else {
            format!("250 {host}\r\n")
        };
        let flow = self.respond(&[step], &reply)?;
        if flow == Flow::Go {
            // RFC 5321 §4.1.4: EHLO/HELO also resets any transaction.
            self.helo = Some(arg.to_string());
            self.tx = None;
        }
        Ok(flow)
    }

    /// Splits `FROM:<addr> PARAMS` / `TO:<addr> PARAMS`; None on bad syntax.
    fn path_arg(arg: &str, prefix: &str) -> Option<(String, Vec<String>)> {
        if arg.len() < prefix.len() || !arg[..prefix.len()].eq_ignore_ascii_case(prefix) {
            return None;
        }
        let rest = arg[prefix.len()..].trim_start();
        let rest = rest.strip_prefix('<')?;
        let end = rest.find('>')?;
        let addr = rest[..end].to_string();
        let params = rest[end + 1..]
            .split_whitespace()
            .map(|s| s.to_string())
            .collect();
        Some((addr, params))
    }

    fn size_limit(&self) -> Option<u64> {
        self.cfg.keywords.iter().find_map(|k| {
            let mut words = k.split_whitespace();
            let first = words.next()?;
            if first.eq_ignore_ascii_case("SIZE") {
                words.next()?.parse().ok().filter(|&n: &u64| n > 0)
            } else {
                None
            }
        })
    }

    fn cmd_mail(&mut self, step: Step, arg: &str) -> io::Result<Flow> {
        let parsed = Self::path_arg(arg, "FROM:");
        let reply = if self.helo.is_none() {
            self.r(503, "5.5.1", "Error: send HELO/EHLO first")
        } else if self.tx.is_some() {
            self.r(503, "5.5.1", "Error: nested MAIL command")
        } else if self.cfg.require_tls && self.tls.is_none() {
            self.r(530, "5.7.0", "Must issue a STARTTLS command first")
        } else if self.cfg.require_auth && self.auth_user.is_none() {
            self.r(530, "5.7.0", "Authentication required")
        } else if let Some((addr, params)) = &parsed {
            let size = params.iter().find_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.eq_ignore_ascii_case("SIZE")
                    .then(|| v.parse::<u64>().ok())
                    .flatten()
            });
            let smtputf8 = params.iter().any(|p| p.eq_ignore_ascii_case("SMTPUTF8"));
            if let (Some(size), Some(limit)) = (size, self.size_limit())
                && size > limit
            {
                self.r(552, "5.3.4", "Message size exceeds fixed limit")
            } else if !addr.is_ascii() && !smtputf8 {
                self.r(
                    553,
                    "5.6.7",
                    "Must declare SMTPUTF8 to send unicode address",
                )
            } else {
                self.r(250, "2.1.0", "Ok")
            }
        } else {
            self.r(501, "5.5.4", "Syntax: MAIL FROM:<address>")
        };
        let flow = self.respond(&[step], &reply)?;
        if flow == Flow::Go
            && let Some((from, params)) = parsed
        {
            let smtputf8 = params.iter().any(|p| p.eq_ignore_ascii_case("SMTPUTF8"));
            self.tx = Some(Tx {
                from,
                params,
                rcpts: Vec::new(),
                smtputf8,
                bdat: Vec::new(),
                bdat_started: false,
            });
        }
        Ok(flow)
    }

    fn cmd_rcpt(&mut self, step: Step, arg: &str) -> io::Result<Flow> {
        let parsed = Self::path_arg(arg, "TO:");
        let reply = match (&self.tx, &parsed) {
            (None, _) => self.r(503, "5.5.1", "Error: need MAIL command"),
            (Some(_), None) => self.r(501, "5.5.4", "Syntax: RCPT TO:<address>"),
            (Some(tx), Some((addr, _))) => {
                let lower = addr.to_lowercase();
                if let Some((_, reply)) = self
                    .cfg
                    .reject_rcpt
                    .iter()
                    .find(|(pattern, _)| lower.contains(pattern.as_str()))
                {
                    crlf(reply)
                } else if !addr.is_ascii() && !tx.smtputf8 {
                    self.r(
                        553,
                        "5.6.7",
                        "Must declare SMTPUTF8 to send unicode address",
                    )
                } else {
                    self.r(250, "2.1.5", "Ok")
                }
            }
        };
        let flow = self.respond(&[step], &reply)?;
        if flow == Flow::Go
            && let (Some(tx), Some((addr, _))) = (self.tx.as_mut(), parsed)
        {
            tx.rcpts.push(addr);
        }
        Ok(flow)
    }

    fn finish_message(&mut self, data: Vec<u8>, via_bdat: bool) {
        if let Some(tx) = self.tx.take() {
            let msg = ReceivedMessage {
                mail_from: tx.from,
                mail_params: tx.params,
                rcpt_to: tx.rcpts,
                data,
                via_bdat,
                tls: self.tls.is_some(),
                auth_user: self.auth_user.clone(),
            };
            self.shared.messages.lock().unwrap().push(msg);
        }
    }

    fn cmd_data(&mut self, step: Step, arg: &str) -> io::Result<Flow> {
        let reply = match &self.tx {
            None => self.r(503, "5.5.1", "Error: need MAIL command"),
            Some(tx) if tx.rcpts.is_empty() => self.r(503, "5.5.1", "Error: need RCPT command"),
            Some(tx) if tx.bdat_started => {
                self.r(503, "5.5.1", "Error: DATA not allowed after BDAT")
            }
            Some(_) if !arg.is_empty() => self.r(501, "5.5.4", "Syntax: DATA"),
            Some(_) => "354 End data with <CR><LF>.<CR><LF>\r\n".to_string(),
        };
        let flow = self.respond(&[step], &reply)?;
        if flow != Flow::Go {
            return Ok(flow);
        }
        // RFC 5321 §4.5.2: the body ends at CRLF.CRLF; a leading dot is removed from any
        // other line starting with one.
        let mut data = Vec::new();
        loop {
            let mut line = Vec::new();
            loop {
                if let Some(pos) = self.inbuf.iter().position(|&b| b == b'\n') {
                    line.extend(self.inbuf.drain(..=pos));
                    break;
                }
                if self.fill(self.deadline())? == 0 {
                    return Ok(Flow::End);
                }
            }
            if line == b".\r\n" {
                break;
            }
            if !line.ends_with(b"\r\n") {
                self.shared.bare_lf.store(true, Ordering::SeqCst);
            }
            if line.first() == Some(&b'.') {
                line.remove(0);
            }
            data.extend_from_slice(&line);
        }
        self.finish_message(data, false);
        let reply = self.r(250, "2.0.0", &format!("Ok: queued as {QUEUE_ID}"));
        self.respond(&[Step::DataEnd], &reply)
    }

    fn cmd_bdat(&mut self, step: Step, arg: &str) -> io::Result<Flow> {
        let mut words = arg.split_whitespace();
        let size = words.next().and_then(|s| s.parse::<usize>().ok());
        let last = match words.next() {
            None => Some(false),
            Some(w) if w.eq_ignore_ascii_case("LAST") => Some(true),
            Some(_) => None,
        };
        let (Some(size), Some(last), None) = (size, last, words.next()) else {
            let reply = self.r(501, "5.5.4", "Syntax: BDAT size [LAST]");
            return self.respond(&[step], &reply);
        };
        // RFC 3030 §2: the chunk is read even when the command is going to be refused.
        let Some(chunk) = self.read_exact(size)? else {
            return Ok(Flow::End);
        };
        let reply = match &self.tx {
            None => self.r(503, "5.5.1", "Error: need MAIL command"),
            Some(tx) if tx.rcpts.is_empty() => self.r(503, "5.5.1", "Error: need RCPT command"),
            Some(_) if last => self.r(250, "2.0.0", &format!("Ok: queued as {QUEUE_ID}")),
            Some(_) => self.r(250, "2.0.0", &format!("{size} octets received")),
        };
        let steps: Vec<Step> = if last {
            vec![Step::DataEnd, step]
        } else {
            vec![step]
        };
        let flow = self.respond(&steps, &reply)?;
        if flow == Flow::Go
            && let Some(tx) = self.tx.as_mut()
        {
            tx.bdat.extend_from_slice(&chunk);
            tx.bdat_started = true;
            if last {
                let data = std::mem::take(&mut tx.bdat);
                self.finish_message(data, true);
            }
        } else if flow == Flow::Stay
            && let Some(tx) = self.tx.as_mut()
            && tx.bdat_started
        {
            // A refused chunk ends the transaction (RFC 3030 §2).
            self.tx = None;
        }
        Ok(flow)
    }

    fn cmd_starttls(&mut self, step: Step, arg: &str) -> io::Result<Flow> {
        let reply = if self.tls.is_some() {
            self.r(554, "5.5.1", "Error: TLS already active")
        } else if !arg.is_empty() {
            self.r(501, "5.5.4", "Syntax: STARTTLS")
        } else if self.cfg.starttls.is_none() {
            self.r(454, "4.7.0", "TLS not available due to local problem")
        } else {
            self.r(220, "2.0.0", "Ready to start TLS")
        };
        let flow = self.respond(&[step], &reply)?;
        if flow != Flow::Go {
            return Ok(flow);
        }
        // RFC 3207 §4.2 / CVE-2011-0411: plaintext the client pipelined after STARTTLS is
        // discarded (it stays in the record: it was read).
        self.inbuf.clear();
        let config = self.cfg.starttls.clone().expect("checked above");
        if !self.start_tls(config)? {
            return Ok(Flow::End);
        }
        // RFC 3207 §4.2: forget everything learned before TLS.
        self.helo = None;
        self.tx = None;
        self.auth_user = None;
        Ok(Flow::Go)
    }

    /// Runs the server side of a TLS handshake; false (recorded) when it fails.
    fn start_tls(&mut self, config: Arc<ServerConfig>) -> io::Result<bool> {
        let conn = ServerConnection::new(config).map_err(io::Error::other)?;
        self.tls = Some(Box::new(conn));
        self.raw.clear();
        let deadline = self.deadline();
        let result: io::Result<()> = loop {
            if let Err(e) = self.flush_tls() {
                break Err(e);
            }
            if !self.tls.as_ref().unwrap().is_handshaking() {
                break Ok(());
            }
            match self.tls_pump(deadline) {
                Ok(true) => {}
                Ok(false) => break Err(ErrorKind::UnexpectedEof.into()),
                Err(e) => break Err(e),
            }
        };
        match result {
            Ok(()) => {
                let sni = self
                    .tls
                    .as_ref()
                    .and_then(|t| t.server_name().map(str::to_string));
                self.record(|r| {
                    r.tls = true;
                    r.sni = sni;
                });
                Ok(true)
            }
            Err(e) => {
                let msg = e.to_string();
                self.record(|r| r.tls_error = Some(msg));
                Ok(false)
            }
        }
    }

    /// Reads one AUTH continuation line; Err(flow) when the session ended or the client
    /// cancelled (the reply is already sent then).
    fn auth_line(&mut self) -> io::Result<Result<String, Flow>> {
        let Some(line) = self.read_line()? else {
            return Ok(Err(Flow::End));
        };
        let text = String::from_utf8_lossy(&line.text).into_owned();
        self.record(|r| r.commands.push(text.clone()));
        if line.bare_lf {
            self.shared.bare_lf.store(true, Ordering::SeqCst);
        }
        if text == "*" {
            // RFC 4954 §4: the client cancelled.
            let reply = self.r(501, "5.7.0", "Authentication aborted");
            return Ok(Err(self.respond(&[Step::cmd("AUTH")], &reply)?));
        }
        Ok(Ok(text))
    }

    fn challenge(&mut self, text: &str) -> io::Result<Result<String, Flow>> {
        let flow = self.respond(&[Step::AuthChallenge], &format!("334 {text}\r\n"))?;
        if flow != Flow::Go {
            return Ok(Err(flow));
        }
        self.auth_line()
    }

    fn cmd_auth(&mut self, step: Step, arg: &str) -> io::Result<Flow> {
        let mut words = arg.split_whitespace();
        let mech = words.next().unwrap_or("").to_ascii_uppercase();
        let initial = words.next().map(str::to_string);
        let refusal = if self.helo.is_none() {
            Some(self.r(503, "5.5.1", "Error: send HELO/EHLO first"))
        } else if self.auth_needs_tls() && self.has_keyword("AUTH") {
            Some(self.r(530, "5.7.0", "Must issue a STARTTLS command first"))
        } else if !self.has_keyword("AUTH") {
            Some(self.r(503, "5.5.1", "Error: authentication not enabled"))
        } else if self.auth_user.is_some() {
            Some(self.r(503, "5.5.1", "Error: already authenticated"))
        } else if self.tx.is_some() {
            Some(self.r(503, "5.5.1", "Error: MAIL transaction in progress"))
        } else if mech.is_empty() {
            Some(self.r(501, "5.5.4", "Syntax: AUTH mechanism"))
        } else if !self.auth_mechanisms().contains(&mech) {
            Some(self.r(504, "5.5.4", "Unsupported authentication mechanism"))
        } else {
            None
        };
        if let Some(reply) = refusal {
            return self.respond(&[step], &reply);
        }

        let decode = |s: &str| -> Option<Vec<u8>> {
            if s == "=" {
                Some(Vec::new())
            } else {
                B64.decode(s.trim()).ok()
            }
        };
        let creds = self.cfg.credentials.clone();
        // (claimed user, verdict); None verdict: undecodable.
        let (user, ok): (Option<String>, Option<bool>) = match mech.as_str() {
            "PLAIN" => {
                let resp = match initial {
                    Some(i) => i,
                    None => match self.challenge("")? {
                        Ok(l) => l,
                        Err(flow) => return Ok(flow),
                    },
                };
                match decode(&resp) {
                    None => (None, None),
                    Some(bytes) => {
                        let parts: Vec<&[u8]> = bytes.split(|&b| b == 0).collect();
                        if parts.len() != 3 {
                            (None, Some(false))
                        } else {
                            let u = String::from_utf8_lossy(parts[1]).into_owned();
                            let p = String::from_utf8_lossy(parts[2]).into_owned();
                            let ok = creds.as_ref().is_some_and(|(cu, cp)| *cu == u && *cp == p);
                            (Some(u), Some(ok))
                        }
                    }
                }
            }
            "LOGIN" => {
                let user_b64 = match initial {
                    Some(i) => i,
                    None => match self.challenge("VXNlcm5hbWU6")? {
                        Ok(l) => l,
                        Err(flow) => return Ok(flow),
                    },
                };
                let pass_b64 = match self.challenge("UGFzc3dvcmQ6")? {
                    Ok(l) => l,
                    Err(flow) => return Ok(flow),
                };
                match (decode(&user_b64), decode(&pass_b64)) {
                    (Some(u), Some(p)) => {
                        let u = String::from_utf8_lossy(&u).into_owned();
                        let p = String::from_utf8_lossy(&p).into_owned();
                        let ok = creds.as_ref().is_some_and(|(cu, cp)| *cu == u && *cp == p);
                        (Some(u), Some(ok))
                    }
                    _ => (None, None),
                }
            }
            "CRAM-MD5" => {
                // RFC 2195: challenge is a msg-id; response is "user hex(HMAC-MD5(pw, chal))".
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                let chal = format!("<{}.{}@{}>", std::process::id(), nanos, self.cfg.hostname);
                let resp = match self.challenge(&B64.encode(&chal))? {
                    Ok(l) => l,
                    Err(flow) => return Ok(flow),
                };
                match decode(&resp).map(|b| String::from_utf8_lossy(&b).into_owned()) {
                    Some(text) => match text.rsplit_once(' ') {
                        Some((u, digest)) => {
                            let ok = creds.as_ref().is_some_and(|(cu, cp)| {
                                *cu == u && digest.eq_ignore_ascii_case(&cram_md5(cp, &chal))
                            });
                            (Some(u.to_string()), Some(ok))
                        }
                        None => (None, Some(false)),
                    },
                    None => (None, None),
                }
            }
            "XOAUTH2" => {
                let resp = match initial {
                    Some(i) => i,
                    None => match self.challenge("")? {
                        Ok(l) => l,
                        Err(flow) => return Ok(flow),
                    },
                };
                match decode(&resp).map(|b| String::from_utf8_lossy(&b).into_owned()) {
                    None => (None, None),
                    Some(text) => {
                        let mut user = None;
                        let mut token = None;
                        for field in text.split('\x01') {
                            if let Some(u) = field.strip_prefix("user=") {
                                user = Some(u.to_string());
                            } else if let Some(a) = field.strip_prefix("auth=") {
                                token = a
                                    .strip_prefix("Bearer ")
                                    .or_else(|| a.strip_prefix("bearer "))
                                    .map(str::to_string);
                            }
                        }
                        let ok = match (&creds, &user, &token) {
                            (Some((cu, cp)), Some(u), Some(t)) => cu == u && cp == t,
                            _ => false,
                        };
                        if !ok {
                            // Google's flow: a 334 carrying a JSON error, to which the client
                            // answers with an empty line, then the 535.
                            let err = B64.encode(
                                r#"{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}"#,
                            );
                            if let Err(flow) = self.challenge(&err)? {
                                return Ok(flow);
                            }
                        }
                        (user, Some(ok))
                    }
                }
            }
            _ => unreachable!("checked against the advertised mechanisms"),
        };

        let Some(ok) = ok else {
            let reply = self.r(501, "5.5.2", "Cannot decode response");
            return self.respond(&[step], &reply);
        };
        let reply = if ok {
            self.r(235, "2.7.0", "Authentication successful")
        } else {
            self.r(
                535,
                "5.7.8",
                "Error: authentication failed: authentication failure",
            )
        };
        // Recorded before the reply goes out, so a client that saw it finds it recorded.
        let slot = {
            let mut auths = self.shared.auths.lock().unwrap();
            auths.push(AuthAttempt {
                mechanism: mech,
                username: user.clone(),
                success: ok,
            });
            auths.len() - 1
        };
        let flow = self.respond(&[step], &reply)?;
        let success = flow == Flow::Go;
        if success != ok {
            // A rule replaced the verdict.
            self.shared.auths.lock().unwrap()[slot].success = success;
        }
        if success {
            self.auth_user = user;
        }
        Ok(flow)
    }
}

/// RFC 2195: lower-case hex of HMAC-MD5 keyed with the password over the challenge.
pub fn cram_md5(password: &str, challenge: &str) -> String {
    let mut mac =
        Hmac::<md5::Md5>::new_from_slice(password.as_bytes()).expect("HMAC takes any key size");
    mac.update(challenge.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
