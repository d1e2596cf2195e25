//! `smtp-doctor check`: the one-shot diagnosis of a domain's mail servers (issue 3).
//!
//! The plan ([`plan`]) is validated first; then, for each target, [`discovery`] asks DNS
//! where mail goes, [`pool`] runs one [`probe`] per host address and port concurrently, and
//! [`findings`] turns what they saw into findings (texts in [`catalog`]). [`report`] holds
//! the result and picks the exit code; [`render`] writes the human form, and events (JSON
//! Lines or the transcript renderer) go through the usual [`Observer`]. Nothing here prints
//! directly except through those writers.

pub mod catalog;
pub mod discovery;
pub mod findings;
pub mod plan;
pub mod pool;
pub mod probe;
pub mod progress;
pub mod render;
pub mod report;

use crate::cli::{CheckArgs, GlobalArgs};
use crate::dns::Dns;
use crate::error::Result;
use crate::report::{Event, MxEntry, Observer};
use crate::sanitize::sanitize;
use discovery::{Discovery, Resolver};
use findings::Ctx;
use plan::{Plan, Target};
use probe::{ProbeObserver, ProbeReport};
use progress::Progress;
use report::{CheckReport, TargetReport};
use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// How the check talks to the user.
struct Output {
    obs: Box<dyn Observer>,
    json: bool,
    verbose: u8,
    progress: bool,
    render: render::RenderOptions,
}

/// Runs `check`; returns the exit code.
pub fn run(args: &CheckArgs, global: &GlobalArgs) -> u8 {
    let mut out = Output {
        obs: crate::output::stdout_observer(global),
        json: global.json,
        verbose: global.verbose,
        progress: !global.json && !global.quiet && std::io::stdout().is_terminal(),
        render: render::RenderOptions {
            color: crate::output::use_color(global),
            verbose: global.verbose,
            quiet: global.quiet,
            show_crlf: global.show_crlf,
        },
    };
    let plan = match Plan::new(args, global) {
        Ok(p) => p,
        Err(e) => {
            out.obs.event(Event::error(&e));
            return e.exit_code();
        }
    };
    if plan.tls.insecure {
        out.obs.event(Event::warning(
            "--insecure: certificate problems are still reported, but as warnings that do not fail the check",
        ));
    }
    // hickory's timeout is per query (with a retry); DNS answers in well under the SMTP step
    // deadline, so it is capped to keep a dead resolver from stalling the whole check.
    let dns = Dns::new(plan.dns_server, plan.timeout.min(Duration::from_secs(10)));
    let several = plan.targets.len() > 1;
    let mut targets = Vec::new();
    for target in &plan.targets {
        if several {
            out.obs
                .event(Event::info(format!("checking {}", target.input())));
        }
        let report = check_target(&plan, target, &dns, global, &mut out);
        if !out.json {
            // Each target's summary right after its probes; with one target the verdict is
            // the final result line.
            print_summary(&report, out.render, several);
        }
        targets.push(report);
    }
    let report = CheckReport::new(targets);
    finish(&report, &mut out)
}

/// Discovery, probes and findings for one target.
fn check_target(
    plan: &Plan,
    target: &Target,
    dns: &Result<Dns>,
    global: &GlobalArgs,
    out: &mut Output,
) -> TargetReport {
    let start = Instant::now();
    let resolver: Option<&dyn Resolver> = dns.as_ref().ok().map(|d| d as &dyn Resolver);
    let d = match target {
        Target::Domain { domain, .. } => match dns {
            Ok(dns) => discovery::discover_domain(dns, domain, plan.family),
            Err(e) => Discovery::failed(domain, e.clone()),
        },
        Target::Server { host, .. } => {
            // The system resolver (and /etc/hosts) for the server's name unless --dns-server,
            // exactly as `send --server` does.
            let cache = RefCell::new(None);
            let lookup = |h: &str| -> Result<Vec<IpAddr>> {
                crate::connect::host_addresses(h, 25, plan.family, &mut cache.borrow_mut(), global)
                    .map(|addrs| addrs.into_iter().map(|a| a.ip()).collect())
            };
            discovery::discover_server(host, plan.family, &lookup, resolver)
        }
    };
    narrate_discovery(&d, out);
    let ctx = Ctx {
        target: target.input(),
        insecure: plan.tls.insecure,
    };
    let probes = match &d.error {
        Some(e) => {
            out.obs.event(Event::error(e));
            vec![]
        }
        None => run_probes(plan, &d, target.input(), out),
    };
    let findings = findings::all(&d, &probes, ctx);
    if out.json {
        for f in &findings {
            out.obs.event(Event::Finding { data: to_map(f) });
        }
    }
    TargetReport::new(
        target.input(),
        d,
        probes,
        findings,
        start.elapsed().as_millis() as u64,
    )
}

