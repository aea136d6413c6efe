"""Polar figure: lift curve, drag polar and moment curve of a sweep (``cfdopt polar``)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cfdopt.plots import save_figure  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["plot_polar"]

AXIS_LABELS = {"alpha": "angle of attack alpha (deg)", "mach": "free-stream Mach number M (-)"}


def plot_polar(points, variable: str, path, title: str = "") -> None:
    """CL against ``variable``, CL against CD (drag polar), CM against ``variable``.

    Args:
        points: :class:`cfdopt.analysis.polar.PolarPoint` rows; the converged ones are drawn, the values of the failed
            ones marked by a dotted vertical line on the two ``variable`` panels.
        variable: ``"alpha"`` or ``"mach"``.
        path: the image file.
        title: figure title.
    """
    ok = [p for p in points if p.converged]
    x = np.array([getattr(p, variable) for p in ok], dtype=float)
    cl, cd, cm = (np.array([getattr(p, k) for p in ok], dtype=float) for k in ("cl", "cd", "cm"))
    failed = [getattr(p, variable) for p in points if not p.converged]
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(13, 4))
    for ax, y, name in ((ax1, cl, "lift coefficient CL (-)"), (ax3, cm, "moment coefficient CM, c/4 (-)")):
        ax.plot(x, y, "o-", ms=4)
        for k, v in enumerate(failed):
            ax.axvline(v, color="C3", ls=":", lw=1.0, label="not converged" if k == 0 else None)
        if failed:
            ax.legend()
        ax.set_xlabel(AXIS_LABELS[variable])
        ax.set_ylabel(name)
    ax2.plot(cd, cl, "o-", ms=4)
    ax2.set_xlabel("drag coefficient CD (-)")
    ax2.set_ylabel("lift coefficient CL (-)")
    for ax in (ax1, ax2, ax3):
        ax.grid(True, alpha=0.3)
    save_figure(fig, path, title)
