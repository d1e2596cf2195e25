//! Finding SMTP replies in what a user pastes: bare codes, reply lines, bounce messages (DSN
//! `Diagnostic-Code:`/`Status:` fields, RFC 3464 §2.3), Postfix and Exim log lines, transcripts
//! with multi-line replies, and error messages that are symptoms rather than replies ("wrong
//! version number"). The command a reply answered is taken from the log when it says so
//! (Postfix "(in reply to RCPT TO command)", Exim "after RCPT TO:<…>").

use super::kb::Kb;
use super::matcher;
use crate::smtp::reply::{EnhancedCode, LineEnd, Reply};
use regex::Regex;
use std::sync::OnceLock;

/// Where a found reply came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A bare basic code given as an argument (`502`).
    Code,
    /// A bare enhanced code given as an argument (`5.5.2`).
    EnhancedCode,
    /// A reply line given as an argument, or found in a transcript.
    ReplyLine,
    /// A DSN `Diagnostic-Code:` field.
    DsnDiagnostic,
    /// A DSN `Status:` field with no diagnostic reply beside it.
    DsnStatus,
    /// A Postfix log line or bounce text (`host … said:`, `reject:`).
    Postfix,
    /// An Exim log line or bounce text (`SMTP error from remote mail server after …`).
    Exim,
    /// A reply quoted inside other text (`Reason: 550 5.1.1 …`).
    Inline,
    /// An error message that describes a symptom, not a reply.
    Symptom,
}

impl Origin {
    /// How the human output names the origin.
    pub fn describe(self) -> &'static str {
        match self {
            Origin::Code => "a reply code",
            Origin::EnhancedCode => "an enhanced status code",
            Origin::ReplyLine => "a reply line",
            Origin::DsnDiagnostic => "a bounce (DSN Diagnostic-Code)",
            Origin::DsnStatus => "a bounce (DSN Status)",
            Origin::Postfix => "a Postfix log or bounce",
            Origin::Exim => "an Exim log or bounce",
            Origin::Inline => "text quoting a reply",
            Origin::Symptom => "an error message",
        }
    }

    /// The name used in JSON (`dsn-diagnostic`).
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Code => "code",
            Origin::EnhancedCode => "enhanced-code",
            Origin::ReplyLine => "reply-line",
            Origin::DsnDiagnostic => "dsn-diagnostic",
            Origin::DsnStatus => "dsn-status",
            Origin::Postfix => "postfix",
            Origin::Exim => "exim",
            Origin::Inline => "inline",
            Origin::Symptom => "symptom",
        }
    }
}

/// What was found: a reply, or a symptom (by its knowledge-base name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    Reply(Reply),
    Symptom(String),
}

/// One thing to explain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub what: What,
    /// The reply as it would appear on the wire (one string per line), or the symptom's text.
    pub input: Vec<String>,
    /// The command the reply answered, when the text says (`RCPT`, `MAIL`, `.`, `greeting`).
    pub command: Option<String>,
    pub origin: Origin,
    /// The server that sent it, when the text says (`Remote-MTA`, `host … said`).
    pub remote: Option<String>,
    paragraph: usize,
}

impl Found {
    fn reply(
        reply: Reply,
        origin: Origin,
        command: Option<String>,
        remote: Option<String>,
    ) -> Found {
        let input = if reply.lines.iter().all(String::is_empty) {
            match (reply.code, reply.enhanced) {
                (0, Some(e)) => vec![e.to_string()],
                (c, _) => vec![c.to_string()],
            }
        } else {
            reply.wire_lines()
        };
        Found {
            what: What::Reply(reply),
            input,
            command,
            origin,
            remote,
            paragraph: 0,
        }
    }
}

