"""One aerodynamic case as a pure data flow: design -> surface -> mesh -> flow -> J, with adjoint gradients.

``AeroProblem(cfg)`` builds the baseline surface (re-sampled to the mesh's
``n_airfoil`` cells), the baseline C-grid and the design space once; then

- :meth:`AeroProblem.evaluate` deforms the grid (refusing folded cells),
  converges the flow (from a state the caller passes in, or the free stream)
  and returns the force coefficients and the state reached;
- :meth:`AeroProblem.gradients` gives ``dJ/d(design)`` by the discrete
  adjoint (:mod:`cfdopt.adjoint`) for any objective ``J(CL, CD, CM)``, plus
  ``dJ/dMach`` and ``dJ/dalpha``.

The problem holds no mutable state: a warm start is passed in and the state
reached is returned: what an evaluation gives depends on the design and the
state passed in alone, not on where (this process, a Dask worker) or after
which other evaluation it runs.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from cfdopt.adjoint import AdjointResult, make_adjoint, pull_back
from cfdopt.geometry.design import DesignSpace, design_space
from cfdopt.util.errors import ConfigError, SolveError
from cfdopt.flow.forces import force_coefficients
from cfdopt.flow.residual import Numerics, make_residual
from cfdopt.flow.state import FlowConditions
from cfdopt.geometry import close_trailing_edge, is_closed, load_airfoil
from cfdopt.mesh import CGrid, cgrid_from_config, check_deformation, deform
from cfdopt.mesh.cgrid import ViscousSpacing, surface_for_grid
from cfdopt.mesh.flatplate import FLAT_PLATE, flat_plate_from_config
from cfdopt.mesh.su2 import read_su2_cgrid
from cfdopt.case.build import flow_setup
from cfdopt.solve.newton import SolveResult, final_jacobian, solve_with_fallback

OBJECTIVES: dict[str, Callable[[dict], jax.Array]] = {
    "cd": lambda c: c["cd"],
    "cl": lambda c: c["cl"],
    "-cl": lambda c: -c["cl"],
    "cm": lambda c: c["cm"],
    "l/d": lambda c: c["cl"] / c["cd"],
}
"""Objective names -> function of the coefficient dict ``{"cl", "cd", "cm"}``."""


@dataclass(frozen=True)
class Evaluation:
    """A converged design point.

    Attributes:
        design: the design vector (NumPy float64).
        grid: the deformed grid.
        flow: the flow conditions (alpha may be a design variable).
        solve: the flow solver's result (state ``solve.U``, history).
        coefficients: ``{"cl", "cd", "cm"}`` as floats.
        newton: Newton iterations of every attempt (a failed warm start included).
    """

    design: np.ndarray
    grid: CGrid
    flow: FlowConditions
    solve: SolveResult
    coefficients: dict
    newton: int = 0


@dataclass(frozen=True)
class Gradient:
    """``dJ/d(design)`` of one objective, with its parts.

    Attributes:
        name: objective name.
        value: ``J``.
        design: ``(n_vars,)`` gradient with respect to the design vector.
        mach, alpha: ``dJ/dMach`` and ``dJ/dalpha`` (per degree) at fixed shape.
        adjoint: the :class:`cfdopt.adjoint.AdjointResult` (linear residual, timing).
    """

    name: str
    value: float
    design: np.ndarray
    mach: float
    alpha: float
    adjoint: AdjointResult


@functools.lru_cache(maxsize=32)
def adjoint_for(numerics: Numerics, name: str) -> Callable:
    """The adjoint of objective ``name`` for the residual of ``numerics``, built once per process and traced once
    across processes (:func:`cfdopt.util.jitcache.cached_jit`)."""
    if name not in OBJECTIVES:
        raise ValueError(f"unknown objective {name!r}; valid: {', '.join(OBJECTIVES)}")
    fn, model = OBJECTIVES[name], numerics.model
    return make_adjoint(make_residual(numerics), lambda U, grid, flow: fn(force_coefficients(U, grid, flow, model)),
                        name=f"adjoint/{numerics!r}/{name}")


@functools.lru_cache(maxsize=4)
def _read_grid(path: str, mtime_ns: int) -> CGrid:
    return read_su2_cgrid(path)


def file_grid(cfg) -> CGrid | None:
    """The C-grid of ``[mesh] file`` (relative to the case folder), or None when the case generates its grid.

    Raises:
        ConfigError: naming the case file and the key, when the file is missing or is not a structured C-grid in
            the layout of :mod:`cfdopt.mesh.su2` (with the reader's reason).
    """
    name = cfg.mesh.file
    if name is None:
        return None
    path = (Path(cfg.case_dir) / name).resolve()
    where = f"{cfg.source}: [mesh] file = {name!r}"
    if not path.is_file():
        raise ConfigError(f"{where}: no such file ({path})")
    try:
        return _read_grid(str(path), path.stat().st_mtime_ns)
    except (ValueError, OSError) as err:
        raise ConfigError(f"{where}: not a structured C-grid cfdopt can read: {err}") from err


def baseline_surface(cfg) -> np.ndarray:
    """The case's airfoil, trailing edge closed, re-sampled to ``mesh.n_airfoil`` cells (Selig order); the wall of
    the ``[mesh] file`` grid as it is."""
    grid = file_grid(cfg)
    if grid is not None:
        return np.asarray(grid.surface)[::-1]
    surface = load_airfoil(cfg.geometry.airfoil, cfg.case_dir)
    if not is_closed(surface):
        surface = close_trailing_edge(surface)
    return surface_for_grid(surface, cfg.mesh, **viscous_mesh_options(cfg))


def viscous_mesh_options(cfg) -> dict:
    """Keyword arguments that make the mesh functions build a RANS grid for a ``rans-sa`` case (none for Euler)."""
    if not cfg.flow.viscous:
        return {}
    viscous = ViscousSpacing(normal=cfg.mesh.normal_spacing, wake_aspect=cfg.mesh.wake_aspect)
    return dict(reynolds=cfg.flow.reynolds, viscous=viscous)


def baseline_grid(cfg, surface: np.ndarray | None = None):
    """The case's undeformed grid: the ``[mesh] file`` grid (:func:`file_grid`), the C-grid round
    :func:`baseline_surface` (or ``surface``), or the TMR flat-plate grid for ``[geometry] airfoil =
    "flat-plate"``."""
    if cfg.geometry.airfoil == FLAT_PLATE:
        return flat_plate_from_config(cfg.mesh)
    grid = file_grid(cfg)
    if grid is not None:
        return grid
    surface = baseline_surface(cfg) if surface is None else surface
    return cgrid_from_config(surface, cfg.mesh, **viscous_mesh_options(cfg))


class AeroProblem:
    """The design -> objective map of a case, with warm-started solves and adjoint gradients."""

    def __init__(self, cfg):
        if cfg.geometry.airfoil == FLAT_PLATE:
            raise ConfigError(f"{cfg.source}: [geometry] airfoil = {FLAT_PLATE!r} has no shape to deform; "
                              "only 'cfdopt solve' runs it")
        self.cfg = cfg
        surface = baseline_surface(cfg)
        self.grid0 = baseline_grid(cfg, surface)
        self.space: DesignSpace = design_space(cfg.design, surface, cfg.flow.alpha)
        setup = flow_setup(cfg)
        self.numerics = setup.numerics
        self.settings = setup.settings
        self.mach = float(cfg.flow.mach)
        self.gamma = float(cfg.flow.gamma)
        self.residual = make_residual(self.numerics)
        # traced once per problem: eagerly, the first deformation dispatches ~1 s of small ops (quickstart)
        self._grid_of = jax.jit(lambda d: deform(self.grid0, self.space.wall(d)))

    def geometry(self, d):
        """``(grid, flow)`` of design ``d``: pure JAX, differentiable in ``d``."""
        grid = self._grid_of(d)
        flow = FlowConditions(mach=self.mach, alpha=self.space.alpha(d), gamma=self.gamma)
        return grid, flow

    def evaluate(self, d, U0: np.ndarray | None = None, callback=None) -> Evaluation:
        """Deform, check and solve at design ``d``, starting from the flow ``U0`` when given.

        The warm start is explicit: ``U0`` is a converged ``(ni, nj, nvar)`` state of a nearby design (the
        optimizer's iterate, a polar's neighbour), or ``None`` for the free stream with mesh sequencing. A
        solve from ``U0`` that has not converged in ``[numerics] warm_max_iterations`` is tried once more from the
        free stream. The state reached is
        ``Evaluation.solve.U``; the problem keeps none.

        Raises:
            MeshError: the deformation would fold a cell, or turn the wall or shear its first cells far beyond
                the baseline's (:func:`cfdopt.mesh.check_deformation` against ``grid0``; the message names the
                design variables responsible); nothing is solved.
            SolveError: the flow did not converge (from ``U0`` nor from the free stream); its
                ``iterations`` counts the Newton iterations of every attempt.
        """
        d = np.asarray(d, dtype=np.float64)
        grid, flow = self.geometry(jnp.asarray(d))
        check_deformation(grid, baseline=self.grid0, explain=self.space.explain_wall(d))
        flow = FlowConditions(mach=self.mach, alpha=float(flow.alpha), gamma=self.gamma)
        warm = dataclasses.replace(self.settings, max_iterations=min(self.settings.max_iterations,
                                                                     self.settings.warm_max_iterations))
        attempts = solve_with_fallback(grid, flow, self.numerics, self.settings, U0, callback, warm_settings=warm)
        result, iterations = attempts[-1], sum(a.iterations for a in attempts)
        if not result.converged:
            raise SolveError(f"flow solve failed: {result.message}", history=result.history, iterations=iterations,
                             status=result.status)
        return Evaluation(d, grid, flow, result, dict(result.coefficients), iterations)

    def gradients(self, ev: Evaluation, names) -> dict[str, Gradient]:
        """Adjoint gradients of several objectives at one converged point (one LU, one solve each)."""
        U = jnp.asarray(ev.solve.U)
        _, fact = final_jacobian(U, ev.grid, ev.flow, self.numerics)
        out = {}
        d = jnp.asarray(ev.design)
        for name in names:
            res = adjoint_for(self.numerics, name)(U, ev.grid, ev.flow, lambda b: fact.solve(b, trans="T"))
            g = pull_back(self.geometry, d, (res.grad_nodes, res.grad_flow))
            out[name] = Gradient(
                name=name,
                value=res.value,
                design=np.asarray(g, dtype=np.float64),
                mach=float(res.grad_flow.mach),
                alpha=float(res.grad_flow.alpha),
                adjoint=res,
            )
        return out

    def value_and_grad(self, d, objective: str = "cd", U0=None, callback=None) -> tuple[float, np.ndarray]:
        """``(J, dJ/dd)``: one solve (from ``U0`` when given) and one adjoint solve."""
        ev = self.evaluate(d, U0=U0, callback=callback)
        g = self.gradients(ev, [objective])[objective]
        return g.value, g.design

