//! The web config file read as exporter-toolkit reads it: YAML, strictly (an unknown key, a
//! duplicate key or a value of the wrong type is an error), with its defaults, and with relative
//! paths taken from the file's directory.

use super::{ClientAuth, Curve, Pem, TlsSettings, TlsVersion, WebConfig};
use std::path::Path;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::yaml::{Hash, Yaml, YamlLoader};

/// The headers exporter-toolkit lets a web config set, each with the values it allows (none
/// listed: any value).
const ALLOWED_HEADERS: &[(&str, &[&str])] = &[
    ("Strict-Transport-Security", &[]),
    ("X-Content-Type-Options", &["nosniff"]),
    ("X-Frame-Options", &["deny", "sameorigin"]),
    ("X-XSS-Protection", &[]),
    ("Content-Security-Policy", &[]),
];

/// Reads `text`, the web config at `path`; relative file names are taken from `path`'s
/// directory. The error says what is wrong, and where, without the file's name.
pub(super) fn parse(text: &str, path: &Path) -> Result<WebConfig, String> {
    refuse_aliases(text)?;
    let documents = YamlLoader::load_from_str(text).map_err(|e| format!("YAML syntax: {e}"))?;
    let mut config = WebConfig::default();
    let top = match documents.into_iter().next() {
        None | Some(Yaml::Null) => return Ok(config),
        Some(Yaml::Hash(top)) => top,
        Some(_) => return Err("the top level is not a mapping".into()),
    };
    let dir = path.parent().unwrap_or(Path::new(""));
    for (key, value) in fields(&top, "the top level")? {
        match key {
            "tls_server_config" => config.tls = tls_settings(value, dir)?,
            "http_server_config" => {
                for (key, value) in fields(mapping(value, key)?, key)? {
                    match key {
                        "http2" => config.http2 = boolean(value, "http_server_config.http2")?,
                        "headers" => config.headers = headers(value)?,
                        other => return Err(unknown("http_server_config", other)),
                    }
                }
            }
            "basic_auth_users" => {
                for (user, hash) in string_map(value, key)? {
                    check_bcrypt(&user, &hash)?;
                    config.users.insert(user, hash);
                }
            }
            "rate_limit" => {
                return Err(
                    "rate_limit: exporter-toolkit's rate limiter is not supported; \
                            remove the key (a scraper is one client, and serve shares one scan \
                            among concurrent scrapes)"
                        .into(),
                )
            }
            other => return Err(unknown("the top level", other)),
        }
    }
    Ok(config)
}

/// Anchors and aliases are refused: an alias copies its anchor, and a few lines of them can
/// copy enough to exhaust memory.
fn refuse_aliases(text: &str) -> Result<(), String> {
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => return Ok(()),
            Ok((Event::Alias(_), mark)) => {
                return Err(format!(
                    "line {}: YAML aliases are not supported here",
                    mark.line()
                ))
            }
            Ok(_) => {}
            Err(e) => return Err(format!("YAML syntax: {e}")),
        }
    }
}

