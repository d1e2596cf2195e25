//! The knowledge base: TOML files under `src/explain/kb/`, compiled into the binary with
//! `include_str!`, parsed and validated once (a `OnceLock`), with every pattern compiled once.
//!
//! File layout (every file may set a default `provider` and `source` for its entries):
//! - `basic.toml`: `[[code]]`, the basic reply codes (RFC 5321 §4.2, RFC 4954, RFC 7504 …);
//! - `enhanced.toml`: `[[class]]`, `[[subject]]`, `[[detail]]`, the enhanced status code
//!   registry (RFC 3463 and the IANA "SMTP Enhanced Status Codes" registry);
//! - `rules.toml`: `[[rule]]` (codes + context), `[[symptom]]` (no reply) and
//!   `[[category_note]]` (advice added to every explanation of a category);
//! - `known/*.toml`: `[[message]]`, the known reply texts of providers and MTAs.
//!
//! [`load`] reports every problem it finds; the tests require it to succeed.

use super::Category;
use crate::smtp::reply::EnhancedCode;
use regex::Regex;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Every knowledge-base file, by name. Adding a file here is all it takes to load it.
const FILES: &[(&str, &str)] = &[
    ("basic.toml", include_str!("kb/basic.toml")),
    ("enhanced.toml", include_str!("kb/enhanced.toml")),
    ("rules.toml", include_str!("kb/rules.toml")),
    ("known/gmail.toml", include_str!("kb/known/gmail.toml")),
    (
        "known/microsoft.toml",
        include_str!("kb/known/microsoft.toml"),
    ),
    (
        "known/exchange.toml",
        include_str!("kb/known/exchange.toml"),
    ),
    ("known/yahoo.toml", include_str!("kb/known/yahoo.toml")),
    ("known/icloud.toml", include_str!("kb/known/icloud.toml")),
    ("known/zoho.toml", include_str!("kb/known/zoho.toml")),
    (
        "known/mimecast.toml",
        include_str!("kb/known/mimecast.toml"),
    ),
    (
        "known/proofpoint.toml",
        include_str!("kb/known/proofpoint.toml"),
    ),
    (
        "known/barracuda.toml",
        include_str!("kb/known/barracuda.toml"),
    ),
    ("known/dnsbl.toml", include_str!("kb/known/dnsbl.toml")),
    (
        "known/greylist.toml",
        include_str!("kb/known/greylist.toml"),
    ),
    ("known/postfix.toml", include_str!("kb/known/postfix.toml")),
    ("known/exim.toml", include_str!("kb/known/exim.toml")),
    (
        "known/sendmail.toml",
        include_str!("kb/known/sendmail.toml"),
    ),
    (
        "known/opensmtpd.toml",
        include_str!("kb/known/opensmtpd.toml"),
    ),
    ("known/other.toml", include_str!("kb/known/other.toml")),
];

/// A basic reply code (`[[code]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicCode {
    pub code: u16,
    /// The RFC's name for the code.
    pub title: String,
    /// What it means, in one phrase.
    pub meaning: String,
    /// The commands it usually answers.
    #[serde(default)]
    pub answers: Option<String>,
    pub category: Category,
    pub summary: String,
    pub cause: String,
    pub fix: Vec<String>,
    pub source: String,
}

/// An enhanced-code class (`[[class]]`, RFC 3463 §3.1).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Class {
    pub class: u8,
    pub title: String,
    pub meaning: String,
}

/// An enhanced-code subject (`[[subject]]`, RFC 3463 §3.2).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    pub subject: u16,
    pub title: String,
    pub meaning: String,
}

/// A registered enhanced code `X.s.d` (`[[detail]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detail {
    /// `X.s.d`, as the registry writes it.
    pub code: String,
    /// The registered title.
    pub title: String,
    /// The defining document (`RFC 3463`).
    pub rfc: String,
    pub meaning: String,
    /// The basic reply codes usually paired with it.
    #[serde(default)]
    pub basic: Option<String>,
    #[serde(default)]
    pub category: Option<Category>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub cause: Option<String>,
    #[serde(default)]
    pub fix: Option<Vec<String>>,
    #[serde(skip)]
    pub subject: u16,
    #[serde(skip)]
    pub detail: u16,
}

/// Advice added to every explanation of a category (`[[category_note]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryNote {
    pub category: Category,
    /// Only for permanent (true) or transient (false) replies; both when absent.
    #[serde(default)]
    pub permanent: Option<bool>,
    pub fix: String,
}

