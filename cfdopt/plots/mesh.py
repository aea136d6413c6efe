"""Pictures of structured grids: the whole domain and a zoom on the airfoil."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

__all__ = ["draw_grid", "plot_mesh"]


def draw_grid(ax, nodes, color="k", linewidth=0.3, wall=None) -> None:
    """Draw the i- and j-lines of a node array ``(ni+1, nj+1, 2)`` on ``ax``.

    Args:
        ax: matplotlib axes.
        nodes: node coordinates, chords.
        color, linewidth: line style of the grid.
        wall: optional ``(n, 2)`` polyline drawn on top in red (the airfoil).
    """
    nodes = np.asarray(nodes, dtype=float)
    lines = [nodes[:, j] for j in range(nodes.shape[1])] + [nodes[i, :] for i in range(nodes.shape[0])]
    ax.add_collection(LineCollection(lines, colors=color, linewidths=linewidth))
    if wall is not None:
        wall = np.asarray(wall, dtype=float)
        ax.plot(wall[:, 0], wall[:, 1], "r-", linewidth=1.0)
    ax.set_aspect("equal")
    ax.set_xlabel("x / chord")
    ax.set_ylabel("y / chord")


def plot_mesh(grid, path=None, title: str | None = None, zoom=((-0.2, 1.3), (-0.35, 0.35))):
    """Figure with the whole grid (left) and a zoom on the airfoil (right).

    Args:
        grid: ``CGrid`` or ``FlatPlateGrid``.
        path: if given, the figure is saved there (PNG at 150 dpi) and closed.
        title: figure title.
        zoom: ``((xmin, xmax), (ymin, ymax))`` of the right panel, chords.

    Returns:
        The matplotlib figure (``None`` once saved to ``path``).
    """
    nodes = np.asarray(grid.nodes, dtype=float)
    wall = grid.surface if hasattr(grid, "surface") else None
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(13, 5.5))
    draw_grid(ax0, nodes, wall=wall)
    ax0.set_xlim(nodes[..., 0].min(), nodes[..., 0].max())
    ax0.set_ylim(nodes[..., 1].min(), nodes[..., 1].max())
    ax0.set_title(f"whole domain ({grid.ni} x {grid.nj} cells)")
    draw_grid(ax1, nodes, wall=wall)
    ax1.set_xlim(*zoom[0])
    ax1.set_ylim(*zoom[1])
    ax1.set_title("near the wall")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if path is None:
        return fig
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return None
