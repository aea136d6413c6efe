"""Thickness at stations and area: analytic values, convergence, and derivatives vs finite differences."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import cfdopt  # noqa: F401
from cfdopt.geometry import HicksHenne, area, hicks_henne, load_airfoil, naca4_thickness, thickness_at

# Exact area of the classic NACA 00tt section: 2 * 5t * int_0^1 (0.2969 sqrt(x) - 0.1260 x - 0.3516 x^2
# + 0.2843 x^3 - 0.1015 x^4) dx = 10 t * 0.0685083... (closed form of the polynomial integral).
NACA00_AREA_PER_T = 10.0 * (0.2969 * 2 / 3 - 0.1260 / 2 - 0.3516 / 3 + 0.2843 / 4 - 0.1015 / 5)


def test_area_converges_to_analytic_second_order():
    errors = []
    for n in (101, 201, 401, 801):
        s = jnp.asarray(load_airfoil("naca0012", n_points=n))
        errors.append(abs(float(area(s)) - 0.12 * NACA00_AREA_PER_T))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    # inscribed polygon: error O(h^2) with cosine spacing (sqrt(x) nose is resolved by beta ~ sqrt(x))
    np.testing.assert_allclose(orders, 2.0, atol=0.1)
    assert errors[-1] < 1e-6


def test_area_of_unit_square_and_orientation():
    square = jnp.array([[1.0, 0.5], [0.0, 0.5], [0.0, -0.5], [1.0, -0.5], [1.0, 0.5]])  # TE, upper, lower, TE
    assert float(area(square)) == 1.0
    assert float(area(square[::-1])) == -1.0


def test_thickness_at_matches_formula():
    s = jnp.asarray(load_airfoil("naca0012", n_points=401))
    stations = jnp.array([0.01, 0.1, 0.25, 0.3, 0.5, 0.75, 0.99])
    t = thickness_at(s, stations)
    exact = 2.0 * naca4_thickness(np.asarray(stations), 0.12)
    # linear interpolation error on each surface is at most h^2 max|y_t''| / 8 over the interval; with
    # cosine spacing h = (pi / 200) sin(beta) / 2 and y_t'' dominated by -0.6*0.2969/(4 x^1.5) near the nose.
    # At x = 0.01 that bound is 2 * 1.4e-5 (measured error 2.1e-5); factor 1.5 covers y'' varying in h.
    xs = np.asarray(stations)
    h = (np.pi / 200) * 0.5 * np.sin(np.arccos(1.0 - 2.0 * xs))
    y2 = 0.6 * (0.2969 / 4 * xs**-1.5 + 2 * 0.3516 + 6 * 0.2843 * xs + 12 * 0.1015 * xs**2)
    bound = 1.5 * 2.0 * h**2 * y2 / 8.0
    assert np.all(np.abs(np.asarray(t) - exact) <= bound)
    # a station exactly on a node (x = 0.5 is a data point of both surfaces) gives the nodal value
    assert float(thickness_at(s, jnp.array([0.5]))[0]) == pytest.approx(2 * naca4_thickness(0.5, 0.12), abs=1e-15)
    assert bool(jnp.isnan(thickness_at(s, jnp.array([1.5]))[0]))


def test_thickness_on_cambered_section_and_jit():
    s = jnp.asarray(load_airfoil("naca4:4412", n_points=401))
    t = jax.jit(thickness_at)(s, jnp.array([0.3]))
    # vertical thickness of a cambered section is slightly above 2 y_t (perpendicular construction);
    # at x = 0.3 the camber slope is 0.0625 -> factor ~ 1/cos ~ 1.002
    assert float(t[0]) == pytest.approx(2 * naca4_thickness(0.3, 0.12), rel=5e-3)


def _sweep(f, x, v):
    """Best relative error of central differences over a step sweep vs the JVP of f at x along v."""
    f = jax.jit(f)
    _, jvp = jax.jit(lambda x, v: jax.jvp(f, (x,), (v,)))(x, v)
    best = np.inf
    for h in (1e-2, 1e-3, 1e-4, 1e-5, 1e-6):
        fd = (f(x + h * v) - f(x - h * v)) / (2 * h)
        best = min(best, float(jnp.max(jnp.abs(fd - jvp)) / jnp.max(jnp.abs(jvp))))
    return best


def test_area_and_thickness_gradients_vs_finite_differences():
    base = jnp.asarray(load_airfoil("naca0012-sharp", n_points=121))
    v = jax.random.normal(jax.random.PRNGKey(4), base.shape) * 1e-3
    stations = jnp.array([0.05, 0.33, 0.71])
    # area is quadratic in the points: central differences are exact up to rounding
    assert _sweep(area, base, v) < 1e-9
    # thickness is piecewise linear; the stations lie away from nodes and small steps keep the same
    # segments, so central differences are exact up to rounding there too
    assert _sweep(lambda s: thickness_at(s, stations), base, v) < 1e-8
    # analytic gradient of the shoelace formula: dA/dy_k = (x_{k-1} - x_{k+1}) / 2
    g = jax.grad(area)(base)
    np.testing.assert_allclose(g[:, 1], 0.5 * (jnp.roll(base[:, 0], 1) - jnp.roll(base[:, 0], -1)), atol=1e-15)


def test_constraint_gradients_through_hicks_henne():
    base = jnp.asarray(load_airfoil("naca0012-sharp", n_points=121))
    params = HicksHenne.spaced(4)
    d0 = 1e-3 * jax.random.normal(jax.random.PRNGKey(5), (params.n_design,))
    v = jax.random.normal(jax.random.PRNGKey(6), (params.n_design,))

    @jax.jit
    def constraints(d):
        surface = hicks_henne(base, d, params)
        return jnp.concatenate([area(surface)[None], thickness_at(surface, jnp.array([0.2, 0.6]))])

    assert _sweep(constraints, d0, v) < 1e-8  # linear in d: rounding only
    jac = jax.jacrev(constraints)(d0)
    assert jac.shape == (3, params.n_design) and bool(jnp.all(jnp.isfinite(jac)))
    # a positive upper bump thickens, a positive lower bump thins (both move +y)
    assert float(jac[0, 0]) > 0 and float(jac[0, 4]) < 0
