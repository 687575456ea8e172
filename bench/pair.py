#!/usr/bin/env python3
"""One row of issue 11's table: our command against git's, run alternately.

    bench/pair.py <table> <row name> [--runs N] [--warmup N] [--prepare CMD]
                  -- <ours...> -- <git's...>

The two commands alternate (ours, git's, ours, ...) so both see the same
machine load, which on a shared machine moves more than either command; each
run is timed as a whole process (fork to exit). Prints the medians, their
ratio and our peak resident memory (from wait4, per process), and appends the
row to <table> (tab-separated) for bench/run.sh's summary. --prepare runs
through sh before every run of either command and is not timed.
"""
import os
import statistics
import subprocess
import sys
import time


def run(argv, prepare):
    if prepare:
        subprocess.run(prepare, shell=True, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    start = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss, p.returncode


def main():
    args = sys.argv[1:]
    table, name = args[0], args[1]
    runs, warmup, prepare = 30, 3, None
    i = 2
    while args[i] != "--":
        if args[i] == "--runs":
            runs = int(args[i + 1])
        elif args[i] == "--warmup":
            warmup = int(args[i + 1])
        elif args[i] == "--prepare":
            prepare = args[i + 1]
        else:
            sys.exit(f"pair.py: unknown option {args[i]}")
        i += 2
    rest = args[i + 1:]
    split = rest.index("--")
    ours, base = rest[:split], rest[split + 1:]
    codes = {}
    for _ in range(warmup):
        codes["ours"] = run(ours, prepare)[2]
        codes["git"] = run(base, prepare)[2]
    t_ours, t_base, peak = [], [], 0
    for _ in range(runs):
        t, rss, _ = run(ours, prepare)
        t_ours.append(t)
        peak = max(peak, rss)
        t_base.append(run(base, prepare)[0])
    m_ours, m_base = statistics.median(t_ours), statistics.median(t_base)
    ratio = m_ours / m_base
    mb = peak / 1024
    print(f"  {name}: {ratio:.2f}x  ({m_ours * 1000:.1f} ms vs {m_base * 1000:.1f} ms, "
          f"medians of {runs} alternating runs; peak RSS {mb:.0f} MB; "
          f"exit codes {codes['ours']}/{codes['git']})")
    with open(table, "a") as f:
        f.write(f"{name}\t{' '.join(ours)}\t{' '.join(base)}\t"
                f"{m_ours * 1000:.1f}\t{m_base * 1000:.1f}\t{ratio:.2f}\t{mb:.0f}\n")


if __name__ == "__main__":
    main()
