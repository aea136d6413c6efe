"""rans-sa defaults that verify: a case with only the physics and a ``[mesh] size`` builds cases/tmr-naca0012's grid
and numerics; Euler defaults are unchanged; the envelope warns where explicit values leave the verified grids and
is silent on them (docs/rans.md, "Defaults of a rans-sa case"; docs/mesh.md, "The verified envelope of a RANS
grid"). Grids only, no solves."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import cfdopt  # noqa: F401  (float64)
from cfdopt import cli
from cfdopt.case.schema import TMR_CELLS, load_case, model_defaults
from cfdopt.util.errors import CfdoptError, ConfigError
from cfdopt.flow.residual import Numerics
from cfdopt.mesh import quality_report
from cfdopt.mesh.cgrid import cgrid_from_config, surface_for_grid, wall_spacing_for_yplus
from cfdopt.mesh.envelope import envelope_warnings
from cfdopt.optimize.problem import baseline_grid, baseline_surface, viscous_mesh_options
from cfdopt.case.build import flow_setup, unused_keys
from cfdopt.solve.newton import SolverSettings

ROOT = Path(__file__).resolve().parents[1]
TMR = ROOT / "cases" / "tmr-naca0012"
PHYSICS = """[geometry]
airfoil = "naca0012-sharp"

[flow]
model = "rans-sa"
mach = 0.15
alpha = 10.0
reynolds = 6e6
temperature = 300.0
"""


def physics_case(tmp_path, mesh: str = "") -> Path:
    """A rans-sa case of the TMR NACA 0012's physics and ``mesh`` (the body of a [mesh] table) alone."""
    (tmp_path / "case.toml").write_text(PHYSICS + (f"\n[mesh]\n{mesh}\n" if mesh else ""))
    return tmp_path


def same_setup(a, b) -> bool:
    sa, sb = flow_setup(a), flow_setup(b)
    return sa.numerics == sb.numerics and sa.settings == sb.settings and sa.flow == sb.flow


def test_physics_and_a_small_size_build_the_tmr_case_s_grid_and_numerics_at_that_size(tmp_path):
    """Size 113: TMR's counts halved (64, 24, 32) and sequencing off, else every setting of cases/tmr-naca0012."""
    cfg = load_case(physics_case(tmp_path, "size = 113"))
    assert (cfg.mesh.n_airfoil, cfg.mesh.n_wake, cfg.mesh.n_normal) == (64, 24, 32)
    tmr = load_case(TMR, ["mesh.n_airfoil=64", "mesh.n_wake=24", "mesh.n_normal=32", "numerics.mesh_levels=1"])
    assert np.array_equal(np.asarray(baseline_grid(cfg).nodes), np.asarray(baseline_grid(tmr).nodes))
    assert same_setup(cfg, tmr)


def test_physics_alone_or_with_size_225_is_the_tmr_case(tmp_path):
    """No [mesh] at all takes size 225: the grid of cases/tmr-naca0012 bit for bit, and its numerics and settings."""
    tmr = load_case(TMR)
    nodes = np.asarray(baseline_grid(tmr).nodes)
    for mesh in ("", "size = 225"):
        cfg = load_case(physics_case(tmp_path, mesh))
        assert cfg.mesh.size == 225 and (cfg.mesh.n_airfoil, cfg.mesh.n_wake, cfg.mesh.n_normal) == TMR_CELLS
        assert np.array_equal(np.asarray(baseline_grid(cfg).nodes), nodes)
        assert same_setup(cfg, tmr)
    s = flow_setup(cfg)
    assert (s.numerics.linear_fix, s.numerics.point_vortex, s.settings.mesh_levels, s.settings.max_iterations) == (
        1e-4, True, 2, 200)
    assert s.settings.coarse_linear_fix == 0.002  # the coarse-level width did not move with the case's