/// Is this a known message (provider or MTA text) or a rule (codes and context)?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Known,
    Rule,
    Symptom,
}

/// A known message, rule or symptom, ready to match.
#[derive(Debug, Clone)]
pub struct Entry {
    pub kind: EntryKind,
    pub id: String,
    pub provider: Option<String>,
    /// Basic codes it applies to; empty means any.
    pub codes: Vec<u16>,
    /// Enhanced codes it applies to; empty means any.
    pub enhanced: Vec<EnhancedPattern>,
    /// Case-insensitive pattern on the reply text (for symptoms: on pasted text).
    pub pattern: Option<Pattern>,
    pub when: When,
    /// For symptoms: the symptom name.
    pub symptom: Option<String>,
    pub category: Category,
    pub summary: String,
    pub cause: String,
    pub fix: Vec<String>,
    pub source: String,
    /// A rule that replaces a known message's explanation instead of adding to it.
    pub overrides: bool,
    /// Position in load order: the tie-breaker between equally specific entries.
    pub order: usize,
}

/// Context conditions of an entry; every condition given must hold.
#[derive(Debug, Clone, Default)]
pub struct When {
    /// Command verbs (upper case, `.` or `greeting`), any of which matches.
    pub commands: Vec<String>,
    pub ports: Vec<u16>,
    pub tls: Option<bool>,
    pub authenticated: Option<bool>,
    /// `lf`, `cr`, or `any` (any deliberately broken line ending).
    pub line_ending: Option<String>,
    /// AUTH mechanisms (upper case), any of which matches.
    pub auth_mechanisms: Vec<String>,
    pub greeting: Option<Pattern>,
}

/// A case-insensitive pattern, compiled on first use. The knowledge base holds hundreds of
/// them and explaining one reply needs only the few filed under its code: compiling them all
/// up front cost most of a run's time (70 ms) and memory. `load()` checks every pattern's
/// syntax, and the test suite compiles every one, so `regex()` cannot fail in a tested build.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    compiled: OnceLock<Option<Regex>>,
}

impl Pattern {
    fn new(source: &str) -> Result<Pattern, String> {
        regex_syntax::ParserBuilder::new()
            .case_insensitive(true)
            .build()
            .parse(source)
            .map_err(|e| e.to_string())?;
        Ok(Pattern {
            source: source.to_string(),
            compiled: OnceLock::new(),
        })
    }

    /// The compiled pattern (None only if compiling failed, which the tests rule out).
    pub fn regex(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| compile(&self.source).ok())
            .as_ref()
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex().is_some_and(|re| re.is_match(text))
    }

    pub fn find<'t>(&self, text: &'t str) -> Option<regex::Match<'t>> {
        self.regex()?.find(text)
    }
}

impl When {
    /// How many conditions there are: the more, the more specific the entry.
    pub fn conditions(&self) -> usize {
        usize::from(!self.commands.is_empty())
            + usize::from(!self.ports.is_empty())
            + usize::from(self.tls.is_some())
            + usize::from(self.authenticated.is_some())
            + usize::from(self.line_ending.is_some())
            + usize::from(!self.auth_mechanisms.is_empty())
            + usize::from(self.greeting.is_some())
    }
}

/// A pattern over enhanced codes: `5.7.26`, `X.7.26` (either class), `4.7.*`, `5.7.606-649`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnhancedPattern {
    pub class: Option<u8>,
    pub subject: Option<u16>,
    pub detail: DetailPattern,
}

/// The detail part of an [`EnhancedPattern`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailPattern {
    Any,
    Exact(u16),
    Range(u16, u16),
}

impl EnhancedPattern {
    /// Parses `c.s.d` where c is 2, 4, 5 or X, s a number or `*`, d a number, `a-b` or `*`.
    pub fn parse(s: &str) -> Option<EnhancedPattern> {
        let mut parts = s.split('.');
        let (c, sub, det) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let class = match c {
            "X" | "x" | "*" => None,
            "2" | "4" | "5" => Some(c.parse().ok()?),
            _ => return None,
        };
        let subject = if sub == "*" {
            None
        } else {
            Some(sub.parse().ok()?)
        };
        let detail = if det == "*" {
            DetailPattern::Any
        } else if let Some((a, b)) = det.split_once('-') {
            let (a, b) = (a.parse().ok()?, b.parse().ok()?);
            if a > b {
                return None;
            }
            DetailPattern::Range(a, b)
        } else {
            DetailPattern::Exact(det.parse().ok()?)
        };
        Some(EnhancedPattern {
            class,
            subject,
            detail,
        })
    }

