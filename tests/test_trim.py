"""Trim to a lift coefficient (cfdopt.analysis.trim): the angle found, its flow, and a failed step on the way."""

import dataclasses
import math

import numpy as np
import pytest

import cfdopt  # noqa: F401  (float64)
from cfdopt.analysis import polar, trim

from test_polar import case  # noqa: F401  (fixture: naca0012-subsonic, M 0.5, on the polar tests' tiny mesh)

TARGET = 0.25


def test_lift_slope_is_thin_airfoil_theory_with_prandtl_glauert():
    assert trim.lift_slope(0.0) == pytest.approx(2 * math.pi**2 / 180)  # 0.1097 per degree
    assert trim.lift_slope(0.6) == pytest.approx(trim.lift_slope(0.0) / 0.8)


def test_trim_finds_the_angle_of_the_target_lift(case):
    grid, flow, numerics, settings = case
    result = trim.trim(grid, flow, numerics, settings, TARGET, tol=1e-6)
    assert result.converged and abs(result.point.cl - TARGET) <= 1e-6
    assert result.points[0].alpha == flow.alpha and result.points[0].start == "free stream"
    assert all(p.start == "neighbour" for p in result.points[1:])
    # Independent of the secant's bookkeeping: a solve from the free stream at the angle found gives the same
    # flow, and a symmetric section's lift is odd in alpha, so -alpha gives -CL (mirror-image flow).
    for sign in (1.0, -1.0):
        check, _ = polar.solve_point(grid, dataclasses.replace(flow, alpha=sign * result.alpha), numerics, settings)
        np.testing.assert_allclose(check.cl, sign * result.point.cl, rtol=1e-8)
    np.testing.assert_allclose(result.U.shape, (grid.ni, grid.nj, 4))


def test_a_failed_step_is_retried_halfway_back(case, monkeypatch):
    """The first step (alpha 1.25 -> 1.75) fails: the next solve is halfway back, and the trim still converges."""
    import cfdopt.solve.newton

    real = cfdopt.solve.newton.solve_flow
    tried = []

    def solve_flow(grid, flow, numerics, settings, U0=None, callback=None):
        tried.append(float(flow.alpha))
        if not tried[1:] or len(tried) > 3:
            return real(grid, flow, numerics, settings, U0=U0, callback=callback)
        return real(grid, flow, numerics, dataclasses.replace(settings, max_iterations=1), U0=U0, callback=callback)

    monkeypatch.setattr(cfdopt.solve.newton, "solve_flow", solve_flow)
    grid, flow, numerics, settings = case
    result = trim.trim(grid, flow, numerics, settings, TARGET, tol=1e-6, max_step=0.5)
    first, failed, retry = result.points[:3]
    assert first.converged and not failed.converged and failed.alpha == pytest.approx(first.alpha + 0.5)
    assert retry.alpha == pytest.approx(first.alpha + 0.25) and retry.converged
    assert result.converged and abs(result.point.cl - TARGET) <= 1e-6
