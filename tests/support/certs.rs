//! Test PKI: one throw-away CA and leaf certificates signed by it (plus one that is not),
//! generated once per test process with rcgen.
//!
//! Each [`CertKind`] gives a ready rustls [`ServerConfig`] for the fake servers; the CA is
//! written as PEM to a file under cargo's per-target temporary directory so a test can pass
//! it to the binary as `--ca-file`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, date_time_ymd,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

/// The names every "good" leaf certificate is valid for.
pub const VALID_NAMES: &[&str] = &[
    "localhost",
    "mail.test.example",
    "mx1.test.example",
    "mx2.test.example",
];

/// Which leaf certificate a TLS-speaking fake server presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CertKind {
    /// Signed by the test CA; SANs `localhost`, `mail.test.example`, `mx1.test.example`,
    /// `mx2.test.example` and IP `127.0.0.1`; valid for years.
    Valid,
    /// Signed by the test CA, right names, but `not_after` is in the past (2021-01-01).
    Expired,
    /// Signed by the test CA, but the only SAN is `wrong.example`.
    WrongHost,
    /// Right names and dates, but self-signed (not issued by the test CA).
    SelfSigned,
    /// Signed by the test CA, right names, `not_after` five days from now.
    ExpiringSoon,
}

impl CertKind {
    /// Every kind, for table-driven tests.
    pub const ALL: [CertKind; 5] = [
        CertKind::Valid,
        CertKind::Expired,
        CertKind::WrongHost,
        CertKind::SelfSigned,
        CertKind::ExpiringSoon,
    ];
}

/// One generated leaf: its chain, key, and the PEM files on disk.
pub struct Leaf {
    /// Leaf certificate first, then the CA certificate (empty CA part for `SelfSigned`).
    pub chain: Vec<CertificateDer<'static>>,
    /// PKCS#8 DER of the leaf's private key.
    pub key_der: Vec<u8>,
    /// The leaf certificate (and CA, when issued by it) as PEM on disk.
    pub cert_pem_path: PathBuf,
    /// The leaf's private key as PEM on disk.
    pub key_pem_path: PathBuf,
    /// A rustls server configuration presenting this leaf.
    pub server_config: Arc<ServerConfig>,
}

/// The process-wide test PKI. Get it with [`TestCerts::get`].
pub struct TestCerts {
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    ca_file: PathBuf,
    leaves: Vec<(CertKind, Leaf)>,
    // Held so the directory is not removed while the process runs.
    _dir: tempfile::TempDir,
}

static CERTS: OnceLock<TestCerts> = OnceLock::new();

impl TestCerts {
    /// The test PKI, generated on first use and shared by every test in the process.
    pub fn get() -> &'static TestCerts {
        CERTS.get_or_init(|| generate().expect("generating test certificates"))
    }

    /// The test CA as PEM text.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The test CA certificate (DER).
    pub fn ca_der(&self) -> &CertificateDer<'static> {
        &self.ca_der
    }

    /// Path of a PEM file holding the test CA: pass it as `--ca-file`.
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    /// Everything about one leaf.
    pub fn leaf(&self, kind: CertKind) -> &Leaf {
        &self
            .leaves
            .iter()
            .find(|(k, _)| *k == kind)
            .expect("every kind is generated")
            .1
    }

    /// A rustls server configuration presenting `kind`'s certificate.
    pub fn server_config(&self, kind: CertKind) -> Arc<ServerConfig> {
        self.leaf(kind).server_config.clone()
    }

    /// A rustls client configuration that trusts only the test CA (for tests that talk to
    /// the fake servers directly instead of through the binary).
    pub fn client_config(&self) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots
            .add(self.ca_der.clone())
            .expect("test CA is a valid trust anchor");
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    }
}

/// The crypto provider used everywhere in tests (the crate builds rustls with ring only).
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const DIR_PREFIX: &str = "smtp-doctor-certs-";

/// The directory lives as long as the process (a static is never dropped), so remove the
/// ones earlier test processes left behind, once they are an hour old.
fn remove_stale_dirs(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(3600));
        if stale && entry.file_name().to_string_lossy().starts_with(DIR_PREFIX) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn generate() -> Result<TestCerts, BoxError> {
    let parent = Path::new(env!("CARGO_TARGET_TMPDIR"));
    remove_stale_dirs(parent);
    let dir = tempfile::Builder::new()
        .prefix(DIR_PREFIX)
        .tempdir_in(parent)?;

    // The CA.
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = rcgen::DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "smtp-doctor Test CA");
    ca_params
        .distinguished_name
        .push(DnType::OrganizationName, "smtp-doctor tests");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_before = date_time_ymd(2020, 1, 1);
    ca_params.not_after = date_time_ymd(2099, 1, 1);
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let ca_pem = ca_cert.pem();
    let ca_der = ca_cert.der().clone();
    let issuer = Issuer::new(ca_params, ca_key);

    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca_pem)?;

    let unix_now = date_time_ymd(1970, 1, 1) + SystemTime::now().duration_since(UNIX_EPOCH)?;
    let day = Duration::from_secs(86_400);

    let mut leaves = Vec::new();
    for kind in CertKind::ALL {
        let mut names: Vec<String> = VALID_NAMES.iter().map(|s| s.to_string()).collect();
        names.push("127.0.0.1".to_string());
        let mut not_before = unix_now - 30 * day;
        let mut not_after = unix_now + 3650 * day;
        let mut cn = "mail.test.example";
        match kind {
            CertKind::Valid | CertKind::SelfSigned => {}
            CertKind::Expired => {
                not_before = date_time_ymd(2020, 1, 1);
                not_after = date_time_ymd(2021, 1, 1);
            }
            CertKind::WrongHost => {
                names = vec!["wrong.example".to_string()];
                cn = "wrong.example";
            }
            CertKind::ExpiringSoon => {
                not_before = unix_now - 85 * day;
                // Five days and a bit, so "5 days left" holds for the whole test run.
                not_after = unix_now + 5 * day + Duration::from_secs(3600);
            }
        }
        let mut params = CertificateParams::new(names)?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.not_before = not_before;
        params.not_after = not_after;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = kind != CertKind::SelfSigned;

        let key = KeyPair::generate()?;
        let (cert, chain_pem, chain) = if kind == CertKind::SelfSigned {
            let cert = params.self_signed(&key)?;
            let pem = cert.pem();
            let chain = vec![cert.der().clone()];
            (cert, pem, chain)
        } else {
            let cert = params.signed_by(&key, &issuer)?;
            let pem = format!("{}{}", cert.pem(), ca_pem);
            let chain = vec![cert.der().clone(), ca_der.clone()];
            (cert, pem, chain)
        };
        drop(cert);

        let name = format!("{kind:?}").to_lowercase();
        let cert_pem_path = dir.path().join(format!("{name}.crt.pem"));
        let key_pem_path = dir.path().join(format!("{name}.key.pem"));
        std::fs::write(&cert_pem_path, chain_pem)?;
        std::fs::write(&key_pem_path, key.serialize_pem())?;

        let key_der = key.serialize_der();
        let server_config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(
                chain.clone(),
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der.clone())),
            )?;

        leaves.push((
            kind,
            Leaf {
                chain,
                key_der,
                cert_pem_path,
                key_pem_path,
                server_config: Arc::new(server_config),
            },
        ));
    }

    Ok(TestCerts {
        ca_pem,
        ca_der,
        ca_file,
        leaves,
        _dir: dir,
    })
}
