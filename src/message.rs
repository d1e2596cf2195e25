//! The message `send` transmits: a valid RFC 5322 message built with mail-builder (Date,
//! Message-ID, From, To, Subject, MIME-Version, a body that says what sent it, attachments as
//! MIME multipart with base64), or a raw message read from a file.

use mail_builder::MessageBuilder;
use mail_builder::headers::raw::Raw;
use std::path::PathBuf;

/// What the user asked the message to be.
#[derive(Debug, Clone, Default)]
pub struct MessageSpec {
    pub from: String,
    pub to: Vec<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    /// `(name, value)` pairs from `--header`.
    pub headers: Vec<(String, String)>,
    pub attachments: Vec<PathBuf>,
    /// This host's name, for the default body and Message-ID.
    pub client_name: String,
}

/// Parses `Name: value`. RFC 5322 §2.2: the name is printable ASCII without colon or space.
pub fn parse_header(h: &str) -> Result<(String, String), String> {
    let (name, value) = h
        .split_once(':')
        .ok_or_else(|| format!("--header {h:?}: expected \"Name: value\""))?;
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(|b| (33..=126).contains(&b) && b != b':') {
        return Err(format!(
            "--header {h:?}: {name:?} is not a valid header name"
        ));
    }
    if value.contains(['\r', '\n']) {
        return Err(format!(
            "--header {h:?}: a header value cannot contain a line break"
        ));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

/// The spelling mail-builder recognises for the headers it would otherwise add itself.
fn canonical(name: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "date" => "Date".into(),
        "message-id" => "Message-ID".into(),
        "mime-version" => "MIME-Version".into(),
        "from" => "From".into(),
        "to" => "To".into(),
        "subject" => "Subject".into(),
        _ => name.to_string(),
    }
}

/// Builds the message, CRLF line endings throughout.
pub fn build(spec: &MessageSpec) -> Result<Vec<u8>, String> {
    let now = chrono::Utc::now();
    let overridden = |n: &str| spec.headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(n));
    let mut b = MessageBuilder::new();
    if !overridden("From") {
        b = b.from(spec.from.as_str());
    }
    if !overridden("To") {
        let to: Vec<&str> = spec.to.iter().map(String::as_str).collect();
        b = b.to(to);
    }
    if !overridden("Subject") {
        let subject = spec.subject.clone().unwrap_or_else(|| {
            format!(
                "smtp-doctor test {}",
                now.format("%a, %d %b %Y %H:%M:%S %z")
            )
        });
        b = b.subject(subject);
    }
    if !overridden("Message-ID") {
        let domain = crate::target::domain_of(&spec.from);
        let domain = if domain.is_empty() || !domain.contains('.') {
            spec.client_name.as_str()
        } else {
            domain
        };
        let id = format!(
            "{}.{}@{}",
            now.format("%Y%m%d%H%M%S%.6f"),
            std::process::id(),
            domain
        );
        b = b.message_id(id);
    }
    for (name, value) in &spec.headers {
        b = b.header(canonical(name), Raw::new(value.clone()));
    }
    if !overridden("X-Mailer") {
        b = b.header(
            "X-Mailer",
            Raw::new(format!("smtp-doctor {}", env!("CARGO_PKG_VERSION"))),
        );
    }
    let body = spec.body.clone().unwrap_or_else(|| {
        format!(
            "This is a test message sent by smtp-doctor {} from {} at {}.\r\n\
             If it reached you, the SMTP transaction worked end to end.\r\n",
            env!("CARGO_PKG_VERSION"),
            spec.client_name,
            now.format("%Y-%m-%d %H:%M:%S UTC"),
        )
    });
    b = b.text_body(body);
    for path in &spec.attachments {
        let data = std::fs::read(path).map_err(|e| format!("--attach {}: {e}", path.display()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "attachment".into());
        let mime = mime_guess::from_path(path)
            .first_or_octet_stream()
            .to_string();
        b = b.attachment(mime, name, data);
    }
    b.write_to_vec()
        .map_err(|e| format!("building the message: {e}"))
}

/// Reads `--body` / `--data` arguments: `@FILE`, `-` for stdin, else the text itself.
pub fn read_text_arg(arg: &str, what: &str, allow_literal: bool) -> Result<Vec<u8>, String> {
    use std::io::Read;
    if arg == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("{what}: reading stdin: {e}"))?;
        return Ok(buf);
    }
    let path = match arg.strip_prefix('@') {
        Some(p) => p,
        None if allow_literal => return Ok(arg.as_bytes().to_vec()),
        None => arg,
    };
    std::fs::read(path).map_err(|e| format!("{what} {path}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> MessageSpec {
        MessageSpec {
            from: "me@client.example".into(),
            to: vec!["you@server.example".into()],
            client_name: "client.example".into(),
            ..Default::default()
        }
    }

    #[test]
    fn default_message_has_the_rfc_5322_headers() {
        let msg = String::from_utf8(build(&spec()).unwrap()).unwrap();
        for h in [
            "Date: ",
            "Message-ID: <",
            "From: ",
            "To: ",
            "Subject: smtp-doctor test",
            "MIME-Version: 1.0",
        ] {
            assert!(msg.contains(h), "missing {h} in\n{msg}");
        }
        assert!(msg.contains("@client.example>"));
        assert!(msg.contains("sent by smtp-doctor"));
        assert!(
            !msg.replace("\r\n", "").contains('\n'),
            "bare LF in the message"
        );
    }

    #[test]
    fn user_headers_replace_defaults() {
        let mut s = spec();
        s.headers = vec![
            parse_header("Subject: custom").unwrap(),
            parse_header("X-Test: 1").unwrap(),
        ];
        let msg = String::from_utf8(build(&s).unwrap()).unwrap();
        assert!(msg.contains("Subject: custom\r\n"));
        assert!(!msg.contains("smtp-doctor test"));
        assert!(msg.contains("X-Test: 1\r\n"));
    }

    #[test]
    fn attachments_make_a_multipart_message() {
        let dir = std::env::temp_dir().join(format!("smtp-doctor-attach-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("report.pdf");
        std::fs::write(&file, b"%PDF-1.4 binary \x00\x01\x02").unwrap();
        let mut s = spec();
        s.attachments = vec![file];
        let msg = String::from_utf8(build(&s).unwrap()).unwrap();
        assert!(msg.contains("multipart/mixed"));
        assert!(msg.contains("application/pdf"));
        assert!(msg.contains("Content-Transfer-Encoding: base64"));
        assert!(msg.contains("filename=\"report.pdf\""));
    }

    #[test]
    fn header_syntax_is_checked() {
        assert!(parse_header("NoColon").is_err());
        assert!(parse_header("Bad Name: x").is_err());
        assert_eq!(parse_header("X-A:b").unwrap(), ("X-A".into(), "b".into()));
    }
}
