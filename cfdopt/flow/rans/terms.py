"""The viscous and Spalart-Allmaras terms of the RANS-SA residual.

With primitives ``W = (rho, u, v, p, nuhat)`` (:mod:`cfdopt.flow.layout`)
and the non-dimensionalisation of :mod:`cfdopt.flow.model` (``mu_inf = M /
Re``, ``nu_tilde = mu_inf nuhat``), the terms added to the convective
balance of cell ``(i, j)`` are

    R_visc = - sum_faces F_v . S                               (mean flow)
    R_sa   = - sum_faces (rho D / sigma) grad(nuhat) . S - A s  (nuhat)

with the Navier-Stokes viscous flux ``F_v = (0, tau . n, u . tau . n +
k grad(p/rho) . n)`` (:func:`cfdopt.flow.rans.viscous.viscous_fluxes`;
``mu = mu_lam + mu_t``, ``k = gamma/(gamma-1) (mu_lam/Pr + mu_t/Pr_t)``),
Sutherland's law ``mu_lam = mu_inf sutherland(gamma p / rho, T_inf)``, the
eddy viscosity ``mu_t`` and SA diffusivity ``D`` of :mod:`cfdopt.flow.rans.sa`,
and the SA source per unit volume in ``nuhat`` units (the TMR compressible
form divided by ``nu_inf``)

    s = rho Q / nu_inf + rho (cb2/sigma) nu_inf |grad nuhat|^2 - (D/sigma) grad(rho) . grad(nuhat),

``Q = sa_source(nu_tilde, nu, dv/dx - du/dy, d)`` with ``d`` the wall
distance (:func:`cfdopt.mesh.wall_distance.wall_distance`, differentiable in
the nodes). Cell gradients are least squares, face gradients the average
with the edge-normal correction (:mod:`cfdopt.flow.rans.viscous`), on one ghost
layer built here: at a no-slip wall :func:`cfdopt.flow.boundary.noslip_ghost`
(velocity and ``nuhat`` zero at the face, adiabatic), on a symmetry plane
the mirror state, across a cut the facing cell, and at the far field a copy
of the boundary cell (zero normal gradient). Ghost centres are the mirror
images of the boundary cells' centres in the boundary face (the facing
cell's centre across a cut).

The convective flux through a no-slip wall uses the slip-wall mirror ghost
(:mod:`cfdopt.flow.residual`): no mass, energy or ``nuhat`` flux and no
numerical shear from the Roe dissipation, so the wall shear is the viscous
flux alone.

References:
    NASA Turbulence Modeling Resource, https://turbmodels.larc.nasa.gov/spalart.html
    (the compressible SA equation and its boundary conditions).
    Blazek (2015), Computational Fluid Dynamics: Principles and Applications,
    3rd ed., ch. 2 and 8 (Navier-Stokes fluxes, wall conditions).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from cfdopt.flow.boundary import noslip_ghost, wall_ghost
from cfdopt.flow.layout import ENERGY, MEAN_FLOW, MX, MY, NUHAT, RHO
from cfdopt.flow.model import FlowModel
from cfdopt.flow.rans.sa import SA_CONSTANTS, diffusivity, eddy_viscosity, sa_source
from cfdopt.flow.state import FlowConditions, primitive
from cfdopt.flow.stencil import DIAGONALS, Stencil, cross
from cfdopt.flow.rans.viscous import cell_gradients, diffusion_fluxes, sutherland, viscous_fluxes
from cfdopt.mesh.types import metrics
from cfdopt.mesh.wall_distance import wall_distance

STENCIL = Stencil(cross(2) | DIAGONALS, cut_rows=2, cut_reach=1)
"""Face gradients read the two cells of a face and their four neighbours each: the cross of radius 2
and the diagonals; near the cut, the facing cells and their neighbours along the cut."""


def _unit(s):
    return s / jnp.hypot(s[..., 0], s[..., 1])[..., None]


def _mirror(c, a, s):
    """Mirror points ``c (..., 2)`` in the face lines through ``a (..., 2)`` with normals ``s (..., 2)``."""
    n = _unit(s)
    return c - 2.0 * jnp.sum((c - a) * n, axis=-1)[..., None] * n


def bottom_kinds(grid) -> tuple[np.ndarray, np.ndarray]:
    """Static masks ``(is_cut, is_wall)`` of the ``ni`` cells of row ``j = 0`` (the rest: symmetry plane)."""
    i = np.arange(grid.ni)
    lo, hi = grid.wall_cells
    is_cut = (i < grid.n_cut) | (i >= grid.ni - grid.n_cut)
    return is_cut, (i >= lo) & (i < hi)


def viscous_padding(W, grid, m):
    """``W (ni, nj, nvar)`` and the cell centres with one ghost layer: ``(ni + 2, nj + 2, nvar)`` and
    ``(ni + 2, nj + 2, 2)`` (module docstring; the corner ghosts are unused and hold copies)."""
    nodes, c = grid.nodes, m.centre
    is_cut, is_wall = bottom_kinds(grid)
    n_wall = _unit(m.sj[:, 0])
    below = jnp.where(is_cut[:, None], W[::-1, 0], jnp.where(is_wall[:, None], noslip_ghost(W[:, 0]),
                                                             wall_ghost(W[:, 0], n_wall)))
    c_below = jnp.where(is_cut[:, None], c[::-1, 0], _mirror(c[:, 0], nodes[:-1, 0], m.sj[:, 0]))
    c_above = _mirror(c[:, -1], nodes[:-1, -1], m.sj[:, -1])
    Wj = jnp.concatenate([below[:, None], W, W[:, -1:]], axis=1)
    cj = jnp.concatenate([c_below[:, None], c, c_above[:, None]], axis=1)
    c_lo, c_hi = (_mirror(cj[k], jnp.pad(nodes[k, :-1], ((1, 1), (0, 0)), mode="edge"),
                          jnp.pad(m.si[k], ((1, 1), (0, 0)), mode="edge")) for k in (0, -1))
    Wv = jnp.concatenate([Wj[:1], Wj, Wj[-1:]], axis=0)
    cv = jnp.concatenate([c_lo[None], cj, c_hi[None]], axis=0)
    return Wv, cv


def transport(Wv, flow: FlowConditions, model: FlowModel):
    """``(mu_lam, mu_t, nu, nu_tilde)`` of primitives ``Wv (..., nvar)`` (units of ``mu_inf = M/Re``)."""
    rho = Wv[..., RHO]
    mu_inf = model.mu_inf(flow.mach)
    mu_lam = mu_inf * sutherland(flow.gamma * Wv[..., ENERGY] / rho, model.temperature)
    nu = mu_lam / rho
    nu_tilde = mu_inf * Wv[..., NUHAT]
    return mu_lam, eddy_viscosity(rho, nu_tilde, nu, model.sa), nu, nu_tilde


def _face_fluxes(Wv, cv, m, flow: FlowConditions, model: FlowModel):
    """Viscous fluxes of all ``nvar`` equations through the i- and j-faces."""
    mu_lam, mu_t, nu, nu_tilde = transport(Wv, flow, model)
    g = flow.gamma
    k = g / (g - 1.0) * (mu_lam / model.prandtl + mu_t / model.prandtl_turbulent)
    fi, fj = viscous_fluxes(Wv[..., :MEAN_FLOW], cv, m.si, m.sj, mu_lam + mu_t, k)
    coeff = Wv[..., RHO] * diffusivity(nu_tilde, nu, model.sa) / SA_CONSTANTS.sigma
    di, dj = diffusion_fluxes(Wv[..., NUHAT:], cv, m.si, m.sj, coeff)
    return jnp.concatenate([fi, di], axis=-1), jnp.concatenate([fj, dj], axis=-1)


def sa_cell_source(Wv, cv, grid, flow: FlowConditions, model: FlowModel, fields=None):
    """``(ni, nj)`` SA source ``s`` per unit volume in ``nuhat`` units (module docstring); ``fields``: the grid's
    :func:`grid_fields`, or None to compute them."""
    grad = cell_gradients(Wv, cv)
    W = Wv[1:-1, 1:-1]
    _, _, nu, nu_tilde = transport(W, flow, model)
    rho = W[..., RHO]
    mu_inf = model.mu_inf(flow.mach)
    vorticity = grad[..., MY, 0] - grad[..., MX, 1]
    fields = grid_fields(grid) if fields is None else fields
    q = sa_source(nu_tilde, nu, vorticity, fields["wall_distance"], model.sa)
    g_nu, g_rho = grad[..., NUHAT, :], grad[..., RHO, :]
    c = SA_CONSTANTS
    return (rho * q / mu_inf + rho * (c.cb2 / c.sigma) * mu_inf * jnp.sum(g_nu * g_nu, axis=-1)
            - diffusivity(nu_tilde, nu, model.sa) / c.sigma * jnp.sum(g_rho * g_nu, axis=-1))


def grid_fields(grid) -> dict:
    """What the terms read of the grid besides its metrics, a function of the nodes alone:
    ``{"wall_distance": (ni, nj)}`` (chords). A Newton solve computes it once per grid
    (:func:`cfdopt.flow.residual.make_newton_residual`): on TMR's 225 x 65 grid it is 42 of the residual's 49 ms."""
    return {"wall_distance": wall_distance(grid)}


def residual_terms(W, grid, m, flow: FlowConditions, model: FlowModel, fields=None):
    """The viscous and SA part of the residual, ``(ni, nj, nvar)`` (module docstring); ``fields``: the grid's
    :func:`grid_fields` (None: computed here)."""
    Wv, cv = viscous_padding(W, grid, m)
    fi, fj = _face_fluxes(Wv, cv, m, flow, model)
    R = -(fi[1:] - fi[:-1] + fj[:, 1:] - fj[:, :-1])
    source = sa_cell_source(Wv, cv, grid, flow, model, fields)
    return R.at[..., NUHAT].add(-m.area * source)


def spectral_radius_terms(W, m, flow: FlowConditions, model: FlowModel) -> jax.Array:
    """``(ni, nj)`` viscous part of the time-step radius, ``nu_v sum |S|^2 / A`` over the four faces, with
    ``nu_v = max(4/3, gamma/Pr) (mu + mu_t)/rho + (nu + |nu_tilde|)/sigma`` (Blazek 2015, eq. 6.21, with the SA
    diffusion)."""
    mu_lam, mu_t, nu, nu_tilde = transport(W, flow, model)
    nu_v = (max(4.0 / 3.0, flow.gamma / model.prandtl) * (mu_lam + mu_t) / W[..., RHO]
            + (nu + jnp.abs(nu_tilde)) / SA_CONSTANTS.sigma)

    def s2(s):
        return jnp.sum(s * s, axis=-1)

    faces = s2(m.si[1:]) + s2(m.si[:-1]) + s2(m.sj[:, 1:]) + s2(m.sj[:, :-1])
    return nu_v * faces / m.area


def freestream_scalars(model: FlowModel) -> tuple[float, ...]:
    """Free-stream primitive value of the transported scalar: ``nuhat = nu_tilde / nu_inf``."""
    return (model.nu_tilde_farfield,)


def eddy_viscosity_ratio(W, flow: FlowConditions, model: FlowModel) -> jax.Array:
    """``mu_t / mu_lam`` of primitives ``W (..., nvar)``."""
    mu_lam, mu_t, _, _ = transport(W, flow, model)
    return mu_t / mu_lam


def wall_traction(U, grid, flow: FlowConditions, model: FlowModel) -> jax.Array:
    """``(n_wall, 2)`` viscous force ``tau . S`` of each wall face on the body (``S`` into the fluid).

    The same flux as the residual's through the wall faces (it reads only the first two rows of cells).
    """
    strip = dataclasses.replace(grid, nodes=grid.nodes[:, :3])  # all that the wall faces read
    m = metrics(strip.nodes)
    Wv, cv = viscous_padding(primitive(U[:, :2], flow.gamma), strip, m)
    _, fj = _face_fluxes(Wv, cv, m, flow, model)
    lo, hi = grid.wall_cells
    return fj[lo:hi, 0, MX:MY + 1]


def _wall_faces(grid):
    """The wall polyline ``(n_wall + 1, 2)``, its face vectors ``(n_wall, 2)`` and lengths ``(n_wall,)``."""
    wall = grid.surface
    edge = wall[1:] - wall[:-1]
    return wall, edge, jnp.hypot(edge[:, 0], edge[:, 1])


def skin_friction(U, grid, flow: FlowConditions, model: FlowModel):
    """Wall-face midpoints ``(n_wall, 2)`` and ``Cf = tau_w / q_inf`` ``(n_wall,)``, the wall shear along the
    face tangent oriented towards +x (positive for attached flow on an upper surface or a flat plate)."""
    wall, edge, length = _wall_faces(grid)
    t = edge / length[:, None] * jnp.where(edge[:, 0] < 0.0, -1.0, 1.0)[:, None]
    tau = jnp.sum(wall_traction(U, grid, flow, model) * t, axis=-1) / length
    return 0.5 * (wall[1:] + wall[:-1]), tau / flow.q_inf


def y_plus(U, grid, flow: FlowConditions, model: FlowModel) -> jax.Array:
    """``(n_wall,)`` ``y+ = h u_tau / nu_w`` of the first cells, ``h`` the first cell's height (twice its
    centroid's wall distance), ``u_tau = sqrt(|tau_w| / rho)``, ``rho``, ``nu`` of the first cell."""
    lo, hi = grid.wall_cells
    W = primitive(U[lo:hi, :1], flow.gamma)[:, 0]
    _, _, nu, _ = transport(W, flow, model)
    wall, edge, length = _wall_faces(grid)
    tau = jnp.hypot(*wall_traction(U, grid, flow, model).T) / length
    centre = metrics(grid.nodes[lo:hi + 1, :2]).centre[:, 0]
    n = _unit(jnp.stack([-edge[:, 1], edge[:, 0]], axis=-1))
    h = 2.0 * jnp.sum((centre - wall[:-1]) * n, axis=-1)
    return h * jnp.sqrt(tau / W[..., RHO]) / nu
