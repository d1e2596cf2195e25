//! The human transcript, with swaks's markers (SPEC.md): `->`/`<-` plain, `~>`/`<~` inside TLS,
//! `*` after the arrow for an error reply, `===` the tool talking, `!!!` an explanation or
//! warning, `***` a local error. All server text is sanitised before it is written.

use super::{Event, Observer};
use crate::cli::LineEnding;
use crate::net::cert::days_phrase;
use crate::net::tls::{TlsFailure, TlsInfo};
use crate::sanitize::sanitize;
use crate::smtp::auth::decode_challenge;
use crate::smtp::reply::LineEnd;
use std::io::Write;

/// Output options for the transcript.
#[derive(Debug, Clone, Copy, Default)]
pub struct HumanOptions {
    pub color: bool,
    pub show_crlf: bool,
    pub verbose: u8,
    pub quiet: bool,
}

pub struct HumanRenderer<W: Write> {
    out: W,
    opts: HumanOptions,
    dead: bool,
}

#[derive(Clone, Copy)]
enum Style {
    Send,
    Recv,
    RecvError,
    Tool,
    Warn,
    Error,
    Dim,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Send => "\x1b[36m",
            Style::Recv => "\x1b[32m",
            Style::RecvError => "\x1b[1;31m",
            Style::Tool => "\x1b[34m",
            Style::Warn => "\x1b[33m",
            Style::Error => "\x1b[1;31m",
            Style::Dim => "\x1b[2m",
        }
    }
}

impl<W: Write> HumanRenderer<W> {
    pub fn new(out: W, opts: HumanOptions) -> Self {
        HumanRenderer {
            out,
            opts,
            dead: false,
        }
    }

    fn line(&mut self, style: Style, text: &str) {
        if self.dead {
            return;
        }
        let result = if self.opts.color {
            writeln!(self.out, "{}{}\x1b[0m", style.code(), text)
        } else {
            writeln!(self.out, "{text}")
        };
        if result.is_err() {
            self.dead = true;
        }
    }

    fn crlf_marker(&self, end: LineEnding) -> &'static str {
        match (self.opts.show_crlf, end) {
            (true, LineEnding::Crlf) => "\\r\\n",
            (true, LineEnding::Lf) => "\\n",
            (true, LineEnding::Cr) => "\\r",
            (false, LineEnding::Crlf) => "",
            (false, LineEnding::Lf) => "  [bare LF]",
            (false, LineEnding::Cr) => "  [bare CR]",
        }
    }

    fn tls_summary(info: &TlsInfo) -> String {
        let cert = match info.chain.first() {
            Some(leaf) => {
                let verdict = if info.verified {
                    "valid".to_string()
                } else {
                    let why = info
                        .cert_problem
                        .map(|p| p.describe())
                        .unwrap_or("verification failed");
                    format!("NOT VERIFIED: {why}")
                };
                format!(
                    ", certificate {} ({verdict}, {})",
                    sanitize(&leaf.label()),
                    days_phrase(leaf.days_left)
                )
            }
            None => String::new(),
        };
        format!(
            "TLS {}, {}{cert}",
            info.version.trim_start_matches("TLS "),
            info.cipher
        )
        .replace(
            "TLS unknown",
            "TLS (version not reported by the native backend)",
        )
    }

    fn chain_lines(&mut self, chain: &[crate::net::cert::CertInfo], server_name: &str) {
        for (i, cert) in chain.iter().enumerate() {
            let role = if i == 0 { "leaf" } else { "chain" };
            self.line(
                Style::Tool,
                &format!("===   {role} {}: subject {}", i, sanitize(&cert.subject)),
            );
            if !cert.sans.is_empty() {
                self.line(
                    Style::Tool,
                    &format!("===     names: {}", sanitize(&cert.sans.join(", "))),
                );
            }
            self.line(
                Style::Tool,
                &format!("===     issuer: {}", sanitize(&cert.issuer)),
            );
            self.line(
                Style::Tool,
                &format!(
                    "===     valid until {} ({})",
                    cert.not_after,
                    days_phrase(cert.days_left)
                ),
            );
            if i == 0 {
                match cert.matching_name(server_name) {
                    Some(n) => self.line(
                        Style::Tool,
                        &format!("===     matches {server_name} via {}", sanitize(&n)),
                    ),
                    None => self.line(
                        Style::Warn,
                        &format!("!!!     does not match {server_name}"),
                    ),
                }
            }
        }
    }

    fn tls_failed(&mut self, f: &TlsFailure) {
        self.line(
            Style::Error,
            &format!(
                "*** TLS handshake with {} failed: {}",
                f.server_name,
                sanitize(&f.message)
            ),
        );
        if let Some(p) = f.cert_problem {
            self.line(Style::Error, &format!("*** {}", p.describe()));
        }
        self.chain_lines(&f.chain, &f.server_name);
    }
}

