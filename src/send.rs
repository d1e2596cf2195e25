//! `smtp-doctor send`: one swaks-style transaction — connect, EHLO, STARTTLS, AUTH, MAIL, RCPT,
//! DATA/BDAT, QUIT — narrated live, with a result that names every recipient's fate and the
//! server's queue id.

use crate::cli::{AuthChoice, GlobalArgs, LineEnding, QuitAfter, SendArgs};
use crate::connect::{self, Connected};
use crate::dns::Dns;
use crate::error::{Error, ErrorKind, Phase, Result};
use crate::exit;
use crate::message::{self, MessageSpec};
use crate::net::connect::Attempt;
use crate::net::tls::TlsParams;
use crate::report::{Event, Observer};
use crate::secret::Secret;
use crate::smtp::auth::Mechanism;
use crate::smtp::command::{Command, check_argument};
use crate::smtp::reply::Reply;
use crate::smtp::session::{Session, SessionConfig};
use crate::target::{clean_address, domain_of, split_host_port};
use serde::Serialize;
use serde_json::json;
use std::net::SocketAddr;
use std::time::Duration;

/// How TLS is used (SPEC.md port rules: 465 implicit, 587 STARTTLS required, 25 when offered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    Implicit,
    Required,
    Optional,
    Off,
}

impl TlsMode {
    /// The mode for a port, unless a flag says otherwise.
    pub fn for_port(port: u16) -> TlsMode {
        match port {
            465 => TlsMode::Implicit,
            587 => TlsMode::Required,
            _ => TlsMode::Optional,
        }
    }
}

/// BDAT chunk size: large enough to be efficient, small enough that a big message shows the
/// chunking at work.
const BDAT_CHUNK: usize = 64 * 1024;

/// Everything `send` needs, validated before any connection is made.
struct Plan {
    recipients: Vec<String>,
    from: String,
    server: Option<(String, Option<u16>)>,
    port: u16,
    tls: TlsMode,
    /// `--ehlo`; without it, [`default_ehlo`] once connected.
    ehlo: Option<String>,
    auth: Option<(AuthChoice, String, Secret)>,
    message: Option<Vec<u8>>,
    quit_after: QuitAfter,
}

/// What happened to one recipient.
#[derive(Debug, Clone, Serialize)]
pub struct RecipientResult {
    pub address: String,
    pub accepted: bool,
    pub code: Option<u16>,
    pub enhanced: Option<String>,
    pub reply: Option<String>,
}

/// The outcome of the whole transaction, for the `result` event.
#[derive(Debug, Default)]
struct Outcome {
    server: Option<String>,
    address: Option<SocketAddr>,
    port: u16,
    tls: Option<crate::net::tls::TlsInfo>,
    auth: Option<&'static str>,
    recipients: Vec<RecipientResult>,
    queue_id: Option<String>,
    final_reply: Option<Reply>,
    error: Option<Error>,
    /// A refusal that fails the run though the session went on (partial recipients).
    refusal: Option<u8>,
    attempts: Vec<Attempt>,
    stopped_after: Option<QuitAfter>,
    delivered: bool,
}

/// Runs `send`; returns the exit code.
pub fn run(args: &SendArgs, global: &GlobalArgs, obs: &mut dyn Observer) -> u8 {
    let plan = match Plan::new(args, global) {
        Ok(p) => p,
        Err(e) => {
            obs.event(Event::error(&e));
            return e.exit_code();
        }
    };
    let mut outcome = Outcome {
        port: plan.port,
        ..Default::default()
    };
    if let Err(e) = transact(&plan, args, global, obs, &mut outcome) {
        obs.event(Event::error(&e));
        outcome.error = Some(e);
    }
    finish(&plan, outcome, obs)
}

