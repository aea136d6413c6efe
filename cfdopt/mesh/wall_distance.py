"""Distance from cell centres to the wall polyline (for the Spalart-Allmaras model).

For a point ``p`` and a wall segment ``a -> b``, the nearest point is
``a + t (b - a)`` with ``t = clip((p - a).(b - a) / |b - a|^2, 0, 1)``; the
wall distance is the minimum over all segments. Pure JAX, so it is
differentiable with respect to the nodes (needed for dR/dX with SA).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from cfdopt.mesh.types import CGrid, FlatPlateGrid, metrics

__all__ = ["wall_polyline", "point_wall_distance", "wall_distance"]


def wall_polyline(grid) -> jax.Array:
    """Wall nodes ``(n + 1, 2)``: the airfoil of a ``CGrid``, the plate (``x >= 0``) of a ``FlatPlateGrid``."""
    if isinstance(grid, CGrid):
        return grid.surface
    if isinstance(grid, FlatPlateGrid):
        return grid.nodes[grid.n_lead :, 0]
    raise TypeError(f"wall_polyline needs a CGrid or FlatPlateGrid, got {type(grid).__name__}")


def point_wall_distance(points: jax.Array, wall: jax.Array) -> jax.Array:
    """Distance ``(...)`` of points ``(..., 2)`` to the polyline ``wall`` ``(n + 1, 2)``."""
    lead = (1,) * (points.ndim - 1)
    a = wall[:-1].reshape(lead + (-1, 2))
    ab = (wall[1:] - wall[:-1]).reshape(lead + (-1, 2))
    ap = points[..., None, :] - a
    t = jnp.clip(jnp.sum(ap * ab, axis=-1) / jnp.sum(ab * ab, axis=-1), 0.0, 1.0)
    gap = ap - t[..., None] * ab
    return jnp.sqrt(jnp.min(jnp.sum(gap * gap, axis=-1), axis=-1))


def wall_distance(grid) -> jax.Array:
    """Wall distance ``(ni, nj)`` of the cell centroids (chords).

    Computed one i-line at a time (``lax.map``; faster than batching on CPU) so memory stays
    ``O(nj n_wall)``.
    """
    centre = metrics(grid.nodes).centre
    wall = wall_polyline(grid)
    return jax.lax.map(lambda row: point_wall_distance(row, wall), centre)
