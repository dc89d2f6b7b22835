//! procfast (crate docs written below once the API settles)
#![deny(unsafe_code)]
#![deny(missing_docs)]

#[cfg(not(target_os = "linux"))]
compile_error!("procfast reads Linux /proc and builds only for target_os = \"linux\"");

mod error;
pub mod parse;

pub use error::{Error, Result};
