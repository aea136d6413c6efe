"""``cfdopt solve CASE``: converge the flow; write summary.json, solution.vtu, surface.csv, plots, state.npz."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import numpy as np

from cfdopt.errors import CfdoptError, ConfigError

HELP = "solve the steady flow of a case (Newton); write summary.json, solution.vtu, surface.csv, convergence.png, cp.png"


def add_arguments(parser) -> None:
    parser.add_argument("--design", type=Path, default=None,
                        help="JSON file with a key 'design' (a list of design variables, or name -> value as in "
                             "a designs/*/summary.json of cfdopt optimize) to solve a deformed airfoil")
    parser.add_argument("--restart", action="store_true",
                        help="start from OUT/state.npz of a previous solve on the same mesh")


def build_grid(cfg, design_file: Path | None = None):
    """``(grid, flow)`` of the case: the baseline C-grid, or the grid deformed to the design in ``design_file``.

    The design vector has the layout of :mod:`cfdopt.design` (the same as ``cfdopt optimize`` writes), so a
    design from an optimization history solves on exactly the mesh the optimizer saw.
    """
    from cfdopt.flow.state import FlowConditions
    from cfdopt.mesh import check_deformation
    from cfdopt.problem import AeroProblem

    problem = AeroProblem(cfg)
    if design_file is None:
        return problem.grid0, FlowConditions.from_config(cfg.flow)
    design = problem.space.read(design_file)
    grid, flow = problem.geometry(design)
    check_deformation(grid)
    return grid, FlowConditions(mach=float(flow.mach), alpha=float(flow.alpha), gamma=flow.gamma)


def _progress(h):
    level = f"  level {h['level']}" if h.get("level") else ""
    print(f"iter {h['iteration']:3d}{level}  residual {h['residual']:.3e}  CL {h['cl']:+.6f}  CD {h['cd']:+.6f}  "
          f"CFL {h['cfl']:.2e}  time {h['time_s']:6.1f} s", flush=True)


def write_history(history, path: Path) -> None:
    keys = list(history[0]) if history else ["iteration", "residual"]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(history)


def write_outputs(out: Path, grid, flow, result, summary: dict) -> None:
    """solution.vtu, surface.csv, convergence.png, cp.png, state.npz."""
    import jax.numpy as jnp

    from cfdopt.flow.forces import surface_cp
    from cfdopt.flow.state import mach_number, pressure_coefficient, primitive
    from cfdopt.mesh import write_vtu
    from cfdopt.plots.flow import plot_convergence, plot_cp

    U = jnp.asarray(result.U)
    W = np.asarray(primitive(U, flow.gamma))
    write_vtu(out / "solution.vtu", grid, cell_data={
        "density": W[..., 0], "velocity": W[..., 1:3], "pressure": W[..., 3],
        "mach": np.asarray(mach_number(W, flow.gamma)), "cp": np.asarray(pressure_coefficient(W[..., 3], flow)),
    })
    xy, cp = surface_cp(U, grid, flow)
    xy, cp = np.asarray(xy), np.asarray(cp)
    np.savetxt(out / "surface.csv", np.column_stack([xy, cp]), delimiter=",", header="x,y,cp", comments="")
    title = f"M {float(flow.mach):g}, alpha {float(flow.alpha):g} deg: CL {summary['cl']:.4f}, CD {summary['cd']:.5f}"
    plot_convergence(result.history, out / "convergence.png", title)
    plot_cp(xy[:, 0], cp, out / "cp.png", title)
    np.savez(out / "state.npz", U=result.U, nodes=np.asarray(grid.nodes), n_wake=grid.n_wake)


def run(args, cfg) -> int:
    from cfdopt.flow.residual import Numerics
    from cfdopt.solver import SolverSettings, solve_flow

    if cfg.flow.model != "euler":
        raise ConfigError(f"{cfg.source}: [flow] model = {cfg.flow.model!r} is not available yet (only 'euler')")
    t0 = time.perf_counter()
    grid, flow = build_grid(cfg, args.design)
    U0 = None
    if args.restart:
        path = args.out / "state.npz"
        if not path.is_file():
            raise CfdoptError(f"--restart: no previous solution at {path}")
        data = np.load(path)
        if data["U"].shape != (grid.ni, grid.nj, 4):
            raise CfdoptError(f"--restart: {path} holds a {data['U'].shape[:2]} state, the mesh is {(grid.ni, grid.nj)}")
        U0 = data["U"]
    if not args.quiet:
        print(f"solving {cfg.geometry.airfoil} at M {cfg.flow.mach:g}, alpha {cfg.flow.alpha:g} deg on "
              f"{grid.ni} x {grid.nj} cells", flush=True)
    result = solve_flow(grid, flow, Numerics.from_config(cfg.numerics), SolverSettings.from_config(cfg.numerics),
                        U0=U0, callback=None if args.quiet else _progress)
    c = result.coefficients
    summary = dict(cl=c["cl"], cd=c["cd"], cm=c["cm"], iterations=result.iterations,
                   residual_drop=result.residual_drop, converged=result.converged,
                   wall_time_s=time.perf_counter() - t0, message=result.message,
                   mesh=[grid.ni, grid.nj], mach=cfg.flow.mach, alpha=cfg.flow.alpha)
    write_history(result.history, args.out / "history.csv")
    if result.converged:
        write_outputs(args.out, grid, flow, result, summary)
    summary["wall_time_s"] = time.perf_counter() - t0
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    if not args.quiet:
        print(f"{result.message}; CL {c['cl']:.6f}  CD {c['cd']:.6f}  CM {c['cm']:.6f}; results in {args.out}")
    if not result.converged:
        import sys

        print(f"cfdopt solve: error: {result.message}", file=sys.stderr)
        return 3
    return 0
