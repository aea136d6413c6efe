"""Airfoil surfaces shared by the mesh tests (Selig order, closed trailing edge)."""

from pathlib import Path

import numpy as np

CASES = Path(__file__).resolve().parents[1] / "cases"


def tmr_naca0012_sharp(n_cells: int = 128) -> np.ndarray:
    """NASA TMR sharp-TE NACA 0012, cosine-spaced, written out here independently of cfdopt.geometry.

    y = +-0.594689181 (0.298222773 sqrt(x) - 0.127125232 x - 0.357907906 x^2
    + 0.291984971 x^3 - 0.105174606 x^4) (https://turbmodels.larc.nasa.gov/naca0012_val.html).
    """
    m = n_cells // 2
    x = 0.5 * (1.0 - np.cos(np.linspace(0.0, np.pi, m + 1)))
    t = 0.594689181 * (
        0.298222773 * np.sqrt(x) - 0.127125232 * x - 0.357907906 * x**2 + 0.291984971 * x**3 - 0.105174606 * x**4
    )
    t[-1] = 0.0  # the polynomial gives ~1e-10 at x = 1; the TMR section is sharp
    upper = np.stack([x[::-1], t[::-1]], axis=-1)
    lower = np.stack([x[1:], -t[1:]], axis=-1)
    return np.concatenate([upper, lower], axis=0)


def bundled_surface(name: str, n_cells: int) -> np.ndarray:
    """A bundled airfoil through the geometry API, closed and re-sampled to ``n_cells`` panels."""
    from cfdopt.geometry import close_trailing_edge, load_airfoil, resample_surface

    spec = {"rae2822": "rae2822.dat"}.get(name, name)
    surface = load_airfoil(spec, CASES / "rae2822")
    return resample_surface(close_trailing_edge(surface), n_cells)


def shoelace(polygon: np.ndarray) -> float:
    """Signed area of a closed polygon ``(n, 2)`` (last vertex joined to the first)."""
    x, y = polygon[:, 0], polygon[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
