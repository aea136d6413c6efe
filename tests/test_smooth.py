"""Smoothing primitives: bounds to the hard forms, overflow safety, gradients, surrogate spikes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from cfdopt.util import smooth, surrogates

LOG2 = np.log(2.0)
XS = np.linspace(-5.0, 5.0, 2001)


@pytest.mark.parametrize("s", [0.5, 1.0, 10.0, 1000.0])
def test_softplus_gap_in_open_bound(s):
    gap = np.asarray(smooth.softplus(jnp.asarray(XS), s)) - np.maximum(XS, 0.0)
    # exact gap is log(1+exp(-s|x|))/s: strictly positive where exp(-s|x|) is above the float64 epsilon,
    # never above log(2)/s (up to one rounding of the log).
    representable = s * np.abs(XS) < 30.0
    assert np.all(gap[representable] > 0.0)
    assert np.all(gap >= 0.0)
    assert np.all(gap <= LOG2 / s * (1 + 1e-15))
    np.testing.assert_allclose(smooth.softplus(0.0, s), LOG2 / s, rtol=1e-15)


def test_softplus_no_overflow_float32_and_float64():
    x32 = jnp.array([-1e4, 1e4], dtype=jnp.float32)
    y32 = smooth.softplus(x32, 1.0)
    assert y32.dtype == jnp.float32
    np.testing.assert_array_equal(np.asarray(y32), [0.0, 1e4])
    g32 = jax.vmap(jax.grad(smooth.softplus))(x32)
    np.testing.assert_array_equal(np.asarray(g32), [0.0, 1.0])
    x64 = jnp.array([-1e300, -3e299, 3e299, 1e300])
    y64 = smooth.softplus(x64, 1.0)
    np.testing.assert_array_equal(np.asarray(y64), [0.0, 0.0, 3e299, 1e300])
    assert np.all(np.isfinite(np.asarray(jax.vmap(jax.grad(smooth.softplus))(x64))))


def test_softplus_gradient_half_at_zero():
    for s in (1.0, 7.0):
        assert float(jax.grad(smooth.softplus)(0.0, s)) == 0.5


@pytest.mark.parametrize("s", [1.0, 10.0, 100.0, 1000.0])
def test_smooth_max_min_error_bound(s):
    a = jnp.asarray(XS)
    b = jnp.asarray(np.sin(3 * XS))
    err_max = np.asarray(smooth.smooth_max(a, b, s) - jnp.maximum(a, b))
    err_min = np.asarray(smooth.smooth_min(a, b, s) - jnp.minimum(a, b))
    # b + softplus(a - b) rounds twice: allow two ulps of the inputs below the exact lower bound 0
    ulp = 2 * np.finfo(float).eps * np.maximum(np.abs(XS), np.abs(np.asarray(b)))
    assert np.all(err_max >= -ulp) and err_max.max() <= LOG2 / s * (1 + 1e-12)
    assert np.all(err_min <= ulp) and err_min.min() >= -LOG2 / s * (1 + 1e-12)


@pytest.mark.parametrize("w", [1.0, 0.1, 1e-3])
def test_smooth_abs_pos_neg_bounds(w):
    x = jnp.asarray(XS)
    err = np.asarray(smooth.smooth_abs(x, w)) - np.abs(XS)
    assert err.min() > 0.0 and err.max() <= w * (1 + 1e-15)
    pos = np.asarray(smooth.smooth_pos(x, w)) - np.maximum(XS, 0.0)
    neg = np.asarray(smooth.smooth_neg(x, w)) - np.minimum(XS, 0.0)
    assert pos.min() >= 0.0 and pos.max() <= 0.5 * w * (1 + 1e-15)
    assert neg.max() <= 0.0 and neg.min() >= -0.5 * w * (1 + 1e-15)
    np.testing.assert_allclose(smooth.smooth_pos(x, w) + smooth.smooth_neg(x, w), x, atol=1e-15)
    # huge inputs: hypot does not overflow where x**2 would
    assert float(smooth.smooth_abs(1e200, w)) == 1e200
    assert float(jax.grad(smooth.smooth_abs)(0.0, w)) == 0.0


@pytest.mark.parametrize("s", [10.0, 100.0, 1000.0])
def test_smooth_clip_error_bound(s):
    x = jnp.asarray(XS)
    err = np.abs(np.asarray(smooth.smooth_clip(x, -1.0, 2.0, s)) - np.clip(XS, -1.0, 2.0))
    assert err.max() <= LOG2 / s * (1 + 1e-12)
    # the bound is attained (to first order) at the corners: the test would notice a looser function
    assert err.max() >= 0.9 * LOG2 / s


def test_error_shrinks_as_sharpness_grows():
    x = jnp.asarray(XS)
    errs = [float(jnp.max(jnp.abs(smooth.smooth_max(x, 0.0, s) - jnp.maximum(x, 0.0)))) for s in (1, 10, 100)]
    np.testing.assert_allclose(errs, LOG2 / np.array([1, 10, 100]), rtol=1e-12)


def test_check_grads_smooth_functions():
    pts = jnp.array([-1.3, -0.01, 0.0, 0.02, 0.7])
    b = jnp.array([0.1, 0.0, 0.0, -0.4, 0.7])
    check_grads(lambda x: smooth.softplus(x, 3.0), (pts,), order=2, modes=("fwd", "rev"))
    check_grads(lambda x, y: smooth.smooth_max(x, y, 5.0), (pts, b), order=2, modes=("fwd", "rev"))
    check_grads(lambda x, y: smooth.smooth_min(x, y, 5.0), (pts, b), order=2, modes=("fwd", "rev"))
    check_grads(lambda x: smooth.smooth_abs(x, 0.3), (pts,), order=2, modes=("fwd", "rev"))
    check_grads(lambda x: smooth.smooth_clip(x, -0.5, 0.5, 8.0), (pts,), order=2, modes=("fwd", "rev"))
    check_grads(lambda x: smooth.soft_capacity_penalty(x, 2.0, 0.9, 10.0), (pts,), order=2, modes=("fwd", "rev"))


def test_soft_capacity_penalty_rises_before_capacity():
    cap = 10.0
    demand = jnp.linspace(0.0, 15.0, 151)
    p = np.asarray(smooth.soft_capacity_penalty(demand, cap, onset=0.9, sharpness=20.0))
    u = np.asarray(demand) / cap
    assert np.all(np.diff(p) > 0)
    # below 80% utilisation the penalty is negligible; at 95% (before capacity) it is clearly active
    assert p[u <= 0.8].max() < 0.01
    assert float(smooth.soft_capacity_penalty(9.5, cap, 0.9, 20.0)) > 0.05
    gap = p - np.maximum(u - 0.9, 0.0)
    assert gap.min() >= 0.0 and gap.max() <= LOG2 / 20.0 * (1 + 1e-12)


def test_sharpness_and_width_must_be_positive():
    with pytest.raises(ValueError, match="sharpness must be > 0"):
        smooth.softplus(1.0, 0.0)
    with pytest.raises(ValueError, match="width must be > 0"):
        smooth.smooth_abs(1.0, -1.0)


# --- surrogate spikes ------------------------------------------------------

FORMULAS = {
    "sigmoid": lambda x, k: k * np.exp(-k * x) / (1 + np.exp(-k * x)) ** 2,
    "fast_sigmoid": lambda x, k: 1.0 / (1.0 + k * np.abs(x)) ** 2,
    "triangle": lambda x, k: k * np.maximum(0.0, 1.0 - k * np.abs(x)),
    "rectangle": lambda x, k: np.where(np.abs(x) < 0.5 / k, k, 0.0),
    "arctan": lambda x, k: (k / 2) / (1 + (np.pi * k * x / 2) ** 2),
}
POINTS = np.array([-0.3, -0.05, -0.013, 0.0, 0.007, 0.02, 0.11, 0.5])


@pytest.mark.parametrize("name", sorted(surrogates.SURROGATES))
def test_spike_forward_exact_and_derivative_formula(name):
    k = 10.0
    spike = surrogates.spike_fn(name, k)
    x = jnp.asarray(POINTS)
    out = np.asarray(spike(x))
    np.testing.assert_array_equal(out, (POINTS > 0).astype(float))
    assert set(np.unique(out)) <= {0.0, 1.0}
    grad = np.asarray(jax.vmap(jax.grad(spike))(x))
    np.testing.assert_allclose(grad, FORMULAS[name](POINTS, k), rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", sorted(surrogates.SURROGATES))
def test_doubling_slope_changes_gradient_as_documented(name):
    x = jnp.asarray(POINTS)
    g1 = np.asarray(jax.vmap(jax.grad(surrogates.spike_fn(name, 10.0)))(x))
    g2 = np.asarray(jax.vmap(jax.grad(surrogates.spike_fn(name, 20.0)))(x))
    assert not np.allclose(g1, g2)
    if name == "fast_sigmoid":
        # g_{2k}(x) = g_k(2x)
        g_half = np.asarray(jax.vmap(jax.grad(surrogates.spike_fn(name, 10.0)))(2 * x))
        np.testing.assert_allclose(g2, g_half, rtol=1e-12)
    else:
        # area-normalised surrogates: g_{2k}(x) = 2 g_k(2x), so the peak doubles and the width halves
        g_half = np.asarray(jax.vmap(jax.grad(surrogates.spike_fn(name, 10.0)))(2 * x))
        np.testing.assert_allclose(g2, 2 * g_half, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(surrogates.SURROGATES))
def test_spike_under_jit_vmap_grad_jvp(name):
    spike = surrogates.spike_fn(name, 5.0)
    x = jnp.asarray(POINTS)
    expected = FORMULAS[name](POINTS, 5.0)
    np.testing.assert_array_equal(np.asarray(jax.jit(spike)(x)), (POINTS > 0).astype(float))
    np.testing.assert_allclose(jax.jit(jax.vmap(jax.grad(spike)))(x), expected, rtol=1e-12)
    out, tangent = jax.jvp(spike, (x,), (jnp.full_like(x, 2.0),))
    np.testing.assert_allclose(tangent, 2.0 * expected, rtol=1e-12)
    # reverse mode through a sum matches the elementwise derivative
    np.testing.assert_allclose(jax.grad(lambda v: jnp.sum(spike(v)))(x), expected, rtol=1e-12)


def test_spike_float32_keeps_dtype():
    spike = surrogates.spike_fn("fast_sigmoid", 25.0)
    x = jnp.asarray(POINTS, dtype=jnp.float32)
    assert spike(x).dtype == jnp.float32
    assert jax.grad(lambda v: jnp.sum(spike(v)))(x).dtype == jnp.float32


def test_unknown_surrogate_lists_valid_names():
    with pytest.raises(ValueError, match="unknown surrogate 'superspike'; valid: arctan, fast_sigmoid, rectangle"):
        surrogates.spike_fn("superspike")
    with pytest.raises(ValueError, match="slope must be > 0"):
        surrogates.spike_fn("sigmoid", 0.0)
