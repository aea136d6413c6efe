"""Ghost cells for the C-grid: slip wall, characteristic far field, wake cut.

Each direction is padded with two ghost layers on each side (what MUSCL
needs), in primitive variables ``(rho, u, v, p)``:

- ``j < 0``, airfoil cells ``n_wake <= i < ni - n_wake``: slip wall by
  reflection, ghost ``k`` (k = 0, 1) mirrors cell ``(i, k)`` in the wall
  face: same ``rho, p``, velocity ``u - 2 (u . n) n``. Mirror-symmetric face
  states make the Roe mass and energy fluxes through the wall exactly zero.
- ``j < 0``, wake cells ``i < n_wake`` or ``i >= ni - n_wake``: the wake cut
  is an interior line; ghost ``k`` is the cell ``(ni - 1 - i, k)`` across it.
- ``j >= nj`` and ``i < 0``, ``i >= ni``: characteristic far field from the
  Riemann invariants normal to the boundary, ``R+ = u_n + 2a/(gamma-1)`` from
  the interior and ``R- = u_n - 2a/(gamma-1)`` from the free stream; entropy
  and tangential velocity from the upwind side, chosen by the smooth step
  ``s = (1 + u_n / smooth_abs(u_n, w)) / 2`` instead of a switch on the sign of
  ``u_n`` (the top and bottom far field see ``u_n ~ 0``, where a hard switch
  would break Newton convergence).
- Optional point-vortex far field: the free stream plus the compressible
  vortex of circulation ``Gamma = CL M / 2`` at the quarter chord (Thomas &
  Salas 1986), which lets a nearer far field give the lift of an infinite one.

References:
    Blazek (2015), Computational Fluid Dynamics: Principles and Applications,
    3rd ed., sec. 8.4 (far-field and wall boundary conditions).
    Thomas & Salas (1986), Far-field boundary conditions for transonic
    lifting solutions to the Euler equations, AIAA J. 24(7), 1074-1080.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from cfdopt.flow.layout import ENERGY, MEAN_FLOW, MX, MY, RHO
from cfdopt.flow.state import FlowConditions
from cfdopt.util.smooth import smooth_abs


def _unit(normal):
    return normal / jnp.hypot(normal[..., 0], normal[..., 1])[..., None]


def _with_velocity(W: jax.Array, u, v) -> jax.Array:
    """``W`` with its velocity columns replaced (every other variable passed through)."""
    return jnp.concatenate([W[..., :MX], jnp.stack([u, v], axis=-1), W[..., ENERGY:]], axis=-1)


def wall_ghost(W: jax.Array, n_unit: jax.Array) -> jax.Array:
    """Mirror primitives ``W (..., nvar)`` in a wall with unit normal ``n (..., 2)`` (slip wall, symmetry).

    Velocity ``u - 2 (u . n) n``; density, pressure and transported scalars unchanged.
    """
    un = W[..., MX] * n_unit[..., 0] + W[..., MY] * n_unit[..., 1]
    return _with_velocity(W, W[..., MX] - 2.0 * un * n_unit[..., 0], W[..., MY] - 2.0 * un * n_unit[..., 1])


def noslip_ghost(W: jax.Array) -> jax.Array:
    """No-slip adiabatic wall: velocity and transported scalars negated (zero at the face), ``rho``, ``p`` kept.

    With ``nuhat`` negated the SA variable is 0 at the wall (TMR); equal
    density and pressure give zero wall-normal temperature gradient.
    """
    ghost = _with_velocity(W, -W[..., MX], -W[..., MY])
    if W.shape[-1] == MEAN_FLOW:
        return ghost
    return jnp.concatenate([ghost[..., :MEAN_FLOW], -W[..., MEAN_FLOW:]], axis=-1)


def farfield_ghost(W: jax.Array, n_out: jax.Array, W_inf: jax.Array, gamma: float, width: float) -> jax.Array:
    """Characteristic far-field state.

    Transported scalars (``nuhat``) take the upwind side like entropy: the
    free stream at inflow, the interior at outflow.

    Args:
        W: ``(..., nvar)`` primitives of the boundary cell.
        n_out: ``(..., 2)`` unit normal pointing out of the domain.
        W_inf: ``(..., nvar)`` (or ``(nvar,)``) free-stream primitives at the face.
        gamma: ratio of specific heats.
        width: smoothing width of the inflow/outflow step, units of ``a_inf``.

    Returns:
        ``(..., nvar)`` ghost primitives.
    """
    W_inf = jnp.broadcast_to(W_inf, W.shape)
    gm1 = gamma - 1.0
    nx, ny = n_out[..., 0], n_out[..., 1]
    a_i = jnp.sqrt(gamma * W[..., ENERGY] / W[..., RHO])
    a_e = jnp.sqrt(gamma * W_inf[..., ENERGY] / W_inf[..., RHO])
    un_i = W[..., MX] * nx + W[..., MY] * ny
    un_e = W_inf[..., MX] * nx + W_inf[..., MY] * ny
    r_plus = un_i + 2.0 * a_i / gm1
    r_minus = un_e - 2.0 * a_e / gm1
    un_b = 0.5 * (r_plus + r_minus)
    a_b = 0.25 * gm1 * (r_plus - r_minus)
    s = 0.5 * (1.0 + un_b / smooth_abs(un_b, width))  # 1 outflow, 0 inflow
    k_i = W[..., ENERGY] / W[..., RHO] ** gamma
    k_e = W_inf[..., ENERGY] / W_inf[..., RHO] ** gamma
    k_b = s * k_i + (1.0 - s) * k_e
    ut_i = -W[..., MX] * ny + W[..., MY] * nx
    ut_e = -W_inf[..., MX] * ny + W_inf[..., MY] * nx
    ut_b = s * ut_i + (1.0 - s) * ut_e
    rho_b = (a_b * a_b / (gamma * k_b)) ** (1.0 / gm1)
    p_b = rho_b * a_b * a_b / gamma
    mean = jnp.stack([rho_b, un_b * nx - ut_b * ny, un_b * ny + ut_b * nx, p_b], axis=-1)
    if W.shape[-1] == MEAN_FLOW:
        return mean
    scalars = s[..., None] * W[..., MEAN_FLOW:] + (1.0 - s[..., None]) * W_inf[..., MEAN_FLOW:]
    return jnp.concatenate([mean, scalars], axis=-1)


def vortex_freestream(flow: FlowConditions, xy: jax.Array, cl: jax.Array) -> jax.Array:
    """Free stream plus the compressible point vortex at the quarter chord.

    ``u = M cos(a) + Gamma beta / (2 pi r) sin(t) / (1 - M^2 sin^2(t - a))``,
    ``v = M sin(a) - Gamma beta / (2 pi r) cos(t) / (1 - M^2 sin^2(t - a))``,
    ``Gamma = CL M / 2``, ``beta = sqrt(1 - M^2)``, ``(r, t)`` polar
    coordinates about ``(0.25, 0)``; ``a`` and ``p`` from constant total
    enthalpy and entropy.

    Args:
        flow: free-stream conditions.
        xy: ``(..., 2)`` face centres (chords).
        cl: lift coefficient (scalar) setting the circulation.

    Returns:
        ``(..., 4)`` primitives.
    """
    g = flow.gamma
    m = flow.mach
    a = flow.alpha_rad
    dx, dy = xy[..., 0] - 0.25, xy[..., 1]
    r = jnp.hypot(dx, dy)
    st, ct = dy / r, dx / r
    sta = st * jnp.cos(a) - ct * jnp.sin(a)
    beta = jnp.sqrt(1.0 - m * m)
    f = 0.5 * cl * m * beta / (2.0 * jnp.pi * r) / (1.0 - m * m * sta * sta)
    u = m * jnp.cos(a) + f * st
    v = m * jnp.sin(a) - f * ct
    a2 = 1.0 + 0.5 * (g - 1.0) * (m * m - u * u - v * v)
    p = a2 ** (g / (g - 1.0)) / g
    rho = g * p / a2
    return jnp.stack([rho, u, v, p], axis=-1)


def pressure_outlet_ghost(W: jax.Array, p_out) -> jax.Array:
    """Subsonic outflow at a given static pressure: ``p = p_out``, every other primitive from the interior."""
    return jnp.concatenate([W[..., :ENERGY], jnp.broadcast_to(p_out, W.shape[:-1])[..., None],
                            W[..., ENERGY + 1:]], axis=-1)


def pad_i(W, si, W_inf_lo, W_inf_hi, gamma, width, pressure_outlet: bool = False):
    """Pad ``W (ni, nj, nvar)`` to ``(ni + 4, nj, nvar)`` with far-field (outflow-line) ghosts.

    ``si`` are the i-face normals ``(ni + 1, nj, 2)``; ``W_inf_lo``/``W_inf_hi``
    the free stream at faces ``i = 0`` and ``i = ni`` (``(nj, nvar)`` or ``(nvar,)``).
    ``pressure_outlet``: the face ``i = ni`` holds the free-stream static pressure instead
    (:func:`pressure_outlet_ghost`; the flat plate's outflow, as NASA TMR's codes ran it).
    """
    g_lo = farfield_ghost(W[0], _unit(-si[0]), W_inf_lo, gamma, width)
    if pressure_outlet:
        g_hi = pressure_outlet_ghost(W[-1], jnp.broadcast_to(W_inf_hi, W[-1].shape)[..., ENERGY])
    else:
        g_hi = farfield_ghost(W[-1], _unit(si[-1]), W_inf_hi, gamma, width)
    return jnp.concatenate([g_lo[None], g_lo[None], W, g_hi[None], g_hi[None]], axis=0)


def pad_j(W, sj, n_wake: int, W_inf_top, gamma, width):
    """Pad ``W (ni, nj, nvar)`` to ``(ni, nj + 4, nvar)``: wall/wake ghosts below, far field above.

    ``sj`` are the j-face normals ``(ni, nj + 1, 2)``; ``W_inf_top`` the free
    stream at the faces ``j = nj`` (``(ni, 4)`` or ``(4,)``).
    """
    ni = W.shape[0]
    n_wall = _unit(sj[:, 0])
    mirror = [wall_ghost(W[:, k], n_wall) for k in (0, 1)]
    across = [W[::-1, k] for k in (0, 1)]  # cell (ni - 1 - i, k)
    i = jnp.arange(ni)
    is_wake = ((i < n_wake) | (i >= ni - n_wake))[:, None]
    g0, g1 = (jnp.where(is_wake, c, m) for c, m in zip(across, mirror))
    top = farfield_ghost(W[:, -1], _unit(sj[:, -1]), W_inf_top, gamma, width)
    return jnp.concatenate([g1[:, None], g0[:, None], W, top[:, None], top[:, None]], axis=1)
