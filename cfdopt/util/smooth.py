"""Smoothing primitives shared by the CFD solver and the spiking networks.

Where a model has a hard kink (a clip, a max, an ``|x|``, a spike threshold)
the functions here give a smooth stand-in with a known, bounded distance to
the hard form. Each takes either a ``sharpness`` (units of 1/input) or a
``width`` (units of the input), never both.

All functions are pure JAX, safe under ``jit``, ``vmap``, ``grad`` and
``jvp``, built on ``logaddexp``/``hypot`` so that they never overflow, and
have a finite gradient exactly at their kink.

References:
    Zenke & Ganguli (2018), SuperSpike, Neural Computation 30(6).
    Neftci, Mostafa & Zenke (2019), Surrogate gradient learning in spiking
    neural networks, IEEE Signal Processing Magazine 36(6).
"""

from __future__ import annotations

from typing import Callable

import jax
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
    "SURROGATES",
    "surrogate_grad",
    "spike_fn",
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


# --- surrogate-gradient Heaviside family ---------------------------------


def _sigmoid(x, k):
    s = jax.nn.sigmoid(k * x)
    return k * s * (1.0 - s)


def _fast_sigmoid(x, k):
    return 1.0 / (1.0 + k * jnp.abs(x)) ** 2


def _triangle(x, k):
    return k * jnp.maximum(0.0, 1.0 - k * jnp.abs(x))


def _rectangle(x, k):
    return jnp.where(jnp.abs(x) < 0.5 / k, k, 0.0).astype(x.dtype)


def _arctan(x, k):
    return (0.5 * k) / (1.0 + (0.5 * jnp.pi * k * x) ** 2)


SURROGATES: dict[str, tuple[Callable, str]] = {
    "sigmoid": (_sigmoid, "k sigma(k x) (1 - sigma(k x)); area 1, peak k/4"),
    "fast_sigmoid": (_fast_sigmoid, "1 / (1 + k|x|)^2 (SuperSpike); peak 1, area 2/k"),
    "triangle": (_triangle, "k max(0, 1 - k|x|); area 1, support |x| < 1/k"),
    "rectangle": (_rectangle, "k [|x| < 1/(2k)] (straight-through); area 1"),
    "arctan": (_arctan, "(k/2) / (1 + (pi k x / 2)^2); area 1, peak k/2"),
}
"""Name -> (derivative ``g(x; k)``, formula). ``k`` is the slope."""


def surrogate_grad(surrogate: str = "fast_sigmoid", slope: float = 25.0) -> Callable:
    """The surrogate derivative ``g(x)`` named ``surrogate`` with slope ``k``.

    Raises:
        ValueError: unknown name (the message lists the valid ones) or
            ``slope <= 0``.
    """
    if surrogate not in SURROGATES:
        valid = ", ".join(sorted(SURROGATES))
        raise ValueError(f"unknown surrogate {surrogate!r}; valid: {valid}")
    _check_positive("slope", slope)
    fn = SURROGATES[surrogate][0]
    return lambda x: fn(x, slope)


def spike_fn(surrogate: str = "fast_sigmoid", slope: float = 25.0) -> Callable:
    """Heaviside spike with a surrogate derivative.

    Forward: ``H(x) = 1 if x > 0 else 0`` exactly (same dtype as ``x``).
    Derivative: ``g(x; k)`` from :data:`SURROGATES`:

    - ``sigmoid``: ``k s (1 - s)``, ``s = sigma(k x)``
    - ``fast_sigmoid``: ``1 / (1 + k|x|)^2`` (SuperSpike)
    - ``triangle``: ``k max(0, 1 - k|x|)``
    - ``rectangle``: ``k`` on ``|x| < 1/(2k)``, else 0 (straight-through)
    - ``arctan``: ``(k/2) / (1 + (pi k x / 2)^2)``

    Doubling ``k`` doubles the peak of sigmoid, triangle, rectangle and arctan
    and halves their width; for fast_sigmoid ``g_{2k}(x) = g_k(2x)``.

    Args:
        surrogate: one of ``SURROGATES``.
        slope: ``k > 0``, in units of 1/x.

    Returns:
        ``f(x)``, a ``jax.custom_jvp`` function.
    """
    grad_fn = surrogate_grad(surrogate, slope)

    @jax.custom_jvp
    def spike(x):
        return (x > 0).astype(jnp.result_type(x, float))

    @spike.defjvp
    def _spike_jvp(primals, tangents):
        (x,), (dx,) = primals, tangents
        return spike(x), grad_fn(x) * dx

    return spike
