//! `smtp-doctor check` probes, driven through the built binary against in-process SMTP servers
//! (well behaved and misbehaving): every per-port finding, the aggregate findings, exit codes,
//! and the `--server` / `--ports` handling.

mod check_helpers;
mod common;
mod support;

use check_helpers::{
    HOST, blackhole, check, check_with, closed_port, legacy_tls_server, port, server,
    starttls_server, zone,
};
use std::time::Duration;
use support::{CertKind, Misbehave, Reply, SmtpServer, Step, Then};

fn single(smtp_ports: &str) -> Vec<String> {
    vec![
        "single.test.example".into(),
        "--ports".into(),
        smtp_ports.into(),
    ]
}

fn run_single(ports: &str) -> check_helpers::Run {
    let dns = zone().start();
    let args = single(ports);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    check(&dns, &args)
}

#[test]
fn no_starttls_on_the_smtp_port_is_an_error() {
    let smtp = server().start();
    let run = run_single(&port(&smtp, "smtp"));
    assert_eq!(run.code, 1);
    let f = run.expect("no-starttls", "error");
    assert_eq!(f["phase"], "starttls");
    assert_eq!(f["port"], smtp.port());
    assert_eq!(run.probes()[0]["starttls"]["offered"], false);
    assert_eq!(run.target()["can_receive"], true);
}

#[test]
fn starttls_stripped_on_the_submission_port_is_an_error() {
    let sub = server()
        .starttls(CertKind::Valid)
        .misbehave(Misbehave::StripStarttls)
        .start();
    let run = run_single(&port(&sub, "submission"));
    assert_eq!(run.code, 1);
    let f = run.expect("no-starttls", "error");
    assert!(f["summary"].as_str().unwrap().contains("passwords"));
}

#[test]
fn starttls_refused_with_454_is_starttls_failed() {
    let smtp = server()
        .starttls(CertKind::Valid)
        .misbehave(Misbehave::Starttls454)
        .start();
    let run = run_single(&port(&smtp, "smtp"));
    assert_eq!(run.code, 1);
    let f = run.expect("starttls-failed", "error");
    assert_eq!(f["reply"]["code"], 454);
    assert!(
        f["reply"]["explanation"].is_object(),
        "the 454 is explained: {f}"
    );
    assert_eq!(run.probes()[0]["state"], "starttls-refused");
}

#[test]
fn a_stalled_handshake_after_starttls_is_starttls_failed_within_the_timeout() {
    let smtp = server()
        .starttls(CertKind::Valid)
        .misbehave(Misbehave::TlsStall)
        .start();
    let dns = zone().start();
    let run = check_with(
        &dns,
        &["single.test.example", "--ports", &port(&smtp, "smtp")],
        &["--timeout", "1"],
    );
    assert_eq!(run.code, 1);
    run.expect("starttls-failed", "error");
    let p = &run.probes()[0];
    assert_eq!(p["state"], "tls-failed");
    assert_eq!(p["tls"]["timed_out"], true);
    assert_eq!(p["errors"][0]["phase"], "tls-handshake");
}

#[test]
fn certificate_problems_are_errors_named_by_kind() {
    for (kind, id) in [
        (CertKind::Expired, "cert-expired"),
        (CertKind::SelfSigned, "cert-self-signed"),
        (CertKind::WrongHost, "cert-name-mismatch"),
    ] {
        let smtp = server().starttls(kind).start();
        let run = run_single(&port(&smtp, "smtp"));
        assert_eq!(run.code, 1, "{kind:?}: {:?}", run.ids());
        let f = run.expect(id, "error");
        assert_eq!(f["phase"], "tls-handshake");
        // The handshake is completed in recording mode: the probe still sees the EHLO inside TLS.
        let p = &run.probes()[0];
        assert_eq!(p["tls"]["verified"], false, "{kind:?}");
        assert!(p["capabilities_after_tls"].is_array(), "{kind:?}: {p}");
    }
}

