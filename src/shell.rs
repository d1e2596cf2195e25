//! `smtp-doctor shell`: the REPL and scripts (issue 5). PLACEHOLDER until implemented.

use crate::cli::{GlobalArgs, ShellArgs};

pub fn run(_args: &ShellArgs, _global: &GlobalArgs) -> u8 {
    eprintln!("smtp-doctor shell is not implemented yet");
    crate::exit::USAGE
}
