"""Viscous (RANS) C-grids: y+ wall spacing, boundary-layer growth, smooth surface and wake spacing, TE wake cut.

The reference grid is the RANS NACA 0012 layout of the TMR 225x65 level (160 airfoil cells, 2 x 32 wake
cells, 64 normal, far field 500 chords) at Re = 6e6; RAE 2822 adds camber (a TE bisector off the x axis).
"""

import dataclasses
from types import SimpleNamespace

import jax.numpy as jnp
import numpy as np
import pytest

import cfdopt  # noqa: F401  (float64)
from cfdopt.util.errors import MeshError
from cfdopt.geometry import close_trailing_edge, load_airfoil, resample_surface
from cfdopt.mesh import deform_checked, flat_plate_grid, generate_cgrid, quality_report
from cfdopt.mesh.cgrid import (
    ViscousSpacing,
    cgrid_from_config,
    surface_for_grid,
    te_bisector,
    wall_spacing_for_yplus,
)
from cfdopt.mesh.coarsen import can_coarsen, coarsen
from cfdopt.mesh.quality import cell_quality
from cfdopt.mesh.spacing import floor_steps, geometric_distances, layer_cells, ramped_distances
from mesh_fixtures import CASES, tmr_naca0012_sharp

RULES = ViscousSpacing()
RE = 6e6


def mesh_cfg(**kw):
    base = dict(n_airfoil=160, n_wake=32, n_normal=64, farfield=500.0, wall_spacing=None, le_spacing=None,
                te_spacing=None)
    return SimpleNamespace(**{**base, **kw})


def raw_surface(name):
    spec = {"rae2822": "rae2822.dat"}.get(name, name)
    return close_trailing_edge(load_airfoil(spec, CASES / "rae2822"))


@pytest.fixture(scope="module", params=["naca0012-sharp", "rae2822"])
def rans(request):
    return request.param, cgrid_from_config(raw_surface(request.param), mesh_cfg(), reynolds=RE)


def steps_along_lines(nodes):
    """Node-to-node step lengths ``(ni+1, nj)`` along every line i."""
    return np.hypot(*np.diff(nodes, axis=1).transpose(2, 0, 1))


def wall_cells(grid):
    nodes = np.asarray(grid.nodes)
    return np.hypot(*np.diff(nodes[:, 0], axis=0).T)  # (ni,) cells along j = 0


# ---------------------------------------------------------------- spacing formulas


def test_wall_spacing_for_yplus_hand_calculation():
    # Re = 6e6: Re^(1/7) = exp(15.60727 / 7) = 9.29620; Cf = 0.026 / 9.29620 = 2.79685e-3;
    # u_tau = sqrt(Cf / 2) = 0.0373955; dy = 1 / (6e6 * 0.0373955) = 4.45687e-6 (six digits by hand)
    assert wall_spacing_for_yplus(6e6) == pytest.approx(4.45687e-6, rel=2e-6)
    # dy is linear in y+, and u_tau ~ Re_x^(-1/14) makes it grow as x_ref^(1/14)
    assert wall_spacing_for_yplus(6e6, y_plus=2.0) == pytest.approx(2 * wall_spacing_for_yplus(6e6), rel=1e-14)
    ratio = wall_spacing_for_yplus(6e6, x_ref=0.1) / wall_spacing_for_yplus(6e6)
    assert ratio == pytest.approx(0.1 ** (1 / 14), rel=1e-13)
    with pytest.raises(ValueError, match="positive"):
        wall_spacing_for_yplus(-1.0)


