"""C-grid generation: validity, exact tiling, boundary placement, spacing and metrics invariants."""

import numpy as np
import pytest

import cfdopt  # noqa: F401  (float64)
from cfdopt.util.errors import MeshError
from cfdopt.mesh import CGrid, cell_quality, generate_cgrid, geometric_distances, metrics, quality_report
from mesh_fixtures import bundled_surface, shoelace, tmr_naca0012_sharp

AIRFOILS = ["naca0012-sharp", "naca0012-closed", "rae2822"]
RESOLUTIONS = [(64, 8, 16, 1e-3), (128, 32, 48, 1e-3), (256, 64, 64, 1e-6)]


def test_geometric_distances_sum_and_constant_ratio():
    d = geometric_distances(1e-3, 100.0, 64)
    steps = np.diff(d)
    assert d[0] == 0.0 and d[-1] == 100.0
    np.testing.assert_allclose(steps[0], 1e-3, rtol=1e-12)  # bisection to 2^-80 in log r
    np.testing.assert_allclose(steps[1:] / steps[:-1], steps[1] / steps[0], rtol=1e-10)
    d = geometric_distances(0.5, 1.0, 4)  # n * first > length: ratio below one
    assert np.all(np.diff(np.diff(d)) < 0)


@pytest.mark.parametrize("name", AIRFOILS)
@pytest.mark.parametrize("n_airfoil, n_wake, n_normal, wall_spacing", RESOLUTIONS)
def test_all_cell_areas_positive(name, n_airfoil, n_wake, n_normal, wall_spacing):
    grid = generate_cgrid(bundled_surface(name, n_airfoil), n_wake, n_normal, wall_spacing=wall_spacing)
    assert (grid.ni, grid.nj, grid.n_airfoil) == (n_airfoil + 2 * n_wake, n_normal, n_airfoil)
    assert float(np.min(metrics(grid.nodes).area)) > 0.0


@pytest.mark.parametrize("name", ["tmr", "rae2822"])
def test_areas_tile_domain_minus_airfoil(name):
    surface = tmr_naca0012_sharp(96) if name == "tmr" else bundled_surface(name, 96)
    radius = 5.0  # a small far field so that the airfoil area is not lost in the domain's roundoff
    grid = generate_cgrid(surface, 16, 24, farfield=radius)
    nodes = np.asarray(grid.nodes)
    # outer boundary: far-field C (i increasing), upper outflow line down, lower outflow line up
    loop = np.concatenate([nodes[:, -1], nodes[-1, -2:0:-1], nodes[0, :-1]], axis=0)
    domain = -shoelace(loop)  # the C runs clockwise round the domain
    airfoil = shoelace(surface)
    total = float(np.sum(metrics(grid.nodes).area))
    # cells tile the region exactly; only summation roundoff (~N eps) remains
    assert abs(total - (domain - airfoil)) <= 1e-12 * domain
    # independent check of the outer polygon against the exact D-shaped domain (2 + pi/2) R^2:
    # with the two circle/line corners inserted, the polygon lies inside the exact boundary by at most
    # the circular caps cut off by its chords of the half circle
    te = nodes[grid.n_wake, 0]
    outer = nodes[:, -1]
    on_circle = outer[:, 0] <= te[0] + 1e-12
    first, last = np.flatnonzero(on_circle)[[0, -1]]
    corner_lo, corner_hi = te + np.array([0.0, -radius]), te + np.array([0.0, radius])
    circle = np.concatenate([corner_lo[None], outer[first : last + 1], corner_hi[None]], axis=0)
    polygon = np.concatenate([outer[:first], circle, outer[last + 1 :], nodes[-1, -2:0:-1], nodes[0, :-1]])
    dtheta = np.abs(np.diff(np.unwrap(np.arctan2(*(circle - te[None, :]).T[::-1]))))
    caps = np.sum(0.5 * radius**2 * (dtheta - np.sin(dtheta)))
    exact = (2.0 + 0.5 * np.pi) * radius**2
    assert -1e-12 * exact <= exact - (-shoelace(polygon)) <= caps + 1e-12 * exact


