"""Steady flow solver: Newton's method with pseudo-transient continuation (PTC).

Each iteration solves

    (diag(A / dt) + dR/dU) dU = -R(U),   A / dt = spectral_radius / CFL,

with local time steps, then updates ``U <- U + omega dU``. The linear
system is solved inexactly, to a relative residual
``eta = max(linear_tolerance, forcing min(1, ||R|| / ||R_0||))`` (inexact
Newton, Dembo, Eisenstat & Steihaug 1982: ``eta`` proportional to the
residual keeps the convergence quadratic; ``forcing = 0.5`` solves the
early pseudo-time steps loosely, docs/solver.md), never tighter than the final
step needs to meet the tolerance (:func:`forcing_term`), by GMRES on the exact operator
preconditioned by a lagged LU of the exact Jacobian
(:class:`cfdopt.solve.linear.krylov.NewtonLinearSolver`). The CFL number follows switched
evolution relaxation (SER, Mulder & van Leer 1985),
``CFL_{n+1} = g CFL_n ||R_n|| / ||R_{n+1}||`` (growth ``g = 2`` per full
step, the factor kept in [0.5, 1000]) capped at ``cfl_max``, so the
method starts as a robust implicit time march from the free stream and ends
as Newton's method with quadratic convergence. A transported
scalar's change (SA's ``rho nuhat``) is clamped cell by cell to
``max_change`` of its scale (:func:`cfdopt.solve.step_control.clamp_scalars`). With the line search
below, a step retried at a lower CFL after a rejected one solves its linear
system to at most ``RETRY_FORCING``. The step ``omega`` is then
limited so that density and pressure change by at most ``max_change`` (50%)
in any cell, then halved (and the CFL cut) while the new state has
non-positive density or pressure or a non-finite residual, or, with
``line_search`` (the rans-sa default), while it does not lower the norm of
the unsteady residual ``A/dt omega dU + R(U + omega dU)`` below ``||R(U)||``
(Ceze & Fidkowski 2015): the step must be a good implicit pseudo-time step,
which allows the steady residual to rise during a transient, and near
convergence, at a CFL of 1e10, it is a line search on ``||R||`` that
damps Newton's steps where the SA source's switches (S~ limiting, r) make
them overshoot (a two-cycle on TMR's 225 x 65 grid at alpha 10, docs/rans.md). A step trimmed to
``omega >= 1/2`` keeps the CFL; below that the CFL is scaled by ``2 omega``.
The residual norm is the L2 norm of the flux balance ``R`` over all cells
and equations; convergence is the drop ``||R|| / ||R(free stream)||`` below
the tolerance (default 1e-10), or, once the drop is under ``ROUNDOFF_WINDOW``
(1e-8), a residual at or under its round-off level (:func:`cfdopt.solve.step_control.roundoff_level`):
"converged to round-off", a state float64 cannot improve on, where the
tolerance asked for more than the arithmetic resolves.

Mesh sequencing: from the free stream, the flow is first solved on coarser
grids (every other node) to ``coarse_tolerance`` and prolonged (a coarse level
that fails hands on its lowest-residual iterate if that reached
``coarse_fallback``, else the free stream; a final grid that fails from the
prolonged flow is solved once more from the free stream, as at zero incidence
on TMR's NACA 0012, where the prolonged turbulent wake admitted no step; a coarse level solves with a Roe
linear-wave width of at least ``coarse_linear_fix``, :func:`level_numerics`), which leaves a few Newton
iterations on the fine grid (docs/solver.md, ``scripts/bench_solver.py``).

A solve that does not converge returns ``converged=False`` with its history
and a message; it does not raise. Nor does a converged flow that breaks a bound no physical flow
breaks (:func:`cfdopt.flow.physical.check_physical`, run once on the final grid's flow): it returns
``converged=False`` and a message that starts "unphysical flow: ".

References:
    Mulder & van Leer (1985), Experiments with implicit upwind methods for
    the Euler equations, J. Comput. Phys. 59(2), 232-246.
    Kelley & Keyes (1998), Convergence analysis of pseudo-transient
    continuation, SIAM J. Numer. Anal. 35(2), 508-523.
    Dembo, Eisenstat & Steihaug (1982), Inexact Newton methods, SIAM J.
    Numer. Anal. 19(2), 400-408.
    Ceze & Fidkowski (2015), Constrained pseudo-transient continuation,
    Int. J. Numer. Meth. Engng 102(11), 1683-1703.
"""

