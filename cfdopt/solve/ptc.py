"""Newton's method with pseudo-transient continuation (PTC) on one grid, as state, step and terminate.

Each iteration (:func:`ptc_step`) solves

    (diag(A / dt) + dR/dU) dU = -R(U),   A / dt = spectral_radius / CFL,

with local time steps, then updates ``U <- U + omega dU``. The linear system is solved inexactly, to a relative
residual ``eta`` (:func:`forcing_term`; inexact Newton, Dembo, Eisenstat & Steihaug 1982), by GMRES on the exact
operator preconditioned by a lagged LU of the exact Jacobian (:class:`cfdopt.solve.linear.krylov.NewtonLinearSolver`).
The CFL number follows switched evolution relaxation (SER, Mulder & van Leer 1985),
``CFL_{n+1} = g CFL_n ||R_n|| / ||R_{n+1}||`` (growth ``g = cfl_growth`` per full step, the factor kept in
``[ser_min, ser_max]``) capped at ``cfl_max``, so the method starts as an implicit time march and ends as
Newton's method with quadratic convergence. A transported scalar's change (SA's ``rho nu_tilde``) is clamped cell by
cell to ``max_change`` of its scale (:func:`cfdopt.solve.step_control.clamp_scalars`); the step ``omega`` is then
limited so that density and pressure change by at most ``max_change`` in any cell, then halved (and, below
``omega_min``, the CFL cut by ``cfl_cut`` and the system solved again, to at most ``retry_forcing`` under the line
search) while the new state has non-positive density or pressure or a non-finite residual, or, with
``line_search``, while it does not lower the norm of the unsteady residual ``A/dt omega dU + R(U + omega dU)``
below ``||R(U)||`` (Ceze & Fidkowski 2015). A step trimmed to ``omega >= keep_cfl_omega`` keeps the CFL; below
that the CFL is scaled by ``2 omega``, never under ``cfl_floor cfl_start``. The constants are
:class:`cfdopt.solve.settings.Safeguards`.

The residual norm is the L2 norm of ``R`` over all cells and equations; the solve ends (:func:`terminate`) when the
drop ``||R|| / ||R(free stream)||`` reaches the tolerance, or, below ``roundoff_window``, the residual is at or
under its round-off level (:func:`cfdopt.solve.step_control.roundoff_level`), or the iteration cap, a stall at
the CFL floor, a non-finite residual or a failed step ends it (:class:`cfdopt.solve.result.Status`).

References:
    Mulder & van Leer (1985), Experiments with implicit upwind methods for the Euler equations, J. Comput. Phys.
    59(2), 232-246.
    Kelley & Keyes (1998), Convergence analysis of pseudo-transient continuation, SIAM J. Numer. Anal. 35(2),
    508-523.
    Dembo, Eisenstat & Steihaug (1982), Inexact Newton methods, SIAM J. Numer. Anal. 19(2), 400-408.
    Ceze & Fidkowski (2015), Constrained pseudo-transient continuation, Int. J. Numer. Meth. Engng 102(11),
    1683-1703.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, replace

import jax
import numpy as np

from cfdopt.flow.forces import force_coefficients
from cfdopt.flow.model import FlowModel
from cfdopt.flow.residual import Numerics, make_grid_fields, make_newton_residual, spectral_radius
from cfdopt.flow.state import FlowConditions, freestream_scalars, uniform_state
from cfdopt.flow.stencil import convective_stencil
from cfdopt.flow.symmetry import mirror_state
from cfdopt.mesh.types import CGrid
from cfdopt.solve.linear.jacobian import jacobian_assembler
from cfdopt.solve.linear.krylov import NewtonLinearSolver
from cfdopt.solve.linear.ordering import nested_dissection
from cfdopt.solve.result import SolveStats, Status
from cfdopt.solve.settings import SolverSettings
from cfdopt.solve.step_control import clamp_scalars, is_physical, roundoff_level, step_limit
from cfdopt.util.jitcache import cached_array, cached_jit


def forcing_term(r: float, r_ref: float, tolerance: float, forcing: float = SolverSettings.forcing,
                 linear_tolerance: float = SolverSettings.linear_tolerance) -> float:
    """Relative tolerance ``eta`` of the linear solve at residual norm ``r`` (inexact Newton).

    ``eta = max(linear_tolerance, forcing min(1, r / r_ref))``: proportional to the residual, so the
    tail stays quadratic while early pseudo-time steps are solved loosely (Dembo, Eisenstat & Steihaug
    1982), but never below ``tolerance r_ref / (2 r)``, the accuracy at which the step already ends
    the solve (Kelley 1995, Iterative Methods for Linear and Nonlinear Equations, eq. 6.20), and
    never above ``forcing``.
    """
    eta = max(linear_tolerance, min(forcing, forcing * r / r_ref))
    return min(forcing, max(eta, 0.5 * tolerance * r_ref / r))


def cell_order(grid: CGrid, settings: SolverSettings, numerics: Numerics):
    """The LU's fill-reducing cell order for ``grid`` (``None``: SuperLU's own), cached on disk."""
    if settings.ordering != "nested-dissection":
        return None
    stencil = numerics.stencil
    key = "" if stencil == convective_stencil(2) else f"/{stencil.radius}-{len(stencil.offsets)}-{stencil.cut_reach}"
    return cached_array(f"nested_dissection/{grid.ni}x{grid.nj}/{grid.n_cut}{key}",
                        lambda: nested_dissection(grid.ni, grid.nj, grid.n_cut, radius=stencil))


def linear_solver(grid: CGrid, settings: SolverSettings, numerics: Numerics, level: int = 0) -> NewtonLinearSolver:
    """A fresh lagged-LU Krylov solver for one grid (:class:`cfdopt.solve.linear.krylov.NewtonLinearSolver`).

    A coarser level gets half the GMRES iterations per level (at least 5): its LU costs about
    ``n^1.5`` against ``n`` per iteration, so refactoring pays sooner on a smaller grid.
    """
    cap = max(5, settings.krylov_iterations // 2**level)
    return NewtonLinearSolver(rtol=settings.linear_tolerance, cell_order=cell_order(grid, settings, numerics),
                              reuse=settings.lu_reuse, precision=settings.lu_precision, max_reuse_iterations=cap)


@functools.lru_cache(maxsize=None)
def spectral_radius_fn(model: FlowModel):
    """Jitted ``(U, grid, flow) -> (ni, nj)`` pseudo-time scale of ``model``."""
    return cached_jit(functools.partial(spectral_radius, model=model), f"spectral_radius/{model!r}")


@functools.lru_cache(maxsize=None)
def force_coefficients_fn(model: FlowModel):
    """Jitted ``(U, grid, flow) -> {"cl", "cd", "cm", ...}`` of ``model``."""
    return cached_jit(functools.partial(force_coefficients, model=model), f"force_coefficients/{model!r}")


@functools.lru_cache(maxsize=None)
def residual_jvp(numerics: Numerics):
    """Jitted ``(U, t, grid, flow, fields) -> (dR/dU) t``: the exact Jacobian product, lift coupling included
    (``fields``: :func:`cfdopt.flow.residual.make_grid_fields` of ``grid``)."""
    res = make_newton_residual(numerics)
    return cached_jit(lambda U, t, grid, flow, fields: jax.jvp(lambda u: res(u, grid, flow, fields), (U,), (t,))[1],
                      f"newton_residual_jvp/{numerics!r}")


@dataclass(frozen=True)
class Level:
    """One grid's Newton-PTC problem: everything that stays fixed during its iterations.

    Attributes:
        grid, flow, numerics, settings: what is solved, and how.
        tolerance: residual drop that ends the solve.
        level: mesh-sequencing level (0: the grid asked for).
        r_ref: ``||R(free stream)||``, the scale of the residual drop.
        fields: the grid's node-only fields (:func:`cfdopt.flow.residual.make_grid_fields`), computed once.
    """

    grid: CGrid
    flow: FlowConditions
    numerics: Numerics
    settings: SolverSettings
    tolerance: float
    level: int
    r_ref: float
    fields: object = None

    def residual(self, U, grid, flow):
        """``R(U)`` on this level's grid (``grid``, ``flow``: this level's, for the signature of
        :func:`cfdopt.solve.step_control.roundoff_level`)."""
        return make_newton_residual(self.numerics)(U, grid, flow, self.fields)

    def free_stream(self) -> np.ndarray:
        return np.asarray(uniform_state(self.flow, self.grid.ni, self.grid.nj, self.numerics.model))

    def project(self, U):
        """A symmetric solve's state with its round-off asymmetry removed (it would grow into a lifting branch)."""
        return 0.5 * (U + mirror_state(U)) if self.settings.symmetric else U

    def R(self, U) -> np.ndarray:
        return np.asarray(self.residual(U, self.grid, self.flow)).ravel()


