"""Discrete adjoint of the Euler solve on a tiny transonic C-grid.

Three independent checks of the same derivative (STYLE.md item 6):
dot-product identities of the VJPs used, adjoint vs the forward-mode tangent
of the converged solve, and adjoint vs central finite differences over a
sweep of steps. The mesh is tiny (48 x 8 cells) so that all of it runs in CI;
the derivative identities hold on any mesh.
"""

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cfdopt.adjoint import linearized_residual, make_tangent
from cfdopt.case.schema import load_case
from cfdopt.flow.forces import force_coefficients
from cfdopt.optimize.problem import AeroProblem
from cfdopt.solve.newton import final_jacobian

CASE = Path(__file__).resolve().parents[1] / "cases" / "quickstart"
TINY = ["mesh.n_airfoil=32", "mesh.n_wake=8", "mesh.n_normal=8", "mesh.farfield=20",
        "flow.mach=0.8", "flow.alpha=1.25", "design.alpha=false", "numerics.tolerance=1e-12", "numerics.max_iterations=60"]


def make_problem(*extra):
    return AeroProblem(load_case(CASE, TINY + list(extra)))


@pytest.fixture(scope="module")
def hh():
    problem = make_problem("design.parametrization=hicks-henne", "design.n_bumps=3", "design.alpha=true")
    d0 = problem.space.initial()
    d0[:-1] = 1e-3 * np.array([1.0, -0.5, 0.3, -0.2, 0.4, 0.1])  # off the symmetric baseline
    ev = problem.evaluate(d0)
    return problem, d0, ev


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def test_dot_product_residual_and_mesh_map(hh):
    problem, d0, ev = hh
    rng = np.random.default_rng(0)
    U = jnp.asarray(ev.solve.U)
    jvp, vjp = linearized_residual(problem.residual)
    zero_u = jnp.zeros_like(U)
    zero_x = jax.tree_util.tree_map(jnp.zeros_like, ev.grid)
    zero_f = jax.tree_util.tree_map(jnp.zeros_like, ev.flow)
    v_u = jnp.asarray(rng.standard_normal(U.shape))
    v_x = type(ev.grid)(jnp.asarray(rng.standard_normal(ev.grid.nodes.shape)), ev.grid.n_wake)
    w = jnp.asarray(rng.standard_normal(U.shape))
    jvp_u = jvp(U, ev.grid, ev.flow, v_u, zero_x, zero_f)
    jvp_x = jvp(U, ev.grid, ev.flow, zero_u, v_x, zero_f)
    vjp_u, vjp_x, _ = vjp(U, ev.grid, ev.flow, w)
    # <J v, w> = <v, J^T w>: both sides are sums of O(n) products of O(1) numbers, round-off ~1e-15 relative
    assert rel(float(jnp.vdot(jvp_u, w)), float(jnp.vdot(v_u, vjp_u))) < 1e-12
    assert rel(float(jnp.vdot(jvp_x, w)), float(jnp.vdot(v_x.nodes, vjp_x.nodes))) < 1e-12
    nodes_of = lambda d: problem.geometry(d)[0].nodes  # noqa: E731
    v_d = jnp.asarray(rng.standard_normal(d0.shape))
    w_x = jnp.asarray(rng.standard_normal(ev.grid.nodes.shape))
    _, jvp_d = jax.jvp(nodes_of, (jnp.asarray(d0),), (v_d,))
    (vjp_d,) = jax.vjp(nodes_of, jnp.asarray(d0))[1](w_x)
    assert rel(float(jnp.vdot(jvp_d, w_x)), float(jnp.vdot(v_d, vjp_d))) < 1e-12


