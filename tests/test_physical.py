"""Physical checks of converged flows (cfdopt.flow.physical): manufactured unphysical states are refused with a
message naming the quantity and the cell, a converged physical flow passes with margin, and an unphysical flow is a
failed solve for ``cfdopt solve``, a polar and the optimizer's evaluations.

Every solve here is on the optimizer tests' tiny quickstart mesh (48 x 8 cells, M 0.8), so the compiled programs
are shared.
"""

import functools
import json
from pathlib import Path

import numpy as np
import pytest

import cfdopt  # noqa: F401  (float64)
import cfdopt.solve.newton
from cfdopt import cli
from cfdopt.analysis import polar
from cfdopt.case.schema import load_case
from cfdopt.solve.result import Status
from cfdopt.util.errors import SolveError
from cfdopt.flow.forces import force_coefficients
from cfdopt.flow.layout import ENERGY, NUHAT, RHO
from cfdopt.flow.model import EULER_MODEL, FlowModel
from cfdopt.flow.physical import PhysicalBounds, check_physical, stagnation_cp, total_pressure
from cfdopt.flow.state import FlowConditions, conservative, primitive, uniform_state
from cfdopt.optimize.problem import AeroProblem
from cfdopt.case.build import flow_setup
from cfdopt.analysis.outputs import case_grid
from flow_testgrids import c_grid

CASE = Path(__file__).resolve().parents[1] / "cases" / "quickstart"
TINY = ["mesh.n_airfoil=32", "mesh.n_wake=8", "mesh.n_normal=8", "mesh.farfield=20", "flow.mach=0.8",
        "flow.alpha=1.25", "numerics.tolerance=1e-12", "numerics.max_iterations=60", "design.n_bumps=4",
        "design.bound=0.005", "design.alpha=false"]
BOUNDS = PhysicalBounds()
RANS = FlowModel(equations="rans-sa", reynolds=1e5, sa_clip="softplus")
FLOW = FlowConditions(0.5, 1.25)


@pytest.fixture(scope="module")
def grid():
    return c_grid(n_airfoil=32, n_wake=8, n_normal=12, farfield=15.0, wall_spacing=5e-3)


@pytest.fixture(scope="module")
def tiny():
    """The converged tiny quickstart flow: ``(cfg, grid, flow, setup, result)``."""
    cfg = load_case(CASE, TINY)
    setup = flow_setup(cfg)
    grid, flow = case_grid(cfg)
    res = cfdopt.solve.newton.solve_flow(grid, flow, setup.numerics, setup.settings)
    assert res.converged, res.message
    return cfg, grid, flow, setup, res


def _with_cell(U, i, j, gamma, **changes):
    """``U`` with the primitives of cell ``(i, j)`` scaled: ``rho=1.2`` multiplies the density by 1.2, etc."""
    W = np.array(primitive(np.asarray(U), gamma))
    for k, factor in changes.items():
        W[i, j, {"rho": RHO, "p": ENERGY, "nuhat": NUHAT}[k]] *= factor
    return np.asarray(conservative(W, gamma))


def _check(U, grid, flow, model=EULER_MODEL, cd=None, bounds=BOUNDS):
    """The check of ``U``, with the drag ``cd`` when given, else the state's own (Euler)."""
    coefficients = {"cd": cd} if cd is not None else {"cd": float(force_coefficients(U, grid, flow, model)["cd"])}
    return check_physical(U, grid, flow, model, coefficients, bounds)


def test_the_free_stream_passes_and_the_formulas_hold(grid):
    U = np.asarray(uniform_state(FLOW, grid.ni, grid.nj))
    check = _check(U, grid, FLOW)
    assert check.ok and check.failure == ""
    assert abs(check.total_pressure_gain) < 1e-14 and abs(check.density_min - 1) < 1e-14
    # M 0.5: p0/p = 1.0 + 0.2 * 0.25 = 1.05 to the 3.5, so Cp0 = (1.05^3.5 - 1) / (0.7 * 0.25)
    assert stagnation_cp(0.5, 1.4) == pytest.approx((1.05**3.5 - 1) / 0.175, rel=1e-14)
    W = np.array([[1.0, 0.5 * np.sqrt(1.4 * 2 / 1.4), 0.0, 2 / 1.4]])  # M 0.5 at twice the free-stream pressure
    assert total_pressure(W, 1.4)[0] == pytest.approx(2 / 1.4 * 1.05**3.5, rel=1e-14)
    with pytest.raises(ValueError, match="stagnation_cp_ratio"):
        PhysicalBounds(stagnation_cp_ratio=0.9)


