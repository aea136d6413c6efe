"""Roe flux, MUSCL and boundary kernels: consistency, symmetry, smoothness, conservation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import cfdopt  # noqa: F401  (float64)
from cfdopt.flow.boundary import farfield_ghost, wall_ghost
from cfdopt.flow.muscl import reconstruct, van_albada
from cfdopt.flow.residual import Numerics, _face_fluxes
from cfdopt.flow.roe import normal_flux, roe_flux, roe_flux_primitive
from cfdopt.flow.state import FlowConditions, conservative, freestream_primitive, primitive
from flow_testgrids import small_grid  # noqa: F401  (fixture)

GAMMA = 1.4


def random_states(key, n):
    k1, k2, k3 = jax.random.split(key, 3)
    rho = jax.random.uniform(k1, (n,), minval=0.5, maxval=2.0)
    uv = jax.random.normal(k2, (n, 2))
    p = jax.random.uniform(k3, (n,), minval=0.3, maxval=1.5)
    return jnp.concatenate([rho[:, None], uv, p[:, None]], axis=1)


def test_primitive_roundtrip():
    W = random_states(jax.random.PRNGKey(0), 50)
    np.testing.assert_allclose(primitive(conservative(W, GAMMA), GAMMA), W, rtol=1e-14, atol=1e-14)


def test_flux_consistency():
    """F(U, U, S) = F(U) . S exactly: every jump and hence the dissipation vanish."""
    W = random_states(jax.random.PRNGKey(1), 100)
    S = jax.random.normal(jax.random.PRNGKey(2), (100, 2))
    U = conservative(W, GAMMA)
    np.testing.assert_allclose(roe_flux(U, U, S), normal_flux(W, S, GAMMA), rtol=1e-13, atol=1e-14)


def test_flux_antisymmetry():
    """Swapping sides and flipping the normal negates the flux (conservation across a face)."""
    WL = random_states(jax.random.PRNGKey(3), 100)
    WR = random_states(jax.random.PRNGKey(4), 100)
    S = jax.random.normal(jax.random.PRNGKey(5), (100, 2))
    np.testing.assert_allclose(roe_flux_primitive(WL, WR, S), -roe_flux_primitive(WR, WL, -S), rtol=1e-12, atol=1e-13)


def test_flux_upwind_supersonic():
    """Supersonic to the right (all |lambda| >> entropy-fix width): the Roe flux is F(U_L) within the fix."""
    WL = jnp.array([[1.0, 3.0, 0.0, 1.0 / GAMMA]])
    WR = jnp.array([[1.05, 2.9, 0.0, 1.1 / GAMMA]])
    S = jnp.array([[1.0, 0.0]])
    f = roe_flux_primitive(WL, WR, S, GAMMA, entropy_fix=1e-6)
    # Smooth |lambda| differs from |lambda| by <= (delta a)^2 / (2 |lambda|) ~ 1e-13 here.
    np.testing.assert_allclose(f, normal_flux(WL, S, GAMMA), rtol=1e-10)


def test_entropy_fix_smooth_at_sonic_point():
    """The flux derivative is finite and continuous across u_n = a (no |x| kink)."""
    def f(u):
        WL = jnp.array([1.0, u, 0.0, 1.0 / GAMMA])
        WR = jnp.array([0.9, u, 0.1, 0.9 / GAMMA])
        return roe_flux_primitive(WL, WR, jnp.array([1.0, 0.0]))[0]

    a = 1.0
    g_lo, g_hi = jax.grad(f)(a - 1e-7), jax.grad(f)(a + 1e-7)
    assert np.isfinite(g_lo) and abs(g_lo - g_hi) < 1e-5  # slope change over 2e-7 of a smooth function


def test_van_albada_limits():
    a = jnp.array([1.0, 1.0, 2.0, 0.0, 1.0])
    b = jnp.array([1.0, 3.0, 1.0, 5.0, -1.0])
    s = van_albada(a, b, 1e-8)
    # Equal slopes kept; bounded by 2 min(|a|, |b|) for equal signs; ~0 at an extremum or a zero slope.
    np.testing.assert_allclose(s[0], 1.0, rtol=1e-12)
    assert 0 < s[1] <= 2.0 and 0 < s[2] <= 2.0
    np.testing.assert_allclose(s[3:], 0.0, atol=1e-7)


def test_muscl_exact_for_linear_data():
    """A linear profile is reconstructed exactly (both slopes equal, van Albada returns it)."""
    q = jnp.linspace(0.0, 1.0, 14)[:, None] * jnp.ones((1, 4))
    ql, qr = reconstruct(q, 0, order=2, eps=1e-3)
    mid = 0.5 * (q[1:12] + q[2:13])
    np.testing.assert_allclose(ql, mid, atol=1e-14)
    np.testing.assert_allclose(qr, mid, atol=1e-14)


def test_wall_ghost_gives_no_mass_flux():
    W = random_states(jax.random.PRNGKey(6), 40)
    S = jax.random.normal(jax.random.PRNGKey(7), (40, 2))
    n = S / jnp.linalg.norm(S, axis=1, keepdims=True)
    f = roe_flux_primitive(W, wall_ghost(W, n), S)
    np.testing.assert_allclose(f[:, 0], 0.0, atol=1e-14)
    np.testing.assert_allclose(f[:, 3], 0.0, atol=1e-14)


def test_farfield_ghost_keeps_free_stream():
    flow = FlowConditions(0.6, 3.0)
    w_inf = freestream_primitive(flow)
    n = jnp.stack([jnp.cos(jnp.linspace(0, 6, 30)), jnp.sin(jnp.linspace(0, 6, 30))], axis=1)
    W = jnp.broadcast_to(w_inf, (30, 4))
    np.testing.assert_allclose(farfield_ghost(W, n, w_inf, GAMMA, 0.05), W, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("order", [1, 2])
def test_conservation_interior_fluxes_cancel(small_grid, order):
    """sum_cells R = net boundary flux: interior faces (and the wake cut) cancel to round-off."""
    grid = small_grid
    flow = FlowConditions(0.5, 2.0)
    num = Numerics(order=order)
    key = jax.random.PRNGKey(8)
    W = jnp.broadcast_to(freestream_primitive(flow), (grid.ni, grid.nj, 4))
    W = W * (1.0 + 0.05 * jax.random.uniform(key, W.shape, minval=-1.0, maxval=1.0))
    fi, fj = _face_fluxes(W, grid, flow, num, 0.0)
    R = fi[1:] - fi[:-1] + fj[:, 1:] - fj[:, :-1]
    nw, ni = grid.n_wake, grid.ni
    wall = fj[nw : ni - nw, 0]
    boundary = fi[-1].sum(0) - fi[0].sum(0) + fj[:, -1].sum(0) - wall.sum(0)
    scale = float(jnp.abs(fj).max())
    np.testing.assert_allclose(R.sum(axis=(0, 1)), boundary, atol=1e-12 * scale * R.size)
    # The two sides of the wake cut see the same flux with opposite normals.
    np.testing.assert_allclose(fj[:nw, 0], -fj[ni - nw :, 0][::-1], atol=1e-14 * scale * 100)
