//! SMTP commands and their wire form. Every line ends in an explicit CRLF (RFC 5321 §2.3.8),
//! never the platform's newline, unless the user deliberately asked for a broken ending.

use crate::cli::LineEnding;
use crate::secret::Secret;

/// A command the client sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Ehlo(String),
    Helo(String),
    StartTls,
    /// `AUTH MECH [initial-response]` (RFC 4954 §4).
    Auth {
        mechanism: String,
        initial: Option<Secret>,
    },
    /// A line answering a 334 challenge.
    AuthResponse(Secret),
    Mail {
        from: String,
        params: Vec<String>,
    },
    Rcpt {
        to: String,
        params: Vec<String>,
    },
    Data,
    /// `BDAT size [LAST]` (RFC 3030 §2).
    Bdat {
        size: usize,
        last: bool,
    },
    Quit,
    /// A line typed by a user or a script, sent as is.
    Raw(String),
}

impl Command {
    /// The verb, for explanations and errors (`MAIL`, `AUTH`, `.`).
    pub fn verb(&self) -> String {
        match self {
            Command::Ehlo(_) => "EHLO".into(),
            Command::Helo(_) => "HELO".into(),
            Command::StartTls => "STARTTLS".into(),
            Command::Auth { .. } | Command::AuthResponse(_) => "AUTH".into(),
            Command::Mail { .. } => "MAIL".into(),
            Command::Rcpt { .. } => "RCPT".into(),
            Command::Data => "DATA".into(),
            Command::Bdat { .. } => "BDAT".into(),
            Command::Quit => "QUIT".into(),
            Command::Raw(line) => line
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase(),
        }
    }

    /// The text of the line, without terminator. Secrets are included: this is what is sent.
    fn text(&self) -> String {
        match self {
            Command::Ehlo(name) => format!("EHLO {name}"),
            Command::Helo(name) => format!("HELO {name}"),
            Command::StartTls => "STARTTLS".into(),
            Command::Auth {
                mechanism,
                initial: None,
            } => format!("AUTH {mechanism}"),
            Command::Auth {
                mechanism,
                initial: Some(ir),
            } => {
                format!("AUTH {mechanism} {}", ir.expose())
            }
            Command::AuthResponse(s) => s.expose().to_string(),
            Command::Mail { from, params } => with_params(format!("MAIL FROM:<{from}>"), params),
            Command::Rcpt { to, params } => with_params(format!("RCPT TO:<{to}>"), params),
            Command::Data => "DATA".into(),
            Command::Bdat { size, last: true } => format!("BDAT {size} LAST"),
            Command::Bdat { size, last: false } => format!("BDAT {size}"),
            Command::Quit => "QUIT".into(),
            Command::Raw(line) => line.clone(),
        }
    }

    /// The bytes to send, with the line ending asked for.
    pub fn wire(&self, ending: LineEnding) -> Vec<u8> {
        let mut bytes = self.text().into_bytes();
        bytes.extend_from_slice(line_end(ending));
        bytes
    }

    /// The line as shown in a transcript: AUTH payloads redacted unless `show_secrets`.
    pub fn display(&self, show_secrets: bool) -> String {
        if show_secrets {
            return self.text();
        }
        match self {
            Command::Auth {
                mechanism,
                initial: Some(_),
            } => format!("AUTH {mechanism} ***"),
            Command::AuthResponse(s) if s.expose().is_empty() => String::new(),
            Command::AuthResponse(_) => "***".into(),
            Command::Raw(line) => redact_raw(line),
            other => other.text(),
        }
    }
}

/// Redacts the payload of an `AUTH MECH payload` line typed by hand.
pub fn redact_raw(line: &str) -> String {
    let mut words = line.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some(verb), Some(mech), Some(_)) if verb.eq_ignore_ascii_case("AUTH") => {
            format!("{verb} {mech} ***")
        }
        _ => line.to_string(),
    }
}

fn with_params(mut line: String, params: &[String]) -> String {
    for p in params {
        line.push(' ');
        line.push_str(p);
    }
    line
}

/// The line terminator bytes for an ending.
pub fn line_end(ending: LineEnding) -> &'static [u8] {
    match ending {
        LineEnding::Crlf => b"\r\n",
        LineEnding::Lf => b"\n",
        LineEnding::Cr => b"\r",
    }
}

/// Rejects text that would let one argument smuggle another command onto the wire (CR, LF, NUL)
/// — an address from a user or a file must never become two lines.
pub fn check_argument(what: &str, value: &str) -> Result<(), String> {
    if let Some(c) = value.chars().find(|c| matches!(c, '\r' | '\n' | '\0')) {
        return Err(format!(
            "{what} {value:?} contains {c:?}, which would end the SMTP line"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_end_in_crlf() {
        assert_eq!(
            Command::Ehlo("me.example".into()).wire(LineEnding::Crlf),
            b"EHLO me.example\r\n"
        );
        let mail = Command::Mail {
            from: "a@b.example".into(),
            params: vec!["SIZE=12".into()],
        };
        assert_eq!(
            mail.wire(LineEnding::Crlf),
            b"MAIL FROM:<a@b.example> SIZE=12\r\n"
        );
        assert_eq!(Command::Quit.wire(LineEnding::Crlf), b"QUIT\r\n");
        assert_eq!(
            Command::Bdat {
                size: 10,
                last: true
            }
            .wire(LineEnding::Crlf),
            b"BDAT 10 LAST\r\n"
        );
    }

    #[test]
    fn broken_endings_are_sent_when_asked() {
        assert_eq!(Command::Quit.wire(LineEnding::Lf), b"QUIT\n");
        assert_eq!(Command::Quit.wire(LineEnding::Cr), b"QUIT\r");
    }

    #[test]
    fn null_sender_is_empty_brackets() {
        let mail = Command::Mail {
            from: String::new(),
            params: vec![],
        };
        assert_eq!(mail.wire(LineEnding::Crlf), b"MAIL FROM:<>\r\n");
    }

    #[test]
    fn auth_payloads_are_redacted_in_display() {
        let auth = Command::Auth {
            mechanism: "PLAIN".into(),
            initial: Some(Secret::new("AHUAcA==")),
        };
        assert_eq!(auth.display(false), "AUTH PLAIN ***");
        assert_eq!(auth.display(true), "AUTH PLAIN AHUAcA==");
        assert_eq!(
            Command::AuthResponse(Secret::new("cGFzcw==")).display(false),
            "***"
        );
        assert_eq!(
            Command::Raw("auth plain AHUAcA==".into()).display(false),
            "auth plain ***"
        );
        assert_eq!(
            Command::Raw("AUTH LOGIN".into()).display(false),
            "AUTH LOGIN"
        );
    }

    #[test]
    fn arguments_cannot_smuggle_lines() {
        assert!(check_argument("address", "a@b.example\r\nRCPT TO:<x@y>").is_err());
        assert!(check_argument("address", "a@b.example").is_ok());
    }
}