struct Patterns {
    code: Regex,
    enhanced: Regex,
    diagnostic: Regex,
    status: Regex,
    remote_mta: Regex,
    postfix_said: Regex,
    in_reply_to: Regex,
    postfix_reject: Regex,
    postfix_tail: Regex,
    exim: Regex,
    exim_host: Regex,
    reply_line: Regex,
    inline_enhanced: Regex,
    inline_keyword: Regex,
    field: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("extract pattern compiles");
        Patterns {
            code: re(r"^[2-5][0-5]\d$"),
            enhanced: re(r"^[245]\.\d{1,3}\.\d{1,3}$"),
            diagnostic: re(r"(?i)^\s*Diagnostic-Code:\s*[\w-]+\s*;\s*(.*)$"),
            status: re(r"(?i)^\s*Status:\s*([245]\.\d{1,3}\.\d{1,3})\b"),
            remote_mta: re(r"(?i)^\s*Remote-MTA:\s*(?:dns\s*;\s*)?(\S+)"),
            postfix_said: re(r"(?i)\bhost\s+(\S+)\s+(said|refused to talk to me):\s*(.*)$"),
            in_reply_to: re(r"(?i)\s*\(in reply to (.+?) command\)\s*$"),
            postfix_reject: re(
                r"(?i)\breject:\s+(CONNECT|HELO|EHLO|MAIL|RCPT|DATA|END-OF-MESSAGE|VRFY|ETRN|BDAT|STARTTLS|AUTH)\s+from\s+\S+:\s+([245]\d\d\s.*)$",
            ),
            postfix_tail: re(r";\s+(?:from|to|proto|helo)=\S"),
            exim: re(
                r"(?i)SMTP error from remote mail(?:er| server) after (.+?):\s+(?:host\s+(\S+)\s+\[[^\]]*\]:\s+)?([245]\d\d[ -].*)$",
            ),
            exim_host: re(r"\bH=(\S+)\s+\[([^\]]+)\]"),
            reply_line: re(r"^\s*(?:<-\*?|<~\*?|<\*\*|<<<|S:|>>>)?\s*([45]\d\d)([ -]|$)(.*)$"),
            inline_enhanced: re(r"(?:^|[\s:;,(\[>])([45]\d\d)[ -]#?([245]\.\d{1,3}\.\d{1,3})(\s.*|$)"),
            inline_keyword: re(
                r"(?i)(?:said|reason|response(?: was)?|error|server replied|answered)\s*:\s*([45]\d\d)[ -](.+)$",
            ),
            field: re(r"^[A-Za-z][A-Za-z0-9-]*:\s"),
        }
    })
}

/// Maps how logs name a command to the verb the knowledge base uses (`RCPT TO` → `RCPT`,
/// `end of DATA` → `.`, `initial connection` → `greeting`).
pub fn normalize_command(s: &str) -> Option<String> {
    let s = s.trim();
    let s = s.strip_prefix("pipelined ").unwrap_or(s).trim();
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("end of data") || lower == "end-of-message" || lower == "end of message" {
        return Some(".".into());
    }
    if lower.starts_with("initial connection") || lower == "connect" || lower == "greeting" {
        return Some("greeting".into());
    }
    let verb: String = s.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let verb = verb.to_ascii_uppercase();
    match verb.as_str() {
        "HELO" | "EHLO" | "MAIL" | "RCPT" | "DATA" | "BDAT" | "AUTH" | "STARTTLS" | "RSET"
        | "VRFY" | "EXPN" | "NOOP" | "QUIT" | "ETRN" | "HELP" => Some(verb),
        _ => None,
    }
}

/// Explainable items in one command-line argument: a code, an enhanced code, a reply line, or
/// any text (a log line, say) that contains replies.
pub fn from_argument(kb: &Kb, arg: &str) -> Vec<Found> {
    let p = patterns();
    let a = arg.trim();
    if p.code.is_match(a) {
        let code: u16 = a.parse().unwrap_or(0);
        let reply = Reply {
            code,
            enhanced: None,
            lines: vec![String::new()],
            line_ends: vec![LineEnd::Crlf],
        };
        return vec![Found::reply(reply, Origin::Code, None, None)];
    }
    if p.enhanced.is_match(a)
        && let Some(e) = EnhancedCode::parse(a)
    {
        let reply = Reply {
            code: 0,
            enhanced: Some(e),
            lines: vec![String::new()],
            line_ends: vec![LineEnd::Crlf],
        };
        return vec![Found::reply(reply, Origin::EnhancedCode, None, None)];
    }
    // A reply line of any class (the text extractor only picks up errors).
    if !a.contains('\n')
        && a.len() > 3
        && a.as_bytes()[..3].iter().all(u8::is_ascii_digit)
        && matches!(a.as_bytes()[3], b' ' | b'-')
        && let Some(reply) = reply_from_flat(a)
    {
        return vec![Found::reply(reply, Origin::ReplyLine, None, None)];
    }
    from_text(kb, arg)
}

