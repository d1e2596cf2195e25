//! TLS for SMTP: rustls (ring) by default, native-tls behind `--tls-backend native`, both
//! producing the same [`TlsInfo`]. The handshake is driven here, explicitly and under a deadline,
//! so that a bad certificate is a TLS error carrying the certificate's details rather than a
//! vague I/O error on the next read.

use super::cert::CertInfo;
use super::stream::Stream;
use crate::cli::TlsBackend;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore,
};
use rustls_pki_types::pem::PemObject;
use serde::Serialize;
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

/// What the TLS layer needs to know.
#[derive(Debug, Clone)]
pub struct TlsParams {
    pub backend: TlsBackend,
    pub ca_file: Option<PathBuf>,
    /// Skip verification (the verdict is still computed and reported).
    pub insecure: bool,
    /// The name to send as SNI and verify the certificate against.
    pub server_name: String,
}

/// What a certificate check said, in the terms a postmaster uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertProblem {
    Expired,
    NotYetValid,
    /// Signed by an issuer the trust store does not know.
    Untrusted,
    SelfSigned,
    /// Valid, but not for the name we connected to.
    NameMismatch,
    Revoked,
    Other,
}

impl CertProblem {
    pub fn describe(self) -> &'static str {
        match self {
            CertProblem::Expired => "the certificate has expired",
            CertProblem::NotYetValid => "the certificate is not valid yet",
            CertProblem::Untrusted => "the certificate is signed by an untrusted issuer",
            CertProblem::SelfSigned => "the certificate is self-signed",
            CertProblem::NameMismatch => "the certificate does not match the server name",
            CertProblem::Revoked => "the certificate has been revoked",
            CertProblem::Other => "the certificate is invalid",
        }
    }
}

/// The negotiated session, for the transcript and the report.
#[derive(Debug, Clone, Serialize)]
pub struct TlsInfo {
    pub backend: &'static str,
    /// `TLS 1.3`, `TLS 1.2`, ... (`unknown` where the backend does not say).
    pub version: String,
    pub cipher: String,
    /// The name used for SNI and verification.
    pub server_name: String,
    /// Leaf first.
    pub chain: Vec<CertInfo>,
    /// The certificate verified (trusted chain, valid dates, matching name).
    pub verified: bool,
    /// What verification said when it failed (also with `--insecure`).
    pub verify_error: Option<String>,
    pub cert_problem: Option<CertProblem>,
    /// The SAN or CN of the leaf that matched `server_name`.
    pub matched_name: Option<String>,
    /// Verification was skipped on request.
    pub insecure: bool,
}

impl TlsInfo {
    /// `TLS 1.3` as a comparable number (13), for the "below 1.2" finding.
    pub fn version_number(&self) -> Option<u8> {
        match self.version.as_str() {
            "TLS 1.3" => Some(13),
            "TLS 1.2" => Some(12),
            "TLS 1.1" => Some(11),
            "TLS 1.0" => Some(10),
            "SSL 3.0" => Some(3),
            _ => None,
        }
    }
}

/// A failed handshake: what happened, and what we saw of the certificate if we got that far.
#[derive(Debug, Clone, Serialize)]
pub struct TlsFailure {
    pub message: String,
    pub cert_problem: Option<CertProblem>,
    pub chain: Vec<CertInfo>,
    pub server_name: String,
    /// The deadline ran out.
    pub timed_out: bool,
    /// The server offered only a protocol version below TLS 1.2 (which smtp-doctor, like
    /// RFC 8996 and RFC 9325 §3.1.1, refuses to speak). Omitted from JSON when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub old_version: bool,
}

/// Runs the client handshake on `tcp` and returns the encrypted stream. `deadline` bounds the
/// whole handshake, however the server paces its bytes.
pub fn handshake(
    tcp: TcpStream,
    params: &TlsParams,
    deadline: Instant,
) -> Result<(Stream, TlsInfo), TlsFailure> {
    match params.backend {
        TlsBackend::Rustls => rustls_handshake(tcp, params, deadline),
        TlsBackend::Native => native_handshake(tcp, params, deadline),
    }
}

fn failure(params: &TlsParams, message: String) -> TlsFailure {
    TlsFailure {
        message,
        cert_problem: None,
        chain: vec![],
        server_name: params.server_name.clone(),
        timed_out: false,
        old_version: false,
    }
}