def test_boundaries_wall_cut_and_far_field():
    surface = tmr_naca0012_sharp(128)
    radius = 100.0
    grid = generate_cgrid(surface, 24, 40, farfield=radius, wall_spacing=1e-5)
    nodes = np.asarray(grid.nodes)
    np.testing.assert_array_equal(np.asarray(grid.surface), surface[::-1])
    ni, nw = grid.ni, grid.n_wake
    np.testing.assert_array_equal(nodes[: nw + 1, 0], nodes[ni - nw :, 0][::-1])
    te = surface[0]
    outer = nodes[:, -1] - te[None, :]
    line = outer[:, 0] > 0.0  # the outer C is the half circle for x <= x_te, the lines y = y_te -+ R after
    np.testing.assert_allclose(np.hypot(*outer[~line].T), radius, rtol=1e-13)
    np.testing.assert_allclose(np.abs(outer[line, 1]), radius, rtol=1e-13)
    np.testing.assert_allclose(nodes[[0, -1], :, 0], te[0] + radius, rtol=1e-13)
    first = np.hypot(*(nodes[:, 1] - nodes[:, 0]).T)
    np.testing.assert_allclose(first, 1e-5, rtol=1e-10)


def test_near_wall_orthogonal_and_smooth():
    grid = generate_cgrid(bundled_surface("rae2822", 192), 32, 64, wall_spacing=1e-6)
    report = quality_report(grid)
    # with first cells 1e-6 high and blending over ~3 surface spacings the lines leave the wall
    # along the normal up to O(1e-6 / 1e-3) rad of bending
    assert report.max_wall_skew_deg < 0.5
    assert report.min_area > 0.0
    q = cell_quality(grid)
    assert q["stretch_j"].max() < 1.35  # geometric growth 1e-6 -> 100 chords over 64 cells: r ~ 1.30
    assert "skew" in str(report) and "valid" in str(report)


def test_face_normals_close_every_cell_and_match_area():
    grid = generate_cgrid(tmr_naca0012_sharp(64), 8, 16, farfield=20.0)
    m = metrics(grid.nodes)
    si, sj = np.asarray(m.si), np.asarray(m.sj)
    closure = si[1:] - si[:-1] + sj[:, 1:] - sj[:, :-1]
    scale = np.max(np.abs(si))
    assert np.max(np.abs(closure)) <= 1e-14 * scale
    # divergence theorem: area = 1/2 sum over faces of (face midpoint . outward normal)
    nodes = np.asarray(grid.nodes)
    mi = 0.5 * (nodes[:, 1:] + nodes[:, :-1])
    mj = 0.5 * (nodes[1:, :] + nodes[:-1, :])
    flux_i = np.sum(mi * si, axis=-1)
    flux_j = np.sum(mj * sj, axis=-1)
    area = 0.5 * (flux_i[1:] - flux_i[:-1] + flux_j[:, 1:] - flux_j[:, :-1])
    np.testing.assert_allclose(np.asarray(m.area), area, rtol=1e-9, atol=1e-13 * 20.0**2)


def test_cgrid_is_a_pytree_and_bad_inputs_raise():
    import jax

    grid = generate_cgrid(tmr_naca0012_sharp(32), 4, 8, farfield=10.0)
    leaves, tree = jax.tree_util.tree_flatten(grid)
    assert len(leaves) == 1 and isinstance(jax.tree_util.tree_unflatten(tree, leaves), CGrid)
    open_te = tmr_naca0012_sharp(32)
    open_te[0, 1] += 1e-3
    with pytest.raises(MeshError, match="trailing edge is open"):
        generate_cgrid(open_te, 4, 8)
    with pytest.raises(MeshError, match="Selig order"):
        generate_cgrid(tmr_naca0012_sharp(32)[::-1], 4, 8)