/// Every reply (and symptom) in a pasted text, deduplicated, in order of appearance.
pub fn from_text(kb: &Kb, text: &str) -> Vec<Found> {
    let p = patterns();
    let lines = logical_lines(text);
    let mut found: Vec<Found> = Vec::new();
    let mut paragraph = 0;
    let mut remote: Option<String> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        i += 1;
        if line.trim().is_empty() {
            paragraph += 1;
            remote = None;
            continue;
        }
        let t = line.trim_start();
        if ["!!!", "===", "***"].iter().any(|m| t.starts_with(m)) {
            continue; // smtp-doctor's own explanations and notes, not replies
        }
        let mut push = |mut f: Found| {
            f.paragraph = paragraph;
            found.push(f);
        };
        if let Some(c) = p.remote_mta.captures(line) {
            remote = Some(c[1].to_string());
            continue;
        }
        if let Some(c) = p.diagnostic.captures(line) {
            if let Some(reply) = reply_from_flat(&c[1]) {
                push(Found::reply(
                    reply,
                    Origin::DsnDiagnostic,
                    None,
                    remote.clone(),
                ));
            } else if let Some(name) = matcher::symptom_in_text(kb, &c[1]) {
                push(symptom(name, &c[1]));
            }
            continue;
        }
        if let Some(c) = p.status.captures(line) {
            if let Some(e) = EnhancedCode::parse(&c[1]) {
                let reply = Reply {
                    code: 0,
                    enhanced: Some(e),
                    lines: vec![String::new()],
                    line_ends: vec![LineEnd::Crlf],
                };
                push(Found::reply(reply, Origin::DsnStatus, None, remote.clone()));
            }
            continue;
        }
        if let Some(c) = p.postfix_said.captures(line) {
            let host = c[1].to_string();
            let mut rest = c[3].trim_end();
            let wrapped = line.contains("status=") && line.contains("(host ");
            if wrapped {
                rest = rest.strip_suffix(')').unwrap_or(rest).trim_end();
            }
            let mut command = None;
            if let Some(m) = p.in_reply_to.captures(rest) {
                command = normalize_command(&m[1]);
                rest = rest[..m.get(0).map_or(rest.len(), |g| g.start())].trim_end();
            }
            if command.is_none() && c[2].eq_ignore_ascii_case("refused to talk to me") {
                command = Some("greeting".into());
            }
            if let Some(reply) = reply_from_flat(rest) {
                push(Found::reply(reply, Origin::Postfix, command, Some(host)));
                continue;
            }
        }
        if let Some(c) = p.postfix_reject.captures(line) {
            let rest = &c[2];
            let end = p.postfix_tail.find(rest).map_or(rest.len(), |m| m.start());
            if let Some(reply) = reply_from_flat(&rest[..end]) {
                push(Found::reply(
                    reply,
                    Origin::Postfix,
                    normalize_command(&c[1]),
                    None,
                ));
                continue;
            }
        }
        if let Some(c) = p.exim.captures(line) {
            let host = c
                .get(2)
                .map(|m| m.as_str().to_string())
                .or_else(|| p.exim_host.captures(line).map(|h| h[1].to_string()));
            if let Some(reply) = reply_from_flat(&c[3]) {
                push(Found::reply(
                    reply,
                    Origin::Exim,
                    normalize_command(&c[1]),
                    host,
                ));
                continue;
            }
        }
        if let Some(c) = p.reply_line.captures(line) {
            // A (possibly multi-line) reply: gather the continuation lines (RFC 5321 §4.2.1).
            let code = c[1].to_string();
            let mut wire = vec![format!(
                "{}{}{}",
                code,
                if &c[2] == "-" { "-" } else { " " },
                &c[3]
            )];
            let mut last = &c[2] != "-";
            while !last && i < lines.len() {
                match p.reply_line.captures(&lines[i]) {
                    Some(n) if n[1] == code => {
                        wire.push(format!(
                            "{}{}{}",
                            code,
                            if &n[2] == "-" { "-" } else { " " },
                            &n[3]
                        ));
                        last = &n[2] != "-";
                        i += 1;
                    }
                    _ => break,
                }
            }
            if let Some(reply) = reply_from_wire(&wire) {
                push(Found::reply(reply, Origin::ReplyLine, None, remote.clone()));
                continue;
            }
        }
        if let Some(c) = p.inline_enhanced.captures(line) {
            let start = c.get(1).map_or(0, |m| m.start());
            let mut quoted = line[start..].to_string();
            if quoted.get(4..5) == Some("#") {
                quoted.remove(4); // Exchange 2003 wrote `550 #5.7.1`
            }
            if let Some(reply) = reply_from_flat(&quoted) {
                push(Found::reply(reply, Origin::Inline, None, remote.clone()));
                continue;
            }
        }
        if let Some(c) = p.inline_keyword.captures(line) {
            let quoted = format!("{} {}", &c[1], &c[2]);
            if let Some(reply) = reply_from_flat(&quoted) {
                push(Found::reply(reply, Origin::Inline, None, remote.clone()));
                continue;
            }
        }
        if let Some(name) = matcher::symptom_in_text(kb, line) {
            push(symptom(name, line.trim()));
        }
    }
    dedupe(found)
}

