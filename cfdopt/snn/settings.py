"""The ``[snn]`` section of a case file: one frozen dataclass with documented defaults.

Every field has a default and a ``doc`` in its metadata (with units), plus
``choices`` or numeric bounds (``gt``, ``ge``, ``lt``, ``le``) that the case
loader (``cfdopt.case.schema``) checks generically. Times are in milliseconds and
converted to per-step decay factors with ``dt_ms``
(``alpha = exp(-dt / tau)``); the refractory period and the temporal margin
are in steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from cfdopt.util.sections import register_section
from cfdopt.util.surrogates import SURROGATES

__all__ = ["SnnConfig", "TASKS", "NEURONS", "LOSSES"]

TASKS = ("randman", "digits", "race")
NEURONS = ("lif", "rlif", "alif")
LOSSES = ("max-ce", "sum-ce", "count", "first-spike")


def _f(default, doc, **meta):
    return field(default=default, metadata=dict(doc=doc, **meta))


@dataclass(frozen=True)
class SnnConfig:
    """Spiking-network task, model and training settings (``[snn]`` in case.toml)."""

    task: str = _f("randman", "data set: randman (Zenke & Vogels 2021), digits (sklearn 8x8), race (first-spike race)", choices=TASKS)
    n_hidden: int = _f(128, "number of hidden spiking neurons", ge=1)
    n_steps: int = _f(100, "simulation steps per sample", ge=1)
    dt_ms: float = _f(1.0, "time step in ms", gt=0.0)
    neuron: str = _f("lif", "hidden neuron: lif (feed-forward), rlif (recurrent LIF), alif (adaptive threshold)", choices=NEURONS)
    reset: str = _f("subtract", "reset after a spike: subtract the threshold, or set the membrane to zero", choices=("subtract", "zero"))
    detach_reset: bool = _f(True, "stop the gradient through the reset term (Zenke & Vogels 2021)")
    refractory: int = _f(0, "absolute refractory period in steps (0: none)", ge=0)
    tau_mem_ms: float = _f(10.0, "membrane time constant in ms", gt=0.0)
    tau_syn_ms: float = _f(5.0, "synaptic current time constant in ms (0: no current synapse, input enters the membrane)", ge=0.0)
    tau_out_ms: float = _f(20.0, "readout membrane time constant in ms", gt=0.0)
    tau_adapt_ms: float = _f(100.0, "ALIF threshold adaptation time constant in ms", gt=0.0)
    adapt_strength: float = _f(0.2, "ALIF threshold increase per spike, in units of the threshold", ge=0.0)
    threshold: float = _f(1.0, "firing threshold (membrane units)", gt=0.0)
    surrogate: str = _f("fast_sigmoid", "surrogate derivative of the spike", choices=tuple(sorted(SURROGATES)))
    slope: float = _f(25.0, "surrogate slope k in 1/(membrane units)", gt=0.0)
    loss: str = _f("max-ce", "loss: max-ce / sum-ce (cross-entropy on the max / sum over time of a leaky readout), count (spike-count MSE), first-spike (temporal margin)", choices=LOSSES)
    margin: float = _f(3.0, "first-spike loss: steps by which the correct neuron must lead every other", ge=0.0)
    count_correct: float = _f(0.5, "count loss: target spikes per step of the correct output neuron", ge=0.0, le=1.0)
    count_incorrect: float = _f(0.05, "count loss: target spikes per step of the other output neurons", ge=0.0, le=1.0)
    rate_lower_hz: float = _f(0.0, "per-neuron lower bound on the hidden firing rate in Hz (homeostasis)", ge=0.0)
    rate_upper_hz: float = _f(100.0, "upper bound on the mean hidden firing rate in Hz (metabolic cost)", gt=0.0)
    reg_lower: float = _f(0.0, "weight of the per-neuron lower-rate penalty", ge=0.0)
    reg_upper: float = _f(0.0, "weight of the population upper-rate penalty", ge=0.0)
    init_scale: float = _f(3.0, "input weights ~ N(0, (init_scale * threshold / (PSP area * sqrt(fan_in)))^2), dimensionless", gt=0.0)
    epochs: int = _f(30, "training epochs", ge=1)
    batch_size: int = _f(64, "mini-batch size", ge=1)
    learning_rate: float = _f(2e-3, "Adam learning rate", gt=0.0)
    seed: int = _f(0, "seed for data, initial weights and batching", ge=0)
    test_fraction: float = _f(0.2, "fraction of the samples held out for testing", gt=0.0, lt=1.0)
    n_classes: int = _f(10, "randman: number of classes", ge=2)
    n_inputs: int = _f(20, "randman: input neurons (one spike each per sample)", ge=1)
    manifold_dim: int = _f(1, "randman: intrinsic manifold dimension", ge=1)
    samples_per_class: int = _f(1000, "randman and race: samples per class", ge=1)
    randman_alpha: float = _f(2.0, "randman: spectral decay exponent (larger: smoother manifolds)", gt=0.0)
    step_frac: float = _f(0.5, "randman and digits: input spikes fall in the first step_frac * n_steps steps", gt=0.0, le=1.0)
    race_gap: float = _f(0.1, "race: smallest difference between the two input currents (both drawn from U(0, 1), dimensionless)", ge=0.0, lt=1.0)

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            meta = f.metadata
            if "choices" in meta and value not in meta["choices"]:
                raise ValueError(f"snn.{f.name} must be one of {meta['choices']}, got {value!r}")
            for key, ok in (("gt", lambda a, b: a > b), ("ge", lambda a, b: a >= b),
                            ("lt", lambda a, b: a < b), ("le", lambda a, b: a <= b)):
                if key in meta and not ok(value, meta[key]):
                    raise ValueError(f"snn.{f.name} must be {key} {meta[key]}, got {value!r}")


register_section("snn", SnnConfig)
