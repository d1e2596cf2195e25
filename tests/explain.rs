//! `smtp-doctor explain` through the binary, and explanations in context in real `send` runs.

mod common;
mod support;

use common::*;
use support::{CertKind, SmtpServer, TestCerts};

#[test]
fn explains_codes_enhanced_codes_and_reply_lines() {
    let out = smtp_doctor()
        .args([
            "explain",
            "--json",
            "502",
            "5.5.2",
            "550 5.7.26 This mail has been blocked because the sender is unauthenticated.",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let ex = json_lines(&out.stdout);
    assert_eq!(ex.len(), 3);
    assert_eq!(ex[0]["code"], 502);
    assert_eq!(ex[0]["category"], "not-implemented");
    assert_eq!(ex[1]["enhanced"], "5.5.2");
    assert_eq!(ex[1]["category"], "syntax");
    assert_eq!(ex[2]["category"], "dmarc");
    assert_eq!(ex[2]["matched"], "gmail.5.7.26-unauthenticated");
    for e in &ex {
        for field in [
            "code",
            "enhanced",
            "permanent",
            "category",
            "summary",
            "cause",
            "fix",
            "matched",
        ] {
            assert!(e.get(field).is_some(), "{field} missing in {e}");
        }
        assert!(e["fix"].is_array());
    }
}

#[test]
fn the_502_distinction_is_explained() {
    let out = smtp_doctor()
        .args([
            "explain",
            "--json",
            "502 5.5.2 Error: command not recognized",
            "502 5.5.1 VRFY command is disabled",
        ])
        .output()
        .unwrap();
    let ex = json_lines(&out.stdout);
    assert_eq!(ex[0]["category"], "syntax", "{}", ex[0]);
    assert_eq!(ex[1]["category"], "not-implemented", "{}", ex[1]);
    let human = smtp_doctor()
        .args(["explain", "502 5.5.2 Error: command not recognized"])
        .output()
        .unwrap();
    let t = text(&human.stdout);
    assert!(
        t.to_ascii_lowercase().contains("crlf") || t.contains("line ending"),
        "{t}"
    );
}

#[test]
fn reads_bounces_and_log_lines_on_stdin() {
    let input = "\
Final-Recipient: rfc822; nobody@example.test
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown in virtual mailbox table
Dec  3 10:00:00 mx postfix/smtp[123]: 4ABC: to=<x@y.example>, relay=mx.y.example[192.0.2.1]:25, status=bounced (host mx.y.example[192.0.2.1] said: 554 5.7.1 <x@y.example>: Relay access denied (in reply to RCPT TO command))
";
    let out = smtp_doctor()
        .args(["explain", "--json"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let ex = json_lines(&out.stdout);
    let cats: Vec<&str> = ex
        .iter()
        .map(|e| e["category"].as_str().unwrap_or(""))
        .collect();
    assert!(cats.contains(&"mailbox-unknown"), "{cats:?}");
    assert!(cats.contains(&"relay-denied"), "{cats:?}");
    let relay = ex.iter().find(|e| e["category"] == "relay-denied").unwrap();
    assert_eq!(
        relay["command"], "RCPT",
        "the log line names the command: {relay}"
    );
}

#[test]
fn unknown_codes_degrade_gracefully() {
    let out = smtp_doctor()
        .args(["explain", "--json", "4.7.999", "599 odd"])
        .output()
        .unwrap();
    let ex = json_lines(&out.stdout);
    assert!(!ex.is_empty());
    for e in &ex {
        assert!(e["summary"].as_str().is_some_and(|s| !s.is_empty()), "{e}");
    }
}

#[test]
fn nothing_explainable_exits_2() {
    smtp_doctor()
        .args(["explain"])
        .write_stdin("no replies in here at all")
        .assert()
        .code(2);
}

#[test]
fn bare_lf_rejection_after_line_ending_lf_says_so() {
    // The test server answers a bare-LF line with 500 5.5.2, as strict servers do.
    let srv = SmtpServer::builder().start();
    let out = smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--to",
            "a@b.example",
            "--line-ending",
            "lf",
            "--json",
        ])
        .output()
        .unwrap();
    let ev = json_lines(&out.stdout);
    let err = events(&ev, "reply")
        .into_iter()
        .find(|r| r["code"].as_u64().unwrap_or(0) >= 500)
        .expect("an error reply");
    let exp = &err["explanation"];
    let all = exp.to_string().to_ascii_lowercase();
    assert!(
        all.contains("--line-ending") || all.contains("bare lf"),
        "context not used: {exp}"
    );
}

#[test]
fn auth_login_failure_suggests_app_passwords() {
    let srv = SmtpServer::builder()
        .starttls(CertKind::Valid)
        .auth_credentials("tester", "s3cret")
        .start();
    let ca = TestCerts::get().ca_file().display().to_string();
    let out = smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--sni",
            "localhost",
            "--starttls",
            "-a",
            "login",
            "--auth-user",
            "tester",
        ])
        .args([
            "--auth-password",
            "wrong",
            "--to",
            "a@b.example",
            "--ca-file",
            &ca,
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let ev = json_lines(&out.stdout);
    let r535 = events(&ev, "reply")
        .into_iter()
        .find(|r| r["code"] == 535)
        .expect("535 reply");
    let all = r535["explanation"].to_string().to_ascii_lowercase();
    assert!(all.contains("app password"), "{all}");
    assert!(all.contains("oauth"), "{all}");
}

#[test]
fn mail_without_starttls_on_587_says_use_starttls() {
    // Port 587 itself, on a loopback address of its own (binding it needs root, as CI has).
    let Ok(listener) = std::net::TcpListener::bind("127.0.0.77:587") else {
        eprintln!("note: cannot bind 127.0.0.77:587 (not root?); skipping");
        return;
    };
    drop(listener);
    let srv = SmtpServer::builder()
        .ehlo_keywords(&["PIPELINING", "ENHANCEDSTATUSCODES"])
        .reply_to("MAIL", "530 5.7.0 Authentication required")
        .bind("127.0.0.77:587")
        .start();
    let out = smtp_doctor()
        .args([
            "send",
            "-s",
            "127.0.0.77:587",
            "--tls-optional",
            "--to",
            "a@b.example",
            "--json",
        ])
        .output()
        .unwrap();
    let ev = json_lines(&out.stdout);
    let r530 = events(&ev, "reply")
        .into_iter()
        .find(|r| r["code"] == 530)
        .expect("530 reply");
    let all = r530["explanation"].to_string();
    assert!(all.contains("STARTTLS"), "{all}");
    assert!(all.contains("--starttls"), "the flag to use: {all}");
    drop(srv);
}
