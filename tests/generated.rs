//! completions/ and man/ are generated from the clap definition and checked in. This test
//! regenerates them through the binary and fails when the checked-in copies are stale.
//! `SMTP_DOCTOR_REGENERATE=1 cargo test --test generated` rewrites them.

mod common;

use std::path::Path;

fn check(args: &[&str], path: &str) {
    let out = common::smtp_doctor()
        .args(args)
        .output()
        .expect("run the binary");
    assert!(out.status.success(), "{args:?} failed");
    assert!(!out.stdout.is_empty(), "{args:?} printed nothing");
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("SMTP_DOCTOR_REGENERATE").is_some() {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, &out.stdout).unwrap();
        return;
    }
    let on_disk = std::fs::read(&file).unwrap_or_default();
    assert!(
        on_disk == out.stdout,
        "{path} is stale: regenerate with `SMTP_DOCTOR_REGENERATE=1 cargo test --test generated`"
    );
}

#[test]
fn completions_are_current() {
    check(&["completions", "bash"], "completions/smtp-doctor.bash");
    check(&["completions", "zsh"], "completions/_smtp-doctor");
    check(&["completions", "fish"], "completions/smtp-doctor.fish");
    check(
        &["completions", "powershell"],
        "completions/_smtp-doctor.ps1",
    );
    check(&["completions", "elvish"], "completions/smtp-doctor.elv");
}

#[test]
fn man_page_is_current() {
    check(&["man"], "man/smtp-doctor.1");
}

#[test]
fn man_page_documents_the_exit_codes() {
    let out = common::smtp_doctor().arg("man").output().unwrap();
    let man = String::from_utf8_lossy(&out.stdout);
    for line in [
        "timeout waiting for the server after connecting",
        "protocol error",
        "usage error",
    ] {
        assert!(man.contains(line), "man page lacks {line:?}");
    }
}
