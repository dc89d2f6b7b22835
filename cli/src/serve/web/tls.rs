//! `tls_server_config` as a rustls server config: the certificate and key (checked to match),
//! the client-certificate policy, versions, cipher suites and curves, by Go's names.

use super::client_cert::AnyClientCert;
use super::{ClientAuth, Curve, Pem, TlsSettings, TlsVersion};
use rustls::crypto::{aws_lc_rs, CryptoProvider, SupportedKxGroup};
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::danger::ClientCertVerifier;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, SupportedCipherSuite, SupportedProtocolVersion};
use std::sync::Arc;

/// Go's TLS 1.3 suites: Go accepts their names in `cipher_suites` but does not let them be
/// chosen (every TLS 1.3 suite stays on), and so does serve.
const GO_TLS13_SUITES: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];

/// Suites Go's `tls.CipherSuites()` names (so exporter-toolkit takes them) that rustls does not
/// implement: CBC modes and RSA key exchange.
const GO_SUITES_RUSTLS_LACKS: &[&str] = &[
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
];

/// The ALPN names of HTTP/2 and HTTP/1.1.
pub(super) const H2: &[u8] = b"h2";
const HTTP1: &[u8] = b"http/1.1";

/// The rustls config `settings` ask for, offering HTTP/2 by ALPN where `http2`.
pub(super) fn server_config(settings: &TlsSettings, http2: bool) -> Result<ServerConfig, String> {
    let defaults = aws_lc_rs::default_provider();
    let provider = Arc::new(CryptoProvider {
        cipher_suites: cipher_suites(&settings.cipher_suites, &defaults.cipher_suites)?,
        kx_groups: kx_groups(&settings.curve_preferences, &defaults.kx_groups),
        ..defaults
    });
    let versions: Vec<&'static SupportedProtocolVersion> = [
        (TlsVersion::Tls12, &rustls::version::TLS12),
        (TlsVersion::Tls13, &rustls::version::TLS13),
    ]
    .into_iter()
    .filter(|(v, _)| (settings.min_version..=settings.max_version).contains(v))
    .map(|(_, version)| version)
    .collect();
    let chain = certificates(&settings.cert, "cert")?;
    let key = private_key(&settings.key)?;
    let verifier = client_verifier(settings, &provider)?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions)
        .map_err(|e| format!("tls_server_config: {e} (cipher_suites against the versions)"))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => format!(
                "{}: the key does not match the certificate of {}",
                source(&settings.key, "key"),
                source(&settings.cert, "cert")
            ),
            other => format!("{}: {other}", source(&settings.key, "key")),
        })?;
    config.ignore_client_order = settings.prefer_server_cipher_suites;
    config.alpn_protocols = if http2 {
        vec![H2.to_vec(), HTTP1.to_vec()]
    } else {
        vec![HTTP1.to_vec()]
    };
    Ok(config)
}

/// The TLS 1.2 suites `names` (Go's) allow, in their order, then every TLS 1.3 suite; all of
/// `available` where `names` is empty.
fn cipher_suites(
    names: &[String],
    available: &[SupportedCipherSuite],
) -> Result<Vec<SupportedCipherSuite>, String> {
    if names.is_empty() {
        return Ok(available.to_vec());
    }
    let is_tls13 = |s: &SupportedCipherSuite| matches!(s, SupportedCipherSuite::Tls13(_));
    let mut chosen = Vec::new();
    for name in names {
        if GO_TLS13_SUITES.contains(&name.as_str()) {
            continue;
        }
        let found = available
            .iter()
            .find(|s| !is_tls13(s) && s.suite().as_str() == Some(name.as_str()));
        match found {
            Some(suite) => chosen.push(*suite),
            None if GO_SUITES_RUSTLS_LACKS.contains(&name.as_str()) => {
                return Err(format!(
                    "tls_server_config.cipher_suites: {name} is not offered by rustls \
                     (no CBC modes, no RSA key exchange); choose among {}",
                    tls12_names(available)
                ))
            }
            None => {
                return Err(format!(
                    "tls_server_config.cipher_suites: unknown cipher {name}; choose among {}",
                    tls12_names(available)
                ))
            }
        }
    }
    chosen.extend(available.iter().filter(|s| is_tls13(s)).copied());
    Ok(chosen)
}

fn tls12_names(available: &[SupportedCipherSuite]) -> String {
    let names: Vec<&str> = available
        .iter()
        .filter(|s| matches!(s, SupportedCipherSuite::Tls12(_)))
        .filter_map(|s| s.suite().as_str())
        .collect();
    names.join(", ")
}

/// The groups `curves` name, in their order; the provider's defaults where none.
fn kx_groups(
    curves: &[Curve],
    defaults: &[&'static dyn SupportedKxGroup],
) -> Vec<&'static dyn SupportedKxGroup> {
    if curves.is_empty() {
        return defaults.to_vec();
    }
    curves
        .iter()
        .map(|curve| match curve {
            Curve::X25519 => aws_lc_rs::kx_group::X25519,
            Curve::P256 => aws_lc_rs::kx_group::SECP256R1,
            Curve::P384 => aws_lc_rs::kx_group::SECP384R1,
        })
        .collect()
}