#[test]
fn an_expired_certificate_says_how_long_ago() {
    let smtp = server().implicit_tls(CertKind::Expired).start();
    let run = run_single(&port(&smtp, "tls"));
    let f = run.expect("cert-expired", "error");
    assert!(f["summary"].as_str().unwrap().contains("days ago"), "{f}");
    assert_eq!(run.probes()[0]["tls"]["cert_problem"], "expired");
}

#[test]
fn a_certificate_expiring_within_14_days_is_a_warning() {
    let smtp = server().starttls(CertKind::ExpiringSoon).start();
    let run = run_single(&port(&smtp, "smtp"));
    assert_eq!(run.code, 0, "{:?}", run.ids());
    let f = run.expect("cert-expiring-soon", "warning");
    assert!(
        f["summary"].as_str().unwrap().contains("expires in 5 days"),
        "{f}"
    );
}

#[test]
fn a_certificate_from_an_unknown_ca_is_untrusted() {
    let smtp = starttls_server();
    let dns = zone().start();
    // Without --ca-file the test CA is unknown.
    let mut cmd = common::smtp_doctor();
    cmd.args([
        "--json",
        "--dns-server",
        &dns.arg(),
        "--timeout",
        "5",
        "check",
        "--ehlo",
        "client.test.example",
    ]);
    cmd.args(["single.test.example", "--ports", &port(&smtp, "smtp")]);
    let out = cmd.output().unwrap();
    let events = common::json_lines(&out.stdout);
    let report = common::report(&events);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "cert-untrusted" && f["severity"] == "error"),
        "{report}"
    );
}

#[test]
fn insecure_turns_certificate_errors_into_warnings() {
    let smtp = server().starttls(CertKind::Expired).start();
    let dns = zone().start();
    let run = check_with(
        &dns,
        &["single.test.example", "--ports", &port(&smtp, "smtp")],
        &["--insecure"],
    );
    assert_eq!(run.code, 0, "{:?}", run.ids());
    let f = run.expect("cert-expired", "warning");
    assert!(f["summary"].as_str().unwrap().contains("--insecure"));
    assert!(
        common::events(&run.events, "warning")
            .iter()
            .any(|w| w["message"].as_str().unwrap().contains("--insecure"))
    );
}

#[test]
fn tls_below_1_2_is_an_error() {
    let legacy = legacy_tls_server();
    let run = run_single(&format!("{}/smtp", legacy.port));
    assert_eq!(run.code, 1, "{:?}", run.ids());
    run.expect("tls-version-old", "error");
    assert_eq!(run.probes()[0]["tls"]["old_version"], true);
}

#[test]
fn a_plaintext_server_on_the_tls_port_is_a_handshake_failure() {
    let plain = server().start();
    let run = run_single(&port(&plain, "tls"));
    assert_eq!(run.code, 1);
    run.expect("tls-handshake-failed", "error");
    run.expect("implicit-tls-not-offered", "info");
}

