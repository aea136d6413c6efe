"""Losses, predictions and firing-rate regularizers for spiking classifiers.

Inputs are time-major: readouts and spikes ``(n_steps, batch, n_out)``,
labels ``(batch,)`` integers. Every loss is a batch mean.

References:
    Zenke & Vogels (2021), The remarkable robustness of surrogate gradient
    learning for instilling complex function in spiking neural networks,
    Neural Computation 33(4) (max-over-time readout, rate regularizers).
    Eshraghian et al. (2023), Training spiking neural networks using lessons
    from deep learning, Proc. IEEE 111(9) (spike-count MSE loss).
    Goeltz et al. (2021), Fast and energy-efficient neuromorphic deep
    learning with first-spike times, Nature Machine Intelligence 3 (time-to-first-spike coding).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = [
    "cross_entropy", "max_over_time_ce", "sum_over_time_ce", "spike_count_loss",
    "first_spike_times", "temporal_margin_loss", "rate_regularizer",
    "predict",
]


def cross_entropy(logits, labels):
    """Mean softmax cross-entropy of ``logits (batch, n_out)`` against integer ``labels (batch,)``."""
    logp = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.mean(jnp.take_along_axis(logp, labels[:, None], axis=-1))


def max_over_time_ce(readout, labels):
    """Cross-entropy on ``max_t y[t]`` of a leaky readout ``(n_steps, batch, n_out)``."""
    return cross_entropy(jnp.max(readout, axis=0), labels)


def sum_over_time_ce(readout, labels):
    """Cross-entropy on the time average ``(1/T) sum_t y[t]`` (the sum scaled by ``1/T``)."""
    return cross_entropy(jnp.mean(readout, axis=0), labels)


def spike_count_loss(spikes, labels, correct_rate=0.5, incorrect_rate=0.05):
    """Squared error between output spike counts and target counts (snnTorch ``mse_count_loss``).

    ``L = mean_b sum_j (n_bj - T r_bj)^2 / T^2`` with ``r = correct_rate`` for
    the label and ``incorrect_rate`` for the others (spikes per step).
    """
    n_steps, _, n_out = spikes.shape
    counts = jnp.sum(spikes, axis=0)
    onehot = jax.nn.one_hot(labels, n_out, dtype=spikes.dtype)
    target = n_steps * (incorrect_rate + (correct_rate - incorrect_rate) * onehot)
    return jnp.mean(jnp.sum((counts - target) ** 2, axis=-1)) / n_steps**2


def first_spike_times(spikes):
    """Index of the first spike of each neuron, ``n_steps`` if it never fires; ``(batch, n)``.

    Written as ``t_f = sum_t t s_t prod_{t'<t} (1 - s_t') + T prod_t (1 - s_t)``,
    which is exact for 0/1 spikes and differentiable through surrogate
    spikes: ``d t_f / d s_t = t - t_f`` for every ``t`` before the first
    spike, so raising the membrane at an earlier step pulls the spike
    earlier in proportion to the lead; at the first spike itself it is
    ``t_f - t_next`` (the next spike, or ``T``), the delay if it were missed.
    """
    n_steps = spikes.shape[0]
    t = jnp.arange(n_steps, dtype=spikes.dtype)[:, None, None]
    silent_before = jnp.cumprod(1.0 - spikes, axis=0)
    not_yet = jnp.concatenate([jnp.ones_like(spikes[:1]), silent_before[:-1]], axis=0)
    return jnp.sum(t * spikes * not_yet, axis=0) + n_steps * silent_before[-1]


def temporal_margin_loss(spikes, labels, margin=3.0):
    """First-spike race loss: the labelled neuron must fire ``margin`` steps before every other.

    ``L = mean_b mean_{j != c} max(0, t_c - t_j + margin) / T`` with
    ``t = first_spike_times(spikes)`` (silent neurons count as ``T``). It is
    zero exactly when the correct neuron leads every other by at least
    ``margin`` steps.

    Args:
        spikes: output spikes ``(n_steps, batch, n_out)``.
        labels: ``(batch,)`` index of the neuron that must fire first.
        margin: lead in steps.
    """
    n_steps, _, n_out = spikes.shape
    times = first_spike_times(spikes)
    t_c = jnp.take_along_axis(times, labels[:, None], axis=-1)
    hinge = jax.nn.relu(t_c - times + margin)
    others = 1.0 - jax.nn.one_hot(labels, n_out, dtype=spikes.dtype)
    return jnp.mean(jnp.sum(hinge * others, axis=-1) / (n_out - 1)) / n_steps


def rate_regularizer(spikes, lower, upper):
    """Homeostatic and metabolic firing-rate penalties (Zenke & Vogels 2021).

    With ``r_i`` the mean spikes per step of neuron ``i`` over time and batch:
    ``lower_pen = mean_i max(0, lower - r_i)^2`` (every neuron should fire a
    little) and ``upper_pen = max(0, mean_i r_i - upper)^2`` (the population
    should not fire much).

    Args:
        spikes: ``(n_steps, batch, n)``.
        lower, upper: rate bounds in spikes per step.

    Returns:
        ``(lower_pen, upper_pen)``, scalars.
    """
    rate = jnp.mean(spikes, axis=(0, 1))
    return jnp.mean(jax.nn.relu(lower - rate) ** 2), jax.nn.relu(jnp.mean(rate) - upper) ** 2


def predict(out, loss: str):
    """Predicted class ``(batch,)`` for a network output ``(n_steps, batch, n_out)``.

    ``max-ce``: argmax of the max over time; ``sum-ce``: of the mean;
    ``count``: most spikes; ``first-spike``: earliest first spike, ties and
    all-silent outputs predicted as -1 (counted wrong).
    """
    if loss == "max-ce":
        return jnp.argmax(jnp.max(out, axis=0), axis=-1)
    if loss == "sum-ce":
        return jnp.argmax(jnp.mean(out, axis=0), axis=-1)
    if loss == "count":
        return jnp.argmax(jnp.sum(out, axis=0), axis=-1)
    if loss == "first-spike":
        times = first_spike_times(out)
        best = jnp.min(times, axis=-1, keepdims=True)
        unique = jnp.sum(times == best, axis=-1) == 1
        fired = best[:, 0] < out.shape[0]
        return jnp.where(unique & fired, jnp.argmin(times, axis=-1), -1)
    raise ValueError(f"unknown loss {loss!r}; valid: max-ce, sum-ce, count, first-spike")
