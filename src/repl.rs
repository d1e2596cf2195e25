//! The shell's terminal front end over rustyline: line editing, persistent history (in
//! `$XDG_STATE_HOME/smtp-doctor/history`, else `~/.local/state/smtp-doctor/history`), Tab
//! completion of SMTP verbs, meta commands, the extensions and AUTH mechanisms the server
//! advertised and addresses typed earlier, and a hint showing the next step.
//!
//! rustyline blocks while a line is edited, but a server may speak meanwhile (a 421 before it
//! hangs up). So the editor runs on its own thread and hands finished lines over a channel; the
//! main thread, which owns the session, polls the connection while it waits and prints what
//! arrives above the prompt through rustyline's external printer.

use crate::cli::GlobalArgs;
use crate::error::{Error, ErrorKind, Phase};
use crate::script::{META_COMMANDS, SMTP_VERBS};
use crate::secret::Secret;
use crate::shell::{Input, InputEvent, LineKind, Step, View};
use crate::smtp::session::{Session, Unsolicited};
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::{Hint, Hinter};
use rustyline::history::FileHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, EditMode, Editor, ExternalPrinter, Helper};
use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{self, Write};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the connection is polled while a line is being edited.
const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// History entries kept.
const HISTORY_SIZE: usize = 1000;

/// What the main thread asks of the editor thread.
enum Request {
    Read(String),
    History(String),
    Stop,
}

/// What the editor thread answers to a read.
enum Response {
    Line(String),
    Interrupted,
    Eof,
    Failed(String),
}

/// The interactive input.
pub struct Repl {
    tx: Sender<Request>,
    rx: Receiver<Response>,
    thread: Option<JoinHandle<()>>,
    /// A read is in progress on the editor thread (its prompt is showing).
    outstanding: bool,
    view: Arc<Mutex<View>>,
    out: TermOut,
}

impl Repl {
    /// Sets up the editor (history loaded) on its own thread.
    pub fn start(global: &GlobalArgs) -> Result<Repl, Error> {
        let config = Config::builder()
            .auto_add_history(false)
            .completion_type(CompletionType::List)
            .edit_mode(EditMode::Emacs)
            .max_history_size(HISTORY_SIZE)
            .and_then(|b| b.history_ignore_dups(true))
            .map(|b| b.build())
            .map_err(|e| terminal_error(&e))?;
        let view = Arc::new(Mutex::new(View::default()));
        let color = crate::output::use_color(global);
        let mut editor: Editor<ReplHelper, FileHistory> =
            Editor::with_config(config).map_err(|e| terminal_error(&e))?;
        editor.set_helper(Some(ReplHelper {
            view: Arc::clone(&view),
            color,
        }));
        let history = history_path();
        if let Some(path) = history.as_ref().filter(|p| p.exists()) {
            let _ = editor.load_history(path);
        }
        // Without a terminal on both ends there is no prompt to print above: write directly.
        let printer: Option<Box<dyn ExternalPrinter>> = editor
            .create_external_printer()
            .ok()
            .map(|p| Box::new(p) as Box<dyn ExternalPrinter>);
        let (req_tx, req_rx) = mpsc::channel::<Request>();
        let (resp_tx, resp_rx) = mpsc::channel::<Response>();
        let thread = std::thread::Builder::new()
            .name("smtp-doctor-editor".into())
            .spawn(move || editor_loop(editor, req_rx, resp_tx, history))
            .map_err(|e| {
                Error::new(
                    Phase::Usage,
                    ErrorKind::Usage,
                    format!("cannot start the line editor: {e}"),
                )
            })?;
        Ok(Repl {
            tx: req_tx,
            rx: resp_rx,
            thread: Some(thread),
            outstanding: false,
            view,
            out: TermOut::new(printer),
        })
    }

    /// The writer the shell's renderer writes to.
    pub fn writer(&self) -> Box<dyn Write> {
        Box::new(self.out.clone())
    }

    /// Stops the editor thread (history is already saved line by line).
    pub fn stop(&mut self) {
        let _ = self.tx.send(Request::Stop);
        // A read still in progress would never return: leave that thread to the exit.
        if let Some(t) = self.thread.take().filter(|_| !self.outstanding) {
            let _ = t.join();
        }
    }
}

