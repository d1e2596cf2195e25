//! Server text made safe for a terminal or a log: control characters, escape sequences, NUL and
//! invalid UTF-8 are shown escaped, never written raw (a server can otherwise set the window
//! title, recolour the terminal or hide text).

/// Escapes everything that is not printable. Valid UTF-8 printable characters pass through.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_char(&mut out, c);
    }
    out
}

/// Like [`sanitize`] for raw bytes: invalid UTF-8 bytes become `\xHH`.
pub fn sanitize_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

fn push_char(out: &mut String, c: char) {
    match c {
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\\' => out.push('\\'),
        // C0 controls, DEL, and C1 controls (0x80-0x9f can start escape sequences too), plus
        // the replacement char left by lossy decoding, which hides what the server sent.
        c if (c as u32) < 0x20 || c as u32 == 0x7f || (0x80..0xa0).contains(&(c as u32)) => {
            out.push_str(&format!("\\x{:02x}", c as u32));
        }
        '\u{fffd}' => out.push_str("\\ufffd"),
        // Bidi overrides can reorder what is displayed (the "Trojan Source" class).
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
            out.push_str(&format!("\\u{:04x}", c as u32));
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_neutralised() {
        let s = sanitize("220 \x1b]0;pwned\x07 \x1b[31mred\x00");
        assert_eq!(s, "220 \\x1b]0;pwned\\x07 \\x1b[31mred\\x00");
        assert!(!s.contains('\x1b'));
    }

    #[test]
    fn invalid_utf8_is_shown_as_hex() {
        assert_eq!(sanitize_bytes(b"ok \xff\xfe end"), "ok \\xff\\xfe end");
        assert_eq!(sanitize_bytes("café".as_bytes()), "café");
    }

    #[test]
    fn c1_controls_and_bidi_are_escaped() {
        assert_eq!(sanitize("a\u{9b}b"), "a\\x9bb");
        assert_eq!(sanitize("x\u{202e}y"), "x\\u202ey");
    }
}
