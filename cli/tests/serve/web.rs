//! serve behind its web config: TLS, client certificates and basic auth, as exporter-toolkit reads them.
