#!/usr/bin/env python3
"""Paired before/after timing of two builds of the `procfast` command.

This VM runs at one of two speeds for seconds at a time, so two separate benchmark runs cannot be
compared. Here both builds run in the same moments: each round runs every contender in rotated
order, several times each, and the figure is the median over rounds of the per-round ratio of
medians. The time is what the command itself reports in `--json` (`micros`, the work alone, not
process start-up).

    python3 xtask/before_after.py BEFORE_BINARY AFTER_BINARY [--rounds 30] [--runs 5]

Scenarios: a cold `top` scan (comm, fds, threads, rss, cpu) with 200 extra sleeping processes;
`fds PID` (open a handle and count by one fstat) and `fds PID --method walk` for a process holding
10 and 10,000 fds.
"""

import argparse
import json
import statistics
import subprocess
import sys


def holder(n):
    """A process holding about n open fds until killed."""
    code = (
        "import os,resource,time\n"
        "h=resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE,(h,h))\n"
        f"fds=[os.open('/dev/null',os.O_RDONLY) for _ in range({n})]\n"
        "print('ready',flush=True)\n"
        "time.sleep(600)\n"
    )
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    return p


def micros(binary, args):
    out = subprocess.run([binary, *args, "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["micros"]


def paired(binaries, args, rounds, runs):
    per_binary = [[] for _ in binaries]
    ratios = []
    for r in range(rounds):
        medians = [None] * len(binaries)
        order = list(range(len(binaries)))
        order = order[r % len(order):] + order[: r % len(order)]
        samples = [[] for _ in binaries]
        for _ in range(runs):
            for i in order:
                samples[i].append(micros(binaries[i], args))
        for i, s in enumerate(samples):
            medians[i] = statistics.median(s)
            per_binary[i].extend(s)
        ratios.append(medians[1] / medians[0])
    return [statistics.median(s) for s in per_binary], ratios


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    binaries = [opts.before, opts.after]

    sleepers = [subprocess.Popen(["sleep", "600"]) for _ in range(200)]
    small, large = holder(10), holder(10_000)
    scenarios = [
        ("cold scan (top -n 15), 200 extra processes", ["top", "-n", "15"]),
        ("fds PID, 10 fds (open + fstat)", ["fds", str(small.pid)]),
        ("fds PID, 10,000 fds (open + fstat)", ["fds", str(large.pid)]),
        ("fds PID --method walk, 10 fds", ["fds", str(small.pid), "--method", "walk"]),
        ("fds PID --method walk, 10,000 fds", ["fds", str(large.pid), "--method", "walk"]),
    ]
    try:
        print(f"{opts.rounds} rounds x {opts.runs} runs each, rotated; medians of `micros`")
        print(f"| scenario | before | after | after / before (median of rounds; p10-p90) |")
        print(f"|---|---:|---:|---:|")
        for name, args in scenarios:
            (before, after), ratios = paired(binaries, args, opts.rounds, opts.runs)
            deciles = statistics.quantiles(ratios, n=10)
            print(
                f"| {name} | {before:.1f} µs | {after:.1f} µs | "
                f"{statistics.median(ratios):.3f}× ({deciles[0]:.3f}-{deciles[-1]:.3f}) |",
                flush=True,
            )
    finally:
        for p in sleepers + [small, large]:
            p.kill()
            p.wait()


if __name__ == "__main__":
    main()
