"""Polars (cfdopt.analysis.polar, cfdopt polar): order of the sweep, continuation, failed points, files, [polar] errors."""

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pytest

import cfdopt  # noqa: F401  (float64)
from cfdopt import cli
from cfdopt.analysis import polar
from cfdopt.case.schema import load_case
from cfdopt.solve.result import Status
from cfdopt.util.errors import ConfigError
from cfdopt.case.build import flow_setup
from cfdopt.analysis.outputs import case_grid

CASE = Path(__file__).resolve().parents[1] / "cases" / "naca0012-subsonic"  # symmetric section, M 0.5, alpha 1.25
TINY = ["mesh.n_airfoil=48", "mesh.n_wake=8", "mesh.n_normal=16", "mesh.farfield=20", "numerics.mesh_levels=1"]
VALUES = (4.0, -2.0, 1.0, 0.0, 2.0)
COLUMNS = ["alpha", "mach", "converged", "cl", "cd", "cm", "iterations", "time_s", "start", "message", "status"]


@pytest.fixture(scope="module")
def case():
    cfg = load_case(CASE, TINY)
    setup = flow_setup(cfg)
    grid, flow = case_grid(cfg)
    return grid, flow, setup.numerics, setup.settings


@pytest.fixture(scope="module")
def alpha_polar(case):
    order = []
    points = polar.sweep(*case, "alpha", VALUES, on_point=order.append)
    return points, order


def test_sweep_order_starts_nearest_the_case_and_goes_up_then_down():
    assert polar.sweep_order([4, -2, 0, 2, 1], 1.25) == ((1.0, 2.0, 4.0), (0.0, -2.0))
    assert polar.sweep_order([0, 2], 1.0) == ((0.0, 2.0), ())  # a tie starts at the lower value
    assert polar.sweep_order([-4, -2], 3.0) == ((-2.0,), (-4.0,))


def test_alpha_polar_of_a_symmetric_section(alpha_polar):
    points, order = alpha_polar
    assert [p.alpha for p in order] == [1.0, 2.0, 4.0, 0.0, -2.0]
    assert [p.start for p in order] == ["free stream"] + ["neighbour"] * 4
    assert [p.alpha for p in points] == sorted(VALUES) and all(p.converged for p in points)
    assert all(p.mach == 0.5 and p.parts == {} for p in points)
    cl = np.array([p.cl for p in points])
    assert np.all(np.diff(cl) > 0), cl
    # Symmetric section and grid: CL(0) is zero up to the residual left at the tolerance (1e-10 drop) and
    # round-off (seen: 1e-13). 1e-6 is 1e-5 deg of incidence at the slope here (0.12 per deg), far below
    # what a wrong sign, a degree/radian mix-up or the case's own alpha (1.25 deg) leaking in would give.
    assert abs(points[1].cl) < 1e-6
    # and -2 deg mirrors +2 deg: same drag, opposite lift and moment
    np.testing.assert_allclose([points[0].cl, points[0].cm, points[0].cd], [-points[3].cl, -points[3].cm, points[3].cd],
                               rtol=1e-6)


def test_warm_start_takes_fewer_newton_iterations(case, alpha_polar):
    """alpha 2 from alpha 1's flow (in the sweep) against alpha 2 from the free stream: same answer, fewer steps."""
    grid, flow, numerics, settings = case
    warm = next(p for p in alpha_polar[0] if p.alpha == 2.0)
    cold, _ = polar.solve_point(grid, dataclasses.replace(flow, alpha=2.0), numerics, settings, U_warm=None)
    assert warm.start == "neighbour" and cold.start == "free stream" and cold.converged
    assert warm.iterations < cold.iterations, (warm.iterations, cold.iterations)
    np.testing.assert_allclose(warm.cl, cold.cl, rtol=1e-8)


