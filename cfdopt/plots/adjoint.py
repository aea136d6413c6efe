"""Surface sensitivity plot of an adjoint gradient (matplotlib, Agg)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cfdopt.plots import save_figure  # noqa: E402
import numpy as np  # noqa: E402


def plot_surface_sensitivity(wall: np.ndarray, sens: np.ndarray, path, title: str = "") -> None:
    """Normal surface sensitivity along the chord, upper and lower surface.

    Args:
        wall: ``(n + 1, 2)`` wall nodes in C-grid wall order (TE, lower, LE, upper, TE).
        sens: ``(n + 1,)`` ``dJ/dn`` per unit surface length at each node (1/chord^2).
        path: output PNG.
        title: figure title.
    """
    i_le = int(np.argmin(wall[:, 0]))
    fig, (ax0, ax1) = plt.subplots(2, 1, figsize=(8, 6), sharex=True, height_ratios=(2, 1))
    ax0.plot(wall[i_le:, 0], sens[i_le:], "-", color="C0", label="upper surface")
    ax0.plot(wall[: i_le + 1, 0], sens[: i_le + 1], "--", color="C1", label="lower surface")
    ax0.axhline(0.0, color="0.6", linewidth=0.6)
    ax0.set_ylabel("dJ/dn per unit length (1/chord$^2$)")
    ax0.legend()
    ax1.plot(wall[:, 0], wall[:, 1], "k-", linewidth=1.0)
    ax1.set_aspect("equal")
    ax1.set_xlabel("x / chord")
    ax1.set_ylabel("y / chord")
    save_figure(fig, path, title, title_axes=ax0)
