//! `smtp-doctor send` against real Postfix, Exim and dnsmasq on loopback (tests/real/setup.sh).
//! Skipped with a note when the servers are not set up, unless SMTP_DOCTOR_REAL=required.

mod common;

use common::*;
use predicates::prelude::*;
use std::collections::HashMap;

fn env() -> Option<HashMap<String, String>> {
    real_env()
}

fn server(e: &HashMap<String, String>, port_key: &str) -> String {
    format!("{}:{}", e["SERVER_HOST"], e[port_key])
}

#[test]
fn postfix_plain_port_with_starttls_delivers_to_the_maildir() {
    let Some(e) = env() else { return };
    let subject = unique("plain");
    let out = smtp_doctor()
        .args([
            "send",
            "-s",
            &server(&e, "POSTFIX_PLAIN_PORT"),
            "--sni",
            "mail.test.example",
            "--ca-file",
            &e["CA_FILE"],
        ])
        .args([
            "--to",
            &e["LOCAL_RCPT"],
            "--from",
            "sender@client.test",
            "--subject",
            &subject,
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let ev = json_lines(&out.stdout);
    assert_eq!(events(&ev, "tls")[0]["verified"], true);
    let res = result(&ev);
    let queue_id = res["queue_id"]
        .as_str()
        .expect("Postfix names a queue id")
        .to_string();
    let mail = wait_for_mail(&e["POSTFIX_MAILDIR"], &subject).expect("message in the Maildir");
    assert!(String::from_utf8_lossy(&mail).contains(&subject));
    let log = std::fs::read_to_string(&e["POSTFIX_LOG"]).unwrap_or_default();
    assert!(
        log.contains(&queue_id),
        "queue id {queue_id} in the Postfix log"
    );
}

#[test]
fn postfix_body_with_dots_and_long_lines_arrives_byte_identical() {
    let Some(e) = env() else { return };
    let subject = unique("dots");
    let long = "x".repeat(990);
    let body = format!(
        ".starts with a dot\n..two dots\n.\n. space after dot\nnormal line\n{long}\n.{long}\nlast line without dot\n"
    );
    let message = format!(
        "From: <sender@client.test>\nTo: <{}>\nSubject: {subject}\nMessage-ID: <{subject}@client.test>\n\n{body}",
        e["LOCAL_RCPT"]
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("msg.eml");
    std::fs::write(&file, &message).unwrap();
    smtp_doctor()
        .args([
            "send",
            "-s",
            &server(&e, "POSTFIX_PLAIN_PORT"),
            "--sni",
            "mail.test.example",
            "--ca-file",
            &e["CA_FILE"],
        ])
        .args([
            "--to",
            &e["LOCAL_RCPT"],
            "--from",
            "sender@client.test",
            "--data",
            file.to_str().unwrap(),
        ])
        .assert()
        .success();
    let mail = wait_for_mail(&e["POSTFIX_MAILDIR"], &subject).expect("message in the Maildir");
    // Postfix stores LF line endings and prepends its own headers: compare after the first
    // empty line, which is where our body starts.
    let text = String::from_utf8(mail).unwrap();
    let stored_body = text.split_once("\n\n").map(|(_, b)| b).unwrap();
    assert_eq!(stored_body, body, "body changed in transit");
}

#[test]
fn postfix_rejections_exit_with_the_right_codes() {
    let Some(e) = env() else { return };
    let s = server(&e, "POSTFIX_PLAIN_PORT");
    let common = [
        "--sni",
        "mail.test.example",
        "--ca-file",
        e["CA_FILE"].as_str(),
        "--quit-after",
        "rcpt",
    ];
    smtp_doctor()
        .args(["send", "-s", &s])
        .args(common)
        .args(["--to", &e["UNKNOWN_RCPT"]])
        .assert()
        .code(7)
        .stdout(
            predicate::str::contains("550 5.1.1").and(predicate::str::contains(
                "User unknown in virtual mailbox table",
            )),
        );
    smtp_doctor()
        .args(["send", "-s", &s])
        .args(common)
        .args(["--to", &e["RELAY_RCPT"]])
        .assert()
        .code(7)
        .stdout(predicate::str::contains("Relay access denied"));
    smtp_doctor()
        .args(["send", "-s", &s])
        .args(common)
        .args(["--to", &e["GREYLIST_RCPT"]])
        .assert()
        .code(8)
        .stdout(predicate::str::contains("451 4.7.1"));
}

#[test]
fn postfix_submission_requires_starttls_and_auth_works() {
    let Some(e) = env() else { return };
    let subject = unique("submission");
    for mech in ["plain", "login"] {
        let out = smtp_doctor()
            .args([
                "send",
                "-s",
                &server(&e, "POSTFIX_SUBMISSION_PORT"),
                "--starttls",
                "--sni",
                "mail.test.example",
                "--ca-file",
                &e["CA_FILE"],
            ])
            .args([
                "-a",
                mech,
                "--auth-user",
                &e["AUTH_USER"],
                "--to",
                &e["LOCAL_RCPT"],
                "--from",
                "sender@client.test",
            ])
            .args(["--subject", &format!("{subject}-{mech}"), "--json"])
            .env("SMTP_DOCTOR_PASSWORD", &e["AUTH_PASSWORD"])
            .assert()
            .success()
            .get_output()
            .clone();
        let stdout = text(&out.stdout);
        assert!(!stdout.contains(&e["AUTH_PASSWORD"]), "password leaked");
        assert_eq!(
            result(&json_lines(&out.stdout))["auth"],
            mech.to_uppercase()
        );
        assert!(wait_for_mail(&e["POSTFIX_MAILDIR"], &format!("{subject}-{mech}")).is_some());
    }
}

#[test]
fn postfix_submission_without_tls_is_refused_before_credentials() {
    let Some(e) = env() else { return };
    // --no-tls on a port that requires encryption: AUTH is not offered in plaintext, so the
    // credentials never leave.
    smtp_doctor()
        .args([
            "send",
            "-s",
            &server(&e, "POSTFIX_SUBMISSION_PORT"),
            "--no-tls",
            "-a",
            "--auth-user",
            "tester",
        ])
        .args(["--auth-password", "x", "--to", &e["LOCAL_RCPT"]])
        .assert()
        .code(6)
        .stdout(predicate::str::contains("does not offer AUTH"));
}

#[test]
fn postfix_implicit_tls_port() {
    let Some(e) = env() else { return };
    let subject = unique("implicit");
    smtp_doctor()
        .args([
            "send",
            "-s",
            &server(&e, "POSTFIX_TLS_PORT"),
            "--tls-on-connect",
            "--sni",
            "mail.test.example",
            "--ca-file",
            &e["CA_FILE"],
        ])
        .args(["--to", &e["LOCAL_RCPT"], "--subject", &subject])
        .assert()
        .success()
        .stdout(predicate::str::contains("<~  220 "));
    assert!(wait_for_mail(&e["POSTFIX_MAILDIR"], &subject).is_some());
}

#[test]
fn postfix_bad_certificates_exit_5_with_the_problem_named() {
    let Some(e) = env() else { return };
    for (port, problem) in [
        ("POSTFIX_EXPIRED_PORT", "expired"),
        ("POSTFIX_SELFSIGNED_PORT", "self-signed"),
        ("POSTFIX_WRONGHOST_PORT", "does not match"),
    ] {
        smtp_doctor()
            .args([
                "send",
                "-s",
                &server(&e, port),
                "--sni",
                "mail.test.example",
                "--ca-file",
                &e["CA_FILE"],
                "--to",
                &e["LOCAL_RCPT"],
            ])
            .assert()
            .code(5)
            .stdout(predicate::str::contains(problem));
    }
}

#[test]
fn native_tls_backend_works_against_postfix() {
    let Some(e) = env() else { return };
    smtp_doctor()
        .args([
            "send",
            "-s",
            &server(&e, "POSTFIX_PLAIN_PORT"),
            "--tls-backend",
            "native",
            "--sni",
            "mail.test.example",
        ])
        .args([
            "--ca-file",
            &e["CA_FILE"],
            "--to",
            &e["LOCAL_RCPT"],
            "--quit-after",
            "tls",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(" ~> EHLO "));
    smtp_doctor()
        .args([
            "send",
            "-s",
            &server(&e, "POSTFIX_EXPIRED_PORT"),
            "--tls-backend",
            "native",
            "--sni",
            "mail.test.example",
        ])
        .args([
            "--ca-file",
            &e["CA_FILE"],
            "--to",
            &e["LOCAL_RCPT"],
            "--quit-after",
            "tls",
        ])
        .assert()
        .code(5);
}

#[test]
fn exim_auth_plain_login_and_chunking() {
    let Some(e) = env() else { return };
    for mech in ["plain", "login"] {
        let subject = unique(&format!("exim-{mech}"));
        let out = smtp_doctor()
            .args([
                "send",
                "-s",
                &server(&e, "EXIM_PORT"),
                "--starttls",
                "--sni",
                "mail.test.example",
                "--ca-file",
                &e["CA_FILE"],
            ])
            .args([
                "-a",
                mech,
                "--auth-user",
                &e["AUTH_USER"],
                "--to",
                &e["LOCAL_RCPT"],
                "--from",
                "sender@client.test",
            ])
            .args(["--chunking", "--pipeline", "--subject", &subject, "--json"])
            .env("SMTP_DOCTOR_PASSWORD", &e["AUTH_PASSWORD"])
            .assert()
            .success()
            .get_output()
            .clone();
        let ev = json_lines(&out.stdout);
        assert!(
            sent_lines(&ev)
                .iter()
                .any(|l| l.starts_with("BDAT ") && l.ends_with(" LAST")),
            "BDAT used"
        );
        assert!(
            result(&ev)["queue_id"].is_string(),
            "Exim's id= is the queue id"
        );
        assert!(wait_for_mail(&e["EXIM_MAILDIR"], &subject).is_some());
    }
}

#[test]
fn exim_plaintext_auth_is_refused_without_permission() {
    let Some(e) = env() else { return };
    smtp_doctor()
        .args([
            "send",
            "-s",
            &server(&e, "EXIM_PLAINAUTH_PORT"),
            "-a",
            "plain",
            "--auth-user",
            &e["AUTH_USER"],
        ])
        .args([
            "--auth-password",
            &e["AUTH_PASSWORD"],
            "--to",
            &e["LOCAL_RCPT"],
        ])
        .assert()
        .code(6)
        .stdout(predicate::str::contains("--allow-plaintext-auth"));
}

#[test]
fn mx_resolution_through_dnsmasq_reaches_postfix() {
    let Some(e) = env() else { return };
    let subject = unique("mx");
    let out = smtp_doctor()
        .args([
            "send",
            "--dns-server",
            &e["DNS_SERVER"],
            "-p",
            &e["POSTFIX_PLAIN_PORT"],
            "--ca-file",
            &e["CA_FILE"],
        ])
        .args(["--to", &e["LOCAL_RCPT"], "--subject", &subject, "--json"])
        .assert()
        .success()
        .get_output()
        .clone();
    let ev = json_lines(&out.stdout);
    let mx = &events(&ev, "resolve")[0]["mx"];
    assert_eq!(mx[0]["host"], "mx1.test.example");
    assert_eq!(mx[1]["host"], "mx2.test.example");
    assert_eq!(result(&ev)["server"], "mx1.test.example");
    // The certificate is checked against the MX host name.
    assert_eq!(events(&ev, "tls")[0]["matched_name"], "mx1.test.example");
    assert!(wait_for_mail(&e["POSTFIX_MAILDIR"], &subject).is_some());
    smtp_doctor()
        .args([
            "send",
            "--dns-server",
            &e["DNS_SERVER"],
            "--to",
            "a@nullmx.test.example",
        ])
        .assert()
        .code(3);
}
