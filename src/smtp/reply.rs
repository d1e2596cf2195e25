//! SMTP replies: the data type and the line-by-line parser.
//!
//! A reply (RFC 5321 §4.2) is one or more lines `CODE SEP TEXT` where every line but the last has
//! `-` as separator and the last a space. The parser here is strict where strictness protects the
//! user (a code that changes mid-reply, a non-numeric code) and lenient where real servers differ
//! harmlessly (bare LF line ends are accepted but remembered, `250` with no text is fine).

use std::fmt;

/// The longest reply line we accept, terminator excluded. RFC 5321 §4.5.3.1.5 sets 512 octets;
/// real servers exceed it (long rejections, EHLO AUTH lists), so we allow generous headroom while
/// still bounding memory.
pub const MAX_LINE_LEN: usize = 8 * 1024;
/// The most lines one reply may have. An EHLO reply has a few dozen at most in practice.
pub const MAX_LINES: usize = 1_000;
/// The most bytes one reply may have in total.
pub const MAX_REPLY_BYTES: usize = 256 * 1024;

/// How a line received from the server was terminated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LineEnd {
    /// `\r\n`, as RFC 5321 §2.3.8 requires.
    Crlf,
    /// A bare `\n`: tolerated, but shown with `--show-crlf`.
    Lf,
}

/// An enhanced status code `class.subject.detail` (RFC 3463 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnhancedCode {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl EnhancedCode {
    /// Parses `c.s.d` at the start of `text` (RFC 3463 §2: class 2, 4 or 5; subject and detail
    /// 1–3 digits). Returns the code and the rest of the text after the following space.
    pub fn parse_prefix(text: &str) -> Option<(EnhancedCode, &str)> {
        let end = text.find([' ', '\t']).unwrap_or(text.len());
        let code = EnhancedCode::parse(&text[..end])?;
        Some((code, text[end..].trim_start_matches([' ', '\t'])))
    }

    /// Parses exactly `c.s.d`.
    pub fn parse(s: &str) -> Option<EnhancedCode> {
        let mut parts = s.split('.');
        let class = parts.next()?;
        let subject = parts.next()?;
        let detail = parts.next()?;
        if parts.next().is_some() {
            return None;
        }
        let digits = |p: &str, max: usize| {
            !p.is_empty() && p.len() <= max && p.bytes().all(|b| b.is_ascii_digit())
        };
        if !(digits(class, 1) && digits(subject, 3) && digits(detail, 3)) {
            return None;
        }
        let class: u8 = class.parse().ok()?;
        if !matches!(class, 2 | 4 | 5) {
            return None;
        }
        Some(EnhancedCode {
            class,
            subject: subject.parse().ok()?,
            detail: detail.parse().ok()?,
        })
    }
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

impl serde::Serialize for EnhancedCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One complete server reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit reply code (RFC 5321 §4.2.1).
    pub code: u16,
    /// The enhanced status code of the first line, when the server sent one (RFC 2034).
    pub enhanced: Option<EnhancedCode>,
    /// The text of each line after the code and separator, exactly as received (lossily decoded
    /// as UTF-8; sanitise before printing).
    pub lines: Vec<String>,
    /// How each line was terminated, parallel to `lines`.
    pub line_ends: Vec<LineEnd>,
}

impl Reply {
    /// A reply built in code, for tests.
    #[cfg(test)]
    pub fn new(code: u16, lines: &[&str]) -> Reply {
        let lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        let enhanced = lines
            .first()
            .and_then(|l| EnhancedCode::parse_prefix(l))
            .map(|(e, _)| e);
        Reply {
            code,
            enhanced,
            line_ends: vec![LineEnd::Crlf; lines.len()],
            lines,
        }
    }

