//! `smtp-doctor send` against in-process servers on 127.0.0.1: plain, STARTTLS, implicit TLS,
//! every AUTH mechanism, refusals, certificate failures, pipelining, chunking, MX resolution.

mod common;
mod support;

use common::*;
use predicates::prelude::*;
use support::{CertKind, DnsServer, SmtpServer, TestCerts};

fn ca() -> String {
    TestCerts::get().ca_file().display().to_string()
}

#[test]
fn plain_transaction_delivers_and_reports_queue_id() {
    let srv = SmtpServer::builder().start();
    let out = smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--to",
            "user@example.test",
            "--from",
            "me@client.example",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let ev = json_lines(&out.stdout);
    let res = result(&ev);
    assert_eq!(res["delivered"], true);
    assert_eq!(res["exit_code"], 0);
    assert!(
        res["queue_id"].as_str().is_some_and(|q| !q.is_empty()),
        "queue id: {res}"
    );
    assert_eq!(res["recipients"][0]["address"], "user@example.test");
    assert_eq!(res["recipients"][0]["accepted"], true);
    let msgs = srv.messages();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].mail_from, "me@client.example");
    assert_eq!(msgs[0].rcpt_to, vec!["user@example.test"]);
    let body = String::from_utf8_lossy(&msgs[0].data);
    for h in [
        "Date: ",
        "Message-ID: ",
        "From: ",
        "To: ",
        "Subject: ",
        "MIME-Version: 1.0",
    ] {
        assert!(body.contains(h), "missing {h} in {body}");
    }
    assert!(body.contains("smtp-doctor"));
}

#[test]
fn every_command_ends_in_crlf_and_nothing_else() {
    let srv = SmtpServer::builder().start();
    smtp_doctor()
        .args(["send", "-s", &srv.arg(), "--to", "user@example.test"])
        .assert()
        .success();
    assert!(!srv.saw_bare_lf());
    let received = srv.received();
    let text = String::from_utf8_lossy(&received);
    for line in text.split_inclusive('\n') {
        assert!(line.ends_with("\r\n"), "line without CRLF: {line:?}");
    }
    let cmds = srv.commands();
    assert!(cmds[0].starts_with("EHLO "));
    assert!(cmds.iter().any(|c| c.starts_with("MAIL FROM:<")));
    assert_eq!(cmds.last().map(String::as_str), Some("QUIT"));
}

#[test]
fn human_transcript_uses_the_spec_markers() {
    let srv = SmtpServer::builder().starttls(CertKind::Valid).start();
    let out = smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--sni",
            "localhost",
            "--to",
            "user@example.test",
            "--ca-file",
            &ca(),
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let t = text(&out.stdout);
    assert!(t.contains("=== Trying [127.0.0.1]:"), "{t}");
    assert!(t.contains("=== Connected in "), "{t}");
    assert!(t.contains("<-  220 "), "{t}");
    assert!(t.contains(" -> EHLO "), "{t}");
    assert!(t.contains(" -> STARTTLS"), "{t}");
    assert!(t.contains("=== TLS 1.3, "), "{t}");
    assert!(t.contains("(valid, "), "{t}");
    assert!(t.contains(" ~> EHLO "), "{t}");
    assert!(t.contains(" ~> MAIL FROM:"), "{t}");
    assert!(t.contains("<~  250"), "{t}");
    assert!(!t.contains('\x1b'), "colour when not a terminal: {t}");
}

#[test]
fn starttls_then_ehlo_again_and_message_inside_tls() {
    let srv = SmtpServer::builder().starttls(CertKind::Valid).start();
    let out = smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--sni",
            "localhost",
            "--to",
            "user@example.test",
            "--ca-file",
            &ca(),
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let ev = json_lines(&out.stdout);
    let tls = events(&ev, "tls");
    assert_eq!(tls.len(), 1);
    assert_eq!(tls[0]["verified"], true);
    assert_eq!(tls[0]["version"], "TLS 1.3");
    assert_eq!(tls[0]["matched_name"], "localhost");
    let cmds = srv.commands();
    let ehlos = cmds.iter().filter(|c| c.starts_with("EHLO ")).count();
    assert_eq!(ehlos, 2, "EHLO must be repeated after STARTTLS: {cmds:?}");
    let msgs = srv.messages();
    assert!(msgs[0].tls, "the message must travel inside TLS");
    let records = srv.session_records();
    assert_eq!(records[0].sni.as_deref(), Some("localhost"));
}

