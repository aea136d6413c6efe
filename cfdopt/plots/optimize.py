"""Optimization figures: convergence history, baseline vs optimized shape, baseline vs optimized Cp."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cfdopt.plots import save_figure  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["plot_optimization_convergence", "plot_shapes", "plot_cp_comparison"]


def plot_optimization_convergence(rows: list[dict], path, objective: str = "cd", title: str = "") -> None:
    """Objective (relative to the baseline), projected gradient norm and constraint violation per iteration."""
    it = np.array([r["iteration"] for r in rows], dtype=float)
    obj = np.array([r["objective"] for r in rows], dtype=float)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(it, obj, "o-", ms=4, color="C0")
    ax1.set_xlabel("optimizer iteration")
    ax1.set_ylabel(f"objective {objective} (-)")
    ax1.grid(True, alpha=0.3)
    if obj.size and obj[0] != 0:
        rel = ax1.secondary_yaxis("right", functions=(lambda y: 100 * y / obj[0], lambda p: p * obj[0] / 100))
        rel.set_ylabel("% of baseline")
    ax2.semilogy(it, np.maximum([r["grad_norm"] for r in rows], 1e-300), "o-", ms=4, label="|projected gradient|")
    viol = np.array([r.get("violation", 0.0) for r in rows], dtype=float)
    if np.any(viol > 1e-10):  # below that it is round-off in the constraint values
        ax2.semilogy(it, np.maximum(viol, 1e-10), "s--", ms=4, label="max constraint violation")
    ax2.set_xlabel("optimizer iteration")
    ax2.set_ylabel("norm in scaled variables (-)")
    ax2.legend()
    ax2.grid(True, which="both", alpha=0.3)
    save_figure(fig, path, title)


def plot_shapes(baseline: np.ndarray, optimized: np.ndarray, path, exaggerate: float = 1.0, title: str = "") -> None:
    """Baseline and optimized sections (y scaled by ``exaggerate``) and the normal-ish change ``y_opt - y_base``.

    Args:
        baseline, optimized: ``(N, 2)`` Selig-ordered surfaces with the same point count (chords).
        exaggerate: factor on ``y`` in the upper panel (1: true shape).
    """
    baseline, optimized = np.asarray(baseline), np.asarray(optimized)
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 6), height_ratios=(2, 1), sharex=True)
    ax1.plot(baseline[:, 0], exaggerate * baseline[:, 1], "k-", lw=1, label="baseline")
    ax1.plot(optimized[:, 0], exaggerate * optimized[:, 1], "C3-", lw=1.2, label="optimized")
    ax1.set_ylabel("y / c (-)" if exaggerate == 1 else f"{exaggerate:g} x y / c (-)")
    ax1.legend()
    ax1.grid(True, alpha=0.3)
    le = int(np.argmin(baseline[:, 0]))
    dy = optimized[:, 1] - baseline[:, 1]
    ax2.plot(baseline[: le + 1, 0], dy[: le + 1], "C0-", label="upper surface")
    ax2.plot(baseline[le:, 0], dy[le:], "C1-", label="lower surface")
    ax2.axhline(0.0, color="k", lw=0.5)
    ax2.set_xlabel("x / c (-)")
    ax2.set_ylabel("y_opt - y_base (chords)")
    ax2.legend()
    ax2.grid(True, alpha=0.3)
    save_figure(fig, path, title)


def plot_cp_comparison(baseline: np.ndarray, optimized: np.ndarray, path, title: str = "", labels=()) -> None:
    """``-Cp`` against ``x/c`` for both designs: ``(n, 2 + k)`` arrays of wall-face ``x, y`` and ``k`` Cp columns,
    one per flight point named in ``labels`` (one curve each, baseline dashed, optimized solid)."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    baseline, optimized = np.asarray(baseline), np.asarray(optimized)
    if baseline.shape[1] == 3:
        for data, style, label in ((baseline, "k.-", "baseline"), (optimized, "C3.-", "optimized")):
            ax.plot(data[:, 0], -data[:, 2], style, ms=3, lw=0.9, label=label)
    for j in range(2, baseline.shape[1] if baseline.shape[1] > 3 else 2):
        name = labels[j - 2] if len(labels) > j - 2 else f"point {j - 1}"
        ax.plot(baseline[:, 0], -baseline[:, j], "--", color=f"C{j - 2}", lw=0.9, label=f"{name}, baseline")
        ax.plot(optimized[:, 0], -optimized[:, j], ".-", color=f"C{j - 2}", ms=3, lw=0.9, label=f"{name}, optimized")
    ax.set_xlabel("x / c (-)")
    ax.set_ylabel("-Cp (-)")
    ax.legend()
    ax.grid(True, alpha=0.3)
    save_figure(fig, path, title, title_axes=ax)
