"""Neuron and synapse models of cfdopt.snn against hand-computed traces and analytic values."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cfdopt.util.surrogates import SURROGATES, surrogate_grad
from cfdopt.snn.neurons import (
    LifParams, StpParams, leaky_readout, lif_scan, lif_step, lif_init, rlif_scan, stp_scan,
)

HALF = 1.0 / math.log(2.0)  # tau_mem (steps) giving alpha = 1/2, so that hand traces are short decimals


@pytest.mark.parametrize("name", sorted(SURROGATES))
def test_spikes_are_binary_and_gradient_is_the_surrogate(name):
    p = LifParams(tau_mem=HALF, surrogate=name, slope=10.0)
    x = jnp.linspace(0.5, 1.5, 41)  # one step from rest: u = x, spike iff x > theta = 1
    _, tr = lif_step(p, lif_init(p, x.shape, x.dtype), x)
    np.testing.assert_array_equal(tr.spikes, (x > 1.0).astype(float))
    grad = jax.vmap(jax.grad(lambda xi: lif_step(p, lif_init(p, (), xi.dtype), xi)[1].spikes))(x)
    # the derivative is the registered surrogate evaluated at u - theta, to rounding
    np.testing.assert_allclose(grad, surrogate_grad(name, 10.0)(x - 1.0), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("reset, expected_v", [
    # alpha = 1/2, input 0.6 each step, theta = 1 (by hand):
    # u = 0.6, 0.9, 1.05 (spike), then subtract: v = 0.05 -> u = 0.625, 0.9125, 1.05625 (spike) -> 0.05625
    ("subtract", [0.6, 0.9, 0.05, 0.625, 0.9125, 0.05625]),
    # zero: v = 0 after the spike, so the trace repeats with period 3
    ("zero", [0.6, 0.9, 0.0, 0.6, 0.9, 0.0]),
])
def test_reset_semantics_against_hand_traces(reset, expected_v):
    # snnTorch issue #341 reported the two reset mechanisms swapped; pin both down by hand.
    p = LifParams(tau_mem=HALF, reset=reset)
    state = lif_init(p, (1,), jnp.float64)
    spikes, vs = [], []
    for _ in range(6):
        state, tr = lif_step(p, state, jnp.array([0.6]))
        spikes.append(float(tr.spikes[0]))
        vs.append(float(state.mem[0]))
    assert spikes == [0, 0, 1, 0, 0, 1]
    np.testing.assert_allclose(vs, expected_v, rtol=0, atol=1e-14)


@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_detach_reset_removes_only_the_reset_gradient(reset):
    # one step from rest with u = x > theta: v = x - s theta (subtract) or x (1 - s) (zero).
    # Detached: dv/dx = 1 (subtract) or 1 - s = 0 (zero). Attached adds -theta g(u - theta)
    # (subtract) or -x g(u - theta) (zero).
    x, k = 1.02, 25.0
    g = float(surrogate_grad("fast_sigmoid", k)(x - 1.0))
    for detach in (True, False):
        p = LifParams(tau_mem=HALF, reset=reset, detach_reset=detach, slope=k)
        dv = jax.grad(lambda xi: lif_step(p, lif_init(p, (), jnp.float64), xi)[0].mem)(x)
        base = 1.0 if reset == "subtract" else 0.0
        extra = 0.0 if detach else -(1.0 if reset == "subtract" else x) * g
        assert dv == pytest.approx(base + extra, abs=1e-14)


def test_current_synapse_and_readout_impulse_responses():
    # impulse at t = 0: I[t] = beta^t, y[t] = sum_{s<=t} alpha^(t-s) beta^s = (alpha^(t+1) - beta^(t+1))/(alpha - beta)
    n = 20
    x = jnp.zeros((n, 1, 1)).at[0].set(1.0)
    y = leaky_readout(x, tau_mem=10.0, tau_syn=5.0)[:, 0, 0]
    a, b = math.exp(-0.1), math.exp(-0.2)
    t = np.arange(n)
    np.testing.assert_allclose(y, (a ** (t + 1) - b ** (t + 1)) / (a - b), rtol=1e-12)
    # the same through a LIF neuron that never reaches threshold
    p = LifParams(tau_mem=10.0, tau_syn=5.0, threshold=1e3)
    tr, _ = lif_scan(p, x)
    np.testing.assert_allclose(tr.mem[:, 0, 0], y, rtol=1e-12)
    assert p.psp_area == pytest.approx(1.0 / ((1 - a) * (1 - b)))


def test_refractory_period_blocks_spikes_and_passes_gradients():
    k = 3
    p = LifParams(tau_mem=HALF, refractory=k)
    # strong constant drive would fire every step; with k = 3 the neuron fires every k + 1 steps
    tr, _ = lif_scan(p, jnp.full((12, 1, 1), 5.0))
    np.testing.assert_array_equal(tr.spikes[:, 0, 0], [1, 0, 0, 0] * 3)
    # random drive: no two spikes closer than k + 1 steps
    x = jax.random.uniform(jax.random.PRNGKey(0), (200, 4, 8), minval=-0.5, maxval=2.5)
    s = np.asarray(lif_scan(p, x)[0].spikes)
    for b in range(4):
        for i in range(8):
            times = np.flatnonzero(s[:, b, i])
            assert times.size > 5 and np.all(np.diff(times) > k)

    # the gate is a surrogate spike of the step counter: gradients pass through it
    def loss(scale):
        return jnp.sum(lif_scan(p, scale * x)[0].spikes * jnp.linspace(0.0, 1.0, 200)[:, None, None])

    grad = jax.grad(loss)(1.0)
    assert np.isfinite(grad) and grad != 0.0
    gate_only = LifParams(tau_mem=HALF, refractory=k, surrogate="fast_sigmoid")
    state = lif_init(gate_only, (1,), jnp.float64)._replace(since=jnp.array([2.0]))
    # count 2 < k = 3: gated (s = 0) although u = 5 > theta, and d s / d since = g(2.5 - 3) > 0
    d_since = jax.grad(lambda c: lif_step(gate_only, state._replace(since=c), jnp.array([5.0]))[1].spikes[0])(
        jnp.array([2.0]))
    assert float(d_since[0]) == pytest.approx(float(surrogate_grad("fast_sigmoid", 1.0)(-0.5)), rel=1e-14)


def test_alif_threshold_adapts_after_a_spike():
    b, tau_a = 0.5, 20.0
    p = LifParams(tau_mem=HALF, tau_adapt=tau_a, adapt_strength=b, reset="zero")
    x = jnp.zeros((5, 1, 1)).at[0].set(2.0)
    tr, _ = lif_scan(p, x)
    rho = math.exp(-1.0 / tau_a)
    np.testing.assert_array_equal(tr.spikes[:, 0, 0], [1, 0, 0, 0, 0])
    np.testing.assert_allclose(tr.threshold[:, 0, 0], [1.0, 1 + b, 1 + b * rho, 1 + b * rho**2, 1 + b * rho**3],
                               rtol=1e-14)


def test_recurrent_lif_adds_last_spikes_through_w_rec():
    p = LifParams(tau_mem=HALF, reset="zero")
    x = jnp.zeros((4, 1, 2)).at[0, 0, 0].set(2.0)  # neuron 0 fires at t = 0 only
    w_rec = jnp.array([[0.0, 0.7], [0.0, 0.0]])
    tr, _ = rlif_scan(p, x, w_rec)
    # neuron 1 receives 0.7 at t = 1, then decays: 0.7, 0.35, 0.175
    np.testing.assert_allclose(tr.mem[:, 0, 1], [0.0, 0.7, 0.35, 0.175], atol=1e-14)
    tr0, _ = rlif_scan(p, x, jnp.zeros((2, 2)))
    np.testing.assert_array_equal(tr0.mem, lif_scan(p, x)[0].mem)


def _steady_state(U, tau_dep, tau_fac, isi):
    """Analytic steady state of the Tsodyks-Markram synapse for a regular train (Markram et al. 1998)."""
    e_d = math.exp(-isi / tau_dep)
    u_plus = U if tau_fac is None else U / (1.0 - (1.0 - U) * math.exp(-isi / tau_fac))
    x_minus = (1.0 - e_d) / (1.0 - (1.0 - u_plus) * e_d)
    return u_plus * x_minus


@pytest.mark.parametrize("U, tau_dep, tau_fac, isi", [
    (0.5, 200.0, None, 20),     # depression only: efficacy falls from U
    (0.1, 50.0, 500.0, 25),     # facilitation dominated: efficacy rises from U
])
def test_stp_steady_state_matches_analytic(U, tau_dep, tau_fac, isi):
    p = StpParams(U=U, tau_dep=tau_dep, tau_fac=tau_fac)
    n_spikes = 400  # the slowest contraction, (1-U) exp(-isi/tau_fac) = 0.855, is < 1e-20 after 400 spikes
    s = jnp.zeros((n_spikes * isi, 1, 1)).at[::isi].set(1.0)
    release = np.asarray(stp_scan(p, s)[::isi, 0, 0])
    assert release[0] == pytest.approx(U, rel=1e-14)  # rested synapse releases U
    expected = _steady_state(U, tau_dep, tau_fac, isi)
    assert release[-1] == pytest.approx(expected, rel=1e-12)  # exact exponential decay per step
    if tau_fac is None:
        assert expected < U
    else:
        assert expected > U
    assert np.all(np.asarray(stp_scan(p, s))[np.asarray(s) == 0] == 0.0)


@pytest.mark.parametrize("kwargs", [dict(reset="soft"), dict(tau_mem=0.0), dict(refractory=-1),
                                    dict(surrogate="heaviside"), dict(tau_syn=-1.0)])
def test_lif_params_validation_names_the_value(kwargs):
    (key, value), = kwargs.items()
    with pytest.raises(ValueError, match=key):
        LifParams(**kwargs)
