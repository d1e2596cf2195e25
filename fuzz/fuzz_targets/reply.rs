//! Fuzzes the reply parser: arbitrary server bytes, split into lines as the reader splits them,
//! must never panic, and every reply it accepts must satisfy the parser's own limits.
#![no_main]

#[allow(dead_code)]
#[path = "../../src/smtp/reply.rs"]
mod reply;

use libfuzzer_sys::fuzz_target;
use reply::{LineEnd, ReplyAssembler, MAX_LINES, MAX_LINE_LEN};

fuzz_target!(|data: &[u8]| {
    let mut asm = ReplyAssembler::new();
    for raw in data.split(|&b| b == b'\n') {
        let (line, end) = match raw.strip_suffix(b"\r") {
            Some(l) => (l, LineEnd::Crlf),
            None => (raw, LineEnd::Lf),
        };
        match asm.push(line, end) {
            Ok(Some(r)) => {
                assert!((200..600).contains(&r.code));
                assert!(r.lines.len() <= MAX_LINES);
                assert!(r.lines.iter().all(|l| l.len() <= MAX_LINE_LEN * 4));
                let _ = (r.text(), r.wire_lines(), r.queue_id());
                asm = ReplyAssembler::new();
            }
            Ok(None) => {}
            Err(_) => asm = ReplyAssembler::new(),
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = reply::parse_reply(text);
    }
});
