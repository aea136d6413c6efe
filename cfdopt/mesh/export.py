"""VTU export of structured grids (and cell fields) with meshio, for ParaView.

Nodes ``(i, j)`` are written in C order (point ``i * (nj + 1) + j``) with
``z = 0``; cell ``(i, j)`` is quad ``i * nj + j`` with corners
``(i, j), (i+1, j), (i+1, j+1), (i, j+1)`` (counter-clockwise).
"""

from __future__ import annotations

from pathlib import Path

import meshio
import numpy as np

__all__ = ["quad_cells", "write_vtu"]


def quad_cells(ni: int, nj: int) -> np.ndarray:
    """Quad connectivity ``(ni * nj, 4)`` of an ``(ni + 1) x (nj + 1)`` node block."""
    idx = np.arange((ni + 1) * (nj + 1)).reshape(ni + 1, nj + 1)
    quads = np.stack([idx[:-1, :-1], idx[1:, :-1], idx[1:, 1:], idx[:-1, 1:]], axis=-1)
    return quads.reshape(-1, 4)


def write_vtu(path, grid, cell_data: dict | None = None, point_data: dict | None = None) -> Path:
    """Write a grid and optional fields to a ``.vtu`` file.

    Args:
        path: output file (``.vtu``).
        grid: ``CGrid``/``FlatPlateGrid`` or a node array ``(ni+1, nj+1, 2)``.
        cell_data: name -> ``(ni, nj)`` or ``(ni, nj, k)`` array (e.g. the
            flow state ``(ni, nj, nvar)`` or a velocity ``(ni, nj, 2)``).
        point_data: name -> ``(ni+1, nj+1)`` or ``(ni+1, nj+1, k)`` array.

    Returns:
        The path written.
    """
    nodes = np.asarray(grid.nodes if hasattr(grid, "nodes") else grid, dtype=float)
    ni, nj = nodes.shape[0] - 1, nodes.shape[1] - 1
    points = np.concatenate([nodes.reshape(-1, 2), np.zeros(((ni + 1) * (nj + 1), 1))], axis=1)

    def flat(name, value, shape):
        value = np.asarray(value, dtype=float)
        if value.shape[:2] != shape:
            raise ValueError(f"field {name!r} has shape {value.shape}, expected {shape} (+ components)")
        return value.reshape((shape[0] * shape[1],) + value.shape[2:])

    cells_out = {k: [flat(k, v, (ni, nj))] for k, v in (cell_data or {}).items()}
    points_out = {k: flat(k, v, (ni + 1, nj + 1)) for k, v in (point_data or {}).items()}
    mesh = meshio.Mesh(points, [("quad", quad_cells(ni, nj))], cell_data=cells_out, point_data=points_out)
    path = Path(path)
    mesh.write(path)
    return path
