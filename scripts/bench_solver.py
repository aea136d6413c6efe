"""Benchmark the Newton solver: NACA 0012 (sharp TE), M 0.8, alpha 1.25 deg, Euler.

Solves twice in one process and prints a table: mesh, Newton iterations per mesh-sequencing level,
wall time to the tolerance (first solve: includes compiling, or loading from the persistent XLA
cache ``~/.cache/cfdopt/xla``; second solve: the same work with everything compiled), time in
Jacobian assembly and in the linear solves, LU factorisations and GMRES iterations, and peak
resident memory (``resource.getrusage``).

Usage: python scripts/bench_solver.py [--mesh 256x64] [--farfield 100] [--no-point-vortex]
       [--levels 3] [--lu-precision single|double] [--no-lu-reuse] [--no-cache]
"""

from __future__ import annotations

import argparse
import resource
import time

import cfdopt  # noqa: F401  (float64)
from cfdopt.cli import enable_compilation_cache
from cfdopt.case.schema import MeshConfig
from cfdopt.flow.residual import Numerics
from cfdopt.flow.state import FlowConditions
from cfdopt.geometry import close_trailing_edge, load_airfoil
from cfdopt.mesh import cgrid_from_config
from cfdopt.solve.newton import SolverSettings, solve_flow


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mesh", default="256x64", help="AIRFOILxNORMAL cells (wake: about AIRFOIL/6 per branch)")
    ap.add_argument("--farfield", type=float, default=100.0)
    ap.add_argument("--mach", type=float, default=0.8)
    ap.add_argument("--no-point-vortex", action="store_true")
    ap.add_argument("--levels", type=int, default=3, help="mesh-sequencing levels (1: off)")
    ap.add_argument("--lu-precision", default="single", choices=("single", "double"))
    ap.add_argument("--ordering", default="nested-dissection", choices=("nested-dissection", "minimum-degree"))
    ap.add_argument("--no-lu-reuse", action="store_true", help="a fresh LU every Newton iteration")
    ap.add_argument("--forcing", type=float, default=SolverSettings.forcing, help="inexact-Newton forcing factor")
    ap.add_argument("--no-cache", action="store_true", help="do not use the persistent compilation cache")
    args = ap.parse_args()
    if not args.no_cache:
        enable_compilation_cache()
    n_airfoil, n_normal = (int(v) for v in args.mesh.split("x"))
    # wake cells a multiple of 4 near n_airfoil / 6, so that two coarser levels exist
    n_wake = max(4, 4 * round(n_airfoil / 24))
    surface = close_trailing_edge(load_airfoil("naca0012-sharp", "."))
    mesh = MeshConfig(n_airfoil=n_airfoil, n_wake=n_wake, n_normal=n_normal, farfield=args.farfield,
                      wall_spacing=2e-3 * 128 / n_airfoil)
    grid = cgrid_from_config(surface, mesh)
    flow = FlowConditions(args.mach, 1.25)
    settings = SolverSettings(forcing=args.forcing, ordering=args.ordering, lu_reuse=not args.no_lu_reuse, mesh_levels=args.levels,
                              lu_precision=args.lu_precision)
    numerics = Numerics(point_vortex=not args.no_point_vortex)
    runs = []
    for _ in range(2):
        t0 = time.perf_counter()
        res = solve_flow(grid, flow, numerics, settings)
        runs.append((res, time.perf_counter() - t0))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    res = runs[1][0]
    st = res.stats
    per_level = ", ".join(f"{n} on {grid.ni // 2**lv}x{grid.nj // 2**lv}"
                          for lv, n in sorted(st.level_iterations.items(), reverse=True))
    rows = [
        ("mesh (cells)", f"{grid.ni} x {grid.nj} = {grid.ni * grid.nj} ({grid.ni * grid.nj * 4} unknowns)"),
        ("converged", f"{res.converged} ({res.message})"),
        ("Newton iterations", f"{res.iterations} ({per_level})"),
        ("wall time to 1e-10, first solve (s)", f"{runs[0][1]:.1f} (compiling or loading the XLA cache)"),
        ("wall time to 1e-10, second solve (s)", f"{runs[1][1]:.1f}"),
        ("  of which Jacobian assembly / LU / GMRES (s)", f"{st.jacobian_s:.1f} / {st.factor_s:.1f} / {st.krylov_s:.1f}"),
        ("LU factorisations (double) / lagged-LU steps / GMRES iterations",
         f"{st.factorizations} ({st.double_factorizations}) / {st.lu_reuses} / {st.krylov_iterations} "
         f"({args.lu_precision} precision LU, "
         f"{args.ordering})"),
        ("rejected steps / fallbacks", f"{st.rejected_steps} / {', '.join(f.name for f in st.fallbacks) or 'none'}"),
        ("peak memory (MiB)", f"{peak:.0f}"),
        ("CL, CD, CM", f"{res.coefficients['cl']:.5f}, {res.coefficients['cd']:.5f}, {res.coefficients['cm']:.5f}"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"NACA 0012 Euler, M {args.mach}, alpha 1.25 deg, far field {args.farfield:g} chords, "
          f"point vortex {not args.no_point_vortex}, {args.levels} mesh level(s)")
    for k, v in rows:
        print(f"| {k:<{width}} | {v} |")


if __name__ == "__main__":
    main()
