"""ADODG case 1 (NACA 0012, M 0.85, alpha 0, inviscid drag minimization, thickness >= baseline), full run.

Prints one line per optimizer iteration, then a table: baseline and optimized CD, reduction in percent,
iterations, evaluations, wall time and peak memory. Published: Telidetzki, Osusky & Zingg (2014), AIAA
2014-0571, report an 86% reduction; the target here is >= 80% in under an hour on 2 cores.

    python scripts/run_adodg1.py [--out DIR] [--resume] [--set section.key=value ...]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from cfdopt.cli import enable_compilation_cache
from cfdopt.config import load_case
from cfdopt.optimize_run import format_event, format_row, optimize_case

CASE = Path(__file__).resolve().parents[1] / "cases" / "adodg1-naca0012"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=CASE / "results")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.npz")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    args = parser.parse_args()
    enable_compilation_cache()
    cfg = load_case(CASE, args.overrides)
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    s = optimize_case(cfg, args.out, resume=args.resume, progress=lambda r: print(format_row(r), flush=True),
                      on_event=lambda e: print(format_event(e), flush=True))
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    b, f = s["baseline"], s["final"]
    print()
    print(f"{'quantity':<28s} {'value':>14s}")
    print(f"{'mesh (cells)':<28s} {s['mesh'][0]:>7d} x {s['mesh'][1]:<4d}")
    print(f"{'baseline CD':<28s} {b['cd']:>14.6f}")
    print(f"{'optimized CD':<28s} {f['cd']:>14.6f}")
    print(f"{'reduction (%)':<28s} {s['cd_reduction_percent']:>14.1f}")
    fs = s.get("final_free_stream")
    if fs is not None:
        cd_fs = f"{fs['cd']:.6f} ({fs['cd_reduction_percent']:.1f}%)" if fs["converged"] else "not converged"
        print(f"{'same design, free-stream CD':<28s} {cd_fs:>14s}" + ("" if fs["same_solution"] else "  <- another flow solution"))
    print(f"{'baseline / final CL':<28s} {b['cl']:>+6.4f} / {f['cl']:+.4f}")
    print(f"{'max constraint violation':<28s} {f['violation']:>14.2e}")
    print(f"{'iterations / evaluations':<28s} {s['iterations']:>7d} / {s['evaluations']}")
    print(f"{'restarts / final evaluation':<28s} {s['restarts']:>7d} / {s['final_evaluation']}")
    print(f"{'failed evaluations':<28s} {s['failed_evaluations']:>14d}")
    print(f"{'wall time (min)':<28s} {wall / 60:>14.1f}")
    print(f"{'flow / adjoint time (min)':<28s} {s['flow_time_s'] / 60:>7.1f} / {s['adjoint_time_s'] / 60:.1f}")
    print(f"{'peak memory (MB)':<28s} {peak_mb:>14.0f}")
    print(f"{'optimizer message':<28s} {s['message']}")


if __name__ == "__main__":
    main()