/// The system trust store, loaded once per process. Where the system keeps one PEM bundle
/// (as every Linux distribution does), reading that single file takes a millisecond or two;
/// rustls-native-certs would also read every hashed file in the certificates directory, which
/// costs tens of milliseconds per run. Elsewhere, or when no bundle exists, it is the fallback.
fn native_roots() -> &'static Vec<CertificateDer<'static>> {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        if let Some(certs) = system_bundle() {
            return certs;
        }
        rustls_native_certs::load_native_certs().certs
    })
}

/// The distribution's CA bundle (SSL_CERT_FILE first, as OpenSSL does), when readable and
/// non-empty.
fn system_bundle() -> Option<Vec<CertificateDer<'static>>> {
    const BUNDLES: &[&str] = &[
        "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Arch, Gentoo
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // Fedora, RHEL
        "/etc/pki/tls/certs/ca-bundle.crt",   // older RHEL
        "/etc/ssl/ca-bundle.pem",             // openSUSE
        "/etc/ssl/cert.pem",                  // Alpine, BSDs
    ];
    let from_env = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
    let candidates = from_env
        .into_iter()
        .chain(BUNDLES.iter().map(PathBuf::from));
    for path in candidates {
        let Ok(iter) = CertificateDer::pem_file_iter(&path) else {
            continue;
        };
        let certs: Vec<_> = iter.filter_map(|c| c.ok()).collect();
        if !certs.is_empty() {
            return Some(certs);
        }
    }
    None
}

fn ca_file_certs(params: &TlsParams) -> Result<Vec<CertificateDer<'static>>, TlsFailure> {
    let Some(path) = &params.ca_file else {
        return Ok(vec![]);
    };
    let certs: Result<Vec<_>, _> = match CertificateDer::pem_file_iter(path) {
        Ok(iter) => iter.collect(),
        Err(e) => Err(e),
    };
    match certs {
        Ok(c) if !c.is_empty() => Ok(c),
        Ok(_) => Err(failure(
            params,
            format!("--ca-file {}: no certificates in it", path.display()),
        )),
        Err(e) => Err(failure(
            params,
            format!("--ca-file {}: {e}", path.display()),
        )),
    }
}

fn root_store(params: &TlsParams) -> Result<RootCertStore, TlsFailure> {
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(native_roots().iter().cloned());
    for cert in ca_file_certs(params)? {
        roots
            .add(cert)
            .map_err(|e| failure(params, format!("--ca-file: unusable CA certificate: {e}")))?;
    }
    Ok(roots)
}

/// Wraps webpki's verifier: records the chain and the verdict, and in `--insecure` mode accepts
/// anyway, so the report can still say what verification would have said.
#[derive(Debug)]
struct RecordingVerifier {
    /// webpki over the trust store; `None` when the store is empty (only with `--insecure`):
    /// then every chain is "untrusted", but signatures are still checked.
    inner: Option<Arc<rustls::client::WebPkiServerVerifier>>,
    insecure: bool,
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    chain: Vec<CertificateDer<'static>>,
    verdict: Option<Result<(), rustls::Error>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = match &self.inner {
            Some(inner) => {
                inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            None => Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
        };
        if let Ok(mut seen) = self.seen.lock() {
            seen.chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect();
            seen.verdict = Some(verdict.as_ref().map(|_| ()).map_err(Clone::clone));
        }
        match verdict {
            Ok(v) => Ok(v),
            Err(_) if self.insecure => Ok(ServerCertVerified::assertion()),
            Err(e) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        match &self.inner {
            Some(inner) => inner.verify_tls12_signature(message, cert, dss),
            None => rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &provider().signature_verification_algorithms,
            ),
        }
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        match &self.inner {
            Some(inner) => inner.verify_tls13_signature(message, cert, dss),
            None => rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &provider().signature_verification_algorithms,
            ),
        }
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        match &self.inner {
            Some(inner) => inner.supported_verify_schemes(),
            None => provider()
                .signature_verification_algorithms
                .supported_schemes(),
        }
    }
}

