"""The discrete Euler residual: one pure function for the solver, the Jacobian and the adjoint.

For cell ``(i, j)`` with area ``A`` the semi-discrete equations are
``A dU/dt + R(U) = 0`` with the flux balance

    R_ij = F_{i+1/2,j} - F_{i-1/2,j} + G_{i,j+1/2} - G_{i,j-1/2},

``F = roe_flux(q_L, q_R, S_i)``, ``G = roe_flux(q_L, q_R, S_j)`` (face normals
towards increasing index, so a positive flux leaves cell ``(i, j)`` through
its ``+`` faces), and ``q_L, q_R`` MUSCL reconstructions of the primitive
variables with the ghost layers of :mod:`cfdopt.flow.boundary`. ``R`` is a
flux per unit span, not divided by the area (units ``rho_inf a_inf^2 c``);
see :mod:`cfdopt.flow.state` for the layout.

The residual takes the grid (whose ``nodes`` are pytree data), so ``dR/dX``
is a VJP through :func:`cfdopt.mesh.types.metrics`; ``FlowConditions`` data
(``mach``, ``alpha``) are differentiable too. The numerics are static and
closed over. To grow to RANS-SA, a model adds its variables to the state and
its terms (viscous fluxes, sources) to this sum.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp

from cfdopt.flow.boundary import pad_i, pad_j, vortex_freestream
from cfdopt.flow.forces import force_coefficients
from cfdopt.flow.muscl import LIMITERS, reconstruct
from cfdopt.flow.roe import roe_flux_primitive
from cfdopt.flow.state import FlowConditions, freestream_primitive, primitive
from cfdopt.jitcache import cached_jit
from cfdopt.mesh.types import CGrid, metrics


@dataclass(frozen=True)
class Numerics:
    """Static discretisation settings (hashable: the residual is compiled once per value and mesh shape).

    Attributes:
        order: 1 (first order) or 2 (MUSCL).
        limiter: ``"van-albada"`` or ``"none"``.
        limiter_eps: van Albada smoothing scale (units of the O(1) primitives).
        entropy_fix: Roe entropy-fix width as a fraction of the sound speed.
        farfield_width: width of the smooth inflow/outflow step at the far
            field (units of ``a_inf``).
        point_vortex: add the point-vortex correction to the far-field state.
    """

    order: int = 2
    limiter: str = "van-albada"
    limiter_eps: float = 0.03
    entropy_fix: float = 0.05
    farfield_width: float = 0.05
    point_vortex: bool = False

    def __post_init__(self):
        if self.order not in (1, 2):
            raise ValueError(f"Numerics.order must be 1 or 2, got {self.order!r}")
        if self.limiter not in LIMITERS:
            raise ValueError(f"Numerics.limiter must be one of {', '.join(LIMITERS)}, got {self.limiter!r}")
        for name in ("limiter_eps", "entropy_fix", "farfield_width"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Numerics.{name} must be > 0, got {getattr(self, name)!r}")

    @classmethod
    def from_config(cls, ncfg) -> "Numerics":
        """From ``cfg.numerics`` (missing keys take the defaults above)."""
        recon = getattr(ncfg, "reconstruction", "muscl")
        return cls(
            order=1 if recon == "first-order" else 2,
            limiter=getattr(ncfg, "limiter", "van-albada"),
            limiter_eps=float(getattr(ncfg, "limiter_eps", 0.03)),
            entropy_fix=float(getattr(ncfg, "entropy_fix", 0.05)),
            farfield_width=float(getattr(ncfg, "farfield_width", 0.05)),
            point_vortex=bool(getattr(ncfg, "point_vortex", False)),
        )


def _face_fluxes(W, grid: CGrid, flow: FlowConditions, numerics: Numerics, cl):
    g = flow.gamma
    m = metrics(grid.nodes)
    nodes = grid.nodes
    if numerics.point_vortex:
        mid_i = 0.5 * (nodes[:, 1:] + nodes[:, :-1])
        mid_top = 0.5 * (nodes[1:, -1] + nodes[:-1, -1])
        inf_lo = vortex_freestream(flow, mid_i[0], cl)
        inf_hi = vortex_freestream(flow, mid_i[-1], cl)
        inf_top = vortex_freestream(flow, mid_top, cl)
    else:
        inf_lo = inf_hi = inf_top = freestream_primitive(flow)
    wi = pad_i(W, m.si, inf_lo, inf_hi, g, numerics.farfield_width)
    wj = pad_j(W, m.sj, grid.n_wake, inf_top, g, numerics.farfield_width)
    kw = dict(order=numerics.order, limiter=numerics.limiter, eps=numerics.limiter_eps)
    # Two Roe calls, not one over concatenated faces: the concatenated form
    # met an XLA CPU miscompilation of its jitted JVP (jaxlib 0.10.2), which
    # tests/test_flow_jacobian.py would catch.
    fi = roe_flux_primitive(*reconstruct(wi, 0, **kw), m.si, g, numerics.entropy_fix)
    fj = roe_flux_primitive(*reconstruct(wj, 1, **kw), m.sj, g, numerics.entropy_fix)
    return fi, fj


def residual_at_cl(U, grid: CGrid, flow: FlowConditions, cl, numerics: Numerics):
    """Residual with the point-vortex circulation set by a given ``cl`` (ignored without the vortex)."""
    fi, fj = _face_fluxes(primitive(U, flow.gamma), grid, flow, numerics, cl)
    return fi[1:] - fi[:-1] + fj[:, 1:] - fj[:, :-1]


@functools.lru_cache(maxsize=None)
def make_residual(numerics: Numerics = Numerics()):
    """The jitted residual ``R(U, grid, flow) -> (ni, nj, 4)`` for these numerics.

    With ``numerics.point_vortex`` the circulation comes from the lift of
    ``U`` itself (:func:`cfdopt.flow.forces.force_coefficients`), so ``R`` is
    exact but couples every far-field cell to the wall (a rank-one term that
    :mod:`cfdopt.flow.jacobian` adds separately).

    Cached per ``numerics``; jit compiles once per grid shape.
    """

    def residual(U, grid: CGrid, flow: FlowConditions):
        cl = force_coefficients(U, grid, flow)["cl"] if numerics.point_vortex else 0.0
        return residual_at_cl(U, grid, flow, cl, numerics)

    return cached_jit(residual, f"residual/{numerics!r}")


def spectral_radius(U, grid: CGrid, flow: FlowConditions) -> jax.Array:
    """``(ni, nj)`` sum over the four faces of ``(|u . S| + a |S|)``, for local time steps.

    The pseudo-time term of cell ``(i, j)`` is ``A / dt = spectral_radius / CFL``.
    """
    W = primitive(U, flow.gamma)
    m = metrics(grid.nodes)
    a = jnp.sqrt(flow.gamma * W[..., 3] / W[..., 0])

    def lam(s):
        return jnp.abs(W[..., 1] * s[..., 0] + W[..., 2] * s[..., 1]) + a * jnp.hypot(s[..., 0], s[..., 1])

    return lam(m.si[1:]) + lam(m.si[:-1]) + lam(m.sj[:, 1:]) + lam(m.sj[:, :-1])