#[test]
fn implicit_tls_on_connect() {
    let srv = SmtpServer::builder().implicit_tls(CertKind::Valid).start();
    let out = smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--sni",
            "localhost",
            "--tls-on-connect",
            "--to",
            "user@example.test",
            "--ca-file",
            &ca(),
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let t = text(&out.stdout);
    assert!(t.contains("<~  220 "), "greeting inside TLS: {t}");
    assert!(!t.contains(" -> "), "nothing sent in plaintext: {t}");
    assert!(srv.messages()[0].tls);
}

#[test]
fn starttls_required_but_missing_exits_5_and_sends_nothing_after_ehlo() {
    let srv = SmtpServer::builder().start();
    let out = smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--starttls",
            "--to",
            "user@example.test",
            "-a",
            "--auth-user",
            "u",
            "--auth-password",
            "p",
        ])
        .assert()
        .code(5)
        .get_output()
        .clone();
    let cmds = srv.commands();
    assert_eq!(cmds.len(), 1, "only EHLO may be sent: {cmds:?}");
    assert!(cmds[0].starts_with("EHLO "));
    assert!(text(&out.stdout).contains("STARTTLS is required"));
}

#[test]
fn tls_optional_carries_on_in_plaintext_when_starttls_is_missing() {
    let srv = SmtpServer::builder().start();
    smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--tls-optional",
            "--to",
            "user@example.test",
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains("does not offer STARTTLS"));
    assert_eq!(srv.messages().len(), 1);
}

#[test]
fn starttls_refused_with_454_exits_5_when_required() {
    let srv = SmtpServer::builder()
        .starttls(CertKind::Valid)
        .reply_to(
            "STARTTLS",
            "454 4.7.0 TLS not available due to local problem",
        )
        .start();
    smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--starttls",
            "--to",
            "user@example.test",
            "--ca-file",
            &ca(),
        ])
        .assert()
        .code(5);
    let cmds = srv.commands();
    assert!(!cmds.iter().any(|c| c.starts_with("MAIL")), "{cmds:?}");
}

fn cert_failure(kind: CertKind, expect: &str) {
    let srv = SmtpServer::builder().starttls(kind).start();
    let out = smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--sni",
            "localhost",
            "--to",
            "user@example.test",
            "--ca-file",
            &ca(),
            "--json",
        ])
        .assert()
        .code(5)
        .get_output()
        .clone();
    let ev = json_lines(&out.stdout);
    let failed = events(&ev, "tls_failed");
    assert_eq!(failed.len(), 1, "{ev:?}");
    assert_eq!(failed[0]["cert_problem"], expect);
    assert!(
        failed[0]["chain"][0]["subject"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    let cmds = srv.commands();
    assert!(
        !cmds.iter().any(|c| c.starts_with("MAIL")),
        "nothing after a failed handshake: {cmds:?}"
    );
    assert_eq!(result(&ev)["error"]["phase"], "tls-handshake");
}

#[test]
fn expired_certificate_exits_5_and_says_expired() {
    cert_failure(CertKind::Expired, "expired");
}

#[test]
fn wrong_host_certificate_exits_5_and_says_name_mismatch() {
    cert_failure(CertKind::WrongHost, "name-mismatch");
}

#[test]
fn self_signed_certificate_exits_5_and_says_self_signed() {
    cert_failure(CertKind::SelfSigned, "self-signed");
}

#[test]
fn insecure_still_reports_what_verification_would_have_said() {
    let srv = SmtpServer::builder().starttls(CertKind::Expired).start();
    let out = smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--sni",
            "localhost",
            "--to",
            "user@example.test",
            "--ca-file",
            &ca(),
            "--insecure",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let t = text(&out.stdout);
    assert!(
        t.contains("NOT VERIFIED: the certificate has expired"),
        "{t}"
    );
    assert!(t.contains("--insecure"), "{t}");
}

#[test]
fn implicit_tls_with_bad_certificate_exits_5() {
    let srv = SmtpServer::builder()
        .implicit_tls(CertKind::SelfSigned)
        .start();
    smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--sni",
            "localhost",
            "--tls-on-connect",
            "--to",
            "user@example.test",
            "--ca-file",
            &ca(),
        ])
        .assert()
        .code(5)
        .stdout(predicates::str::contains("self-signed"));
}

