"""Bias and variance of surrogate and score-function gradients of escape-noise layers.

Everything here is measured against the exact gradient of the expected loss,
``grad_w E[L] = grad_w sum_s P(s | w) L(s)``, obtained by enumerating every
spike pattern (:func:`cfdopt.snn.reinforce.exact_grad`), so the layers are
tiny: ``n_steps * n_post <= 16`` spike variables.

For an estimator with per-sample gradients ``g_k`` (``k = 1..n``), mean
``m``, and the exact gradient ``e`` (both flattened to vectors):

- relative bias ``|m - e| / |e|``;
- norm ratio ``|m| / |e|`` (the magnitude part of the bias);
- cosine ``m . e / (|m| |e|)`` (the direction part);
- scale ``m . e / |e|^2`` (the least-squares factor from ``e`` to ``m``) with
  its standard error ``std(g_k . e) / (|e|^2 sqrt(n))``, exact because the
  scale is a sample mean;
- variance per sample ``tr Cov(g_k)`` (sum over components), with its
  standard error ``std(|g_k - m|^2) / sqrt(n)``;
- noise-to-signal ratio per sample ``sqrt(tr Cov(g_k)) / |m|``: the noise
  against the estimator's own mean, which is what a scale-free optimizer
  (Adam) sees; divide by ``sqrt(batch)`` for a batch mean;
- relative standard error ``sqrt(tr Cov(g_k) / n) / |e|``: the RMS Monte
  Carlo error of ``m`` in units of ``|e|``. The error of the relative bias
  and of the norm ratio has at most this standard deviation;
- angle ``arccos(cosine)`` in degrees, with the standard error
  ``sqrt(tr Cov(g_k) / n) / |m|`` (radians, converted): the delta method,
  with all of the noise counted as if it were perpendicular to ``m`` (an
  upper bound).

Why the fast-sigmoid surrogate is small: with spikes ``s = H(u - theta + eta)``
and logistic noise ``eta`` of temperature ``T``, the expected surrogate
derivative at one neuron and one step is the surrogate ``g`` convolved with
the noise density ``f_T``, while the exact one is ``f_T`` itself. For
``k T >> 1`` the convolution is ``f_T`` times the area of ``g``: 1 for the
sigmoid, triangle, rectangle and arctan surrogates, ``2/k`` for the fast
sigmoid. What remains is the linearisation of finite spike flips (a loss
that is not linear in the spikes; the reset's jump of ``theta``) and the
reset's path when it is detached. A path through the reset carries two
surrogate factors and the direct path one, so a surrogate of area ``2/k``
weighs the reset's path a further ``2/k`` down, close to detaching it.

References:
    Gygax & Zenke (2025), Elucidating the theoretical underpinnings of
    surrogate gradient learning in spiking neural networks, Neural Computation 37(5).
    Zenke & Ganguli (2018), SuperSpike, Neural Computation 30(6) (fast sigmoid).
    Williams (1992), REINFORCE, Machine Learning 8.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from cfdopt.snn.neurons import LifParams
from cfdopt.snn.reinforce import (
    exact_expectation, exact_grad, log_prob, reinforce_grads, sample_spikes, surrogate_grads,
)

__all__ = [
    "EscapeCase", "reference_case", "mixed_sign_case", "GradientStats", "gradient_stats",
    "compare_estimators", "surrogate_bias",
    "CountTask", "count_task", "task_loss", "expected_task_loss", "task_gradient", "expected_counts", "train_curves",
]


class EscapeCase(NamedTuple):
    """One enumerable escape-noise layer: ``x (n_steps, n_pre)``, ``w (n_pre, n_post)``, a loss, ``T``."""

    params: LifParams
    x: jax.Array
    w: jax.Array
    loss_fn: Callable
    temperature: float


def _reference_loss(spikes):
    counts = jnp.sum(spikes, axis=0)
    return (counts[:, 0] - 1.0) ** 2 + 0.5 * counts[:, 1] + spikes[-1, :, 0] * spikes[0, :, 1]


def reference_case() -> EscapeCase:
    """The 2 -> 2 layer, 3 steps (64 patterns) of ``tests/test_snn_gradients.py`` and ``docs/snn.md``.

    The loss ``(n_0 - 1)^2 + n_1 / 2 + s_0[2] s_1[0]`` (``n_i`` spike counts)
    gives an exact gradient with four positive components.
    """
    return EscapeCase(LifParams(tau_mem=5.0, reset="subtract"), jnp.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
                      jnp.array([[0.9, 0.3], [0.2, 0.8]]), _reference_loss, 0.4)


_TARGET = jnp.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])


def _hamming_loss(spikes):
    miss = (spikes - _TARGET[:, None, :]) ** 2  # 0/1: the spike differs from the target raster
    return jnp.sum(miss[:, :, 0], axis=0) + 2.0 * jnp.sum(miss[:, :, 1], axis=0)


def mixed_sign_case() -> EscapeCase:
    """A 3 -> 2 layer, 4 steps (256 patterns), weighted Hamming distance to a target raster.

    Its exact gradient has components of both signs (at ``T = 0.4``: -0.05, 1.27,
    -1.01, 1.55, -0.05, -0.72; a constant vector is 80 degrees from it), so a
    small angle is informative, unlike on :func:`reference_case`, where a
    constant vector is only 14 degrees from the exact gradient.
    """
    x = jnp.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    w = jnp.array([[0.9, -0.3], [0.4, 0.8], [-0.2, 0.7]])
    return EscapeCase(LifParams(tau_mem=5.0, reset="subtract"), x, w, _hamming_loss, 0.4)


class GradientStats(NamedTuple):
    """Monte Carlo summary of one gradient estimator against the exact gradient (see the module docstring)."""

    mean: np.ndarray
    sem: np.ndarray
    rel_bias: float
    rel_se: float
    norm_ratio: float
    scale: float
    scale_se: float
    cosine: float
    angle_deg: float
    angle_se_deg: float
    var_per_sample: float
    var_se: float
    noise_to_signal: float
    n_samples: int


def gradient_stats(samples, exact) -> GradientStats:
    """Summary of per-sample gradients ``samples (n, *shape)`` against ``exact (*shape)``, in float64."""
    g = np.asarray(samples, np.float64).reshape(len(samples), -1)
    e = np.asarray(exact, np.float64).ravel()
    n, m = g.shape[0], g.mean(axis=0)
    var = g.var(axis=0, ddof=1)
    e_norm, m_norm, total = np.linalg.norm(e), np.linalg.norm(m), var.sum()
    noise = np.sqrt(total / n)  # RMS Monte Carlo error of m
    cosine = float(m @ e / (m_norm * e_norm))
    shape = np.shape(exact)
    return GradientStats(
        mean=m.reshape(shape), sem=np.sqrt(var / n).reshape(shape),
        rel_bias=float(np.linalg.norm(m - e) / e_norm), rel_se=float(noise / e_norm),
        norm_ratio=float(m_norm / e_norm), scale=float(m @ e / e_norm**2),
        scale_se=float(np.std(g @ e, ddof=1) / (e_norm**2 * np.sqrt(n))),
        cosine=cosine, angle_deg=float(np.degrees(np.arccos(min(cosine, 1.0)))),
        angle_se_deg=float(np.degrees(noise / m_norm)),
        var_per_sample=float(total), var_se=float(np.std(np.sum((g - m) ** 2, axis=1), ddof=1) / np.sqrt(n)),
        noise_to_signal=float(np.sqrt(total) / m_norm), n_samples=n)


def compare_estimators(key, case: EscapeCase, n_samples: int) -> tuple[np.ndarray, dict]:
    """The exact gradient and the statistics of three estimators on ``case``, all from the same key.

    Returns:
        ``(exact, stats)``: ``exact (n_pre, n_post)`` and a dict of
        :class:`GradientStats`: ``"reinforce"`` (baseline 0),
        ``"reinforce_baseline"`` (baseline ``E[L]``, exact, a constant, so
        still unbiased) and ``"surrogate"`` (``case.params.surrogate`` at
        ``case.params.slope``).
    """
    p, x, w, loss_fn, temp = case
    exact = np.asarray(exact_grad(p, x, w, loss_fn, temp))
    mean_loss = float(exact_expectation(p, x, w, loss_fn, temp))
    stats = {
        "reinforce": reinforce_grads(key, p, x, w, loss_fn, n_samples, temp),
        "reinforce_baseline": reinforce_grads(key, p, x, w, loss_fn, n_samples, temp, baseline=mean_loss),
        "surrogate": surrogate_grads(key, p, x, w, loss_fn, n_samples, temp),
    }
    return exact, {name: gradient_stats(g, exact) for name, g in stats.items()}


def surrogate_bias(key, case: EscapeCase, n_samples: int, **changes) -> GradientStats:
    """Statistics of the surrogate gradient on ``case`` with some settings changed.

    Args:
        key: PRNG key of the noise samples.
        case: the layer.
        n_samples: number of noise samples.
        **changes: ``temperature`` and any :class:`LifParams` field
            (``surrogate``, ``slope``, ``detach_reset``, ...).
    """
    temp = changes.pop("temperature", case.temperature)
    p = dataclasses.replace(case.params, **changes)
    exact = exact_grad(p, case.x, case.w, case.loss_fn, temp)
    return gradient_stats(surrogate_grads(key, p, case.x, case.w, case.loss_fn, n_samples, temp), exact)


# --- training on an enumerable task ---------------------------------------------------------------


class CountTask(NamedTuple):
    """Classify ``inputs (n_inputs, n_steps, n_pre)`` by spike counts of an escape-noise layer.

    The loss of one output raster for label ``c`` is
    ``(n_c - target_count)^2 + sum_{j != c} n_j^2`` (``n_j`` spike counts).
    """

    params: LifParams
    inputs: jax.Array
    labels: jax.Array
    w0: jax.Array
    temperature: float
    target_count: float


def count_task(temperature: float = 0.4) -> CountTask:
    """Four random 4 x 4 input rasters (Bernoulli 0.5, seed 0), two classes, 2 outputs, 4 steps (256 patterns).

    Starts from weights ``N(0, 0.3^2)`` (seed 1); the target count of the
    right neuron is 2 of 4 steps.
    """
    rng = np.random.default_rng(0)
    inputs = rng.random((4, 4, 4)) < 0.5
    w0 = 0.3 * np.random.default_rng(1).standard_normal((4, 2))
    return CountTask(LifParams(tau_mem=5.0, reset="subtract"), jnp.asarray(inputs, jnp.float64),
                     jnp.array([0, 1, 0, 1]), jnp.asarray(w0), temperature, 2.0)


def task_loss(spikes, label, target_count: float):
    """Per-sample loss ``(n_samples,)`` of spikes ``(n_steps, n_samples, n_out)`` for one integer label."""
    counts = jnp.sum(spikes, axis=0)
    want = target_count * jax.nn.one_hot(label, counts.shape[-1], dtype=counts.dtype)
    return jnp.sum((counts - want[None, :]) ** 2, axis=-1)


def _loss_of(task: CountTask, label):
    return lambda s: task_loss(s, label, task.target_count)


def expected_task_loss(task: CountTask, w):
    """Exact ``E[L]`` averaged over the task's inputs (enumeration of every output raster)."""
    def one(x, c):
        return exact_expectation(task.params, x, w, _loss_of(task, c), task.temperature)

    return jnp.mean(jax.vmap(one)(task.inputs, task.labels))


