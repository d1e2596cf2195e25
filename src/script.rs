//! The shell's line grammar, one for the REPL and for scripts: a line is blank or a `#` comment,
//! a meta command (it starts with `/`, which no SMTP verb does), or SMTP text sent as typed.
//! `${NAME}` expands an environment variable first (`$${` is a literal `${`), so passwords stay
//! out of scripts. `/raw` understands `\r`, `\n`, `\t`, `\\` and `\xHH`, to send exactly the
//! bytes a broken client would. `/expect` asserts the last reply by code, enhanced code and
//! regex. Parsing only: nothing here does I/O.

use crate::secret::Secret;
use crate::smtp::reply::Reply;
use regex::{Regex, RegexBuilder};

/// One parsed line.
#[derive(Debug)]
pub enum Line {
    /// Blank, or a comment (first non-blank character `#`).
    Empty,
    /// SMTP text, sent as typed followed by CRLF.
    Smtp(String),
    Meta(Meta),
}

/// A meta command.
#[derive(Debug)]
pub enum Meta {
    /// `/connect HOST[:PORT] [--tls] [--sni NAME]`
    Connect {
        target: String,
        tls: bool,
        sni: Option<String>,
    },
    /// `/starttls`
    Starttls,
    /// `/auth MECH [USER [PASSWORD]]`: the password is the rest of the line.
    Auth {
        mechanism: String,
        user: Option<String>,
        password: Option<Secret>,
    },
    /// `/data`: the message follows, up to a lone `.`.
    Data,
    /// `/raw TEXT`: the bytes after escapes, sent with no line ending added.
    Raw(Vec<u8>),
    /// `/explain [CODE|REPLY]`
    Explain(Option<String>),
    /// `/expect CODE [ENHANCED] [REGEX]`
    Expect(Expectation),
    /// `/caps`
    Caps,
    /// `/tls`
    Tls,
    /// `/save FILE`
    Save(String),
    /// `/help [COMMAND]`
    Help(Option<String>),
    /// `/quit`
    Quit,
}

/// A meta command's name, its arguments and what it does (for `/help`, completion and hints).
pub struct MetaInfo {
    pub name: &'static str,
    pub args: &'static str,
    pub help: &'static str,
}

/// Every meta command, in the order `/help` lists them.
pub const META_COMMANDS: &[MetaInfo] = &[
    MetaInfo {
        name: "/connect",
        args: "HOST[:PORT] [--tls] [--sni NAME]",
        help: "connect (a domain without a port: its best MX; 465 means TLS)",
    },
    MetaInfo {
        name: "/starttls",
        args: "",
        help: "STARTTLS, the TLS handshake, the certificate, then EHLO again",
    },
    MetaInfo {
        name: "/auth",
        args: "MECH [USER [PASSWORD]]",
        help: "authenticate (PLAIN, LOGIN, CRAM-MD5, XOAUTH2); asks for what is missing, without echo",
    },
    MetaInfo {
        name: "/data",
        args: "",
        help: "DATA, then type the message; a lone . ends it (dot-stuffing and CRLF done for you)",
    },
    MetaInfo {
        name: "/raw",
        args: "TEXT",
        help: "send exact bytes, no line end added: \\r \\n \\t \\\\ \\xHH (e.g. /raw NOOP\\n for a bare LF)",
    },
    MetaInfo {
        name: "/explain",
        args: "[CODE|REPLY]",
        help: "the full explanation of the last reply, or of a code or reply line",
    },
    MetaInfo {
        name: "/expect",
        args: "[CODE] [ENHANCED] [REGEX]",
        help: "assert the last reply: 250, 2xx, 5.7.1, 5.x.x, a case-insensitive regex",
    },
    MetaInfo {
        name: "/caps",
        args: "",
        help: "the extensions the server advertised",
    },
    MetaInfo {
        name: "/tls",
        args: "",
        help: "the TLS session and certificate",
    },
    MetaInfo {
        name: "/save",
        args: "FILE",
        help: "write the transcript so far to FILE",
    },
    MetaInfo {
        name: "/help",
        args: "[COMMAND]",
        help: "this list",
    },
    MetaInfo {
        name: "/quit",
        args: "",
        help: "QUIT and leave (Ctrl-D does the same)",
    },
];

