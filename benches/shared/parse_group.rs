//! One criterion group of contenders that parse the same bytes, shared by the parser benches.
//!
//! Every contender is a function of the input that parses it, checks a value of the result and
//! returns something of it: the group feeds it the bytes through `black_box`, times it, and
//! reports throughput in input bytes.

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};

/// A group named after the file its contenders parse, all of them given `bytes`.
pub struct ParseGroup<'c, 'b> {
    group: BenchmarkGroup<'c, WallTime>,
    bytes: &'b [u8],
}

impl<'c, 'b> ParseGroup<'c, 'b> {
    /// Opens the group `name` over `bytes`.
    pub fn new(c: &'c mut Criterion, name: &str, bytes: &'b [u8]) -> Self {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        ParseGroup { group, bytes }
    }

    /// Times `parse` on the group's bytes as the contender `name`.
    pub fn contender<R>(mut self, name: &str, parse: impl Fn(&'b [u8]) -> R) -> Self {
        let bytes = self.bytes;
        self.group
            .bench_function(name, |b| b.iter(|| parse(black_box(bytes))));
        self
    }

    /// Closes the group, which criterion then summarises.
    pub fn finish(self) {
        self.group.finish();
    }
}
