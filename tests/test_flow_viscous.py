"""Viscous fluxes: exactness for linear fields, Couette flow, second-order convergence, derivatives.

Ghost layers are built here as the flow solver's caller will build them: ghost centres at the mirror image
of the boundary cell's centre in the boundary face, ghost values from the exact field there (or by the
no-slip rule ``u_ghost = -u_cell``). Corner ghosts are NaN throughout: any use of them would show.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import cfdopt  # noqa: F401  (float64)
from cfdopt.flow.rans.viscous import (
    cell_gradients,
    diffusion_fluxes,
    face_gradients,
    sutherland,
    viscous_fluxes,
)
from cfdopt.mesh.types import metrics

# Exact-arithmetic identities below are checked at 1e-12 relative: float64 rounding in the LS solve is
# about cond(A) * eps, and the normal matrices of these grids (aspect ratios <= ~20) have cond(A) below
# ~1e3, so the rounding error stays under 1e-13 of the largest value; 1e-12 leaves a factor of 10.
EXACT = 1e-12

# Jitted once per shape: op-by-op dispatch of the many small kernels is several times slower on CPU.
viscous = jax.jit(viscous_fluxes)
diffusion = jax.jit(diffusion_fluxes)


def local_spacing(s):
    """Smaller of the two intervals beside each point of a sorted 1-D array."""
    d = np.diff(s)
    return np.minimum(np.concatenate([d[:1], d]), np.concatenate([d, d[-1:]]))


def stretched_nodes(ni, nj, seed=0, jitter=0.2, skew=0.4):
    """Nodes geometrically stretched in both directions, skewed, then randomly moved by <= ``jitter`` x spacing."""
    rng = np.random.default_rng(seed)
    xs = 0.1 * np.concatenate([[0.0], np.cumsum(1.15 ** np.arange(ni))])
    ys = 0.02 * np.concatenate([[0.0], np.cumsum(1.3 ** np.arange(nj))])
    hx, hy = local_spacing(xs), local_spacing(ys)
    x, y = np.meshgrid(xs, ys, indexing="ij")
    x = x + skew * y + jitter * hx[:, None] * rng.uniform(-1, 1, x.shape)
    y = y + jitter * hy[None, :] * rng.uniform(-1, 1, y.shape)
    return np.stack([x, y], axis=-1)


def mirror(c, a, b):
    """Mirror points ``c (..., 2)`` in the lines through ``a`` and ``b``."""
    t = (b - a) / np.linalg.norm(b - a, axis=-1, keepdims=True)
    foot = a + np.sum((c - a) * t, axis=-1, keepdims=True) * t
    return 2.0 * foot - c


def padded_centres(nodes):
    """``(ni + 2, nj + 2, 2)`` centres: ghosts mirrored in the boundary faces, NaN corners."""
    c = np.asarray(metrics(jnp.asarray(nodes)).centre)
    ni, nj = c.shape[:2]
    out = np.full((ni + 2, nj + 2, 2), np.nan)
    out[1:-1, 1:-1] = c
    out[0, 1:-1] = mirror(c[0], nodes[0, :-1], nodes[0, 1:])
    out[-1, 1:-1] = mirror(c[-1], nodes[-1, :-1], nodes[-1, 1:])
    out[1:-1, 0] = mirror(c[:, 0], nodes[:-1, 0], nodes[1:, 0])
    out[1:-1, -1] = mirror(c[:, -1], nodes[:-1, -1], nodes[1:, -1])
    return out


def face_mean(a, axis):
    """Arithmetic mean of the two cells beside each face of a padded array (as the module defines it)."""
    a = np.asarray(a)
    return 0.5 * (a[:-1, 1:-1] + a[1:, 1:-1]) if axis == 0 else 0.5 * (a[1:-1, :-1] + a[1:-1, 1:])


def test_gradients_exact_for_linear_fields():
    nodes = stretched_nodes(9, 7)
    centre = padded_centres(nodes)
    rng = np.random.default_rng(1)
    grad = rng.normal(size=(3, 2))
    q = rng.normal(size=3) + np.einsum("kd,ijd->ijk", grad, centre)  # NaN in the corners
    g = cell_gradients(jnp.asarray(q), jnp.asarray(centre))
    gi, gj = face_gradients(jnp.asarray(q), jnp.asarray(centre))
    assert g.shape == (9, 7, 3, 2) and gi.shape == (10, 7, 3, 2) and gj.shape == (9, 8, 3, 2)
    for arr in (g, gi, gj):
        np.testing.assert_allclose(arr, np.broadcast_to(grad, arr.shape), rtol=EXACT, atol=EXACT * np.abs(grad).max())


def couette_setup(ni=6, nj=8, h=1.0, U=0.3):
    """Channel 0 <= y <= h with horizontal j-lines (stretched), skewed non-uniform i-lines."""
    xs = np.concatenate([[0.0], np.cumsum(np.linspace(0.1, 0.3, ni))])
    ys = h * (np.exp(2.0 * np.linspace(0.0, 1.0, nj + 1)) - 1.0) / (np.exp(2.0) - 1.0)
    x, y = np.meshgrid(xs, ys, indexing="ij")
    nodes = np.stack([x + 0.3 * y + 0.02 * np.sin(7.0 * y), y], axis=-1)
    centre = padded_centres(nodes)
    u = U * centre[..., 1] / h  # exact at the i-ghosts
    u[1:-1, 0] = -u[1:-1, 1]  # no slip on the lower wall
    u[1:-1, -1] = 2.0 * U - u[1:-1, -2]  # lid moving at U
    W = np.stack([np.full_like(u, 1.2), u, np.zeros_like(u), np.full_like(u, 0.7)], axis=-1)
    W[[0, 0, -1, -1], [0, -1, 0, -1]] = np.nan
    return nodes, centre, W


def test_couette_shear_exact_including_walls():
    h, U, mu0 = 1.0, 0.3, 2e-3
    nodes, centre, W = couette_setup(h=h, U=U)
    # The no-slip ghost is the mirror point's value of the linear profile: the wall shear can be exact.
    np.testing.assert_allclose(W[1:-1, 0, 1], U * centre[1:-1, 0, 1] / h, rtol=EXACT, atol=EXACT)
    m = metrics(jnp.asarray(nodes))
    mu = np.full(W.shape[:2], mu0)
    fi, fj = viscous(jnp.asarray(W), jnp.asarray(centre), m.si, m.sj, jnp.asarray(mu), jnp.asarray(mu))
    tau = mu0 * U / h
    length = np.asarray(m.sj[..., 1])  # horizontal j-faces: S = (0, dx)
    scale = tau * length.max()
    np.testing.assert_allclose(fj[..., 1], tau * length, rtol=EXACT, atol=EXACT * scale)
    np.testing.assert_allclose(fj[..., [0, 2]], 0.0, atol=EXACT * scale)
    # Work of the shear: u_f tau |S|, zero on the resting wall, U tau |S| on the lid.
    np.testing.assert_allclose(fj[..., 3], face_mean(W[..., 1], 1) * tau * length, rtol=EXACT, atol=EXACT * scale)
    np.testing.assert_allclose(fj[:, 0, 3], 0.0, atol=EXACT * scale)
    np.testing.assert_allclose(fj[:, -1, 3], U * tau * length[:, -1], rtol=EXACT)
    # Skewed i-faces see tau_xy on both components: (tau_xy S_y, tau_xy S_x).
    np.testing.assert_allclose(fi[..., 1], tau * m.si[..., 1], rtol=EXACT, atol=EXACT * scale)
    np.testing.assert_allclose(fi[..., 2], tau * m.si[..., 0], rtol=EXACT, atol=EXACT * scale)


def linear_state(centre, rng, grad_v, grad_theta):
    """Padded primitives with linear u, v, theta = p / rho and a random positive density."""
    uv = np.einsum("kd,ijd->ijk", grad_v, centre) + np.array([0.2, -0.1])
    theta = 0.7 + centre @ grad_theta
    rho = rng.uniform(0.5, 2.0, centre.shape[:2])
    return np.concatenate([rho[..., None], uv, (rho * theta)[..., None]], axis=-1)


def test_stress_and_energy_flux_exact_for_linear_velocity():
    nodes = stretched_nodes(8, 6, seed=3)
    centre = padded_centres(nodes)
    rng = np.random.default_rng(4)
    G = np.array([[0.7, -1.3], [0.4, -0.2]])  # shear and dilatation (trace 0.5)
    grad_theta = np.array([0.3, -0.5])
    W = linear_state(centre, rng, G, grad_theta)
    mu = rng.uniform(0.5, 1.5, centre.shape[:2])  # variable: the face value is the mean
    k = rng.uniform(0.5, 1.5, centre.shape[:2])
    m = metrics(jnp.asarray(nodes))
    fi, fj = viscous(*map(jnp.asarray, (W, centre, m.si, m.sj, mu, k)))
    tau_unit = G + G.T - 2.0 / 3.0 * np.trace(G) * np.eye(2)
    for axis, f, s in ((0, fi, np.asarray(m.si)), (1, fj, np.asarray(m.sj))):
        tau_s = face_mean(mu, axis)[..., None] * (s @ tau_unit.T)  # tau symmetric
        energy = np.sum(face_mean(W[..., 1:3], axis) * tau_s, axis=-1) + face_mean(k, axis) * (s @ grad_theta)
        scale = np.abs(f).max()
        np.testing.assert_allclose(f[..., 1:3], tau_s, rtol=EXACT, atol=EXACT * scale)
        np.testing.assert_allclose(f[..., 3], energy, rtol=EXACT, atol=EXACT * scale)
        np.testing.assert_array_equal(f[..., 0], 0.0)


def test_heat_flux_exact_for_linear_theta():
    """At rest, the only flux is heat: k_f grad(theta) . S, with theta linear and rho, k varying."""
    nodes = stretched_nodes(7, 9, seed=5)
    centre = padded_centres(nodes)
    rng = np.random.default_rng(6)
    grad_theta = np.array([-0.8, 0.45])
    W = linear_state(centre, rng, np.zeros((2, 2)), grad_theta)
    W[..., 1:3] = 0.0
    mu = rng.uniform(0.5, 1.5, centre.shape[:2])
    k = rng.uniform(0.5, 1.5, centre.shape[:2])
    m = metrics(jnp.asarray(nodes))
    fi, fj = viscous(*map(jnp.asarray, (W, centre, m.si, m.sj, mu, k)))
    for axis, f, s in ((0, fi, np.asarray(m.si)), (1, fj, np.asarray(m.sj))):
        heat = face_mean(k, axis) * (s @ grad_theta)
        np.testing.assert_allclose(f[..., 3], heat, rtol=EXACT, atol=EXACT * np.abs(heat).max())
        np.testing.assert_allclose(f[..., :3], 0.0, atol=EXACT * np.abs(heat).max())


def test_diffusion_flux_exact_for_linear_field():
    nodes = stretched_nodes(6, 5, seed=7)
    centre = padded_centres(nodes)
    rng = np.random.default_rng(8)
    grad = rng.normal(size=(2, 2))
    q = np.einsum("kd,ijd->ijk", grad, centre)
    coeff = rng.uniform(0.5, 1.5, centre.shape[:2])
    m = metrics(jnp.asarray(nodes))
    fi, fj = diffusion(*map(jnp.asarray, (q, centre, m.si, m.sj, coeff)))
    for axis, f, s in ((0, fi, np.asarray(m.si)), (1, fj, np.asarray(m.sj))):
        want = face_mean(coeff, axis)[..., None] * (s @ grad.T)
        np.testing.assert_allclose(f, want, rtol=EXACT, atol=EXACT * np.abs(want).max())


def test_no_odd_even_decoupling_on_uniform_grid():
    """On a uniform Cartesian grid the corrected face gradient gives the compact 5-point Laplacian.

    A checkerboard has a zero LS gradient in every cell, so a plain average of cell gradients would see
    no diffusion at all; the edge-normal correction must return ``(q_R - q_L) / h`` on every face.
    """
    n, h = 6, 0.25
    x, y = np.meshgrid(h * np.arange(-1, n + 2), h * np.arange(-1, n + 2), indexing="ij")
    m_full = metrics(jnp.asarray(np.stack([x, y], axis=-1)))  # ghosts are cells of the bigger grid
    centre = np.asarray(m_full.centre)
    rng = np.random.default_rng(9)
    checker = (-1.0) ** np.add.outer(np.arange(n + 2), np.arange(n + 2))
    q = np.stack([checker, rng.normal(size=checker.shape)], axis=-1)
    si, sj = m_full.si[1:-1, 1:-1], m_full.sj[1:-1, 1:-1]
    fi, fj = diffusion(jnp.asarray(q), jnp.asarray(centre), si, sj, jnp.ones(q.shape[:2]))
    div = fi[1:] - fi[:-1] + fj[:, 1:] - fj[:, :-1]
    lap5 = q[2:, 1:-1] + q[:-2, 1:-1] + q[1:-1, 2:] + q[1:-1, :-2] - 4.0 * q[1:-1, 1:-1]  # h^2 Laplacian
    np.testing.assert_allclose(div, lap5, rtol=EXACT, atol=EXACT * 8.0)  # |lap5| <= 8 for the checkerboard
    np.testing.assert_allclose(np.abs(div[..., 0]), 8.0, rtol=EXACT)


def mapped_nodes(n):
    """``(n + 3, n + 3)`` nodes of a smooth curvilinear, stretched map of [0, 1]^2 plus one cell layer outside."""
    s = np.arange(-1, n + 2) / n
    xi, eta = np.meshgrid(s, s, indexing="ij")
    x = xi + 0.05 * np.sin(np.pi * eta) + 0.03 * np.sin(2.0 * np.pi * xi)
    y = (np.exp(1.5 * eta) - 1.0) / (np.exp(1.5) - 1.0) + 0.06 * np.sin(np.pi * xi)
    return np.stack([x, y], axis=-1)


MANUFACTURED = dict(  # smooth fields of (x, y) for the order test
    u=lambda x, y: jnp.sin(2.0 * x) * jnp.cos(1.5 * y) + 0.5,
    v=lambda x, y: jnp.cos(x) * jnp.sin(2.0 * y),
    theta=lambda x, y: 1.0 + 0.3 * jnp.sin(x + y),
    mu=lambda x, y: 1.0 + 0.3 * jnp.cos(x - y),
    k=lambda x, y: 0.8 + 0.2 * jnp.sin(2.0 * x * y),
)


def _exact_fluxes(x):
    """Rows: x-momentum, y-momentum and energy flux densities (each a 2-vector) of MANUFACTURED at ``x``."""
    m = {name: (lambda z, fn=fn: fn(z[0], z[1])) for name, fn in MANUFACTURED.items()}

    def vel(z):
        return jnp.stack([m["u"](z), m["v"](z)])

    G = jax.jacfwd(vel)(x)  # G[a, b] = d u_a / d x_b
    tau = m["mu"](x) * (G + G.T - 2.0 / 3.0 * jnp.trace(G) * jnp.eye(2))
    energy = tau @ vel(x) + m["k"](x) * jax.grad(m["theta"])(x)
    return jnp.concatenate([tau, energy[None, :]], axis=0)


@jax.jit
def _divergence_error(nodes):
    """``|sum of viscous fluxes out / area - div F_v|`` (momentum, energy) in every cell of the padded grid.

    The outer layer of cells of ``nodes`` is the ghost layer (ghosts as actual cells, corners NaN).
    """
    full = metrics(nodes)
    centre = full.centre.at[jnp.array([0, 0, -1, -1]), jnp.array([0, -1, 0, -1])].set(jnp.nan)
    x, y = centre[..., 0], centre[..., 1]
    f = {name: fn(x, y) for name, fn in MANUFACTURED.items()}
    rho = 1.0 + 0.2 * jnp.cos(x * y)
    W = jnp.stack([rho, f["u"], f["v"], rho * f["theta"]], axis=-1)
    fi, fj = viscous_fluxes(W, centre, full.si[1:-1, 1:-1], full.sj[1:-1, 1:-1], f["mu"], f["k"])
    div = (fi[1:] - fi[:-1] + fj[:, 1:] - fj[:, :-1])[..., 1:] / full.area[1:-1, 1:-1, None]
    inner = centre[1:-1, 1:-1]
    jac = jax.vmap(jax.jacfwd(_exact_fluxes))(inner.reshape(-1, 2)).reshape(inner.shape[:2] + (3, 2, 2))
    return jnp.abs(div - (jac[..., 0, 0] + jac[..., 1, 1]))


def viscous_divergence_error(n, exclude=2):
    """Max error over interior cells (``exclude`` layers off each side) for momentum x, y and energy."""
    err = np.asarray(_divergence_error(jnp.asarray(mapped_nodes(n))))
    return err[exclude:-exclude, exclude:-exclude].max(axis=(0, 1))


def test_viscous_operator_second_order_on_curvilinear_grid():
    """Observed order of div F_v (momentum and energy, max norm) by a log-log fit over four levels.

    On a smooth map the four-neighbour LS stencil is symmetric up to O(h^2), so cell gradients are
    second-order; face values sit midway between centres, O(h^2) from the face midpoints; the flux
    errors are smooth, so their differences stay O(h^2) after division by the area. Excluded: the first
    cell layer, where the boundary face takes the cell's own gradient as g_avg (its tangential part is
    O(h) off at the face, an O(1) divergence error there, by design), and the second, whose faces use
    the first layer's gradients. The worst component's local orders measured 1.79, 1.93, 1.97 (32 -> 64
    -> 128 -> 256), fitted slope 1.90; the slope tends to 2, and 1.8 leaves room for the pre-asymptotic coarse
    level without admitting a first-order scheme (slope 1). From 16 cells the y-momentum slope is still
    1.66 (its local order 16 -> 32 is 1.2), hence the levels start at 32.
    """
    ns = np.array([32, 64, 128, 256])
    errs = np.array([viscous_divergence_error(int(n)) for n in ns])
    orders = [-np.polyfit(np.log(ns), np.log(errs[:, c]), 1)[0] for c in range(3)]
    assert min(orders) >= 1.8, (orders, errs)


def test_sutherland():
    t_inf = 288.15
    T = np.array([150.0, 288.15, 400.0, 1000.0])

    def mu_dim(t):  # dimensional Sutherland law, coefficient 1.458e-6 kg/(m s sqrt(K))
        return 1.458e-6 * t**1.5 / (t + 110.4)

    # Same formula rearranged: agreement to a few ulps, 1e-14 relative.
    np.testing.assert_allclose(sutherland(jnp.asarray(T / t_inf), t_inf), mu_dim(T) / mu_dim(t_inf), rtol=1e-14)
    assert float(sutherland(1.0, t_inf)) == pytest.approx(1.0, rel=1e-15)
    assert np.isfinite(jax.grad(sutherland)(1.0, t_inf))
    with pytest.raises(ValueError, match="t_ref_kelvin"):
        sutherland(1.0, -5.0)


def test_shape_errors_name_the_shapes():
    centre = padded_centres(stretched_nodes(4, 3))
    m = metrics(jnp.asarray(stretched_nodes(4, 3)))
    W = np.ones((6, 5, 4))
    with pytest.raises(ValueError, match=r"mu must have shape \(6, 5\)"):
        viscous_fluxes(W, centre, m.si, m.sj, np.ones((4, 3)), np.ones((6, 5)))
    with pytest.raises(ValueError, match=r"si must have shape \(5, 3, 2\)"):
        viscous_fluxes(W, centre, m.sj, m.sj, np.ones((6, 5)), np.ones((6, 5)))
    with pytest.raises(ValueError, match="centre"):
        cell_gradients(W, centre[:-1])


def test_derivatives_match_finite_differences():
    """JVP vs central differences along a random direction in all six array arguments; VJP vs JVP.

    Central differences err by O(h^2) (truncation) + O(eps / h) (rounding); over the sweep 1e-3..1e-6 the
    best step gives ~1e-10 relative on these O(1) quantities, so 1e-8 is a safe bound. The VJP/JVP
    dot-product identity holds to rounding (1e-12).
    """
    nodes = stretched_nodes(5, 4, seed=11)
    centre = padded_centres(nodes)
    rng = np.random.default_rng(12)
    W = np.stack([rng.uniform(0.8, 1.2, centre.shape[:2]), rng.normal(size=centre.shape[:2]),
                  rng.normal(size=centre.shape[:2]), rng.uniform(0.6, 0.9, centre.shape[:2])], axis=-1)
    W[[0, 0, -1, -1], [0, -1, 0, -1]] = np.nan  # unused corners: must not reach any derivative
    m = metrics(jnp.asarray(nodes))
    mu, k = rng.uniform(0.5, 1.5, centre.shape[:2]), rng.uniform(0.5, 1.5, centre.shape[:2])
    args = tuple(map(jnp.asarray, (W, centre, m.si, m.sj, mu, k)))

    @jax.jit
    def f(*a):
        fi, fj = viscous_fluxes(*a)
        return jnp.concatenate([fi.ravel(), fj.ravel()])

    # Geometry directions scaled by 0.01: with h <= 1e-3 centres and normals move by ~1e-5, far below the
    # smallest spacing (0.02), so every perturbed grid stays valid; state directions are O(1).
    dirs = [rng.normal(size=a.shape) * s for a, s in zip(args, (1.0, 0.01, 0.01, 0.01, 1.0, 1.0))]
    dirs = tuple(jnp.asarray(d) for d in dirs)
    y, jvp = jax.jvp(f, args, dirs)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(jvp))
    errs = []
    for h in (1e-3, 1e-4, 1e-5, 1e-6):
        plus = f(*(a + h * d for a, d in zip(args, dirs)))
        minus = f(*(a - h * d for a, d in zip(args, dirs)))
        errs.append(float(jnp.linalg.norm((plus - minus) / (2 * h) - jvp) / jnp.linalg.norm(jvp)))
    assert min(errs) < 1e-8, errs

    ct = jnp.asarray(rng.normal(size=y.shape))
    cotangents = jax.vjp(f, *args)[1](ct)
    for c in cotangents:
        assert np.all(np.isfinite(c))  # NaN corners included: their cotangent is exactly zero
    np.testing.assert_array_equal(cotangents[0][[0, 0, -1, -1], [0, -1, 0, -1]], 0.0)
    lhs = sum(float(jnp.vdot(c, d)) for c, d in zip(cotangents, dirs))
    np.testing.assert_allclose(lhs, float(jnp.vdot(ct, jvp)), rtol=1e-12)


def test_nu_tilde_convection_orders():
    """The scalar upwind flux: first order takes the upwind cell value, MUSCL (scalar_order 2) the exact face
    value of a linear field (the van Albada slope of equal jumps is the jump itself), on either flow direction."""
    from cfdopt.flow.residual import Numerics, _scalar_flux

    q = (2.0 + 0.5 * jnp.arange(10.0))[:, None, None] * jnp.ones((10, 3, 1))  # 6 cells + 2 ghosts each side
    normal = jnp.stack([jnp.ones((7, 3)), jnp.zeros((7, 3))], axis=-1)
    exact = (2.0 + 0.5 * (jnp.arange(7.0) + 1.5))[:, None, None]  # faces between padded cells 1..8
    for m in (1.0, -1.0):
        f_mass = m * jnp.ones((7, 3))
        first = _scalar_flux(f_mass, q, 0, normal, 1e-6, order=1)
        muscl = _scalar_flux(f_mass, q, 0, normal, 1e-6, order=2, limiter="van-albada", eps=0.03, kappa=1 / 3)
        upwind = q[1:8] if m > 0 else q[2:9]
        np.testing.assert_allclose(first, m * upwind, rtol=1e-6)  # |m|_w differs from |m| by 1e-12 here
        np.testing.assert_allclose(muscl, m * exact * jnp.ones((7, 3, 1)), rtol=1e-12)
    assert Numerics().scalar_order == 1
    assert Numerics(nu_tilde_convection="muscl").scalar_order == 2
    with pytest.raises(ValueError, match="nu_tilde_convection"):
        Numerics(nu_tilde_convection="third-order")
