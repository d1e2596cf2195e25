//! Reaching an SMTP server, shared by `send` and `shell`: the hosts to try (a named server, or a
//! domain's MX in preference order), every address of each host in turn under the connect
//! timeout (each attempt narrated and kept), and the implicit-TLS handshake that comes before
//! any SMTP on port 465 (RFC 8314 §3). Nothing here speaks SMTP; the session does.

use crate::cli::GlobalArgs;
use crate::dns::{Dns, Family};
use crate::error::{DnsFailure, Error, ErrorKind, Phase, Result};
use crate::net::connect::{Attempt, ConnectProgress, connect_first};
use crate::net::stream::Stream;
use crate::net::tls::{self, TlsInfo, TlsParams};
use crate::report::{Event, MxEntry, Observer};
use crate::smtp::session::tls_error;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// A TCP connection to one of the hosts asked for.
#[derive(Debug)]
pub struct Connected {
    /// The host name (or IP literal) that answered.
    pub host: String,
    pub tcp: TcpStream,
    pub addr: SocketAddr,
}

/// The resolver, created on first use (`--dns-server`, or the system's configuration).
pub fn resolver<'d>(dns: &'d mut Option<Dns>, global: &GlobalArgs) -> Result<&'d Dns> {
    if dns.is_none() {
        let server = match &global.dns_server {
            Some(s) => Some(crate::dns::parse_server(s).map_err(Error::usage)?),
            None => None,
        };
        *dns = Some(Dns::new(
            server,
            Duration::from_secs_f64(global.timeout.min(10.0)),
        )?);
    }
    dns.as_ref()
        .ok_or_else(|| Error::new(Phase::Dns, ErrorKind::Dns(DnsFailure::Other), "no resolver"))
}

/// The mail servers of `domain`, best first (RFC 5321 §5.1: MX, or the domain itself when it
/// has none), narrated as a `resolve` event.
pub fn mail_hosts(
    domain: &str,
    dns: &mut Option<Dns>,
    global: &GlobalArgs,
    obs: &mut dyn Observer,
) -> Result<Vec<String>> {
    let servers = resolver(dns, global)?.mail_servers(domain)?;
    obs.event(Event::Resolve {
        domain: servers.domain.clone(),
        mx: servers
            .hosts
            .iter()
            .map(|h| MxEntry {
                preference: h.preference,
                host: h.host.clone(),
            })
            .collect(),
        implicit: servers.implicit,
    });
    Ok(servers.hosts.into_iter().map(|h| h.host).collect())
}

/// The socket addresses of a host: an IP literal as is, otherwise DNS (`--dns-server`) or the
/// system's resolver (which also reads /etc/hosts).
pub fn host_addresses(
    host: &str,
    port: u16,
    family: Family,
    dns: &mut Option<Dns>,
    global: &GlobalArgs,
) -> Result<Vec<SocketAddr>> {
    let ips = if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        vec![ip]
    } else if global.dns_server.is_some() {
        resolver(dns, global)?.addresses(host, family)?
    } else {
        use std::net::ToSocketAddrs;
        (host, port)
            .to_socket_addrs()
            .map_err(|e| {
                Error::new(
                    Phase::Dns,
                    ErrorKind::Dns(DnsFailure::NxDomain),
                    format!("cannot resolve {host}: {e}"),
                )
                .with_hint("check the host name, or ask a specific resolver with --dns-server")
            })?
            .map(|a| a.ip())
            .collect()
    };
    let addrs: Vec<SocketAddr> = ips
        .into_iter()
        .filter(|ip| family.allows(ip))
        .map(|ip| SocketAddr::new(ip, port))
        .collect();
    if addrs.is_empty() {
        let fam = match family {
            Family::V4 => " IPv4",
            Family::V6 => " IPv6",
            Family::Any => "",
        };
        return Err(Error::new(
            Phase::Dns,
            ErrorKind::Dns(DnsFailure::NoMailServers),
            format!("{host} has no{fam} address"),
        ));
    }
    Ok(addrs)
}

/// The address family `-4` / `-6` ask for.
pub fn family(global: &GlobalArgs) -> Family {
    if global.ipv4 {
        Family::V4
    } else if global.ipv6 {
        Family::V6
    } else {
        Family::Any
    }
}

/// The TLS settings for a server name (brackets of an IPv6 literal removed).
pub fn tls_params(global: &GlobalArgs, server_name: &str) -> TlsParams {
    TlsParams {
        backend: global.tls_backend,
        ca_file: global.ca_file.clone(),
        insecure: global.insecure,
        server_name: server_name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
    }
}

/// Connects to the first host (and address) that answers on `port`. Every attempt is narrated
/// (`trying`, `connect` events) and kept in `attempts`. A host that does not resolve is
/// skipped with a warning; when none resolves, that DNS error is returned.
pub fn connect_hosts(
    hosts: &[String],
    port: u16,
    dns: &mut Option<Dns>,
    global: &GlobalArgs,
    obs: &mut dyn Observer,
    attempts: &mut Vec<Attempt>,
) -> Result<Connected> {
    let family = family(global);
    let connect_timeout = Duration::from_secs_f64(global.connect_timeout);
    let mut last_dns_error = None;
    for host in hosts {
        let addrs = match host_addresses(host, port, family, dns, global) {
            Ok(a) => a,
            Err(e) => {
                obs.event(Event::warning(format!("{host}: {}", e.message)));
                last_dns_error = Some(e);
                continue;
            }
        };
        let found = connect_first(host, &addrs, connect_timeout, attempts, |p| match p {
            ConnectProgress::Trying(a) => obs.event(Event::Trying {
                host: host.clone(),
                address: a.ip().to_string(),
                port: a.port(),
            }),
            ConnectProgress::Done(att) => obs.event(Event::connect(att)),
        });
        if let Some((tcp, addr)) = found {
            return Ok(Connected {
                host: host.clone(),
                tcp,
                addr,
            });
        }
    }
    if attempts.is_empty()
        && let Some(e) = last_dns_error
    {
        return Err(e);
    }
    let all_refused = attempts.iter().all(|a| a.failure == Some("refused"));
    let hint = if port == 25 && !all_refused {
        "many ISPs and cloud networks block outbound port 25; try from another network, or the submission port with -p 587"
    } else {
        "check the host and port, and that the server is running"
    };
    Err(Error::new(
        Phase::Connect,
        ErrorKind::Connect,
        format!(
            "could not connect to {} on port {port} ({} attempts)",
            hosts.join(", "),
            attempts.len()
        ),
    )
    .with_hint(hint))
}

/// The implicit-TLS handshake (RFC 8314 §3), narrated as a `tls` or `tls_failed` event.
pub fn implicit_tls(
    tcp: TcpStream,
    params: &TlsParams,
    timeout: Duration,
    obs: &mut dyn Observer,
) -> Result<(Stream, TlsInfo)> {
    match tls::handshake(tcp, params, Instant::now() + timeout) {
        Ok((stream, info)) => {
            obs.event(Event::Tls {
                info: Box::new(info.clone()),
            });
            Ok((stream, info))
        }
        Err(failure) => {
            let err = tls_error(Phase::TlsHandshake, &failure);
            obs.event(Event::TlsFailed {
                failure: Box::new(failure),
            });
            Err(err)
        }
    }
}
