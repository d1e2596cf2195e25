//! Findings: what the discovery and the probes mean for the domain, each with a severity, an
//! explanation and a fix ([`super::catalog`] holds the texts). Pure functions of the report
//! data, so every rule is unit tested without a network.

use super::catalog::{self as cat, Kind, Severity};
use super::discovery::{Discovery, Source};
use super::plan::Role;
use super::probe::{ProbeReport, ReplyInfo, TlsReport};
use crate::error::{DnsFailure, Error, ErrorKind, Phase};
use crate::net::cert::days_phrase;
use crate::net::tls::CertProblem;
use serde::Serialize;
use std::time::Duration;

/// Certificates expiring sooner than this are flagged (the "within 14 days").
pub const EXPIRY_WARNING_DAYS: i64 = 14;
/// Greetings slower than this are noted (as information, never as a failure).
pub const GREETING_DELAY_NOTE: Duration = Duration::from_secs(1);

/// One finding. Field names are part of the JSON report (README.md, section "check").
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable id (`cert-expired`); see README.md.
    pub id: &'static str,
    pub severity: Severity,
    /// The generic one-line title of this id.
    pub title: &'static str,
    /// What was found here, specifically (may quote server text: sanitise before printing).
    pub summary: String,
    /// Why it matters.
    pub explanation: String,
    /// What to do, one step per entry.
    pub fix: Vec<String>,
    /// The TARGET as given.
    pub target: String,
    pub host: Option<String>,
    pub address: Option<String>,
    pub port: Option<u16>,
    pub role: Option<Role>,
    /// The session phase it concerns (`connect`, `greeting`, `tls-handshake`, ...).
    pub phase: Option<Phase>,
    /// The id of the probe it comes from.
    pub probe: Option<String>,
    /// The server reply behind it, with its explanation.
    pub reply: Option<ReplyInfo>,
}

/// What findings need besides the data.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub target: &'a str,
    /// `--insecure`: certificate errors are reported as warnings.
    pub insecure: bool,
}

impl Finding {
    fn new(kind: &Kind, ctx: Ctx<'_>, summary: impl Into<String>) -> Finding {
        Finding {
            id: kind.id,
            severity: kind.severity,
            title: kind.title,
            summary: summary.into(),
            explanation: kind.why.to_string(),
            fix: kind.fix.iter().map(|f| f.to_string()).collect(),
            target: ctx.target.to_string(),
            host: None,
            address: None,
            port: None,
            role: None,
            phase: None,
            probe: None,
            reply: None,
        }
    }

    fn at(mut self, p: &ProbeReport) -> Finding {
        self.host = Some(p.host.clone());
        self.address = Some(p.address.clone());
        self.port = Some(p.port);
        self.role = Some(p.role);
        self.probe = Some(p.id.clone());
        self
    }

    fn severity(mut self, s: Severity) -> Finding {
        self.severity = s;
        self
    }

    fn phase(mut self, phase: Phase) -> Finding {
        self.phase = Some(phase);
        self
    }

    fn reply(mut self, reply: Option<&ReplyInfo>) -> Finding {
        self.reply = reply.cloned();
        self
    }

    /// Where, for humans: `mx1.example.com [192.0.2.1]:25 (smtp)`, or the host alone.
    pub fn location(&self) -> Option<String> {
        match (&self.host, &self.address, self.port, self.role) {
            (Some(h), Some(a), Some(p), Some(r)) => Some(format!("{h} [{a}]:{p} ({})", r.as_str())),
            (Some(h), Some(a), _, _) => Some(format!("{h} [{a}]")),
            (Some(h), None, _, _) => Some(h.clone()),
            (None, Some(a), _, _) => Some(a.clone()),
            _ => None,
        }
    }
}

