//! `smtp-doctor shell` in script mode (stdin that is not a terminal, or `--script FILE`),
//! driving the built binary against in-process servers on 127.0.0.1: every meta command,
//! expectations that hold and fail (with file:line), exact bytes for `/raw`, secrets kept out
//! of the transcript and JSON, and the exit codes of SPEC.md.

mod common;
mod support;

use common::*;
use std::time::Duration;
use support::{CertKind, DnsServer, Misbehave, SmtpServer, Step, TestCerts};

fn ca() -> String {
    TestCerts::get().ca_file().display().to_string()
}

/// Runs `shell TARGET` with `script` on stdin; returns (exit code, stdout).
fn run(target: &str, script: &str, extra: &[&str]) -> (i32, String) {
    let out = smtp_doctor()
        .args(["shell", target])
        .args(extra)
        .write_stdin(script)
        .output()
        .expect("ran the binary");
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (out.status.code().unwrap_or(-1), format!("{stdout}{stderr}"))
}

#[test]
fn script_lines_go_out_as_typed_with_crlf_and_expectations_hold() {
    let srv = SmtpServer::start_default();
    let script = "EHLO me.example\n/expect 250\nmail from:<a@me.example>\n/expect 2xx 2.1.0\nRCPT TO:<b@example.test>\n/expect ^250 .*ok\nQUIT\n/expect 221\n";
    let (code, out) = run(&srv.arg(), script, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        srv.received(),
        b"EHLO me.example\r\nmail from:<a@me.example>\r\nRCPT TO:<b@example.test>\r\nQUIT\r\n"
    );
    assert!(out.contains(" -> mail from:<a@me.example>"), "{out}");
    assert!(out.contains("=== /expect 2xx 2.1.0: held"), "{out}");
    assert!(
        out.contains("=== Script done: 8 lines, 4 expectations held"),
        "{out}"
    );
}

#[test]
fn the_readme_example_starts_tls_and_says_ehlo_again() {
    let srv = SmtpServer::builder().starttls(CertKind::Valid).start();
    let script =
        "EHLO me.example\n/expect 250\n/starttls\nMAIL FROM:<a@me.example>\n/expect 250\nQUIT\n";
    let target = srv.arg();
    let (code, out) = run(&target, script, &["--sni", "localhost", "--ca-file", &ca()]);
    assert_eq!(code, 0, "{out}");
    let records = srv.session_records();
    assert!(records[0].tls, "TLS was started");
    assert_eq!(
        srv.commands(),
        [
            "EHLO me.example",
            "STARTTLS",
            "EHLO me.example",
            "MAIL FROM:<a@me.example>",
            "QUIT"
        ]
    );
    assert!(out.contains("=== TLS 1.3, "), "{out}");
    assert!(
        out.contains("===   leaf 0: "),
        "the certificate is shown: {out}"
    );
    assert!(out.contains(" ~> EHLO me.example"), "{out}");
    assert!(out.contains(" ~> MAIL FROM:<a@me.example>"), "{out}");
}

