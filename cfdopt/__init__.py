"""cfdopt: adjoint-based 2D airfoil shape optimization in JAX, plus spiking networks.

Importing the package switches JAX to float64 (all CFD is double precision);
the SNN module asks for float32 explicitly where it wants it.

It also caps XLA's CPU code generation at AVX (no FMA) unless ``XLA_FLAGS``
already names ``xla_cpu_max_isa``. With FMA contraction the compiled
derivative of the Roe flux lost up to 4% to cancellation in ``a*x + b*x``
patterns (openxla/xla issue 41579) while the un-jitted derivative and finite
differences agreed to 1e-9; ``tests/test_xla_fma.py`` guards this.

And it compiles with XLA's loop emitters instead of its newer fusion emitters
(``--xla_cpu_use_fusion_emitters=false``) unless ``XLA_FLAGS`` names that
flag: the RANS-SA solve and adjoint programs compile in about 60% of the time,
run as fast, and give the same CD to the last bit (measurements: commit
ff8d368).
"""

import os

for _flag in ("--xla_cpu_max_isa=AVX", "--xla_cpu_use_fusion_emitters=false"):
    if _flag.split("=")[0] not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + _flag).strip()
del _flag

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

__version__ = "0.1.0"