fn client_verifier(
    settings: &TlsSettings,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ClientCertVerifier>, String> {
    let any = |required| {
        Ok(Arc::new(AnyClientCert {
            required,
            algorithms: provider.signature_verification_algorithms,
        }) as Arc<dyn ClientCertVerifier>)
    };
    let verified = |optional: bool| -> Result<Arc<dyn ClientCertVerifier>, String> {
        let Some(ca) = &settings.client_ca else {
            return Err("tls_server_config: client_ca_file is needed to verify clients".into());
        };
        let mut roots = RootCertStore::empty();
        for cert in certificates(ca, "client_ca")? {
            roots
                .add(cert)
                .map_err(|e| format!("{}: {e}", source(ca, "client_ca")))?;
        }
        let builder =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
        let builder = if optional {
            builder.allow_unauthenticated()
        } else {
            builder
        };
        builder
            .build()
            .map_err(|e| format!("{}: {e}", source(ca, "client_ca")))
    };
    match settings.client_auth {
        ClientAuth::None => Ok(WebPkiClientVerifier::no_client_auth()),
        ClientAuth::Request => any(false),
        ClientAuth::RequireAny => any(true),
        ClientAuth::VerifyIfGiven => verified(true),
        ClientAuth::RequireAndVerify => verified(false),
    }
}

/// Where a PEM comes from, as the web config names it: `tls_server_config.cert_file PATH`.
fn source(pem: &Pem, key: &str) -> String {
    match pem {
        Pem::File(path) => format!("tls_server_config.{key}_file {}", path.display()),
        Pem::Inline(_) => format!("tls_server_config.{key}"),
    }
}

/// The PEM's bytes, from its file or inline.
fn pem_bytes(pem: &Pem, key: &str) -> Result<Vec<u8>, String> {
    match pem {
        Pem::File(path) => {
            std::fs::read(path).map_err(|e| format!("{}: cannot read it: {e}", source(pem, key)))
        }
        Pem::Inline(text) => Ok(text.as_bytes().to_vec()),
    }
}

/// Every certificate of a PEM (`key` is `cert` or `client_ca`); at least one.
fn certificates(pem: &Pem, key: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = pem_bytes(pem, key)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {}", source(pem, key), pem_error(&e)))?;
    if certs.is_empty() {
        return Err(format!(
            "{}: no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)",
            source(pem, key)
        ));
    }
    Ok(certs)
}

fn private_key(pem: &Pem) -> Result<PrivateKeyDer<'static>, String> {
    let bytes = pem_bytes(pem, "key")?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => format!(
            "{}: no private key in it (expected PEM: -----BEGIN PRIVATE KEY-----, or an RSA \
             or EC one)",
            source(pem, "key")
        ),
        other => format!("{}: {}", source(pem, "key"), pem_error(&other)),
    })
}

/// A PEM error in words, its bytes as text.
fn pem_error(e: &pem::Error) -> String {
    match e {
        pem::Error::MissingSectionEnd { end_marker } => format!(
            "a PEM section never ends (no {:?})",
            String::from_utf8_lossy(end_marker)
        ),
        pem::Error::IllegalSectionStart { line } => format!(
            "a PEM section starts badly: {:?}",
            String::from_utf8_lossy(line)
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_are_chosen_by_gos_names_and_tls13_stays_on() {
        let available = aws_lc_rs::default_provider().cipher_suites;
        let names = [
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256".to_string(),
            "TLS_AES_128_GCM_SHA256".to_string(),
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256".to_string(),
        ];
        let chosen = cipher_suites(&names, &available).unwrap();
        let tls12: Vec<_> = chosen
            .iter()
            .filter(|s| matches!(s, SupportedCipherSuite::Tls12(_)))
            .filter_map(|s| s.suite().as_str())
            .collect();
        assert_eq!(tls12, [names[0].as_str(), names[2].as_str()]);
        let tls13 = chosen
            .iter()
            .filter(|s| matches!(s, SupportedCipherSuite::Tls13(_)))
            .count();
        assert_eq!(tls13, 3);
        assert_eq!(
            cipher_suites(&[], &available).unwrap().len(),
            available.len()
        );
    }

    #[test]
    fn suites_rustls_lacks_and_unknown_ones_are_refused() {
        let available = aws_lc_rs::default_provider().cipher_suites;
        let cbc = ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA".to_string()];
        let said = cipher_suites(&cbc, &available).unwrap_err();
        assert!(said.contains("not offered by rustls"), "{said}");
        let rc4 = ["TLS_ECDHE_RSA_WITH_RC4_128_SHA".to_string()];
        let said = cipher_suites(&rc4, &available).unwrap_err();
        assert!(said.contains("unknown cipher"), "{said}");
    }

    #[test]
    fn pem_without_a_certificate_is_named() {
        let pem = Pem::Inline("not pem at all\n".into());
        let said = certificates(&pem, "cert").unwrap_err();
        assert!(
            said.starts_with("tls_server_config.cert: no certificate"),
            "{said}"
        );
        let missing = Pem::File("/nonexistent/server.crt".into());
        let said = private_key(&missing).unwrap_err();
        assert!(
            said.starts_with("tls_server_config.key_file /nonexistent/server.crt: cannot read"),
            "{said}"
        );
    }
}
