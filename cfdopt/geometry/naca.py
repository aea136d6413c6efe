"""Analytic NACA 4-digit sections, including the NASA TMR sharp-trailing-edge NACA 0012.

All surfaces are ``(n_points, 2)`` float64 arrays in Selig order (trailing
edge, upper surface, leading edge, lower surface, trailing edge), chord 1 with
the leading edge at ``(0, 0)`` and the camber line ending at ``(1, 0)``.

Thickness distributions (half thickness ``y_t`` for thickness ratio ``t``):

- classic (open trailing edge, thickness 0.00252 for t = 0.12):
  ``y_t = 5 t (0.2969 sqrt(x) - 0.1260 x - 0.3516 x^2 + 0.2843 x^3 - 0.1015 x^4)``
- closed trailing edge (ADODG case 1): same with ``-0.1036 x^4``;
- NASA TMR sharp trailing edge NACA 0012 (thickness 11.894 %):
  ``y_t = 0.594689181 (0.298222773 sqrt(x) - 0.127125232 x - 0.357907906 x^2
  + 0.291984971 x^3 - 0.105174606 x^4)``.

Camber line (max camber ``m`` at ``p``):
``y_c = m/p^2 (2 p x - x^2)`` for ``x < p``, ``m/(1-p)^2 (1 - 2p + 2 p x - x^2)``
otherwise; the thickness is laid off perpendicular to the camber line.

Points are placed with cosine spacing ``x = (1 - cos beta) / 2``, which
clusters them at both edges and resolves the ``sqrt(x)`` nose.

References:
    Abbott, I. H., von Doenhoff, A. E. and Stivers, L. S., "Summary of Airfoil
    Data", NACA Report 824, 1945. Abbott & von Doenhoff, *Theory of Wing
    Sections*, Dover, 1959, sec. 6.4 and Appendix I.
    NASA Turbulence Modeling Resource, "2D NACA 0012 Airfoil Validation Case",
    https://turbmodels.larc.nasa.gov/naca0012_val.html.
    Vassberg, J. C. and Jameson, A., "In Pursuit of Grid Convergence for
    Two-Dimensional Euler Solutions", J. Aircraft 47(4), 2010.
"""

from __future__ import annotations

import numpy as np

_CLASSIC = (0.2969, -0.1260, -0.3516, 0.2843, -0.1015)
_CLOSED = (0.2969, -0.1260, -0.3516, 0.2843, -0.1036)
_TMR_SCALE = 0.594689181
_TMR = (0.298222773, -0.127125232, -0.357907906, 0.291984971, -0.105174606)

TRAILING_EDGES = ("open", "closed", "sharp")


def naca4_thickness(x: np.ndarray, t: float, trailing_edge: str = "open") -> np.ndarray:
    """Half thickness ``y_t(x)`` of a NACA 4-digit thickness form.

    Args:
        x: stations in ``[0, 1]`` (chords), any shape.
        t: thickness ratio (0.12 for NACA xx12).
        trailing_edge: ``"open"`` (classic coefficients), ``"closed"``
            (``-0.1036 x^4``) or ``"sharp"`` (NASA TMR polynomial, scaled by
            ``t / 0.12`` so that ``t = 0.12`` gives the TMR section exactly).

    Returns:
        Half thickness, same shape as ``x`` (chords).
    """
    x = np.asarray(x, dtype=np.float64)
    if trailing_edge == "open":
        scale, a = 5.0 * t, _CLASSIC
    elif trailing_edge == "closed":
        scale, a = 5.0 * t, _CLOSED
    elif trailing_edge == "sharp":
        scale, a = _TMR_SCALE * t / 0.12, _TMR
    else:
        raise ValueError(f"trailing_edge={trailing_edge!r}; expected one of {TRAILING_EDGES}")
    return scale * (a[0] * np.sqrt(x) + x * (a[1] + x * (a[2] + x * (a[3] + x * a[4]))))


def naca4_camber(x: np.ndarray, m: float, p: float) -> tuple[np.ndarray, np.ndarray]:
    """Camber line ``y_c(x)`` and slope ``dy_c/dx`` of a NACA 4-digit section.

    Args:
        x: stations in ``[0, 1]`` (chords).
        m: maximum camber (chords), e.g. 0.02 for NACA 2412.
        p: chordwise position of maximum camber (chords), e.g. 0.4.

    Returns:
        ``(y_c, dy_c/dx)``, each shaped like ``x``.
    """
    x = np.asarray(x, dtype=np.float64)
    if m == 0.0:
        return np.zeros_like(x), np.zeros_like(x)
    front = x < p
    yc = np.where(front, m / p**2 * (2 * p * x - x**2), m / (1 - p) ** 2 * (1 - 2 * p + 2 * p * x - x**2))
    dyc = np.where(front, 2 * m / p**2 * (p - x), 2 * m / (1 - p) ** 2 * (p - x))
    return yc, dyc


def naca4_surface(code: str, n_points: int = 201, trailing_edge: str = "open") -> np.ndarray:
    """Selig-ordered surface of a NACA 4-digit section.

    Args:
        code: four digits ``"MPTT"`` (e.g. ``"0012"``, ``"2412"``).
        n_points: number of surface points (>= 11). Odd counts put a point
            exactly on the leading edge ``(0, 0)`` at index ``n_points // 2``.
        trailing_edge: see :func:`naca4_thickness`.

    Returns:
        ``(n_points, 2)`` float64 array, Selig order. For cambered sections the
        upper surface dips to ``x`` of order ``-1e-4`` just behind the nose,
        as the perpendicular construction dictates.

    Raises:
        ValueError: malformed code or too few points.
    """
    if len(code) != 4 or not code.isdigit():
        raise ValueError(f"NACA 4-digit code must be four digits, got {code!r}")
    if n_points < 11:
        raise ValueError(f"n_points={n_points} must be at least 11")
    m, p, t = int(code[0]) / 100.0, int(code[1]) / 10.0, int(code[2:]) / 100.0
    if t <= 0.0:
        raise ValueError(f"NACA {code}: thickness must be positive")
    if (m > 0.0) != (p > 0.0):
        raise ValueError(f"NACA {code}: camber and its position must both be zero or both non-zero")
    n_upper = (n_points + 1) // 2  # includes the leading edge
    n_lower = n_points + 1 - n_upper
    x_u = 0.5 * (1.0 - np.cos(np.linspace(np.pi, 0.0, n_upper)))  # TE -> LE
    x_l = 0.5 * (1.0 - np.cos(np.linspace(0.0, np.pi, n_lower)))  # LE -> TE
    x_u[-1], x_l[0], x_u[0], x_l[-1] = 0.0, 0.0, 1.0, 1.0
    upper = _side(x_u, m, p, t, trailing_edge, +1.0)
    lower = _side(x_l, m, p, t, trailing_edge, -1.0)
    if trailing_edge != "open":
        # the polynomials vanish at x = 1 only up to rounding (~3e-17): make first == last exactly
        upper[0] = lower[-1] = (1.0, 0.0)
    return np.concatenate([upper, lower[1:]], axis=0)


def _side(x: np.ndarray, m: float, p: float, t: float, trailing_edge: str, sign: float) -> np.ndarray:
    yt = sign * naca4_thickness(x, t, trailing_edge)
    yc, dyc = naca4_camber(x, m, p)
    theta = np.arctan(dyc)
    return np.stack([x - yt * np.sin(theta), yc + yt * np.cos(theta)], axis=-1)