fn auth_with(mech: &str) -> (SmtpServer, std::process::Output) {
    let srv = SmtpServer::builder()
        .starttls(CertKind::Valid)
        .auth_credentials("tester", "s3cret")
        .start();
    let out = smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--sni",
            "localhost",
            "--starttls",
            "-a",
            mech,
        ])
        .args([
            "--auth-user",
            "tester",
            "--to",
            "user@example.test",
            "--ca-file",
            &ca(),
            "--json",
        ])
        .env("SMTP_DOCTOR_PASSWORD", "s3cret")
        .output()
        .unwrap();
    (srv, out)
}

#[test]
fn auth_plain_succeeds_and_is_redacted() {
    let (srv, out) = auth_with("plain");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let attempts = srv.auth_attempts();
    assert_eq!(attempts.len(), 1);
    assert!(attempts[0].success && attempts[0].mechanism == "PLAIN");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("AUTH PLAIN ***"), "{stdout}");
    assert!(!stdout.contains("s3cret"), "password leaked: {stdout}");
    assert!(
        !stdout.contains("AHRlc3RlcgBzM2NyZXQ="),
        "payload leaked: {stdout}"
    );
    assert_eq!(srv.messages()[0].auth_user.as_deref(), Some("tester"));
}

#[test]
fn auth_login_succeeds() {
    let (srv, out) = auth_with("login");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(srv.auth_attempts()[0].success);
    assert_eq!(srv.auth_attempts()[0].mechanism, "LOGIN");
    assert!(
        !text(&out.stdout).contains("czNjcmV0"),
        "base64 password leaked"
    );
}

#[test]
fn auth_cram_md5_succeeds() {
    let (srv, out) = auth_with("cram-md5");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(srv.auth_attempts()[0].mechanism, "CRAM-MD5");
    assert!(srv.auth_attempts()[0].success);
}

#[test]
fn auth_xoauth2_succeeds() {
    let (srv, out) = auth_with("xoauth2");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(srv.auth_attempts()[0].mechanism, "XOAUTH2");
    assert!(srv.auth_attempts()[0].success);
}

#[test]
fn auth_default_picks_the_strongest_offered() {
    let (srv, out) = auth_with("auto");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(srv.auth_attempts()[0].mechanism, "CRAM-MD5");
}

#[test]
fn wrong_password_exits_6() {
    let srv = SmtpServer::builder()
        .starttls(CertKind::Valid)
        .auth_credentials("tester", "s3cret")
        .start();
    smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--sni",
            "localhost",
            "--starttls",
            "-a",
            "plain",
            "--auth-user",
            "tester",
        ])
        .args([
            "--auth-password",
            "wrong",
            "--to",
            "user@example.test",
            "--ca-file",
            &ca(),
        ])
        .assert()
        .code(6);
    assert!(srv.messages().is_empty());
}

#[test]
fn show_secrets_reveals_the_auth_payload() {
    let srv = SmtpServer::builder()
        .starttls(CertKind::Valid)
        .auth_credentials("tester", "s3cret")
        .start();
    smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--sni",
            "localhost",
            "--starttls",
            "-a",
            "plain",
            "--auth-user",
            "tester",
        ])
        .args([
            "--auth-password",
            "s3cret",
            "--to",
            "user@example.test",
            "--ca-file",
            &ca(),
            "--show-secrets",
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains("AUTH PLAIN AHRlc3RlcgBzM2NyZXQ="));
}

#[test]
fn credentials_are_never_sent_in_plaintext_without_permission() {
    let srv = SmtpServer::builder()
        .auth_credentials("tester", "s3cret")
        .start();
    let out = smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "-a",
            "plain",
            "--auth-user",
            "tester",
            "--auth-password",
            "s3cret",
            "--to",
            "user@example.test",
        ])
        .assert()
        .code(6)
        .get_output()
        .clone();
    assert!(text(&out.stdout).contains("--allow-plaintext-auth"));
    assert!(
        !srv.commands()
            .iter()
            .any(|c| c.to_ascii_uppercase().starts_with("AUTH"))
    );
    // With permission, it goes through.
    smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "-a",
            "plain",
            "--auth-user",
            "tester",
            "--auth-password",
            "s3cret",
        ])
        .args(["--to", "user@example.test", "--allow-plaintext-auth"])
        .assert()
        .success();
}

