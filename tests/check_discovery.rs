//! `smtp-doctor check` discovery, driven through the built binary against the in-process DNS
//! server: MX order, implicit and null MX, NXDOMAIN / no servers / SERVFAIL / timeout, CNAME
//! and IP-literal exchanges, SRV submission records, PTR and forward confirmation.

mod check_helpers;
mod common;
mod support;

use check_helpers::{HOST, check, check_with, port, server, starttls_server, zone};
use support::{CertKind, DnsServer};

#[test]
fn healthy_domain_with_two_mx_srv_and_three_ports_exits_0() {
    let smtp = starttls_server();
    let sub = server()
        .starttls(CertKind::Valid)
        .auth_credentials("u", "p")
        .start();
    let tls = server()
        .implicit_tls(CertKind::Valid)
        .auth_credentials("u", "p")
        .start();
    let dns = zone()
        .srv("_submission._tcp.test.example", 0, 1, sub.port(), HOST)
        .srv("_submissions._tcp.test.example", 0, 1, tls.port(), HOST)
        .start();
    let ports = format!(
        "{},{},{}",
        port(&smtp, "smtp"),
        port(&sub, "submission"),
        port(&tls, "tls")
    );
    let run = check(&dns, &["test.example", "--ports", &ports]);
    assert_eq!(run.code, 0, "findings: {:?}", run.ids());
    run.clean();
    let t = run.target();
    assert_eq!(t["mode"], "mx");
    assert_eq!(t["can_receive"], true);
    let hosts: Vec<(&str, u64)> = t["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["host"].as_str().unwrap(),
                h["preference"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(hosts, [("mx1.test.example", 10), ("mx2.test.example", 20)]);
    assert_eq!(t["srv"].as_array().unwrap().len(), 2);
    assert_eq!(t["addresses"][0]["ptr"][0], HOST);
    assert_eq!(t["addresses"][0]["fcrdns"], true);
    // 2 MX × 3 ports, and the two SRV services on mail.test.example.
    let probes = run.probes();
    assert_eq!(probes.len(), 8);
    assert!(probes.iter().all(|p| p["state"] == "ok"), "{probes:?}");
    let srv: Vec<_> = probes.iter().filter(|p| p["source"] == "srv").collect();
    assert_eq!(srv.len(), 2);
    let p25 = probes.iter().find(|p| p["role"] == "smtp").unwrap();
    assert_eq!(p25["tls"]["mode"], "starttls");
    assert_eq!(p25["tls"]["version"], "TLS 1.3");
    assert_eq!(p25["tls"]["verified"], true);
    assert_eq!(p25["tls"]["matched_name"], "mx1.test.example");
    assert!(p25["tls"]["chain"][0]["days_left"].as_i64().unwrap() > 300);
    assert_eq!(p25["greeting"]["code"], 220);
    assert_eq!(p25["greeting"]["name"], HOST);
    assert_eq!(p25["ehlo"]["name"], HOST);
    assert_eq!(p25["size_limit"], 10_240_000);
    assert!(
        p25["capabilities_before_tls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "STARTTLS")
    );
    assert!(
        !p25["capabilities_after_tls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "STARTTLS")
    );
    let p587 = probes.iter().find(|p| p["role"] == "submission").unwrap();
    assert_eq!(p587["auth_before_tls"], serde_json::json!([]));
    assert!(
        p587["auth_after_tls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "PLAIN")
    );
    let p465 = probes.iter().find(|p| p["role"] == "tls").unwrap();
    assert_eq!(p465["tls"]["mode"], "implicit");
    assert_eq!(p465["capabilities_before_tls"], serde_json::Value::Null);
    // Live events: one probe event per probe, one finding event per finding, then the result.
    assert_eq!(common::events(&run.events, "probe").len(), 8);
    assert_eq!(
        common::events(&run.events, "finding").len(),
        run.findings().len()
    );
    assert_eq!(common::report(&run.events)["command"], "check");
    assert_eq!(common::report(&run.events)["exit_code"], 0);
}

#[test]
fn a_check_sends_no_mail_only_ehlo_starttls_and_quit() {
    let smtp = starttls_server();
    let dns = zone().start();
    let run = check(
        &dns,
        &["single.test.example", "--ports", &port(&smtp, "smtp")],
    );
    assert_eq!(run.code, 0, "{:?}", run.ids());
    let verbs = check_helpers::verbs(&smtp);
    assert_eq!(verbs, ["EHLO", "STARTTLS", "EHLO", "QUIT"]);
    assert!(smtp.messages().is_empty());
}

#[test]
fn an_address_target_checks_its_domain() {
    let smtp = starttls_server();
    let dns = zone().start();
    let run = check(
        &dns,
        &[
            "someone@single.test.example",
            "--ports",
            &port(&smtp, "smtp"),
        ],
    );
    assert_eq!(run.code, 0);
    assert_eq!(run.target()["domain"], "single.test.example");
    assert_eq!(run.target()["target"], "someone@single.test.example");
    run.expect("single-mx", "info");
}

#[test]
fn null_mx_exits_3_with_a_null_mx_finding() {
    let dns = zone()
        .null_mx("nomail.test.example")
        .a("nomail.test.example", "127.0.0.1")
        .start();
    let run = check(&dns, &["nomail.test.example", "--ports", "25"]);
    assert_eq!(run.code, 3);
    let f = run.expect("null-mx", "error");
    assert_eq!(f["phase"], "dns");
    assert!(
        run.probes().is_empty(),
        "a null MX domain must not be probed"
    );
    assert_eq!(run.target()["can_receive"], false);
    assert!(
        common::events(&run.events, "error")
            .iter()
            .any(|e| e["phase"] == "dns")
    );
}

#[test]
fn nxdomain_exits_3() {
    let dns = zone().start();
    let run = check(&dns, &["missing.test.example"]);
    assert_eq!(run.code, 3);
    run.expect("dns-nxdomain", "error");
}

#[test]
fn no_mx_and_no_address_exits_3() {
    let dns = zone().txt("bare.test.example", "v=spf1 -all").start();
    let run = check(&dns, &["bare.test.example"]);
    assert_eq!(run.code, 3);
    run.expect("dns-no-mail-servers", "error");
}

#[test]
fn servfail_exits_3() {
    let dns = zone().servfail("broken.test.example").start();
    let run = check(&dns, &["broken.test.example"]);
    assert_eq!(run.code, 3);
    run.expect("dns-servfail", "error");
}

#[test]
fn resolver_timeout_exits_3() {
    let dns = zone().timeout("slow.test.example").start();
    let run = check_with(&dns, &["slow.test.example"], &["--timeout", "1"]);
    assert_eq!(run.code, 3);
    run.expect("dns-timeout", "error");
}

#[test]
fn implicit_mx_is_a_warning_and_the_domain_itself_is_probed() {
    let smtp = starttls_server();
    let dns = zone().a("implicit.test.example", "127.0.0.1").start();
    // The certificate names mail.test.example, not the domain: say which name to verify.
    let run = check(
        &dns,
        &[
            "implicit.test.example",
            "--ports",
            &port(&smtp, "smtp"),
            "--sni",
            HOST,
        ],
    );
    assert_eq!(run.code, 0);
    run.expect("implicit-mx", "warning");
    assert_eq!(run.target()["implicit_mx"], true);
    assert_eq!(run.probes()[0]["host"], "implicit.test.example");
    assert_eq!(run.probes()[0]["source"], "implicit-mx");
}

#[test]
fn an_mx_that_is_a_cname_is_a_warning_but_still_probed() {
    let smtp = starttls_server();
    let dns = zone()
        .mx("alias.test.example", 10, "alias-mx.test.example")
        .cname("alias-mx.test.example", HOST)
        .start();
    let run = check(
        &dns,
        &["alias.test.example", "--ports", &port(&smtp, "smtp")],
    );
    let f = run.expect("mx-is-cname", "warning");
    assert_eq!(f["host"], "alias-mx.test.example");
    assert_eq!(run.target()["hosts"][0]["cname"], HOST);
    assert_eq!(run.probes()[0]["state"], "ok");
    // The certificate covers mail.test.example, not the alias the MX names.
    run.expect("cert-name-mismatch", "error");
    assert_eq!(run.code, 1);
}

#[test]
fn an_mx_that_is_an_ip_literal_is_a_warning_but_still_probed() {
    let smtp = starttls_server();
    let dns = zone().mx("literal.test.example", 10, "127.0.0.1").start();
    let run = check(
        &dns,
        &["literal.test.example", "--ports", &port(&smtp, "smtp")],
    );
    run.expect("mx-is-ip-literal", "warning");
    assert_eq!(run.probes()[0]["address"], "127.0.0.1");
    assert_eq!(run.probes()[0]["state"], "ok");
}

#[test]
fn a_single_mx_is_information_only() {
    let smtp = starttls_server();
    let dns = zone().start();
    let run = check(
        &dns,
        &["single.test.example", "--ports", &port(&smtp, "smtp")],
    );
    assert_eq!(run.code, 0);
    run.expect("single-mx", "info");
    run.clean();
}

#[test]
fn a_dangling_mx_is_a_warning_and_all_dangling_exits_3() {
    let smtp = starttls_server();
    let dns = zone()
        .mx("half.test.example", 10, "gone.test.example")
        .mx("half.test.example", 20, HOST)
        .mx("dangling.test.example", 10, "gone.test.example")
        .start();
    let run = check(
        &dns,
        &["half.test.example", "--ports", &port(&smtp, "smtp")],
    );
    assert_eq!(run.code, 0, "{:?}", run.ids());
    assert_eq!(
        run.expect("mx-no-address", "warning")["host"],
        "gone.test.example"
    );
    let run = check(
        &dns,
        &["dangling.test.example", "--ports", &port(&smtp, "smtp")],
    );
    assert_eq!(run.code, 3);
    run.expect("dns-no-mail-servers", "error");
}

#[test]
fn missing_ptr_is_a_warning() {
    let smtp = starttls_server();
    let dns = DnsServer::builder()
        .mx("noptr.test.example", 10, HOST)
        .a(HOST, "127.0.0.1")
        .start();
    let run = check(
        &dns,
        &["noptr.test.example", "--ports", &port(&smtp, "smtp")],
    );
    assert_eq!(run.code, 0);
    assert_eq!(run.expect("no-ptr", "warning")["address"], "127.0.0.1");
    run.absent("ptr-name-mismatch");
}

#[test]
fn a_ptr_that_does_not_resolve_back_is_a_warning() {
    let smtp = starttls_server();
    let dns = DnsServer::builder()
        .mx("fcrdns.test.example", 10, HOST)
        .a(HOST, "127.0.0.1")
        .ptr("127.0.0.1", "elsewhere.test.example")
        .start();
    let run = check(
        &dns,
        &["fcrdns.test.example", "--ports", &port(&smtp, "smtp")],
    );
    run.expect("ptr-not-confirmed", "warning");
    assert_eq!(run.target()["addresses"][0]["fcrdns"], false);
    // The server calls itself mail.test.example, the PTR says elsewhere.test.example.
    let f = run.expect("ptr-name-mismatch", "warning");
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("elsewhere.test.example")
    );
}

#[test]
fn a_greeting_and_ehlo_name_other_than_the_ptr_is_a_warning() {
    let smtp = support::SmtpServer::builder()
        .hostname("other.test.example")
        .starttls(CertKind::Valid)
        .start();
    let dns = zone().start();
    let run = check(
        &dns,
        &["single.test.example", "--ports", &port(&smtp, "smtp")],
    );
    assert_eq!(run.code, 0);
    let f = run.expect("ptr-name-mismatch", "warning");
    let s = f["summary"].as_str().unwrap();
    assert!(
        s.contains("greeting and EHLO name other.test.example"),
        "{s}"
    );
    assert!(s.contains(HOST), "{s}");
}

#[test]
fn ipv6_only_with_ipv4_only_servers_exits_3() {
    let smtp = starttls_server();
    let dns = zone().start();
    let run = check_with(
        &dns,
        &["single.test.example", "--ports", &port(&smtp, "smtp")],
        &["-6"],
    );
    assert_eq!(run.code, 3);
    run.expect("dns-no-mail-servers", "error");
}

#[test]
fn several_targets_get_one_report_each_and_the_first_failing_exit_code() {
    let smtp = starttls_server();
    let dns = zone().start();
    let run = check(
        &dns,
        &[
            "single.test.example",
            "missing.test.example",
            "--ports",
            &port(&smtp, "smtp"),
        ],
    );
    assert_eq!(run.code, 3);
    let targets = run.report()["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2);
    assert_eq!(targets[0]["exit_code"], 0);
    assert_eq!(targets[1]["exit_code"], 3);
    assert!(
        run.findings()
            .iter()
            .any(|f| f["target"] == "missing.test.example" && f["id"] == "dns-nxdomain")
    );
}
