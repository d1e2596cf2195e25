//! Certificate details for the report, decoded with x509-parser: subject, SANs, issuer,
//! validity, days left, and which name matched.

use serde::Serialize;
use std::net::IpAddr;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::*;

/// One certificate of the chain the server presented.
#[derive(Debug, Clone, Serialize)]
pub struct CertInfo {
    pub subject: String,
    pub common_name: Option<String>,
    pub sans: Vec<String>,
    pub issuer: String,
    /// RFC 3339.
    pub not_before: String,
    /// RFC 3339.
    pub not_after: String,
    /// Whole days until not_after; negative once expired.
    pub days_left: i64,
    pub self_signed: bool,
}

impl CertInfo {
    /// Decodes a DER certificate. A certificate x509-parser cannot read yields a placeholder
    /// rather than an error: the handshake verdict is what matters; these are details.
    pub fn from_der(der: &[u8]) -> CertInfo {
        match parse_x509_certificate(der) {
            Ok((_, cert)) => Self::from_cert(&cert),
            Err(e) => CertInfo {
                subject: format!("(unparseable certificate: {e})"),
                common_name: None,
                sans: vec![],
                issuer: String::new(),
                not_before: String::new(),
                not_after: String::new(),
                days_left: 0,
                self_signed: false,
            },
        }
    }

    fn from_cert(cert: &X509Certificate<'_>) -> CertInfo {
        let common_name = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_string);
        let mut sans = Vec::new();
        if let Ok(Some(ext)) = cert.subject_alternative_name() {
            for name in &ext.value.general_names {
                match name {
                    GeneralName::DNSName(d) => sans.push(d.to_string()),
                    GeneralName::IPAddress(bytes) => {
                        if let Some(ip) = ip_from_bytes(bytes) {
                            sans.push(ip.to_string());
                        }
                    }
                    _ => {}
                }
            }
        }
        let validity = cert.validity();
        let now = chrono::Utc::now().timestamp();
        let not_after = validity.not_after.timestamp();
        CertInfo {
            subject: cert.subject().to_string(),
            common_name,
            sans,
            issuer: cert.issuer().to_string(),
            not_before: rfc3339(validity.not_before.timestamp()),
            not_after: rfc3339(not_after),
            days_left: (not_after - now).div_euclid(86_400),
            self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
        }
    }

    /// The SAN (or, without SANs, the CN) that matches `host` (RFC 6125 §6.4: a wildcard only
    /// as the whole left-most label).
    pub fn matching_name(&self, host: &str) -> Option<String> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let names: Vec<&String> = if self.sans.is_empty() {
            self.common_name.iter().collect()
        } else {
            self.sans.iter().collect()
        };
        names.into_iter().find(|n| name_matches(n, &host)).cloned()
    }

    /// A short label for the transcript: `CN=mx.example.com`, or the first SAN.
    pub fn label(&self) -> String {
        match (&self.common_name, self.sans.first()) {
            (Some(cn), _) => format!("CN={cn}"),
            (None, Some(san)) => format!("SAN={san}"),
            (None, None) => self.subject.clone(),
        }
    }
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(bytes).ok()?)),
        _ => None,
    }
}

fn name_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    if let Some(suffix) = pattern.strip_prefix("*.") {
        match host.split_once('.') {
            Some((first, rest)) => !first.is_empty() && rest == suffix,
            None => false,
        }
    } else {
        pattern == host
    }
}

fn rfc3339(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// "61 days left", "expires today", "expired 3 days ago".
pub fn days_phrase(days: i64) -> String {
    match days {
        d if d < -1 => format!("expired {} days ago", -d),
        -1 => "expired yesterday".into(),
        0 => "expires today".into(),
        1 => "1 day left".into(),
        d => format!("{d} days left"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_one_label_only() {
        assert!(name_matches("*.example.com", "mx.example.com"));
        assert!(!name_matches("*.example.com", "a.b.example.com"));
        assert!(!name_matches("*.example.com", "example.com"));
        assert!(name_matches("MX.Example.com", "mx.example.com"));
    }

    #[test]
    fn days_are_said_in_words() {
        assert_eq!(days_phrase(61), "61 days left");
        assert_eq!(days_phrase(-3), "expired 3 days ago");
        assert_eq!(days_phrase(0), "expires today");
    }
}
