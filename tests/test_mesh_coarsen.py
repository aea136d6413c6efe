"""Mesh sequencing: coarse C-grids lie on the fine one, and prolongation is bilinear."""

import numpy as np
import pytest

import cfdopt  # noqa: F401  (float64)
from cfdopt.mesh import quality_report
from cfdopt.mesh.coarsen import can_coarsen, coarsen, prolong_cells
from flow_testgrids import c_grid


def test_coarse_grid_is_every_other_node():
    fine = c_grid(n_airfoil=48, n_wake=10, n_normal=16, farfield=15.0, wall_spacing=5e-3)
    coarse = coarsen(fine)
    assert (coarse.ni, coarse.nj, coarse.n_wake) == (fine.ni // 2, fine.nj // 2, fine.n_wake // 2)
    np.testing.assert_array_equal(np.asarray(coarse.nodes), np.asarray(fine.nodes)[::2, ::2])
    np.testing.assert_array_equal(np.asarray(coarse.surface), np.asarray(fine.surface)[::2])
    n = np.asarray(coarse.nodes)
    # the wake cut still closes: node (i, 0) meets node (ni - i, 0) up to the trailing edge
    for i in range(coarse.n_wake + 1):
        np.testing.assert_array_equal(n[i, 0], n[coarse.ni - i, 0])
    assert quality_report(coarse).min_area > 0
    assert not can_coarsen(coarse)  # n_wake = 5 is odd, nj = 8
    assert not can_coarsen(c_grid(n_airfoil=48, n_wake=10, n_normal=12, farfield=15.0, wall_spacing=5e-3))
    with pytest.raises(ValueError, match="cannot coarsen"):
        coarsen(coarse)


def test_prolongation_reproduces_linear_fields():
    ni, nj = 6, 5
    I, J = np.meshgrid(np.arange(ni), np.arange(nj), indexing="ij")
    # coarse cell I covers fine cells 2I, 2I+1: its centre is at fine index 2I + 1/2
    f = lambda i, j: 3.0 + 0.5 * i - 0.25 * j  # noqa: E731
    coarse = np.stack([f(2 * I + 0.5, 2 * J + 0.5), np.ones_like(I, dtype=float)], axis=-1)
    fine = prolong_cells(coarse)
    assert fine.shape == (2 * ni, 2 * nj, 2)
    i, j = np.meshgrid(np.arange(2 * ni), np.arange(2 * nj), indexing="ij")
    inner = (slice(1, -1), slice(1, -1))
    np.testing.assert_allclose(fine[..., 0][inner], f(i, j)[inner], rtol=0, atol=1e-14)
    np.testing.assert_array_equal(fine[..., 1], 1.0)  # constants exactly, edges included
    # at the edges the missing neighbour is the parent: the value stays within the coarse range
    assert fine[..., 0].min() >= coarse[..., 0].min() and fine[..., 0].max() <= coarse[..., 0].max()
