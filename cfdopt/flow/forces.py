"""Aerodynamic coefficients by pressure integration over the airfoil wall.

The wall pressure of each airfoil face is extrapolated linearly along the
wall normal from the first two cell centres,
``p_w = p_0 - d_0 (p_1 - p_0) / (d_1 - d_0)`` with ``d_k`` the normal distance
of centre ``k`` from the face. The force on the airfoil is
``F = -sum_faces (p_w - p_inf) S`` (``S`` the j-face normal, pointing into
the fluid); with ``q_inf = M^2 / 2`` and unit chord

    CL = F . (-sin a, cos a) / q_inf,   CD = F . (cos a, sin a) / q_inf,
    CM = sum (r - r_c/4) x (-dF) / q_inf   (nose-up positive, about (0.25, 0)).

All pure JAX: ``dJ/dU`` and ``dJ/dX`` (through the nodes) are VJPs.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from cfdopt.flow.state import FlowConditions, pressure_coefficient, primitive
from cfdopt.mesh.types import CGrid, metrics

QUARTER_CHORD = (0.25, 0.0)


def wall_pressure(U: jax.Array, grid: CGrid, gamma: float) -> jax.Array:
    """``(n_airfoil,)`` wall pressures (non-dimensional, ``p_inf = 1/gamma``) in i order."""
    lo, hi = grid.n_wake, grid.ni - grid.n_wake
    p = primitive(U[lo:hi, :2], gamma)[..., 3]
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


def force_coefficients(U: jax.Array, grid: CGrid, flow: FlowConditions) -> dict:
    """``{"cl", "cd", "cm"}`` (scalars; unit chord, moment about the quarter chord, nose-up positive)."""
    wall = grid.surface
    mid = 0.5 * (wall[1:] + wall[:-1])
    edge = wall[1:] - wall[:-1]
    s = jnp.stack([-edge[:, 1], edge[:, 0]], axis=-1)  # into the fluid
    cp = pressure_coefficient(wall_pressure(U, grid, flow.gamma), flow)
    f = -cp[:, None] * s  # force coefficient contributions (per q_inf, chord 1)
    fx, fy = jnp.sum(f[:, 0]), jnp.sum(f[:, 1])
    a = flow.alpha_rad
    rx = mid[:, 0] - QUARTER_CHORD[0]
    ry = mid[:, 1] - QUARTER_CHORD[1]
    cm = jnp.sum(ry * f[:, 0] - rx * f[:, 1])
    return {
        "cl": -fx * jnp.sin(a) + fy * jnp.cos(a),
        "cd": fx * jnp.cos(a) + fy * jnp.sin(a),
        "cm": cm,
    }