fn terminal_error(e: &ReadlineError) -> Error {
    Error::new(
        Phase::Usage,
        ErrorKind::Usage,
        format!("cannot set up the terminal: {e}"),
    )
    .with_hint("pipe a script into smtp-doctor shell instead, or use --script FILE")
}

impl Input for Repl {
    fn read(&mut self, view: &View, mut session: Option<&mut Session<'_>>) -> InputEvent {
        if let Ok(mut v) = self.view.lock() {
            *v = view.clone();
        }
        if !self.outstanding {
            self.out.flush_pending();
            if self.tx.send(Request::Read(view.prompt.clone())).is_err() {
                return InputEvent::Eof;
            }
            self.outstanding = true;
            self.out.set_printer(true);
        }
        loop {
            match self.rx.recv_timeout(POLL_INTERVAL) {
                Ok(response) => {
                    self.outstanding = false;
                    self.out.set_printer(false);
                    return match response {
                        Response::Line(l) => InputEvent::Line(l),
                        Response::Interrupted => InputEvent::Interrupted,
                        Response::Eof => InputEvent::Eof,
                        Response::Failed(e) => InputEvent::Failed(Error::new(
                            Phase::Usage,
                            ErrorKind::Usage,
                            format!("reading from the terminal failed: {e}"),
                        )),
                    };
                }
                Err(RecvTimeoutError::Timeout) => {
                    if let Some(s) = session.as_deref_mut() {
                        let u = s.poll_unsolicited_reply();
                        if !matches!(u, Unsolicited::Nothing) {
                            return InputEvent::Unsolicited(u);
                        }
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.outstanding = false;
                    self.out.set_printer(false);
                    return InputEvent::Eof;
                }
            }
        }
    }

    fn password(&mut self, prompt: &str) -> Option<io::Result<Secret>> {
        self.out.flush_pending();
        Some(rpassword::prompt_password(prompt).map(Secret::new))
    }

    fn interactive(&self) -> bool {
        true
    }

    fn remember(&mut self, line: &str) {
        let _ = self.tx.send(Request::History(line.to_string()));
    }

    fn flush(&mut self) {
        self.out.flush_pending();
    }
}

/// The editor thread: reads lines on request, keeps the history file up to date.
fn editor_loop(
    mut editor: Editor<ReplHelper, FileHistory>,
    rx: Receiver<Request>,
    tx: Sender<Response>,
    history: Option<PathBuf>,
) {
    let mut history_ok = history
        .as_ref()
        .is_some_and(|p| p.parent().is_some_and(make_private_dir));
    for request in rx {
        match request {
            Request::Read(prompt) => {
                let response = match editor.readline(&prompt) {
                    Ok(line) => Response::Line(line),
                    Err(ReadlineError::Interrupted) => Response::Interrupted,
                    Err(ReadlineError::Eof) => Response::Eof,
                    // A signal rustyline did not handle itself: start the line over.
                    Err(ReadlineError::Signal(_)) => Response::Interrupted,
                    Err(e) => Response::Failed(e.to_string()),
                };
                if tx.send(response).is_err() {
                    break;
                }
            }
            Request::History(line) => {
                let _ = editor.add_history_entry(line);
                if let (true, Some(path)) = (history_ok, &history) {
                    // Saved at once: a crash or a kill loses nothing.
                    history_ok = editor.append_history(path).is_ok();
                }
            }
            Request::Stop => break,
        }
    }
}

/// `$XDG_STATE_HOME/smtp-doctor/history` (an absolute XDG_STATE_HOME only, as the XDG spec
/// says), else `~/.local/state/smtp-doctor/history`.
pub fn history_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        Some(p) => p,
        None => PathBuf::from(std::env::var_os("HOME").filter(|h| !h.is_empty())?)
            .join(".local")
            .join("state"),
    };
    Some(base.join("smtp-doctor").join("history"))
}

/// Creates the history directory, readable by its owner only (history holds addresses).
fn make_private_dir(dir: &std::path::Path) -> bool {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).is_ok()
}

/// Output that goes straight to stdout, except while a prompt is showing: then it is collected
/// and printed above the prompt in one piece.
#[derive(Clone)]
struct TermOut(Rc<RefCell<OutState>>);

struct OutState {
    printer: Option<Box<dyn ExternalPrinter>>,
    above_prompt: bool,
    pending: Vec<u8>,
}

