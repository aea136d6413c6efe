"""C-grids to and from SU2 mesh files, so that a case can run on a published grid (the NASA TMR NACA 0012
family, distributed in SU2's format in SU2's TestCases) and SU2 can run on cfdopt's.

The file holds a structured C-grid as quads (:mod:`cfdopt.mesh.types` layout) in PLOT3D order, the
layout in which TMR's grids are converted: the ``ni + 1 - (n_wake + 1)`` nodes of row ``j = 0`` from
the lower outflow end round the airfoil to the node before the upper wake (whose nodes are the lower
wake's, merged across the cut), then rows ``j = 1 .. nj`` of ``ni + 1`` nodes each; quad ``j ni + i``
is cell ``(i, j)`` with corners ``(i, j), (i+1, j), (i+1, j+1), (i, j+1)``. Markers: ``airfoil`` (the
``n_airfoil`` wall faces) and ``farfield`` (``j = nj`` and the two outflow lines).

Reference: SU2 native mesh format, https://su2code.github.io/docs_v7/Mesh-File/.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import jax.numpy as jnp
import meshio
import numpy as np

from cfdopt.util.errors import MeshError
from cfdopt.mesh.quality import check_areas
from cfdopt.mesh.types import CGrid

__all__ = ["read_su2_cgrid", "su2_node_index", "write_su2"]


def su2_node_index(ni: int, nj: int, n_wake: int) -> np.ndarray:
    """``(ni + 1, nj + 1)`` point number of each node in the file: the upper wake's cut nodes ``(i, 0)``,
    ``i > ni - n_wake``... share the lower wake's ``(ni - i, 0)``."""
    row0 = ni + 1 - (n_wake + 1)
    idx = np.empty((ni + 1, nj + 1), dtype=np.int64)
    idx[:row0, 0] = np.arange(row0)
    idx[row0:, 0] = ni - np.arange(row0, ni + 1)
    idx[:, 1:] = row0 + np.arange(nj)[None, :] * (ni + 1) + np.arange(ni + 1)[:, None]
    return idx


def _quads(idx: np.ndarray) -> np.ndarray:
    """Quads ``(ni nj, 4)``, cell ``(i, j)`` at row ``j ni + i``."""
    q = np.stack([idx[:-1, :-1], idx[1:, :-1], idx[1:, 1:], idx[:-1, 1:]], axis=-1)
    return q.transpose(1, 0, 2).reshape(-1, 4)


def write_su2(path, grid: CGrid) -> Path:
    """Write ``grid`` as an SU2 mesh (module docstring), markers ``airfoil`` and ``farfield``."""
    nodes = np.asarray(grid.nodes, dtype=float)
    ni, nj, nw = grid.ni, grid.nj, grid.n_wake
    idx = su2_node_index(ni, nj, nw)
    points = np.empty((int(idx.max()) + 1, 2))
    points[idx] = nodes
    wall = [(idx[i, 0], idx[i + 1, 0]) for i in range(nw, ni - nw)]
    far = ([(idx[0, j], idx[0, j + 1]) for j in range(nj)] + [(idx[i, nj], idx[i + 1, nj]) for i in range(ni)]
           + [(idx[ni, j + 1], idx[ni, j]) for j in range(nj - 1, -1, -1)])
    lines = ["NDIME= 2", f"NELEM= {ni * nj}"]
    lines += [f"9 {a} {b} {c} {d} {k}" for k, (a, b, c, d) in enumerate(_quads(idx))]
    lines.append(f"NPOIN= {len(points)}")
    lines += [f"{x:.17g} {y:.17g} {k}" for k, (x, y) in enumerate(points)]
    lines.append("NMARK= 2")
    for tag, edges in (("airfoil", wall), ("farfield", far)):
        lines += [f"MARKER_TAG= {tag}", f"MARKER_ELEMS= {len(edges)}"] + [f"3 {a} {b}" for a, b in edges]
    path = Path(path)
    path.write_text("\n".join(lines) + "\n")
    return path


def read_su2_cgrid(path) -> CGrid:
    """The C-grid in an SU2 mesh file written in the module docstring's layout (TMR's grids as SU2
    distributes them; :func:`write_su2`).

    ``ni`` is found from the quad whose first corner is quad 0's last (cell ``(0, 1)``), ``n_wake`` from
    the number of merged cut nodes; every quad is then checked against the layout.

    Raises:
        ValueError: naming the file, when it is not a 2D all-quad C-grid in that layout, or a cell's area is
            not positive (:func:`cfdopt.mesh.quality.check_areas`: clockwise or folded).
    """
    path = Path(path)
    with contextlib.redirect_stderr(io.StringIO()):  # meshio warns, on stderr, that it numbers named markers
        mesh = meshio.read(path, file_format="su2")
    quads = [c.data for c in mesh.cells if c.type == "quad"]
    if len(quads) != 1 or any(c.type not in ("quad", "line") for c in mesh.cells):
        raise ValueError(f"{path}: expected a 2D mesh of quads only (a structured C-grid), got cell types "
                         f"{sorted({c.type for c in mesh.cells})}")
    q = np.asarray(quads[0], dtype=np.int64)
    points = np.asarray(mesh.points, dtype=float)[:, :2]
    starts = np.flatnonzero(q[:, 0] == q[0, 3])
    if len(starts) != 1 or len(q) % starts[0]:
        raise ValueError(f"{path}: the quads are not in structured (PLOT3D) order: cell (0, 1) not found")
    ni = int(starts[0])
    nj = len(q) // ni
    n_wake = ni - int(q[0, 3])
    if not 0 <= 2 * n_wake < ni or len(points) != (ni + 1) * (nj + 1) - (n_wake + 1):
        raise ValueError(f"{path}: {len(points)} points and {len(q)} quads do not make a C-grid of {ni} x "
                         f"{nj} cells with {n_wake} per wake branch")
    idx = su2_node_index(ni, nj, n_wake)
    if not np.array_equal(_quads(idx), q):
        raise ValueError(f"{path}: the quads are not a {ni} x {nj} C-grid in the layout of cfdopt.mesh.su2")
    nodes = points[idx]
    try:
        check_areas(nodes, what=str(path))
    except MeshError as err:
        raise ValueError(f"{err}: cells must be counter-clockwise (the C running from the lower outflow round "
                         "the lower surface, j outward)") from err
    return CGrid(nodes=jnp.asarray(nodes), n_wake=n_wake)
