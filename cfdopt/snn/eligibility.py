"""Three-factor view of the surrogate gradient: per-synapse eligibility traces.

For one feed-forward LIF layer ``I = x @ w`` with a detached reset and no
refractory period or adaptation, the membrane sensitivity
``P_ij[t] = d u_i[t] / d w_ji`` obeys its own forward recursion::

    z_j[t]   = beta z_j[t-1] + x_j[t]          (presynaptic trace; z = x without a current synapse)
    P_ij[t]  = alpha Q_ij[t-1] + z_j[t]         (pre-reset)
    Q_ij[t]  = P_ij[t]                          (reset "subtract": the reset does not depend on w)
             = P_ij[t] (1 - s_i[t])             (reset "zero")
    e_ij[t]  = g(u_i[t] - theta) P_ij[t]        (eligibility = surrogate x presynaptic trace)

and the BPTT surrogate gradient of a loss ``L(s)`` of the layer's spikes is
the sum over time of error times eligibility,
``dL/dw_ji = sum_t sum_b (dL/ds_i[t]) e_ij[t]`` (exactly, since with a
detached reset a spike does not feed back into the membrane). The error is
the "third factor"; the eligibility is local to the synapse.

References:
    Bellec et al. (2020), A solution to the learning dilemma for recurrent
    networks of spiking neurons, Nature Communications 11 (e-prop).
    Zenke & Ganguli (2018), SuperSpike, Neural Computation 30(6).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from cfdopt.util.surrogates import surrogate_grad
from cfdopt.snn.neurons import LifParams, LifTrace, lif_scan

__all__ = ["eligibility_traces", "eligibility_gradient", "three_factor_grad"]


def _check(p: LifParams) -> None:
    if not p.detach_reset or p.refractory or p.tau_adapt is not None:
        raise ValueError("eligibility traces are exact only for detach_reset=True, refractory=0 and no "
                         f"adaptation; got detach_reset={p.detach_reset}, refractory={p.refractory}, "
                         f"tau_adapt={p.tau_adapt}")


def eligibility_traces(p: LifParams, x, w) -> tuple[LifTrace, jax.Array]:
    """Forward pass of one LIF layer together with its eligibility traces.

    Args:
        p: layer parameters (detached reset, no refractory period or adaptation).
        x: presynaptic spikes ``(n_steps, batch, n_pre)``.
        w: weights ``(n_pre, n_post)``.

    Returns:
        ``(trace, e)``: the layer's :class:`LifTrace` and the eligibility
        ``e (n_steps, batch, n_post, n_pre)``.

    Raises:
        ValueError: settings for which the traces are not the exact gradient.
    """
    _check(p)
    trace, _ = lif_scan(p, jnp.einsum("tbi,ij->tbj", x, w))
    g = surrogate_grad(p.surrogate, p.slope)

    def step(carry, inputs):
        z, q = carry
        xt, u, s, theta = inputs
        z = p.beta * z + xt if p.tau_syn is not None else xt
        pre = p.alpha * q + z[:, None, :]
        e = g(u - theta)[:, :, None] * pre
        q = pre * (1.0 - s)[:, :, None] if p.reset == "zero" else pre
        return (z, q), e

    batch, n_pre, n_post = x.shape[1], x.shape[2], w.shape[1]
    zeros_z = jnp.zeros((batch, n_pre), x.dtype)
    zeros_q = jnp.zeros((batch, n_post, n_pre), x.dtype)
    _, e = jax.lax.scan(step, (zeros_z, zeros_q), (x, trace.mem, trace.spikes, trace.threshold))
    return trace, e


def eligibility_gradient(error, e):
    """``dL/dw (n_pre, n_post) = sum_t sum_b error[t, b, i] e[t, b, i, j]`` (transposed to ``w``'s layout).

    Args:
        error: learning signal ``dL/ds`` of shape ``(n_steps, batch, n_post)``.
        e: eligibility traces ``(n_steps, batch, n_post, n_pre)``.
    """
    return jnp.einsum("tbi,tbij->ji", error, e)


def three_factor_grad(p: LifParams, x, w, loss_of_spikes):
    """Gradient of ``loss_of_spikes(spikes (n_steps, batch, n_post)) -> scalar`` with respect to ``w``.

    Computed as error x eligibility: the error is ``dL/ds`` of the loss
    alone (no backpropagation through time).
    """
    trace, e = eligibility_traces(p, x, w)
    error = jax.grad(loss_of_spikes)(trace.spikes)
    return eligibility_gradient(error, e)