fn classify(err: &rustls::Error, chain: &[CertInfo]) -> Option<CertProblem> {
    let rustls::Error::InvalidCertificate(cert_err) = err else {
        return None;
    };
    let self_signed = chain.len() == 1 && chain[0].self_signed;
    Some(match cert_err {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => CertProblem::Expired,
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            CertProblem::NotYetValid
        }
        CertificateError::UnknownIssuer if self_signed => CertProblem::SelfSigned,
        CertificateError::UnknownIssuer => CertProblem::Untrusted,
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            CertProblem::NameMismatch
        }
        CertificateError::Revoked => CertProblem::Revoked,
        _ if self_signed => CertProblem::SelfSigned,
        _ => CertProblem::Other,
    })
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    static PROVIDER: OnceLock<Arc<rustls::crypto::CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

fn rustls_handshake(
    mut tcp: TcpStream,
    params: &TlsParams,
    deadline: Instant,
) -> Result<(Stream, TlsInfo), TlsFailure> {
    let roots = root_store(params)?;
    if roots.is_empty() && !params.insecure {
        return Err(failure(
            params,
            "no trusted CA certificates: the system trust store is empty and no --ca-file was given"
                .into(),
        ));
    }
    let inner = if roots.is_empty() {
        None
    } else {
        let built = rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            provider(),
        )
        .build()
        .map_err(|e| failure(params, format!("certificate verifier: {e}")))?;
        Some(built)
    };
    let verifier = Arc::new(RecordingVerifier {
        inner,
        insecure: params.insecure,
        seen: Mutex::default(),
    });
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| failure(params, format!("TLS configuration: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(params.server_name.clone()).map_err(|_| {
        failure(
            params,
            format!("`{}` is not a valid TLS server name", params.server_name),
        )
    })?;
    let mut conn = ClientConnection::new(Arc::new(config), name)
        .map_err(|e| failure(params, format!("TLS setup: {e}")))?;

    let result = drive_rustls(&mut conn, &mut tcp, deadline);
    let seen = verifier
        .seen
        .lock()
        .map(|mut s| std::mem::take(&mut *s))
        .unwrap_or_default();
    let chain: Vec<CertInfo> = seen.chain.iter().map(|c| CertInfo::from_der(c)).collect();
    let verify_error = match &seen.verdict {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let cert_problem = match &seen.verdict {
        Some(Err(e)) => classify(e, &chain),
        _ => None,
    };

    if let Err(e) = result {
        let old_version = matches!(&e, HandshakeError::Tls(t) if is_old_version(t));
        let (message, timed_out) = match &e {
            HandshakeError::Timeout => ("the TLS handshake timed out".to_string(), true),
            HandshakeError::Io(e) => (format!("the TLS handshake failed: {e}"), false),
            HandshakeError::Tls(e) => (format!("the TLS handshake failed: {e}"), false),
        };
        return Err(TlsFailure {
            message,
            cert_problem,
            chain,
            server_name: params.server_name.clone(),
            timed_out,
            old_version,
        });
    }

    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2".to_string(),
        Some(v) => format!("{v:?}"),
        None => "unknown".into(),
    };
    let cipher = conn
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()).replacen("TLS13_", "TLS_", 1))
        .unwrap_or_else(|| "unknown".into());
    let matched_name = chain
        .first()
        .and_then(|c| c.matching_name(&params.server_name));
    let info = TlsInfo {
        backend: "rustls",
        version,
        cipher,
        server_name: params.server_name.clone(),
        verified: verify_error.is_none(),
        verify_error,
        cert_problem,
        matched_name,
        chain,
        insecure: params.insecure,
    };
    let stream = rustls::StreamOwned::new(conn, tcp);
    Ok((Stream::Rustls(Box::new(stream)), info))
}

/// Whether a handshake error means the server speaks only TLS 1.1 or older: it chose such a
/// version in its ServerHello, or refused ours with a `protocol_version` alert (RFC 8446 §6.2).
fn is_old_version(err: &rustls::Error) -> bool {
    matches!(
        err,
        rustls::Error::PeerIncompatible(rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13)
            | rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion)
    )
}

enum HandshakeError {
    Timeout,
    Io(std::io::Error),
    Tls(rustls::Error),
}

