"""Steady flow solve: the chain of starts around Newton-PTC (:mod:`cfdopt.solve.ptc`), in one place.

Every fallback of a flow solve is here, and each taken is named in ``SolveResult.stats.fallbacks``
(:class:`cfdopt.solve.result.Fallback`):

1. Mesh sequencing (:func:`solve_flow`, from the free stream): the flow is first solved on coarser grids (every
   other node, :mod:`cfdopt.mesh.coarsen`) to ``coarse_tolerance`` and prolonged. A coarse level that fails hands
   on its lowest-residual iterate if that reached ``coarse_fallback`` (``COARSE_BEST_ITERATE``), else the free
   stream (``COARSE_FREE_STREAM``). A coarse level solves with a Roe linear-wave width of at least
   ``coarse_linear_fix`` (:func:`level_numerics`).
2. A final grid that fails from the prolonged flow is solved once more from the free stream
   (``FINE_FREE_STREAM``), as at zero incidence on TMR's NACA 0012, where the prolonged turbulent wake admitted no
   step.
3. A solve from a given start (an optimizer's iterate, a polar's neighbour) that fails is solved again from the
   free stream with mesh sequencing (:func:`solve_with_fallback`, ``WARM_FREE_STREAM``).

Inside one Newton-PTC solve the step control retries rejected steps at a smaller step or CFL
(``stats.rejected_steps``) and the linear solver refactors a lagged LU that no longer converges
(``stats.failed_reuses``); those are part of the method, not fallbacks.

A solve that does not converge returns its status (:class:`cfdopt.solve.result.Status`) with its history and a
message; it does not raise. Nor does a converged flow that breaks a bound no physical flow breaks
(:func:`cfdopt.flow.physical.check_physical`, run once on the final grid's flow): its status is ``UNPHYSICAL``
and its message starts "unphysical flow: ".
"""

from __future__ import annotations

import concurrent.futures
import time
from dataclasses import replace

import numpy as np

from cfdopt.flow.physical import _physical_fields, check_physical
from cfdopt.flow.residual import Numerics, make_grid_fields, make_newton_residual
from cfdopt.flow.state import FlowConditions, uniform_state
from cfdopt.flow.symmetry import asymmetry
from cfdopt.mesh.coarsen import can_coarsen, coarsen, prolong_cells
from cfdopt.mesh.types import CGrid
from cfdopt.solve.linear.jacobian import Factorization, SparseJacobian, jacobian_assembler
from cfdopt.solve.ptc import (cell_order, force_coefficients_fn, forcing_term, level_problem, newton_ptc,
                              residual_jvp, spectral_radius_fn)
from cfdopt.solve.result import Fallback, SolveResult, SolveStats, Status
from cfdopt.solve.settings import COARSE_ENTROPY_FIX_LINEAR, Safeguards, SolverSettings

__all__ = ["COARSE_ENTROPY_FIX_LINEAR", "Fallback", "Safeguards", "SolveResult", "SolveStats", "SolverSettings",
           "Status", "final_jacobian", "forcing_term", "level_numerics", "solve_flow", "solve_with_fallback"]


def _prepare_level(grid: CGrid, flow: FlowConditions, numerics: Numerics, settings: SolverSettings) -> None:
    """Load everything a Newton solve on ``grid`` compiles or computes once (programs, colouring,
    cell order) without solving, in the reverse of the order the solve first needs them: run in a
    thread (:func:`_prepare_in_background`), it overlaps the loading with a solve."""
    U = uniform_state(flow, grid.ni, grid.nj, numerics.model)
    _physical_fields(numerics.model).warm(U, grid, flow)  # the physical check of the converged flow, last needed
    jacobian_assembler(grid.ni, grid.nj, grid.n_cut, numerics).warm(U, grid, flow)
    fields = make_grid_fields(numerics)(grid)
    residual_jvp(numerics).warm(U, U, grid, flow, fields)
    cell_order(grid, settings, numerics)
    spectral_radius_fn(numerics.model).warm(U, grid, flow)
    force_coefficients_fn(numerics.model).warm(U, grid, flow)
    make_newton_residual(numerics).warm(U, grid, flow, fields)


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



def _solve_level(grid, flow, numerics, settings, U0, cfl, tolerance, level, t0, history, callback):
    """Newton-PTC on one grid (:func:`cfdopt.solve.ptc.newton_ptc`), its history appended to ``history``."""
    lv = level_problem(grid, flow, numerics, settings, tolerance, level)
    first = history[-1]["iteration"] if history else 0
    out = newton_ptc(lv, U0, cfl, t0, first, callback)
    history.extend(out.history)
    return out


