"""Flow-solver figures: residual convergence, surface pressure coefficient and skin friction."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cfdopt.plots import save_figure  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["plot_cf", "plot_convergence", "plot_cp"]


def plot_convergence(history: list[dict], path, title: str = "") -> None:
    """Residual drop and CL/CD against Newton iteration (``history`` from ``SolveResult``)."""
    it = [h["iteration"] for h in history]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    levels = sorted({h.get("level", 0) for h in history}, reverse=True)
    for lv in levels:  # mesh sequencing: each grid's residual relative to its own free-stream residual
        hs = [h for h in history if h.get("level", 0) == lv]
        ax1.semilogy([h["iteration"] for h in hs], [max(h["residual"], 1e-300) for h in hs], "o-", ms=3,
                     label="final grid" if lv == 0 else f"coarse level {lv}")
    if len(levels) > 1:
        ax1.legend()
    ax1.set_xlabel("Newton iteration")
    ax1.set_ylabel("residual ||R|| / ||R(free stream)|| (-)")
    ax1.grid(True, which="both", alpha=0.3)
    ax2.plot(it, [h["cl"] for h in history], "o-", ms=3, label="CL")
    ax2.plot(it, [10 * h["cd"] for h in history], "s-", ms=3, label="10 CD")
    ax2.set_xlabel("Newton iteration")
    ax2.set_ylabel("force coefficient (-)")
    ax2.legend()
    ax2.grid(True, alpha=0.3)
    save_figure(fig, path, title)


def plot_cp(x: np.ndarray, cp: np.ndarray, path, title: str = "") -> None:
    """``-Cp`` against ``x/c`` (aerodynamic convention: suction up)."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot(np.asarray(x), -np.asarray(cp), "k.-", ms=3, lw=0.8)
    ax.set_xlabel("x / c (-)")
    ax.set_ylabel("-Cp (-)")
    ax.grid(True, alpha=0.3)
    save_figure(fig, path, title, title_axes=ax)


def plot_cf(x: np.ndarray, cf: np.ndarray, path, title: str = "") -> None:
    """Skin friction ``Cf`` against ``x/c`` (wall shear along the +x-oriented wall tangent, per q_inf)."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot(np.asarray(x), np.asarray(cf), "k.-", ms=3, lw=0.8)
    ax.axhline(0.0, color="0.5", lw=0.6)
    ax.set_xlabel("x / c (-)")
    ax.set_ylabel("skin friction Cf = tau_w / q_inf (-)")
    ax.grid(True, alpha=0.3)
    save_figure(fig, path, title, title_axes=ax)
