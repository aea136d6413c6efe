"""Surrogate-gradient spikes: an exact Heaviside forward with a smooth stand-in for its derivative.

The spike threshold is the kink of a spiking network. :func:`spike_fn` keeps the all-or-none spike in the forward
pass and gives the backward pass one of the derivatives ``g(x; k)`` of :data:`SURROGATES`, ``k`` its slope (units
1/x). With :mod:`cfdopt.util.smooth` (softplus, smooth max and ``|x|``, the kinks of values) it makes the
smoothing library that the CFD side and :mod:`cfdopt.snn` share.

References:
    Zenke & Ganguli (2018), SuperSpike, Neural Computation 30(6).
    Neftci, Mostafa & Zenke (2019), Surrogate gradient learning in spiking neural networks, IEEE Signal
    Processing Magazine 36(6).
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp

__all__ = ["SURROGATES", "surrogate_grad", "spike_fn"]


def _check_positive(name: str, value) -> None:
    if isinstance(value, (int, float)) and not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


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
