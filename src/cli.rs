//! The command line, declared with clap derive. Doc comments are the help text; no I/O here.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// SMTP connection tester: diagnose a domain's mail servers, send a test message with a live
/// transcript, type SMTP by hand, and have every 4xx/5xx reply explained.
#[derive(Debug, Parser)]
#[command(
    name = "smtp-doctor",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The exit codes, as shown in `--help` and the man page (same table as README and SPEC.md).
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0   success: every step asked for worked
  1   a check or script expectation failed
  2   usage error (bad flags or arguments)
  3   DNS: no such domain, no mail servers, null MX, resolver failure
  4   connection failed: refused, unreachable, connect timeout
  5   TLS failed: handshake, certificate, or STARTTLS required but unavailable
  6   authentication failed or impossible (no mechanism, plaintext refused)
  7   the server answered 5xx (permanent) where success was needed
  8   the server answered 4xx (transient) where success was needed
  9   protocol error: malformed reply, unexpected close, oversized reply
  10  timeout waiting for the server after connecting";

/// Flags every command accepts, before or after the command name.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Print JSON Lines events on stdout instead of the human transcript.
    #[arg(long, global = true)]
    pub json: bool,
    /// When to use colour (NO_COLOR in the environment means never, unless `always`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true, value_name = "WHEN")]
    pub color: ColorChoice,
    /// More detail: full explanations, transcripts of every probe.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less output: only errors and the result.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Deadline in seconds for each network step (each reply, write and TLS handshake).
    #[arg(long, global = true, default_value_t = 30.0, value_name = "SECS", value_parser = parse_secs)]
    pub timeout: f64,
    /// Deadline in seconds for each TCP connection attempt.
    #[arg(long, global = true, default_value_t = 10.0, value_name = "SECS", value_parser = parse_secs)]
    pub connect_timeout: f64,
    /// Ask this DNS server instead of the system resolver (like `dig @server`).
    #[arg(long, global = true, value_name = "IP[:PORT]")]
    pub dns_server: Option<String>,
    /// Use IPv4 addresses only.
    #[arg(short = '4', global = true, conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// Use IPv6 addresses only.
    #[arg(short = '6', global = true)]
    pub ipv6: bool,
    /// TLS implementation to use.
    #[arg(long, value_enum, default_value_t = TlsBackend::Rustls, global = true, value_name = "BACKEND")]
    pub tls_backend: TlsBackend,
    /// Also trust the CA certificates in this PEM file.
    #[arg(long, global = true, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Do not verify server certificates (the verdict is still reported, loudly).
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Make every CR and LF visible in the transcript.
    #[arg(long, global = true)]
    pub show_crlf: bool,
    /// Show AUTH payloads and passwords instead of redacting them.
    #[arg(long, global = true)]
    pub show_secrets: bool,
}