    pub fn matches(&self, e: EnhancedCode) -> bool {
        self.class.is_none_or(|c| c == e.class)
            && self.subject.is_none_or(|s| s == e.subject)
            && match self.detail {
                DetailPattern::Any => true,
                DetailPattern::Exact(d) => d == e.detail,
                DetailPattern::Range(a, b) => (a..=b).contains(&e.detail),
            }
    }

    /// True for a single code (class, subject and detail all given).
    pub fn is_exact(&self) -> bool {
        self.class.is_some()
            && self.subject.is_some()
            && matches!(self.detail, DetailPattern::Exact(_))
    }
}

/// The parsed, validated knowledge base.
#[derive(Debug)]
pub struct Kb {
    pub basic: HashMap<u16, BasicCode>,
    pub classes: HashMap<u8, Class>,
    pub subjects: HashMap<u16, Subject>,
    /// Keyed by (subject, detail): the registry is class-independent (`X.s.d`).
    pub details: HashMap<(u16, u16), Detail>,
    /// Known messages, then rules, then symptoms, in file order.
    pub entries: Vec<Entry>,
    /// Indices into `entries` of known messages and rules that name a basic code, by code.
    pub by_code: HashMap<u16, Vec<usize>>,
    /// Indices of known messages and rules that apply to any basic code.
    pub any_code: Vec<usize>,
    pub notes: Vec<CategoryNote>,
}

impl Kb {
    /// The entries (known messages and rules, not symptoms) that may apply to a basic code,
    /// in load order.
    pub fn candidates(&self, code: u16) -> impl Iterator<Item = &Entry> {
        let coded = self.by_code.get(&code).map(Vec::as_slice).unwrap_or(&[]);
        merge_sorted(coded, &self.any_code).map(move |i| &self.entries[i])
    }
}

/// Merges two ascending index lists into one ascending sequence.
fn merge_sorted<'a>(a: &'a [usize], b: &'a [usize]) -> impl Iterator<Item = usize> + 'a {
    let (mut i, mut j) = (0, 0);
    std::iter::from_fn(move || match (a.get(i), b.get(j)) {
        (Some(&x), Some(&y)) if x <= y => {
            i += 1;
            Some(x)
        }
        (_, Some(&y)) => {
            j += 1;
            Some(y)
        }
        (Some(&x), None) => {
            i += 1;
            Some(x)
        }
        (None, None) => None,
    })
}

/// The knowledge base, loaded on first use.
///
/// # Panics
/// When the compiled-in data is invalid, which the test suite rules out (`kb_is_valid`).
pub fn get() -> &'static Kb {
    static KB: OnceLock<Kb> = OnceLock::new();
    KB.get_or_init(|| match load() {
        Ok(kb) => kb,
        Err(errors) => panic!("invalid explanation knowledge base:\n{}", errors.join("\n")),
    })
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    provider: Option<String>,
    source: Option<String>,
    #[serde(default)]
    code: Vec<BasicCode>,
    #[serde(default)]
    class: Vec<Class>,
    #[serde(default)]
    subject: Vec<Subject>,
    #[serde(default)]
    detail: Vec<Detail>,
    #[serde(default)]
    message: Vec<RawEntry>,
    #[serde(default)]
    rule: Vec<RawEntry>,
    #[serde(default)]
    symptom: Vec<RawEntry>,
    #[serde(default)]
    category_note: Vec<CategoryNote>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: String,
    provider: Option<String>,
    code: Option<OneOrMany<u16>>,
    enhanced: Option<OneOrMany<String>>,
    pattern: Option<String>,
    when: Option<RawWhen>,
    /// For `[[symptom]]`: which symptom it explains.
    symptom: Option<String>,
    category: Category,
    summary: String,
    cause: String,
    fix: Vec<String>,
    source: Option<String>,
    #[serde(default)]
    overrides: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawWhen {
    command: Option<String>,
    port: Option<OneOrMany<u16>>,
    tls: Option<bool>,
    authenticated: Option<bool>,
    line_ending: Option<String>,
    auth_mechanism: Option<String>,
    greeting: Option<String>,
}

/// The symptom names [`super::Symptom`] knows.
const SYMPTOMS: &[&str] = &[
    "unexpected-close",
    "not-smtp",
    "tls-wrong-version",
    "greeting-timeout",
];

