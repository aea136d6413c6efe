"""Optimization figures that only scripts draw (scripts/run_adodg2.py): they write a PNG, label what they plot."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from cfdopt.plots import optimize as plots

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("column, label", [("c_cl_eq", "cl = target"), ("c_cm_lower", "cm >= bound"),
                                           ("c_area_rel_lower", "area (relative) >= bound"),
                                           ("c_thickness@0.3_upper", "thickness@0.3 <= bound"),
                                           ("c_l/d_lower", "l/d >= bound")])
def test_constraint_labels(column, label):
    assert plots._constraint_label(column) == label


def test_constraint_history_has_one_panel_per_constraint(tmp_path, monkeypatch):
    rows = [dict(iteration=k, objective=0.02 - 1e-3 * k, c_cl_eq=-0.04 / (k + 1), c_area_rel_lower=1e-16 * k)
            for k in range(5)]
    titles = []
    real = plots.save_figure
    monkeypatch.setattr(plots, "save_figure", lambda fig, path, title="", **kw: (
        titles.extend(ax.get_title() for ax in fig.axes if ax.get_visible()), real(fig, path, title, **kw)))
    plots.plot_constraint_history(rows, tmp_path / "c.png", "cd", "title")
    assert (tmp_path / "c.png").read_bytes()[:8] == PNG
    assert [t for t in titles if t] == ["cl = target", "area (relative) >= bound"]
    plt.close("all")


def test_surface_comparison_splits_the_surfaces_at_the_leading_edge(tmp_path, monkeypatch):
    """Wall order: trailing edge, lower surface, leading edge, upper surface. With split_surfaces the upper panel
    gets the points from the leading edge on, the lower one those up to it."""
    theta = np.linspace(0.0, 2.0 * np.pi, 41)
    xy = np.stack([0.5 + 0.5 * np.cos(theta), -0.06 * np.sin(theta)], axis=-1)  # TE, lower (y < 0), LE, upper
    q = np.where(xy[:, 1] > 0, 1.0, -1.0)
    panels = []
    real = plots.save_figure
    monkeypatch.setattr(plots, "save_figure", lambda fig, path, title="", **kw: (
        panels.extend([line.get_ydata() for line in ax.get_lines() if line.get_label() == "a"] for ax in fig.axes),
        real(fig, path, title, **kw)))
    plots.plot_surface_comparison({"a": (xy, q), "b": (xy, 2 * q)}, "Cf (-)", tmp_path / "cf.png", split_surfaces=True)
    assert (tmp_path / "cf.png").read_bytes()[:8] == PNG
    (upper,), (lower,) = panels
    assert np.all(upper[1:] == 1.0) and np.all(lower[:-1] == -1.0)  # the shared leading-edge point aside
    plt.close("all")
