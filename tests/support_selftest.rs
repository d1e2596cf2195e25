//! Tests of the test servers themselves (tests/support): a raw TCP (and rustls) client drives
//! the fake SMTP server, and hickory-proto decodes what the fake DNS server answers.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use rustls::pki_types::ServerName;
use rustls::{ClientConnection, StreamOwned};

use support::smtp::{GARBAGE_GREETING, HUGE_EHLO_LINES, cram_md5};
use support::{
    CertKind, DnsServer, Malformed, Misbehave, Reply, SmtpServer, Step, TestCerts, Then,
};

const KEYWORDS: &[&str] = &[
    "PIPELINING",
    "SIZE 1000000",
    "8BITMIME",
    "ENHANCEDSTATUSCODES",
    "STARTTLS",
    "AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2",
    "CHUNKING",
    "SMTPUTF8",
    "DSN",
];

// ------------------------------------------------------------------------------------------
// A minimal SMTP client over any stream.

struct Client<S: Read + Write> {
    s: S,
    buf: Vec<u8>,
}

type Tls = StreamOwned<ClientConnection, TcpStream>;

fn connect(srv: &SmtpServer) -> Client<TcpStream> {
    let s = TcpStream::connect(srv.addr()).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    Client { s, buf: Vec::new() }
}

fn tls_over(tcp: TcpStream, name: &str) -> std::io::Result<Tls> {
    let certs = TestCerts::get();
    let name = ServerName::try_from(name.to_string()).unwrap();
    let conn = ClientConnection::new(certs.client_config(), name).unwrap();
    let mut tls = StreamOwned::new(conn, tcp);
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock)?;
    }
    Ok(tls)
}

fn connect_implicit(srv: &SmtpServer, name: &str) -> std::io::Result<Client<Tls>> {
    let tcp = TcpStream::connect(srv.addr()).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    Ok(Client {
        s: tls_over(tcp, name)?,
        buf: Vec::new(),
    })
}

impl<S: Read + Write> Client<S> {
    fn fill(&mut self) -> std::io::Result<usize> {
        let mut b = [0u8; 65536];
        let n = self.s.read(&mut b)?;
        self.buf.extend_from_slice(&b[..n]);
        Ok(n)
    }

    fn line(&mut self) -> String {
        loop {
            if let Some(p) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let l: Vec<u8> = self.buf.drain(..p + 2).collect();
                return String::from_utf8_lossy(&l[..p]).into_owned();
            }
            assert!(self.fill().expect("read") > 0, "unexpected EOF");
        }
    }

    /// One whole reply (lines until one with a space after the code).
    fn reply(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let l = self.line();
            let last = l.as_bytes().get(3) != Some(&b'-');
            lines.push(l);
            if last {
                return lines;
            }
        }
    }

    fn reply1(&mut self) -> String {
        let r = self.reply();
        assert_eq!(r.len(), 1, "expected one line, got {r:?}");
        r[0].clone()
    }

    fn send(&mut self, line: &str) {
        self.s.write_all(format!("{line}\r\n").as_bytes()).unwrap();
        self.s.flush().unwrap();
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).unwrap();
        self.s.flush().unwrap();
    }

    fn cmd(&mut self, line: &str) -> String {
        self.send(line);
        self.reply1()
    }
}

impl Client<TcpStream> {
    fn starttls(self, name: &str) -> std::io::Result<Client<Tls>> {
        assert!(self.buf.is_empty(), "plaintext left over before TLS");
        Ok(Client {
            s: tls_over(self.s, name)?,
            buf: Vec::new(),
        })
    }
}

fn b64(s: &str) -> String {
    B64.encode(s)
}

fn tls_server() -> SmtpServer {
    SmtpServer::builder()
        .ehlo_keywords(KEYWORDS)
        .starttls(CertKind::Valid)
        .auth_credentials("tester", "s3cret")
        .start()
}

// ------------------------------------------------------------------------------------------
// Well-behaved server.

#[test]
fn greeting_and_default_ehlo() {
    let srv = SmtpServer::builder()
        .greeting("220 fake.test ESMTP")
        .start();
    let mut c = connect(&srv);
    assert_eq!(c.reply1(), "220 fake.test ESMTP");
    c.send("EHLO client.test");
    assert_eq!(
        c.reply(),
        vec![
            "250-fake.test",
            "250-PIPELINING",
            "250-SIZE 10240000",
            "250-8BITMIME",
            "250-ENHANCEDSTATUSCODES",
            "250-SMTPUTF8",
            "250-CHUNKING",
            "250 DSN",
        ]
    );
    assert_eq!(c.cmd("HELO client.test"), "250 fake.test");
    assert_eq!(c.cmd("NOOP"), "250 2.0.0 Ok");
    assert_eq!(c.cmd("VRFY someone"), "252 2.0.0 someone");
    assert_eq!(c.cmd("QUIT"), "221 2.0.0 Bye");
    drop(c);
    assert_eq!(srv.sessions(), 1);
    assert_eq!(
        srv.commands(),
        vec![
            "EHLO client.test",
            "HELO client.test",
            "NOOP",
            "VRFY someone",
            "QUIT"
        ]
    );
}