    /// 2xx: positive completion.
    pub fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }
    /// 4xx: transient negative completion.
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }
    /// 5xx: permanent negative completion.
    pub fn is_permanent(&self) -> bool {
        (500..600).contains(&self.code)
    }
    /// 4xx or 5xx.
    pub fn is_error(&self) -> bool {
        self.is_transient() || self.is_permanent()
    }

    /// The whole text, lines joined with a space, enhanced code of each line removed.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            let t = match EnhancedCode::parse_prefix(line) {
                Some((_, rest)) if self.enhanced.is_some() => rest,
                _ => line.as_str(),
            };
            if !out.is_empty() && !t.is_empty() {
                out.push(' ');
            }
            out.push_str(t);
        }
        out
    }

    /// The reply as it appeared on the wire, one string per line (`250-foo`, `250 bar`).
    pub fn wire_lines(&self) -> Vec<String> {
        let last = self.lines.len().saturating_sub(1);
        self.lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let sep = if i == last { ' ' } else { '-' };
                if l.is_empty() && i == last {
                    format!("{}", self.code)
                } else {
                    format!("{}{}{}", self.code, sep, l)
                }
            })
            .collect()
    }

    /// The queue id in a final `250` to DATA, when the server names one. Postfix says
    /// `250 2.0.0 Ok: queued as 4Xyz`, Exim `250 OK id=1abc-...`, Sendmail
    /// `250 2.0.0 x8ABC Message accepted for delivery`, Exchange `... <id> Queued mail for delivery`.
    pub fn queue_id(&self) -> Option<String> {
        let text = self.text();
        let clean = |s: &str| s.trim_matches(['<', '>', '[', ']', ',', '.']).to_string();
        let words: Vec<&str> = text.split_whitespace().collect();
        for (i, w) in words.iter().enumerate() {
            let lw = w.to_ascii_lowercase();
            if lw == "as"
                && i > 0
                && words[i - 1].eq_ignore_ascii_case("queued")
                && let Some(id) = words.get(i + 1)
            {
                return Some(clean(id));
            }
            if lw.strip_prefix("id=").is_some_and(|id| !id.is_empty()) {
                return Some(clean(&w[3..]));
            }
        }
        // Sendmail: `250 2.0.0 <qid> Message accepted for delivery`.
        if text.contains("Message accepted for delivery")
            && let Some(first) = words.first()
        {
            return Some(clean(first));
        }
        // Exchange: `250 2.6.0 <msgid> [InternalId=...] Queued mail for delivery`.
        if let Some(id) = text.split("InternalId=").nth(1) {
            return Some(clean(id.split([',', ']']).next().unwrap_or("")));
        }
        None
    }
}

/// Why a reply could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyError {
    /// A line did not start with three digits followed by a space, a hyphen or the line end.
    Malformed { line: String },
    /// A continuation line carried a different code than the first line (RFC 5321 §4.2.1: all
    /// lines of a multi-line reply carry the same code).
    CodeChanged { first: u16, now: u16 },
    /// A single line exceeded [`MAX_LINE_LEN`].
    LineTooLong,
    /// The reply exceeded [`MAX_LINES`] or [`MAX_REPLY_BYTES`].
    TooLong,
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplyError::Malformed { line } => {
                write!(
                    f,
                    "malformed reply line {:?}: expected a three-digit code",
                    line
                )
            }
            ReplyError::CodeChanged { first, now } => {
                write!(
                    f,
                    "reply code changed from {first} to {now} in the middle of a multi-line reply"
                )
            }
            ReplyError::LineTooLong => {
                write!(f, "reply line longer than {MAX_LINE_LEN} bytes")
            }
            ReplyError::TooLong => write!(
                f,
                "reply longer than {MAX_LINES} lines or {} KiB",
                MAX_REPLY_BYTES / 1024
            ),
        }
    }
}

impl std::error::Error for ReplyError {}

/// One parsed reply line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyLine {
    pub code: u16,
    /// True when this is the last line of the reply (separator is a space or nothing).
    pub last: bool,
    pub text: String,
}

/// Parses one line (terminator already removed).
pub fn parse_line(raw: &[u8]) -> Result<ReplyLine, ReplyError> {
    let malformed = || ReplyError::Malformed {
        line: String::from_utf8_lossy(raw).into_owned(),
    };
    if raw.len() < 3 || !raw[..3].iter().all(u8::is_ascii_digit) {
        return Err(malformed());
    }
    // RFC 5321 §4.2: the first digit is 2-5, the second 0-5.
    if !(b'2'..=b'5').contains(&raw[0]) || !(b'0'..=b'5').contains(&raw[1]) {
        return Err(malformed());
    }
    let code = (raw[0] - b'0') as u16 * 100 + (raw[1] - b'0') as u16 * 10 + (raw[2] - b'0') as u16;
    let (last, text) = match raw.get(3) {
        None => (true, &raw[3..]),
        Some(b' ') => (true, &raw[4..]),
        Some(b'-') => (false, &raw[4..]),
        Some(_) => return Err(malformed()),
    };
    Ok(ReplyLine {
        code,
        last,
        text: decode_text(text),
    })
}