impl Plan {
    fn new(args: &SendArgs, global: &GlobalArgs) -> Result<Plan> {
        let recipients: Vec<String> = args
            .to
            .iter()
            .map(|a| clean_address(a))
            .filter(|a| !a.is_empty())
            .collect();
        if recipients.is_empty() {
            return Err(Error::usage("no recipient: give at least one --to ADDR"));
        }
        for r in &recipients {
            check_argument("recipient", r).map_err(Error::usage)?;
            if !r.contains('@') {
                return Err(Error::usage(format!(
                    "recipient {r:?} is not an address (user@domain)"
                )));
            }
        }
        let client = client_name();
        let from = match &args.from {
            Some(f) => clean_address(f),
            None => format!("smtp-doctor@{client}"),
        };
        check_argument("sender", &from).map_err(Error::usage)?;
        let server = match &args.server {
            Some(s) => {
                Some(split_host_port(s).map_err(|e| Error::usage(format!("--server: {e}")))?)
            }
            None => None,
        };
        let port = args
            .port
            .or(server.as_ref().and_then(|s| s.1))
            .unwrap_or(25);
        let tls = if args.no_tls {
            TlsMode::Off
        } else if args.tls_on_connect {
            TlsMode::Implicit
        } else if args.starttls {
            TlsMode::Required
        } else if args.tls_optional {
            TlsMode::Optional
        } else {
            TlsMode::for_port(port)
        };
        let ehlo = args.ehlo.clone();
        if let Some(name) = &ehlo {
            check_argument("EHLO name", name).map_err(Error::usage)?;
        }
        let auth = match args.auth {
            None => None,
            Some(choice) => {
                let user = args.auth_user.clone().ok_or_else(|| {
                    Error::usage("--auth needs a user name: add --auth-user USER")
                })?;
                check_argument("user name", &user).map_err(Error::usage)?;
                let password = match &args.auth_password {
                    Some(p) => Secret::new(p.clone()),
                    None => prompt_password(&user)?,
                };
                Some((choice, user, password))
            }
        };
        let quit_after = args.quit_after.unwrap_or(QuitAfter::Dot);
        let message = if quit_after >= QuitAfter::Data {
            Some(build_message(args, &from, &recipients, &client)?)
        } else {
            None
        };
        let _ = global;
        Ok(Plan {
            recipients,
            from,
            server,
            port,
            tls,
            ehlo,
            auth,
            message,
            quit_after,
        })
    }
}

/// This host's name for EHLO and the default sender (RFC 5321 §4.1.1.1 wants an FQDN).
pub fn client_name() -> String {
    let name = gethostname::gethostname().to_string_lossy().into_owned();
    if name.is_empty() {
        "localhost".into()
    } else {
        name
    }
}

/// The EHLO name when none was given: this host's name when it is fully qualified, otherwise
/// the address literal of our end of the connection (RFC 5321 §4.1.4: a client without a
/// meaningful name SHOULD use an address literal).
pub fn default_ehlo(local: Option<SocketAddr>) -> String {
    let name = client_name();
    match local {
        Some(_) if name.contains('.') => name,
        Some(SocketAddr::V4(a)) => format!("[{}]", a.ip()),
        Some(SocketAddr::V6(a)) => format!("[IPv6:{}]", a.ip()),
        None => name,
    }
}

fn prompt_password(user: &str) -> Result<Secret> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Err(Error::new(
            Phase::Auth,
            ErrorKind::Auth,
            "no password for AUTH and no terminal to ask on",
        )
        .with_hint("set SMTP_DOCTOR_PASSWORD in the environment, or pass --auth-password"));
    }
    rpassword::prompt_password(format!("Password for {user}: "))
        .map(Secret::new)
        .map_err(|e| {
            Error::new(
                Phase::Auth,
                ErrorKind::Auth,
                format!("reading the password: {e}"),
            )
        })
}

fn build_message(args: &SendArgs, from: &str, to: &[String], client: &str) -> Result<Vec<u8>> {
    if let Some(data) = &args.data {
        return message::read_text_arg(data, "--data", false).map_err(Error::usage);
    }
    let body = match &args.body {
        Some(b) => Some(
            String::from_utf8_lossy(
                &message::read_text_arg(b, "--body", true).map_err(Error::usage)?,
            )
            .into_owned(),
        ),
        None => None,
    };
    let headers = args
        .headers
        .iter()
        .map(|h| message::parse_header(h))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(Error::usage)?;
    let spec = MessageSpec {
        from: from.to_string(),
        to: to.to_vec(),
        subject: args.subject.clone(),
        body,
        headers,
        attachments: args.attach.clone(),
        client_name: client.to_string(),
    };
    message::build(&spec).map_err(Error::usage)
}