def test_ramped_distances_layer_then_constant_ratio_of_ratios():
    first, length, n, growth = 4.5e-6, 500.0, 64, 1.15
    n_layer = layer_cells(first, length, n, growth, layer=0.02, max_ramp=1.1)
    d = ramped_distances(first, length, n, growth, n_layer)
    steps = np.diff(d)
    ratio = steps[1:] / steps[:-1]
    assert d[0] == 0.0 and d[-1] == length
    # the rescaling to the exact length divides by a sum that the bisection (100 halvings) matched to round-off
    np.testing.assert_allclose(steps[0], first, rtol=1e-12)
    np.testing.assert_allclose(ratio[: n_layer - 1], growth, rtol=1e-12)
    # 0.02 chords need ceil(log(1 + 0.02 * 0.15 / 4.5e-6) / log(1.15)) = 47 steps; the ramp then needs e^c < 1.1
    assert n_layer == 47 and d[n_layer] >= 0.02
    ramp = ratio[n_layer - 1 :]
    np.testing.assert_allclose(ramp[1:] / ramp[:-1], ramp[1] / ramp[0], rtol=1e-10)
    assert 1.0 < ramp[1] / ramp[0] <= 1.1
    # a line the geometric layer already spans: constant ratio below growth (geometric_distances)
    short = ramped_distances(1e-3, 0.5, 32, 1.15, 10)  # 1.15 over 32 steps would reach 0.58
    r = np.diff(short)[1:] / np.diff(short)[:-1]
    assert short[-1] == 0.5 and np.all(r < 1.15) and np.ptp(r) < 1e-10
    with pytest.raises(MeshError, match="cannot reach"):  # all steps in the layer: nothing left to ramp
        ramped_distances(1e-5, 100.0, 10, 1.15, 10)


# ---------------------------------------------------------------- the viscous grid


def test_first_cell_from_reynolds_and_boundary_layer_growth(rans):
    _, grid = rans
    nodes = np.asarray(grid.nodes)
    steps = steps_along_lines(nodes)
    # lines leave the wall along the normal; node (i, 1) is exactly s_1 from node (i, 0)
    np.testing.assert_allclose(steps[:, 0], wall_spacing_for_yplus(RE), rtol=1e-10)
    growth = steps[:, 1:] / steps[:, :-1]
    inside = np.cumsum(steps, axis=1)[:, 1:] <= RULES.layer
    # the distances along each line grow by exactly 1.15 in the layer; measured node to node, lines that
    # bend from the normal towards the far field within a few surface spacings (<= 1.2e-3 chords) make
    # steps up to 0.4 % unequal (measured max 1.1532 / 1.1540 for NACA 0012 / RAE 2822): 1 % tolerance
    assert growth[inside].max() <= 1.15 * 1.01
    assert np.all(inside[:, :40])  # the layer spans more than 40 steps on every line
    report = quality_report(grid)
    assert report.max_growth_layer == pytest.approx(growth[inside].max(), rel=1e-12)
    assert report.valid and report.min_area > 0.0


def test_growth_beyond_the_layer_is_smooth(rans):
    _, grid = rans
    steps = steps_along_lines(np.asarray(grid.nodes))
    growth = steps[:, 1:] / steps[:, :-1]
    # on the distances the ratio of consecutive growth ratios is 1 in the layer and e^c <= max_ramp = 1.1
    # beyond it; at the layer's edge it jumps by e^c at most. Node-to-node steps on bending lines add
    # the 0.3 % above to each ratio, so 1.1 * 1.01 bounds it on the grid.
    rr = growth[:, 1:] / growth[:, :-1]
    assert np.max(np.maximum(rr, 1 / rr)) <= RULES.max_ramp * 1.01
    assert np.all(growth <= 3.5)  # e.g. 3.26: the far-field end of 64 cells from 4.5e-6 to 500 chords


