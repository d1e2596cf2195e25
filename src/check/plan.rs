//! What a check will do, validated before any packet is sent: the targets (domains, addresses,
//! or `--server`), the ports with the role each is probed in, and the session settings.

use crate::cli::{CheckArgs, GlobalArgs, TlsBackend};
use crate::dns::Family;
use crate::error::{Error, Result};
use crate::smtp::command::check_argument;
use crate::target::{domain_of, split_host_port};
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// How a port is spoken to (SPEC.md port rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Relay (MX) port: STARTTLS when offered (RFC 3207), as every sending MTA does.
    Smtp,
    /// Message submission (RFC 6409): STARTTLS expected before AUTH (RFC 8314 §3.3).
    Submission,
    /// Implicit TLS from the first byte (RFC 8314 §3, port 465).
    Tls,
}

impl Role {
    /// The role of a port given without one: 465 is tls, 587 submission, anything else smtp.
    pub fn for_port(port: u16) -> Role {
        match port {
            465 => Role::Tls,
            587 => Role::Submission,
            _ => Role::Smtp,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Smtp => "smtp",
            Role::Submission => "submission",
            Role::Tls => "tls",
        }
    }

    fn parse(s: &str) -> Option<Role> {
        match s.to_ascii_lowercase().as_str() {
            "smtp" | "mx" | "relay" => Some(Role::Smtp),
            "submission" | "starttls" => Some(Role::Submission),
            "tls" | "smtps" | "submissions" | "implicit" => Some(Role::Tls),
            _ => None,
        }
    }
}

/// One port of `--ports`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PortSpec {
    pub port: u16,
    pub role: Role,
}

/// The ports probed when `--ports` is not given.
pub const DEFAULT_PORTS: [u16; 3] = [25, 587, 465];

/// Parses `--ports` entries (`25`, `2525/smtp`, `10465/tls`); clap already split the commas.
pub fn parse_ports(list: &[String]) -> std::result::Result<Vec<PortSpec>, String> {
    let mut out: Vec<PortSpec> = Vec::new();
    for raw in list {
        let entry = raw.trim();
        if entry.is_empty() {
            continue;
        }
        let (num, role) = match entry.split_once('/') {
            Some((n, r)) => {
                let role = Role::parse(r.trim()).ok_or_else(|| {
                    format!("--ports {entry:?}: unknown role {r:?}; use smtp, submission or tls")
                })?;
                (n.trim(), Some(role))
            }
            None => (entry, None),
        };
        let port = match num.parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => {
                return Err(format!(
                    "--ports {entry:?}: {num:?} is not a port number (1-65535)"
                ));
            }
        };
        let spec = PortSpec {
            port,
            role: role.unwrap_or_else(|| Role::for_port(port)),
        };
        match out.iter().find(|s| s.port == port) {
            Some(prev) if prev.role != spec.role => {
                return Err(format!(
                    "--ports: port {port} is listed as both {} and {}",
                    prev.role.as_str(),
                    spec.role.as_str()
                ));
            }
            Some(_) => {}
            None => out.push(spec),
        }
    }
    if out.is_empty() {
        return Err("--ports: no port given; for example --ports 25,587,465".into());
    }
    Ok(out)
}

/// What one TARGET names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A mail domain (from `example.com` or `user@example.com`): resolve its MX.
    Domain { input: String, domain: String },
    /// One server, from `--server HOST[:PORT]` or an IP address given as TARGET: no MX lookup.
    Server { input: String, host: String },
}

impl Target {
    /// What the user typed, for the report.
    pub fn input(&self) -> &str {
        match self {
            Target::Domain { input, .. } | Target::Server { input, .. } => input,
        }
    }
}

/// TLS settings shared by every probe.
#[derive(Debug, Clone)]
pub struct TlsSettings {
    pub backend: TlsBackend,
    pub ca_file: Option<PathBuf>,
    /// `--insecure`: certificate problems are still found, but reported as warnings.
    pub insecure: bool,
}

/// Everything a check needs, validated.
#[derive(Debug, Clone)]
pub struct Plan {
    pub targets: Vec<Target>,
    pub ports: Vec<PortSpec>,
    /// `--ehlo`; without it each probe uses `send::default_ehlo` of its own connection (this
    /// host's FQDN, or the address literal of our end, RFC 5321 §4.1.4).
    pub ehlo: Option<String>,
    pub sni: Option<String>,
    pub concurrency: usize,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub family: Family,
    pub dns_server: Option<SocketAddr>,
    pub tls: TlsSettings,
    pub show_secrets: bool,
}

