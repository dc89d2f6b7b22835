//! The helper processes of `tests/support/helper.rs`, under the path `xtask/src/main.rs`
//! includes: this file only forwards to that one.
#![allow(dead_code)]

#[path = "../support/helper.rs"]
mod helper;
pub use helper::*;
