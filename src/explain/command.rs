//! `smtp-doctor explain`: explains codes, reply lines, or pasted bounces and logs, offline.
//! The CLI calls [`run_command`] and prints nothing itself; all output goes to `out`.

use super::extract::{self, Found, What};
use super::{Context, Explanation, explain, explain_symptom, kb};
use crate::sanitize::sanitize;
use std::io::{self, Write};

/// The exit code when something was explained.
const EXIT_OK: u8 = 0;
/// The exit code when nothing explainable was given (a usage error, SPEC.md).
const EXIT_USAGE: u8 = 2;

/// Runs `smtp-doctor explain`. `args` are the REPLY arguments; `stdin_text` is read only when
/// there are none. Human output (or, with `json`, one JSON object per reply) goes to `out`.
/// Returns the process exit code: 0 when at least one reply or code was explained, 2 when
/// nothing explainable was given (the message saying so is written to `out`).
pub fn run_command(
    args: &[String],
    stdin_text: Option<&str>,
    json: bool,
    verbose: bool,
    out: &mut dyn Write,
) -> io::Result<u8> {
    let kb = kb::get();
    let mut found: Vec<Found> = Vec::new();
    let mut rejected: Vec<&str> = Vec::new();
    if args.is_empty() {
        if let Some(text) = stdin_text {
            found = extract::from_text(kb, text);
        }
    } else {
        for arg in args {
            let items = extract::from_argument(kb, arg);
            if items.is_empty() {
                rejected.push(arg);
            }
            for item in items {
                if !found.iter().any(|f| f.what == item.what) {
                    found.push(item);
                }
            }
        }
    }

    if !json {
        for arg in &rejected {
            writeln!(
                out,
                "*** not a reply code, enhanced code or reply line: \"{}\" (skipped)",
                sanitize(arg)
            )?;
        }
    }
    if found.is_empty() {
        let message = if args.is_empty() && stdin_text.is_none_or(|t| t.trim().is_empty()) {
            "nothing to explain: give a reply code (502), an enhanced code (5.5.2) or a reply \
             line as arguments, or paste a bounce message or a mail log on standard input"
        } else {
            "nothing to explain: no SMTP reply (like `550 5.1.1 ...`), DSN Diagnostic-Code or \
             Status field, or Postfix/Exim log line was found in the input"
        };
        if json {
            let obj = serde_json::json!({ "error": "nothing-to-explain", "message": message });
            writeln!(out, "{obj}")?;
        } else {
            writeln!(out, "*** {message}")?;
        }
        return Ok(EXIT_USAGE);
    }

    for (i, item) in found.iter().enumerate() {
        let exp = explanation_of(item);
        if json {
            writeln!(out, "{}", json_line(item, &exp))?;
        } else {
            if i > 0 {
                writeln!(out)?;
            }
            write_human(out, item, &exp, verbose)?;
        }
    }
    Ok(EXIT_OK)
}

fn explanation_of(item: &Found) -> Explanation {
    let ctx = Context {
        command: item.command.clone(),
        ..Context::default()
    };
    match &item.what {
        What::Reply(reply) => explain(reply, &ctx),
        What::Symptom(name) => {
            let symptom = match name.as_str() {
                "unexpected-close" => super::Symptom::UnexpectedClose,
                "not-smtp" => super::Symptom::NotSmtp,
                "greeting-timeout" => super::Symptom::GreetingTimeout,
                _ => super::Symptom::TlsWrongVersion,
            };
            explain_symptom(symptom, &ctx)
        }
    }
}

/// One JSON object: the explanation plus `input` (the reply as found), `origin` and `command`.
fn json_line(item: &Found, exp: &Explanation) -> String {
    let mut value = serde_json::to_value(exp).unwrap_or_default();
    if let Some(obj) = value.as_object_mut() {
        obj.insert("input".into(), item.input.join("\n").into());
        obj.insert("origin".into(), item.origin.as_str().into());
        obj.insert("command".into(), item.command.clone().into());
        obj.insert("remote".into(), item.remote.clone().into());
    }
    value.to_string()
}

