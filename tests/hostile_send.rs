//! `send` against servers that misbehave on purpose (issue 6): every case ends with the right
//! exit code, within its deadline plus a small grace, sends nothing it should not, and lets
//! nothing raw from the server reach the output.

mod common;
mod support;

use common::*;
use std::time::{Duration, Instant};
use support::{CertKind, Malformed, Misbehave, Reply, SmtpServer, Step, TestCerts, Then};

/// What one run did.
struct Run {
    code: Option<i32>,
    elapsed: Duration,
    stdout: String,
    events: Vec<serde_json::Value>,
}

fn run(srv: &SmtpServer, extra: &[&str]) -> Run {
    let ca = TestCerts::get().ca_file().display().to_string();
    let mut args: Vec<String> = vec![
        "send".into(),
        "-s".into(),
        srv.arg(),
        "--sni".into(),
        "localhost".into(),
    ];
    args.extend(["--to", "user@example.test", "--ca-file", &ca].map(String::from));
    args.extend(extra.iter().map(|s| s.to_string()));
    let start = Instant::now();
    let human = smtp_doctor().args(&args).output().unwrap();
    let elapsed = start.elapsed();
    args.push("--json".into());
    let json = smtp_doctor().args(&args).output().unwrap();
    let stdout = text(&human.stdout);
    assert_clean(&stdout);
    assert_clean(&text(&json.stdout));
    Run {
        code: human.status.code(),
        elapsed,
        stdout,
        events: json_lines(&json.stdout),
    }
}

/// Nothing raw from the server: no escape, no NUL, no BEL, no other C0 control but newline.
fn assert_clean(out: &str) {
    for (i, c) in out.chars().enumerate() {
        assert!(
            c == '\n' || !(c.is_control()),
            "raw control {c:?} at {i} in output:\n{out}"
        );
    }
}

fn within(run: &Run, limit: f64) {
    assert!(
        run.elapsed.as_secs_f64() < limit,
        "took {:?}, limit {limit} s",
        run.elapsed
    );
}

fn error_kind(run: &Run) -> String {
    result(&run.events)["error"]["kind"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[test]
fn silent_server_times_out_at_the_greeting() {
    let srv = SmtpServer::builder().misbehave(Misbehave::Silent).start();
    let r = run(&srv, &["--timeout", "1"]);
    assert_eq!(r.code, Some(10), "{}", r.stdout);
    within(&r, 4.0);
    assert!(srv.commands().is_empty(), "nothing sent to a silent server");
    assert_eq!(result(&r.events)["error"]["phase"], "greeting");
}

#[test]
fn slow_drip_cannot_stretch_the_reply_deadline() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::SlowDrip(Duration::from_millis(100)))
        .start();
    let r = run(&srv, &["--timeout", "1.5"]);
    assert_eq!(r.code, Some(10), "{}", r.stdout);
    within(&r, 4.5);
}

#[test]
fn endless_multiline_reply_is_refused() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::EndlessMultiline)
        .start();
    let r = run(&srv, &["--timeout", "10"]);
    assert_eq!(r.code, Some(9), "{}", r.stdout);
    within(&r, 10.0);
    assert!(!srv.commands().iter().any(|c| c.starts_with("MAIL")));
}

#[test]
fn ten_megabyte_line_is_refused_without_reading_it_all() {
    let srv = SmtpServer::builder().misbehave(Misbehave::HugeLine).start();
    let r = run(&srv, &["--timeout", "10"]);
    assert_eq!(r.code, Some(9), "{}", r.stdout);
    within(&r, 8.0);
    assert!(r.stdout.contains("longer than"), "{}", r.stdout);
}

#[test]
fn garbage_and_escape_sequences_are_shown_escaped() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::GarbageGreeting)
        .start();
    let r = run(&srv, &["--quit-after", "banner"]);
    assert_eq!(r.code, Some(0), "{}", r.stdout);
    assert!(r.stdout.contains("\\x1b]0;pwned\\x07"), "{}", r.stdout);
    assert!(
        r.stdout.contains("\\x00") && r.stdout.contains("\\xff"),
        "{}",
        r.stdout
    );
}

#[test]
fn malformed_greeting_code_is_a_protocol_error() {
    for m in [
        Malformed::NonDigitCode,
        Malformed::TwoDigitCode,
        Malformed::EmptyLine,
    ] {
        let srv = SmtpServer::builder()
            .misbehave(Misbehave::Malformed(Step::Greeting, m))
            .start();
        let r = run(&srv, &[]);
        assert_eq!(r.code, Some(9), "{m:?}: {}", r.stdout);
        assert_eq!(error_kind(&r), "protocol");
        assert!(
            srv.commands().is_empty(),
            "{m:?}: nothing may be sent after garbage"
        );
    }
}