def test_surface_spacing_without_jumps(rans):
    _, grid = rans
    cells = wall_cells(grid)
    nw, ni = grid.n_wake, grid.ni
    wall = cells[nw : ni - nw]
    ratio = wall[1:] / wall[:-1]
    # resample_surface(max_ratio=1.2) bounds the chords of the output itself (its bisection keeps the
    # feasible end), and those are the wall nodes unchanged: round-off only
    assert np.max(np.maximum(ratio, 1 / ratio)) <= RULES.surface_ratio * (1 + 1e-12) < 1.3
    # across the TE: the first wake cell is the mean of the two TE cells, which are both Vinokur's TE
    # spacing in spline arc length; their chords differ by O(curvature^2 h^3): measured 3.5e-6 (RAE 2822)
    for wake, surface in ((cells[nw - 1], cells[nw]), (cells[ni - nw], cells[ni - nw - 1])):
        assert abs(wake / surface - 1.0) < 1e-4
    report = quality_report(grid)
    assert report.max_surface_ratio <= RULES.surface_ratio * (1 + 1e-12)
    assert report.te_junction_ratio < 1.0 + 1e-4


def test_wake_spacing_starts_at_the_te_spacing_and_grows_smoothly(rans):
    _, grid = rans
    cells = wall_cells(grid)
    nw, ni = grid.n_wake, grid.ni
    wake = cells[:nw][::-1]  # from the TE to the outflow, lower branch
    np.testing.assert_array_equal(wake, cells[ni - nw :])  # both branches are the same cells
    te = 0.5 * (cells[nw] + cells[ni - nw - 1])
    # the first cell is h cos(theta) in x along a curve of slope ~tan(theta): its chord is h up to the
    # curve's bending over one cell, ~ sin^2(theta) h / (2 wake_turn) relative (< 1e-5)
    np.testing.assert_allclose(wake[0], te, rtol=1e-5)
    ratio = wake[1:] / wake[:-1]
    assert np.all(ratio[:5] <= 1.2)  # the first cells grow by wake_growth = 1.15
    rr = ratio[1:] / ratio[:-1]
    # ratios grow by at most max_ramp per cell; the chord/x factor sqrt(1 + y'^2) varies by < 1e-4 per cell
    assert np.all(rr >= 1.0 - 1e-4) and np.all(rr <= RULES.max_ramp * (1 + 1e-4))
    report = quality_report(grid)
    assert report.wake_first == pytest.approx(wake[0], rel=1e-14)
    assert report.max_wake_ratio == pytest.approx(ratio.max(), rel=1e-12)


def test_wake_cut_leaves_along_the_te_bisector(rans):
    name, grid = rans
    nodes = np.asarray(grid.nodes)
    nw, ni = grid.n_wake, grid.ni
    theta = te_bisector(np.asarray(grid.surface))
    first = nodes[nw - 1, 0] - nodes[nw, 0]
    # y = tan(theta) L (1 - exp(-x/L)): the chord of the first cell turns from the tangent by
    # ~ x / (2 L) sin(theta) cos(theta) rad (1.5e-3 deg for RAE 2822, 0 for NACA 0012); allow twice that
    bend = first[0] / (2 * RULES.wake_turn) * abs(np.sin(theta) * np.cos(theta))
    assert abs(np.arctan2(first[1], first[0]) - theta) <= 2 * bend + 1e-12
    if name == "rae2822":
        assert np.degrees(theta) < -5.0  # the cambered TE points down: a real test of the direction
    last = nodes[0, 0] - nodes[1, 0]
    assert abs(last[1] / last[0]) < 1e-12  # the wake has turned to +x long before the outflow
    np.testing.assert_allclose(nodes[[0, -1], 0, 0], nodes[nw, 0, 0] + 500.0, rtol=1e-14)


def test_rotated_section_wake_follows_its_bisector():
    # a symmetric section pitched nose-up by 6 deg about its TE: its bisector is exactly -6 deg
    angle = np.radians(6.0)
    s = resample_surface(raw_surface("naca0012-sharp"), 96, max_ratio=1.2) - np.array([1.0, 0.0])
    rot = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
    s = s @ rot.T + np.array([1.0, 0.0])
    grid = generate_cgrid(s, 16, 32, farfield=50.0, wall_spacing=1e-5, viscous=RULES)
    nodes = np.asarray(grid.nodes)
    first = nodes[grid.n_wake - 1, 0] - nodes[grid.n_wake, 0]
    assert te_bisector(np.asarray(grid.surface)) == pytest.approx(-angle, abs=1e-12)
    bend = first[0] / (2 * RULES.wake_turn) * np.sin(angle) * np.cos(angle)  # as above: 7e-3 deg
    assert abs(np.arctan2(first[1], first[0]) + angle) <= 2 * bend


