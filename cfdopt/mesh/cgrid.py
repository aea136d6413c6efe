"""Algebraic C-grid generation around a closed-trailing-edge airfoil.

Construction (all NumPy, vectorised over grid lines):

1. The inner C line ``j = 0``: the lower wake cut from the outflow to the
   trailing edge (TE), the wall in CGrid order (TE, lower surface, leading
   edge, upper surface, TE), then the upper wake back to the outflow. The
   wake leaves the TE along +x with its first cell equal to the surface
   spacing at the TE and grows geometrically to the outflow plane
   ``x = x_te + farfield``.
2. The outer C ``j = nj``: a half circle of radius ``R = farfield`` centred
   on the TE, closed by two straight lines ``y = y_te -+ R`` to the
   outflow. Wake nodes map to the straight lines at their own x, wall nodes
   to the half circle by a parameter that blends normalised arc length
   with the normalised turning of the wall tangent; the spacing of the outer
   points is then smoothed in log space so that it varies gradually where
   the fine wake meets the coarse circle.
3. Each line ``i`` leaves its inner node ``P_i`` along the wall normal
   ``n_i`` and turns towards the straight direction ``e_i`` to its outer
   node ``Q_i``: node ``(i, j) = P_i + s_j d_i(s_j)`` with
   ``d = normalise((1 - w) n + w e)``,
   ``w(s) = (1 - exp(-s/delta_i)) / (1 - exp(-L_i/delta_i))`` and
   ``delta_i = blend * h_i`` a few local surface spacings ``h_i``. Cells
   thinner than ``delta_i`` are orthogonal to the wall; where normals
   converge (the concave corner the wake makes with the surface at a sharp
   TE) the lines straighten before they could cross.
4. The distances ``s_j`` grow geometrically from ``wall_spacing`` to the
   line length ``L_i = |Q_i - P_i|``, so the outermost node is exactly
   ``Q_i``.

Viscous grids (``viscous=ViscousSpacing(...)``; the default ``None`` is the
construction above, bit for bit) change three things: the wake cut leaves
the TE along its bisector and turns to +x (``_viscous_inner_line``) with
ramped spacing; the far-field points of the two TE lines are pinned to the
corners of the outer C (``_pin_te``); the distances ``s_j`` follow
``ramped_distances``: ratio ``growth`` across the boundary layer, then a
ratio that grows by a bounded factor per step. The wall spacing for a
``y+`` comes from ``wall_spacing_for_yplus``. The 1-D distributions live in
:mod:`cfdopt.mesh.spacing`.

References:
    Thompson, Warsi & Mastin (1985), Numerical Grid Generation, ch. 8
    (algebraic generation and normal-line blending).
    Vinokur (1983), On one-dimensional stretching functions for
    finite-difference calculations, J. Comput. Phys. 50(2).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import jax.numpy as jnp

from cfdopt.util.errors import MeshError
from cfdopt.mesh.quality import check_areas
from cfdopt.mesh.spacing import floor_steps, geometric_distances, layer_cells, ramped_distances
from cfdopt.mesh.types import CGrid
from cfdopt.geometry import resample_surface

__all__ = [
    "ViscousSpacing",
    "wall_spacing_for_yplus",
    "generate_cgrid",
    "cgrid_from_config",
    "surface_for_grid",
    "te_bisector",
    "outer_boundary_point",
    "family_wall_spacing",
]

_TE_GAP_TOL = 1e-6
_EULER_WALL_SPACING = 1e-3  # [mesh] wall_spacing when a case leaves it unset and the flow is inviscid
Y_PLUS_FAMILY_SIZE = 225
"""The ``[mesh] size`` (nodes around the C) of the NASA TMR family level whose first cell is ``wall_spacing_for_yplus``
(cases/tmr-naca0012's grid); a finer size takes the family refinement of the next coarser one
(:func:`family_wall_spacing`), a coarser one the same y+ spacing."""


@dataclass(frozen=True)
class ViscousSpacing:
    """Spacing rules of a C-grid for viscous (RANS) flow; ``generate_cgrid(..., viscous=ViscousSpacing())``.

    Attributes:
        growth: ratio of consecutive wall-normal steps inside the boundary
            layer (``layer``).
        layer: thickness in chords covered at ``growth`` (default 0.02: the
            turbulent flat-plate thickness ``0.37 Re^-1/5`` at the TE is
            0.016 at Re = 6e6), unless ``max_ramp`` needs those cells.
        max_ramp: bound on the ratio of consecutive growth ratios beyond the
            layer, where the steps grow towards the far field; the layer
            gives up cells (from its outer edge) until the ramp stays within
            it.
        surface_ratio: largest ratio of neighbouring surface cells, used
            when ``cgrid_from_config`` re-samples the surface.
        wake_growth: ratio of consecutive wake cells near the TE.
        wake_layer: wake length in chords covered at ``wake_growth`` (as
            ``layer``, the ramp after it bounded by ``max_ramp``).
        wake_turn: length in chords over which the wake cut turns from the
            TE bisector to the +x direction.
        wake_aspect: ``None`` (default): the wake lines start from the wall
            spacing, as the wall lines do. A number ``A``: on a wake line
            whose cut cell is ``dx`` long every normal step ``d`` becomes
            ``sqrt(d^2 + (dx / A)^2)`` (``floor_steps``), so the cells along
            the cut have an aspect ratio of at most about ``A`` while the
            first cell still matches the wall's at the TE and the outer
            steps barely change. With the default the cut's cells of the
            TMR NACA 0012 grid reach an aspect ratio of 4e7 at the outflow,
            and at alpha 0, where the turbulent wake lies on them, Newton-PTC
            does not converge; ``cases/tmr-naca0012`` sets ``A = 1000``
            (``[mesh] wake_aspect``), with which alpha 0, 10 and 15 converge
            from the free stream (docs/rans.md). ``[mesh] wake_aspect``
            defaults to 1000 for every rans-sa case (cfdopt.case.schema); the
            generator's own default stays None, the grid it always built.
        y_plus: target ``y+`` of the first cell when ``cgrid_from_config``
            derives the wall spacing from the Reynolds number.
        normal: ``"boundary-layer"`` (the layer and ramp above) or
            ``"geometric"``: one ratio from the wall spacing to the far
            field on every line (``geometric_distances``), the distribution
            of the NASA TMR NACA 0012 family grids. With 64 normal cells at
            Re 6e6 the layer takes 47 cells and leaves the outer flow 17
            (ratio 2.9 at the far field); the geometric rule grows by 1.31
            throughout, giving 27 cells below 0.02 chord and 37 above.
    """

    growth: float = 1.15
    layer: float = 0.02
    max_ramp: float = 1.1
    surface_ratio: float = 1.2
    wake_growth: float = 1.15
    wake_layer: float = 0.02
    wake_turn: float = 1.0
    wake_aspect: float | None = None
    y_plus: float = 1.0
    normal: str = "boundary-layer"

    def __post_init__(self):
        if self.normal not in ("boundary-layer", "geometric"):
            raise ValueError(f"ViscousSpacing.normal={self.normal!r} must be 'boundary-layer' or 'geometric'")
        for name in ("growth", "max_ramp", "surface_ratio", "wake_growth"):
            if not getattr(self, name) > 1.0:
                raise ValueError(f"ViscousSpacing.{name}={getattr(self, name)} must be above 1")
        for name in ("layer", "wake_layer", "wake_turn", "y_plus"):
            if not getattr(self, name) > 0.0:
                raise ValueError(f"ViscousSpacing.{name}={getattr(self, name)} must be positive")
        if self.wake_aspect is not None and not self.wake_aspect > 0.0:
            raise ValueError(f"ViscousSpacing.wake_aspect={self.wake_aspect} must be positive or None")


def wall_spacing_for_yplus(reynolds: float, y_plus: float = 1.0, x_ref: float = 1.0) -> float:
    """First-cell height (chords) for a wall ``y+`` from the turbulent flat-plate skin friction.

    ``Cf = 0.026 / Re_x^(1/7)`` with ``Re_x = reynolds * x_ref``; with the
    chord and the free-stream speed as units, ``nu = 1 / reynolds`` and
    ``u_tau = sqrt(Cf / 2)``, so ``dy = y_plus / (reynolds * sqrt(Cf / 2))``.
    At Re = 6e6 and ``y+ = 1`` that is 4.46e-6 chords. ``u_tau`` grows
    upstream only as ``x^(-1/14)`` (``y+`` 1.18 at ``x = 0.1`` for
    ``x_ref = 1``); suction peaks and wall-density changes at high Mach
    move the actual ``y+`` by a similar factor.

    Args:
        reynolds: Reynolds number based on the chord, positive.
        y_plus: target ``y+`` of the first cell height.
        x_ref: distance from the leading edge (chords) where ``Cf`` is taken.

    Returns:
        The first-cell height in chords.

    References:
        White, F. M., Fluid Mechanics, McGraw-Hill, sec. 7.4: the
        one-seventh-power-law flat plate, ``Cf ~ 0.027 / Re_x^(1/7)``; the
        coefficient 0.026 (as common y+ calculators use) gives 4 % less
        friction, so 2 % taller first cells.
    """
    if not (reynolds > 0.0 and y_plus > 0.0 and x_ref > 0.0):
        raise ValueError(f"need positive reynolds, y_plus, x_ref, got {reynolds}, {y_plus}, {x_ref}")
    cf = 0.026 / (reynolds * x_ref) ** (1.0 / 7.0)
    return float(y_plus / (reynolds * np.sqrt(0.5 * cf)))


def outer_boundary_point(u: np.ndarray, te: np.ndarray, radius: float) -> np.ndarray:
    """Point ``(..., 2)`` at arc length ``u`` along the outer C (from the lower outflow corner).

    The outer C is the line ``y = y_te - R`` from ``x_te + R`` back to
    ``x_te``, the half circle of radius ``R`` about the TE through
    ``(x_te - R, y_te)``, then ``y = y_te + R`` out to ``x_te + R``; its
    length is ``(2 + pi) R``.
    """
    u = np.asarray(u, dtype=float)
    theta = -0.5 * np.pi - (u - radius) / radius
    circle = np.stack([te[0] + radius * np.cos(theta), te[1] + radius * np.sin(theta)], axis=-1)
    lower = np.stack([te[0] + radius - u, np.full_like(u, te[1] - radius)], axis=-1)
    upper = np.stack([te[0] + u - (1.0 + np.pi) * radius, np.full_like(u, te[1] + radius)], axis=-1)
    return np.where((u < radius)[..., None], lower, np.where((u > (1.0 + np.pi) * radius)[..., None], upper, circle))


def _closed_wall(surface) -> np.ndarray:
    """Validate a Selig-order surface and return it in CGrid wall order with an exactly closed TE."""
    s = np.array(surface, dtype=float)
    if s.ndim != 2 or s.shape[1] != 2 or s.shape[0] < 9:
        raise MeshError(f"surface must have shape (n_airfoil + 1, 2) with n_airfoil >= 8, got {s.shape}")
    if not np.all(np.isfinite(s)):
        raise MeshError("surface has non-finite coordinates")
    gap = float(np.hypot(*(s[0] - s[-1])))
    if gap > _TE_GAP_TOL:
        raise MeshError(
            f"trailing edge is open (gap {gap:.3e} chords > {_TE_GAP_TOL:g}); close it first "
            "(cfdopt.geometry.close_trailing_edge) so that the wake cut starts at one point"
        )
    s[0] = s[-1] = 0.5 * (s[0] + s[-1])
    signed_area = 0.5 * np.sum(s[:-1, 0] * s[1:, 1] - s[1:, 0] * s[:-1, 1])
    if signed_area <= 0.0:
        raise MeshError(
            f"surface is not in Selig order (TE, upper, LE, lower, TE): its signed area is {signed_area:.3e} <= 0"
        )
    return s[::-1].copy()


def _smooth_log_steps(steps: np.ndarray, passes: int) -> np.ndarray:
    """Smooth positive steps by ``passes`` [1/4, 1/2, 1/4] sweeps on ``log(step)``, ends held."""
    g = np.log(steps)
    for _ in range(passes):
        g[1:-1] = 0.25 * g[:-2] + 0.5 * g[1:-1] + 0.25 * g[2:]
    return np.exp(g)


def _inner_line(wall: np.ndarray, n_wake: int, wake_length: float, wake_spacing: float | None):
    """Inner C ``(ni + 1, 2)`` and its left normals ``(ni + 1, 2)`` (pointing into the domain)."""
    te = wall[0]
    if wake_spacing is None:
        wake_spacing = 0.5 * (np.hypot(*(wall[1] - wall[0])) + np.hypot(*(wall[-1] - wall[-2])))
    xw = te[0] + geometric_distances(wake_spacing, wake_length, n_wake)
    wake = np.stack([xw, np.full_like(xw, te[1])], axis=-1)
    inner = np.concatenate([wake[:0:-1], wall, wake[1:]], axis=0)
    tangent = np.gradient(inner, axis=0)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=-1)
    normal /= np.hypot(normal[:, 0], normal[:, 1])[:, None]
    normal[:n_wake] = (0.0, -1.0)
    normal[-n_wake:] = (0.0, 1.0)
    return inner, normal


def te_bisector(wall: np.ndarray) -> float:
    """Angle (radians, from +x) of the bisector of the two last wall cells at the TE, pointing downstream.

    ``wall`` is in CGrid order (TE, lower, LE, upper, TE): the bisector of
    the directions in which the lower and upper surfaces arrive at the TE.
    """
    lower = wall[0] - wall[1]
    upper = wall[-1] - wall[-2]
    b = lower / np.hypot(*lower) + upper / np.hypot(*upper)
    return float(np.arctan2(b[1], b[0]))


def _viscous_inner_line(wall: np.ndarray, n_wake: int, wake_length: float, wake_spacing: float | None,
                        viscous: ViscousSpacing):
    """Inner C and its left normals (as ``_inner_line``) with the wake of a viscous grid.

    The wake cut leaves the TE along its bisector (angle ``theta``) and
    turns to +x: ``y = y_te + tan(theta) L (1 - exp(-xi / L))`` with
    ``xi = x - x_te`` and ``L = wake_turn``, whose slope decays from
    ``tan(theta)`` to 0. Its nodes are placed in ``xi`` by
    ``ramped_distances`` from ``h cos(theta)`` (``h`` the TE surface
    spacing, so the first wake cell is ``h`` long) to ``wake_length``.
    Wake normals are the exact normals of that curve.
    """
    te = wall[0]
    if wake_spacing is None:
        wake_spacing = 0.5 * (np.hypot(*(wall[1] - wall[0])) + np.hypot(*(wall[-1] - wall[-2])))
    theta = te_bisector(wall)
    if not abs(theta) < 0.25 * np.pi:
        raise MeshError(f"the trailing-edge bisector points {np.degrees(theta):.1f} deg from +x; "
                        "the wake cut needs it within 45 deg")
    first = wake_spacing * np.cos(theta)
    n_layer = layer_cells(first, wake_length, n_wake, viscous.wake_growth, viscous.wake_layer, viscous.max_ramp)
    xi = ramped_distances(first, wake_length, n_wake, viscous.wake_growth, n_layer)
    turn = viscous.wake_turn
    slope = np.tan(theta) * np.exp(-xi / turn)
    wake = np.stack([te[0] + xi, te[1] - np.tan(theta) * turn * np.expm1(-xi / turn)], axis=-1)
    wake[0] = te
    inner = np.concatenate([wake[:0:-1], wall, wake[1:]], axis=0)
    tangent = np.gradient(inner, axis=0)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=-1)
    normal /= np.hypot(normal[:, 0], normal[:, 1])[:, None]
    up = np.stack([-slope, np.ones_like(slope)], axis=-1) / np.hypot(1.0, slope)[:, None]
    normal[:n_wake] = -up[:0:-1]
    normal[-n_wake:] = up[1:]
    return inner, normal


def _pin_te(u: np.ndarray, n_wake: int, radius: float) -> np.ndarray:
    """Map ``u`` piecewise linearly so the TE lines (``i = n_wake, ni - n_wake``) end at the circle/line corners.

    Log smoothing of the outer steps drags the TE lines' outer points round
    the circle (by ~90 chords at R = 500 with a finely spaced wake), tilting
    every line near the TE; pinning them keeps those lines near the wall
    normal. The three pieces keep their smooth spacing; the spacing jumps
    at the corners only by the ratio of their stretch factors.
    """
    ni = u.shape[0] - 1
    known = [0.0, u[n_wake], u[ni - n_wake], u[-1]]
    target = [0.0, radius, (1.0 + np.pi) * radius, (2.0 + np.pi) * radius]
    return np.interp(u, known, target)


def _outer_line(inner: np.ndarray, n_wake: int, radius: float, smooth_passes: int, turning: float,
                pin_te: bool = False) -> np.ndarray:
    """Outer C points ``(ni + 1, 2)`` matched to the inner line (see the module docstring)."""
    ni = inner.shape[0] - 1
    te = inner[n_wake]
    wall = inner[n_wake : ni - n_wake + 1]
    seg = np.diff(wall, axis=0)
    arc = np.concatenate([[0.0], np.cumsum(np.hypot(seg[:, 0], seg[:, 1]))])
    heading = np.unwrap(np.arctan2(seg[:, 1], seg[:, 0]))
    turn_node = np.concatenate([[0.0], np.abs(np.diff(heading)), [0.0]])
    turn = np.concatenate([[0.0], np.cumsum(0.5 * (turn_node[:-1] + turn_node[1:]))])
    sigma = (1.0 - turning) * arc / arc[-1] + turning * turn / turn[-1]
    u_wall = radius + np.pi * radius * sigma
    u_lower = radius - (inner[:n_wake, 0] - te[0])
    u_upper = (1.0 + np.pi) * radius + (inner[ni - n_wake + 1 :, 0] - te[0])
    u = np.concatenate([u_lower, u_wall, u_upper])
    steps = _smooth_log_steps(np.diff(u), smooth_passes)
    u = np.concatenate([[0.0], np.cumsum(steps)]) * ((2.0 + np.pi) * radius / np.sum(steps))
    if pin_te:
        u = _pin_te(u, n_wake, radius)
    return outer_boundary_point(u, te, radius)


def generate_cgrid(
    surface,
    n_wake: int,
    n_normal: int,
    farfield: float = 100.0,
    wall_spacing: float = 1e-3,
    wake_spacing: float | None = None,
    blend: float = 3.0,
    outer_smoothing: int | None = None,
    turning: float = 0.5,
    viscous: ViscousSpacing | None = None,
) -> CGrid:
    """Build a C-grid around an airfoil (construction in the module docstring).

    Args:
        surface: ``(n_airfoil + 1, 2)`` wall nodes in **Selig order** (TE,
            upper surface, LE, lower surface, TE) with a closed trailing edge
            (gap below 1e-6 chords); reversed here into CGrid wall order. The
            surface nodes become the grid's wall nodes unchanged, so their
            clustering is the grid's.
        n_wake: cells along each wake branch.
        n_normal: cells from the wall to the far field (``nj``).
        farfield: far-field radius ``R`` in chords: the outer half circle
            is centred on the TE, the outflow plane is at ``x_te + R``.
        wall_spacing: first-cell height at the wall and the wake cut, chords.
        wake_spacing: first wake-cell length; default the mean surface
            spacing at the TE, so the cells match across the TE.
        blend: normal-to-straight blending distance in local surface
            spacings (larger: orthogonal further out, but lines may cross
            where normals converge).
        outer_smoothing: smoothing sweeps on the outer spacing; default
            ``ni // 2``.
        turning: share of the outer half circle given out by the turning
            of the wall normal rather than by arc length (0..1); more
            turning sends more far-field points round the leading edge,
            keeping the lines there straighter.
        viscous: spacing rules for viscous flow (``ViscousSpacing``): the
            wall-normal steps follow ``ramped_distances`` (ratio
            ``growth`` in the boundary layer, then smoothly faster), the
            wake leaves the TE along its bisector and turns to +x, with
            ramped spacing from the TE surface spacing. ``None`` (default):
            the inviscid grid described in the module docstring, unchanged.

    Returns:
        The grid, with ``ni = n_airfoil + 2 n_wake`` and ``nj = n_normal``.

    Raises:
        MeshError: bad surface (shape, open TE, wrong order) or a cell with
            non-positive area (the message gives the cell and position).
    """
    if n_wake < 1 or n_normal < 2:
        raise MeshError(f"need n_wake >= 1 and n_normal >= 2, got n_wake={n_wake}, n_normal={n_normal}")
    if not farfield > 2.0 or not 0.0 < wall_spacing < 0.5 * farfield:
        raise MeshError(f"need farfield > 2 and 0 < wall_spacing < farfield/2, got {farfield}, {wall_spacing}")
    wall = _closed_wall(surface)
    if viscous is None:
        inner, normal = _inner_line(wall, n_wake, farfield, wake_spacing)
    else:
        inner, normal = _viscous_inner_line(wall, n_wake, farfield, wake_spacing, viscous)
    ni = inner.shape[0] - 1
    passes = ni // 2 if outer_smoothing is None else outer_smoothing
    outer = _outer_line(inner, n_wake, farfield, passes, turning, pin_te=viscous is not None)

    chord_vec = outer - inner
    length = np.hypot(chord_vec[:, 0], chord_vec[:, 1])
    straight = chord_vec / length[:, None]
    edge = np.hypot(*np.diff(inner, axis=0).T)
    h = np.concatenate([[edge[0]], 0.5 * (edge[:-1] + edge[1:]), [edge[-1]]])
    delta = blend * h

    if viscous is None or viscous.normal == "geometric":
        s = geometric_distances(wall_spacing, length, n_normal)  # (ni+1, nj+1)
    else:
        v = viscous
        n_layer = layer_cells(wall_spacing, float(length.max()), n_normal, v.growth, v.layer, v.max_ramp)
        s = ramped_distances(wall_spacing, length, n_normal, v.growth, n_layer)
    if viscous is not None and viscous.wake_aspect is not None:
        wake_lines = np.r_[0:n_wake, ni - n_wake + 1 : ni + 1]
        s[wake_lines] = floor_steps(s[wake_lines], h[wake_lines] / viscous.wake_aspect)
    w = -np.expm1(-s / delta[:, None]) / -np.expm1(-length / delta)[:, None]
    d = (1.0 - w)[..., None] * normal[:, None, :] + w[..., None] * straight[:, None, :]
    d /= np.hypot(d[..., 0], d[..., 1])[..., None]
    nodes = inner[:, None, :] + s[..., None] * d
    nodes[:, -1] = outer
    nodes[:, 0] = inner
    grid = CGrid(nodes=jnp.asarray(nodes), n_wake=n_wake)
    check_areas(grid, what="generated grid")
    return grid


def _viscous_rules(reynolds: float | None, viscous: ViscousSpacing | None) -> ViscousSpacing | None:
    """The spacing rules: ``viscous`` if given, the defaults for a viscous case (a Reynolds number), else None."""
    if viscous is None and reynolds is not None:
        return ViscousSpacing()
    return viscous


def surface_for_grid(
    surface, mesh_cfg, reynolds: float | None = None, viscous: ViscousSpacing | None = None
) -> np.ndarray:
    """Re-sample a Selig-ordered surface to the ``[mesh]`` section's ``n_airfoil`` cells.

    ``cfdopt.geometry.resample_surface`` with ``le_spacing``/``te_spacing``
    from ``mesh_cfg``; for a viscous case (``reynolds`` or ``viscous``
    given) also ``max_ratio = viscous.surface_ratio``, so that neighbouring
    surface cells differ by at most that ratio. Give the same ``reynolds``
    to ``cgrid_from_config`` so that the grid's rules match.
    """
    rules = _viscous_rules(reynolds, viscous)
    return np.asarray(
        resample_surface(
            surface,
            int(mesh_cfg.n_airfoil),
            le_spacing=getattr(mesh_cfg, "le_spacing", None),
            te_spacing=getattr(mesh_cfg, "te_spacing", None),
            max_ratio=None if rules is None else rules.surface_ratio,
        )
    )


def cgrid_from_config(surface, mesh_cfg, reynolds: float | None = None, viscous: ViscousSpacing | None = None) -> CGrid:
    """Grid from a ``[mesh]`` section (``cfdopt.case.schema.MeshConfig``).

    If ``surface`` does not have ``n_airfoil + 1`` nodes it is re-sampled
    by ``surface_for_grid``. The wake spacing and the normal-line blend are
    :func:`generate_cgrid`'s defaults (no case key sets them). Optional keys
    read with defaults: ``size``, ``wall_spacing`` (None or absent:
    1e-3 for an inviscid grid, ``wall_spacing_for_yplus(reynolds,
    viscous.y_plus)`` for a viscous one, :func:`family_wall_spacing` for a
    viscous one whose ``size`` is above ``Y_PLUS_FAMILY_SIZE``).

    Args:
        surface: Selig-ordered airfoil surface with a closed trailing edge.
        mesh_cfg: the ``[mesh]`` section.
        reynolds: chord Reynolds number of a viscous (RANS) case; when
            given, the grid follows ``ViscousSpacing()`` rules (or
            ``viscous``). None (default): the inviscid grid, unchanged.
        viscous: spacing rules overriding the defaults.

    Raises:
        MeshError: a viscous grid with neither a wall spacing nor a
            Reynolds number, or any ``generate_cgrid`` error.
    """
    rules = _viscous_rules(reynolds, viscous)
    surface = np.asarray(surface, dtype=float)
    if surface.shape[0] != int(mesh_cfg.n_airfoil) + 1:
        surface = surface_for_grid(surface, mesh_cfg, viscous=rules)
    wall_spacing = getattr(mesh_cfg, "wall_spacing", None)
    if wall_spacing is None and rules is None:
        wall_spacing = _EULER_WALL_SPACING
    elif wall_spacing is None:
        if reynolds is None:
            raise MeshError("a viscous grid needs [mesh] wall_spacing or the Reynolds number to derive it from")
        size = getattr(mesh_cfg, "size", None)
        if size is not None and size > Y_PLUS_FAMILY_SIZE:
            wall_spacing = family_wall_spacing(surface, mesh_cfg, reynolds, rules)
        else:
            wall_spacing = wall_spacing_for_yplus(reynolds, rules.y_plus)
    return generate_cgrid(
        surface,
        n_wake=int(mesh_cfg.n_wake),
        n_normal=int(mesh_cfg.n_normal),
        farfield=float(mesh_cfg.farfield),
        wall_spacing=float(wall_spacing),
        viscous=rules,
    )


def family_wall_spacing(surface, mesh_cfg, reynolds: float, viscous: ViscousSpacing | None = None) -> float:
    """First-cell height of the family refinement of the next coarser grid, for a ``[mesh] size`` above 225.

    The next coarser grid has half the cells each way (``size`` ``(size - 1) / 2 + 1``, its own first cell found
    the same way down to ``Y_PLUS_FAMILY_SIZE``, where it is ``wall_spacing_for_yplus``). With ``h`` its first
    cell and ``r`` its first wall-normal step ratio on the leading-edge line, a geometric distribution of twice the
    cells, first cell ``h / (1 + sqrt(r))`` and ratio ``sqrt(r)``, spans the same distance and holds every node of
    the coarser one (each cell split in two), as the NASA TMR family grids: each level every other point of the
    next. The same rule as ``family_refinement`` in ``scripts/verify_tmr.py``, whose 449 x 129 class is verified
    (docs/rans.md).

    Args:
        surface: Selig-ordered closed surface (re-sampled to the coarser count).
        mesh_cfg: the ``[mesh]`` section, with ``size``, ``n_airfoil``, ``n_wake`` and ``n_normal`` of this grid.
        reynolds: chord Reynolds number.
        viscous: spacing rules (default ``ViscousSpacing()``).

    Returns:
        The first-cell height, chords.
    """
    coarse = {k: getattr(mesh_cfg, k) // 2 for k in ("n_airfoil", "n_wake", "n_normal")}
    coarse_cfg = dict(vars(mesh_cfg) if not hasattr(mesh_cfg, "__dataclass_fields__")
                      else {f: getattr(mesh_cfg, f) for f in mesh_cfg.__dataclass_fields__})
    coarse_cfg.update(coarse, size=(int(mesh_cfg.size) - 1) // 2 + 1, wall_spacing=None)
    grid = cgrid_from_config(surface, SimpleNamespace(**coarse_cfg), reynolds=reynolds, viscous=viscous)
    line = np.asarray(grid.nodes)[grid.ni // 2]
    steps = np.hypot(*np.diff(line, axis=0).T)
    h, r = float(steps[0]), float(steps[1] / steps[0])
    return h / (1.0 + np.sqrt(r))
