"""Solve the designs of an optimization run from the free stream and compare with the optimizer's CD.

`cfdopt optimize` warm-starts each design's flow from the previous design's, so it follows one branch
of solutions. Where the Euler equations have more than one steady solution for a design (transonic
sections near a shock-free optimum, Jameson 1991, AIAA 91-1625), a solve from the free stream can land
on another. This script re-solves every ``--every``-th design folder of ``RUN/designs`` (and the last
``--tail``) with the case's settings from the free stream and prints one line each: iteration, the
optimizer's CD, the free-stream CD, both as a reduction from the baseline, and whether they agree to
``--rtol``.

    python scripts/free_stream_designs.py RUN [--case CASE] [--every 3] [--tail 8] [--rtol 1e-4]

RUN is a results folder (``cases/NAME/results`` or ``--out`` of ``scripts/run_adodg1.py``); CASE
defaults to RUN's parent folder.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from types import SimpleNamespace

from cfdopt.cli import enable_compilation_cache
from cfdopt.case.schema import load_case
from cfdopt.optimize.run import free_stream_check
from cfdopt.optimize.problem import AeroProblem


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--case", type=Path, default=None)
    ap.add_argument("--every", type=int, default=3)
    ap.add_argument("--tail", type=int, default=8)
    ap.add_argument("--rtol", type=float, default=1e-4)
    args = ap.parse_args()
    enable_compilation_cache()
    cfg = load_case(args.case or args.run.parent, [])
    folders = sorted(p for p in (args.run / "designs").iterdir() if p.name.isdigit())
    if not folders:
        raise SystemExit(f"{args.run / 'designs'}: no design folders")
    last = int(folders[-1].name)
    picked = [p for p in folders if int(p.name) % args.every == 0 or int(p.name) > last - args.tail]
    problem = AeroProblem(cfg)
    base = SimpleNamespace(coefficients=json.loads((folders[0] / "summary.json").read_text()))
    b = base.coefficients["cd"]
    print(f"{'design':>6s} {'iter':>4s} {'optimizer CD':>14s} {'free-stream CD':>16s} {'agree':>6s} {'time':>6s}")
    for folder in picked:
        d = json.loads((folder / "summary.json").read_text())
        point = SimpleNamespace(design=problem.space.read(folder / "summary.json"), coefficients=d)
        t = time.perf_counter()
        # the same solve and comparison as the final_free_stream check of cfdopt optimize
        fs = free_stream_check(problem, point, base, rtol=args.rtol)
        cd = f"{fs['cd']:.6f} ({100 * (1 - fs['cd'] / b):4.1f}%)" if fs["converged"] else "not converged"
        print(f"{folder.name:>6s} {d['iteration']:4d} {d['cd']:.6f} ({100 * (1 - d['cd'] / b):4.1f}%) {cd:>16s} "
              f"{'yes' if fs['same_solution'] else 'NO':>6s} {time.perf_counter() - t:5.1f}s", flush=True)


if __name__ == "__main__":
    main()
