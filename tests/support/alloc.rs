//! A global allocator that counts the allocations of each thread, for the zero-allocation tests.
//!
//! A binary has one global allocator: a test binary holding such tests installs it once, in its
//! `main.rs`, with `#[global_allocator] static GLOBAL: support::alloc::Counting =
//! support::alloc::Counting;`. Counts are per thread, so tests running in parallel threads of the
//! same binary do not disturb each other's counts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The counting allocator: the system's, with a count per thread of `alloc` and `realloc` calls.
pub struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the thread-local may already be gone while a thread exits.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: forwards every call to the system allocator unchanged; it only counts the calls made
// on the current thread.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded unchanged to the system allocator, with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator, with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: forwarded unchanged to the system allocator, with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations made by `f` on this thread (0 unless [`Counting`] is the global allocator: each
/// test binary's zero-allocation tests check that the counter sees a `Vec`'s allocation).
pub fn allocations<T>(f: impl FnOnce() -> T) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    std::hint::black_box(f());
    ALLOCATIONS.with(Cell::get) - before
}

/// Runs `exercise` over every input once, to warm up what is initialised lazily (memchr's CPU
/// feature detection, thread-locals), then again under the counter: asserts that no run
/// allocated, and that the counter counts (a `Vec` allocates once).
pub fn assert_runs_allocate_nothing(inputs: &[&[u8]], exercise: impl Fn(&[u8]) -> u64) {
    for buf in inputs {
        std::hint::black_box(exercise(buf));
    }
    for (i, buf) in inputs.iter().enumerate() {
        let n = allocations(|| exercise(std::hint::black_box(buf)));
        assert_eq!(n, 0, "input {i} allocated {n} times");
    }
    let n = allocations(|| vec![1u8; 64]);
    assert_eq!(n, 1, "the counter missed a Vec's allocation");
}
