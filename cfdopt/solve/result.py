"""What a flow solve returns: a status, statistics and the state (:func:`cfdopt.solve.newton.solve_flow`).

Tests and benches read :class:`Status`, :class:`Fallback` and :class:`SolveStats` by value; ``message`` is for
people.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np

from cfdopt.flow.physical import PhysicalCheck


class Status(enum.Enum):
    """How a Newton-PTC solve ended."""

    CONVERGED = "converged"
    """The residual drop ``||R|| / ||R(free stream)||`` reached the tolerance."""
    CONVERGED_ROUNDOFF = "converged to round-off"
    """The residual is at or under its float64 round-off level (:func:`cfdopt.solve.step_control.roundoff_level`),
    which is above the tolerance."""
    MAX_ITERATIONS = "not converged"
    """The iteration cap was reached."""
    NO_STEP = "no step"
    """No acceptable step at any CFL the step control tried."""
    STALLED = "stalled"
    """The CFL sat at its floor while the residual did not fall (:class:`Safeguards`)."""
    NOT_FINITE = "not finite"
    """The residual became NaN or infinite."""
    UNPHYSICAL = "unphysical"
    """The residual converged to a flow that breaks a physical bound (:func:`cfdopt.flow.physical.check_physical`)."""
    REFUSED = "refused"
    """Nothing was solved: the request contradicts itself (a symmetric solve of an asymmetric flow)."""

    @property
    def converged(self) -> bool:
        return self in (Status.CONVERGED, Status.CONVERGED_ROUNDOFF)


class Fallback(enum.Enum):
    """A start the chain of :func:`cfdopt.solve.newton.solve_flow` and
    :func:`cfdopt.solve.newton.solve_with_fallback` tried because the planned one failed."""

    COARSE_BEST_ITERATE = "a coarse level failed; the next level started from its lowest-residual iterate"
    COARSE_FREE_STREAM = "a coarse level failed; the next level started from the free stream"
    FINE_FREE_STREAM = "the final grid failed from the prolonged flow; solved again from the free stream"
    WARM_FREE_STREAM = "the solve from the given start failed; solved again from the free stream"


@dataclass(frozen=True)
class SolveStats:
    """Work counts and times of a solve (all attempts and mesh levels together).

    Attributes:
        iterations: Newton iterations.
        level_iterations: ``{level: iterations}`` (0: the grid asked for).
        factorizations: LU factorisations (a single-precision LU replaced by a double one counts twice).
        double_factorizations: of those, in double precision (asked for, or a single-precision LU that failed).
        lu_reuses: steps solved with a lagged LU, without assembling.
        failed_reuses: steps whose lagged LU did not reach the tolerance (then assembled and factored).
        krylov_iterations: GMRES iterations.
        rejected_steps: step attempts rejected (non-physical, non-finite, or not lowering the unsteady residual)
            and retried at a smaller step or CFL.
        jacobian_s: wall time assembling Jacobians (s).
        factor_s: wall time in LU factorisations (s).
        krylov_s: wall time in GMRES and LU solves (s).
        wall_s: wall time of the whole solve (s).
        fallbacks: the fallbacks taken, in order; empty when every planned start converged.
    """

    iterations: int = 0
    level_iterations: dict = field(default_factory=dict)
    factorizations: int = 0
    double_factorizations: int = 0
    lu_reuses: int = 0
    failed_reuses: int = 0
    krylov_iterations: int = 0
    rejected_steps: int = 0
    jacobian_s: float = 0.0
    factor_s: float = 0.0
    krylov_s: float = 0.0
    wall_s: float = 0.0
    fallbacks: tuple = ()

    def as_dict(self) -> dict:
        """Plain JSON values: levels as strings, fallbacks by name."""
        out = {f: getattr(self, f) for f in self.__dataclass_fields__}
        out["level_iterations"] = {str(k): v for k, v in sorted(self.level_iterations.items(), reverse=True)}
        out["fallbacks"] = [f.name for f in self.fallbacks]
        return out

    def __add__(self, other: SolveStats) -> SolveStats:
        """The stats of two solves one after the other: counts and times add, levels add per level, fallbacks
        concatenate."""
        levels = dict(self.level_iterations)
        for k, v in other.level_iterations.items():
            levels[k] = levels.get(k, 0) + v
        summed = {f: getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__ if f != "level_iterations"}
        return SolveStats(level_iterations=levels, **summed)


@dataclass(frozen=True)
class SolveResult:
    """Outcome of :func:`cfdopt.solve.newton.solve_flow`.

    Attributes:
        U: ``(ni, nj, nvar)`` final state (numpy), the last accepted iterate.
        status: how the solve ended (:class:`Status`); ``converged`` is ``status.converged``.
        iterations: Newton iterations taken.
        residual_drop: final ``||R|| / ||R(free stream)||``.
        history: one dict per iteration (``iteration, level, residual, residual_norm, unsteady_residual, cl, cd,
            cm, cfl, omega, time_s, jacobian_s, linear_s``; ``unsteady_residual`` is
            ``||A/dt omega dU + R(U + omega dU)||`` of the step taken, relative like ``residual``, and the CFL the
            one the next step starts at); entry 0 is the start.
        message: what happened, in words.
        coefficients: final ``{"cl", "cd", "cm", ...}``.
        physical: the physical check of the converged final-grid flow; None when the residual did not converge.
        stats: work counts and times (:class:`SolveStats`).
    """

    U: np.ndarray
    status: Status
    iterations: int
    residual_drop: float
    history: list = field(default_factory=list)
    message: str = ""
    coefficients: dict = field(default_factory=dict)
    physical: PhysicalCheck | None = None
    stats: SolveStats = SolveStats()

    @property
    def converged(self) -> bool:
        return self.status.converged
