"""Newton/PTC solver: convergence to 1e-10 with a quadratic tail, and failure as a status."""

import dataclasses

import numpy as np
import pytest

import cfdopt  # noqa: F401  (float64)
from cfdopt.flow.residual import Numerics, make_residual
from cfdopt.flow.state import FlowConditions, uniform_state
from cfdopt.solve.newton import SolverSettings, final_jacobian, solve_flow
from cfdopt.solve.result import Fallback, Status
from cfdopt.solve.settings import Safeguards
from cfdopt.solve.step_control import roundoff_level
from flow_testgrids import c_grid


@pytest.fixture(scope="module")
def grid():
    return c_grid(n_airfoil=48, n_wake=10, n_normal=12, farfield=15.0, wall_spacing=5e-3)


@pytest.fixture(scope="module")
def solved(grid):
    return solve_flow(grid, FlowConditions(0.5, 1.25), Numerics(), SolverSettings(tolerance=1e-10))


def test_newton_converges_quadratically(solved, grid):
    assert solved.status is Status.CONVERGED, solved.message
    assert solved.residual_drop <= 1e-10
    # the statistics add up: every iteration solved its system once, by a lagged or a fresh LU
    st = solved.stats
    assert st.iterations == solved.iterations == sum(st.level_iterations.values())
    assert st.fallbacks == () and st.factorizations >= 1 and st.krylov_iterations >= st.iterations - st.factorizations
    assert st.lu_reuses + st.factorizations - st.failed_reuses >= st.iterations
    assert 0 < st.factor_s + st.krylov_s + st.jacobian_s < st.wall_s
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
    res = solve_flow(grid, FlowConditions(0.5, 1.25), Numerics(), SolverSettings(max_iterations=2, mesh_levels=1))
    assert res.status is Status.MAX_ITERATIONS and not res.converged
    assert res.iterations == res.stats.iterations == 2 and len(res.history) == 3
    assert res.stats.level_iterations == {0: 2} and res.physical is None


def test_a_tolerance_under_round_off_ends_at_round_off(solved, grid):
    """A tolerance no float64 state meets (1e-17 of the free-stream residual) ends the solve, converged, at the
    first iterate whose residual is within its round-off level (the residual change of a one-ulp change of every
    entry of the state), instead of spending max_iterations at the floor or reporting a failure."""
    flow = FlowConditions(0.5, 1.25)
    res = solve_flow(grid, flow, Numerics(), SolverSettings(tolerance=1e-17, max_iterations=30), U0=solved.U)
    assert res.status is Status.CONVERGED_ROUNDOFF, res.message
    assert res.iterations < 30
    residual = make_residual(Numerics())
    r_ref = float(np.linalg.norm(np.asarray(residual(uniform_state(flow, grid.ni, grid.nj), grid, flow))))
    level = roundoff_level(residual, res.U, grid, flow) / r_ref
    # the level is round-off of a converged Euler flow (1.07e-12 here): not zero, and an order under the default
    # tolerance 1e-10, so that a default solve of this flow never stops on it
    assert 1e-17 < res.residual_drop <= level < 1e-11


def test_final_grid_failing_from_the_prolonged_flow_is_solved_from_the_free_stream(monkeypatch):
    """Mesh sequencing: when the final grid fails from the prolonged coarse flow, it is solved once more from the
    free stream at ``cfl_start`` (the Newton-PTC runs replaced by a stand-in that fails from any start but the free
    stream on the final grid)."""
    import cfdopt.solve.newton as solver
    from cfdopt.solve.ptc import LevelOutcome, init_state
    from cfdopt.flow.physical import PhysicalCheck
    from cfdopt.solve.result import SolveStats

    calls = []

    def newton(lv, U0, cfl, t0, first, callback):
        calls.append((lv.level, U0 is None, cfl))
        ok = lv.level > 0 or U0 is None
        s = init_state(lv, None, cfl)
        s = dataclasses.replace(s, iteration=1, status=Status.CONVERGED if ok else Status.NO_STEP,
                                best_drop=1e-11 if ok else 1.0)
        return LevelOutcome(s, [dict(iteration=first + 1, level=lv.level)],
                            SolveStats(iterations=1, level_iterations={lv.level: 1}), {}, lv)

    monkeypatch.setattr(solver, "newton_ptc", newton)
    monkeypatch.setattr(solver, "_prepare_in_background", lambda *args: {})
    # the stand-in's zero state is no flow: passed by a stand-in check too (tests/test_physical.py tests the check)
    monkeypatch.setattr(solver, "check_physical", lambda *args: PhysicalCheck(
        ok=True, failure="", total_pressure_gain=0.0, wall_cp_ratio=1.0, density_min=1.0, pressure_min=1.0, cd=0.0))
    grid = c_grid(n_airfoil=48, n_wake=8, n_normal=16, farfield=15.0, wall_spacing=5e-3)  # coarsens once
    assert solver.can_coarsen(grid)
    res = solver.solve_flow(grid, FlowConditions(0.5, 1.25), Numerics(), SolverSettings(mesh_levels=2))
    assert [c[:2] for c in calls] == [(1, True), (0, False), (0, True)]
    assert calls[-1][2] == SolverSettings().cfl_start
    assert res.status is Status.CONVERGED
    assert res.stats.fallbacks == (Fallback.FINE_FREE_STREAM,)
    assert res.iterations == 3 and res.stats.level_iterations == {1: 1, 0: 2}


