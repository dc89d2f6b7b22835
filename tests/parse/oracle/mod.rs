//! Naive oracles of the parsers: each implements a parser's rules in the plainest way
//! available (`split`, `Vec`, `String`, `str::parse`, maps, fixed offsets from the C headers)
//! and returns what the parser should, for the differential tests here and the fuzz targets
//! (which include these files with `#[path]`, so they depend on nothing but std and procfast).

pub mod cgroup_identity;
pub mod collector;
pub mod host;
pub mod tcp;
