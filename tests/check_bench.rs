//! The speed benchmark of issue 3, not a test: 2 MX hosts × 3 ports, every greeting delayed by
//! 2 s. A sequential tool needs over 12 s; `check` probes concurrently and should take a little
//! over 2 s. It prints the figure and asserts nothing about time (run it explicitly):
//!
//! ```sh
//! cargo test --release --test check_bench -- --ignored --nocapture
//! ```

mod check_helpers;
mod common;
mod support;

use check_helpers::{check, port, server, zone};
use std::time::{Duration, Instant};
use support::CertKind;

#[test]
#[ignore = "benchmark: prints the wall time of a check with slow greetings"]
fn bench_two_mx_three_ports_with_2s_greeting_delays() {
    let delay = Duration::from_secs(2);
    let smtp = server()
        .starttls(CertKind::Valid)
        .greeting_delay(delay)
        .start();
    let sub = server()
        .starttls(CertKind::Valid)
        .auth_credentials("u", "p")
        .greeting_delay(delay)
        .start();
    let tls = server()
        .implicit_tls(CertKind::Valid)
        .auth_credentials("u", "p")
        .greeting_delay(delay)
        .start();
    let dns = zone().start();
    let ports = format!(
        "{},{},{}",
        port(&smtp, "smtp"),
        port(&sub, "submission"),
        port(&tls, "tls")
    );
    let mut figures = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        let run = check(&dns, &["test.example", "--ports", &ports]);
        let wall = start.elapsed();
        assert_eq!(run.probes().len(), 6);
        assert!(
            run.probes().iter().all(|p| p["state"] == "ok"),
            "{:?}",
            run.ids()
        );
        figures.push(wall);
    }
    let best = figures.iter().min().copied().unwrap_or_default();
    println!(
        "check_concurrency: 2 MX hosts x 3 ports, greetings delayed 2 s: {} (best of 3: {:.2} s; a sequential check needs > 12 s)",
        figures
            .iter()
            .map(|f| format!("{:.2} s", f.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", "),
        best.as_secs_f64()
    );
}
