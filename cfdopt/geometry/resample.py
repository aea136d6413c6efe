"""Trailing-edge closure and re-sampling of airfoil surfaces with edge clustering.

Surfaces are ``(N, 2)`` float64 arrays in Selig order (TE, upper, LE, lower,
TE), chords. These are NumPy/SciPy preprocessing steps run once per case;
the differentiable shape functions act on their output.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.optimize import brentq

_CLOSED_TOL = 1e-12


def is_closed(surface: np.ndarray) -> bool:
    """True when the first and last points coincide (to 1e-12 chords)."""
    s = np.asarray(surface)
    return bool(np.max(np.abs(s[0] - s[-1])) <= _CLOSED_TOL)


def close_trailing_edge(surface: np.ndarray) -> np.ndarray:
    """Close an open (blunt) trailing edge by blending the gap out along each surface.

    Each point of a surface moves by ``w (x) * (m - p_te)`` where ``p_te`` is that
    surface's trailing-edge point, ``m`` the midpoint of the two trailing-edge
    points and ``w = clip((x - x_le) / (x_te - x_le), 0, 1)`` is linear in x:
    for a symmetric section this subtracts ``x * h / 2`` from the upper surface
    and adds it to the lower one (``h`` the trailing-edge thickness), leaving
    the leading edge untouched. The result has ``first == last == m`` exactly.

    Args:
        surface: ``(N, 2)`` Selig-ordered surface.

    Returns:
        ``(N, 2)`` closed surface (a copy; unchanged when already closed).
    """
    s = np.array(surface, dtype=np.float64)
    if is_closed(s):
        s[-1] = s[0]
        return s
    i_le = int(np.argmin(s[:, 0]))
    le = s[i_le]
    mid = 0.5 * (s[0] + s[-1])
    for part, te in ((slice(0, i_le), s[0].copy()), (slice(i_le + 1, None), s[-1].copy())):
        w = np.clip((s[part, 0] - le[0]) / (te[0] - le[0]), 0.0, 1.0)
        s[part] += w[:, None] * (mid - te)[None, :]
    s[0] = mid
    s[-1] = mid
    return s


def resample_surface(
    surface: np.ndarray,
    n_cells: int,
    le_spacing: float | None = None,
    te_spacing: float | None = None,
    max_ratio: float | None = None,
) -> np.ndarray:
    """Re-sample a surface on a cubic spline with leading- and trailing-edge clustering.

    A not-a-knot cubic spline ``(x(s), y(s))`` is passed through the given
    points, parametrised by cumulative chord length ``s``. The leading edge is
    the spline's minimum of ``x`` (a root of ``x'(s)``), not a data point. Each
    surface (upper: TE->LE, lower: LE->TE) receives ``n_cells / 2`` cells,
    distributed in arc length by

    - the cosine law ``s = L (1 - cos(pi k / m)) / 2`` when neither spacing is
      given (end cells ``~ L pi^2 / (4 m^2)``), or
    - Vinokur's two-sided stretching with the requested end spacings (the
      unspecified end keeps the cosine end spacing).

    With ``max_ratio`` (viscous grids) both surfaces use Vinokur's stretching,
    whose cells grow exponentially from the ends (the cosine law's first
    cells grow by 3, 5/3, 7/5, ...), with the same spacing at the leading
    edge on both sides and the same at the trailing edge, so the ratio of
    neighbouring cell lengths (chords between output points) is at most
    ``max_ratio`` everywhere, across the leading edge included. Unspecified end spacings start from the cosine
    end spacing of the mean surface and are enlarged (by one common factor)
    only when that is needed to keep ``max_ratio`` on a coarse surface.

    Args:
        surface: ``(N, 2)`` Selig-ordered surface, ``N >= 4``.
        n_cells: number of cells (segments) on the output, even, >= 4.
        le_spacing: first-cell arc length at the leading edge (chords) or None.
        te_spacing: first-cell arc length at the trailing edge (chords) or None.
        max_ratio: largest ratio of neighbouring cell lengths (> 1), or
            None for the distributions above (the default; unchanged output).

    Returns:
        ``(n_cells + 1, 2)`` Selig-ordered points; the leading edge is point
        ``n_cells // 2``; the end points equal the input end points exactly (so
        the output is closed, first == last, when the input is).

    Raises:
        ValueError: odd or too small ``n_cells``, non-positive spacing,
            spacings that do not fit on a surface, ``max_ratio <= 1``, or
            given end spacings that ``max_ratio`` cannot join.

    References:
        Vinokur, M., "On one-dimensional stretching functions for
        finite-difference calculations", J. Comput. Phys. 50, 1983, 215-234.
    """
    s_pts = np.asarray(surface, dtype=np.float64)
    if n_cells < 4 or n_cells % 2:
        raise ValueError(f"n_cells={n_cells} must be even and at least 4")
    for name, value in (("le_spacing", le_spacing), ("te_spacing", te_spacing)):
        if value is not None and not value > 0.0:
            raise ValueError(f"{name}={value} must be positive")
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(s_pts, axis=0), axis=1))])
    spline = CubicSpline(arc, s_pts, axis=0)
    s_le = _leading_edge_parameter(spline, arc, s_pts)
    m = n_cells // 2
    if max_ratio is None:
        upper = _edge_distribution(s_le, m, te_spacing, le_spacing)  # from TE towards LE
        lower = _edge_distribution(arc[-1] - s_le, m, le_spacing, te_spacing)  # from LE to TE
        params = np.concatenate([upper, s_le + lower[1:]])
    else:
        params = _ratio_limited_params(spline, s_le, arc[-1], m, le_spacing, te_spacing, max_ratio)
    out = spline(params)
    out[0], out[-1] = s_pts[0], s_pts[-1]
    return out


def _leading_edge_parameter(spline: CubicSpline, arc: np.ndarray, pts: np.ndarray) -> float:
    """Arc length of the spline's minimum-x point near the minimum-x data point."""
    k = int(np.argmin(pts[:, 0]))
    lo, hi = arc[max(k - 1, 0)], arc[min(k + 1, len(arc) - 1)]
    dxds = spline.derivative()
    f_lo, f_hi = dxds(lo)[0], dxds(hi)[0]
    if f_lo < 0.0 < f_hi:
        return float(brentq(lambda s: dxds(s)[0], lo, hi, xtol=1e-14))
    return float(arc[k])


