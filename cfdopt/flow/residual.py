"""The discrete flow residual: one pure function for the solver, the Jacobian and the adjoint.

For cell ``(i, j)`` with area ``A`` the semi-discrete equations are
``A dU/dt + R(U) = 0``, and ``R`` is a sum of terms, each a pure function
that declares the cells it reads (its :class:`Stencil`):

- convective (every model): the flux balance
  ``F_{i+1/2,j} - F_{i-1/2,j} + G_{i,j+1/2} - G_{i,j-1/2}`` with
  ``F = roe_flux(q_L, q_R, S_i)``, ``G = roe_flux(q_L, q_R, S_j)`` (face
  normals towards increasing index, so a positive flux leaves cell
  ``(i, j)`` through its ``+`` faces), ``q_L, q_R`` MUSCL reconstructions of
  the primitive variables with the ghost layers of
  :mod:`cfdopt.flow.boundary`. Transported scalars (``nuhat``) are
  convected upwind by the Roe mass flux ``m``:
  ``m (q_L + q_R) / 2 - |m|_w (q_R - q_L) / 2`` with cell values ``q_L, q_R``
  (``nu_tilde_convection = "first-order"``, what CFL3D ran for the TMR cases) or their MUSCL
  reconstructions with the mean flow's limiter (``"muscl"``, as
  FUN3D ran them; it does not keep ``nuhat`` positive), and ``|m|_w = smooth_abs(m, linear_fix |S|)`` (units ``rho_inf a_inf``
  times the face length), the smooth form of the upwind switch, as wide as
  the Roe flux's smoothing of the contact wave that carries the scalar;
- viscous and Spalart-Allmaras (``rans-sa``): :mod:`cfdopt.flow.rans.terms`.

``R`` is a flux per unit span, not divided by the area (units
``rho_inf a_inf^2 c`` for momentum); see :mod:`cfdopt.flow.state` for the
layout. The residual takes the grid (whose ``nodes`` are pytree data), so
``dR/dX`` is a VJP through :func:`cfdopt.mesh.types.metrics` (and the wall
distance); ``FlowConditions`` data (``mach``, ``alpha``) are differentiable
too. The model and numerics are static and closed over.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp

from cfdopt.flow.boundary import pad_i, pad_j, vortex_freestream
from cfdopt.flow.forces import force_coefficients
from cfdopt.flow.layout import ENERGY, MEAN_FLOW, MX, MY, RHO
from cfdopt.flow.model import EULER_MODEL, FlowModel
from cfdopt.flow.muscl import LIMITERS, reconstruct
from cfdopt.flow.roe import roe_flux_primitive
from cfdopt.flow.state import FlowConditions, freestream_primitive, primitive, with_scalars
from cfdopt.flow.stencil import Stencil, convective_stencil
from cfdopt.util.jitcache import cached_jit
from cfdopt.mesh.types import metrics
from cfdopt.util.smooth import smooth_abs

CONVECTIVE_FLUXES = {"roe": roe_flux_primitive}
"""Convective flux schemes by case-file name (``[numerics] flux``)."""


SCALAR_ORDERS = {"first-order": 1, "muscl": 2}
"""``Numerics.nu_tilde_convection`` -> reconstruction order of the transported scalars."""


@dataclass(frozen=True)
class Numerics:
    """Everything static about the residual: the physical model and its discretisation (hashable: the
    residual is compiled once per value and mesh shape). Defaults are the case file's.

    Attributes:
        order: 1 (first order) or 2 (MUSCL).
        limiter: ``"van-albada"`` or ``"none"``.
        limiter_eps: van Albada smoothing scale (units of the O(1) primitives).
        muscl_kappa: MUSCL kappa (:func:`cfdopt.flow.muscl.reconstruct`).
        entropy_fix: Roe entropy-fix width as a fraction of the sound speed.
        entropy_fix_linear: the width of the contact and shear waves, if not ``entropy_fix``
            (:func:`cfdopt.flow.roe.roe_flux`); the scalars' upwinding uses it too.
        farfield_width: width of the smooth inflow/outflow step at the far
            field (units of ``a_inf``).
        point_vortex: add the point-vortex correction to the far-field state.
        flux: convective flux scheme, a key of :data:`CONVECTIVE_FLUXES`.
        model: the governing equations (:class:`cfdopt.flow.model.FlowModel`).
        nu_tilde_convection: convection of the transported scalars (``nuhat``): ``"first-order"``
            upwind or ``"muscl"`` (the mean flow's reconstruction); the case key of the same name.
    """

    order: int = 2
    limiter: str = "van-albada"
    limiter_eps: float = 0.03
    muscl_kappa: float = 0.0
    entropy_fix: float = 0.05
    entropy_fix_linear: float | None = None
    farfield_width: float = 0.05
    point_vortex: bool = False
    flux: str = "roe"
    model: FlowModel = field(default=EULER_MODEL)
    nu_tilde_convection: str = "first-order"

    def __post_init__(self):
        if not -1.0 <= self.muscl_kappa < 1.0:
            raise ValueError(f"Numerics.muscl_kappa must be in [-1, 1), got {self.muscl_kappa!r}")
        if self.order not in (1, 2):
            raise ValueError(f"Numerics.order must be 1 or 2, got {self.order!r}")
        if self.nu_tilde_convection not in SCALAR_ORDERS:
            raise ValueError(f"Numerics.nu_tilde_convection must be one of {', '.join(SCALAR_ORDERS)}, got "
                             f"{self.nu_tilde_convection!r}")
        if self.limiter not in LIMITERS:
            raise ValueError(f"Numerics.limiter must be one of {', '.join(LIMITERS)}, got {self.limiter!r}")
        if self.flux not in CONVECTIVE_FLUXES:
            raise ValueError(f"Numerics.flux must be one of {', '.join(CONVECTIVE_FLUXES)}, got {self.flux!r}")
        for name in ("limiter_eps", "entropy_fix", "farfield_width"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Numerics.{name} must be > 0, got {getattr(self, name)!r}")
        if self.entropy_fix_linear is not None and not self.entropy_fix_linear > 0:
            raise ValueError(f"Numerics.entropy_fix_linear must be > 0, got {self.entropy_fix_linear!r}")

    @property
    def linear_fix(self) -> float:
        """Entropy-fix width of the Roe flux's contact and shear waves (fraction of the sound speed)."""
        return self.entropy_fix if self.entropy_fix_linear is None else self.entropy_fix_linear

    @property
    def scalar_order(self) -> int:
        """Reconstruction order of the transported scalars: 1 (first-order upwind) or 2 (MUSCL)."""
        return SCALAR_ORDERS[self.nu_tilde_convection]

    @property
    def nvar(self) -> int:
        return self.model.layout.nvar

    @property
    def stencil(self) -> Stencil:
        """The union of the stencils of the residual's terms (the Jacobian's sparsity)."""
        scalars = self.model.layout.nvar > MEAN_FLOW
        s = convective_stencil(max(self.order, self.scalar_order) if scalars else self.order)
        terms = self.model.terms
        return s if terms is None else s | terms.STENCIL


def _farfield_states(grid, flow: FlowConditions, numerics: Numerics, cl):
    """Free-stream primitives at the far-field faces ``i = 0``, ``i = ni``, ``j = nj`` (with the point vortex,
    per face; else one ``(nvar,)`` state)."""
    if not numerics.point_vortex:
        w = freestream_primitive(flow, numerics.model)
        return w, w, w
    nodes = grid.nodes
    mid_i = 0.5 * (nodes[:, 1:] + nodes[:, :-1])
    mid_top = 0.5 * (nodes[1:, -1] + nodes[:-1, -1])
    return tuple(with_scalars(vortex_freestream(flow, xy, cl), numerics.model)
                 for xy in (mid_i[0], mid_i[-1], mid_top))


def padded_states(W, grid, m, flow: FlowConditions, numerics: Numerics, cl):
    """``(wi, wj)``: ``W`` padded with two ghost layers along i (``(ni + 4, nj, nvar)``) and along j
    (``(ni, nj + 4, nvar)``), :mod:`cfdopt.flow.boundary`."""
    g, w = flow.gamma, numerics.farfield_width
    inf_lo, inf_hi, inf_top = _farfield_states(grid, flow, numerics, cl)
    wi = pad_i(W, m.si, inf_lo, inf_hi, g, w, pressure_outlet=grid.pressure_outlet)
    wj = pad_j(W, m.sj, grid.n_cut, inf_top, g, w)
    return wi, wj


def _scalar_flux(f_mass, q, axis: int, normal, width: float, **reconstruction):
    """Upwind flux ``m (q_L + q_R)/2 - |m|_w (q_R - q_L)/2`` of scalars ``q`` padded along ``axis``, with
    ``q_L, q_R`` from :func:`cfdopt.flow.muscl.reconstruct` (``order`` 1: the cell values)."""
    ql, qr = reconstruct(q, axis, **reconstruction)
    m = f_mass[..., None]
    m_abs = smooth_abs(f_mass, width * jnp.hypot(normal[..., 0], normal[..., 1]))[..., None]
    return 0.5 * m * (ql + qr) - 0.5 * m_abs * (qr - ql)


def _convective_fluxes(wi, wj, m, flow: FlowConditions, numerics: Numerics):
    g = flow.gamma
    flux = CONVECTIVE_FLUXES[numerics.flux]
    kw = dict(order=numerics.order, limiter=numerics.limiter, eps=numerics.limiter_eps, kappa=numerics.muscl_kappa)
    # Two Roe calls, not one over concatenated faces: the concatenated form
    # met an XLA CPU miscompilation of its jitted JVP (jaxlib 0.10.2), which
    # tests/test_flow_jacobian.py would catch.
    fix = (numerics.entropy_fix, numerics.entropy_fix_linear)
    fi = flux(*reconstruct(wi[..., :MEAN_FLOW], 0, **kw), m.si, g, *fix)
    fj = flux(*reconstruct(wj[..., :MEAN_FLOW], 1, **kw), m.sj, g, *fix)
    if wi.shape[-1] > MEAN_FLOW:
        kw = dict(kw, order=numerics.scalar_order)
        fi = jnp.concatenate([fi, _scalar_flux(fi[..., RHO], wi[..., MEAN_FLOW:], 0, m.si, numerics.linear_fix, **kw)], -1)
        fj = jnp.concatenate([fj, _scalar_flux(fj[..., RHO], wj[..., MEAN_FLOW:], 1, m.sj, numerics.linear_fix, **kw)], -1)
    return fi, fj


def _face_fluxes(W, grid, flow: FlowConditions, numerics: Numerics, cl):
    """Convective fluxes ``(fi (ni + 1, nj, nvar), fj (ni, nj + 1, nvar))`` of primitives ``W``."""
    m = metrics(grid.nodes)
    return _convective_fluxes(*padded_states(W, grid, m, flow, numerics, cl), m, flow, numerics)


def residual_at_cl(U, grid, flow: FlowConditions, cl, numerics: Numerics, fields=None):
    """Residual with the point-vortex circulation set by a given ``cl`` (ignored without the vortex); ``fields``:
    the grid's :func:`grid_fields` (None: computed from ``grid``)."""
    W = primitive(U, flow.gamma)
    m = metrics(grid.nodes)
    wi, wj = padded_states(W, grid, m, flow, numerics, cl)
    fi, fj = _convective_fluxes(wi, wj, m, flow, numerics)
    R = fi[1:] - fi[:-1] + fj[:, 1:] - fj[:, :-1]
    terms = numerics.model.terms
    if terms is not None:
        R = R + terms.residual_terms(W, grid, m, flow, numerics.model, fields)
    return R


def grid_fields(grid, numerics: Numerics):
    """The node-only quantities the model's terms read (``terms.grid_fields``: RANS-SA's wall distance), or None."""
    terms = numerics.model.terms
    return None if terms is None else terms.grid_fields(grid)


def lift_for_vortex(U, grid, flow: FlowConditions, numerics: Numerics):
    """The CL that sets the point-vortex circulation of ``U`` (0 without the vortex)."""
    if not numerics.point_vortex:
        return 0.0
    return force_coefficients(U, grid, flow, numerics.model)["cl"]


@functools.lru_cache(maxsize=None)
def make_residual(numerics: Numerics = Numerics()):
    """The jitted residual ``R(U, grid, flow) -> (ni, nj, nvar)`` for these numerics.

    With ``numerics.point_vortex`` the circulation comes from the lift of
    ``U`` itself (:func:`cfdopt.flow.forces.force_coefficients`), so ``R`` is
    exact but couples every far-field cell to the wall (a rank-one term that
    :mod:`cfdopt.solve.linear.jacobian` adds separately).

    Cached per ``numerics``; jit compiles once per grid shape.
    """

    def residual(U, grid, flow: FlowConditions):
        return residual_at_cl(U, grid, flow, lift_for_vortex(U, grid, flow, numerics), numerics)

    return cached_jit(residual, f"residual/{numerics!r}")


@functools.lru_cache(maxsize=None)
def make_newton_residual(numerics: Numerics = Numerics()):
    """:func:`make_residual`'s residual with the grid's fields given, ``R(U, grid, flow, fields)``, ``fields`` from
    :func:`make_grid_fields` of the same grid: the same values, for the many residuals of one solve on one grid,
    which need not recompute what depends on the nodes alone (the wall distance). Not for ``dR/dX``: ``fields``
    are not differentiated through."""

    def residual(U, grid, flow: FlowConditions, fields):
        return residual_at_cl(U, grid, flow, lift_for_vortex(U, grid, flow, numerics), numerics, fields)

    return cached_jit(residual, f"newton_residual/{numerics!r}")


@functools.lru_cache(maxsize=None)
def make_grid_fields(numerics: Numerics = Numerics()):
    """Jitted ``grid -> fields`` (:func:`grid_fields`) for these numerics."""
    return cached_jit(lambda grid: grid_fields(grid, numerics), f"grid_fields/{numerics.model!r}")


def spectral_radius(U, grid, flow: FlowConditions, model: FlowModel = EULER_MODEL) -> jax.Array:
    """``(ni, nj)`` sum over the four faces of ``(|u . S| + a |S|)``, for local time steps.

    A viscous model adds ``nu_v sum |S|^2 / A`` with ``nu_v = max(4/3, gamma/Pr) (mu + mu_t)/rho +
    (nu + nu_t)/sigma`` (Blazek 2015, eq. 6.21, with the SA diffusion). The pseudo-time term of cell
    ``(i, j)`` is ``A / dt = spectral_radius / CFL``.
    """
    W = primitive(U, flow.gamma)
    m = metrics(grid.nodes)
    a = jnp.sqrt(flow.gamma * W[..., ENERGY] / W[..., RHO])

    def lam(s):
        return jnp.abs(W[..., MX] * s[..., 0] + W[..., MY] * s[..., 1]) + a * jnp.hypot(s[..., 0], s[..., 1])

    radius = lam(m.si[1:]) + lam(m.si[:-1]) + lam(m.sj[:, 1:]) + lam(m.sj[:, :-1])
    terms = model.terms
    return radius if terms is None else radius + terms.spectral_radius_terms(W, m, flow, model)
