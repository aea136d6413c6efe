"""Compare ``cfdopt solve`` summaries of bundled cases between two source trees (a refactoring's check).

``run`` solves each case with the package found under ROOT (default: this checkout) and writes
``OUT/<case>/summary.json``; ``diff`` compares two such folders number by number and prints one row per case
with the largest relative difference, exiting 1 if any exceeds the tolerance (default 1e-12: a refactoring
that moves code must reproduce the forces to round-off) or if the two disagree on a non-numeric value.
Wall times and timings are not compared.

    python scripts/compare_solves.py run OUT [--root ROOT] [--case NAME ...]
    python scripts/compare_solves.py diff BEFORE AFTER [--tolerance 1e-12]

Default cases: ``quickstart`` (Euler, subsonic), ``naca0012-transonic`` (Euler with a shock and limiter) and
``sa-clip-active`` (RANS-SA with an active clip).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CASES = ("quickstart", "naca0012-transonic", "sa-clip-active")
SKIPPED_KEYS = ("time", "wall", "seconds", "elapsed", "path", "file", "folder", "out", "memory", "rss")


def run(out: Path, root: Path, cases: tuple[str, ...]) -> None:
    """Solve each case with the ``cfdopt`` package under ``root``, summaries to ``out/<case>/``."""
    env = dict(os.environ, PYTHONPATH=str(root))
    for name in cases:
        target = out / name
        cmd = [sys.executable, "-m", "cfdopt.cli", "solve", str(REPO / "cases" / name), "--out", str(target),
               "--quiet"]
        print(f"{name}: {' '.join(cmd[1:])}", flush=True)
        subprocess.run(cmd, env=env, check=True, cwd=root)


def _leaves(obj, prefix=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaves(v, f"{prefix}[{i}]")
    else:
        yield prefix, obj


def _skipped(key: str) -> bool:
    last = key.rsplit(".", 1)[-1].lower()
    return any(word in last for word in SKIPPED_KEYS)


def diff(before: Path, after: Path, tolerance: float) -> int:
    """Print the largest relative difference per case; 1 if any exceeds ``tolerance`` or a value differs."""
    failed = False
    print(f"{'case':24s} {'values':>7s} {'max rel diff':>13s}  worst key")
    for summary in sorted(before.glob("*/summary.json")):
        name = summary.parent.name
        a = dict(_leaves(json.loads(summary.read_text())))
        other = after / name / "summary.json"
        if not other.exists():
            print(f"{name:24s} missing in {after}")
            failed = True
            continue
        b = dict(_leaves(json.loads(other.read_text())))
        worst, worst_key, count = 0.0, "", 0
        for key in sorted(set(a) | set(b)):
            if _skipped(key):
                continue
            if key not in a or key not in b:
                print(f"{name:24s} key {key} only in {'after' if key in b else 'before'}")
                failed = True
                continue
            x, y = a[key], b[key]
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not isinstance(y, (int, float)):
                if x != y:
                    print(f"{name:24s} {key}: {x!r} != {y!r}")
                    failed = True
                continue
            count += 1
            rel = abs(x - y) / max(abs(x), abs(y), 1e-300) if x != y else 0.0
            if rel > worst:
                worst, worst_key = rel, key
        failed |= worst > tolerance
        print(f"{name:24s} {count:7d} {worst:13.2e}  {worst_key}")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="solve the cases, summaries to OUT/<case>/")
    p_run.add_argument("out", type=Path)
    p_run.add_argument("--root", type=Path, default=REPO, help="source tree whose cfdopt package runs")
    p_run.add_argument("--case", action="append", help="case folder name under cases/ (repeatable)")
    p_diff = sub.add_parser("diff", help="compare two OUT folders")
    p_diff.add_argument("before", type=Path)
    p_diff.add_argument("after", type=Path)
    p_diff.add_argument("--tolerance", type=float, default=1e-12)
    args = parser.parse_args()
    if args.command == "run":
        run(args.out.resolve(), args.root.resolve(), tuple(args.case or CASES))
        return 0
    return diff(args.before, args.after, args.tolerance)


if __name__ == "__main__":
    sys.exit(main())