#[test]
fn rejected_recipient_exits_7_with_explanation() {
    let srv = SmtpServer::builder()
        .reject_rcpt(
            "nobody@",
            "550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown",
        )
        .start();
    let out = smtp_doctor()
        .args(["send", "-s", &srv.arg(), "--to", "nobody@example.test"])
        .assert()
        .code(7)
        .get_output()
        .clone();
    let t = text(&out.stdout);
    assert!(t.contains("<-* 550 5.1.1"), "{t}");
    assert!(
        t.contains("!!! 550 5.1.1 is permanent"),
        "explanation line: {t}"
    );
    assert!(
        !srv.commands().iter().any(|c| c == "DATA"),
        "no DATA without recipients"
    );
}

#[test]
fn partial_success_names_each_recipient_and_exits_with_the_refusal() {
    let srv = SmtpServer::builder()
        .reject_rcpt("nobody@", "550 5.1.1 <nobody@example.test>: User unknown")
        .start();
    let out = smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--to",
            "user@example.test,nobody@example.test",
            "--to",
            "other@example.test",
            "--json",
        ])
        .assert()
        .code(7)
        .get_output()
        .clone();
    let ev = json_lines(&out.stdout);
    let res = result(&ev);
    assert_eq!(res["delivered"], true);
    assert_eq!(res["partial"], true);
    let r = res["recipients"].as_array().unwrap();
    assert_eq!(r.len(), 3);
    assert_eq!(r[0]["accepted"], true);
    assert_eq!(r[1]["accepted"], false);
    assert_eq!(r[1]["code"], 550);
    assert_eq!(r[1]["enhanced"], "5.1.1");
    assert_eq!(r[2]["accepted"], true);
    assert!(res["queue_id"].is_string());
    assert_eq!(
        srv.messages()[0].rcpt_to,
        vec!["user@example.test", "other@example.test"]
    );
}

#[test]
fn transient_451_exits_8() {
    let srv = SmtpServer::builder()
        .reply_to("MAIL", "451 4.7.1 Greylisted, try again later")
        .start();
    let out = smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--to",
            "user@example.test",
            "--json",
        ])
        .assert()
        .code(8)
        .get_output()
        .clone();
    let ev = json_lines(&out.stdout);
    let replies = events(&ev, "reply");
    let r451 = replies
        .iter()
        .find(|r| r["code"] == 451)
        .expect("451 reply event");
    assert_eq!(r451["permanent"], false);
    assert_eq!(r451["enhanced"], "4.7.1");
    assert!(
        r451["explanation"].is_object(),
        "explanation object on error replies"
    );
    assert!(
        replies
            .iter()
            .filter(|r| r["code"] == 250)
            .all(|r| r["explanation"].is_null())
    );
}

#[test]
fn pipelining_sends_the_envelope_in_one_group_and_matches_replies_in_order() {
    let srv = SmtpServer::builder()
        .reject_rcpt("nobody@", "550 5.1.1 <nobody@example.test>: User unknown")
        .start();
    let out = smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--pipeline",
            "--to",
            "user@example.test,nobody@example.test",
            "--json",
        ])
        .assert()
        .code(7)
        .get_output()
        .clone();
    let ev = json_lines(&out.stdout);
    let res = result(&ev);
    assert_eq!(res["recipients"][0]["accepted"], true);
    assert_eq!(res["recipients"][1]["accepted"], false);
    assert_eq!(res["delivered"], true);
    // MAIL, RCPT, RCPT and DATA arrived in one segment: the server saw them back to back
    // before any reply was read, which the order of `send` events before the first reply shows.
    let first_reply_after_ehlo = ev
        .iter()
        .position(|e| e["event"] == "send" && e["line"].as_str().unwrap_or("").starts_with("MAIL"))
        .unwrap();
    let group: Vec<&str> = ev[first_reply_after_ehlo..first_reply_after_ehlo + 4]
        .iter()
        .map(|e| e["line"].as_str().unwrap_or(""))
        .collect();
    assert!(group[0].starts_with("MAIL FROM:"), "{group:?}");
    assert!(group[1].starts_with("RCPT TO:<user@"), "{group:?}");
    assert!(group[2].starts_with("RCPT TO:<nobody@"), "{group:?}");
    assert_eq!(group[3], "DATA");
}