#[test]
fn ehlo_hides_auth_until_tls_and_starttls_after_it() {
    let srv = tls_server();
    let mut c = connect(&srv);
    c.reply();
    c.send("EHLO client.test");
    let before = c.reply();
    assert!(before.iter().any(|l| l.ends_with("STARTTLS")));
    assert!(!before.iter().any(|l| l.contains("AUTH")));
    assert_eq!(
        c.cmd("AUTH PLAIN"),
        "530 5.7.0 Must issue a STARTTLS command first"
    );
    assert_eq!(c.cmd("STARTTLS"), "220 2.0.0 Ready to start TLS");
    let mut c = c.starttls("mail.test.example").expect("TLS handshake");
    // RFC 3207 §4.2: the state is reset, EHLO is needed again.
    assert_eq!(
        c.cmd("MAIL FROM:<a@test.example>"),
        "503 5.5.1 Error: send HELO/EHLO first"
    );
    c.send("EHLO client.test");
    let after = c.reply();
    assert!(!after.iter().any(|l| l.contains("STARTTLS")), "{after:?}");
    assert!(after.contains(&"250-AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2".to_string()));
    let plain = b64("\0tester\0s3cret");
    assert_eq!(
        c.cmd(&format!("AUTH PLAIN {plain}")),
        "235 2.7.0 Authentication successful"
    );
    assert_eq!(c.cmd("STARTTLS"), "554 5.5.1 Error: TLS already active");
    assert_eq!(c.cmd("QUIT"), "221 2.0.0 Bye");
    drop(c);
    let rec = &srv.session_records()[0];
    assert!(rec.tls);
    assert_eq!(rec.sni.as_deref(), Some("mail.test.example"));
    assert_eq!(srv.auth_attempts().len(), 1);
    assert!(srv.auth_attempts()[0].success);
}

#[test]
fn plain_transaction_is_recorded_with_dot_unstuffing() {
    let srv = SmtpServer::start_default();
    let mut c = connect(&srv);
    c.reply();
    c.send("EHLO client.test");
    c.reply();
    assert_eq!(
        c.cmd("MAIL FROM:<from@test.example> BODY=8BITMIME"),
        "250 2.1.0 Ok"
    );
    assert_eq!(c.cmd("RCPT TO:<one@test.example>"), "250 2.1.5 Ok");
    assert_eq!(c.cmd("RCPT TO:<two@test.example>"), "250 2.1.5 Ok");
    assert_eq!(c.cmd("DATA"), "354 End data with <CR><LF>.<CR><LF>");
    let body = b"Subject: hi\r\n\r\n..leading dot\r\n..\r\nend\r\n.\r\n";
    c.raw(body);
    assert_eq!(c.reply1(), "250 2.0.0 Ok: queued as ABC123");
    assert_eq!(c.cmd("QUIT"), "221 2.0.0 Bye");
    drop(c);

    let msgs = srv.messages();
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    assert_eq!(m.mail_from, "from@test.example");
    assert_eq!(m.mail_params, vec!["BODY=8BITMIME"]);
    assert_eq!(m.rcpt_to, vec!["one@test.example", "two@test.example"]);
    assert_eq!(m.data, b"Subject: hi\r\n\r\n.leading dot\r\n.\r\nend\r\n");
    assert!(!m.via_bdat && !m.tls);

    let mut expected = b"EHLO client.test\r\nMAIL FROM:<from@test.example> BODY=8BITMIME\r\n\
RCPT TO:<one@test.example>\r\nRCPT TO:<two@test.example>\r\nDATA\r\n"
        .to_vec();
    expected.extend_from_slice(body);
    expected.extend_from_slice(b"QUIT\r\n");
    assert_eq!(srv.received(), expected);
    assert!(!srv.saw_bare_lf());
}

#[test]
fn pipelined_commands_get_replies_in_order() {
    let srv = SmtpServer::start_default();
    let mut c = connect(&srv);
    c.reply();
    c.raw(b"EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<x@test.example>\r\nDATA\r\n");
    assert_eq!(c.reply()[0], "250-fake.test");
    assert_eq!(c.reply1(), "250 2.1.0 Ok");
    assert_eq!(c.reply1(), "250 2.1.5 Ok");
    assert!(c.reply1().starts_with("354 "));
    c.raw(b"hello\r\n.\r\nQUIT\r\n");
    assert!(c.reply1().starts_with("250 2.0.0 Ok: queued"));
    assert_eq!(c.reply1(), "221 2.0.0 Bye");
    drop(c);
    assert_eq!(srv.messages()[0].mail_from, "");
}

