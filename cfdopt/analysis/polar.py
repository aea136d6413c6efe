"""Polars: one flow solve per angle of attack (or Mach number), each started from its neighbour's converged flow.

Library code behind ``cfdopt polar`` (``[polar]`` in the case file); it returns rows and writes files, never prints.

Continuation order:
    The values are sorted. The sweep starts at the value nearest the case's own ``[flow]`` alpha (or mach), solved
    from the free stream, goes up to the largest value, then down from the start to the smallest. Each point starts
    from the last converged flow of its branch, so continuation follows one branch of solutions from the case's
    condition outward (as XFoil's ASEQ from a converged point), and the downward branch starts again from the
    starting point's flow, not from the top of the upward one.

Failures:
    A point that does not converge from its neighbour's flow is solved again from the free stream (with the case's
    mesh sequencing). If that fails too, its row has ``converged = False``, NaN coefficients and both solver messages;
    the sweep goes on, and the next point starts from the last converged flow of the branch (a failed flow is never
    a start).

The warm state is an argument and a return value (:func:`solve_point`), never an attribute.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import time
from dataclasses import dataclass
from pathlib import Path

from cfdopt.flow.state import FlowConditions
from cfdopt.solve.newton import solve_with_fallback
from cfdopt.solve.result import Status
from cfdopt.case.build import flow_setup
from cfdopt.analysis.outputs import case_grid

PARTS = ("cl_p", "cl_v", "cd_p", "cd_v", "cm_p", "cm_v")
"""Pressure and viscous parts of the coefficients, in a row of a viscous (rans-sa) model only."""

STARTS = ("free stream", "neighbour", "free stream after neighbour")
"""Where the reported solve of a point started: the first point (or one with no converged neighbour) from the free
stream, the others from their neighbour's flow, or, when that failed, again from the free stream."""


@dataclass(frozen=True)
class PolarPoint:
    """One point of a polar.

    Attributes:
        alpha: angle of attack, degrees.
        mach: free-stream Mach number.
        converged: whether the reported solve converged.
        cl, cd, cm: force coefficients (NaN when not converged).
        iterations: Newton iterations of the reported solve (all mesh levels).
        time_s: wall time of the point, retry included.
        start: one of :data:`STARTS`.
        message: the solver's message (both, when the point was retried).
        status: the reported solve's :class:`cfdopt.solve.result.Status` (its value in a CSV row).
        parts: ``{"cl_p": ..., "cd_v": ...}`` of a viscous model (:data:`PARTS`), else empty.
    """

    alpha: float
    mach: float
    converged: bool
    cl: float
    cd: float
    cm: float
    iterations: int
    time_s: float
    start: str
    message: str
    status: Status
    parts: dict = dataclasses.field(default_factory=dict)

    def row(self) -> dict:
        """The point as one CSV row: ``converged`` as 0/1, the parts as their own columns."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "parts"}
        out["converged"] = int(self.converged)
        out["status"] = self.status.value
        return {**out, **self.parts}


def sweep_order(values, reference: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The two branches of a sweep: ``(up, down)``.

    Args:
        values: the values to solve at, any order.
        reference: the case's own value; the sweep starts at the value nearest it (the lower one on a tie).

    Returns:
        ``up``: the nearest value and every larger one, ascending; ``down``: the smaller ones, descending.
    """
    ordered = sorted(float(v) for v in values)
    k = min(range(len(ordered)), key=lambda i: (abs(ordered[i] - reference), ordered[i]))
    return tuple(ordered[k:]), tuple(reversed(ordered[:k]))


def solve_point(grid, flow: FlowConditions, numerics, settings, U_warm=None, callback=None):
    """Solve one point from ``U_warm`` (a neighbour's converged flow), retrying from the free stream on failure.

    Args:
        grid: the C-grid.
        flow: the point's free stream.
        numerics, settings: as :func:`cfdopt.solve.newton.solve_flow`.
        U_warm: start state ``(ni, nj, nvar)``; None: the free stream.
        callback: passed to :func:`cfdopt.solve.newton.solve_flow` (per-iteration history).

    Returns:
        ``(point, U)``: the :class:`PolarPoint` and its converged state, or None when it did not converge.
    """
    t0 = time.perf_counter()
    attempts = solve_with_fallback(grid, flow, numerics, settings, U_warm, callback)
    result = attempts[-1]
    start = STARTS[0] if U_warm is None else STARTS[len(attempts)]
    message = result.message
    if len(attempts) == 2:
        message = f"from the neighbour's flow: {attempts[0].message}; from the free stream: {result.message}"
    c = result.coefficients if result.converged else {}
    value = {k: float(c.get(k, math.nan)) for k in ("cl", "cd", "cm")}
    parts = {k: float(c.get(k, math.nan)) for k in PARTS} if numerics.model.viscous else {}
    point = PolarPoint(alpha=float(flow.alpha), mach=float(flow.mach), converged=result.converged, **value,
                       iterations=result.iterations, time_s=time.perf_counter() - t0, start=start, message=message,
                       status=result.status, parts=parts)
    return point, (result.U if result.converged else None)


def sweep(grid, flow: FlowConditions, numerics, settings, variable: str, values, on_point=None) -> list[PolarPoint]:
    """A polar: :func:`solve_point` at each value of ``variable``, in the order of :func:`sweep_order`.

    Args:
        grid: the C-grid (one for every point: alpha and Mach enter through the free stream alone).
        flow: the case's free stream; ``variable`` (``"alpha"`` or ``"mach"``) is replaced by each value.
        numerics, settings: as :func:`cfdopt.solve.newton.solve_flow`.
        variable: the swept attribute of ``flow``.
        values: the values to solve at.
        on_point: called with each :class:`PolarPoint` as it is solved (progress).

    Returns:
        One :class:`PolarPoint` per value, ascending in ``variable``, failed points included.
    """
    up, down = sweep_order(values, float(getattr(flow, variable)))
    points = {}
    U_start = None  # the starting point's flow, where the downward branch begins
    for branch in (up, down):
        U_warm = U_start
        for value in branch:
            point, U = solve_point(grid, dataclasses.replace(flow, **{variable: value}), numerics, settings, U_warm)
            if U is not None:
                U_warm = U
            if value == up[0]:
                U_start = U_warm
            points[value] = point
            if on_point is not None:
                on_point(point)
    return [points[v] for v in sorted(points)]


def case_polar(cfg, on_point=None) -> list[PolarPoint]:
    """The polar of a case (:func:`cfdopt.case.schema.load_case`) as its ``[polar]`` section asks, on its baseline grid."""
    setup = flow_setup(cfg)
    grid, flow = case_grid(cfg)
    return sweep(grid, flow, setup.numerics, setup.settings, cfg.polar.variable, cfg.polar.values, on_point)


def write_csv(points: list[PolarPoint], path: Path) -> None:
    """``points`` as CSV, one row each (:meth:`PolarPoint.row`)."""
    rows = [p.row() for p in points]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)

