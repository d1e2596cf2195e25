//! The human form of a check: with `-v` each probe's transcript (SPEC.md markers), then the
//! summary table (host × address × port: state, TLS, certificate, AUTH, time), the findings
//! grouped by severity with explanations and fixes, and the verdict. Generic over `W: Write`
//! so it is unit tested; every piece of server or DNS text is sanitised here.

use super::catalog::Severity;
use super::findings::Finding;
use super::plan::Role;
use super::probe::{ProbeReport, State, TlsReport};
use super::report::TargetReport;
use crate::net::tls::CertProblem;
use crate::report::Observer;
use crate::report::human::{HumanOptions, HumanRenderer};
use crate::sanitize::sanitize;
use std::io::{self, Write};

/// Output options (from the global flags).
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    pub color: bool,
    pub verbose: u8,
    pub quiet: bool,
    pub show_crlf: bool,
}

const WIDTH: usize = 100;
/// Longest table cell; longer text is cut with an ellipsis.
const CELL_MAX: usize = 40;

/// Writes one target's transcripts (with `-v`), table and findings; and its verdict when asked.
pub fn target<W: Write>(
    w: &mut W,
    t: &TargetReport,
    opts: RenderOptions,
    verdict: bool,
) -> io::Result<()> {
    if opts.verbose > 0 && !opts.quiet {
        transcripts(w, &t.probes, opts)?;
    }
    if !opts.quiet && !t.probes.is_empty() {
        writeln!(w)?;
        table(w, &t.probes, opts)?;
    }
    findings(w, &t.findings, opts)?;
    if verdict {
        let (marker, style) = if t.exit_code == 0 {
            ("===", "\x1b[34m")
        } else {
            ("***", "\x1b[1;31m")
        };
        writeln!(w)?;
        line(
            w,
            opts,
            style,
            &format!("{marker} {}", sanitize(&t.verdict)),
        )?;
    }
    Ok(())
}

fn line<W: Write>(w: &mut W, opts: RenderOptions, style: &str, text: &str) -> io::Result<()> {
    if opts.color && !style.is_empty() {
        writeln!(w, "{style}{text}\x1b[0m")
    } else {
        writeln!(w, "{text}")
    }
}

/// Each probe's transcript, in probe order, through the transcript renderer.
fn transcripts<W: Write>(w: &mut W, probes: &[ProbeReport], opts: RenderOptions) -> io::Result<()> {
    for p in probes {
        writeln!(w)?;
        line(
            w,
            opts,
            "\x1b[1m",
            &format!("=== Probe {} ({})", sanitize(&p.id), p.role.as_str()),
        )?;
        let mut r = HumanRenderer::new(
            &mut *w,
            HumanOptions {
                color: opts.color,
                show_crlf: opts.show_crlf,
                verbose: opts.verbose,
                quiet: false,
            },
        );
        for e in &p.events {
            r.event(e.clone());
        }
    }
    Ok(())
}

fn cut(s: &str) -> String {
    let s = sanitize(s);
    if s.chars().count() <= CELL_MAX {
        s
    } else {
        let mut out: String = s.chars().take(CELL_MAX - 1).collect();
        out.push('…');
        out
    }
}

fn short_version(v: &str) -> String {
    v.replace("unknown", "TLS (version unknown)")
}

fn tls_cell(p: &ProbeReport) -> String {
    if let Some(t) = &p.tls {
        return match (&t.version, t.established) {
            (Some(v), true) => short_version(v),
            _ if t.timed_out => "timed out".into(),
            _ => "failed".into(),
        };
    }
    match &p.starttls {
        Some(st) if !st.offered => "none".into(),
        Some(st) if st.reply.as_ref().is_some_and(|r| r.code != 220) => {
            format!(
                "refused ({})",
                st.reply.as_ref().map(|r| r.code).unwrap_or_default()
            )
        }
        _ => "-".into(),
    }
}

fn cert_cell(t: Option<&TlsReport>) -> String {
    let Some(t) = t else { return "-".into() };
    let Some(leaf) = t.leaf() else {
        return "-".into();
    };
    let mut cell = match t.cert_problem {
        None if t.verified => format!("valid, {} d", leaf.days_left),
        None => "not verified".into(),
        Some(CertProblem::Expired) => "EXPIRED".into(),
        Some(CertProblem::NotYetValid) => "not yet valid".into(),
        Some(CertProblem::Untrusted) => "untrusted".into(),
        Some(CertProblem::SelfSigned) => "self-signed".into(),
        Some(CertProblem::NameMismatch) => "wrong name".into(),
        Some(CertProblem::Revoked) => "revoked".into(),
        Some(CertProblem::Other) => "invalid".into(),
    };
    if t.cert_problem.is_some()
        && (0..super::findings::EXPIRY_WARNING_DAYS).contains(&leaf.days_left)
    {
        cell.push_str(&format!(", {} d", leaf.days_left));
    }
    cell
}