#[test]
fn pipeline_without_server_support_falls_back_to_one_at_a_time() {
    let srv = SmtpServer::builder()
        .ehlo_keywords(&["SIZE 1000000", "8BITMIME"])
        .start();
    smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--pipeline",
            "--to",
            "user@example.test",
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains("does not offer PIPELINING"));
}

#[test]
fn chunking_sends_bdat() {
    let srv = SmtpServer::builder().start();
    smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--chunking",
            "--to",
            "user@example.test",
        ])
        .assert()
        .success();
    let msgs = srv.messages();
    assert!(msgs[0].via_bdat);
    assert!(
        srv.commands()
            .iter()
            .any(|c| c.starts_with("BDAT ") && c.ends_with(" LAST"))
    );
}

#[test]
fn dot_stuffing_round_trips_the_body() {
    let srv = SmtpServer::builder().start();
    let body = ".leading dot\n..two dots\n.\nend\n";
    smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--to",
            "user@example.test",
            "--body",
            body,
        ])
        .assert()
        .success();
    let data = String::from_utf8_lossy(&srv.messages()[0].data).into_owned();
    assert!(
        data.contains("\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n"),
        "{data:?}"
    );
}

#[test]
fn raw_data_file_is_sent_with_crlf_and_stuffing() {
    let srv = SmtpServer::builder().start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("msg.eml");
    std::fs::write(&file, "Subject: raw\n\n.dot\nbody\n").unwrap();
    smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--to",
            "user@example.test",
            "--data",
            file.to_str().unwrap(),
        ])
        .assert()
        .success();
    assert_eq!(
        srv.messages()[0].data,
        b"Subject: raw\r\n\r\n.dot\r\nbody\r\n"
    );
}

#[test]
fn attachments_and_headers_build_a_mime_message() {
    let srv = SmtpServer::builder().start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, b"%PDF-1.4\x00\x01binary").unwrap();
    smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--to",
            "a@b.example",
            "--attach",
            file.to_str().unwrap(),
            "--header",
            "X-Test: 1",
            "--subject",
            "hello",
        ])
        .assert()
        .success();
    let data = String::from_utf8_lossy(&srv.messages()[0].data).into_owned();
    assert!(data.contains("X-Test: 1\r\n"), "{data}");
    assert!(data.contains("Subject: hello\r\n"), "{data}");
    assert!(data.contains("multipart/mixed"), "{data}");
    assert!(data.contains("filename=\"report.pdf\""), "{data}");
    assert!(data.contains("Content-Transfer-Encoding: base64"), "{data}");
}

#[test]
fn quit_after_rcpt_stops_cleanly_without_data() {
    let srv = SmtpServer::builder().start();
    let out = smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--to",
            "a@b.example",
            "--quit-after",
            "rcpt",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let cmds = srv.commands();
    assert!(cmds.iter().any(|c| c.starts_with("RCPT")));
    assert!(!cmds.iter().any(|c| c == "DATA"));
    assert_eq!(cmds.last().map(String::as_str), Some("QUIT"));
    assert_eq!(result(&json_lines(&out.stdout))["stopped_after"], "rcpt");
    assert!(srv.messages().is_empty());
}

