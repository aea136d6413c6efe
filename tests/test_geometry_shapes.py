"""Hicks-Henne and CST parametrizations: exact zero design, locality, fits, derivatives."""

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import cfdopt  # noqa: F401
from cfdopt.geometry import (
    CstParams,
    HicksHenne,
    class_function,
    close_trailing_edge,
    cst_shape,
    cst_surface,
    fit_cst,
    hicks_henne,
    load_airfoil,
    resample_surface,
)

CASE_DIR = Path(__file__).resolve().parents[1] / "cases" / "rae2822"


def _baseline(spec="naca0012", n_cells=128):
    return jnp.asarray(resample_surface(close_trailing_edge(load_airfoil(spec, CASE_DIR)), n_cells))


# ----------------------------------------------------------------------------- Hicks-Henne


def test_hicks_henne_zero_design_is_baseline_exactly():
    base = _baseline()
    params = HicksHenne.spaced(6)
    zero = jnp.zeros(params.n_design)
    np.testing.assert_array_equal(hicks_henne(base, zero, params), base)
    np.testing.assert_array_equal(jax.jit(hicks_henne, static_argnums=2)(base, zero, params), base)


@pytest.mark.parametrize("k", range(8))
def test_hicks_henne_bump_stays_on_its_surface(k):
    base = _baseline(n_cells=96)
    params = HicksHenne((0.05, 0.2, 0.5, 0.8), (0.1, 0.3, 0.6, 0.9), width=3.0)
    design = jnp.zeros(8).at[k].set(0.01)
    moved = np.asarray(hicks_henne(base, design, params)) - np.asarray(base)
    le = 48
    own, other = (slice(1, le), slice(le + 1, -1)) if k < 4 else (slice(le + 1, -1), slice(1, le))
    assert np.all(moved[:, 0] == 0.0)  # vertical displacement only
    assert np.all(moved[other, 1] == 0.0)
    assert np.all(moved[[0, le, -1], 1] == 0.0)  # TE and LE fixed
    assert np.max(moved[own, 1]) > 0.005  # the bump peaks at 0.01 near its own station
    peaks = params.upper_peaks + params.lower_peaks
    i_peak = np.argmax(moved[:, 1])
    assert abs(float(base[i_peak, 0]) - peaks[k]) < 0.05


def test_hicks_henne_validation():
    with pytest.raises(ValueError, match=r"upper_peaks must lie strictly inside \(0, 1\), got \[1.0\]"):
        HicksHenne((0.5, 1.0), (0.5,))
    with pytest.raises(ValueError, match="width=0"):
        HicksHenne((0.5,), (0.5,), width=0)
    with pytest.raises(ValueError, match=r"expected \(2,\)"):
        hicks_henne(_baseline(), jnp.zeros(3), HicksHenne((0.5,), (0.5,)))


def _fd_check(shape_fn, base, design, direction):
    """Central finite differences over a step sweep against the JVP (returns the best relative error)."""
    shape_fn = jax.jit(shape_fn)
    _, jvp = jax.jvp(lambda d: shape_fn(base, d), (design,), (direction,))
    errors = []
    for h in (1e-3, 1e-4, 1e-5, 1e-6):
        fd = (shape_fn(base, design + h * direction) - shape_fn(base, design - h * direction)) / (2 * h)
        errors.append(float(jnp.max(jnp.abs(fd - jvp)) / jnp.max(jnp.abs(jvp))))
    return min(errors), jvp


def test_hicks_henne_jvp_matches_finite_differences():
    base = _baseline()
    params = HicksHenne.spaced(5, width=2.5)
    key = jax.random.PRNGKey(0)
    design = 0.003 * jax.random.normal(key, (params.n_design,))
    direction = jax.random.normal(jax.random.PRNGKey(1), (params.n_design,))
    err, jvp = _fd_check(lambda b, d: hicks_henne(b, d, params), base, design, direction)
    # hicks_henne is linear in design: FD is exact up to rounding (~1e-16 / h)
    assert err < 1e-9
    assert bool(jnp.all(jnp.isfinite(jax.jacfwd(lambda d: hicks_henne(base, d, params))(design))))


