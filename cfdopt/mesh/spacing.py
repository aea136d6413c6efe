"""One-dimensional point distributions for grid lines: geometric, a geometric layer then a smooth ramp, a floor.

Each function returns distances ``(..., n + 1)`` from 0 to a line's length (or
the number of layer steps), vectorised over lines; :mod:`cfdopt.mesh.cgrid` and
:mod:`cfdopt.mesh.flatplate` place their nodes along them.

References:
    Vinokur (1983), On one-dimensional stretching functions for
    finite-difference calculations, J. Comput. Phys. 50(2).
"""

from __future__ import annotations

import numpy as np

from cfdopt.util.errors import MeshError

__all__ = ["geometric_distances", "ramped_distances", "layer_cells", "floor_steps"]


def geometric_distances(first, length, n: int) -> np.ndarray:
    """Distances ``(..., n + 1)`` from 0 to ``length`` whose steps grow by a constant ratio.

    Solves ``first * (r**n - 1) / (r - 1) = length`` for ``r`` (any positive
    ratio, ``r < 1`` when ``n * first > length``) by bisection on ``log r``.

    Args:
        first: first step(s), broadcastable with ``length``, positive.
        length: total length(s), positive.
        n: number of steps.

    Returns:
        ``(..., n + 1)`` increasing distances, first 0, last exactly ``length``.
    """
    first = np.asarray(first, dtype=float)
    length = np.asarray(length, dtype=float)
    first, length = np.broadcast_arrays(first, length)
    target = length / first
    lo = np.full(target.shape, -5.0)
    hi = np.full(target.shape, 5.0)
    k = np.arange(n, dtype=float)

    def total(log_r):
        return np.sum(np.exp(log_r[..., None] * k), axis=-1)

    for _ in range(80):
        mid = 0.5 * (lo + hi)
        too_big = total(mid) > target
        hi = np.where(too_big, mid, hi)
        lo = np.where(too_big, lo, mid)
    steps = np.exp(0.5 * (lo + hi))[..., None] ** k
    dist = np.concatenate([np.zeros(target.shape + (1,)), np.cumsum(steps, axis=-1)], axis=-1)
    dist = dist * (length / dist[..., -1])[..., None]
    dist[..., -1] = length
    return dist


def _ramp_log_steps(log_first, n: int, growth: float, n_layer: int, rate) -> np.ndarray:
    """``(..., n)`` log step lengths: ``n_layer`` steps at ratio ``growth``, then the log ratio rising by ``rate``."""
    k = np.arange(n - 1)
    extra = np.maximum(k - n_layer + 2, 0).astype(float)
    log_ratio = np.log(growth) + np.asarray(rate, dtype=float)[..., None] * extra
    zero = np.zeros(log_ratio.shape[:-1] + (1,))
    return log_first[..., None] + np.concatenate([zero, np.cumsum(log_ratio, axis=-1)], axis=-1)


def _log_sum_exp(a: np.ndarray) -> np.ndarray:
    top = np.max(a, axis=-1)
    return top + np.log(np.sum(np.exp(a - top[..., None]), axis=-1))


def _ramp_rate(first, length, n: int, growth: float, n_layer: int) -> np.ndarray:
    """Rate ``c >= 0`` (per line) with which ``_ramp_log_steps`` sums to ``length``; bisection, 0 if none needed."""
    log_first, log_length = np.broadcast_arrays(np.log(first), np.log(length))
    lo = np.zeros(log_first.shape)
    hi = np.full(log_first.shape, 40.0)  # ratio of ratios e^40: reaches any length from n = 2 steps on
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        too_big = _log_sum_exp(_ramp_log_steps(log_first, n, growth, n_layer, mid)) > log_length
        hi = np.where(too_big, mid, hi)
        lo = np.where(too_big, lo, mid)
    return hi


