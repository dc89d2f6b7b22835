#!/usr/bin/env bash
# Fuzz smoke test, for CI: build every cargo-fuzz target, then run each for N seconds.
#
#   fuzz/smoke.sh [SECONDS]        # default 10 seconds per target
#
# Each target is seeded with the real /proc files in tests/fixtures; new inputs go to
# fuzz/corpus/<target>, findings to fuzz/artifacts/<target>. Exits non-zero on the first target
# that crashes (a panic or a disagreement with the oracle), after printing how to reproduce it.
set -euo pipefail

seconds="${1:-10}"
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

# cargo-fuzz passes nightly-only flags (-Zsanitizer=address, ...). On a stable toolchain this
# lets rustc accept them; on nightly it is harmless.
export RUSTC_BOOTSTRAP="${RUSTC_BOOTSTRAP:-1}"
# Keep fuzz builds (sanitizer flags) apart from the crate's normal builds.
target_dir="${FUZZ_TARGET_DIR:-$here/../target/fuzz}"

command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz missing: cargo install cargo-fuzz" >&2; exit 2; }

targets="$(cargo fuzz list)"
echo "== building: $(echo $targets)"
cargo fuzz build --target-dir "$target_dir"

for t in $targets; do
    echo "== $t: ${seconds}s"
    mkdir -p "corpus/$t"
    if ! cargo fuzz run --target-dir "$target_dir" "$t" "corpus/$t" ../tests/fixtures -- \
            -max_total_time="$seconds" -print_final_stats=1 2>"$t.log"; then
        tail -n 40 "$t.log" >&2
        echo "!! $t failed; reproduce with: cargo fuzz run $t fuzz/artifacts/$t/<crash file>" >&2
        exit 1
    fi
    grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$t.log" | tail -n 2 || true
    rm -f "$t.log"
done
echo "== all $(echo $targets | wc -w) targets ran ${seconds}s each without a finding"
