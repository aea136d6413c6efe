"""Discrete adjoint of a converged steady solve (implicit function theorem).

At a converged state ``R(U, X, f) = 0`` (``X`` the mesh nodes, ``f`` the flow
conditions) an objective ``J(U, X, f)`` has the total derivative

    dJ/dX = dJ/dX|_U - psi^T dR/dX,   where   (dR/dU)^T psi = (dJ/dU)^T,

and likewise for ``f`` (Mach, alpha). The transposed system reuses the
primal's Jacobian factorisation; every product with ``dR/dX``, ``dR/df`` and
``dJ/d.`` is a JAX VJP through the one residual function, so the gradient is
exact for the discrete equations. Nothing is differentiated through the
Newton iterations. Shapes follow :mod:`cfdopt.flow.state`: ``U (ni, nj,
nvar)`` flattened in C order, ``X (ni+1, nj+1, 2)``.

References:
    Giles & Pierce (2000), An introduction to the adjoint approach to design,
    Flow Turbulence and Combustion 65.
    Kidger et al., optimistix ``ImplicitAdjoint``.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from cfdopt.util.errors import SolveError
from cfdopt.util.jitcache import cached_jit


@dataclass(frozen=True)
class AdjointResult:
    """What one adjoint solve gives.

    Attributes:
        value: the objective ``J`` at the converged state.
        psi: adjoint state, shape of ``U``.
        grad_nodes: ``dJ/dX``, a pytree like the mesh argument of the residual.
        grad_flow: ``dJ/df`` as a pytree like the flow conditions.
        linear_residual: ``||(dR/dU)^T psi - dJ/dU|| / ||dJ/dU||`` evaluated
            matrix-free by a VJP (independent of the factorisation used).
        wall_time_s: seconds for the whole adjoint.
    """

    value: float
    psi: np.ndarray
    grad_nodes: jax.Array
    grad_flow: object
    linear_residual: float
    wall_time_s: float


def make_adjoint(residual: Callable, objective: Callable, name: str | None = None) -> Callable:
    """Build ``adjoint(U, nodes, flow, transpose_solve) -> AdjointResult``.

    Args:
        residual: ``residual(U, nodes, flow) -> array like U``.
        objective: ``objective(U, nodes, flow) -> scalar``.
        name: identifies ``residual`` and ``objective`` together (e.g. their numerics and the objective's name):
            the programs then persist between processes (:func:`cfdopt.util.jitcache.cached_jit`); None: plain
            ``jax.jit``, traced once per process.

    The returned function takes ``transpose_solve(rhs_flat) -> psi_flat``,
    which solves ``(dR/dU)^T psi = rhs`` (e.g. ``lu.solve(rhs, trans="T")``
    with the primal's ``scipy.sparse.linalg.splu``).
    """

    def objective_partials(U, nodes, flow):
        return jax.value_and_grad(objective, argnums=(0, 1, 2))(U, nodes, flow)

    objective_partials = _jit(objective_partials, name, "objective_partials")
    residual_vjp = linearized_residual(residual, name)[1]

    def adjoint(U, nodes, flow, transpose_solve: Callable) -> AdjointResult:
        t0 = time.perf_counter()
        value, (dj_du, dj_dx, dj_df) = objective_partials(U, nodes, flow)
        rhs = np.asarray(dj_du, dtype=np.float64).ravel()
        psi_flat = np.asarray(transpose_solve(rhs), dtype=np.float64)
        if not np.all(np.isfinite(psi_flat)):
            raise SolveError("adjoint linear solve produced non-finite values")
        psi = jnp.asarray(psi_flat.reshape(np.shape(U)))
        jt_psi, dr_dx_psi, dr_df_psi = residual_vjp(U, nodes, flow, psi)
        rhs_norm = max(np.linalg.norm(rhs), np.finfo(float).tiny)
        lin_res = float(np.linalg.norm(np.asarray(jt_psi).ravel() - rhs) / rhs_norm)
        grad_nodes = jax.tree_util.tree_map(jnp.subtract, dj_dx, dr_dx_psi)
        grad_flow = jax.tree_util.tree_map(jnp.subtract, dj_df, dr_df_psi)
        return AdjointResult(
            value=float(value),
            psi=np.asarray(psi),
            grad_nodes=grad_nodes,
            grad_flow=grad_flow,
            linear_residual=lin_res,
            wall_time_s=time.perf_counter() - t0,
        )

    return adjoint


def _jit(fun: Callable, name: str | None, part: str) -> Callable:
    """``jax.jit(fun)``, or with ``name`` (which identifies the residual and objective ``fun`` closes over) a
    :func:`cfdopt.util.jitcache.cached_jit` whose traced program persists between processes."""
    return jax.jit(fun) if name is None else cached_jit(fun, f"{name}/{part}")


@functools.lru_cache(maxsize=16)
def linearized_residual(residual: Callable, name: str | None = None) -> tuple[Callable, Callable]:
    """Jitted ``(jvp, vjp)`` of one residual, shared by every objective and check (each compiled once; with
    ``name``, naming the residual, traced once across processes: :func:`cfdopt.util.jitcache.cached_jit`).

    ``jvp(U, nodes, flow, dU, dnodes, dflow) -> dR`` and
    ``vjp(U, nodes, flow, psi) -> (psi^T dR/dU, psi^T dR/dX, psi^T dR/df)``.
    """

    def jvp(U, nodes, flow, dU, dnodes, dflow):
        return jax.jvp(residual, (U, nodes, flow), (dU, dnodes, dflow))[1]

    def vjp(U, nodes, flow, psi):
        _, pullback = jax.vjp(residual, U, nodes, flow)
        return pullback(psi)

    return _jit(jvp, name, "residual_jvp"), _jit(vjp, name, "residual_vjp")


def make_tangent(residual: Callable, objective: Callable) -> Callable:
    """Forward-mode (tangent) derivative of a converged solve, for verification.

    Returns ``tangent(U, nodes, flow, dnodes, dflow, solve) -> dJ``: solves
    ``(dR/dU) dU = -(dR/dX dX + dR/df df)`` with ``solve(rhs_flat)`` and returns
    ``dJ = dJ/dU dU + dJ/dX dX + dJ/df df``. One linear solve per direction,
    against the adjoint's one solve per objective.
    """

    residual_jvp = linearized_residual(residual)[0]

    @jax.jit
    def objective_jvp(U, nodes, flow, dU, dnodes, dflow):
        return jax.jvp(objective, (U, nodes, flow), (dU, dnodes, dflow))[1]

    def tangent(U, nodes, flow, dnodes, dflow, solve: Callable) -> float:
        zero_u = jnp.zeros_like(U)
        dr = residual_jvp(U, nodes, flow, zero_u, dnodes, dflow)
        du = jnp.asarray(np.asarray(solve(-np.asarray(dr).ravel())).reshape(np.shape(U)))
        return float(objective_jvp(U, nodes, flow, du, dnodes, dflow))

    return tangent


def pull_back(nodes_of_design: Callable, design, grad_nodes):
    """``dJ/d(design) = (dX/d(design))^T dJ/dX`` by one VJP through the shape and mesh maps."""
    _, pullback = jax.vjp(nodes_of_design, design)
    return pullback(grad_nodes)[0]