impl TermOut {
    fn new(printer: Option<Box<dyn ExternalPrinter>>) -> TermOut {
        TermOut(Rc::new(RefCell::new(OutState {
            printer,
            above_prompt: false,
            pending: Vec::new(),
        })))
    }

    fn set_printer(&self, on: bool) {
        if !on {
            self.flush_pending();
        }
        self.0.borrow_mut().above_prompt = on;
    }

    /// Prints what was collected: above the prompt when one shows, else straight out.
    fn flush_pending(&self) {
        let mut st = self.0.borrow_mut();
        if st.pending.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&std::mem::take(&mut st.pending)).into_owned();
        let above = st.above_prompt;
        match st.printer.as_mut() {
            Some(p) if above => {
                let _ = p.print(text);
            }
            _ => {
                let mut out = io::stdout().lock();
                let _ = out.write_all(text.as_bytes());
                let _ = out.flush();
            }
        }
    }
}

impl Write for TermOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut st = self.0.borrow_mut();
        if st.above_prompt && st.printer.is_some() {
            st.pending.extend_from_slice(buf);
            return Ok(buf.len());
        }
        drop(st);
        io::stdout().lock().write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.0.borrow().above_prompt {
            return Ok(());
        }
        io::stdout().flush()
    }
}

/// Completion, hints and colour, from the view the shell last published.
struct ReplHelper {
    view: Arc<Mutex<View>>,
    color: bool,
}

