//! The `main` of a bench whose helpers are the bench binary itself, re-executed to hold fds
//! (`tests/support/helper.rs`): shared by `benches/fd_count.rs` and `benches/scan.rs`.

use criterion::Criterion;

/// Runs this process as the helper it was started as, or else `benches` under criterion's
/// command line.
pub fn main_with_helpers(benches: fn(&mut Criterion)) {
    if crate::support::helper::in_helper() {
        crate::support::helper::helper_main();
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