def _edge_distribution(length: float, m: int, start: float | None, end: float | None) -> np.ndarray:
    """``m + 1`` increasing arc lengths on ``[0, length]`` with end cells ``start`` / ``end``."""
    xi = np.arange(m + 1) / m
    if start is None and end is None:
        return 0.5 * length * (1.0 - np.cos(np.pi * xi))
    cosine_end = 0.5 * length * (1.0 - np.cos(np.pi / m))
    start = cosine_end if start is None else start
    end = cosine_end if end is None else end
    if start + end >= length:
        raise ValueError(
            f"edge spacings {start:g} + {end:g} do not fit on a surface of arc length {length:g}"
        )
    u = vinokur(m, start / length, end / length)
    return length * u


def _ratio_limited_params(spline: CubicSpline, s_le: float, s_end: float, m: int, le: float | None,
                          te: float | None, max_ratio: float) -> np.ndarray:
    """Spline parameters ``(2 m + 1,)`` whose cells' chord lengths have neighbour ratios <= ``max_ratio``.

    Both sides (upper: ``[0, s_le]``, lower: ``[s_le, s_end]``) are Vinokur
    distributions with the same LE and the same TE spacing. An unspecified
    spacing is ``f`` times the cosine end spacing of the mean side, with the
    smallest ``f >= 1`` (bisection on ``log f``) that meets ``max_ratio`` on
    the chords of the output, not merely on the arc lengths.
    """
    if not max_ratio > 1.0:
        raise ValueError(f"max_ratio={max_ratio} must be above 1")
    l_upper, l_lower = s_le, s_end - s_le
    cosine = 0.25 * s_end * (1.0 - np.cos(np.pi / m))

    def params(f):
        le_f = le if le is not None else f * cosine
        te_f = te if te is not None else f * cosine
        if le_f + te_f >= min(l_upper, l_lower):
            raise ValueError(f"edge spacings {le_f:g} + {te_f:g} do not fit on a surface of arc length "
                             f"{min(l_upper, l_lower):g}")
        upper = l_upper * vinokur(m, te_f / l_upper, le_f / l_upper)
        lower = l_lower * vinokur(m, le_f / l_lower, te_f / l_lower)
        return np.concatenate([upper, s_le + lower[1:]])

    def worst(f):
        cells = np.linalg.norm(np.diff(spline(params(f)), axis=0), axis=1)
        ratio = cells[1:] / cells[:-1]
        return float(np.max(np.maximum(ratio, 1.0 / ratio)))

    if worst(1.0) <= max_ratio:
        return params(1.0)
    # enlarging the end cells up to the uniform spacing lowers the ratios; beyond it they rise again
    f_hi = 0.5 * s_end / m / cosine if le is None or te is None else 1.0
    if f_hi <= 1.0 or worst(f_hi) > max_ratio:
        raise ValueError(f"cannot keep the surface spacing ratio <= {max_ratio:g} with {2 * m} cells "
                         f"(le_spacing={le}, te_spacing={te}): give more cells or other edge spacings")
    lo, hi = 0.0, np.log(f_hi)  # worst(exp(lo)) > max_ratio >= worst(exp(hi))
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if worst(np.exp(mid)) <= max_ratio else (mid, hi)
    return params(np.exp(hi))


