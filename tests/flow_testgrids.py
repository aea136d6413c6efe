"""Small hand-made C-grids for the flow tests (algebraic: straight rays from the wall to a C far field).

Only for tests: the library's C-grids come from ``cfdopt.mesh.cgrid``.
"""

from __future__ import annotations

import numpy as np

from cfdopt.mesh.types import CGrid


def naca0012_sharp(x):
    """Half thickness of the sharp-TE NACA 0012 (NASA TMR / Vassberg & Jameson 2010)."""
    return 0.594689181 * (0.298222773 * np.sqrt(x) - 0.127125232 * x - 0.357907906 * x**2
                          + 0.291984971 * x**3 - 0.105174606 * x**4)


def _stretch(n, first, total=1.0):
    """``n + 1`` points from 0 to ``total`` with geometric spacing starting at ``first``."""
    if first * n >= total:
        return np.linspace(0.0, total, n + 1)
    lo, hi = 1.0 + 1e-12, 10.0
    for _ in range(200):
        r = 0.5 * (lo + hi)
        if first * (r**n - 1) / (r - 1) > total:
            hi = r
        else:
            lo = r
    s = first * (r ** np.arange(n + 1) - 1) / (r - 1)
    return s * (total / s[-1])


def c_grid(thickness=naca0012_sharp, n_airfoil=64, n_wake=12, n_normal=16, farfield=20.0, wall_spacing=4e-3):
    """C-grid around ``y = +-thickness(x)`` (``thickness=None``: an ellipse of semi-axes 0.5, 0.06).

    Returns:
        :class:`CGrid` with ``ni = n_airfoil + 2 n_wake`` and ``nj = n_normal``.
    """
    theta = np.linspace(0.0, 2.0 * np.pi, n_airfoil + 1)  # TE -> lower -> LE -> upper -> TE
    x = 0.5 * (1.0 + np.cos(theta))
    if thickness is None:
        y = -0.06 * np.sin(theta)
    else:
        y = -np.sign(np.sin(theta)) * thickness(x)
        y[0] = y[-1] = 0.0
    wall = np.stack([x, y], axis=-1)
    ds_te = np.hypot(*(wall[1] - wall[0]))
    xw = 1.0 + _stretch(n_wake, ds_te, farfield)
    wake = np.stack([xw, np.zeros_like(xw)], axis=-1)
    inner = np.concatenate([wake[::-1], wall[1:-1], wake])
    t = np.linspace(0.0, 1.0, n_airfoil + 1)
    phi = -0.5 * np.pi - np.pi * t
    outer_wall = np.stack([1.0 + farfield * np.cos(phi), farfield * np.sin(phi)], axis=-1)
    outer = np.concatenate([
        np.stack([xw[::-1], -farfield * np.ones_like(xw)], axis=-1),
        outer_wall[1:-1],
        np.stack([xw, farfield * np.ones_like(xw)], axis=-1),
    ])
    f = _stretch(n_normal, wall_spacing / farfield)
    nodes = inner[:, None, :] + f[None, :, None] * (outer - inner)[:, None, :]
    return CGrid(nodes=np.asarray(nodes), n_wake=n_wake)


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def small_grid():
    """24 x 8-cell-per-side C-grid around the NACA 0012 (ni = 36, nj = 8): kernels and Jacobians."""
    return c_grid(n_airfoil=24, n_wake=6, n_normal=8, farfield=10.0, wall_spacing=0.01)
