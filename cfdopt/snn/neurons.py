"""Spiking neuron and synapse models as pure step functions run with ``lax.scan``.

Layout: every array is time-major, ``(n_steps, batch, n)``; one step sees
``(batch, n)``. Membrane potentials are in threshold-free units (the
threshold is a parameter), currents in membrane units per step.

One step of the LIF family (``alpha = exp(-dt/tau_mem)``,
``beta = exp(-dt/tau_syn)``, ``rho = exp(-dt/tau_adapt)``)::

    I[t]  = beta I[t-1] + x[t]                 (current synapse; I = x without one)
    u[t]  = alpha v[t-1] + I[t]                (pre-reset membrane)
    th[t] = theta + b a[t-1]                    (ALIF threshold; b = 0 for LIF)
    s[t]  = H(u[t] - th[t]) * G[t]              (spike; G = refractory gate)
    v[t]  = u[t] - s th[t]   (reset "subtract") | u[t] (1 - s)   (reset "zero")
    a[t]  = rho a[t-1] + s[t]

The reset takes effect in the step of the spike, so after a spike the
membrane is exactly ``u - theta`` (subtract) or ``0`` (zero); snnTorch issue
#341 was these two swapped. With ``detach_reset`` the ``s`` in the reset term
is ``stop_gradient(s)`` (Zenke & Vogels 2021).

``H`` is exact in the forward pass; its derivative is the surrogate from
:func:`cfdopt.util.surrogates.spike_fn`. The refractory gate
``G[t] = H(c[t-1] + 1/2 - k)`` with ``c`` the steps since the last spike
(``c[t] = (c[t-1] + 1)(1 - s[t])``) uses the same surrogate (slope 1 per
step), so gradients pass through it; while ``G = 0`` the membrane is held
(``v[t] = v[t-1]``), and the candidate ``H(u - th)`` is still computed so
that a neuron that would have fired sends a gradient through ``G``.

References:
    Neftci, Mostafa & Zenke (2019), IEEE Signal Processing Magazine 36(6).
    Bellec et al. (2018), Long short-term memory and learning-to-learn in
    networks of spiking neurons, NeurIPS (ALIF).
    Tsodyks, Pawelzik & Markram (1998), Neural Computation 10(4) (STP).
    Markram, Wang & Tsodyks (1998), PNAS 95(9) (STP recursion).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp

from cfdopt.util.surrogates import SURROGATES, spike_fn

__all__ = [
    "LifParams", "LifState", "LifTrace", "lif_init", "lif_step", "lif_scan", "rlif_scan",
    "StpParams", "StpState", "stp_init", "stp_step", "stp_scan",
    "leaky_readout",
]

_RESETS = ("subtract", "zero")


@dataclass(frozen=True)
class LifParams:
    """Static parameters of a LIF population (hashable; closed over, not traced).

    Attributes:
        dt: time step (ms).
        tau_mem: membrane time constant (ms).
        tau_syn: synaptic current time constant (ms) or None (input enters
            the membrane directly).
        threshold: firing threshold ``theta`` (membrane units).
        reset: ``"subtract"`` or ``"zero"``.
        detach_reset: stop the gradient through the reset term.
        refractory: absolute refractory period ``k`` in steps (0: none).
        tau_adapt: ALIF adaptation time constant (ms) or None (plain LIF).
        adapt_strength: ``b``, threshold increase per unit of adaptation.
        surrogate: name in :data:`cfdopt.util.surrogates.SURROGATES`.
        slope: surrogate slope ``k`` (1/membrane units).
    """

    dt: float = 1.0
    tau_mem: float = 10.0
    tau_syn: float | None = None
    threshold: float = 1.0
    reset: str = "subtract"
    detach_reset: bool = True
    refractory: int = 0
    tau_adapt: float | None = None
    adapt_strength: float = 0.0
    surrogate: str = "fast_sigmoid"
    slope: float = 25.0

    def __post_init__(self):
        for name in ("dt", "tau_mem", "threshold", "slope"):
            if not getattr(self, name) > 0:
                raise ValueError(f"LifParams.{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("tau_syn", "tau_adapt"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"LifParams.{name} must be > 0 or None, got {value!r}")
        if self.reset not in _RESETS:
            raise ValueError(f"LifParams.reset must be one of {_RESETS}, got {self.reset!r}")
        if int(self.refractory) != self.refractory or self.refractory < 0:
            raise ValueError(f"LifParams.refractory must be an integer >= 0, got {self.refractory!r}")
        if self.surrogate not in SURROGATES:
            raise ValueError(f"LifParams.surrogate must be one of {sorted(SURROGATES)}, got {self.surrogate!r}")

    @property
    def alpha(self) -> float:
        return math.exp(-self.dt / self.tau_mem)

    @property
    def beta(self) -> float:
        return 0.0 if self.tau_syn is None else math.exp(-self.dt / self.tau_syn)

    @property
    def rho(self) -> float:
        return 0.0 if self.tau_adapt is None else math.exp(-self.dt / self.tau_adapt)

    @property
    def psp_area(self) -> float:
        """Sum over time of the membrane response to one unit input (no reset): ``1/((1-alpha)(1-beta))``."""
        return 1.0 / ((1.0 - self.alpha) * (1.0 - self.beta))


class LifState(NamedTuple):
    """Per-neuron state, each ``(batch, n)``: current, membrane, adaptation, steps since last spike."""

    syn: jax.Array
    mem: jax.Array
    adapt: jax.Array
    since: jax.Array


class LifTrace(NamedTuple):
    """Per-step outputs, each ``(n_steps, batch, n)``: spikes (0/1), pre-reset membrane ``u``, threshold."""

    spikes: jax.Array
    mem: jax.Array
    threshold: jax.Array


def lif_init(p: LifParams, shape, dtype=jnp.float32) -> LifState:
    """Resting state: zero current, membrane and adaptation; not refractory."""
    zeros = jnp.zeros(shape, dtype)
    return LifState(zeros, zeros, zeros, jnp.full(shape, float(p.refractory) + 1.0, dtype))


def lif_step(p: LifParams, state: LifState, x) -> tuple[LifState, LifTrace]:
    """One step of the LIF family (see the module docstring for the equations).

    Args:
        p: static parameters.
        state: state after step ``t-1``.
        x: input current at step ``t``, ``(batch, n)``.

    Returns:
        ``(state after step t, LifTrace of step t)`` with ``(batch, n)`` leaves.
    """
    spike = spike_fn(p.surrogate, p.slope)
    syn = p.beta * state.syn + x if p.tau_syn is not None else x
    mem = p.alpha * state.mem + syn
    gate = 1.0
    if p.refractory > 0:
        # the step count of the gate is an integer; slope 1 per step keeps its surrogate O(1)
        gate = spike_fn(p.surrogate, 1.0)(state.since + 0.5 - p.refractory)
    theta = p.threshold + p.adapt_strength * state.adapt if p.tau_adapt is not None else (
        jnp.full_like(mem, p.threshold))
    # the candidate spike uses the integrated membrane even while gated, so that a neuron
    # that would have fired passes a gradient through the gate
    s = spike(mem - theta) * gate
    s_reset = jax.lax.stop_gradient(s) if p.detach_reset else s
    v = mem - s_reset * theta if p.reset == "subtract" else mem * (1.0 - s_reset)
    if p.refractory > 0:
        v = state.mem + gate * (v - state.mem)  # held while refractory
    adapt = p.rho * state.adapt + s if p.tau_adapt is not None else state.adapt
    since = (state.since + 1.0) * (1.0 - s) if p.refractory > 0 else state.since
    return LifState(syn, v, adapt, since), LifTrace(s, mem, theta)


def lif_scan(p: LifParams, x, state: LifState | None = None) -> tuple[LifTrace, LifState]:
    """Run :func:`lif_step` over ``x`` of shape ``(n_steps, batch, n)``.

    Returns:
        ``(trace, final_state)``, trace leaves ``(n_steps, batch, n)``.
    """
    if state is None:
        state = lif_init(p, x.shape[1:], x.dtype)
    final, trace = jax.lax.scan(lambda c, xt: lif_step(p, c, xt), state, x)
    return trace, final


def rlif_scan(p: LifParams, x, w_rec, state: LifState | None = None) -> tuple[LifTrace, LifState]:
    """Recurrent LIF: the input at step ``t`` is ``x[t] + s[t-1] @ w_rec``.

    Args:
        p: static parameters.
        x: feed-forward input currents ``(n_steps, batch, n)``.
        w_rec: recurrent weights ``(n, n)``, presynaptic index first.
        state: initial state (resting if None); the initial spikes are zero.
    """
    if state is None:
        state = lif_init(p, x.shape[1:], x.dtype)

    def step(carry, xt):
        st, s_prev = carry
        st, tr = lif_step(p, st, xt + s_prev @ w_rec)
        return (st, tr.spikes), tr

    (final, _), trace = jax.lax.scan(step, (state, jnp.zeros_like(x[0])), x)
    return trace, final


def leaky_readout(x, tau_mem: float, dt: float = 1.0, tau_syn: float | None = None):
    """Non-spiking leaky integrator ``y[t] = alpha y[t-1] + I[t]`` (``I`` filtered as above).

    Args:
        x: input currents ``(n_steps, batch, n)``.
        tau_mem, tau_syn, dt: time constants and step in ms.

    Returns:
        membrane ``y`` of shape ``(n_steps, batch, n)``.
    """
    alpha = math.exp(-dt / tau_mem)
    beta = 0.0 if tau_syn is None else math.exp(-dt / tau_syn)

    def step(carry, xt):
        syn, mem = carry
        syn = beta * syn + xt
        mem = alpha * mem + syn
        return (syn, mem), mem

    zeros = jnp.zeros_like(x[0])
    return jax.lax.scan(step, (zeros, zeros), x)[1]


# --- short-term plasticity -------------------------------------------------


@dataclass(frozen=True)
class StpParams:
    """Tsodyks-Markram synapse: utilisation ``U``, depression and facilitation times (ms).

    ``tau_fac = None`` disables facilitation (``u = U`` at every spike).
    """

    U: float = 0.5
    tau_dep: float = 200.0
    tau_fac: float | None = None
    dt: float = 1.0

    def __post_init__(self):
        if not 0.0 < self.U <= 1.0:
            raise ValueError(f"StpParams.U must be in (0, 1], got {self.U!r}")
        for name in ("tau_dep", "dt"):
            if not getattr(self, name) > 0:
                raise ValueError(f"StpParams.{name} must be > 0, got {getattr(self, name)!r}")
        if self.tau_fac is not None and not self.tau_fac > 0:
            raise ValueError(f"StpParams.tau_fac must be > 0 or None, got {self.tau_fac!r}")


class StpState(NamedTuple):
    """Utilisation ``u`` (after the last jump) and resources ``x``, each ``(batch, n_pre)``."""

    u: jax.Array
    x: jax.Array


def stp_init(shape, dtype=jnp.float32) -> StpState:
    """Rested synapse: ``u = 0``, ``x = 1``."""
    return StpState(jnp.zeros(shape, dtype), jnp.ones(shape, dtype))


def stp_step(p: StpParams, state: StpState, s) -> tuple[StpState, jax.Array]:
    """One step of the Tsodyks-Markram synapse driven by presynaptic spikes ``s``.

    Between spikes ``u -> 0`` with ``tau_fac`` and ``x -> 1`` with ``tau_dep``
    (exact exponential decay over ``dt``). At a spike (Markram et al. 1998):
    ``u+ = u- + U (1 - u-)``, released fraction ``r = u+ x-``,
    ``x+ = x- - r``. Without facilitation ``u+ = U``.

    Args:
        p: static parameters.
        state: state after the previous step.
        s: presynaptic spikes ``(batch, n_pre)``.

    Returns:
        ``(state, r * s)``: the efficacy by which each spike is scaled.
    """
    ed = math.exp(-p.dt / p.tau_dep)
    x_minus = 1.0 + (state.x - 1.0) * ed
    if p.tau_fac is None:
        u_plus = jnp.full_like(state.u, p.U)
    else:
        u_minus = state.u * math.exp(-p.dt / p.tau_fac)
        u_plus = u_minus + s * p.U * (1.0 - u_minus)
    release = u_plus * x_minus * s
    return StpState(u_plus, x_minus - release), release


def stp_scan(p: StpParams, spikes, state: StpState | None = None):
    """Efficacies ``(n_steps, batch, n_pre)`` for presynaptic spikes of the same shape.

    The postsynaptic current is ``stp_scan(p, s) @ w`` in place of ``s @ w``.
    """
    if state is None:
        state = stp_init(spikes.shape[1:], spikes.dtype)
    return jax.lax.scan(lambda c, st: stp_step(p, c, st), state, spikes)[1]
