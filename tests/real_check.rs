//! `smtp-doctor check` against the real servers of tests/real/ (dnsmasq, Postfix, Exim on
//! loopback), described by `$SMTP_DOCTOR_REAL_DIR/env` (default /tmp/smtp-doctor-real/env).
//! Without that file every test prints a note and passes, unless SMTP_DOCTOR_REAL=required
//! (set by CI), in which case it fails.

mod common;

use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

struct Real {
    env: HashMap<String, String>,
}

impl Real {
    /// The environment, or None (test skipped) when the servers are not set up.
    fn get() -> Option<Real> {
        let dir = std::env::var("SMTP_DOCTOR_REAL_DIR")
            .unwrap_or_else(|_| "/tmp/smtp-doctor-real".into());
        let path = PathBuf::from(dir).join("env");
        let required = std::env::var("SMTP_DOCTOR_REAL").is_ok_and(|v| v == "required");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if required => panic!(
                "SMTP_DOCTOR_REAL=required but {} is unreadable: {e}",
                path.display()
            ),
            Err(_) => {
                eprintln!(
                    "note: skipping real-server test: {} not found (run tests/real/setup.sh)",
                    path.display()
                );
                return None;
            }
        };
        let env = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        Some(Real { env })
    }

    fn var(&self, key: &str) -> &str {
        self.env
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{key} missing from the env file"))
    }

    /// `smtp-doctor --json check ARGS` against dnsmasq, trusting the test CA.
    fn check(&self, args: &[&str]) -> Run {
        let mut cmd = common::smtp_doctor();
        cmd.args([
            "--json",
            "--dns-server",
            self.var("DNS_SERVER"),
            "--ca-file",
            self.var("CA_FILE"),
        ]);
        cmd.args([
            "--timeout",
            "10",
            "--connect-timeout",
            "5",
            "check",
            "--ehlo",
            "client.test.example",
        ]);
        cmd.args(args);
        let out = cmd.output().expect("run smtp-doctor");
        let events = common::json_lines(&out.stdout);
        Run {
            code: out.status.code().unwrap_or(-1),
            report: common::report(&events).clone(),
        }
    }

    fn ports(&self, list: &[(&str, &str)]) -> String {
        list.iter()
            .map(|(k, role)| format!("{}/{role}", self.var(k)))
            .collect::<Vec<_>>()
            .join(",")
    }
}

struct Run {
    code: i32,
    report: Value,
}

