"""The physical-check extremes of converged flows: the measurements behind :class:`cfdopt.flow.physical.PhysicalBounds`.

Solves the bundled cases, the cases at the small mesh sizes the tests use (each from the free stream with the case's
settings), and the tests' own hand-made C-grids (``tests/flow_testgrids.py``, with the tests' numerics) and prints,
per flow, the quantities :func:`cfdopt.flow.physical.check_physical` bounds: the largest
``p0/p0_inf - 1`` (RANS: outside the boundary layer and wake; in brackets over every cell), the largest wall
``Cp / Cp0``, the least ``rho / rho_inf`` and ``p / p_inf``, CD, the largest ``mu_t / mu``, and whether the check
passes. docs/solver.md ("Physical checks") holds its output.

Usage: python scripts/physical_margins.py [--only LABEL ...] [--timing]
    --timing: also solve each flow a second time (warm: compiled) and time the check against that solve.
About 19 minutes on 2 cores shared with other work (load 8), most of it cases/tmr-naca0012; --timing solves twice.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from pathlib import Path

import numpy as np

import cfdopt  # noqa: F401  (float64)
from cfdopt.cli import enable_compilation_cache
from cfdopt.case.schema import load_case
from cfdopt.flow.model import RANS_ENTROPY_FIX_LINEAR
from cfdopt.flow.model import FlowModel
from cfdopt.flow.physical import check_physical, total_pressure
from cfdopt.flow.residual import Numerics
from cfdopt.flow.state import FlowConditions, primitive, uniform_state
from cfdopt.case.build import flow_setup
from cfdopt.analysis.outputs import case_grid
from cfdopt.solve.newton import SolverSettings, solve_flow

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "cases"
TEST_TINY = ["mesh.n_airfoil=32", "mesh.n_wake=8", "mesh.n_normal=8", "mesh.farfield=20"]
FLOWS = [
    # label, case, overrides
    ("subsonic", "naca0012-subsonic", []),
    ("subsonic-256x64", "naca0012-subsonic", ["mesh.n_airfoil=256", "mesh.n_wake=48", "mesh.n_normal=64"]),
    ("subsonic-a10-m0.15", "naca0012-subsonic", ["flow.mach=0.15", "flow.alpha=10"]),
    ("transonic", "naca0012-transonic", []),
    ("quickstart", "quickstart", []),
    ("su2-inviscid", "naca0012-su2-inviscid", []),
    ("rae2822", "rae2822", []),
    ("test-optimize-tiny", "quickstart", TEST_TINY + ["flow.mach=0.8", "flow.alpha=1.25", "numerics.tolerance=1e-12",
                                                      "numerics.max_iterations=60"]),
    ("test-polar-tiny-a4", "naca0012-subsonic", ["mesh.n_airfoil=48", "mesh.n_wake=8", "mesh.n_normal=16",
                                                 "mesh.farfield=20", "numerics.mesh_levels=1", "flow.alpha=4"]),
    ("tiny-naca0012-sharp-m0.8", "naca0012-transonic", TEST_TINY),
    ("rans-quick", "rans-quick", []),
    ("sa-clip-study", "sa-clip-study", []),
    ("sa-clip-active", "sa-clip-active", []),
    ("tmr-naca0012-a10", "tmr-naca0012", []),
    ("tmr-flatplate", "tmr-flatplate", []),
    ("test-naca0012-coarse", "naca0012-subsonic", ["mesh.n_airfoil=64", "mesh.n_wake=12", "mesh.n_normal=16",
                                                   "mesh.wall_spacing=4e-3"]),
]
RANS_1E5 = FlowModel(equations="rans-sa", reynolds=1e5, sa_clip="softplus")
# the tests' hand-made C-grids (tests/flow_testgrids.py): label, c_grid arguments, (M, alpha), numerics, settings
TEST_GRIDS = [
    ("test-solver-grid", dict(n_airfoil=48, n_wake=10, n_normal=12, farfield=15.0, wall_spacing=5e-3), (0.5, 1.25),
     Numerics(), SolverSettings(tolerance=1e-10)),
    ("test-solver-grid-32", dict(n_airfoil=32, n_wake=8, n_normal=16, farfield=15.0, wall_spacing=5e-3), (0.5, 1.25),
     Numerics(), SolverSettings()),
    ("test-small-grid-m0.8", dict(n_airfoil=24, n_wake=6, n_normal=8, farfield=10.0, wall_spacing=0.01), (0.8, 1.25),
     Numerics(), SolverSettings(mesh_levels=1)),
    ("test-rans-grid", dict(n_airfoil=32, n_wake=8, n_normal=16, farfield=20.0, wall_spacing=1e-4), (0.3, 2.0),
     Numerics(model=RANS_1E5, entropy_fix_linear=RANS_ENTROPY_FIX_LINEAR),
     SolverSettings(mesh_levels=1, tolerance=1e-12, max_iterations=60)),
]


def case_flow(case, overrides):
    """``(grid, flow, numerics, settings)`` of a bundled case with ``overrides``."""
    cfg = load_case(CASES / case, overrides)
    setup = flow_setup(cfg)
    grid, flow = case_grid(cfg)
    return grid, flow, setup.numerics, setup.settings


def test_grid_flow(grid_args, mach_alpha, numerics, settings):
    """``(grid, flow, numerics, settings)`` of a tests' hand-made C-grid."""
    sys.path.insert(0, str(ROOT / "tests"))
    from flow_testgrids import c_grid

    return c_grid(**grid_args), FlowConditions(*mach_alpha), numerics, settings


