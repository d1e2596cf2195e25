//! Matching a reply against the knowledge base and assembling its explanation.
//!
//! Precedence: a known message (code + enhanced code + pattern + context) beats a rule, a rule
//! beats the enhanced-code registry, which beats the basic code, which beats the class alone.
//! Among entries of one layer the most specific wins: every context condition counts most, then
//! an exact enhanced code, then a pattern (longer is more specific), then a basic code; equal
//! scores go to the entry loaded first. Candidates are pre-filtered by basic code, so a reply
//! is only tested against the entries that can apply to its code.

use super::codes;
use super::kb::{Entry, EntryKind, Kb, When};
use super::{Basis, Category, Context, Explanation};
use crate::smtp::reply::Reply;

/// How specifically `entry` matches `reply` in `ctx`, or `None` when it does not apply.
///
/// Every context condition counts 100, an exact enhanced code 20 (a range or wildcard 8), a
/// pattern 10 plus up to 20 for the length of the text it matched (a longer match is a more
/// specific one), a basic code 5. A known message that names enhanced codes still matches a
/// reply without one (many servers do not send them), but scores 6 less than it would.
pub fn score(entry: &Entry, reply: &Reply, text: &str, ctx: &Context) -> Option<i32> {
    let mut score = 0;
    if !entry.codes.is_empty() {
        if !entry.codes.contains(&reply.code) {
            return None;
        }
        score += 5;
    }
    if !entry.enhanced.is_empty() {
        match reply.enhanced {
            Some(e) => {
                let hit = entry.enhanced.iter().find(|p| p.matches(e))?;
                score += if hit.is_exact() { 20 } else { 8 };
            }
            // A server that does not send enhanced codes still sends the known text: known
            // messages match on their pattern alone. Rules, which have no text, do not.
            None if entry.pattern.is_some() => score -= 6,
            None => return None,
        }
    }
    if let Some(re) = &entry.pattern {
        let m = re.find(text)?;
        score += 10 + (m.len().min(80) / 4) as i32;
    }
    let conditions = when_holds(&entry.when, ctx)?;
    Some(score + 100 * conditions as i32)
}

/// `Some(number of conditions)` when every condition of `when` holds in `ctx`.
fn when_holds(when: &When, ctx: &Context) -> Option<u32> {
    let eq_any = |list: &[String], value: Option<&str>| {
        list.is_empty() || value.is_some_and(|v| list.iter().any(|c| c.eq_ignore_ascii_case(v)))
    };
    let ok = eq_any(&when.commands, ctx.command.as_deref())
        && (when.ports.is_empty() || ctx.port.is_some_and(|p| when.ports.contains(&p)))
        && when.tls.is_none_or(|t| t == ctx.tls)
        && when.authenticated.is_none_or(|a| a == ctx.authenticated)
        && when
            .line_ending
            .as_deref()
            .is_none_or(|le| match ctx.broken_line_ending {
                Some(actual) => le == "any" || le.eq_ignore_ascii_case(actual),
                None => false,
            })
        && eq_any(&when.auth_mechanisms, ctx.auth_mechanism.as_deref())
        && when
            .greeting
            .as_ref()
            .is_none_or(|re| ctx.greeting.as_deref().is_some_and(|g| re.is_match(g)));
    ok.then(|| when.conditions() as u32)
}

/// The entries of `kind` that match, most specific first.
pub fn matches<'k>(
    kb: &'k Kb,
    kind: EntryKind,
    reply: &Reply,
    text: &str,
    ctx: &Context,
) -> Vec<(&'k Entry, i32)> {
    let mut found: Vec<(&Entry, i32)> = kb
        .candidates(reply.code)
        .filter(|e| e.kind == kind)
        .filter_map(|e| score(e, reply, text, ctx).map(|s| (e, s)))
        .collect();
    // Stable sort: equal scores keep load order.
    found.sort_by_key(|f| std::cmp::Reverse(f.1));
    found
}

/// Builds the explanation of a reply; the body of [`super::explain`].
pub fn explain_with(kb: &Kb, reply: &Reply, ctx: &Context) -> Explanation {
    let text = reply.text();
    let permanent = if reply.code == 0 {
        reply.enhanced.is_some_and(|e| e.class == 5)
    } else {
        (500..600).contains(&reply.code)
    };
    let code_meaning = codes::code_meaning(kb, reply.code);
    let enhanced_meaning = reply
        .enhanced
        .map(|e| codes::enhanced_meaning(kb, e, reply.code));
    let known = matches(kb, EntryKind::Known, reply, &text, ctx);
    let rules = matches(kb, EntryKind::Rule, reply, &text, ctx);
    // Context rules (those with conditions) add to whatever explains the reply; rules keyed on
    // codes alone only explain a reply no known message matched.
    let context_rules: Vec<&Entry> = rules
        .iter()
        .map(|(e, _)| *e)
        .filter(|e| e.when.conditions() > 0)
        .collect();

    let overriding = context_rules.iter().copied().find(|r| r.overrides);
    let primary: Option<(&Entry, Basis)> = match (overriding, known.first(), rules.first()) {
        (Some(r), _, _) => Some((r, Basis::Rule)),
        (None, Some((k, _)), _) => Some((k, Basis::KnownMessage)),
        (None, None, Some((r, _))) => Some((r, Basis::Rule)),
        (None, None, None) => None,
    };

    let mut exp = match primary {
        Some((entry, basis)) => Explanation {
            code: reply.code,
            enhanced: reply.enhanced,
            permanent,
            category: entry.category,
            summary: entry.summary.clone(),
            code_meaning,
            enhanced_meaning,
            cause: entry.cause.clone(),
            fix: entry.fix.clone(),
            matched: Some(entry.id.clone()),
            provider: entry.provider.clone(),
            source: Some(entry.source.clone()),
            basis,
            related: Vec::new(),
        },
        None => from_registry(kb, reply, permanent, code_meaning, enhanced_meaning),
    };

    if let Some((entry, _)) = primary {
        if entry.kind == EntryKind::Rule
            && let Some((k, _)) = known.first()
        {
            exp.related.push(k.id.clone());
        }
        for rule in context_rules.iter().filter(|r| r.id != entry.id) {
            exp.related.push(rule.id.clone());
            for f in &rule.fix {
                push_unique(&mut exp.fix, f);
            }
        }
    }
    for note in &kb.notes {
        if note.category == exp.category && note.permanent.is_none_or(|p| p == exp.permanent) {
            push_unique(&mut exp.fix, &note.fix);
        }
    }
    exp
}