/// The SMTP verbs the shell completes and knows the sequence of.
pub const SMTP_VERBS: &[&str] = &[
    "EHLO",
    "HELO",
    "MAIL FROM:",
    "RCPT TO:",
    "DATA",
    "BDAT",
    "RSET",
    "NOOP",
    "VRFY",
    "EXPN",
    "HELP",
    "STARTTLS",
    "AUTH",
    "QUIT",
];

/// Expands `${NAME}` from `lookup` (the environment). `$${` stands for a literal `${`; a `$`
/// not followed by `{` is kept. An unset variable is an error naming it.
pub fn expand_vars(line: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix("${") {
            out.push_str("${");
            rest = tail;
        } else if let Some(tail) = after.strip_prefix('{') {
            let end = tail
                .find('}')
                .ok_or("`${` without a closing `}` (write `$${` for a literal `${`)")?;
            let name = &tail[..end];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!(
                    "`${{{name}}}` is not a variable name (letters, digits and _)"
                ));
            }
            let value = lookup(name)
                .ok_or_else(|| format!("the environment variable {name} is not set"))?;
            out.push_str(&value);
            rest = &tail[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The bytes of `/raw` text: `\r`, `\n`, `\t`, `\\`, `\xHH`; everything else as typed (UTF-8).
pub fn parse_escapes(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some('r') => out.push(b'\r'),
            Some('n') => out.push(b'\n'),
            Some('t') => out.push(b'\t'),
            Some('\\') => out.push(b'\\'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                let byte = (hex.len() == 2)
                    .then(|| u8::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .ok_or_else(|| {
                        format!("`\\x{hex}` is not a byte: write two hex digits, like \\x0a")
                    })?;
                out.push(byte);
            }
            Some(other) => {
                return Err(format!(
                    "unknown escape `\\{other}`: use \\r \\n \\t \\\\ or \\xHH"
                ));
            }
            None => return Err("a lone `\\` at the end: write `\\\\` for a backslash".into()),
        }
    }
    Ok(out)
}