#[test]
fn sequence_syntax_and_bare_lf_errors() {
    let srv = SmtpServer::start_default();
    let mut c = connect(&srv);
    c.reply();
    assert_eq!(
        c.cmd("MAIL FROM:<a@b.test>"),
        "503 5.5.1 Error: send HELO/EHLO first"
    );
    assert_eq!(c.cmd("EHLO"), "501 5.5.4 Syntax: EHLO hostname");
    c.send("EHLO c");
    c.reply();
    assert_eq!(
        c.cmd("RCPT TO:<a@b.test>"),
        "503 5.5.1 Error: need MAIL command"
    );
    assert_eq!(c.cmd("DATA"), "503 5.5.1 Error: need MAIL command");
    assert_eq!(
        c.cmd("MAIL FROM:a@b.test"),
        "501 5.5.4 Syntax: MAIL FROM:<address>"
    );
    assert_eq!(c.cmd("MAIL FROM:<a@b.test>"), "250 2.1.0 Ok");
    assert_eq!(c.cmd("DATA"), "503 5.5.1 Error: need RCPT command");
    assert_eq!(
        c.cmd("MAIL FROM:<a@b.test>"),
        "503 5.5.1 Error: nested MAIL command"
    );
    assert_eq!(c.cmd("XYZZY"), "502 5.5.2 Error: command not recognized");
    assert_eq!(c.cmd("RSET"), "250 2.0.0 Ok");
    assert!(!srv.saw_bare_lf());
    c.raw(b"NOOP\n");
    assert_eq!(c.reply1(), "500 5.5.2 Error: bare <LF> received");
    assert!(srv.saw_bare_lf());
}

#[test]
fn rejections_and_reply_overrides() {
    let srv = SmtpServer::builder()
        .reject_rcpt(
            "nobody@",
            "550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown",
        )
        .reply_to_nth("MAIL", 1, "451 4.7.1 Greylisted")
        .start();
    let mut c = connect(&srv);
    c.reply();
    c.send("EHLO c");
    c.reply();
    assert_eq!(c.cmd("MAIL FROM:<a@b.test>"), "451 4.7.1 Greylisted");
    // A refused MAIL starts no transaction.
    assert_eq!(
        c.cmd("RCPT TO:<x@b.test>"),
        "503 5.5.1 Error: need MAIL command"
    );
    assert_eq!(c.cmd("MAIL FROM:<a@b.test>"), "250 2.1.0 Ok");
    assert_eq!(
        c.cmd("RCPT TO:<nobody@example.test>"),
        "550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown"
    );
    assert_eq!(c.cmd("DATA"), "503 5.5.1 Error: need RCPT command");
}

#[test]
fn size_limit_and_smtputf8_checks() {
    let srv = SmtpServer::builder()
        .ehlo_keywords(&["SIZE 1000", "8BITMIME"])
        .start();
    let mut c = connect(&srv);
    c.reply();
    c.send("EHLO c");
    assert_eq!(
        c.reply(),
        vec!["250-fake.test", "250-SIZE 1000", "250 8BITMIME"]
    );
    // No ENHANCEDSTATUSCODES advertised: no enhanced codes in replies.
    assert_eq!(
        c.cmd("MAIL FROM:<a@b.test> SIZE=5000"),
        "552 Message size exceeds fixed limit"
    );
    assert_eq!(
        c.cmd("MAIL FROM:<ü@b.test>"),
        "553 Must declare SMTPUTF8 to send unicode address"
    );
    // No CHUNKING advertised: BDAT is unknown.
    assert_eq!(c.cmd("BDAT 0 LAST"), "502 Error: command not recognized");
}

#[test]
fn bdat_chunks_make_one_message() {
    let srv = SmtpServer::start_default();
    let mut c = connect(&srv);
    c.reply();
    c.send("EHLO c");
    c.reply();
    // RFC 3030: the chunk is consumed even when the command is refused.
    c.raw(b"BDAT 3\r\nabc");
    assert_eq!(c.reply1(), "503 5.5.1 Error: need MAIL command");
    assert_eq!(c.cmd("NOOP"), "250 2.0.0 Ok");
    c.cmd("MAIL FROM:<a@b.test>");
    c.cmd("RCPT TO:<r@b.test>");
    c.raw(b"BDAT 12\r\nline one\r\n.\r");
    assert_eq!(c.reply1(), "250 2.0.0 12 octets received");
    c.raw(b"BDAT 6 LAST\r\n\nend\r\n");
    assert_eq!(c.reply1(), "250 2.0.0 Ok: queued as ABC123");
    assert_eq!(c.cmd("DATA"), "503 5.5.1 Error: need MAIL command");
    drop(c);
    let m = &srv.messages()[0];
    assert!(m.via_bdat);
    assert_eq!(m.data, b"line one\r\n.\r\nend\r\n");
    // BDAT payload is not a command line.
    assert!(srv.commands().iter().all(|c| !c.contains("line one")));
}

