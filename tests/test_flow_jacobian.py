"""Freestream preservation and the exact sparse Jacobian against JVPs and finite differences."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cfdopt.adjoint import linearized_residual

import cfdopt  # noqa: F401  (float64)
from cfdopt.solve.linear.jacobian import cell_pattern, greedy_colouring, residual_jacobian
from cfdopt.flow.residual import Numerics, make_residual
from cfdopt.flow.state import FlowConditions, uniform_state
from flow_testgrids import c_grid, small_grid  # noqa: F401  (fixture)


def test_freestream_preservation_on_curved_grid():
    """Uniform flow leaves a round-off residual away from the wall (the wall turns the flow, by design)."""
    grid = c_grid(n_airfoil=32, n_wake=8, n_normal=12, farfield=15.0, wall_spacing=5e-3)
    flow = FlowConditions(0.7, 4.0)
    R = np.asarray(make_residual(Numerics())(uniform_state(flow, grid.ni, grid.nj), grid, flow))
    flux_scale = 1.0 / 1.4 * float(np.abs(np.asarray(grid.nodes)).max())  # p_inf x largest face length
    # Rows j >= 2 see only interior, wake-cut and far-field faces: round-off (1e-13 of the flux scale).
    assert np.abs(R[:, 2:]).max() < 1e-13 * flux_scale
    # The wake rows too (the cut is an interior line).
    assert np.abs(R[: grid.n_wake, :]).max() < 1e-13 * flux_scale


def test_colouring_is_valid(small_grid):
    pat = cell_pattern(small_grid.ni, small_grid.nj, small_grid.n_wake)
    colour = greedy_colouring(pat)
    coo = pat.tocoo()
    # No row may see two columns of the same colour.
    key = coo.row * (colour.max() + 1) + colour[coo.col]
    assert np.unique(key).size == key.size
    assert colour.max() + 1 <= 20  # the radius-2 cross stencil needs about 13-17 colours


@pytest.mark.parametrize("point_vortex", [False, True])
def test_sparse_jacobian_matches_jvp(small_grid, point_vortex):
    """J v == jvp(R)(v) and J^T w == vjp(R)(w) on random directions, at a perturbed state."""
    grid = small_grid
    flow = FlowConditions(0.6, 2.0)
    num = Numerics(point_vortex=point_vortex)
    res = make_residual(num)
    U = uniform_state(flow, grid.ni, grid.nj)
    U = U * (1.0 + 0.02 * jax.random.uniform(jax.random.PRNGKey(0), U.shape, minval=-1.0, maxval=1.0))
    jac = residual_jacobian(U, grid, flow, num)
    rng = np.random.default_rng(0)
    jvp_fn, vjp_fn = linearized_residual(res)  # jitted once, reused for every direction
    zero_grid = jax.tree_util.tree_map(jnp.zeros_like, grid)
    zero_flow = jax.tree_util.tree_map(jnp.zeros_like, flow)
    for _ in range(3):
        v = rng.normal(size=U.size)
        jv = jvp_fn(U, grid, flow, jnp.asarray(v.reshape(U.shape)), zero_grid, zero_flow)
        jv = np.asarray(jv).ravel()
        # Same floating-point operations summed in another order: 1e-12 relative.
        np.testing.assert_allclose(jac.matvec(v), jv, atol=1e-12 * np.abs(jv).max())
        jtw = np.asarray(vjp_fn(U, grid, flow, jnp.asarray(v.reshape(U.shape)))[0]).ravel()
        np.testing.assert_allclose(jac.rmatvec(v), jtw, atol=1e-12 * np.abs(jtw).max())
    # And against central differences with a step sweep (error ~ h^2 until round-off ~ eps/h).
    v = jnp.asarray(rng.normal(size=U.shape))
    jv = jac.matvec(np.asarray(v).ravel())
    errs = []
    for h in (1e-5, 1e-6, 1e-7):
        fd = (np.asarray(res(U + h * v, grid, flow)) - np.asarray(res(U - h * v, grid, flow))).ravel() / (2 * h)
        errs.append(np.abs(fd - jv).max() / np.abs(jv).max())
    # h^2 decay (100x per decade; 0.03 allows a higher-order term), then round-off ~1e-16/h.
    assert errs[1] < 0.03 * errs[0] and errs[2] < 1e-6
    # The factorisation solves with both J and J^T (adjoint use).
    fact = jac.factorize(np.full(U.size, 1.0))
    b = rng.normal(size=U.size)
    x = fact.solve(b)
    np.testing.assert_allclose(jac.matvec(x) + x, b, atol=1e-9 * np.abs(b).max())
    y = fact.solve(b, trans="T")
    np.testing.assert_allclose(jac.rmatvec(y) + y, b, atol=1e-9 * np.abs(b).max())


def test_first_order_jacobian_uses_the_nearest_neighbour_pattern(small_grid):
    """order=1 colours the radius-1 pattern (fewer JVPs); the result is still the exact dR/dU."""
    grid = small_grid
    flow = FlowConditions(0.6, 2.0)
    num = Numerics(order=1, point_vortex=True)
    U = uniform_state(flow, grid.ni, grid.nj)
    U = U * (1.0 + 0.02 * jax.random.uniform(jax.random.PRNGKey(1), U.shape, minval=-1.0, maxval=1.0))
    jac = residual_jacobian(U, grid, flow, num)
    r1 = cell_pattern(grid.ni, grid.nj, grid.n_wake, 1)
    assert jac.matrix.nnz == r1.nnz * 16
    res = make_residual(num)
    for seed in range(3):
        v = jnp.asarray(np.random.default_rng(seed).normal(size=U.shape))
        jv = np.asarray(jax.jvp(lambda u: res(u, grid, flow), (U,), (v,))[1]).ravel()
        np.testing.assert_allclose(jac.matvec(np.asarray(v).ravel()), jv, atol=1e-12 * np.abs(jv).max())


def test_block_csr_is_the_sorted_block_expansion_of_the_pattern():
    """Structure from the pattern's indptr alone equals the Kronecker expansion with ones(4, 4), sorted,
    and each value's JVP position decodes to (colour of its column cell, its column variable; its row)."""
    import scipy.sparse as sp

    from cfdopt.solve.linear.jacobian import _block_csr

    ni, nj, n_wake = 20, 6, 4
    pattern = cell_pattern(ni, nj, n_wake)
    colour = greedy_colouring(pattern)
    indptr, indices, gather = _block_csr(pattern, colour, 4)
    n = ni * nj * 4
    ours = sp.csr_matrix((np.ones(indices.size), indices, indptr), shape=(n, n))
    assert ours.has_sorted_indices
    ref = sp.kron(pattern.astype(float), np.ones((4, 4))).tocsr()
    ref.sort_indices()
    np.testing.assert_array_equal(ours.indptr, ref.indptr)
    np.testing.assert_array_equal(ours.indices, ref.indices)
    rows = np.repeat(np.arange(n), np.diff(indptr))
    seed, row = np.divmod(gather, n)
    np.testing.assert_array_equal(row, rows)
    np.testing.assert_array_equal(seed, colour[indices // 4] * 4 + indices % 4)
