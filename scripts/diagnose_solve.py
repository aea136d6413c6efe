"""Where a flow solve goes wrong: run a case's solve for a few Newton iterations and list the cells with the
largest residual.

For a solve that stalls or diverges (``cfdopt solve`` stops with its residual history, but writes no state), this
runs the same solve for ``--iterations`` Newton iterations on the case's own grid (no mesh sequencing unless
``--set numerics.mesh_levels=...`` asks for it), then prints the last iterations and the ``--cells`` cells of
largest residual norm: their index ``(i, j)``, centroid, residual of each equation, density and, for RANS,
``nuhat / nu_inf`` (``rho nuhat / rho`` of the state, whose scalar is scaled by ``nu_inf``; 3 in the free stream). A column of cells along ``j`` with density swinging from cell to cell is an odd-even mode; one cell
alone is more often the grid.

Six variations that are not case keys, for the studies in docs/rans.md ("Where alpha 0 fails"):
``--cfl-growth G`` replaces the factor ``G`` of the PTC law ``CFL *= max(G ||R_n|| / ||R_n+1||, 0.5)`` after a full
step (2 in the solver; 1 grows the CFL only while the residual falls), ``--wake-aspect A`` builds a RANS grid with
``ViscousSpacing.wake_aspect = A`` (cut cells of aspect ratio at most about A), ``--coarsen`` solves on the
grid's first sequencing level (every other node) instead, and ``--nuhat-profile PEAK DELTA`` starts (RANS, no
mesh sequencing, at ``cfl_start``) from the free stream with ``nuhat/nu_inf`` raised by
``PEAK e (d/DELTA) exp(-d/DELTA)`` (``d`` the wall distance in chords: a turbulent layer of about that peak at
``d = DELTA``); ``--start STATE.npz`` starts from a flow that ``cfdopt solve`` wrote (a continuation in the
angle, say), at ``restart_cfl``; ``--su2 FILE`` solves on the C-grid in an SU2 mesh file instead of the case's
(TMR's ``n0012_225-65.su2``, :func:`cfdopt.mesh.su2.read_su2_cgrid`). The per-equation share of the squared residual shows
which equation holds it.

    python scripts/diagnose_solve.py CASE [--iterations 15] [--cells 12] [--set SECTION.KEY=VALUE ...] [--save F.npz]
                                          [--cfl-growth G] [--wake-aspect A] [--coarsen] [--nuhat-profile PEAK DELTA]
                                          [--start STATE.npz] [--su2 FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from cfdopt.cli import enable_compilation_cache
from cfdopt.case.schema import load_case
from cfdopt.flow.layout import MEAN_FLOW, NUHAT, RHO
from cfdopt.flow.residual import make_residual
from cfdopt.flow.state import uniform_state
from cfdopt.mesh.cgrid import cgrid_from_config
from cfdopt.mesh.coarsen import coarsen
from cfdopt.mesh.quality import quality_report
from cfdopt.mesh.su2 import read_su2_cgrid
from cfdopt.mesh.types import metrics
from cfdopt.mesh.wall_distance import wall_distance
from cfdopt.optimize.problem import baseline_surface, viscous_mesh_options
from cfdopt.case.build import flow_setup
from cfdopt.analysis.outputs import case_grid
from cfdopt.solve.newton import solve_flow


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case", type=Path)
    ap.add_argument("--iterations", type=int, default=15)
    ap.add_argument("--cells", type=int, default=12)
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    ap.add_argument("--save", type=Path, default=None, help="write U, R and the cell centroids to this .npz")
    ap.add_argument("--cfl-growth", type=float, default=None, help="factor of the PTC law (solver default 2)")
    ap.add_argument("--wake-aspect", type=float, default=None, help="RANS grid with ViscousSpacing.wake_aspect")
    ap.add_argument("--coarsen", action="store_true", help="solve on the first coarser (sequencing) level")
    ap.add_argument("--nuhat-profile", type=float, nargs=2, default=None, metavar=("PEAK", "DELTA"),
                    help="start from a turbulent nuhat layer (module docstring)")
    ap.add_argument("--start", type=Path, default=None, metavar="STATE.npz",
                    help="start from the flow U in this file (a state.npz that cfdopt solve wrote) at restart_cfl")
    ap.add_argument("--su2", type=Path, default=None, metavar="FILE", help="solve on the C-grid in this SU2 file")
    args = ap.parse_args()
    enable_compilation_cache()
    cfg = load_case(args.case, ["numerics.mesh_levels=1", *args.overrides,
                                f"numerics.max_iterations={args.iterations}"])
    setup = flow_setup(cfg)
    if args.su2 is not None:
        if args.wake_aspect is not None:
            ap.error("--su2 and --wake-aspect are two different grids")
        grid, flow = read_su2_cgrid(args.su2), setup.flow
    elif args.wake_aspect is None:
        grid, flow = case_grid(cfg)
    else:
        if cfg.flow.model != "rans-sa":
            ap.error("--wake-aspect needs a rans-sa case")
        opts = viscous_mesh_options(cfg)
        opts["viscous"] = dataclasses.replace(opts["viscous"], wake_aspect=args.wake_aspect)
        grid, flow = cgrid_from_config(baseline_surface(cfg), cfg.mesh, **opts), setup.flow
    if args.coarsen:
        grid = coarsen(grid)
    print(quality_report(grid))
    settings = setup.settings
    if args.cfl_growth is not None:
        settings = dataclasses.replace(settings, cfl_growth=args.cfl_growth)
    U0 = None
    if args.start is not None:
        if args.nuhat_profile is not None:
            ap.error("--start and --nuhat-profile are two different starts")
        U0 = np.load(args.start)["U"]
        if U0.shape[:2] != (grid.ni, grid.nj):
            ap.error(f"--start: {args.start} holds a {U0.shape[0]} x {U0.shape[1]} flow, the grid has "
                     f"{grid.ni} x {grid.nj} cells")
    if args.nuhat_profile is not None:
        if cfg.flow.model != "rans-sa":
            ap.error("--nuhat-profile needs a rans-sa case")
        peak, delta = args.nuhat_profile
        U0 = np.array(uniform_state(flow, grid.ni, grid.nj, setup.numerics.model))
        d = np.asarray(wall_distance(grid))
        U0[..., NUHAT] += U0[..., RHO] * peak * np.e * (d / delta) * np.exp(-d / delta)
        settings = dataclasses.replace(settings, restart_cfl=settings.cfl_start)
    result = solve_flow(grid, flow, setup.numerics, settings, U0=U0)
    print(f"{grid.ni} x {grid.nj} cells ({grid.n_wake} per wake branch): {result.message}")
    for h in result.history[-5:]:
        print(f"  iter {h['iteration']:3d}  residual {h['residual']:.3e}  CL {h['cl']:+.6f}  CD {h['cd']:.6f}  "
              f"CFL {h['cfl']:.2e}  step {h['omega']:.2f}")
    U = np.asarray(result.U)
    R = np.asarray(make_residual(setup.numerics)(jnp.asarray(U), grid, flow))
    centre = np.asarray(metrics(grid.nodes).centre)
    norm = np.linalg.norm(R, axis=-1)
    share = np.sum(R * R, axis=(0, 1)) / np.sum(R * R)
    print("share of the squared residual by equation: " + " ".join(f"{v:.3f}" for v in share))
    print(f"{'i':>4s} {'j':>3s} {'x':>8s} {'y':>10s} {'|R|':>10s}  residual per equation{'':24s} {'rho':>7s}"
          + ("  nuhat/nu_inf" if U.shape[-1] > MEAN_FLOW else ""))
    for k in np.argsort(norm.ravel())[::-1][: args.cells]:
        i, j = np.unravel_index(k, norm.shape)
        extra = f"  {U[i, j, NUHAT] / U[i, j, RHO]:9.3g}" if U.shape[-1] > MEAN_FLOW else ""
        print(f"{i:4d} {j:3d} {centre[i, j, 0]:8.4f} {centre[i, j, 1]:10.3e} {norm[i, j]:10.3e}  "
              + " ".join(f"{v:+.2e}" for v in R[i, j]) + f" {U[i, j, RHO]:7.4f}" + extra)
    if args.save is not None:
        np.savez(args.save, U=U, R=R, centre=centre)


if __name__ == "__main__":
    main()
