"""General ``[[optimize.constraint]]`` tables: parsing and its errors, the older keys, exact gradients of every
kind against finite differences, and short SLSQP runs that end satisfying each representative kind.

The aerodynamic parts run on test_optimize.py's tiny transonic C-grid (48 x 8 cells, the same overrides), so
the compiled residual and adjoint are the same programs; after compilation a flow solve takes about 0.1 s.
"""

import dataclasses
import tomllib
from pathlib import Path

import numpy as np
import pytest

from cfdopt.case.schema import ConstraintConfig, OptimizeConfig, format_config, load_case
from cfdopt.geometry.design import design_space
from cfdopt.util.errors import ConfigError
from cfdopt.optimize.constraints import build_constraints
from cfdopt.optimize.driver import Evaluator, choose_method, run_optimization, violation
from cfdopt.optimize.problem import AeroProblem, baseline_surface

CASE = Path(__file__).resolve().parents[1] / "cases" / "quickstart"
TINY = ["mesh.n_airfoil=32", "mesh.n_wake=8", "mesh.n_normal=8", "mesh.farfield=20",
        "flow.mach=0.8", "flow.alpha=1.25", "numerics.tolerance=1e-12", "numerics.max_iterations=60",
        "design.n_bumps=4", "design.bound=0.005"]
C = ConstraintConfig


def write_case(tmp_path, text):
    (tmp_path / "case.toml").write_text(text)
    return tmp_path


def tiny_case(alpha: bool, **optimize):
    cfg = load_case(CASE, TINY + [f"design.alpha={'true' if alpha else 'false'}"])
    return dataclasses.replace(cfg, optimize=OptimizeConfig(**optimize))


# ----------------------------------------------------------------------------------------------- parsing

EVERY_KIND = """
[optimize]
[[optimize.constraint]]
quantity = "cl"
equal = 0.3
[[optimize.constraint]]
quantity = "cd"
upper = 0.05
[[optimize.constraint]]
quantity = "cm"
lower = -0.1
upper = 0.1
[[optimize.constraint]]
quantity = "l/d"
lower = 20
[[optimize.constraint]]
quantity = "thickness_max"
lower = 0.12
[[optimize.constraint]]
quantity = "thickness"
station = 0.3
lower = 1.0
relative = true
[[optimize.constraint]]
quantity = "area"
lower = 0.08
"""


def test_every_kind_parses(tmp_path):
    opt = load_case(write_case(tmp_path, EVERY_KIND)).optimize
    assert opt.all_constraints() == (
        C("cl", equal=0.3), C("cd", upper=0.05), C("cm", lower=-0.1, upper=0.1), C("l/d", lower=20.0),
        C("thickness_max", lower=0.12), C("thickness", station=0.3, lower=1.0, relative=True), C("area", lower=0.08))
    names = [n for c in opt.all_constraints() for n, _, _ in c.components()]
    assert names == ["cl_eq", "cd_upper", "cm_lower", "cm_upper", "ld_lower", "thickness_max_lower",
                     "thickness@0.3_rel_lower", "area_lower"]
    assert isinstance(opt.constraint[3].lower, float)  # an integer in TOML, a float here


def test_override_and_resolved_config_round_trip(tmp_path):
    case = write_case(tmp_path, EVERY_KIND)
    cfg = load_case(case, ['optimize.constraint=[{quantity="area", lower=1.0, relative=true}]'])
    assert cfg.optimize.all_constraints() == (C("area", lower=1.0, relative=True),)  # --set replaces them all
    assert "optimize.constraint" in cfg.given
    # the resolved configuration (cfdopt check) prints them as TOML inline tables that read back the same
    cfg = load_case(case)
    line = next(x for x in format_config(cfg).splitlines() if x.startswith("constraint = "))
    back = tomllib.loads(line)["constraint"]
    assert tuple(C(**t) for t in back) == cfg.optimize.constraint


def _one(body: str) -> str:
    return "[optimize]\n[[optimize.constraint]]\n" + body


