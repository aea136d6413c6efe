"""Kulfan's class-shape transformation (CST): surfaces, least-squares fit, and a shape function.

For a surface of Bernstein order ``n`` (``n + 1`` weights):

    y(x) = C(x) S(x) +- x dz_te / 2,    C(x) = x^N1 (1 - x)^N2,
    S(x) = sum_i w_i K_i x^i (1 - x)^(n - i),   K_i = n! / (i! (n - i)!),

with ``N1 = 0.5, N2 = 1`` for a round-nosed airfoil, ``+`` on the upper and
``-`` on the lower surface, ``dz_te`` the trailing-edge thickness. Lower
weights carry their sign (a symmetric section has ``w_lower = -w_upper``).

``C`` is masked to exactly 0 outside the open interval (0, 1) through a double
``where`` (as pygeo's ``DVGeoCST`` does), so gradients stay finite at ``x = 0``
and ``x = 1`` where ``d sqrt(x)/dx`` is infinite.

Weights are stored as a ``(2, n + 1)`` array: row 0 upper, row 1 lower. The
design vector of :func:`cst_shape` uses the same layout flattened: upper
weight increments first, then lower.

References:
    Kulfan, B. M., "Universal Parametric Geometry Representation Method",
    J. Aircraft 45(1), 2008, 142-158.
    mdolab/pygeo, ``pygeo/parameterization/DVGeoCST.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np


def class_function(x: jax.Array, n1: float = 0.5, n2: float = 1.0) -> jax.Array:
    """``C(x) = x^n1 (1 - x)^n2``, exactly 0 (with finite gradient) outside (0, 1)."""
    return _safe_pow(x, n1) * _safe_pow(1.0 - x, n2)


def bernstein_matrix(x: jax.Array, order: int) -> jax.Array:
    """``(order + 1, N)`` Bernstein basis ``K_i x^i (1 - x)^(order - i)`` at stations ``x`` ``(N,)``."""
    rows = [math.comb(order, i) * x**i * (1.0 - x) ** (order - i) for i in range(order + 1)]
    return jnp.stack(rows, axis=0)


def cst_surface(
    x_upper: jax.Array,
    x_lower: jax.Array,
    weights_upper: jax.Array,
    weights_lower: jax.Array,
    n1: float = 0.5,
    n2: float = 1.0,
    te_thickness: float = 0.0,
) -> tuple[jax.Array, jax.Array]:
    """Upper and lower CST ordinates.

    Args:
        x_upper: ``(Nu,)`` stations in [0, 1] on the upper surface (chords).
        x_lower: ``(Nl,)`` stations in [0, 1] on the lower surface.
        weights_upper: ``(n + 1,)`` upper weights.
        weights_lower: ``(m + 1,)`` lower weights (negative for a normal lower surface).
        n1, n2: class-function exponents.
        te_thickness: trailing-edge thickness ``dz_te`` (chords).

    Returns:
        ``(y_upper (Nu,), y_lower (Nl,))`` in chords.
    """
    y_u = _cst_side(x_upper, weights_upper, n1, n2) + x_upper * (0.5 * te_thickness)
    y_l = _cst_side(x_lower, weights_lower, n1, n2) - x_lower * (0.5 * te_thickness)
    return y_u, y_l


def fit_cst(surface, order: int, n1: float = 0.5, n2: float = 1.0) -> tuple[np.ndarray, float]:
    """Least-squares fit of CST weights to a Selig-ordered surface.

    The surfaces are split at the minimum-x point; the trailing-edge thickness
    is taken from the data (``y_first - y_last``); each surface's weights solve
    the linear least-squares problem ``C(x_k) B(x_k)^T w = y_k -+ x_k dz_te / 2``.

    Args:
        surface: ``(N, 2)`` Selig-ordered surface with the chord on x in [0, 1].
        order: Bernstein order ``n >= 1`` (``n + 1`` weights per surface).
        n1, n2: class-function exponents.

    Returns:
        ``(weights (2, order + 1), max_error)``: row 0 upper, row 1 lower; the
        largest vertical distance (chords) between the data points and the
        fitted surface at the same x.
    """
    if order < 1:
        raise ValueError(f"CST order={order} must be at least 1")
    s = np.asarray(surface, dtype=np.float64)
    i_le = int(np.argmin(s[:, 0]))
    te = float(s[0, 1] - s[-1, 1])
    weights, error = [], 0.0
    for part, sign in ((s[: i_le + 1], 1.0), (s[i_le:], -1.0)):
        x = np.clip(part[:, 0], 0.0, 1.0)
        basis = np.asarray(class_function(jnp.asarray(x), n1, n2)[None, :] * bernstein_matrix(jnp.asarray(x), order))
        rhs = part[:, 1] - sign * 0.5 * te * x
        w, *_ = np.linalg.lstsq(basis.T, rhs, rcond=None)
        weights.append(w)
        error = max(error, float(np.max(np.abs(basis.T @ w - rhs))))
    return np.stack(weights, axis=0), error


@dataclass(frozen=True)
class CstParams:
    """A CST parametrization fitted to a baseline.

    Attributes:
        weights: ``(2, order + 1)`` fitted weights (row 0 upper, row 1 lower).
        te_thickness: trailing-edge thickness of the baseline (chords).
        n1, n2: class-function exponents.
        fit_error: max vertical fit error of the baseline (chords), for reports.
        keep_fit_residual: when True (default) ``cst_shape`` returns
            ``baseline + [CST(w + d) - CST(w)]`` so a zero design gives the
            baseline itself; when False it returns the pure CST surface
            ``CST(w + d)`` at the baseline's x, so a zero design gives the fitted
            surface (which differs from the baseline by up to ``fit_error``).
    """

    weights: jax.Array
    te_thickness: float = field(default=0.0, metadata=dict(static=True))
    n1: float = field(default=0.5, metadata=dict(static=True))
    n2: float = field(default=1.0, metadata=dict(static=True))
    fit_error: float = field(default=0.0, metadata=dict(static=True))
    keep_fit_residual: bool = field(default=True, metadata=dict(static=True))

    def __post_init__(self):
        shape = getattr(self.weights, "shape", None)
        if shape is None or len(shape) != 2 or shape[0] != 2 or shape[1] < 2:
            raise ValueError(f"CstParams.weights must have shape (2, order + 1) with order >= 1, got {shape}")
        if not (self.n1 > 0.0 and self.n2 > 0.0):
            raise ValueError(f"CstParams exponents n1={self.n1}, n2={self.n2} must be positive")

    @property
    def order(self) -> int:
        return self.weights.shape[1] - 1

    @property
    def n_design(self) -> int:
        """Design length ``2 (order + 1)``: upper weight increments, then lower."""
        return 2 * self.weights.shape[1]

    @classmethod
    def fit(cls, surface, order: int, n1: float = 0.5, n2: float = 1.0, keep_fit_residual: bool = True) -> "CstParams":
        """Fit weights to ``surface`` (see :func:`fit_cst`) and record the fit error."""
        weights, error = fit_cst(surface, order, n1, n2)
        s = np.asarray(surface)
        return cls(jnp.asarray(weights), float(s[0, 1] - s[-1, 1]), n1, n2, error, keep_fit_residual)


jax.tree_util.register_dataclass(
    CstParams, data_fields=["weights"], meta_fields=["te_thickness", "n1", "n2", "fit_error", "keep_fit_residual"]
)


def cst_shape(baseline: jax.Array, design: jax.Array, params: CstParams) -> jax.Array:
    """Surface from perturbed CST weights ``w + design`` at the baseline's x stations.

    Args:
        baseline: ``(N, 2)`` Selig-ordered surface the parameters were fitted to;
            its minimum-x point separates the surfaces; x values are kept.
        design: ``(params.n_design,)`` weight increments, upper first.
        params: fitted :class:`CstParams`.

    Returns:
        ``(N, 2)`` surface. With ``keep_fit_residual`` a zero design returns the
        baseline bit for bit; otherwise the fitted CST surface.
    """
    design = jnp.asarray(design)
    if design.shape != (params.n_design,):
        raise ValueError(f"design has shape {design.shape}, expected ({params.n_design},)")
    baseline = jnp.asarray(baseline)
    n = baseline.shape[0]
    x = baseline[:, 0]
    xc = jnp.clip(x, 0.0, 1.0)
    index = jnp.arange(n)
    i_le = jnp.argmin(x)
    delta = design.reshape(2, params.order + 1)
    if params.keep_fit_residual:
        dy_u = _cst_side(xc, delta[0], params.n1, params.n2)
        dy_l = _cst_side(xc, delta[1], params.n1, params.n2)
        dy = jnp.where(index < i_le, dy_u, jnp.where(index > i_le, dy_l, 0.0))
        return baseline.at[:, 1].add(dy)
    w = params.weights + delta
    y_u, y_l = cst_surface(xc, xc, w[0], w[1], params.n1, params.n2, params.te_thickness)
    return jnp.stack([x, jnp.where(index <= i_le, y_u, y_l)], axis=1)


def _cst_side(x: jax.Array, weights: jax.Array, n1: float, n2: float) -> jax.Array:
    order = weights.shape[0] - 1
    return class_function(x, n1, n2) * (weights @ bernstein_matrix(x, order))


def _safe_pow(base: jax.Array, exponent: float) -> jax.Array:
    positive = base > 0.0
    return jnp.where(positive, jnp.where(positive, base, 1.0) ** exponent, 0.0)