/// The finding for the DNS failure that stopped a check.
pub fn dns_failure(err: &Error, ctx: Ctx<'_>) -> Finding {
    let kind = match &err.kind {
        ErrorKind::Dns(DnsFailure::NullMx) => &cat::NULL_MX,
        ErrorKind::Dns(DnsFailure::NxDomain) => &cat::DNS_NXDOMAIN,
        ErrorKind::Dns(DnsFailure::NoMailServers) => &cat::DNS_NO_MAIL_SERVERS,
        ErrorKind::Dns(DnsFailure::ServFail) => &cat::DNS_SERVFAIL,
        ErrorKind::Dns(DnsFailure::Timeout) => &cat::DNS_TIMEOUT,
        _ => &cat::DNS_ERROR,
    };
    // The error's hint is shown with the error event; the finding carries the catalog's fixes.
    Finding::new(kind, ctx, err.message.clone()).phase(Phase::Dns)
}

/// Findings about the DNS data itself.
pub fn discovery(d: &Discovery, ctx: Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let domain = d.domain.as_deref().unwrap_or("the domain");
    if d.implicit_mx {
        out.push(Finding::new(
            &cat::IMPLICIT_MX,
            ctx,
            format!("{domain} has no MX records; mail goes to its own address"),
        ));
    }
    for h in &d.hosts {
        let host = |mut f: Finding| {
            f.host = Some(h.host.clone());
            f
        };
        if let Some(target) = &h.cname {
            out.push(host(Finding::new(
                &cat::MX_IS_CNAME,
                ctx,
                format!("MX {} is an alias for {target}", h.host),
            )));
        }
        if h.ip_literal && h.source == Source::Mx {
            out.push(host(Finding::new(
                &cat::MX_IS_IP_LITERAL,
                ctx,
                format!("MX {} is an IP address, not a host name", h.host),
            )));
        }
        if h.addresses.is_empty() && h.source == Source::Mx {
            let why = h.error.clone().unwrap_or_else(|| "no address".into());
            out.push(host(Finding::new(
                &cat::MX_NO_ADDRESS,
                ctx,
                format!("MX {}: {why}", h.host),
            )));
        }
    }
    if d.mode == "mx" && !d.implicit_mx && d.hosts.len() == 1 {
        out.push(Finding::new(
            &cat::SINGLE_MX,
            ctx,
            format!("{domain} has one MX host: {}", d.hosts[0].host),
        ));
    }
    for e in &d.srv_errors {
        out.push(Finding::new(
            &cat::SRV_LOOKUP_FAILED,
            ctx,
            format!("{}: {}", e.name, e.message),
        ));
    }
    for s in &d.srv {
        if s.addresses.is_empty() {
            let why = s.error.clone().unwrap_or_else(|| "no address".into());
            let mut f = Finding::new(
                &cat::MX_NO_ADDRESS,
                ctx,
                format!("SRV {}.{domain} names {}: {why}", s.service, s.target),
            );
            f.host = Some(s.target.clone());
            out.push(f);
        }
    }
    for a in &d.addresses {
        let addr = |mut f: Finding| {
            f.address = Some(a.address.to_string());
            f
        };
        if let Some(e) = &a.error {
            out.push(addr(Finding::new(
                &cat::PTR_LOOKUP_FAILED,
                ctx,
                format!("{}: {e}", a.address),
            )));
        } else if a.ptr.is_empty() {
            out.push(addr(Finding::new(
                &cat::NO_PTR,
                ctx,
                format!("{} has no PTR record", a.address),
            )));
        } else if a.fcrdns == Some(false) {
            out.push(addr(Finding::new(
                &cat::PTR_NOT_CONFIRMED,
                ctx,
                format!(
                    "{} has PTR {}, which does not resolve back to it",
                    a.address,
                    a.ptr.join(", ")
                ),
            )));
        }
    }
    out
}

