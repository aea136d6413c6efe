"""Trailing-edge closure and spline re-sampling with edge clustering."""

from pathlib import Path

import numpy as np
import pytest

import cfdopt  # noqa: F401
from cfdopt.geometry import close_trailing_edge, load_airfoil, naca4_surface, naca4_thickness, resample_surface, vinokur

CASE_DIR = Path(__file__).resolve().parents[1] / "cases" / "rae2822"


def test_close_trailing_edge_symmetric_blend():
    s = naca4_surface("0012", 101)
    c = close_trailing_edge(s)
    np.testing.assert_array_equal(c[0], c[-1])
    np.testing.assert_array_equal(c[0], [1.0, 0.0])
    # documented blend: y -+ x h/2 on each surface, h = 0.00252; LE untouched
    h = s[0, 1] - s[-1, 1]
    np.testing.assert_allclose(c[:51, 1], s[:51, 1] - 0.5 * h * s[:51, 0], atol=1e-16)
    np.testing.assert_allclose(c[50:, 1], s[50:, 1] + 0.5 * h * s[50:, 0], atol=1e-16)
    np.testing.assert_array_equal(c[:, 0], s[:, 0])
    closed = load_airfoil("naca0012-sharp")
    np.testing.assert_array_equal(close_trailing_edge(closed), closed)


@pytest.mark.parametrize("spec", ["naca0012", "naca0012-sharp", "naca4:4412", "rae2822.dat"])
@pytest.mark.parametrize("n_cells", [64, 256])
def test_resample_layout(spec, n_cells):
    s = close_trailing_edge(load_airfoil(spec, CASE_DIR))
    r = resample_surface(s, n_cells)
    assert r.shape == (n_cells + 1, 2)
    np.testing.assert_array_equal(r[0], r[-1])
    np.testing.assert_array_equal(r[0], s[0])
    le = n_cells // 2
    assert np.argmin(r[:, 0]) == le
    assert np.all(np.diff(r[: le + 1, 0]) < 0) or spec == "naca4:4412"  # cambered nose turns back
    seg = np.linalg.norm(np.diff(r, axis=0), axis=1)
    assert np.all(seg > 0)
    # clustered: the edge cells are the smallest, mid-surface cells the largest
    assert seg[0] < seg[le // 2] and seg[le - 1] < seg[le // 2] and seg[-1] < seg[le + le // 2]


def _section_error(n_points):
    s = load_airfoil("naca0012-sharp", n_points=n_points)
    r = resample_surface(s, 300)
    return np.max(np.abs(np.abs(r[:, 1]) - naca4_thickness(np.clip(r[:, 0], 0, 1), 0.12, "sharp")))


def test_resampled_points_converge_to_the_analytic_section():
    # New points must satisfy |y| = y_t(x). The largest error sits at the sqrt(x) nose; a cubic spline
    # in chord length converges at least at third order there (we measure ratios ~9-10 per doubling:
    # 1.2e-5, 1.2e-6, 1.5e-7 for 121/241/481 points). Bound: observed order > 2.5, and < 2e-6 at 241.
    errors = [_section_error(n) for n in (121, 241, 481)]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(orders > 2.5), (errors, orders)
    assert errors[1] < 2e-6


def _true_min_x_naca4412():
    x = np.linspace(0.0, 0.01, 2_000_001)
    theta = np.arctan(2 * 0.04 / 0.4**2 * (0.4 - x))
    return np.min(x - naca4_thickness(x, 0.12) * np.sin(theta))  # x_u = x - y_t sin(theta)


def test_leading_edge_found_on_spline_not_data():
    # NACA 4412: the true minimum of x (-3.0e-4) is on the upper surface just behind the nose, between
    # data points. The spline's minimum converges to it far faster than the nearest data point does
    # (measured errors 2.3e-5, 1.6e-6, 5.8e-8 for 61/121/241 points; data points 3.0e-4 ... 1.7e-5).
    x_min = _true_min_x_naca4412()
    errors = []
    for n in (61, 121, 241):
        coarse = load_airfoil("naca4:4412", n_points=n)
        r = resample_surface(coarse, 128)
        assert np.argmin(r[:, 0]) == 64
        errors.append(abs(r[64, 0] - x_min))
        assert errors[-1] < 0.1 * (np.min(coarse[:, 0]) - x_min)
    assert errors[0] > errors[1] > errors[2] and errors[2] < 2e-7


@pytest.mark.parametrize("le, te", [(1e-3, 5e-4), (2e-4, 2e-3), (None, 1e-3), (5e-3, None)])
def test_requested_edge_spacings(le, te):
    s = load_airfoil("rae2822.dat", CASE_DIR)
    r = resample_surface(s, 200, le_spacing=le, te_spacing=te)
    arc = np.linalg.norm(np.diff(r, axis=0), axis=1)  # chords of spline arcs ~ arc length
    for value, cells in ((le, (arc[99], arc[100])), (te, (arc[0], arc[-1]))):
        if value is not None:
            # spacing is prescribed in arc length; a chord of a small arc is shorter by O(kappa^2 ds^3),
            # which at the nose (radius ~0.008) and ds = 5e-3 is 1.6e-2 relative
            np.testing.assert_allclose(cells, value, rtol=2e-2)


def test_vinokur_hits_both_ends():
    for ds0, ds1 in ((1e-4, 1e-2), (0.02, 0.001), (0.008, 0.012), (0.05, 0.05)):
        s = vinokur(100, ds0, ds1)
        assert np.all(np.diff(s) > 0)
        assert s[1] - s[0] == pytest.approx(ds0, rel=1e-9)
        assert s[-1] - s[-2] == pytest.approx(ds1, rel=1e-9)


def test_resample_rejects_bad_arguments():
    s = load_airfoil("naca0012")
    with pytest.raises(ValueError, match="n_cells=33"):
        resample_surface(s, 33)
    with pytest.raises(ValueError, match="le_spacing=-1"):
        resample_surface(s, 32, le_spacing=-1.0)
    with pytest.raises(ValueError, match="do not fit"):
        resample_surface(s, 32, le_spacing=0.6, te_spacing=0.6)
