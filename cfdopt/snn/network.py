"""A two-layer spiking classifier: inputs -> hidden LIF/RLIF/ALIF -> readout.

Parameters are a dict pytree of weight matrices, presynaptic index first:
``w_in (n_in, n_hidden)``, ``w_rec (n_hidden, n_hidden)`` (recurrent only),
``w_out (n_hidden, n_out)``. Inputs are time-major spike trains
``(n_steps, batch, n_in)``, dense or as :class:`~cfdopt.snn.events.SpikeEvents`
(binary input; the projection then costs about the spike density times the
dense product). The input projection of all steps is one matrix product
before the time loop, so the scan only carries elementwise state (the
recurrent case adds one ``(batch, n) @ (n, n)`` per step).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp

from cfdopt.snn.events import SpikeEvents, project_events
from cfdopt.snn.neurons import LifParams, leaky_readout, lif_scan, rlif_scan

__all__ = ["SnnModel", "NetOutput", "init_params", "forward"]

_READOUTS = ("integrator", "spiking")


@dataclass(frozen=True)
class SnnModel:
    """Static network description.

    Attributes:
        n_in, n_hidden, n_out: layer sizes.
        hidden: hidden-layer neuron parameters.
        recurrent: add recurrent weights to the hidden layer.
        readout: ``"integrator"`` (non-spiking leaky membrane, for
            cross-entropy losses) or ``"spiking"`` (LIF outputs, for count
            and first-spike losses).
        output: parameters of the output layer (its ``tau_mem`` is the
            integrator's time constant; the rest is used if spiking).
        init_scale: input weight scale, see :func:`init_params`.
    """

    n_in: int
    n_hidden: int
    n_out: int
    hidden: LifParams = LifParams()
    recurrent: bool = False
    readout: str = "integrator"
    output: LifParams = LifParams(tau_mem=20.0)
    init_scale: float = 1.0

    def __post_init__(self):
        for name in ("n_in", "n_hidden", "n_out"):
            if not getattr(self, name) >= 1:
                raise ValueError(f"SnnModel.{name} must be >= 1, got {getattr(self, name)!r}")
        if self.readout not in _READOUTS:
            raise ValueError(f"SnnModel.readout must be one of {_READOUTS}, got {self.readout!r}")


class NetOutput(NamedTuple):
    """Network outputs, all ``(n_steps, batch, n)``.

    Attributes:
        hidden: hidden spikes.
        out: readout membrane (integrator) or output spikes (spiking).
        out_mem: readout membrane (pre-reset for spiking outputs).
    """

    hidden: jax.Array
    out: jax.Array
    out_mem: jax.Array


def init_params(key, model: SnnModel, dtype=jnp.float32) -> dict:
    """Gaussian weights scaled to the post-synaptic potential.

    ``w_in ~ N(0, sigma^2)``, ``sigma = init_scale * theta / sqrt(A n_in)``
    with ``A`` the PSP area (:attr:`LifParams.psp_area`): for ``init_scale``
    of a few, a handful of coincident input spikes move the membrane by
    O(theta). ``w_out`` is scaled the same
    way with the output parameters; ``w_rec`` is ``N(0, (sigma_h / 2)^2)``
    for hidden-to-hidden.
    """
    k_in, k_rec, k_out = jax.random.split(key, 3)
    hid, out = model.hidden, model.output
    s_in = model.init_scale * hid.threshold / (math.sqrt(hid.psp_area) * math.sqrt(model.n_in))
    s_out = model.init_scale * out.threshold / (math.sqrt(out.psp_area) * math.sqrt(model.n_hidden))
    params = {
        "w_in": s_in * jax.random.normal(k_in, (model.n_in, model.n_hidden), dtype),
        "w_out": s_out * jax.random.normal(k_out, (model.n_hidden, model.n_out), dtype),
    }
    if model.recurrent:
        s_rec = 0.5 * hid.threshold / (math.sqrt(hid.psp_area) * math.sqrt(model.n_hidden))
        params["w_rec"] = s_rec * jax.random.normal(k_rec, (model.n_hidden, model.n_hidden), dtype)
    return params


def _project(x, w):
    if isinstance(x, SpikeEvents):
        return project_events(x, w)
    # one (n_steps * batch, n) x (n, m) product: XLA's CPU GEMM is about 2x faster on the
    # weight gradient than the equivalent two-axis einsum contraction
    n_steps, batch, n = x.shape
    return (x.reshape(n_steps * batch, n) @ w).reshape(n_steps, batch, w.shape[1])


def forward(params: dict, model: SnnModel, x) -> NetOutput:
    """Run the network on time-major inputs ``x`` of shape ``(n_steps, batch, n_in)`` (or their events)."""
    current = _project(x, params["w_in"])
    if model.recurrent:
        hidden, _ = rlif_scan(model.hidden, current, params["w_rec"])
    else:
        hidden, _ = lif_scan(model.hidden, current)
    out_current = _project(hidden.spikes, params["w_out"])
    o = model.output
    if model.readout == "integrator":
        mem = leaky_readout(out_current, o.tau_mem, o.dt, o.tau_syn)
        return NetOutput(hidden.spikes, mem, mem)
    out, _ = lif_scan(o, out_current)
    return NetOutput(hidden.spikes, out.spikes, out.mem)
