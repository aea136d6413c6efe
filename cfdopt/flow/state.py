"""Flow state layout and non-dimensionalisation (stated once, used by all of ``cfdopt.flow``).

Layout:
    The state ``U`` is cell-centred, shape ``(ni, nj, nvar)`` on a
    :class:`cfdopt.mesh.types.CGrid` with ``ni x nj`` cells, holding the
    conservative variables ``(rho, rho*u, rho*v, rho*E)`` (``nvar = 4`` for
    Euler; RANS-SA appends ``rho*nu_tilde``). Primitive arrays ``W`` have the
    same shape with ``(rho, u, v, p)``. Flattened vectors (Jacobian, adjoint)
    use C order: index ``(i * nj + j) * nvar + k``.

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

NVAR = 4
"""Conservative variables of the Euler equations: ``rho, rho*u, rho*v, rho*E``."""


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

    @classmethod
    def from_config(cls, flow_cfg) -> "FlowConditions":
        """From ``cfg.flow`` (keys ``mach``, ``alpha`` in degrees, ``gamma``)."""
        return cls(mach=float(flow_cfg.mach), alpha=float(flow_cfg.alpha), gamma=float(flow_cfg.gamma))


jax.tree_util.register_dataclass(FlowConditions, data_fields=["mach", "alpha"], meta_fields=["gamma"])


def freestream_primitive(flow: FlowConditions) -> jax.Array:
    """``(4,)`` free-stream primitives ``(1, M cos a, M sin a, 1/gamma)``."""
    a = flow.alpha_rad
    one = jnp.ones_like(jnp.asarray(flow.mach, dtype=float))
    return jnp.stack([one, flow.mach * jnp.cos(a), flow.mach * jnp.sin(a), one / flow.gamma])


def freestream(flow: FlowConditions) -> jax.Array:
    """``(4,)`` free-stream conservative state."""
    return conservative(freestream_primitive(flow), flow.gamma)


def uniform_state(flow: FlowConditions, ni: int, nj: int) -> jax.Array:
    """Free stream in every cell, ``(ni, nj, 4)``: the Newton solver's start."""
    return jnp.broadcast_to(freestream(flow), (ni, nj, NVAR))


def primitive(U: jax.Array, gamma: float) -> jax.Array:
    """Conservative ``(..., 4)`` -> primitive ``(rho, u, v, p)``."""
    rho = U[..., 0]
    u = U[..., 1] / rho
    v = U[..., 2] / rho
    p = (gamma - 1.0) * (U[..., 3] - 0.5 * rho * (u * u + v * v))
    return jnp.stack([rho, u, v, p], axis=-1)


def conservative(W: jax.Array, gamma: float) -> jax.Array:
    """Primitive ``(rho, u, v, p)`` ``(..., 4)`` -> conservative."""
    rho, u, v, p = W[..., 0], W[..., 1], W[..., 2], W[..., 3]
    rho_e = p / (gamma - 1.0) + 0.5 * rho * (u * u + v * v)
    return jnp.stack([rho, rho * u, rho * v, rho_e], axis=-1)


def sound_speed(W: jax.Array, gamma: float) -> jax.Array:
    """``a = sqrt(gamma p / rho)`` from primitives ``(..., 4)``."""
    return jnp.sqrt(gamma * W[..., 3] / W[..., 0])


def mach_number(W: jax.Array, gamma: float) -> jax.Array:
    """Local Mach number ``|V| / a`` from primitives."""
    return jnp.hypot(W[..., 1], W[..., 2]) / sound_speed(W, gamma)


def pressure_coefficient(p: jax.Array, flow: FlowConditions) -> jax.Array:
    """``Cp = (p - p_inf) / q_inf`` with ``p_inf = 1/gamma``, ``q_inf = M^2/2``."""
    return (p - 1.0 / flow.gamma) / flow.q_inf
