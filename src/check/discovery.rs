//! Discovery: where a domain's mail goes and what to probe. MX in preference order (implicit
//! MX and null MX per RFC 5321 §5.1 and RFC 7505, via [`crate::dns`]), each host's addresses,
//! CNAME and IP-literal exchanges, the submission SRV records of RFC 6186 / RFC 8314 §5.1, and
//! the PTR of every address with its forward confirmation. The result is data; findings are
//! derived from it elsewhere.

use super::plan::{PortSpec, Role};
use crate::dns::{Dns, Family, MailServers, SrvRecord};
use crate::error::{DnsFailure, Error, ErrorKind, Phase, Result};
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};

/// The DNS questions discovery asks; [`Dns`] answers them for real, tests answer from a table.
pub trait Resolver {
    fn mail_servers(&self, domain: &str) -> Result<MailServers>;
    fn addresses(&self, host: &str, family: Family) -> Result<Vec<IpAddr>>;
    fn srv(&self, name: &str) -> Result<Vec<SrvRecord>>;
    fn ptr(&self, ip: IpAddr) -> Result<Vec<String>>;
    fn cname(&self, name: &str) -> Option<String>;
}

impl Resolver for Dns {
    fn mail_servers(&self, domain: &str) -> Result<MailServers> {
        Dns::mail_servers(self, domain)
    }
    fn addresses(&self, host: &str, family: Family) -> Result<Vec<IpAddr>> {
        Dns::addresses(self, host, family)
    }
    fn srv(&self, name: &str) -> Result<Vec<SrvRecord>> {
        Dns::srv(self, name)
    }
    fn ptr(&self, ip: IpAddr) -> Result<Vec<String>> {
        Dns::ptr_from_server(self, ip)
    }
    fn cname(&self, name: &str) -> Option<String> {
        Dns::cname(self, name)
    }
}

/// Why a host is probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// An MX record of the domain.
    Mx,
    /// No MX: the domain's own address (RFC 5321 §5.1).
    ImplicitMx,
    /// A submission SRV record (RFC 6186 §3.1, RFC 8314 §5.1).
    Srv,
    /// `--server`, or an IP address given as the target.
    Server,
}

/// One mail server host.
#[derive(Debug, Clone, Serialize)]
pub struct HostInfo {
    pub host: String,
    /// The MX preference (null for `--server`).
    pub preference: Option<u16>,
    pub source: Source,
    /// The CNAME target, when the MX exchange is an alias (RFC 2181 §10.3 forbids it).
    pub cname: Option<String>,
    /// The exchange is an IP address rather than a host name (RFC 5321 §5.1 wants a name).
    pub ip_literal: bool,
    pub addresses: Vec<IpAddr>,
    /// Why the addresses could not be had.
    pub error: Option<String>,
}

/// One submission service published with SRV.
#[derive(Debug, Clone, Serialize)]
pub struct SrvInfo {
    /// `_submission._tcp` (STARTTLS) or `_submissions._tcp` (implicit TLS).
    pub service: &'static str,
    pub role: Role,
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    pub target: String,
    pub addresses: Vec<IpAddr>,
    pub error: Option<String>,
}

/// The reverse DNS of one address.
#[derive(Debug, Clone, Serialize)]
pub struct AddressInfo {
    pub address: IpAddr,
    /// PTR names, without the trailing dot.
    pub ptr: Vec<String>,
    /// The PTR name that resolves back to this address (forward-confirmed reverse DNS).
    pub confirmed_name: Option<String>,
    /// Whether some PTR name resolves back; null when there is no PTR (or the lookup failed).
    pub fcrdns: Option<bool>,
    pub error: Option<String>,
}

/// A failed lookup that did not stop the check.
#[derive(Debug, Clone, Serialize)]
pub struct LookupError {
    pub name: String,
    pub message: String,
}

/// Everything discovery learned about one target.
#[derive(Debug, Clone, Serialize)]
pub struct Discovery {
    /// `mx` (the domain's MX were resolved) or `server` (one server was named).
    pub mode: &'static str,
    pub domain: Option<String>,
    pub hosts: Vec<HostInfo>,
    pub implicit_mx: bool,
    pub srv: Vec<SrvInfo>,
    pub srv_errors: Vec<LookupError>,
    pub addresses: Vec<AddressInfo>,
    /// The DNS failure that stopped the check (exit 3), if any.
    #[serde(skip)]
    pub error: Option<Error>,
}

impl Discovery {
    fn new(mode: &'static str, domain: Option<String>) -> Discovery {
        Discovery {
            mode,
            domain,
            hosts: vec![],
            implicit_mx: false,
            srv: vec![],
            srv_errors: vec![],
            addresses: vec![],
            error: None,
        }
    }

