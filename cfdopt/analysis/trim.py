"""Trim to a lift coefficient: the angle of attack at which a shape has ``CL = target``.

Secant steps on ``CL(alpha)``, each solve started from the previous converged flow (continuation, as in
:mod:`cfdopt.analysis.polar`, whose :func:`~cfdopt.analysis.polar.solve_point` does every solve):

    alpha_{k+1} = alpha_k + (CL* - CL_k) / s_k,

with ``s_0`` the given slope (default: thin-airfoil theory with the Prandtl–Glauert factor,
``2 pi / sqrt(1 - M^2)`` per radian, :func:`lift_slope`) and ``s_k = (CL_k - CL_{k-1}) / (alpha_k - alpha_{k-1})``
after two converged points. Each step is limited to ``max_step`` degrees, so a transonic flow is followed, not
jumped. A point that does not converge (from its neighbour's flow, nor from the free stream) is tried again
halfway back towards the last converged angle.

A trimmed drag is what a fixed-lift benchmark compares: ADODG case 2 states its baseline at CL = 0.824.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from cfdopt.flow.state import FlowConditions
from cfdopt.analysis.polar import PolarPoint, solve_point


def lift_slope(mach: float) -> float:
    """Thin-airfoil lift slope with the Prandtl–Glauert factor, ``dCL/dalpha`` per **degree**:
    ``2 pi / sqrt(1 - M^2) * pi / 180`` (subsonic ``M``)."""
    return 2.0 * math.pi / math.sqrt(1.0 - min(mach, 0.95) ** 2) * math.pi / 180.0


@dataclass(frozen=True)
class TrimResult:
    """The outcome of :func:`trim`.

    Attributes:
        converged: whether ``|cl - target| <= tol`` at the last converged point.
        target: the lift coefficient asked for.
        point: the last converged :class:`~cfdopt.analysis.polar.PolarPoint` (alpha, CL, CD, CM, parts), None if none.
        points: every point solved, in order, failed ones included.
        U: the flow of ``point`` ``(ni, nj, nvar)``, a start for the next solve (continuation), None if none.
    """

    converged: bool
    target: float
    point: PolarPoint | None
    points: tuple[PolarPoint, ...]
    U: object = None

    @property
    def alpha(self) -> float:
        return self.point.alpha if self.point is not None else math.nan

    @property
    def slope(self) -> float:
        """``dCL/dalpha`` per degree between the last two converged points (NaN with fewer than two)."""
        return secant_slope([p for p in self.points if p.converged])


def secant_slope(good) -> float:
    """``dCL/dalpha`` per degree between the last two of the converged points ``good`` (NaN with fewer than two,
    or at one alpha)."""
    if len(good) < 2 or good[-1].alpha == good[-2].alpha:
        return math.nan
    return (good[-1].cl - good[-2].cl) / (good[-1].alpha - good[-2].alpha)


def trim(grid, flow: FlowConditions, numerics, settings, target: float, U_warm=None, slope: float | None = None,
         tol: float = 1e-4, max_step: float = 0.5, max_solves: int = 8, on_point=None) -> TrimResult:
    """Find ``alpha`` with ``CL(alpha) = target`` on ``grid``, starting at ``flow.alpha``.

    Args:
        grid: the C-grid.
        flow: the free stream; its ``alpha`` (degrees) is the first point.
        numerics, settings: as :func:`cfdopt.solve.newton.solve_flow`.
        target: the lift coefficient.
        U_warm: start state of the first solve ``(ni, nj, nvar)`` (a neighbouring flow); None: the free stream.
        slope: first estimate of ``dCL/dalpha`` per degree; default :func:`lift_slope` of ``flow.mach``.
        tol: accepted ``|CL - target|``.
        max_step: largest change of alpha per step, degrees.
        max_solves: most points solved.
        on_point: called with each :class:`~cfdopt.analysis.polar.PolarPoint` as it is solved (progress).

    Returns:
        :class:`TrimResult`; never raises for a failed solve.
    """
    slope = lift_slope(float(flow.mach)) if slope is None else slope
    points: list[PolarPoint] = []
    good: list[PolarPoint] = []
    alpha, U = float(flow.alpha), U_warm
    for _ in range(max_solves):
        point, U_new = solve_point(grid, dataclasses.replace(flow, alpha=alpha), numerics, settings, U)
        points.append(point)
        if on_point is not None:
            on_point(point)
        if U_new is None:
            if not good:
                break
            alpha = 0.5 * (alpha + good[-1].alpha)
            continue
        good.append(point)
        U = U_new
        if abs(point.cl - target) <= tol:
            break
        s = secant_slope(good)
        slope = s if s > 0 else slope  # NaN (one point so far) keeps the estimate
        step = (target - point.cl) / slope
        alpha = point.alpha + max(-max_step, min(max_step, step))
    last = good[-1] if good else None
    return TrimResult(converged=last is not None and abs(last.cl - target) <= tol, target=target, point=last,
                      points=tuple(points), U=U if good else None)
