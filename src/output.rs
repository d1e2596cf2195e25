//! Picks the renderer for the global flags: JSON Lines, or the human transcript with colour
//! only on a terminal (and never with NO_COLOR unless `--color always`).

use crate::cli::{ColorChoice, GlobalArgs};
use crate::report::Observer;
use crate::report::human::{HumanOptions, HumanRenderer};
use crate::report::json::JsonRenderer;
use std::io::{IsTerminal, Write};

/// Whether to colour output written to stdout.
pub fn use_color(global: &GlobalArgs) -> bool {
    match global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

pub fn human_options(global: &GlobalArgs) -> HumanOptions {
    HumanOptions {
        color: use_color(global),
        show_crlf: global.show_crlf,
        verbose: global.verbose,
        quiet: global.quiet,
    }
}

/// The observer for stdout.
pub fn stdout_observer(global: &GlobalArgs) -> Box<dyn Observer> {
    let out: Box<dyn Write> = Box::new(std::io::stdout());
    if global.json {
        Box::new(JsonRenderer::new(out))
    } else {
        Box::new(HumanRenderer::new(out, human_options(global)))
    }
}