def test_a_solve_creeping_at_the_cfl_floor_stops_as_stalled(grid, monkeypatch):
    """Steps cut to omega = 0.004 (the change limit replaced by a stand-in) drive the CFL to its floor,
    ``cfl_start / 100``, after one step; 20 iterations later, with the residual down by far less than 10%, the solve
    stops as stalled instead of creeping to ``max_iterations``."""
    import cfdopt.solve.ptc as ptc

    monkeypatch.setattr(ptc, "step_limit", lambda *args: 0.004)
    settings = SolverSettings(max_iterations=100, mesh_levels=1)
    res = solve_flow(grid, FlowConditions(0.5, 1.25), Numerics(), settings)
    g = Safeguards()
    assert res.status is Status.STALLED, res.message
    assert res.iterations == 1 + g.stall_iterations
    assert all(h["cfl"] == settings.cfl_start * g.cfl_floor for h in res.history[1:])
    r = [h["residual"] for h in res.history]
    assert r[-1] > g.stall_drop * r[1]
    # a shorter stall window, a named setting, stops it sooner
    short = SolverSettings(max_iterations=100, mesh_levels=1, safeguards=Safeguards(stall_iterations=5))
    res = solve_flow(grid, FlowConditions(0.5, 1.25), Numerics(), short)
    assert res.status is Status.STALLED and res.iterations == 6


def test_restart_from_converged_state(solved, grid):
    res = solve_flow(grid, FlowConditions(0.5, 1.25), Numerics(), SolverSettings(), U0=solved.U)
    assert res.status is Status.CONVERGED and res.iterations <= 1


def test_a_given_start_begins_at_restart_cfl(solved, grid):
    """A start from a nearby flow (here M 0.52 from the converged M 0.5 flow) begins at restart_cfl
    and ends where the default start does."""
    flow = FlowConditions(0.52, 1.25)
    slow = solve_flow(grid, flow, Numerics(), SolverSettings(restart_cfl=50.0), U0=solved.U)
    fast = solve_flow(grid, flow, Numerics(), SolverSettings(restart_cfl=5000.0), U0=solved.U)
    assert slow.history[0]["cfl"] == 50.0 and fast.history[0]["cfl"] == 5000.0
    assert slow.converged and fast.converged
    assert fast.iterations < slow.iterations
    np.testing.assert_allclose(fast.coefficients["cd"], slow.coefficients["cd"], rtol=1e-8)
    with pytest.raises(ValueError, match="restart_cfl"):
        SolverSettings(restart_cfl=0.0)


def test_mesh_sequencing_reaches_the_single_grid_solution():
    """Two levels (every other node first, then prolonged) converge to the same discrete solution."""
    grid = c_grid(n_airfoil=32, n_wake=8, n_normal=16, farfield=15.0, wall_spacing=5e-3)
    flow = FlowConditions(0.5, 1.25)
    single = solve_flow(grid, flow, Numerics(), SolverSettings(mesh_levels=1))
    res = solve_flow(grid, flow, Numerics(), SolverSettings(mesh_levels=2))
    assert single.converged and res.converged and res.residual_drop <= 1e-10, res.message
    assert {h["level"] for h in single.history} == {0}
    levels = [h["level"] for h in res.history]
    assert levels[0] == 1 and levels[-1] == 0 and sorted(levels, reverse=True) == levels
    # the prolonged start saves fine-grid Newton iterations (the point of sequencing)
    fine_iterations = res.iterations - res.history[levels.index(0)]["iteration"]
    assert fine_iterations < single.iterations, (fine_iterations, single.iterations)
    assert res.iterations == res.history[-1]["iteration"]
    # Both states satisfy R = 0 to 1e-10 relative; the Jacobian is well conditioned on this mesh,
    # so they agree far below the O(h^2) coarse/fine difference (~1e-2).
    np.testing.assert_allclose(res.U, single.U, atol=1e-7)


