"""Fill-reducing cell orders for the sparse LU of the Newton systems.

:func:`nested_dissection` orders the cells of a C-grid (unknowns flattened C order ``(i nj + j) nvar + k``,
the blocks kept together by :func:`block_permutation`). The cell graph (the residual's stencil plus the
wake-cut coupling, :func:`cfdopt.solve.linear.jacobian.cell_pattern`) is split recursively at the
index-space median of its longer extent; the separator is the set of cells on one side with a neighbour on
the other (two lines wide for the radius-2 MUSCL stencil, plus the wake cells coupled across the cut) and is
numbered last. The order belongs to the solver, not to ``cfdopt.mesh``: the graph it dissects is the flow
discretization's stencil, which the mesh package sits below and does not know.

Reference:
    George (1973), Nested dissection of a regular finite element mesh, SIAM J. Numer. Anal. 10(2), 345-363.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.sparse as sp

from cfdopt.flow.layout import MEAN_FLOW
from cfdopt.flow.stencil import Stencil
from cfdopt.solve.linear.jacobian import cell_pattern


def _touches(graph: sp.csr_matrix, rows: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """For each of ``rows``, whether any neighbour in ``graph`` is set in ``mask``."""
    starts, ends = graph.indptr[rows], graph.indptr[rows + 1]
    counts = ends - starts
    first = np.cumsum(counts) - counts
    flat = np.repeat(starts - first, counts) + np.arange(counts.sum())
    hits = np.concatenate([[0], np.cumsum(mask[graph.indices[flat]])])
    return hits[first + counts] > hits[first]


def _bisect(graph: sp.csr_matrix, idx: np.ndarray, coords: np.ndarray, leaf: int) -> np.ndarray:
    if idx.size <= leaf:
        return idx
    c = coords[idx]
    best = None
    for ax in np.argsort(c.max(0) - c.min(0))[::-1]:  # longer extent first: ties keep it
        med = np.median(c[:, ax])
        left = c[:, ax] <= med
        if left.all() or not left.any():
            continue
        a, b = idx[left], idx[~left]
        in_b = np.zeros(graph.shape[0], dtype=bool)
        in_b[b] = True
        touches = _touches(graph, a, in_b)
        if best is None or touches.sum() < best[2].size:
            best = (a[~touches], b, a[touches])
    if best is None:
        return idx
    a, b, sep = best
    return np.concatenate([_bisect(graph, a, coords, leaf), _bisect(graph, b, coords, leaf), sep])


@functools.lru_cache(maxsize=8)
def nested_dissection(ni: int, nj: int, n_wake: int, leaf: int = 16, radius: Stencil | int = 2) -> np.ndarray:
    """Nested-dissection order of the ``ni nj`` cells of a C-grid.

    Args:
        ni, nj: cells along the C and normal to it.
        n_wake: wake cells per branch (the cut couples cell ``i`` with ``ni - 1 - i``).
        leaf: subdomains of at most this many cells are not split further.
        radius: the residual's stencil, or the convective order alone (2 for MUSCL, 1 for first
            order; :func:`cell_pattern`).

    Returns:
        ``(ni nj,)`` int64 permutation: position ``m`` holds the flat cell index
        ``i nj + j`` eliminated ``m``-th (separators last). Read-only (cached).
    """
    if ni < 1 or nj < 1 or leaf < 1:
        raise ValueError(f"need ni, nj, leaf >= 1, got {ni!r}, {nj!r}, {leaf!r}")
    pat = cell_pattern(ni, nj, n_wake, radius)
    graph = ((pat + pat.T) > 0).tocsr()
    i, j = np.meshgrid(np.arange(ni), np.arange(nj), indexing="ij")
    coords = np.stack([i.ravel(), j.ravel()], axis=1).astype(float)
    order = _bisect(graph, np.arange(ni * nj), coords, leaf)
    order.setflags(write=False)
    return order


def block_permutation(cell_order: np.ndarray, nvar: int = MEAN_FLOW) -> np.ndarray:
    """Expand a cell order to the flat unknowns ``cell * nvar + k`` (blocks kept together)."""
    return (np.asarray(cell_order)[:, None] * nvar + np.arange(nvar)[None, :]).ravel()