#[test]
fn malformed_reply_mid_transaction_stops_before_the_message() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::Malformed(
            Step::cmd("RCPT"),
            Malformed::TwoDigitCode,
        ))
        .start();
    let r = run(&srv, &[]);
    assert_eq!(r.code, Some(9), "{}", r.stdout);
    let cmds = srv.commands();
    assert!(
        !cmds.iter().any(|c| c == "DATA"),
        "no DATA after a garbage reply: {cmds:?}"
    );
    assert!(srv.messages().is_empty());
}

#[test]
fn code_changing_mid_reply_is_a_protocol_error() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::MixedCodes(Step::cmd("EHLO")))
        .start();
    let r = run(&srv, &[]);
    assert_eq!(r.code, Some(9), "{}", r.stdout);
    assert!(r.stdout.contains("changed from 250 to 251"), "{}", r.stdout);
    assert!(!srv.commands().iter().any(|c| c.starts_with("MAIL")));
}

#[test]
fn reset_after_ehlo_is_an_unexpected_close() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::ResetAfterEhlo)
        .start();
    let r = run(&srv, &[]);
    assert_eq!(r.code, Some(9), "{}", r.stdout);
    assert_eq!(result(&r.events)["error"]["phase"], "ehlo");
}

#[test]
fn close_during_data_is_reported_not_delivered() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::CloseDuringData)
        .start();
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.txt");
    std::fs::write(
        &body,
        "y".repeat(70)
            .repeat(3000)
            .as_bytes()
            .chunks(70)
            .flat_map(|c| [c, b"\n"].concat())
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let r = run(&srv, &["--body", &format!("@{}", body.display())]);
    assert_eq!(r.code, Some(9), "{}", r.stdout);
    assert_eq!(result(&r.events)["delivered"], false);
    assert_eq!(result(&r.events)["error"]["phase"], "data");
}

#[test]
fn starttls_injection_is_discarded_and_reported() {
    let srv = SmtpServer::builder()
        .starttls(CertKind::Valid)
        .misbehave(Misbehave::StarttlsInjection)
        .start();
    let r = run(&srv, &[]);
    let discarded = events(&r.events, "discarded");
    assert_eq!(discarded.len(), 1, "{:?}", r.events);
    assert_eq!(discarded[0]["bytes"], "250 injected\r\n".len());
    assert!(r.stdout.contains("CVE-2011-0411"), "{}", r.stdout);
    // The injected 250 was never read as the reply to the EHLO inside TLS: that EHLO got the
    // server's real multi-line reply.
    let tls_replies: Vec<_> = events(&r.events, "reply")
        .into_iter()
        .filter(|e| e["tls"] == true)
        .collect();
    assert!(
        tls_replies[0]["lines"].as_array().unwrap().len() > 1,
        "{tls_replies:?}"
    );
    assert_eq!(r.code, Some(0), "{}", r.stdout);
}

#[test]
fn starttls_454_stops_when_tls_is_required() {
    let srv = SmtpServer::builder()
        .starttls(CertKind::Valid)
        .misbehave(Misbehave::Starttls454)
        .start();
    let r = run(
        &srv,
        &[
            "--starttls",
            "-a",
            "--auth-user",
            "u",
            "--auth-password",
            "secret-pw",
        ],
    );
    assert_eq!(r.code, Some(5), "{}", r.stdout);
    let cmds = srv.commands();
    assert!(
        !cmds
            .iter()
            .any(|c| c.starts_with("AUTH") || c.starts_with("MAIL")),
        "{cmds:?}"
    );
    assert!(!r.stdout.contains("secret-pw"));
}

#[test]
fn stripped_starttls_stops_when_tls_is_required() {
    let srv = SmtpServer::builder()
        .starttls(CertKind::Valid)
        .misbehave(Misbehave::StripStarttls)
        .start();
    let r = run(&srv, &["--starttls"]);
    assert_eq!(r.code, Some(5), "{}", r.stdout);
    assert_eq!(
        srv.commands().len(),
        2,
        "EHLO only, per run: {:?}",
        srv.commands()
    );
}

#[test]
fn starttls_handshake_stall_times_out() {
    let srv = SmtpServer::builder()
        .starttls(CertKind::Valid)
        .misbehave(Misbehave::TlsStall)
        .start();
    let r = run(&srv, &["--timeout", "1.5"]);
    assert_eq!(r.code, Some(10), "{}", r.stdout);
    within(&r, 5.0);
    assert!(r.stdout.contains("TLS handshake timed out"), "{}", r.stdout);
}

