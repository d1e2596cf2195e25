//! `crate::smtp` for the script fuzz target: only the reply module the grammar uses.
#[allow(dead_code)]
#[path = "../../src/smtp/reply.rs"]
pub mod reply;