/// Tells the user what discovery found (`resolve` and `info` events).
fn narrate_discovery(d: &Discovery, out: &mut Output) {
    if d.error.is_some() && d.hosts.is_empty() {
        return;
    }
    if let Some(domain) = &d.domain {
        out.obs.event(Event::Resolve {
            domain: domain.clone(),
            mx: d
                .hosts
                .iter()
                .map(|h| MxEntry {
                    preference: h.preference.unwrap_or(0),
                    host: h.host.clone(),
                })
                .collect(),
            implicit: d.implicit_mx,
        });
    }
    for h in &d.hosts {
        let addrs: Vec<String> = h.addresses.iter().map(IpAddr::to_string).collect();
        let mut text = format!(
            "{}: {}",
            h.host,
            if addrs.is_empty() {
                "no address".into()
            } else {
                addrs.join(", ")
            }
        );
        if let Some(c) = &h.cname {
            text.push_str(&format!(" (alias of {c})"));
        }
        out.obs.event(Event::info(text));
    }
    for s in &d.srv {
        out.obs.event(Event::info(format!(
            "SRV {}: {} {} {} {}",
            s.service, s.priority, s.weight, s.port, s.target
        )));
    }
    for a in &d.addresses {
        let ptr = if a.ptr.is_empty() {
            "no PTR".to_string()
        } else {
            format!("PTR {}", a.ptr.join(", "))
        };
        let confirmed = match a.fcrdns {
            Some(true) => ", forward-confirmed",
            Some(false) => ", NOT forward-confirmed",
            None => "",
        };
        out.obs
            .event(Event::info(format!("{}: {ptr}{confirmed}", a.address)));
    }
}

/// Runs every probe of a discovery, bounded by `--concurrency`.
fn run_probes(plan: &Plan, d: &Discovery, target: &str, out: &mut Output) -> Vec<ProbeReport> {
    let specs = discovery::probe_specs(d, &plan.ports, plan.sni.as_deref());
    out.obs.event(Event::info(format!(
        "probing {} host ports, {} at a time",
        specs.len(),
        plan.concurrency.min(specs.len()).max(1)
    )));
    let progress = out.progress.then(|| {
        let labels: Vec<String> = specs
            .iter()
            .map(|s| sanitize(&format!("{} {}", s.id, s.role.as_str())))
            .collect();
        Progress::new(&labels)
    });
    let (json, verbose) = (out.json, out.verbose);
    let obs = &mut out.obs;
    let probes = pool::run_bounded(
        &specs,
        plan.concurrency,
        |i, spec| {
            let stage = |msg: &str| {
                if let Some(p) = &progress {
                    p.stage(i, msg);
                }
            };
            let mut probe_obs = ProbeObserver::new(&stage);
            probe::run(spec, plan, &mut probe_obs)
        },
        |i, report| {
            if let Some(p) = &progress {
                p.done(i, &render::outcome(report));
            }
            if json {
                let mut data = to_map(report);
                data.insert("target".into(), target.into());
                if verbose > 0 {
                    let transcript: Vec<serde_json::Value> = report
                        .events
                        .iter()
                        .filter_map(|e| serde_json::to_value(e).ok())
                        .collect();
                    data.insert("transcript".into(), transcript.into());
                }
                obs.event(Event::Probe { data });
            }
        },
    );
    if let Some(p) = progress {
        p.clear();
    }
    probes
}

fn to_map<T: serde::Serialize>(value: &T) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

/// Writes a target's human summary (table, findings, and its verdict when asked) to stdout.
fn print_summary(report: &TargetReport, opts: render::RenderOptions, verdict: bool) {
    let mut buf = Vec::new();
    let _ = render::target(&mut buf, report, opts, verdict);
    let _ = writeln!(buf);
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) ends output quietly.
    let _ = stdout.write_all(&buf).and_then(|_| stdout.flush());
}

/// Emits the final `report` event; returns the exit code.
fn finish(report: &CheckReport, out: &mut Output) -> u8 {
    let ok = report.exit_code == crate::exit::SUCCESS;
    let marker = if ok { "===" } else { "***" };
    let mut data = serde_json::Map::new();
    data.insert("command".into(), "check".into());
    if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(report) {
        data.extend(fields);
    }
    out.obs.event(Event::Report {
        summary: vec![format!("{marker} {}", sanitize(&report.verdict))],
        ok,
        exit_code: report.exit_code,
        data,
    });
    report.exit_code
}