def ramped_distances(first, length, n: int, growth: float, n_layer: int) -> np.ndarray:
    """Distances ``(..., n + 1)`` from 0 to ``length``: a geometric layer, then smoothly faster growth.

    The first ``n_layer`` steps grow by ``growth`` (the layer); after it the
    ratio of consecutive steps is ``growth e^(c m)`` for the m-th step
    beyond the layer, i.e. the ratio itself grows by the constant factor
    ``e^c`` (no jump in the ratio larger than ``e^c``). ``c >= 0`` is solved
    per line (bisection on the log of the sum) so the last distance is
    ``length``. Lines on which the steps at ``growth`` already reach
    ``length`` get ``geometric_distances`` (constant ratio below ``growth``).

    Args:
        first: first step(s), positive, broadcastable with ``length``.
        length: total length(s).
        n: number of steps.
        growth: step ratio in the layer, > 1.
        n_layer: steps in the layer, ``1 <= n_layer <= n``.

    Returns:
        ``(..., n + 1)`` increasing distances, first 0, last exactly ``length``.
    """
    first, length = np.broadcast_arrays(np.asarray(first, dtype=float), np.asarray(length, dtype=float))
    rate = _ramp_rate(first, length, n, growth, n_layer)
    steps = np.exp(_ramp_log_steps(np.log(first), n, growth, n_layer, rate))
    dist = np.concatenate([np.zeros(first.shape + (1,)), np.cumsum(steps, axis=-1)], axis=-1)
    fits = first * np.expm1(n * np.log(growth)) / (growth - 1.0) >= length
    missed = ~fits & (np.abs(dist[..., -1] / length - 1.0) > 1e-9)
    if np.any(missed):  # only when no step beyond the layer is left to ramp (n_layer >= n)
        raise MeshError(f"{n} steps from {np.max(first):.3e} with {n_layer} of them at ratio {growth:g} cannot "
                        f"reach {np.max(length):.6g}; keep n_layer < n")
    dist = dist * (length / dist[..., -1])[..., None]
    dist[..., -1] = length
    if np.any(fits):
        dist = np.where(fits[..., None], geometric_distances(first, length, n), dist)
    return dist


def floor_steps(dist: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """Distances ``(..., n + 1)`` whose steps ``d_k`` become ``sqrt(d_k^2 + floor^2)``, rescaled to the same length.

    Steps well above ``floor`` keep their size (up to the rescaling, which
    is small when few steps lie below ``floor``); steps below it grow to
    about ``floor``. Ratios of consecutive steps never exceed the original
    ones. Used on the wake lines of a viscous C-grid, where the wall's
    first-cell height is not needed at the cut (``ViscousSpacing.wake_aspect``).

    Args:
        dist: ``(..., n + 1)`` increasing distances from 0.
        floor: ``(...)`` step floor per line, >= 0.
    """
    steps = np.hypot(np.diff(dist, axis=-1), np.asarray(floor, dtype=float)[..., None])
    out = np.concatenate([np.zeros(dist.shape[:-1] + (1,)), np.cumsum(steps, axis=-1)], axis=-1)
    out *= (dist[..., -1] / out[..., -1])[..., None]
    out[..., -1] = dist[..., -1]
    return out


def layer_cells(first: float, length: float, n: int, growth: float, layer: float, max_ramp: float) -> int:
    """Steps of the geometric layer for ``ramped_distances``: enough to cover ``layer``, as the ramp allows.

    Starts from the steps at ratio ``growth`` that reach ``layer`` (at most
    ``n``) and gives up one at a time until the ramp beyond the layer needs
    a ratio of ratios ``e^c <= max_ramp`` to reach ``length``; at least 1.
    """
    target = int(np.ceil(np.log1p(layer * (growth - 1.0) / first) / np.log(growth)))
    for k in range(min(max(target, 1), n), 0, -1):
        if np.exp(_ramp_rate(first, length, n, growth, k)) <= max_ramp:
            return k
    return 1
