"""``cfdopt solve CASE``: converge the flow, check that it is physical; write summary.json, solution.vtu, surface.csv,
plots, state.npz.

Exit status 3 when the flow does not converge or converges to an unphysical flow
(:func:`cfdopt.flow.physical.check_physical`: one line on stderr naming the quantity, the cell and its position);
the last line of a good solve is the physical check's.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from cfdopt.util.errors import CfdoptError

ONE_FLIGHT_POINT = True  # a multi-point case needs --point NAME (cfdopt.case.flight.single_point)
HELP = ("solve the steady flow of a case (Newton); write summary.json, solution.vtu, surface.csv, convergence.png, "
        "cp.png (and cf.png for RANS)")


def add_arguments(parser) -> None:
    parser.add_argument("--design", type=Path, default=None,
                        help="JSON file with a key 'design' (a list of design variables, or name -> value as in "
                             "a designs/*/summary.json of cfdopt optimize) to solve a deformed airfoil")
    parser.add_argument("--restart", action="store_true",
                        help="start from OUT/state.npz of a previous solve on the same mesh")


def _progress(h):
    level = f"  level {h['level']}" if h.get("level") else ""
    print(f"iter {h['iteration']:3d}{level}  residual {h['residual']:.3e}  CL {h['cl']:+.6f}  CD {h['cd']:+.6f}  "
          f"CFL {h['cfl']:.2e}  time {h['time_s']:6.1f} s", flush=True)


def _restart_state(path: Path, shape) -> np.ndarray:
    if not path.is_file():
        raise CfdoptError(f"--restart: no previous solution at {path}")
    U = np.load(path)["U"]
    if U.shape != shape:
        raise CfdoptError(f"--restart: {path} holds a {U.shape} state, this case needs {shape}")
    return U


def run(args, cfg) -> int:
    from cfdopt.case.build import flow_setup
    from cfdopt.analysis.outputs import Y_PLUS_WARNING, case_grid, wall_report, write_history, write_outputs
    from cfdopt.solve.newton import solve_flow

    t0 = time.perf_counter()
    setup = flow_setup(cfg)
    model = setup.model
    grid, flow = case_grid(cfg, args.design)
    from cfdopt.mesh.envelope import envelope_warnings  # where a rans-sa grid leaves the verified envelope

    for line in envelope_warnings(cfg, grid):
        print(f"cfdopt solve: warning: {line}", file=sys.stderr)
    U0 = _restart_state(args.out / "state.npz", (grid.ni, grid.nj, model.layout.nvar)) if args.restart else None
    if not args.quiet:
        print(f"solving {cfg.geometry.airfoil} ({model.label}) at M {cfg.flow.mach:g}, "
              f"alpha {cfg.flow.alpha:g} deg on {grid.ni} x {grid.nj} cells", flush=True)
    result = solve_flow(grid, flow, setup.numerics, setup.settings, U0=U0, callback=None if args.quiet else _progress)
    c = result.coefficients
    summary = dict(model=model.equations, **{k: float(v) for k, v in c.items()}, iterations=result.iterations,
                   residual_drop=result.residual_drop, converged=result.converged, status=result.status.value,
                   message=result.message, solver=result.stats.as_dict(), mesh=[grid.ni, grid.nj], mach=cfg.flow.mach, alpha=cfg.flow.alpha)
    if model.viscous:
        summary["reynolds"] = model.reynolds
    if result.physical is not None:
        summary["physical"] = result.physical.as_dict()
    write_history(result.history, args.out / "history.csv")
    if result.physical is not None:  # converged, physical or not: the fields show where a check failed
        summary.update(wall_report(result.U, grid, flow, model))
        write_outputs(args.out, grid, flow, model, result, summary)
    summary["wall_time_s"] = time.perf_counter() - t0
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    checked = result.physical is not None
    if not args.quiet:
        print(f"{result.message}; CL {c['cl']:.6f}  CD {c['cd']:.6f}  CM {c['cm']:.6f}; results in {args.out}")
        if model.viscous and checked:
            print(f"pressure / viscous parts: CL {c['cl_p']:.6f} / {c['cl_v']:.6f}  CD {c['cd_p']:.6f} / "
                  f"{c['cd_v']:.6f}  CM {c['cm_p']:.6f} / {c['cm_v']:.6f}")
            print(f"first-cell y+: max {summary['y_plus_max']:.3g}, mean {summary['y_plus_mean']:.3g}")
            print(f"SA clip ({model.sa.clip}): min chi {summary['chi_min']:.3g}; chi <= 0 in "
                  f"{100 * summary['share_nonpositive']:.2f}% of cells, softplus transition in "
                  f"{100 * summary['share_transition']:.2f}%")
        if result.converged:
            print(result.physical.summary())
    if model.viscous and result.converged and summary["y_plus_max"] > Y_PLUS_WARNING:
        print(f"cfdopt solve: warning: first-cell y+ up to {summary['y_plus_max']:.3g} (> {Y_PLUS_WARNING:g}): "
              "refine [mesh] wall_spacing", file=sys.stderr)
    if checked and not result.physical.ok:
        print(f"cfdopt solve: error: unphysical flow: {result.physical.failure}", file=sys.stderr)
        return 3
    if not result.converged:
        print(f"cfdopt solve: error: {result.message}", file=sys.stderr)
        return 3
    return 0
