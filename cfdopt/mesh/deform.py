"""Differentiable volume-mesh deformation of a C-grid, and the fold check that guards it.

Algebraic blend along the grid lines ``j``: the displacement ``d_i`` of the
inner node of line ``i`` is carried to node ``(i, j)`` as
``d_i * phi(eta_ij)``, where ``eta`` is the normalised arc length along the
line in the *baseline* grid (0 at the wall, 1 at the far field) and
``phi(eta) = (1 - eta)^2 (1 + 2 eta)`` (cubic, ``phi(0) = 1``,
``phi(1) = 0``, zero slope at both ends). Wall nodes get the surface
displacement; wake-cut nodes get the mean trailing-edge displacement
times ``phi`` of their normalised arc length from the TE to the outflow,
the same on both branches so the cut stays closed. Near the wall, where
``eta`` is tiny, lines translate rigidly, so the thin boundary-layer cells
keep their shape; the far field (``eta = 1``) and the outflow lines do not
move at all.

Everything in :func:`deform` is pure JAX (jit, jvp, vjp); the check that
refuses folded cells and singular walls is separate (:func:`check_deformation`,
:mod:`cfdopt.mesh.wall_check`), NumPy, and raises ``MeshError`` before the
mesh is used.

References:
    Samareh (2001), Survey of shape parameterization techniques for
    high-fidelity multidisciplinary shape optimization, AIAA J. 39(5)
    (algebraic mesh perturbation along grid lines).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from cfdopt.util.errors import MeshError
from cfdopt.mesh.quality import check_areas
from cfdopt.mesh.types import CGrid
from cfdopt.mesh.wall_check import WALL_LIMITS, WallLimits, wall_violation

__all__ = ["decay", "deform", "check_deformation", "deform_checked", "surface_crossings"]

_CUT_TOL = 1e-12


def decay(eta: jax.Array) -> jax.Array:
    """Blend weight ``(1 - eta)^2 (1 + 2 eta)`` for ``eta`` clipped to [0, 1]."""
    eta = jnp.clip(eta, 0.0, 1.0)
    return (1.0 - eta) ** 2 * (1.0 + 2.0 * eta)


def _line_fraction(points: jax.Array, axis: int) -> jax.Array:
    """Normalised cumulative arc length of polylines along ``axis`` (0 at index 0, 1 at the end)."""
    seg = jnp.linalg.norm(jnp.diff(points, axis=axis), axis=-1)
    arc = jnp.cumsum(seg, axis=axis)
    pad = [(0, 0)] * arc.ndim
    pad[axis] = (1, 0)
    arc = jnp.pad(arc, pad)
    total = jnp.take(arc, jnp.array([-1]), axis=axis)
    return arc / total


def deform(grid: CGrid, new_surface: jax.Array) -> CGrid:
    """Move the grid so that its wall is ``new_surface``; pure and differentiable.

    Args:
        grid: baseline grid (its nodes define the blend weights).
        new_surface: ``(n_airfoil + 1, 2)`` new wall nodes in **CGrid wall
            order** (TE, lower surface, LE, upper surface, TE), i.e. the
            reverse of Selig order; the TE should stay closed
            (``new_surface[0] == new_surface[-1]``) for the wake cut to
            stay closed (``check_deformation`` verifies it).

    Returns:
        A ``CGrid`` with the same ``n_wake``: wall nodes exactly
        ``new_surface``, ``j = nj`` and the outflow lines bit-for-bit
        unchanged.
    """
    nodes = grid.nodes
    nw, ni = grid.n_wake, grid.ni
    new_surface = jnp.asarray(new_surface, dtype=nodes.dtype)
    if new_surface.shape != (grid.n_airfoil + 1, 2):
        raise ValueError(f"new_surface must have shape {(grid.n_airfoil + 1, 2)}, got {new_surface.shape}")
    d_wall = new_surface - nodes[nw : ni - nw + 1, 0]
    d_te = 0.5 * (d_wall[0] + d_wall[-1])
    wake_fraction = _line_fraction(nodes[: nw + 1, 0][::-1], axis=0)[::-1]  # 1 at outflow, 0 at TE
    d_wake = d_te[None, :] * decay(wake_fraction)[:, None]
    d_inner = jnp.concatenate([d_wake[:-1], d_wall, d_wake[-2::-1]], axis=0)
    eta = _line_fraction(nodes, axis=1)
    moved = nodes + d_inner[:, None, :] * decay(eta)[..., None]
    moved = moved.at[nw : ni - nw + 1, 0].set(new_surface)
    moved = moved.at[:, -1].set(nodes[:, -1])
    return CGrid(nodes=moved, n_wake=nw)


def surface_crossings(wall: np.ndarray) -> np.ndarray:
    """``(k, 2)`` index pairs ``(a, b)``, ``a < b``, of wall faces that cross each other.

    Face ``a`` joins wall nodes ``a`` and ``a + 1``. Neighbouring faces (they share a node), and the first and last
    face (they meet at the closed trailing edge), are not compared; two faces cross when each one's end points lie
    strictly on opposite sides of the other's line.
    """
    wall = np.asarray(wall, dtype=float)
    p, q = wall[:-1], wall[1:]
    n = p.shape[0]

    def side(o, d, r):  # sign of the cross product (d - o) x (r - o), over all pairs
        return np.sign((d[:, None, 0] - o[:, None, 0]) * (r[None, :, 1] - o[:, None, 1])
                       - (d[:, None, 1] - o[:, None, 1]) * (r[None, :, 0] - o[:, None, 0]))

    sides = side(p, q, p) * side(p, q, q)  # (a, b): < 0 when face b's ends straddle face a's line
    cross = (sides < 0) & (sides.T < 0)
    a, b = np.nonzero(np.triu(cross, k=2))
    keep = ~((a == 0) & (b == n - 1))
    return np.stack([a[keep], b[keep]], axis=-1)


def check_deformation(grid: CGrid, baseline: CGrid | None = None, explain=None,
                      limits: WallLimits = WALL_LIMITS) -> CGrid:
    """Refuse a deformed grid with an opened wake cut, a wall that crosses itself, a wall that turns or
    shears the first cells far beyond the baseline's, or a folded cell.

    The wall checks matter because near the wall the grid lines move rigidly with their wall node: an upper
    surface pushed through the lower one, or a leading edge folded back into a cusp, leaves every cell with a
    positive area, and only the wall shows it.

    Args:
        grid: a grid from :func:`deform` (concrete arrays, not traced).
        baseline: the grid it was deformed from; when given, the wall's turning angles and the first cells'
            area and skew are held to ``limits`` against it (:func:`cfdopt.mesh.wall_check.wall_violation`).
        explain: optional ``explain(wall_nodes, kind) -> str``, called on a refusal with the wall nodes
            concerned (CGrid wall order) and ``kind`` one of ``"turning"``, ``"slope"``, ``"displacement"``;
            its text is appended to the message (e.g. the design variables that moved those nodes).
        limits: the wall limits.

    Returns:
        ``grid`` unchanged when it is valid.

    Raises:
        MeshError: naming the wake-cut node pair that no longer coincides and by how much; or two wall
            faces that cross; or the wall node or face, its turning angle, area ratio or skew and the
            allowed value; or the worst folded cell ``(i, j)``, its centre and its (non-positive) area.
    """
    def why(nodes, kind) -> str:
        return "" if explain is None else f"; {explain(tuple(int(k) for k in nodes), kind)}"

    nodes = np.asarray(grid.nodes)
    nw, ni = grid.n_wake, grid.ni
    lower = nodes[: nw + 1, 0]
    upper = nodes[ni - nw :, 0][::-1]
    gap = np.hypot(*(lower - upper).T)
    k = int(np.argmax(gap))
    if gap[k] > _CUT_TOL * max(1.0, float(np.abs(nodes).max())):
        raise MeshError(
            f"deformed mesh: wake-cut nodes i={k} and i={ni - k} at j=0 are {gap[k]:.3e} chords apart "
            "(the new surface must keep a closed trailing edge)"
        )
    wall = nodes[nw : ni - nw + 1, 0]
    crossings = surface_crossings(wall)
    if len(crossings):
        a, b = crossings[0]
        at = [0.5 * (wall[k] + wall[k + 1]) for k in (a, b)]
        raise MeshError(
            f"deformed mesh: the airfoil surface crosses itself ({len(crossings)} pair(s) of wall faces); e.g. "
            f"face {a} at (x={at[0][0]:.4g}, y={at[0][1]:.4g}) and face {b} at (x={at[1][0]:.4g}, y={at[1][1]:.4g}) "
            "(the upper and lower surfaces have passed through each other: a smaller design step or bound)"
            + why((a, a + 1, b, b + 1), "displacement")
        )
    if baseline is not None:
        bad = wall_violation(grid, baseline, limits)
        if bad is not None:
            kind = "turning" if bad.quantity == "turning" else "slope"
            raise MeshError(f"deformed mesh: {bad.message} (a facet or cusp the flow solver cannot resolve: a "
                            f"smaller design step or bound, or bumps further from the edges){why(bad.nodes, kind)}")
    check_areas(nodes, what="deformed mesh")
    return grid


def deform_checked(grid: CGrid, new_surface, explain=None) -> CGrid:
    """:func:`deform` followed by :func:`check_deformation` with ``grid`` as the baseline, so the wall limits
    apply as well as the fold check (not for use under ``jit``)."""
    return check_deformation(deform(grid, new_surface), baseline=grid, explain=explain)