def test_low_skew_near_the_te(rans):
    name, grid = rans
    report = quality_report(grid)
    # measured 10.3 / 14.3 deg (NACA 0012 / RAE 2822); the inviscid generator at the same size gives
    # 18.7 / 31.7 deg, because its smoothed far-field spacing tilts the TE lines by ~19 deg
    assert report.max_te_skew_deg < {"naca0012-sharp": 12.0, "rae2822": 16.0}[name]
    # lines leave the wall and the wake cut along their exact normals; the measure's central-difference
    # tangent on the curved wake's long cells (0.3-0.6 chords at x ~ 1.3-2) is off by ~ kappa h / 2: 0.59 deg
    assert report.max_wall_skew_deg < 1.0


def test_cgrid_contract_coarsening_and_deformation(rans):
    _, grid = rans
    nodes = np.asarray(grid.nodes)
    nw, ni = grid.n_wake, grid.ni
    assert (grid.ni, grid.nj, grid.n_airfoil) == (224, 64, 160)
    np.testing.assert_array_equal(nodes[: nw + 1, 0], nodes[ni - nw :, 0][::-1])
    assert can_coarsen(grid)
    coarse = coarsen(grid)
    assert quality_report(coarse).min_area > 0.0 and can_coarsen(coarse)
    assert quality_report(coarsen(coarse)).min_area > 0.0
    wall = grid.surface
    x = wall[:, 0]
    bumped = wall.at[:, 1].add(0.01 * jnp.sin(jnp.pi * x) ** 3 * (wall[:, 1] > 0))
    moved = deform_checked(grid, bumped)  # raises on a folded cell or an opened wake cut
    np.testing.assert_array_equal(np.asarray(moved.surface), np.asarray(bumped))


# ---------------------------------------------------------------- configuration and defaults


def test_euler_default_unchanged():
    surface = tmr_naca0012_sharp(128)
    default = generate_cgrid(surface, 24, 40, farfield=100.0, wall_spacing=1e-5)
    explicit = generate_cgrid(surface, 24, 40, farfield=100.0, wall_spacing=1e-5, viscous=None)
    np.testing.assert_array_equal(np.asarray(default.nodes), np.asarray(explicit.nodes))
    # the naca0012-subsonic [mesh] (wall_spacing unset: 1e-3 as before; here 2e-3 as in the case), with
    # values from the generator before viscous grids existed (nodes bit-identical then; 1e-9 leaves
    # room for another machine's round-off, not for a change of algorithm)
    cfg = mesh_cfg(n_airfoil=128, n_wake=24, n_normal=32, farfield=100.0, wall_spacing=2e-3)
    grid = cgrid_from_config(raw_surface("naca0012-sharp"), cfg)
    r = quality_report(grid)
    np.testing.assert_allclose(
        [r.min_area, r.max_area, r.max_skew_deg, r.max_wall_skew_deg, r.max_stretch, r.max_aspect_ratio],
        [1.0644196801121998e-06, 1057.7406011487064, 42.10739852898972, 5.2145542351991025, 3.92277989494454,
         19055.600584065865], rtol=1e-9)
    nodes = np.asarray(grid.nodes)
    np.testing.assert_allclose(nodes[24, 16], [0.9436489386663295, -0.7397164412392802], rtol=1e-9)
    np.testing.assert_allclose(nodes[150, 32], [-6.723709568288912, 99.70127537050227], rtol=1e-9)
    # the cosine surface of the inviscid grid: a 3.0 jump at the TE, as reported before this change
    assert r.max_surface_ratio == pytest.approx(2.997590905725733, rel=1e-9) and "TE" in r.surface_ratio_at
    unset = cgrid_from_config(raw_surface("naca0012-sharp"), mesh_cfg(n_airfoil=64, n_wake=8, n_normal=16))
    legacy = cgrid_from_config(raw_surface("naca0012-sharp"),
                               mesh_cfg(n_airfoil=64, n_wake=8, n_normal=16, wall_spacing=1e-3))
    np.testing.assert_array_equal(np.asarray(unset.nodes), np.asarray(legacy.nodes))


