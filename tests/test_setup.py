"""cfdopt.case.build: one place turns a case into the model and its settings; unused keys are reported."""

from pathlib import Path

import pytest

import cfdopt  # noqa: F401  (float64)
from cfdopt import cli
from cfdopt.case.schema import NumericsConfig, load_case
from cfdopt.flow.model import MODELS, RANS_ENTROPY_FIX_LINEAR, model_default
from cfdopt.util.errors import ConfigError
from cfdopt.flow.layout import EULER, RANS_SA
from cfdopt.case.build import flow_setup, unused_keys
from cfdopt.solve.newton import SolverSettings

ROOT = Path(__file__).resolve().parents[1]


def write_case(tmp_path, text):
    (tmp_path / "case.toml").write_text(text)
    return tmp_path


def test_rans_case_builds_the_rans_model():
    cfg = load_case(ROOT / "cases" / "tmr-naca0012")
    setup = flow_setup(cfg)
    m = setup.model
    assert m.viscous and m.layout is RANS_SA and setup.numerics.nvar == 5
    assert (m.reynolds, m.temperature, m.sa_clip) == (6e6, 300.0, "softplus")
    assert setup.numerics.point_vortex and setup.flow.alpha == 10.0
    # the TMR case's Roe width of the linear waves is the rans-sa default, written once in cfdopt.case.schema
    # (tests/test_rans_defaults.py: a case that sets none gets it); rans-quick pins the width it was verified with
    assert setup.numerics.linear_fix == 1e-4 == RANS_ENTROPY_FIX_LINEAR
    quick = load_case(ROOT / "cases" / "rans-quick")
    assert flow_setup(quick).numerics.linear_fix == 0.002
    assert unused_keys(cfg) == []


def test_far_field_nu_tilde_reaches_the_free_stream_and_the_wall_stays_zero():
    """``[flow] nu_tilde_farfield`` sets the free-stream and far-field ``nuhat`` (TMR's 3 by default)."""
    from cfdopt.flow.state import freestream_primitive

    base = flow_setup(load_case(ROOT / "cases" / "sa-clip-study"))
    low = flow_setup(load_case(ROOT / "cases" / "sa-clip-study", ["flow.nu_tilde_farfield=0.1"]))
    assert float(freestream_primitive(base.flow, base.model)[-1]) == 3.0
    assert float(freestream_primitive(low.flow, low.model)[-1]) == 0.1
    assert low.model.nu_tilde_farfield == 0.1 and unused_keys(load_case(ROOT / "cases" / "sa-clip-active")) == []


def test_every_numerics_key_reaches_the_settings(tmp_path):
    """No key is dropped on the way: each solver key set in the file arrives in SolverSettings."""
    text = ("[numerics]\ntolerance = 1e-9\nmax_iterations = 7\ncfl_start = 3.0\nrestart_cfl = 40.0\n"
            "cfl_max = 1e8\nlinear_tolerance = 1e-11\nmax_change = 0.3\nordering = \"minimum-degree\"\n"
            "lu_reuse = false\nmesh_levels = 2\ncoarse_tolerance = 1e-2\nlu_precision = \"double\"\n")
    s = flow_setup(load_case(write_case(tmp_path, text))).settings
    assert (s.tolerance, s.max_iterations, s.cfl_start, s.restart_cfl, s.cfl_max) == (1e-9, 7, 3.0, 40.0, 1e8)
    assert (s.linear_tolerance, s.max_change, s.ordering, s.lu_reuse) == (1e-11, 0.3, "minimum-degree", False)
    assert (s.mesh_levels, s.coarse_tolerance, s.lu_precision) == (2, 1e-2, "double")


def test_line_search_default_follows_the_model_and_the_key_overrides_it(tmp_path):
    """rans-sa cases take steps only where the unsteady residual falls (the model's default), Euler cases as before;
    ``[numerics] line_search`` overrides either."""
    assert flow_setup(load_case(ROOT / "cases" / "tmr-naca0012")).settings.line_search
    assert not flow_setup(load_case(ROOT / "cases" / "tmr-naca0012", ["numerics.line_search=none"])).settings.line_search
    euler = write_case(tmp_path, "[flow]\nmodel = \"euler\"\n")
    assert not flow_setup(load_case(euler)).settings.line_search
    assert flow_setup(load_case(euler, ["numerics.line_search=unsteady-residual"])).settings.line_search
    assert {m: model_default(m, "numerics.line_search", "none") for m in MODELS} == {
        "euler": "none", "rans-sa": "unsteady-residual"}


def test_defaults_are_written_once():
    """The settings' defaults are the case file's: a case with no [numerics] gives SolverSettings()."""
    assert SolverSettings().tolerance == NumericsConfig.tolerance
    assert SolverSettings().cfl_start == NumericsConfig.cfl_start


def test_euler_case_with_rans_keys_is_reported(tmp_path):
    cfg = load_case(write_case(tmp_path, "[flow]\nmodel = \"euler\"\nreynolds = 3e6\n"), ["numerics.sa_clip=hard"])
    lines = unused_keys(cfg)
    assert len(lines) == 2
    assert "[flow] reynolds is set but model 'euler' does not use it" in lines[0]
    assert "[numerics] sa_clip" in lines[1]
    assert flow_setup(cfg).numerics.nvar == EULER.nvar


def test_cli_prints_the_note(tmp_path, capsys):
    case = write_case(tmp_path, "[flow]\nmodel = \"euler\"\nprandtl = 0.7\n")
    assert cli.main(["check", str(case)]) == 0
    assert "note:" in capsys.readouterr().err


def test_flat_plate_refuses_optimization_and_reports_unused_mesh_keys():
    from cfdopt.optimize.problem import AeroProblem

    cfg = load_case(ROOT / "cases" / "tmr-flatplate", ["mesh.farfield=30", "mesh.wake_aspect=1000"])
    assert any("[mesh] farfield" in line for line in unused_keys(cfg))
    assert any("[mesh] wake_aspect" in line for line in unused_keys(cfg))  # the plate's grid has no wake cut
    with pytest.raises(ConfigError, match="only 'cfdopt solve' runs it"):
        AeroProblem(cfg)


def test_gradient_and_optimize_problems_solve_the_case_model():
    """The design problem behind cfdopt gradient/optimize runs RANS for a rans-sa case (it ran Euler before)."""
    from cfdopt.optimize.problem import AeroProblem

    problem = AeroProblem(load_case(ROOT / "cases" / "rans-quick"))
    assert problem.numerics.model.viscous and problem.numerics.nvar == 5
    assert problem.numerics == flow_setup(problem.cfg).numerics
