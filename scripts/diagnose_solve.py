"""Where a flow solve goes wrong: run a case's solve for a few Newton iterations and list the cells with the
largest residual.

For a solve that stalls or diverges (``cfdopt solve`` stops with its residual history, but writes no state), this
runs the same solve for ``--iterations`` Newton iterations on the case's own grid (no mesh sequencing unless
``--set numerics.mesh_levels=...`` asks for it), then prints the last iterations and the ``--cells`` cells of
largest residual norm: their index ``(i, j)``, centroid, residual of each equation, density and, for RANS,
``nuhat / nu_inf`` (``rho nuhat / rho`` of the state, whose scalar is scaled by ``nu_inf``; 3 in the free stream). A column of cells along ``j`` with density swinging from cell to cell is an odd-even mode; one cell
alone is more often the grid.

    python scripts/diagnose_solve.py CASE [--iterations 15] [--cells 12] [--set SECTION.KEY=VALUE ...] [--save F.npz]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from cfdopt.cli import enable_compilation_cache
from cfdopt.config import load_case
from cfdopt.flow.residual import make_residual
from cfdopt.mesh.types import metrics
from cfdopt.setup import flow_setup
from cfdopt.solution import case_grid
from cfdopt.solver import solve_flow


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case", type=Path)
    ap.add_argument("--iterations", type=int, default=15)
    ap.add_argument("--cells", type=int, default=12)
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    ap.add_argument("--save", type=Path, default=None, help="write U, R and the cell centroids to this .npz")
    args = ap.parse_args()
    enable_compilation_cache()
    cfg = load_case(args.case, ["numerics.mesh_levels=1", *args.overrides,
                                f"numerics.max_iterations={args.iterations}"])
    setup = flow_setup(cfg)
    grid, flow = case_grid(cfg)
    result = solve_flow(grid, flow, setup.numerics, setup.settings)
    print(f"{grid.ni} x {grid.nj} cells ({grid.n_wake} per wake branch): {result.message}")
    for h in result.history[-5:]:
        print(f"  iter {h['iteration']:3d}  residual {h['residual']:.3e}  CL {h['cl']:+.6f}  CD {h['cd']:.6f}  "
              f"CFL {h['cfl']:.2e}  step {h['omega']:.2f}")
    U = np.asarray(result.U)
    R = np.asarray(make_residual(setup.numerics)(jnp.asarray(U), grid, flow))
    centre = np.asarray(metrics(grid.nodes).centre)
    norm = np.linalg.norm(R, axis=-1)
    print(f"{'i':>4s} {'j':>3s} {'x':>8s} {'y':>10s} {'|R|':>10s}  residual per equation{'':24s} {'rho':>7s}"
          + ("  nuhat/nu_inf" if U.shape[-1] > 4 else ""))
    for k in np.argsort(norm.ravel())[::-1][: args.cells]:
        i, j = np.unravel_index(k, norm.shape)
        extra = f"  {U[i, j, 4] / U[i, j, 0]:9.3g}" if U.shape[-1] > 4 else ""
        print(f"{i:4d} {j:3d} {centre[i, j, 0]:8.4f} {centre[i, j, 1]:10.3e} {norm[i, j]:10.3e}  "
              + " ".join(f"{v:+.2e}" for v in R[i, j]) + f" {U[i, j, 0]:7.4f}" + extra)
    if args.save is not None:
        np.savez(args.save, U=U, R=R, centre=centre)


if __name__ == "__main__":
    main()
