"""Smoothing primitives: smooth stand-ins for the kinks of a model (a clip, a max, an ``|x|``).

Each has a known, bounded distance to the hard form (the Roe flux's
``|lambda|``, the SA clips, users' objectives; the spike threshold's
surrogate derivatives are :mod:`cfdopt.util.surrogates`) and takes either a
``sharpness`` (units of 1/input) or a ``width`` (units of the input), never
both.

All functions are pure JAX, safe under ``jit``, ``vmap``, ``grad`` and
``jvp``, built on ``logaddexp``/``hypot`` so that they never overflow, and
have a finite gradient exactly at their kink.
"""

from __future__ import annotations

import jax.numpy as jnp

__all__ = [
    "softplus",
    "smooth_max",
    "smooth_min",
    "smooth_abs",
    "smooth_clip",
    "smooth_pos",
    "smooth_neg",
    "soft_capacity_penalty",
]

_LOG2 = 0.6931471805599453


def _check_positive(name: str, value) -> None:
    if isinstance(value, (int, float)) and not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


def softplus(x, sharpness=1.0):
    """Softplus with a sharpness: ``log(1 + exp(s x)) / s``.

    Computed as ``logaddexp(s x, 0) / s``, which does not overflow for any
    finite ``s x``. Bound to the hard positive part:
    ``0 < softplus(x, s) - max(x, 0) = log(1 + exp(-s|x|)) / s <= log(2) / s``
    (equal at ``x = 0``; the gap underflows to 0 once ``s|x|`` exceeds about
    745 in float64 or 104 in float32). Gradient: ``sigmoid(s x)``, 1/2 at 0.

    Args:
        x: input array.
        sharpness: ``s > 0`` in units of 1/x.
    """
    _check_positive("sharpness", sharpness)
    return jnp.logaddexp(sharpness * x, 0.0) / sharpness


def smooth_max(a, b, sharpness):
    """Log-sum-exp maximum ``b + softplus(a - b, s)``.

    ``0 < smooth_max(a, b, s) - max(a, b) <= log(2) / s``, the bound reached
    at ``a = b`` where both partial derivatives are 1/2.
    """
    return b + softplus(a - b, sharpness)


def smooth_min(a, b, sharpness):
    """``-smooth_max(-a, -b, s)``: ``-log(2)/s <= smooth_min - min(a, b) < 0``."""
    return -smooth_max(-a, -b, sharpness)


def smooth_abs(x, width):
    """``hypot(x, w) = sqrt(x^2 + w^2)``.

    ``0 < smooth_abs(x, w) - |x| <= w`` (equal at ``x = 0``, falling like
    ``w^2 / (2|x|)``); gradient ``x / hypot(x, w)``, 0 at the kink. ``hypot``
    keeps ``x`` near the float limit from overflowing. Used as the Roe
    entropy fix with ``w`` a fraction of the sound speed.

    Args:
        x: input array.
        width: ``w > 0`` in the units of x.
    """
    _check_positive("width", width)
    return jnp.hypot(x, width)


def smooth_pos(x, width):
    """Smooth positive part ``(x + smooth_abs(x, w)) / 2`` for upwinding.

    ``0 < smooth_pos(x, w) - max(x, 0) <= w / 2``.
    """
    return 0.5 * (x + smooth_abs(x, width))


def smooth_neg(x, width):
    """Smooth negative part ``(x - smooth_abs(x, w)) / 2``; ``smooth_pos + smooth_neg = x``.

    ``-w / 2 <= smooth_neg(x, w) - min(x, 0) < 0``.
    """
    return 0.5 * (x - smooth_abs(x, width))


def smooth_clip(x, lo, hi, sharpness):
    """``smooth_min(smooth_max(x, lo, s), hi, s)``, a smooth ``clip(x, lo, hi)``.

    Each stage moves the value by at most ``log(2)/s`` and ``smooth_min`` is
    1-Lipschitz, so ``|smooth_clip - clip| <= log(2) / s`` whenever
    ``hi - lo >= 0`` (the two errors have opposite signs).
    """
    return smooth_min(smooth_max(x, lo, sharpness), hi, sharpness)


def soft_capacity_penalty(demand, capacity, onset=0.9, sharpness=20.0):
    """Softplus overflow penalty on utilisation ``u = demand / capacity``.

    ``p = softplus(u - onset, s)``: close to 0 well below ``onset``, rising
    before the demand reaches the capacity (at ``u = onset`` it is already
    ``log(2)/s`` with slope 1/2), and growing like ``u - onset`` beyond. As
    for routing congestion, where a net should be pushed away before a
    channel is full. ``0 < p - max(u - onset, 0) <= log(2) / s``.

    Args:
        demand: array of demands (any units).
        capacity: capacities in the same units, ``> 0``.
        onset: utilisation at which the penalty starts to rise.
        sharpness: ``s > 0`` in units of 1/utilisation.
    """
    _check_positive("capacity", capacity)
    return softplus(demand / capacity - onset, sharpness)
