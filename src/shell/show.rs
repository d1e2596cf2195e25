//! The meta commands that only show something: `/help`, `/caps`, `/tls` (and the certificate
//! after `/starttls`), `/explain`. Everything is emitted as events, so it lands in the
//! transcript (and `/save`) like the rest; server text is sanitised by the renderers.

use super::exec::Shell;
use crate::error::{Error, Result};
use crate::explain::extract::{self, What};
use crate::explain::{Explanation, Symptom, explain, explain_symptom, kb};
use crate::net::cert::days_phrase;
use crate::report::Event;
use crate::script::META_COMMANDS;
use crate::smtp::session::Session;

/// `/help [COMMAND]`.
pub(super) fn help(sh: &mut Shell<'_>, topic: Option<&str>) {
    if let Some(t) = topic {
        let name = format!("/{}", t.trim_start_matches('/').to_ascii_lowercase());
        match META_COMMANDS.iter().find(|m| m.name == name) {
            Some(m) => sh.info(format!("{} {} — {}", m.name, m.args, m.help)),
            None => sh.warn(format!("no command {name}; /help lists them all")),
        }
        return;
    }
    sh.info("Lines are sent to the server as typed, followed by CRLF. Lines starting with / are for smtp-doctor:");
    let width = META_COMMANDS
        .iter()
        .map(|m| m.name.len() + 1 + m.args.len())
        .max()
        .unwrap_or(0);
    for m in META_COMMANDS {
        let usage = format!("{} {}", m.name, m.args);
        sh.info(format!("  {usage:<width$}  {}", m.help));
    }
    sh.info("Scripts: # starts a comment; ${NAME} is an environment variable (for passwords); a failed /expect exits 1 with file:line.");
    if sh.interactive() {
        sh.info("Keys: Tab completes (verbs, extensions, mechanisms, addresses), → takes the hint, ↑/↓ history, Ctrl-C cancels the line, Ctrl-D quits (QUIT).");
    }
}

/// `/caps`: what the last EHLO advertised.
pub(super) fn caps(sh: &mut Shell<'_>, s: Option<&Session<'_>>) {
    let Some(caps) = s.and_then(|s| s.caps.as_ref()) else {
        sh.info("no EHLO reply yet: send EHLO first");
        return;
    };
    if caps.helo {
        sh.info(format!(
            "{} answered HELO: no extensions (say EHLO to learn them)",
            caps.server_name
        ));
        return;
    }
    let when = if s.is_some_and(|s| s.is_tls()) {
        " (inside TLS)"
    } else {
        ""
    };
    sh.info(format!("{} advertises{when}:", caps.server_name));
    for k in caps.list() {
        sh.info(format!("  {k}"));
    }
    if caps.keywords.is_empty() {
        sh.info("  (no extensions)");
    }
    if let Some(before) = s.and_then(|s| s.caps_before_tls.as_ref()) {
        let added: Vec<String> = caps
            .keywords
            .keys()
            .filter(|k| !before.has(k))
            .cloned()
            .collect();
        let dropped: Vec<String> = before
            .keywords
            .keys()
            .filter(|k| !caps.has(k))
            .cloned()
            .collect();
        if !added.is_empty() {
            sh.info(format!("  only inside TLS: {}", added.join(" ")));
        }
        if !dropped.is_empty() {
            sh.info(format!("  only before TLS: {}", dropped.join(" ")));
        }
    }
}

/// `/tls`: the TLS session, or how to get one.
pub(super) fn tls(sh: &mut Shell<'_>, s: Option<&Session<'_>>) {
    match s.filter(|s| s.is_open()) {
        None => sh.info("not connected"),
        Some(session) if !session.is_tls() => {
            let offered = session.caps.as_ref().is_some_and(|c| c.starttls());
            sh.info(if offered {
                "not encrypted; the server offers STARTTLS: /starttls"
            } else {
                "not encrypted, and the server did not advertise STARTTLS (after EHLO)"
            });
        }
        Some(session) => certificate(sh, session, true),
    }
}

/// The certificate chain in full, after a line on the TLS session itself when `session_line`
/// (the transcript already has one right after a handshake).
pub(super) fn certificate(sh: &mut Shell<'_>, s: &Session<'_>, session_line: bool) {
    let Some(info) = s.tls.clone() else { return };
    if session_line {
        sh.info(format!(
            "{} with {} ({} backend), SNI {}",
            info.version, info.cipher, info.backend, info.server_name
        ));
    }
    match (&info.verify_error, info.verified) {
        (_, true) => sh.info(format!(
            "certificate verified for {}{}",
            info.server_name,
            info.matched_name
                .as_ref()
                .map(|m| format!(" (via {m})"))
                .unwrap_or_default()
        )),
        (Some(e), false) => sh.warn(format!("certificate NOT verified: {e}")),
        (None, false) => sh.warn("certificate NOT verified"),
    }
    for (i, cert) in info.chain.iter().enumerate() {
        let role = if i == 0 { "leaf" } else { "chain" };
        sh.info(format!("  {role} {i}: {}", cert.subject));
        if !cert.sans.is_empty() {
            sh.info(format!("    names: {}", cert.sans.join(", ")));
        }
        sh.info(format!("    issuer: {}", cert.issuer));
        sh.info(format!(
            "    valid {} to {} ({})",
            cert.not_before,
            cert.not_after,
            days_phrase(cert.days_left)
        ));
    }
}

/// `/explain [CODE|REPLY]`: the full explanation of the last reply, or of what was given.
pub(super) fn explain_cmd(
    sh: &mut Shell<'_>,
    arg: Option<&str>,
    s: Option<&Session<'_>>,
) -> Result<()> {
    let items: Vec<(String, Explanation)> = match arg {
        None => {
            let Some((reply, verb)) = sh.last.clone() else {
                return Err(Error::usage("no reply yet to explain")
                    .with_hint("give a code or a reply line: /explain 550 5.7.1"));
            };
            let ctx = sh.explain_context(&verb, s);
            vec![(reply.wire_lines().join(" / "), explain(&reply, &ctx))]
        }
        Some(text) => {
            let found = extract::from_argument(kb::get(), text);
            if found.is_empty() {
                return Err(Error::usage(format!(
                    "not a reply code, enhanced code or reply line: {text:?}"
                ))
                .with_hint(
                    "for example /explain 502, /explain 5.7.1, /explain 550 5.1.1 User unknown",
                ));
            }
            found
                .into_iter()
                .map(|f| {
                    let ctx = crate::explain::Context {
                        command: f.command.clone(),
                        ..Default::default()
                    };
                    let exp = match &f.what {
                        What::Reply(r) => explain(r, &ctx),
                        What::Symptom(name) => explain_symptom(symptom(name), &ctx),
                    };
                    (f.input.join(" / "), exp)
                })
                .collect()
        }
    };
    for (input, exp) in items {
        sh.info(format!("explanation of {input}:"));
        for line in exp.full() {
            sh.emit(Event::warning(line));
        }
    }
    Ok(())
}

fn symptom(name: &str) -> Symptom {
    match name {
        "unexpected-close" => Symptom::UnexpectedClose,
        "not-smtp" => Symptom::NotSmtp,
        "greeting-timeout" => Symptom::GreetingTimeout,
        _ => Symptom::TlsWrongVersion,
    }
}
