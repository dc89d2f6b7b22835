//! serve started with process-exporter's own command lines (Go flags), side by side with it.
