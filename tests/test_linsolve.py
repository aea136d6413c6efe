"""Linear algebra of the Newton solver: nested-dissection LU and GMRES with a reused LU."""

import numpy as np
import pytest
import scipy.sparse as sp

import cfdopt  # noqa: F401  (float64)
from cfdopt.solve.linear.jacobian import residual_jacobian
from cfdopt.solve.linear.krylov import NewtonLinearSolver, gmres_right
from cfdopt.solve.linear.ordering import block_permutation, nested_dissection
from cfdopt.flow.residual import Numerics
from cfdopt.flow.state import FlowConditions, uniform_state
from flow_testgrids import c_grid


@pytest.fixture(scope="module")
def case():
    grid = c_grid(n_airfoil=32, n_wake=6, n_normal=8, farfield=10.0, wall_spacing=1e-2)
    flow = FlowConditions(0.5, 2.0)
    U = np.asarray(uniform_state(flow, grid.ni, grid.nj))
    # A perturbed state so that the Jacobian is not the free-stream one.
    U = U * (1.0 + 0.02 * np.random.default_rng(3).normal(size=U.shape))
    jac = residual_jacobian(U, grid, flow, Numerics(point_vortex=True))
    return grid, jac


def test_nested_dissection_is_a_permutation(case):
    grid, _ = case
    order = nested_dissection(grid.ni, grid.nj, grid.n_wake)
    assert np.array_equal(np.sort(order), np.arange(grid.ni * grid.nj))
    p = block_permutation(order)
    assert np.array_equal(np.sort(p), np.arange(grid.ni * grid.nj * 4))
    with pytest.raises(ValueError, match="leaf"):
        nested_dissection(4, 4, 1, 0)


@pytest.mark.parametrize("trans", ["N", "T"])
def test_permuted_lu_solves_both_systems(case, trans):
    grid, jac = case
    n = jac.matrix.shape[0]
    diag = np.full(n, 0.5)
    fact = jac.factorize(diag, cell_order=nested_dissection(grid.ni, grid.nj, grid.n_wake))
    assert fact._perm is not None  # the nested-dissection LU, not the COLAMD fallback
    b = np.random.default_rng(0).normal(size=n)
    x = fact.solve(b, trans=trans)
    ax = (jac.matvec(x) if trans == "N" else jac.rmatvec(x)) + diag * x
    # A direct LU of a ~2e3 x 2e3 system with condition ~1e4 leaves ~1e-13 relative residual.
    assert np.linalg.norm(ax - b) <= 1e-10 * np.linalg.norm(b)
    # Same answer as the unpermuted (minimum-degree) LU.
    y = jac.factorize(diag).solve(b, trans=trans)
    assert np.linalg.norm(x - y) <= 1e-10 * np.linalg.norm(y)


def test_gmres_with_reused_lu_equals_direct_step(case):
    grid, jac = case
    n = jac.matrix.shape[0]
    rng = np.random.default_rng(1)
    solver = NewtonLinearSolver(rtol=1e-12, cell_order=nested_dissection(grid.ni, grid.nj, grid.n_wake))
    d0 = np.full(n, 0.5)
    b0 = rng.normal(size=n)
    solver(jac, d0, b0)
    assert solver.stats["factorizations"] == 1
    # Next "Newton iteration": a slightly different matrix and a 100x smaller residual.
    jac2 = type(jac)(jac.matrix + sp.diags(1e-3 * rng.normal(size=n)), jac.rank_one)
    b1 = 1e-2 * rng.normal(size=n)
    x = solver(jac2, d0, b1)
    assert solver.stats["reuses"] == 1 and solver.stats["factorizations"] == 1
    direct = jac2.factorize(d0).solve(b1)
    # GMRES stops at 1e-12 relative residual; the matrix is well conditioned (diag 0.5 added),
    # so the step equals the direct one to ~1e-10.
    assert np.linalg.norm(x - direct) <= 1e-10 * np.linalg.norm(direct)


def test_failed_reuse_refactors(case):
    grid, jac = case
    n = jac.matrix.shape[0]
    rng = np.random.default_rng(2)
    solver = NewtonLinearSolver(rtol=1e-12, max_reuse_iterations=2)
    solver(jac, np.full(n, 0.5), rng.normal(size=n))
    # A very different matrix: two GMRES iterations cannot reach 1e-12, so it factors anew.
    other = np.full(n, 50.0)
    b = 1e-3 * rng.normal(size=n)
    x = solver(jac, other, b)
    assert solver.stats["factorizations"] == 2 and solver.stats["failed_reuses"] == 1
    np.testing.assert_allclose(jac.matvec(x) + other * x, b, atol=1e-10 * np.abs(b).max())