fn auth_cell(p: &ProbeReport) -> String {
    match (&p.auth_before_tls, &p.auth_after_tls) {
        (Some(before), _) if !before.is_empty() => format!("{} (plaintext!)", before.join(" ")),
        (_, Some(after)) if !after.is_empty() => after.join(" "),
        (_, Some(_)) => "none".into(),
        _ => "-".into(),
    }
}

fn state_cell(p: &ProbeReport) -> String {
    match p.state {
        State::GreetingRefused => format!(
            "greeting {}",
            p.greeting
                .as_ref()
                .map(|g| g.reply.code)
                .unwrap_or_default()
        ),
        State::EhloRefused => "ehlo refused".into(),
        s => s.as_str().into(),
    }
}

fn time_cell(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// The summary table.
pub fn table<W: Write>(w: &mut W, probes: &[ProbeReport], opts: RenderOptions) -> io::Result<()> {
    let header = [
        "HOST",
        "ADDRESS",
        "PORT",
        "STATE",
        "TLS",
        "CERTIFICATE",
        "AUTH",
        "TIME",
    ]
    .map(String::from);
    let rows: Vec<[String; 8]> = probes
        .iter()
        .map(|p| {
            [
                cut(&p.host),
                cut(&p.address),
                format!("{}/{}", p.port, p.role.as_str()),
                state_cell(p),
                tls_cell(p),
                cert_cell(p.tls.as_ref()),
                cut(&auth_cell(p)),
                time_cell(p.elapsed_ms),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let format_row = |row: &[String; 8]| {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        cells.join("  ").trim_end().to_string()
    };
    line(w, opts, "\x1b[1m", &format_row(&header))?;
    for (row, p) in rows.iter().zip(probes) {
        let style = if p.state == State::Ok {
            ""
        } else if p.reached() {
            "\x1b[33m"
        } else {
            "\x1b[2m"
        };
        line(w, opts, style, &format_row(row))?;
    }
    Ok(())
}

/// Word-wraps `text` to `width` columns.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// Writes `label` then `text` wrapped, continuation lines indented under the text.
fn labelled<W: Write>(
    w: &mut W,
    opts: RenderOptions,
    style: &str,
    indent: usize,
    label: &str,
    text: &str,
) -> io::Result<()> {
    let first = format!("{}{label}", " ".repeat(indent));
    hanging(w, opts, style, &first, first.chars().count(), text)
}

/// Writes `lead` then `text` wrapped to [`WIDTH`], continuation lines indented by `hang`.
fn hanging<W: Write>(
    w: &mut W,
    opts: RenderOptions,
    style: &str,
    lead: &str,
    hang: usize,
    text: &str,
) -> io::Result<()> {
    let pad = " ".repeat(hang);
    let mut rest = sanitize(text);
    let mut first = true;
    while first || !rest.is_empty() {
        let start = if first { lead } else { pad.as_str() };
        let room = WIDTH.saturating_sub(start.chars().count()).max(30);
        let lines = wrap(&rest, room);
        let head = lines.first().cloned().unwrap_or_default();
        line(w, opts, style, &format!("{start}{head}"))?;
        rest = lines.get(1..).map(|l| l.join(" ")).unwrap_or_default();
        first = false;
    }
    Ok(())
}

/// The findings, grouped by severity; identical findings at several places are shown once
/// with every place listed.
pub fn findings<W: Write>(w: &mut W, all: &[Finding], opts: RenderOptions) -> io::Result<()> {
    let shown: Vec<&Finding> = all
        .iter()
        .filter(|f| !opts.quiet || f.severity == Severity::Error)
        .collect();
    let counts = super::report::Counts::of(all);
    writeln!(w)?;
    if all.is_empty() {
        return line(w, opts, "\x1b[32m", "Findings: none.");
    }
    line(
        w,
        opts,
        "\x1b[1m",
        &format!("Findings: {}", counts.phrase()),
    )?;
    // Group by (severity, id, summary), in order of first appearance.
    let mut groups: Vec<(&Finding, Vec<String>)> = Vec::new();
    for f in shown {
        let place = f.location();
        match groups
            .iter_mut()
            .find(|(g, _)| g.severity == f.severity && g.id == f.id && g.summary == f.summary)
        {
            Some((_, places)) => places.extend(place),
            None => groups.push((f, place.into_iter().collect())),
        }
    }
    for (f, places) in groups {
        let (label, style) = match f.severity {
            Severity::Error => ("ERROR", "\x1b[1;31m"),
            Severity::Warning => ("WARN", "\x1b[33m"),
            Severity::Info => ("INFO", "\x1b[34m"),
        };
        writeln!(w)?;
        hanging(
            w,
            opts,
            style,
            &format!("{label:<7} {}: ", f.id),
            8,
            &f.summary,
        )?;
        for (i, place) in places.iter().enumerate() {
            let label = if i == 0 { "at:  " } else { "     " };
            labelled(w, opts, "", 8, label, place)?;
        }
        if let Some(reply) = &f.reply {
            labelled(
                w,
                opts,
                "",
                8,
                "said: ",
                &format!("{} {}", reply.code, reply.text),
            )?;
            if let Some(exp) = &reply.explanation {
                let lines = if opts.verbose > 0 {
                    exp.full()
                } else {
                    vec![exp.one_line()]
                };
                for l in lines {
                    labelled(w, opts, "\x1b[33m", 8, "!!! ", &l)?;
                }
            }
        }
        labelled(w, opts, "", 8, "why: ", &f.explanation)?;
        for fix in &f.fix {
            labelled(w, opts, "", 8, "fix: ", fix)?;
        }
    }
    Ok(())
}

/// A probe's one-word outcome, for the progress display.
pub fn outcome(p: &ProbeReport) -> String {
    let mut s = state_cell(p);
    if p.role != Role::Tls && p.tls.as_ref().is_some_and(|t| t.established) {
        s.push_str(", TLS");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_whole() {
        let lines = wrap("aaa bbb ccc ddd", 8);
        assert_eq!(lines, vec!["aaa bbb", "ccc ddd"]);
        assert_eq!(wrap("", 10), vec![""]);
        assert_eq!(
            wrap("averyveryverylongword x", 5),
            vec!["averyveryverylongword", "x"]
        );
    }

    #[test]
    fn cells_are_sanitised_and_cut() {
        assert_eq!(cut("a\x1b[31mb"), "a\\x1b[31mb");
        let long = "x".repeat(100);
        assert_eq!(cut(&long).chars().count(), CELL_MAX);
    }

    #[test]
    fn times_read_well() {
        assert_eq!(time_cell(12), "12 ms");
        assert_eq!(time_cell(2100), "2.1 s");
    }
}

#[cfg(test)]
mod report_tests {
    use super::*;
    use crate::check::discovery::tests::{ip, two_mx};
    use crate::check::discovery::{ProbeSpec, Source, discover_domain};
    use crate::check::findings::{self, Ctx};
    use crate::dns::Family;

    fn report() -> TargetReport {
        let d = discover_domain(&two_mx(), "example.test", Family::Any);
        let probes: Vec<ProbeReport> = ["mx1.example.test", "mx2.example.test"]
            .iter()
            .zip(["192.0.2.1", "192.0.2.2"])
            .map(|(host, addr)| {
                let spec = ProbeSpec {
                    id: format!("{host} [{addr}]:25"),
                    host: host.to_string(),
                    address: std::net::SocketAddr::new(ip(addr), 25),
                    role: Role::Smtp,
                    source: Source::Mx,
                    sni: host.to_string(),
                };
                let mut p = ProbeReport::new(&spec);
                p.connect_ms = Some(0);
                p.connect_failure = Some("refused");
                p.state = State::Refused;
                p
            })
            .collect();
        let ctx = Ctx {
            target: "example.test",
            insecure: false,
        };
        let f = findings::all(&d, &probes, ctx);
        TargetReport::new("example.test", d, probes, f, 3)
    }

    fn render(opts: RenderOptions) -> String {
        let mut out = Vec::new();
        target(&mut out, &report(), opts, true).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_summary_has_a_table_grouped_findings_and_a_verdict() {
        let text = render(RenderOptions::default());
        assert!(
            text.contains(
                "HOST              ADDRESS    PORT     STATE    TLS  CERTIFICATE  AUTH  TIME"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "mx1.example.test  192.0.2.1  25/smtp  refused  -    -            -     0 ms"
            ),
            "{text}"
        );
        assert!(
            text.contains("Findings: 1 error, 3 warnings, no notes"),
            "{text}"
        );
        assert!(
            text.contains(
                "ERROR   no-mx-reachable: no mail server accepted a connection on port 25"
            ),
            "{text}"
        );
        // The same refusal at two hosts is one finding listing both places.
        assert_eq!(
            text.matches("WARN    connect-refused:").count(),
            1,
            "{text}"
        );
        assert!(
            text.contains("at:  mx1.example.test [192.0.2.1]:25 (smtp)"),
            "{text}"
        );
        assert!(
            text.contains("     mx2.example.test [192.0.2.2]:25 (smtp)"),
            "{text}"
        );
        let last = text.lines().last().unwrap();
        assert!(
            last.starts_with("*** example.test cannot receive mail"),
            "{last}"
        );
        assert!(!text.contains('\x1b'));
        // Everything but the one-line verdict wraps at WIDTH.
        assert!(
            text.lines()
                .filter(|l| !l.starts_with("***"))
                .all(|l| l.chars().count() <= WIDTH),
            "{text}"
        );
    }

    #[test]
    fn quiet_shows_only_errors_and_colour_only_when_asked() {
        let quiet = render(RenderOptions {
            quiet: true,
            ..Default::default()
        });
        assert!(!quiet.contains("HOST"), "{quiet}");
        assert!(
            quiet.contains("no-mx-reachable") && !quiet.contains("connect-refused:"),
            "{quiet}"
        );
        let color = render(RenderOptions {
            color: true,
            ..Default::default()
        });
        assert!(color.contains("\x1b[1;31mERROR"), "{color}");
    }
}