from __future__ import annotations

import concurrent.futures
import functools
import time
from dataclasses import dataclass, field, replace

import jax
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from cfdopt.flow.forces import force_coefficients
from cfdopt.solve.linear.jacobian import Factorization, SparseJacobian, jacobian_assembler
from cfdopt.solve.linear.krylov import NewtonLinearSolver
from cfdopt.solve.linear.ordering import nested_dissection
from cfdopt.flow.model import FlowModel
from cfdopt.flow.physical import PhysicalCheck, _physical_fields, check_physical
from cfdopt.flow.residual import Numerics, make_residual, spectral_radius
from cfdopt.flow.stencil import convective_stencil
from cfdopt.flow.symmetry import asymmetry, mirror_state
from cfdopt.flow.state import FlowConditions, freestream_scalars, uniform_state
from cfdopt.util.jitcache import cached_array, cached_jit
from cfdopt.mesh.coarsen import can_coarsen, coarsen, prolong_cells
from cfdopt.mesh.types import CGrid
from cfdopt.solve.step_control import ROUNDOFF_WINDOW, clamp_scalars, is_physical, roundoff_level, step_limit


COARSE_ENTROPY_FIX_LINEAR = 0.002
"""Least linear-wave width of a coarse mesh-sequencing level (``SolverSettings.coarse_linear_fix``): with 1e-4 the
112 x 32 level of cases/tmr-naca0012 stalls (docs/rans.md); the grid asked for runs the case's width."""


@dataclass(frozen=True)
class SolverSettings:
    """Newton/PTC settings (see the module docstring), with their defaults; the case file's ``[numerics]`` keys
    take them (:mod:`cfdopt.case.schema`), and :func:`cfdopt.case.build.flow_setup` builds these from a case."""

    tolerance: float = 1e-10
    max_iterations: int = 100
    warm_max_iterations: int = 40
    cfl_start: float = 50.0
    restart_cfl: float = 5000.0
    cfl_max: float = 1e10
    linear_solver: str = "direct"
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
    line_search: bool = False  # accept a step only if it lowers the unsteady residual (module docstring)

    def __post_init__(self):
        if not 0 < self.tolerance < 1:
            raise ValueError(f"SolverSettings.tolerance must be in (0, 1), got {self.tolerance!r}")
        if self.linear_solver not in ("direct", "gmres"):
            raise ValueError(f"SolverSettings.linear_solver must be 'direct' or 'gmres', got {self.linear_solver!r}")
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


@dataclass(frozen=True)
class SolveResult:
    """Outcome of :func:`solve_flow`.

    Attributes:
        U: ``(ni, nj, 4)`` final state (numpy), the last accepted iterate.
        converged: whether the residual dropped below the tolerance.
        iterations: Newton iterations taken.
        residual_drop: final ``||R|| / ||R(free stream)||``.
        history: one dict per iteration (``iteration, residual, residual_norm,
            unsteady_residual, cl, cd, cm, cfl, omega, time_s, jacobian_s, linear_s``; ``unsteady_residual``
            is ``||A/dt omega dU + R(U + omega dU)||`` of the step taken, relative like ``residual``, and the
            CFL the one the next step starts at); entry 0 is the start.
        message: what happened, in words.
        coefficients: final ``{"cl", "cd", "cm"}``.
        physical: the physical check of the converged final-grid flow (:func:`cfdopt.flow.physical.check_physical`);
            a flow that fails it is not ``converged``; None when the residual did not converge.
    """

    U: np.ndarray
    converged: bool
    iterations: int
    residual_drop: float
    history: list = field(default_factory=list)
    message: str = ""
    coefficients: dict = field(default_factory=dict)
    physical: PhysicalCheck | None = None


