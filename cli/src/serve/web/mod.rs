//! serve's web config, the file exporter-toolkit's exporters take as `--web.config.file`: TLS
//! (with client certificates), basic auth and response headers.
//!
//! The file, its certificates and its key are read once, before serve listens: anything wrong
//! with them stops serve with one line naming the file. Changes take a restart (exporter-toolkit
//! rereads the file on every request and handshake; a restart keeps what serve answers with
//! one thing, the file it checked at start).

mod auth;
mod client_cert;
mod file;
mod tls;

pub use auth::guard;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A web config as read: plain HTTP where `tls` is `None`.
#[derive(Debug)]
pub struct WebConfig {
    /// `tls_server_config`, where it names a certificate (or client auth).
    pub tls: Option<TlsSettings>,
    /// `http_server_config.http2`: offer HTTP/2 by ALPN on TLS connections.
    pub http2: bool,
    /// `http_server_config.headers`: set on every response.
    pub headers: Vec<(String, String)>,
    /// `basic_auth_users`: user → bcrypt hash; empty, no auth.
    pub users: BTreeMap<String, String>,
}

impl Default for WebConfig {
    /// exporter-toolkit's defaults: plain HTTP, HTTP/2 offered where TLS is on.
    fn default() -> WebConfig {
        WebConfig {
            tls: None,
            http2: true,
            headers: Vec::new(),
            users: BTreeMap::new(),
        }
    }
}

/// `tls_server_config`, its names resolved.
#[derive(Debug)]
pub struct TlsSettings {
    /// The certificate chain, the server's first.
    pub cert: Pem,
    /// The certificate's private key.
    pub key: Pem,
    /// Which client certificates are asked for, required and verified.
    pub client_auth: ClientAuth,
    /// The CAs client certificates are verified against.
    pub client_ca: Option<Pem>,
    /// The oldest TLS version accepted.
    pub min_version: TlsVersion,
    /// The newest TLS version accepted.
    pub max_version: TlsVersion,
    /// Go's names of the TLS 1.2 cipher suites allowed; empty, rustls' defaults.
    pub cipher_suites: Vec<String>,
    /// Choose the cipher suite by the server's order, not the client's.
    pub prefer_server_cipher_suites: bool,
    /// Key-exchange groups in order of preference; empty, rustls' defaults.
    pub curve_preferences: Vec<Curve>,
}

/// PEM text: a file to read, or the text itself, given inline in the web config.
#[derive(Debug, PartialEq, Eq)]
pub enum Pem {
    /// A file (resolved against the web config's directory).
    File(PathBuf),
    /// The PEM itself.
    Inline(String),
}

/// Go's `tls.ClientAuthType`, as exporter-toolkit names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `NoClientCert`: none asked for.
    None,
    /// `RequestClientCert`: asked for, neither required nor verified.
    Request,
    /// `RequireAnyClientCert`: required, not verified.
    RequireAny,
    /// `VerifyClientCertIfGiven`: verified if given.
    VerifyIfGiven,
    /// `RequireAndVerifyClientCert`: required and verified.
    RequireAndVerify,
}

/// The TLS versions rustls speaks, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

/// The key-exchange groups of Go's `curve_preferences` that rustls offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// `X25519`.
    X25519,
    /// `CurveP256` (secp256r1).
    P256,
    /// `CurveP384` (secp384r1).
    P384,
}

/// What serve needs of a web config: the TLS server config (`None`: plain HTTP) and the guard
/// every request passes.
pub struct Web {
    /// The TLS side, ready for handshakes.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Basic auth and headers, for [`guard`].
    pub guard: Arc<auth::Guard>,
}

/// The largest web config read: a few kilobytes in practice, inline certificates included.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// Reads the web config at `path` and everything it names. The error is one line, naming the
/// file at fault.
pub fn load(path: &Path) -> Result<Web, String> {
    let in_file = |e: String| format!("web config {}: {e}", path.display());
    let text = read_small(path).map_err(in_file)?;
    let config = file::parse(&text, path).map_err(in_file)?;
    web(&config).map_err(in_file)
}

/// The TLS config and guard `config` asks for.
pub fn web(config: &WebConfig) -> Result<Web, String> {
    let tls = match &config.tls {
        Some(settings) => Some(Arc::new(tls::server_config(settings, config.http2)?)),
        None => None,
    };
    Ok(Web {
        tls,
        guard: Arc::new(auth::Guard::new(config.users.clone(), &config.headers)?),
    })
}

/// A text file of at most [`MAX_FILE_BYTES`].
fn read_small(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read it: {e}"))?;
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read it: {e}"))?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("larger than {MAX_FILE_BYTES} bytes"));
    }
    Ok(text)
}
