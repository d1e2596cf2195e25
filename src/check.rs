//! `smtp-doctor check`: the one-shot diagnosis (issue 3). PLACEHOLDER until implemented.

use crate::cli::{CheckArgs, GlobalArgs};

pub fn run(_args: &CheckArgs, _global: &GlobalArgs) -> u8 {
    eprintln!("smtp-doctor check is not implemented yet");
    crate::exit::USAGE
}
