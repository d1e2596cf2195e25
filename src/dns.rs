//! DNS: the only module that knows hickory. MX (with implicit and null MX), A/AAAA, SRV, PTR
//! and CNAME lookups, against the system resolver or `--dns-server`. hickory is async; a small
//! current-thread tokio runtime drives it so the rest of the crate stays synchronous.

use crate::error::{DnsFailure, Error, ErrorKind, Phase, Result};
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Which address families to use (`-4`, `-6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Family {
    #[default]
    Any,
    V4,
    V6,
}

impl Family {
    pub fn allows(self, ip: &IpAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => ip.is_ipv4(),
            Family::V6 => ip.is_ipv6(),
        }
    }
}

/// One mail server of a domain.
#[derive(Debug, Clone, Serialize)]
pub struct MxHost {
    pub preference: u16,
    /// Without the trailing dot.
    pub host: String,
}

/// The answer to "where does mail for this domain go".
#[derive(Debug, Clone, Serialize)]
pub struct MailServers {
    pub domain: String,
    /// In preference order (lowest first).
    pub hosts: Vec<MxHost>,
    /// No MX: the domain's own address is used (RFC 5321 §5.1).
    pub implicit: bool,
}

/// A SRV record (RFC 2782), e.g. `_submission._tcp` (RFC 6186).
#[derive(Debug, Clone, Serialize)]
pub struct SrvRecord {
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    pub target: String,
}

/// A resolver.
pub struct Dns {
    rt: tokio::runtime::Runtime,
    resolver: TokioResolver,
    /// The server asked, for messages ("system resolver" when None).
    server: Option<SocketAddr>,
    /// The per-query timeout (for [`Dns::ptr_from_server`]).
    timeout: Duration,
}

/// Parses `IP[:PORT]` (also `[v6]:port`); the port defaults to 53.
pub fn parse_server(s: &str) -> std::result::Result<SocketAddr, String> {
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Ok(ip) = s
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        return Ok(SocketAddr::new(ip, 53));
    }
    Err(format!(
        "--dns-server {s:?}: give an IP address with an optional port, like 127.0.0.1:5353"
    ))
}

impl Dns {
    pub fn new(server: Option<SocketAddr>, timeout: Duration) -> Result<Dns> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                Error::new(
                    Phase::Dns,
                    ErrorKind::Dns(DnsFailure::Other),
                    format!("cannot start the DNS runtime: {e}"),
                )
            })?;
        let provider = TokioRuntimeProvider::default();
        let mut builder = match server {
            Some(addr) => {
                let mut ns = NameServerConfig::udp_and_tcp(addr.ip());
                for c in &mut ns.connections {
                    c.port = addr.port();
                }
                ns.trust_negative_responses = true;
                TokioResolver::builder_with_config(
                    ResolverConfig::from_parts(None, vec![], vec![ns]),
                    provider,
                )
            }
            None => TokioResolver::builder_tokio().map_err(|e| {
                Error::new(
                    Phase::Dns,
                    ErrorKind::Dns(DnsFailure::Other),
                    format!("cannot read the system resolver configuration: {e}"),
                )
                .with_hint("name a resolver with --dns-server IP[:PORT]")
            })?,
        };
        let opts: &mut ResolverOpts = builder.options_mut();
        opts.timeout = timeout;
        opts.attempts = 2;
        opts.ndots = 0;
        if server.is_some() {
            // A named server answers for everything, /etc/hosts included (like `dig @server`).
            opts.use_hosts_file = ResolveHosts::Never;
        }
        let resolver = builder.build().map_err(|e| {
            Error::new(
                Phase::Dns,
                ErrorKind::Dns(DnsFailure::Other),
                format!("cannot set up the resolver: {e}"),
            )
        })?;
        Ok(Dns {
            rt,
            resolver,
            server,
            timeout,
        })
    }

    fn who(&self) -> String {
        match self.server {
            Some(s) => format!("DNS server {s}"),
            None => "the system resolver".into(),
        }
    }

    fn classify(&self, name: &str, what: &str, err: &NetError) -> (DnsFailure, String) {
        match err {
            NetError::Dns(DnsError::NoRecordsFound(nr))
                if nr.response_code == ResponseCode::NXDomain =>
            {
                (
                    DnsFailure::NxDomain,
                    format!("{name} does not exist (NXDOMAIN)"),
                )
            }
            NetError::Dns(DnsError::NoRecordsFound(_)) => (
                DnsFailure::NoMailServers,
                format!("{name} has no {what} records"),
            ),
            NetError::Dns(DnsError::ResponseCode(ResponseCode::NXDomain)) => (
                DnsFailure::NxDomain,
                format!("{name} does not exist (NXDOMAIN)"),
            ),
            NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)) => (
                DnsFailure::ServFail,
                format!(
                    "{} answered SERVFAIL for {name} {what}: its zone or DNSSEC is broken",
                    self.who()
                ),
            ),
            NetError::Timeout => (
                DnsFailure::Timeout,
                format!(
                    "{} did not answer the {what} query for {name} in time",
                    self.who()
                ),
            ),
            other => (
                DnsFailure::Other,
                format!("the {what} lookup for {name} failed: {other}"),
            ),
        }
    }

    fn lookup(&self, name: &str, rtype: RecordType) -> std::result::Result<Vec<RData>, NetError> {
        let fqdn = if name.ends_with('.') {
            name.to_string()
        } else {
            format!("{name}.")
        };
        let lookup = self
            .rt
            .block_on(self.resolver.lookup(fqdn.as_str(), rtype))?;
        Ok(lookup.answers().iter().map(|r| r.data.clone()).collect())
    }

    fn dns_error(&self, failure: DnsFailure, message: String) -> Error {
        let hint = match failure {
            DnsFailure::NxDomain => "check the spelling of the domain".to_string(),
            DnsFailure::NoMailServers => {
                "the domain publishes no MX and no address: it cannot receive mail".into()
            }
            DnsFailure::Timeout | DnsFailure::ServFail => format!(
                "retry, or ask another resolver with --dns-server (now: {})",
                self.who()
            ),
            _ => "check the resolver, or name one with --dns-server".into(),
        };
        Error::new(Phase::Dns, ErrorKind::Dns(failure), message).with_hint(hint)
    }

    /// The mail servers of `domain` (RFC 5321 §5.1): MX records in preference order; no MX
    /// but an address means the domain itself (implicit MX); a lone `MX 0 .` is a null MX
    /// (RFC 7505), which is an error: the domain accepts no mail.
    pub fn mail_servers(&self, domain: &str) -> Result<MailServers> {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        match self.lookup(&domain, RecordType::MX) {
            Ok(answers) => {
                let mut hosts: Vec<MxHost> = answers
                    .iter()
                    .filter_map(|r| match r {
                        RData::MX(mx) => Some(MxHost {
                            preference: mx.preference,
                            host: mx.exchange.to_utf8().trim_end_matches('.').to_string(),
                        }),
                        _ => None,
                    })
                    .collect();
                hosts.sort_by_key(|h| h.preference);
                // RFC 7505 §3: a null MX is the only MX of the domain, with target ".".
                if hosts.iter().any(|h| h.host.is_empty()) {
                    if hosts.len() == 1 {
                        return Err(Error::new(
                            Phase::Dns,
                            ErrorKind::Dns(DnsFailure::NullMx),
                            format!("{domain} publishes a null MX (MX 0 .): it accepts no mail (RFC 7505)"),
                        )
                        .with_hint("mail to this domain is refused by design; use another address"));
                    }
                    hosts.retain(|h| !h.host.is_empty());
                }
                if hosts.is_empty() {
                    return self.implicit_mx(&domain);
                }
                Ok(MailServers {
                    domain,
                    hosts,
                    implicit: false,
                })
            }
            Err(e) => match self.classify(&domain, "MX", &e) {
                (DnsFailure::NoMailServers, _) => self.implicit_mx(&domain),
                (failure, message) => Err(self.dns_error(failure, message)),
            },
        }
    }

    fn implicit_mx(&self, domain: &str) -> Result<MailServers> {
        match self.addresses(domain, Family::Any) {
            Ok(addrs) if !addrs.is_empty() => Ok(MailServers {
                domain: domain.to_string(),
                hosts: vec![MxHost {
                    preference: 0,
                    host: domain.to_string(),
                }],
                implicit: true,
            }),
            Ok(_) => Err(self.dns_error(
                DnsFailure::NoMailServers,
                format!("{domain} has no MX records and no address: it has no mail servers"),
            )),
            Err(e) if matches!(e.kind, ErrorKind::Dns(DnsFailure::NoMailServers)) => Err(self
                .dns_error(
                    DnsFailure::NoMailServers,
                    format!("{domain} has no MX records and no address: it has no mail servers"),
                )),
            Err(e) => Err(e),
        }
    }

    /// The A and AAAA addresses of `host` (IPv6 first when both are allowed, as RFC 6724 prefers).
    pub fn addresses(&self, host: &str, family: Family) -> Result<Vec<IpAddr>> {
        if let Ok(ip) = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            return Ok(vec![ip]);
        }
        let mut out = Vec::new();
        let mut last_err = None;
        let mut any_answer = false;
        for rtype in [RecordType::AAAA, RecordType::A] {
            let wanted = match rtype {
                RecordType::A => family != Family::V6,
                _ => family != Family::V4,
            };
            if !wanted {
                continue;
            }
            match self.lookup(host, rtype) {
                Ok(answers) => {
                    any_answer = true;
                    out.extend(answers.iter().filter_map(|r| match r {
                        RData::A(a) => Some(IpAddr::V4(a.0)),
                        RData::AAAA(a) => Some(IpAddr::V6(a.0)),
                        _ => None,
                    }));
                }
                Err(e) => last_err = Some(self.classify(host, "address", &e)),
            }
        }
        if out.is_empty()
            && !any_answer
            && let Some((failure, message)) = last_err
        {
            return Err(self.dns_error(failure, message));
        }
        Ok(out)
    }

    /// SRV records of `name`, by priority; an absent record is an empty list.
    pub fn srv(&self, name: &str) -> Result<Vec<SrvRecord>> {
        match self.lookup(name, RecordType::SRV) {
            Ok(answers) => {
                let mut out: Vec<SrvRecord> = answers
                    .iter()
                    .filter_map(|r| match r {
                        RData::SRV(s) => Some(SrvRecord {
                            priority: s.priority,
                            weight: s.weight,
                            port: s.port,
                            target: s.target.to_utf8().trim_end_matches('.').to_string(),
                        }),
                        _ => None,
                    })
                    // RFC 2782: target "." means the service is decidedly not available.
                    .filter(|s| !s.target.is_empty())
                    .collect();
                out.sort_by_key(|s| (s.priority, std::cmp::Reverse(s.weight)));
                Ok(out)
            }
            Err(e) => match self.classify(name, "SRV", &e) {
                (DnsFailure::NoMailServers | DnsFailure::NxDomain, _) => Ok(vec![]),
                (failure, message) => Err(self.dns_error(failure, message)),
            },
        }
    }

    /// The PTR names of an address; none is an empty list.
    pub fn ptr(&self, ip: IpAddr) -> Result<Vec<String>> {
        let name = reverse_name(ip);
        match self.lookup(&name, RecordType::PTR) {
            Ok(answers) => Ok(answers
                .iter()
                .filter_map(|r| match r {
                    RData::PTR(p) => Some(p.0.to_utf8().trim_end_matches('.').to_string()),
                    _ => None,
                })
                .collect()),
            Err(e) => match self.classify(&name, "PTR", &e) {
                (DnsFailure::NoMailServers | DnsFailure::NxDomain, _) => Ok(vec![]),
                (failure, message) => Err(self.dns_error(failure, message)),
            },
        }
    }

    /// The PTR names of an address as `--dns-server` answers them. hickory answers loopback
    /// reverse names itself (`localhost`, RFC 6761 §6.3) without asking anyone; like
    /// `dig @server -x 127.0.0.1`, this asks the named server for loopback addresses. Without
    /// `--dns-server`, and for other addresses, it is [`Dns::ptr`].
    pub fn ptr_from_server(&self, ip: IpAddr) -> Result<Vec<String>> {
        match self.server {
            Some(server) if ip.is_loopback() => self.ptr_direct(server, ip),
            _ => self.ptr(ip),
        }
    }

    /// One PTR query over UDP to `server`, bounded by the resolver timeout (twice, as the
    /// resolver tries twice).
    fn ptr_direct(&self, server: SocketAddr, ip: IpAddr) -> Result<Vec<String>> {
        use hickory_resolver::proto::op::{Message, MessageType, OpCode, Query};
        use hickory_resolver::proto::rr::Name;
        let name = reverse_name(ip);
        let fail = |failure: DnsFailure, what: String| self.dns_error(failure, what);
        let qname = Name::from_ascii(format!("{name}."))
            .map_err(|e| fail(DnsFailure::Other, format!("bad reverse name {name}: {e}")))?;
        let id = (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
            & 0xffff) as u16;
        let mut query = Message::new(id, MessageType::Query, OpCode::Query);
        query.metadata.recursion_desired = true;
        query.add_query(Query::query(qname, RecordType::PTR));
        let wire = query.to_vec().map_err(|e| {
            fail(
                DnsFailure::Other,
                format!("cannot encode the PTR query for {name}: {e}"),
            )
        })?;
        let bind: SocketAddr = if server.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        }
        .parse()
        .map_err(|_| fail(DnsFailure::Other, "bad bind address".into()))?;
        let io = |e: std::io::Error| {
            fail(
                DnsFailure::Other,
                format!("the PTR query for {name} to {server} failed: {e}"),
            )
        };
        let socket = std::net::UdpSocket::bind(bind).map_err(io)?;
        socket.connect(server).map_err(io)?;
        let deadline = std::time::Instant::now() + self.timeout * 2;
        let mut buf = [0u8; 4096];
        let mut sent = 0;
        loop {
            let now = std::time::Instant::now();
            if now >= deadline {
                return Err(fail(
                    DnsFailure::Timeout,
                    format!(
                        "{} did not answer the PTR query for {name} in time",
                        self.who()
                    ),
                ));
            }
            if sent == 0 || (sent == 1 && deadline - now <= self.timeout) {
                socket.send(&wire).map_err(io)?;
                sent += 1;
            }
            let wait = (deadline - now)
                .min(self.timeout)
                .max(Duration::from_millis(1));
            let _ = socket.set_read_timeout(Some(wait));
            let n = match socket.recv(&mut buf) {
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    continue;
                }
                Err(e) => return Err(io(e)),
            };
            let Ok(reply) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            if reply.metadata.id != id || reply.metadata.message_type != MessageType::Response {
                continue;
            }
            return match reply.metadata.response_code {
                ResponseCode::NoError | ResponseCode::NXDomain => Ok(reply
                    .answers
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::PTR(p) => Some(p.0.to_utf8().trim_end_matches('.').to_string()),
                        _ => None,
                    })
                    .collect()),
                ResponseCode::ServFail => Err(fail(
                    DnsFailure::ServFail,
                    format!("{} answered SERVFAIL for {name} PTR", self.who()),
                )),
                code => Err(fail(
                    DnsFailure::Other,
                    format!("{} answered {code} for {name} PTR", self.who()),
                )),
            };
        }
    }

    /// The CNAME target of `name`, when `name` is an alias (an MX must not be: RFC 2181 §10.3).
    pub fn cname(&self, name: &str) -> Option<String> {
        self.lookup(name, RecordType::CNAME)
            .ok()?
            .iter()
            .find_map(|r| match r {
                RData::CNAME(c) => Some(c.0.to_utf8().trim_end_matches('.').to_string()),
                _ => None,
            })
    }
}

/// `1.0.0.127.in-addr.arpa` / nibble form for IPv6 (RFC 3596 §2.5).
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut s = String::new();
            for b in v6.octets().iter().rev() {
                s.push_str(&format!("{:x}.{:x}.", b & 0xf, b >> 4));
            }
            s.push_str("ip6.arpa");
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_name("127.0.0.1".parse().unwrap()),
            "1.0.0.127.in-addr.arpa"
        );
        assert!(reverse_name("::1".parse().unwrap()).starts_with("1.0.0.0."));
        assert!(reverse_name("::1".parse().unwrap()).ends_with(".ip6.arpa"));
    }

    #[test]
    fn dns_server_parsing() {
        assert_eq!(parse_server("127.0.0.1:5353").unwrap().port(), 5353);
        assert_eq!(parse_server("127.0.0.1").unwrap().port(), 53);
        assert_eq!(parse_server("::1").unwrap().port(), 53);
        assert_eq!(parse_server("[::1]:10053").unwrap().port(), 10053);
        assert!(parse_server("dns.example").is_err());
    }
}
