//! procfast (crate docs written below once the API settles)
#![deny(unsafe_code)]
#![deny(missing_docs)]

#[cfg(not(target_os = "linux"))]
compile_error!("procfast reads Linux /proc and builds only for target_os = \"linux\"");

mod budget;
mod count;
mod error;
pub mod parse;
mod proc;
mod sys;

pub use budget::{Budget, Stop, Walk};
pub use count::{FdCount, Method};
pub use error::{Error, Result};
pub use proc::{Proc, ProcFs};
pub use sys::DirBuf;
