"""Cell-quality measures of a structured grid and the positive-area check.

Per cell ``(i, j)``, with ``a_i`` the vector between the midpoints of its
two i-faces (across the cell along i) and ``a_j`` the same along j:

- area: shoelace area (``types.metrics``); must be positive;
- skew: ``|90 deg - angle(a_i, a_j)|``, the departure from orthogonality;
- aspect ratio: ``max(|a_i|, |a_j|) / min(|a_i|, |a_j|)``;
- stretching: the ratio of the sizes of two neighbours along a grid line
  (``|a_i|`` of i-neighbours, ``|a_j|`` of j-neighbours), folded to >= 1;
- wall skew: at the wall, the departure from 90 deg of the angle between
  the first j-edge and the wall face, i.e. near-wall orthogonality.

Spacing along grid lines (``spacing_summary``), from the node-to-node steps
rather than the cells, as a grid generator states them:

- wall-normal growth: ratio of consecutive steps along each line ``i``
  (folded to >= 1), both where the two steps lie within ``layer`` chords of
  the wall (measured along the line: the boundary layer) and overall;
- surface ratio: ratio of neighbouring wall cell lengths (folded), its
  largest value and where; and at the trailing edge, the first wake cell
  against the last surface cell;
- wake: the first wake-cut cell length and the largest neighbour ratio
  along the wake cut;
- trailing-edge skew: the largest skew of cells centred within
  ``te_radius`` chords of the trailing edge.

References:
    Knupp (2003), Algebraic mesh quality metrics for unstructured initial
    meshes, Finite Elements in Analysis and Design 39(3) (skew and aspect
    ratio in the same sense).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cfdopt.util.errors import MeshError
from cfdopt.mesh.types import CGrid, metrics

__all__ = ["QualityReport", "cell_quality", "quality_report", "check_areas", "spacing_summary"]


def _nodes(grid) -> np.ndarray:
    return np.asarray(grid.nodes if hasattr(grid, "nodes") else grid, dtype=float)


def check_areas(grid, what: str = "mesh") -> None:
    """Raise ``MeshError`` naming the worst cell if any cell area is not positive.

    Args:
        grid: ``CGrid``, ``FlatPlateGrid`` or a node array ``(ni+1, nj+1, 2)``.
        what: how to call the grid in the message.
    """
    nodes = _nodes(grid)
    m = metrics(nodes)
    area = np.asarray(m.area)
    bad = ~(area > 0.0)
    if np.any(bad):
        # rank by area over the diagonals' product (the sine of their angle): the most inverted
        # cell, whatever its size, rather than merely the biggest one
        d1 = nodes[1:, 1:] - nodes[:-1, :-1]
        d2 = nodes[:-1, 1:] - nodes[1:, :-1]
        scale = 0.5 * np.hypot(d1[..., 0], d1[..., 1]) * np.hypot(d2[..., 0], d2[..., 1])
        with np.errstate(divide="ignore", invalid="ignore"):
            rank = np.where(np.isfinite(area), area / scale, -np.inf)
        i, j = np.unravel_index(np.argmin(np.where(np.isnan(rank), -np.inf, rank)), area.shape)
        x, y = nodes[i : i + 2, j : j + 2].reshape(-1, 2).mean(axis=0)  # the centroid is undefined at zero area
        typical = float(np.median(np.abs(area[max(i - 1, 0) : i + 2, max(j - 1, 0) : j + 2])))
        raise MeshError(
            f"{what} has {int(bad.sum())} cell(s) with non-positive area; worst is cell (i={i}, j={j}) "
            f"at (x={x:.6g}, y={y:.6g}) with area {area[i, j]:.3e} (folded by {-area[i, j]:.3e} chords^2; "
            f"neighbouring cells are about {typical:.3e})"
        )


def cell_quality(grid) -> dict[str, np.ndarray]:
    """Per-cell quality fields (NumPy, float64).

    Returns:
        Dict with ``area`` ``(ni, nj)``, ``skew_deg`` ``(ni, nj)``,
        ``aspect_ratio`` ``(ni, nj)``, ``stretch_i`` ``(ni - 1, nj)``,
        ``stretch_j`` ``(ni, nj - 1)`` and ``wall_skew_deg`` ``(ni + 1,)``
        (at every ``j = 0`` node, wake cut included).
    """
    nodes = _nodes(grid)
    area = np.asarray(metrics(nodes).area)
    mid_i = 0.5 * (nodes[:, 1:] + nodes[:, :-1])  # i-face midpoints (ni+1, nj, 2)
    mid_j = 0.5 * (nodes[1:, :] + nodes[:-1, :])  # j-face midpoints (ni, nj+1, 2)
    a_i = mid_i[1:] - mid_i[:-1]
    a_j = mid_j[:, 1:] - mid_j[:, :-1]
    li = np.hypot(a_i[..., 0], a_i[..., 1])
    lj = np.hypot(a_j[..., 0], a_j[..., 1])
    cos = np.sum(a_i * a_j, axis=-1) / (li * lj)
    skew = np.abs(90.0 - np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
    si = li[1:] / li[:-1]
    sj = lj[:, 1:] / lj[:, :-1]
    tangent = np.gradient(nodes[:, 0], axis=0)
    first = nodes[:, 1] - nodes[:, 0]
    cw = np.sum(tangent * first, axis=-1) / (np.hypot(*tangent.T) * np.hypot(*first.T))
    return {
        "area": area,
        "skew_deg": skew,
        "aspect_ratio": np.maximum(li, lj) / np.minimum(li, lj),
        "stretch_i": np.maximum(si, 1.0 / si),
        "stretch_j": np.maximum(sj, 1.0 / sj),
        "wall_skew_deg": np.abs(90.0 - np.degrees(np.arccos(np.clip(cw, -1.0, 1.0)))),
    }


@dataclass(frozen=True)
class QualityReport:
    """Summary of ``cell_quality``: extremes over all cells.

    Attributes:
        ni, nj: cell counts.
        min_area, max_area: extreme cell areas (chords^2); ``min_area > 0``
            for a valid grid.
        max_skew_deg: largest departure from orthogonal cells (degrees).
        max_wall_skew_deg: largest departure from 90 deg of the grid lines
            at the wall and wake cut (degrees), excluding the TE node where
            the wall turns.
        max_stretch: largest size ratio of neighbouring cells along a line.
        max_aspect_ratio: largest cell aspect ratio.
        min_wall_spacing, max_wall_spacing: first-cell heights at ``j = 0`` (on a C-grid, of the lines that
            leave the wall, not of the wake's).
        layer: thickness (chords) of the wall region of ``max_growth_layer``.
        max_growth_layer, max_growth: largest wall-normal step ratio within
            ``layer`` of the wall and anywhere (see ``spacing_summary``).
        max_surface_ratio, surface_ratio_at: largest neighbour ratio of
            wall cells and where (C-grids only, else None / "").
        te_junction_ratio: first wake cell over the last surface cell
            (folded, worse branch).
        wake_first: length of the first wake-cut cell.
        max_wake_ratio: largest neighbour ratio along the wake cut.
        max_te_skew_deg: largest skew near the trailing edge.
    """

    ni: int
    nj: int
    min_area: float
    max_area: float
    max_skew_deg: float
    max_wall_skew_deg: float
    max_stretch: float
    max_aspect_ratio: float
    min_wall_spacing: float
    max_wall_spacing: float
    layer: float | None = None
    max_growth_layer: float | None = None
    max_growth: float | None = None
    max_surface_ratio: float | None = None
    surface_ratio_at: str = ""
    te_junction_ratio: float | None = None
    wake_first: float | None = None
    max_wake_ratio: float | None = None
    max_te_skew_deg: float | None = None

    @property
    def valid(self) -> bool:
        return self.min_area > 0.0

    def __str__(self) -> str:
        lines = [
            f"cells          {self.ni} x {self.nj} = {self.ni * self.nj}",
            f"area           min {self.min_area:.3e}  max {self.max_area:.3e}  ({'valid' if self.valid else 'INVALID'})",
            f"skew           max {self.max_skew_deg:.2f} deg (wall lines: {self.max_wall_skew_deg:.2f} deg)",
            f"stretching     max {self.max_stretch:.3f}",
            f"aspect ratio   max {self.max_aspect_ratio:.3e}",
            f"wall spacing   {self.min_wall_spacing:.3e} .. {self.max_wall_spacing:.3e}",
        ]
        if self.max_growth is not None:
            lines.append(f"normal growth  max {self.max_growth_layer:.3f} within {self.layer:g} chords of the wall, "
                         f"{self.max_growth:.3f} overall")
        if self.max_surface_ratio is not None:
            lines += [
                f"surface ratio  max {self.max_surface_ratio:.3f} ({self.surface_ratio_at}); "
                f"first wake cell / last surface cell {self.te_junction_ratio:.3f}",
                f"wake cut       first cell {self.wake_first:.3e}, neighbour ratio max {self.max_wake_ratio:.3f}",
                f"skew near TE   max {self.max_te_skew_deg:.2f} deg",
            ]
        return "\n".join(lines)


def _folded_ratio(steps: np.ndarray, axis: int) -> np.ndarray:
    """Ratio of consecutive ``steps`` along ``axis``, folded to >= 1."""
    ratio = np.diff(np.log(steps), axis=axis)
    return np.exp(np.abs(ratio))


def _surface_place(surface: np.ndarray, k: int) -> str:
    """Where wall node ``k`` (CGrid wall order) lies: side, x/c, and LE/TE when within 2 % of the chord."""
    x_le, x_te = float(np.min(surface[:, 0])), float(surface[0, 0])
    xc = (surface[k, 0] - x_le) / (x_te - x_le)
    side = "lower" if k < surface.shape[0] // 2 else "upper" if k > surface.shape[0] // 2 else "leading edge,"
    tag = ", LE" if xc < 0.02 else ", TE" if xc > 0.98 else ""
    return f"{side} x/c {xc:.3f}{tag}"


def spacing_summary(grid, layer: float = 0.02, te_radius: float = 0.05) -> dict:
    """Step-ratio measures of a grid (module docstring), as a dict of ``QualityReport`` field values.

    Args:
        grid: ``CGrid`` (all entries) or another structured grid (growth only).
        layer: wall region (chords, along the lines) of ``max_growth_layer``.
        te_radius: cells centred this close to the TE count for ``max_te_skew_deg``.
    """
    nodes = _nodes(grid)
    step = np.hypot(*np.diff(nodes, axis=1).transpose(2, 0, 1))  # (ni+1, nj)
    growth = _folded_ratio(step, axis=1)
    inside = np.cumsum(step, axis=1)[:, 1:] <= layer  # both steps of a ratio within the layer
    out = {"layer": layer, "max_growth": float(growth.max()),
           "max_growth_layer": float(growth[inside].max()) if np.any(inside) else float("nan")}
    if not isinstance(grid, CGrid):
        return out
    nw, ni = grid.n_wake, grid.ni
    edge = np.hypot(*np.diff(nodes[:, 0], axis=0).T)  # (ni,) cells along j = 0
    ratio = _folded_ratio(edge, axis=0)  # ratio[k]: cells k and k+1, across node k+1
    wall = ratio[nw : ni - nw - 1]
    k = int(np.argmax(wall))
    centre = np.asarray(metrics(nodes).centre)
    near = np.hypot(*(centre - nodes[nw, 0]).transpose(2, 0, 1)) < te_radius
    out.update(
        max_surface_ratio=float(wall[k]),
        surface_ratio_at=_surface_place(nodes[nw : ni - nw + 1, 0], k + 1),
        te_junction_ratio=float(max(ratio[nw - 1], ratio[ni - nw - 1])),
        wake_first=float(edge[nw - 1]),
        max_wake_ratio=float(ratio[: nw - 1].max()) if nw > 1 else float("nan"),
        max_te_skew_deg=float(cell_quality(nodes)["skew_deg"][near].max()) if np.any(near) else float("nan"),
    )
    return out


def quality_report(grid, layer: float = 0.02) -> QualityReport:
    """Extremes of ``cell_quality`` and ``spacing_summary`` for a ``CGrid`` or ``FlatPlateGrid``."""
    nodes = _nodes(grid)
    q = cell_quality(nodes)
    wall_skew = q["wall_skew_deg"]
    first = np.hypot(*(nodes[:, 1] - nodes[:, 0]).T)
    if isinstance(grid, CGrid):
        lo, hi = grid.wall_cells
        keep = np.ones(wall_skew.shape, bool)
        keep[[lo, hi]] = False  # the wall turns at the TE
        wall_skew = wall_skew[keep]
        first = first[lo:hi + 1]  # the wall's lines, not the wake's
    return QualityReport(
        ni=nodes.shape[0] - 1,
        nj=nodes.shape[1] - 1,
        min_area=float(q["area"].min()),
        max_area=float(q["area"].max()),
        max_skew_deg=float(q["skew_deg"].max()),
        max_wall_skew_deg=float(wall_skew.max()),
        max_stretch=float(max(q["stretch_i"].max(), q["stretch_j"].max())),
        max_aspect_ratio=float(q["aspect_ratio"].max()),
        min_wall_spacing=float(first.min()),
        max_wall_spacing=float(first.max()),
        **spacing_summary(grid, layer=layer),
    )