def solve_flow(grid: CGrid, flow: FlowConditions, numerics: Numerics = Numerics(),
               settings: SolverSettings = SolverSettings(), U0=None, callback=None) -> SolveResult:
    """Converge the steady residual of ``numerics.model`` on ``grid`` (module docstring: steps 1 and 2).

    Without ``U0`` and with ``settings.mesh_levels > 1``, the flow is first solved on up to ``mesh_levels - 1``
    coarser grids, each solution prolonged to the next finer grid as its start, which begins at
    ``warm_cfl_factor`` times ``cfl_start``; ``U0`` (a restart, or a neighbouring design in an optimization, which
    may be far from this one's solution) starts at ``restart_cfl``.

    Args:
        grid: the C-grid.
        flow: free-stream conditions.
        numerics: discretisation (static).
        settings: Newton/PTC settings.
        U0: start state ``(ni, nj, nvar)`` (restart); default the free stream.
        callback: called with each history dict as it is recorded (progress lines).

    Returns:
        :class:`cfdopt.solve.result.SolveResult` for ``grid``; ``history`` holds the coarse levels' iterations
        first (key ``level``: 0 on ``grid``, 1 on the first coarser grid, ...), ``iterations`` counts all levels.
        Never raises for a failed solve.
    """
    t0 = time.perf_counter()
    if settings.symmetric:
        why = asymmetry(grid, flow)
        if why:
            U = uniform_state(flow, grid.ni, grid.nj, numerics.model) if U0 is None else U0
            return SolveResult(U=np.asarray(U), status=Status.REFUSED, iterations=0, residual_drop=1.0, history=[],
                               message=f"symmetric flow requested, but {why}")
    grids = [grid]
    if U0 is None:
        while len(grids) < settings.mesh_levels and can_coarsen(grids[-1]):
            grids.append(coarsen(grids[-1]))
    history: list[dict] = []
    notes, fallbacks = [], []
    stats = SolveStats()
    U_start = U0
    cfl0 = settings.cfl_start if U0 is None else settings.restart_cfl
    prepared = _prepare_in_background(grids, flow, numerics, settings) if len(grids) > 1 else {}
    for level in range(len(grids) - 1, 0, -1):
        if level in prepared:
            concurrent.futures.wait([prepared[level]])  # a failure here is left for the level's solve to report
        tol = max(settings.tolerance, settings.coarse_tolerance)
        out = _solve_level(grids[level], flow, level_numerics(numerics, settings, level), settings, U_start, cfl0,
                           tol, level, t0, history, callback)
        stats = stats + out.stats
        s = out.state
        where = f"level {level} ({grids[level].ni} x {grids[level].nj})"
        # a converged level's best iterate is its last: every earlier one was above the tolerance
        if s.status.converged or s.best_drop <= settings.coarse_fallback:
            U_start, cfl0 = prolong_cells(s.best_U), settings.cfl_start * settings.warm_cfl_factor
            if not s.status.converged:
                fallbacks.append(Fallback.COARSE_BEST_ITERATE)
                notes.append(f"{where}: {s.message}; the next level starts from its best iterate "
                             f"(residual drop {s.best_drop:.2e})")
        else:
            U_start, cfl0 = None, settings.cfl_start
            fallbacks.append(Fallback.COARSE_FREE_STREAM)
            notes.append(f"{where}: {s.message}; the next level starts from the free stream")
    if 0 in prepared:
        concurrent.futures.wait([prepared[0]])
    out = _solve_level(grid, flow, numerics, settings, U_start, cfl0, settings.tolerance, 0, t0, history, callback)
    stats = stats + out.stats
    if not out.state.status.converged and len(grids) > 1 and U_start is not None:
        fallbacks.append(Fallback.FINE_FREE_STREAM)
        notes.append(f"from the prolonged coarse flow: {out.state.message}; solved again from the free stream")
        out = _solve_level(grid, flow, numerics, settings, None, settings.cfl_start, settings.tolerance, 0, t0,
                           history, callback)
        stats = stats + out.stats
    s, status, message, coefs = out.state, out.state.status, out.state.message, out.coefficients
    if len(grids) > 1 and status.converged:
        message = f"{message} on the final grid, {history[-1]['iteration']} in all over {len(grids)} grids"
    if notes:
        message = message + " [" + "; ".join(notes) + "]"
    physical = None
    if status.converged:  # a failed check is not solved again from the free stream: the discrete solution is unphysical
        physical = check_physical(s.U, grid, flow, numerics.model, coefs)
        if not physical.ok:
            status, message = Status.UNPHYSICAL, f"unphysical flow: {physical.failure} (the residual: {message})"
    stats = replace(stats, wall_s=time.perf_counter() - t0, fallbacks=tuple(fallbacks))
    return SolveResult(U=np.asarray(s.U), status=status, iterations=history[-1]["iteration"],
                       residual_drop=s.drop(out.level), history=history, message=message, coefficients=coefs,
                       physical=physical, stats=stats)


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
    last = solve_flow(grid, flow, numerics, settings, callback=callback)
    if attempts:
        last = replace(last, stats=replace(last.stats, fallbacks=(Fallback.WARM_FREE_STREAM,) + last.stats.fallbacks))
    return attempts + [last]


def final_jacobian(U, grid: CGrid, flow: FlowConditions, numerics: Numerics = Numerics(),
                   factorize: bool = True) -> tuple[SparseJacobian, Factorization | None]:
    """Exact ``dR/dU`` at a converged state and (optionally) its LU, for the adjoint.

    ``fact.solve(b, trans="T")`` solves ``(dR/dU)^T psi = b`` (flat C-order vectors).
    """
    jac = jacobian_assembler(grid.ni, grid.nj, grid.n_cut, numerics)(U, grid, flow)
    return jac, (jac.factorize() if factorize else None)
