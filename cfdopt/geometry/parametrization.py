"""One constructor from the ``[design]`` choices to a shape function ``surface = shape(baseline, design)``."""

from __future__ import annotations

from functools import partial
from typing import Callable

import jax

from cfdopt.geometry.cst import CstParams, cst_shape
from cfdopt.geometry.hicks_henne import HicksHenne, hicks_henne

PARAMETRIZATIONS = ("hicks-henne", "cst", "none")


def build_shape(
    parametrization: str, baseline, n_bumps: int = 8, bump_width: float = 3.0, cst_order: int = 6,
    bump_spacing: str = "even",
) -> tuple[Callable[[jax.Array, jax.Array], jax.Array], HicksHenne | CstParams | None, int]:
    """Shape function, its parameters and the design length for a parametrization name.

    Args:
        parametrization: ``"hicks-henne"``, ``"cst"`` or ``"none"``.
        baseline: ``(N, 2)`` Selig-ordered surface (CST weights are fitted to it).
        n_bumps: Hicks-Henne bumps per surface.
        bump_width: Hicks-Henne width exponent.
        cst_order: CST Bernstein order per surface.
        bump_spacing: Hicks-Henne peak positions, ``"even"`` or ``"cosine"`` (:meth:`HicksHenne.spaced`).

    Returns:
        ``(shape, params, n_design)`` where ``shape(baseline, design) -> (N, 2)``
        is pure JAX with ``params`` bound (zero design returns the baseline
        exactly); ``params.fit_error`` reports the CST fit.

    Raises:
        ValueError: unknown parametrization name.
    """
    if parametrization == "hicks-henne":
        params = HicksHenne.spaced(n_bumps, bump_spacing, bump_width)
        return partial(hicks_henne, params=params), params, params.n_design
    if parametrization == "cst":
        params = CstParams.fit(baseline, cst_order)
        return partial(cst_shape, params=params), params, params.n_design
    if parametrization == "none":
        return (lambda base, design: base), None, 0
    raise ValueError(f"parametrization={parametrization!r}; expected one of {PARAMETRIZATIONS}")