/// The hosts to try, in order: `--server`, or the MX of the first recipient's domain.
fn server_hosts(
    plan: &Plan,
    dns: &mut Option<Dns>,
    global: &GlobalArgs,
    obs: &mut dyn Observer,
) -> Result<Vec<String>> {
    if let Some((host, _)) = &plan.server {
        return Ok(vec![host.clone()]);
    }
    let domain = domain_of(&plan.recipients[0]).to_string();
    let hosts = connect::mail_hosts(&domain, dns, global, obs)?;
    if plan
        .recipients
        .iter()
        .any(|r| !domain_of(r).eq_ignore_ascii_case(&domain))
    {
        obs.event(Event::warning(format!(
            "recipients are in several domains; all are sent to the MX of {domain}, which may refuse to relay for the others"
        )));
    }
    Ok(hosts)
}

fn transact(
    plan: &Plan,
    args: &SendArgs,
    global: &GlobalArgs,
    obs: &mut dyn Observer,
    out: &mut Outcome,
) -> Result<()> {
    let mut dns = None;
    let hosts = server_hosts(plan, &mut dns, global, obs)?;
    let Connected { host, tcp, addr } =
        connect::connect_hosts(&hosts, plan.port, &mut dns, global, obs, &mut out.attempts)?;
    out.server = Some(host.clone());
    out.address = Some(addr);
    let ehlo = plan
        .ehlo
        .clone()
        .unwrap_or_else(|| default_ehlo(tcp.local_addr().ok()));

    if args.line_ending != LineEnding::Crlf {
        obs.event(Event::warning(format!(
            "sending lines ending in a bare {} (--line-ending), which RFC 5321 §2.3.8 forbids: this reproduces a broken client, and servers may reject or misread these lines",
            if args.line_ending == LineEnding::Lf { "LF" } else { "CR" }
        )));
    }
    if global.insecure {
        obs.event(Event::warning(
            "--insecure: server certificates are not verified",
        ));
    }

    let sni = args.sni.clone().unwrap_or_else(|| host.clone());
    let params = connect::tls_params(global, &sni);
    let timeout = Duration::from_secs_f64(global.timeout);
    let cfg = SessionConfig {
        timeout,
        line_ending: args.line_ending,
        show_secrets: global.show_secrets,
        port: plan.port,
    };

    // Implicit TLS (RFC 8314 §3): the handshake comes before any SMTP.
    let (stream, tls_info) = if plan.tls == TlsMode::Implicit {
        let (stream, info) = connect::implicit_tls(tcp, &params, timeout, obs)?;
        (stream, Some(info))
    } else {
        (crate::net::stream::Stream::Plain(tcp), None)
    };
    let mut session = Session::new(stream, tls_info, obs, cfg);
    let result = converse(plan, args, &ehlo, &params, &mut session, out);
    out.tls = session.tls.clone();
    match &result {
        Ok(()) => {
            if out.stopped_after == Some(QuitAfter::Connect)
                || out.stopped_after == Some(QuitAfter::Data)
            {
                session.abort();
            } else {
                session.quit();
            }
        }
        Err(e) if matches!(e.kind, ErrorKind::TlsRequired) => session.abort(),
        Err(_) => {
            session.quit();
        }
    }
    result
}

/// The fail-the-run error for a reply that was not the success needed.
fn reply_error(phase: Phase, reply: &Reply, what: &str) -> Error {
    let kind = if reply.is_permanent() {
        "permanently"
    } else {
        "temporarily"
    };
    Error::new(
        phase,
        ErrorKind::Reply(Box::new(reply.clone())),
        format!(
            "the server {kind} refused {what}: {} {}",
            reply.code,
            reply.text()
        ),
    )
}

fn stop_here(plan: &Plan, step: QuitAfter, session: &mut Session<'_>, out: &mut Outcome) -> bool {
    if plan.quit_after == step && step != QuitAfter::Dot {
        out.stopped_after = Some(step);
        session.emit(Event::info(format!(
            "stopping after {} (--quit-after)",
            quit_name(step)
        )));
        return true;
    }
    false
}

fn quit_name(step: QuitAfter) -> &'static str {
    match step {
        QuitAfter::Connect => "connect",
        QuitAfter::Banner => "banner",
        QuitAfter::Ehlo => "ehlo",
        QuitAfter::Tls => "tls",
        QuitAfter::Auth => "auth",
        QuitAfter::Mail => "mail",
        QuitAfter::Rcpt => "rcpt",
        QuitAfter::Data => "data",
        QuitAfter::Dot => "dot",
    }
}