impl Plan {
    pub fn new(args: &CheckArgs, global: &GlobalArgs) -> Result<Plan> {
        let explicit_ports = !args.ports.is_empty();
        let mut ports = if explicit_ports {
            parse_ports(&args.ports).map_err(Error::usage)?
        } else {
            DEFAULT_PORTS
                .iter()
                .map(|&port| PortSpec {
                    port,
                    role: Role::for_port(port),
                })
                .collect()
        };
        let mut targets = Vec::new();
        if let Some(server) = &args.server {
            let (host, port) =
                split_host_port(server).map_err(|e| Error::usage(format!("--server: {e}")))?;
            check_host(&host).map_err(|e| Error::usage(format!("--server: {e}")))?;
            if let Some(port) = port {
                // `--ports` may still give the role of that one port (`--ports 10465/tls`).
                match ports.as_slice() {
                    [one] if explicit_ports && one.port == port => {}
                    _ if explicit_ports => {
                        return Err(Error::usage(format!(
                            "--server {server} names port {port}: --ports may only give its role \
                             (--ports {port}/tls); to probe other ports, leave the port out of --server"
                        )));
                    }
                    _ => {
                        ports = vec![PortSpec {
                            port,
                            role: Role::for_port(port),
                        }]
                    }
                }
            }
            if args.targets.len() > 1 {
                return Err(Error::usage(
                    "--server probes one server: give at most one TARGET with it (as a label)",
                ));
            }
            let input = match args.targets.first() {
                Some(t) => format!("{} (via {server})", t.trim()),
                None => server.trim().to_string(),
            };
            targets.push(Target::Server { input, host });
        } else {
            for t in &args.targets {
                targets.push(parse_target(t).map_err(Error::usage)?);
            }
        }
        if targets.is_empty() {
            return Err(Error::usage(
                "nothing to check: give a mail domain, or --server HOST",
            ));
        }
        let ehlo = args.ehlo.clone();
        if let Some(name) = &ehlo {
            check_argument("EHLO name", name).map_err(Error::usage)?;
        }
        if let Some(sni) = &args.sni {
            check_host(sni).map_err(|e| Error::usage(format!("--sni: {e}")))?;
        }
        let dns_server = match &global.dns_server {
            Some(s) => Some(crate::dns::parse_server(s).map_err(Error::usage)?),
            None => None,
        };
        Ok(Plan {
            targets,
            ports,
            ehlo,
            sni: args.sni.clone(),
            concurrency: usize::from(args.concurrency).max(1),
            timeout: Duration::from_secs_f64(global.timeout),
            connect_timeout: Duration::from_secs_f64(global.connect_timeout),
            family: crate::connect::family(global),
            dns_server,
            tls: TlsSettings {
                backend: global.tls_backend,
                ca_file: global.ca_file.clone(),
                insecure: global.insecure,
            },
            show_secrets: global.show_secrets,
        })
    }
}

/// A TARGET: an address or a domain (its MX is resolved), or an IP address (probed directly).
pub fn parse_target(raw: &str) -> std::result::Result<Target, String> {
    let input = raw.trim().to_string();
    let domain = domain_of(&input)
        .trim()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if domain.is_empty() {
        return Err(format!(
            "{input:?} names no domain: give example.com or user@example.com"
        ));
    }
    // `[192.0.2.1]` is how RFC 5321 §4.1.3 writes an address literal; `user@[192.0.2.1]` too.
    let literal = domain.trim_start_matches('[').trim_end_matches(']');
    let literal = literal.strip_prefix("ipv6:").unwrap_or(literal);
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return Ok(Target::Server {
            input,
            host: ip.to_string(),
        });
    }
    check_host(&domain).map_err(|e| format!("{input:?}: {e}"))?;
    Ok(Target::Domain { input, domain })
}

/// A host or domain name as DNS allows it (RFC 1035 §2.3.4 lengths); IP literals pass too.
fn check_host(name: &str) -> std::result::Result<(), String> {
    let name = name.trim_end_matches('.');
    if name
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok()
    {
        return Ok(());
    }
    if name.is_empty() {
        return Err("an empty name".into());
    }
    if name.len() > 253 {
        return Err("a name longer than 253 characters".into());
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(format!("{name:?} has an empty label"));
        }
        if label.len() > 63 {
            return Err(format!("{name:?} has a label longer than 63 characters"));
        }
        if label
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "/\\@:<>\"'".contains(c))
        {
            return Err(format!("{name:?} is not a host name"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports(list: &[&str]) -> std::result::Result<Vec<PortSpec>, String> {
        parse_ports(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn bare_ports_take_the_role_of_their_number() {
        let p = ports(&["25", "587", "465", "2525"]).unwrap();
        let roles: Vec<Role> = p.iter().map(|s| s.role).collect();
        assert_eq!(
            roles,
            vec![Role::Smtp, Role::Submission, Role::Tls, Role::Smtp]
        );
    }

    #[test]
    fn explicit_roles_win() {
        let p = ports(&[
            "10025/smtp",
            "10587/submission",
            "10465/TLS",
            "2465/submissions",
        ])
        .unwrap();
        let roles: Vec<Role> = p.iter().map(|s| s.role).collect();
        assert_eq!(
            roles,
            vec![Role::Smtp, Role::Submission, Role::Tls, Role::Tls]
        );
    }

    #[test]
    fn bad_ports_are_usage_errors() {
        assert!(ports(&["0"]).is_err());
        assert!(ports(&["70000"]).is_err());
        assert!(ports(&["25/http"]).is_err());
        assert!(ports(&["smtp"]).is_err());
        assert!(ports(&[""]).is_err());
        assert!(ports(&["25/smtp", "25/tls"]).is_err());
        assert_eq!(ports(&["25", "25", ""]).unwrap().len(), 1);
    }

    #[test]
    fn targets_are_domains_addresses_or_ip_literals() {
        assert_eq!(
            parse_target("User@Example.COM.").unwrap(),
            Target::Domain {
                input: "User@Example.COM.".into(),
                domain: "example.com".into()
            }
        );
        assert!(
            matches!(parse_target("192.0.2.1").unwrap(), Target::Server { host, .. } if host == "192.0.2.1")
        );
        assert!(
            matches!(parse_target("user@[::1]").unwrap(), Target::Server { host, .. } if host == "::1")
        );
        assert!(parse_target("").is_err());
        assert!(parse_target("user@").is_err());
        assert!(parse_target("a b.example").is_err());
        assert!(parse_target("a..example").is_err());
        assert!(parse_target(&format!("{}.example", "x".repeat(64))).is_err());
    }
}