fn symptom(name: &str, text: &str) -> Found {
    Found {
        what: What::Symptom(name.to_string()),
        input: vec![text.trim().to_string()],
        command: None,
        origin: Origin::Symptom,
        remote: None,
        paragraph: 0,
    }
}

/// Joins folded lines: continuation lines of DSN fields (RFC 5322 §2.2.3 folding), and the
/// indented lines Postfix and Exim wrap a quoted reply over in bounce messages.
fn logical_lines(text: &str) -> Vec<String> {
    let p = patterns();
    let mut out: Vec<String> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        let indented = line.starts_with([' ', '\t']) && !line.trim().is_empty();
        if indented && let Some(prev) = out.last_mut() {
            let t = line.trim_start();
            let marker = ["->", "<-", "~>", "<~", "===", "!!!", "***", "<**", "**>"]
                .iter()
                .any(|m| t.starts_with(m));
            let closed = prev.contains("(in reply to") && prev.trim_end().ends_with(')');
            let open_reply = (prev.contains("said:")
                || prev.contains("SMTP error from remote mail")
                || prev.contains("refused to talk to me"))
                && !closed;
            if !marker && !prev.trim().is_empty() && (p.field.is_match(prev) || open_reply) {
                prev.push(' ');
                prev.push_str(t);
                continue;
            }
        }
        out.push(line.to_string());
    }
    out
}

/// A reply from its wire lines (`550-…`, `550 …`).
fn reply_from_wire(wire: &[String]) -> Option<Reply> {
    let code: u16 = wire.first()?.get(..3)?.parse().ok()?;
    let lines: Vec<String> = wire
        .iter()
        .map(|l| l.get(4..).unwrap_or("").trim_end().to_string())
        .collect();
    Some(build(code, lines))
}

