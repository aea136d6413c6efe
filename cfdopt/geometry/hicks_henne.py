"""Hicks-Henne bump parametrization: ``surface = hicks_henne(baseline, design, params)``.

Each bump adds a vertical displacement to one surface only:

    dy(x) = a_k * b_k(x),   b_k(x) = sin(pi x^(ln 0.5 / ln x_k))^t,

with peak position ``x_k`` (``b_k(x_k) = 1``) and width exponent ``t`` (larger
= narrower). ``b_k(0) = b_k(1) = 0``; the leading-edge point, the trailing-edge
point(s) and all points of the other surface are masked to exactly zero, so
both edges stay fixed and a bump never touches the opposite surface.

Design layout: ``design = [a_upper_1 .. a_upper_nu, a_lower_1 .. a_lower_nl]``
in chords; a positive amplitude moves points up (+y) on either surface (so
positive lower-surface amplitudes thin the section).

References:
    Hicks, R. M. and Henne, P. A., "Wing Design by Numerical Optimization",
    J. Aircraft 15(7), 1978, 407-412.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp


@dataclass(frozen=True)
class HicksHenne:
    """Static settings of a Hicks-Henne parametrization.

    Attributes:
        upper_peaks: bump peak positions x_k in (0, 1) on the upper surface.
        lower_peaks: bump peak positions x_k in (0, 1) on the lower surface.
        width: exponent t > 0 of the sine (3 is common; larger = narrower).
    """

    upper_peaks: tuple[float, ...]
    lower_peaks: tuple[float, ...]
    width: float = 3.0

    def __post_init__(self):
        for name in ("upper_peaks", "lower_peaks"):
            peaks = tuple(float(v) for v in getattr(self, name))
            bad = [v for v in peaks if not 0.0 < v < 1.0]
            if bad:
                raise ValueError(f"HicksHenne.{name} must lie strictly inside (0, 1), got {bad}")
            object.__setattr__(self, name, peaks)
        if not self.width > 0.0:
            raise ValueError(f"HicksHenne.width={self.width} must be positive")
        object.__setattr__(self, "width", float(self.width))

    @property
    def n_design(self) -> int:
        """Length of the design vector: upper bumps then lower bumps."""
        return len(self.upper_peaks) + len(self.lower_peaks)

    @classmethod
    def spaced(cls, n_per_surface: int, spacing: str = "even", width: float = 3.0) -> "HicksHenne":
        """``n_per_surface`` peaks per surface, the same on both, at ``k = 1..n``:

        - ``"even"`` (the default): ``x_k = k / (n + 1)`` up to 19 bumps (SU2's airfoil tutorials: 19 bumps
          at x = 0.05, 0.10, ..., 0.95); beyond, evenly from 0.05 to 0.95,
          ``x_k = 0.05 + 0.9 (k - 1) / (n - 1)``, so no peak comes nearer an edge than 5 % of the chord;
        - ``"cosine"``: ``x_k = (1 - cos(pi k / (n + 1))) / 2``, clustered at both edges (19 bumps: first
          peak at x = 0.0062, where a bump of 0.01 chords folds the leading edge into a cusp).

        Near the leading edge a bump behaves as ``(pi x^e)^t``, ``e = ln 0.5 / ln x_k``: it outgrows the
        section's ``sqrt(x)`` nose when ``e t < 1/2``, i.e. ``x_k < 0.25^t`` (0.0156 for ``t = 3``), and
        near the trailing edge it rises over ``1 - x_k`` of chord. Keeping the peaks within [0.05, 0.95]
        keeps both edges smooth (docs/geometry.md; ``scripts/design_space_corners.py``).

        Raises:
            ValueError: ``n_per_surface < 1`` or an unknown ``spacing``.
        """
        if n_per_surface < 1:
            raise ValueError(f"n_per_surface={n_per_surface} must be at least 1")
        n = n_per_surface
        ks = range(1, n + 1)
        if spacing == "cosine":
            peaks = tuple(0.5 * (1.0 - math.cos(math.pi * k / (n + 1))) for k in ks)
        elif spacing == "even":
            if n <= EVEN_MAX_BUMPS:  # k/(n+1) >= 1/20: the placement of SU2's tutorials, bit for bit
                peaks = tuple(k / (n + 1) for k in ks)
            else:
                lo, hi = EVEN_RANGE
                peaks = tuple(lo + (hi - lo) * (k - 1) / (n - 1) for k in ks)
        else:
            raise ValueError(f"spacing={spacing!r}; expected 'even' or 'cosine'")
        return cls(peaks, peaks, width)


EVEN_RANGE = (0.05, 0.95)
"""Where ``spacing = "even"`` puts its first and last peak beyond :data:`EVEN_MAX_BUMPS` bumps (SU2's range)."""
EVEN_MAX_BUMPS = 19
"""Up to this many bumps ``"even"`` is ``k / (n + 1)``, whose first peak ``1 / (n + 1)`` is then >= 0.05."""


jax.tree_util.register_dataclass(HicksHenne, data_fields=[], meta_fields=["upper_peaks", "lower_peaks", "width"])


def hicks_henne_bump(x: jax.Array, peak: float, width: float) -> jax.Array:
    """Bump ``sin(pi x^(ln 0.5/ln peak))^width``, exactly zero outside the open interval (0, 1).

    Args:
        x: stations (chords), any shape.
        peak: peak position in (0, 1).
        width: exponent t > 0.

    Returns:
        Bump values in [0, 1], shaped like ``x``.
    """
    inside = (x > 0.0) & (x < 1.0)
    x_safe = jnp.where(inside, x, 0.5)  # keeps pow and its gradient finite at the masked points
    exponent = math.log(0.5) / math.log(peak)
    return jnp.where(inside, jnp.sin(jnp.pi * x_safe**exponent) ** width, 0.0)


def hicks_henne(baseline: jax.Array, design: jax.Array, params: HicksHenne) -> jax.Array:
    """Displace the baseline surface vertically by Hicks-Henne bumps.

    Args:
        baseline: ``(N, 2)`` Selig-ordered surface (chords); its minimum-x
            point is the leading edge separating the surfaces.
        design: ``(params.n_design,)`` bump amplitudes (chords), upper first.
        params: the static bump settings.

    Returns:
        ``(N, 2)`` surface; equal to ``baseline`` bit for bit when ``design`` is zero.

    Raises:
        ValueError: design length differs from ``params.n_design``.
    """
    design = jnp.asarray(design)
    if design.shape != (params.n_design,):
        raise ValueError(f"design has shape {design.shape}, expected ({params.n_design},) for {params}")
    baseline = jnp.asarray(baseline)
    n = baseline.shape[0]
    x = baseline[:, 0]
    index = jnp.arange(n)
    i_le = jnp.argmin(x)
    upper = (index > 0) & (index < i_le)
    lower = (index > i_le) & (index < n - 1)
    n_up = len(params.upper_peaks)
    dy_upper = design[:n_up] @ _bump_matrix(x, params.upper_peaks, params.width)
    dy_lower = design[n_up:] @ _bump_matrix(x, params.lower_peaks, params.width)
    dy = jnp.where(upper, dy_upper, 0.0) + jnp.where(lower, dy_lower, 0.0)
    return baseline.at[:, 1].add(dy)


def _bump_matrix(x: jax.Array, peaks: tuple[float, ...], width: float) -> jax.Array:
    """``(len(peaks), N)`` bump values ``b_k(x_i)``; ``(0, N)`` when there are no peaks."""
    if not peaks:
        return jnp.zeros((0, x.shape[0]), dtype=x.dtype)
    exponents = jnp.array([math.log(0.5) / math.log(p) for p in peaks], dtype=x.dtype)
    inside = (x > 0.0) & (x < 1.0)
    x_safe = jnp.where(inside, x, 0.5)
    values = jnp.sin(jnp.pi * x_safe[None, :] ** exponents[:, None]) ** width
    return jnp.where(inside[None, :], values, 0.0)