/// Decodes reply text: valid UTF-8 is kept as is (control characters included, so JSON shows
/// exactly what was sent); each invalid byte becomes the text `\xHH`, so nothing is hidden
/// behind a replacement character.
pub fn decode_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Assembles lines into a reply, enforcing the limits. Feed it lines until it returns a reply.
#[derive(Debug, Default)]
pub struct ReplyAssembler {
    code: Option<u16>,
    lines: Vec<String>,
    ends: Vec<LineEnd>,
    bytes: usize,
}

impl ReplyAssembler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one line. Returns `Ok(Some(reply))` when the line completed a reply.
    pub fn push(&mut self, raw: &[u8], end: LineEnd) -> Result<Option<Reply>, ReplyError> {
        if raw.len() > MAX_LINE_LEN {
            return Err(ReplyError::LineTooLong);
        }
        let line = parse_line(raw)?;
        match self.code {
            Some(first) if first != line.code => {
                return Err(ReplyError::CodeChanged {
                    first,
                    now: line.code,
                });
            }
            _ => self.code = Some(line.code),
        }
        self.bytes += raw.len() + 2;
        if self.lines.len() + 1 > MAX_LINES || self.bytes > MAX_REPLY_BYTES {
            return Err(ReplyError::TooLong);
        }
        self.lines.push(line.text);
        self.ends.push(end);
        if !line.last {
            return Ok(None);
        }
        let lines = std::mem::take(&mut self.lines);
        let line_ends = std::mem::take(&mut self.ends);
        let code = self.code.take().unwrap_or(line.code);
        self.bytes = 0;
        let enhanced = lines
            .first()
            .and_then(|l| EnhancedCode::parse_prefix(l))
            .map(|(e, _)| e)
            // RFC 3463 §2: the class must match the reply's first digit; a mismatch (Exchange's
            // `550 4.4.7`) is still shown, but a class-2 code on a 5xx is more likely text.
            .filter(|e| e.class != 2 || code < 300);
        Ok(Some(Reply {
            code,
            enhanced,
            lines,
            line_ends,
        }))
    }
}