def level_problem(grid: CGrid, flow: FlowConditions, numerics: Numerics, settings: SolverSettings, tolerance: float,
                  level: int = 0) -> Level:
    U_inf = uniform_state(flow, grid.ni, grid.nj, numerics.model)
    fields = make_grid_fields(numerics)(grid)
    r_ref = float(np.linalg.norm(np.asarray(make_newton_residual(numerics)(U_inf, grid, flow, fields))))
    return Level(grid, flow, numerics, settings, tolerance, level, r_ref, fields)


@dataclass(frozen=True)
class PTCState:
    """The iteration state of Newton-PTC on one grid.

    Attributes:
        U: ``(ni, nj, nvar)`` current state; ``R`` its flat residual, ``r = ||R||``.
        cfl: the CFL the next step starts at.
        iteration: iterations taken on this grid.
        best_U, best_drop: the lowest-residual iterate so far and its residual drop.
        stalled, stall_ref: iterations at the CFL floor without a residual fall of ``1 - stall_drop``, and the
            residual they are measured from.
        linear: the lagged-LU solver, whose LU carries from one step to the next.
        status, message: set when the iteration has ended (:func:`terminate`).
    """

    U: np.ndarray
    R: np.ndarray
    r: float
    cfl: float
    iteration: int
    best_U: np.ndarray
    best_drop: float
    stalled: int
    stall_ref: float | None
    linear: NewtonLinearSolver
    status: Status | None = None
    message: str = ""

    def drop(self, lv: Level) -> float:
        return self.r / lv.r_ref


