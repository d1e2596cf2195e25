//! Explanations of SMTP replies: what a code means, why it likely happened, and what to do.
//!
//! The knowledge is data, not code: TOML files under `src/explain/kb/` are compiled into the
//! binary and parsed once ([`kb`]). An explanation is assembled from, in order of precedence
//! ([`matcher`]):
//!
//! 1. a **known message**: a provider's or MTA's actual reply text, matched by code, enhanced
//!    code, a case-insensitive pattern and optionally the context (command, port, TLS …);
//! 2. a **rule**: knowledge keyed on codes and context alone (`530 5.7.0` after MAIL on 587
//!    without TLS means "use STARTTLS"); a matching rule also adds its fixes to a known message;
//! 3. the **enhanced status code** registry (RFC 3463 and the IANA registry, [`codes`]);
//! 4. the **basic reply code** (RFC 5321 §4.2, RFC 4954, RFC 7504);
//! 5. the reply class alone, so that even `599` or `5.9.9` gets an explanation.
//!
//! [`extract`] finds replies in pasted bounces and logs; [`command`] is `smtp-doctor explain`.

pub mod codes;
pub mod command;
pub mod extract;
pub mod kb;
pub mod matcher;

pub use command::run_command;

use crate::smtp::reply::{EnhancedCode, Reply};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a reply came from; explanations use it to be specific.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The verb of the command this reply answered (`EHLO`, `MAIL`, `RCPT`, `DATA`, `AUTH`,
    /// `STARTTLS`, `.` for end of data, or `greeting` for the banner).
    pub command: Option<String>,
    /// The AUTH mechanism in use, when the command was AUTH.
    pub auth_mechanism: Option<String>,
    /// The server port.
    pub port: Option<u16>,
    /// TLS was active when the reply arrived.
    pub tls: bool,
    /// The session had authenticated successfully.
    pub authenticated: bool,
    /// The line ending the client used, when it was deliberately not CRLF (`lf`, `cr`).
    pub broken_line_ending: Option<&'static str>,
    /// The server's greeting text, for recognising the MTA.
    pub greeting: Option<String>,
}

/// The fixed set of categories of SPEC.md; scripts rely on these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Syntax,
    Sequence,
    NotImplemented,
    Parameter,
    TlsRequired,
    TlsFailure,
    AuthRequired,
    AuthFailed,
    AuthMechanism,
    RelayDenied,
    MailboxUnknown,
    MailboxFull,
    MailboxDisabled,
    Size,
    RateLimit,
    Greylist,
    BlocklistIp,
    BlocklistDomain,
    ReverseDns,
    Spf,
    Dkim,
    Dmarc,
    ContentSpam,
    ContentPolicy,
    SenderRejected,
    HeloRejected,
    NullMx,
    Smtputf8,
    ServiceUnavailable,
    TemporaryLocal,
    TooManyRecipients,
    Other,
}

impl Category {
    /// Every category, in SPEC.md's order.
    #[allow(dead_code)] // part of the interface (scripts, tests), not needed by the binary yet
    pub const ALL: [Category; 32] = [
        Category::Syntax,
        Category::Sequence,
        Category::NotImplemented,
        Category::Parameter,
        Category::TlsRequired,
        Category::TlsFailure,
        Category::AuthRequired,
        Category::AuthFailed,
        Category::AuthMechanism,
        Category::RelayDenied,
        Category::MailboxUnknown,
        Category::MailboxFull,
        Category::MailboxDisabled,
        Category::Size,
        Category::RateLimit,
        Category::Greylist,
        Category::BlocklistIp,
        Category::BlocklistDomain,
        Category::ReverseDns,
        Category::Spf,
        Category::Dkim,
        Category::Dmarc,
        Category::ContentSpam,
        Category::ContentPolicy,
        Category::SenderRejected,
        Category::HeloRejected,
        Category::NullMx,
        Category::Smtputf8,
        Category::ServiceUnavailable,
        Category::TemporaryLocal,
        Category::TooManyRecipients,
        Category::Other,
    ];