/// Findings of one probe.
pub fn probe(p: &ProbeReport, d: &Discovery, ctx: Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    if !p.reached() {
        let kind = match p.connect_failure {
            Some("refused") => &cat::CONNECT_REFUSED,
            Some("timeout") => &cat::CONNECT_TIMEOUT,
            _ => &cat::CONNECT_FAILED,
        };
        // An MX host that does not offer submission is normal; an SMTP port or a published
        // SRV service that does not answer is not.
        let severity = if p.role == Role::Smtp || p.source == Source::Srv {
            Severity::Warning
        } else {
            Severity::Info
        };
        let message = p
            .errors
            .first()
            .map(|e| e.message.clone())
            .unwrap_or_default();
        out.push(
            Finding::new(
                kind,
                ctx,
                format!("port {} ({}): {message}", p.port, p.role.as_str()),
            )
            .severity(severity)
            .phase(Phase::Connect)
            .at(p),
        );
        return out;
    }
    if let Some(t) = &p.tls {
        out.extend(tls_findings(p, t, ctx));
    }
    if let Some(g) = &p.greeting {
        if g.reply.code != 220 {
            out.push(
                Finding::new(
                    &cat::GREETING_REFUSED,
                    ctx,
                    format!("the greeting is {} {}", g.reply.code, g.reply.text),
                )
                .phase(Phase::Greeting)
                .reply(Some(&g.reply))
                .at(p),
            );
        }
        if Duration::from_millis(g.delay_ms) >= GREETING_DELAY_NOTE {
            out.push(
                Finding::new(
                    &cat::GREETING_DELAY,
                    ctx,
                    format!(
                        "the greeting came after {:.1} s",
                        g.delay_ms as f64 / 1000.0
                    ),
                )
                .phase(Phase::Greeting)
                .at(p),
            );
        }
    }
    for (ehlo, when) in [(&p.ehlo, ""), (&p.ehlo_after_tls, " after STARTTLS")] {
        let Some(e) = ehlo else { continue };
        if e.reply.code < 400 {
            continue;
        }
        let (severity, summary) = match &e.helo {
            Some(_) if e.accepted => (
                Severity::Warning,
                format!(
                    "EHLO{when} was refused ({} {}); HELO was accepted, so no extensions (no STARTTLS, no AUTH) are available",
                    e.reply.code, e.reply.text
                ),
            ),
            Some(h) => (
                Severity::Error,
                format!(
                    "EHLO{when} was refused ({} {}) and so was HELO ({} {})",
                    e.reply.code, e.reply.text, h.code, h.text
                ),
            ),
            None => (
                Severity::Error,
                format!("EHLO{when} was refused: {} {}", e.reply.code, e.reply.text),
            ),
        };
        out.push(
            Finding::new(&cat::EHLO_REFUSED, ctx, summary)
                .severity(severity)
                .phase(Phase::Ehlo)
                .reply(Some(&e.reply))
                .at(p),
        );
    }
    if let Some(st) = &p.starttls {
        if !st.offered && p.role != Role::Tls {
            let summary = match p.role {
                Role::Submission => format!(
                    "port {} (submission) does not offer STARTTLS: clients would send passwords in the clear",
                    p.port
                ),
                _ => format!(
                    "port {} does not offer STARTTLS: mail to it travels in cleartext",
                    p.port
                ),
            };
            out.push(
                Finding::new(&cat::NO_STARTTLS, ctx, summary)
                    .phase(Phase::Starttls)
                    .at(p),
            );
        }
        if let Some(reply) = st.reply.as_ref().filter(|r| r.code != 220) {
            out.push(
                Finding::new(
                    &cat::STARTTLS_FAILED,
                    ctx,
                    format!("STARTTLS was refused: {} {}", reply.code, reply.text),
                )
                .phase(Phase::Starttls)
                .reply(Some(reply))
                .at(p),
            );
        }
        if st.discarded_bytes > 0 {
            out.push(
                Finding::new(
                    &cat::STARTTLS_INJECTION,
                    ctx,
                    format!(
                        "{} bytes arrived after the 220 to STARTTLS, before TLS",
                        st.discarded_bytes
                    ),
                )
                .phase(Phase::Starttls)
                .at(p),
            );
        }
    }
    if let Some(caps) = &p.capabilities_after_tls
        && caps
            .iter()
            .any(|k| k.split_whitespace().next() == Some("STARTTLS"))
    {
        out.push(
            Finding::new(
                &cat::STARTTLS_STILL_ADVERTISED,
                ctx,
                "the EHLO reply inside TLS still lists STARTTLS",
            )
            .phase(Phase::Ehlo)
            .at(p),
        );
    }
    if let Some(mechs) = p.auth_before_tls.as_ref().filter(|m| !m.is_empty()) {
        out.push(
            Finding::new(
                &cat::AUTH_BEFORE_TLS,
                ctx,
                format!(
                    "AUTH {} is offered on the unencrypted connection",
                    mechs.join(" ")
                ),
            )
            .phase(Phase::Auth)
            .at(p),
        );
    }
    let tls_up = p.tls.as_ref().is_some_and(|t| t.established);
    if matches!(p.role, Role::Submission | Role::Tls)
        && tls_up
        && p.capabilities_after_tls.is_some()
        && p.auth_offered().is_none()
    {
        out.push(
            Finding::new(
                &cat::SUBMISSION_NO_AUTH,
                ctx,
                format!(
                    "port {} ({}) offers no AUTH mechanism inside TLS",
                    p.port,
                    p.role.as_str()
                ),
            )
            .phase(Phase::Auth)
            .at(p),
        );
    }
    if let Some(f) = name_mismatch(p, d, ctx) {
        out.push(f);
    }
    for e in &p.errors {
        // Connect and TLS errors have findings of their own above.
        if matches!(e.kind, "connect" | "tls") {
            continue;
        }
        out.push(
            Finding::new(
                &cat::SESSION_FAILED,
                ctx,
                format!("[{}] {}", e.phase, e.message),
            )
            .phase(e.phase)
            .at(p),
        );
    }
    out
}

