"""Spike encoders: Bernoulli rate code and single-spike latency code.

Outputs are sample-major spike trains ``(..., n_steps, n)`` of 0/1 values in
the requested dtype (the layout of the data sets in :mod:`cfdopt.snn.data`;
transpose to time-major before :func:`cfdopt.snn.network.forward`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["rate_encode", "latency_times", "latency_encode", "spike_times_to_trains"]


def rate_encode(key, prob, n_steps: int, dtype=jnp.float32):
    """Independent Bernoulli spikes: ``P(s[t, i] = 1) = prob[i]`` at every step.

    Args:
        key: JAX PRNG key.
        prob: firing probability per step ``(..., n)`` in [0, 1].
        n_steps: number of steps.

    Returns:
        spikes ``(..., n_steps, n)``.
    """
    prob = jnp.asarray(prob)
    shape = prob.shape[:-1] + (n_steps, prob.shape[-1])
    return jax.random.bernoulli(key, jnp.expand_dims(prob, -2), shape).astype(dtype)


def latency_times(x, n_steps: int, threshold: float = 0.0, tau: float | None = None):
    """Spike step of each input for intensities ``x`` in [0, 1]: stronger fires earlier.

    Linear code (``tau=None``): ``t = round((1 - x) (n_steps - 1))``.
    RC code (snnTorch ``latency(linear=False)``): the step at which a
    membrane charged by a constant current ``x`` with time constant ``tau``
    (steps) crosses ``threshold``, ``t = tau log(x / (x - threshold))``,
    clipped to the window. Inputs with ``x <= threshold`` never fire
    (time ``-1``).

    Returns:
        integer array of the shape of ``x``.
    """
    x = np.asarray(x, dtype=np.float64)
    if tau is None:
        t = np.rint((1.0 - np.clip(x, 0.0, 1.0)) * (n_steps - 1))
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            t = tau * np.log(x / (x - threshold))
        t = np.clip(np.rint(np.nan_to_num(t, nan=n_steps - 1.0, posinf=n_steps - 1.0)), 0, n_steps - 1)
    return np.where(x > threshold, t, -1).astype(np.int64)


def spike_times_to_trains(times, n_steps: int, dtype=np.float32):
    """One-spike-per-input trains from integer times ``(..., n)`` (``-1``: no spike) -> ``(..., n_steps, n)``."""
    times = np.asarray(times)
    steps = np.arange(n_steps)[:, None]
    return (times[..., None, :] == steps).astype(dtype)


def latency_encode(x, n_steps: int, threshold: float = 0.0, tau: float | None = None, dtype=np.float32):
    """Latency-coded spike trains ``(..., n_steps, n)``: one spike per input above ``threshold``."""
    return spike_times_to_trains(latency_times(x, n_steps, threshold, tau), n_steps, dtype)