    /// The name scripts see (`mailbox-unknown`), the same as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Syntax => "syntax",
            Category::Sequence => "sequence",
            Category::NotImplemented => "not-implemented",
            Category::Parameter => "parameter",
            Category::TlsRequired => "tls-required",
            Category::TlsFailure => "tls-failure",
            Category::AuthRequired => "auth-required",
            Category::AuthFailed => "auth-failed",
            Category::AuthMechanism => "auth-mechanism",
            Category::RelayDenied => "relay-denied",
            Category::MailboxUnknown => "mailbox-unknown",
            Category::MailboxFull => "mailbox-full",
            Category::MailboxDisabled => "mailbox-disabled",
            Category::Size => "size",
            Category::RateLimit => "rate-limit",
            Category::Greylist => "greylist",
            Category::BlocklistIp => "blocklist-ip",
            Category::BlocklistDomain => "blocklist-domain",
            Category::ReverseDns => "reverse-dns",
            Category::Spf => "spf",
            Category::Dkim => "dkim",
            Category::Dmarc => "dmarc",
            Category::ContentSpam => "content-spam",
            Category::ContentPolicy => "content-policy",
            Category::SenderRejected => "sender-rejected",
            Category::HeloRejected => "helo-rejected",
            Category::NullMx => "null-mx",
            Category::Smtputf8 => "smtputf8",
            Category::ServiceUnavailable => "service-unavailable",
            Category::TemporaryLocal => "temporary-local",
            Category::TooManyRecipients => "too-many-recipients",
            Category::Other => "other",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which layer of the knowledge base produced the explanation (most specific first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// A provider's or MTA's known reply text matched.
    KnownMessage,
    /// A rule keyed on codes and the session context matched.
    Rule,
    /// The enhanced status code's registry entry.
    EnhancedCode,
    /// The basic reply code.
    BasicCode,
    /// Only the class (first digit) was known.
    Class,
}

/// The explanation of one reply. Field names are part of the JSON interface (SPEC.md).
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The basic reply code; 0 when only an enhanced code or a symptom (no reply) was given.
    pub code: u16,
    pub enhanced: Option<EnhancedCode>,
    pub permanent: bool,
    pub category: Category,
    /// One sentence: what the reply means.
    pub summary: String,
    /// The basic code's meaning (RFC 5321 §4.2).
    pub code_meaning: String,
    /// The enhanced code's class, subject and detail (RFC 3463), when there is one.
    pub enhanced_meaning: Option<String>,
    pub cause: String,
    pub fix: Vec<String>,
    /// The id of the knowledge-base entry (known message or rule) that matched, if any.
    pub matched: Option<String>,
    /// The provider or MTA whose known message matched (`Gmail`, `Postfix`).
    pub provider: Option<String>,
    /// Where the matched knowledge comes from (a URL, an RFC section, or repo/path).
    pub source: Option<String>,
    /// Which layer of the knowledge base produced this explanation.
    pub basis: Basis,
    /// Other entries that added to this explanation (context rules, an overridden message).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
}

impl Explanation {
    /// The one line shown after a 4xx/5xx in a transcript.
    pub fn one_line(&self) -> String {
        let kind = if self.permanent {
            "permanent"
        } else {
            "transient"
        };
        let code = match (self.code, self.enhanced) {
            (0, Some(e)) => e.to_string(),
            (0, None) => return format!("{}: {}", self.category, self.summary),
            (c, Some(e)) => format!("{c} {e}"),
            (c, None) => c.to_string(),
        };
        format!("{code} is {kind}: {}", self.summary)
    }

    /// The full explanation, one line per item.
    pub fn full(&self) -> Vec<String> {
        let mut out = vec![self.one_line()];
        if self.code != 0 {
            out.push(format!("code {}: {}", self.code, self.code_meaning));
        }
        if let (Some(e), Some(m)) = (self.enhanced, &self.enhanced_meaning) {
            out.push(format!("enhanced {e}: {m}"));
        }
        out.push(format!("category: {}", self.category));
        if let Some(id) = &self.matched {
            let mut line = format!("matched: {id}");
            if let Some(p) = &self.provider {
                line.push_str(&format!(" ({p})"));
            }
            out.push(line);
        }
        out.push(format!("likely cause: {}", self.cause));
        for f in &self.fix {
            out.push(format!("fix: {f}"));
        }
        out
    }
}

/// Explains a reply in its context. Never fails: unknown codes are explained by their class.
pub fn explain(reply: &Reply, ctx: &Context) -> Explanation {
    matcher::explain_with(kb::get(), reply, ctx)
}

/// Something that went wrong without a reply to explain, often a port/encryption mismatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symptom {
    /// The server closed the connection before or instead of replying.
    UnexpectedClose,
    /// The first bytes were not an SMTP reply (binary, a TLS record, an HTTP page …).
    NotSmtp,
    /// The TLS library saw plaintext where it expected a TLS record ("wrong version number").
    TlsWrongVersion,
    /// No greeting arrived within the timeout.
    GreetingTimeout,
}

impl Symptom {
    /// The name used for the symptom in the knowledge base (`tls-wrong-version`).
    pub fn as_str(self) -> &'static str {
        match self {
            Symptom::UnexpectedClose => "unexpected-close",
            Symptom::NotSmtp => "not-smtp",
            Symptom::TlsWrongVersion => "tls-wrong-version",
            Symptom::GreetingTimeout => "greeting-timeout",
        }
    }
}

/// Explains a symptom (no reply) in its context: which port expects which encryption.
pub fn explain_symptom(symptom: Symptom, ctx: &Context) -> Explanation {
    matcher::explain_symptom_with(kb::get(), symptom.as_str(), ctx)
}

#[cfg(test)]
mod tests;