/// `tls_server_config`; `None` where it names no certificate, key, client CA or client auth
/// type, which exporter-toolkit serves as plain HTTP.
fn tls_settings(value: &Yaml, dir: &Path) -> Result<Option<TlsSettings>, String> {
    const AT: &str = "tls_server_config";
    let mut cert = Slot::default();
    let mut key = Slot::default();
    let mut client_ca = Slot::default();
    let mut client_auth_type = None;
    let mut settings = TlsSettings {
        cert: Pem::Inline(String::new()),
        key: Pem::Inline(String::new()),
        client_auth: ClientAuth::None,
        client_ca: None,
        min_version: TlsVersion::Tls12,
        max_version: TlsVersion::Tls13,
        cipher_suites: Vec::new(),
        prefer_server_cipher_suites: true,
        curve_preferences: Vec::new(),
    };
    if matches!(value, Yaml::Null) {
        return Ok(None);
    }
    for (name, value) in fields(mapping(value, AT)?, AT)? {
        let at = format!("{AT}.{name}");
        match name {
            "cert" => cert.inline = non_empty(string(value, &at)?),
            "key" => key.inline = non_empty(string(value, &at)?),
            "client_ca" => client_ca.inline = non_empty(string(value, &at)?),
            "cert_file" => cert.file = non_empty(string(value, &at)?),
            "key_file" => key.file = non_empty(string(value, &at)?),
            "client_ca_file" => client_ca.file = non_empty(string(value, &at)?),
            "client_auth_type" => client_auth_type = non_empty(string(value, &at)?),
            "min_version" => settings.min_version = version(value, &at)?,
            "max_version" => settings.max_version = version(value, &at)?,
            "cipher_suites" => settings.cipher_suites = strings(value, &at)?,
            "prefer_server_cipher_suites" => {
                settings.prefer_server_cipher_suites = boolean(value, &at)?
            }
            "curve_preferences" => {
                settings.curve_preferences = strings(value, &at)?
                    .iter()
                    .map(|name| curve(name, &at))
                    .collect::<Result<_, _>>()?
            }
            "client_allowed_sans" => {
                return Err(format!(
                    "{at}: matching client certificates' SANs is not supported; \
                     use a client CA that signs only the clients allowed"
                ))
            }
            other => return Err(unknown(AT, other)),
        }
    }
    let enabled = cert.is_set() || key.is_set() || client_ca.is_set() || client_auth_type.is_some();
    if !enabled {
        return Ok(None);
    }
    settings.cert = cert
        .take(dir, "cert", "cert_file")?
        .ok_or("tls_server_config: missing one of cert or cert_file")?;
    settings.key = key
        .take(dir, "key", "key_file")?
        .ok_or("tls_server_config: missing one of key or key_file")?;
    settings.client_ca = client_ca.take(dir, "client_ca", "client_ca_file")?;
    settings.client_auth = match client_auth_type.as_deref() {
        None | Some("NoClientCert") => ClientAuth::None,
        Some("RequestClientCert") => ClientAuth::Request,
        // RequireClientCert is exporter-toolkit's older name for it.
        Some("RequireAnyClientCert" | "RequireClientCert") => ClientAuth::RequireAny,
        Some("VerifyClientCertIfGiven") => ClientAuth::VerifyIfGiven,
        Some("RequireAndVerifyClientCert") => ClientAuth::RequireAndVerify,
        Some(other) => {
            return Err(format!(
                "{AT}.client_auth_type {other:?}: expected NoClientCert, RequestClientCert, \
                 RequireAnyClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert"
            ))
        }
    };
    match (&settings.client_ca, settings.client_auth) {
        (Some(_), ClientAuth::None) => {
            return Err(format!(
                "{AT}: a client CA is given but client_auth_type is NoClientCert; \
                 set client_auth_type (RequireAndVerifyClientCert verifies every client)"
            ))
        }
        (None, ClientAuth::VerifyIfGiven | ClientAuth::RequireAndVerify) => {
            return Err(format!(
                "{AT}: client_auth_type {} verifies client certificates: give the CA that \
                 signs them in client_ca_file (or client_ca)",
                client_auth_type.unwrap_or_default()
            ))
        }
        _ => {}
    }
    if settings.min_version > settings.max_version {
        return Err(format!(
            "{AT}: min_version is above max_version, so no TLS version is left"
        ));
    }
    Ok(Some(settings))
}

/// A PEM given inline or as a file name, as the two keys of one setting.
#[derive(Default)]
struct Slot {
    inline: Option<String>,
    file: Option<String>,
}

impl Slot {
    fn is_set(&self) -> bool {
        self.inline.is_some() || self.file.is_some()
    }