def test_config_spacing_choices():
    raw = raw_surface("naca0012-sharp")
    cfg = mesh_cfg(n_airfoil=96, n_wake=16, n_normal=48, farfield=100.0)
    given = cgrid_from_config(raw, SimpleNamespace(**{**vars(cfg), "wall_spacing": 1e-5}), reynolds=RE)
    first = steps_along_lines(np.asarray(given.nodes))[:, 0]
    np.testing.assert_allclose(first, 1e-5, rtol=1e-10)  # a case's wall_spacing wins over the Reynolds number
    surface = surface_for_grid(raw, cfg, reynolds=RE)
    np.testing.assert_array_equal(surface, resample_surface(raw, 96, max_ratio=RULES.surface_ratio))
    np.testing.assert_array_equal(surface_for_grid(raw, cfg), resample_surface(raw, 96))
    # a surface that already has n_airfoil + 1 nodes is used as it is (as cfdopt.optimize.problem passes it)
    again = cgrid_from_config(surface, cfg, reynolds=RE)
    np.testing.assert_array_equal(np.asarray(again.surface), surface[::-1])
    with pytest.raises(MeshError, match="wall_spacing or the Reynolds number"):
        cgrid_from_config(raw, cfg, viscous=RULES)
    with pytest.raises(ValueError, match="growth=1.0 must be above 1"):
        ViscousSpacing(growth=1.0)


@pytest.mark.parametrize("name", ["naca0012-sharp", "rae2822", "naca4:4412"])
@pytest.mark.parametrize("n_cells", [32, 64, 160, 320])
def test_resample_max_ratio(name, n_cells):
    raw = raw_surface(name) if name != "naca4:4412" else close_trailing_edge(load_airfoil(name))
    r = resample_surface(raw, n_cells, max_ratio=1.25)
    cells = np.hypot(*np.diff(r, axis=0).T)
    ratio = cells[1:] / cells[:-1]
    assert np.max(np.maximum(ratio, 1 / ratio)) <= 1.25 * (1 + 1e-12)
    np.testing.assert_array_equal(r[[0, -1]], raw[[0, -1]])
    assert np.argmin(r[:, 0]) == n_cells // 2
    # same TE spacing on both sides in arc length; chords are shorter by ~ (kappa h)^2 / 24 relative,
    # 1e-4 at 32 cells (h = 0.038)
    assert cells[0] == pytest.approx(cells[-1], rel=1e-3)


def test_resample_max_ratio_refuses_impossible_requests():
    raw = raw_surface("naca0012-sharp")
    with pytest.raises(ValueError, match="max_ratio=1.0 must be above 1"):
        resample_surface(raw, 64, max_ratio=1.0)
    with pytest.raises(ValueError, match="cannot keep the surface spacing ratio"):
        resample_surface(raw, 64, le_spacing=1e-4, te_spacing=1e-4, max_ratio=1.1)


def test_report_lines_and_flat_plate():
    grid = cgrid_from_config(raw_surface("naca0012-sharp"), mesh_cfg(n_airfoil=96, n_wake=16, n_normal=48,
                                                                     farfield=100.0), reynolds=RE)
    text = str(quality_report(grid))
    for words in ("normal growth", "within 0.02 chords", "surface ratio", "first wake cell", "wake cut",
                  "skew near TE"):
        assert words in text
    plate = quality_report(flat_plate_grid(ni_plate=16, ni_lead=4, nj=24, wall_spacing=1e-5, le_spacing=1e-2))
    assert plate.max_surface_ratio is None and "normal growth" in str(plate) and "wake" not in str(plate)