def test_a_cell_with_50_percent_more_total_pressure_is_refused(grid):
    """Density and pressure of one cell times 1.5: same temperature and Mach number, total pressure up 50% (the
    bound, 0.25, is set by the tests' own coarsest meshes: 0.088 at their leading edge)."""
    U = _with_cell(uniform_state(FLOW, grid.ni, grid.nj), 20, 5, FLOW.gamma, rho=1.5, p=1.5)
    check = _check(U, grid, FLOW)
    assert not check.ok
    assert check.total_pressure_gain == pytest.approx(0.5, rel=1e-12)
    assert check.failure.startswith("total pressure p0/p0_inf - 1 = 0.5 at cell (20, 5), (x, y) = ("), check.failure
    assert f"above the bound {BOUNDS.total_pressure_gain:g}" in check.failure
    x, y = check.cells["total_pressure_gain"][2:]
    corners = np.asarray(grid.nodes)[20:22, 5:7].reshape(-1, 2)
    assert corners[:, 0].min() < x < corners[:, 0].max() and corners[:, 1].min() < y < corners[:, 1].max()
    assert check.as_dict()["cells"]["total_pressure_gain"][:2] == [20, 5]


def test_a_leading_edge_overpressure_like_issue_11s_is_refused(grid):
    """Pressure and density of the two cells off the wall face (24, 0) at the leading edge times 41: a wall Cp of
    about 228 at M 0.5, some 200 times Cp0 (issue 11's singular leading edge: 232 at M 0.8)."""
    U = _with_cell(uniform_state(FLOW, grid.ni, grid.nj), 24, 0, FLOW.gamma, rho=41.0, p=41.0)
    U = _with_cell(U, 24, 1, FLOW.gamma, rho=41.0, p=41.0)
    check = _check(U, grid, FLOW)
    assert not check.ok and check.wall_cp_ratio > 100, check.wall_cp_ratio
    assert check.failure.startswith("total pressure p0/p0_inf - 1 = 40 at cell (24, "), check.failure
    assert check.failure.endswith("also out of bounds: wall Cp"), check.failure
    only_cp = _check(U, grid, FLOW, bounds=PhysicalBounds(total_pressure_gain=100.0))
    assert only_cp.failure.startswith("wall Cp / Cp0 = "), only_cp.failure
    assert "at cell (24, 0), (x, y) = (" in only_cp.failure
    assert f"stagnation Cp0 {stagnation_cp(0.5, 1.4):.4g}" in only_cp.failure


def test_a_negative_pressure_cell_is_refused(grid):
    U = _with_cell(uniform_state(FLOW, grid.ni, grid.nj), 30, 0, FLOW.gamma, p=-0.1)
    check = _check(U, grid, FLOW)
    assert not check.ok and check.pressure_min == pytest.approx(-0.1, rel=1e-12)
    assert check.failure.startswith("pressure p/p_inf = -0.1 at cell (30, 0), (x, y) = ("), check.failure
    assert "below the bound" in check.failure


def test_an_inflated_eddy_viscosity_ratio_is_refused(grid):
    U = np.asarray(uniform_state(FLOW, grid.ni, grid.nj, RANS))
    check = _check(U, grid, FLOW, RANS, cd=0.01)
    assert check.ok and check.eddy_viscosity_ratio_max == pytest.approx(0.210438, rel=1e-5)  # TMR's nu_t / nu
    bad = _with_cell(U, 25, 3, FLOW.gamma, nuhat=1e7)
    check = _check(bad, grid, FLOW, RANS, cd=0.01)
    assert not check.ok and check.eddy_viscosity_ratio_max > BOUNDS.eddy_viscosity_ratio_max(RANS.reynolds)
    assert check.failure.startswith("eddy-viscosity ratio mu_t/mu = "), check.failure
    assert "at cell (25, 3)" in check.failure and "above the bound 1000 at Re 100000" in check.failure
    assert not _check(U, grid, FLOW, RANS, cd=-1e-4).ok  # friction drag is positive


def test_rans_total_pressure_is_checked_outside_the_viscous_layer_only(grid):
    """A raised eddy viscosity at (25, 6) puts cells j <= 6 of line 25 in the viscous layer: a total pressure gain
    at (25, 4) is not checked, the same gain on line 26 is."""
    U = _with_cell(uniform_state(FLOW, grid.ni, grid.nj, RANS), 25, 6, FLOW.gamma, nuhat=100.0)
    inside = _with_cell(U, 25, 4, FLOW.gamma, rho=1.5, p=1.5)
    assert _check(inside, grid, FLOW, RANS, cd=0.01).ok
    outside = _with_cell(U, 26, 4, FLOW.gamma, rho=1.5, p=1.5)
    check = _check(outside, grid, FLOW, RANS, cd=0.01)
    assert not check.ok and "outside the boundary layer and wake at cell (26, 4)" in check.failure, check.failure