def test_symmetric_flow_is_mirror_symmetric_and_refuses_incidence(grid):
    """``symmetric = True`` at alpha 0 on the symmetric NACA 0012 grid: R = 0 to 1e-10 and U = mirror(U)."""
    from cfdopt.flow.symmetry import mirror_state

    flow = FlowConditions(0.5, 0.0)
    plain = solve_flow(grid, flow, Numerics(), SolverSettings())
    sym = solve_flow(grid, flow, Numerics(), SolverSettings(symmetric=True))
    assert sym.converged and sym.residual_drop <= 1e-10, sym.message
    np.testing.assert_allclose(sym.U, mirror_state(sym.U), rtol=0, atol=1e-14)
    assert abs(sym.coefficients["cl"]) < 1e-12
    # subsonic: the solution is unique, so the projection only removes round-off
    np.testing.assert_allclose(sym.U, plain.U, rtol=0, atol=1e-8)
    refused = solve_flow(grid, FlowConditions(0.5, 1.25), Numerics(), SolverSettings(symmetric=True))
    assert refused.status is Status.REFUSED and refused.iterations == 0 and refused.history == []


def test_forcing_term_follows_the_residual_within_its_bounds():
    from cfdopt.solve.newton import forcing_term

    # early: capped at the forcing factor
    assert forcing_term(0.5, 1.0, 1e-10, forcing=0.1) == pytest.approx(0.05)
    assert forcing_term(2.0, 1.0, 1e-10, forcing=0.1) == pytest.approx(0.1)
    # mid-way: proportional to the residual drop
    assert forcing_term(1e-4, 1.0, 1e-10, forcing=0.1) == pytest.approx(1e-5)
    # near the end: never tighter than what takes the residual below the tolerance
    # (eta ||R|| = tolerance ||R_0|| / 2), and never looser than the forcing factor
    assert forcing_term(4.5e-9, 1.0, 1e-10, forcing=0.1) == pytest.approx(0.5e-10 / 4.5e-9)
    assert forcing_term(2e-10, 1.0, 1e-10, forcing=0.1) == pytest.approx(0.1)
    # the default is the solver's
    assert forcing_term(2.0, 1.0, 1e-10) == SolverSettings().forcing
    # the floor of the linear tolerance still applies where nothing else does
    assert forcing_term(1e-13, 1.0, 1e-30, linear_tolerance=1e-12) == pytest.approx(1e-12)


def test_nu_tilde_change_is_clamped_cell_by_cell():
    """The Newton step's ``rho nuhat`` change is clamped per cell to ``max_change`` times
    ``max(|rho nuhat|, rho nuhat_inf)`` (here ``nuhat_inf = 3``); other cells and the mean flow keep the exact step, Euler steps are untouched."""
    from cfdopt.solve.step_control import clamp_scalars

    rng = np.random.default_rng(0)
    U = np.ones((4, 3, 5))
    U[..., 4] = [[0.0, 3.0, 100.0]] * 4
    dU = 0.1 * rng.normal(size=U.shape)
    dU[0, 0, 4], dU[1, 2, 4], dU[2, 1, 4] = 5.0, -80.0, 1.4
    out = clamp_scalars(U, dU, 0.5, np.array([3.0]))
    assert out[0, 0, 4] == 1.5 and out[1, 2, 4] == -50.0 and out[2, 1, 4] == 1.4
    mask = np.ones(U.shape[:2], bool)
    mask[0, 0] = mask[1, 2] = False
    np.testing.assert_array_equal(out[mask], dU[mask])
    np.testing.assert_array_equal(out[..., :4], dU[..., :4])
    np.testing.assert_array_equal(clamp_scalars(U[..., :4], dU[..., :4], 0.5, np.array([])), dU[..., :4])  # Euler: no scalar