def test_right_preconditioned_gmres_stops_on_the_true_residual():
    """With a scaled preconditioner the true residual, not the preconditioned one, meets rtol.

    ``M^{-1} = 1e-4 diag(A)^{-1}``: a left-preconditioned residual would read 1e-4 of the true one.
    """
    rng = np.random.default_rng(4)
    n = 200
    a = sp.random(n, n, density=0.03, random_state=5) + sp.diags(np.linspace(1.0, 50.0, n))
    a = a.tocsr()
    b = rng.normal(size=n)
    x, its, est = gmres_right(lambda y: a @ y, b, lambda y: 1e-4 * y / a.diagonal(), 1e-10, 150)
    true = np.linalg.norm(a @ x - b) / np.linalg.norm(b)
    assert its < 150 and est <= 1e-10
    assert true <= 2e-10  # the Arnoldi estimate is the true residual up to round-off
    np.testing.assert_allclose(x, np.linalg.solve(a.toarray(), b), rtol=0, atol=1e-8 * np.abs(x).max())


def test_single_precision_lu_still_gives_the_exact_step(case):
    """A float32 LU only preconditions: the step solves the float64 system to rtol."""
    grid, jac = case
    n = jac.matrix.shape[0]
    rng = np.random.default_rng(6)
    diag = np.full(n, 0.5)
    b = rng.normal(size=n)
    solver = NewtonLinearSolver(rtol=1e-12, cell_order=nested_dissection(grid.ni, grid.nj, grid.n_wake),
                                precision="single")
    x = solver(lambda: jac, diag, b, matvec=jac.matvec)
    assert solver.fact.precision == "single" and solver.stats["factorizations"] == 1
    assert np.linalg.norm(jac.matvec(x) + diag * x - b) <= 2e-12 * np.linalg.norm(b)
    # the single-precision LU alone is only good to ~1e-5 on this system
    assert np.linalg.norm(jac.matvec(solver.fact.solve(b)) + diag * solver.fact.solve(b) - b) > 1e-9 * np.linalg.norm(b)


@pytest.mark.parametrize("looser", [False, True])
def test_lagged_lu_is_retried_for_a_looser_tolerance(case, looser):
    """After a reuse that needed more than half the allowed iterations, the next call at the same
    tolerance factors at once; one asking for a 1000x looser residual tries the lagged LU first."""
    grid, jac = case
    n = jac.matrix.shape[0]
    rng = np.random.default_rng(4)
    solver = NewtonLinearSolver(rtol=1e-12, max_reuse_iterations=20)
    d0 = np.full(n, 0.5)
    solver(jac, d0, rng.normal(size=n))
    jac2 = type(jac)(jac.matrix + sp.diags(3e-2 * rng.normal(size=n)), jac.rank_one)
    solver(jac2, d0, rng.normal(size=n))
    # this perturbation takes 11 of the 20 iterations to reach 1e-12 (> half: a lagged LU is now suspect)
    assert solver.stats["reuses"] == 1 and solver._last_iterations > 10
    b = rng.normal(size=n)
    rtol = 1e-9 if looser else 1e-12
    x = solver(jac2, d0, b, rtol=rtol)
    assert solver.stats["factorizations"] == (1 if looser else 2)
    assert solver.stats["reuses"] == (2 if looser else 1)
    assert np.linalg.norm(jac2.matvec(x) + d0 * x - b) <= 2 * rtol * np.linalg.norm(b)


def test_a_single_precision_lu_that_fails_its_check_is_made_in_double_in_the_same_order():
    """Blocks ``[[d, 1], [1, d]]`` with ``d = 1e-7``, factored in their natural order with diagonal pivots, grow
    the pivots by ``1/d``: float32 (unit round-off 6e-8) then misses the 0.1 check by far, float64 (1e-16) meets
    1e-8 with margin. The factorisation keeps the order (no partial pivoting) and reports double precision; a
    linear solver asked for single precision counts it and stays in double."""
    from cfdopt.solve.linear.jacobian import Factorization, SparseJacobian

    n_blocks, d = 50, 1e-7
    block = np.array([[d, 1.0], [1.0, d]])
    a = sp.block_diag([block * (1.0 + 0.1 * k) for k in range(n_blocks)], format="csr")
    order = np.arange(n_blocks)  # cells of two unknowns each, in their natural order
    fact = Factorization(a, cell_order=order, precision="single")
    assert fact.precision == "double" and fact._perm is not None
    b = np.random.default_rng(0).normal(size=a.shape[0])
    assert np.linalg.norm(a @ fact.solve(b) - b) <= 1e-8 * np.linalg.norm(b)
    solver = NewtonLinearSolver(rtol=1e-10, cell_order=order, precision="single")
    x = solver(SparseJacobian(a), np.zeros(a.shape[0]), b)
    assert solver.precision == "double"
    assert solver.stats["factorizations"] == 1 and solver.stats["double_factorizations"] == 1
    assert np.linalg.norm(a @ x - b) <= 1e-8 * np.linalg.norm(b)
    # a well-conditioned matrix keeps its single-precision LU
    easy = Factorization(a + sp.identity(a.shape[0]), cell_order=order, precision="single")
    assert easy.precision == "single"
