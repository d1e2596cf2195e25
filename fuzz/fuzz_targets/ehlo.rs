//! Fuzzes the EHLO capability parser with arbitrary reply lines.
#![no_main]

#[allow(dead_code)]
#[path = "../../src/smtp/reply.rs"]
mod reply;
#[allow(dead_code)]
#[path = "../../src/smtp/ehlo.rs"]
mod ehlo;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let reply = reply::Reply {
        code: 250,
        enhanced: None,
        line_ends: vec![reply::LineEnd::Crlf; lines.len()],
        lines,
    };
    let caps = ehlo::Capabilities::from_ehlo(&reply);
    for k in caps.keywords.keys() {
        assert_eq!(k, &k.to_ascii_uppercase());
    }
    let _ = (caps.size_limit(), caps.auth_mechanisms(), caps.list(), caps.starttls());
});