# ----------------------------------------------------------------------------- CST


@pytest.mark.parametrize(
    "spec, order, bound",
    [
        # measured max vertical errors (chords) on the 201-point sections / the 129-point RAE file:
        ("naca0012", 8, 9.0e-5),  # 8.96e-5 (order 6: 1.35e-4)
        ("naca0012-sharp", 8, 9.0e-5),  # 8.80e-5
        ("rae2822.dat", 8, 1.1e-4),  # 1.04e-4 (order 6: 2.16e-4, order 5: 4.53e-4)
        ("rae2822.dat", 6, 2.2e-4),
    ],
)
def test_cst_fit_error(spec, order, bound):
    surface = load_airfoil(spec, CASE_DIR)
    weights, error = fit_cst(surface, order)
    assert weights.shape == (2, order + 1)
    assert error < 5e-4  # issue 3 requirement at order <= 8
    assert error < bound  # the measured value above, so regressions show
    # the reported error is the real one: re-evaluate independently at the data points
    i_le = int(np.argmin(surface[:, 0]))
    up, lo = surface[: i_le + 1], surface[i_le:]
    te = surface[0, 1] - surface[-1, 1]
    y_u, y_l = cst_surface(jnp.asarray(up[:, 0]), jnp.asarray(lo[:, 0]), weights[0], weights[1], te_thickness=te)
    measured = max(np.max(np.abs(np.asarray(y_u) - up[:, 1])), np.max(np.abs(np.asarray(y_l) - lo[:, 1])))
    assert measured == pytest.approx(error, rel=1e-9)


def test_cst_symmetric_section_has_antisymmetric_weights():
    weights, _ = fit_cst(load_airfoil("naca0012-sharp"), 6)
    np.testing.assert_allclose(weights[1], -weights[0], atol=1e-12)
    # Kulfan: leading-edge radius r = w_0^2 / 2; NACA 0012 r_LE = 1.1019 t^2 = 0.01587 (Abbott & von
    # Doenhoff sec. 6.4), divided by 1.00893 for the TMR rescaling. The NACA shape function contains
    # sqrt(x) terms that Bernstein polynomials resolve slowly at x = 0, so w_0 converges slowly with the
    # order: measured 6.4 % low at order 6, 3.8 % at 12. Bounds: 8 %, and closer at order 12.
    r_le = 1.1019 * 0.12**2 / 1.008930411365
    w12, _ = fit_cst(load_airfoil("naca0012-sharp"), 12)
    assert 0.5 * weights[0, 0] ** 2 == pytest.approx(r_le, rel=0.08)
    assert abs(0.5 * w12[0, 0] ** 2 - r_le) < abs(0.5 * weights[0, 0] ** 2 - r_le)


@pytest.mark.parametrize("keep", [True, False])
def test_cst_zero_design(keep):
    base = _baseline("rae2822.dat")
    params = CstParams.fit(base, 8, keep_fit_residual=keep)
    zero = jnp.zeros(params.n_design)
    out = cst_shape(base, zero, params)
    if keep:
        np.testing.assert_array_equal(out, base)
        np.testing.assert_array_equal(jax.jit(cst_shape)(base, zero, params), base)
    else:
        xc = jnp.clip(base[:, 0], 0.0, 1.0)
        y_u, y_l = cst_surface(xc, xc, params.weights[0], params.weights[1], te_thickness=params.te_thickness)
        expected = jnp.where(jnp.arange(base.shape[0]) <= 64, y_u, y_l)
        np.testing.assert_array_equal(out[:, 1], expected)  # the fitted surface exactly
        np.testing.assert_array_equal(out[:, 0], base[:, 0])
        assert float(jnp.max(jnp.abs(out - base))) <= params.fit_error * 1.5 + 1e-6


