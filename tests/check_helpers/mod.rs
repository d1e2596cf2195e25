//! Helpers for the `check` integration tests: a test zone on the in-process DNS server, running
//! `smtp-doctor check --json` against it, reading findings out of the report, and a few
//! servers the shared support module does not have (a closed port, a port whose connects time
//! out, a TLS server that only speaks TLS 1.1).
#![allow(dead_code)]

use crate::common::{json_lines, smtp_doctor};
use crate::support::dns::DnsServerBuilder;
use crate::support::{CertKind, DnsServer, SmtpServer, TestCerts};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

/// The host name every test server uses (it is the PTR name of 127.0.0.1 in the test zone).
pub const HOST: &str = "mail.test.example";

/// `test.example` (MX 10 mx1, MX 20 mx2), `single.test.example` (MX 10 mail), all hosts at
/// 127.0.0.1, and PTR 127.0.0.1 → mail.test.example.
pub fn zone() -> DnsServerBuilder {
    DnsServer::builder()
        .mx("test.example", 10, "mx1.test.example")
        .mx("test.example", 20, "mx2.test.example")
        .mx("single.test.example", 10, HOST)
        .a("mx1.test.example", "127.0.0.1")
        .a("mx2.test.example", "127.0.0.1")
        .a(HOST, "127.0.0.1")
        .ptr("127.0.0.1", HOST)
}

/// A server named like the PTR, so no name findings get in the way.
pub fn server() -> crate::support::smtp::SmtpServerBuilder {
    SmtpServer::builder().hostname(HOST)
}

/// A STARTTLS server with a valid certificate.
pub fn starttls_server() -> SmtpServer {
    server().starttls(CertKind::Valid).start()
}

/// What a run of the binary gave.
pub struct Run {
    pub code: i32,
    pub events: Vec<Value>,
    pub stderr: String,
}

impl Run {
    /// The final `report` event (the report's fields at its top level).
    pub fn report(&self) -> &Value {
        crate::common::report(&self.events)
    }

    /// The report of the (first) target.
    pub fn target(&self) -> &Value {
        &self.report()["targets"][0]
    }