#[test]
fn auth_mechanisms_accept_and_reject() {
    let srv = SmtpServer::builder()
        .auth_credentials("tester", "s3cret")
        .start();
    let login = |c: &mut Client<TcpStream>| {
        c.reply();
        c.send("EHLO c");
        let ehlo = c.reply();
        assert_eq!(
            ehlo.last().unwrap(),
            "250 AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2"
        );
    };

    // PLAIN with initial response, wrong password.
    let mut c = connect(&srv);
    login(&mut c);
    assert_eq!(
        c.cmd(&format!("AUTH PLAIN {}", b64("\0tester\0wrong"))),
        "535 5.7.8 Error: authentication failed: authentication failure"
    );
    // PLAIN without initial response.
    assert_eq!(c.cmd("AUTH PLAIN"), "334 ");
    assert_eq!(
        c.cmd(&b64("\0tester\0s3cret")),
        "235 2.7.0 Authentication successful"
    );
    assert_eq!(
        c.cmd("AUTH PLAIN"),
        "503 5.5.1 Error: already authenticated"
    );
    c.cmd("MAIL FROM:<a@b.test>");
    c.cmd("RCPT TO:<r@b.test>");
    c.cmd("DATA");
    c.raw(b"x\r\n.\r\n");
    c.reply();

    // LOGIN, and cancelling.
    let mut c = connect(&srv);
    login(&mut c);
    assert_eq!(c.cmd("AUTH LOGIN"), "334 VXNlcm5hbWU6");
    assert_eq!(c.cmd("*"), "501 5.7.0 Authentication aborted");
    assert_eq!(c.cmd("AUTH LOGIN"), "334 VXNlcm5hbWU6");
    assert_eq!(c.cmd(&b64("tester")), "334 UGFzc3dvcmQ6");
    assert_eq!(c.cmd(&b64("s3cret")), "235 2.7.0 Authentication successful");

    // CRAM-MD5 (RFC 2195).
    let mut c = connect(&srv);
    login(&mut c);
    let chal = c.cmd("AUTH CRAM-MD5");
    let chal = String::from_utf8(B64.decode(chal.strip_prefix("334 ").unwrap()).unwrap()).unwrap();
    assert!(
        chal.starts_with('<') && chal.ends_with("@fake.test>"),
        "{chal}"
    );
    let resp = b64(&format!("tester {}", cram_md5("s3cret", &chal)));
    assert_eq!(c.cmd(&resp), "235 2.7.0 Authentication successful");

    // XOAUTH2, good and bad (Google's error-challenge flow).
    let mut c = connect(&srv);
    login(&mut c);
    let bad = b64("user=tester\x01auth=Bearer nope\x01\x01");
    let err = c.cmd(&format!("AUTH XOAUTH2 {bad}"));
    assert!(err.starts_with("334 "), "{err}");
    let json = String::from_utf8(B64.decode(&err[4..]).unwrap()).unwrap();
    assert!(json.contains("\"status\""), "{json}");
    assert_eq!(
        c.cmd(""),
        "535 5.7.8 Error: authentication failed: authentication failure"
    );
    let good = b64("user=tester\x01auth=Bearer s3cret\x01\x01");
    assert_eq!(
        c.cmd(&format!("AUTH XOAUTH2 {good}")),
        "235 2.7.0 Authentication successful"
    );
    assert_eq!(c.cmd("AUTH NTLM"), "503 5.5.1 Error: already authenticated");
    drop(c);

    let attempts = srv.auth_attempts();
    let summary: Vec<(String, bool)> = attempts
        .iter()
        .map(|a| (a.mechanism.clone(), a.success))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("PLAIN".to_string(), false),
            ("PLAIN".to_string(), true),
            ("LOGIN".to_string(), true),
            ("CRAM-MD5".to_string(), true),
            ("XOAUTH2".to_string(), false),
            ("XOAUTH2".to_string(), true),
        ]
    );
    assert_eq!(srv.messages()[0].auth_user.as_deref(), Some("tester"));
}

#[test]
fn implicit_tls_greets_inside_tls_and_verifies_ip_san() {
    let srv = SmtpServer::builder()
        .implicit_tls(CertKind::Valid)
        .auth_credentials("tester", "s3cret")
        .start();
    let mut c = connect_implicit(&srv, "127.0.0.1").expect("handshake");
    assert!(c.reply1().starts_with("220 fake.test"));
    c.send("EHLO c");
    let ehlo = c.reply();
    assert!(!ehlo.iter().any(|l| l.contains("STARTTLS")));
    assert!(ehlo.iter().any(|l| l.contains("AUTH PLAIN")));
    c.cmd("MAIL FROM:<a@b.test>");
    c.cmd("RCPT TO:<r@b.test>");
    c.cmd("DATA");
    c.raw(b"secret body\r\n.\r\n");
    assert!(c.reply1().starts_with("250 2.0.0"));
    assert_eq!(c.cmd("QUIT"), "221 2.0.0 Bye");
    drop(c);
    assert!(srv.messages()[0].tls);
    let received = String::from_utf8(srv.received()).unwrap();
    assert!(received.contains("secret body\r\n.\r\n"), "{received}");
    assert!(srv.session_records()[0].sni.is_none(), "no SNI for an IP");
}

#[test]
fn certificate_kinds_verify_as_named() {
    for (kind, name, ok) in [
        (CertKind::Valid, "mx2.test.example", true),
        (CertKind::ExpiringSoon, "mail.test.example", true),
        (CertKind::Expired, "mail.test.example", false),
        (CertKind::WrongHost, "mail.test.example", false),
        (CertKind::WrongHost, "wrong.example", true),
        (CertKind::SelfSigned, "mail.test.example", false),
    ] {
        let srv = SmtpServer::builder().implicit_tls(kind).start();
        let result = connect_implicit(&srv, name);
        assert_eq!(result.is_ok(), ok, "{kind:?} as {name}: {:?}", result.err());
        if let Err(e) = result {
            let msg = e.to_string().to_lowercase();
            let expected = match kind {
                CertKind::Expired => "certificate expired",
                CertKind::WrongHost => "not valid for name",
                _ => "unknownissuer",
            };
            assert!(msg.contains(expected), "{kind:?}: {msg}");
            drop(srv);
        }
    }
    let certs = TestCerts::get();
    let pem = std::fs::read_to_string(certs.ca_file()).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(pem, certs.ca_pem());
}

