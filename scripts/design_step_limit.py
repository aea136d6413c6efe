"""The largest design step a case's mesh survives: for each shape variable alone, and along a given design.

The optimizer deforms the case's baseline mesh (``cfdopt.mesh.deform``: near the wall the grid lines move rigidly
with the wall node, so RANS cells of 1e-6 chord keep their height) and refuses a deformed mesh with a folded cell, a
wall that turns or first cells that shear far beyond the baseline's (``check_deformation`` against the baseline). This script finds, by bisection, the largest step that is still accepted:

- for each shape variable alone, up and down from the baseline (the other variables at 0);
- along the direction of a design (``--design summary.json``, e.g. a run's ``designs/final/summary.json``): the
  largest multiple ``t`` of it.

Each row also gives, at the case's own bound (``[design] bound``), the smallest corner angle-sine of any cell
(``sin`` of the angle between the two edges at each corner: 1 for a rectangle, 0 for a degenerate cell, negative
for a non-convex one) and the smallest first-wall-cell height over its baseline value: how much the deformation
distorts the cells even where it is accepted.

    python scripts/design_step_limit.py CASE [--design SUMMARY_JSON] [--max-step 0.2] [--resolution 1e-4]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from cfdopt.case.schema import load_case
from cfdopt.util.errors import MeshError
from cfdopt.mesh import check_deformation
from cfdopt.optimize.problem import AeroProblem


def corner_sines(nodes: np.ndarray) -> np.ndarray:
    """``(ni, nj, 4)`` sine of the angle at each corner of each cell, edges taken counter-clockwise."""
    p = [nodes[:-1, :-1], nodes[1:, :-1], nodes[1:, 1:], nodes[:-1, 1:]]  # counter-clockwise for a valid cell
    out = []
    for k in range(4):
        a, b = p[(k + 1) % 4] - p[k], p[k - 1] - p[k]
        cross = a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
        out.append(cross / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)))
    return np.stack(out, axis=-1)


def first_cell_heights(nodes: np.ndarray, n_wake: int) -> np.ndarray:
    """Height of each first wall cell: distance from the wall node to the next node up its grid line."""
    ni = nodes.shape[0] - 1
    return np.linalg.norm(nodes[n_wake : ni - n_wake + 1, 1] - nodes[n_wake : ni - n_wake + 1, 0], axis=-1)


def accepted(problem, d) -> tuple[bool, str]:
    """Whether the optimizer would accept design ``d``'s mesh: the check of ``AeroProblem.evaluate`` (folds, and
    the wall turning and first-cell limits against the baseline), and its refusal message."""
    grid, _ = problem.geometry(d)
    try:
        check_deformation(grid, baseline=problem.grid0, explain=problem.space.explain_wall(np.asarray(d)))
    except MeshError as err:
        return False, str(err)
    return True, ""


def largest_step(problem, base, direction, max_step: float, resolution: float) -> tuple[float, str]:
    """Largest ``t`` in ``[0, max_step]`` (to ``resolution``) with ``base + t * direction`` accepted, and the
    refusal message at the first refused ``t`` (empty when ``max_step`` itself is accepted)."""
    ok, why = accepted(problem, base + max_step * direction)
    if ok:
        return max_step, ""
    lo, hi = 0.0, max_step
    while hi - lo > resolution:
        mid = 0.5 * (lo + hi)
        ok, msg = accepted(problem, base + mid * direction)
        if ok:
            lo = mid
        else:
            hi, why = mid, msg
    return lo, why


def distortion(problem, d) -> tuple[float, float]:
    """Smallest corner sine and smallest first-cell height ratio (deformed / baseline) of design ``d``."""
    grid, _ = problem.geometry(d)
    nodes, nodes0 = np.asarray(grid.nodes), np.asarray(problem.grid0.nodes)
    h = first_cell_heights(nodes, grid.n_wake) / first_cell_heights(nodes0, grid.n_wake)
    return float(corner_sines(nodes).min()), float(h.min())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case", type=Path)
    ap.add_argument("--design", type=Path, default=None, help="a design whose direction to follow (summary.json)")
    ap.add_argument("--max-step", type=float, default=0.2, help="largest step tried, chords (default 0.2)")
    ap.add_argument("--resolution", type=float, default=1e-4, help="bisection resolution, chords (default 1e-4)")
    args = ap.parse_args()
    cfg = load_case(args.case)
    problem = AeroProblem(cfg)
    space = problem.space
    base = space.initial()
    bound = float(cfg.design.bound)
    s0, _ = distortion(problem, base)
    print(f"{args.case}: {problem.grid0.ni} x {problem.grid0.nj} cells, {space.n_shape} shape variables, "
          f"bound {bound:g}; baseline smallest corner sine {s0:.3f}")
    print(f"{'variable':>24s} {'largest step up':>16s} {'down':>8s}   at +bound: min sine, min h/h0   "
          f"at -bound: min sine, min h/h0   first refusal")
    limits = []
    for k in range(space.n_shape):
        e = np.zeros(space.n_vars)
        e[k] = 1.0
        up, why_up = largest_step(problem, base, e, args.max_step, args.resolution)
        down, why_down = largest_step(problem, base, -e, args.max_step, args.resolution)
        sp, hp = distortion(problem, base + bound * e)
        sm, hm = distortion(problem, base - bound * e)
        limits += [up, down]
        why = why_up if up <= down else why_down
        print(f"{space.names[k]:>24s} {up:16.4f} {down:8.4f}   {sp:14.3f} {hp:8.3f}   {sm:14.3f} {hm:8.3f}   "
              f"{why[:90]}", flush=True)
    print(f"smallest single-variable step refused: {min(limits):.4f} chords ({min(limits) / bound:.1f} x the bound)")
    if args.design is not None:
        d = space.read(args.design)
        direction = d - base
        t, why = largest_step(problem, base, direction, 50.0, 1e-3)
        s, h = distortion(problem, d)
        print(f"along {args.design}: t up to {t:.3f} x the design (largest shape change "
              f"{t * np.abs(direction[: space.n_shape]).max():.4f}); at t = 1 min sine {s:.3f}, min h/h0 {h:.3f}; "
              f"{why[:120]}")


if __name__ == "__main__":
    main()