/// The SMTP dialogue itself.
fn converse(
    plan: &Plan,
    args: &SendArgs,
    ehlo: &str,
    params: &TlsParams,
    s: &mut Session<'_>,
    out: &mut Outcome,
) -> Result<()> {
    if stop_here(plan, QuitAfter::Connect, s, out) {
        return Ok(());
    }
    let greeting = s.read_greeting()?;
    if greeting.code != 220 {
        return Err(reply_error(
            Phase::Greeting,
            &greeting,
            "the session in its greeting",
        ));
    }
    if stop_here(plan, QuitAfter::Banner, s, out) {
        return Ok(());
    }
    let reply = s.ehlo(ehlo, args.helo)?;
    if !reply.is_positive() {
        return Err(reply_error(Phase::Ehlo, &reply, "EHLO/HELO"));
    }
    if stop_here(plan, QuitAfter::Ehlo, s, out) {
        return Ok(());
    }

    starttls_step(plan, ehlo, params, s)?;
    if stop_here(plan, QuitAfter::Tls, s, out) {
        return Ok(());
    }

    if let Some((choice, user, password)) = &plan.auth {
        let mech = auth_step(*choice, user, password, args, s)?;
        out.auth = Some(mech.name());
    }
    if stop_here(plan, QuitAfter::Auth, s, out) {
        return Ok(());
    }

    transaction(plan, args, s, out)
}

fn starttls_step(plan: &Plan, ehlo: &str, params: &TlsParams, s: &mut Session<'_>) -> Result<()> {
    if matches!(plan.tls, TlsMode::Implicit | TlsMode::Off) {
        return Ok(());
    }
    let offered = s.caps.as_ref().is_some_and(|c| c.starttls());
    if !offered {
        if plan.tls == TlsMode::Required {
            return Err(Error::new(
                Phase::Starttls,
                ErrorKind::TlsRequired,
                "STARTTLS is required but the server does not offer it; nothing more was sent",
            )
            .with_hint(if plan.port == 587 {
                "port 587 requires STARTTLS; if this server uses implicit TLS, try port 465 (--tls-on-connect)"
            } else {
                "the server (or something in the path stripping STARTTLS) offers no encryption; --tls-optional would carry on in plaintext"
            }));
        }
        s.emit(Event::warning(
            "the server does not offer STARTTLS: continuing in plaintext",
        ));
        return Ok(());
    }
    let reply = s.starttls(params)?;
    if reply.code != 220 {
        if plan.tls == TlsMode::Required {
            return Err(Error::new(
                Phase::Starttls,
                ErrorKind::TlsRequired,
                format!(
                    "STARTTLS is required but the server answered {} {}; nothing more was sent",
                    reply.code,
                    reply.text()
                ),
            ));
        }
        s.emit(Event::warning(format!(
            "STARTTLS refused ({}): continuing in plaintext",
            reply.code
        )));
        return Ok(());
    }
    // RFC 3207 §4.2: the client MUST discard what it knew and issue EHLO again.
    let reply = s.ehlo(ehlo, false)?;
    if !reply.is_positive() {
        return Err(reply_error(Phase::Ehlo, &reply, "EHLO after STARTTLS"));
    }
    if s.caps.as_ref().is_some_and(|c| c.starttls()) {
        s.emit(Event::warning("the server still advertises STARTTLS after TLS started (RFC 3207 §4.2 says it must not)"));
    }
    Ok(())
}

