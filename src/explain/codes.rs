//! Decoding of basic reply codes (RFC 5321 §4.2) and enhanced status codes (RFC 3463 §2–3)
//! from the knowledge base, degrading gracefully: an unregistered code still gets its class
//! (and, for basic codes, the meaning of its second digit, RFC 5321 §4.2.1).

use super::kb::{BasicCode, Detail, Kb};
use crate::smtp::reply::EnhancedCode;

/// The first digit of a basic code (RFC 5321 §4.2.1).
pub fn first_digit_meaning(code: u16) -> &'static str {
    match code / 100 {
        2 => "positive completion: the action succeeded",
        3 => "positive intermediate: the server waits for more from the client",
        4 => {
            "transient negative completion: the action failed but may succeed if tried again later"
        }
        5 => "permanent negative completion: the same command will fail again unchanged",
        _ => "not a valid reply class (RFC 5321 allows 2 to 5)",
    }
}

/// The second digit of a basic code (RFC 5321 §4.2.1).
pub fn second_digit_meaning(code: u16) -> &'static str {
    match (code / 10) % 10 {
        0 => "syntax",
        1 => "information",
        2 => "connections",
        3 | 4 => "unspecified",
        5 => "mail system",
        _ => "undefined",
    }
}

/// The registry entry of a basic code, if it is a known code.
pub fn basic(kb: &Kb, code: u16) -> Option<&BasicCode> {
    kb.basic.get(&code)
}

/// The meaning of a basic code, for every code (0 means no basic code was given).
pub fn code_meaning(kb: &Kb, code: u16) -> String {
    if code == 0 {
        return "no basic reply code was given".into();
    }
    match basic(kb, code) {
        Some(b) => match &b.answers {
            Some(a) => format!(
                "{}: {}; usually in reply to {} ({})",
                b.title, b.meaning, a, b.source
            ),
            None => format!("{}: {} ({})", b.title, b.meaning, b.source),
        },
        None => format!(
            "{code} is not a code the SMTP standards define; by its first digit it is a {}, \
             and its second digit is about {} (RFC 5321 §4.2.1)",
            first_digit_meaning(code),
            second_digit_meaning(code)
        ),
    }
}

/// The registry entry of an enhanced code (the registry is class-independent: `X.s.d`).
pub fn detail(kb: &Kb, e: EnhancedCode) -> Option<&Detail> {
    kb.details.get(&(e.subject, e.detail))
}

/// Class, subject and detail of any `c.s.d`, noting a class that disagrees with the basic code.
pub fn enhanced_meaning(kb: &Kb, e: EnhancedCode, code: u16) -> String {
    let class = kb
        .classes
        .get(&e.class)
        .map(|c| format!("class {} {} ({})", e.class, c.title, c.meaning))
        .unwrap_or_else(|| format!("class {} (not a valid class)", e.class));
    let subject = kb.subjects.get(&e.subject);
    let mut out = match (detail(kb, e), subject) {
        (Some(d), _) => {
            let subject_title = subject
                .map(|s| s.title.as_str())
                .unwrap_or("unknown subject");
            let paired = d
                .basic
                .as_deref()
                .map(|b| format!("; usually with basic code {b}"))
                .unwrap_or_default();
            format!(
                "{} ({}) — {}; subject X.{} {}; {}{paired}",
                d.title, d.rfc, d.meaning, e.subject, subject_title, class
            )
        }
        (None, Some(s)) => format!(
            "detail {} is not registered under X.{} {} ({}); {}. Providers use unregistered \
             details for their own reasons: the reply text says which",
            e.detail, e.subject, s.title, s.meaning, class
        ),
        (None, None) => format!(
            "subject {} is not registered (RFC 3463 defines X.0 to X.7), so only the class is \
             known: {}",
            e.subject, class
        ),
    };
    if code != 0 && u16::from(e.class) != code / 100 {
        out.push_str(&format!(
            "; note: class {} disagrees with the basic code {code}, and the basic code decides \
             whether the failure is permanent (RFC 3463 §2)",
            e.class
        ));
    }
    out
}