def test_size_449_is_the_family_refinement_that_verify_tmr_builds(tmp_path):
    """Twice the counts, one more sequencing level, first cell h / (1 + sqrt(r)) of the 225 grid's (2.077483e-6,
    scripts/verify_tmr.py family_refinement, docs/rans.md)."""
    cfg = load_case(physics_case(tmp_path, "size = 449"))
    assert (cfg.mesh.n_airfoil, cfg.mesh.n_wake, cfg.mesh.n_normal, cfg.numerics.mesh_levels) == (256, 96, 128, 3)
    grid = baseline_grid(cfg)
    coarse = baseline_grid(load_case(TMR))
    steps = np.hypot(*np.diff(np.asarray(coarse.nodes)[coarse.ni // 2], axis=0).T)
    expected = steps[0] / (1.0 + np.sqrt(steps[1] / steps[0]))
    report = quality_report(grid)
    np.testing.assert_allclose(report.min_wall_spacing, expected, rtol=1e-6)
    np.testing.assert_allclose(expected, 2.077483e-6, rtol=1e-6)
    assert envelope_warnings(cfg, grid) == []


def test_size_with_counts_is_an_error_naming_both_keys(tmp_path):
    with pytest.raises(ConfigError, match=r"\[mesh\] size = 225 and n_wake = 32 both set the cell counts"):
        load_case(physics_case(tmp_path, "size = 225\nn_wake = 32"))
    with pytest.raises(ConfigError, match=r"size = 449 and n_normal = 96"):
        load_case(physics_case(tmp_path, "size = 449"), ["mesh.n_normal=96"])
    # the counts alone (size unset or "none") are a new user's own grid; the ones left out are the 225 size's
    cfg = load_case(physics_case(tmp_path), ["mesh.size=none", "mesh.n_wake=32"])
    assert (cfg.mesh.size, cfg.mesh.n_airfoil, cfg.mesh.n_wake, cfg.mesh.n_normal) == (None, 128, 32, 64)
    with pytest.raises(ConfigError, match=r"\[mesh\] size: expected one of 113, 225, 449, 897, got 300"):
        load_case(physics_case(tmp_path, "size = 300"))


def test_resolving_twice_changes_nothing(tmp_path):
    for mesh in ("", "size = 449", "n_wake = 32"):
        cfg = load_case(physics_case(tmp_path, mesh))
        assert model_defaults(cfg) == cfg
    # counts set afterwards (cfdopt.optimize.verify.family_refinement doubles them) stay what they were set to
    cfg = load_case(physics_case(tmp_path))
    mesh = dataclasses.replace(cfg.mesh, size=225, n_airfoil=256, n_wake=96, n_normal=128)
    finer = dataclasses.replace(cfg, mesh=mesh)
    assert model_defaults(finer) == finer


def test_euler_defaults_are_unchanged(tmp_path):
    """An Euler case that sets nothing: the library's Numerics() and SolverSettings(), and the grid it always had."""
    (tmp_path / "case.toml").write_text('[flow]\nmodel = "euler"\n')
    cfg = load_case(tmp_path)
    m, n = cfg.mesh, cfg.numerics
    assert (m.size, m.n_airfoil, m.n_wake, m.n_normal, m.farfield, m.wall_spacing) == (None, 128, 32, 48, 100.0, None)
    assert (n.entropy_fix_linear, n.muscl_kappa, n.point_vortex, n.max_iterations, n.mesh_levels, n.line_search) == (
        None, 0.0, False, 100, 3, "none")
    s = flow_setup(cfg)
    assert s.numerics == Numerics() and s.settings == SolverSettings()
    grid = baseline_grid(cfg)
    assert (grid.n_airfoil, grid.n_wake, grid.nj) == (128, 32, 48)
    np.testing.assert_allclose(quality_report(grid).min_wall_spacing, 1e-3, rtol=1e-10)
    assert envelope_warnings(cfg, grid) == []
    # a size means nothing to an Euler case: reported as unused, the counts stay the Euler ones
    sized = load_case(tmp_path, ["mesh.size=225"])
    assert sized.mesh.n_wake == 32 and any("[mesh] size is set" in line for line in unused_keys(sized))


@pytest.mark.parametrize("override, words", [
    (["mesh.n_airfoil=160", "mesh.n_wake=32"], ["32 wake cells per branch for a far field of 500 chords",
                                                "wake-cut neighbour ratio of 3.46",
                                                "expect CL too low and CD too high"]),
    (["mesh.normal_spacing=boundary-layer"], ["wall-normal growth ratio up to 3.250 on 64 normal cells",
                                              "expect CL too low and CD too high"]),
    (["mesh.n_normal=56"], ["wall-normal growth ratio up to 1.375 on 56 normal cells", "raise [mesh] n_normal"]),
    (["mesh.wall_spacing=1e-5"], ["first-cell y+ of about 2.2", "expect skin friction and CD off"]),
])
def test_the_envelope_names_each_explicit_choice_that_leaves_it(override, words):
    cfg = load_case(TMR, override)
    lines = envelope_warnings(cfg, baseline_grid(cfg))
    assert len(lines) == 1, lines
    assert all(w in lines[0] for w in words) and "docs/mesh.md" in lines[0] and "\n" not in lines[0], lines[0]


def test_the_envelope_checks_the_surface_ratio_of_a_grid_given_to_it():
    """The rans-sa re-sampling keeps surface ratios within 1.2; a grid built on a cosine surface (the inviscid
    rule, 3.0 at the edges) is outside."""
    cfg = load_case(TMR)
    cosine = surface_for_grid(baseline_surface(load_case(TMR, ["flow.model=euler"])), cfg.mesh)
    grid = cgrid_from_config(cosine, cfg.mesh, **viscous_mesh_options(cfg))
    lines = envelope_warnings(cfg, grid)
    assert len(lines) == 1 and "neighbouring surface cells differ by a ratio of up to" in lines[0], lines


def test_the_envelope_is_silent_on_the_verified_grid_and_off_for_the_flat_plate():
    cfg = load_case(TMR)
    grid = baseline_grid(cfg)
    assert envelope_warnings(cfg, grid) == []
    np.testing.assert_allclose(quality_report(grid).max_wall_spacing, wall_spacing_for_yplus(6e6), rtol=1e-10)
    plate = load_case(ROOT / "cases" / "tmr-flatplate")
    assert envelope_warnings(plate, baseline_grid(plate)) == []


def test_check_mesh_and_solve_print_one_line_per_warning(tmp_path, capsys, monkeypatch):
    """cfdopt check, mesh and solve (before it solves) print each envelope line to stderr."""
    import cfdopt.solve.newton

    case = ROOT / "cases" / "sa-clip-study"  # 48 x 16 cells, far from the envelope: two lines
    expected = envelope_warnings(load_case(case), baseline_grid(load_case(case)))
    assert len(expected) == 2
    assert cli.main(["check", str(case)]) == 0
    assert capsys.readouterr().err.splitlines() == [f"cfdopt check: warning: {line}" for line in expected]
    assert cli.main(["mesh", str(case), "--out", str(tmp_path), "--quiet"]) == 0
    assert capsys.readouterr().err.splitlines() == [f"cfdopt mesh: warning: {line}" for line in expected]

    def stop(*args, **kwargs):
        raise CfdoptError("stopped before the solve")

    monkeypatch.setattr(cfdopt.solve.newton, "solve_flow", stop)
    assert cli.main(["solve", str(case), "--out", str(tmp_path), "--quiet"]) != 0
    err = capsys.readouterr().err.splitlines()
    assert err[:2] == [f"cfdopt solve: warning: {line}" for line in expected], err


def test_pinned_cases_keep_the_settings_they_were_verified_with():
    """The bundled rans-sa cases state the old defaults they relied on (docs/rans.md lists them)."""
    for name in ("rans-quick", "quickstart-rans", "sa-clip-study", "sa-clip-active"):
        cfg = load_case(ROOT / "cases" / name)
        assert (cfg.mesh.normal_spacing, cfg.mesh.wake_aspect) == ("boundary-layer", None), name
        assert (cfg.numerics.entropy_fix_linear, cfg.numerics.point_vortex, cfg.numerics.max_iterations) == (
            0.002, False, 100), name
    a = load_case(ROOT / "cases" / "adodg2-rae2822")
    assert (a.mesh.wake_aspect, a.numerics.entropy_fix_linear, a.numerics.point_vortex, a.numerics.max_iterations,
            a.numerics.mesh_levels) == (None, 0.002, False, 100, 2)
    plate = load_case(ROOT / "cases" / "tmr-flatplate")
    assert (plate.numerics.point_vortex, plate.numerics.mesh_levels, plate.numerics.max_iterations) == (False, 3, 100)
