//! smtp-doctor: parse the command line, run the command, map the outcome to an exit code.

mod check;
mod cli;
mod dns;
mod error;
mod exit;
mod explain;
mod message;
mod net;
mod output;
mod report;
mod sanitize;
mod secret;
mod send;
mod shell;
mod smtp;
mod target;

use clap::{CommandFactory, Parser};
use cli::{Cli, Command, CompletionShell};
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::USAGE } else { exit::SUCCESS });
        }
    };
    ExitCode::from(run(cli))
}

fn run(cli: Cli) -> u8 {
    let global = cli.global;
    match cli.command {
        Command::Send(args) => {
            let mut obs = output::stdout_observer(&global);
            send::run(&args, &global, obs.as_mut())
        }
        Command::Check(args) => check::run(&args, &global),
        Command::Shell(args) => shell::run(&args, &global),
        Command::Explain(args) => explain_command(&args, &global),
        Command::Completions { shell } => {
            let mut out = std::io::stdout();
            let _ = out.write_all(&completions(shell));
            exit::SUCCESS
        }
        Command::Man => {
            let _ = std::io::stdout().write_all(&man_page());
            exit::SUCCESS
        }
    }
}

fn explain_command(args: &cli::ExplainArgs, global: &cli::GlobalArgs) -> u8 {
    use std::io::{IsTerminal, Read};
    let stdin_text = if args.replies.is_empty() && !std::io::stdin().is_terminal() {
        let mut buf = Vec::new();
        let _ = std::io::stdin().take(16 * 1024 * 1024).read_to_end(&mut buf);
        Some(String::from_utf8_lossy(&buf).into_owned())
    } else {
        None
    };
    let mut out = std::io::stdout();
    explain::run_command(&args.replies, stdin_text.as_deref(), global.json, global.verbose > 0, &mut out)
        .unwrap_or(exit::SUCCESS)
}

/// Completions for a shell, generated from the clap definition (checked in under completions/).
fn completions(shell: CompletionShell) -> Vec<u8> {
    use clap_complete::Shell;
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
        CompletionShell::Powershell => Shell::PowerShell,
        CompletionShell::Elvish => Shell::Elvish,
    };
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "smtp-doctor", &mut buf);
    buf
}

/// The man page (roff), generated from the clap definition (checked in as man/smtp-doctor.1).
fn man_page() -> Vec<u8> {
    let cmd = Cli::command();
    let man = clap_mangen::Man::new(cmd);
    let mut buf = Vec::new();
    let _ = man.render(&mut buf);
    buf
}