@dataclass(frozen=True)
class Step:
    """What one :func:`ptc_step` did: ``omega`` (0 if no step was found), the unsteady residual norm of the step
    taken, step attempts rejected, and the seconds assembling Jacobians and in the rest of the step."""

    omega: float
    unsteady_residual: float
    rejected: int
    jacobian_s: float
    linear_s: float


def init_state(lv: Level, U0, cfl: float) -> PTCState:
    """The state before the first iteration, from ``U0`` (or the free stream) at CFL ``cfl``."""
    U_inf = lv.free_stream()
    U = lv.project(U_inf if U0 is None else np.asarray(U0, dtype=np.float64).reshape(U_inf.shape))
    R = lv.R(U)
    r = float(np.linalg.norm(R))
    return PTCState(U=U, R=R, r=r, cfl=cfl, iteration=0, best_U=U, best_drop=r / lv.r_ref, stalled=0,
                    stall_ref=None, linear=linear_solver(lv.grid, lv.settings, lv.numerics, lv.level))


def ptc_step(lv: Level, s: PTCState) -> tuple[PTCState, Step]:
    """One Newton-PTC iteration (module docstring): the state after it, and what it did. A state whose step
    failed comes back with status ``NO_STEP``."""
    g, st = lv.settings.safeguards, lv.settings
    grid, flow, gamma = lv.grid, lv.flow, lv.flow.gamma
    U, cfl = s.U, s.cfl
    ta = time.perf_counter()
    spec = np.asarray(spectral_radius_fn(lv.numerics.model)(U, grid, flow))
    eta = forcing_term(s.r, lv.r_ref, lv.tolerance, st.forcing, st.linear_tolerance)
    assemble = jacobian_assembler(grid.ni, grid.nj, grid.n_cut, lv.numerics)
    jvp = residual_jvp(lv.numerics)
    scalar_floor = np.asarray(freestream_scalars(lv.numerics.model))
    tj, rejected = 0.0, 0
    for attempt in range(g.step_attempts):
        diag = np.repeat(spec.ravel() / cfl, U.shape[-1])
        eta_try = min(eta, g.retry_forcing) if attempt and st.line_search else eta
        try:
            dU = s.linear(lambda: assemble(U, grid, flow), diag, -s.R, rtol=eta_try,
                          matvec=lambda y: np.asarray(jvp(U, y.reshape(U.shape), grid, flow, lv.fields)).ravel())
            tj += s.linear.assembly_s
        except RuntimeError:  # a singular system
            tj += s.linear.assembly_s
            rejected += 1
            cfl = max(cfl * g.cfl_cut, g.cfl_min)
            continue
        dU = clamp_scalars(U, dU.reshape(U.shape), st.max_change, scalar_floor)
        omega = step_limit(U, dU, gamma, st.max_change) if np.all(np.isfinite(dU)) else 0.0
        while omega > g.omega_min:
            U_try = lv.project(U + omega * dU)
            if is_physical(U_try, gamma):
                R_try = lv.R(U_try)
                if np.all(np.isfinite(R_try)):
                    r_unsteady = float(np.linalg.norm(diag * (omega * dU).ravel() + R_try))
                    if not st.line_search or r_unsteady <= s.r:
                        return _accept(lv, s, U_try, R_try, omega, cfl), Step(
                            omega, r_unsteady, rejected, tj, time.perf_counter() - ta - tj)
            omega *= 0.5
            rejected += 1
        cfl = max(cfl * g.cfl_cut, g.cfl_min)
    what = "physical step that lowers the unsteady residual" if st.line_search else "physical step"
    failed = replace(s, cfl=cfl, status=Status.NO_STEP,
                     message=f"iteration {s.iteration + 1}: no {what} found even at CFL {cfl:.3g}; "
                             "try a smaller numerics.cfl_start")
    return failed, Step(0.0, s.r, rejected, tj, time.perf_counter() - ta - tj)


