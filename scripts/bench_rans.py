"""Benchmark RANS-SA: TMR NACA 0012, M 0.15, alpha 10 deg, Re 6e6, on the 225 x 65-class C-grid (224 x 64 cells).

The grid is TMR's own 225 x 65 grid (``../shared/data/grids/n0012_225-65.su2``, read through ``[mesh] file``)
when that file is there, else the case's generated grid of the same size; ``--grid`` chooses.

One process: the flow from the free stream to 1e-10 (first solve: compiling, or loading the caches
``~/.cache/cfdopt/xla``), the same solve again, then the adjoint gradient of CD with respect to 16
Hicks-Henne variables and alpha. Prints a table: wall time of the process up to the end of the first
solve, of the second solve, Newton iterations per mesh level, LU factorisations and GMRES iterations,
peak resident memory after the primal and after the adjoint, the adjoint's time and its ratio to the
primal, and CL, CD against the TMR band on the same-size grid.

Usage: python scripts/bench_rans.py [--grid tmr|case] [--set section.key=value ...] [--no-cache]
"""

from __future__ import annotations

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import resource  # noqa: E402
from pathlib import Path  # noqa: E402

from cfdopt.cli import enable_compilation_cache  # noqa: E402
from cfdopt.case.schema import load_case  # noqa: E402
from cfdopt.optimize.problem import AeroProblem  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TMR_GRID = ROOT.parent / "shared" / "data" / "grids" / "n0012_225-65.su2"


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", action="append", default=[], help="case-file override, section.key=value")
    ap.add_argument("--no-cache", action="store_true", help="do not use the persistent compilation caches")
    ap.add_argument("--grid", choices=("tmr", "case"), default="tmr" if TMR_GRID.is_file() else "case",
                    help=f"TMR's grid ({TMR_GRID}, the default when present) or the case's generated one")
    args = ap.parse_args()
    if args.grid == "tmr" and not TMR_GRID.is_file():
        ap.error(f"--grid tmr needs {TMR_GRID}")
    grid_set = [f"mesh.file={TMR_GRID}"] if args.grid == "tmr" else []
    if not args.no_cache:
        enable_compilation_cache()
    cfg = load_case(ROOT / "cases" / "tmr-naca0012",
                    ["design.parametrization=hicks-henne", "design.n_bumps=8", "design.alpha=true",
                     "mesh.n_normal=64"] + grid_set + args.set)
    problem = AeroProblem(cfg)
    d0 = problem.space.initial()
    runs = []
    for _ in range(2):
        t0 = time.perf_counter()
        ev = problem.evaluate(d0)
        runs.append((ev, time.perf_counter() - t0, time.perf_counter() - T_START))
    m_primal = peak_mib()
    t0 = time.perf_counter()
    problem.gradients(ev, ["cd"])  # first adjoint: compiles the VJPs
    t_adjoint_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    g = problem.gradients(ev, ["cd"])["cd"]
    t_adjoint = time.perf_counter() - t0
    m_adjoint = peak_mib()
    res = runs[1][0].solve
    st = res.stats
    grid = problem.grid0
    per_level = ", ".join(f"{n} on {grid.ni // 2**lv}x{grid.nj // 2**lv}"
                          for lv, n in sorted(st.level_iterations.items(), reverse=True))
    c = res.coefficients
    rows = [
        ("mesh (cells)", f"{grid.ni} x {grid.nj} = {grid.ni * grid.nj} ({grid.ni * grid.nj * 5} unknowns), "
                         f"{'TMR n0012_225-65.su2' if args.grid == 'tmr' else 'generated'}"),
        ("converged", f"{res.converged} ({res.message})"),
        ("Newton iterations", f"{res.iterations} ({per_level})"),
        ("fresh process to the end of the first solve (s)", f"{runs[0][2]:.1f} (first solve {runs[0][1]:.1f})"),
        ("second solve (s)", f"{runs[1][1]:.1f}"),
        ("  of which Jacobian assembly / LU / GMRES (s)",
         f"{st.jacobian_s:.1f} / {st.factor_s:.1f} / {st.krylov_s:.1f}"),
        ("LU factorisations (double) / lagged-LU steps / GMRES iterations",
         f"{st.factorizations} ({st.double_factorizations}) / {st.lu_reuses} / {st.krylov_iterations}"),
        ("rejected steps / fallbacks", f"{st.rejected_steps} / {', '.join(f.name for f in st.fallbacks) or 'none'}"),
        ("peak memory after the primal (MiB)", f"{m_primal:.0f}"),
        ("adjoint, 17 variables (s)", f"{t_adjoint:.1f} (first call {t_adjoint_first:.1f}); "
                                      f"{t_adjoint / runs[1][1]:.2f} x the second solve"),
        ("peak memory after the adjoint (MiB)", f"{m_adjoint:.0f}"),
        ("CL, CD (pressure + viscous)", f"{c['cl']:.5f}, {c['cd']:.6f} ({c['cd_p']:.6f} + {c['cd_v']:.6f})"),
        ("TMR 225x65 (CFL3D / FUN3D)", "CL 1.082906 / 1.083259, CD 0.014992 / 0.014440"),
        ("dCD/dalpha (per degree)", f"{g.design[-1]:.6e}"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"TMR NACA 0012, SA ({cfg.numerics.sa_clip}), M {cfg.flow.mach}, alpha {cfg.flow.alpha:g} deg, "
          f"Re {cfg.flow.reynolds:.3g}")
    for k, v in rows:
        print(f"| {k:<{width}} | {v} |")


if __name__ == "__main__":
    main()