fn parse_secs(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !(v > 0.0 && v <= 86_400.0) {
        return Err(format!(
            "`{s}`: give a number of seconds between 0 and 86400"
        ));
    }
    Ok(v)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TlsBackend {
    /// rustls with the ring provider (default).
    Rustls,
    /// The platform's TLS library (OpenSSL on Linux).
    Native,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnose a domain's mail servers on ports 25, 587 and 465.
    Check(CheckArgs),
    /// Run one SMTP transaction with a live transcript (swaks-style).
    Send(Box<SendArgs>),
    /// Type SMTP by hand; runs a script when stdin is not a terminal.
    Shell(ShellArgs),
    /// Explain reply codes, reply lines, or a pasted bounce or log (stdin).
    Explain(ExplainArgs),
    /// Print shell completions.
    Completions {
        /// The shell to generate completions for.
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Print the man page (roff).
    Man,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Mail domains or addresses (`user@example.com` checks example.com).
    #[arg(value_name = "TARGET", required_unless_present = "server")]
    pub targets: Vec<String>,
    /// Probe this host instead of resolving MX.
    #[arg(short, long, value_name = "HOST[:PORT]")]
    pub server: Option<String>,
    /// Ports to probe, each PORT[/smtp|submission|tls] (465 means tls, 587 submission, any
    /// other smtp) [default: 25,587,465, or the port given in --server HOST:PORT].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub ports: Vec<String>,
    /// EHLO name to announce (default: this host's FQDN).
    #[arg(long, value_name = "NAME")]
    pub ehlo: Option<String>,
    /// Most probes in flight at once.
    #[arg(long, default_value_t = 16, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// SNI name to send (default: the host name probed).
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
}

/// Where a session should stop (`--quit-after`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum QuitAfter {
    /// Right after the TCP (or implicit TLS) connection, before reading the banner.
    Connect,
    /// After the server's greeting.
    Banner,
    /// After EHLO (or HELO).
    Ehlo,
    /// After STARTTLS and the second EHLO.
    Tls,
    /// After authentication.
    Auth,
    /// After MAIL FROM.
    Mail,
    /// After every RCPT TO.
    Rcpt,
    /// After DATA was accepted (354), without sending the message: the connection is closed,
    /// which aborts the transaction.
    Data,
    /// After the message and its final dot (the whole transaction).
    Dot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LineEnding {
    /// `\r\n`, as RFC 5321 requires.
    Crlf,
    /// A bare `\n`: what a broken client or a terminal sends.
    Lf,
    /// A bare `\r`.
    Cr,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// Recipient (repeatable; comma-separated lists too).
    #[arg(
        short,
        long = "to",
        value_name = "ADDR",
        value_delimiter = ',',
        required = true
    )]
    pub to: Vec<String>,
    /// Envelope sender and From: (default: smtp-doctor@this host's FQDN).
    #[arg(short, long, value_name = "ADDR")]
    pub from: Option<String>,
    /// Server to use instead of the first recipient's best MX.
    #[arg(short, long, value_name = "HOST[:PORT]")]
    pub server: Option<String>,
    /// Port (25 by default; 465 means implicit TLS, 587 STARTTLS required).
    #[arg(short, long, value_name = "PORT")]
    pub port: Option<u16>,
    /// EHLO name to announce (default: this host's FQDN).
    #[arg(long, value_name = "NAME")]
    pub ehlo: Option<String>,
    /// Say HELO instead of EHLO.
    #[arg(long)]
    pub helo: bool,
    /// Require STARTTLS: fail if the server does not offer it (never fall back).
    #[arg(long, conflicts_with_all = ["tls_optional", "tls_on_connect"])]
    pub starttls: bool,
    /// Use STARTTLS when offered, carry on in plaintext otherwise (default on port 25).
    #[arg(long, conflicts_with = "tls_on_connect")]
    pub tls_optional: bool,
    /// Implicit TLS from the first byte (default on port 465).
    #[arg(long)]
    pub tls_on_connect: bool,
    /// Do not use TLS at all, even when offered.
    #[arg(long, conflicts_with_all = ["starttls", "tls_optional", "tls_on_connect"])]
    pub no_tls: bool,
    /// SNI name to send (default: the server's host name).
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// Authenticate; without a value, the strongest mechanism offered.
    #[arg(short = 'a', long, value_enum, value_name = "MECH", num_args = 0..=1, default_missing_value = "auto", ignore_case = true)]
    pub auth: Option<AuthChoice>,
    /// User name for AUTH.
    #[arg(long, value_name = "USER")]
    pub auth_user: Option<String>,
    /// Password (or OAuth token for XOAUTH2); prompted without echo when absent on a terminal.
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "SMTP_DOCTOR_PASSWORD",
        hide_env_values = true
    )]
    pub auth_password: Option<String>,
    /// Allow sending credentials over a connection without TLS.
    #[arg(long)]
    pub allow_plaintext_auth: bool,
    /// Add a header (repeatable), e.g. "X-Test: 1"; replaces a default header of the same name.
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Subject of the generated message.
    #[arg(long, value_name = "TEXT")]
    pub subject: Option<String>,
    /// Body text, @FILE to read a file, or - for stdin.
    #[arg(long, value_name = "TEXT|@FILE|-")]
    pub body: Option<String>,
    /// Attach a file (repeatable); makes the message MIME multipart.
    #[arg(long = "attach", value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    /// Send this raw RFC 5322 message (FILE or - for stdin) instead of building one.
    #[arg(long, value_name = "FILE|-", conflicts_with_all = ["headers", "subject", "body", "attach"])]
    pub data: Option<String>,
    /// Stop cleanly after this step.
    #[arg(long, value_enum, value_name = "STEP")]
    pub quit_after: Option<QuitAfter>,
    /// Use PIPELINING when offered (RFC 2920).
    #[arg(long)]
    pub pipeline: bool,
    /// Declare BODY=8BITMIME on MAIL FROM (when offered).
    #[arg(long = "8bitmime")]
    pub eight_bit_mime: bool,
    /// Declare SMTPUTF8 on MAIL FROM (when offered).
    #[arg(long)]
    pub smtputf8: bool,
    /// Send the message with BDAT (CHUNKING, RFC 3030) when offered.
    #[arg(long)]
    pub chunking: bool,
    /// Line ending for commands: lf and cr deliberately break RFC 5321, to reproduce a broken client.
    #[arg(long, value_enum, default_value_t = LineEnding::Crlf, value_name = "ENDING")]
    pub line_ending: LineEnding,
}

/// `--auth` values: a mechanism, or `auto` for the strongest offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthChoice {
    Auto,
    Plain,
    Login,
    #[value(name = "cram-md5")]
    CramMd5,
    Xoauth2,
}

#[derive(Debug, Args)]
pub struct ShellArgs {
    /// HOST[:PORT], or a mail domain (its best MX). Without it, use /connect.
    #[arg(value_name = "TARGET")]
    pub target: Option<String>,
    /// Run this script file instead of reading commands interactively.
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,
    /// Connect with implicit TLS (default on port 465).
    #[arg(long)]
    pub tls: bool,
    /// SNI name to send (default: the server's host name).
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// Port, when TARGET has none (default 25; 465 means implicit TLS).
    #[arg(short, long, value_name = "PORT")]
    pub port: Option<u16>,
    /// Let /auth send credentials over a connection without TLS.
    #[arg(long)]
    pub allow_plaintext_auth: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Codes (502, 5.5.2) or reply lines; without any, read a bounce or log from stdin.
    #[arg(value_name = "REPLY")]
    pub replies: Vec<String>,
}