def test_adjoint_equals_tangent(hh):
    problem, d0, ev = hh
    grads = problem.gradients(ev, ["cd", "cl", "cm"])
    U = jnp.asarray(ev.solve.U)
    _, fact = final_jacobian(U, ev.grid, ev.flow, problem.numerics)
    rng = np.random.default_rng(1)
    for g in grads.values():
        # the transposed LU solve is direct: its residual is at round-off, far below the 1e-10 asked of it
        assert g.adjoint.linear_residual < 1e-10
    tangent = make_tangent(problem.residual, lambda u, grid, flow: force_coefficients(u, grid, flow)["cd"])
    for _ in range(2):
        v = jnp.asarray(rng.standard_normal(d0.shape))
        (grid_d, flow_d) = jax.jvp(problem.geometry, (jnp.asarray(d0),), (v,))[1]
        t = tangent(U, ev.grid, ev.flow, grid_d, flow_d, lambda b: fact.solve(b))
        # same linear algebra in two orders: agreement to round-off times the condition of dR/dU
        assert rel(float(grads["cd"].design @ np.asarray(v)), t) < 1e-9


def fd_errors(problem, d0, grad, k, steps, objective="cd", U0=None):
    errs = []
    for h in steps:
        e = np.zeros_like(d0)
        e[k] = h
        fp = problem.evaluate(d0 + e, U0=U0).coefficients[objective]
        fm = problem.evaluate(d0 - e, U0=U0).coefficients[objective]
        errs.append(rel((fp - fm) / (2 * h), grad[k]))
    return errs


def test_adjoint_equals_finite_differences_hicks_henne_and_alpha(hh):
    problem, d0, ev = hh
    g = problem.gradients(ev, ["cd"])["cd"].design
    # truncation ~ h^2 f''' and solve noise ~ 1e-12 / h (round-off floor of the residual ~7e-13): the best of a sweep reaches 1e-6 relative
    for k in (1, 4):
        errs = fd_errors(problem, d0, g, k, (1e-4, 3e-5, 1e-5, 3e-6), U0=ev.solve.U)
        assert min(errs) < 1e-6, errs
    errs = fd_errors(problem, d0, g, len(d0) - 1, (1e-2, 3e-3, 1e-3, 3e-4), U0=ev.solve.U)  # alpha in degrees
    assert min(errs) < 1e-6, errs


def test_adjoint_equals_finite_differences_cst():
    problem = make_problem("design.parametrization=cst", "design.cst_order=3")
    d0 = np.zeros(problem.space.n_vars)
    d0[1] = 2e-3
    ev = problem.evaluate(d0)
    g = problem.gradients(ev, ["cd"])["cd"].design
    for k in (2, 5):
        errs = fd_errors(problem, d0, g, k, (1e-4, 3e-5, 1e-5, 3e-6), U0=ev.solve.U)
        assert min(errs) < 1e-6, errs


def test_mach_and_alpha_derivatives(hh):
    problem, d0, ev = hh
    g = problem.gradients(ev, ["cl"])["cl"]
    # the alpha design variable and the flow-condition derivative are the same quantity
    assert rel(g.alpha, g.design[-1]) < 1e-12
    h = 1e-5
    problem_p = make_problem("design.parametrization=hicks-henne", "design.n_bumps=3", "design.alpha=true",
                             f"flow.mach={0.8 + h}")
    problem_m = make_problem("design.parametrization=hicks-henne", "design.n_bumps=3", "design.alpha=true",
                             f"flow.mach={0.8 - h}")
    fd = (problem_p.evaluate(d0).coefficients["cl"] - problem_m.evaluate(d0).coefficients["cl"]) / (2 * h)
    assert rel(fd, g.mach) < 1e-5


def test_gradient_command_writes_json_and_checks_fd(tmp_path, monkeypatch, capsys):
    import json

    from cfdopt import cli

    monkeypatch.setenv("CFDOPT_CACHE_DIR", "")
    sets = [a for kv in TINY + ["design.n_bumps=3"] for a in ("--set", kv)]
    assert cli.main(["gradient", str(CASE), *sets, "--check-fd", "2", "--out", str(tmp_path)]) == 0
    record = json.loads((tmp_path / "gradient.json").read_text())
    assert record["objective"] == "cd" and len(record["gradient"]) == len(record["names"]) == 6
    assert record["wall_time_adjoint_s"] > 0 and record["adjoint_linear_residual"] < 1e-10
    for name in {row["variable"] for row in record["fd_check"]}:
        # best step of the sweep, as in the finite-difference tests above
        assert min(r["rel_error"] for r in record["fd_check"] if r["variable"] == name) < 1e-6
    assert (tmp_path / "sensitivity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "rel. error" in capsys.readouterr().out
