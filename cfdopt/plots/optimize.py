"""Optimization figures: convergence history, baseline vs optimized shape, Cp and other surface distributions."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cfdopt.plots import save_figure  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["plot_optimization_convergence", "plot_constraint_history", "plot_shapes", "plot_cp_comparison",
           "plot_surface_comparison"]


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


_KINDS = {"eq": "= target", "lower": ">= bound", "upper": "<= bound"}


def _constraint_label(column: str) -> str:
    """``c_cl_eq`` -> ``cl = target``, ``c_area_rel_lower`` -> ``area (relative) >= bound``."""
    name, kind = column.removeprefix("c_").rsplit("_", 1)
    name = name.replace("_rel", " (relative)").replace("_", " ")
    return f"{name} {_KINDS.get(kind, kind)}"


def plot_constraint_history(rows: list[dict], path, objective: str = "cd", title: str = "") -> None:
    """The objective and every constraint per iteration: one panel each.

    A constraint's panel shows its margin as ``history.csv`` records it (``c_*`` columns: value minus target for an
    equality, value minus bound for a lower bound, bound minus value for an upper one; feasible is >= 0, and 0
    for an equality), on a symmetric log axis so that both the first steps and the last 1e-5 show.
    """
    it = np.array([r["iteration"] for r in rows], dtype=float)
    columns = [k for k in rows[0] if k.startswith("c_")] if rows else []
    n = 1 + len(columns)
    ncol = 2 if n > 1 else 1
    nrow = (n + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(5.8 * ncol, 3.2 * nrow), squeeze=False)
    ax = axes.flat[0]
    obj = np.array([r["objective"] for r in rows], dtype=float)
    ax.plot(it, obj, "o-", ms=3, color="C0")
    ax.set_ylabel(f"{objective} (-)")
    if obj.size and obj[0] != 0:
        rel = ax.secondary_yaxis("right", functions=(lambda y: 100 * y / obj[0], lambda p: p * obj[0] / 100))
        rel.set_ylabel("% of baseline")
    for ax, column in zip(axes.flat[1:], columns):
        margin = np.array([r[column] for r in rows], dtype=float)
        ax.plot(it, margin, "o-", ms=3, color="C3")
        ax.axhline(0.0, color="k", lw=0.6)
        ax.set_yscale("symlog", linthresh=1e-5)
        ax.set_ylim(min(1.5 * margin.min(), -2e-5), max(1.5 * margin.max(), 2e-5))  # round-off margins show as 0
        ax.set_ylabel("margin (-)")
        ax.set_title(_constraint_label(column), fontsize=10)
    for ax in axes.flat[:n]:
        ax.set_xlabel("optimizer iteration")
        ax.grid(True, alpha=0.3)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    save_figure(fig, path, title)


def plot_surface_comparison(curves: dict, ylabel: str, path, title: str = "", split_surfaces: bool = False) -> None:
    """A wall distribution (``-Cp``, ``Cf``, ...) of several designs against ``x/c``.

    Args:
        curves: ``{label: (xy, q)}``, ``xy`` ``(n, 2)`` wall-face midpoints in grid order (trailing edge, lower
            surface, leading edge, upper surface), ``q`` ``(n,)`` the plotted quantity.
        ylabel: the quantity's axis label, with units.
        split_surfaces: one panel for the upper surface and one for the lower (for Cf, whose two surfaces overlap).
    """
    panels = ("upper surface", "lower surface") if split_surfaces else ("",)
    fig, axes = plt.subplots(len(panels), 1, figsize=(7, 3.2 * len(panels) + 1.3), sharex=True, squeeze=False)
    for k, (label, (xy, q)) in enumerate(curves.items()):
        xy, q = np.asarray(xy), np.asarray(q)
        le = int(np.argmin(xy[:, 0]))
        parts = ((slice(le, None), slice(None, le + 1))) if split_surfaces else (slice(None),)
        for ax, part in zip(axes[:, 0], parts):
            ax.plot(xy[part, 0], q[part], ".-", ms=2.5, lw=0.9, color="k" if k == 0 else f"C{2 + k}", label=label)
    for ax, name in zip(axes[:, 0], panels):
        ax.set_ylabel(ylabel if not name else f"{ylabel}, {name}")
        ax.axhline(0.0, color="k", lw=0.5)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    axes[-1, 0].set_xlabel("x / c (-)")
    save_figure(fig, path, title, title_axes=axes[0, 0])
