//! In-process test servers for the integration tests: a fake SMTP server that can be made to
//! misbehave ([`smtp`]), a tiny authoritative DNS server ([`dns`]) and the test PKI
//! ([`certs`]). Include with `mod support;` from a test file in tests/.
//!
//! Everything listens on 127.0.0.1:0 only, runs on std threads, and stops when dropped.
#![allow(dead_code, unused_imports)]

pub mod certs;
pub mod dns;
pub mod smtp;

pub use certs::{CertKind, TestCerts};
pub use dns::{DnsQuery, DnsServer};
pub use smtp::{
    AuthAttempt, Malformed, Misbehave, ReceivedMessage, Reply, Rule, SessionRecord, SmtpServer,
    Step, Then,
};