/// Pumps the handshake until it completes, resetting the socket timeouts to what is left of the
/// deadline before every read and write.
fn drive_rustls(
    conn: &mut ClientConnection,
    tcp: &mut TcpStream,
    deadline: Instant,
) -> Result<(), HandshakeError> {
    while conn.is_handshaking() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HandshakeError::Timeout);
        }
        let _ = tcp.set_read_timeout(Some(left));
        let _ = tcp.set_write_timeout(Some(left));
        super::stream::quick_ack(tcp);
        match conn.complete_io(tcp) {
            Ok((0, 0)) if conn.is_handshaking() && !conn.wants_write() => {
                return Err(HandshakeError::Io(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the server closed the connection during the handshake",
                )));
            }
            Ok(_) => {}
            Err(e) => {
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) {
                    return Err(HandshakeError::Timeout);
                }
                // rustls reports its own errors (bad certificate, alerts) wrapped in io::Error
                // with InvalidData; unwrap them so they can be classified.
                if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                    return Err(HandshakeError::Tls(inner.clone()));
                }
                return Err(HandshakeError::Io(e));
            }
        }
    }
    // Flush what remains (the client Finished) so the server sees a complete handshake.
    while conn.wants_write() {
        conn.write_tls(tcp).map_err(HandshakeError::Io)?;
    }
    Ok(())
}

fn native_handshake(
    tcp: TcpStream,
    params: &TlsParams,
    deadline: Instant,
) -> Result<(Stream, TlsInfo), TlsFailure> {
    let mut builder = native_tls::TlsConnector::builder();
    builder.danger_accept_invalid_certs(params.insecure);
    builder.danger_accept_invalid_hostnames(params.insecure);
    for der in ca_file_certs(params)? {
        let cert = native_tls::Certificate::from_der(&der)
            .map_err(|e| failure(params, format!("--ca-file: {e}")))?;
        builder.add_root_certificate(cert);
    }
    let connector = builder
        .build()
        .map_err(|e| failure(params, format!("TLS setup: {e}")))?;
    // native-tls drives the handshake inside connect(); the socket timeouts bound each read and
    // write, and we check the overall deadline afterwards.
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(std::time::Duration::from_millis(1));
    let _ = tcp.set_read_timeout(Some(left));
    let _ = tcp.set_write_timeout(Some(left));
    let stream = match connector.connect(&params.server_name, tcp) {
        Ok(s) => s,
        Err(native_tls::HandshakeError::Failure(e)) => {
            let text = e.to_string();
            let lower = text.to_ascii_lowercase();
            let cert_problem = if lower.contains("expired") {
                Some(CertProblem::Expired)
            } else if lower.contains("self-signed") || lower.contains("self signed") {
                Some(CertProblem::SelfSigned)
            } else if lower.contains("hostname mismatch") || lower.contains("ip address mismatch") {
                Some(CertProblem::NameMismatch)
            } else if lower.contains("unable to get local issuer") || lower.contains("unknown ca") {
                Some(CertProblem::Untrusted)
            } else if lower.contains("not yet valid") {
                Some(CertProblem::NotYetValid)
            } else {
                None
            };
            let timed_out = lower.contains("timed out") || lower.contains("would block");
            let old_version = lower.contains("unsupported protocol");
            return Err(TlsFailure {
                message: format!("the TLS handshake failed: {text}"),
                cert_problem,
                chain: vec![],
                server_name: params.server_name.clone(),
                timed_out,
                old_version,
            });
        }
        Err(native_tls::HandshakeError::WouldBlock(_)) => {
            let mut f = failure(params, "the TLS handshake timed out".into());
            f.timed_out = true;
            return Err(f);
        }
    };
    let chain: Vec<CertInfo> = stream
        .peer_certificate()
        .ok()
        .flatten()
        .and_then(|c| c.to_der().ok())
        .map(|der| vec![CertInfo::from_der(&der)])
        .unwrap_or_default();
    let matched_name = chain
        .first()
        .and_then(|c| c.matching_name(&params.server_name));
    let info = TlsInfo {
        backend: "native",
        // native-tls exposes neither the protocol version nor the cipher suite.
        version: "unknown".into(),
        cipher: "unknown".into(),
        server_name: params.server_name.clone(),
        verified: !params.insecure,
        verify_error: params
            .insecure
            .then(|| "not verified (--insecure with the native backend)".into()),
        cert_problem: None,
        matched_name,
        chain,
        insecure: params.insecure,
    };
    Ok((Stream::Native(Box::new(stream)), info))
}