#[test]
fn expiring_soon_has_about_five_days_left() {
    let leaf = TestCerts::get().leaf(CertKind::ExpiringSoon);
    let (_, cert) = x509_parser::parse_x509_certificate(&leaf.chain[0]).unwrap();
    let left = cert.validity().time_to_expiration().unwrap();
    let days = left.whole_days();
    assert_eq!(days, 5, "{left:?}");
}

// ------------------------------------------------------------------------------------------
// Misbehaviours.

fn read_timeout_ms(c: &Client<TcpStream>, ms: u64) {
    c.s.set_read_timeout(Some(Duration::from_millis(ms)))
        .unwrap();
}

/// Reads until EOF or error; returns what came and whether it ended (vs timed out).
fn read_to_end(c: &mut Client<TcpStream>) -> (Vec<u8>, Result<(), ErrorKind>) {
    loop {
        match c.fill() {
            Ok(0) => return (std::mem::take(&mut c.buf), Ok(())),
            Ok(_) => {}
            Err(e) => return (std::mem::take(&mut c.buf), Err(e.kind())),
        }
    }
}

#[test]
fn silent_server_sends_nothing_but_records_input() {
    let srv = SmtpServer::builder().misbehave(Misbehave::Silent).start();
    let mut c = connect(&srv);
    read_timeout_ms(&c, 300);
    c.send("EHLO anyone-there");
    let (got, end) = read_to_end(&mut c);
    assert!(got.is_empty());
    assert!(matches!(
        end,
        Err(ErrorKind::WouldBlock | ErrorKind::TimedOut)
    ));
    drop(c);
    assert_eq!(srv.received(), b"EHLO anyone-there\r\n");
}

#[test]
fn slow_drip_never_completes_a_line() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::SlowDrip(Duration::from_millis(20)))
        .start();
    let mut c = connect(&srv);
    read_timeout_ms(&c, 100);
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(700) {
        let _ = c.fill();
    }
    assert!(c.buf.len() >= 5 && c.buf.len() < 60, "{}", c.buf.len());
    assert!(c.buf.starts_with(b"220 fake.test"));
    assert!(!c.buf.contains(&b'\n'));
}

#[test]
fn endless_multiline_ehlo_never_ends() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::EndlessMultiline)
        .start();
    let mut c = connect(&srv);
    c.reply();
    c.send("EHLO c");
    let mut lines = 0;
    while lines < 100_000 {
        let l = c.line();
        assert!(l.starts_with("250-"), "{l}");
        lines += 1;
    }
}

#[test]
fn huge_line_is_ten_megabytes_without_crlf() {
    let srv = SmtpServer::builder().misbehave(Misbehave::HugeLine).start();
    let mut c = connect(&srv);
    read_timeout_ms(&c, 500);
    while c.buf.len() < support::smtp::HUGE_LINE_LEN {
        assert!(c.fill().unwrap() > 0);
    }
    assert_eq!(c.buf.len(), support::smtp::HUGE_LINE_LEN);
    assert!(c.buf.starts_with(b"220 AAAA"));
    assert!(!c.buf.contains(&b'\n'));
}

#[test]
fn garbage_greeting_is_sent_verbatim_then_server_behaves() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::GarbageGreeting)
        .start();
    let mut c = connect(&srv);
    while !c.buf.ends_with(b"\r\n") {
        c.fill().unwrap();
    }
    assert_eq!(c.buf, GARBAGE_GREETING);
    c.buf.clear();
    assert_eq!(c.cmd("NOOP"), "250 2.0.0 Ok");
}

#[test]
fn malformed_mixed_and_unsolicited_replies() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::Malformed(
            Step::cmd("NOOP"),
            Malformed::NonDigitCode,
        ))
        .misbehave(Misbehave::Malformed(
            Step::cmd("RSET"),
            Malformed::TwoDigitCode,
        ))
        .misbehave(Misbehave::Malformed(
            Step::cmd("VRFY"),
            Malformed::EmptyLine,
        ))
        .misbehave(Misbehave::MixedCodes(Step::cmd("EHLO")))
        .misbehave(Misbehave::Unsolicited(Step::Greeting))
        .start();
    let mut c = connect(&srv);
    assert!(c.line().starts_with("220 "));
    assert_eq!(c.line(), "250 surprise");
    c.send("EHLO c");
    assert_eq!(c.line(), "250-a");
    assert_eq!(c.line(), "251 b");
    c.send("NOOP");
    assert_eq!(c.line(), "2x0 hi");
    c.send("RSET");
    assert_eq!(c.line(), "99 ok");
    c.send("VRFY x");
    assert_eq!(c.line(), "");
}

#[test]
fn reset_after_ehlo() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::ResetAfterEhlo)
        .start();
    let mut c = connect(&srv);
    c.reply();
    c.send("EHLO c");
    let (got, end) = read_to_end(&mut c);
    assert!(got.is_empty());
    assert_eq!(end, Err(ErrorKind::ConnectionReset));
}

