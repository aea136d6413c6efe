"""Score-function (REINFORCE) gradients for stochastic escape-noise LIF neurons.

An escape-noise neuron fires with probability
``p[t] = sigma((u[t] - theta) / T_n)`` given its pre-reset membrane ``u``
(``T_n`` the noise temperature, membrane units), which is the same as a
deterministic threshold with logistic noise:
``s = H(u - theta + eta)``, ``eta ~ Logistic(0, T_n)``. For one layer
``I = x @ w`` and a loss ``L(s)`` of the spikes:

- REINFORCE: ``grad E[L] = E[(L(s) - b) grad log P(s | w)]`` with
  ``log P = sum_t s log p + (1 - s) log(1 - p)``, where the membrane is
  recomputed with the sampled spikes as resets; unbiased for any
  baseline ``b`` that does not depend on ``s``.
- Surrogate gradient: backpropagate ``L(H(u - theta + eta))`` through the
  sampled noise with the surrogate derivative (biased, low variance).
- Exact: ``grad sum_s P(s | w) L(s)`` by enumerating every spike pattern
  (tiny layers only), the reference for both.

All functions take one input ``x (n_steps, n_pre)`` and treat samples as the
batch axis: spikes ``(n_steps, n_samples, n_post)``, and
``loss_fn(spikes) -> (n_samples,)`` per-sample losses.

References:
    Williams (1992), Simple statistical gradient-following algorithms for
    connectionist reinforcement learning, Machine Learning 8.
    Pfister, Toyoizumi, Barber & Gerstner (2006), Neural Computation 18(6)
    (escape noise).
    Gygax & Zenke (2025), Elucidating the theoretical underpinnings of
    surrogate gradient learning in spiking neural networks, Neural Computation 37(5).
"""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np

from cfdopt.util.surrogates import spike_fn
from cfdopt.snn.neurons import LifParams

__all__ = ["log_prob", "sample_spikes", "reinforce_grads", "surrogate_grads", "exact_expectation",
           "exact_grad"]


def _check(p: LifParams) -> None:
    if p.refractory or p.tau_adapt is not None:
        raise ValueError("the escape-noise layer has no refractory period or adaptation; got "
                         f"refractory={p.refractory}, tau_adapt={p.tau_adapt}")


def _currents(x, w, n_samples):
    current = x @ w  # (n_steps, n_post)
    return jnp.broadcast_to(current[:, None, :], (current.shape[0], n_samples, current.shape[1]))


def log_prob(p: LifParams, x, w, spikes, temperature: float):
    """``log P(spikes | x, w)`` per sample, ``(n_samples,)``, for spikes ``(n_steps, n_samples, n_post)``."""
    _check(p)
    current = _currents(x, w, spikes.shape[1])
    if p.tau_syn is not None:
        current = jax.lax.scan(lambda c, i: (p.beta * c + i,) * 2, jnp.zeros_like(current[0]), current)[1]

    def step(v, inputs):
        i_t, s = inputs
        u = p.alpha * v + i_t
        a = (u - p.threshold) / temperature
        logp = s * jax.nn.log_sigmoid(a) + (1.0 - s) * jax.nn.log_sigmoid(-a)
        v = u - s * p.threshold if p.reset == "subtract" else u * (1.0 - s)
        return v, jnp.sum(logp, axis=-1)

    return jnp.sum(jax.lax.scan(step, jnp.zeros_like(current[0]), (current, spikes))[1], axis=0)


def _logistic_noise(key, shape, temperature, dtype):
    xi = jax.random.uniform(key, shape, dtype, minval=1e-7, maxval=1.0 - 1e-7)
    return temperature * (jnp.log(xi) - jnp.log1p(-xi))


def _noisy_spikes(p: LifParams, x, w, eta):
    # logistic noise on the threshold: H(u - theta + eta) ~ Bernoulli(sigma((u - theta)/T_n));
    # it shifts the comparison, not the membrane
    _check(p)
    current = _currents(x, w, eta.shape[1])
    spike = spike_fn(p.surrogate, p.slope)

    def step(carry, inputs):
        syn, v = carry
        i_t, e_t = inputs
        syn = p.beta * syn + i_t if p.tau_syn is not None else i_t
        u = p.alpha * v + syn
        s = spike(u - p.threshold + e_t)
        s_r = jax.lax.stop_gradient(s) if p.detach_reset else s
        v = u - s_r * p.threshold if p.reset == "subtract" else u * (1.0 - s_r)
        return (syn, v), s

    zeros = jnp.zeros_like(current[0])
    return jax.lax.scan(step, (zeros, zeros), (current, eta))[1]


def sample_spikes(key, p: LifParams, x, w, n_samples: int, temperature: float):
    """``n_samples`` independent spike patterns ``(n_steps, n_samples, n_post)`` of the stochastic layer."""
    shape = (x.shape[0], n_samples, w.shape[1])
    return _noisy_spikes(p, x, w, _logistic_noise(key, shape, temperature, x.dtype))


def reinforce_grads(key, p: LifParams, x, w, loss_fn, n_samples: int, temperature: float,
                    baseline: float = 0.0):
    """Per-sample score-function estimates ``(L(s_k) - b) grad_w log P(s_k)``, ``(n_samples, n_pre, n_post)``.

    Their mean is an unbiased estimate of ``grad_w E[L]``.
    """
    spikes = jax.lax.stop_gradient(sample_spikes(key, p, x, w, n_samples, temperature))
    one = jax.grad(lambda ww, sk: log_prob(p, x, ww, sk[:, None, :], temperature)[0])
    score = jax.vmap(one, in_axes=(None, 1))(w, spikes)  # per-sample: a vmapped grad, not a jacobian
    weight = loss_fn(spikes) - baseline
    return weight[:, None, None] * score


def surrogate_grads(key, p: LifParams, x, w, loss_fn, n_samples: int, temperature: float):
    """Per-sample surrogate gradients through the sampled noise, ``(n_samples, n_pre, n_post)``."""
    shape = (x.shape[0], n_samples, w.shape[1])
    eta = _logistic_noise(key, shape, temperature, x.dtype)
    one = jax.grad(lambda ww, ek: loss_fn(_noisy_spikes(p, x, ww, ek[:, None, :]))[0])
    return jax.vmap(one, in_axes=(None, 1))(w, eta)


def exact_expectation(p: LifParams, x, w, loss_fn, temperature: float, max_bits: int = 16):
    """``E[L] = sum_s P(s | w) L(s)`` over all ``2^(n_steps n_post)`` spike patterns.

    Raises:
        ValueError: more than ``max_bits`` spike variables.
    """
    n_steps, n_post = x.shape[0], w.shape[1]
    bits = n_steps * n_post
    if bits > max_bits:
        raise ValueError(f"enumeration needs 2^{bits} patterns; at most {max_bits} bits allowed")
    patterns = np.array(list(itertools.product((0.0, 1.0), repeat=bits)))
    spikes = jnp.asarray(patterns.reshape(-1, n_steps, n_post).transpose(1, 0, 2), x.dtype)
    prob = jnp.exp(log_prob(p, x, w, spikes, temperature))
    return jnp.sum(prob * loss_fn(spikes))


def exact_grad(p: LifParams, x, w, loss_fn, temperature: float):
    """``grad_w E[L]`` by enumeration, ``(n_pre, n_post)``."""
    return jax.grad(lambda ww: exact_expectation(p, x, ww, loss_fn, temperature))(w)
