"""The adjoint machinery on a small nonlinear model problem with a dense Jacobian.

R(U, X, f) = A U + U^3 - b(X, f) on a (3, 2, 2) "state" with X a (4, 3, 2)
node-like array and f a (mach, alpha)-like pytree: the implicit-function-theorem
gradient must equal the tangent derivative and central finite differences of
the re-converged solve.
"""

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg

from cfdopt.adjoint import make_adjoint, make_tangent, pull_back

RNG = np.random.default_rng(3)
SHAPE = (3, 2, 2)
N = 12
A = jnp.asarray(np.eye(N) * 4.0 + 0.3 * RNG.standard_normal((N, N)))
P = jnp.asarray(RNG.standard_normal((N, 24)))


def residual(U, X, f):
    u = U.reshape(-1)
    b = jnp.tanh(P @ X.reshape(-1)) * f["mach"] + jnp.sin(f["alpha"]) * jnp.arange(N) / N
    return (A @ u + u**3 - b).reshape(SHAPE)


def objective(U, X, f):
    return jnp.sum(U**2 * jnp.cos(X[:3, :2, :])) + f["mach"] * U[0, 0, 0]


def solve_state(X, f):
    U = jnp.zeros(SHAPE)
    for _ in range(30):
        r = np.asarray(residual(U, X, f)).ravel()
        if np.linalg.norm(r) < 1e-15:
            break
        U = U - jnp.asarray(np.linalg.solve(jacobian(U, X, f), r).reshape(SHAPE))
    assert np.linalg.norm(np.asarray(residual(U, X, f))) < 1e-14
    return U


def jacobian(U, X, f):
    return np.asarray(jax.jacfwd(lambda u: residual(u.reshape(SHAPE), X, f).reshape(-1))(U.reshape(-1)))


def nodes_of_design(d):
    base = jnp.asarray(np.linspace(0.0, 1.0, 24).reshape(4, 3, 2))
    return base + jnp.outer(jnp.sin(jnp.arange(24.0)), jnp.ones(1)).reshape(4, 3, 2) * d[0] + base**2 * d[1]


def test_adjoint_equals_tangent_and_finite_differences():
    d = jnp.array([0.1, -0.2])
    f = {"mach": jnp.asarray(0.7), "alpha": jnp.asarray(0.05)}
    X = nodes_of_design(d)
    U = solve_state(X, f)
    lu = scipy.linalg.lu_factor(jacobian(U, X, f))
    res = make_adjoint(residual, objective)(U, X, f, lambda r: scipy.linalg.lu_solve(lu, r, trans=1))
    # the transposed solve is direct: its residual is at round-off
    assert res.linear_residual < 1e-13
    grad_d = np.asarray(pull_back(nodes_of_design, d, res.grad_nodes))

    tangent = make_tangent(residual, objective)
    zero_f = {"mach": jnp.asarray(0.0), "alpha": jnp.asarray(0.0)}
    for k in range(2):
        e = jnp.zeros(2).at[k].set(1.0)
        dX = jax.jvp(nodes_of_design, (d,), (e,))[1]
        t = tangent(U, X, f, dX, zero_f, lambda r: scipy.linalg.lu_solve(lu, r))
        # adjoint and tangent are the same linear algebra in two orders: agree to round-off
        np.testing.assert_allclose(grad_d[k], t, rtol=1e-10)

    def J_of(dd, ff):
        XX = nodes_of_design(dd)
        return float(objective(solve_state(XX, ff), XX, ff))

    # central differences, step sweep: the best step must agree to 1e-7 (truncation ~h^2, round-off ~1e-15/h)
    for k in range(2):
        errs = []
        for h in (1e-3, 1e-4, 1e-5, 1e-6):
            e = np.zeros(2)
            e[k] = h
            fd = (J_of(d + e, f) - J_of(d - e, f)) / (2 * h)
            errs.append(abs(fd - grad_d[k]) / abs(grad_d[k]))
        assert min(errs) < 1e-7, errs
    h = 1e-5
    fd_alpha = (J_of(d, {**f, "alpha": f["alpha"] + h}) - J_of(d, {**f, "alpha": f["alpha"] - h})) / (2 * h)
    np.testing.assert_allclose(float(res.grad_flow["alpha"]), fd_alpha, rtol=1e-7)
    fd_mach = (J_of(d, {**f, "mach": f["mach"] + h}) - J_of(d, {**f, "mach": f["mach"] - h})) / (2 * h)
    np.testing.assert_allclose(float(res.grad_flow["mach"]), fd_mach, rtol=1e-7)
