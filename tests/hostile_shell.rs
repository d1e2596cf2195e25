//! `shell` scripts against servers that misbehave on purpose (issue 6): the right exit code,
//! within the deadline plus a small grace, nothing sent that should not be, and nothing raw
//! from the server in the output.

mod common;
mod support;

use common::*;
use std::time::{Duration, Instant};
use support::{CertKind, Malformed, Misbehave, SmtpServer, Step, TestCerts};

const TRANSACTION: &str = "EHLO me.example\nMAIL FROM:<a@me.example>\nRCPT TO:<b@example.test>\n/data\nSubject: hostile\n\nBODY-MARKER\n.\nQUIT\n";

struct Run {
    code: i32,
    elapsed: Duration,
    out: String,
}

fn run(srv: &SmtpServer, script: &str, extra: &[&str]) -> Run {
    let ca = TestCerts::get().ca_file().display().to_string();
    let start = Instant::now();
    let out = smtp_doctor()
        .args([
            "shell",
            &srv.arg(),
            "--sni",
            "localhost",
            "--ca-file",
            &ca,
            "--timeout",
            "1.5",
        ])
        .args(extra)
        .write_stdin(script)
        .output()
        .unwrap();
    let elapsed = start.elapsed();
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains("panicked"), "panic: {all}");
    for c in all.chars() {
        assert!(
            c == '\n' || !c.is_control(),
            "raw control {c:?} in output:\n{all}"
        );
    }
    Run {
        code: out.status.code().unwrap_or(-1),
        elapsed,
        out: all,
    }
}

fn check(name: &str, r: &Run, code: i32, limit: f64) {
    assert_eq!(r.code, code, "{name}: exit code\n{}", r.out);
    assert!(
        r.elapsed.as_secs_f64() < limit,
        "{name}: took {:?}",
        r.elapsed
    );
}

#[test]
fn stalling_servers_time_out_within_the_deadline() {
    for (name, m) in [
        ("silent", Misbehave::Silent),
        ("slow drip", Misbehave::SlowDrip(Duration::from_millis(100))),
        ("never reads", Misbehave::NeverRead),
    ] {
        let srv = SmtpServer::builder().misbehave(m).start();
        let r = run(&srv, TRANSACTION, &[]);
        check(name, &r, 10, 5.0);
        assert!(
            !String::from_utf8_lossy(&srv.received()).contains("BODY-MARKER"),
            "{name}: body sent"
        );
    }
}

#[test]
fn oversized_and_malformed_replies_are_protocol_errors() {
    for (name, m) in [
        ("endless multiline", Misbehave::EndlessMultiline),
        ("10 MB line", Misbehave::HugeLine),
        ("huge EHLO", Misbehave::HugeEhlo),
        (
            "non-digit greeting",
            Misbehave::Malformed(Step::Greeting, Malformed::NonDigitCode),
        ),
        (
            "two-digit MAIL reply",
            Misbehave::Malformed(Step::cmd("MAIL"), Malformed::TwoDigitCode),
        ),
        (
            "empty line to RCPT",
            Misbehave::Malformed(Step::cmd("RCPT"), Malformed::EmptyLine),
        ),
        ("mixed codes", Misbehave::MixedCodes(Step::cmd("EHLO"))),
        ("reset after EHLO", Misbehave::ResetAfterEhlo),
    ] {
        let srv = SmtpServer::builder().misbehave(m).start();
        let r = run(&srv, TRANSACTION, &[]);
        check(name, &r, 9, 8.0);
        assert!(
            !String::from_utf8_lossy(&srv.received()).contains("BODY-MARKER"),
            "{name}: body sent after garbage"
        );
    }
}

#[test]
fn close_during_data_is_a_protocol_error() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::CloseDuringData)
        .start();
    let r = run(&srv, TRANSACTION, &[]);
    check("close during data", &r, 9, 5.0);
    assert!(srv.messages().is_empty());
}

#[test]
fn premature_250_after_354_keeps_the_body() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::PrematureDataOk)
        .start();
    let r = run(&srv, TRANSACTION, &[]);
    check("354 then 250", &r, 9, 5.0);
    assert!(
        !String::from_utf8_lossy(&srv.received()).contains("BODY-MARKER"),
        "body sent after a premature 250"
    );
}

#[test]
fn garbage_greeting_is_shown_escaped() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::GarbageGreeting)
        .start();
    let r = run(&srv, "QUIT\n", &[]);
    check("garbage greeting", &r, 0, 5.0);
    assert!(r.out.contains("\\x1b]0;pwned\\x07"), "{}", r.out);
}

#[test]
fn starttls_attacks_stop_the_script_before_credentials() {
    let script =
        "EHLO me.example\n/starttls\n/auth PLAIN u secret-pw\nMAIL FROM:<a@me.example>\nQUIT\n";
    for (name, m, code) in [
        ("454 to STARTTLS", Misbehave::Starttls454, 5),
        ("STARTTLS stripped", Misbehave::StripStarttls, 5),
        ("handshake stall", Misbehave::TlsStall, 10),
    ] {
        let srv = SmtpServer::builder()
            .starttls(CertKind::Valid)
            .auth_credentials("u", "secret-pw")
            .misbehave(m)
            .start();
        let r = run(&srv, script, &[]);
        check(name, &r, code, 6.0);
        let cmds = srv.commands();
        assert!(
            !cmds
                .iter()
                .any(|c| c.to_ascii_uppercase().starts_with("AUTH") || c.starts_with("MAIL")),
            "{name}: {cmds:?}"
        );
        assert!(!r.out.contains("secret-pw"), "{name}: password shown");
    }
}

#[test]
fn starttls_injection_is_discarded_and_reported() {
    let srv = SmtpServer::builder()
        .starttls(CertKind::Valid)
        .misbehave(Misbehave::StarttlsInjection)
        .start();
    let r = run(&srv, "EHLO me.example\n/starttls\n/expect 250\nQUIT\n", &[]);
    check("injection", &r, 0, 5.0);
    assert!(r.out.contains("discarded"), "{}", r.out);
}

#[test]
fn implicit_tls_stall_times_out() {
    let srv = SmtpServer::builder()
        .implicit_tls(CertKind::Valid)
        .misbehave(Misbehave::ImplicitTlsStall)
        .start();
    let r = run(&srv, "QUIT\n", &["--tls"]);
    check("implicit stall", &r, 10, 5.0);
}

#[test]
fn auth_offered_in_plaintext_is_refused() {
    let srv = SmtpServer::builder()
        .auth_credentials("u", "secret-pw")
        .misbehave(Misbehave::AuthOnPlaintext)
        .start();
    let r = run(
        &srv,
        "EHLO me.example\n/auth PLAIN u secret-pw\nQUIT\n",
        &[],
    );
    check("plaintext auth", &r, 6, 5.0);
    assert!(!String::from_utf8_lossy(&srv.received()).contains("secret-pw"));
    assert!(
        !srv.commands()
            .iter()
            .any(|c| c.to_ascii_uppercase().starts_with("AUTH"))
    );
}

#[test]
fn unsolicited_reply_stops_a_script_with_a_protocol_error() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::Unsolicited(Step::Greeting))
        .start();
    let r = run(&srv, TRANSACTION, &[]);
    check("unsolicited after greeting", &r, 9, 5.0);
    // Only the closing QUIT: no EHLO went out to be "answered" by the surprise.
    assert!(
        srv.commands().iter().all(|c| c == "QUIT"),
        "the surprise must not be taken as the reply to EHLO: {:?}",
        srv.commands()
    );
}
