//! Fuzzes the shell/script line grammar: parsing, `${VAR}` expansion, `/raw` escapes and
//! `/expect` specifications must never panic, whatever a script line holds.
#![no_main]

#[allow(dead_code)]
#[path = "../../src/secret.rs"]
mod secret;
#[allow(dead_code)]
#[path = "../../src/sanitize.rs"]
mod sanitize;
#[path = "script_smtp.rs"]
mod smtp;
#[allow(dead_code)]
#[path = "../../src/script.rs"]
mod script;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else { return };
    let _ = script::is_comment_or_blank(line);
    let _ = script::is_meta_command(line);
    let _ = script::parse(line);
    let _ = script::parse_escapes(line);
    let _ = script::expand_vars(line, |name| (name.len() < 8).then(|| name.repeat(2)));
    if let Ok(expect) = script::Expectation::parse(line) {
        let reply = smtp::reply::Reply {
            code: 250,
            enhanced: None,
            lines: vec![line.to_string()],
            line_ends: vec![smtp::reply::LineEnd::Crlf],
        };
        let _ = expect.check(&reply);
    }
});