#[test]
fn quit_after_each_step_sends_nothing_beyond_it() {
    for (step, last_verb) in [
        ("banner", None),
        ("ehlo", Some("EHLO")),
        ("mail", Some("MAIL")),
        ("data", Some("DATA")),
    ] {
        let srv = SmtpServer::builder().start();
        smtp_doctor()
            .args([
                "send",
                "-s",
                &srv.arg(),
                "--to",
                "a@b.example",
                "--quit-after",
                step,
            ])
            .assert()
            .success();
        let cmds: Vec<String> = srv.commands().into_iter().filter(|c| c != "QUIT").collect();
        match last_verb {
            None => assert!(cmds.is_empty(), "{step}: {cmds:?}"),
            Some(v) => assert!(
                cmds.last().is_some_and(|c| c.starts_with(v)),
                "{step}: {cmds:?}"
            ),
        }
        assert!(srv.messages().is_empty(), "{step}: no message");
    }
    let srv = SmtpServer::builder().start();
    smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--to",
            "a@b.example",
            "--quit-after",
            "connect",
        ])
        .assert()
        .success();
    assert!(srv.commands().is_empty());
}

#[test]
fn line_ending_lf_is_sent_and_announced() {
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
            "--quit-after",
            "ehlo",
        ])
        .output()
        .unwrap();
    let t = text(&out.stdout);
    assert!(t.contains("bare LF"), "{t}");
    assert!(srv.saw_bare_lf());
    assert!(srv.received().starts_with(b"EHLO ") && !srv.received().contains(&b'\r'));
}

#[test]
fn show_crlf_makes_line_ends_visible() {
    let srv = SmtpServer::builder().start();
    smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--to",
            "a@b.example",
            "--show-crlf",
            "--quit-after",
            "ehlo",
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains("-> EHLO ").and(predicates::str::contains("\\r\\n")));
}

#[test]
fn color_always_colours_and_never_does_not() {
    let srv = SmtpServer::builder().start();
    smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--to",
            "a@b.example",
            "--quit-after",
            "banner",
            "--color",
            "always",
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains("\x1b["));
}

#[test]
fn connection_refused_exits_4_and_keeps_the_attempt() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = smtp_doctor()
        .args([
            "send",
            "-s",
            &format!("127.0.0.1:{port}"),
            "--to",
            "a@b.example",
            "--json",
        ])
        .assert()
        .code(4)
        .get_output()
        .clone();
    let ev = json_lines(&out.stdout);
    let res = result(&ev);
    assert_eq!(res["attempts"][0]["failure"], "refused");
    assert_eq!(res["error"]["phase"], "connect");
}