impl Run {
    fn ids(&self) -> Vec<(String, String)> {
        self.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap().to_string(),
                    f["severity"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    fn has(&self, id: &str, severity: &str) -> bool {
        self.ids().iter().any(|(i, s)| i == id && s == severity)
    }

    fn expect(&self, id: &str, severity: &str) {
        assert!(
            self.has(id, severity),
            "no {severity} {id} in {:?}",
            self.ids()
        );
    }

    fn errors(&self) -> Vec<String> {
        self.ids()
            .into_iter()
            .filter(|(_, s)| s == "error")
            .map(|(i, _)| i)
            .collect()
    }

    fn target(&self) -> &Value {
        &self.report["targets"][0]
    }

    fn probes(&self) -> &Vec<Value> {
        self.target()["probes"].as_array().unwrap()
    }
}

#[test]
fn real_test_example_with_postfix_on_three_ports_can_receive_mail() {
    let Some(real) = Real::get() else { return };
    let ports = real.ports(&[
        ("POSTFIX_PLAIN_PORT", "smtp"),
        ("POSTFIX_SUBMISSION_PORT", "submission"),
        ("POSTFIX_TLS_PORT", "tls"),
    ]);
    let run = real.check(&[real.var("MAIL_DOMAIN"), "--ports", &ports]);
    assert_eq!(run.code, 0, "{:?}", run.ids());
    assert!(run.errors().is_empty());
    let t = run.target();
    assert_eq!(t["can_receive"], true);
    assert_eq!(t["hosts"][0]["host"], "mx1.test.example");
    assert_eq!(t["hosts"][0]["preference"], 10);
    assert_eq!(t["hosts"][1]["host"], "mx2.test.example");
    assert_eq!(t["hosts"][1]["preference"], 20);
    // dnsmasq publishes both submission SRV records and the PTR of 127.0.0.1.
    let srv: Vec<(&str, u64)> = t["srv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["service"].as_str().unwrap(), s["port"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        srv,
        [("_submission._tcp", 10587), ("_submissions._tcp", 10465)]
    );
    assert_eq!(t["addresses"][0]["ptr"][0], "mail.test.example");
    assert_eq!(t["addresses"][0]["fcrdns"], true);
    assert!(
        !run.has("ptr-name-mismatch", "warning"),
        "Postfix calls itself mail.test.example"
    );
    assert_eq!(run.probes().len(), 8, "2 MX × 3 ports + 2 SRV services");
    assert!(
        run.probes().iter().all(|p| p["state"] == "ok"),
        "{:?}",
        run.probes()
    );
    let sub = run
        .probes()
        .iter()
        .find(|p| p["role"] == "submission")
        .unwrap();
    assert_eq!(sub["auth_before_tls"], serde_json::json!([]));
    assert!(
        sub["auth_after_tls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "PLAIN")
    );
    let smtp = run.probes().iter().find(|p| p["role"] == "smtp").unwrap();
    assert_eq!(smtp["tls"]["verified"], true);
    assert!(
        smtp["greeting"]["text"]
            .as_str()
            .unwrap()
            .contains("Postfix")
    );
}

#[test]
fn real_postfix_bad_certificates_are_errors() {
    let Some(real) = Real::get() else { return };
    let ports = real.ports(&[
        ("POSTFIX_EXPIRED_PORT", "smtp"),
        ("POSTFIX_SELFSIGNED_PORT", "smtp"),
        ("POSTFIX_WRONGHOST_PORT", "smtp"),
    ]);
    let run = real.check(&["single.test.example", "--ports", &ports]);
    assert_eq!(run.code, 1);
    for id in ["cert-expired", "cert-self-signed", "cert-name-mismatch"] {
        run.expect(id, "error");
    }
    run.expect("single-mx", "info");
}

#[test]
fn real_null_mx_exits_3_without_probing() {
    let Some(real) = Real::get() else { return };
    let run = real.check(&["nullmx.test.example"]);
    assert_eq!(run.code, 3);
    run.expect("null-mx", "error");
    assert!(run.probes().is_empty());
}

#[test]
fn real_nxdomain_and_dangling_mx_exit_3() {
    let Some(real) = Real::get() else { return };
    let run = real.check(&["nope.test.example"]);
    assert_eq!(run.code, 3);
    run.expect("dns-nxdomain", "error");
    let run = real.check(&["dangling.test.example"]);
    assert_eq!(run.code, 3);
    run.expect("dns-no-mail-servers", "error");
    run.expect("mx-no-address", "warning");
}

#[test]
fn real_implicit_mx_is_a_warning() {
    let Some(real) = Real::get() else { return };
    let ports = real.ports(&[("POSTFIX_PLAIN_PORT", "smtp")]);
    let run = real.check(&[
        "implicit.test.example",
        "--ports",
        &ports,
        "--sni",
        "mail.test.example",
    ]);
    assert_eq!(run.code, 0, "{:?}", run.ids());
    run.expect("implicit-mx", "warning");
    assert_eq!(run.probes()[0]["host"], "implicit.test.example");
}

#[test]
fn real_cname_mx_is_a_warning_and_still_probed() {
    let Some(real) = Real::get() else { return };
    let ports = real.ports(&[("POSTFIX_PLAIN_PORT", "smtp")]);
    let run = real.check(&["cname-mx.test.example", "--ports", &ports]);
    run.expect("mx-is-cname", "warning");
    assert_eq!(run.target()["hosts"][0]["cname"], "mail.test.example");
    assert_eq!(run.probes()[0]["state"], "ok");
}

#[test]
fn real_exim_with_starttls_is_clean_and_without_it_is_not() {
    let Some(real) = Real::get() else { return };
    let ports = real.ports(&[("EXIM_PORT", "smtp")]);
    let run = real.check(&["single.test.example", "--ports", &ports]);
    assert_eq!(run.code, 0, "{:?}", run.ids());
    let p = &run.probes()[0];
    assert_eq!(p["tls"]["verified"], true);
    assert!(p["greeting"]["text"].as_str().unwrap().contains("Exim"));
    // Exim offers AUTH only inside TLS on this port.
    assert_eq!(p["auth_before_tls"], serde_json::json!([]));
    assert!(
        p["auth_after_tls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "PLAIN")
    );

    let ports = real.ports(&[("EXIM_PLAINAUTH_PORT", "smtp")]);
    let run = real.check(&["single.test.example", "--ports", &ports]);
    assert_eq!(run.code, 1);
    run.expect("no-starttls", "error");
    run.expect("auth-before-tls", "error");
}

#[test]
fn real_server_mode_probes_one_port_in_the_role_given() {
    let Some(real) = Real::get() else { return };
    let port = real.var("POSTFIX_TLS_PORT");
    let server = format!("{}:{port}", real.var("SERVER_HOST"));
    let role = format!("{port}/tls");
    let run = real.check(&[
        "--server",
        &server,
        "--ports",
        &role,
        "--sni",
        real.var("SERVER_NAME"),
    ]);
    assert_eq!(run.code, 0, "{:?}", run.ids());
    assert_eq!(run.target()["mode"], "server");
    let probes = run.probes();
    assert_eq!(probes.len(), 1);
    assert_eq!(probes[0]["role"], "tls");
    assert_eq!(probes[0]["tls"]["mode"], "implicit");
    assert_eq!(probes[0]["state"], "ok");
}
