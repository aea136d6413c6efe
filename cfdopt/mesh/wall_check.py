"""The deformed wall against the baseline's: turning angles, and the first cells' area and skew.

Positive cell areas (:func:`cfdopt.mesh.quality.check_areas`) do not exclude singular geometry: near the
wall the grid lines move rigidly with their wall node (:mod:`cfdopt.mesh.deform`), so a surface folded
back on itself into a cusp, or a near-vertical facet over two wall faces, can leave every area positive.
Three measures, taken on the wall faces ``k`` (joining wall nodes ``k`` and ``k + 1``, CGrid wall order:
TE, lower surface, LE, upper surface, TE) and the first cells on them:

- turning angle at wall node ``k`` (``0 < k < n_airfoil``): the angle between faces ``k - 1`` and ``k``,

      theta_k = |wrap(phi_k - phi_{k-1})|,   phi_k = atan2(dy_k, dx_k),

  the discrete curvature times the face length. It scales with the surface spacing, so the limit is
  relative to the baseline's sharpest corner ``theta^0 = max_k theta_k^0`` (on a smooth section, the
  leading edge): ``max(clip(turning_factor * theta^0, turning_floor_deg, turning_cap_deg), theta^0)``;
  the cap keeps the check alive on coarse grids (32 wall cells turn by 94 deg at the leading edge), the
  last term never refuses the baseline itself. The trailing-edge node, a corner by design, is not
  compared;
- first-cell area ratio ``A_k / A_k^0`` of the cells on the wall, at least ``min_area_ratio``: a cell squeezed
  towards a fold (a cell that grows, as on a nose made blunter, is no danger to the solver);
- first-cell skew: the departure from 90 deg of the angle between the wall face and the cell's mean
  j-edge (near-wall orthogonality, Knupp 2003), at most ``skew_increase_deg`` above the baseline's.

The default limits are measured (``scripts/design_space_corners.py``, docs/mesh.md): every corner of the
default design box on the bundled NACA 0012 grids stays within them, the cusps of bumps peaking at
x = 0.006 and x = 0.994 do not.

References:
    Knupp (2003), Algebraic mesh quality metrics for unstructured initial meshes, Finite Elements in
    Analysis and Design 39(3) (skew).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["WallLimits", "WallMeasures", "WallViolation", "WALL_LIMITS", "turning_allowed", "turning_angles",
           "wall_measures", "wall_violation"]


@dataclass(frozen=True)
class WallLimits:
    """How far a deformed wall may depart from the baseline's.

    Attributes:
        turning_factor: the allowed turning angle is this times the baseline's largest.
        turning_floor_deg: the allowed turning angle is never below this (degrees).
        turning_cap_deg: nor above this, unless the baseline itself turns more (degrees).
        min_area_ratio: first-cell area ratio deformed / baseline at least this.
        skew_increase_deg: first-cell skew at most this above the baseline's, cell by cell (degrees).
    """

    turning_factor: float = 3.5
    turning_floor_deg: float = 10.0
    turning_cap_deg: float = 120.0
    min_area_ratio: float = 0.25
    skew_increase_deg: float = 60.0

    def __post_init__(self):
        if not self.turning_factor > 1.0:
            raise ValueError(f"WallLimits.turning_factor={self.turning_factor} must be above 1")
        if not 0.0 < self.min_area_ratio < 1.0:
            raise ValueError(f"WallLimits.min_area_ratio={self.min_area_ratio} must lie in (0, 1)")
        for name in ("turning_floor_deg", "turning_cap_deg", "skew_increase_deg"):
            if not 0.0 < getattr(self, name) < 180.0:
                raise ValueError(f"WallLimits.{name}={getattr(self, name)} must lie in (0, 180) degrees")


WALL_LIMITS = WallLimits()
"""The limits :func:`cfdopt.mesh.check_deformation` applies when given the baseline grid."""


@dataclass(frozen=True)
class WallMeasures:
    """The wall measures of one grid (NumPy, float64).

    Attributes:
        wall: ``(n_airfoil + 1, 2)`` wall nodes, CGrid wall order.
        turning_deg: ``(n_airfoil - 1,)`` turning angle at wall nodes ``1 .. n_airfoil - 1``.
        area: ``(n_airfoil,)`` signed area of the first cell on each wall face.
        skew_deg: ``(n_airfoil,)`` skew of those cells at the wall.
    """

    wall: np.ndarray
    turning_deg: np.ndarray
    area: np.ndarray
    skew_deg: np.ndarray


@dataclass(frozen=True)
class WallViolation:
    """The worst breach of a :class:`WallLimits`.

    Attributes:
        quantity: ``"turning"``, ``"area"`` or ``"skew"``.
        nodes: the wall nodes (CGrid wall order) of the faces concerned.
        value, allowed: the measure and its limit (degrees, or the area ratio).
        baseline: the baseline's value there.
        message: one sentence naming where, the value and the limit.
    """

    quantity: str
    nodes: tuple[int, ...]
    value: float
    allowed: float
    baseline: float
    message: str


def turning_allowed(baseline_max_deg: float, limits: WallLimits = WALL_LIMITS) -> float:
    """The largest turning angle (degrees) allowed on a wall whose baseline turns by at most ``baseline_max_deg``."""
    scaled = limits.turning_factor * baseline_max_deg
    return max(min(max(scaled, limits.turning_floor_deg), limits.turning_cap_deg), baseline_max_deg)


def turning_angles(wall: np.ndarray) -> np.ndarray:
    """``(n - 2,)`` angles (degrees) between consecutive faces of an ``(n, 2)`` polyline, at its inner nodes."""
    face = np.diff(np.asarray(wall, dtype=float), axis=0)
    phi = np.arctan2(face[:, 1], face[:, 0])
    turn = (np.diff(phi) + np.pi) % (2.0 * np.pi) - np.pi
    return np.degrees(np.abs(turn))


def wall_measures(grid) -> WallMeasures:
    """Turning angles of the wall and area and skew of the first cells of a C-grid (only ``j <= 1`` is read)."""
    nodes = np.asarray(grid.nodes[:, :2], dtype=float)
    lo, hi = grid.n_wake, grid.ni - grid.n_wake
    p0, p1 = nodes[lo : hi + 1, 0], nodes[lo : hi + 1, 1]  # wall nodes and the nodes above them
    face = p0[1:] - p0[:-1]
    up = 0.5 * ((p1[1:] - p0[1:]) + (p1[:-1] - p0[:-1]))  # the cell's mean j-edge
    d1, d2 = p1[1:] - p0[:-1], p1[:-1] - p0[1:]
    area = 0.5 * (d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0])
    cos = np.sum(face * up, axis=-1) / (np.hypot(*face.T) * np.hypot(*up.T))
    skew = np.abs(90.0 - np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
    return WallMeasures(wall=p0, turning_deg=turning_angles(p0), area=area, skew_deg=skew)


def _place(wall: np.ndarray, k: int) -> str:
    """Where wall node ``k`` lies: its index, position, side and, within 2 % of the chord, LE or TE."""
    x_le = float(np.min(wall[:, 0]))
    chord = float(wall[0, 0]) - x_le
    xc = (wall[k, 0] - x_le) / chord
    k_le = int(np.argmin(wall[:, 0]))
    side = "leading edge" if k == k_le else "lower surface" if k < k_le else "upper surface"
    tag = ", at the leading edge" if xc < 0.02 and k != k_le else ", at the trailing edge" if xc > 0.98 else ""
    return f"wall node {k} (x={wall[k, 0]:.4g}, y={wall[k, 1]:.4g}, {side}{tag})"


def wall_violation(grid, baseline, limits: WallLimits = WALL_LIMITS) -> WallViolation | None:
    """The worst breach of ``limits`` by ``grid``'s wall against ``baseline``'s, or ``None``.

    The turning angle is looked at first (a facet or cusp shows there), then the first cells' area ratio,
    then their skew; within a quantity, the largest excess over its limit.

    Args:
        grid: the deformed C-grid (concrete arrays).
        baseline: the grid it was deformed from (same ``ni``, ``n_wake``).
        limits: the limits.

    Raises:
        ValueError: the two grids differ in layout.
    """
    if (grid.ni, grid.n_wake) != (baseline.ni, baseline.n_wake):
        raise ValueError(f"grid (ni={grid.ni}, n_wake={grid.n_wake}) and baseline (ni={baseline.ni}, "
                         f"n_wake={baseline.n_wake}) differ in layout")
    new, base = wall_measures(grid), wall_measures(baseline)
    wall = new.wall
    base_max = float(base.turning_deg.max())
    allowed = turning_allowed(base_max, limits)
    excess = new.turning_deg - allowed
    if excess.max() > 0.0:
        m = int(np.argmax(excess))
        k = m + 1
        return WallViolation(
            "turning", (k - 1, k, k + 1), float(new.turning_deg[m]), allowed, float(base.turning_deg[m]),
            f"the wall turns by {new.turning_deg[m]:.1f} deg at {_place(wall, k)}, between faces {k - 1} and {k} "
            f"(the baseline: {base.turning_deg[m]:.1f} deg there); allowed {allowed:.1f} deg "
            f"({limits.turning_factor:g} x the baseline's largest, {base_max:.1f} deg, within "
            f"[{limits.turning_floor_deg:g}, {limits.turning_cap_deg:g}] deg)",
        )
    ratio = new.area / base.area
    if ratio.min() < limits.min_area_ratio:
        k = int(np.argmin(ratio))
        return WallViolation(
            "area", (k, k + 1), float(ratio[k]), limits.min_area_ratio, 1.0,
            f"the first cell on wall face {k} (from {_place(wall, k)}) has {ratio[k]:.3g} times its baseline area "
            f"({new.area[k]:.3e} against {base.area[k]:.3e} chords^2); allowed at least {limits.min_area_ratio:g} "
            "times",
        )
    rise = new.skew_deg - base.skew_deg
    if rise.max() > limits.skew_increase_deg:
        k = int(np.argmax(rise))
        allowed_skew = base.skew_deg[k] + limits.skew_increase_deg
        return WallViolation(
            "skew", (k, k + 1), float(new.skew_deg[k]), float(allowed_skew), float(base.skew_deg[k]),
            f"the first cell on wall face {k} (from {_place(wall, k)}) meets the wall {new.skew_deg[k]:.1f} deg off "
            f"square (the baseline: {base.skew_deg[k]:.1f} deg); allowed {allowed_skew:.1f} deg "
            f"(the baseline's + {limits.skew_increase_deg:g})",
        )
    return None
