"""Event-list input (cfdopt.snn.events): the same currents and gradients as the dense product."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cfdopt.snn import losses
from cfdopt.snn.events import CHUNK, from_events, project_events, to_events
from cfdopt.snn.network import SnnModel, forward, init_params
from cfdopt.snn.neurons import LifParams

# float32 sums of at most k terms reordered: |error| <= k eps sum|terms|; with k <= 64 and
# eps = 6e-8 that is below 4e-6 of the largest magnitude, so 1e-5 relative cannot pass a wrong sum
F32_SUM_RTOL = 1e-5


def _spikes(shape, p, seed):
    return (np.random.default_rng(seed).random(shape) < p).astype(np.float32)


def test_round_trip_and_padding():
    x = _spikes((7, 3, 11), 0.3, 0)
    x[:, :, 4] = 0.0  # an input that never fires: its column list is all padding
    ev = to_events(x)
    np.testing.assert_array_equal(np.asarray(from_events(ev)), x)
    assert ev.rows.shape[1] % CHUNK == 0 and ev.cols.shape[1] % CHUNK == 0
    assert np.all(np.asarray(ev.cols)[4] == 7 * 3)
    counts = x.reshape(21, 11).sum(axis=1)
    np.testing.assert_array_equal((np.asarray(ev.rows) < 11).sum(axis=1), counts)


def test_projection_and_weight_gradient_match_dense():
    x = _spikes((20, 6, 50), 0.1, 1)
    w = jnp.asarray(np.random.default_rng(2).standard_normal((50, 9)), jnp.float32)
    g = jnp.asarray(np.random.default_rng(3).standard_normal((20, 6, 9)), jnp.float32)
    ev = to_events(x)
    dense = jnp.einsum("tbi,ij->tbj", jnp.asarray(x), w)
    np.testing.assert_allclose(project_events(ev, w), dense, rtol=F32_SUM_RTOL, atol=F32_SUM_RTOL * 10)
    grad_ev = jax.grad(lambda w: jnp.sum(project_events(ev, w) * g))(w)
    grad_dense = jnp.einsum("tbi,tbj->ij", jnp.asarray(x), g)
    np.testing.assert_allclose(grad_ev, grad_dense, rtol=F32_SUM_RTOL, atol=F32_SUM_RTOL * 50)


def test_fixed_widths_share_a_shape_and_too_narrow_is_refused():
    a, b = to_events(_spikes((5, 2, 30), 0.2, 4), 16, 16), to_events(_spikes((5, 2, 30), 0.2, 5), 16, 16)
    assert a.rows.shape == b.rows.shape and a.cols.shape == b.cols.shape
    with pytest.raises(ValueError, match="k_col = 8 is less than"):
        to_events(np.ones((5, 2, 3), np.float32), None, 8)
    with pytest.raises(ValueError, match="multiple of"):
        to_events(np.ones((5, 2, 3), np.float32), 12)


def test_graded_input_is_refused():
    x = _spikes((4, 2, 5), 0.5, 6)
    x[0, 0, 0] = 0.5
    with pytest.raises(ValueError, match="0/1"):
        to_events(x)


def test_network_on_events_equals_network_on_dense_input():
    model = SnnModel(40, 16, 3, LifParams(tau_mem=10.0), init_scale=3.0)
    params = init_params(jax.random.PRNGKey(0), model, jnp.float32)
    x = _spikes((30, 4, 40), 0.1, 7)
    y = jnp.asarray([0, 1, 2, 1])
    dense = forward(params, model, jnp.asarray(x))
    ev = forward(params, model, to_events(x))
    assert float(jnp.sum(dense.hidden)) > 0  # the comparison covers spiking neurons
    np.testing.assert_array_equal(ev.hidden, dense.hidden)
    np.testing.assert_allclose(ev.out, dense.out, rtol=F32_SUM_RTOL, atol=1e-6)

    def loss(p, inp):
        return losses.max_over_time_ce(forward(p, model, inp).out, y)

    g_dense, g_ev = jax.grad(loss)(params, jnp.asarray(x)), jax.grad(loss)(params, to_events(x))
    for name in g_dense:
        scale = float(jnp.max(jnp.abs(g_dense[name])))
        assert scale > 0
        np.testing.assert_allclose(g_ev[name], g_dense[name], rtol=0, atol=F32_SUM_RTOL * 10 * scale)


def test_events_pass_through_jit_as_a_pytree():
    x = _spikes((6, 2, 10), 0.3, 8)
    w = jnp.ones((10, 2), jnp.float32)
    ev = to_events(x)
    out = jax.jit(project_events)(ev, w)
    np.testing.assert_allclose(out[..., 0], x.sum(axis=2))


def test_keep_freed_memory_takes_effect_on_glibc():
    import platform

    from cfdopt.cli import keep_freed_memory

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt is a glibc function; elsewhere keep_freed_memory returns False")
    assert keep_freed_memory() is True
