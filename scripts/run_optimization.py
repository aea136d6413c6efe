"""Run a case's optimization and print its progress, then a table of the result, its robustness and cost.

The table: baseline and optimized CD, reduction, the final design solved again from the free stream,
CL and CM, feasibility and the largest violation, iterations and evaluations, failed evaluations and the
flow time they cost, Newton iterations, wall time split into flow solves and adjoints, peak memory
(:func:`cfdopt.optimize.run.summary_table`).

    python scripts/run_optimization.py CASE [--out DIR] [--resume] [--set section.key=value ...]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from cfdopt.cli import enable_compilation_cache
from cfdopt.case.schema import load_case
from cfdopt.optimize.run import format_event, format_row, optimize_case, summary_table


def run(case: Path, argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    if case is None:
        parser.add_argument("case", type=Path, help="case folder")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default: CASE/results)")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.npz")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    args = parser.parse_args(argv)
    case = case or args.case
    out = args.out or Path(case) / "results"
    enable_compilation_cache()
    cfg = load_case(case, args.overrides)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    s = optimize_case(cfg, out, resume=args.resume, progress=lambda r: print(format_row(r), flush=True),
                      on_event=lambda e: print(format_event(e), flush=True))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(summary_table(s, time.perf_counter() - t0, peak_mb))
    for w in s["warnings"]:
        print(f"warning: {w}")
    return s


if __name__ == "__main__":
    run(None)