    fn take(self, dir: &Path, inline: &str, file: &str) -> Result<Option<Pem>, String> {
        match (self.inline, self.file) {
            (Some(_), Some(_)) => Err(format!(
                "tls_server_config: {inline} and {file} are both given; keep one"
            )),
            (Some(text), None) => Ok(Some(Pem::Inline(text))),
            (None, Some(name)) => Ok(Some(Pem::File(dir.join(name)))),
            (None, None) => Ok(None),
        }
    }
}

fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

fn version(value: &Yaml, at: &str) -> Result<TlsVersion, String> {
    match string(value, at)?.as_str() {
        "TLS12" => Ok(TlsVersion::Tls12),
        "TLS13" => Ok(TlsVersion::Tls13),
        old @ ("TLS10" | "TLS11") => Err(format!(
            "{at} {old:?}: TLS 1.0 and 1.1 are not supported (rustls has them not); \
             use TLS12 or TLS13"
        )),
        other => Err(format!(
            "{at} {other:?}: unknown TLS version; expected TLS12 or TLS13"
        )),
    }
}

fn curve(name: &str, at: &str) -> Result<Curve, String> {
    match name {
        "X25519" => Ok(Curve::X25519),
        "CurveP256" => Ok(Curve::P256),
        "CurveP384" => Ok(Curve::P384),
        "CurveP521" => Err(format!(
            "{at}: CurveP521 is not offered by rustls; use X25519, CurveP256 or CurveP384"
        )),
        other => Err(format!(
            "{at}: unknown curve {other:?}; expected X25519, CurveP256 or CurveP384"
        )),
    }
}

fn headers(value: &Yaml) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (name, value) in string_map(value, "http_server_config.headers")? {
        let Some((_, allowed)) = ALLOWED_HEADERS.iter().find(|(n, _)| *n == name) else {
            let names: Vec<&str> = ALLOWED_HEADERS.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "http_server_config.headers: header {name:?} can not be configured; \
                 the ones that can: {}",
                names.join(", ")
            ));
        };
        if !allowed.is_empty() && !allowed.contains(&value.as_str()) {
            return Err(format!(
                "http_server_config.headers: {name} {value:?}: expected one of {}",
                allowed.join(", ")
            ));
        }
        // An empty value leaves the header unset, as in exporter-toolkit.
        if !value.is_empty() {
            out.push((name, value));
        }
    }
    Ok(out)
}

/// Refuses a password hash that is not bcrypt's, as exporter-toolkit does at start.
fn check_bcrypt(user: &str, hash: &str) -> Result<(), String> {
    hash.parse::<bcrypt::HashParts>().map(drop).map_err(|e| {
        format!(
            "basic_auth_users: {user:?}: not a bcrypt hash ({e}); make one with \
             htpasswd -nBC 10 \"\" | tr -d ':\\n'"
        )
    })
}

fn unknown(at: &str, key: &str) -> String {
    format!("{at}: unknown key {key:?}")
}

fn mapping<'a>(value: &'a Yaml, at: &str) -> Result<&'a Hash, String> {
    match value {
        Yaml::Hash(map) => Ok(map),
        _ => Err(format!("{at}: expected a mapping")),
    }
}

/// A mapping's keys as strings, with their values; a null mapping has none.
fn fields<'a>(map: &'a Hash, at: &str) -> Result<Vec<(&'a str, &'a Yaml)>, String> {
    map.iter()
        .map(|(key, value)| match key {
            Yaml::String(key) => Ok((key.as_str(), value)),
            other => Err(format!("{at}: the key {other:?} is not a string")),
        })
        .collect()
}

/// A mapping of strings to strings (`null` is an empty one).
fn string_map(value: &Yaml, at: &str) -> Result<Vec<(String, String)>, String> {
    if matches!(value, Yaml::Null) {
        return Ok(Vec::new());
    }
    fields(mapping(value, at)?, at)?
        .into_iter()
        .map(|(key, value)| Ok((key.to_string(), string(value, &format!("{at}.{key}"))?)))
        .collect()
}

