"""Krylov solves of the Newton systems with LU reuse.

:class:`NewtonLinearSolver` solves the PTC/Newton systems ``(J + diag(d)) x = b``. The matrix changes slowly
from one iteration to the next, so an earlier LU (even a single-precision one) is a good preconditioner:
GMRES with the *exact* matrix-vector product reuses it while it converges within a fixed number of
iterations, and the Jacobian is assembled and factored anew otherwise. Every step solves the exact system to
the requested tolerance. The cell order of the LU is :func:`cfdopt.solve.linear.ordering.nested_dissection`.

References:
    Saad & Schultz (1986), GMRES: a generalized minimal residual algorithm for solving nonsymmetric linear
    systems, SIAM J. Sci. Stat. Comput. 7(3), 856-869.
    Knoll & Keyes (2004), Jacobian-free Newton-Krylov methods: a survey of approaches and applications,
    J. Comput. Phys. 193(2), 357-397 (section 3.1, lagged preconditioners).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.linalg

from cfdopt.solve.linear.jacobian import Factorization, SparseJacobian


def gmres_right(matvec, b: np.ndarray, precondition, rtol: float, maxiter: int):
    """Right-preconditioned GMRES from ``x0 = 0`` without restarts (Saad 2003, algorithm 9.5).

    Minimises the *true* residual ``||b - A x||`` over ``x`` in
    ``M^{-1} K_m(A M^{-1}, b)``, so the stopping test ``||b - A x|| <= rtol ||b||``
    does not depend on the preconditioner's scaling (scipy's ``gmres`` tests the
    preconditioned residual, which with a lagged or single-precision LU can
    be 100x smaller than the true one). Orthogonalisation is classical
    Gram-Schmidt applied twice.

    Args:
        matvec: ``y -> A y``.
        b: ``(n,)`` right-hand side.
        precondition: ``y -> M^{-1} y``.
        rtol: relative residual to reach.
        maxiter: Krylov dimension (iterations) at most.

    Returns:
        ``(x, iterations, residual estimate / ||b||)``.
    """
    beta = float(np.linalg.norm(b))
    if beta == 0.0:
        return np.zeros_like(b), 0, 0.0
    m = int(maxiter)
    V = np.zeros((m + 1, b.size))
    Z = np.zeros((m, b.size))
    H = np.zeros((m + 1, m))
    cs, sn = np.zeros(m), np.zeros(m)
    g = np.zeros(m + 1)
    g[0] = beta
    V[0] = b / beta
    k = 0
    for j in range(m):
        Z[j] = precondition(V[j])
        w = matvec(Z[j])
        h = V[: j + 1] @ w
        w = w - h @ V[: j + 1]
        h2 = V[: j + 1] @ w
        w = w - h2 @ V[: j + 1]
        H[: j + 1, j] = h + h2
        H[j + 1, j] = np.linalg.norm(w)
        if H[j + 1, j] > 0:
            V[j + 1] = w / H[j + 1, j]
        for i in range(j):
            H[i, j], H[i + 1, j] = cs[i] * H[i, j] + sn[i] * H[i + 1, j], -sn[i] * H[i, j] + cs[i] * H[i + 1, j]
        d = np.hypot(H[j, j], H[j + 1, j])
        if d == 0.0 or not np.isfinite(d):
            break
        cs[j], sn[j] = H[j, j] / d, H[j + 1, j] / d
        H[j, j], H[j + 1, j] = d, 0.0
        g[j], g[j + 1] = cs[j] * g[j], -sn[j] * g[j]
        k = j + 1
        if abs(g[k]) <= rtol * beta:
            break
    if k == 0:
        return np.zeros_like(b), 0, 1.0
    y = scipy.linalg.solve_triangular(H[:k, :k], g[:k])
    return y @ Z[:k], k, abs(g[k]) / beta


class NewtonLinearSolver:
    """Solves ``(J + diag(d)) x = b`` for successive Newton/PTC iterations with a lagged LU.

    Each call first runs GMRES on the *exact* operator ``J + diag(d)`` (``J``
    applied as a JVP of the residual, or the assembled matrix), preconditioned
    by the LU kept from an earlier call, for at most ``max_reuse_iterations``
    iterations: a fixed count, so that the result does not depend on the
    machine's load (and not at all when the previous reuse needed more than
    half of them). If that reaches ``rtol`` (relative to ``||b||``, checked
    on the true residual) the step is taken without assembling or factoring
    anything. Otherwise the Jacobian is assembled at the current state and
    factored (nested dissection, single or double precision), and GMRES runs
    again with the fresh LU; a double-precision LU is used directly, and a
    single-precision one that cannot reach ``rtol`` in ``2 max_reuse_iterations``
    is replaced by a double-precision one. Whatever the path, the step solves
    the exact Newton/PTC system to ``rtol``.

    Args:
        rtol: default relative residual to reach (a call may pass its own).
        cell_order: optional fill-reducing cell order (:func:`cfdopt.solve.linear.ordering.nested_dissection`).
        reuse: try the previous LU at all (``False``: a new LU every call).
        max_reuse_iterations: GMRES iterations allowed with a lagged LU.
        precision: ``"single"`` or ``"double"`` LU. A single-precision LU that fails its check
            (:class:`cfdopt.solve.linear.jacobian.Factorization`) switches this solver to double precision for
            the calls after it (``stats["double_factorizations"]`` counts the double LUs made).
    """

    def __init__(self, rtol: float = 1e-12, cell_order=None, reuse: bool = True, max_reuse_iterations: int = 20,
                 precision: str = "single"):
        if not 0 < rtol < 1:
            raise ValueError(f"rtol must be in (0, 1), got {rtol!r}")
        if precision not in ("single", "double"):
            raise ValueError(f"precision must be 'single' or 'double', got {precision!r}")
        self.rtol = rtol
        self.cell_order = cell_order
        self.reuse = reuse
        self.max_reuse_iterations = int(max_reuse_iterations)
        self.precision = precision
        self.fact: Factorization | None = None
        self._last_iterations = 0
        self._last_rtol = rtol
        self.assembly_s = 0.0
        self.stats = dict(factorizations=0, reuses=0, failed_reuses=0, gmres_iterations=0, factor_s=0.0,
                          krylov_s=0.0, double_factorizations=0)

    def _factorize(self, j, diag, precision):
        t = time.perf_counter()
        self.stats["factorizations"] += 1
        fact = j.factorize(diag, cell_order=self.cell_order, precision=precision)
        self.stats["factor_s"] += time.perf_counter() - t
        self.stats["double_factorizations"] += fact.precision == "double"
        return fact

    def _gmres(self, op, rhs, rtol, maxiter):
        """``(x or None, iterations)``: ``None`` unless the true residual meets ``rtol``."""
        t = time.perf_counter()
        x, its, _ = gmres_right(op, rhs, self.fact.solve, rtol, maxiter)
        self.stats["gmres_iterations"] += its
        self.stats["krylov_s"] += time.perf_counter() - t
        # accept on the true residual (one more product), not on the Arnoldi estimate alone
        ok = np.all(np.isfinite(x)) and np.linalg.norm(op(x) - rhs) <= 2 * rtol * np.linalg.norm(rhs)
        return (x if ok else None), its

    def __call__(self, jac, diag, rhs, rtol: float | None = None, matvec=None) -> np.ndarray:
        """``x`` with ``(J + diag(diag)) x = rhs`` (flat float64 vectors).

        Args:
            jac: the :class:`SparseJacobian`, or a function of no arguments that
                assembles it (called only when a new LU is needed).
            diag: ``(n,)`` diagonal added to ``J``.
            rhs: ``(n,)`` right-hand side.
            rtol: relative residual to reach (default ``self.rtol``).
            matvec: ``y -> J y`` (default: the assembled matrix's product).

        Raises:
            RuntimeError: the matrix is singular.
        """
        rhs = np.asarray(rhs, dtype=float)
        rtol = self.rtol if rtol is None else rtol
        self.assembly_s = 0.0
        state = dict(jac=None if callable(jac) else jac)

        def get_jac():
            if state["jac"] is None:
                t = time.perf_counter()
                state["jac"] = jac()
                self.assembly_s += time.perf_counter() - t
            return state["jac"]

        mv = matvec if matvec is not None else (lambda y: get_jac().matvec(y))

        def op(y):
            return mv(y) + diag * y

        # a lagged LU that needed more than half the allowed iterations last time is likely to fail now,
        # unless this call asks for 100x less than that one did
        if (self.reuse and self.fact is not None
                and (self._last_iterations <= self.max_reuse_iterations // 2 or rtol >= 100 * self._last_rtol)):
            self._last_rtol = rtol
            x, self._last_iterations = self._gmres(op, rhs, rtol, self.max_reuse_iterations)
            if x is not None:
                self.stats["reuses"] += 1
                return x
            self.stats["failed_reuses"] += 1
        self._last_iterations, self._last_rtol = 0, rtol
        self.fact = None
        j = get_jac()
        if self.precision == "single":
            self.fact = self._factorize(j, diag, "single")
            if self.fact.precision == "double":  # the float32 LU failed its check: float64 from now on
                self.precision = "double"
            else:
                x, _ = self._gmres(op, rhs, rtol, 2 * self.max_reuse_iterations)
                if x is not None:
                    return x
                self.fact = None
        if self.fact is None:
            self.fact = self._factorize(j, diag, "double")
        t = time.perf_counter()
        x = self.fact.solve(rhs)
        self.stats["krylov_s"] += time.perf_counter() - t
        return x
