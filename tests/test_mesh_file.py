"""``[mesh] file``: a case on a grid read from an SU2 file (issue 13, "bring your own mesh").

A grid written by :func:`cfdopt.mesh.su2.write_su2` and read back through the case key must be the generated grid
itself, so every command on it gives the generated grid's flow; a file that is missing or not a C-grid is refused
naming the key; the keys that build a grid are reported as unused; and an optimum on a file grid is not verified on
a finer mesh that does not exist.
"""

from pathlib import Path

import numpy as np
import pytest

from cfdopt.case.build import unused_keys
from cfdopt.case.schema import load_case
from cfdopt.mesh.su2 import read_su2_cgrid, write_su2
from cfdopt.optimize.problem import AeroProblem, baseline_grid, baseline_surface
from cfdopt.optimize.verify import finer_mesh_check
from cfdopt.util.errors import ConfigError
from conftest import shared_path

CASE = Path(__file__).resolve().parents[1] / "cases" / "quickstart"
TINY = ["mesh.n_airfoil=32", "mesh.n_wake=8", "mesh.n_normal=8", "mesh.farfield=20",
        "flow.mach=0.8", "flow.alpha=1.25", "design.alpha=false", "numerics.tolerance=1e-12", "numerics.max_iterations=60"]
"""The tiny quickstart of tests/test_adjoint.py (the same grid shape, so the same compiled programs)."""


def file_case(tmp_path: Path, grid_name: str = "grid.su2", mesh_lines: str = "") -> Path:
    """The quickstart case without [geometry], its [mesh] section only ``file = grid_name`` (plus ``mesh_lines``)."""
    sections = (CASE / "case.toml").read_text().split("\n[")
    kept = ["[" + s for s in sections[1:] if not s.startswith(("geometry]", "mesh]"))]  # the wall is the file's
    mesh = f"[mesh]\nfile = \"{grid_name}\"\n{mesh_lines}\n"
    (tmp_path / "case.toml").write_text(mesh + "\n".join(kept))
    return tmp_path


@pytest.fixture(scope="module")
def generated():
    cfg = load_case(CASE, TINY)
    return cfg, baseline_grid(cfg)


@pytest.fixture
def on_file(tmp_path, generated):
    _, grid = generated
    write_su2(tmp_path / "grid.su2", grid)
    return load_case(file_case(tmp_path), TINY[4:])


def test_the_file_grid_is_the_generated_grid(generated, on_file):
    cfg, grid = generated
    read = baseline_grid(on_file)
    assert (read.ni, read.nj, read.n_wake) == (grid.ni, grid.nj, grid.n_wake)
    np.testing.assert_array_equal(np.asarray(read.nodes), np.asarray(grid.nodes))  # 17 digits: exact
    np.testing.assert_array_equal(baseline_surface(on_file), baseline_surface(cfg))


def test_a_design_on_the_file_grid_gives_the_generated_grids_flow(generated, on_file):
    """The same deformed grid and the same converged coefficients, at a design off the baseline."""
    cfg, _ = generated
    ours, theirs = AeroProblem(on_file), AeroProblem(cfg)
    d = 1e-3 * np.linspace(-1.0, 1.0, ours.space.initial().size)
    a, b = ours.evaluate(d), theirs.evaluate(d)
    np.testing.assert_array_equal(np.asarray(a.grid.nodes), np.asarray(b.grid.nodes))
    for k in ("cl", "cd", "cm"):
        assert float(a.coefficients[k]) == float(b.coefficients[k]), k


def test_a_missing_or_wrong_file_is_refused_naming_the_key(tmp_path, generated):
    with pytest.raises(ConfigError, match=r"\[mesh\] file = 'nowhere.su2': no such file"):
        baseline_grid(load_case(file_case(tmp_path, "nowhere.su2")))
    (tmp_path / "tri.su2").write_text("NDIME= 2\nNELEM= 1\n5 0 1 2 0\nNPOIN= 3\n0 0 0\n1 0 1\n0 1 2\nNMARK= 0\n")
    with pytest.raises(ConfigError, match=r"\[mesh\] file = 'tri.su2': not a structured C-grid .*quads only"):
        baseline_grid(load_case(file_case(tmp_path, "tri.su2")))


def test_keys_that_build_a_grid_are_reported_unused(tmp_path, generated):
    write_su2(tmp_path / "grid.su2", generated[1])
    cfg = load_case(file_case(tmp_path, mesh_lines="n_normal = 48\nfarfield = 30.0"))
    lines = unused_keys(cfg)
    assert [line.split("] ")[1].split(" is set")[0] for line in lines] == ["n_normal", "farfield"], lines
    assert all("the grid is read from [mesh] file = 'grid.su2'" in line for line in lines)
    named = unused_keys(load_case(tmp_path, ["geometry.airfoil=naca0012"]))
    assert "[geometry] airfoil is set but the grid is read from" in named[0]


def test_an_optimum_on_a_file_grid_is_not_verified_on_a_finer_mesh(on_file):
    finer = finer_mesh_check(on_file, (), (), (), "cd")
    assert finer["converged"] is False
    assert "no finer mesh of its family" in finer["message"]


def test_tmrs_own_grid_reads_through_the_case_key(tmp_path):
    """TMR's 225 x 65 NACA 0012 grid (from SU2's TestCases) as a case's [mesh] file: 224 x 64 cells, 48 per wake
    branch (TMR's layout), its wall the sharp-trailing-edge NACA 0012 from x = 0 to 1."""
    path = shared_path("data", "grids", "n0012_225-65.su2")
    grid = read_su2_cgrid(path)
    cfg = load_case(file_case(tmp_path, str(path)))
    read = baseline_grid(cfg)
    assert (read.ni, read.nj, read.n_wake) == (grid.ni, grid.nj, grid.n_wake) == (224, 64, 48)
    surface = baseline_surface(cfg)
    np.testing.assert_allclose([surface[:, 0].min(), surface[:, 0].max()], [0.0, 1.0], atol=1e-6)
