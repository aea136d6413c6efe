"""The verification of an optimum (cfdopt.optimize.verify): the final design from the free stream and on the
next finer mesh of the family, judged against the optimizer's reduction."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from cfdopt.cli import main
from cfdopt.case.schema import load_case
from cfdopt.optimize.problem import baseline_grid
from cfdopt.optimize.verify import family_refinement, judge, verification_line

sys.path.insert(0, str(Path(__file__).parent))
from test_optimize import CASE, TINY  # noqa: E402

FINER = dict(mesh=[96, 16], converged=True, objective_reduction_percent=20.0)
SAME = {None: dict(converged=True, same_solution=True, cd=0.01)}


def test_family_refinement_doubles_the_cells_and_splits_a_geometric_first_cell():
    """On a geometric wall-normal distribution of ratio r the refined grid, ratio sqrt(r), holds every other
    node of the case's: the first two refined steps add up to the case's first step, and so on outward."""
    cfg = load_case(Path(CASE).parent / "tmr-naca0012", ["mesh.n_airfoil=32", "mesh.n_wake=12", "mesh.n_normal=16"])
    fine = family_refinement(cfg)
    coarse, refined = baseline_grid(cfg), baseline_grid(fine)
    assert (refined.n_airfoil, refined.n_wake, refined.nj) == (64, 24, 32)
    assert fine.numerics.mesh_levels == cfg.numerics.mesh_levels + 1
    line_c = np.asarray(coarse.nodes)[coarse.ni // 2]
    line_f = np.asarray(refined.nodes)[refined.ni // 2]
    r_c = np.hypot(*np.diff(line_c, axis=0).T)
    r_f = np.hypot(*np.diff(line_f, axis=0).T)
    # the geometric part near the wall (the outer steps are blended to the far-field circle)
    np.testing.assert_allclose(r_f[0:8:2] + r_f[1:9:2], r_c[:4], rtol=1e-6)


def test_judge_names_each_reason():
    assert judge(20.0, SAME, FINER, 0.25) == (True, "")
    assert judge(20.0, {}, dict(FINER, objective_reduction_percent=24.9), 0.25)[0]
    other = {None: dict(converged=True, same_solution=False, cd=0.02)}
    assert "another flow" in judge(20.0, other, FINER, 0.25)[1]
    failed = {"cruise": dict(converged=False, message="not converged in 100 iterations")}
    why = judge(20.0, failed, FINER, 0.25)[1]
    assert "at flight point 'cruise' did not converge from the free stream" in why
    fold = dict(mesh=[96, 16], converged=False, message="MeshError: deformed mesh has 2 cell(s) with non-positive area")
    assert judge(20.0, SAME, fold, 0.25)[1] == ("on the finer mesh (96 x 16): MeshError: deformed mesh has 2 cell(s) "
                                                "with non-positive area")
    assert "no reduction to verify" in judge(-1.0, SAME, FINER, 0.25)[1]
    assert "differ by more than the margin (25%" in judge(20.0, SAME, dict(FINER, objective_reduction_percent=14.0),
                                                          0.25)[1]
    assert not judge(20.0, SAME, dict(FINER, objective_reduction_percent=-3.0), 0.9)[0]  # the gain is gone


def test_optimize_writes_both_verifications_and_reports_a_failed_one(tmp_path, monkeypatch, capsys):
    """A tiny run with a margin no mesh pair meets: both checks are in summary.json, the reduction on the finer
    mesh is the baseline's and the final design's solved there, and the run says NOT VERIFIED with exit 0."""
    monkeypatch.setenv("CFDOPT_CACHE_DIR", "")
    out = tmp_path / "run"
    sets = [f"--set={s}" for s in TINY if not s.startswith("optimize.verify")]
    assert main(["optimize", str(CASE), "--out", str(out), *sets, "--set", "optimize.max_iterations=2",
                 "--set", "optimize.verify_margin=1e-9", "--set", "optimize.constraint=[]",
                 "--set", "optimize.cl_target=none", "--set", "optimize.thickness_fraction=none"]) == 0
    stdout = capsys.readouterr().out
    v = json.loads((out / "summary.json").read_text())["verification"]
    assert not v["verified"] and "differ by more than the margin" in v["reason"]
    assert stdout.strip().splitlines()[-1] == f"NOT VERIFIED optimum: {v['reason']}"
    assert v["free_stream_reduction_percent"] == pytest.approx(v["reduction_percent"], abs=1e-4)
    finer = v["finer"]
    assert finer["converged"] and finer["mesh"] == [96, 16]
    assert finer["objective_reduction_percent"] == pytest.approx(
        100 * (1 - finer["final"]["cd"] / finer["baseline"]["cd"]), rel=1e-12)
    assert finer["baseline"]["cd"] != pytest.approx(json.loads((out / "summary.json").read_text())["baseline"]["cd"],
                                                    rel=1e-3)  # another mesh: another number


def test_verification_line():
    v = dict(verified=True, reason="", reduction_percent=20.0, free_stream_reduction_percent=19.99, finer=FINER)
    assert verification_line(v) == ("VERIFIED optimum: objective reduction 20.00% on the case's mesh, 19.99% solved "
                                    "again from the free stream, 20.00% on the finer 96 x 16 mesh")
