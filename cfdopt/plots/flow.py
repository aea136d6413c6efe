"""Flow-solver figures: residual convergence, surface pressure coefficient, skin friction, where the SA clip acts."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cfdopt.plots import save_figure  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["plot_cf", "plot_clip_map", "plot_convergence", "plot_cp"]


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


def plot_clip_map(nodes: np.ndarray, chi: np.ndarray, width: float, path, title: str = "",
                  zoom=((-0.3, 2.0), (-0.6, 0.6))) -> None:
    """Cells where the Spalart-Allmaras clip acts, in the computational plane (left: cell indices, so that the
    thin wall cells show) and near the airfoil (right): ``chi <= 0`` (where the hard clip and SA-neg's branch
    act), ``0 < chi < width`` (the softplus transition, :func:`cfdopt.flow.rans.sa.transition_width`), and the rest.

    Args:
        nodes: ``(ni+1, nj+1, 2)`` grid nodes, chords.
        chi: ``(ni, nj)`` cell values of ``nu_tilde / nu``.
        width: half-width in chi of the softplus transition.
        path: PNG to write.
        zoom: ``((xmin, xmax), (ymin, ymax))`` of the right panel, chords.
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    nodes, chi = np.asarray(nodes, dtype=float), np.asarray(chi, dtype=float)
    kind = np.where(chi <= 0.0, 0, np.where(chi < width, 1, 2))
    cmap = ListedColormap(["tab:red", "gold", "0.92"])
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    axes[0].pcolormesh(np.arange(kind.shape[0] + 1), np.arange(kind.shape[1] + 1), kind.T, cmap=cmap, vmin=-0.5,
                       vmax=2.5, edgecolors="0.6", linewidth=0.1)
    axes[0].set_xlabel("cell index i along the C (wake, lower surface, upper surface, wake)")
    axes[0].set_ylabel("cell index j from the wall / wake cut")
    axes[0].set_title("computational plane")
    ax = axes[1]
    ax.pcolormesh(nodes[..., 0], nodes[..., 1], kind, cmap=cmap, vmin=-0.5, vmax=2.5, edgecolors="0.6",
                  linewidth=0.1)
    ax.set_aspect("equal")
    ax.set_xlabel("x / chord")
    ax.set_ylabel("y / chord")
    ax.set_xlim(*zoom[0])
    ax.set_ylim(*zoom[1])
    ax.set_title("near the airfoil")
    colors = [cmap(0), cmap(1), cmap(2)]
    labels = [f"chi <= 0 ({100 * np.mean(kind == 0):.1f}% of cells)",
              f"softplus transition 0 < chi < {width:.3g} ({100 * np.mean(kind == 1):.1f}%)",
              "clip inactive"]
    ax.legend(handles=[Patch(color=c, label=t) for c, t in zip(colors, labels)], loc="upper right", fontsize=8)
    save_figure(fig, path, title)