    /// A domain whose discovery could not even start (no resolver).
    pub fn failed(domain: &str, error: Error) -> Discovery {
        let mut d = Discovery::new("mx", Some(domain.to_string()));
        d.error = Some(error);
        d
    }

    pub fn address(&self, ip: IpAddr) -> Option<&AddressInfo> {
        self.addresses.iter().find(|a| a.address == ip)
    }
}

/// The SRV services of RFC 6186 §3.1 and RFC 8314 §5.1, and how each is spoken to.
const SRV_SERVICES: [(&str, Role); 2] = [
    ("_submission._tcp", Role::Submission),
    ("_submissions._tcp", Role::Tls),
];

/// Discovers a mail domain: MX (or implicit MX), addresses, SRV, PTR.
pub fn discover_domain(dns: &dyn Resolver, domain: &str, family: Family) -> Discovery {
    let mut d = Discovery::new("mx", Some(domain.to_string()));
    let servers = match dns.mail_servers(domain) {
        Ok(s) => s,
        Err(e) => {
            d.error = Some(e);
            return d;
        }
    };
    d.implicit_mx = servers.implicit;
    for mx in &servers.hosts {
        let ip_literal = literal(&mx.host).is_some();
        let cname = if ip_literal || servers.implicit {
            None
        } else {
            dns.cname(&mx.host)
        };
        let (addresses, error) = lookup(dns, &mx.host, family);
        d.hosts.push(HostInfo {
            host: mx.host.clone(),
            preference: (!servers.implicit).then_some(mx.preference),
            source: if servers.implicit {
                Source::ImplicitMx
            } else {
                Source::Mx
            },
            cname,
            ip_literal,
            addresses,
            error,
        });
    }
    if d.hosts.iter().all(|h| h.addresses.is_empty()) {
        let names: Vec<&str> = d.hosts.iter().map(|h| h.host.as_str()).collect();
        d.error = Some(
            Error::new(
                Phase::Dns,
                ErrorKind::Dns(DnsFailure::NoMailServers),
                format!(
                    "none of the mail servers of {domain} has an {}address ({})",
                    family_word(family),
                    names.join(", ")
                ),
            )
            .with_hint(
                "publish A/AAAA records for the MX hosts, or point the MX at hosts that have them",
            ),
        );
        return d;
    }
    for (service, role) in SRV_SERVICES {
        let name = format!("{service}.{domain}");
        match dns.srv(&name) {
            Ok(records) => {
                for r in records {
                    let (addresses, error) = lookup(dns, &r.target, family);
                    d.srv.push(SrvInfo {
                        service,
                        role,
                        priority: r.priority,
                        weight: r.weight,
                        port: r.port,
                        target: r.target,
                        addresses,
                        error,
                    });
                }
            }
            Err(e) => d.srv_errors.push(LookupError {
                name,
                message: e.message,
            }),
        }
    }
    reverse_dns(dns, &mut d);
    d
}

/// Discovers one named server (`--server`): its addresses and their PTR. `lookup_host` finds
/// the addresses of a name (the system resolver unless `--dns-server`); `dns` answers PTR.
pub fn discover_server(
    host: &str,
    family: Family,
    lookup_host: &dyn Fn(&str) -> Result<Vec<IpAddr>>,
    dns: Option<&dyn Resolver>,
) -> Discovery {
    let mut d = Discovery::new("server", None);
    let ip_literal = literal(host);
    let result = match ip_literal {
        Some(ip) => Ok(vec![ip]),
        None => lookup_host(host),
    };
    let (addresses, error) = match result {
        Ok(ips) => (
            ips.into_iter()
                .filter(|ip| family.allows(ip))
                .collect::<Vec<_>>(),
            None,
        ),
        Err(e) => (vec![], Some(e)),
    };
    d.hosts.push(HostInfo {
        host: host.to_string(),
        preference: None,
        source: Source::Server,
        cname: None,
        ip_literal: ip_literal.is_some(),
        addresses: addresses.clone(),
        error: error.as_ref().map(|e| e.message.clone()),
    });
    if addresses.is_empty() {
        d.error = Some(error.unwrap_or_else(|| {
            Error::new(
                Phase::Dns,
                ErrorKind::Dns(DnsFailure::NoMailServers),
                format!("{host} has no {}address", family_word(family)),
            )
        }));
        return d;
    }
    if let Some(dns) = dns {
        reverse_dns(dns, &mut d);
    }
    d
}

fn family_word(family: Family) -> &'static str {
    match family {
        Family::Any => "",
        Family::V4 => "IPv4 ",
        Family::V6 => "IPv6 ",
    }
}

