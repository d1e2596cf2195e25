//! Where the shell's events go: the renderer the flags chose (the human transcript or JSON
//! Lines) and, always, a plain human transcript kept in memory for `/save`. One shared handle
//! lets the session and the shell itself emit into the same stream, in order.

use crate::report::human::{HumanOptions, HumanRenderer};
use crate::report::{Event, Observer};
use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

/// A growable byte buffer several owners write to.
#[derive(Clone, Default)]
pub struct SharedBuf(Rc<RefCell<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct Tee {
    out: Box<dyn Observer>,
    transcript: HumanRenderer<SharedBuf>,
}

/// The shell's observer: clone it freely; every clone feeds the same output and transcript.
#[derive(Clone)]
pub struct SharedObs {
    tee: Rc<RefCell<Tee>>,
    saved: SharedBuf,
}

impl SharedObs {
    /// Events go to `out`; the transcript for `/save` is rendered with `opts` but no colour.
    pub fn new(out: Box<dyn Observer>, opts: HumanOptions) -> SharedObs {
        let saved = SharedBuf::default();
        let transcript_opts = HumanOptions {
            color: false,
            quiet: false,
            ..opts
        };
        let tee = Tee {
            out,
            transcript: HumanRenderer::new(saved.clone(), transcript_opts),
        };
        SharedObs {
            tee: Rc::new(RefCell::new(tee)),
            saved,
        }
    }

    /// The transcript so far (what `/save` writes).
    pub fn transcript(&self) -> Vec<u8> {
        self.saved.0.borrow().clone()
    }
}

impl Observer for SharedObs {
    fn event(&mut self, event: Event) {
        // Never re-entered: renderers do not emit events.
        if let Ok(mut tee) = self.tee.try_borrow_mut() {
            tee.transcript.event(event.clone());
            tee.out.event(event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Recorder;

    #[test]
    fn every_clone_feeds_one_output_and_the_transcript() {
        let mut a = SharedObs::new(Box::new(Recorder::default()), HumanOptions::default());
        let mut b = a.clone();
        a.event(Event::info("one"));
        b.event(Event::warning("two"));
        let text = String::from_utf8(a.transcript()).unwrap();
        assert_eq!(text, "=== one\n!!! two\n");
    }
}