def test_mesh_command_reports_rans_spacing(tmp_path, capsys):
    from cfdopt import cli

    code = cli.main(["mesh", str(CASES / "naca0012-subsonic"), "--out", str(tmp_path),
                     "--set", "flow.model=rans-sa", "--set", "flow.reynolds=6e6", "--set", "mesh.n_airfoil=96",
                     "--set", "mesh.n_wake=16", "--set", "mesh.n_normal=48", "--set", "mesh.wall_spacing=1e-5"])
    assert code == 0
    out = capsys.readouterr().out
    assert "viscous spacing for Re 6e+06" in out
    assert "normal growth" in out and "surface ratio" in out and "wake cut" in out


def test_mesh_command_builds_the_solver_grids(tmp_path, capsys):
    from cfdopt import cli
    from cfdopt.case.schema import load_case
    from cfdopt.optimize.problem import baseline_grid

    # the command's grid is the one the solver gets: the surface of cfdopt.optimize.problem.baseline_surface
    # (closed only when open, re-sampled by surface_for_grid) and cgrid_from_config with the same reynolds
    cfg = load_case(CASES / "naca0012-subsonic", ["mesh.n_airfoil=64", "mesh.n_wake=8", "mesh.n_normal=16"])
    surface = surface_for_grid(raw_surface("naca0012-sharp"), cfg.mesh)
    np.testing.assert_array_equal(np.asarray(baseline_grid(cfg).nodes),
                                  np.asarray(cgrid_from_config(surface, cfg.mesh).nodes))
    assert cli.main(["mesh", str(CASES / "tmr-flatplate"), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "flat-plate grid" in out and "normal growth" in out


def test_unset_wall_spacing_of_a_case():
    from cfdopt.case.schema import MeshConfig

    cfg = MeshConfig(n_airfoil=64, n_wake=8, n_normal=32, farfield=50.0)
    assert cfg.wall_spacing is None  # unset: 1e-3 for Euler, from the Reynolds number for RANS
    raw = raw_surface("naca0012-sharp")
    euler = steps_along_lines(np.asarray(cgrid_from_config(raw, cfg).nodes))[:, 0]
    rans = steps_along_lines(np.asarray(cgrid_from_config(raw, cfg, reynolds=RE).nodes))[:, 0]
    np.testing.assert_allclose(euler, 1e-3, rtol=1e-10)
    np.testing.assert_allclose(rans, wall_spacing_for_yplus(RE), rtol=1e-10)


def test_geometric_normal_spacing_of_the_tmr_case():
    """``[mesh] normal_spacing = "geometric"`` (cases/tmr-naca0012): one ratio from the y+ wall spacing to the
    far field on every wall line, the TMR family's distribution; ``[mesh] wake_aspect = 1000`` bounds the cut's
    cells (aspect ratio 4e7 at the outflow without it) and leaves the wall lines as they were; an Euler case
    reports both keys as unused."""
    from cfdopt.case.schema import load_case
    from cfdopt.optimize.problem import baseline_grid
    from cfdopt.case.build import unused_keys

    cfg = load_case(CASES / "tmr-naca0012")
    assert cfg.mesh.normal_spacing == "geometric" and cfg.mesh.n_normal == 64 and cfg.mesh.wake_aspect == 1000
    grid = baseline_grid(cfg)
    base = baseline_grid(load_case(CASES / "tmr-naca0012", ["mesh.wake_aspect=none"]))
    nw, ni = grid.n_wake, grid.ni
    lo, hi = grid.wall_cells
    wall = slice(lo, hi + 1)
    assert np.array_equal(np.asarray(grid.nodes)[wall], np.asarray(base.nodes)[wall])
    cut = np.r_[0:nw, ni - nw:ni]
    assert cell_quality(base)["aspect_ratio"][cut, 0].max() > 1e7
    # the floor is the line's mean cut spacing / 1000; neighbouring cut cells differ by the wake ratio (< 1.7)
    assert cell_quality(grid)["aspect_ratio"][cut, 0].max() < 1.7 * 1000
    # the report's wall spacing is the wall's, not the wake lines' floored first cells (0.18 chord at the outflow)
    report = quality_report(grid)
    np.testing.assert_allclose([report.min_wall_spacing, report.max_wall_spacing], wall_spacing_for_yplus(RE),
                               rtol=1e-10)
    steps = steps_along_lines(np.asarray(base.nodes))
    np.testing.assert_allclose(steps[:, 0], wall_spacing_for_yplus(RE), rtol=1e-10)
    growth = steps[:, 1:] / steps[:, :-1]
    # along the distances the ratio is one number per line (1.30-1.32: the lines' lengths to the far field
    # differ); node to node, where a line bends from the normal to its straight direction (a few surface
    # spacings out) the steps are up to 1.24 % unequal (measured, line 131): 1.5 %
    assert np.all(growth.max(axis=1) / growth.min(axis=1) <= 1.015)
    assert 1.29 <= growth.min() and growth.max() <= 1.33
    assert report.valid
    euler = load_case(CASES / "tmr-naca0012", ["flow.model=euler"])
    assert any("[mesh] normal_spacing" in line for line in unused_keys(euler))
    assert any("[mesh] wake_aspect" in line for line in unused_keys(euler))
    with pytest.raises(ValueError, match="normal"):
        ViscousSpacing(normal="tanh")


def test_floor_steps_keeps_length_and_never_steepens_ratios():
    """``floor_steps``: same end points, a zero floor changes nothing, steps reach about the floor, and the ratio
    of consecutive steps never exceeds the original one."""
    dist = geometric_distances(np.full(3, 1e-5), np.full(3, 10.0), 40)
    floor = np.array([0.0, 1e-3, 0.05])
    out = floor_steps(dist, floor)
    np.testing.assert_allclose(out[0], dist[0], rtol=1e-14, atol=0.0)
    assert np.all(out[:, 0] == 0.0) and np.all(out[:, -1] == dist[:, -1])
    steps, before = np.diff(out, axis=-1), np.diff(dist, axis=-1)
    # hypot adds at most floor per step, so the rescaling to the same length shrinks by at most L / (L + n floor)
    assert np.all(steps[:, 0] >= floor * 10.0 / (10.0 + 40 * floor))
    ratio, ratio0 = steps[:, 1:] / steps[:, :-1], before[:, 1:] / before[:, :-1]
    assert np.all(ratio >= 1.0) and np.all(ratio <= ratio0 * (1.0 + 1e-12))


def test_wake_aspect_bounds_the_cut_cells_and_keeps_the_wall_lines():
    """``ViscousSpacing(wake_aspect=A)``: wall lines bit for bit, cut cells of aspect ratio about A at most."""
    cfg = mesh_cfg(n_airfoil=96, n_wake=24, n_normal=32, farfield=50.0)
    surface = raw_surface("naca0012-sharp")
    base = cgrid_from_config(surface, cfg, reynolds=RE)
    aspect = 200.0
    grid = cgrid_from_config(surface, cfg, reynolds=RE, viscous=dataclasses.replace(RULES, wake_aspect=aspect))
    nw, ni = grid.n_wake, grid.ni
    nodes, nodes0 = np.asarray(grid.nodes), np.asarray(base.nodes)
    assert np.array_equal(nodes[nw:ni - nw + 1], nodes0[nw:ni - nw + 1])
    wake = np.r_[0:nw, ni - nw:ni]
    ar = cell_quality(grid)["aspect_ratio"][wake, 0]
    assert cell_quality(base)["aspect_ratio"][wake, 0].max() > 20 * aspect  # the bound bites on this grid
    # the floor is the line's mean cut spacing / A; neighbouring cut cells differ by the wake ratio (< 1.7)
    assert ar.max() < 1.7 * aspect
    assert quality_report(grid).valid
