//! Where the shell's lines come from: the [`Input`] trait, which the REPL implements over
//! rustyline ([`crate::repl`]) and [`ScriptInput`] over a script (a file, or stdin when it is
//! not a terminal). A script knows where each line came from (`file:line`), for messages.

use super::exec::View;
use crate::error::{Error, ErrorKind, Phase};
use crate::secret::Secret;
use crate::smtp::session::{Session, Unsolicited};
use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::path::Path;

/// What a line is for: it decides the prompt, the hints and whether it goes into history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A command (SMTP or meta); kept in history.
    Command,
    /// A line of message text after `/data`; never kept.
    Body,
    /// An answer to a question (a user name); never kept.
    Answer,
}

/// The result of waiting for a line.
#[derive(Debug)]
pub enum InputEvent {
    Line(String),
    /// Ctrl-C: the line was cancelled.
    Interrupted,
    /// The end of the input (Ctrl-D, or the end of the script).
    Eof,
    /// The server sent something while the shell waited for a line (already shown).
    Unsolicited(Unsolicited),
    /// The input could not be read.
    Failed(Error),
}

/// A source of lines.
pub trait Input {
    /// Waits for the next line. An interactive input shows `view` and may poll `session` for
    /// unsolicited replies while it waits.
    fn read(&mut self, view: &View, session: Option<&mut Session<'_>>) -> InputEvent;
    /// Asks for a secret without echo; `None` when there is no terminal to ask on.
    fn password(&mut self, prompt: &str) -> Option<std::io::Result<Secret>>;
    /// A human is typing (warnings then never stop anything).
    fn interactive(&self) -> bool;
    /// `file:line` of the line last read, for scripts.
    fn location(&self) -> Option<String> {
        None
    }
    /// Keeps a command in the history (already stripped of secrets).
    fn remember(&mut self, _line: &str) {}
    /// Writes out what was emitted while a prompt was showing.
    fn flush(&mut self) {}
}

/// Longest script line accepted: far beyond any SMTP line (RFC 5321 §4.5.3.1.4 says 512 bytes).
const MAX_SCRIPT_LINE: u64 = 1024 * 1024;

/// A script, read line by line.
pub struct ScriptInput {
    name: String,
    reader: Box<dyn BufRead>,
    line: usize,
    /// A terminal is there to ask for passwords on (`--script FILE` run from a terminal).
    tty: bool,
}

impl ScriptInput {
    /// The script at `path` (`-` for stdin), or stdin.
    pub fn open(path: Option<&Path>) -> Result<ScriptInput, Error> {
        let stdin_tty = std::io::stdin().is_terminal();
        match path {
            Some(p) if p != Path::new("-") => {
                let file = std::fs::File::open(p).map_err(|e| {
                    Error::usage(format!("cannot read the script {}: {e}", p.display()))
                        .with_hint("check the path given to --script")
                })?;
                Ok(ScriptInput::new(
                    p.display().to_string(),
                    Box::new(BufReader::new(file)),
                    stdin_tty,
                ))
            }
            _ => Ok(ScriptInput::new(
                "<stdin>".into(),
                Box::new(BufReader::new(std::io::stdin())),
                false,
            )),
        }
    }

    pub fn new(name: String, reader: Box<dyn BufRead>, tty: bool) -> ScriptInput {
        ScriptInput {
            name,
            reader,
            line: 0,
            tty,
        }
    }
}

impl Input for ScriptInput {
    fn read(&mut self, _view: &View, _session: Option<&mut Session<'_>>) -> InputEvent {
        let mut buf = Vec::new();
        let read = (&mut self.reader)
            .take(MAX_SCRIPT_LINE + 1)
            .read_until(b'\n', &mut buf);
        match read {
            Ok(0) => return InputEvent::Eof,
            Ok(_) => {}
            Err(e) => {
                return InputEvent::Failed(Error::new(
                    Phase::Usage,
                    ErrorKind::Usage,
                    format!("cannot read {} after line {}: {e}", self.name, self.line),
                ));
            }
        }
        self.line += 1;
        if buf.len() as u64 > MAX_SCRIPT_LINE {
            return InputEvent::Failed(Error::usage(format!(
                "line {} of {} is longer than 1 MiB",
                self.line, self.name
            )));
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
            // A script saved with CRLF line endings: the CR is the file's, not the user's.
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        match String::from_utf8(buf) {
            Ok(line) => InputEvent::Line(line),
            Err(_) => InputEvent::Failed(Error::usage(format!(
                "line {} of {} is not UTF-8 text; to send other bytes use /raw with \\xHH escapes",
                self.line, self.name
            ))),
        }
    }

    fn password(&mut self, prompt: &str) -> Option<std::io::Result<Secret>> {
        self.tty
            .then(|| rpassword::prompt_password(prompt).map(Secret::new))
    }

    fn interactive(&self) -> bool {
        false
    }

    fn location(&self) -> Option<String> {
        Some(format!("{}:{}", self.name, self.line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> View {
        View::default()
    }

    #[test]
    fn script_lines_lose_their_line_endings_and_know_where_they_are() {
        let text = b"EHLO a\r\nNOOP\n\nlast".to_vec();
        let mut input =
            ScriptInput::new("t.smtp".into(), Box::new(std::io::Cursor::new(text)), false);
        let mut lines = Vec::new();
        while let InputEvent::Line(l) = input.read(&view(), None) {
            lines.push(l);
        }
        assert_eq!(lines, ["EHLO a", "NOOP", "", "last"]);
        assert_eq!(input.location().as_deref(), Some("t.smtp:4"));
        assert!(input.password("p").is_none());
    }

    #[test]
    fn non_utf8_script_lines_are_refused_with_their_number() {
        let mut input = ScriptInput::new(
            "t".into(),
            Box::new(std::io::Cursor::new(b"ok\n\xff\n".to_vec())),
            false,
        );
        assert!(matches!(input.read(&view(), None), InputEvent::Line(_)));
        match input.read(&view(), None) {
            InputEvent::Failed(e) => assert!(e.message.contains("line 2"), "{}", e.message),
            other => panic!("{other:?}"),
        }
    }
}
