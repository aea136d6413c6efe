"""Multi-point optimization: the bundled two-point case on a tiny mesh, serial and on a 2-process Dask
LocalCluster (the same history bit for bit), per-point constraints, alpha per point, resume, case-file errors."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from cfdopt.optimize.checkpoint import read_history
from cfdopt.cli import main
from cfdopt.case.schema import load_case
from cfdopt.util.errors import ConfigError
from cfdopt.case.flight import case_points
from cfdopt.optimize.multipoint import MultiPointProblem, PointsDesignSpace
from cfdopt.optimize.run import optimize_case
from cfdopt.optimize.backends import DaskBackend
from xla_cache import compile_cache  # noqa: F401  (fixture)

CASE = Path(__file__).resolve().parents[1] / "cases" / "multipoint-quick"
TINY = ["mesh.n_airfoil=32", "mesh.n_wake=8", "mesh.n_normal=8", "mesh.farfield=20", "numerics.tolerance=1e-12",
        "numerics.max_iterations=60", "design.n_bumps=4", "optimize.max_iterations=2",
        'optimize.constraint=[{quantity="cl", point="cruise", lower=0.19}]', "optimize.verify=false"]
TIMES = ("flow_s", "adjoint_s", "failed_s", "elapsed_s")


def tiny(*extra):
    return load_case(CASE, TINY + list(extra))


@pytest.fixture(scope="module")
def serial_run(compile_cache, tmp_path_factory):
    cfg = tiny("optimize.verify=true")
    out = tmp_path_factory.mktemp("serial")
    return cfg, out, optimize_case(cfg, out)


def same_rows(a, b, ignore=TIMES):
    """Every history column but the times (and ``ignore``) bit for bit (NaN equal to NaN)."""
    assert len(a) == len(b)
    for ra, rb in zip(a, b):
        assert ra.keys() == rb.keys()
        for k in ra:
            if k not in ignore:
                assert ra[k] == rb[k] or (ra[k] != ra[k] and rb[k] != rb[k]), (k, ra[k], rb[k])


def test_two_points_optimize_with_per_point_outputs(serial_run):
    cfg, out, summary = serial_run
    assert [p.name for p in case_points(cfg)] == ["cruise", "dash"]
    rows = read_history(out / "history.csv")
    assert summary["iterations"] == 2 and len(rows) == 3
    for name in ("cruise", "dash"):
        for q in ("cl", "cd", "cm", "alpha"):
            assert np.isfinite(rows[-1][f"{q}@{name}"])
    # the objective is the weighted sum of the points' drag, CD their weighted mean (weights 0.5, 0.5)
    for r in rows:
        assert r["objective"] == pytest.approx(0.5 * r["cd@cruise"] + 0.5 * r["cd@dash"], rel=1e-12)
        assert r["cd"] == pytest.approx(r["objective"], rel=1e-12)
        assert r["c_cl@cruise_lower"] == pytest.approx(r["cl@cruise"] - 0.19, abs=1e-12)
    assert rows[-1]["objective"] < rows[0]["objective"]
    header = (out / "designs" / "0000" / "surface.csv").read_text().splitlines()[0]
    assert header == "x,y,cp@cruise,cp@dash"
    saved = json.loads((out / "summary.json").read_text())
    assert set(saved["points"]) == {"cruise", "dash"}
    for name in ("cruise", "dash"):
        assert (out / "designs" / "final" / name / "solution.vtu").is_file()
    assert (out / "cp.png").stat().st_size > 1000
    # the verification solves both points on the finer mesh; its objective is their weighted sum again
    finer = saved["verification"]["finer"]
    assert finer["converged"] and finer["mesh"] == [96, 16]
    for which in ("baseline", "final"):
        pts = finer[which]["points"]
        assert finer[which]["objective"] == pytest.approx(0.5 * pts["cruise"]["cd"] + 0.5 * pts["dash"]["cd"],
                                                          rel=1e-12)


def without_verification(cfg):
    return dataclasses.replace(cfg, optimize=dataclasses.replace(cfg.optimize, verify=False))


def test_local_cluster_gives_the_serial_history_bit_for_bit(serial_run, tmp_path):
    cfg, out, summary = serial_run
    cfg = without_verification(cfg)
    with DaskBackend(workers=2) as backend:
        parallel = optimize_case(cfg, tmp_path, backend=backend)
    same_rows(read_history(tmp_path / "history.csv"), read_history(out / "history.csv"))
    assert parallel["final"] == summary["final"] and parallel["evaluations"] == summary["evaluations"]


def test_resume_replays_a_multipoint_run(serial_run, tmp_path):
    cfg, out, summary = serial_run
    cfg = without_verification(cfg)

    def interrupt(row):
        if row["iteration"] == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        optimize_case(cfg, tmp_path, progress=interrupt)
    resumed = optimize_case(cfg, tmp_path, resume=True)
    assert resumed["replayed_evaluations"] >= 2
    assert resumed["final"] == summary["final"]
    same_rows(read_history(tmp_path / "history.csv"), read_history(out / "history.csv"), TIMES + ("replayed",))


def test_alpha_per_point_is_its_own_variable():
    cfg = tiny("design.alpha=true")
    problem = MultiPointProblem(cfg)
    space = problem.space
    assert isinstance(space, PointsDesignSpace)
    assert space.names[-2:] == ("alpha@cruise (deg)", "alpha@dash (deg)")
    assert space.n_shape == 8 and space.initial()[-2:].tolist() == [1.25, 1.0]
    d = np.arange(10.0)
    np.testing.assert_array_equal(problem.local_design(d, 1), np.r_[np.arange(8.0), 9.0])
    np.testing.assert_array_equal(problem.embed(np.arange(9.0), 0), np.r_[np.arange(8.0), 8.0, 0.0])


def test_gradient_with_alpha_per_point_matches_finite_differences(compile_cache):
    """The weighted objective's gradient and a per-point constraint's Jacobian, alpha a variable per point:
    central differences agree, and the CL constraint at 'cruise' does not depend on the alpha of 'dash'."""
    from cfdopt.optimize.constraints import build_constraints
    from cfdopt.optimize.driver import Evaluator

    cfg = tiny("design.alpha=true")
    problem = MultiPointProblem(cfg)
    ev = Evaluator(problem, "cd", build_constraints(cfg.optimize, problem.space))
    v = np.random.default_rng(3).standard_normal(ev.x0.size)
    point = ev(ev.x0)
    h = 1e-3
    plus, minus = ev(ev.x0 + h * v), ev(ev.x0 - h * v)
    assert (plus.f - minus.f) / (2 * h) == pytest.approx(point.grad @ v, rel=1e-5)
    k = ev.constraints.names.index("cl@cruise_lower")
    assert (plus.cons[k] - minus.cons[k]) / (2 * h) == pytest.approx(point.cons_jac[k] @ v, rel=1e-5)
    assert point.cons_jac[k, -1] == 0.0 and point.cons_jac[k, -2] != 0.0


@pytest.mark.parametrize("overrides, match", [
    (['optimize.constraint=[{quantity="cl", lower=0.2}]'], r"point: expected one of 'cruise', 'dash'"),
    (['optimize.constraint=[{quantity="cl", point="cruse", lower=0.2}]'], r"point = 'cruse'.*'cruise', 'dash'"),
    (['optimize.constraint=[{quantity="area", point="cruise", lower=0.07}]'], "aerodynamic quantities only"),
    (['flow.point=[{name="a", mach=0.7}, {name="a", mach=0.8}]'], "'a' more than once"),
    (['flow.point=[{name="a", reynolds=1e6}]'], "reynolds .*rans-sa"),
    (['flow.point=[{name="a", weight=0.0}]'], "weight"),
    (['flow.point=[{mach=0.7}]'], "missing key 'name'"),
])
def test_case_file_errors_name_the_key(overrides, match):
    with pytest.raises(ConfigError, match=match) as err:
        tiny(*overrides)
    assert "case.toml" in str(err.value)


def test_workers_and_scheduler_are_exclusive(capsys):
    assert main(["optimize", str(CASE), "--workers", "2", "--scheduler", "tcp://127.0.0.1:1", "--quiet"]) == 2
    assert "give one of them" in capsys.readouterr().err


def test_single_point_cases_are_unchanged():
    cfg = load_case(CASE.parent / "quickstart")
    (point,) = case_points(cfg)
    assert (point.name, point.mach, point.alpha, point.weight) == ("main", 0.8, 1.25, 1.0)
    problem = MultiPointProblem(dataclasses.replace(cfg))
    assert problem.space is problem.base.space and problem.single


def test_one_point_commands_take_one_flight_point(tmp_path, monkeypatch, capsys):
    """solve, gradient and polar run one flight point: on a multi-point case they refuse without --point (before,
    they solved the [flow] values, M 0.8 at alpha 1.25, which neither point asks for), and --point dash solves
    M 0.80 at alpha 1.0."""
    monkeypatch.setenv("CFDOPT_CACHE_DIR", "")
    sets = [a for kv in TINY for a in ("--set", kv)]
    for command in ("solve", "gradient", "polar"):
        assert main([command, str(CASE), *sets, "--out", str(tmp_path / command), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert "the case has 2 flight points ([[flow.point]]: cruise, dash); choose one with --point NAME" in err
    assert main(["solve", str(CASE), *sets, "--point", "dashh", "--out", str(tmp_path), "--quiet"]) == 2
    assert "--point dashh: expected one of cruise, dash" in capsys.readouterr().err
    assert main(["solve", str(CASE), *sets, "--point", "dash", "--out", str(tmp_path / "dash"), "--quiet"]) == 0
    summary = json.loads((tmp_path / "dash" / "summary.json").read_text())
    assert (summary["mach"], summary["alpha"], summary["converged"]) == (0.8, 1.0, True)
