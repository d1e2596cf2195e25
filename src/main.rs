//! smtp-doctor: parse the command line, run the command, map the outcome to an exit code.

mod check;
mod cli;
mod connect;
mod dns;
mod error;
mod exit;
mod explain;
mod message;
mod net;
mod output;
mod repl;
mod report;
mod sanitize;
mod script;
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
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::SUCCESS
            });
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
        let _ = std::io::stdin()
            .take(16 * 1024 * 1024)
            .read_to_end(&mut buf);
        Some(String::from_utf8_lossy(&buf).into_owned())
    } else {
        None
    };
    let mut out = std::io::stdout();
    explain::run_command(
        &args.replies,
        stdin_text.as_deref(),
        global.json,
        global.verbose > 0,
        &mut out,
    )
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

/// The man page (roff), generated from the clap definition (checked in as man/smtp-doctor.1):
/// the top-level page, then each command's synopsis and options, then the exit status.
fn man_page() -> Vec<u8> {
    let cmd = Cli::command();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut buf = Vec::new();
    let _ = man.render_title(&mut buf);
    let _ = man.render_name_section(&mut buf);
    let _ = man.render_synopsis_section(&mut buf);
    let _ = man.render_description_section(&mut buf);
    let _ = man.render_options_section(&mut buf);
    let _ = man.render_subcommands_section(&mut buf);
    for sub in cmd
        .get_subcommands()
        .filter(|s| !matches!(s.get_name(), "completions" | "man" | "help"))
    {
        let name = format!("smtp-doctor {}", sub.get_name());
        let sub_man = clap_mangen::Man::new(
            sub.clone()
                .bin_name(name.clone())
                .display_name(name.clone()),
        );
        let mut part = Vec::new();
        let _ = sub_man.render_synopsis_section(&mut part);
        let _ = sub_man.render_description_section(&mut part);
        let _ = sub_man.render_options_section(&mut part);
        let text = String::from_utf8_lossy(&part)
            .replace(".SH SYNOPSIS", &format!(".SH \"{}\"", name.to_uppercase()))
            .replace(".SH DESCRIPTION\n", ".PP\n")
            .replace(".SH OPTIONS", ".SS Options");
        buf.extend_from_slice(text.as_bytes());
    }
    buf.extend_from_slice(b".SH \"EXIT STATUS\"\n");
    for line in cli::EXIT_CODES_HELP.lines().skip(1) {
        let line = line.trim();
        if let Some((code, meaning)) = line.split_once(' ') {
            buf.extend_from_slice(format!(".TP\n\\fB{code}\\fR\n{}\n", meaning.trim()).as_bytes());
        }
    }
    let _ = man.render_version_section(&mut buf);
    buf
}
