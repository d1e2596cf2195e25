//! Parsing what users type as a server: `HOST`, `HOST:PORT`, `[IPv6]:PORT`, a bare IPv6 address,
//! and mail addresses (`user@example.com` → `example.com`).

/// Splits `HOST[:PORT]`. A bare IPv6 address (more than one colon, no brackets) has no port.
pub fn split_host_port(s: &str) -> Result<(String, Option<u16>), String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("an empty server name".into());
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("{s:?}: missing ']' after the IPv6 address"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(parse_port(p, s)?),
            None if after.is_empty() => None,
            None => return Err(format!("{s:?}: unexpected text after ']'")),
        };
        return Ok((host.to_string(), port));
    }
    if s.matches(':').count() > 1 {
        return Ok((s.to_string(), None));
    }
    match s.rsplit_once(':') {
        Some((host, port)) => Ok((host.to_string(), Some(parse_port(port, s)?))),
        None => Ok((s.to_string(), None)),
    }
}

fn parse_port(p: &str, whole: &str) -> Result<u16, String> {
    match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("{whole:?}: {p:?} is not a port number (1-65535)")),
        Ok(n) => Ok(n),
    }
}

/// The domain of an address (`user@example.com` → `example.com`), or the input when it has no `@`.
pub fn domain_of(target: &str) -> &str {
    let t = target.trim().trim_start_matches('<').trim_end_matches('>');
    match t.rsplit_once('@') {
        Some((_, d)) => d,
        None => t,
    }
}

/// Strips angle brackets users sometimes type around addresses.
pub fn clean_address(addr: &str) -> String {
    addr.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_port_forms() {
        assert_eq!(
            split_host_port("mx.example.com").unwrap(),
            ("mx.example.com".into(), None)
        );
        assert_eq!(
            split_host_port("127.0.0.1:2525").unwrap(),
            ("127.0.0.1".into(), Some(2525))
        );
        assert_eq!(
            split_host_port("[::1]:25").unwrap(),
            ("::1".into(), Some(25))
        );
        assert_eq!(split_host_port("::1").unwrap(), ("::1".into(), None));
        assert!(split_host_port("host:0").is_err());
        assert!(split_host_port("host:http").is_err());
        assert!(split_host_port("").is_err());
    }

    #[test]
    fn domains_of_addresses() {
        assert_eq!(domain_of("user@example.com"), "example.com");
        assert_eq!(domain_of("<a@b.example>"), "b.example");
        assert_eq!(domain_of("example.com"), "example.com");
    }
}
