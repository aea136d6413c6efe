"""Verification of an optimum: the final design solved from the free stream and on the next finer mesh.

An optimizer's answer is a design whose objective was measured on one mesh, by flows started from the
previous design's. That number can be an artefact: the warm start may follow a branch of solutions that a
solve from the free stream does not find (transonic flows, Jameson 1991, AIAA 91-1625), or the gain may be
the coarse mesh's own error (a reduction that halves, or vanishes, on a finer mesh of the same family;
Destarac et al. 2018, "An example of a pitfall in aerodynamic shape optimization", AIAA J. 56(4)). So at the
end of ``cfdopt optimize`` (``[optimize] verify``, default on) the final design is

1. solved again from the free stream on the case's mesh (:func:`cfdopt.optimize.run.free_stream_check`;
   with ``warm_start = false`` every evaluation already was), and
2. solved, with the baseline, from the free stream on the case's mesh refined by one family level
   (:func:`family_refinement`: twice the cells each way, the first cell split as a geometric family splits
   it).

The optimum is *verified* when both solves converge to physical flows (the solver's physical check, a fold
check of the deformed finer mesh), the free-stream flow is the optimizer's, and the objective reduction on the
finer mesh has the same sign as on the case's mesh and differs from it by at most ``[optimize] verify_margin``
of it. Otherwise it is reported as not verified, with the reason; never silently.

Both meshes compare the same design vectors (shape and, when it is a variable, the angle of attack), so a
fixed-lift optimum is compared at the final design's incidence, not re-trimmed on the finer mesh.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from cfdopt.util.errors import CfdoptError
from cfdopt.optimize.problem import OBJECTIVES
from cfdopt.optimize.problem import baseline_grid
from cfdopt.case.flight import point_config
from cfdopt.optimize.problem import AeroProblem


def family_refinement(cfg):
    """``cfg`` with its C-grid refined by one family level.

    Twice the cells on the airfoil, per wake branch and normal to the wall; the first cell height ``h``
    becomes ``h / (1 + sqrt(r))`` with ``r`` the grid's first wall-normal step ratio, so that a geometric
    wall-normal distribution of ratio ``r`` becomes one of ratio ``sqrt(r)`` holding every node of the
    coarser one (as the NASA TMR family grids: each level every other point of the next); explicit surface
    spacings are halved; mesh sequencing takes one more level, down to the case's own coarsest.
    """
    grid = baseline_grid(cfg)
    line = np.asarray(grid.nodes)[grid.ni // 2]
    steps = np.hypot(*np.diff(line, axis=0).T)
    h, r = float(steps[0]), float(steps[1] / steps[0])
    m = cfg.mesh
    half = lambda v: None if v is None else 0.5 * v  # noqa: E731
    sized = {"size": None} if hasattr(m, "size") else {}  # the counts below replace a [mesh] size
    mesh = dataclasses.replace(m, **sized, n_airfoil=2 * grid.n_airfoil, n_wake=2 * grid.n_wake, n_normal=2 * grid.nj,
                               wall_spacing=h / (1.0 + np.sqrt(r)), le_spacing=half(m.le_spacing),
                               te_spacing=half(m.te_spacing))
    numerics = dataclasses.replace(cfg.numerics, mesh_levels=cfg.numerics.mesh_levels + 1)
    return dataclasses.replace(cfg, mesh=mesh, numerics=numerics)


def _objective(coefficient_sets, weights, name: str) -> float:
    return float(sum(w * float(OBJECTIVES[name](c)) for w, c in zip(weights, coefficient_sets)))


def _reduction(base: float, final: float) -> float | None:
    return 100.0 * (1.0 - final / base) if base else None


def finer_mesh_check(cfg, points, base_designs, final_designs, objective: str) -> dict:
    """Solve the baseline and the final design from the free stream on :func:`family_refinement` of ``cfg``.

    Args:
        cfg: the case.
        points: its :class:`cfdopt.case.flight.FlowPoint` s (weights of the objective).
        base_designs, final_designs: each point's design vector (:meth:`MultiPointProblem.local_design`).
        objective: the case's objective name (:data:`cfdopt.optimize.problem.OBJECTIVES`).

    Returns:
        ``mesh`` (cells), ``converged``, and when converged ``baseline`` and ``final`` (``cl``, ``cd``,
        ``cm``, ``objective``; with several points each point's under ``points``), ``objective_reduction_percent``,
        ``cd_reduction_percent``; else ``message`` (the fold, the failed or unphysical solve); ``time_s``.
    """
    t0 = time.perf_counter()
    if cfg.mesh.file is not None:
        grid = baseline_grid(cfg)
        return dict(mesh=[2 * grid.ni, 2 * grid.nj], converged=False, time_s=0.0,
                    message=f"the grid is read from [mesh] file = {cfg.mesh.file!r}, which has no finer mesh of "
                            f"its family to verify on")
    fine = family_refinement(cfg)
    out = dict(mesh=[fine.mesh.n_airfoil + 2 * fine.mesh.n_wake, fine.mesh.n_normal])
    coefs = {"baseline": [], "final": []}
    try:
        for p, d_base, d_final in zip(points, base_designs, final_designs):
            problem = AeroProblem(point_config(fine, p))
            out["mesh"] = [problem.grid0.ni, problem.grid0.nj]
            for which, d in (("baseline", d_base), ("final", d_final)):
                ev = problem.evaluate(d)
                coefs[which].append({k: float(ev.coefficients[k]) for k in ("cl", "cd", "cm")})
    except CfdoptError as err:
        return dict(out, converged=False, message=f"{type(err).__name__}: {err}", time_s=time.perf_counter() - t0)
    weights = [p.weight for p in points]
    total = sum(weights) or 1.0
    result = dict(out, converged=True)
    for which, cs in coefs.items():
        mean = {q: sum(w * c[q] for w, c in zip(weights, cs)) / total for q in ("cl", "cd", "cm")}
        result[which] = dict(mean, objective=_objective(cs, weights, objective))
        if len(points) > 1:
            result[which]["points"] = {p.name: c for p, c in zip(points, cs)}
    result["objective_reduction_percent"] = _reduction(result["baseline"]["objective"], result["final"]["objective"])
    result["cd_reduction_percent"] = _reduction(result["baseline"]["cd"], result["final"]["cd"])
    result["time_s"] = time.perf_counter() - t0
    return result


def judge(reduction: float | None, free_stream: dict, finer: dict, margin: float) -> tuple[bool, str]:
    """``(verified, reason)`` of an optimum from its two checks (module docstring); ``reason`` is "" when verified.

    Args:
        reduction: the objective reduction (percent) on the case's mesh, as the optimizer measured it.
        free_stream: per flight point (name -> dict of :func:`cfdopt.optimize.run.free_stream_check`), or
            empty when every evaluation was solved from the free stream.
        finer: :func:`finer_mesh_check`.
        margin: largest ``|reduction_finer - reduction| / |reduction|``.
    """
    for name, fs in free_stream.items():
        where = "" if name is None else f" at flight point {name!r}"
        if not fs.get("converged"):
            return False, f"the final design{where} did not converge from the free stream ({fs.get('message', '')})"
        if not fs["same_solution"]:
            return False, (f"from the free stream the final design{where} solves to another flow (CD {fs['cd']:.6f} "
                           "against the optimizer's): its gain holds only on the branch the optimizer followed")
    if not finer["converged"]:
        return False, f"on the finer mesh ({finer['mesh'][0]} x {finer['mesh'][1]}): {finer['message']}"
    fine = finer["objective_reduction_percent"]
    if reduction is None or fine is None:
        return False, "the baseline objective is 0: no reduction to compare"
    if reduction <= 0.0:
        return False, f"the optimizer found no reduction to verify ({reduction:+.2f}% on the case's mesh)"
    if fine <= 0.0 or abs(fine - reduction) > margin * abs(reduction):
        return False, (f"the objective reduction is {reduction:.2f}% on the case's mesh and {fine:.2f}% on the finer "
                       f"{finer['mesh'][0]} x {finer['mesh'][1]} mesh: they differ by more than the margin "
                       f"({100 * margin:g}% of the reduction, [optimize] verify_margin)")
    return True, ""


def verification_line(v: dict) -> str:
    """The one line ``cfdopt optimize`` ends with: the reduction on both checks, or why the optimum is not verified."""
    finer = v["finer"]
    if v["verified"]:
        fs = v["free_stream_reduction_percent"]
        fs_text = "" if fs is None else f", {fs:.2f}% solved again from the free stream"
        return (f"VERIFIED optimum: objective reduction {v['reduction_percent']:.2f}% on the case's mesh{fs_text}, "
                f"{finer['objective_reduction_percent']:.2f}% on the finer {finer['mesh'][0]} x {finer['mesh'][1]} "
                "mesh")
    return f"NOT VERIFIED optimum: {v['reason']}"
