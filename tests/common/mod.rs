//! Helpers shared by the integration tests that drive the built binary.
#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::time::Duration;

/// The binary with a scrubbed environment (hermetic: no NO_COLOR, no password variables, no
/// locale surprises) and a generous overall timeout so a hang fails the test instead of CI.
pub fn smtp_doctor() -> Command {
    let mut cmd = Command::cargo_bin("smtp-doctor").expect("binary built");
    cmd.env_clear();
    cmd.env("HOME", std::env::temp_dir());
    cmd.timeout(Duration::from_secs(60));
    cmd
}

/// Parses JSON Lines output; panics (failing the test) on a line that is not JSON.
pub fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect()
}

/// The events named `name`.
pub fn events<'a>(all: &'a [Value], name: &str) -> Vec<&'a Value> {
    all.iter().filter(|e| e["event"] == name).collect()
}

/// The final `result` event (`send`, `shell`).
pub fn result(all: &[Value]) -> &Value {
    all.iter()
        .rev()
        .find(|e| e["event"] == "result")
        .expect("a result event")
}

/// The final `report` event of `check`, which must be the last line.
pub fn report(all: &[Value]) -> &Value {
    let last = all.last().expect("some events");
    assert_eq!(
        last["event"], "report",
        "check must end with its report: {last}"
    );
    last
}

/// Lines the client sent, as the `send` events show them.
pub fn sent_lines(all: &[Value]) -> Vec<String> {
    events(all, "send")
        .iter()
        .map(|e| e["line"].as_str().unwrap_or("").to_string())
        .collect()
}

/// stdout as text.
pub fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// The real-server environment written by tests/real/setup.sh (`KEY=value` lines), or `None`
/// when it is absent. With `SMTP_DOCTOR_REAL=required` (as .ci/run sets) absence is a failure,
/// so CI can never silently skip the real-server tests.
pub fn real_env() -> Option<std::collections::HashMap<String, String>> {
    let dir =
        std::env::var("SMTP_DOCTOR_REAL_DIR").unwrap_or_else(|_| "/tmp/smtp-doctor-real".into());
    let path = std::path::Path::new(&dir).join("env");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(
            text.lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
                .collect(),
        ),
        Err(e) => {
            if std::env::var("SMTP_DOCTOR_REAL").as_deref() == Ok("required") {
                panic!(
                    "SMTP_DOCTOR_REAL=required but {} is unreadable: {e}",
                    path.display()
                );
            }
            eprintln!(
                "note: skipping real-server test: {} not found (run tests/real/setup.sh)",
                path.display()
            );
            None
        }
    }
}

/// Waits up to 10 s for a file in `dir` whose content contains `needle`; returns its bytes.
pub fn wait_for_mail(dir: &str, needle: &str) -> Option<Vec<u8>> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                if let Ok(bytes) = std::fs::read(e.path())
                    && String::from_utf8_lossy(&bytes).contains(needle)
                {
                    return Some(bytes);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// A token unique to this test run, for finding one's own message in a shared mailbox.
pub fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{tag}-{}-{nanos}", std::process::id())
}