def _cell_order(grid: CGrid, settings: SolverSettings, numerics: Numerics):
    """The LU's fill-reducing cell order for ``grid`` (``None``: SuperLU's own)."""
    if settings.ordering != "nested-dissection":
        return None
    stencil = numerics.stencil
    key = "" if stencil == convective_stencil(2) else f"/{stencil.radius}-{len(stencil.offsets)}-{stencil.cut_reach}"
    return cached_array(f"nested_dissection/{grid.ni}x{grid.nj}/{grid.n_cut}{key}",
                        lambda: nested_dissection(grid.ni, grid.nj, grid.n_cut, radius=stencil))


def _linear_solver(grid: CGrid, settings: SolverSettings, numerics: Numerics, level: int = 0) -> NewtonLinearSolver:
    """Lagged-LU Krylov solver for one grid (:class:`cfdopt.solve.linear.krylov.NewtonLinearSolver`).

    A coarser level gets half the GMRES iterations per level (at least 5): its LU costs about
    ``n^1.5`` against ``n`` per iteration, so refactoring pays sooner on a smaller grid.
    """
    order = _cell_order(grid, settings, numerics)
    cap = max(5, settings.krylov_iterations // 2**level)
    return NewtonLinearSolver(rtol=settings.linear_tolerance, cell_order=order, reuse=settings.lu_reuse,
                              precision=settings.lu_precision, max_reuse_iterations=cap)


def forcing_term(r: float, r_ref: float, tolerance: float, forcing: float = SolverSettings.forcing,
                 linear_tolerance: float = 1e-12) -> float:
    """Relative tolerance ``eta`` of the linear solve at residual norm ``r`` (inexact Newton).

    ``eta = max(linear_tolerance, forcing min(1, r / r_ref))``: proportional to the residual, so the
    tail stays quadratic while early pseudo-time steps are solved loosely (Dembo, Eisenstat & Steihaug
    1982), but never below ``tolerance r_ref / (2 r)``, the accuracy at which the step already ends
    the solve (Kelley 1995, Iterative Methods for Linear and Nonlinear Equations, eq. 6.20), and
    never above ``forcing``.
    """
    eta = max(linear_tolerance, min(forcing, forcing * r / r_ref))
    return min(forcing, max(eta, 0.5 * tolerance * r_ref / r))


def _ilu_gmres(jac: SparseJacobian, diag, rhs, rtol):
    a = (jac.matrix + sp.diags(diag)).tocsc()
    ilu = spla.spilu(a, drop_tol=1e-5, fill_factor=10)
    op = spla.LinearOperator(a.shape, matvec=lambda x: jac.matvec(x) + diag * x)
    pre = spla.LinearOperator(a.shape, matvec=ilu.solve)
    x, info = spla.gmres(op, rhs, M=pre, rtol=rtol, restart=80, maxiter=20)
    return x


@functools.lru_cache(maxsize=None)
def _spectral_radius(model: FlowModel):
    """Jitted ``(U, grid, flow) -> (ni, nj)`` pseudo-time scale of ``model``."""
    return cached_jit(functools.partial(spectral_radius, model=model), f"spectral_radius/{model!r}")


@functools.lru_cache(maxsize=None)
def _force_coefficients(model: FlowModel):
    """Jitted ``(U, grid, flow) -> {"cl", "cd", "cm", ...}`` of ``model``."""
    return cached_jit(functools.partial(force_coefficients, model=model), f"force_coefficients/{model!r}")


@functools.lru_cache(maxsize=None)
def _residual_jvp(numerics: Numerics):
    """Jitted ``(U, t, grid, flow) -> (dR/dU) t``: the exact Jacobian product, lift coupling included."""
    res = make_residual(numerics)
    return cached_jit(lambda U, t, grid, flow: jax.jvp(lambda u: res(u, grid, flow), (U,), (t,))[1],
                      f"residual_jvp/{numerics!r}")


def _prepare_level(grid: CGrid, flow: FlowConditions, numerics: Numerics, settings: SolverSettings) -> None:
    """Load everything a Newton solve on ``grid`` compiles or computes once (programs, colouring,
    cell order) without solving, in the reverse of the order the solve first needs them: run in a
    thread (:func:`_prepare_in_background`), it overlaps the loading with a solve."""
    U = uniform_state(flow, grid.ni, grid.nj, numerics.model)
    _physical_fields(numerics.model).warm(U, grid, flow)  # the physical check of the converged flow, last needed
    jacobian_assembler(grid.ni, grid.nj, grid.n_cut, numerics).warm(U, grid, flow)
    _residual_jvp(numerics).warm(U, U, grid, flow)
    _cell_order(grid, settings, numerics)
    _spectral_radius(numerics.model).warm(U, grid, flow)
    _force_coefficients(numerics.model).warm(U, grid, flow)
    make_residual(numerics).warm(U, grid, flow)


def level_numerics(numerics: Numerics, settings: SolverSettings, level: int) -> Numerics:
    """The discretisation solved on sequencing level ``level`` (0: the grid asked for, which always gets
    ``numerics``). On the coarser levels the Roe width of the contact and shear waves is at least
    ``settings.coarse_linear_fix``: those levels only provide a start, and a narrow width that the fine
    grid resolves can leave a coarse level without a steady solution (TMR NACA 0012, alpha 10, width 1e-4:
    the 112 x 32 level stalls at a residual of 1.3, docs/rans.md). Models without a separate linear-wave
    width (Euler) are unchanged."""
    fix = numerics.entropy_fix_linear
    if level == 0 or fix is None or fix >= settings.coarse_linear_fix:
        return numerics
    return replace(numerics, entropy_fix_linear=settings.coarse_linear_fix)


def _prepare_in_background(grids, flow, numerics, settings) -> dict:
    """Start loading every level of mesh sequencing (``grids`` finest first) in two threads.

    One thread prepares the coarsest level, whose solve starts at once and takes whatever is not
    loaded yet itself (a program being loaded is waited for, never loaded twice); the other
    prepares the finer levels, coarser first. Returns ``{level: Future}`` for the finer levels,
    which the solve waits for before starting each.
    """
    coarsest = grids[-1]
    jacobian_assembler(coarsest.ni, coarsest.nj, coarsest.n_cut,  # not built in two threads at once
                       level_numerics(numerics, settings, len(grids) - 1))
    futures = {}
    for name, levels in (("coarsest", [len(grids) - 1]), ("finer", range(len(grids) - 2, -1, -1))):
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"cfdopt-prepare-{name}")
        for level in levels:
            futures[level] = pool.submit(_prepare_level, grids[level], flow, level_numerics(numerics, settings, level),
                                         settings)
        pool.shutdown(wait=False)  # the queued levels still run
    del futures[len(grids) - 1]
    return futures


