"""Newton/PTC solver: convergence to 1e-10 with a quadratic tail, and failure as a status."""

import numpy as np
import pytest

import cfdopt  # noqa: F401  (float64)
from cfdopt.flow.residual import Numerics
from cfdopt.flow.state import FlowConditions
from cfdopt.solver import SolverSettings, final_jacobian, solve_flow
from flow_testgrids import c_grid


@pytest.fixture(scope="module")
def grid():
    return c_grid(n_airfoil=48, n_wake=10, n_normal=12, farfield=15.0, wall_spacing=5e-3)


@pytest.fixture(scope="module")
def solved(grid):
    return solve_flow(grid, FlowConditions(0.5, 1.25), Numerics(), SolverSettings(tolerance=1e-10))


def test_newton_converges_quadratically(solved, grid):
    assert solved.converged, solved.message
    assert solved.residual_drop <= 1e-10
    r = np.array([h["residual"] for h in solved.history])
    assert np.all(np.diff([h["iteration"] for h in solved.history]) == 1)
    # Quadratic tail: for the last three residuals above the round-off floor (~1e-12 here),
    # r_{k+1} / r_k^2 stays about constant (within 10x) while the linear rate r_{k+1} / r_k
    # keeps shrinking (by more than 10x per step); a linear method would keep that rate fixed.
    above = r[r > 1e-11]
    ra, rb, rc = above[-3:]
    assert rc / rb**2 < 10 * (rb / ra**2)
    assert rc / rb < 0.1 * (rb / ra)
    # Lift is positive at positive incidence and history carries the requested fields.
    assert solved.coefficients["cl"] > 0
    assert {"iteration", "residual", "cl", "cd", "cm", "cfl", "time_s"} <= set(solved.history[-1])


def test_final_jacobian_factorisation(solved, grid):
    flow = FlowConditions(0.5, 1.25)
    jac, fact = final_jacobian(solved.U, grid, flow)
    b = np.random.default_rng(0).normal(size=solved.U.size)
    psi = fact.solve(b, trans="T")
    np.testing.assert_allclose(jac.rmatvec(psi), b, atol=1e-8 * np.abs(b).max())


def test_failed_solve_returns_status(grid):
    res = solve_flow(grid, FlowConditions(0.5, 1.25), Numerics(), SolverSettings(max_iterations=2))
    assert not res.converged
    assert res.iterations == 2 and len(res.history) == 3
    assert "not converged" in res.message


def test_restart_from_converged_state(solved, grid):
    res = solve_flow(grid, FlowConditions(0.5, 1.25), Numerics(), SolverSettings(), U0=solved.U)
    assert res.converged and res.iterations <= 1