/// A reply from one flattened string, which may hold a whole multi-line reply whose line
/// breaks were lost (`550-5.7.26 This mail … 550-5.7.26 Gmail requires … 550 5.7.26 …`, as
/// bounces quote Gmail's replies): the repeated code marks where each line began.
pub fn reply_from_flat(s: &str) -> Option<Reply> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 3 || !b[..3].iter().all(u8::is_ascii_digit) || !(b'2'..=b'5').contains(&b[0]) {
        return None;
    }
    if b.len() > 3 && !matches!(b[3], b' ' | b'-' | b'\t') {
        return None;
    }
    let code: u16 = s[..3].parse().ok()?;
    let rest = s.get(4..).unwrap_or("");
    let mut lines = Vec::new();
    let mut start = 0;
    let bytes = rest.as_bytes();
    let cs = &s[..3];
    for i in 1..bytes.len() {
        if !bytes[i - 1].is_ascii_whitespace() || !rest[i..].starts_with(cs) {
            continue;
        }
        let after = &rest[i + 3..];
        let next_is_enhanced = after
            .get(1..)
            .map(|a| a.split_whitespace().next().unwrap_or(""))
            .is_some_and(|tok| EnhancedCode::parse(tok).is_some());
        let marker = after.starts_with('-') || (after.starts_with(' ') && next_is_enhanced);
        if marker && i >= start {
            lines.push(rest[start..i].trim().to_string());
            start = i + 4;
        }
    }
    lines.push(rest.get(start..).unwrap_or("").trim().to_string());
    Some(build(code, lines))
}

/// A reply from its code and line texts; the enhanced code as [`crate::smtp::reply`] reads it.
fn build(code: u16, lines: Vec<String>) -> Reply {
    let enhanced = lines
        .first()
        .and_then(|l| EnhancedCode::parse_prefix(l))
        .map(|(e, _)| e)
        // As the reply parser does: a class-2 code on an error reply is more likely text.
        .filter(|e| e.class != 2 || code < 300);
    let line_ends = vec![LineEnd::Crlf; lines.len()];
    Reply {
        code,
        enhanced,
        lines,
        line_ends,
    }
}