#[test]
fn close_during_data() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::CloseDuringData)
        .start();
    let mut c = connect(&srv);
    c.reply();
    c.send("EHLO c");
    c.reply();
    c.cmd("MAIL FROM:<a@b.test>");
    c.cmd("RCPT TO:<r@b.test>");
    assert!(c.cmd("DATA").starts_with("354"));
    c.raw(b"Subject: one\r\nSubject: two\r\n");
    let (got, end) = read_to_end(&mut c);
    assert!(got.is_empty(), "{got:?}");
    assert_eq!(end, Ok(()));
    assert!(srv.messages().is_empty());
}

#[test]
fn starttls_injection_sends_extra_bytes_after_220() {
    let srv = SmtpServer::builder()
        .starttls(CertKind::Valid)
        .misbehave(Misbehave::StarttlsInjection)
        .start();
    let mut c = connect(&srv);
    c.reply();
    c.send("EHLO c");
    c.reply();
    c.send("STARTTLS");
    while !c.buf.ends_with(b"250 injected\r\n") {
        c.fill().unwrap();
    }
    assert_eq!(c.buf, b"220 Ready\r\n250 injected\r\n");
    // The server really starts TLS after it.
    c.buf.clear();
    let mut c = c.starttls("mail.test.example").expect("TLS still works");
    c.send("EHLO c");
    assert_eq!(c.reply()[0], "250-fake.test");
}

#[test]
fn starttls_refused_stripped_or_stalled() {
    // 454.
    let srv = SmtpServer::builder()
        .starttls(CertKind::Valid)
        .misbehave(Misbehave::Starttls454)
        .start();
    let mut c = connect(&srv);
    c.reply();
    c.send("EHLO c");
    c.reply();
    assert_eq!(
        c.cmd("STARTTLS"),
        "454 4.7.0 TLS not available due to local problem"
    );
    assert_eq!(c.cmd("NOOP"), "250 2.0.0 Ok", "still plaintext");

    // Stripped: not advertised, and the command is unknown.
    let srv = SmtpServer::builder()
        .starttls(CertKind::Valid)
        .misbehave(Misbehave::StripStarttls)
        .start();
    let mut c = connect(&srv);
    c.reply();
    c.send("EHLO c");
    assert!(!c.reply().iter().any(|l| l.contains("STARTTLS")));
    assert_eq!(c.cmd("STARTTLS"), "502 5.5.2 Error: command not recognized");

    // Stall after 220.
    let srv = SmtpServer::builder()
        .starttls(CertKind::Valid)
        .misbehave(Misbehave::TlsStall)
        .start();
    let mut c = connect(&srv);
    c.reply();
    c.send("EHLO c");
    c.reply();
    assert_eq!(c.cmd("STARTTLS"), "220 2.0.0 Ready to start TLS");
    read_timeout_ms(&c, 300);
    let err = c.starttls("mail.test.example").err().expect("stalls");
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err}"
    );

    // Implicit TLS stall.
    let srv = SmtpServer::builder()
        .implicit_tls(CertKind::Valid)
        .misbehave(Misbehave::ImplicitTlsStall)
        .start();
    let tcp = TcpStream::connect(srv.addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let err = tls_over(tcp, "mail.test.example").expect_err("stalls");
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err}"
    );
}

#[test]
fn auth_on_plaintext_is_advertised_and_accepted() {
    let srv = SmtpServer::builder()
        .ehlo_keywords(KEYWORDS)
        .starttls(CertKind::Valid)
        .auth_credentials("tester", "s3cret")
        .misbehave(Misbehave::AuthOnPlaintext)
        .start();
    let mut c = connect(&srv);
    c.reply();
    c.send("EHLO c");
    let ehlo = c.reply();
    assert!(ehlo.iter().any(|l| l.contains("AUTH PLAIN")), "{ehlo:?}");
    assert_eq!(
        c.cmd(&format!("AUTH PLAIN {}", b64("\0tester\0s3cret"))),
        "235 2.7.0 Authentication successful"
    );
}

#[test]
fn close_421_after_mail() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::Close421AfterMail)
        .start();
    let mut c = connect(&srv);
    c.reply();
    c.send("EHLO c");
    c.reply();
    assert_eq!(c.cmd("MAIL FROM:<a@b.test>"), "250 2.1.0 Ok");
    assert!(c.cmd("RCPT TO:<r@b.test>").starts_with("421 4.4.2 "));
    let (got, end) = read_to_end(&mut c);
    assert!(got.is_empty());
    assert_eq!(end, Ok(()));
}

#[test]
fn premature_250_after_354() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::PrematureDataOk)
        .start();
    let mut c = connect(&srv);
    c.reply();
    c.send("EHLO c");
    c.reply();
    c.cmd("MAIL FROM:<a@b.test>");
    c.cmd("RCPT TO:<r@b.test>");
    assert!(c.cmd("DATA").starts_with("354 "));
    assert_eq!(c.reply1(), "250 2.0.0 Ok: queued as PREMATURE");
}

#[test]
fn huge_ehlo_has_five_thousand_keywords() {
    let srv = SmtpServer::builder().misbehave(Misbehave::HugeEhlo).start();
    let mut c = connect(&srv);
    c.reply();
    c.send("EHLO c");
    let lines = c.reply();
    assert_eq!(lines.len(), HUGE_EHLO_LINES + 2);
    assert_eq!(c.cmd("MAIL FROM:<a@b.test>"), "250 2.1.0 Ok");
}