STALL_ITERATIONS = 20
STALL_DROP = 0.9
"""A solve whose CFL sits at its floor (``cfl_start / 100``) for ``STALL_ITERATIONS`` iterations while its residual
falls by less than ``1 - STALL_DROP`` stops as stalled, rather than creep on at the floor (as the zero-incidence
NACA 0012 of cases/tmr-naca0012 did from a prolonged coarse flow, docs/rans.md)."""

RETRY_FORCING = 0.05
"""Largest linear tolerance of a Newton-PTC step retried at a lower CFL under the line search."""

def solve_flow(grid: CGrid, flow: FlowConditions, numerics: Numerics = Numerics(),
               settings: SolverSettings = SolverSettings(), U0=None, callback=None) -> SolveResult:
    """Converge the steady residual of ``numerics.model`` (Euler or RANS-SA) on ``grid``.

    Without ``U0`` and with ``settings.mesh_levels > 1``, the flow is first
    solved on up to ``mesh_levels - 1`` coarser grids (every other node,
    :mod:`cfdopt.mesh.coarsen`) to ``coarse_tolerance``, each solution
    prolonged to the next finer grid as its start (mesh sequencing). A coarse
    level that fails hands on the free stream instead, and a final grid that
    fails from the prolonged flow is solved once more from the free stream
    (both iterations in ``history``, the count per attempt). A prolonged start
    begins at ``warm_cfl_factor`` times ``cfl_start``; ``U0`` (a restart, or a
    neighbouring design in an optimization, which may be far from this
    one's solution) at ``restart_cfl``.

    Args:
        grid: the C-grid.
        flow: free-stream conditions.
        numerics: discretisation (static).
        settings: Newton/PTC settings.
        U0: start state ``(ni, nj, 4)`` (restart); default the free stream.
        callback: called with each history dict as it is recorded (progress lines).

    Returns:
        :class:`SolveResult` for ``grid``; ``history`` holds the coarse levels'
        iterations first (key ``level``: 0 on ``grid``, 1 on the first coarser
        grid, ...), ``iterations`` counts all levels; ``physical`` the check of the converged flow, which, failed,
        makes the result not converged ("unphysical flow: ..."; not solved again from the free stream: the
        discrete solution itself is unphysical). Never raises for a failed solve.
    """
    t0 = time.perf_counter()
    if settings.symmetric:
        why = asymmetry(grid, flow)
        if why:
            return SolveResult(U=np.asarray(uniform_state(flow, grid.ni, grid.nj, numerics.model) if U0 is None else U0),
                               converged=False, iterations=0, residual_drop=1.0, history=[],
                               message=f"symmetric flow requested, but {why}")
    grids = [grid]
    if U0 is None:
        while len(grids) < settings.mesh_levels and can_coarsen(grids[-1]):
            grids.append(coarsen(grids[-1]))
    history: list[dict] = []
    notes = []
    U_start = U0
    cfl0 = settings.cfl_start if U0 is None else settings.restart_cfl
    prepared = _prepare_in_background(grids, flow, numerics, settings) if len(grids) > 1 else {}
    for level in range(len(grids) - 1, -1, -1):
        if level in prepared:
            # a failure here is left for the level's own solve to meet and report
            concurrent.futures.wait([prepared[level]])
        tol = settings.tolerance if level == 0 else max(settings.tolerance, settings.coarse_tolerance)
        out = _newton_ptc(grids[level], flow, level_numerics(numerics, settings, level), settings, U_start, cfl0,
                          tol, level, t0, history, callback)
        if level == 0:
            U, converged, r_drop, message, coefs, _ = out
            if not converged and len(grids) > 1 and U_start is not None:
                notes.append(f"from the prolonged coarse flow: {message}; solved again from the free stream")
                U, converged, r_drop, message, coefs, _ = _newton_ptc(grid, flow, numerics, settings, None,
                                                                      settings.cfl_start, tol, 0, t0, history,
                                                                      callback)
            break
        # a converged level's best iterate is its last: every earlier one was above the tolerance
        _, ok, _, message, _, (U_best, best_drop) = out
        if ok or best_drop <= settings.coarse_fallback:
            U_start = prolong_cells(U_best)
            cfl0 = settings.cfl_start * settings.warm_cfl_factor
            if not ok:
                notes.append(f"level {level} ({grids[level].ni} x {grids[level].nj}): {message}; the next level "
                             f"starts from its best iterate (residual drop {best_drop:.2e})")
        else:
            U_start, cfl0 = None, settings.cfl_start
            notes.append(f"level {level} ({grids[level].ni} x {grids[level].nj}): {message}; "
                         "the next level starts from the free stream")
    if len(grids) > 1 and converged:
        message = f"{message} on the final grid, {history[-1]['iteration']} in all over {len(grids)} grids"
    if notes:
        message = message + " [" + "; ".join(notes) + "]"
    physical = None
    if converged:  # a failed check is not solved again from the free stream: the discrete solution is unphysical
        physical = check_physical(U, grid, flow, numerics.model, coefs)
        if not physical.ok:
            converged, message = False, f"unphysical flow: {physical.failure} (the residual: {message})"
    return SolveResult(U=np.asarray(U), converged=bool(converged), iterations=history[-1]["iteration"],
                       residual_drop=r_drop, history=history, message=message, coefficients=coefs, physical=physical)


