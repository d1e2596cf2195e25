//! The interactive shell driven through a real pseudo-terminal (rexpect): the prompt, Tab
//! completion of an advertised extension, history recalled within a session and across
//! sessions (in XDG_STATE_HOME), `/auth` asking for the password without echo, Ctrl-C, Ctrl-D
//! sending QUIT, and a 421 shown while the prompt waits. The servers are in-process, on
//! 127.0.0.1 only.
#![cfg(unix)]

mod support;

use rexpect::reader::Options;
use rexpect::session::{PtySession, spawn_with_options};
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::{CertKind, SmtpServer, TestCerts};

const UP: &str = "\x1b[A";

/// The shell in a pty: `args` after `shell`, history under `state`, a hermetic environment.
fn spawn(args: &[&str], state: &Path, echo: bool) -> PtySession {
    let bin = env!("CARGO_BIN_EXE_smtp-doctor");
    // rexpect turns the pty's echo off; `stty echo` turns it back on where a test needs to
    // prove that smtp-doctor itself disables it (for the password).
    let mut cmd = Command::new("sh");
    let script = if echo {
        "stty echo; exec \"$0\" \"$@\""
    } else {
        "exec \"$0\" \"$@\""
    };
    cmd.arg("-c")
        .arg(script)
        .arg(bin)
        .arg("shell")
        .args(args)
        .args(["--color", "never"]);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "xterm")
        .env("HOME", state)
        .env("XDG_STATE_HOME", state);
    spawn_with_options(
        cmd,
        Options::new()
            .timeout_ms(Some(15_000))
            .strip_ansi_escape_codes(true),
    )
    .expect("spawned in a pty")
}

/// Types `text` (the pty writer is line-buffered: flush, since keys end in `\r`, not `\n`).
fn keys(p: &mut PtySession, text: &str) {
    p.send(text).unwrap();
    p.flush().unwrap();
}

/// Everything read until `needle` (inclusive), or a failure showing what came.
fn expect(p: &mut PtySession, needle: &str, seen: &mut String) {
    match p.exp_string(needle) {
        Ok(before) => {
            seen.push_str(&before);
            seen.push_str(needle);
        }
        Err(e) => panic!("waiting for {needle:?}: {e}\nso far:\n{seen}"),
    }
}

/// Ctrl-D: the shell QUITs and exits 0.
fn quit(mut p: PtySession, seen: &mut String) {
    p.send_control('d').unwrap();
    if let Ok(rest) = p.exp_eof() {
        seen.push_str(&rest);
    }
    match p.process().wait() {
        Ok(rexpect::process::WaitStatus::Exited(_, code)) => {
            assert_eq!(code, 0, "exit code; output:\n{seen}")
        }
        other => panic!("unexpected end {other:?}; output:\n{seen}"),
    }
}

#[test]
fn the_prompt_shows_host_port_tls_auth_and_phase() {
    let srv = SmtpServer::builder()
        .starttls(CertKind::Valid)
        .auth_credentials("tester", "pw")
        .start();
    let state = tempfile::tempdir().unwrap();
    let target = srv.arg();
    let ca = TestCerts::get().ca_file().display().to_string();
    let mut p = spawn(
        &[&target, "--sni", "localhost", "--ca-file", &ca],
        state.path(),
        false,
    );
    let mut seen = String::new();
    let port = srv.port();
    expect(
        &mut p,
        &format!("127.0.0.1:{port} plain greeted> "),
        &mut seen,
    );
    keys(&mut p, "EHLO me.example\r");
    expect(
        &mut p,
        &format!("127.0.0.1:{port} plain ready> "),
        &mut seen,
    );
    keys(&mut p, "/starttls\r");
    expect(&mut p, &format!("127.0.0.1:{port} TLS ready> "), &mut seen);
    keys(&mut p, "/auth PLAIN tester pw\r");
    expect(&mut p, "235 ", &mut seen);
    expect(
        &mut p,
        &format!("127.0.0.1:{port} TLS+auth ready> "),
        &mut seen,
    );
    keys(&mut p, "MAIL FROM:<a@me.example>\r");
    expect(&mut p, "TLS+auth mail> ", &mut seen);
    quit(p, &mut seen);
}

#[test]
fn tab_completes_an_extension_the_server_advertised() {
    let srv = SmtpServer::builder()
        .ehlo_keywords(&["PIPELINING", "XSMTPDOCTOR"])
        .start();
    let state = tempfile::tempdir().unwrap();
    let mut p = spawn(&[&srv.arg()], state.path(), false);
    let mut seen = String::new();
    expect(&mut p, "greeted> ", &mut seen);
    keys(&mut p, "EHLO me.example\r");
    expect(&mut p, "ready> ", &mut seen);
    keys(&mut p, "XSMTP");
    keys(&mut p, "\t");
    std::thread::sleep(Duration::from_millis(200));
    keys(&mut p, "\r");
    expect(&mut p, "<-* 5", &mut seen);
    expect(&mut p, "ready> ", &mut seen);
    quit(p, &mut seen);
    assert!(
        srv.commands().iter().any(|c| c == "XSMTPDOCTOR"),
        "completed and sent: {:?}\n{seen}",
        srv.commands()
    );
}

