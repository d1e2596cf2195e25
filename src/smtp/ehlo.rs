//! The EHLO reply: extension keywords and their parameters (RFC 5321 §4.1.1.1).

use super::reply::Reply;
use serde::Serialize;
use std::collections::BTreeMap;

/// What the server said it supports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Capabilities {
    /// The domain on the first line of the EHLO reply.
    pub server_name: String,
    /// Keyword (upper case) → parameters, in the order advertised.
    pub keywords: BTreeMap<String, Vec<String>>,
    /// The answer was to HELO (no extensions).
    pub helo: bool,
}

impl Capabilities {
    /// Parses a 250 reply to EHLO. Lines that are not `keyword *(SP param)` are ignored, as RFC
    /// 5321 §4.1.1.1 allows servers to send text we do not understand.
    pub fn from_ehlo(reply: &Reply) -> Capabilities {
        let mut caps = Capabilities::default();
        let mut lines = reply.lines.iter();
        if let Some(first) = lines.next() {
            caps.server_name = first.split_whitespace().next().unwrap_or("").to_string();
        }
        for line in lines {
            let mut words = line.split_whitespace();
            let Some(keyword) = words.next() else {
                continue;
            };
            if !keyword
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'=')
            {
                continue;
            }
            // Old servers advertise `AUTH=LOGIN PLAIN` as well as `AUTH LOGIN PLAIN`.
            let (keyword, first_param) = match keyword.split_once('=') {
                Some((k, p)) => (k, Some(p)),
                None => (keyword, None),
            };
            let params: Vec<String> = first_param
                .into_iter()
                .filter(|p| !p.is_empty())
                .chain(words)
                .map(str::to_string)
                .collect();
            let entry = caps
                .keywords
                .entry(keyword.to_ascii_uppercase())
                .or_default();
            for p in params {
                if !entry.iter().any(|e| e.eq_ignore_ascii_case(&p)) {
                    entry.push(p);
                }
            }
        }
        caps
    }

    pub fn helo(reply: &Reply) -> Capabilities {
        Capabilities {
            server_name: reply
                .lines
                .first()
                .and_then(|l| l.split_whitespace().next())
                .unwrap_or("")
                .into(),
            keywords: BTreeMap::new(),
            helo: true,
        }
    }

    pub fn has(&self, keyword: &str) -> bool {
        self.keywords.contains_key(&keyword.to_ascii_uppercase())
    }

    /// The SIZE limit (RFC 1870), when given; `SIZE 0` and a bare `SIZE` mean no fixed limit.
    pub fn size_limit(&self) -> Option<u64> {
        self.keywords
            .get("SIZE")?
            .first()?
            .parse()
            .ok()
            .filter(|&n| n > 0)
    }

    /// AUTH mechanisms, upper case (RFC 4954 §3).
    pub fn auth_mechanisms(&self) -> Vec<String> {
        self.keywords
            .get("AUTH")
            .map(|m| m.iter().map(|s| s.to_ascii_uppercase()).collect())
            .unwrap_or_default()
    }

    pub fn starttls(&self) -> bool {
        self.has("STARTTLS")
    }
    pub fn pipelining(&self) -> bool {
        self.has("PIPELINING")
    }
    pub fn chunking(&self) -> bool {
        self.has("CHUNKING")
    }
    pub fn eight_bit_mime(&self) -> bool {
        self.has("8BITMIME")
    }
    pub fn smtputf8(&self) -> bool {
        self.has("SMTPUTF8")
    }

    /// The advertised keywords with their parameters, one string each (`SIZE 10240000`).
    pub fn list(&self) -> Vec<String> {
        self.keywords
            .iter()
            .map(|(k, v)| {
                if v.is_empty() {
                    k.clone()
                } else {
                    format!("{k} {}", v.join(" "))
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::reply::parse_reply;

    fn caps(text: &str) -> Capabilities {
        Capabilities::from_ehlo(&parse_reply(text).unwrap())
    }

    #[test]
    fn parses_common_keywords() {
        let c = caps(
            "250-mx.example.com Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n\
             250-AUTH PLAIN LOGIN CRAM-MD5\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n\
             250-DSN\r\n250 ENHANCEDSTATUSCODES\r\n",
        );
        assert_eq!(c.server_name, "mx.example.com");
        assert!(c.pipelining() && c.starttls() && c.chunking() && c.eight_bit_mime());
        assert!(c.smtputf8() && c.has("DSN") && c.has("ENHANCEDSTATUSCODES"));
        assert_eq!(c.size_limit(), Some(10_240_000));
        assert_eq!(c.auth_mechanisms(), vec!["PLAIN", "LOGIN", "CRAM-MD5"]);
    }

    #[test]
    fn old_auth_equals_form_and_lower_case() {
        let c = caps("250-mx\r\n250-AUTH=LOGIN PLAIN\r\n250-auth login\r\n250 size\r\n");
        assert_eq!(c.auth_mechanisms(), vec!["LOGIN", "PLAIN"]);
        assert!(c.has("SIZE"));
        assert_eq!(c.size_limit(), None);
    }

    #[test]
    fn single_line_ehlo_has_no_extensions() {
        let c = caps("250 mx.example.com\r\n");
        assert!(c.keywords.is_empty());
        assert!(!c.starttls());
    }

    #[test]
    fn garbage_lines_are_ignored() {
        let c = caps("250-mx\r\n250-\u{1b}[31m evil\r\n250 STARTTLS\r\n");
        assert_eq!(c.list(), vec!["STARTTLS"]);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::smtp::reply::{LineEnd, Reply};
    use proptest::prelude::*;

    proptest! {
        /// Arbitrary EHLO text never panics the parser, and every keyword comes out upper case.
        #[test]
        fn ehlo_parser_never_panics(lines in proptest::collection::vec(".{0,120}", 1..40)) {
            let reply = Reply { code: 250, enhanced: None, line_ends: vec![LineEnd::Crlf; lines.len()], lines };
            let caps = Capabilities::from_ehlo(&reply);
            for k in caps.keywords.keys() {
                prop_assert_eq!(k, &k.to_ascii_uppercase());
            }
            let _ = (caps.size_limit(), caps.auth_mechanisms(), caps.list());
        }

        /// Advertised keywords and parameters are found again.
        #[test]
        fn advertised_keywords_are_found(
            kws in proptest::collection::btree_set("[A-Z][A-Z0-9-]{0,15}", 1..20),
            size in 1u64..1_000_000_000,
        ) {
            let mut lines = vec!["mx.example".to_string(), format!("SIZE {size}")];
            lines.extend(kws.iter().filter(|k| *k != "SIZE").cloned());
            let reply = Reply { code: 250, enhanced: None, line_ends: vec![LineEnd::Crlf; lines.len()], lines };
            let caps = Capabilities::from_ehlo(&reply);
            prop_assert_eq!(caps.size_limit(), Some(size));
            for k in &kws {
                prop_assert!(caps.has(k));
            }
        }
    }
}
