"""Adjoint vs primal cost on the bundled transonic case and a ~256x64 mesh.

Prints, per mesh: primal wall time (Newton from free stream, compiled), the
adjoint wall time (exact Jacobian + LU + transposed solve + VJPs + pull-back
to the design), their ratio, peak resident memory after each phase, and the
cost of the same gradient by central finite differences for 20 design
variables (40 warm-started solves, timed on two and extrapolated).

Usage: python scripts/bench_adjoint.py [--quick]
"""

import argparse
import resource
import time
from pathlib import Path

import numpy as np

from cfdopt.case.schema import load_case
from cfdopt.optimize.problem import AeroProblem

ROOT = Path(__file__).resolve().parents[1]


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def bench(label, case, overrides):
    cfg = load_case(ROOT / "cases" / case, overrides + ["design.parametrization=hicks-henne", "design.n_bumps=10"])
    problem = AeroProblem(cfg)
    d0 = problem.space.initial()
    # compile everything once, then time a cold-start solve and the adjoint
    ev = problem.evaluate(d0)
    problem.gradients(ev, ["cd"])
    m0 = peak_mib()
    t0 = time.perf_counter()
    ev = problem.evaluate(d0)
    t_primal = time.perf_counter() - t0
    m1 = peak_mib()
    t0 = time.perf_counter()
    g = problem.gradients(ev, ["cd"])["cd"]
    t_adjoint = time.perf_counter() - t0
    m2 = peak_mib()
    t0 = time.perf_counter()
    for s in (1e-6, -1e-6):
        e = np.zeros_like(d0)
        e[0] = s
        problem.evaluate(d0 + e, U0=ev.solve.U)
    t_fd = (time.perf_counter() - t0) / 2 * 2 * 20
    grid = problem.grid0
    return dict(label=label, cells=f"{grid.ni}x{grid.nj}", newton=ev.solve.iterations, primal=t_primal,
                adjoint=t_adjoint, ratio=t_adjoint / t_primal, fd20=t_fd, lin=g.adjoint.linear_residual,
                mem_before=m0, mem_primal=m1, mem_adjoint=m2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the bundled transonic case")
    args = parser.parse_args()
    runs = [("naca0012-transonic", "naca0012-transonic", [])]
    if not args.quick:
        runs.append(("256x64", "naca0012-transonic",
                     ["mesh.n_airfoil=192", "mesh.n_wake=32", "mesh.n_normal=64"]))
    rows = [bench(*r) for r in runs]
    print(f"{'case':<20s} {'cells':>9s} {'Newton':>6s} {'primal s':>9s} {'adjoint s':>9s} {'ratio':>6s} "
          f"{'FD(20) s':>9s} {'adj. lin. res':>13s} {'peak MiB primal':>15s} {'peak MiB adjoint':>16s}")
    for r in rows:
        print(f"{r['label']:<20s} {r['cells']:>9s} {r['newton']:6d} {r['primal']:9.2f} {r['adjoint']:9.2f} "
              f"{r['ratio']:6.2f} {r['fd20']:9.1f} {r['lin']:13.1e} {r['mem_primal']:15.0f} {r['mem_adjoint']:16.0f}")
    print("peak MiB is the process's resident-set high-water mark after each phase (compiled code included).")


if __name__ == "__main__":
    main()
