"""Design space: design vector -> airfoil surface -> C-grid wall nodes, from the ``[design]`` section.

Layout of the design vector ``d`` (float64, JAX):

- shape variables first: Hicks-Henne amplitudes (chords; upper bumps then
  lower, :mod:`cfdopt.geometry.hicks_henne`; with ``symmetric = true`` one
  amplitude ``a_k`` per bump pair, applied as ``+a_k`` on the upper and
  ``-a_k`` on the lower surface) or CST weight increments (upper then lower,
  :mod:`cfdopt.geometry.cst`); zero is the baseline exactly;
- then, when ``[design] alpha = true``, the angle of attack in degrees
  (absolute, not an increment).

Every map here is pure JAX, so ``dX/dd`` comes from autodiff through the
shape function and :func:`cfdopt.mesh.deform`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from cfdopt.errors import ConfigError
from cfdopt.geometry import CstParams, HicksHenne
from cfdopt.geometry.parametrization import build_shape


@dataclass(frozen=True)
class DesignSpace:
    """The design variables of a case.

    Attributes:
        baseline: ``(n_airfoil + 1, 2)`` baseline surface, Selig order, as meshed.
        shape_fn: ``shape_fn(baseline, d_shape) -> surface`` (pure JAX).
        names: one label per design variable.
        lower, upper: ``(n_vars,)`` bounds.
        alpha0: the case's angle of attack (degrees), the start value of the
            alpha variable when there is one.
        has_alpha: the last variable is the angle of attack.
        fit_error: CST fit error of the baseline (chords), 0 otherwise.
    """

    baseline: np.ndarray
    shape_fn: Callable
    names: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    alpha0: float
    has_alpha: bool
    fit_error: float = 0.0

    @property
    def n_vars(self) -> int:
        return len(self.names)

    @property
    def n_shape(self) -> int:
        return self.n_vars - int(self.has_alpha)

    def initial(self) -> np.ndarray:
        """The baseline design: zero shape variables (and the case's alpha)."""
        d = np.zeros(self.n_vars)
        if self.has_alpha:
            d[-1] = self.alpha0
        return d

    def read(self, path) -> np.ndarray:
        """A design from a JSON file with a key ``design``: a list of ``n_vars`` numbers, or an
        object mapping every name in :attr:`names` to a number (the ``summary.json`` that
        ``cfdopt optimize`` writes for each design).

        Raises:
            ConfigError: unreadable file, or a design that does not fit this space.
        """
        import json
        from pathlib import Path

        try:
            raw = json.loads(Path(path).read_text())["design"]
            if isinstance(raw, dict):
                missing = [n for n in self.names if n not in raw]
                if missing or len(raw) != self.n_vars:
                    raise ConfigError(f"{path}: 'design' names {sorted(raw)[:3]}... do not match this case's "
                                      f"{self.n_vars} variables (missing e.g. {missing[:2]})")
                raw = [raw[n] for n in self.names]
            design = np.asarray(raw, dtype=float)
        except (OSError, KeyError, ValueError, TypeError) as err:
            raise ConfigError(f"{path}: expected JSON with a key 'design' (a list of numbers, or an object "
                              f"of variable name -> number): {err}") from err
        if design.shape != (self.n_vars,):
            raise ConfigError(f"{path}: 'design' has {design.size} values, this design space has {self.n_vars}")
        return design

    def surface(self, d) -> jax.Array:
        """``(n_airfoil + 1, 2)`` Selig-ordered surface of design ``d``."""
        d = jnp.asarray(d, dtype=jnp.float64)
        return self.shape_fn(jnp.asarray(self.baseline), d[: self.n_shape])

    def wall(self, d) -> jax.Array:
        """Surface of ``d`` in C-grid wall order (the reverse of Selig order)."""
        return self.surface(d)[::-1]

    def alpha(self, d):
        """Angle of attack (degrees) of design ``d``."""
        return jnp.asarray(d, dtype=jnp.float64)[-1] if self.has_alpha else self.alpha0


def design_space(design_cfg, baseline: np.ndarray, alpha0: float = 0.0) -> DesignSpace:
    """Build the design space of a ``[design]`` section around a meshed baseline surface."""
    baseline = np.asarray(baseline, dtype=np.float64)
    shape_fn, params, _ = build_shape(
        design_cfg.parametrization, baseline, design_cfg.n_bumps, design_cfg.bump_width, design_cfg.cst_order,
        design_cfg.bump_spacing,
    )
    if isinstance(params, HicksHenne):
        names = [f"hh_upper_{k} (x={x:.3f})" for k, x in enumerate(params.upper_peaks)]
        names += [f"hh_lower_{k} (x={x:.3f})" for k, x in enumerate(params.lower_peaks)]
    elif isinstance(params, CstParams):
        names = [f"cst_{side}_{k}" for side in ("upper", "lower") for k in range(params.order + 1)]
    else:
        names = []
    fit_error = float(getattr(params, "fit_error", 0.0))
    if design_cfg.symmetric:
        if not isinstance(params, HicksHenne) or params.upper_peaks != params.lower_peaks:
            raise ConfigError("[design] symmetric = true needs parametrization = 'hicks-henne' (matching upper and "
                              f"lower bumps), got {design_cfg.parametrization!r}")
        full = shape_fn
        shape_fn = lambda base, a: full(base, jnp.concatenate([a, -a]))  # noqa: E731
        names = [f"hh_{k} (x={x:.3f}, upper +, lower -)" for k, x in enumerate(params.upper_peaks)]
    n = len(names)
    lower = np.full(n, -design_cfg.bound)
    upper = np.full(n, design_cfg.bound)
    if design_cfg.alpha:
        names.append("alpha (deg)")
        lower = np.append(lower, -10.0)
        upper = np.append(upper, 10.0)
    return DesignSpace(
        baseline=baseline,
        shape_fn=shape_fn,
        names=tuple(names),
        lower=lower,
        upper=upper,
        alpha0=float(alpha0),
        has_alpha=bool(design_cfg.alpha),
        fit_error=fit_error,
    )
