//! A counting global allocator: allocations, bytes allocated, live bytes and their peak, for the
//! reports' allocation figures (`count_allocs` measures one call).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

struct CountingAlloc;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

fn grown(bytes: u64) {
    let live = LIVE.fetch_add(bytes, Relaxed) + bytes;
    PEAK.fetch_max(live, Relaxed);
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counters are atomics
// and only updated when the system allocator succeeded.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        if !ptr.is_null() {
            ALLOCATIONS.fetch_add(1, Relaxed);
            ALLOCATED.fetch_add(layout.size() as u64, Relaxed);
            grown(layout.size() as u64);
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size() as u64, Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = System.realloc(ptr, layout, new_size);
        if !new.is_null() {
            ALLOCATIONS.fetch_add(1, Relaxed);
            ALLOCATED.fetch_add(new_size as u64, Relaxed);
            match new_size.checked_sub(layout.size()) {
                Some(more) => grown(more as u64),
                None => _ = LIVE.fetch_sub((layout.size() - new_size) as u64, Relaxed),
            }
        }
        new
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// What one call allocated.
pub struct Allocs {
    pub calls: u64,
    pub bytes: u64,
    /// The most bytes live at once during the call, above what was live before it.
    pub peak: u64,
    pub time: Duration,
}

/// Runs `f` once, counting its allocations. Only the main thread runs while it measures.
pub fn count_allocs<T>(f: impl FnOnce() -> T) -> (T, Allocs) {
    let (calls, bytes, live) = (
        ALLOCATIONS.load(Relaxed),
        ALLOCATED.load(Relaxed),
        LIVE.load(Relaxed),
    );
    PEAK.store(live, Relaxed);
    let started = Instant::now();
    let out = black_box(f());
    let time = started.elapsed();
    let allocs = Allocs {
        calls: ALLOCATIONS.load(Relaxed) - calls,
        bytes: ALLOCATED.load(Relaxed) - bytes,
        peak: PEAK.load(Relaxed).saturating_sub(live),
        time,
    };
    (out, allocs)
}