/// The human form: the reply as found, then the explanation, one labelled item per line.
fn write_human(
    out: &mut dyn Write,
    item: &Found,
    exp: &Explanation,
    verbose: bool,
) -> io::Result<()> {
    for line in &item.input {
        writeln!(out, "{}", sanitize(line))?;
    }
    let mut from = format!("from {}", item.origin.describe());
    if let Some(c) = &item.command {
        from.push_str(&format!(", in reply to {}", sanitize(c)));
    }
    if let Some(r) = &item.remote {
        from.push_str(&format!(", sent by {}", sanitize(r)));
    }
    writeln!(out, "    ({from})")?;
    let label = |out: &mut dyn Write, name: &str, value: &str| writeln!(out, "  {name:<9} {value}");
    label(out, "summary", &exp.one_line())?;
    if exp.code != 0 {
        label(out, "code", &format!("{}: {}", exp.code, exp.code_meaning))?;
    }
    if let (Some(e), Some(m)) = (exp.enhanced, &exp.enhanced_meaning) {
        label(out, "enhanced", &format!("{e}: {m}"))?;
    }
    label(out, "category", exp.category.as_str())?;
    if let Some(id) = &exp.matched {
        let mut m = id.clone();
        if let Some(p) = &exp.provider {
            m.push_str(&format!(" ({p})"));
        }
        label(out, "matched", &m)?;
    }
    if let Some(s) = &exp.source {
        label(out, "source", s)?;
    }
    label(out, "cause", &exp.cause)?;
    for (n, f) in exp.fix.iter().enumerate() {
        label(
            out,
            if n == 0 { "fix" } else { "" },
            &format!("{}. {f}", n + 1),
        )?;
    }
    if verbose {
        label(out, "basis", &format!("{:?}", exp.basis).to_lowercase())?;
        if !exp.related.is_empty() {
            label(out, "related", &exp.related.join(", "))?;
        }
        label(out, "permanent", if exp.permanent { "yes" } else { "no" })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str], stdin: Option<&str>, json: bool) -> (u8, String) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mut out = Vec::new();
        let code = run_command(&args, stdin, json, false, &mut out).unwrap();
        (code, String::from_utf8(out).unwrap())
    }

    #[test]
    fn a_code_argument_is_explained_and_exits_0() {
        let (code, out) = run(&["502"], None, false);
        assert_eq!(code, 0);
        assert!(out.starts_with("502\n"), "{out}");
        assert!(out.contains("not-implemented"), "{out}");
    }

    #[test]
    fn nothing_explainable_exits_2_with_a_message() {
        let (code, out) = run(&[], None, false);
        assert_eq!(code, 2);
        assert!(out.contains("nothing to explain"));
        let (code, out) = run(&[], Some("hello world\n"), true);
        assert_eq!(code, 2);
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["error"], "nothing-to-explain");
        let (code, out) = run(&["bogus"], None, false);
        assert_eq!(code, 2);
        assert!(out.contains("\"bogus\" (skipped)"));
    }

    #[test]
    fn json_has_one_object_per_reply_with_the_spec_fields() {
        let log = "status=bounced (host mx[192.0.2.1] said: 550 5.1.1 <a@b.example>: Recipient address rejected: \
                   User unknown in local recipient table (in reply to RCPT TO command))\n\
                   SMTP error from remote mail server after RCPT TO:<c@d.example>: 550 Unrouteable address\n";
        let (code, out) = run(&[], Some(log), true);
        assert_eq!(code, 0);
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        for v in &lines {
            for field in [
                "code",
                "enhanced",
                "permanent",
                "category",
                "summary",
                "cause",
                "fix",
                "matched",
                "input",
            ] {
                assert!(v.get(field).is_some(), "{field} missing in {v}");
            }
            assert!(v["fix"].is_array());
        }
        assert_eq!(lines[0]["code"], 550);
        assert_eq!(lines[0]["enhanced"], "5.1.1");
        assert_eq!(lines[0]["category"], "mailbox-unknown");
        assert_eq!(lines[0]["command"], "RCPT");
        assert_eq!(lines[1]["matched"], "exim.unrouteable-address");
    }

    #[test]
    fn echoed_input_is_printable_safe() {
        let (code, out) = run(&["550 5.7.1 \x1b]0;pwned\x07 go away"], None, false);
        assert_eq!(code, 0);
        assert!(!out.contains('\x1b'));
        assert!(out.contains("\\x1b]0;pwned\\x07"));
    }

    #[test]
    fn duplicate_arguments_are_explained_once() {
        let (_, out) = run(&["5.5.2", "5.5.2"], None, true);
        assert_eq!(out.lines().count(), 1);
    }
}
