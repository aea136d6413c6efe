"""A design space that cannot make singular geometry (issue 11): the default bump placement keeps the leading and
trailing edges smooth at every corner of the design box, and the wall check refuses the cusps and facets of bumps
placed at the very edges, naming the design variable responsible, before any solve.

All on the NACA 0012 grid of ``cases/naca0012-su2-inviscid`` (128 wall cells); no flow solve except the baseline
of the tiny case that shows the optimizer backing off.
"""

import dataclasses
import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cfdopt.case.schema import OptimizeConfig, load_case
from cfdopt.util.errors import MeshError
from cfdopt.geometry.hicks_henne import HicksHenne
from cfdopt.mesh import check_deformation, deform, deform_checked
from cfdopt.mesh.wall_check import WallLimits, turning_allowed, turning_angles, wall_measures, wall_violation
from cfdopt.optimize.problem import AeroProblem

CASES = Path(__file__).resolve().parents[1] / "cases"
SU2 = CASES / "naca0012-su2-inviscid"


@pytest.fixture(scope="module")
def su2_cosine():
    """SU2's inviscid test problem with 19 + 19 bumps at the cosine placement (first peak x = 0.0062)."""
    return AeroProblem(load_case(SU2, ["design.bump_spacing=cosine"]))


def corner_signs(n_vars: int, n_upper: int, seed: int = 0, n_random: int = 64):
    """Sign patterns of the box's corners: all +, all -, upper +/lower - and back, alternating (both phases),
    every single variable at +-1 (the others 0), and ``n_random`` seeded random patterns."""
    half = np.r_[np.ones(n_upper), -np.ones(n_vars - n_upper)]
    alt = (-1.0) ** np.arange(n_vars)
    yield from (np.ones(n_vars), -np.ones(n_vars), half, -half, alt, -alt)
    for k in range(n_vars):
        for s in (1.0, -1.0):
            e = np.zeros(n_vars)
            e[k] = s
            yield e
    rng = np.random.default_rng(seed)
    for _ in range(n_random):
        yield rng.choice([-1.0, 1.0], n_vars)