/// Compiles a case-insensitive pattern.
fn compile(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("(?i){pattern}"))
}

/// An entry as read: its kind, file name, the file's default provider and source, and the raw entry.
type Pending = (
    EntryKind,
    &'static str,
    Option<String>,
    Option<String>,
    RawEntry,
);

/// Parses and validates every file; returns every problem found, not just the first.
pub fn load() -> Result<Kb, Vec<String>> {
    let mut errors = Vec::new();
    let mut kb = Kb {
        basic: HashMap::new(),
        classes: HashMap::new(),
        subjects: HashMap::new(),
        details: HashMap::new(),
        entries: Vec::new(),
        by_code: HashMap::new(),
        any_code: Vec::new(),
        notes: Vec::new(),
    };
    let mut raw_entries: Vec<Pending> = Vec::new();
    for (name, text) in FILES {
        let file: RawFile = match toml::from_str(text) {
            Ok(f) => f,
            Err(e) => {
                errors.push(format!("{name}: {e}"));
                continue;
            }
        };
        for c in file.code {
            if c.fix.is_empty() {
                errors.push(format!("{name}: code {} has no fix", c.code));
            }
            if !(200..600).contains(&c.code) {
                errors.push(format!("{name}: code {} is not a reply code", c.code));
            }
            if let Some(old) = kb.basic.insert(c.code, c) {
                errors.push(format!("{name}: basic code {} defined twice", old.code));
            }
        }
        for c in file.class {
            if let Some(old) = kb.classes.insert(c.class, c) {
                errors.push(format!("{name}: class {} defined twice", old.class));
            }
        }
        for s in file.subject {
            if let Some(old) = kb.subjects.insert(s.subject, s) {
                errors.push(format!("{name}: subject {} defined twice", old.subject));
            }
        }
        for mut d in file.detail {
            let parsed = d
                .code
                .strip_prefix("X.")
                .and_then(|rest| rest.split_once('.'))
                .and_then(|(s, det)| Some((s.parse().ok()?, det.parse().ok()?)));
            let Some((s, det)) = parsed else {
                errors.push(format!("{name}: detail code {:?} is not X.s.d", d.code));
                continue;
            };
            (d.subject, d.detail) = (s, det);
            if let Some(old) = kb.details.insert((s, det), d) {
                errors.push(format!("{name}: detail {} defined twice", old.code));
            }
        }
        kb.notes.extend(file.category_note);
        for (kind, list) in [
            (EntryKind::Known, file.message),
            (EntryKind::Rule, file.rule),
            (EntryKind::Symptom, file.symptom),
        ] {
            for e in list {
                raw_entries.push((kind, name, file.provider.clone(), file.source.clone(), e));
            }
        }
    }
    // Known messages first, then rules, then symptoms: `order` breaks ties in that order.
    raw_entries.sort_by_key(|(kind, ..)| *kind as u8);
    let mut ids = HashSet::new();
    for (kind, name, provider, source, raw) in raw_entries {
        match build_entry(kind, name, provider, source, raw, kb.entries.len()) {
            Ok(entry) => {
                if !ids.insert(entry.id.clone()) {
                    errors.push(format!("{name}: duplicate id {}", entry.id));
                }
                kb.entries.push(entry);
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    for (i, e) in kb.entries.iter().enumerate() {
        if e.kind == EntryKind::Symptom {
            continue;
        }
        if e.codes.is_empty() {
            kb.any_code.push(i);
        }
        for &c in &e.codes {
            kb.by_code.entry(c).or_default().push(i);
        }
    }
    for class in [2u8, 4, 5] {
        if !kb.classes.contains_key(&class) {
            errors.push(format!("enhanced.toml: class {class} missing"));
        }
    }
    for subject in 0u16..=7 {
        if !kb.subjects.contains_key(&subject) {
            errors.push(format!("enhanced.toml: subject {subject} missing"));
        }
    }
    if errors.is_empty() {
        Ok(kb)
    } else {
        Err(errors)
    }
}

fn build_entry(
    kind: EntryKind,
    file: &str,
    file_provider: Option<String>,
    file_source: Option<String>,
    raw: RawEntry,
    order: usize,
) -> Result<Entry, Vec<String>> {
    let mut errors = Vec::new();
    let id = raw.id;
    let err = |errors: &mut Vec<String>, msg: String| errors.push(format!("{file}: {id}: {msg}"));
    let pattern = match raw.pattern.as_deref().map(Pattern::new) {
        None => None,
        Some(Ok(re)) => Some(re),
        Some(Err(e)) => {
            err(&mut errors, format!("pattern does not compile: {e}"));
            None
        }
    };
    let mut enhanced = Vec::new();
    for s in raw.enhanced.map(OneOrMany::into_vec).unwrap_or_default() {
        match EnhancedPattern::parse(&s) {
            Some(p) => enhanced.push(p),
            None => err(
                &mut errors,
                format!("enhanced code pattern {s:?} is not c.s.d"),
            ),
        }
    }
    let codes = raw.code.map(OneOrMany::into_vec).unwrap_or_default();
    for &c in &codes {
        if !(200..600).contains(&c) {
            err(&mut errors, format!("{c} is not a reply code"));
        }
    }
    let raw_when = raw.when.unwrap_or_default();
    let mut when = When {
        commands: split_alternatives(raw_when.command.as_deref()),
        ports: raw_when.port.map(OneOrMany::into_vec).unwrap_or_default(),
        tls: raw_when.tls,
        authenticated: raw_when.authenticated,
        line_ending: raw_when.line_ending.map(|s| s.to_ascii_lowercase()),
        auth_mechanisms: split_alternatives(raw_when.auth_mechanism.as_deref()),
        greeting: None,
    };
    for c in &when.commands {
        let known = [
            "HELO", "EHLO", "MAIL", "RCPT", "DATA", "BDAT", ".", "AUTH", "STARTTLS",
        ];
        let other = [
            "RSET", "VRFY", "EXPN", "NOOP", "QUIT", "HELP", "ETRN", "GREETING",
        ];
        if !known.contains(&c.as_str()) && !other.contains(&c.as_str()) {
            err(&mut errors, format!("unknown command {c:?} in when"));
        }
    }
    if let Some(le) = &when.line_ending
        && !["lf", "cr", "any"].contains(&le.as_str())
    {
        err(
            &mut errors,
            format!("line_ending {le:?} is not lf, cr or any"),
        );
    }
    if let Some(g) = raw_when.greeting {
        match Pattern::new(&g) {
            Ok(re) => when.greeting = Some(re),
            Err(e) => err(
                &mut errors,
                format!("greeting pattern does not compile: {e}"),
            ),
        }
    }
    let source = raw.source.or(file_source).unwrap_or_default();
    if source.trim().is_empty() {
        err(&mut errors, "has no source".into());
    }
    if raw.fix.is_empty() || raw.fix.iter().any(|f| f.trim().is_empty()) {
        err(&mut errors, "needs at least one (non-empty) fix".into());
    }
    if raw.summary.trim().is_empty() || raw.cause.trim().is_empty() {
        err(&mut errors, "needs a summary and a cause".into());
    }
    match kind {
        EntryKind::Known => {
            if pattern.is_none() {
                err(&mut errors, "a known message needs a pattern".into());
            }
            if !id.contains('.') {
                err(&mut errors, "a known message id is provider.detail".into());
            }
        }
        EntryKind::Rule => {
            if codes.is_empty() && enhanced.is_empty() && when.conditions() == 0 {
                err(
                    &mut errors,
                    "a rule needs a code, an enhanced code or a condition".into(),
                );
            }
        }
        EntryKind::Symptom => match raw.symptom.as_deref() {
            Some(s) if SYMPTOMS.contains(&s) => {}
            other => err(
                &mut errors,
                format!("symptom {other:?} is not one of {SYMPTOMS:?}"),
            ),
        },
    }
    let valid_id = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-._".contains(c));
    if !valid_id {
        err(&mut errors, "id must be lower-case kebab/dotted".into());
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Entry {
        kind,
        provider: raw.provider.or(file_provider),
        codes,
        enhanced,
        pattern,
        when,
        symptom: raw.symptom,
        category: raw.category,
        summary: raw.summary,
        cause: raw.cause,
        fix: raw.fix,
        source,
        overrides: raw.overrides,
        order,
        id,
    })
}

/// `"VRFY|EXPN"` → `["VRFY", "EXPN"]`, upper-cased.
fn split_alternatives(s: Option<&str>) -> Vec<String> {
    s.map(|s| {
        s.split('|')
            .map(|p| p.trim().to_ascii_uppercase())
            .filter(|p| !p.is_empty())
            .collect()
    })
    .unwrap_or_default()
}