#[test]
fn mx_resolution_uses_the_dns_server_in_preference_order() {
    let srv = SmtpServer::builder().start();
    // mx1 (preference 10) points at an address where nothing listens on srv's port;
    // mx2 (preference 20) at 127.0.0.1 where the server is.
    let dns = DnsServer::builder()
        .mx("test.example", 20, "mx2.test.example")
        .mx("test.example", 10, "mx1.test.example")
        .a("mx1.test.example", "127.0.0.3")
        .a("mx2.test.example", "127.0.0.1")
        .start();
    let out = smtp_doctor()
        .args([
            "send",
            "--to",
            "user@test.example",
            "--dns-server",
            &dns.arg(),
            "-p",
            &srv.port().to_string(),
            "--connect-timeout",
            "2",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let ev = json_lines(&out.stdout);
    let resolve = events(&ev, "resolve");
    assert_eq!(resolve[0]["mx"][0]["host"], "mx1.test.example");
    assert_eq!(resolve[0]["mx"][1]["host"], "mx2.test.example");
    let connects = events(&ev, "connect");
    assert_eq!(connects[0]["host"], "mx1.test.example");
    assert_eq!(connects[0]["ok"], false);
    assert_eq!(connects[1]["host"], "mx2.test.example");
    assert_eq!(connects[1]["ok"], true);
    assert_eq!(result(&ev)["server"], "mx2.test.example");
    assert_eq!(srv.messages().len(), 1);
}

#[test]
fn null_mx_exits_3() {
    let dns = DnsServer::builder().null_mx("nullmx.test.example").start();
    smtp_doctor()
        .args([
            "send",
            "--to",
            "user@nullmx.test.example",
            "--dns-server",
            &dns.arg(),
        ])
        .assert()
        .code(3)
        .stdout(predicates::str::contains("null MX"));
}

#[test]
fn nxdomain_exits_3() {
    let dns = DnsServer::builder()
        .a("other.test.example", "127.0.0.1")
        .start();
    smtp_doctor()
        .args([
            "send",
            "--to",
            "user@missing.test.example",
            "--dns-server",
            &dns.arg(),
        ])
        .assert()
        .code(3)
        .stdout(predicates::str::contains("does not exist"));
}

#[test]
fn implicit_mx_uses_the_domain_address() {
    let srv = SmtpServer::builder().start();
    let dns = DnsServer::builder()
        .a("implicit.test.example", "127.0.0.1")
        .start();
    let out = smtp_doctor()
        .args([
            "send",
            "--to",
            "user@implicit.test.example",
            "--dns-server",
            &dns.arg(),
            "-p",
            &srv.port().to_string(),
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let ev = json_lines(&out.stdout);
    assert_eq!(events(&ev, "resolve")[0]["implicit"], true);
}

#[test]
fn usage_errors_exit_2() {
    smtp_doctor().args(["send"]).assert().code(2);
    smtp_doctor()
        .args(["send", "--to", "not-an-address", "-s", "127.0.0.1:1"])
        .assert()
        .code(2);
    smtp_doctor()
        .args(["send", "--to", "a@b.example", "-s", "127.0.0.1:99999"])
        .assert()
        .code(2);
    smtp_doctor()
        .args([
            "send",
            "--to",
            "a@b.example\r\nRCPT TO:<x@y>",
            "-s",
            "127.0.0.1:1",
        ])
        .assert()
        .code(2);
    smtp_doctor()
        .args(["send", "--to", "a@b.example", "-s", "127.0.0.1:1", "-a"])
        .assert()
        .code(2);
}

#[test]
fn ehlo_refused_falls_back_to_helo() {
    let srv = SmtpServer::builder()
        .reply_to("EHLO", "502 5.5.2 Error: command not recognized")
        .start();
    let out = smtp_doctor()
        .args(["send", "-s", &srv.arg(), "--to", "a@b.example", "--json"])
        .assert()
        .success()
        .get_output()
        .clone();
    let cmds = srv.commands();
    assert!(
        cmds[0].starts_with("EHLO ") && cmds[1].starts_with("HELO "),
        "{cmds:?}"
    );
    assert!(
        events(&json_lines(&out.stdout), "info")
            .iter()
            .any(|e| e["message"].as_str().unwrap_or("").contains("HELO"))
    );
    assert_eq!(srv.messages().len(), 1);
}

#[test]
fn helo_flag_says_helo() {
    let srv = SmtpServer::builder().start();
    smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--to",
            "a@b.example",
            "--helo",
            "--ehlo",
            "client.example",
        ])
        .assert()
        .success();
    assert_eq!(srv.commands()[0], "HELO client.example");
}

#[test]
fn mail_from_carries_size_body_and_smtputf8_when_offered() {
    let srv = SmtpServer::builder().start();
    smtp_doctor()
        .args([
            "send",
            "-s",
            &srv.arg(),
            "--to",
            "a@b.example",
            "--8bitmime",
            "--smtputf8",
            "--body",
            "caf\u{e9}",
        ])
        .assert()
        .success();
    let params = &srv.messages()[0].mail_params;
    assert!(params.iter().any(|p| p.starts_with("SIZE=")), "{params:?}");
    assert!(params.contains(&"BODY=8BITMIME".to_string()), "{params:?}");
    assert!(params.contains(&"SMTPUTF8".to_string()), "{params:?}");
    // Without SIZE/8BITMIME/SMTPUTF8 advertised, no parameters are sent.
    let bare = SmtpServer::builder().ehlo_keywords(&["PIPELINING"]).start();
    smtp_doctor()
        .args(["send", "-s", &bare.arg(), "--to", "a@b.example"])
        .assert()
        .success();
    assert!(
        bare.messages()[0].mail_params.is_empty(),
        "{:?}",
        bare.messages()[0].mail_params
    );
}

#[test]
fn address_family_flags_filter_addresses() {
    let srv = SmtpServer::builder().start();
    // An IPv4 server with -6: nothing to connect to, said clearly.
    smtp_doctor()
        .args(["send", "-s", &srv.arg(), "-6", "--to", "a@b.example"])
        .assert()
        .code(3)
        .stdout(predicates::str::contains("no IPv6 address"));
    smtp_doctor()
        .args(["send", "-s", &srv.arg(), "-4", "--to", "a@b.example"])
        .assert()
        .success();
}