#[test]
fn implicit_tls_handshake_stall_times_out() {
    let srv = SmtpServer::builder()
        .implicit_tls(CertKind::Valid)
        .misbehave(Misbehave::ImplicitTlsStall)
        .start();
    let r = run(&srv, &["--tls-on-connect", "--timeout", "1.5"]);
    assert_eq!(r.code, Some(10), "{}", r.stdout);
    within(&r, 5.0);
}

#[test]
fn auth_offered_in_plaintext_is_not_used() {
    let srv = SmtpServer::builder()
        .auth_credentials("u", "secret-pw")
        .misbehave(Misbehave::AuthOnPlaintext)
        .start();
    let r = run(
        &srv,
        &["-a", "--auth-user", "u", "--auth-password", "secret-pw"],
    );
    assert_eq!(r.code, Some(6), "{}", r.stdout);
    assert!(
        !srv.commands()
            .iter()
            .any(|c| c.to_ascii_uppercase().starts_with("AUTH"))
    );
    assert!(!String::from_utf8_lossy(&srv.received()).contains("secret-pw"));
}

#[test]
fn close_421_mid_transaction_is_transient() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::Close421AfterMail)
        .start();
    let r = run(&srv, &[]);
    assert_eq!(r.code, Some(8), "{}", r.stdout);
    assert!(srv.messages().is_empty());
}

#[test]
fn unsolicited_reply_after_greeting_is_a_protocol_error() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::Unsolicited(Step::Greeting))
        .start();
    let r = run(&srv, &[]);
    assert_eq!(r.code, Some(9), "{}", r.stdout);
    assert!(
        srv.commands().is_empty(),
        "the surprise 250 must not be taken as the reply to EHLO"
    );
    assert!(r.stdout.contains("nobody asked for"), "{}", r.stdout);
}

#[test]
fn unsolicited_reply_after_rcpt_stops_before_data() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::Unsolicited(Step::cmd("RCPT")))
        .start();
    let r = run(&srv, &[]);
    assert_eq!(r.code, Some(9), "{}", r.stdout);
    assert!(!srv.commands().iter().any(|c| c == "DATA"));
}

#[test]
fn premature_250_after_354_stops_before_the_message() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::PrematureDataOk)
        .start();
    let marker = "BODY-MUST-NOT-BE-SENT";
    let r = run(&srv, &["--body", marker]);
    assert_eq!(r.code, Some(9), "{}", r.stdout);
    assert!(
        !String::from_utf8_lossy(&srv.received()).contains(marker),
        "the body was sent"
    );
    assert_eq!(result(&r.events)["delivered"], false);
}

#[test]
fn huge_ehlo_is_refused_quickly() {
    let srv = SmtpServer::builder().misbehave(Misbehave::HugeEhlo).start();
    let r = run(&srv, &[]);
    assert_eq!(r.code, Some(9), "{}", r.stdout);
    within(&r, 5.0);
    assert!(r.stdout.contains("longer than"), "{}", r.stdout);
}

#[test]
fn server_that_never_reads_times_out() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::NeverRead)
        .start();
    let r = run(&srv, &["--timeout", "1.5"]);
    assert_eq!(r.code, Some(10), "{}", r.stdout);
    within(&r, 5.0);
}

#[test]
fn server_that_stops_reading_during_data_hits_the_write_deadline() {
    // No SIZE limit advertised, and a body far larger than the loopback socket buffers.
    let srv = SmtpServer::builder()
        .ehlo_keywords(&["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES"])
        .on(Step::cmd("DATA"), Reply::Normal, Then::NeverRead)
        .start();
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.eml");
    let mut message = b"Subject: big\r\n\r\n".to_vec();
    let line = [b"z".repeat(76), b"\r\n".to_vec()].concat();
    for _ in 0..400_000 {
        message.extend_from_slice(&line);
    }
    std::fs::write(&big, message).unwrap();
    let r = run(&srv, &["--timeout", "1.5", "--data", big.to_str().unwrap()]);
    assert_eq!(r.code, Some(10), "{}", r.stdout);
    within(&r, 6.0);
    assert!(r.stdout.contains("stopped reading"), "{}", r.stdout);
}

#[test]
fn broken_pipe_exits_quietly() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let srv = SmtpServer::builder().start();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("smtp-doctor"))
        .args(["send", "-s", &srv.arg(), "--to", "a@b.example"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away at once, like `| head -0`
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(!err.contains("panicked"), "panic on broken pipe: {err}");
    assert!(status.code().is_some(), "killed by a signal");
}
