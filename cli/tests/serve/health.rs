//! serve's own health: its process_* metrics, build info, gzip and landing page.
