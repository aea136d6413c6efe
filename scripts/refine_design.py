"""Solve an optimized design on finer meshes: from the free stream, and by continuation of the optimizer's flow.

An optimization run measures its designs on one mesh, and near a transonic optimum the discrete Euler
equations can have more than one steady solution (one shock near the trailing edge, or two). This
script takes the final design of a run (``RUN/designs/final``: its design vector and the optimizer's
converged flow, ``state.npz``) and, on each mesh of ``--mesh`` in turn, solves it twice:

- *free stream*: from uniform flow with mesh sequencing, as ``cfdopt solve --design`` does;
- *continuation*: from the previous (coarser) mesh's continuation flow, interpolated column by column
  (:func:`cfdopt.mesh.transfer.transfer_cells`), starting from
  the optimizer's own flow. This follows the optimizer's branch of solutions under refinement.

It prints one line per mesh (both CDs as reductions from the baseline's CD on the same mesh) and the
wall time of each solve. The baseline is solved from the free stream on every mesh.

    python scripts/refine_design.py RUN [--case CASE] [--mesh 160,40,56 --mesh 192,48,64 ...]
                                        [--continuation-only] [--set SECTION.KEY=VALUE ...]

``--mesh`` is ``n_airfoil,n_wake,n_normal``; the default family is 160,40,56 / 192,48,64 / 256,64,96
(240 x 56, 288 x 64 and 384 x 96 cells). CASE defaults to RUN's parent folder.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from cfdopt.cli import enable_compilation_cache
from cfdopt.case.schema import load_case
from cfdopt.mesh.transfer import transfer_cells
from cfdopt.case.build import flow_setup
from cfdopt.analysis.outputs import case_grid
from cfdopt.solve.newton import solve_flow

DEFAULT_MESHES = ["160,40,56", "192,48,64", "256,64,96"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--case", type=Path, default=None)
    ap.add_argument("--mesh", action="append", default=None, metavar="N_AIRFOIL,N_WAKE,N_NORMAL")
    ap.add_argument("--continuation-only", action="store_true", help="skip the baseline and free-stream solves")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="case overrides for every solve, e.g. numerics.restart_cfl=50")
    args = ap.parse_args()
    enable_compilation_cache()
    case = args.case or args.run.parent
    final = args.run / "designs" / "final"
    saved = np.load(final / "state.npz")
    nodes, U = np.asarray(saved["nodes"]), np.asarray(saved["U"])
    print(f"{'mesh (cells)':>13s} {'baseline CD':>12s} {'free-stream CD':>18s} {'continuation CD':>18s}  "
          f"{'times (s): baseline / free stream / continuation'}")
    for spec in args.mesh or DEFAULT_MESHES:
        n_airfoil, n_wake, n_normal = (int(v) for v in spec.split(","))
        cfg = load_case(case, args.overrides + [f"mesh.n_airfoil={n_airfoil}", f"mesh.n_wake={n_wake}",
                                                f"mesh.n_normal={n_normal}"])
        setup = flow_setup(cfg)
        numerics, settings = setup.numerics, setup.settings
        times, cds = [], {}
        designed = case_grid(cfg, final / "summary.json")
        for name, (grid, flow), start in (("baseline", case_grid(cfg), False), ("free", designed, False),
                                          ("cont", designed, True)):
            if args.continuation_only and not start:
                times.append(0.0)
                cds[name] = float("nan")
                continue
            U0 = transfer_cells(nodes, U, np.asarray(grid.nodes)) if start else None
            t = time.perf_counter()
            r = solve_flow(grid, flow, numerics, settings, U0=U0)
            times.append(time.perf_counter() - t)
            cds[name] = r.coefficients["cd"] if r.converged else float("nan")
            if start and r.converged:
                nodes, U = np.asarray(grid.nodes), np.asarray(r.U)
        b = cds["baseline"]
        pct = {k: 100.0 * (1.0 - v / b) for k, v in cds.items()}
        print(f"{grid.ni:>7d} x {grid.nj:<3d} {b:12.6f} {cds['free']:9.6f} ({pct['free']:4.1f}%) "
              f"{cds['cont']:9.6f} ({pct['cont']:4.1f}%)  {times[0]:.0f} / {times[1]:.0f} / {times[2]:.0f}",
              flush=True)


if __name__ == "__main__":
    main()
