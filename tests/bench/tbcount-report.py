#!/usr/bin/python3
"""Per-function difference of two tbcount runs (tests/bench/tbcount.c).

usage: tbcount-report.py System.map A.txt B.txt ITERATIONS [N]

Prints the total and the N functions (40) whose instructions changed most
from run A to run B, per iteration of the benchmark: delta, A, B, name.
"""
import bisect
import collections
import sys


def symbols(path):
    syms = []
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 3 and fields[1] in 'tTwW':
                syms.append((int(fields[0], 16), fields[2]))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def per_function(path, addrs, names):
    counts = collections.Counter()
    with open(path) as f:
        for line in f:
            vaddr, insns, execs = line.split()
            i = bisect.bisect_right(addrs, int(vaddr, 16)) - 1
            counts[names[i] if i >= 0 else '?'] += int(insns) * int(execs)
    return counts


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__.strip())
    addrs, names = symbols(sys.argv[1])
    a = per_function(sys.argv[2], addrs, names)
    b = per_function(sys.argv[3], addrs, names)
    iters = float(sys.argv[4])
    top = int(sys.argv[5]) if len(sys.argv) == 6 else 40
    ta, tb = sum(a.values()) / iters, sum(b.values()) / iters
    print(f'{tb - ta:9.1f} {ta:10.1f} {tb:10.1f}  total')
    delta = {k: (b[k] - a[k]) / iters for k in set(a) | set(b)}
    for name, d in sorted(delta.items(), key=lambda kv: -abs(kv[1]))[:top]:
        print(f'{d:9.1f} {a[name] / iters:10.1f} {b[name] / iters:10.1f}  {name}')


if __name__ == '__main__':
    main()
