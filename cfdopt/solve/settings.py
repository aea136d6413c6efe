"""Settings of the Newton-PTC flow solver (:mod:`cfdopt.solve.newton`, :mod:`cfdopt.solve.ptc`).

:class:`SolverSettings` holds what a case file sets (``[numerics]``, :mod:`cfdopt.case.schema`;
:func:`cfdopt.case.build.flow_setup` builds it from a case); :class:`Safeguards` the step-control constants
behind them, which no case sets and tests may.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Safeguards:
    """Step-control constants of one Newton-PTC iteration (:func:`cfdopt.solve.ptc.ptc_step`).

    Attributes:
        step_attempts: linear solves per iteration, each at a CFL ``cfl_cut`` times the last, before the
            iteration gives up (status ``NO_STEP``).
        cfl_cut: CFL factor after a rejected step or a singular system.
        cfl_min: least CFL of a retried step.
        omega_min: smallest step fraction the backtracking tries (halving from the change limit).
        keep_cfl_omega: a step trimmed to at least this fraction keeps the CFL; below it the CFL is scaled by
            ``2 omega``.
        ser_min, ser_max: bounds of the switched-evolution-relaxation factor ``g ||R_n|| / ||R_{n+1}||`` of a full
            step.
        cfl_floor: least CFL after trimmed steps, as a fraction of ``cfl_start``.
        stall_iterations, stall_drop: a solve whose CFL sits at its floor for ``stall_iterations`` iterations while
            its residual falls by less than ``1 - stall_drop`` stops as ``STALLED`` (the zero-incidence NACA 0012
            of cases/tmr-naca0012 crept on at the floor from a prolonged coarse flow, docs/rans.md).
        retry_forcing: largest linear tolerance of a step retried at a lower CFL under the line search (a step
            solved to 0.5 cannot lower the unsteady residual at any CFL).
        roundoff_window: residual drop below which the round-off level is checked
            (:func:`cfdopt.solve.step_control.roundoff_level`).
    """

    step_attempts: int = 12
    cfl_cut: float = 0.1
    cfl_min: float = 1e-3
    omega_min: float = 1e-3
    keep_cfl_omega: float = 0.5
    ser_min: float = 0.5
    ser_max: float = 1e3
    cfl_floor: float = 1e-2
    stall_iterations: int = 20
    stall_drop: float = 0.9
    retry_forcing: float = 0.05
    roundoff_window: float = 1e-8


COARSE_ENTROPY_FIX_LINEAR = 0.002
"""Least linear-wave width of a coarse mesh-sequencing level (``SolverSettings.coarse_linear_fix``): with 1e-4 the
112 x 32 level of cases/tmr-naca0012 stalls (docs/rans.md); the grid asked for runs the case's width."""


@dataclass(frozen=True)
class SolverSettings:
    """Newton/PTC settings (:mod:`cfdopt.solve.newton`), with their defaults; the case file's ``[numerics]`` keys
    take them (:mod:`cfdopt.case.schema`)."""

    tolerance: float = 1e-10
    max_iterations: int = 100
    warm_max_iterations: int = 40
    cfl_start: float = 50.0
    restart_cfl: float = 5000.0
    cfl_max: float = 1e10
    linear_tolerance: float = 1e-12
    max_change: float = 0.5
    cfl_growth: float = 2.0
    coarse_fallback: float = 1e-2  # a failed coarse level at this residual drop still gives a better start
    ordering: str = "nested-dissection"
    lu_reuse: bool = True
    mesh_levels: int = 3
    coarse_tolerance: float = 1e-3
    warm_cfl_factor: float = 100.0
    lu_precision: str = "single"
    forcing: float = 0.5
    krylov_iterations: int = 40
    symmetric: bool = False
    coarse_linear_fix: float = COARSE_ENTROPY_FIX_LINEAR  # least linear-wave width on coarse levels (level_numerics)
    line_search: bool = False  # accept a step only if it lowers the unsteady residual (cfdopt.solve.ptc)
    safeguards: Safeguards = field(default_factory=Safeguards)

    def __post_init__(self):
        if not 0 < self.tolerance < 1:
            raise ValueError(f"SolverSettings.tolerance must be in (0, 1), got {self.tolerance!r}")
        if self.ordering not in ("nested-dissection", "minimum-degree"):
            raise ValueError("SolverSettings.ordering must be 'nested-dissection' or 'minimum-degree', "
                             f"got {self.ordering!r}")
        if self.mesh_levels < 1 or self.krylov_iterations < 1:
            raise ValueError(f"need mesh_levels >= 1 and krylov_iterations >= 1, got {self.mesh_levels!r}, "
                             f"{self.krylov_iterations!r}")
        if self.lu_precision not in ("single", "double"):
            raise ValueError(f"SolverSettings.lu_precision must be 'single' or 'double', got {self.lu_precision!r}")
        if not 0 < self.cfl_start <= self.cfl_max or not 0 < self.restart_cfl <= self.cfl_max:
            raise ValueError("need 0 < cfl_start, restart_cfl <= cfl_max, got "
                             f"{self.cfl_start!r}, {self.restart_cfl!r}, {self.cfl_max!r}")