def test_cst_shape_jvp_and_le_te_fixed():
    base = _baseline("rae2822.dat")
    params = CstParams.fit(base, 6)
    design = 0.01 * jax.random.normal(jax.random.PRNGKey(2), (params.n_design,))
    direction = jax.random.normal(jax.random.PRNGKey(3), (params.n_design,))
    err, jvp = _fd_check(lambda b, d: cst_shape(b, d, params), base, design, direction)
    assert err < 1e-9  # linear in the weights
    np.testing.assert_array_equal(np.asarray(jvp)[[0, 64, -1]], 0.0)  # C(0) = C(1) = 0: LE and TE fixed
    assert bool(jnp.all(jnp.isfinite(jax.jacrev(lambda d: cst_shape(base, d, params))(design))))


def test_class_function_gradient_finite_at_ends():
    x = jnp.array([0.0, 1e-8, 0.5, 1.0])
    g = jax.vmap(jax.grad(class_function))(x)
    assert bool(jnp.all(jnp.isfinite(g)))
    np.testing.assert_array_equal(np.asarray(g)[[0, 3]], 0.0)  # masked (the true slope is infinite / -1)
    assert float(g[2]) == pytest.approx(0.5 * 0.5**-0.5 * 0.5 - 0.5**0.5, rel=1e-14)


@pytest.mark.parametrize("name, n", [("hicks-henne", 6), ("cst", 5), ("none", 0)])
def test_build_shape(name, n):
    from cfdopt.geometry import build_shape

    base = _baseline("rae2822.dat", 64)
    shape, params, n_design = build_shape(name, base, n_bumps=n, cst_order=n)
    expected = {"hicks-henne": 2 * n, "cst": 2 * (n + 1), "none": 0}[name]
    assert n_design == expected
    np.testing.assert_array_equal(jax.jit(shape)(base, jnp.zeros(n_design)), base)
    with pytest.raises(ValueError, match="expected one of"):
        build_shape("bezier", base)


def test_hicks_henne_bump_shape():
    from cfdopt.geometry import hicks_henne_bump

    x = jnp.array([0.0, 0.3, 1.0])
    b = hicks_henne_bump(x, 0.3, 3.0)
    np.testing.assert_allclose(b, [0.0, 1.0, 0.0], atol=1e-15)  # sin(pi 0.5)^t = 1 at the peak
    assert bool(jnp.all(jnp.isfinite(jax.vmap(jax.grad(lambda v: hicks_henne_bump(v, 0.3, 3.0)))(x))))


def test_even_bump_spacing_is_su2s():
    """SU2's airfoil tutorials place 19 bumps per surface at x = 0.05, 0.10, ..., 0.95, the default placement; beyond
    19 bumps "even" spreads them from 0.05 to 0.95; cosine spacing puts the first at (1 - cos(pi/20))/2 = 0.00616."""
    np.testing.assert_allclose(HicksHenne.spaced(19).upper_peaks, np.arange(1, 20) * 0.05, rtol=0, atol=1e-15)
    assert HicksHenne.spaced(19, "even") == HicksHenne.spaced(19)
    assert HicksHenne.spaced(4).upper_peaks == (0.2, 0.4, 0.6, 0.8)
    wide = HicksHenne.spaced(30).upper_peaks
    assert wide[0] == pytest.approx(0.05, abs=1e-15) and wide[-1] == pytest.approx(0.95, abs=1e-15)
    np.testing.assert_allclose(np.diff(wide), 0.9 / 29, rtol=1e-12)
    assert HicksHenne.spaced(19, "cosine").lower_peaks[0] == pytest.approx(0.0061558, abs=1e-7)
    with pytest.raises(ValueError, match="spacing"):
        HicksHenne.spaced(3, "chebyshev")