def _accept(lv: Level, s: PTCState, U, R, omega: float, cfl: float) -> PTCState:
    """The state after a step ``omega`` taken at ``cfl``: the SER law for the next CFL, the stall count, the best
    iterate."""
    g, st = lv.settings.safeguards, lv.settings
    r = float(np.linalg.norm(R))
    floor = st.cfl_start * g.cfl_floor
    if omega < g.keep_cfl_omega:
        cfl = max(cfl * 2.0 * omega, floor)
    elif omega >= 1.0:
        cfl = min(st.cfl_max, cfl * min(max(st.cfl_growth * s.r / r, g.ser_min), g.ser_max))
    if cfl > floor:
        stalled, stall_ref = 0, None
    elif s.stall_ref is None or r < g.stall_drop * s.stall_ref:
        stalled, stall_ref = 0, r
    else:
        stalled, stall_ref = s.stalled + 1, s.stall_ref
    best = (U, r / lv.r_ref) if r / lv.r_ref < s.best_drop else (s.best_U, s.best_drop)
    return replace(s, U=U, R=R, r=r, cfl=cfl, iteration=s.iteration + 1, best_U=best[0], best_drop=best[1],
                   stalled=stalled, stall_ref=stall_ref)


def terminate(lv: Level, s: PTCState) -> PTCState:
    """``s`` with its status set if the iteration ends here (else unchanged, status None)."""
    g, it, drop = lv.settings.safeguards, s.iteration, s.drop(lv)
    if s.status is not None:
        return s
    if drop <= lv.tolerance:
        return replace(s, status=Status.CONVERGED, message=f"converged in {it} iterations (residual drop {drop:.2e})")
    if not np.isfinite(s.r):
        return replace(s, status=Status.NOT_FINITE, message=f"iteration {it}: residual is not finite")
    if s.stalled >= g.stall_iterations:
        return replace(s, status=Status.STALLED,
                       message=f"iteration {it}: stalled, the CFL at its floor {s.cfl:.3g} for {s.stalled} iterations "
                               f"while the residual fell by less than {1 - g.stall_drop:.0%}")
    if it >= 1 and drop <= g.roundoff_window:
        floor = roundoff_level(lv.residual, s.U, lv.grid, lv.flow, s.R)
        if s.r <= floor:
            return replace(s, status=Status.CONVERGED_ROUNDOFF, message=(
                f"converged to round-off in {it} iterations (residual drop {drop:.2e}, at or under its round-off "
                f"level {floor / lv.r_ref:.2e} at this state, which is above the tolerance {lv.tolerance:.0e})"))
    if it >= lv.settings.max_iterations:
        return replace(s, status=Status.MAX_ITERATIONS, message=f"not converged in {it} iterations")
    return s


