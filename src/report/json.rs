//! JSON Lines: one event per line, flushed as it happens so a pipe sees the session live.

use super::{Event, Observer};
use std::io::Write;

pub struct JsonRenderer<W: Write> {
    out: W,
    /// The reader went away (broken pipe): stay quiet from now on.
    dead: bool,
}

impl<W: Write> JsonRenderer<W> {
    pub fn new(out: W) -> Self {
        JsonRenderer { out, dead: false }
    }
}

impl<W: Write> Observer for JsonRenderer<W> {
    fn event(&mut self, event: Event) {
        if self.dead {
            return;
        }
        let ok = serde_json::to_writer(&mut self.out, &event).is_ok()
            && self.out.write_all(b"\n").is_ok()
            && self.out.flush().is_ok();
        if !ok {
            self.dead = true;
        }
    }
}