    pub fn findings(&self) -> Vec<&Value> {
        self.report()["findings"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }

    /// `(id, severity)` of every finding.
    pub fn ids(&self) -> Vec<(String, String)> {
        self.findings()
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap_or("").to_string(),
                    f["severity"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    /// The findings with this id.
    pub fn finding(&self, id: &str) -> Vec<&Value> {
        self.findings()
            .into_iter()
            .filter(|f| f["id"] == id)
            .collect()
    }

    /// Asserts a finding with this id and severity exists, and returns the first.
    pub fn expect(&self, id: &str, severity: &str) -> &Value {
        self.finding(id)
            .into_iter()
            .find(|f| f["severity"] == severity)
            .unwrap_or_else(|| {
                panic!(
                    "no {severity} finding {id}; findings: {:?}\nstderr: {}",
                    self.ids(),
                    self.stderr
                )
            })
    }

    /// Asserts there is no finding with this id.
    pub fn absent(&self, id: &str) {
        assert!(
            self.finding(id).is_empty(),
            "unexpected finding {id}: {:?}",
            self.finding(id)
        );
    }

    /// Asserts no finding is an error or a warning.
    pub fn clean(&self) {
        let bad: Vec<_> = self
            .ids()
            .into_iter()
            .filter(|(_, s)| s != "info")
            .collect();
        assert!(
            bad.is_empty(),
            "expected no errors or warnings, got {bad:?}"
        );
    }

    pub fn probes(&self) -> Vec<&Value> {
        self.target()["probes"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }
}

/// Runs `smtp-doctor --json check ARGS` against `dns`, trusting the test CA, with short
/// deadlines and an explicit EHLO name (no system resolver, no hostname lookups).
pub fn check(dns: &DnsServer, args: &[&str]) -> Run {
    check_with(dns, args, &[])
}

/// Like [`check`] with extra global flags first (`--timeout 1`, `--insecure`, ...).
pub fn check_with(dns: &DnsServer, args: &[&str], extra: &[&str]) -> Run {
    let ca = TestCerts::get().ca_file().to_string_lossy().into_owned();
    let mut cmd = smtp_doctor();
    cmd.args(["--json", "--dns-server", &dns.arg(), "--ca-file", &ca]);
    let has = |flag: &str| extra.contains(&flag);
    if !has("--timeout") {
        cmd.args(["--timeout", "5"]);
    }
    if !has("--connect-timeout") {
        cmd.args(["--connect-timeout", "2"]);
    }
    cmd.args(extra);
    cmd.arg("check");
    if !args.contains(&"--ehlo") {
        cmd.args(["--ehlo", "client.test.example"]);
    }
    cmd.args(args);
    let out = cmd.output().expect("run smtp-doctor");
    Run {
        code: out.status.code().unwrap_or(-1),
        events: json_lines(&out.stdout),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `PORT/ROLE` for `--ports`.
pub fn port(server: &SmtpServer, role: &str) -> String {
    format!("{}/{role}", server.port())
}

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A port whose connection attempts time out: a listener with a zero backlog that is never
/// accepted from, its queue already full, so the kernel drops further SYNs (Linux).
pub struct Blackhole {
    _listener: socket2::Socket,
    _fill: Vec<TcpStream>,
    pub port: u16,
}

pub fn blackhole() -> Blackhole {
    use socket2::{Domain, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    s.bind(
        &"127.0.0.1:0"
            .parse::<std::net::SocketAddr>()
            .expect("addr")
            .into(),
    )
    .expect("bind");
    s.listen(0).expect("listen");
    let addr = s.local_addr().expect("addr").as_socket().expect("inet");
    let mut fill = Vec::new();
    // Fill the accept queue; later connects are not answered.
    for _ in 0..4 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(c) => fill.push(c),
            Err(_) => break,
        }
    }
    Blackhole {
        _listener: s,
        _fill: fill,
        port: addr.port(),
    }
}

/// An SMTP server whose TLS is TLS 1.1 only: it greets, offers STARTTLS, answers 220, and
/// then answers the ClientHello with a TLS 1.1 ServerHello (RFC 4346), as an old server does.
pub struct LegacyTls {
    pub port: u16,
    _thread: std::thread::JoinHandle<()>,
}

pub fn legacy_tls_server() -> LegacyTls {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let thread = std::thread::spawn(move || {
        for conn in listener.incoming().take(8) {
            let Ok(mut c) = conn else { continue };
            let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
            std::thread::spawn(move || legacy_session(&mut c));
        }
    });
    LegacyTls {
        port,
        _thread: thread,
    }
}

fn read_line(c: &mut TcpStream) -> Option<String> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    loop {
        match c.read(&mut b) {
            Ok(1) if b[0] == b'\n' => {
                return Some(String::from_utf8_lossy(&line).trim_end().to_string());
            }
            Ok(1) => line.push(b[0]),
            _ => return None,
        }
    }
}

fn legacy_session(c: &mut TcpStream) {
    let _ = c.write_all(format!("220 {HOST} ESMTP legacy\r\n").as_bytes());
    while let Some(line) = read_line(c) {
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => {
                let _ = c.write_all(
                    format!("250-{HOST}\r\n250-SIZE 1000\r\n250 STARTTLS\r\n").as_bytes(),
                );
            }
            "STARTTLS" => {
                let _ = c.write_all(b"220 2.0.0 Ready to start TLS\r\n");
                // Read the ClientHello record, then answer with a ServerHello for TLS 1.1.
                let mut header = [0u8; 5];
                if c.read_exact(&mut header).is_err() {
                    return;
                }
                let len = u16::from_be_bytes([header[3], header[4]]) as usize;
                let mut body = vec![0u8; len];
                if c.read_exact(&mut body).is_err() {
                    return;
                }
                let mut hello = vec![0x03, 0x02]; // TLS 1.1
                hello.extend_from_slice(&[0x42; 32]); // random
                hello.push(0); // no session id
                hello.extend_from_slice(&[0x00, 0x2f]); // TLS_RSA_WITH_AES_128_CBC_SHA
                hello.push(0); // no compression
                let mut handshake = vec![0x02, 0x00, 0x00, hello.len() as u8];
                handshake.extend_from_slice(&hello);
                let mut record = vec![0x16, 0x03, 0x02, 0x00, handshake.len() as u8];
                record.extend_from_slice(&handshake);
                let _ = c.write_all(&record);
                let mut rest = [0u8; 256];
                let _ = c.read(&mut rest);
                return;
            }
            "QUIT" => {
                let _ = c.write_all(b"221 Bye\r\n");
                return;
            }
            _ => {
                let _ = c.write_all(b"502 5.5.1 not implemented\r\n");
            }
        }
    }
}

/// The commands (verbs, upper case) the server received.
pub fn verbs(server: &SmtpServer) -> Vec<String> {
    server
        .commands()
        .iter()
        .map(|c| {
            c.split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase()
        })
        .collect()
}