/// True for a line that is blank or a comment: checked before `${}` expansion, so a comment
/// may mention variables that are not set.
pub fn is_comment_or_blank(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

/// True when the line starts with one of the shell's meta commands (`/raw`, `/expect`, …).
/// Inside a DATA typed by hand, such lines are still commands; other lines are message text.
pub fn is_meta_command(line: &str) -> bool {
    let first = line.split_whitespace().next().unwrap_or("");
    first.eq_ignore_ascii_case("/exit")
        || META_COMMANDS
            .iter()
            .any(|m| m.name.eq_ignore_ascii_case(first))
}

/// Parses one line (after expansion).
pub fn parse(line: &str) -> Result<Line, String> {
    if is_comment_or_blank(line) {
        return Ok(Line::Empty);
    }
    let trimmed = line.trim_start();
    if !trimmed.starts_with('/') {
        if let Some(c) = line.chars().find(|c| matches!(c, '\r' | '\n')) {
            return Err(format!(
                "the line contains {c:?}, which would end it early; use /raw to send exact bytes"
            ));
        }
        return Ok(Line::Smtp(line.to_string()));
    }
    let (name, rest) = split_word(trimmed);
    let words: Vec<&str> = rest.split_whitespace().collect();
    let no_args = |meta: Meta| {
        if words.is_empty() {
            Ok(Line::Meta(meta))
        } else {
            Err(format!("{name} takes no arguments"))
        }
    };
    match name.to_ascii_lowercase().as_str() {
        "/connect" => parse_connect(&words).map(Line::Meta),
        "/starttls" => no_args(Meta::Starttls),
        "/auth" => parse_auth(rest).map(Line::Meta),
        "/data" => no_args(Meta::Data),
        "/raw" => {
            let bytes = parse_escapes(rest)?;
            if bytes.is_empty() {
                return Err("/raw needs the text to send, e.g. /raw EHLO me.example\\n".into());
            }
            Ok(Line::Meta(Meta::Raw(bytes)))
        }
        "/explain" => {
            let arg = rest.trim();
            Ok(Line::Meta(Meta::Explain(
                (!arg.is_empty()).then(|| arg.to_string()),
            )))
        }
        "/expect" => Expectation::parse(rest).map(|e| Line::Meta(Meta::Expect(e))),
        "/caps" => no_args(Meta::Caps),
        "/tls" => no_args(Meta::Tls),
        "/save" => {
            let file = rest.trim();
            if file.is_empty() {
                return Err("/save needs a file name: /save FILE".into());
            }
            Ok(Line::Meta(Meta::Save(file.to_string())))
        }
        "/help" => Ok(Line::Meta(Meta::Help(words.first().map(|w| w.to_string())))),
        "/quit" | "/exit" => no_args(Meta::Quit),
        _ => Err(format!(
            "unknown command {name}: type /help for the list (SMTP verbs never start with /)"
        )),
    }
}

fn parse_connect(words: &[&str]) -> Result<Meta, String> {
    const USAGE: &str = "usage: /connect HOST[:PORT] [--tls] [--sni NAME]";
    let mut target = None;
    let mut tls = false;
    let mut sni = None;
    let mut it = words.iter();
    while let Some(&w) = it.next() {
        match w {
            "--tls" | "--tls-on-connect" => tls = true,
            "--sni" => {
                sni = Some(
                    it.next()
                        .ok_or(format!("--sni needs a name; {USAGE}"))?
                        .to_string(),
                )
            }
            w if w.starts_with('-') => return Err(format!("unknown option {w}; {USAGE}")),
            w if target.is_none() => target = Some(w.to_string()),
            w => return Err(format!("unexpected {w:?}; {USAGE}")),
        }
    }
    let target = target.ok_or(USAGE)?;
    Ok(Meta::Connect { target, tls, sni })
}

fn parse_auth(rest: &str) -> Result<Meta, String> {
    const USAGE: &str =
        "usage: /auth MECH [USER [PASSWORD]] (MECH: PLAIN, LOGIN, CRAM-MD5, XOAUTH2)";
    let rest = rest.trim_start();
    let (mechanism, rest) = split_word(rest);
    if mechanism.is_empty() {
        return Err(USAGE.into());
    }
    let (user, rest) = split_word(rest);
    // The password is the rest of the line, spaces and all; it is never echoed back.
    let password = rest.strip_suffix('\r').unwrap_or(rest);
    Ok(Meta::Auth {
        mechanism: mechanism.to_ascii_uppercase(),
        user: (!user.is_empty()).then(|| user.to_string()),
        password: (!password.is_empty()).then(|| Secret::new(password)),
    })
}

/// The first word and the rest after the single whitespace character that ends it.
fn split_word(s: &str) -> (&str, &str) {
    match s.find(char::is_whitespace) {
        Some(i) => {
            let ws = s[i..].chars().next().map_or(1, char::len_utf8);
            (&s[..i], &s[i + ws..])
        }
        None => (s, ""),
    }
}

/// `/expect`: every part given must hold for the last reply.
#[derive(Debug)]
pub struct Expectation {
    /// As written, for messages.
    pub text: String,
    code: Option<[Option<u8>; 3]>,
    enhanced: Option<[Option<u16>; 3]>,
    regex: Option<Regex>,
}

impl Expectation {
    /// Parses `[CODE] [ENHANCED] [REGEX]`: CODE is three digits where any may be `x` (`250`,
    /// `2xx`), ENHANCED is `class.subject.detail` where any may be `x` or `*` (`5.7.1`, `5.x.x`),
    /// and the rest is a regex matched case-insensitively against the reply's lines (as on the
    /// wire, `250-...`, joined by newlines; `^` and `$` match at each line).
    pub fn parse(spec: &str) -> Result<Expectation, String> {
        let text = spec.trim().to_string();
        if text.is_empty() {
            return Err("/expect needs what to expect: a code (250, 2xx), an enhanced code (5.7.1) or a regex".into());
        }
        let mut rest = text.as_str();
        let mut code = None;
        let mut enhanced = None;
        let (first, after) = split_word(rest);
        if let Some(c) = parse_code_pattern(first) {
            code = Some(c);
            rest = after.trim_start();
        }
        let (next, after) = split_word(rest);
        if let Some(e) = parse_enhanced_pattern(next) {
            enhanced = Some(e);
            rest = after.trim_start();
        }
        let regex = if rest.trim().is_empty() {
            None
        } else {
            Some(
                RegexBuilder::new(rest.trim())
                    .case_insensitive(true)
                    .multi_line(true)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| format!("/expect: {:?} is not a valid regex: {e}", rest.trim()))?,
            )
        };
        Ok(Expectation {
            text,
            code,
            enhanced,
            regex,
        })
    }

    /// Checks a reply; the error says what was expected and what came.
    pub fn check(&self, reply: &Reply) -> Result<(), String> {
        let got = || {
            let lines = reply.wire_lines();
            let shown = lines.first().cloned().unwrap_or_default();
            if lines.len() > 1 {
                format!("{shown} (+{} more lines)", lines.len() - 1)
            } else {
                shown
            }
        };
        if let Some(pattern) = &self.code {
            let digits = [reply.code / 100, reply.code / 10 % 10, reply.code % 10];
            if !pattern
                .iter()
                .zip(digits)
                .all(|(p, d)| p.is_none_or(|p| u16::from(p) == d))
            {
                return Err(format!(
                    "expected a {} reply, got {}",
                    code_text(pattern),
                    crate::sanitize::sanitize(&got())
                ));
            }
        }
        if let Some(pattern) = &self.enhanced {
            let ok = reply.enhanced.is_some_and(|e| {
                let parts = [u16::from(e.class), e.subject, e.detail];
                pattern
                    .iter()
                    .zip(parts)
                    .all(|(p, v)| p.is_none_or(|p| p == v))
            });
            if !ok {
                let what = if reply.enhanced.is_none() {
                    " (it has no enhanced code)"
                } else {
                    ""
                };
                return Err(format!(
                    "expected enhanced code {}, got {}{what}",
                    enhanced_text(pattern),
                    crate::sanitize::sanitize(&got())
                ));
            }
        }
        if let Some(re) = &self.regex {
            let text = reply.wire_lines().join("\n");
            if !re.is_match(&text) {
                return Err(format!(
                    "expected the reply to match /{}/, got {}",
                    re.as_str(),
                    crate::sanitize::sanitize(&got())
                ));
            }
        }
        Ok(())
    }
}

