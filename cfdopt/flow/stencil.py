"""Which cells a residual term reads: the stencils whose union is the Jacobian's sparsity.

A :class:`Stencil` lists the offsets ``(di, dj)`` of the cells that the
residual of cell ``(i, j)`` depends on, and how far it reaches across the
C-grid's cut: rows ``j < cut_rows`` of the cells within ``cut_reach`` of a
cut branch depend on the cells ``(ni - 1 - i + d, k)`` with ``|d| <=
cut_reach`` and ``k < cut_rows`` on the other side. Ghost cells of walls
and far fields depend only on the boundary cell itself, which every stencil
holds. A stencil may list more cells than the residual reads (the extra
entries are exact zeros); it must never list fewer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stencil:
    """Cell dependencies of one residual term (see the module docstring).

    Attributes:
        offsets: ``(di, dj)`` pairs, ``(0, 0)`` included.
        cut_rows: rows ``j < cut_rows`` couple across the cut, to rows ``k < cut_rows``.
        cut_reach: ``i`` reach across the cut (0: only the facing cell ``ni - 1 - i``).
    """

    offsets: frozenset
    cut_rows: int
    cut_reach: int = 0

    def __or__(self, other: "Stencil") -> "Stencil":
        return Stencil(self.offsets | other.offsets, max(self.cut_rows, other.cut_rows),
                       max(self.cut_reach, other.cut_reach))

    @property
    def radius(self) -> int:
        return max(max(abs(di), abs(dj)) for di, dj in self.offsets)


def cross(radius: int) -> frozenset:
    """Offsets of the cross ``(+-d, 0), (0, +-d)``, ``d <= radius``."""
    return frozenset({(0, 0)} | {(s * d, 0) for d in range(1, radius + 1) for s in (-1, 1)}
                     | {(0, s * d) for d in range(1, radius + 1) for s in (-1, 1)})


DIAGONALS = frozenset({(-1, -1), (-1, 1), (1, -1), (1, 1)})


def convective_stencil(order: int) -> Stencil:
    """MUSCL (order 2): the cross of radius 2 and two rows across the cut; first order: radius 1, one row."""
    return Stencil(cross(order), cut_rows=order)