@pytest.mark.parametrize("n_bumps", [4, 8, 19, 30])
def test_default_placement_makes_no_edge_facet_at_any_corner(n_bumps):
    """Every corner of the default box (spacing "even", bound unset) keeps the wall within the check's limits:
    no turning angle beyond 3.5 x the baseline's largest, no first cell squeezed or sheared far beyond the
    baseline's. (Some corners push the upper surface through the lower one; the crossing check, not this one,
    refuses those: they are not edge facets.)"""
    cfg = load_case(SU2, [f"design.n_bumps={n_bumps}"])
    assert cfg.design.bump_spacing == "even"
    assert cfg.design.bound == pytest.approx(0.01 * min(1.0, 19 / n_bumps))
    problem = AeroProblem(cfg)
    space = problem.space
    peaks = np.array([float(name.split("x=")[1].rstrip(")")) for name in space.names])
    assert peaks.min() >= 0.05 - 5e-4 and peaks.max() <= 0.95 + 5e-4
    move = jax.jit(lambda d: deform(problem.grid0, space.wall(d)).nodes)
    allowed = turning_allowed(float(wall_measures(problem.grid0).turning_deg.max()))
    worst = 0.0
    for signs in corner_signs(space.n_vars, space.n_vars // 2):
        grid = dataclasses.replace(problem.grid0, nodes=np.asarray(move(jnp.asarray(signs * cfg.design.bound))))
        bad = wall_violation(grid, problem.grid0)
        assert bad is None, (signs, bad.message)
        worst = max(worst, float(wall_measures(grid).turning_deg.max()))
    assert worst < allowed


def test_even_spacing_keeps_su2_placement_and_clamps_beyond_19():
    for n in range(1, 20):  # bit for bit what the bundled cases with "even" were verified with
        assert HicksHenne.spaced(n, "even").upper_peaks == tuple(k / (n + 1) for k in range(1, n + 1))
    assert HicksHenne.spaced(19).upper_peaks[0] == 0.05  # the default is "even"
    for n in (20, 30, 40):
        peaks = np.array(HicksHenne.spaced(n, "even").upper_peaks)
        np.testing.assert_allclose(peaks, np.linspace(0.05, 0.95, n), rtol=0, atol=1e-15)
    assert HicksHenne.spaced(19, "cosine").upper_peaks[0] == pytest.approx(0.0061558, abs=1e-7)


def test_singular_leading_edge_design_is_refused_naming_the_variable(su2_cosine):
    """Bump 0 (x = 0.0062) at -0.01 chord folds the upper nose back below the lower one: the cells keep positive
    areas but the wall crosses itself; evaluate refuses it before any solve and names hh_upper_0."""
    d = np.zeros(su2_cosine.space.n_vars)
    d[0] = -0.01
    with pytest.raises(MeshError, match=r"hh_upper_0 \(x=0\.006\) = -0\.01 \(100%\)"):
        su2_cosine.evaluate(d)


def test_trailing_edge_facet_is_refused_by_its_turning_angle(su2_cosine):
    """Bump 18 (x = 0.9945) at +0.01 chord rises 0.01 over the last 0.5 % of the chord: a 98 deg turn between
    two wall faces (the baseline turns by 0.04 deg there), with every cell area positive."""
    space = su2_cosine.space
    d = np.zeros(space.n_vars)
    d[18] = 0.01
    grid, _ = su2_cosine.geometry(jnp.asarray(d))
    with pytest.raises(MeshError, match=r"wall turns by 9\d\.\d deg at wall node \d+ \(x=0\.99") as err:
        check_deformation(grid, baseline=su2_cosine.grid0, explain=space.explain_wall(d))
    assert "allowed 42.4 deg" in str(err.value) and "hh_upper_18 (x=0.994) = +0.01 (100%)" in str(err.value)
    check_deformation(grid)  # what the fold check alone said: nothing
    # the library's one-call path checks the wall too
    with pytest.raises(MeshError, match=r"wall turns by 9\d\.\d deg"):
        deform_checked(su2_cosine.grid0, grid.surface)


def test_baseline_and_a_mild_design_pass(su2_cosine):
    space = su2_cosine.space
    grid0, _ = su2_cosine.geometry(jnp.zeros(space.n_vars))
    check_deformation(grid0, baseline=su2_cosine.grid0, explain=space.explain_wall(np.zeros(space.n_vars)))
    assert wall_violation(su2_cosine.grid0, su2_cosine.grid0) is None
    mild = 0.002 * np.random.default_rng(1).uniform(-1.0, 1.0, space.n_vars)
    mild[[0, 18, 19, 37]] = 0.0  # the cosine edge bumps aside, the rest of the cosine box at a fifth of its bound
    grid, _ = su2_cosine.geometry(jnp.asarray(mild))
    assert wall_violation(grid, su2_cosine.grid0) is None


def test_responsible_ranks_by_local_share(su2_cosine):
    space = su2_cosine.space
    d = np.zeros(space.n_vars)
    d[0], d[5] = -0.01, 0.01  # x = 0.006 and x = 0.206 on the upper surface
    wall = np.asarray(space.wall(d))
    k_le = int(np.argmin(wall[:, 0]))
    found = space.responsible(d, (k_le, k_le + 1, k_le + 2), "turning")
    assert found[0][0].startswith("hh_upper_0 ") and found[0][1] == -0.01 and found[0][2] > 0.9
    def upper_node(x):
        return int(np.argmin(np.abs(wall[:, 0] - x) + 10.0 * (wall[:, 1] < 0)))

    k = upper_node(0.206)  # the peak of bump 5: it moves and bends the wall there most, but does not tilt it
    for kind in ("displacement", "turning"):
        assert space.responsible(d, (k - 1, k, k + 1), kind)[0][0].startswith("hh_upper_5 ")
    k = upper_node(0.35)  # its flank
    assert space.responsible(d, (k, k + 1), "slope")[0][0].startswith("hh_upper_5 ")
    assert space.responsible(np.zeros(space.n_vars), (k_le, k_le + 1), "slope") == ()
    with pytest.raises(ValueError, match="kind="):
        space.responsible(d, (1, 2), "curvature")
    with pytest.raises(ValueError, match="wall_nodes="):
        space.responsible(d, (wall.shape[0],))


def test_turning_angles_and_limits():
    square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    np.testing.assert_allclose(turning_angles(square), [90.0, 90.0])
    assert turning_allowed(12.0) == pytest.approx(42.0)  # 3.5 x
    assert turning_allowed(1.0) == 10.0  # the floor
    assert turning_allowed(94.0) == 120.0  # the cap (32 wall cells turn by 94 deg at the LE)
    assert turning_allowed(150.0) == 150.0  # never below the baseline's own
    with pytest.raises(ValueError, match="turning_factor=0.5"):
        WallLimits(turning_factor=0.5)


def test_cli_design_path_is_checked(su2_cosine, tmp_path, monkeypatch):
    """``cfdopt solve --design`` deforms through cfdopt.analysis.outputs.case_grid: the same check, the same message."""
    from cfdopt.analysis.outputs import case_grid

    d = np.zeros(su2_cosine.space.n_vars)
    d[18] = 0.01
    path = tmp_path / "summary.json"
    path.write_text(json.dumps({"design": d.tolist()}))
    with pytest.raises(MeshError, match="hh_upper_18"):
        case_grid(su2_cosine.cfg, path)


TINY = ["mesh.n_airfoil=32", "mesh.n_wake=8", "mesh.n_normal=8", "mesh.farfield=20",
        "flow.mach=0.8", "flow.alpha=1.25", "numerics.tolerance=1e-12", "numerics.max_iterations=60",
        "design.n_bumps=19", "design.bump_spacing=cosine", "design.bound=0.01", "design.alpha=false"]
"""tests/test_optimize.py's tiny case (the same compiled solver in one session) with 19 cosine bumps."""


def test_the_optimizer_backs_off_from_a_refused_design():
    """A refused design is a failed point (cfdopt.optimize.backends.evaluate_task catches the MeshError): worse than the
    baseline in the merit function, reported as an event that names the variable; and the point task says why."""
    from cfdopt.optimize.constraints import build_constraints
    from cfdopt.case.flight import FlowPoint
    from cfdopt.optimize.driver import Evaluator
    from cfdopt.optimize.backends import PointTask, evaluate_task

    cfg = load_case(CASES / "quickstart", TINY)
    cfg = dataclasses.replace(cfg, optimize=OptimizeConfig(verify=False))
    problem = AeroProblem(cfg)
    events = []
    ev = Evaluator(problem, "cd", build_constraints(cfg.optimize, problem.space), on_event=events.append)
    base = ev(ev.x0)
    x = ev.x0.copy()
    x[0] = -1.0  # hh_upper_0 at -bound
    bad = ev(x)
    assert base.ok and not bad.ok and bad.f > base.f
    assert "MeshError" in bad.message and "hh_upper_0" in bad.message
    assert events and events[0]["evaluation"] == bad.index
    result = evaluate_task(PointTask(cfg, FlowPoint("p", mach=0.8, alpha=1.25), x * cfg.design.bound))
    assert not result.ok and result.message.startswith("MeshError") and "hh_upper_0" in result.message
