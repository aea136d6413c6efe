"""Coarser C-grids for mesh sequencing, and cell-field prolongation back to the fine grid.

The coarse grid keeps every other node of the fine one, ``nodes[::2, ::2]``,
so it lies exactly on the fine grid (same airfoil, far field and wake cut)
and each coarse cell ``(I, J)`` is the union of the fine cells
``(2I..2I+1, 2J..2J+1)``. It needs even ``ni``, ``nj`` and ``n_wake``.

Cell fields go back by bilinear interpolation in index space: a fine cell
centre sits a quarter of a coarse cell from its parent's centre, so

    u_f(2I + s, 2J + t) = sum over a, b of w_a w_b u_c(I + a, J + b),

with weights 3/4 on the parent and 1/4 on the neighbour towards the fine
cell (``a = -1`` for ``s = 0``, ``+1`` for ``s = 1``, likewise in ``j``),
the neighbour replaced by the parent at the grid edges. Constants are
reproduced exactly.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from cfdopt.mesh.types import CGrid, FlatPlateGrid


def _boundary_counts(grid) -> dict:
    """The grid's static cell counts along ``j = 0`` (``n_wake`` of a C-grid, ``n_lead`` of a flat plate)."""
    return {"n_lead": grid.n_lead} if isinstance(grid, FlatPlateGrid) else {"n_wake": grid.n_wake}


def can_coarsen(grid: CGrid | FlatPlateGrid) -> bool:
    """Whether ``grid`` has a coarser level: ``ni``, ``nj`` and its boundary counts (``n_wake`` or
    ``n_lead``) even, and at least 8 cells normal to the wall on the coarse grid (fewer resolve too little
    of the flow to be a useful start)."""
    even = all(n % 2 == 0 for n in _boundary_counts(grid).values())
    return grid.ni % 2 == 0 and grid.nj % 2 == 0 and even and grid.nj >= 16


def coarsen(grid: CGrid | FlatPlateGrid) -> CGrid | FlatPlateGrid:
    """Every other node of ``grid`` (see the module docstring); ``ValueError`` if it has no coarser level."""
    if not can_coarsen(grid):
        raise ValueError(f"cannot coarsen a {grid.ni} x {grid.nj} grid with {_boundary_counts(grid)}: "
                         "need even ni, nj, boundary counts and nj >= 16")
    half = {k: v // 2 for k, v in _boundary_counts(grid).items()}
    return dataclasses.replace(grid, nodes=np.asarray(grid.nodes)[::2, ::2], **half)


def _prolong_axis(u: np.ndarray, axis: int) -> np.ndarray:
    u = np.moveaxis(u, axis, 0)
    lo = np.concatenate([u[:1], u[:-1]])  # neighbour below, clamped
    hi = np.concatenate([u[1:], u[-1:]])  # neighbour above, clamped
    out = np.empty((2 * u.shape[0],) + u.shape[1:], dtype=u.dtype)
    out[0::2] = 0.75 * u + 0.25 * lo
    out[1::2] = 0.75 * u + 0.25 * hi
    return np.moveaxis(out, 0, axis)


def prolong_cells(u: np.ndarray) -> np.ndarray:
    """``(ni, nj, ...)`` coarse cell field -> ``(2 ni, 2 nj, ...)`` on the fine grid (bilinear, see above)."""
    u = np.asarray(u)
    return _prolong_axis(_prolong_axis(u, 0), 1)