/// Removes repeats (a bounce quotes a reply twice: in its text and in its DSN part) and DSN
/// `Status:` fields that a reply beside them already explains.
fn dedupe(found: Vec<Found>) -> Vec<Found> {
    let key = |f: &Found| match &f.what {
        What::Reply(r) => {
            let text: String = r
                .text()
                .to_lowercase()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            format!("{} {:?} {}", r.code, r.enhanced, text)
        }
        What::Symptom(s) => format!("symptom {s}"),
    };
    let replies: Vec<(usize, Option<EnhancedCode>)> = found
        .iter()
        .filter_map(|f| match &f.what {
            What::Reply(r) if f.origin != Origin::DsnStatus => Some((f.paragraph, r.enhanced)),
            _ => None,
        })
        .collect();
    let mut out: Vec<Found> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    for f in found {
        if f.origin == Origin::DsnStatus
            && let What::Reply(r) = &f.what
            && replies
                .iter()
                .any(|(para, e)| *para == f.paragraph || *e == r.enhanced)
        {
            continue;
        }
        let k = key(&f);
        if let Some(pos) = keys.iter().position(|x| *x == k) {
            let existing = &mut out[pos];
            if existing.command.is_none() {
                existing.command = f.command;
            }
            if existing.remote.is_none() {
                existing.remote = f.remote;
            }
            continue;
        }
        keys.push(k);
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::kb;

    fn replies(text: &str) -> Vec<(u16, Option<String>, String, Option<String>)> {
        from_text(kb::get(), text)
            .into_iter()
            .filter_map(|f| match f.what {
                What::Reply(r) => Some((
                    r.code,
                    r.enhanced.map(|e| e.to_string()),
                    r.text(),
                    f.command,
                )),
                What::Symptom(_) => None,
            })
            .collect()
    }

    #[test]
    fn postfix_log_line_gives_reply_and_command() {
        let line = "Jan  1 00:00:00 mx postfix/smtp[123]: 4F1: to=<a@b.example>, relay=mx.b.example[192.0.2.1]:25, \
                    delay=1, dsn=5.1.1, status=bounced (host mx.b.example[192.0.2.1] said: 550 5.1.1 <a@b.example>: \
                    Recipient address rejected: User unknown (in reply to RCPT TO command))";
        let got = replies(line);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 550);
        assert_eq!(got[0].1.as_deref(), Some("5.1.1"));
        assert_eq!(
            got[0].2,
            "<a@b.example>: Recipient address rejected: User unknown"
        );
        assert_eq!(got[0].3.as_deref(), Some("RCPT"));
    }

    #[test]
    fn postfix_end_of_data_and_refused_to_talk() {
        let got = replies(
            "status=deferred (host mx[192.0.2.1] said: 451 4.7.1 Try again later (in reply to end of DATA command))\n\
             status=bounced (host mx[192.0.2.2] refused to talk to me: 554 5.7.1 Service unavailable; Client host \
             [192.0.2.9] blocked using zen.spamhaus.org)",
        );
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].3.as_deref(), Some("."));
        assert_eq!(got[1].0, 554);
        assert_eq!(got[1].3.as_deref(), Some("greeting"));
        assert!(got[1].2.ends_with("zen.spamhaus.org"));
    }

    #[test]
    fn postfix_smtpd_reject_line_stops_before_envelope_fields() {
        let got = replies(
            "NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 554 5.7.1 <x@other.example>: Relay access denied; \
             from=<a@b.example> to=<x@other.example> proto=ESMTP helo=<client>",
        );
        assert_eq!(
            got,
            vec![(
                554,
                Some("5.7.1".into()),
                "<x@other.example>: Relay access denied".into(),
                Some("RCPT".into())
            )]
        );
    }

    #[test]
    fn exim_log_line_gives_reply_and_command() {
        let got = replies(
            "2024-01-01 00:00:00 1rAbCd-000123-AB ** a@b.example R=dnslookup T=remote_smtp H=mx.b.example \
             [192.0.2.1]: SMTP error from remote mail server after RCPT TO:<a@b.example>: 550 5.1.1 <a@b.example>: \
             Recipient address rejected: User unknown in virtual mailbox table",
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 550);
        assert_eq!(got[0].3.as_deref(), Some("RCPT"));
        assert!(got[0].2.ends_with("virtual mailbox table"));
    }

    #[test]
    fn exim_bounce_with_wrapped_reply_and_pipelined_mail() {
        let bounce = "  a@b.example\n    host mx.b.example [192.0.2.1]\n    SMTP error from remote mail server after pipelined MAIL FROM:<me@here.example> SIZE=1234:\n    550 5.7.1 Sender rejected\n";
        let got = replies(bounce);
        assert_eq!(
            got,
            vec![(
                550,
                Some("5.7.1".into()),
                "Sender rejected".into(),
                Some("MAIL".into())
            )]
        );
        let end = replies(
            "SMTP error from remote mail server after end of data: 554 5.7.1 Message rejected",
        );
        assert_eq!(end[0].3.as_deref(), Some("."));
    }

    #[test]
    fn dsn_diagnostic_code_is_unfolded_and_status_is_not_repeated() {
        let dsn = "Reporting-MTA: dns; mail.example.net\n\nFinal-Recipient: rfc822; nobody@gmail.com\nAction: failed\n\
                   Status: 5.1.1\nRemote-MTA: dns; gmail-smtp-in.l.google.com\nDiagnostic-Code: smtp; 550-5.1.1 The email \
                   account that you tried to reach does not exist. Please try\n 550-5.1.1 double-checking the recipient's \
                   email address for typos or\n 550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser x1si - gsmtp\n";
        let found = from_text(kb::get(), dsn);
        assert_eq!(found.len(), 1, "{found:?}");
        let What::Reply(r) = &found[0].what else {
            panic!()
        };
        assert_eq!(r.code, 550);
        assert_eq!(r.lines.len(), 3);
        assert!(r.text().starts_with(
            "The email account that you tried to reach does not exist. Please try double-checking"
        ));
        assert_eq!(
            found[0].remote.as_deref(),
            Some("gmail-smtp-in.l.google.com")
        );
    }

    #[test]
    fn dsn_status_alone_is_explained_as_an_enhanced_code() {
        let found = from_text(kb::get(), "Action: failed\nStatus: 5.2.2\n");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].origin, Origin::DsnStatus);
        let What::Reply(r) = &found[0].what else {
            panic!()
        };
        assert_eq!(
            (r.code, r.enhanced.map(|e| e.to_string())),
            (0, Some("5.2.2".into()))
        );
    }

    #[test]
    fn postfix_bounce_and_its_dsn_part_give_one_reply_with_the_command() {
        let bounce = "<a@b.example>: host mx.b.example[192.0.2.1] said: 550 5.1.1 <a@b.example>:\n    Recipient address \
                      rejected: User unknown in local recipient table (in reply to RCPT\n    TO command)\n\n\
                      Final-Recipient: rfc822; a@b.example\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <a@b.example>: \
                      Recipient address\n    rejected: User unknown in local recipient table\n";
        let got = replies(bounce);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].3.as_deref(), Some("RCPT"));
        assert!(got[0].2.ends_with("local recipient table"));
    }

    #[test]
    fn multi_line_reply_in_a_transcript_is_one_reply() {
        let got = replies(
            "<-  220 mx ESMTP\n<-* 550-5.7.1 first line\n<-* 550-5.7.1 second line\n<-* 550 5.7.1 last\n",
        );
        assert_eq!(
            got,
            vec![(
                550,
                Some("5.7.1".into()),
                "first line second line last".into(),
                None
            )]
        );
    }

    #[test]
    fn quoted_replies_and_duplicates() {
        let got = replies(
            "javax.mail.SendFailedException: 550 5.7.1 <a@b.example>... Relaying denied\n\
             Reason: 550 5.7.1 <a@b.example>... Relaying denied\nRemote host said: 550 Relay not permitted\n",
        );
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[1], (550, None, "Relay not permitted".into(), None));
    }

    #[test]
    fn own_explanations_years_and_success_lines_are_not_replies() {
        assert!(
            replies("!!! 550 5.1.1 is permanent: the mailbox does not exist\n=== 421 notes\n")
                .is_empty()
        );
        assert!(
            replies("In 2024 we sent 500 messages.\n<-  250 2.0.0 Ok: queued as X\n").is_empty()
        );
    }

    #[test]
    fn arguments_codes_enhanced_codes_and_lines() {
        let kb = kb::get();
        assert_eq!(from_argument(kb, "502")[0].origin, Origin::Code);
        assert_eq!(from_argument(kb, "5.5.2")[0].origin, Origin::EnhancedCode);
        let f = &from_argument(kb, "250 2.0.0 Ok")[0];
        assert_eq!(f.origin, Origin::ReplyLine);
        assert_eq!(f.input, vec!["250 2.0.0 Ok"]);
        assert!(from_argument(kb, "hello").is_empty());
        assert!(from_argument(kb, "99").is_empty());
    }

    #[test]
    fn symptom_text_is_recognised() {
        let found = from_text(
            kb::get(),
            "error:0A00010B:SSL routines::wrong version number",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].what, What::Symptom("tls-wrong-version".into()));
    }

    #[test]
    fn commands_are_normalised() {
        for (log, verb) in [
            ("RCPT TO", "RCPT"),
            ("MAIL FROM:<a@b> SIZE=10", "MAIL"),
            ("end of DATA", "."),
            ("end of data", "."),
            ("pipelined DATA", "DATA"),
            ("initial connection", "greeting"),
            ("EHLO client.example", "EHLO"),
            ("CONNECT", "greeting"),
            ("END-OF-MESSAGE", "."),
        ] {
            assert_eq!(normalize_command(log).as_deref(), Some(verb), "{log}");
        }
        assert_eq!(normalize_command("something odd"), None);
    }

    #[test]
    fn flat_replies_split_on_repeated_codes_only() {
        let r = reply_from_flat("550-5.7.26 a b 550-5.7.26 c 550 5.7.26 d").unwrap();
        assert_eq!(r.lines, vec!["5.7.26 a b", "5.7.26 c", "5.7.26 d"]);
        let r = reply_from_flat("550 5.5.0 we have 550 users").unwrap();
        assert_eq!(r.lines.len(), 1);
        assert!(reply_from_flat("hello").is_none());
        assert!(reply_from_flat("5501 x").is_none());
    }
}
