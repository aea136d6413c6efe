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

References:
    Thompson, Warsi & Mastin (1985), Numerical Grid Generation, ch. 8
    (algebraic generation and normal-line blending).
    Vinokur (1983), On one-dimensional stretching functions for
    finite-difference calculations, J. Comput. Phys. 50(2).
"""

from __future__ import annotations

import numpy as np
import jax.numpy as jnp

from cfdopt.errors import MeshError
from cfdopt.mesh.quality import check_areas
from cfdopt.mesh.types import CGrid

__all__ = ["geometric_distances", "generate_cgrid", "cgrid_from_config", "outer_boundary_point"]

_TE_GAP_TOL = 1e-6


def geometric_distances(first, length, n: int) -> np.ndarray:
    """Distances ``(..., n + 1)`` from 0 to ``length`` whose steps grow by a constant ratio.

    Solves ``first * (r**n - 1) / (r - 1) = length`` for ``r`` (any positive
    ratio, ``r < 1`` when ``n * first > length``) by bisection on ``log r``.

    Args:
        first: first step(s), broadcastable with ``length``, positive.
        length: total length(s), positive.
        n: number of steps.

    Returns:
        ``(..., n + 1)`` increasing distances, first 0, last exactly ``length``.
    """
    first = np.asarray(first, dtype=float)
    length = np.asarray(length, dtype=float)
    first, length = np.broadcast_arrays(first, length)
    target = length / first
    lo = np.full(target.shape, -5.0)
    hi = np.full(target.shape, 5.0)
    k = np.arange(n, dtype=float)

    def total(log_r):
        return np.sum(np.exp(log_r[..., None] * k), axis=-1)

    for _ in range(80):
        mid = 0.5 * (lo + hi)
        too_big = total(mid) > target
        hi = np.where(too_big, mid, hi)
        lo = np.where(too_big, lo, mid)
    steps = np.exp(0.5 * (lo + hi))[..., None] ** k
    dist = np.concatenate([np.zeros(target.shape + (1,)), np.cumsum(steps, axis=-1)], axis=-1)
    dist = dist * (length / dist[..., -1])[..., None]
    dist[..., -1] = length
    return dist


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


def _outer_line(inner: np.ndarray, n_wake: int, radius: float, smooth_passes: int, turning: float) -> np.ndarray:
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
    inner, normal = _inner_line(wall, n_wake, farfield, wake_spacing)
    ni = inner.shape[0] - 1
    passes = ni // 2 if outer_smoothing is None else outer_smoothing
    outer = _outer_line(inner, n_wake, farfield, passes, turning)

    chord_vec = outer - inner
    length = np.hypot(chord_vec[:, 0], chord_vec[:, 1])
    straight = chord_vec / length[:, None]
    edge = np.hypot(*np.diff(inner, axis=0).T)
    h = np.concatenate([[edge[0]], 0.5 * (edge[:-1] + edge[1:]), [edge[-1]]])
    delta = blend * h

    s = geometric_distances(wall_spacing, length, n_normal)  # (ni+1, nj+1)
    w = -np.expm1(-s / delta[:, None]) / -np.expm1(-length / delta)[:, None]
    d = (1.0 - w)[..., None] * normal[:, None, :] + w[..., None] * straight[:, None, :]
    d /= np.hypot(d[..., 0], d[..., 1])[..., None]
    nodes = inner[:, None, :] + s[..., None] * d
    nodes[:, -1] = outer
    nodes[:, 0] = inner
    grid = CGrid(nodes=jnp.asarray(nodes), n_wake=n_wake)
    check_areas(grid, what="generated grid")
    return grid


def cgrid_from_config(surface, mesh_cfg) -> CGrid:
    """Grid from a ``[mesh]`` section (``cfdopt.config.MeshConfig``).

    If ``surface`` does not have ``n_airfoil + 1`` nodes it is re-sampled
    with ``cfdopt.geometry.resample_surface`` using ``le_spacing`` and
    ``te_spacing``. Optional keys read with defaults: ``wake_spacing``,
    ``blend``.
    """
    surface = np.asarray(surface, dtype=float)
    n_airfoil = int(mesh_cfg.n_airfoil)
    if surface.shape[0] != n_airfoil + 1:
        from cfdopt.geometry import resample_surface

        surface = np.asarray(
            resample_surface(
                surface,
                n_airfoil,
                le_spacing=getattr(mesh_cfg, "le_spacing", None),
                te_spacing=getattr(mesh_cfg, "te_spacing", None),
            )
        )
    return generate_cgrid(
        surface,
        n_wake=int(mesh_cfg.n_wake),
        n_normal=int(mesh_cfg.n_normal),
        farfield=float(mesh_cfg.farfield),
        wall_spacing=float(mesh_cfg.wall_spacing),
        wake_spacing=getattr(mesh_cfg, "wake_spacing", None),
        blend=float(getattr(mesh_cfg, "blend", 3.0)),
    )
