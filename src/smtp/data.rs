//! Message data on the wire: CRLF normalisation and dot-stuffing for DATA (RFC 5321 §4.5.2),
//! and chunks for BDAT (RFC 3030).

use crate::cli::LineEnding;
use crate::smtp::command::line_end;

/// Normalises every line ending (CRLF, bare LF, bare CR) to `ending`, and makes sure the message
/// ends with one. RFC 5321 §2.3.8 forbids bare CR and LF in the data.
pub fn normalize_line_endings(message: &[u8], ending: LineEnding) -> Vec<u8> {
    let eol = line_end(ending);
    let mut out = Vec::with_capacity(message.len() + message.len() / 40 + 2);
    let mut i = 0;
    while i < message.len() {
        match message[i] {
            b'\r' => {
                out.extend_from_slice(eol);
                if message.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => out.extend_from_slice(eol),
            b => out.push(b),
        }
        i += 1;
    }
    if !message.is_empty() && !out.ends_with(eol) {
        out.extend_from_slice(eol);
    }
    out
}

/// The DATA payload: normalised line endings, each line starting with `.` given another `.`
/// (RFC 5321 §4.5.2), and the terminating `.` line.
pub fn dot_stuff(message: &[u8], ending: LineEnding) -> Vec<u8> {
    let normalized = normalize_line_endings(message, ending);
    let eol = line_end(ending);
    let mut out = Vec::with_capacity(normalized.len() + 64);
    let mut at_line_start = true;
    let mut i = 0;
    while i < normalized.len() {
        if at_line_start && normalized[i] == b'.' {
            out.push(b'.');
        }
        if normalized[i..].starts_with(eol) {
            out.extend_from_slice(eol);
            i += eol.len();
            at_line_start = true;
        } else {
            out.push(normalized[i]);
            i += 1;
            at_line_start = false;
        }
    }
    out.push(b'.');
    out.extend_from_slice(eol);
    out
}

/// Reverses [`dot_stuff`], for the tests.
#[cfg(test)]
pub fn dot_unstuff(wire: &[u8]) -> Vec<u8> {
    let body = wire.strip_suffix(b".\r\n").unwrap_or(wire);
    let mut out = Vec::with_capacity(body.len());
    for line in body.split_inclusive(|&b| b == b'\n') {
        out.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
    }
    out
}

/// Splits a message into BDAT chunks of at most `chunk` bytes.
pub fn bdat_chunks(message: &[u8], chunk: usize) -> impl Iterator<Item = &[u8]> {
    message.chunks(chunk.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_dots_are_doubled_and_data_terminated() {
        let wire = dot_stuff(
            b"Subject: x\r\n\r\n.hidden\r\n..two\r\nend",
            LineEnding::Crlf,
        );
        assert_eq!(
            wire,
            b"Subject: x\r\n\r\n..hidden\r\n...two\r\nend\r\n.\r\n"
        );
    }

    #[test]
    fn a_lone_dot_line_cannot_end_the_message_early() {
        let wire = dot_stuff(b"a\n.\nb\n", LineEnding::Crlf);
        assert_eq!(wire, b"a\r\n..\r\nb\r\n.\r\n");
    }

    #[test]
    fn bare_lf_and_cr_become_crlf() {
        assert_eq!(
            normalize_line_endings(b"a\nb\rc\r\nd", LineEnding::Crlf),
            b"a\r\nb\r\nc\r\nd\r\n"
        );
    }

    #[test]
    fn empty_message_is_just_the_dot() {
        assert_eq!(dot_stuff(b"", LineEnding::Crlf), b".\r\n");
    }

    #[test]
    fn unstuffing_reverses_stuffing() {
        let original = b"x\r\n.y\r\n..z\r\n.\r\nw\r\n";
        assert_eq!(
            dot_unstuff(&dot_stuff(original, LineEnding::Crlf)),
            original
        );
    }

    #[test]
    fn broken_endings_are_used_throughout_when_asked() {
        assert_eq!(dot_stuff(b"a\r\n.b\r\n", LineEnding::Lf), b"a\n..b\n.\n");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the message, the stuffed form ends exactly once with CRLF.CRLF and
        /// unstuffs back to the CRLF-normalised message: nothing lost, nothing added.
        #[test]
        fn stuffing_round_trips(message in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let wire = dot_stuff(&message, LineEnding::Crlf);
            let normalized = normalize_line_endings(&message, LineEnding::Crlf);
            prop_assert!(wire.ends_with(b".\r\n"));
            let body = &wire[..wire.len() - 3];
            prop_assert!(!body.windows(5).any(|w| w == b"\r\n.\r\n"), "early terminator");
            prop_assert!(!body.starts_with(b".\r\n"), "early terminator at start");
            prop_assert_eq!(dot_unstuff(&wire), normalized);
        }
    }
}