#[test]
fn a_failed_expectation_stops_the_script_with_file_line_and_exit_1() {
    let srv = SmtpServer::builder()
        .reject_rcpt(
            "nobody",
            "550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown",
        )
        .start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("check.smtp");
    std::fs::write(&file, "# a check\nEHLO me.example\nMAIL FROM:<a@me.example>\nRCPT TO:<nobody@example.test>\n/expect 250\nNOOP\n").unwrap();
    let (code, out) = run(&srv.arg(), "", &["--script", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let location = format!("{}:5:", file.display());
    assert!(out.contains(&location), "file:line in {out}");
    assert!(
        out.contains("/expect 250 failed: expected a 250 reply, got 550 5.1.1"),
        "{out}"
    );
    assert!(
        out.contains("!!! 550 5.1.1 is permanent"),
        "the explanation follows the reply: {out}"
    );
    assert!(
        !srv.commands().iter().any(|c| c == "NOOP"),
        "nothing after the failure was sent"
    );
    assert_eq!(
        srv.commands().last().map(String::as_str),
        Some("QUIT"),
        "still QUIT politely"
    );
}

#[test]
fn a_failed_expectation_on_stdin_names_the_stdin_line() {
    let srv = SmtpServer::start_default();
    let (code, out) = run(&srv.arg(), "EHLO me.example\n\n/expect 5xx\n", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("<stdin>:3: /expect 5xx failed"), "{out}");
    assert!(
        out.contains("*** Script stopped at <stdin>:3 (exit 1)"),
        "{out}"
    );
}

#[test]
fn expectations_by_regex_and_enhanced_code() {
    let srv = SmtpServer::start_default();
    let script =
        "EHLO me.example\n/expect ^250.pipelining$\nNOOP\n/expect 2.0.0\nRSET\n/expect 250 2.x.x\n";
    let (code, out) = run(&srv.arg(), script, &[]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(&srv.arg(), "EHLO me.example\n/expect STARTTLS\n", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("to match /STARTTLS/"), "{out}");
}

#[test]
fn a_bare_lf_from_raw_reaches_the_server_as_exactly_those_bytes() {
    let srv = SmtpServer::start_default();
    let script = "EHLO me.example\n/raw NOOP\\n\n/expect 500 5.5.2 bare\nQUIT\n";
    let (code, out) = run(&srv.arg(), script, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(srv.received(), b"EHLO me.example\r\nNOOP\nQUIT\r\n");
    assert!(srv.saw_bare_lf());
    assert!(out.contains(" -> NOOP  [bare LF]"), "{out}");
    assert!(
        out.contains("RFC 5321 §2.3.8"),
        "the warning says why: {out}"
    );
}

#[test]
fn raw_escapes_send_exact_bytes_without_adding_a_line_end() {
    let srv = SmtpServer::start_default();
    let script = "/raw EH\n/raw LO\\x20me\\texample\\r\\n\n/expect 250\n/raw NOOP\\r\\nNOOP\\r\\n\n/expect 250\nQUIT\n";
    let (code, out) = run(&srv.arg(), script, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        srv.received(),
        b"EHLO me\texample\r\nNOOP\r\nNOOP\r\nQUIT\r\n"
    );
    assert!(
        out.contains("sent 2 bytes without a line end: \"EH\""),
        "{out}"
    );
    assert_eq!(
        out.matches("<-  250 2.0.0").count(),
        2,
        "both pipelined replies read: {out}"
    );
}

#[test]
fn an_unknown_escape_in_raw_is_a_usage_error() {
    let srv = SmtpServer::start_default();
    let (code, out) = run(&srv.arg(), "/raw NOOP\\q\n", &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("<stdin>:1: unknown escape `\\q`"), "{out}");
}

#[test]
fn auth_password_from_the_environment_is_used_and_never_shown() {
    let srv = SmtpServer::builder()
        .auth_credentials("tester", "s3cret-pass")
        .start();
    let script = "EHLO me.example\n/auth PLAIN tester ${SMTP_PASSWORD}\n/expect 235\nQUIT\n";
    for json in [false, true] {
        let mut cmd = smtp_doctor();
        cmd.args(["shell", &srv.arg(), "--allow-plaintext-auth"])
            .env("SMTP_PASSWORD", "s3cret-pass")
            .write_stdin(script);
        if json {
            cmd.arg("--json");
        }
        let out = cmd.output().unwrap();
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{all}");
        assert!(!all.contains("s3cret"), "password shown: {all}");
        // base64("\0tester\0s3cret-pass")
        assert!(
            !all.contains("AHRlc3RlcgBzM2NyZXQtcGFzcw"),
            "AUTH payload shown: {all}"
        );
        if json {
            let ev = json_lines(&out.stdout);
            assert!(
                sent_lines(&ev).iter().any(|l| l == "AUTH PLAIN ***"),
                "{all}"
            );
            assert_eq!(result(&ev)["command"], "shell");
        } else {
            assert!(
                all.contains("AUTH PLAIN without TLS (--allow-plaintext-auth)"),
                "plaintext warning: {all}"
            );
        }
    }
    let attempts = srv.auth_attempts();
    assert!(
        attempts.iter().all(|a| a.success && a.mechanism == "PLAIN"),
        "{attempts:?}"
    );
}

#[test]
fn auth_login_and_cram_md5_do_their_exchanges() {
    let srv = SmtpServer::builder()
        .auth_credentials("tester", "pw")
        .start();
    for mech in ["LOGIN", "CRAM-MD5", "XOAUTH2"] {
        let script = format!("EHLO me.example\n/auth {mech} tester pw\n/expect 235\n");
        let (code, out) = run(&srv.arg(), &script, &["--allow-plaintext-auth"]);
        assert_eq!(code, 0, "{mech}: {out}");
        assert!(
            !out.contains("cHc="),
            "{mech}: base64 of the password shown: {out}"
        );
    }
    let mechs: Vec<String> = srv
        .auth_attempts()
        .iter()
        .filter(|a| a.success)
        .map(|a| a.mechanism.clone())
        .collect();
    assert_eq!(mechs, ["LOGIN", "CRAM-MD5", "XOAUTH2"]);
}

#[test]
fn refused_auth_exits_6_unless_an_expect_checks_it() {
    let srv = SmtpServer::builder()
        .auth_credentials("tester", "right")
        .start();
    let (code, out) = run(
        &srv.arg(),
        "EHLO me.example\n/auth PLAIN tester wrong\nNOOP\n",
        &["--allow-plaintext-auth"],
    );
    assert_eq!(code, 6, "{out}");
    assert!(
        out.contains("<stdin>:2: authentication as tester with PLAIN failed: 535"),
        "{out}"
    );
    assert!(
        !srv.commands().iter().any(|c| c == "NOOP"),
        "the script stopped at the refusal"
    );
    let (code, out) = run(
        &srv.arg(),
        "EHLO me.example\n/auth PLAIN tester wrong\n# comments do not count\n/expect 535 5.7.8\nNOOP\n",
        &["--allow-plaintext-auth"],
    );
    assert_eq!(code, 0, "{out}");
}

#[test]
fn auth_refuses_to_send_credentials_without_tls_unless_allowed() {
    let srv = SmtpServer::builder()
        .auth_credentials("tester", "pw")
        .start();
    let (code, out) = run(
        &srv.arg(),
        "EHLO me.example\n/auth PLAIN tester pw\nNOOP\n",
        &[],
    );
    assert_eq!(code, 6, "{out}");
    assert!(
        out.contains("<stdin>:2: refusing to send credentials over a connection without TLS"),
        "{out}"
    );
    assert!(
        out.contains("--allow-plaintext-auth"),
        "the hint names the way out: {out}"
    );
    assert_eq!(
        srv.commands(),
        ["EHLO me.example", "QUIT"],
        "no AUTH was sent"
    );
}

#[test]
fn auth_without_a_password_and_no_terminal_says_how_to_give_one() {
    let srv = SmtpServer::builder()
        .auth_credentials("tester", "pw")
        .start();
    let (code, out) = run(
        &srv.arg(),
        "EHLO me.example\n/auth PLAIN tester\n",
        &["--allow-plaintext-auth"],
    );
    assert_eq!(code, 6, "{out}");
    assert!(out.contains("no terminal to ask on"), "{out}");
    assert!(
        out.contains("${SMTP_PASSWORD}"),
        "the hint shows the third word: {out}"
    );
}

#[test]
fn refused_starttls_exits_5_unless_expected() {
    let srv = SmtpServer::builder()
        .starttls(CertKind::Valid)
        .misbehave(Misbehave::Starttls454)
        .start();
    let (code, out) = run(
        &srv.arg(),
        "EHLO me.example\n/starttls\nMAIL FROM:<a@b.example>\n",
        &[],
    );
    assert_eq!(code, 5, "{out}");
    assert!(out.contains("STARTTLS was refused: 454"), "{out}");
    assert!(
        !srv.commands().iter().any(|c| c.starts_with("MAIL")),
        "nothing sent in plaintext after the refusal"
    );
    let (code, out) = run(&srv.arg(), "EHLO me.example\n/starttls\n/expect 454\n", &[]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn an_untrusted_certificate_fails_starttls_with_exit_5() {
    let srv = SmtpServer::builder().starttls(CertKind::SelfSigned).start();
    let (code, out) = run(
        &srv.arg(),
        "EHLO me.example\n/starttls\nNOOP\n",
        &["--sni", "localhost", "--ca-file", &ca()],
    );
    assert_eq!(code, 5, "{out}");
    assert!(out.contains("self-signed"), "{out}");
}

#[test]
fn data_dot_stuffs_the_message_and_ends_it_with_crlf_dot_crlf() {
    let srv = SmtpServer::start_default();
    let script = "EHLO me.example\nMAIL FROM:<a@me.example>\nRCPT TO:<b@example.test>\n/data\nSubject: test\n\n.starts with a dot\n# not a comment here\n\n..\n.\n/expect 250 queued as\nQUIT\n";
    let (code, out) = run(&srv.arg(), script, &[]);
    assert_eq!(code, 0, "{out}");
    let msgs = srv.messages();
    assert_eq!(msgs.len(), 1);
    assert_eq!(
        msgs[0].data,
        b"Subject: test\r\n\r\n.starts with a dot\r\n# not a comment here\r\n\r\n..\r\n"
    );
    let wire = String::from_utf8_lossy(&srv.received()).into_owned();
    assert!(
        wire.contains("\r\n..starts with a dot\r\n"),
        "dot-stuffed on the wire: {wire:?}"
    );
    assert!(wire.contains("\r\n...\r\n.\r\n"), "{wire:?}");
}

#[test]
fn a_refused_data_never_sends_the_message_lines_as_commands() {
    let srv = SmtpServer::start_default();
    let script = "EHLO me.example\n/data\nRSET\nQUIT\n.\nNOOP\n";
    let (code, out) = run(&srv.arg(), script, &[]);
    assert_eq!(code, 7, "a 5xx to DATA (exit 7): {out}");
    assert!(
        out.contains("DATA before MAIL and RCPT"),
        "warned first: {out}"
    );
    let cmds = srv.commands();
    assert!(cmds.iter().any(|c| c == "DATA"), "{cmds:?}");
    assert!(!cmds.iter().any(|c| c == "RSET" || c == "NOOP"), "{cmds:?}");
}

#[test]
fn a_message_without_its_final_dot_is_a_usage_error() {
    let srv = SmtpServer::start_default();
    let (code, out) = run(&srv.arg(), "EHLO me.example\n/data\nSubject: x\n", &[]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("<stdin>:2: the message after /data has no lone . line"),
        "{out}"
    );
}

#[test]
fn data_and_auth_typed_by_hand_work_as_in_telnet_but_secrets_stay_hidden() {
    let srv = SmtpServer::builder()
        .auth_credentials("tester", "pw")
        .start();
    // LOGIN by hand: base64("tester") = dGVzdGVy, base64("pw") = cHc=
    let script = "EHLO me.example\nAUTH LOGIN\n/expect 334\ndGVzdGVy\ncHc=\n/expect 235\nMAIL FROM:<a@me.example>\nRCPT TO:<b@example.test>\nDATA\n/expect 354\nSubject: typed\n\nhello\n.\n/expect 250\nQUIT\n";
    let (code, out) = run(&srv.arg(), script, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        !out.contains("cHc="),
        "the password line is redacted: {out}"
    );
    assert!(out.contains(" -> ***"), "{out}");
    assert_eq!(srv.messages()[0].data, b"Subject: typed\r\n\r\nhello\r\n");
    assert_eq!(srv.messages()[0].auth_user.as_deref(), Some("tester"));
}

#[test]
fn bdat_typed_by_hand_waits_for_its_chunk() {
    let srv = SmtpServer::start_default();
    let script = "EHLO me.example\nMAIL FROM:<a@me.example>\nRCPT TO:<b@example.test>\nBDAT 7 LAST\nhello\n/expect 250\nQUIT\n";
    let (code, out) = run(&srv.arg(), script, &[]);
    assert_eq!(code, 0, "{out}");
    let msgs = srv.messages();
    assert!(msgs[0].via_bdat);
    assert_eq!(msgs[0].data, b"hello\r\n");
}

#[test]
fn out_of_order_commands_are_warned_about_and_still_sent() {
    let srv = SmtpServer::start_default();
    let (code, out) = run(
        &srv.arg(),
        "MAIL FROM:<a@me.example>\n/expect 503\nRCPT TO:<b@x.test>\n",
        &[],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("!!! MAIL before EHLO/HELO: the server will likely answer 503 5.5.1"),
        "{out}"
    );
    assert!(out.contains("!!! RCPT before MAIL"), "{out}");
    assert!(
        srv.commands().iter().any(|c| c.starts_with("MAIL FROM")),
        "still sent"
    );
}

#[test]
fn explain_caps_tls_help_and_save_show_what_they_should() {
    let srv = SmtpServer::builder()
        .reply_to("VRFY", "502 5.5.1 VRFY command is disabled")
        .start();
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("transcript.txt");
    let script = format!(
        "EHLO me.example\n/caps\n/tls\nVRFY root\n/explain\n/explain 5.7.1\n/help\n/help raw\n/save {}\n",
        saved.display()
    );
    let (code, out) = run(&srv.arg(), &script, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("=== fake.test advertises:"), "{out}");
    assert!(out.contains("===   PIPELINING"), "{out}");
    assert!(out.contains("=== not encrypted"), "{out}");
    assert!(
        out.contains("=== explanation of 502 5.5.1 VRFY command is disabled:"),
        "{out}"
    );
    assert!(out.contains("!!! category: "), "{out}");
    assert!(out.contains("=== explanation of 5.7.1:"), "{out}");
    assert!(
        out.contains("/connect HOST[:PORT]"),
        "help lists the commands: {out}"
    );
    assert!(out.contains("=== /raw TEXT — send exact bytes"), "{out}");
    let t = std::fs::read_to_string(&saved).unwrap();
    assert!(
        t.contains(" -> EHLO me.example") && t.contains("<-* 502 5.5.1 VRFY command is disabled"),
        "{t}"
    );
    assert!(!t.contains('\x1b'));
}

#[test]
fn unknown_meta_commands_and_unset_variables_stop_the_script_with_exit_2() {
    let srv = SmtpServer::start_default();
    let (code, out) = run(&srv.arg(), "EHLO me.example\n/bogus\n", &[]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("<stdin>:2: unknown command /bogus: type /help"),
        "{out}"
    );
    let (code, out) = run(
        &srv.arg(),
        "# ${NOT_SET} in a comment is fine\nEHLO ${NOT_SET}\n",
        &[],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("<stdin>:2: the environment variable NOT_SET is not set"),
        "{out}"
    );
}

#[test]
fn connect_from_the_script_and_json_events_like_send() {
    let srv = SmtpServer::start_default();
    let script = format!(
        "/connect {}\nEHLO me.example\n/expect 250\nQUIT\n",
        srv.arg()
    );
    let out = smtp_doctor()
        .args(["shell", "--json"])
        .write_stdin(script)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ev = json_lines(&out.stdout);
    assert_eq!(events(&ev, "connect")[0]["ok"], true);
    assert_eq!(sent_lines(&ev), ["EHLO me.example", "QUIT"]);
    let replies = events(&ev, "reply");
    assert_eq!(replies[0]["code"], 220);
    assert_eq!(replies[1]["code"], 250);
    let res = result(&ev);
    assert_eq!(
        (
            res["command"].as_str(),
            res["mode"].as_str(),
            res["exit_code"].as_u64()
        ),
        (Some("shell"), Some("script"), Some(0))
    );
    assert_eq!(res["expectations_held"], 1);
}

#[test]
fn a_domain_target_connects_to_its_best_mx_that_answers() {
    let srv = SmtpServer::start_default();
    // mx1 (preference 10) has nothing listening on srv's port; mx2 (20) is the server.
    let dns = DnsServer::builder()
        .mx("test.example", 20, "mx2.test.example")
        .mx("test.example", 10, "mx1.test.example")
        .a("mx1.test.example", "127.0.0.3")
        .a("mx2.test.example", "127.0.0.1")
        .start();
    let port = srv.port().to_string();
    let args = [
        "--dns-server",
        &dns.arg(),
        "-p",
        &port,
        "--connect-timeout",
        "2",
    ];
    let (code, out) = run("test.example", "EHLO me.example\n/expect 250\n", &args);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("=== MX for test.example: 10 mx1.test.example, 20 mx2.test.example"),
        "{out}"
    );
    assert_eq!(srv.commands(), ["EHLO me.example", "QUIT"]);
    let (code, out) = run("nxdomain.test.example", "", &["--dns-server", &dns.arg()]);
    assert_eq!(code, 3, "DNS failures exit 3: {out}");
}

#[test]
fn commands_before_connect_are_refused_with_a_hint() {
    let (code, out) = run_no_target("NOOP\n");
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("not connected") && out.contains("/connect HOST[:PORT]"),
        "{out}"
    );
}

fn run_no_target(script: &str) -> (i32, String) {
    let out = smtp_doctor()
        .arg("shell")
        .write_stdin(script.to_string())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

#[test]
fn implicit_tls_with_tls_flag_and_on_a_second_connect() {
    let tls = SmtpServer::builder().implicit_tls(CertKind::Valid).start();
    let plain = SmtpServer::start_default();
    let script = format!(
        "EHLO me.example\n/tls\n/connect {}\nEHLO me.example\n/expect 250\n",
        plain.arg()
    );
    let (code, out) = run(
        &tls.arg(),
        &script,
        &["--tls", "--sni", "localhost", "--ca-file", &ca()],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("<~  220 "),
        "the greeting came inside TLS: {out}"
    );
    assert!(
        out.contains("=== certificate verified for localhost"),
        "{out}"
    );
    assert_eq!(
        tls.commands(),
        ["EHLO me.example", "QUIT"],
        "the first session ended with QUIT"
    );
    assert_eq!(plain.commands(), ["EHLO me.example", "QUIT"]);
}

#[test]
fn a_reply_nobody_asked_for_is_shown_before_the_next_line() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::Unsolicited(Step::cmd("EHLO")))
        .start();
    let (code, out) = run(&srv.arg(), "EHLO me.example\nNOOP\n/expect 250\n", &[]);
    assert_eq!(code, 9, "a script stops on a reply nobody asked for: {out}");
    assert!(out.contains("<-  250 surprise"), "{out}");
    assert!(out.contains("came unasked"), "{out}");
    assert!(out.contains("nobody asked for"), "{out}");
    assert!(
        !srv.commands().iter().any(|c| c == "NOOP"),
        "nothing sent after it"
    );
    // An /expect right after it checks that reply instead, and the script goes on.
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::Unsolicited(Step::cmd("EHLO")))
        .start();
    let (code, out) = run(
        &srv.arg(),
        "EHLO me.example\n/expect 250 surprise\nNOOP\n",
        &[],
    );
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_421_closes_the_session_and_later_commands_fail_with_exit_9() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::Close421AfterMail)
        .start();
    let (code, out) = run(
        &srv.arg(),
        "EHLO me.example\nMAIL FROM:<a@b.example>\nRCPT TO:<c@d.example>\n/expect 421\nNOOP\n",
        &[],
    );
    assert_eq!(code, 9, "{out}");
    assert!(out.contains("<-* 421 4.4.2"), "{out}");
    assert!(out.contains("the session has ended"), "{out}");
}

#[test]
fn connection_failures_exit_as_spec_says() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (code, out) = run(&format!("127.0.0.1:{port}"), "EHLO me.example\n", &[]);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("could not connect"), "{out}");
    let (code, out) = run(
        "127.0.0.1:25",
        "",
        &["--script", "/nonexistent/script.smtp"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("cannot read the script /nonexistent/script.smtp"),
        "{out}"
    );
    let (code, out) = run_no_target_args(&["--tls"]);
    assert_eq!(code, 2, "{out}");
}

fn run_no_target_args(args: &[&str]) -> (i32, String) {
    let out = smtp_doctor()
        .arg("shell")
        .args(args)
        .write_stdin("")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

#[test]
fn a_silent_server_times_out_with_exit_10() {
    let srv = SmtpServer::builder().misbehave(Misbehave::Silent).start();
    let start = std::time::Instant::now();
    let (code, out) = run(&srv.arg(), "EHLO me.example\n", &["--timeout", "1"]);
    assert_eq!(code, 10, "{out}");
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn hostile_server_text_is_sanitised() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::GarbageGreeting)
        .start();
    let (_, out) = run(&srv.arg(), "EHLO me.example\n/explain\n", &[]);
    assert!(
        !out.contains('\x1b'),
        "escape sequences reached the terminal: {out:?}"
    );
}