@dataclass(frozen=True)
class LevelOutcome:
    """The final state of :func:`newton_ptc` (its ``status`` set), the history it recorded, its statistics, the
    force coefficients of the final state, and the problem it solved."""

    state: PTCState
    history: list
    stats: SolveStats
    coefficients: dict
    level: Level


def newton_ptc(lv: Level, U0, cfl: float, t0: float, first_iteration: int = 0, callback=None) -> LevelOutcome:
    """Run :func:`ptc_step` until :func:`terminate` sets a status. ``history`` entries count iterations from
    ``first_iteration`` (mesh sequencing numbers all levels together) and time from ``t0``; ``callback`` gets each
    as it is recorded."""
    coef_fn = force_coefficients_fn(lv.numerics.model)
    history = []

    def record(s: PTCState, step: Step | None):
        c = {k: float(v) for k, v in coef_fn(s.U, lv.grid, lv.flow).items()}
        h = dict(iteration=first_iteration + s.iteration, level=lv.level, residual=s.drop(lv), residual_norm=s.r,
                 unsteady_residual=(s.r if step is None else step.unsteady_residual) / lv.r_ref, **c, cfl=s.cfl,
                 omega=0.0 if step is None else step.omega, time_s=time.perf_counter() - t0,
                 jacobian_s=0.0 if step is None else step.jacobian_s, linear_s=0.0 if step is None else step.linear_s)
        history.append(h)
        if callback is not None:
            callback(h)
        return c

    tw = time.perf_counter()
    s = init_state(lv, U0, cfl)
    coefs = record(s, None)
    rejected, jacobian_s = 0, 0.0
    s = terminate(lv, s)
    while s.status is None:
        s, step = ptc_step(lv, s)
        rejected, jacobian_s = rejected + step.rejected, jacobian_s + step.jacobian_s
        if s.status is None:
            coefs = record(s, step)
            s = terminate(lv, s)
    lin = s.linear.stats
    stats = SolveStats(iterations=s.iteration, level_iterations={lv.level: s.iteration},
                       factorizations=lin["factorizations"], double_factorizations=lin["double_factorizations"],
                       lu_reuses=lin["reuses"],
                       failed_reuses=lin["failed_reuses"], krylov_iterations=lin["gmres_iterations"],
                       rejected_steps=rejected, jacobian_s=jacobian_s, factor_s=lin["factor_s"],
                       krylov_s=lin["krylov_s"], wall_s=time.perf_counter() - tw)
    return LevelOutcome(s, history, stats, coefs, lv)
