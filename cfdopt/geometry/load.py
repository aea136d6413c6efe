"""``load_airfoil``: one entry point from a case's ``[geometry]`` spec to a surface array."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from cfdopt.util.errors import AirfoilFileError, ConfigError
from cfdopt.geometry.datfile import read_dat
from cfdopt.geometry.naca import naca4_surface

VALID_SPECS = (
    '"naca0012" (classic NACA 0012, open trailing edge 0.00252 thick)',
    '"naca0012-sharp" (NASA TMR sharp-trailing-edge NACA 0012, 11.894 %)',
    '"naca0012-closed" (closed trailing edge, -0.1036 x^4, ADODG case 1)',
    '"naca4:MPTT" (any NACA 4-digit section, open trailing edge, e.g. "naca4:2412")',
    '"<file>.dat" (Selig or Lednicer file, relative to the case directory)',
)

_NAMED = {
    "naca0012": ("0012", "open"),
    "naca0012-sharp": ("0012", "sharp"),
    "naca0012-closed": ("0012", "closed"),
}


def load_airfoil(spec: str, case_dir: Path | None = None, n_points: int = 201) -> np.ndarray:
    """Build or read the airfoil surface named by ``spec``.

    Args:
        spec: one of :data:`VALID_SPECS` (NACA names are case-insensitive).
        case_dir: directory that relative ``.dat`` paths are resolved against
            (the current directory when None).
        n_points: number of points of analytic sections (odd counts put a
            point on the leading edge); ignored for ``.dat`` files, which keep
            their own points.

    Returns:
        ``(N, 2)`` float64 surface, Selig order (TE, upper, LE, lower, TE),
        chord normalised to x in [0, 1] (see :mod:`cfdopt.geometry.naca` and
        :mod:`cfdopt.geometry.datfile` for the exact conventions).

    Raises:
        ConfigError: ``spec`` matches none of the valid forms.
        AirfoilFileError: the ``.dat`` file is missing or malformed.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(f"geometry spec {spec!r} is empty; valid forms: " + "; ".join(VALID_SPECS))
    key = spec.strip()
    lower = key.lower()
    if lower in _NAMED:
        code, te = _NAMED[lower]
        return naca4_surface(code, n_points, te)
    match = re.fullmatch(r"naca4:(\d{4})", lower)
    if match:
        try:
            return naca4_surface(match.group(1), n_points, "open")
        except ValueError as exc:
            raise ConfigError(f"geometry spec {spec!r}: {exc}") from exc
    if lower.endswith(".dat"):
        path = Path(key)
        if not path.is_absolute() and case_dir is not None:
            path = Path(case_dir) / path
        if not path.is_file():
            raise AirfoilFileError(f"{path}: airfoil file not found (geometry spec {spec!r})")
        return read_dat(path)
    raise ConfigError(f"unknown geometry spec {spec!r}; valid forms: " + "; ".join(VALID_SPECS))
