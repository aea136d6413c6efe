"""Benchmark the Newton solver: NACA 0012 (sharp TE), M 0.8, alpha 1.25 deg, Euler.

Prints a table: mesh, Newton iterations, wall time to the tolerance, mean time per
exact Jacobian (coloured JVPs + CSR assembly), per linear solve (factorisation and
back substitution, incl. the step control), the compile time (first Jacobian), and
peak resident memory (``resource.getrusage``).

Usage: python scripts/bench_solver.py [--mesh 256x64] [--farfield 100] [--point-vortex]
       [--ordering nested-dissection|minimum-degree] [--no-lu-reuse]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

import cfdopt  # noqa: F401  (float64)
from cfdopt.config import MeshConfig
from cfdopt.flow.residual import Numerics
from cfdopt.flow.state import FlowConditions
from cfdopt.geometry import close_trailing_edge, load_airfoil
from cfdopt.mesh import cgrid_from_config
import cfdopt.solver as solver_module
from cfdopt.solver import SolverSettings, solve_flow


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mesh", default="256x64", help="AIRFOILxNORMAL cells (wake: AIRFOIL/6 per branch)")
    ap.add_argument("--farfield", type=float, default=100.0)
    ap.add_argument("--mach", type=float, default=0.8)
    ap.add_argument("--point-vortex", action="store_true")
    ap.add_argument("--ordering", default="nested-dissection", choices=("nested-dissection", "minimum-degree"))
    ap.add_argument("--no-lu-reuse", action="store_true", help="a fresh LU every Newton iteration")
    args = ap.parse_args()
    n_airfoil, n_normal = (int(v) for v in args.mesh.split("x"))
    surface = close_trailing_edge(load_airfoil("naca0012-sharp", "."))
    mesh = MeshConfig(n_airfoil=n_airfoil, n_wake=max(2, n_airfoil // 6), n_normal=n_normal,
                      farfield=args.farfield, wall_spacing=2e-3 * 128 / n_airfoil)
    grid = cgrid_from_config(surface, mesh)
    flow = FlowConditions(args.mach, 1.25)
    made = []  # the solve's linear solver, to report its factorisation/reuse counts
    make = solver_module._linear_solver
    solver_module._linear_solver = lambda *a: made.append(make(*a)) or made[-1]
    settings = SolverSettings(ordering=args.ordering, lu_reuse=not args.no_lu_reuse)
    t0 = time.perf_counter()
    res = solve_flow(grid, flow, Numerics(point_vortex=args.point_vortex), settings)
    wall = time.perf_counter() - t0
    h = res.history[1:]
    jac = np.array([x["jacobian_s"] for x in h])
    lin = np.array([x["linear_s"] for x in h])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    stats = made[0].stats
    rows = [
        ("mesh (cells)", f"{grid.ni} x {grid.nj} = {grid.ni * grid.nj}"),
        ("unknowns", f"{grid.ni * grid.nj * 4}"),
        ("converged", f"{res.converged} ({res.message})"),
        ("Newton iterations", f"{res.iterations}"),
        ("wall time to 1e-10 (s)", f"{wall:.1f}"),
        ("first Jacobian incl. compile (s)", f"{jac[0]:.2f}" if jac.size else "-"),
        ("time per Jacobian (s, mean after first)", f"{jac[1:].mean():.3f}" if jac.size > 1 else "-"),
        ("time per linear solve (s, mean)", f"{lin.mean():.3f}" if lin.size else "-"),
        ("ordering, LU reuse", f"{args.ordering}, {not args.no_lu_reuse}"),
        ("LU factorisations / GMRES reuses (failed)",
         f"{stats['factorizations']} / {stats['reuses']} ({stats['failed_reuses']}), "
         f"{stats['gmres_iterations']} GMRES iterations"),
        ("peak memory (MiB)", f"{peak:.0f}"),
        ("CL, CD, CM", f"{res.coefficients['cl']:.5f}, {res.coefficients['cd']:.5f}, {res.coefficients['cm']:.5f}"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"NACA 0012 Euler, M {args.mach}, alpha 1.25 deg, far field {args.farfield:g} chords, "
          f"point vortex {args.point_vortex}")
    for k, v in rows:
        print(f"| {k:<{width}} | {v} |")


if __name__ == "__main__":
    main()