#[test]
fn starttls_injection_is_an_error() {
    let smtp = server()
        .starttls(CertKind::Valid)
        .misbehave(Misbehave::StarttlsInjection)
        .start();
    let run = run_single(&port(&smtp, "smtp"));
    assert_eq!(run.code, 1);
    run.expect("starttls-injection", "error");
    assert!(
        run.probes()[0]["starttls"]["discarded_bytes"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[test]
fn starttls_still_advertised_inside_tls_is_a_warning() {
    let smtp = server()
        .starttls(CertKind::Valid)
        .on_nth(
            Step::cmd("EHLO"),
            2,
            Reply::text(&format!("250-{HOST}\n250-STARTTLS\n250 SIZE 1000")),
            Then::Continue,
        )
        .start();
    let run = run_single(&port(&smtp, "smtp"));
    assert_eq!(run.code, 0, "{:?}", run.ids());
    run.expect("starttls-still-advertised", "warning");
}

#[test]
fn auth_before_tls_is_an_error_and_auth_after_tls_is_recorded() {
    let sub = server()
        .starttls(CertKind::Valid)
        .auth_credentials("u", "p")
        .misbehave(Misbehave::AuthOnPlaintext)
        .start();
    let run = run_single(&port(&sub, "submission"));
    assert_eq!(run.code, 1);
    let f = run.expect("auth-before-tls", "error");
    assert!(f["summary"].as_str().unwrap().contains("PLAIN"));
    let p = &run.probes()[0];
    assert!(
        p["auth_before_tls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "LOGIN")
    );
    assert!(
        p["auth_after_tls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "PLAIN")
    );
    // No credentials were sent: a check never authenticates.
    assert!(sub.auth_attempts().is_empty());
    assert!(!check_helpers::verbs(&sub).contains(&"AUTH".to_string()));
}

#[test]
fn a_submission_port_without_auth_is_a_warning() {
    let sub = server().starttls(CertKind::Valid).start();
    let run = run_single(&port(&sub, "submission"));
    assert_eq!(run.code, 0);
    run.expect("submission-no-auth", "warning");
}

#[test]
fn a_554_greeting_is_an_error_and_the_domain_cannot_receive() {
    let smtp = server()
        .greeting("554 5.7.1 mail.test.example no SMTP service here")
        .start();
    let run = run_single(&port(&smtp, "smtp"));
    assert_eq!(run.code, 1);
    let f = run.expect("greeting-refused", "error");
    assert_eq!(f["reply"]["code"], 554);
    assert!(f["reply"]["explanation"]["summary"].is_string());
    assert_eq!(run.target()["can_receive"], false);
    assert_eq!(run.probes()[0]["state"], "greeting-refused");
    // RFC 5321 §3.1: after a 554 greeting the client says QUIT and nothing else.
    assert_eq!(check_helpers::verbs(&smtp), ["QUIT"]);
}

#[test]
fn ehlo_refused_but_helo_accepted_is_a_warning() {
    let smtp = server()
        .reply_to("EHLO", "502 5.5.2 Error: command not recognized")
        .start();
    let run = run_single(&port(&smtp, "smtp"));
    let f = run.expect("ehlo-refused", "warning");
    assert_eq!(f["reply"]["code"], 502);
    assert_eq!(run.probes()[0]["ehlo"]["helo"]["code"], 250);
    // HELO has no extensions, hence no STARTTLS either.
    run.expect("no-starttls", "error");
    assert_eq!(check_helpers::verbs(&smtp), ["EHLO", "HELO", "QUIT"]);
}

#[test]
fn ehlo_and_helo_refused_is_an_error() {
    let smtp = server()
        .reply_to(
            "EHLO",
            "550 5.7.1 client.test.example: Helo command rejected: Host not found",
        )
        .reply_to(
            "HELO",
            "550 5.7.1 client.test.example: Helo command rejected: Host not found",
        )
        .start();
    let run = run_single(&port(&smtp, "smtp"));
    assert_eq!(run.code, 1);
    run.expect("ehlo-refused", "error");
    assert_eq!(run.probes()[0]["state"], "ehlo-refused");
    assert_eq!(run.target()["can_receive"], false);
}

#[test]
fn a_slow_greeting_is_information_not_a_failure() {
    let smtp = server()
        .starttls(CertKind::Valid)
        .greeting_delay(Duration::from_millis(1200))
        .start();
    let run = run_single(&port(&smtp, "smtp"));
    assert_eq!(run.code, 0, "{:?}", run.ids());
    run.expect("greeting-delay", "info");
    assert!(run.probes()[0]["greeting"]["delay_ms"].as_u64().unwrap() >= 1000);
}

#[test]
fn a_silent_server_is_a_session_failure_in_the_greeting_phase() {
    let smtp = server().misbehave(Misbehave::Silent).start();
    let dns = zone().start();
    let run = check_with(
        &dns,
        &["single.test.example", "--ports", &port(&smtp, "smtp")],
        &["--timeout", "1"],
    );
    assert_eq!(run.code, 1);
    let f = run.expect("session-failed", "error");
    assert_eq!(f["phase"], "greeting");
    assert_eq!(run.probes()[0]["state"], "no-greeting");
    assert_eq!(run.probes()[0]["errors"][0]["kind"], "timeout");
}

#[test]
fn refused_ports_are_reported_and_unreachable_smtp_exits_4() {
    let (a, b, c) = (closed_port(), closed_port(), closed_port());
    let run = run_single(&format!("{a}/smtp,{b}/submission,{c}/tls"));
    assert_eq!(run.code, 4, "{:?}", run.ids());
    assert_eq!(run.expect("connect-refused", "warning")["port"], a);
    assert!(
        run.finding("connect-refused")
            .iter()
            .any(|f| f["severity"] == "info" && f["port"] == b)
    );
    let f = run.expect("no-mx-reachable", "error");
    assert!(f["summary"].as_str().unwrap().contains("refused"), "{f}");
    run.expect("submission-not-offered", "info");
    run.expect("implicit-tls-not-offered", "info");
    assert_eq!(run.probes()[0]["state"], "refused");
    assert_eq!(run.target()["can_receive"], false);
}

#[test]
fn submission_and_tls_not_offered_are_information_when_smtp_works() {
    let smtp = starttls_server();
    let run = run_single(&format!(
        "{},{}/submission,{}/tls",
        port(&smtp, "smtp"),
        closed_port(),
        closed_port()
    ));
    assert_eq!(run.code, 0, "{:?}", run.ids());
    run.expect("submission-not-offered", "info");
    run.expect("implicit-tls-not-offered", "info");
    run.absent("no-mx-reachable");
}

#[test]
fn connect_timeouts_are_told_apart_from_refusals() {
    let hole = blackhole();
    let dns = zone().start();
    let run = check_with(
        &dns,
        &[
            "single.test.example",
            "--ports",
            &format!("{}/smtp", hole.port),
        ],
        &["--connect-timeout", "1"],
    );
    assert_eq!(run.code, 4, "{:?}", run.ids());
    run.expect("connect-timeout", "warning");
    let f = run.expect("no-mx-reachable", "error");
    assert!(f["summary"].as_str().unwrap().contains("timed out"), "{f}");
    assert!(
        f["explanation"]
            .as_str()
            .unwrap()
            .contains("outbound port 25"),
        "{f}"
    );
    assert_eq!(run.probes()[0]["state"], "timeout");
}

#[test]
fn server_mode_probes_the_named_port_without_mx() {
    let smtp = starttls_server();
    let dns = zone().start();
    let run = check(&dns, &["--server", &smtp.arg(), "--sni", HOST]);
    assert_eq!(run.code, 0, "{:?}", run.ids());
    let t = run.target();
    assert_eq!(t["mode"], "server");
    assert_eq!(run.probes().len(), 1);
    assert_eq!(run.probes()[0]["port"], smtp.port());
    assert_eq!(run.probes()[0]["role"], "smtp");
    assert_eq!(run.probes()[0]["source"], "server");
    assert!(
        dns.queries()
            .iter()
            .all(|q| q.qtype != hickory_proto::rr::RecordType::MX)
    );
}

#[test]
fn server_mode_uses_the_ports_list_for_a_host_without_port() {
    let smtp = starttls_server();
    let sub = server()
        .starttls(CertKind::Valid)
        .auth_credentials("u", "p")
        .start();
    let dns = zone().start();
    let ports = format!("{},{}", port(&smtp, "smtp"), port(&sub, "submission"));
    let run = check(&dns, &["--server", HOST, "--ports", &ports]);
    assert_eq!(run.code, 0, "{:?}", run.ids());
    assert_eq!(run.probes().len(), 2);
}

#[test]
fn usage_errors_exit_2() {
    let dns = zone().start();
    for args in [
        vec!["single.test.example", "--ports", "25/http"],
        vec!["single.test.example", "--ports", "0"],
        vec!["--server", "127.0.0.1:25", "--ports", "587"],
        vec!["a b"],
        vec!["single.test.example", "--ehlo", "bad\rname"],
    ] {
        let run = check(&dns, &args);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(
            common::events(&run.events, "error")
                .iter()
                .any(|e| e["phase"] == "usage"),
            "{args:?}"
        );
    }
}

#[test]
fn probes_run_concurrently_and_the_report_keeps_their_order() {
    // Four slow greetings; sequentially this takes over 4 s, so the probes must overlap for
    // every greeting to arrive well inside the 3 s per-step timeout measured from the start.
    let slow = || {
        server()
            .starttls(CertKind::Valid)
            .greeting_delay(Duration::from_millis(1000))
            .start()
    };
    let (a, b) = (slow(), slow());
    let dns = zone().start();
    let ports = format!("{},{}", port(&a, "smtp"), port(&b, "smtp"));
    let run = check(&dns, &["test.example", "--ports", &ports]);
    assert_eq!(run.code, 0, "{:?}", run.ids());
    let ids: Vec<&str> = run
        .probes()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            format!("mx1.test.example [127.0.0.1]:{}", a.port()),
            format!("mx1.test.example [127.0.0.1]:{}", b.port()),
            format!("mx2.test.example [127.0.0.1]:{}", a.port()),
            format!("mx2.test.example [127.0.0.1]:{}", b.port()),
        ]
    );
    assert!(run.probes().iter().all(|p| p["state"] == "ok"));
}

#[test]
fn garbage_in_the_greeting_never_reaches_the_terminal_raw() {
    let smtp = SmtpServer::builder()
        .hostname(HOST)
        .misbehave(Misbehave::GarbageGreeting)
        .start();
    let dns = zone().start();
    let ca = support::TestCerts::get()
        .ca_file()
        .to_string_lossy()
        .into_owned();
    for verbose in [false, true] {
        let mut cmd = common::smtp_doctor();
        cmd.args([
            "--color",
            "never",
            "--dns-server",
            &dns.arg(),
            "--ca-file",
            &ca,
            "--timeout",
            "5",
        ]);
        if verbose {
            cmd.arg("-v");
        }
        cmd.args([
            "check",
            "--ehlo",
            "client.test.example",
            "single.test.example",
            "--ports",
            &port(&smtp, "smtp"),
        ]);
        let out = cmd.output().unwrap();
        let text = common::text(&out.stdout);
        assert!(
            !text.contains('\x1b') && !text.contains('\x07') && !text.contains('\0'),
            "{text:?}"
        );
        assert!(
            text.contains("\\x1b]0;pwned"),
            "the escape is shown escaped: {text}"
        );
    }
}

#[test]
fn human_output_has_a_table_findings_and_a_verdict() {
    let smtp = server().starttls(CertKind::Expired).start();
    let dns = zone().start();
    let ca = support::TestCerts::get()
        .ca_file()
        .to_string_lossy()
        .into_owned();
    let mut cmd = common::smtp_doctor();
    cmd.args([
        "--dns-server",
        &dns.arg(),
        "--ca-file",
        &ca,
        "--timeout",
        "5",
    ]);
    cmd.args([
        "check",
        "--ehlo",
        "client.test.example",
        "single.test.example",
        "--ports",
        &port(&smtp, "smtp"),
    ]);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = common::text(&out.stdout);
    assert!(
        text.contains("=== MX for single.test.example: 10 mail.test.example"),
        "{text}"
    );
    for header in [
        "HOST",
        "ADDRESS",
        "PORT",
        "STATE",
        "TLS",
        "CERTIFICATE",
        "AUTH",
        "TIME",
    ] {
        assert!(text.contains(header), "{header} in {text}");
    }
    assert!(text.contains("EXPIRED"), "{text}");
    assert!(text.contains("ERROR   cert-expired:"), "{text}");
    assert!(text.contains("fix: Renew the certificate"), "{text}");
    assert!(text.contains("INFO    single-mx:"), "{text}");
    let verdict = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
    assert!(
        verdict.starts_with("*** single.test.example can receive mail"),
        "{verdict}"
    );
    assert!(verdict.contains("(exit 1)"), "{verdict}");
    // Piped: no progress display, no colour.
    assert!(!text.contains('\x1b'));
    assert!(
        common::text(&out.stderr).is_empty(),
        "stderr: {}",
        common::text(&out.stderr)
    );
}

#[test]
fn verbose_output_has_each_probe_transcript_with_spec_markers() {
    let smtp = starttls_server();
    let dns = zone().start();
    let ca = support::TestCerts::get()
        .ca_file()
        .to_string_lossy()
        .into_owned();
    let mut cmd = common::smtp_doctor();
    cmd.args([
        "-v",
        "--dns-server",
        &dns.arg(),
        "--ca-file",
        &ca,
        "--timeout",
        "5",
    ]);
    cmd.args([
        "check",
        "--ehlo",
        "client.test.example",
        "single.test.example",
        "--ports",
        &port(&smtp, "smtp"),
    ]);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = common::text(&out.stdout);
    for marker in [
        "=== Probe mail.test.example [127.0.0.1]:",
        "=== Trying mail.test.example [127.0.0.1]:",
        "=== Connected in",
        "<-  220 mail.test.example",
        " -> EHLO client.test.example",
        " -> STARTTLS",
        "=== TLS 1.3",
        " ~> EHLO client.test.example",
        " ~> QUIT",
    ] {
        assert!(text.contains(marker), "{marker:?} in {text}");
    }
}

#[test]
fn verbose_json_probe_events_carry_the_transcript() {
    let smtp = starttls_server();
    let dns = zone().start();
    let run = check_with(
        &dns,
        &["single.test.example", "--ports", &port(&smtp, "smtp")],
        &["-v"],
    );
    let probe = common::events(&run.events, "probe")[0];
    let transcript = probe["transcript"].as_array().expect("a transcript");
    assert!(
        transcript
            .iter()
            .any(|e| e["event"] == "reply" && e["code"] == 220)
    );
    assert!(
        transcript
            .iter()
            .any(|e| e["event"] == "send" && e["line"] == "STARTTLS")
    );
}

#[test]
fn server_mode_takes_the_role_of_its_port_from_ports() {
    let tls = server()
        .implicit_tls(CertKind::Valid)
        .auth_credentials("u", "p")
        .start();
    let dns = zone().start();
    let role = format!("{}/tls", tls.port());
    let run = check(
        &dns,
        &["--server", &tls.arg(), "--ports", &role, "--sni", HOST],
    );
    assert_eq!(run.code, 0, "{:?}", run.ids());
    assert_eq!(run.probes().len(), 1);
    assert_eq!(run.probes()[0]["tls"]["mode"], "implicit");
}

#[test]
fn hostile_servers_end_in_findings_never_in_a_crash() {
    use support::Malformed;
    let cases: Vec<(Misbehave, &str)> = vec![
        (Misbehave::SlowDrip(Duration::from_millis(200)), "greeting"),
        (Misbehave::EndlessMultiline, "ehlo"),
        (Misbehave::HugeLine, "greeting"),
        // 5000 keyword lines: more than a reply may have (a bounded read, a protocol error).
        (Misbehave::HugeEhlo, "ehlo"),
        (Misbehave::ResetAfterEhlo, "ehlo"),
        (
            Misbehave::Malformed(Step::Greeting, Malformed::NonDigitCode),
            "greeting",
        ),
        (
            Misbehave::Malformed(Step::cmd("EHLO"), Malformed::TwoDigitCode),
            "ehlo",
        ),
        (Misbehave::MixedCodes(Step::cmd("EHLO")), "ehlo"),
        (Misbehave::Unsolicited(Step::Greeting), "ehlo"),
        (Misbehave::ImplicitTlsStall, "tls-handshake"),
    ];
    let dns = zone().start();
    for (m, phase) in cases {
        let name = format!("{m:?}");
        let implicit = matches!(m, Misbehave::ImplicitTlsStall);
        let b = server().misbehave(m);
        let srv = if implicit {
            b.implicit_tls(CertKind::Valid).start()
        } else {
            b.start()
        };
        let role = if implicit { "tls" } else { "smtp" };
        let run = check_with(
            &dns,
            &["single.test.example", "--ports", &port(&srv, role)],
            &["--timeout", "1"],
        );
        assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
        assert!(run.code == 1, "{name}: exit {} {:?}", run.code, run.ids());
        let p = &run.probes()[0];
        let phases: Vec<&str> = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["phase"].as_str().unwrap())
            .collect();
        assert!(
            phases.contains(&phase),
            "{name}: errors in {phases:?}, want {phase}: {p}"
        );
    }
}