/// The explanation when no known message or rule matched: the enhanced code's registry entry,
/// else the basic code, else the class alone.
fn from_registry(
    kb: &Kb,
    reply: &Reply,
    permanent: bool,
    code_meaning: String,
    enhanced_meaning: Option<String>,
) -> Explanation {
    let base = Explanation {
        code: reply.code,
        enhanced: reply.enhanced,
        permanent,
        category: Category::Other,
        summary: String::new(),
        code_meaning,
        enhanced_meaning,
        cause: String::new(),
        fix: Vec::new(),
        matched: None,
        provider: None,
        source: None,
        basis: Basis::Class,
        related: Vec::new(),
    };
    let detail = reply.enhanced.and_then(|e| codes::detail(kb, e));
    if let Some(d) = detail
        && let (Some(category), Some(summary), Some(cause), Some(fix)) =
            (d.category, &d.summary, &d.cause, &d.fix)
    {
        return Explanation {
            category,
            summary: summary.clone(),
            cause: cause.clone(),
            fix: fix.clone(),
            source: Some(d.rfc.clone()),
            basis: Basis::EnhancedCode,
            ..base
        };
    }
    if let Some(b) = codes::basic(kb, reply.code) {
        return Explanation {
            category: b.category,
            summary: b.summary.clone(),
            cause: b.cause.clone(),
            fix: b.fix.clone(),
            source: Some(b.source.clone()),
            basis: Basis::BasicCode,
            ..base
        };
    }
    let class = if reply.code != 0 {
        (reply.code / 100) as u8
    } else {
        reply.enhanced.map(|e| e.class).unwrap_or(0)
    };
    let (summary, cause, fix) = match class {
        2 | 3 => (
            "the server accepted the command (an unregistered success code)",
            "servers may use codes the standards do not define; the first digit says it worked",
            vec!["Nothing to fix; carry on with the next command."],
        ),
        4 => (
            "the server refused for now, with a code the standards do not define",
            "a temporary condition on the server (load, policy, a lookup that failed); the text \
             is the only explanation the server gives",
            vec![
                "Retry later: a transient failure (RFC 5321 §4.2.1) usually clears by itself.",
                "If it keeps happening, show the full reply to the receiving domain's postmaster.",
            ],
        ),
        5 => (
            "the server refused permanently, with a code the standards do not define",
            "a permanent refusal whose reason only the server's text gives",
            vec![
                "Do not retry unchanged: the same message will be refused again.",
                "Read the server's text for the reason, and if it is unclear show the full reply \
                 to the receiving domain's postmaster.",
            ],
        ),
        _ => (
            "a reply that is not a valid SMTP reply code",
            "the server (or whatever answered on this port) does not speak SMTP as RFC 5321 \
             §4.2 defines it",
            vec!["Check that the host and port are an SMTP server."],
        ),
    };
    Explanation {
        summary: summary.into(),
        cause: cause.into(),
        fix: fix.into_iter().map(String::from).collect(),
        source: Some("RFC 5321 §4.2.1; RFC 3463 §3.1".into()),
        ..base
    }
}

/// Builds the explanation of a symptom (no reply); the body of [`super::explain_symptom`].
pub fn explain_symptom_with(kb: &Kb, symptom: &str, ctx: &Context) -> Explanation {
    let best = kb
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Symptom && e.symptom.as_deref() == Some(symptom))
        .filter_map(|e| when_holds(&e.when, ctx).map(|s| (e, s)))
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.order.cmp(&a.0.order)))
        .map(|(e, _)| e);
    let mut exp = Explanation {
        code: 0,
        enhanced: None,
        permanent: false,
        category: Category::Other,
        summary: format!("{symptom}: no SMTP reply to explain"),
        code_meaning: "no reply was received".into(),
        enhanced_meaning: None,
        cause: "the connection did not behave like SMTP".into(),
        fix: vec!["Check the host, the port and the encryption mode.".into()],
        matched: None,
        provider: None,
        source: None,
        basis: Basis::Rule,
        related: Vec::new(),
    };
    if let Some(e) = best {
        exp.category = e.category;
        exp.summary = e.summary.clone();
        exp.cause = e.cause.clone();
        exp.fix = e.fix.clone();
        exp.matched = Some(e.id.clone());
        exp.source = Some(e.source.clone());
    }
    exp
}

/// The symptom whose pattern occurs in `text` (for pasted error messages), if any.
pub fn symptom_in_text<'k>(kb: &'k Kb, text: &str) -> Option<&'k str> {
    kb.entries
        .iter()
        .filter(|e| e.kind == EntryKind::Symptom)
        .find(|e| e.pattern.as_ref().is_some_and(|re| re.is_match(text)))
        .and_then(|e| e.symptom.as_deref())
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|f| f == item) {
        list.push(item.to_string());
    }
}