/// An IP address written as a host (`192.0.2.1`, `[2001:db8::1]`).
fn literal(host: &str) -> Option<IpAddr> {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

fn lookup(dns: &dyn Resolver, host: &str, family: Family) -> (Vec<IpAddr>, Option<String>) {
    if let Some(ip) = literal(host) {
        return if family.allows(&ip) {
            (vec![ip], None)
        } else {
            (
                vec![],
                Some(format!("{ip} is not an {}address", family_word(family))),
            )
        };
    }
    match dns.addresses(host, family) {
        Ok(ips) if ips.is_empty() => (
            vec![],
            Some(format!("{host} has no {}address", family_word(family))),
        ),
        Ok(ips) => (ips, None),
        Err(e) => (vec![], Some(e.message)),
    }
}

/// PTR of every address, and whether a PTR name resolves back to it (FCrDNS).
fn reverse_dns(dns: &dyn Resolver, d: &mut Discovery) {
    let mut ips: Vec<IpAddr> = Vec::new();
    let all = d
        .hosts
        .iter()
        .flat_map(|h| h.addresses.iter())
        .chain(d.srv.iter().flat_map(|s| s.addresses.iter()));
    for ip in all {
        if !ips.contains(ip) {
            ips.push(*ip);
        }
    }
    for ip in ips {
        let mut info = AddressInfo {
            address: ip,
            ptr: vec![],
            confirmed_name: None,
            fcrdns: None,
            error: None,
        };
        match dns.ptr(ip) {
            Ok(names) => {
                info.confirmed_name = names
                    .iter()
                    .find(|n| {
                        dns.addresses(n, Family::Any)
                            .is_ok_and(|back| back.contains(&ip))
                    })
                    .cloned();
                if !names.is_empty() {
                    info.fcrdns = Some(info.confirmed_name.is_some());
                }
                info.ptr = names;
            }
            Err(e) => info.error = Some(e.message),
        }
        d.addresses.push(info);
    }
}

/// One thing to probe: a host's address on a port, in a role.
#[derive(Debug, Clone)]
pub struct ProbeSpec {
    /// `mx1.example.com [192.0.2.10]:25`, unique within a check.
    pub id: String,
    pub host: String,
    pub address: SocketAddr,
    pub role: Role,
    pub source: Source,
    /// The name sent as SNI and matched against the certificate.
    pub sni: String,
}

/// The probes for a discovery: every host × address × port, then the SRV services on their
/// own ports (skipping any already covered).
pub fn probe_specs(d: &Discovery, ports: &[PortSpec], sni: Option<&str>) -> Vec<ProbeSpec> {
    let mut out: Vec<ProbeSpec> = Vec::new();
    let mut push = |host: &str, ip: IpAddr, port: u16, role: Role, source: Source| {
        let address = SocketAddr::new(ip, port);
        if out.iter().any(|p| p.host == host && p.address == address) {
            return;
        }
        out.push(ProbeSpec {
            id: format!("{host} [{ip}]:{port}"),
            host: host.to_string(),
            address,
            role,
            source,
            sni: sni.map(str::to_string).unwrap_or_else(|| {
                host.trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string()
            }),
        });
    };
    for h in &d.hosts {
        for ip in &h.addresses {
            for p in ports {
                push(&h.host, *ip, p.port, p.role, h.source);
            }
        }
    }
    for s in &d.srv {
        for ip in &s.addresses {
            push(&s.target, *ip, s.port, s.role, Source::Srv);
        }
    }
    out
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::dns::MxHost;
    use std::collections::HashMap;

    /// A resolver answering from a table; absent names are NXDOMAIN-like empty answers.
    #[derive(Default)]
    pub struct FakeDns {
        pub mx: HashMap<String, Result<MailServers>>,
        pub a: HashMap<String, Vec<IpAddr>>,
        pub srv: HashMap<String, Vec<SrvRecord>>,
        pub ptr: HashMap<IpAddr, Vec<String>>,
        pub cname: HashMap<String, String>,
    }

    impl Resolver for FakeDns {
        fn mail_servers(&self, domain: &str) -> Result<MailServers> {
            self.mx.get(domain).cloned().unwrap_or_else(|| {
                Err(Error::new(
                    Phase::Dns,
                    ErrorKind::Dns(DnsFailure::NxDomain),
                    "nxdomain",
                ))
            })
        }
        fn addresses(&self, host: &str, _family: Family) -> Result<Vec<IpAddr>> {
            Ok(self.a.get(host).cloned().unwrap_or_default())
        }
        fn srv(&self, name: &str) -> Result<Vec<SrvRecord>> {
            Ok(self.srv.get(name).cloned().unwrap_or_default())
        }
        fn ptr(&self, ip: IpAddr) -> Result<Vec<String>> {
            Ok(self.ptr.get(&ip).cloned().unwrap_or_default())
        }
        fn cname(&self, name: &str) -> Option<String> {
            self.cname.get(name).cloned()
        }
    }

    pub fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    pub fn two_mx() -> FakeDns {
        let mut dns = FakeDns::default();
        dns.mx.insert(
            "example.test".into(),
            Ok(MailServers {
                domain: "example.test".into(),
                hosts: vec![
                    MxHost {
                        preference: 10,
                        host: "mx1.example.test".into(),
                    },
                    MxHost {
                        preference: 20,
                        host: "mx2.example.test".into(),
                    },
                ],
                implicit: false,
            }),
        );
        dns.a
            .insert("mx1.example.test".into(), vec![ip("192.0.2.1")]);
        dns.a
            .insert("mx2.example.test".into(), vec![ip("192.0.2.2")]);
        dns.ptr
            .insert(ip("192.0.2.1"), vec!["mx1.example.test".into()]);
        dns.ptr
            .insert(ip("192.0.2.2"), vec!["elsewhere.example.test".into()]);
        dns
    }

    #[test]
    fn mx_hosts_keep_their_order_and_reverse_dns_is_confirmed() {
        let d = discover_domain(&two_mx(), "example.test", Family::Any);
        assert!(d.error.is_none());
        let hosts: Vec<&str> = d.hosts.iter().map(|h| h.host.as_str()).collect();
        assert_eq!(hosts, ["mx1.example.test", "mx2.example.test"]);
        assert_eq!(d.address(ip("192.0.2.1")).unwrap().fcrdns, Some(true));
        // elsewhere.example.test has no address: not confirmed.
        assert_eq!(d.address(ip("192.0.2.2")).unwrap().fcrdns, Some(false));
    }

    #[test]
    fn cname_and_literal_exchanges_are_noted_and_still_probed() {
        let mut dns = two_mx();
        dns.cname
            .insert("mx2.example.test".into(), "real.example.test".into());
        if let Some(Ok(s)) = dns.mx.get_mut("example.test") {
            s.hosts[0].host = "192.0.2.9".into();
        }
        let d = discover_domain(&dns, "example.test", Family::Any);
        assert!(d.hosts[0].ip_literal);
        assert_eq!(d.hosts[0].addresses, vec![ip("192.0.2.9")]);
        assert_eq!(d.hosts[1].cname.as_deref(), Some("real.example.test"));
        let specs = probe_specs(
            &d,
            &[PortSpec {
                port: 25,
                role: Role::Smtp,
            }],
            None,
        );
        assert_eq!(specs.len(), 2);
    }

    #[test]
    fn hosts_without_addresses_stop_the_check_with_a_dns_error() {
        let mut dns = two_mx();
        dns.a.clear();
        let d = discover_domain(&dns, "example.test", Family::Any);
        let err = d.error.expect("an error");
        assert!(matches!(
            err.kind,
            ErrorKind::Dns(DnsFailure::NoMailServers)
        ));
        assert!(
            discover_domain(&two_mx(), "nowhere.test", Family::Any)
                .error
                .is_some()
        );
    }

    #[test]
    fn srv_services_add_probes_on_their_ports_without_duplicates() {
        let mut dns = two_mx();
        let srv = |port| SrvRecord {
            priority: 0,
            weight: 1,
            port,
            target: "mx1.example.test".into(),
        };
        dns.srv
            .insert("_submission._tcp.example.test".into(), vec![srv(587)]);
        dns.srv
            .insert("_submissions._tcp.example.test".into(), vec![srv(4465)]);
        let d = discover_domain(&dns, "example.test", Family::Any);
        assert_eq!(d.srv.len(), 2);
        let ports = [
            PortSpec {
                port: 25,
                role: Role::Smtp,
            },
            PortSpec {
                port: 587,
                role: Role::Submission,
            },
        ];
        let specs = probe_specs(&d, &ports, Some("sni.example.test"));
        // 2 hosts × 2 ports, plus 4465 (587 on mx1 is already there).
        assert_eq!(specs.len(), 5);
        let last = specs.last().unwrap();
        assert_eq!(
            (last.address.port(), last.role, last.source),
            (4465, Role::Tls, Source::Srv)
        );
        assert!(specs.iter().all(|s| s.sni == "sni.example.test"));
    }

    #[test]
    fn a_named_server_skips_mx() {
        let d = discover_server("192.0.2.5", Family::Any, &|_| Ok(vec![]), None);
        assert!(d.error.is_none());
        assert_eq!(d.hosts[0].addresses, vec![ip("192.0.2.5")]);
        let d = discover_server("192.0.2.5", Family::V6, &|_| Ok(vec![]), None);
        assert!(d.error.is_some());
        let d = discover_server("none.test", Family::Any, &|_| Ok(vec![]), None);
        assert!(d.error.is_some());
    }
}