def test_failed_point_is_retried_reported_and_skipped(case, monkeypatch):
    """alpha 3 gets one Newton iteration (from its neighbour's flow, then from the free stream): its row says
    not converged, and alpha 4 starts from alpha 2's flow and converges; the downward branch (alpha 0) starts from
    the first point's flow, alpha 2's, too."""
    import cfdopt.solve.newton

    real = cfdopt.solve.newton.solve_flow
    calls = []

    def solve_flow(grid, flow, numerics, settings, U0=None, callback=None):
        if float(flow.alpha) == 3.0:
            settings = dataclasses.replace(settings, max_iterations=1)
        result = real(grid, flow, numerics, settings, U0=U0, callback=callback)
        calls.append((float(flow.alpha), U0, result))
        return result

    monkeypatch.setattr(cfdopt.solve.newton, "solve_flow", solve_flow)
    points = polar.sweep(*case, "alpha", (0.0, 2.0, 3.0, 4.0))
    assert [(a, U0 is None) for a, U0, _ in calls] == [(2.0, True), (3.0, False), (3.0, True), (4.0, False),
                                                       (0.0, False)]
    bad = points[2]
    assert not bad.converged and bad.start == "free stream after neighbour" and np.isnan(bad.cl)
    assert bad.status is Status.MAX_ITERATIONS
    assert [r.status for _, _, r in calls[1:3]] == [Status.MAX_ITERATIONS, Status.MAX_ITERATIONS]
    assert calls[1][2].iterations == 1 and calls[2][2].stats.fallbacks == ()
    assert calls[3][1] is calls[0][2].U and calls[4][1] is calls[0][2].U
    assert [p.converged for p in points] == [True, True, False, True]
    assert [p.start for p in points] == ["neighbour", "free stream", "free stream after neighbour", "neighbour"]


def _read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_polar_command_writes_csv_and_png(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CFDOPT_CACHE_DIR", "")  # no persistent XLA cache from inside the test session
    sets = [a for kv in TINY for a in ("--set", kv)]
    assert cli.main(["polar", str(CASE), *sets, "--values", "-2", "0,2", "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    rows = _read(tmp_path / "polar.csv")
    assert list(rows[0]) == COLUMNS
    assert [float(r["alpha"]) for r in rows] == [-2.0, 0.0, 2.0] and {r["converged"] for r in rows} == {"1"}
    assert float(rows[0]["cl"]) < 0 < float(rows[2]["cl"])
    assert (tmp_path / "polar.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_polar_command_exits_3_when_no_point_converges(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CFDOPT_CACHE_DIR", "")
    sets = [a for kv in TINY + ["numerics.max_iterations=1", "polar.values=[0, 2]"] for a in ("--set", kv)]
    assert cli.main(["polar", str(CASE), *sets, "--out", str(tmp_path), "--quiet"]) == 3
    err = capsys.readouterr().err
    assert "alpha 0 skipped: not converged in 1 iterations" in err and "error: no point converged" in err
    assert [r["converged"] for r in _read(tmp_path / "polar.csv")] == ["0", "0"]
    assert not (tmp_path / "polar.png").exists()


@pytest.mark.parametrize("overrides, message", [
    (["polar.variable=beta"], r"\[polar\] variable: expected one of 'alpha', 'mach', got 'beta'"),
    (["polar.values=[]"], r"\[polar\] values: expected at least one alpha value, got \[\]"),
    (["polar.values=[0, 2, 0]"], r"\[polar\] values: expected each value once, got 0.0 more than once"),
    (["polar.values=2"], r"\[polar\] values: expected a list of float, got 2"),
    (["polar.variable=mach"], r"\[polar\] values: expected a value > 0.0, got -2.0 \(the bounds of \[flow\] mach"),
    (["polar.values=[0, 40]"], r"\[polar\] values: expected a value <= 30.0, got 40.0 \(the bounds of \[flow\] alpha"),
])
def test_polar_config_errors_name_the_key(overrides, message):
    with pytest.raises(ConfigError, match=message) as info:
        load_case(CASE, overrides)
    assert str(CASE / "case.toml") in str(info.value)


def test_polar_config_values():
    cfg = load_case(CASE, ["polar.variable=mach", "polar.values=[0.3, 0.5]"])
    assert (cfg.polar.variable, cfg.polar.values) == ("mach", (0.3, 0.5))
    assert load_case(CASE).polar.variable == "alpha"


def test_mach_polar_follows_prandtl_glauert(case):
    """Down from the case's M 0.5 at its alpha 1.25: CL grows with Mach about as 1 / sqrt(1 - M^2)."""
    order = []
    points = polar.sweep(*case, "mach", (0.3, 0.4, 0.5), on_point=order.append)
    assert [p.mach for p in order] == [0.5, 0.4, 0.3] and all(p.converged and p.alpha == 1.25 for p in points)
    cl = np.array([p.cl for p in points])
    # Prandtl-Glauert: CL(0.5) / CL(0.3) = sqrt(0.91 / 0.75) = 1.102 for thin sections in linear flow (seen: 1.098);
    # 1.06 to 1.16 leaves room for thickness and the coarse grid and excludes a Mach number that did not reach the
    # free stream (ratio 1).
    assert np.all(np.diff(cl) > 0) and 1.06 < cl[2] / cl[0] < 1.16, (cl, cl[2] / cl[0])