fn auth_step(
    choice: AuthChoice,
    user: &str,
    password: &Secret,
    args: &SendArgs,
    s: &mut Session<'_>,
) -> Result<Mechanism> {
    let offered = s
        .caps
        .as_ref()
        .map(|c| c.auth_mechanisms())
        .unwrap_or_default();
    let tls = s.is_tls();
    if offered.is_empty() {
        let hint = if tls {
            "the server offers no AUTH on this port; submission usually lives on 587 or 465"
        } else {
            "many servers offer AUTH only after STARTTLS; try --starttls, or port 587"
        };
        return Err(Error::new(
            Phase::Auth,
            ErrorKind::Auth,
            "the server does not offer AUTH",
        )
        .with_hint(hint));
    }
    let mech = match choice {
        AuthChoice::Auto => Mechanism::strongest(&offered).ok_or_else(|| {
            Error::new(
                Phase::Auth,
                ErrorKind::Auth,
                format!(
                    "none of the server's AUTH mechanisms ({}) is one smtp-doctor speaks",
                    offered.join(" ")
                ),
            )
            .with_hint("choose one with --auth PLAIN|LOGIN|CRAM-MD5|XOAUTH2")
        })?,
        AuthChoice::Plain => Mechanism::Plain,
        AuthChoice::Login => Mechanism::Login,
        AuthChoice::CramMd5 => Mechanism::CramMd5,
        AuthChoice::Xoauth2 => Mechanism::Xoauth2,
    };
    if !offered.iter().any(|o| o == mech.name()) {
        return Err(Error::new(
            Phase::Auth,
            ErrorKind::Auth,
            format!("the server does not offer AUTH {} (it offers {})", mech.name(), offered.join(" ")),
        )
        .with_hint("pick an offered mechanism with --auth, or leave --auth without a value for the strongest"));
    }
    if !tls && !args.allow_plaintext_auth {
        return Err(Error::new(
            Phase::Auth,
            ErrorKind::Auth,
            format!(
                "refusing to send credentials over a connection without TLS (AUTH {})",
                mech.name()
            ),
        )
        .with_hint(
            "use --starttls or --tls-on-connect; if you really mean it, add --allow-plaintext-auth",
        ));
    }
    let reply = s.auth(mech, user, password)?;
    if reply.code != 235 {
        return Err(Error::new(
            Phase::Auth,
            ErrorKind::Auth,
            format!("authentication as {user} with {} failed: {} {}", mech.name(), reply.code, reply.text()),
        )
        .with_hint(if reply.is_transient() {
            "a temporary failure: retry later"
        } else {
            "check the user name and password; some providers require an app password or OAuth (XOAUTH2)"
        }));
    }
    Ok(mech)
}

fn mail_params(plan: &Plan, args: &SendArgs, s: &mut Session<'_>) -> Vec<String> {
    let caps = s.caps.clone().unwrap_or_default();
    let mut params = Vec::new();
    let message = plan.message.as_deref().unwrap_or_default();
    if caps.has("SIZE") && plan.message.is_some() {
        // RFC 1870 §6: the size of the message as transmitted, line endings normalised.
        let size = crate::smtp::data::normalize_line_endings(message, LineEnding::Crlf).len();
        params.push(format!("SIZE={size}"));
        if let Some(limit) = caps.size_limit()
            && size as u64 > limit
        {
            s.emit(Event::warning(format!(
                "the message ({size} bytes) is larger than the server's SIZE limit ({limit} bytes)"
            )));
        }
    }
    let eight_bit = message.iter().any(|&b| b >= 0x80);
    if args.eight_bit_mime || eight_bit {
        if caps.eight_bit_mime() {
            params.push("BODY=8BITMIME".into());
        } else if args.eight_bit_mime {
            s.emit(Event::warning(
                "--8bitmime: the server does not offer 8BITMIME; sending without BODY=8BITMIME",
            ));
        }
    }
    let utf8_addrs = !plan.from.is_ascii() || plan.recipients.iter().any(|r| !r.is_ascii());
    if args.smtputf8 || utf8_addrs {
        if caps.smtputf8() {
            params.push("SMTPUTF8".into());
        } else {
            s.emit(Event::warning("the server does not offer SMTPUTF8 (RFC 6531): non-ASCII addresses will likely be refused"));
        }
    }
    params
}

fn record_rcpt(out: &mut Outcome, to: &str, reply: &Reply) {
    out.recipients.push(RecipientResult {
        address: to.to_string(),
        accepted: reply.is_positive(),
        code: Some(reply.code),
        enhanced: reply.enhanced.map(|e| e.to_string()),
        reply: Some(reply.text()),
    });
    if !reply.is_positive() && out.refusal.is_none() {
        out.refusal = Some(exit::for_reply_code(reply.code));
    }
}