def all_flows() -> list[tuple]:
    """``(label, source in words, build)`` of every flow, ``build()`` giving ``(grid, flow, numerics, settings)``."""
    out = []
    for label, case, overrides in FLOWS:
        tiny = set(TEST_TINY) <= set(overrides)
        source = " ".join([case] + [f"`{o}`" for o in overrides if not (tiny and o in TEST_TINY)])
        if tiny:
            source += " + tests' TINY"
        out.append((label, source, functools.partial(case_flow, case, overrides)))
    for label, grid_args, mach_alpha, numerics, settings in TEST_GRIDS:
        source = ("tests' c_grid(" + ", ".join(f"{k}={v:g}" for k, v in grid_args.items())
                  + f"), M {mach_alpha[0]:g}, alpha {mach_alpha[1]:g}")
        out.append((label, source, functools.partial(test_grid_flow, grid_args, mach_alpha, numerics, settings)))
    return out


def measure(label, grid, flow, numerics, settings, timing=False):
    model = numerics.model
    cold_s = None
    if timing:  # the first check on this grid shape in this process: JAX's eager operations compile once per shape
        U_inf = np.asarray(uniform_state(flow, grid.ni, grid.nj, model))
        t0 = time.perf_counter()
        check_physical(U_inf, grid, flow, model, {"cd": 1.0})
        cold_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = solve_flow(grid, flow, numerics, settings)
    solve_s = time.perf_counter() - t0
    row = dict(label=label, mesh=f"{grid.ni}x{grid.nj}", converged=res.converged, solve_s=solve_s)
    if res.physical is None:
        return row | dict(message=res.message)
    check = res.physical
    W = np.asarray(primitive(res.U, flow.gamma))
    g, m = flow.gamma, float(flow.mach)
    p0_inf = (1 / g) * (1 + 0.5 * (g - 1) * m * m) ** (g / (g - 1))
    row |= dict(gain=check.total_pressure_gain, gain_all=float(np.max(total_pressure(W, g) / p0_inf - 1)),
                cp_ratio=check.wall_cp_ratio, rho_min=check.density_min, p_min=check.pressure_min, cd=check.cd,
                mut=check.eddy_viscosity_ratio_max, ok=check.ok, failure=check.failure, where=check.cells)
    if timing:
        t0 = time.perf_counter()
        warm = solve_flow(grid, flow, numerics, settings)
        row["warm_solve_s"] = time.perf_counter() - t0
        n = 20
        t0 = time.perf_counter()
        for _ in range(n):
            check_physical(warm.U, grid, flow, model, warm.coefficients)
        row["check_s"] = (time.perf_counter() - t0) / n
        row["cold_check_s"] = cold_s
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=None, help="labels to run (default: all)")
    ap.add_argument("--timing", action="store_true", help="time the check against a warm solve")
    args = ap.parse_args()
    if os.environ.get("CFDOPT_CACHE_DIR", None) != "":
        enable_compilation_cache()
    flows = [f for f in all_flows() if not args.only or f[0] in args.only]
    rows = []
    for label, _, build in flows:
        row = measure(label, *build(), timing=args.timing)
        rows.append(row)
        print(row, flush=True)
    print()
    print("\n".join(margins_table(flows, rows)))
    if args.timing:
        print()
        print("\n".join(timing_table(rows)))


def margins_table(flows, rows) -> list[str]:
    """The Markdown table of docs/solver.md ("Physical checks"): one row per measured flow."""
    out = ["| flow | case, overrides | cells | max p0/p0_inf - 1 (all cells) | at (x, y) | max wall Cp/Cp0 "
           "| min rho/rho_inf | min p/p_inf | CD | max mu_t/mu | check |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for (label, source, _), row in zip(flows, rows):
        if "gain" not in row:
            out.append(f"| {label} | {source} | {row['mesh']} | not converged: {row['message']} ||||||||")
            continue
        mut = "-" if not np.isfinite(row["mut"]) else f"{row['mut']:.3g}"
        gain = f"{row['gain']:.2e}" + (f" ({row['gain_all']:.2e})" if np.isfinite(row["mut"]) else "")
        x, y = row["where"]["total_pressure_gain"][2:]
        out.append(f"| {label} | {source} | {row['mesh']} | {gain} | ({x:.4f}, {y:.4f}) | {row['cp_ratio']:.4f} | "
                   f"{row['rho_min']:.3f} | {row['p_min']:.3f} | {row['cd']:.5f} | {mut} | "
                   f"{'pass' if row['ok'] else 'FAIL: ' + row['failure']} |")
    return out


def timing_table(rows) -> list[str]:
    """The cost of the check against a warm solve (``--timing``)."""
    out = ["| flow | cells | warm solve (s) | check (ms) | check / solve | first check in the process (ms) |",
           "|---|---|---|---|---|---|"]
    for row in rows:
        if "check_s" in row:
            out.append(f"| {row['label']} | {row['mesh']} | {row['warm_solve_s']:.2f} | {1e3 * row['check_s']:.1f} | "
                       f"{100 * row['check_s'] / row['warm_solve_s']:.3f}% | {1e3 * row['cold_check_s']:.0f} |")
    return out

if __name__ == "__main__":
    main()