def test_a_converged_physical_flow_passes_with_margin(tiny):
    _, grid, flow, setup, res = tiny
    check = res.physical
    assert check.ok, check.failure
    assert check.total_pressure_gain < 0.5 * BOUNDS.total_pressure_gain
    assert check.wall_cp_ratio - 1 < 0.5 * (BOUNDS.stagnation_cp_ratio - 1)
    assert check.density_min > 2 * BOUNDS.density_min and check.pressure_min > 2 * BOUNDS.pressure_min
    assert check.cd > 0.01  # transonic: wave drag
    assert check.summary().startswith("physical check passed (max p0/p0_inf - 1 = ")


def test_negative_inviscid_drag_beyond_the_discretisation_error_is_refused(tiny):
    """-0.00056 (the subsonic NACA 0012 on 256 x 64 cells, within its mesh error) passes; -0.01 (issue 11's
    singular leading edge reached -0.0108) does not, and the message says where the wall pushes forward most."""
    _, grid, flow, setup, res = tiny
    assert _check(res.U, grid, flow, cd=-0.00056).ok
    check = _check(res.U, grid, flow, cd=-0.01)
    assert not check.ok and check.failure.startswith("inviscid drag CD = -0.01000, below the bound"), check.failure
    assert "from the wall face of cell (" in check.failure


def strict(density_min):
    """``check_physical`` with a density bound above the tiny flow's least density (about 0.6): it fails."""
    return functools.partial(check_physical, bounds=PhysicalBounds(density_min=density_min))


def test_an_unphysical_flow_is_a_failed_polar_point_and_a_failed_evaluation(tiny, monkeypatch):
    cfg, grid, flow, setup, res = tiny
    monkeypatch.setattr(cfdopt.solve.newton, "check_physical", strict(0.99))
    point, U = polar.solve_point(grid, flow, setup.numerics, setup.settings, U_warm=res.U)
    assert not point.converged and U is None and np.isnan(point.cd)
    # the warm start failed the check, so did the retry from the free stream: both messages
    assert point.start == "free stream after neighbour"
    assert point.status is Status.UNPHYSICAL and point.message.count("unphysical flow: density") == 2, point.message

    from cfdopt.optimize.constraints import build_constraints
    from cfdopt.optimize.multipoint import MultiPointProblem
    from cfdopt.optimize.driver import Evaluator

    problem = AeroProblem(cfg)
    d0 = problem.space.initial()
    with pytest.raises(SolveError, match="^flow solve failed: unphysical flow: density") as failed:
        problem.evaluate(d0)
    assert failed.value.status is Status.UNPHYSICAL
    # what the optimizer's evaluator records as the failed point's message and event
    (result,) = MultiPointProblem(cfg, problem=problem).evaluate(d0)
    assert not result.ok and result.message.startswith("SolveError: flow solve failed: unphysical flow: density")

    # the optimizer: a physical baseline, then an unphysical trial is a failed point, worse than the baseline
    monkeypatch.setattr(cfdopt.solve.newton, "check_physical", check_physical)
    events = []
    ev = Evaluator(problem, "cd", build_constraints(cfg.optimize, problem.space), on_event=events.append)
    base = ev(ev.x0)
    assert base.ok, base.message
    monkeypatch.setattr(cfdopt.solve.newton, "check_physical", strict(0.99))
    trial = ev(ev.x0 + 0.1)
    assert not trial.ok and "unphysical flow: density" in trial.message and trial.f > base.f
    assert len(events) == 1 and events[0]["evaluation"] == trial.index


def test_the_solve_command_reports_the_check(tiny, tmp_path, monkeypatch, capsys):
    sets = [a for kv in TINY for a in ("--set", kv)]
    assert cli.main(["solve", str(CASE), "--out", str(tmp_path), "--quiet"] + sets) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["converged"] and summary["status"] == Status.CONVERGED.value and summary["physical"]["ok"]
    assert summary["solver"]["iterations"] == summary["iterations"] and summary["solver"]["fallbacks"] == []
    assert summary["physical"]["total_pressure_gain"] == pytest.approx(tiny[4].physical.total_pressure_gain, rel=1e-8)
    assert set(summary["physical"]["cells"]) >= {"total_pressure_gain", "wall_cp_ratio", "density_min"}

    monkeypatch.setattr(cfdopt.solve.newton, "check_physical", strict(0.99))
    capsys.readouterr()
    assert cli.main(["solve", str(CASE), "--out", str(tmp_path), "--quiet"] + sets) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cfdopt solve: error: unphysical flow: density rho/rho_inf = "), err
    assert "at cell (" in err[0] and "(x, y) = (" in err[0]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert not summary["converged"] and summary["status"] == Status.UNPHYSICAL.value and not summary["physical"]["ok"]
    assert summary["message"].startswith("unphysical flow: density")
    assert (tmp_path / "history.csv").is_file()
