//! `smtp-doctor shell`: SMTP typed by hand (the REPL, [`crate::repl`]) or run from a script
//! (stdin that is not a terminal, or `--script FILE`), with one line grammar for both
//! ([`crate::script`]). This module picks the mode and drives the loop: connect, read a line,
//! run it ([`exec`]), until the input ends or `/quit`. Sessions come and go with `/connect`;
//! the shell's own state (addresses typed, the last reply, the transcript) outlives them.

mod connection;
mod exec;
mod input;
mod meta;
mod show;
mod state;
mod transcript;
mod typed;

pub use exec::View;
pub use input::{Input, InputEvent, LineKind};
pub use state::Step;

use crate::cli::{GlobalArgs, ShellArgs};
use crate::error::Error;
use crate::report::human::HumanRenderer;
use crate::report::json::JsonRenderer;
use crate::report::{Event, Observer};
use crate::smtp::session::Session;
use exec::{ConnectRequest, Flow, Shell};
use std::io::{IsTerminal, Write};
use transcript::SharedObs;

/// Runs `smtp-doctor shell`; returns the exit code.
pub fn run(args: &ShellArgs, global: &GlobalArgs) -> u8 {
    let first = args.target.as_ref().map(|target| ConnectRequest {
        target: target.clone(),
        tls: args.tls,
        sni: args.sni.clone(),
        port: args.port,
    });
    let interactive = args.script.is_none() && std::io::stdin().is_terminal();
    if first.is_none() && (args.tls || args.sni.is_some() || args.port.is_some()) {
        let err = Error::usage("--tls, --sni and -p apply to TARGET, and none was given")
            .with_hint("give a TARGET (smtp-doctor shell HOST[:PORT] --tls), or use /connect HOST[:PORT] --tls inside the shell");
        return report_early(global, &err);
    }
    if interactive {
        let mut repl = match crate::repl::Repl::start(global) {
            Ok(r) => r,
            Err(e) => return report_early(global, &e),
        };
        let obs = SharedObs::new(
            renderer(global, repl.writer()),
            crate::output::human_options(global),
        );
        let mut shell = Shell::new(global, obs, true, args.allow_plaintext_auth);
        shell.welcome();
        let code = drive(&mut shell, &mut repl, first);
        repl.stop();
        code
    } else {
        let mut input = match input::ScriptInput::open(args.script.as_deref()) {
            Ok(i) => i,
            Err(e) => return report_early(global, &e),
        };
        let obs = SharedObs::new(
            renderer(global, Box::new(std::io::stdout())),
            crate::output::human_options(global),
        );
        let mut shell = Shell::new(global, obs, false, args.allow_plaintext_auth);
        drive(&mut shell, &mut input, first)
    }
}

/// The renderer the flags ask for, over `out`.
fn renderer(global: &GlobalArgs, out: Box<dyn Write>) -> Box<dyn Observer> {
    if global.json {
        Box::new(JsonRenderer::new(out))
    } else {
        Box::new(HumanRenderer::new(
            out,
            crate::output::human_options(global),
        ))
    }
}

/// Reports an error that happened before the shell could start.
fn report_early(global: &GlobalArgs, err: &Error) -> u8 {
    let mut obs = crate::output::stdout_observer(global);
    obs.event(Event::error(err));
    err.exit_code()
}

/// The loop: one session per `/connect`, one line at a time.
fn drive(shell: &mut Shell<'_>, input: &mut dyn Input, first: Option<ConnectRequest>) -> u8 {
    let mut obs = shell.observer();
    let mut next = first;
    loop {
        let mut session: Option<Session<'_>> = None;
        if let Some(req) = next.take() {
            match shell.open(&req, &mut obs) {
                Ok(s) => session = Some(s),
                Err(e) => {
                    shell.lost_connection();
                    if let Flow::Stop(code) = shell.fail(e) {
                        return shell.finish(code);
                    }
                }
            }
        }
        loop {
            if let Some(s) = session.as_mut() {
                shell.poll(s);
            }
            let view = shell.view(session.as_ref(), LineKind::Command);
            let flow = match input.read(&view, session.as_mut()) {
                InputEvent::Line(line) => shell.handle(&line, &mut session, input),
                InputEvent::Interrupted => Flow::Next,
                InputEvent::Eof => Flow::Quit,
                InputEvent::Unsolicited(u) => {
                    if let Some(s) = session.as_mut() {
                        shell.unsolicited(u, s);
                    }
                    input.flush();
                    Flow::Next
                }
                // The input itself is broken (a terminal gone, an unreadable script): stop.
                InputEvent::Failed(e) => {
                    let code = e.exit_code();
                    match shell.fail(e) {
                        Flow::Stop(c) => Flow::Stop(c),
                        _ => Flow::Stop(code),
                    }
                }
            };
            match flow {
                Flow::Next => {}
                Flow::Connect(req) => {
                    if let Some(s) = session.as_mut() {
                        shell.close(s);
                    }
                    next = Some(req);
                    break;
                }
                Flow::Quit => {
                    let code = shell.at_end();
                    if let Some(s) = session.as_mut() {
                        shell.close(s);
                    }
                    return shell.finish(code);
                }
                Flow::Stop(code) => {
                    if let Some(s) = session.as_mut() {
                        shell.close(s);
                    }
                    return shell.finish(code);
                }
            }
        }
    }
}
