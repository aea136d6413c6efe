"""Differentiable section properties for constraints: thickness at stations and area.

Both functions are pure JAX on a Selig-ordered surface ``(N, 2)`` (chords),
jit-able with the surface traced (no data-dependent slicing) and
differentiable with respect to the surface points.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def area(surface: jax.Array) -> jax.Array:
    """Cross-section area by the shoelace formula.

    ``A = 1/2 sum_k (x_k y_{k+1} - x_{k+1} y_k)`` over the polygon closed from
    the last point back to the first (across the trailing-edge gap of an open
    section). Positive for Selig order, which runs counter-clockwise.

    Args:
        surface: ``(N, 2)`` Selig-ordered points (chords).

    Returns:
        Scalar area (chords^2).
    """
    x, y = surface[:, 0], surface[:, 1]
    return 0.5 * jnp.sum(x * jnp.roll(y, -1) - jnp.roll(x, -1) * y)


def thickness_at(surface: jax.Array, stations: jax.Array) -> jax.Array:
    """Vertical thickness ``y_upper(x) - y_lower(x)`` at chordwise stations.

    Each surface is the polyline through its points (linear interpolation,
    error ``O(h^2 y'')``). Segments running towards smaller x (dx < 0) belong to
    the upper surface in Selig order, segments running towards larger x to the
    lower surface, so no leading-edge index is needed and the function is
    jit-able with the surface traced. A station on a node is matched by both
    adjacent segments, which give the same value and are averaged.

    Args:
        surface: ``(N, 2)`` Selig-ordered points (chords).
        stations: ``(k,)`` x stations, strictly inside the chord where each
            surface is single-valued in x.

    Returns:
        ``(k,)`` thickness (chords); NaN at a station no segment covers.
    """
    a, b = surface[:-1], surface[1:]
    dx = b[:, 0] - a[:, 0]
    xs = stations[:, None]
    lo = jnp.minimum(a[:, 0], b[:, 0])[None, :]
    hi = jnp.maximum(a[:, 0], b[:, 0])[None, :]
    covers = (xs >= lo) & (xs <= hi) & (dx != 0.0)[None, :]
    safe_dx = jnp.where(dx != 0.0, dx, 1.0)
    frac = (xs - a[None, :, 0]) / safe_dx[None, :]
    y_seg = a[None, :, 1] + frac * (b[:, 1] - a[:, 1])[None, :]
    y_upper = _masked_mean(y_seg, covers & (dx < 0.0)[None, :])
    y_lower = _masked_mean(y_seg, covers & (dx > 0.0)[None, :])
    return y_upper - y_lower


def _masked_mean(values: jax.Array, mask: jax.Array) -> jax.Array:
    """Row mean of ``values`` over ``mask``; NaN for empty rows, with finite gradients elsewhere."""
    count = jnp.sum(mask, axis=1)
    total = jnp.sum(jnp.where(mask, values, 0.0), axis=1)
    return jnp.where(count > 0, total / jnp.maximum(count, 1), jnp.nan)