def _loo_reinforce(key, task: CountTask, x, label, w, n_samples):
    # leave-one-out baseline: the mean loss of the other samples does not depend on s_k, so it stays unbiased
    p, temp = task.params, task.temperature
    spikes = jax.lax.stop_gradient(sample_spikes(key, p, x, w, n_samples, temp))
    losses = _loss_of(task, label)(spikes)
    baseline = (jnp.sum(losses) - losses) / (n_samples - 1)
    one = jax.grad(lambda ww, sk: log_prob(p, x, ww, sk[:, None, :], temp)[0])
    score = jax.vmap(one, in_axes=(None, 1))(w, spikes)
    return jnp.mean((losses - baseline)[:, None, None] * score, axis=0)


def task_gradient(method: str, key, task: CountTask, w, n_samples: int):
    """One estimate of ``grad_w`` of the mean expected loss, ``(n_pre, n_post)``.

    Args:
        method: ``"exact"`` (enumeration), ``"surrogate"`` (``task.params``'
            surrogate through the sampled noise) or ``"reinforce"`` (score
            function with a leave-one-out baseline).
        key: PRNG key (unused by ``"exact"``).
        task: the task.
        w: weights ``(n_pre, n_post)``.
        n_samples: noise samples per input (at least 2 for ``"reinforce"``).
    """
    if method == "exact":
        return jax.grad(lambda ww: expected_task_loss(task, ww))(w)
    keys = jax.random.split(key, task.inputs.shape[0])
    if method == "surrogate":
        def one(k, x, c):
            g = surrogate_grads(k, task.params, x, w, _loss_of(task, c), n_samples, task.temperature)
            return jnp.mean(g, axis=0)
    elif method == "reinforce":
        def one(k, x, c):
            return _loo_reinforce(k, task, x, c, w, n_samples)
    else:
        raise ValueError(f"unknown method {method!r}; valid: exact, reinforce, surrogate")
    return jnp.mean(jax.vmap(one)(keys, task.inputs, task.labels), axis=0)


