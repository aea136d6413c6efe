"""Aerodynamic coefficients by integration of pressure (and, for viscous models, wall shear) over the wall.

The wall pressure of each airfoil face is extrapolated linearly along the
wall normal from the first two cell centres,
``p_w = p_0 - d_0 (p_1 - p_0) / (d_1 - d_0)`` with ``d_k`` the normal distance
of centre ``k`` from the face. The force on the airfoil is
``F = -sum_faces (p_w - p_inf) S`` (``S`` the j-face normal, pointing into
the fluid); with ``q_inf = M^2 / 2`` and unit chord

    CL = F . (-sin a, cos a) / q_inf,   CD = F . (cos a, sin a) / q_inf,
    CM = sum (r - r_c/4) x (-dF) / q_inf   (nose-up positive, about (0.25, 0)).

For a viscous model the wall traction ``tau . S`` of each face (the viscous
flux of the residual through the wall, :func:`cfdopt.flow.rans.terms.wall_traction`)
adds the friction force ``+tau . S / q_inf``; the coefficients then come in
pressure and viscous parts (``cl_p + cl_v = cl``, likewise ``cd``, ``cm``).

All pure JAX: ``dJ/dU`` and ``dJ/dX`` (through the nodes) are VJPs.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from cfdopt.flow.layout import ENERGY
from cfdopt.flow.model import EULER_MODEL, FlowModel
from cfdopt.flow.state import FlowConditions, pressure_coefficient, primitive
from cfdopt.mesh.types import CGrid, metrics

QUARTER_CHORD = (0.25, 0.0)


def wall_pressure(U: jax.Array, grid: CGrid, gamma: float) -> jax.Array:
    """``(n_wall,)`` wall pressures (non-dimensional, ``p_inf = 1/gamma``) in i order."""
    lo, hi = grid.wall_cells
    p = primitive(U[lo:hi, :2], gamma)[..., ENERGY]
    nodes = grid.nodes[lo : hi + 1, :3]
    centre = metrics(nodes).centre
    edge = nodes[1:, 0] - nodes[:-1, 0]
    n = jnp.stack([-edge[:, 1], edge[:, 0]], axis=-1)
    n = n / jnp.hypot(n[:, 0], n[:, 1])[:, None]
    mid = 0.5 * (nodes[1:, 0] + nodes[:-1, 0])
    d = jnp.sum((centre - mid[:, None, :]) * n[:, None, :], axis=-1)
    return p[:, 0] - d[:, 0] * (p[:, 1] - p[:, 0]) / (d[:, 1] - d[:, 0])


def surface_cp(U: jax.Array, grid: CGrid, flow: FlowConditions):
    """Wall-face midpoints ``(n_airfoil, 2)`` and ``Cp (n_airfoil,)`` in i order (TE, lower, LE, upper, TE)."""
    wall = grid.surface
    mid = 0.5 * (wall[1:] + wall[:-1])
    return mid, pressure_coefficient(wall_pressure(U, grid, flow.gamma), flow)


def _integrate(f, wall, alpha):
    """Lift, drag and quarter-chord moment of face forces ``f (n, 2)`` (per q_inf) on the ``wall`` polyline."""
    mid = 0.5 * (wall[1:] + wall[:-1])
    fx, fy = jnp.sum(f[:, 0]), jnp.sum(f[:, 1])
    rx = mid[:, 0] - QUARTER_CHORD[0]
    ry = mid[:, 1] - QUARTER_CHORD[1]
    return (-fx * jnp.sin(alpha) + fy * jnp.cos(alpha), fx * jnp.cos(alpha) + fy * jnp.sin(alpha),
            jnp.sum(ry * f[:, 0] - rx * f[:, 1]))


def force_coefficients(U: jax.Array, grid: CGrid, flow: FlowConditions, model: FlowModel = EULER_MODEL) -> dict:
    """``{"cl", "cd", "cm"}`` (scalars; unit chord, moment about the quarter chord, nose-up positive).

    A viscous ``model`` adds the friction force and the parts ``cl_p, cl_v, cd_p, cd_v, cm_p, cm_v``.
    A grid with a ``reference_length`` (the flat plate) gives coefficients per that length.
    """
    wall = grid.surface
    edge = wall[1:] - wall[:-1]
    s = jnp.stack([-edge[:, 1], edge[:, 0]], axis=-1)  # into the fluid
    cp = pressure_coefficient(wall_pressure(U, grid, flow.gamma), flow)
    f = -cp[:, None] * s  # force coefficient contributions (per q_inf, chord 1)
    per_length = getattr(grid, "reference_length", None)
    if per_length is not None:
        f = f / per_length
    cl, cd, cm = _integrate(f, wall, flow.alpha_rad)
    terms = model.terms
    if terms is None:
        return {"cl": cl, "cd": cd, "cm": cm}
    traction = terms.wall_traction(U, grid, flow, model) / flow.q_inf
    if per_length is not None:
        traction = traction / per_length
    cl_v, cd_v, cm_v = _integrate(traction, wall, flow.alpha_rad)
    return {"cl": cl + cl_v, "cd": cd + cd_v, "cm": cm + cm_v,
            "cl_p": cl, "cd_p": cd, "cm_p": cm, "cl_v": cl_v, "cd_v": cd_v, "cm_v": cm_v}
