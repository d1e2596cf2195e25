//! `smtp-doctor shell` scripts against the real Postfix on loopback (tests/real/setup.sh):
//! STARTTLS on the plain port, STARTTLS-then-AUTH on submission, implicit TLS, refusals checked
//! with `/expect`, and a bare LF. Skipped with a note when the servers are not set up, unless
//! SMTP_DOCTOR_REAL=required (as in CI), which makes their absence a failure.

mod common;

use common::*;
use std::collections::HashMap;

fn server(e: &HashMap<String, String>, port_key: &str) -> String {
    format!("{}:{}", e["SERVER_HOST"], e[port_key])
}

/// Runs `shell TARGET --sni mail.test.example --ca-file CA` with `script` on stdin.
fn run(e: &HashMap<String, String>, port_key: &str, script: &str, extra: &[&str]) -> (i32, String) {
    let out = smtp_doctor()
        .args([
            "shell",
            &server(e, port_key),
            "--sni",
            "mail.test.example",
            "--ca-file",
            &e["CA_FILE"],
        ])
        .args(extra)
        .env("SMTP_PASSWORD", &e["AUTH_PASSWORD"])
        .write_stdin(script.to_string())
        .output()
        .expect("ran the binary");
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains("panicked"), "{all}");
    (out.status.code().unwrap_or(-1), all)
}

#[test]
fn postfix_plain_port_script_starts_tls_and_delivers() {
    let Some(e) = real_env() else { return };
    let subject = unique("shell-plain");
    let script = format!(
        "EHLO client.test\n/expect 250\n/starttls\n/expect 250\nMAIL FROM:<sender@client.test>\n/expect 250\nRCPT TO:<{}>\n/expect 250 2.1.5\n/data\nSubject: {subject}\n\n.a line with a leading dot\n.\n/expect 250 queued as\nQUIT\n/expect 221\n",
        e["LOCAL_RCPT"]
    );
    let (code, out) = run(&e, "POSTFIX_PLAIN_PORT", &script, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("=== certificate verified for mail.test.example"),
        "{out}"
    );
    assert!(out.contains(" ~> MAIL FROM:<sender@client.test>"), "{out}");
    let mail = wait_for_mail(&e["POSTFIX_MAILDIR"], &subject).expect("message in the Maildir");
    assert!(
        String::from_utf8_lossy(&mail).contains("\n.a line with a leading dot\n"),
        "un-dot-stuffed by Postfix"
    );
}

#[test]
fn postfix_submission_wants_starttls_before_auth_and_the_password_stays_hidden() {
    let Some(e) = real_env() else { return };
    let script = format!(
        "EHLO client.test\nAUTH PLAIN\n/expect 530 5.7.0\n/starttls\n/auth PLAIN {} ${{SMTP_PASSWORD}}\n/expect 235\nMAIL FROM:<{}@test.example>\n/expect 250\nRCPT TO:<{}>\n/expect 250\nQUIT\n",
        e["AUTH_USER"], e["AUTH_USER"], e["RELAY_RCPT"]
    );
    let (code, out) = run(&e, "POSTFIX_SUBMISSION_PORT", &script, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("!!! the server offers AUTH only after STARTTLS"),
        "warned before sending: {out}"
    );
    assert!(out.contains(" ~> AUTH PLAIN ***"), "{out}");
    assert!(!out.contains(&e["AUTH_PASSWORD"]), "password shown: {out}");
    // The JSON stream keeps it out too.
    let (code, out) = run(&e, "POSTFIX_SUBMISSION_PORT", &script, &["--json"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        !out.contains(&e["AUTH_PASSWORD"]),
        "password in JSON: {out}"
    );
}

#[test]
fn postfix_wrong_password_is_535_and_exit_6_unless_expected() {
    let Some(e) = real_env() else { return };
    let base = format!(
        "EHLO client.test\n/starttls\n/auth LOGIN {} not-the-password\n",
        e["AUTH_USER"]
    );
    let (code, out) = run(&e, "POSTFIX_SUBMISSION_PORT", &base, &[]);
    assert_eq!(code, 6, "{out}");
    assert!(
        out.contains("<stdin>:3: authentication as tester with LOGIN failed: 535"),
        "{out}"
    );
    let (code, out) = run(
        &e,
        "POSTFIX_SUBMISSION_PORT",
        &format!("{base}/expect 535 5.7.8\n"),
        &[],
    );
    assert_eq!(code, 0, "{out}");
}

#[test]
fn postfix_unknown_recipient_fails_an_expectation_with_its_line() {
    let Some(e) = real_env() else { return };
    let script = format!(
        "EHLO client.test\nMAIL FROM:<sender@client.test>\nRCPT TO:<{}>\n/expect 250\n",
        e["UNKNOWN_RCPT"]
    );
    let (code, out) = run(&e, "POSTFIX_PLAIN_PORT", &script, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("<stdin>:4: /expect 250 failed: expected a 250 reply, got 550 5.1.1"),
        "{out}"
    );
    assert!(out.contains("!!! 550 5.1.1 is permanent"), "{out}");
}

#[test]
fn postfix_answers_a_bare_lf_sent_with_raw() {
    let Some(e) = real_env() else { return };
    // Postfix versions differ (smtpd_forbid_bare_newline): a 250, or a 5xx refusal.
    let (code, out) = run(
        &e,
        "POSTFIX_PLAIN_PORT",
        "EHLO client.test\n/raw NOOP\\n\n/expect ^(250|5\\d\\d)[ -]\nQUIT\n",
        &[],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(" -> NOOP  [bare LF]"), "{out}");
}

#[test]
fn postfix_implicit_tls_port_with_the_tls_flag() {
    let Some(e) = real_env() else { return };
    let (code, out) = run(
        &e,
        "POSTFIX_TLS_PORT",
        "EHLO client.test\n/expect 250\n/tls\nQUIT\n",
        &["--tls"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("<~  220 "), "greeting inside TLS: {out}");
    assert!(
        out.contains("=== certificate verified for mail.test.example"),
        "{out}"
    );
}
