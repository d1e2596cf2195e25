//! A tiny authoritative DNS server for tests: UDP and TCP on one 127.0.0.1 port, serving a
//! zone given as data, built on hickory-proto's wire format.
//!
//! Semantics follow RFC 1034 §4.3.2 closely enough for a stub resolver: unknown names are
//! NXDOMAIN, known names (including empty non-terminals) without the asked type are NODATA
//! (NOERROR, empty answer, SOA in authority), CNAMEs are chased inside the zone and put in the
//! answer before the target's records, and every answer has AA set. Names can also be made to
//! SERVFAIL or to never answer. UDP answers larger than the client's EDNS size (or 512 bytes)
//! are truncated with TC set, so a resolver retries over TCP on the same port.

use std::collections::HashSet;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, PTR, SOA, SRV, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// How long a socket read waits before the server looks at its shutdown flag again.
const POLL: Duration = Duration::from_millis(50);
/// A TCP client that sends nothing for this long is disconnected.
const TCP_IDLE: Duration = Duration::from_secs(10);
const TTL: u32 = 300;

/// One query the server received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsQuery {
    /// Query name, lower case, without the trailing dot.
    pub name: String,
    pub qtype: RecordType,
    /// True when it came over TCP.
    pub tcp: bool,
}

/// Builds a [`DnsServer`]. Names may be given with or without the trailing dot; case is ignored.
#[derive(Default)]
pub struct DnsServerBuilder {
    records: Vec<Record>,
    servfail: HashSet<String>,
    timeout: HashSet<String>,
    refused: HashSet<String>,
    ttl: Option<u32>,
}

/// A running DNS server; stops (and joins its threads) when dropped.
pub struct DnsServer {
    addr: SocketAddr,
    tcp: bool,
    shared: Arc<DnsShared>,
    threads: Vec<JoinHandle<()>>,
}

struct Zone {
    records: Vec<Record>,
    servfail: HashSet<String>,
    timeout: HashSet<String>,
    refused: HashSet<String>,
}

struct DnsShared {
    zone: Zone,
    stop: AtomicBool,
    queries: Mutex<Vec<DnsQuery>>,
}

/// Parses a domain name given by a test; panics on nonsense since that is a test bug.
pub fn name(s: &str) -> Name {
    let fqdn = if s.ends_with('.') {
        s.to_string()
    } else {
        format!("{s}.")
    };
    Name::from_ascii(&fqdn).unwrap_or_else(|e| panic!("bad test domain name {s:?}: {e}"))
}

