//! The live progress display: one indicatif spinner per probe showing its current step. Only
//! on a terminal, never with `--json`, `--quiet` or when stdout is piped; drawn on stderr and
//! cleared before the summary is printed.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

pub struct Progress {
    multi: MultiProgress,
    bars: Vec<ProgressBar>,
}

impl Progress {
    /// One spinner per label (labels are built from DNS data: sanitised by the caller).
    pub fn new(labels: &[String]) -> Progress {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let width = labels
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0)
            .min(60);
        let style =
            ProgressStyle::with_template(&format!("{{spinner}} {{prefix:{width}}}  {{wide_msg}}"))
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bars = labels
            .iter()
            .map(|label| {
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(style.clone());
                bar.set_prefix(label.clone());
                bar.set_message("waiting");
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            })
            .collect();
        Progress { multi, bars }
    }

    /// Shows what probe `i` is doing now.
    pub fn stage(&self, i: usize, message: &str) {
        if let Some(bar) = self.bars.get(i) {
            bar.set_message(message.to_string());
        }
    }

    /// Marks probe `i` as finished.
    pub fn done(&self, i: usize, message: &str) {
        if let Some(bar) = self.bars.get(i) {
            bar.finish_with_message(message.to_string());
        }
    }

    /// Removes the display.
    pub fn clear(self) {
        for bar in &self.bars {
            bar.finish_and_clear();
        }
        let _ = self.multi.clear();
    }
}
