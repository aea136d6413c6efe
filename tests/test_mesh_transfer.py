"""Carrying a cell field between C-grids of one family (cfdopt.mesh.transfer)."""

from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

import cfdopt  # noqa: F401  (float64)
from cfdopt.case.schema import load_case
from cfdopt.mesh.transfer import distance_along_lines, transfer_cells
from cfdopt.mesh.types import metrics
from cfdopt.analysis.outputs import case_grid

CASE = Path(__file__).resolve().parents[1] / "cases" / "naca0012-subsonic"


def _nodes(n_airfoil, n_wake, n_normal):
    cfg = load_case(CASE, [f"mesh.n_airfoil={n_airfoil}", f"mesh.n_wake={n_wake}", f"mesh.n_normal={n_normal}",
                           "mesh.farfield=20"])
    return np.asarray(case_grid(cfg)[0].nodes)


@pytest.fixture(scope="module")
def grids():
    return _nodes(48, 8, 16), _nodes(96, 16, 32)


def test_the_same_grid_gives_the_field_back(grids):
    coarse, _ = grids
    U = np.random.default_rng(0).normal(size=(coarse.shape[0] - 1, coarse.shape[1] - 1, 5))
    np.testing.assert_array_equal(transfer_cells(coarse, U, coarse), U)


def test_a_field_linear_in_the_wall_distance_is_carried_exactly(grids):
    """Linear interpolation along each line reproduces ``a + b d``; the fractional-column blend of two columns that
    carry the same function of ``d`` does too (only cells beyond the coarse cells' range are held constant)."""
    coarse, fine = grids
    d_c, d_f = distance_along_lines(coarse), distance_along_lines(fine)
    U = np.stack([1.0 + 3.0 * d_c, np.full_like(d_c, 0.7)], axis=-1)
    out = transfer_cells(coarse, U, fine)
    inside = (d_f >= d_c.min(axis=1).max()) & (d_f <= d_c.max(axis=1).min())
    assert inside.mean() > 0.9
    np.testing.assert_allclose(out[..., 0][inside], 1.0 + 3.0 * d_f[inside], rtol=1e-12)
    np.testing.assert_allclose(out[..., 1], 0.7, rtol=1e-15)


def test_a_smooth_field_is_carried_to_second_order(grids):
    """``f = sin(x) cos(y)`` of the cell centroids: the error on the fine grid, near the airfoil, falls by about 4
    when the coarse grid is halved (linear interpolation); a wrong column match would not converge at all."""
    coarse, fine = grids
    mid = _nodes(192, 32, 64)

    def field(nodes):
        c = np.asarray(metrics(jnp.asarray(nodes)).centre)
        return (np.sin(2.0 * c[..., 0]) * np.cos(2.0 * c[..., 1]))[..., None]

    target = np.asarray(metrics(jnp.asarray(mid)).centre)
    near = np.linalg.norm(target - [0.5, 0.0], axis=-1) < 1.0
    errors = [np.abs(transfer_cells(g, field(g), mid) - field(mid))[..., 0][near].max() for g in (coarse, fine)]
    assert errors[0] / errors[1] > 3.0, errors