fn string(value: &Yaml, at: &str) -> Result<String, String> {
    match value {
        Yaml::String(text) => Ok(text.clone()),
        Yaml::Null => Ok(String::new()),
        _ => Err(format!("{at}: expected a string")),
    }
}

fn strings(value: &Yaml, at: &str) -> Result<Vec<String>, String> {
    match value {
        Yaml::Null => Ok(Vec::new()),
        Yaml::Array(items) => items.iter().map(|item| string(item, at)).collect(),
        _ => Err(format!("{at}: expected a list")),
    }
}

fn boolean(value: &Yaml, at: &str) -> Result<bool, String> {
    match value {
        Yaml::Boolean(b) => Ok(*b),
        _ => Err(format!("{at}: expected true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<WebConfig, String> {
        parse(text, Path::new("/etc/procfast/web.yml"))
    }

    #[test]
    fn nothing_is_plain_http_with_exporter_toolkits_defaults() {
        for text in [
            "",
            "{}",
            "---\n",
            "~\n",
            "tls_server_config:\n",
            "# only a comment\n",
        ] {
            let config = read(text).unwrap();
            assert!(config.tls.is_none(), "{text:?}");
            assert!(config.http2 && config.headers.is_empty() && config.users.is_empty());
        }
        // TLS settings without a certificate, key, CA or client auth are not TLS either.
        let config = read("tls_server_config:\n  min_version: TLS13\n").unwrap();
        assert!(config.tls.is_none());
    }

    #[test]
    fn files_are_taken_from_the_configs_directory_and_defaults_filled_in() {
        let text = "tls_server_config:\n  cert_file: server.crt\n  key_file: /abs/server.key\n";
        let tls = read(text).unwrap().tls.unwrap();
        assert_eq!(
            tls.cert,
            Pem::File("/etc/procfast/server.crt".into()),
            "relative to the config"
        );
        assert_eq!(tls.key, Pem::File("/abs/server.key".into()));
        assert_eq!(tls.client_auth, ClientAuth::None);
        assert_eq!(
            (tls.min_version, tls.max_version),
            (TlsVersion::Tls12, TlsVersion::Tls13)
        );
        assert!(tls.prefer_server_cipher_suites);
    }

    #[test]
    fn every_setting_is_read() {
        let text = "\
tls_server_config:
  cert: |
    -----BEGIN CERTIFICATE-----
  key: inline key
  client_ca_file: ca.pem
  client_auth_type: RequireAndVerifyClientCert
  min_version: TLS13
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
  prefer_server_cipher_suites: false
  curve_preferences: [X25519, CurveP256]
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
    X-XSS-Protection: ''
basic_auth_users:
  alice: $2b$10$j7QAKzBCy2IFgodD.hFeSu9SU1pCLWWksz1/knJ2PMDsfQpx/UljG
";
        let config = read(text).unwrap();
        let tls = config.tls.unwrap();
        assert_eq!(
            tls.cert,
            Pem::Inline("-----BEGIN CERTIFICATE-----\n".into())
        );
        assert_eq!(tls.key, Pem::Inline("inline key".into()));
        assert_eq!(
            tls.client_ca,
            Some(Pem::File("/etc/procfast/ca.pem".into()))
        );
        assert_eq!(tls.client_auth, ClientAuth::RequireAndVerify);
        assert_eq!(tls.min_version, TlsVersion::Tls13);
        assert_eq!(tls.cipher_suites, ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]);
        assert!(!tls.prefer_server_cipher_suites);
        assert_eq!(tls.curve_preferences, [Curve::X25519, Curve::P256]);
        assert!(!config.http2);
        // The empty header is left unset.
        assert_eq!(
            config.headers,
            [
                ("X-Frame-Options".to_string(), "deny".to_string()),
                (
                    "Strict-Transport-Security".to_string(),
                    "max-age=31536000".to_string()
                )
            ]
        );
        assert!(config.users.contains_key("alice"));
    }

    #[test]
    fn each_mistake_is_named() {
        let cert = "tls_server_config:\n  cert_file: c\n  key_file: k\n";
        for (text, said) in [
            ("nonsense: 1\n", "the top level: unknown key \"nonsense\""),
            (
                "tls_server_config:\n  cert_fil: x\n",
                "unknown key \"cert_fil\"",
            ),
            (
                "http_server_config:\n  http3: true\n",
                "unknown key \"http3\"",
            ),
            (
                "http_server_config:\n  http2: maybe\n",
                "http2: expected true or false",
            ),
            ("a: [\n", "YAML syntax"),
            ("a: 1\na: 2\n", "duplicated key"),
            ("- a\n", "not a mapping"),
            ("x: &a [1]\ny: *a\n", "aliases are not supported"),
            (
                "tls_server_config:\n  cert_file: c\n",
                "missing one of key or key_file",
            ),
            (
                "tls_server_config:\n  key_file: k\n",
                "missing one of cert or cert_file",
            ),
            (
                "tls_server_config:\n  cert: c\n  cert_file: c\n  key_file: k\n",
                "cert and cert_file are both given",
            ),
            (
                &format!("{cert}  client_auth_type: Sometimes\n"),
                "client_auth_type \"Sometimes\"",
            ),
            (&format!("{cert}  min_version: TLS10\n"), "TLS 1.0 and 1.1"),
            (&format!("{cert}  max_version: TLS11\n"), "TLS 1.0 and 1.1"),
            (
                &format!("{cert}  min_version: SSL3\n"),
                "unknown TLS version",
            ),
            (
                &format!("{cert}  min_version: TLS13\n  max_version: TLS12\n"),
                "min_version is above max_version",
            ),
            (
                &format!("{cert}  curve_preferences: [CurveP521]\n"),
                "CurveP521",
            ),
            (
                &format!("{cert}  curve_preferences: [P7]\n"),
                "unknown curve",
            ),
            (
                &format!("{cert}  client_ca_file: ca\n"),
                "client_auth_type is NoClientCert",
            ),
            (
                &format!("{cert}  client_auth_type: RequireAndVerifyClientCert\n"),
                "give the CA",
            ),
            (
                &format!("{cert}  client_allowed_sans: [a]\n"),
                "SANs is not supported",
            ),
            ("rate_limit:\n  burst: 1\n", "rate limiter is not supported"),
            (
                "http_server_config:\n  headers:\n    Server: x\n",
                "header \"Server\" can not be configured",
            ),
            (
                "http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
                "expected one of deny, sameorigin",
            ),
            (
                "basic_auth_users:\n  bob: plaintext\n",
                "\"bob\": not a bcrypt hash",
            ),
            (
                "basic_auth_users:\n  bob: [1]\n",
                "basic_auth_users.bob: expected a string",
            ),
        ] {
            let error = read(text)
                .err()
                .unwrap_or_else(|| panic!("{text:?} was read"));
            assert!(error.contains(said), "{text:?}: {error}");
            assert!(!error.contains('\n'), "{error:?}");
        }
    }

    #[test]
    fn client_auth_types_by_their_go_names() {
        let base = "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_ca_file: ca\n";
        for (name, want) in [
            ("RequestClientCert", ClientAuth::Request),
            ("RequireAnyClientCert", ClientAuth::RequireAny),
            ("RequireClientCert", ClientAuth::RequireAny),
            ("VerifyClientCertIfGiven", ClientAuth::VerifyIfGiven),
            ("RequireAndVerifyClientCert", ClientAuth::RequireAndVerify),
        ] {
            let text = format!("{base}  client_auth_type: {name}\n");
            assert_eq!(
                read(&text).unwrap().tls.unwrap().client_auth,
                want,
                "{name}"
            );
        }
    }
}