fn transaction(plan: &Plan, args: &SendArgs, s: &mut Session<'_>, out: &mut Outcome) -> Result<()> {
    let params = mail_params(plan, args, s);
    let mail = Command::Mail {
        from: plan.from.clone(),
        params,
    };
    let rcpts: Vec<Command> = plan
        .recipients
        .iter()
        .map(|r| Command::Rcpt {
            to: r.clone(),
            params: vec![],
        })
        .collect();
    let chunking = args.chunking && s.caps.as_ref().is_some_and(|c| c.chunking());
    if args.chunking && !chunking {
        s.emit(Event::warning(
            "--chunking: the server does not offer CHUNKING; using DATA",
        ));
    }
    let pipelining = args.pipeline && s.caps.as_ref().is_some_and(|c| c.pipelining());
    if args.pipeline && !pipelining {
        s.emit(Event::warning(
            "--pipeline: the server does not offer PIPELINING; sending commands one at a time",
        ));
    }
    let wants_data = plan.quit_after >= QuitAfter::Data;

    // Replies to MAIL, each RCPT and (when pipelined) DATA.
    let (mail_reply, rcpt_replies, data_reply) = if pipelining && plan.quit_after > QuitAfter::Mail
    {
        // RFC 2920 §3.1: MAIL, RCPT... and DATA may go in one group; DATA must be last.
        let mut group: Vec<(Command, Phase)> = vec![(mail, Phase::Mail)];
        group.extend(rcpts.into_iter().map(|c| (c, Phase::Rcpt)));
        let with_data = wants_data && !chunking;
        if with_data {
            group.push((Command::Data, Phase::Data));
        }
        let mut replies = s.pipeline(&group)?.into_iter();
        let mail_reply = replies.next();
        let rcpt_replies: Vec<Reply> = replies.by_ref().take(plan.recipients.len()).collect();
        (mail_reply, rcpt_replies, replies.next())
    } else {
        let mail_reply = s.command(&mail, Phase::Mail)?;
        if !mail_reply.is_positive() {
            return Err(reply_error(Phase::Mail, &mail_reply, "the sender"));
        }
        if stop_here(plan, QuitAfter::Mail, s, out) {
            return Ok(());
        }
        let mut rcpt_replies = Vec::new();
        for c in &rcpts {
            rcpt_replies.push(s.command(c, Phase::Rcpt)?);
        }
        (Some(mail_reply), rcpt_replies, None)
    };
    let mail_reply = mail_reply
        .ok_or_else(|| Error::new(Phase::Mail, ErrorKind::Protocol, "no reply to MAIL"))?;
    if !mail_reply.is_positive() {
        return Err(reply_error(Phase::Mail, &mail_reply, "the sender"));
    }
    if stop_here(plan, QuitAfter::Mail, s, out) {
        return Ok(());
    }
    for (to, reply) in plan.recipients.iter().zip(&rcpt_replies) {
        record_rcpt(out, to, reply);
    }
    let accepted = out.recipients.iter().filter(|r| r.accepted).count();
    if accepted == 0 {
        let first = rcpt_replies.iter().find(|r| !r.is_positive()).cloned();
        if let Some(Reply { code: 354, .. }) = data_reply {
            // RFC 2920 §3.1: the pipelined DATA got 354 although no recipient was accepted;
            // the client must still end the data with a lone dot (the server then refuses it).
            let _ = s.send_data(b"");
        }
        let reply = first
            .ok_or_else(|| Error::new(Phase::Rcpt, ErrorKind::Protocol, "no reply to RCPT"))?;
        return Err(reply_error(Phase::Rcpt, &reply, "every recipient"));
    }
    if stop_here(plan, QuitAfter::Rcpt, s, out) {
        if data_reply.is_some() {
            s.mark_broken();
        }
        return Ok(());
    }
    let message = plan.message.as_deref().unwrap_or_default();
    let final_reply = if chunking {
        if plan.quit_after == QuitAfter::Data {
            out.stopped_after = Some(QuitAfter::Data);
            return Ok(());
        }
        s.bdat(message, BDAT_CHUNK)?
    } else {
        let data_reply = match data_reply {
            Some(r) => r,
            None => s.command(&Command::Data, Phase::Data)?,
        };
        if data_reply.code != 354 {
            return Err(reply_error(Phase::Data, &data_reply, "DATA"));
        }
        if stop_here(plan, QuitAfter::Data, s, out) {
            s.emit(Event::info(
                "closing without sending the message: the server discards the open transaction",
            ));
            return Ok(());
        }
        s.send_data(message)?
    };
    out.final_reply = Some(final_reply.clone());
    if !final_reply.is_positive() {
        return Err(reply_error(Phase::Data, &final_reply, "the message"));
    }
    out.queue_id = final_reply.queue_id();
    out.delivered = true;
    Ok(())
}