@pytest.mark.parametrize("text, message", [
    (_one("lower = 0.3\n"), r"constraint #1: missing key 'quantity' \(the constrained quantity"),
    (_one('quantity = "lift"\nlower = 0.3\n'),
     r"constraint #1 \(quantity = 'lift'\): quantity: expected one of 'cl', 'cd', 'cm', 'l/d', .*got 'lift'"),
    (_one('quantity = "cl"\nlowr = 0.3\n'),
     r"constraint #1 \(quantity = 'cl'\): unknown key 'lowr'; valid keys: quantity, equal, lower, upper, station"),
    (_one('quantity = "cl"\nlower = "0.3"\n'), r"constraint #1 \(quantity = 'cl'\): lower: expected float, got str"),
    (_one('quantity = "cd"\n'), r"constraint #1 \(quantity = 'cd'\): expected equal = value, or lower = value "
                                r"and/or upper = value; got none"),
    (_one('quantity = "cl"\nequal = 0.3\nlower = 0.2\n'), r"\(quantity = 'cl'\): equal = 0.3 excludes lower/upper"),
    (_one('quantity = "cm"\nlower = 0.1\nupper = -0.1\n'),
     r"\(quantity = 'cm'\): expected lower <= upper, got lower = 0.1 > upper = -0.1"),
    (_one('quantity = "thickness"\nlower = 0.1\n'), r"\(quantity = 'thickness'\): quantity 'thickness' needs station"),
    (_one('quantity = "thickness"\nlower = 0.1\nstation = 1.5\n'),
     r"\(quantity = 'thickness'\): station: expected a value < 1.0, got 1.5"),
    (_one('quantity = "area"\nlower = 0.1\nstation = 0.5\n'),
     r"\(quantity = 'area'\): station applies to quantity 'thickness' only"),
    (_one('quantity = "cl"\nlower = 0.1\nrelative = true\n'),
     r"\(quantity = 'cl'\): relative = true applies to thickness_max, thickness, area only"),
    (_one('quantity = "area"\nlower = 0.1\nrelative = 1\n'),
     r"\(quantity = 'area'\): relative: expected true or false"),
    ("[optimize]\nconstraint = 3\n", r"\[optimize\] constraint: expected an array of tables"),
    ("[optimize]\nconstraint = [1]\n", r"\[optimize\] constraint #1: expected a table of quantity, equal"),
    (_one('quantity = "cl"\nlower = 0.1\n') + '[[optimize.constraint]]\nquantity = "cd"\nupper = 1.0\n'
     + '[[optimize.constraint]]\nquantity = "cl"\nlower = 0.2\n',
     r"constraint #3 \(quantity = \"cl\", lower = 0.2\) repeats 'cl_lower' of constraint #1: state lower and upper"),
])
def test_malformed_constraints_are_named(tmp_path, text, message):
    case = write_case(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as info:
        load_case(case)
    assert str(case / "case.toml") in str(info.value)


OLD_AND_NEW = [
    ("cl_target = 0.3\n", (C("cl", equal=0.3),)),
    ("cm_min = -0.05\n", (C("cm", lower=-0.05),)),
    ("thickness_fraction = 0.9\nthickness_stations = [0.2, 0.5]\n",
     (C("thickness", station=0.2, lower=0.9, relative=True), C("thickness", station=0.5, lower=0.9, relative=True))),
    ("area_fraction = 1.0\n", (C("area", lower=1.0, relative=True),)),
]


@pytest.mark.parametrize("old, new", OLD_AND_NEW)
def test_old_keys_translate_to_the_new_form(tmp_path, old, new):
    opt = load_case(write_case(tmp_path, "[optimize]\n" + old)).optimize
    assert opt.all_constraints() == new
    tables = "".join("[[optimize.constraint]]\n" + c.toml().replace(", ", "\n") + "\n" for c in new)
    assert load_case(write_case(tmp_path, "[optimize]\n" + tables)).optimize.all_constraints() == new


def test_old_keys_give_the_same_constraint_functions():
    """One code path after parsing: the old keys and their new form give the same names and values."""
    cfg = tiny_case(alpha=True)
    space = design_space(cfg.design, baseline_surface(cfg), cfg.flow.alpha)
    old = build_constraints(OptimizeConfig(cl_target=0.3, cm_min=-0.05, thickness_fraction=0.9,
                                           thickness_stations=(0.2, 0.5), area_fraction=1.0), space)
    new = build_constraints(OptimizeConfig(constraint=tuple(c for _, cs in OLD_AND_NEW for c in cs)), space)
    assert old.names == new.names == ("thickness@0.2_rel_lower", "thickness@0.5_rel_lower", "area_rel_lower",
                                       "cl_eq", "cm_lower")
    assert np.array_equal(old.equality, new.equality) and old.aero == new.aero
    d = space.initial() + np.r_[np.linspace(-3e-3, 3e-3, space.n_shape), 0.0]
    np.testing.assert_array_equal(np.asarray(old.geometric(d)), np.asarray(new.geometric(d)))


@pytest.mark.parametrize("old, new", [(old, new[0]) for old, new in OLD_AND_NEW])
def test_old_and_new_on_one_quantity_are_refused(tmp_path, old, new):
    text = "[optimize]\n" + old + "[[optimize.constraint]]\n" + new.toml().replace(", ", "\n") + "\n"
    key = old.split(" =")[0]
    with pytest.raises(ConfigError, match=rf"\[optimize\] {key} = .* and constraint #1 both constrain "
                                          rf"'{new.quantity}'.* reads \[\[optimize.constraint\]\] quantity ="):
        load_case(write_case(tmp_path, text))
    # an old key beside a new constraint on another quantity is fine
    other = 'quantity = "cd"\nupper = 0.1\n'
    opt = load_case(write_case(tmp_path, "[optimize]\n" + old + "[[optimize.constraint]]\n" + other)).optimize
    assert opt.all_constraints()[0] == C("cd", upper=0.1) and len(opt.all_constraints()) >= 2


def test_any_constraint_selects_slsqp():
    cfg = tiny_case(alpha=False)
    space = design_space(cfg.design, baseline_surface(cfg), cfg.flow.alpha)
    for c in (C("cl", equal=0.2), C("l/d", lower=3.0), C("thickness_max", upper=0.2)):
        opt = OptimizeConfig(constraint=(c,))
        assert choose_method(opt, build_constraints(opt, space)) == "SLSQP"  # a CL equality at fixed alpha too
        with pytest.raises(ConfigError, match="l-bfgs-b' handles bounds only"):
            choose_method(dataclasses.replace(opt, method="l-bfgs-b"), build_constraints(opt, space))
    assert choose_method(OptimizeConfig(), build_constraints(OptimizeConfig(), space)) == "L-BFGS-B"
    bad = OptimizeConfig(thickness_fraction=1.0, thickness_stations=(0.5, 0.0))  # x/c = 0: the leading edge
    with pytest.raises(ConfigError, match="station x/c = 0.0 must lie strictly inside"):
        build_constraints(bad, space)


# --------------------------------------------------------------------------------------- gradients

EVERY = (C("cl", equal=0.3), C("cd", upper=0.05), C("cm", lower=-0.1), C("l/d", lower=5.0),
         C("thickness_max", lower=0.1), C("thickness", station=0.3, lower=1.0, relative=True),
         C("area", lower=0.08), C("area", upper=1.1, relative=True), C("thickness_max", upper=1.05, relative=True))
STEPS = (1e-2, 1e-3, 1e-4)
"""Central-difference steps in the scaled variables (bound units; 1 degree for alpha): 5e-5 to 5e-7 chords."""


@pytest.fixture(scope="module")
def problem_alpha():
    return AeroProblem(tiny_case(alpha=True))


@pytest.fixture(scope="module")
def problem_fixed():
    return AeroProblem(tiny_case(alpha=False))


@pytest.fixture(scope="module")
def sweep(problem_alpha):
    """Every kind at one design off the symmetric baseline, with alpha free: the Jacobian the optimizer is given
    (``cons_jac``, scaled variables) along a random direction, and central differences of ``cons`` over STEPS."""
    opt = OptimizeConfig(constraint=EVERY)
    ev = Evaluator(problem_alpha, "cd", build_constraints(opt, problem_alpha.space))
    rng = np.random.default_rng(7)
    x = ev.x0 + 0.3 * rng.standard_normal(ev.x0.size)
    v = rng.standard_normal(ev.x0.size)
    point = ev(x)
    jv = point.cons_jac @ v
    fd = np.array([(ev(x + h * v).cons - ev(x - h * v).cons) / (2 * h) for h in STEPS])
    errors = np.abs(fd - jv) / np.abs(jv)
    return ev, point, dict(zip(ev.constraints.names, errors.T))


AERO_NAMES = ("cl_eq", "cd_upper", "cm_lower", "ld_lower")
GEO_NAMES = ("thickness_max_lower", "thickness@0.3_rel_lower", "area_lower", "area_rel_upper",
             "thickness_max_rel_upper")


@pytest.mark.parametrize("name", AERO_NAMES)
def test_aerodynamic_gradient_matches_finite_differences(sweep, name):
    _, _, errors = sweep
    # truncation ~ h^2 q''' and solve noise ~ 1e-12 / h: the best step reaches ~1e-7 relative (measured
    # 2e-8 to 8e-8); 1e-6 is test_adjoint.py's bar. A wrong sign, a missing alpha column or an L/D gradient
    # without the CD term is off by O(1).
    assert min(errors[name]) < 1e-6, errors[name]


@pytest.mark.parametrize("name", GEO_NAMES)
def test_geometric_gradient_matches_finite_differences(sweep, name):
    _, _, errors = sweep
    # Hicks-Henne moves y linearly and thickness/area are linear in y (the max: piecewise, its argmax fixed
    # over these steps), so central differences are exact up to round-off, ~1e-16 / h relative (measured 1e-12)
    assert min(errors[name]) < 1e-9, errors[name]


def _thickness(surface, stations):
    """Independent check: numpy interpolation of each surface of a Selig-ordered polygon."""
    le = int(np.argmin(surface[:, 0]))
    upper, lower = surface[: le + 1][::-1], surface[le:]
    return np.interp(stations, upper[:, 0], upper[:, 1]) - np.interp(stations, lower[:, 0], lower[:, 1])


def _area(s):
    return 0.5 * np.sum(s[:, 0] * np.roll(s[:, 1], -1) - np.roll(s[:, 0], -1) * s[:, 1])


def test_constraint_values_are_what_they_name(sweep):
    """Each component against an independent computation: coefficients of the flow, numpy geometry."""
    ev, point, _ = sweep
    c = dict(zip(ev.constraints.names, point.cons))
    k = point.coefficients
    # the coefficients come from the same converged flow as the adjoint's J: agree to round-off
    assert c["cl_eq"] == pytest.approx(k["cl"] - 0.3, abs=1e-13)
    assert c["cd_upper"] == pytest.approx(0.05 - k["cd"], abs=1e-13)
    assert c["cm_lower"] == pytest.approx(k["cm"] + 0.1, abs=1e-13)
    assert c["ld_lower"] == pytest.approx(k["cl"] / k["cd"] - 5.0, abs=1e-11)
    space = ev.problem.space
    s, s0 = np.asarray(space.surface(point.design)), np.asarray(space.surface(space.initial()))
    dense = np.linspace(0.001, 0.999, 20001)
    # geometry in float64 from the same polygon: round-off; the dense max misses the polyline's peak by
    # at most slope x spacing, 0.1 x 5e-5 chords
    assert c["thickness@0.3_rel_lower"] == pytest.approx(_thickness(s, 0.3) / _thickness(s0, 0.3) - 1.0, abs=1e-12)
    assert c["area_lower"] == pytest.approx(_area(s) - 0.08, abs=1e-14)
    assert c["area_rel_upper"] == pytest.approx(1.1 - _area(s) / _area(s0), abs=1e-12)
    assert c["thickness_max_lower"] == pytest.approx(_thickness(s, dense).max() - 0.1, abs=1e-5)
    assert c["thickness_max_lower"] + 0.1 >= _thickness(s, dense).max() - 1e-12  # the polyline's true peak
    assert point.alpha != space.alpha0  # alpha moved: its column is in the check


# --------------------------------------------------------------------------------------- SLSQP runs

RUNS = [
    # (alpha free, constraint, tolerance on its violation in its own units)
    # Aerodynamic: SLSQP linearizes them; after 12 iterations on this 9-variable problem the violation is
    # measured at 3e-7 (CL), 3e-10 (CM) and 1e-7 (L/D): 1e-5 leaves a margin of 30 or more and is 0.1 lift count.
    (True, C("cl", equal=0.3), 1e-5),
    (False, C("cm", lower=0.01), 1e-5),
    (False, C("l/d", lower=3.6), 1e-5),
    # Geometric: linear in the design, so each QP step meets them up to round-off of O(1) numbers.
    (False, C("thickness", station=0.3, lower=1.02, relative=True), 1e-10),
    (False, C("area", lower=1.01, relative=True), 1e-10),
]


@pytest.mark.parametrize("alpha, constraint, tol", RUNS, ids=[c.toml() for _, c, _ in RUNS])
def test_slsqp_ends_satisfying_the_constraint(problem_alpha, problem_fixed, alpha, constraint, tol):
    problem = problem_alpha if alpha else problem_fixed
    opt = OptimizeConfig(max_iterations=12, constraint=(constraint,))
    result = run_optimization(problem, opt)
    (name,) = result.constraint_names
    cons = build_constraints(opt, problem.space)
    assert result.method == "SLSQP" and result.failed == 0
    # every one of these baselines violates its constraint: feasibility at the end is the optimizer's work
    assert violation(result.baseline, cons) > 100 * tol
    assert violation(result.final, cons) <= tol, result.final.cons
    assert result.final.coefficients["cd"] < result.baseline.coefficients["cd"]
    # the history names the component and records the same value as the point
    assert result.history[0][f"c_{name}"] == float(result.baseline.cons[0])
    for row in result.history:
        assert np.isfinite(row[f"c_{name}"]) and np.isfinite(row["violation"])
        if row["evaluation"] == result.final.index:
            assert row[f"c_{name}"] == float(result.final.cons[0])
    if alpha:
        assert result.final.alpha != problem.space.alpha0  # reached through alpha (and shape)