impl ReplHelper {
    fn view(&self) -> View {
        self.view.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

/// A hint: text shown after the cursor, and what → inserts (nothing for guidance).
struct ReplHint {
    display: String,
    insert: Option<String>,
}

impl Hint for ReplHint {
    fn display(&self) -> &str {
        &self.display
    }
    fn completion(&self) -> Option<&str> {
        self.insert.as_deref()
    }
}

impl Hinter for ReplHelper {
    type Hint = ReplHint;

    fn hint(&self, line: &str, pos: usize, _ctx: &rustyline::Context<'_>) -> Option<ReplHint> {
        if pos < line.len() {
            return None;
        }
        hint_for(&self.view(), line)
    }
}

/// The hint for `line`: the rest of the next step when the line starts it, a meta command's
/// arguments once its name is typed, or guidance on an empty line.
fn hint_for(view: &View, line: &str) -> Option<ReplHint> {
    if view.kind != Some(LineKind::Command) && view.kind != Some(LineKind::Body) {
        return None;
    }
    if let Some(m) = META_COMMANDS
        .iter()
        .find(|m| m.name.eq_ignore_ascii_case(line.trim_end()) && !m.args.is_empty())
    {
        let sep = if line.ends_with(' ') { "" } else { " " };
        return Some(ReplHint {
            display: format!("{sep}{}", m.args),
            insert: None,
        });
    }
    match view.step.as_ref()? {
        Step::Complete(next) => {
            let starts = next.len() > line.len()
                && next.is_char_boundary(line.len())
                && next[..line.len()].eq_ignore_ascii_case(line);
            starts.then(|| {
                let rest = next[line.len()..].to_string();
                ReplHint {
                    display: rest.clone(),
                    insert: Some(rest),
                }
            })
        }
        Step::Say(text) if line.is_empty() => Some(ReplHint {
            display: format!("({text})"),
            insert: None,
        }),
        Step::Say(_) => None,
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let view = self.view();
        if view.kind != Some(LineKind::Command) {
            return Ok((pos, Vec::new()));
        }
        Ok(complete(&view, &line[..pos]))
    }
}

/// Candidates for the word before the cursor.
fn complete(view: &View, before: &str) -> (usize, Vec<Pair>) {
    let lead = before.len() - before.trim_start().len();
    let text = &before[lead..];
    let word_start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| c.is_whitespace() || c == '<')
        .map_or(lead, |(i, c)| i + c.len_utf8());
    let word = &before[word_start..];
    let upper = text.to_ascii_uppercase();
    let pairs = |items: Vec<(String, String)>| -> Vec<Pair> {
        let mut seen = std::collections::BTreeSet::new();
        items
            .into_iter()
            .filter(|(_, r)| seen.insert(r.clone()))
            .map(|(display, replacement)| Pair {
                display,
                replacement,
            })
            .collect()
    };
    let matching = |cands: Vec<String>, w: &str| -> Vec<(String, String)> {
        cands
            .into_iter()
            .filter(|c| {
                c.len() >= w.len()
                    && c.is_char_boundary(w.len())
                    && c[..w.len()].eq_ignore_ascii_case(w)
            })
            .map(|c| (c.clone(), c))
            .collect()
    };

    let first_word = !text.contains(char::is_whitespace)
        || upper.starts_with("MAIL F")
        || upper.starts_with("RCPT T");
    if first_word && !text.contains('<') {
        return (lead, pairs(first_word_candidates(view, text)));
    }
    let first = upper.split_whitespace().next().unwrap_or("");
    let arg_index = text
        .split_whitespace()
        .count()
        .saturating_sub(usize::from(!before.ends_with(char::is_whitespace)));
    // AUTH MECH / /auth MECH: the mechanisms the server advertised.
    if (first == "AUTH" || first == "/AUTH") && arg_index == 1 {
        let mut mechs = view.mechanisms.clone();
        if first == "/AUTH" {
            let known = ["PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2"];
            mechs.retain(|m| known.contains(&m.as_str()));
            if mechs.is_empty() {
                mechs = known.iter().map(|m| m.to_string()).collect();
            }
        }
        return (word_start, pairs(matching(mechs, word)));
    }
    if first == "/HELP" && arg_index == 1 {
        let names = META_COMMANDS
            .iter()
            .map(|m| m.name.trim_start_matches('/').to_string())
            .collect();
        return (word_start, pairs(matching(names, word)));
    }
    // Inside <…> of MAIL FROM / RCPT TO, or after VRFY/EXPN: addresses typed earlier.
    let in_brackets = before
        .rfind('<')
        .is_some_and(|i| !before[i..].contains('>'));
    if in_brackets || ((first == "VRFY" || first == "EXPN") && arg_index == 1) {
        let found: Vec<(String, String)> = matching(view.addresses.clone(), word)
            .into_iter()
            .map(|(d, r)| {
                if in_brackets {
                    (d, format!("{r}>"))
                } else {
                    (d, r)
                }
            })
            .collect();
        return (word_start, pairs(found));
    }
    // MAIL and RCPT parameters the advertised extensions allow.
    let has = |k: &str| view.keywords.iter().any(|x| x == k);
    let mut params = Vec::new();
    if first == "MAIL" {
        if has("SIZE") {
            params.push("SIZE=".to_string());
        }
        if has("8BITMIME") {
            params.push("BODY=8BITMIME".into());
        }
        if has("BINARYMIME") {
            params.push("BODY=BINARYMIME".into());
        }
        if has("SMTPUTF8") {
            params.push("SMTPUTF8".into());
        }
        if has("REQUIRETLS") {
            params.push("REQUIRETLS".into());
        }
        if has("DSN") {
            params.extend(["RET=FULL", "RET=HDRS", "ENVID="].map(String::from));
        }
        if has("AUTH") {
            params.push("AUTH=<>".into());
        }
    } else if first == "RCPT" && has("DSN") {
        params.extend(
            [
                "NOTIFY=SUCCESS,FAILURE,DELAY",
                "NOTIFY=NEVER",
                "ORCPT=rfc822;",
            ]
            .map(String::from),
        );
    }
    (word_start, pairs(matching(params, word)))
}

/// The first word: SMTP verbs, meta commands, and the keywords the server advertised (some
/// are verbs: ETRN, XCLIENT, …). `MAIL FROM:` and `RCPT TO:` are completed as a whole.
fn first_word_candidates(view: &View, text: &str) -> Vec<(String, String)> {
    let mut cands: Vec<(String, String)> = Vec::new();
    for v in SMTP_VERBS {
        let replacement = match *v {
            "MAIL FROM:" | "RCPT TO:" => format!("{v}<"),
            "EHLO" | "HELO" | "VRFY" | "EXPN" | "AUTH" | "BDAT" => format!("{v} "),
            other => other.to_string(),
        };
        cands.push((v.to_string(), replacement));
    }
    for m in META_COMMANDS {
        let replacement = if m.args.is_empty() {
            m.name.to_string()
        } else {
            format!("{} ", m.name)
        };
        cands.push((m.name.to_string(), replacement));
    }
    for k in &view.keywords {
        cands.push((k.clone(), k.clone()));
    }
    cands
        .into_iter()
        .filter(|(d, _)| {
            d.len() >= text.len()
                && d.is_char_boundary(text.len())
                && d[..text.len()].eq_ignore_ascii_case(text)
        })
        .collect()
}

impl Highlighter for ReplHelper {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        default: bool,
    ) -> Cow<'b, str> {
        if self.color && default {
            Cow::Owned(format!("\x1b[1;34m{prompt}\x1b[0m"))
        } else {
            Cow::Borrowed(prompt)
        }
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }
}

