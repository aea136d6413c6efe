"""SU2 mesh files: cfdopt's C-grid written and read back, the layout of TMR's grids as SU2 distributes them,
and clear errors for files that are not such a grid."""

import numpy as np
import pytest

import cfdopt  # noqa: F401  (float64)
from cfdopt.mesh import generate_cgrid
from cfdopt.mesh.su2 import read_su2_cgrid, su2_node_index, write_su2
from mesh_fixtures import tmr_naca0012_sharp


@pytest.fixture(scope="module")
def grid():
    return generate_cgrid(tmr_naca0012_sharp(32), 6, 8, farfield=10.0)


def test_round_trip_is_exact(grid, tmp_path):
    back = read_su2_cgrid(write_su2(tmp_path / "g.su2", grid))
    assert (back.ni, back.nj, back.n_wake) == (grid.ni, grid.nj, grid.n_wake)
    np.testing.assert_array_equal(np.asarray(back.nodes), np.asarray(grid.nodes))


def test_file_layout_is_tmrs(grid, tmp_path):
    """The head of TMR's n0012_225-65.su2 (SU2 TestCases, rans/naca0012) reads ``9 0 1 177 176 0`` for its
    first quad and has 14576 points for 224 x 64 cells and 48 wake cells a branch; the same numbers here."""
    idx = su2_node_index(224, 64, 48)
    assert idx.max() + 1 == 14576
    assert [idx[0, 0], idx[1, 0], idx[1, 1], idx[0, 1]] == [0, 1, 177, 176]
    assert idx[224, 0] == 0 and idx[176, 0] == 48 and idx[175, 0] == 175  # the upper wake merged onto the lower
    text = write_su2(tmp_path / "g.su2", grid).read_text().splitlines()
    n_points = (grid.ni + 1) * (grid.nj + 1) - (grid.n_wake + 1)
    assert text[:3] == ["NDIME= 2", f"NELEM= {grid.ni * grid.nj}", f"9 0 1 {grid.ni - grid.n_wake + 1} "
                        f"{grid.ni - grid.n_wake} 0"]
    assert f"NPOIN= {n_points}" in text
    k = text.index("MARKER_TAG= airfoil")
    assert text[k + 1] == f"MARKER_ELEMS= {grid.n_airfoil}"
    k = text.index("MARKER_TAG= farfield")
    assert text[k + 1] == f"MARKER_ELEMS= {grid.ni + 2 * grid.nj}"


def test_quads_out_of_order_are_refused(grid, tmp_path):
    path = write_su2(tmp_path / "g.su2", grid)
    lines = path.read_text().splitlines()
    n = grid.ni * grid.nj
    lines[2:2 + n] = lines[2:2 + n][::-1]  # the right quads, in another order
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match="g.su2: the quads are not"):
        read_su2_cgrid(path)


def test_mirrored_grid_is_refused(grid, tmp_path):
    nodes = np.array(grid.nodes)
    nodes[..., 1] *= -1.0  # the C now runs round the upper surface first: cells clockwise
    path = write_su2(tmp_path / "g.su2", type(grid)(nodes=nodes, n_wake=grid.n_wake))
    with pytest.raises(ValueError, match="counter-clockwise"):
        read_su2_cgrid(path)


def test_triangles_are_refused(tmp_path):
    path = tmp_path / "t.su2"
    path.write_text("NDIME= 2\nNELEM= 1\n5 0 1 2 0\nNPOIN= 3\n0 0 0\n1 0 1\n0 1 2\nNMARK= 0\n")
    with pytest.raises(ValueError, match="quads only"):
        read_su2_cgrid(path)