def expected_counts(task: CountTask, w):
    """Exact expected spike count of every output neuron for every input, ``(n_inputs, n_post)``."""
    def one(x):
        return jnp.stack([exact_expectation(task.params, x, w, lambda s, j=j: jnp.sum(s[:, :, j], axis=0),
                                            task.temperature) for j in range(w.shape[1])])
    return jax.vmap(one)(task.inputs)


def train_curves(method: str, key, task: CountTask, optimizer: optax.GradientTransformation, n_updates: int,
                 n_samples: int, n_runs: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Train ``task.w0`` with ``optimizer`` on one gradient estimator; the exact mean ``E[L]`` at every step.

    The ``n_runs`` runs differ only in their noise (keys split from ``key``)
    and are computed together (one compilation).

    Returns:
        ``(losses, w)``: ``losses (n_runs, n_updates + 1)``, the expected loss
        before each update and after the last one, computed by enumeration
        (free of sampling noise); ``w (n_runs, n_pre, n_post)`` the final weights.
    """
    def step(carry, k):
        w, opt_state = carry
        g = task_gradient(method, k, task, w, n_samples)
        updates, opt_state = optimizer.update(g, opt_state, w)
        return (optax.apply_updates(w, updates), opt_state), expected_task_loss(task, w)

    def run(keys):
        (w, _), losses = jax.lax.scan(step, (task.w0, optimizer.init(task.w0)), keys)
        return jnp.append(losses, expected_task_loss(task, w)), w

    losses, w = jax.jit(jax.vmap(run))(jax.random.split(key, (n_runs, n_updates)))
    return np.asarray(losses), np.asarray(w)