fn key(name: &Name) -> String {
    name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

fn key_str(s: &str) -> String {
    s.trim_end_matches('.').to_ascii_lowercase()
}

impl DnsServerBuilder {
    fn ttl(&self) -> u32 {
        self.ttl.unwrap_or(TTL)
    }

    /// TTL for records added after this call (default 300).
    pub fn with_ttl(mut self, ttl: u32) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Any record, for types without a helper.
    pub fn record(mut self, record: Record) -> Self {
        self.records.push(record);
        self
    }

    fn rdata(self, owner: &str, rdata: RData) -> Self {
        let ttl = self.ttl();
        self.record(Record::from_rdata(name(owner), ttl, rdata))
    }

    pub fn mx(self, owner: &str, preference: u16, exchange: &str) -> Self {
        self.rdata(owner, RData::MX(MX::new(preference, name(exchange))))
    }

    /// RFC 7505 null MX: `MX 0 .`
    pub fn null_mx(self, owner: &str) -> Self {
        self.rdata(owner, RData::MX(MX::new(0, Name::root())))
    }

    pub fn a(self, owner: &str, ip: &str) -> Self {
        let ip = ip
            .parse()
            .unwrap_or_else(|e| panic!("bad IPv4 {ip:?}: {e}"));
        self.rdata(owner, RData::A(A(ip)))
    }

    pub fn aaaa(self, owner: &str, ip: &str) -> Self {
        let ip = ip
            .parse()
            .unwrap_or_else(|e| panic!("bad IPv6 {ip:?}: {e}"));
        self.rdata(owner, RData::AAAA(AAAA(ip)))
    }

    pub fn cname(self, owner: &str, target: &str) -> Self {
        self.rdata(owner, RData::CNAME(CNAME(name(target))))
    }

    pub fn srv(self, owner: &str, priority: u16, weight: u16, port: u16, target: &str) -> Self {
        self.rdata(
            owner,
            RData::SRV(SRV::new(priority, weight, port, name(target))),
        )
    }

    /// PTR for an IP address given as text (`"127.0.0.1"`, `"::1"`); the owner is the
    /// in-addr.arpa / ip6.arpa name.
    pub fn ptr(mut self, ip: &str, target: &str) -> Self {
        let ip: IpAddr = ip.parse().unwrap_or_else(|e| panic!("bad IP {ip:?}: {e}"));
        let mut owner = Name::from(ip);
        owner.set_fqdn(true);
        let ttl = self.ttl();
        self.records.push(Record::from_rdata(
            owner,
            ttl,
            RData::PTR(PTR(name(target))),
        ));
        self
    }

    /// One TXT record holding one string (split into 255-byte character-strings if longer).
    pub fn txt(self, owner: &str, text: &str) -> Self {
        let chunks: Vec<&[u8]> = text.as_bytes().chunks(255).collect();
        self.rdata(owner, RData::TXT(TXT::from_bytes(chunks)))
    }

    /// Answer every query for this name (any type) with SERVFAIL.
    pub fn servfail(mut self, owner: &str) -> Self {
        self.servfail.insert(key_str(owner));
        self
    }

    /// Answer every query for this name with REFUSED.
    pub fn refused(mut self, owner: &str) -> Self {
        self.refused.insert(key_str(owner));
        self
    }

    /// Never answer queries for this name (UDP: drop; TCP: read and stay silent).
    pub fn timeout(mut self, owner: &str) -> Self {
        self.timeout.insert(key_str(owner));
        self
    }

    /// Binds UDP and TCP on one 127.0.0.1 port and starts serving.
    pub fn start(self) -> DnsServer {
        let shared = Arc::new(DnsShared {
            zone: Zone {
                records: self.records,
                servfail: self.servfail,
                timeout: self.timeout,
                refused: self.refused,
            },
            stop: AtomicBool::new(false),
            queries: Mutex::new(Vec::new()),
        });

        // Same port for UDP and TCP, like a real server; retry if the TCP port is taken.
        let mut bound = None;
        for _ in 0..50 {
            let udp = UdpSocket::bind("127.0.0.1:0").expect("bind UDP on 127.0.0.1");
            let addr = udp.local_addr().expect("UDP local addr");
            if let Ok(tcp) = TcpListener::bind(addr) {
                bound = Some((udp, Some(tcp), addr));
                break;
            }
        }
        let (udp, tcp, addr) = bound.unwrap_or_else(|| {
            let udp = UdpSocket::bind("127.0.0.1:0").expect("bind UDP on 127.0.0.1");
            let addr = udp.local_addr().expect("UDP local addr");
            (udp, None, addr)
        });
        udp.set_read_timeout(Some(POLL)).expect("UDP read timeout");

        let mut threads = Vec::new();
        let s = shared.clone();
        threads.push(std::thread::spawn(move || serve_udp(udp, s)));
        let has_tcp = tcp.is_some();
        if let Some(tcp) = tcp {
            let s = shared.clone();
            threads.push(std::thread::spawn(move || serve_tcp(tcp, s)));
        }
        DnsServer {
            addr,
            tcp: has_tcp,
            shared,
            threads,
        }
    }
}

impl DnsServer {
    pub fn builder() -> DnsServerBuilder {
        DnsServerBuilder::default()
    }

    /// Where it listens (UDP, and TCP on the same port): pass as `--dns-server`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `127.0.0.1:PORT`, ready for `--dns-server`.
    pub fn arg(&self) -> String {
        self.addr.to_string()
    }

    /// Whether TCP is served too (it is unless the port could not be had for TCP).
    pub fn has_tcp(&self) -> bool {
        self.tcp
    }

    /// Every query received so far, in order.
    pub fn queries(&self) -> Vec<DnsQuery> {
        self.shared.queries.lock().unwrap().clone()
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if self.tcp {
            // Wake the blocking accept.
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn serve_udp(sock: UdpSocket, shared: Arc<DnsShared>) {
    let mut buf = [0u8; 65535];
    while !shared.stop.load(Ordering::SeqCst) {
        let (n, peer) = match sock.recv_from(&mut buf) {
            Ok(x) => x,
            Err(e) if is_timeout(&e) => continue,
            Err(_) => continue,
        };
        if let Some(resp) = shared.answer(&buf[..n], false) {
            let _ = sock.send_to(&resp, peer);
        }
    }
}

fn serve_tcp(listener: TcpListener, shared: Arc<DnsShared>) {
    let mut conns = Vec::new();
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let s = shared.clone();
        conns.push(std::thread::spawn(move || serve_tcp_conn(stream, s)));
        conns.retain(|h: &JoinHandle<()>| !h.is_finished());
    }
    for c in conns {
        let _ = c.join();
    }
}

/// Reads exactly `buf.len()` bytes, polling the stop flag; false on EOF, error, idle or stop.
fn read_full(stream: &mut TcpStream, buf: &mut [u8], shared: &DnsShared) -> bool {
    let mut got = 0;
    let mut last = Instant::now();
    while got < buf.len() {
        if shared.stop.load(Ordering::SeqCst) || last.elapsed() > TCP_IDLE {
            return false;
        }
        match stream.read(&mut buf[got..]) {
            Ok(0) => return false,
            Ok(n) => {
                got += n;
                last = Instant::now();
            }
            Err(e) if is_timeout(&e) => {}
            Err(_) => return false,
        }
    }
    true
}

fn serve_tcp_conn(mut stream: TcpStream, shared: Arc<DnsShared>) {
    let _ = stream.set_read_timeout(Some(POLL));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    loop {
        let mut len = [0u8; 2];
        if !read_full(&mut stream, &mut len, &shared) {
            break;
        }
        let mut msg = vec![0u8; u16::from_be_bytes(len) as usize];
        if !read_full(&mut stream, &mut msg, &shared) {
            break;
        }
        if let Some(resp) = shared.answer(&msg, true) {
            let mut out = (resp.len() as u16).to_be_bytes().to_vec();
            out.extend_from_slice(&resp);
            if stream.write_all(&out).is_err() {
                break;
            }
        }
        // A query for a `timeout` name gets no answer: keep reading until the client gives up.
    }
    let _ = stream.shutdown(Shutdown::Both);
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

impl DnsShared {
    /// The wire response to one wire query, or None to stay silent.
    fn answer(&self, query: &[u8], tcp: bool) -> Option<Vec<u8>> {
        let req = Message::from_vec(query).ok()?;
        if req.metadata.message_type != MessageType::Query {
            return None;
        }
        let mut resp = Message::response(req.metadata.id, req.metadata.op_code);
        resp.metadata.recursion_desired = req.metadata.recursion_desired;
        resp.metadata.recursion_available = true;
        resp.metadata.authoritative = true;
        resp.add_queries(req.queries.iter().cloned());
        if req.edns.is_some() {
            // RFC 6891 §6.1.1: answer EDNS with EDNS.
            let mut e = Edns::new();
            e.set_max_payload(1232);
            e.set_version(0);
            resp.set_edns(e);
        }

        if req.metadata.op_code != OpCode::Query || req.queries.len() != 1 {
            resp.metadata.response_code = if req.metadata.op_code != OpCode::Query {
                ResponseCode::NotImp
            } else {
                ResponseCode::FormErr
            };
            return resp.to_vec().ok();
        }
        let q = &req.queries[0];
        let qname = key(q.name());
        self.queries.lock().unwrap().push(DnsQuery {
            name: qname.clone(),
            qtype: q.query_type(),
            tcp,
        });

        if self.zone.timeout.contains(&qname) {
            return None;
        }
        if self.zone.servfail.contains(&qname) {
            resp.metadata.authoritative = false;
            resp.metadata.response_code = ResponseCode::ServFail;
            return resp.to_vec().ok();
        }
        if self.zone.refused.contains(&qname) {
            resp.metadata.authoritative = false;
            resp.metadata.response_code = ResponseCode::Refused;
            return resp.to_vec().ok();
        }

        self.resolve(q.name(), q.query_type(), &mut resp);

        let bytes = resp.to_vec().ok()?;
        let limit = if tcp {
            usize::MAX
        } else {
            req.edns
                .as_ref()
                .map(|e| e.max_payload().max(512) as usize)
                .unwrap_or(512)
        };
        if bytes.len() > limit {
            let mut t = resp.truncate();
            t.metadata.truncation = true;
            return t.to_vec().ok();
        }
        Some(bytes)
    }

    /// Fills answer/authority and the response code per RFC 1034 §4.3.2 (in-zone CNAME
    /// chasing, NXDOMAIN vs NODATA).
    fn resolve(&self, qname: &Name, qtype: RecordType, resp: &mut Message) {
        let mut current = qname.clone();
        let mut current_key = key(qname);
        for _ in 0..16 {
            let at: Vec<&Record> = self
                .zone
                .records
                .iter()
                .filter(|r| key(&r.name) == current_key)
                .collect();
            let cname = at.iter().find(|r| r.record_type() == RecordType::CNAME);
            if let (Some(c), false) = (cname, qtype == RecordType::CNAME) {
                let mut rec = (*c).clone();
                rec.name = current.clone();
                resp.add_answer(rec);
                let RData::CNAME(CNAME(target)) = &c.data else {
                    unreachable!()
                };
                current = target.clone();
                current_key = key(target);
                continue;
            }
            let matching: Vec<Record> = at
                .iter()
                .filter(|r| qtype == RecordType::ANY || r.record_type() == qtype)
                .map(|r| {
                    let mut rec = (*r).clone();
                    rec.name = current.clone();
                    rec
                })
                .collect();
            if !matching.is_empty() {
                resp.add_answers(matching);
                return;
            }
            // No data here: NODATA if the name exists (maybe as an empty non-terminal),
            // NXDOMAIN otherwise (RFC 8020: nothing exists below it either).
            let exists = self.zone.records.iter().any(|r| {
                let k = key(&r.name);
                k == current_key || k.ends_with(&format!(".{current_key}"))
            });
            if !exists {
                resp.metadata.response_code = ResponseCode::NXDomain;
            }
            resp.add_authority(self.soa_for(&current));
            return;
        }
        // A CNAME loop: what BIND does.
        resp.metadata.response_code = ResponseCode::ServFail;
    }

    /// A synthetic SOA for the zone a name falls in: the zone is taken to be the name's last
    /// two labels (`test.example` for `mx1.test.example`).
    fn soa_for(&self, n: &Name) -> Record {
        let labels = n.num_labels();
        let apex = if labels > 2 { n.trim_to(2) } else { n.clone() };
        let apex_str = key(&apex);
        let (mname, rname) = if apex_str.is_empty() {
            (name("ns.invalid"), name("hostmaster.invalid"))
        } else {
            (
                name(&format!("ns.{apex_str}")),
                name(&format!("hostmaster.{apex_str}")),
            )
        };
        let mut apex = apex;
        apex.set_fqdn(true);
        Record::from_rdata(
            apex,
            60,
            RData::SOA(SOA::new(mname, rname, 2024010101, 3600, 600, 86400, 60)),
        )
    }
}
