//! The report: per target, what discovery found, every probe, every finding, the verdict and
//! the exit code; and the whole check across targets. This is the `report` object of the final
//! JSON `result` event; its field names are a public interface (README.md, section "check").

use super::catalog::Severity;
use super::discovery::{Discovery, Source};
use super::findings::Finding;
use super::plan::Role;
use super::probe::{ProbeError, ProbeReport};
use crate::exit;
use serde::Serialize;

/// Findings by severity.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
}

impl Counts {
    pub fn of(findings: &[Finding]) -> Counts {
        let mut c = Counts::default();
        for f in findings {
            match f.severity {
                Severity::Error => c.error += 1,
                Severity::Warning => c.warning += 1,
                Severity::Info => c.info += 1,
            }
        }
        c
    }

    fn add(&mut self, other: Counts) {
        self.error += other.error;
        self.warning += other.warning;
        self.info += other.info;
    }

    /// `1 error, 2 warnings, no information` style.
    pub fn phrase(&self) -> String {
        let n = |count: usize, one: &str, many: &str| match count {
            0 => format!("no {many}"),
            1 => format!("1 {one}"),
            c => format!("{c} {many}"),
        };
        format!(
            "{}, {}, {}",
            n(self.error, "error", "errors"),
            n(self.warning, "warning", "warnings"),
            n(self.info, "note", "notes")
        )
    }
}

/// Everything about one TARGET.
#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    /// The TARGET as given.
    pub target: String,
    #[serde(flatten)]
    pub discovery: Discovery,
    /// The DNS error that stopped the check before any probe (exit 3).
    pub error: Option<ProbeError>,
    pub probes: Vec<ProbeReport>,
    pub findings: Vec<Finding>,
    pub counts: Counts,
    /// Whether an MX host accepted an SMTP session on an smtp port (null when none was probed).
    pub can_receive: Option<bool>,
    pub verdict: String,
    pub exit_code: u8,
    pub elapsed_ms: u64,
}

impl TargetReport {
    pub fn new(
        target: &str,
        discovery: Discovery,
        probes: Vec<ProbeReport>,
        findings: Vec<Finding>,
        elapsed_ms: u64,
    ) -> TargetReport {
        let counts = Counts::of(&findings);
        let error = discovery.error.as_ref().map(ProbeError::from);
        let smtp: Vec<&ProbeReport> = probes
            .iter()
            .filter(|p| p.role == Role::Smtp && p.source != Source::Srv)
            .collect();
        let can_receive = if discovery.error.is_some() {
            Some(false)
        } else if smtp.is_empty() {
            None
        } else {
            Some(smtp.iter().any(|p| p.accepted()))
        };
        // SPEC.md exit codes: the DNS failure's own code; 4 when nothing could be connected
        // to at all; 1 when a finding is an error; 0 otherwise.
        let exit_code = if let Some(e) = &discovery.error {
            e.exit_code()
        } else if !probes.is_empty() && !probes.iter().any(ProbeReport::reached) {
            exit::CONNECT
        } else if counts.error > 0 {
            exit::CHECK_FAILED
        } else {
            exit::SUCCESS
        };
        let verdict = verdict(target, &discovery, &smtp, can_receive, counts, exit_code);
        TargetReport {
            target: target.to_string(),
            discovery,
            error,
            probes,
            findings,
            counts,
            can_receive,
            verdict,
            exit_code,
            elapsed_ms,
        }
    }
}

fn verdict(
    target: &str,
    d: &Discovery,
    smtp: &[&ProbeReport],
    can_receive: Option<bool>,
    counts: Counts,
    exit_code: u8,
) -> String {
    let name = d.domain.as_deref().unwrap_or(target);
    if let Some(e) = &d.error {
        return format!(
            "{name} cannot receive mail: {} (exit {exit_code})",
            e.message
        );
    }
    let mut hosts: Vec<&str> = smtp.iter().map(|p| p.host.as_str()).collect();
    hosts.dedup();
    let mut ok_hosts: Vec<&str> = smtp
        .iter()
        .filter(|p| p.accepted())
        .map(|p| p.host.as_str())
        .collect();
    ok_hosts.dedup();
    let problems = counts.phrase();
    match can_receive {
        Some(true) => format!(
            "{name} can receive mail: {} of {} mail servers accept SMTP sessions; {problems} (exit {exit_code})",
            ok_hosts.len(),
            hosts.len()
        ),
        Some(false) => format!(
            "{name} cannot receive mail: none of its {} mail servers accepts an SMTP session; {problems} (exit {exit_code})",
            hosts.len()
        ),
        None => format!("{name}: {problems} (exit {exit_code})"),
    }
}

/// The whole check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub targets: Vec<TargetReport>,
    /// Every target's findings, in one list (each names its `target`).
    pub findings: Vec<Finding>,
    pub counts: Counts,
    pub verdict: String,
    pub exit_code: u8,
}

impl CheckReport {
    pub fn new(targets: Vec<TargetReport>) -> CheckReport {
        let findings: Vec<Finding> = targets
            .iter()
            .flat_map(|t| t.findings.iter().cloned())
            .collect();
        let mut counts = Counts::default();
        for t in &targets {
            counts.add(t.counts);
        }
        // Several targets: the first failing target's code (in the order given).
        let exit_code = targets
            .iter()
            .map(|t| t.exit_code)
            .find(|&c| c != exit::SUCCESS)
            .unwrap_or(exit::SUCCESS);
        let verdict = match targets.as_slice() {
            [one] => one.verdict.clone(),
            many => {
                let failed = many.iter().filter(|t| t.exit_code != exit::SUCCESS).count();
                format!(
                    "{} targets checked, {failed} with problems; {} (exit {exit_code})",
                    many.len(),
                    counts.phrase()
                )
            }
        };
        CheckReport {
            targets,
            findings,
            counts,
            verdict,
            exit_code,
        }
    }
}