/// Emits the `result` event and picks the exit code.
fn finish(plan: &Plan, out: Outcome, obs: &mut dyn Observer) -> u8 {
    let exit_code = match (&out.error, out.refusal) {
        (Some(e), _) => e.exit_code(),
        (None, Some(code)) => code,
        (None, None) => exit::SUCCESS,
    };
    let ok = exit_code == exit::SUCCESS;
    let accepted: Vec<&RecipientResult> = out.recipients.iter().filter(|r| r.accepted).collect();
    let mut summary = Vec::new();
    if out.delivered {
        let partial = accepted.len() < plan.recipients.len();
        summary.push(format!(
            "=== {}: accepted for {} of {} recipients{}",
            if partial {
                "Partly delivered"
            } else {
                "Delivered"
            },
            accepted.len(),
            plan.recipients.len(),
            match &out.queue_id {
                Some(id) => format!(", queue id {}", crate::sanitize::sanitize(id)),
                None => String::new(),
            }
        ));
    } else if let Some(step) = out.stopped_after {
        summary.push(format!(
            "=== Stopped after {} as asked; no message was sent",
            quit_name(step)
        ));
    } else {
        let phase = out
            .error
            .as_ref()
            .map(|e| e.phase.to_string())
            .unwrap_or_else(|| "rcpt".into());
        summary.push(format!(
            "*** Not delivered: failed in phase {phase} (exit {exit_code})"
        ));
    }
    for r in &out.recipients {
        let state = if r.accepted { "accepted" } else { "REJECTED" };
        let reply = match (&r.code, &r.reply) {
            (Some(c), Some(t)) if !r.accepted => {
                let enhanced = r
                    .enhanced
                    .as_ref()
                    .map(|e| format!(" {e}"))
                    .unwrap_or_default();
                format!("  {c}{enhanced} {}", crate::sanitize::sanitize(t))
            }
            _ => String::new(),
        };
        summary.push(format!(
            "===   {state} {}{reply}",
            crate::sanitize::sanitize(&r.address)
        ));
    }
    let mut data = serde_json::Map::new();
    data.insert("command".into(), json!("send"));
    data.insert("server".into(), json!(out.server));
    data.insert("address".into(), json!(out.address.map(|a| a.to_string())));
    data.insert("port".into(), json!(out.port));
    data.insert(
        "tls".into(),
        json!(
            out.tls
                .as_ref()
                .map(|t| json!({"version": t.version, "cipher": t.cipher, "verified": t.verified}))
        ),
    );
    data.insert("auth".into(), json!(out.auth));
    data.insert("delivered".into(), json!(out.delivered));
    data.insert(
        "partial".into(),
        json!(out.delivered && accepted.len() < plan.recipients.len()),
    );
    data.insert("queue_id".into(), json!(out.queue_id));
    data.insert(
        "recipients".into(),
        serde_json::to_value(&out.recipients).unwrap_or_default(),
    );
    data.insert(
        "stopped_after".into(),
        json!(out.stopped_after.map(quit_name)),
    );
    data.insert(
        "final_reply".into(),
        json!(out.final_reply.as_ref().map(|r| json!({"code": r.code, "enhanced": r.enhanced.map(|e| e.to_string()), "text": r.text()}))),
    );
    data.insert(
        "error".into(),
        json!(out.error.as_ref().map(|e| json!({"phase": e.phase, "kind": e.kind.name(), "message": e.message, "hint": e.hint}))),
    );
    data.insert(
        "attempts".into(),
        serde_json::to_value(&out.attempts).unwrap_or_default(),
    );
    obs.event(Event::Result {
        summary,
        ok,
        exit_code,
        data,
    });
    exit_code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_rules_pick_the_tls_mode() {
        assert_eq!(TlsMode::for_port(465), TlsMode::Implicit);
        assert_eq!(TlsMode::for_port(587), TlsMode::Required);
        assert_eq!(TlsMode::for_port(25), TlsMode::Optional);
        assert_eq!(TlsMode::for_port(2525), TlsMode::Optional);
    }

    #[test]
    fn default_ehlo_is_an_fqdn_or_an_address_literal() {
        let name = default_ehlo(Some("127.0.0.1:25".parse().unwrap()));
        assert!(name.contains('.') || name == "[127.0.0.1]", "{name}");
        if !client_name().contains('.') {
            assert_eq!(name, "[127.0.0.1]");
            assert_eq!(
                default_ehlo(Some("[::1]:25".parse().unwrap())),
                "[IPv6:::1]"
            );
        }
    }
}