#[test]
fn never_reading_server_blocks_a_big_write_and_still_drops_fast() {
    let srv = SmtpServer::builder()
        .misbehave(Misbehave::NeverRead)
        .start();
    let mut c = connect(&srv);
    assert!(c.reply1().starts_with("220 "));
    c.s.set_write_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let chunk = vec![b'x'; 64 * 1024];
    let mut written = 0usize;
    let blocked = loop {
        match c.s.write(&chunk) {
            Ok(n) => written += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break true;
            }
            Err(e) => panic!("{e}"),
        }
        if written > 64 * 1024 * 1024 {
            break false;
        }
    };
    assert!(blocked, "wrote {written} bytes without blocking");
    // The session is parked, but neither the accessors nor the drop wait for it.
    let start = Instant::now();
    assert_eq!(srv.sessions(), 1);
    drop(srv);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn custom_rules_drip_and_nth() {
    let srv = SmtpServer::builder()
        .on(
            Step::Greeting,
            Reply::Drip {
                bytes: b"220 slow but fine\r\n".to_vec(),
                interval: Duration::from_millis(1),
                forever: false,
            },
            Then::Continue,
        )
        .on_nth(
            Step::cmd("NOOP"),
            2,
            Reply::text("421 4.3.2 going away"),
            Then::Continue,
        )
        .start();
    let mut c = connect(&srv);
    assert_eq!(c.reply1(), "220 slow but fine");
    assert_eq!(c.cmd("NOOP"), "250 2.0.0 Ok");
    assert_eq!(c.cmd("NOOP"), "421 4.3.2 going away");
    let (_, end) = read_to_end(&mut c);
    assert_eq!(end, Ok(()), "a 421 closes the connection");
}

#[test]
fn greeting_delay_and_idle_timeout() {
    let srv = SmtpServer::builder()
        .greeting_delay(Duration::from_millis(300))
        .idle_timeout(Duration::from_millis(500))
        .start();
    let start = Instant::now();
    let mut c = connect(&srv);
    c.reply();
    assert!(start.elapsed() >= Duration::from_millis(300));
    let l = c.reply1();
    assert_eq!(l, "421 4.4.2 fake.test Error: timeout exceeded");
}

#[test]
fn multi_line_greeting() {
    let srv = SmtpServer::builder()
        .greeting("220-fake.test first\n220 second")
        .start();
    let mut c = connect(&srv);
    assert_eq!(c.reply(), vec!["220-fake.test first", "220 second"]);
}

// ------------------------------------------------------------------------------------------
// DNS.

fn zone() -> DnsServer {
    DnsServer::builder()
        .mx("test.example", 20, "mx2.test.example")
        .mx("test.example", 10, "mx1.test.example")
        .a("mx1.test.example", "127.0.0.1")
        .aaaa("mx1.test.example", "::1")
        .a("mx2.test.example", "127.0.0.1")
        .a("mail.test.example", "127.0.0.1")
        .null_mx("nullmx.test.example")
        .cname("alias.test.example", "mail.test.example")
        .srv(
            "_submission._tcp.test.example",
            0,
            1,
            587,
            "mail.test.example",
        )
        .ptr("127.0.0.1", "mx1.test.example")
        .txt("test.example", "v=spf1 -all")
        .servfail("broken.test.example")
        .timeout("slow.test.example")
        .start()
}

fn query_udp(dns: &DnsServer, name: &str, qtype: RecordType) -> Option<Message> {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut q = Message::query();
    q.metadata.recursion_desired = true;
    q.add_query(Query::query(Name::from_ascii(name).unwrap(), qtype));
    sock.send_to(&q.to_vec().unwrap(), dns.addr()).unwrap();
    let mut buf = [0u8; 4096];
    let (n, _) = sock.recv_from(&mut buf).ok()?;
    let resp = Message::from_vec(&buf[..n]).unwrap();
    assert_eq!(resp.metadata.id, q.metadata.id);
    Some(resp)
}

