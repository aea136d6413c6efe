"""Multi-point optimization on Dask workers: 4 flight points on 1 and 2 local worker processes.

Runs the same few SLSQP iterations of ``cases/multipoint-quick`` with four flight points (M 0.76 to 0.82),
first serial in this process (the reference), then on a ``LocalCluster`` of 1 and of 2 worker processes,
and prints one table row each: wall time per optimizer iteration (the baseline evaluation, which loads the
compiled programs, left out), speed-up over 1 worker, flow + adjoint time per point evaluation, evaluations,
peak resident memory of each process that evaluated points (this one for the serial run), and whether the
history is bitwise the serial one.

The compiled programs come from the persistent cache (``CFDOPT_CACHE_DIR``, default ``~/.cache/cfdopt/xla``):
run ``cfdopt optimize cases/multipoint-quick`` once first, or the first row pays the compilation.

Usage: python scripts/bench_multipoint.py [--iterations N] [--workers 1 2]
"""

import argparse
import dataclasses
import math
import time
from pathlib import Path

import numpy as np

from cfdopt.cli import enable_compilation_cache
from cfdopt.case.schema import load_case
from cfdopt.optimize.multipoint import MultiPointProblem
from cfdopt.optimize.driver import run_optimization
from cfdopt.optimize.backends import DaskBackend, SerialBackend

ROOT = Path(__file__).resolve().parents[1]
POINTS = ('flow.point=[{name="m76", mach=0.76, alpha=1.5, weight=0.25}, {name="m78", mach=0.78, alpha=1.25, '
          'weight=0.25}, {name="m80", mach=0.80, alpha=1.0, weight=0.25}, {name="m82", mach=0.82, alpha=0.75, '
          'weight=0.25}]')
CONSTRAINT = 'optimize.constraint=[{quantity="cl", point="m78", lower=0.25}]'


def run(cfg, backend, iterations: int) -> dict:
    problem = MultiPointProblem(cfg, backend=backend)
    opt = dataclasses.replace(cfg.optimize, max_iterations=iterations)
    t0 = time.perf_counter()
    result = run_optimization(problem, opt)
    wall = time.perf_counter() - t0
    rows = result.history
    per_iteration = (rows[-1]["elapsed_s"] - rows[0]["elapsed_s"]) / max(result.iterations, 1)
    work = sum(r["flow_s"] + r["adjoint_s"] for r in rows[1:])
    evaluations = result.evaluations - 1
    memory = backend.memory()
    return dict(rows=rows, wall=wall, per_iteration=per_iteration, iterations=result.iterations,
                evaluations=result.evaluations, per_point=work / max(evaluations * len(problem.points), 1),
                memory=" / ".join(f"{m / 2**20:.0f}" for m in memory.values()))


def same_history(a, b) -> bool:
    keys = [k for k in a[0] if not k.endswith("_s")]
    return len(a) == len(b) and all(ra[k] == rb[k] or (np.isnan(ra[k]) and np.isnan(rb[k]))
                                    if isinstance(ra[k], float) else ra[k] == rb[k] for ra, rb in zip(a, b)
                                    for k in keys)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=3, help="optimizer iterations per run (default 3)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="local worker counts (default 1 2)")
    args = parser.parse_args()
    enable_compilation_cache()
    cfg = load_case(ROOT / "cases" / "multipoint-quick", [POINTS, CONSTRAINT])
    grid = f"{cfg.mesh.n_airfoil + 2 * cfg.mesh.n_wake}x{cfg.mesh.n_normal}"
    print(f"cases/multipoint-quick, 4 flight points, {grid} cells, {args.iterations} SLSQP iterations")
    runs = [("serial (in process)", run(cfg, SerialBackend(), args.iterations))]
    for n in args.workers:
        with DaskBackend(workers=n) as backend:
            runs.append((f"{n} worker{'s' if n > 1 else ''}", run(cfg, backend, args.iterations)))
    one = next((r for label, r in runs if label == "1 worker"), None)
    print("| run | s / iteration | speed-up vs 1 worker | flow + adjoint s / point | evaluations | "
          "peak MiB / process | history = serial |")
    print("|---|---|---|---|---|---|---|")
    reference = runs[0][1]["rows"]
    for label, r in runs:
        speedup = f"{one['per_iteration'] / r['per_iteration']:.2f}" if one else "-"
        print(f"| {label} | {r['per_iteration']:.2f} | {speedup} | {r['per_point']:.2f} | {r['evaluations']} | "
              f"{r['memory']} | {'yes' if same_history(r['rows'], reference) else 'NO'} |")
    serial = runs[0][1]
    per_iteration = (serial["evaluations"] - 1) / max(serial["iterations"], 1)
    overhead = max(one["per_iteration"] - serial["per_iteration"], 0.0) if one else 0.0
    print(f"\nmodel: s / iteration = {per_iteration:.2f} evaluations x ceil(points / workers) x "
          f"{serial['per_point']:.2f} s per point + {overhead:.2f} s Dask overhead (1 worker - serial)")
    for points, workers in ((4, 1), (4, 2), (16, 1), (16, 8)):
        estimate = per_iteration * math.ceil(points / workers) * serial["per_point"] + (overhead if workers > 1 else 0)
        where = "serial" if workers == 1 else f"on {workers} workers"
        print(f"  {points:2d} points {where}: {estimate:.1f} s / iteration")


if __name__ == "__main__":
    main()