def solve_with_fallback(grid: CGrid, flow: FlowConditions, numerics: Numerics, settings: SolverSettings, U0=None,
                        callback=None, warm_settings: SolverSettings | None = None) -> list[SolveResult]:
    """:func:`solve_flow` from ``U0`` (a nearby flow: an optimizer's iterate, a polar's neighbour) and, when that
    does not converge (or converges to an unphysical flow), once more from the free stream with ``settings`` (mesh
    sequencing). A solve from the free stream (no ``U0``) is not retried.

    Args:
        U0: the warm start, or None (one solve from the free stream).
        warm_settings: settings of the attempt from ``U0`` (default ``settings``), e.g. a lower iteration cap.

    Returns:
        The attempts, one or two; the last is the outcome.
    """
    attempts = []
    if U0 is not None:
        attempts.append(solve_flow(grid, flow, numerics, warm_settings or settings, U0=np.asarray(U0, dtype=np.float64),
                                   callback=callback))
        if attempts[-1].converged:
            return attempts
    attempts.append(solve_flow(grid, flow, numerics, settings, callback=callback))
    return attempts


def _newton_ptc(grid, flow, numerics, settings, U0, cfl, tolerance, level, t0, history, callback):
    """Newton-PTC on one grid (module docstring). Appends to ``history``; returns
    ``(U, converged, residual_drop, message, coefficients, (U_best, best_drop))``, the last with the iterate of
    lowest residual."""
    gamma = flow.gamma
    res = make_residual(numerics)
    assemble = jacobian_assembler(grid.ni, grid.nj, grid.n_cut, numerics)
    spec_fn = _spectral_radius(numerics.model)
    coef_fn = _force_coefficients(numerics.model)
    U_inf = np.asarray(uniform_state(flow, grid.ni, grid.nj, numerics.model))
    scalar_floor = np.asarray(freestream_scalars(numerics.model))
    r_ref = float(np.linalg.norm(np.asarray(res(U_inf, grid, flow))))
    U = U_inf.copy() if U0 is None else np.asarray(U0, dtype=float).reshape(U_inf.shape)

    def project(V):
        # symmetric flow: the round-off asymmetry that would grow into a lifting branch is removed each step
        return 0.5 * (V + mirror_state(V)) if settings.symmetric else V

    U = project(U)
    R = np.asarray(res(U, grid, flow)).ravel()
    r = float(np.linalg.norm(R))
    first = history[-1]["iteration"] if history else 0

    def record(it, omega, tj, tl, r_unsteady=None):
        c = {k: float(v) for k, v in coef_fn(U, grid, flow).items()}
        h = dict(iteration=first + it, level=level, residual=r / r_ref, residual_norm=r,
                 unsteady_residual=(r if r_unsteady is None else r_unsteady) / r_ref, **c, cfl=cfl,
                 omega=omega, time_s=time.perf_counter() - t0, jacobian_s=tj, linear_s=tl)
        history.append(h)
        if callback is not None:
            callback(h)
        return c

    coefs = record(0, 0.0, 0.0, 0.0)
    best = (U, r / r_ref)
    message = f"not converged in {settings.max_iterations} iterations"
    converged = r / r_ref <= tolerance
    it = 0
    stalled, stall_ref, cfl_floor = 0, None, settings.cfl_start * 1e-2
    linear = _linear_solver(grid, settings, numerics, level)
    jvp = _residual_jvp(numerics)
    while not converged and it < settings.max_iterations:
        it += 1
        ta = time.perf_counter()
        spec = np.asarray(spec_fn(U, grid, flow))
        eta = forcing_term(r, r_ref, tolerance, settings.forcing, settings.linear_tolerance)
        accepted = False
        tj = 0.0
        for attempt in range(12):
            diag = np.repeat(spec.ravel() / cfl, U.shape[-1])
            # after a rejected step the line search needs a linear residual well under ||R||: a step solved to
            # eta = 0.5 (accepted up to 1.0) cannot lower the unsteady residual at any CFL
            eta_try = min(eta, RETRY_FORCING) if attempt and settings.line_search else eta
            try:
                if settings.linear_solver == "gmres":
                    t1 = time.perf_counter()
                    jac = assemble(U, grid, flow)
                    tj += time.perf_counter() - t1
                    dU = _ilu_gmres(jac, diag, -R, eta_try)
                else:
                    dU = linear(lambda: assemble(U, grid, flow), diag, -R, rtol=eta_try,
                                matvec=lambda y: np.asarray(jvp(U, y.reshape(U.shape), grid, flow)).ravel())
                    tj += linear.assembly_s
                dU = dU.reshape(U.shape)
            except RuntimeError:
                cfl = max(cfl * 0.1, 1e-3)
                continue
            dU = clamp_scalars(U, dU, settings.max_change, scalar_floor)
            omega = step_limit(U, dU, gamma, settings.max_change) if np.all(np.isfinite(dU)) else 0.0
            while omega > 1e-3:
                U_try = project(U + omega * dU)
                if is_physical(U_try, gamma):
                    R_try = np.asarray(res(U_try, grid, flow)).ravel()
                    if np.all(np.isfinite(R_try)):
                        r_unsteady = float(np.linalg.norm(diag * (omega * dU).ravel() + R_try))
                        if not settings.line_search or r_unsteady <= r:
                            accepted = True
                            break
                omega *= 0.5
            if accepted:
                break
            cfl = max(cfl * 0.1, 1e-3)
        tl = time.perf_counter() - ta - tj
        if not accepted:
            what = "physical step that lowers the unsteady residual" if settings.line_search else "physical step"
            message = f"iteration {it}: no {what} found even at CFL {cfl:.3g}; try a smaller numerics.cfl_start"
            break
        r_new = float(np.linalg.norm(R_try))
        ratio = r / r_new
        U, R = U_try, R_try
        if omega < 0.5:
            cfl = max(cfl * 2.0 * omega, cfl_floor)
        elif omega < 1.0:
            pass  # a step trimmed by the change limit is no reason to change the time step
        else:
            cfl = min(settings.cfl_max, cfl * min(max(settings.cfl_growth * ratio, 0.5), 1e3))
        r = r_new
        if cfl > cfl_floor:
            stalled, stall_ref = 0, None
        elif stall_ref is None or r < STALL_DROP * stall_ref:
            stalled, stall_ref = 0, r
        else:
            stalled += 1
        if r / r_ref < best[1]:
            best = (U, r / r_ref)
        coefs = record(it, omega, tj, tl, r_unsteady)
        if stalled >= STALL_ITERATIONS:
            message = (f"iteration {it}: stalled, the CFL at its floor {cfl_floor:.3g} for {stalled} iterations "
                       f"while the residual fell by less than {1 - STALL_DROP:.0%}")
            break
        converged = r / r_ref <= tolerance
        if not np.isfinite(r):
            message = f"iteration {it}: residual is not finite"
            break
        if not converged and r / r_ref <= ROUNDOFF_WINDOW:
            floor = roundoff_level(res, U, grid, flow, R)
            if r <= floor:
                converged = True
                message = (f"converged to round-off in {it} iterations (residual drop {r / r_ref:.2e}, at or under "
                           f"its round-off level {floor / r_ref:.2e} at this state, which is above the tolerance "
                           f"{tolerance:.0e})")
                break
    if converged and r / r_ref <= tolerance:
        message = f"converged in {it} iterations (residual drop {r / r_ref:.2e})"
    return U, converged, r / r_ref, message, coefs, best


def final_jacobian(U, grid: CGrid, flow: FlowConditions, numerics: Numerics = Numerics(),
                   factorize: bool = True) -> tuple[SparseJacobian, Factorization | None]:
    """Exact ``dR/dU`` at a converged state and (optionally) its LU, for the adjoint.

    ``fact.solve(b, trans="T")`` solves ``(dR/dU)^T psi = b`` (flat C-order vectors).
    """
    jac = jacobian_assembler(grid.ni, grid.nj, grid.n_cut, numerics)(U, grid, flow)
    return jac, (jac.factorize() if factorize else None)