impl<W: Write> Observer for HumanRenderer<W> {
    fn event(&mut self, event: Event) {
        let quiet = self.opts.quiet;
        match event {
            Event::Resolve {
                domain,
                mx,
                implicit,
            } if !quiet => {
                if implicit {
                    self.line(Style::Tool, &format!("=== {domain} has no MX records; using its own address (implicit MX, RFC 5321 §5.1)"));
                } else {
                    let list: Vec<String> = mx
                        .iter()
                        .map(|m| format!("{} {}", m.preference, m.host))
                        .collect();
                    self.line(
                        Style::Tool,
                        &format!("=== MX for {domain}: {}", sanitize(&list.join(", "))),
                    );
                }
            }
            Event::Trying {
                host,
                address,
                port,
            } if !quiet => {
                let name = if host == address {
                    String::new()
                } else {
                    format!("{} ", sanitize(&host))
                };
                self.line(
                    Style::Tool,
                    &format!("=== Trying {name}[{address}]:{port} ..."),
                );
            }
            Event::Connect {
                ok: true,
                elapsed_ms,
                ..
            } if !quiet => {
                self.line(Style::Tool, &format!("=== Connected in {elapsed_ms} ms"));
            }
            Event::Connect {
                ok: false,
                address,
                elapsed_ms,
                error,
                ..
            } => {
                self.line(
                    Style::Error,
                    &format!(
                        "*** Connection to {address} failed after {elapsed_ms} ms: {}",
                        error.unwrap_or_default()
                    ),
                );
            }
            Event::Send {
                line,
                tls,
                line_ending,
                ..
            } if !quiet => {
                let arrow = if tls { " ~>" } else { " ->" };
                let marker = self.crlf_marker(line_ending);
                self.line(Style::Send, &format!("{arrow} {}{marker}", sanitize(&line)));
            }
            Event::Body {
                bytes,
                lines,
                tls,
                preview,
            } if !quiet => {
                let arrow = if tls { " ~>" } else { " ->" };
                let shown = if self.opts.verbose > 0 {
                    preview.len()
                } else {
                    preview.len().min(12)
                };
                for l in &preview[..shown] {
                    self.line(Style::Dim, &format!("{arrow} {}", sanitize(l)));
                }
                if lines > shown {
                    self.line(
                        Style::Dim,
                        &format!("{arrow} [... {} more lines]", lines - shown),
                    );
                }
                self.line(
                    Style::Tool,
                    &format!("=== sent {bytes} bytes of message data ({lines} lines)"),
                );
            }
            Event::Reply {
                reply,
                tls,
                explanation,
                ..
            } => {
                let error = reply.is_error();
                if quiet && !error {
                    return;
                }
                let arrow = match (tls, error) {
                    (false, false) => "<- ",
                    (false, true) => "<-*",
                    (true, false) => "<~ ",
                    (true, true) => "<~*",
                };
                let style = if error { Style::RecvError } else { Style::Recv };
                let wire = reply.wire_lines();
                for (i, l) in wire.iter().enumerate() {
                    let mut text = format!("{arrow} {}", sanitize(l));
                    if self.opts.show_crlf {
                        text.push_str(match reply.line_ends.get(i) {
                            Some(LineEnd::Lf) => "\\n",
                            _ => "\\r\\n",
                        });
                    } else if reply.line_ends.get(i) == Some(&LineEnd::Lf) {
                        text.push_str("  [bare LF]");
                    }
                    if reply.code == 334
                        && let Some(d) = reply.lines.get(i).and_then(|c| decode_challenge(c))
                    {
                        text.push_str(&format!("   [{}]", sanitize(&d)));
                    }
                    self.line(style, &text);
                }
                if let Some(exp) = explanation {
                    if self.opts.verbose > 0 {
                        for l in exp.full() {
                            self.line(Style::Warn, &format!("!!! {}", sanitize(&l)));
                        }
                    } else {
                        self.line(Style::Warn, &format!("!!! {}", sanitize(&exp.one_line())));
                    }
                }
            }
            Event::Tls { info } if !quiet => {
                self.line(Style::Tool, &format!("=== {}", Self::tls_summary(&info)));
                if info.insecure {
                    self.line(Style::Warn, "!!! --insecure: the certificate was NOT verified; anyone in the path could read this session");
                    if let Some(e) = &info.verify_error {
                        self.line(
                            Style::Warn,
                            &format!("!!! verification would have said: {}", sanitize(e)),
                        );
                    }
                }
                if self.opts.verbose > 0 {
                    let name = info.server_name.clone();
                    self.chain_lines(&info.chain, &name);
                }
            }
            Event::TlsFailed { failure } => self.tls_failed(&failure),
            Event::Discarded { bytes, text } => {
                self.line(
                    Style::Warn,
                    &format!("!!! discarded {bytes} bytes received before TLS: \"{text}\""),
                );
            }
            Event::Info { message } if !quiet => {
                self.line(Style::Tool, &format!("=== {}", sanitize(&message)))
            }
            Event::Warning { message } => {
                self.line(Style::Warn, &format!("!!! {}", sanitize(&message)))
            }
            Event::Error {
                phase,
                message,
                hint,
                ..
            } => {
                self.line(
                    Style::Error,
                    &format!("*** [{phase}] {}", sanitize(&message)),
                );
                if let Some(h) = hint {
                    self.line(Style::Error, &format!("***   {}", sanitize(&h)));
                }
            }
            Event::Result { summary, ok, .. } | Event::Report { summary, ok, .. } => {
                let style = if ok { Style::Tool } else { Style::Error };
                for l in summary {
                    self.line(style, &l);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod snapshots {
    //! The transcript as a user sees it, from a fixed series of events (no clock, no network):
    //! a change to the markers or wording shows up as a snapshot diff.
    use super::*;
    use crate::cli::LineEnding;
    use crate::explain::{self, Context};
    use crate::net::cert::CertInfo;
    use crate::net::tls::TlsInfo;
    use crate::smtp::reply::{Reply, parse_reply};

    fn reply_event(text: &str, tls: bool, verb: &str) -> Event {
        let reply: Reply = parse_reply(text).unwrap();
        let explanation = reply.is_error().then(|| {
            let ctx = Context {
                command: Some(verb.into()),
                port: Some(25),
                tls,
                ..Default::default()
            };
            Box::new(explain::explain(&reply, &ctx))
        });
        Event::Reply {
            code: reply.code,
            enhanced: reply.enhanced.map(|e| e.to_string()),
            lines: reply.lines.clone(),
            permanent: reply.is_permanent(),
            tls,
            reply: Box::new(reply),
            explanation,
        }
    }

    fn send(line: &str, tls: bool) -> Event {
        Event::Send {
            line: line.into(),
            tls,
            redacted: false,
            line_ending: LineEnding::Crlf,
        }
    }

    fn session() -> Vec<Event> {
        let leaf = CertInfo {
            subject: "CN=mx1.example.com".into(),
            common_name: Some("mx1.example.com".into()),
            sans: vec!["mx1.example.com".into()],
            issuer: "CN=Example CA".into(),
            not_before: "2026-01-01T00:00:00Z".into(),
            not_after: "2027-02-02T00:00:00Z".into(),
            days_left: 61,
            self_signed: false,
        };
        let tls = TlsInfo {
            backend: "rustls",
            version: "TLS 1.3".into(),
            cipher: "TLS_AES_256_GCM_SHA384".into(),
            server_name: "mx1.example.com".into(),
            chain: vec![leaf],
            verified: true,
            verify_error: None,
            cert_problem: None,
            matched_name: Some("mx1.example.com".into()),
            insecure: false,
        };
        vec![
            Event::Trying {
                host: "mx1.example.com".into(),
                address: "192.0.2.10".into(),
                port: 25,
            },
            Event::Connect {
                host: "mx1.example.com".into(),
                address: "192.0.2.10:25".into(),
                ok: true,
                elapsed_ms: 12,
                error: None,
            },
            reply_event("220 mx1.example.com ESMTP\r\n", false, "greeting"),
            send("EHLO client.example.net", false),
            reply_event("250-mx1.example.com\r\n250 STARTTLS\r\n", false, "EHLO"),
            send("STARTTLS", false),
            reply_event("220 2.0.0 Ready to start TLS\r\n", false, "STARTTLS"),
            Event::Tls {
                info: Box::new(tls),
            },
            send("EHLO client.example.net", true),
            reply_event("250-mx1.example.com\r\n250 PIPELINING\r\n", true, "EHLO"),
            send("AUTH PLAIN ***", true),
            reply_event("235 2.7.0 Authentication successful\r\n", true, "AUTH"),
            send("RCPT TO:<nobody@example.com>", true),
            reply_event(
                "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table\r\n",
                true,
                "RCPT",
            ),
            Event::warning("the server still advertises STARTTLS after TLS started"),
            Event::Discarded {
                bytes: 14,
                text: "250 injected\\r\\n".into(),
            },
            Event::Error {
                phase: "rcpt".into(),
                kind: "permanent-reply".into(),
                message: "the server permanently refused every recipient".into(),
                hint: Some("check the address".into()),
                exit_code: 7,
            },
        ]
    }

    fn render(opts: HumanOptions) -> String {
        let mut out = Vec::new();
        let mut r = HumanRenderer::new(&mut out, opts);
        for e in session() {
            r.event(e);
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn transcript_markers() {
        insta::assert_snapshot!(render(HumanOptions::default()));
    }

    #[test]
    fn transcript_with_visible_crlf() {
        insta::assert_snapshot!(render(HumanOptions {
            show_crlf: true,
            ..Default::default()
        }));
    }

    #[test]
    fn quiet_transcript_keeps_errors_only() {
        insta::assert_snapshot!(render(HumanOptions {
            quiet: true,
            ..Default::default()
        }));
    }

    #[test]
    fn verbose_transcript_explains_in_full() {
        insta::assert_snapshot!(render(HumanOptions {
            verbose: 1,
            ..Default::default()
        }));
    }
}