impl Validator for ReplHelper {}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> View {
        View {
            prompt: "> ".into(),
            kind: Some(LineKind::Command),
            step: Some(Step::Complete("EHLO client.example".into())),
            keywords: vec![
                "8BITMIME".into(),
                "AUTH".into(),
                "DSN".into(),
                "SIZE".into(),
                "XSMTPDOCTOR".into(),
            ],
            mechanisms: vec!["PLAIN".into(), "LOGIN".into(), "SCRAM-SHA-256".into()],
            addresses: vec!["alice@example.com".into(), "bob@example.org".into()],
        }
    }

    fn replacements(before: &str) -> (usize, Vec<String>) {
        let (start, pairs) = complete(&view(), before);
        (start, pairs.into_iter().map(|p| p.replacement).collect())
    }

    #[test]
    fn verbs_meta_commands_and_advertised_keywords_complete_the_first_word() {
        assert_eq!(replacements("ehl"), (0, vec!["EHLO ".to_string()]));
        assert_eq!(replacements("XSM"), (0, vec!["XSMTPDOCTOR".to_string()]));
        assert_eq!(replacements("/sta"), (0, vec!["/starttls".to_string()]));
        assert_eq!(replacements("mail f"), (0, vec!["MAIL FROM:<".to_string()]));
        assert_eq!(replacements("/co").1, vec!["/connect ".to_string()]);
    }

    #[test]
    fn arguments_complete_from_what_the_server_and_the_user_said() {
        assert_eq!(
            replacements("AUTH "),
            (
                5,
                vec!["PLAIN".into(), "LOGIN".into(), "SCRAM-SHA-256".into()]
            )
        );
        assert_eq!(
            replacements("/auth "),
            (6, vec!["PLAIN".into(), "LOGIN".into()])
        );
        assert_eq!(
            replacements("MAIL FROM:<al"),
            (11, vec!["alice@example.com>".to_string()])
        );
        assert_eq!(
            replacements("VRFY b"),
            (5, vec!["bob@example.org".to_string()])
        );
        let (_, params) = replacements("MAIL FROM:<a@b> B");
        assert_eq!(params, vec!["BODY=8BITMIME".to_string()]);
        let (_, params) = replacements("RCPT TO:<a@b> NOTIFY=N");
        assert_eq!(params, vec!["NOTIFY=NEVER".to_string()]);
    }

    #[test]
    fn hints_show_the_rest_of_the_next_step() {
        let v = view();
        let h = hint_for(&v, "EH").unwrap();
        assert_eq!(
            (h.display.as_str(), h.insert.as_deref()),
            ("LO client.example", Some("LO client.example"))
        );
        assert!(hint_for(&v, "NOOP").is_none());
        let h = hint_for(&v, "/auth").unwrap();
        assert_eq!(h.display, " MECH [USER [PASSWORD]]");
        assert!(h.insert.is_none());
        let said = View {
            step: Some(Step::Say("a lone . ends it".into())),
            ..v
        };
        assert_eq!(hint_for(&said, "").unwrap().display, "(a lone . ends it)");
    }

    #[test]
    fn history_lives_in_the_state_directory() {
        // Only the shape: the environment is the test runner's.
        if let Some(p) = history_path() {
            assert!(p.ends_with("smtp-doctor/history"), "{}", p.display());
        }
    }

    proptest::proptest! {
        #[test]
        fn completion_and_hints_never_panic(before in "\\PC{0,60}|(MAIL FROM:<|RCPT TO:<|AUTH |/auth |/help |VRFY )[a-z@.\u{3000}\u{a0}é<> ]{0,20}") {
            let _ = complete(&view(), &before);
            let _ = hint_for(&view(), &before);
        }
    }
}
