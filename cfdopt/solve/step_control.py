"""What one Newton-PTC step may do to the flow state (:mod:`cfdopt.solve.newton`), in numpy.

- :func:`clamp_scalars`: each transported scalar's change (SA's ``rho nuhat``) clamped cell by cell;
- :func:`step_limit`: the largest step fraction that changes density and pressure by at most ``max_change``;
- :func:`is_physical`: positive density and pressure everywhere;
- :func:`roundoff_level`: the residual norm that float64 cannot resolve below, at a state.

States are ``(ni, nj, nvar)`` arrays of conserved variables (layout :mod:`cfdopt.flow.layout`), non-dimensional
as in :mod:`cfdopt.flow.state`.
"""

from __future__ import annotations

import numpy as np

from cfdopt.flow.layout import ENERGY, MEAN_FLOW, MX, MY, RHO
from cfdopt.flow.state import FlowConditions
from cfdopt.mesh.types import CGrid

def roundoff_level(res, U, grid: CGrid, flow: FlowConditions, R=None) -> float:
    """``||R(U (1 + eps s)) - R(U)||``: how much the residual norm moves when every entry of ``U`` moves by one unit
    in the last place (``eps = 2^-52``, signs ``s = +-1`` from a fixed seed).

    A residual below this level says nothing more about ``U``: no float64 state can be told from the exact
    solution by it. On TMR's NACA 0012 at alpha 0 it is about 2.7e-9 of the free-stream residual, above the
    tolerance 1e-10, on a grid whose wake lines keep the wall's spacing (docs/rans.md): the turbulent far wake
    (``nuhat`` up to 1000 ``nu_inf``) lies in cells 100 chords long and 1e-5 high. With the cut's cells bounded
    to an aspect ratio of about 1000 (``[mesh] wake_aspect``, the case's) it is 1.4e-10.
    """
    U = np.asarray(U)
    R = np.asarray(res(U, grid, flow)).ravel() if R is None else R
    s = np.random.default_rng(0).choice(np.array([-1.0, 1.0]), size=U.shape)
    Up = U * (1.0 + np.finfo(np.float64).eps * s)
    return float(np.linalg.norm(np.asarray(res(Up, grid, flow)).ravel() - R))


def rho_p(U, gamma):
    """Density and pressure in numpy (no JAX dispatch inside the step control)."""
    rho = U[..., RHO]
    with np.errstate(all="ignore"):
        p = (gamma - 1.0) * (U[..., ENERGY] - 0.5 * (U[..., MX] ** 2 + U[..., MY] ** 2) / rho)
    return rho, p


def is_physical(U, gamma):
    """Whether density and pressure are positive (and the pressure finite) in every cell."""
    rho, p = rho_p(U, gamma)
    return bool(np.all(np.isfinite(p)) and np.all(rho > 0) and np.all(p > 0))


def clamp_scalars(U, dU, max_change, floor):
    """``dU`` with the change of each transported scalar ``rho q`` (``nuhat``) clamped, cell by cell, to
    ``max_change`` times ``max(|rho q|, rho floor)`` (``floor``: the far-field ``q``, which sets the scale where
    ``q`` vanishes, at walls). Local, unlike the density and pressure limit of :func:`step_limit`: one cell
    whose ``nu_tilde`` the linearisation overshoots (a coarse stagnation region) does not shorten the
    whole step and stall the CFL; near convergence no cell is clamped and the step is Newton's."""
    if U.shape[-1] <= MEAN_FLOW:
        return dU
    scale = max_change * np.maximum(np.abs(U[..., MEAN_FLOW:]), U[..., RHO:RHO + 1] * floor)
    out = np.array(dU, copy=True)
    out[..., MEAN_FLOW:] = np.clip(dU[..., MEAN_FLOW:], -scale, scale)
    return out


def step_limit(U, dU, gamma, max_change):
    """The largest ``omega <= 1`` with relative changes of density and pressure at most ``max_change`` in
    every cell."""
    rho0, p0 = rho_p(U, gamma)
    rho1, p1 = rho_p(U + dU, gamma)
    with np.errstate(all="ignore"):
        rel = max(np.max(np.abs(rho1 - rho0) / rho0), np.max(np.abs(p1 - p0) / p0))
    if not np.isfinite(rel):
        return 0.0
    return 1.0 if rel <= max_change else float(max_change / rel)
