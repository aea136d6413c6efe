"""Spiking neural networks trained with surrogate gradients.

Spikes are exact Heaviside steps in the forward pass and take a surrogate
derivative from :mod:`cfdopt.util.surrogates` in the backward pass. Modules:
``neurons`` (LIF, recurrent LIF, current synapse, ALIF, refractory period,
short-term plasticity, leaky readout), ``network`` (a two-layer
classifier), ``losses``, ``encoders``, ``data`` (Randman, digits, race),
``eligibility`` (three-factor traces), ``reinforce`` (score-function
gradients), ``train`` (optax loop), ``settings`` (the ``[snn]`` section)
and ``plots``. This package never imports the CFD modules.
"""

from cfdopt.snn.settings import SnnConfig

__all__ = ["SnnConfig"]