def vinokur(n: int, ds0: float, ds1: float) -> np.ndarray:
    """Vinokur's two-sided stretching on ``[0, 1]`` with first/last intervals ``ds0``/``ds1``.

    With ``A = sqrt(ds1/ds0)`` and ``B = 1 / (n sqrt(ds0 ds1))``, solve
    ``sinh(d)/d = B`` (``B > 1``) or ``sin(d)/d = B`` (``B < 1``), set
    ``u = 1/2 (1 + tanh(d (xi - 1/2)) / tanh(d/2))`` (or tan) and map
    ``s = u / (A + (1 - A) u)``. The end intervals match ``ds0, ds1`` to first
    order in the cell size; the result is refined by a secant correction on
    ``(A, B)`` so both match to 1e-10 relative.

    Args:
        n: number of intervals.
        ds0, ds1: normalised end intervals, positive, ``ds0 + ds1 < 1``.

    Returns:
        ``(n + 1,)`` increasing values from 0 to 1.
    """
    target = np.log([ds0, ds1])
    params = np.array([np.log(np.sqrt(ds1 / ds0)), np.log(1.0 / (n * np.sqrt(ds0 * ds1)))])
    for _ in range(30):
        s = _vinokur_raw(n, *np.exp(params))
        resid = np.log([s[1] - s[0], s[-1] - s[-2]]) - target
        if np.max(np.abs(resid)) < 1e-10:
            break
        jac = np.empty((2, 2))
        for col in range(2):
            step = np.zeros(2)
            step[col] = 1e-7
            sp = _vinokur_raw(n, *np.exp(params + step))
            jac[:, col] = (np.log([sp[1] - sp[0], sp[-1] - sp[-2]]) - target - resid) / 1e-7
        params = params - np.linalg.solve(jac, resid)
    return s


def _vinokur_raw(n: int, a: float, b: float) -> np.ndarray:
    xi = np.arange(n + 1) / n
    if b > 1.0 + 1e-9:
        d = brentq(lambda d: np.sinh(d) / d - b, 1e-9, 50.0 + np.log(b) * 2.0)
        u = 0.5 * (1.0 + np.tanh(d * (xi - 0.5)) / np.tanh(0.5 * d))
    elif b < 1.0 - 1e-9:
        d = brentq(lambda d: np.sin(d) / d - b, 1e-9, np.pi - 1e-12)
        u = 0.5 * (1.0 + np.tan(d * (xi - 0.5)) / np.tan(0.5 * d))
    else:
        u = xi
    s = u / (a + (1.0 - a) * u)
    s[0], s[-1] = 0.0, 1.0
    return s
