"""Losses, encoders, data sets and the [snn] settings of cfdopt.snn, against hand values."""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cfdopt.snn import losses
from cfdopt.snn.data import race_dataset, randman_dataset
from cfdopt.snn.encoders import latency_encode, latency_times, rate_encode
from cfdopt.snn.settings import SnnConfig


def _trains(times, n_steps):
    """(batch, n) first-spike steps (-1: silent) -> spikes (n_steps, batch, n)."""
    times = np.asarray(times)
    return jnp.asarray((times[None] == np.arange(n_steps)[:, None, None]).astype(float))


def test_first_spike_times_and_their_gradient():
    s = _trains([[2, -1, 0]], 5).at[4, 0, 0].set(1.0)  # a later second spike does not count
    np.testing.assert_array_equal(losses.first_spike_times(s), [[2.0, 5.0, 0.0]])
    # d t_f / d s_t = t - t_f before the first spike (t - T for a silent neuron); at the first
    # spike t_f - t_next = 2 - 4 (losing it delays the first spike to the next); 0 after it
    grad = jax.grad(lambda x: losses.first_spike_times(x)[0, 0])(s)
    np.testing.assert_allclose(grad[:, 0, 0], [0 - 2, 1 - 2, 2 - 4, 0, 0])
    grad_silent = jax.grad(lambda x: losses.first_spike_times(x)[0, 1])(s)
    np.testing.assert_allclose(grad_silent[:, 0, 1], np.arange(5) - 5.0)


def test_temporal_margin_loss_hand_values():
    n_steps, margin = 10, 2.0
    s = _trains([[1, 4, 3], [5, 6, -1]], n_steps)
    labels = jnp.array([0, 1])
    # sample 0: t_c = 1, others 4, 3: leads 3 and 2 >= margin -> 0
    # sample 1: t_c = 6, others 5 and 10: hinge(6-5+2) = 3, hinge(6-10+2) = 0 -> 3/2
    expected = (0.0 + 1.5) / 2 / n_steps
    assert float(losses.temporal_margin_loss(s, labels, margin)) == pytest.approx(expected)
    np.testing.assert_array_equal(losses.predict(s, "first-spike"), [0, 0])
    tie = _trains([[3, 3]], n_steps)
    assert int(losses.predict(tie, "first-spike")[0]) == -1  # ties are never counted correct


def test_cross_entropy_readouts_and_count_loss():
    y = jnp.array([[[0.0, 1.0]], [[2.0, 0.5]], [[1.0, 0.0]]])  # (T=3, B=1, C=2)
    label = jnp.array([1])
    # max over time: logits (2, 1); mean: (1, 0.5)
    assert float(losses.max_over_time_ce(y, label)) == pytest.approx(-(1.0 - math.log(math.exp(2) + math.e)))
    assert float(losses.sum_over_time_ce(y, label)) == pytest.approx(-(0.5 - math.log(math.e + math.exp(0.5))))
    s = _trains([[0, 1]], 4).at[2, 0, 1].set(1.0)  # counts (1, 2)
    # targets 4 * (0.1, 0.5) = (0.4, 2.0): ((1 - 0.4)^2 + 0) / 16
    assert float(losses.spike_count_loss(s, label, 0.5, 0.1)) == pytest.approx(0.36 / 16)
    np.testing.assert_array_equal(losses.predict(s, "count"), [1])


def test_rate_regularizer_hand_values():
    s = jnp.zeros((10, 2, 3)).at[:, :, 0].set(1.0).at[:5, :, 1].set(1.0)  # rates 1, 0.5, 0
    lo, hi = losses.rate_regularizer(s, lower=0.2, upper=0.3)
    assert float(lo) == pytest.approx(0.2**2 / 3)
    assert float(hi) == pytest.approx((0.5 - 0.3) ** 2)


def test_latency_and_rate_encoders():
    np.testing.assert_array_equal(latency_times([1.0, 0.5, 0.0, 0.25], 11), [0, 5, -1, 8])
    tau, thr = 5.0, 0.2
    assert latency_times([0.5], 50, thr, tau)[0] == round(tau * math.log(0.5 / 0.3))
    trains = latency_encode(np.array([[1.0, 0.0, 0.5]]), 11)
    assert trains.shape == (1, 11, 3)
    np.testing.assert_array_equal(trains.sum(axis=1), [[1, 0, 1]])
    spikes = rate_encode(jax.random.PRNGKey(0), jnp.array([0.05, 0.5]), 20000)
    assert set(np.unique(np.asarray(spikes))) <= {0.0, 1.0}
    # Bernoulli mean within 5 standard errors
    for p, m in zip((0.05, 0.5), np.asarray(spikes.mean(axis=0))):
        assert abs(m - p) < 5 * math.sqrt(p * (1 - p) / 20000)


def test_randman_has_one_spike_per_input_and_is_reproducible():
    d = randman_dataset(n_classes=3, n_inputs=7, n_steps=40, samples_per_class=50, step_frac=0.5, seed=4)
    assert d.x_train.shape == (120, 40, 7) and d.x_test.shape == (30, 40, 7)
    x = np.concatenate([d.x_train, d.x_test])
    np.testing.assert_array_equal(x.sum(axis=1), 1.0)  # every input fires exactly once
    assert x[:, 20:].sum() == 0  # inside the first step_frac * n_steps = 20 steps
    np.testing.assert_array_equal(np.bincount(np.concatenate([d.y_train, d.y_test])), [50, 50, 50])
    again = randman_dataset(n_classes=3, n_inputs=7, n_steps=40, samples_per_class=50, step_frac=0.5, seed=4)
    np.testing.assert_array_equal(again.x_train, d.x_train)


def test_race_labels_the_stronger_input_with_a_gap():
    d = race_dataset(n_samples=500, n_steps=5, gap=0.1, seed=1)
    x = np.concatenate([d.x_train, d.x_test])[:, 0]
    y = np.concatenate([d.y_train, d.y_test])
    assert np.all(np.abs(x[:, 0] - x[:, 1]) >= 0.1)
    np.testing.assert_array_equal(y, np.argmax(x, axis=1))


def test_snn_config_fields_are_documented_and_validated():
    for f in dataclasses.fields(SnnConfig):
        assert f.metadata.get("doc"), f.name
        assert f.default is not dataclasses.MISSING, f.name
    with pytest.raises(ValueError, match="neuron"):
        SnnConfig(neuron="izhikevich")
    with pytest.raises(ValueError, match="n_hidden"):
        SnnConfig(n_hidden=0)
