"""Flat-plate grid, wall distance, quality measures, VTU export, picture and the ``cfdopt mesh`` command."""

import jax
import meshio
import numpy as np
import pytest

import cfdopt  # noqa: F401  (float64)
from cfdopt.mesh import cell_quality, flat_plate_grid, generate_cgrid, metrics, quality_report, wall_distance, write_vtu
from mesh_fixtures import CASES, tmr_naca0012_sharp


def test_flat_plate_layout_and_clustering():
    g = flat_plate_grid(ni_plate=48, ni_lead=12, nj=40, wall_spacing=1e-6, le_spacing=1e-3)
    x, y = np.asarray(g.nodes[..., 0]), np.asarray(g.nodes[..., 1])
    assert (g.ni, g.nj, g.n_lead) == (60, 40, 12)
    np.testing.assert_allclose([x.min(), x.max(), y.min(), y.max()], [-0.33333, 2.0, 0.0, 1.0], rtol=0, atol=1e-15)
    assert x[12, 0] == 0.0  # the plate starts at node n_lead
    np.testing.assert_allclose([x[13, 0] - x[12, 0], x[12, 0] - x[11, 0]], 1e-3, rtol=1e-10)
    np.testing.assert_allclose(y[:, 1], 1e-6, rtol=1e-10)
    q = cell_quality(g)
    assert q["skew_deg"].max() < 1e-9  # a Cartesian product grid is orthogonal
    assert np.min(q["area"]) > 0.0


def test_flat_plate_stretching_equals_geometric_ratio():
    g = flat_plate_grid(ni_plate=20, ni_lead=5, nj=30, wall_spacing=1e-4, le_spacing=1e-2)
    y = np.asarray(g.nodes[0, :, 1])
    ratio = (y[2] - y[1]) / (y[1] - y[0])
    np.testing.assert_allclose(cell_quality(g)["stretch_j"], ratio, rtol=1e-9)


def test_wall_distance_flat_plate_is_analytic():
    g = flat_plate_grid(ni_plate=16, ni_lead=6, nj=12, wall_spacing=1e-3, le_spacing=1e-2)
    centre = np.asarray(metrics(g.nodes).centre)
    exact = np.where(centre[..., 0] >= 0.0, centre[..., 1], np.hypot(centre[..., 0], centre[..., 1]))
    np.testing.assert_allclose(np.asarray(wall_distance(g)), exact, rtol=1e-12)


def test_wall_distance_cgrid_matches_brute_force_and_is_differentiable():
    grid = generate_cgrid(tmr_naca0012_sharp(48), 8, 12, farfield=10.0)
    d = np.asarray(wall_distance(grid))
    centre = np.asarray(metrics(grid.nodes).centre).reshape(-1, 2)
    wall = np.asarray(grid.surface)
    # independent: distance to a 200x finer sampling of the same polyline (error <= chord^2-scale sag = 0)
    t = np.linspace(0.0, 1.0, 201)[:-1]
    dense = (wall[:-1, None, :] * (1 - t)[None, :, None] + wall[1:, None, :] * t[None, :, None]).reshape(-1, 2)
    brute = np.min(np.hypot(*(centre[:, None, :] - dense[None, :, :]).transpose(2, 0, 1)), axis=1)
    seg = np.max(np.hypot(*np.diff(wall, axis=0).T))
    assert np.all(d.reshape(-1) <= brute + 1e-15)
    assert np.all(brute - d.reshape(-1) <= seg / 200)  # the fine sampling can only miss by one sample gap
    g = jax.grad(lambda n: wall_distance(type(grid)(n, grid.n_wake)).sum())(grid.nodes)
    assert bool(np.all(np.isfinite(np.asarray(g))))


def test_quality_report_fields():
    report = quality_report(generate_cgrid(tmr_naca0012_sharp(64), 8, 16))
    assert report.valid and report.min_area > 0.0
    assert report.max_skew_deg < 60.0 and report.max_aspect_ratio > 1.0
    text = str(report)
    for word in ("cells", "area", "skew", "stretching", "aspect", "wall spacing"):
        assert word in text


def test_vtu_round_trip(tmp_path):
    grid = generate_cgrid(tmr_naca0012_sharp(32), 4, 6, farfield=10.0)
    area = np.asarray(metrics(grid.nodes).area)
    state = np.random.default_rng(1).normal(size=(grid.ni, grid.nj, 4))
    path = write_vtu(tmp_path / "mesh.vtu", grid, cell_data={"area": area, "state": state})
    mesh = meshio.read(path)
    np.testing.assert_array_equal(mesh.points[:, :2], np.asarray(grid.nodes).reshape(-1, 2))
    quads = mesh.cells_dict["quad"]
    assert quads.shape == (grid.ni * grid.nj, 4)
    np.testing.assert_array_equal(mesh.cell_data["area"][0], area.reshape(-1))
    np.testing.assert_array_equal(mesh.cell_data["state"][0], state.reshape(-1, 4))
    p = mesh.points[quads][..., :2]  # shoelace of each written quad = the cell area in the same order
    sl = 0.5 * np.sum(p[:, :, 0] * np.roll(p[:, :, 1], -1, 1) - np.roll(p[:, :, 0], -1, 1) * p[:, :, 1], axis=1)
    np.testing.assert_allclose(sl, area.reshape(-1), rtol=1e-9, atol=1e-15)


def test_plot_and_command(tmp_path):
    cli = pytest.importorskip("cfdopt.cli")
    code = cli.main(["mesh", str(CASES / "quickstart"), "--out", str(tmp_path), "--quiet",
                     "--set", "mesh.n_airfoil=32", "--set", "mesh.n_wake=4", "--set", "mesh.n_normal=8"])
    assert code == 0
    assert (tmp_path / "mesh.png").stat().st_size > 10_000
    mesh = meshio.read(tmp_path / "mesh.vtu")
    assert mesh.cells_dict["quad"].shape == (40 * 8, 4)
    assert np.min(mesh.cell_data["area"][0]) > 0.0
