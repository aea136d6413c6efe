"""Flow state layout and non-dimensionalisation (stated once, used by all of ``cfdopt.flow``).

Layout:
    The state ``U`` is cell-centred, shape ``(ni, nj, nvar)`` on a
    :class:`cfdopt.mesh.types.CGrid` with ``ni x nj`` cells, holding the
    conservative variables ``(rho, rho*u, rho*v, rho*E)`` (``nvar = 4`` for
    Euler; RANS-SA appends ``rho*nuhat``, :mod:`cfdopt.flow.layout`).
    Primitive arrays ``W`` have the same shape with ``(rho, u, v, p[, nuhat])``.
    Flattened vectors (Jacobian, adjoint) use C order: index
    ``(i * nj + j) * nvar + k``.

Non-dimensionalisation:
    Lengths by the chord ``c``; density by ``rho_inf``; velocities by the
    free-stream sound speed ``a_inf``; pressure and energy by
    ``rho_inf a_inf^2``. Hence ``rho_inf = 1``, ``a_inf = 1``,
    ``|V_inf| = M_inf``, ``p_inf = 1 / gamma``, and the dynamic pressure is
    ``q_inf = M_inf^2 / 2``. Time is in units of ``c / a_inf``.

    Perfect gas: ``p = (gamma - 1) (rho E - rho (u^2 + v^2) / 2)``,
    ``a^2 = gamma p / rho``, ``H = (rho E + p) / rho``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp

from cfdopt.flow.layout import ENERGY, MEAN_FLOW, MX, MY, RHO
from cfdopt.flow.model import EULER_MODEL, FlowModel


@dataclass(frozen=True)
class FlowConditions:
    """Free-stream conditions.

    ``mach`` and ``alpha`` are pytree *data* (so the adjoint can differentiate
    with respect to them); ``gamma`` is static.

    Attributes:
        mach: free-stream Mach number ``M_inf > 0``.
        alpha: angle of attack in **degrees**.
        gamma: ratio of specific heats (static).
    """

    mach: float | jax.Array
    alpha: float | jax.Array
    gamma: float = field(default=1.4, metadata=dict(static=True))

    def __post_init__(self):
        if isinstance(self.mach, (int, float)) and not self.mach > 0:
            raise ValueError(f"FlowConditions.mach must be > 0, got {self.mach!r}")
        if isinstance(self.alpha, (int, float)) and not -90.0 < self.alpha < 90.0:
            raise ValueError(f"FlowConditions.alpha must be in (-90, 90) degrees, got {self.alpha!r}")
        if not 1.0 < self.gamma < 2.0:
            raise ValueError(f"FlowConditions.gamma must be in (1, 2), got {self.gamma!r}")

    @property
    def alpha_rad(self):
        return jnp.deg2rad(self.alpha)

    @property
    def q_inf(self):
        """Free-stream dynamic pressure ``M^2 / 2`` (non-dimensional)."""
        return 0.5 * self.mach**2


jax.tree_util.register_dataclass(FlowConditions, data_fields=["mach", "alpha"], meta_fields=["gamma"])


def freestream_scalars(model: FlowModel = EULER_MODEL) -> tuple[float, ...]:
    """Free-stream values of the model's transported scalars (primitive, beyond the mean flow)."""
    terms = model.terms
    return () if terms is None else terms.freestream_scalars(model)


def with_scalars(W_mean: jax.Array, model: FlowModel = EULER_MODEL) -> jax.Array:
    """Mean-flow primitives ``(..., 4)`` completed with the model's free-stream scalars."""
    extra = freestream_scalars(model)
    if not extra:
        return W_mean
    tail = jnp.broadcast_to(jnp.asarray(extra, dtype=W_mean.dtype), W_mean.shape[:-1] + (len(extra),))
    return jnp.concatenate([W_mean, tail], axis=-1)


def freestream_primitive(flow: FlowConditions, model: FlowModel = EULER_MODEL) -> jax.Array:
    """``(nvar,)`` free-stream primitives ``(1, M cos a, M sin a, 1/gamma[, nuhat_inf])``."""
    a = flow.alpha_rad
    one = jnp.ones_like(jnp.asarray(flow.mach, dtype=float))
    mean = jnp.stack([one, flow.mach * jnp.cos(a), flow.mach * jnp.sin(a), one / flow.gamma])
    return with_scalars(mean, model)


def freestream(flow: FlowConditions, model: FlowModel = EULER_MODEL) -> jax.Array:
    """``(nvar,)`` free-stream conservative state."""
    return conservative(freestream_primitive(flow, model), flow.gamma)


def uniform_state(flow: FlowConditions, ni: int, nj: int, model: FlowModel = EULER_MODEL) -> jax.Array:
    """Free stream in every cell, ``(ni, nj, nvar)``: the Newton solver's start."""
    U = freestream(flow, model)
    return jnp.broadcast_to(U, (ni, nj, U.shape[-1]))


def primitive(U: jax.Array, gamma: float) -> jax.Array:
    """Conservative ``(..., nvar)`` -> primitive ``(rho, u, v, p[, scalars])`` (scalars ``rho q -> q``)."""
    rho = U[..., RHO]
    u = U[..., MX] / rho
    v = U[..., MY] / rho
    p = (gamma - 1.0) * (U[..., ENERGY] - 0.5 * rho * (u * u + v * v))
    mean = jnp.stack([rho, u, v, p], axis=-1)
    if U.shape[-1] == MEAN_FLOW:
        return mean
    return jnp.concatenate([mean, U[..., MEAN_FLOW:] / rho[..., None]], axis=-1)


def conservative(W: jax.Array, gamma: float) -> jax.Array:
    """Primitive ``(rho, u, v, p[, scalars])`` ``(..., nvar)`` -> conservative."""
    rho, u, v, p = W[..., RHO], W[..., MX], W[..., MY], W[..., ENERGY]
    rho_e = p / (gamma - 1.0) + 0.5 * rho * (u * u + v * v)
    mean = jnp.stack([rho, rho * u, rho * v, rho_e], axis=-1)
    if W.shape[-1] == MEAN_FLOW:
        return mean
    return jnp.concatenate([mean, W[..., MEAN_FLOW:] * rho[..., None]], axis=-1)


def sound_speed(W: jax.Array, gamma: float) -> jax.Array:
    """``a = sqrt(gamma p / rho)`` from primitives ``(..., 4)``."""
    return jnp.sqrt(gamma * W[..., ENERGY] / W[..., RHO])


def mach_number(W: jax.Array, gamma: float) -> jax.Array:
    """Local Mach number ``|V| / a`` from primitives."""
    return jnp.hypot(W[..., MX], W[..., MY]) / sound_speed(W, gamma)


def pressure_coefficient(p: jax.Array, flow: FlowConditions) -> jax.Array:
    """``Cp = (p - p_inf) / q_inf`` with ``p_inf = 1/gamma``, ``q_inf = M^2/2``."""
    return (p - 1.0 / flow.gamma) / flow.q_inf