fn cert_kind(problem: CertProblem) -> &'static Kind {
    match problem {
        CertProblem::Expired => &cat::CERT_EXPIRED,
        CertProblem::NotYetValid => &cat::CERT_NOT_YET_VALID,
        CertProblem::Untrusted => &cat::CERT_UNTRUSTED,
        CertProblem::SelfSigned => &cat::CERT_SELF_SIGNED,
        CertProblem::NameMismatch => &cat::CERT_NAME_MISMATCH,
        CertProblem::Revoked | CertProblem::Other => &cat::CERT_INVALID,
    }
}

/// Certificate and TLS findings. The verification verdict names one problem; the leaf is
/// checked for the others too (an expired certificate can also have the wrong name).
fn tls_findings(p: &ProbeReport, t: &TlsReport, ctx: Ctx<'_>) -> Vec<Finding> {
    let mut kinds: Vec<(&'static Kind, String)> = Vec::new();
    fn push(kinds: &mut Vec<(&'static Kind, String)>, kind: &'static Kind, summary: String) {
        if !kinds.iter().any(|(k, _)| k.id == kind.id) {
            kinds.push((kind, summary));
        }
    }
    let mut add = |kind: &'static Kind, summary: String| push(&mut kinds, kind, summary);
    let leaf = t.leaf();
    let label = leaf
        .map(|l| l.label())
        .unwrap_or_else(|| "the certificate".into());
    if let Some(problem) = t.cert_problem {
        let summary = match (problem, leaf) {
            (CertProblem::Expired, Some(l)) => {
                format!(
                    "{label} {} (not after {})",
                    days_phrase(l.days_left),
                    l.not_after
                )
            }
            (CertProblem::NameMismatch, Some(l)) => format!(
                "{label} is for {}, not {}",
                if l.sans.is_empty() {
                    l.common_name.clone().unwrap_or_default()
                } else {
                    l.sans.join(", ")
                },
                t.server_name
            ),
            (CertProblem::Untrusted, Some(l)) => {
                format!("{label} is issued by {}, which is not trusted", l.issuer)
            }
            (CertProblem::SelfSigned, Some(_)) => {
                format!("{label} is self-signed (its own issuer)")
            }
            (CertProblem::NotYetValid, Some(l)) => {
                format!("{label} is not valid before {}", l.not_before)
            }
            _ => format!(
                "{label}: {}",
                t.verify_error
                    .clone()
                    .unwrap_or_else(|| problem.describe().into())
            ),
        };
        add(cert_kind(problem), summary);
    }
    if let Some(l) = leaf {
        if l.days_left < 0 {
            add(
                &cat::CERT_EXPIRED,
                format!(
                    "{label} {} (not after {})",
                    days_phrase(l.days_left),
                    l.not_after
                ),
            );
        } else if l.days_left < EXPIRY_WARNING_DAYS {
            add(
                &cat::CERT_EXPIRING_SOON,
                format!(
                    "{label} expires in {} days (not after {})",
                    l.days_left, l.not_after
                ),
            );
        }
        if !t.verified && l.self_signed && t.chain.len() == 1 {
            add(&cat::CERT_SELF_SIGNED, format!("{label} is self-signed"));
        }
        if l.matching_name(&t.server_name).is_none() {
            let names = if l.sans.is_empty() {
                l.common_name.clone().unwrap_or_default()
            } else {
                l.sans.join(", ")
            };
            add(
                &cat::CERT_NAME_MISMATCH,
                format!("{label} is for {names}, not {}", t.server_name),
            );
        }
    }
    if t.old_version {
        add(
            &cat::TLS_VERSION_OLD,
            match &t.version {
                Some(v) if t.established => format!("{v} was negotiated"),
                _ => "the server refused TLS 1.2 and 1.3".into(),
            },
        );
    }
    if !t.established && kinds.is_empty() {
        let message = t
            .error
            .clone()
            .unwrap_or_else(|| "the TLS handshake failed".into());
        if t.mode == "starttls" {
            push(
                &mut kinds,
                &cat::STARTTLS_FAILED,
                format!("STARTTLS was accepted but {message}"),
            );
        } else {
            push(&mut kinds, &cat::TLS_HANDSHAKE_FAILED, message);
        }
    }
    kinds
        .into_iter()
        .map(|(kind, summary)| {
            let mut f = Finding::new(kind, ctx, summary)
                .phase(Phase::TlsHandshake)
                .at(p);
            if ctx.insecure && kind.id.starts_with("cert-") && f.severity == Severity::Error {
                f.severity = Severity::Warning;
                f.summary.push_str(" (--insecure: reported, not failed)");
            }
            f
        })
        .collect()
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// The greeting or EHLO name against the PTR names of the address (RFC 5321 §4.2, §4.1.1.1).
fn name_mismatch(p: &ProbeReport, d: &Discovery, ctx: Ctx<'_>) -> Option<Finding> {
    let ip = p.address.parse().ok()?;
    let info = d.address(ip)?;
    if info.ptr.is_empty() {
        return None;
    }
    let matches = |name: &str| info.ptr.iter().any(|ptr| same_name(ptr, name));
    let greeting = p
        .greeting
        .as_ref()
        .filter(|g| g.reply.code == 220)
        .and_then(|g| g.name.as_deref());
    let ehlo = p
        .last_ehlo()
        .filter(|e| e.accepted)
        .and_then(|e| e.name.as_deref());
    let what = match (
        greeting.filter(|n| !matches(n)),
        ehlo.filter(|n| !matches(n)),
    ) {
        (Some(g), Some(e)) if same_name(g, e) => format!("greeting and EHLO name {g}"),
        (Some(g), Some(e)) => format!("greeting name {g} and the EHLO name {e}"),
        (Some(g), None) => format!("greeting name {g}"),
        (None, Some(e)) => format!("EHLO name {e}"),
        (None, None) => return None,
    };
    Some(
        Finding::new(
            &cat::PTR_NAME_MISMATCH,
            ctx,
            format!(
                "the {what} differs from the PTR name {} of {}",
                info.ptr.join(", "),
                p.address
            ),
        )
        .phase(Phase::Greeting)
        .at(p),
    )
}

/// Findings across all probes of a target.
pub fn aggregate(probes: &[ProbeReport], ctx: Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let smtp: Vec<&ProbeReport> = probes
        .iter()
        .filter(|p| p.role == Role::Smtp && p.source != Source::Srv)
        .collect();
    if !smtp.is_empty() && !smtp.iter().any(|p| p.reached()) {
        let mut ports: Vec<u16> = smtp.iter().map(|p| p.port).collect();
        ports.dedup();
        let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
        let all_timeout = smtp.iter().all(|p| p.connect_failure == Some("timeout"));
        let refused = smtp
            .iter()
            .filter(|p| p.connect_failure == Some("refused"))
            .count();
        let how = if all_timeout {
            "every attempt timed out: check first whether this network blocks outbound port 25"
                .to_string()
        } else {
            format!("{refused} of {} attempts were refused", smtp.len())
        };
        out.push(
            Finding::new(
                &cat::NO_MX_REACHABLE,
                ctx,
                format!(
                    "no mail server accepted a connection on port {} ({how})",
                    ports.join(", ")
                ),
            )
            .phase(Phase::Connect),
        );
    }
    let offered = |role: Role| {
        let of_role: Vec<&ProbeReport> = probes.iter().filter(|p| p.role == role).collect();
        (!of_role.is_empty(), of_role.iter().any(|p| p.greeted()))
    };
    if let (true, false) = offered(Role::Submission) {
        out.push(Finding::new(
            &cat::SUBMISSION_NOT_OFFERED,
            ctx,
            "no probed host greeted on a submission port",
        ));
    }
    if let (true, false) = offered(Role::Tls) {
        out.push(Finding::new(
            &cat::IMPLICIT_TLS_NOT_OFFERED,
            ctx,
            "no probed host completed an implicit-TLS session",
        ));
    }
    out
}

/// Every finding of a target, errors first (stable within a severity).
pub fn all(d: &Discovery, probes: &[ProbeReport], ctx: Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(e) = &d.error {
        out.push(dns_failure(e, ctx));
    }
    out.extend(discovery(d, ctx));
    for p in probes {
        out.extend(probe(p, d, ctx));
    }
    out.extend(aggregate(probes, ctx));
    out.sort_by_key(|f| f.severity);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::discovery::tests::{ip, two_mx};
    use crate::check::discovery::{ProbeSpec, discover_domain};
    use crate::check::probe::{EhloInfo, GreetingInfo, StarttlsInfo};
    use crate::dns::Family;
    use crate::net::cert::CertInfo;

    const CTX: Ctx<'static> = Ctx {
        target: "example.test",
        insecure: false,
    };

    fn new_probe(host: &str, addr: &str, port: u16, role: Role) -> ProbeReport {
        let spec = ProbeSpec {
            id: format!("{host} [{addr}]:{port}"),
            host: host.into(),
            address: std::net::SocketAddr::new(ip(addr), port),
            role,
            source: Source::Mx,
            sni: host.into(),
        };
        ProbeReport::new(&spec)
    }

    fn reply(code: u16, text: &str) -> ReplyInfo {
        ReplyInfo {
            code,
            enhanced: None,
            text: text.into(),
            explanation: None,
        }
    }

    /// A probe that got through greeting and EHLO, the server calling itself `name`.
    fn greeted(host: &str, addr: &str, port: u16, role: Role, name: &str) -> ProbeReport {
        let mut p = new_probe(host, addr, port, role);
        p.connect_ms = Some(1);
        p.greeting = Some(GreetingInfo {
            reply: reply(220, &format!("{name} ESMTP")),
            name: Some(name.into()),
            delay_ms: 5,
        });
        p.ehlo = Some(EhloInfo {
            reply: reply(250, name),
            name: Some(name.into()),
            helo: None,
            accepted: true,
        });
        p.capabilities_before_tls = Some(vec!["STARTTLS".into()]);
        p.auth_before_tls = Some(vec![]);
        p.starttls = Some(StarttlsInfo {
            offered: true,
            reply: Some(reply(220, "go")),
            discarded_bytes: 0,
        });
        p
    }

    fn leaf(days_left: i64, sans: &[&str]) -> CertInfo {
        CertInfo {
            subject: "CN=x".into(),
            common_name: Some("x".into()),
            sans: sans.iter().map(|s| s.to_string()).collect(),
            issuer: "CN=ca".into(),
            not_before: "2020-01-01T00:00:00Z".into(),
            not_after: "2030-01-01T00:00:00Z".into(),
            days_left,
            self_signed: false,
        }
    }

    fn tls(chain: Vec<CertInfo>, problem: Option<CertProblem>, server_name: &str) -> TlsReport {
        TlsReport {
            mode: "starttls",
            established: true,
            backend: "rustls",
            version: Some("TLS 1.3".into()),
            cipher: Some("TLS_AES_128_GCM_SHA256".into()),
            server_name: server_name.into(),
            verified: problem.is_none(),
            verify_error: problem.map(|p| p.describe().into()),
            cert_problem: problem,
            matched_name: None,
            chain,
            error: None,
            timed_out: false,
            old_version: false,
        }
    }

    fn ids(findings: &[Finding]) -> Vec<(&'static str, Severity)> {
        findings.iter().map(|f| (f.id, f.severity)).collect()
    }

    fn discovery() -> Discovery {
        discover_domain(&two_mx(), "example.test", Family::Any)
    }

    #[test]
    fn a_healthy_probe_has_no_findings() {
        let mut p = greeted(
            "mx1.example.test",
            "192.0.2.1",
            25,
            Role::Smtp,
            "mx1.example.test",
        );
        p.tls = Some(tls(
            vec![leaf(60, &["mx1.example.test"])],
            None,
            "mx1.example.test",
        ));
        p.capabilities_after_tls = Some(vec!["SIZE 1000".into()]);
        assert_eq!(ids(&probe(&p, &discovery(), CTX)), vec![]);
    }

    #[test]
    fn an_expired_certificate_with_the_wrong_name_gives_both_findings() {
        let mut p = greeted(
            "mx1.example.test",
            "192.0.2.1",
            25,
            Role::Smtp,
            "mx1.example.test",
        );
        p.tls = Some(tls(
            vec![leaf(-3, &["other.example"])],
            Some(CertProblem::Expired),
            "mx1.example.test",
        ));
        let f = ids(&probe(&p, &discovery(), CTX));
        assert!(f.contains(&("cert-expired", Severity::Error)), "{f:?}");
        assert!(
            f.contains(&("cert-name-mismatch", Severity::Error)),
            "{f:?}"
        );
        let insecure = ids(&probe(
            &p,
            &discovery(),
            Ctx {
                insecure: true,
                ..CTX
            },
        ));
        assert!(
            insecure.contains(&("cert-expired", Severity::Warning)),
            "{insecure:?}"
        );
        assert!(
            !insecure.iter().any(|(_, s)| *s == Severity::Error),
            "{insecure:?}"
        );
    }

    #[test]
    fn expiry_within_14_days_is_a_warning_and_not_before() {
        let d = discovery();
        for (days, expect) in [(13, true), (14, false), (0, true)] {
            let mut p = greeted(
                "mx1.example.test",
                "192.0.2.1",
                25,
                Role::Smtp,
                "mx1.example.test",
            );
            p.tls = Some(tls(
                vec![leaf(days, &["mx1.example.test"])],
                None,
                "mx1.example.test",
            ));
            let f = ids(&probe(&p, &d, CTX));
            assert_eq!(
                f.contains(&("cert-expiring-soon", Severity::Warning)),
                expect,
                "{days}: {f:?}"
            );
        }
    }

    #[test]
    fn tls_below_1_2_is_an_error_whether_negotiated_or_refused() {
        let mut p = greeted(
            "mx1.example.test",
            "192.0.2.1",
            25,
            Role::Smtp,
            "mx1.example.test",
        );
        let mut t = tls(
            vec![leaf(60, &["mx1.example.test"])],
            None,
            "mx1.example.test",
        );
        t.version = Some("TLS 1.0".into());
        t.old_version = true;
        p.tls = Some(t.clone());
        assert!(ids(&probe(&p, &discovery(), CTX)).contains(&("tls-version-old", Severity::Error)));
        t.established = false;
        t.version = None;
        t.old_version = true;
        p.tls = Some(t);
        let f = ids(&probe(&p, &discovery(), CTX));
        assert!(f.contains(&("tls-version-old", Severity::Error)), "{f:?}");
        assert!(
            !f.iter().any(|(id, _)| *id == "starttls-failed"),
            "one finding for one cause: {f:?}"
        );
    }

    #[test]
    fn connect_failures_matter_more_on_smtp_ports() {
        let d = discovery();
        let mut smtp = new_probe("mx1.example.test", "192.0.2.1", 25, Role::Smtp);
        smtp.connect_ms = Some(10_000);
        smtp.connect_failure = Some("timeout");
        let mut sub = new_probe("mx1.example.test", "192.0.2.1", 587, Role::Submission);
        sub.connect_ms = Some(0);
        sub.connect_failure = Some("refused");
        assert_eq!(
            ids(&probe(&smtp, &d, CTX)),
            vec![("connect-timeout", Severity::Warning)]
        );
        assert_eq!(
            ids(&probe(&sub, &d, CTX)),
            vec![("connect-refused", Severity::Info)]
        );
        let agg = aggregate(&[smtp, sub], CTX);
        assert_eq!(
            ids(&agg),
            vec![
                ("no-mx-reachable", Severity::Error),
                ("submission-not-offered", Severity::Info)
            ]
        );
        assert!(
            agg[0].summary.contains("outbound port 25"),
            "{}",
            agg[0].summary
        );
    }

    #[test]
    fn auth_before_tls_and_starttls_after_tls_are_found() {
        let mut p = greeted(
            "mx1.example.test",
            "192.0.2.1",
            587,
            Role::Submission,
            "mx1.example.test",
        );
        p.auth_before_tls = Some(vec!["PLAIN".into()]);
        p.tls = Some(tls(
            vec![leaf(60, &["mx1.example.test"])],
            None,
            "mx1.example.test",
        ));
        p.capabilities_after_tls = Some(vec!["AUTH PLAIN".into(), "STARTTLS".into()]);
        p.auth_after_tls = Some(vec!["PLAIN".into()]);
        let f = ids(&probe(&p, &discovery(), CTX));
        assert_eq!(
            f,
            vec![
                ("starttls-still-advertised", Severity::Warning),
                ("auth-before-tls", Severity::Error)
            ]
        );
    }

    #[test]
    fn names_are_compared_with_the_ptr() {
        let d = discovery();
        // mx2's address has PTR elsewhere.example.test (which does not resolve back).
        let p = greeted(
            "mx2.example.test",
            "192.0.2.2",
            25,
            Role::Smtp,
            "mx2.example.test",
        );
        let f = probe(&p, &d, CTX);
        let m = f
            .iter()
            .find(|f| f.id == "ptr-name-mismatch")
            .expect("a mismatch");
        assert!(
            m.summary
                .contains("greeting and EHLO name mx2.example.test"),
            "{}",
            m.summary
        );
        let ok = greeted(
            "mx1.example.test",
            "192.0.2.1",
            25,
            Role::Smtp,
            "MX1.example.test.",
        );
        assert!(
            !probe(&ok, &d, CTX)
                .iter()
                .any(|f| f.id == "ptr-name-mismatch")
        );
        let disc = ids(&super::discovery(&d, CTX));
        assert_eq!(disc, vec![("ptr-not-confirmed", Severity::Warning)]);
    }

    #[test]
    fn dns_failures_map_to_their_ids() {
        for (failure, id) in [
            (DnsFailure::NullMx, "null-mx"),
            (DnsFailure::NxDomain, "dns-nxdomain"),
            (DnsFailure::NoMailServers, "dns-no-mail-servers"),
            (DnsFailure::ServFail, "dns-servfail"),
            (DnsFailure::Timeout, "dns-timeout"),
            (DnsFailure::Other, "dns-error"),
        ] {
            let e = Error::new(Phase::Dns, ErrorKind::Dns(failure), "x");
            let f = dns_failure(&e, CTX);
            assert_eq!(
                (f.id, f.severity, f.phase),
                (id, Severity::Error, Some(Phase::Dns))
            );
        }
    }
}