fn parse_code_pattern(w: &str) -> Option<[Option<u8>; 3]> {
    let b = w.as_bytes();
    if b.len() != 3 || !(b'2'..=b'5').contains(&b[0]) {
        return None;
    }
    let mut out = [None; 3];
    for (i, &c) in b.iter().enumerate() {
        out[i] = match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'x' | b'X' if i > 0 => None,
            _ => return None,
        };
    }
    Some(out)
}

fn parse_enhanced_pattern(w: &str) -> Option<[Option<u16>; 3]> {
    let parts: Vec<&str> = w.split('.').collect();
    if parts.len() != 3 || !matches!(parts[0], "2" | "4" | "5") {
        return None;
    }
    let mut out = [None; 3];
    for (i, p) in parts.iter().enumerate() {
        out[i] = match *p {
            "x" | "X" | "*" if i > 0 => None,
            p if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                Some(p.parse().ok()?)
            }
            _ => return None,
        };
    }
    Some(out)
}

fn code_text(p: &[Option<u8>; 3]) -> String {
    p.iter()
        .map(|d| d.map_or('x', |d| char::from(b'0' + d)))
        .collect()
}

fn enhanced_text(p: &[Option<u16>; 3]) -> String {
    p.iter()
        .map(|d| d.map_or("x".to_string(), |d| d.to_string()))
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "SMTP_PASSWORD" => Some("s3cret pass".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn variables_expand_and_unset_ones_are_named() {
        assert_eq!(
            expand_vars("/auth PLAIN u ${SMTP_PASSWORD}", env).unwrap(),
            "/auth PLAIN u s3cret pass"
        );
        assert_eq!(
            expand_vars("a${EMPTY}b $5 $${X}", env).unwrap(),
            "ab $5 ${X}"
        );
        let err = expand_vars("x ${NOPE}", env).unwrap_err();
        assert!(err.contains("NOPE"), "{err}");
        assert!(expand_vars("x ${", env).is_err());
        assert!(expand_vars("x ${a-b}", env).is_err());
    }

    #[test]
    fn raw_escapes_give_exact_bytes() {
        assert_eq!(parse_escapes(r"NOOP\n").unwrap(), b"NOOP\n");
        assert_eq!(
            parse_escapes(r"A\r\nB\t\\\x00\xff").unwrap(),
            b"A\r\nB\t\\\x00\xff"
        );
        assert_eq!(parse_escapes("café").unwrap(), "café".as_bytes());
        assert!(parse_escapes(r"\q").is_err());
        assert!(parse_escapes(r"\x4").is_err());
        assert!(parse_escapes(r"\xzz").is_err());
        assert!(parse_escapes("end\\").is_err());
    }

    #[test]
    fn lines_are_smtp_meta_or_empty() {
        assert!(matches!(parse("").unwrap(), Line::Empty));
        assert!(matches!(parse("   # comment").unwrap(), Line::Empty));
        assert!(
            matches!(parse("EHLO me.example").unwrap(), Line::Smtp(s) if s == "EHLO me.example")
        );
        assert!(
            matches!(parse(" mail from:<a#b@x>").unwrap(), Line::Smtp(s) if s == " mail from:<a#b@x>")
        );
        assert!(matches!(
            parse("/STARTTLS").unwrap(),
            Line::Meta(Meta::Starttls)
        ));
        assert!(
            matches!(parse("/raw NOOP\\r\\n").unwrap(), Line::Meta(Meta::Raw(b)) if b == b"NOOP\r\n")
        );
        assert!(matches!(
            parse("/explain").unwrap(),
            Line::Meta(Meta::Explain(None))
        ));
        assert!(
            matches!(parse("/explain 5.7.1").unwrap(), Line::Meta(Meta::Explain(Some(s))) if s == "5.7.1")
        );
        assert!(
            matches!(parse("/save /tmp/t.txt").unwrap(), Line::Meta(Meta::Save(s)) if s == "/tmp/t.txt")
        );
        assert!(parse("/bogus").unwrap_err().contains("/help"));
        assert!(parse("/starttls now").is_err());
        assert!(parse("/raw").is_err());
        assert!(parse("/save").is_err());
        assert!(parse("EHLO a\nRSET").is_err());
        assert!(is_meta_command("/expect 354") && is_meta_command(" /RAW x"));
        assert!(!is_meta_command("/usr/bin is a path") && !is_meta_command("Subject: x"));
    }

    #[test]
    fn connect_takes_a_target_and_options() {
        match parse("/connect mx.example.com:465 --tls --sni mail.example.com").unwrap() {
            Line::Meta(Meta::Connect { target, tls, sni }) => {
                assert_eq!(target, "mx.example.com:465");
                assert!(tls);
                assert_eq!(sni.as_deref(), Some("mail.example.com"));
            }
            other => panic!("{other:?}"),
        }
        assert!(parse("/connect").is_err());
        assert!(parse("/connect a b").is_err());
        assert!(parse("/connect a --bogus").is_err());
        assert!(parse("/connect a --sni").is_err());
    }

    #[test]
    fn auth_password_is_the_rest_of_the_line_and_never_shown() {
        match parse("/auth plain tester s3cret pass").unwrap() {
            Line::Meta(Meta::Auth {
                mechanism,
                user,
                password,
            }) => {
                assert_eq!(mechanism, "PLAIN");
                assert_eq!(user.as_deref(), Some("tester"));
                let p = password.unwrap();
                assert_eq!(p.expose(), "s3cret pass");
                assert_eq!(format!("{p:?} {p}"), "Secret(***) ***");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse("/auth LOGIN").unwrap(),
            Line::Meta(Meta::Auth {
                user: None,
                password: None,
                ..
            })
        ));
        assert!(parse("/auth").is_err());
    }

    fn reply(code: u16, lines: &[&str]) -> Reply {
        Reply::new(code, lines)
    }

    #[test]
    fn expectations_match_codes_enhanced_codes_and_text() {
        let ok = reply(250, &["2.1.5 Ok: queued as ABC123"]);
        let rejected = reply(
            550,
            &["5.1.1 <nobody@example.com>: Recipient address rejected"],
        );
        let ehlo = reply(250, &["mx.example", "PIPELINING", "STARTTLS"]);
        let check = |spec: &str, r: &Reply| Expectation::parse(spec).unwrap().check(r);
        assert!(check("250", &ok).is_ok());
        assert!(check("2xx", &ok).is_ok());
        assert!(check("25X", &ok).is_ok());
        assert!(check("2.1.5", &ok).is_ok());
        assert!(check("2.x.x", &ok).is_ok());
        assert!(check("250 2.1.5 queued as", &ok).is_ok());
        assert!(check("QUEUED AS [A-Z0-9]+$", &ok).is_ok());
        assert!(check("^250.STARTTLS$", &ehlo).is_ok());
        let err = check("250", &rejected).unwrap_err();
        assert!(
            err.contains("expected a 250 reply") && err.contains("550 5.1.1"),
            "{err}"
        );
        assert!(check("5xx 5.7.1", &rejected).unwrap_err().contains("5.7.1"));
        assert!(check("4xx", &rejected).is_err());
        assert!(
            check("2.1.5", &reply(250, &["Ok"]))
                .unwrap_err()
                .contains("no enhanced code")
        );
        assert!(check("Recipient address accepted", &rejected).is_err());
        assert!(Expectation::parse("").is_err());
        assert!(Expectation::parse("250 (unclosed").is_err());
    }

    mod properties {
        use super::super::*;
        use crate::smtp::reply::Reply;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn no_line_makes_the_grammar_panic(line in "\\PC{0,120}|[/\\\\$x{}<>: \u{3000}a-z0-9.]{0,60}") {
                let _ = parse(&line);
                let _ = is_meta_command(&line);
                let _ = expand_vars(&line, |_| Some("value".into()));
                let _ = parse_escapes(&line);
                if let Ok(e) = Expectation::parse(&line) {
                    let _ = e.check(&Reply::new(250, &["2.0.0 ok", "second"]));
                    let _ = e.check(&Reply::new(550, &[""]));
                }
            }

            #[test]
            fn text_without_backslashes_is_sent_as_is(text in "[^\\\\]{0,80}") {
                prop_assert_eq!(parse_escapes(&text).unwrap(), text.as_bytes());
            }

            #[test]
            fn every_byte_can_be_written_as_hex(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
                let text: String = bytes.iter().map(|b| format!("\\x{b:02x}")).collect();
                prop_assert_eq!(parse_escapes(&text).unwrap(), bytes);
            }

            #[test]
            fn lines_without_variables_expand_to_themselves(line in "[^$]{0,80}") {
                prop_assert_eq!(expand_vars(&line, |_| None).unwrap(), line);
            }
        }
    }
}