fn query_tcp(dns: &DnsServer, name: &str, qtype: RecordType) -> Message {
    let mut s = TcpStream::connect(dns.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut q = Message::query();
    q.add_query(Query::query(Name::from_ascii(name).unwrap(), qtype));
    let bytes = q.to_vec().unwrap();
    s.write_all(&(bytes.len() as u16).to_be_bytes()).unwrap();
    s.write_all(&bytes).unwrap();
    let mut len = [0u8; 2];
    s.read_exact(&mut len).unwrap();
    let mut msg = vec![0u8; u16::from_be_bytes(len) as usize];
    s.read_exact(&mut msg).unwrap();
    Message::from_vec(&msg).unwrap()
}

fn answers(m: &Message) -> Vec<String> {
    m.answers
        .iter()
        .map(|r| format!("{} {}", r.name, r.data))
        .collect()
}

#[test]
fn dns_mx_a_aaaa() {
    let dns = zone();
    let mx = query_udp(&dns, "test.example.", RecordType::MX).unwrap();
    assert_eq!(mx.metadata.response_code, ResponseCode::NoError);
    assert!(mx.metadata.authoritative);
    let mut prefs: Vec<(u16, String)> = mx
        .answers
        .iter()
        .map(|r| match &r.data {
            RData::MX(m) => (m.preference, m.exchange.to_ascii()),
            other => panic!("{other:?}"),
        })
        .collect();
    prefs.sort();
    assert_eq!(
        prefs,
        vec![
            (10, "mx1.test.example.".to_string()),
            (20, "mx2.test.example.".to_string())
        ]
    );
    let a = query_udp(&dns, "MX1.Test.Example.", RecordType::A).unwrap();
    assert_eq!(answers(&a), vec!["MX1.Test.Example. 127.0.0.1"]);
    let aaaa = query_udp(&dns, "mx1.test.example.", RecordType::AAAA).unwrap();
    assert_eq!(answers(&aaaa), vec!["mx1.test.example. ::1"]);
    let txt = query_udp(&dns, "test.example.", RecordType::TXT).unwrap();
    assert_eq!(answers(&txt), vec!["test.example. v=spf1 -all"]);
    let q = dns.queries();
    assert_eq!(q[0].name, "test.example");
    assert_eq!(q[0].qtype, RecordType::MX);
    assert!(!q[0].tcp);
}

#[test]
fn dns_nxdomain_nodata_servfail_timeout() {
    let dns = zone();
    let nx = query_udp(&dns, "nope.test.example.", RecordType::MX).unwrap();
    assert_eq!(nx.metadata.response_code, ResponseCode::NXDomain);
    assert!(nx.answers.is_empty());
    assert!(matches!(nx.authorities[0].data, RData::SOA(_)));

    // mx2 exists, but has no AAAA: NODATA.
    let nodata = query_udp(&dns, "mx2.test.example.", RecordType::AAAA).unwrap();
    assert_eq!(nodata.metadata.response_code, ResponseCode::NoError);
    assert!(nodata.answers.is_empty());
    assert_eq!(nodata.authorities[0].name.to_ascii(), "test.example.");

    // An empty non-terminal is NODATA too.
    let ent = query_udp(&dns, "_tcp.test.example.", RecordType::A).unwrap();
    assert_eq!(ent.metadata.response_code, ResponseCode::NoError);

    let sf = query_udp(&dns, "broken.test.example.", RecordType::MX).unwrap();
    assert_eq!(sf.metadata.response_code, ResponseCode::ServFail);

    assert!(query_udp(&dns, "slow.test.example.", RecordType::MX).is_none());
}

#[test]
fn dns_null_mx_srv_ptr_cname() {
    let dns = zone();
    let null = query_udp(&dns, "nullmx.test.example.", RecordType::MX).unwrap();
    match &null.answers[..] {
        [r] => match &r.data {
            RData::MX(m) => {
                assert_eq!(m.preference, 0);
                assert!(m.exchange.is_root());
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }

    let srv = query_udp(&dns, "_submission._tcp.test.example.", RecordType::SRV).unwrap();
    match &srv.answers[0].data {
        RData::SRV(s) => {
            assert_eq!((s.priority, s.weight, s.port), (0, 1, 587));
            assert_eq!(s.target.to_ascii(), "mail.test.example.");
        }
        other => panic!("{other:?}"),
    }

    let ptr = query_udp(&dns, "1.0.0.127.in-addr.arpa.", RecordType::PTR).unwrap();
    assert_eq!(
        answers(&ptr),
        vec!["1.0.0.127.in-addr.arpa. mx1.test.example."]
    );

    let cname = query_udp(&dns, "alias.test.example.", RecordType::A).unwrap();
    assert_eq!(
        answers(&cname),
        vec![
            "alias.test.example. mail.test.example.",
            "mail.test.example. 127.0.0.1"
        ]
    );
}

#[test]
fn dns_over_tcp() {
    let dns = zone();
    assert!(dns.has_tcp());
    let mx = query_tcp(&dns, "test.example.", RecordType::MX);
    assert_eq!(mx.answers.len(), 2);
    assert!(dns.queries()[0].tcp);
}

#[test]
fn dns_truncates_large_udp_answers() {
    let mut b = DnsServer::builder();
    for i in 0..60 {
        b = b.a("many.test.example", &format!("127.0.0.{}", i + 1));
    }
    let dns = b.start();
    let udp = query_udp(&dns, "many.test.example.", RecordType::A).unwrap();
    assert!(udp.metadata.truncation);
    assert!(udp.answers.is_empty());
    let tcp = query_tcp(&dns, "many.test.example.", RecordType::A);
    assert_eq!(tcp.answers.len(), 60);
}

#[test]
fn servers_shut_down_promptly_when_dropped() {
    let start = Instant::now();
    let smtp = SmtpServer::builder().misbehave(Misbehave::Silent).start();
    let _c = connect(&smtp);
    let dns = zone();
    let _ = query_udp(&dns, "slow.test.example.", RecordType::A);
    drop(smtp);
    drop(dns);
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn ipv6_loopback_server() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("no ::1 here; skipping");
        return;
    }
    let srv = SmtpServer::builder().ipv6().start();
    assert!(srv.addr().is_ipv6());
    assert!(srv.arg().starts_with("[::1]:"));
    let mut c = connect(&srv);
    assert!(c.reply1().starts_with("220 "));
}