#[test]
fn history_is_recalled_in_the_session_and_in_the_next_one() {
    let srv = SmtpServer::start_default();
    let state = tempfile::tempdir().unwrap();
    let mut seen = String::new();
    {
        let mut p = spawn(&[&srv.arg()], state.path(), false);
        expect(&mut p, "greeted> ", &mut seen);
        keys(&mut p, "NOOP first\r");
        expect(&mut p, "<-  250", &mut seen);
        expect(&mut p, "greeted> ", &mut seen);
        keys(&mut p, UP);
        std::thread::sleep(Duration::from_millis(200));
        keys(&mut p, "\r");
        expect(&mut p, "<-  250", &mut seen);
        expect(&mut p, "greeted> ", &mut seen);
        quit(p, &mut seen);
    }
    let path = state.path().join("smtp-doctor/history");
    let history = std::fs::read_to_string(&path).expect("history file in XDG_STATE_HOME");
    assert!(history.contains("NOOP first"), "{history}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "history is private");
    }
    {
        let mut p = spawn(&[&srv.arg()], state.path(), false);
        expect(&mut p, "greeted> ", &mut seen);
        keys(&mut p, UP);
        std::thread::sleep(Duration::from_millis(200));
        keys(&mut p, "\r");
        expect(&mut p, "<-  250", &mut seen);
        expect(&mut p, "greeted> ", &mut seen);
        quit(p, &mut seen);
    }
    let noops = srv.commands().iter().filter(|c| *c == "NOOP first").count();
    assert_eq!(noops, 3, "typed once, recalled twice: {:?}", srv.commands());
}

#[test]
fn auth_asks_for_the_password_without_echo_and_keeps_it_out_of_history() {
    let srv = SmtpServer::builder()
        .auth_credentials("tester", "s3cret-pass")
        .start();
    let state = tempfile::tempdir().unwrap();
    let mut p = spawn(&[&srv.arg(), "--allow-plaintext-auth"], state.path(), true);
    let mut seen = String::new();
    expect(&mut p, "greeted> ", &mut seen);
    keys(&mut p, "EHLO me.example\r");
    expect(&mut p, "ready> ", &mut seen);
    keys(&mut p, "/auth PLAIN tester\r");
    expect(&mut p, "Password for tester (not echoed): ", &mut seen);
    keys(&mut p, "s3cret-pass\r");
    expect(&mut p, "235 ", &mut seen);
    expect(&mut p, "ready> ", &mut seen);
    quit(p, &mut seen);
    assert!(
        !seen.contains("s3cret"),
        "the password was echoed or printed:\n{seen}"
    );
    assert!(seen.contains("AUTH PLAIN ***"), "{seen}");
    assert!(
        srv.auth_attempts().iter().any(|a| a.success),
        "authenticated"
    );
    let history =
        std::fs::read_to_string(state.path().join("smtp-doctor/history")).unwrap_or_default();
    assert!(
        history.contains("/auth PLAIN tester") && !history.contains("s3cret"),
        "{history}"
    );
}

#[test]
fn ctrl_c_cancels_the_line_and_ctrl_d_sends_quit() {
    let srv = SmtpServer::start_default();
    let state = tempfile::tempdir().unwrap();
    let mut p = spawn(&[&srv.arg()], state.path(), false);
    let mut seen = String::new();
    expect(&mut p, "greeted> ", &mut seen);
    keys(&mut p, "NOOP cancelled");
    std::thread::sleep(Duration::from_millis(200));
    p.send_control('c').unwrap();
    // The cancelled line stays on screen; the fresh prompt follows it.
    expect(&mut p, "cancelled\r\n", &mut seen);
    expect(&mut p, "greeted> ", &mut seen);
    keys(&mut p, "RSET\r");
    expect(&mut p, "<-  250", &mut seen);
    expect(&mut p, "> ", &mut seen);
    quit(p, &mut seen);
    assert!(seen.contains(" -> QUIT"), "{seen}");
    assert_eq!(
        srv.commands(),
        ["RSET", "QUIT"],
        "the cancelled line was never sent"
    );
}

#[test]
fn a_421_is_shown_while_the_prompt_waits() {
    let srv = SmtpServer::builder()
        .idle_timeout(Duration::from_millis(800))
        .start();
    let state = tempfile::tempdir().unwrap();
    let mut p = spawn(&[&srv.arg()], state.path(), false);
    let mut seen = String::new();
    expect(&mut p, "greeted> ", &mut seen);
    // Nothing typed: the shell notices the server's 421 on its own.
    expect(&mut p, "<-* 421 4.4.2", &mut seen);
    expect(&mut p, "the server closed the session (421)", &mut seen);
    keys(&mut p, "NOOP\r");
    expect(&mut p, "the session has ended", &mut seen);
    quit(p, &mut seen);
}

#[test]
fn data_is_typed_line_by_line_and_ended_with_a_dot() {
    let srv = SmtpServer::start_default();
    let state = tempfile::tempdir().unwrap();
    let mut p = spawn(&[&srv.arg()], state.path(), false);
    let mut seen = String::new();
    expect(&mut p, "greeted> ", &mut seen);
    for (line, next) in [
        ("EHLO me.example", "ready> "),
        ("MAIL FROM:<a@me.example>", "mail> "),
        ("RCPT TO:<b@example.test>", "rcpt> "),
    ] {
        keys(&mut p, &format!("{line}\r"));
        expect(&mut p, next, &mut seen);
    }
    keys(&mut p, "/data\r");
    expect(&mut p, "<-  354", &mut seen);
    for line in ["Subject: typed", "", ".dot", "."] {
        keys(&mut p, &format!("{line}\r"));
        std::thread::sleep(Duration::from_millis(100));
    }
    expect(&mut p, "queued as", &mut seen);
    quit(p, &mut seen);
    assert_eq!(srv.messages()[0].data, b"Subject: typed\r\n\r\n.dot\r\n");
}