/// Parses a complete reply from text (lines separated by CRLF or LF). For the tests and the
/// fuzz targets (fuzz/), which include this file.
#[allow(dead_code)]
pub fn parse_reply(text: &str) -> Result<Reply, ReplyError> {
    let mut asm = ReplyAssembler::new();
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix("\r\n") {
            Some(b) => (b, LineEnd::Crlf),
            None => (line.strip_suffix('\n').unwrap_or(line), LineEnd::Lf),
        };
        if let Some(reply) = asm.push(body.as_bytes(), end)? {
            return Ok(reply);
        }
    }
    Err(ReplyError::Malformed {
        line: text.lines().last().unwrap_or("").to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line_reply_with_enhanced_code() {
        let r = parse_reply("550 5.1.1 <nobody@example.com>: User unknown\r\n").unwrap();
        assert_eq!(r.code, 550);
        assert_eq!(
            r.enhanced,
            Some(EnhancedCode {
                class: 5,
                subject: 1,
                detail: 1
            })
        );
        assert_eq!(r.text(), "<nobody@example.com>: User unknown");
        assert!(r.is_permanent());
    }

    #[test]
    fn multi_line_reply_keeps_every_line() {
        let r = parse_reply("250-mx.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n").unwrap();
        assert_eq!(r.lines, vec!["mx.example", "PIPELINING", "STARTTLS"]);
        assert_eq!(
            r.wire_lines(),
            vec!["250-mx.example", "250-PIPELINING", "250 STARTTLS"]
        );
    }

    #[test]
    fn code_changing_mid_reply_is_an_error() {
        let err = parse_reply("250-a\r\n251 b\r\n").unwrap_err();
        assert_eq!(
            err,
            ReplyError::CodeChanged {
                first: 250,
                now: 251
            }
        );
    }

    #[test]
    fn malformed_codes_are_errors() {
        for bad in [
            "2x0 hi\r\n",
            "99 ok\r\n",
            "\r\n",
            "250x\r\n",
            "650 no\r\n",
            "hello\r\n",
        ] {
            assert!(
                matches!(parse_reply(bad), Err(ReplyError::Malformed { .. })),
                "{bad:?} should be malformed"
            );
        }
    }

    #[test]
    fn bare_code_without_text_is_accepted() {
        let r = parse_reply("250\r\n").unwrap();
        assert_eq!(r.code, 250);
        assert_eq!(r.lines, vec![""]);
        assert_eq!(r.wire_lines(), vec!["250"]);
    }

    #[test]
    fn bare_lf_is_accepted_and_remembered() {
        let r = parse_reply("220 hi\n").unwrap();
        assert_eq!(r.line_ends, vec![LineEnd::Lf]);
    }

    #[test]
    fn oversized_line_is_refused() {
        let long = format!("250 {}", "x".repeat(MAX_LINE_LEN));
        let mut a = ReplyAssembler::new();
        assert_eq!(
            a.push(long.as_bytes(), LineEnd::Crlf),
            Err(ReplyError::LineTooLong)
        );
    }

    #[test]
    fn too_many_lines_are_refused() {
        let mut a = ReplyAssembler::new();
        let mut result = Ok(None);
        for _ in 0..=MAX_LINES {
            result = a.push(b"250-x", LineEnd::Crlf);
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(ReplyError::TooLong));
    }

    #[test]
    fn enhanced_code_parsing_is_strict() {
        assert_eq!(EnhancedCode::parse("5.7.26").unwrap().detail, 26);
        assert_eq!(EnhancedCode::parse("4.2.0").unwrap().class, 4);
        assert!(EnhancedCode::parse("3.1.1").is_none());
        assert!(EnhancedCode::parse("5.1").is_none());
        assert!(EnhancedCode::parse("5.1.1.1").is_none());
        assert!(EnhancedCode::parse("5.1234.1").is_none());
        assert!(EnhancedCode::parse("5.a.1").is_none());
        let r = parse_reply("250 Ok\r\n").unwrap();
        assert_eq!(r.enhanced, None);
    }

    #[test]
    fn queue_ids_of_common_mtas() {
        let postfix = parse_reply("250 2.0.0 Ok: queued as 4Fh2Xk1zZz\r\n").unwrap();
        assert_eq!(postfix.queue_id().as_deref(), Some("4Fh2Xk1zZz"));
        let exim = parse_reply("250 OK id=1rXyZa-000123-AB\r\n").unwrap();
        assert_eq!(exim.queue_id().as_deref(), Some("1rXyZa-000123-AB"));
        let sendmail =
            parse_reply("250 2.0.0 x8ABCD12345 Message accepted for delivery\r\n").unwrap();
        assert_eq!(sendmail.queue_id().as_deref(), Some("x8ABCD12345"));
        let none = parse_reply("250 2.0.0 Ok\r\n").unwrap();
        assert_eq!(none.queue_id(), None);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// No input line, however hostile, makes the parser panic; a bad line is an error.
        #[test]
        fn assembler_never_panics(lines in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..50)) {
            let mut asm = ReplyAssembler::new();
            for line in &lines {
                match asm.push(line, LineEnd::Crlf) {
                    Ok(Some(reply)) => {
                        prop_assert!((200..=559).contains(&reply.code));
                        prop_assert_eq!(reply.lines.len(), reply.line_ends.len());
                        asm = ReplyAssembler::new();
                    }
                    Ok(None) => {}
                    Err(_) => asm = ReplyAssembler::new(),
                }
            }
        }

        /// A well-formed reply parses back to its code and lines.
        #[test]
        fn well_formed_replies_round_trip(
            code in 200u16..=559,
            lines in proptest::collection::vec("[ -~]{0,80}", 1..20),
        ) {
            prop_assume!(code % 100 / 10 <= 5);
            let last = lines.len() - 1;
            let wire: String = lines
                .iter()
                .enumerate()
                .map(|(i, l)| format!("{code}{}{l}\r\n", if i == last { ' ' } else { '-' }))
                .collect();
            let reply = parse_reply(&wire).unwrap();
            prop_assert_eq!(reply.code, code);
            prop_assert_eq!(&reply.lines, &lines);
        }

        /// Any change of code inside a multi-line reply is refused.
        #[test]
        fn changed_codes_are_always_refused(a in 200u16..=559, b in 200u16..=559) {
            prop_assume!(a != b && a % 100 / 10 <= 5 && b % 100 / 10 <= 5);
            let wire = format!("{a}-first\r\n{b} second\r\n");
            prop_assert_eq!(parse_reply(&wire), Err(ReplyError::CodeChanged { first: a, now: b }));
        }
    }
}
