//! TLS trust for both protocols: the system's roots plus, per account, one extra CA or
//! self-signed server certificate (Thunderbird's "certificate exception"). Verification is
//! never turned off; there is no "accept any certificate" switch.

use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use crate::error::{Error, ErrorKind, Result};

/// A certificate the user chose to trust for one account, kept as PEM with its fingerprint so
/// the UI can show what was trusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TrustedCertificate {
    pub pem: String,
    /// SHA-256 of the DER bytes, as colon-separated upper-case hex (as Thunderbird shows it).
    pub sha256_fingerprint: String,
}

impl TrustedCertificate {
    /// Parses the first certificate in `pem` and computes its fingerprint.
    pub fn from_pem(pem: &str) -> Result<Self> {
        let der = first_certificate(pem)?;
        Ok(TrustedCertificate {
            pem: pem.trim().to_owned(),
            sha256_fingerprint: fingerprint(&der),
        })
    }

    fn der(&self) -> Result<CertificateDer<'static>> {
        first_certificate(&self.pem)
    }
}

fn first_certificate(pem: &str) -> Result<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .next()
        .ok_or_else(|| Error::new(ErrorKind::Parse, "the file holds no PEM certificate"))?
        .map_err(|error| {
            Error::new(
                ErrorKind::Parse,
                format!("the certificate cannot be read: {error}"),
            )
        })
}

pub fn fingerprint(der: &[u8]) -> String {
    let digest = Sha256::digest(der);
    let hex: Vec<String> = digest.iter().map(|byte| format!("{byte:02X}")).collect();
    hex.join(":")
}

/// The system's trust anchors, loaded once per process (reading /etc/ssl/certs is slow).
fn system_roots() -> &'static RootCertStore {
    static ROOTS: std::sync::OnceLock<RootCertStore> = std::sync::OnceLock::new();
    ROOTS.get_or_init(|| {
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        for error in &native.errors {
            tracing::warn!("skipping a system certificate: {error}");
        }
        let (added, _ignored) = roots.add_parsable_certificates(native.certs);
        if added == 0 {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        roots
    })
}

/// A rustls client configuration trusting the system roots plus the account's extra certificate.
pub fn client_config(extra: Option<&TrustedCertificate>) -> Result<Arc<ClientConfig>> {
    client_config_trusting(extra)
}

/// A rustls client configuration trusting the system roots plus every certificate in `extra`
/// (account discovery in tests trusts both the mail servers' and the web server's test CAs).
pub fn client_config_trusting<'a>(
    extra: impl IntoIterator<Item = &'a TrustedCertificate>,
) -> Result<Arc<ClientConfig>> {
    let mut roots = system_roots().clone();
    for extra in extra {
        roots.add(extra.der()?).map_err(|error| {
            Error::new(
                ErrorKind::Parse,
                format!("the trusted certificate is not usable: {error}"),
            )
        })?;
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| Error::internal(format!("TLS setup failed: {error}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_a_parse_error_not_a_panic() {
        let error = TrustedCertificate::from_pem("not a certificate").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Parse);
    }

    #[test]
    fn fingerprint_is_colon_separated_upper_hex() {
        let text = fingerprint(b"abc");
        assert_eq!(text.len(), 32 * 3 - 1);
        assert!(text.starts_with("BA:78:16:BF"));
    }
}
