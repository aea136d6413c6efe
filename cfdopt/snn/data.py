"""Data sets for the spiking classifiers: Randman, sklearn digits, and the first-spike race.

Every loader returns a :class:`Dataset` of NumPy arrays, sample-major:
inputs ``(n_samples, n_steps, n_in)`` float32, labels ``(n_samples,)``
int32. The split is random with the given seed.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from cfdopt.util.errors import ConfigError
from cfdopt.snn.encoders import latency_encode, spike_times_to_trains

__all__ = ["Dataset", "randman_manifold", "randman_dataset", "digits_dataset", "race_dataset", "split"]


class Dataset(NamedTuple):
    """Train/test arrays: ``x_* (n, n_steps, n_in)`` float32, ``y_* (n,)`` int32."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int


def split(x, y, test_fraction: float, rng: np.random.Generator, n_classes: int) -> Dataset:
    """Shuffle and hold out ``round(test_fraction * n)`` samples for testing."""
    order = rng.permutation(len(y))
    n_test = int(round(test_fraction * len(y)))
    test, train = order[:n_test], order[n_test:]
    x, y = x.astype(np.float32), y.astype(np.int32)
    return Dataset(x[train], y[train], x[test], y[test], n_classes)


def randman_manifold(rng: np.random.Generator, n_embed: int, manifold_dim: int, alpha: float = 2.0,
                     precision: float = 1e-3, max_cutoff: int = 1000):
    """A random smooth manifold ``f: [0,1]^D -> R^n_embed`` (Zenke & Vogels 2021, ``randman``).

    Component ``i`` is a product over manifold coordinates ``d`` of random
    Fourier series
    ``g(x) = sum_{k=0}^{K-1} a_k (k+1)^{-alpha} sin(2 pi (k x b_k + c_k))``
    with ``a, b, c ~ U(0, 1)``, ``a_0 = 0`` (no bias) and the cutoff
    ``K = min(ceil(precision^(-1/alpha)), max_cutoff)``.

    Returns:
        ``f(x)`` for ``x (n, D)`` giving ``(n, n_embed)``.
    """
    cutoff = int(min(math.ceil(precision ** (-1.0 / alpha)), max_cutoff))
    a, b, c = rng.random((3, n_embed, manifold_dim, cutoff))
    a[..., 0] = 0.0
    k = np.arange(cutoff)
    spectrum = (k + 1.0) ** (-alpha)

    def f(x):
        phase = 2.0 * np.pi * (k * x[:, None, :, None] * b[None] + c[None])  # (n, E, D, K)
        g = np.sum(a[None] * spectrum * np.sin(phase), axis=-1)
        return np.prod(g, axis=-1)

    return f


def randman_dataset(n_classes=10, n_inputs=20, n_steps=100, manifold_dim=1, samples_per_class=1000,
                    alpha=2.0, step_frac=0.5, test_fraction=0.2, seed=0) -> Dataset:
    """Randman spike-timing classification (Zenke & Vogels 2021, Neural Computation 33(4)).

    Each class is its own random manifold in ``R^n_inputs``; a sample is a
    uniform point on it, min-max standardised per input over the class, and
    input ``i`` fires one spike at step ``min(floor(y_i W), W - 1)`` in the
window ``W = step_frac n_steps``.
    Only spike times carry the class.
    """
    rng = np.random.default_rng(seed)
    window = max(1, int(step_frac * n_steps))
    times, labels = [], []
    for label in range(n_classes):
        f = randman_manifold(rng, n_inputs, manifold_dim, alpha)
        y = f(rng.random((samples_per_class, manifold_dim)))
        y = (y - y.min(axis=0)) / np.maximum(y.max(axis=0) - y.min(axis=0), 1e-12)
        times.append(np.minimum((y * window).astype(np.int64), window - 1))
        labels.append(np.full(samples_per_class, label))
    x = spike_times_to_trains(np.concatenate(times), n_steps)
    return split(x, np.concatenate(labels), test_fraction, rng, n_classes)


def digits_dataset(n_steps=40, step_frac=1.0, test_fraction=0.2, seed=0) -> Dataset:
    """The 8x8 handwritten digits of scikit-learn (1797 samples), latency coded.

    Pixel intensities ``p/16`` spike once at ``round((1 - x)(step_frac n_steps - 1))``;
    blank pixels do not spike.

    Raises:
        ConfigError: scikit-learn is not installed (``pip install cfdopt[digits]``).
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:
        raise ConfigError("the digits task needs scikit-learn: pip install 'cfdopt[digits]'") from err
    digits = load_digits()
    window = max(1, int(round(step_frac * n_steps)))
    x = latency_encode(digits.data / 16.0, window)
    x = np.concatenate([x, np.zeros(x.shape[:1] + (n_steps - window, x.shape[2]), x.dtype)], axis=1)
    return split(x, digits.target, test_fraction, np.random.default_rng(seed), 10)


def race_dataset(n_samples=2000, n_steps=30, gap=0.1, test_fraction=0.2, seed=0) -> Dataset:
    """Two constant input currents ``(a, b)``; the label is the index of the stronger one.

    ``a, b ~ U(0, 1)`` redrawn until ``|a - b| >= gap`` so that the task is
    well posed; trained with the first-spike margin loss, the output neuron
    of the stronger input must fire first.
    """
    rng = np.random.default_rng(seed)
    ab = np.empty((0, 2))
    while len(ab) < n_samples:
        draw = rng.random((2 * n_samples, 2))
        ab = np.concatenate([ab, draw[np.abs(draw[:, 0] - draw[:, 1]) >= gap]])[:n_samples]
    x = np.repeat(ab[:, None, :], n_steps, axis=1)
    return split(x, np.argmax(ab, axis=1), test_fraction, rng, 2)
