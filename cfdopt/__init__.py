"""cfdopt: adjoint-based 2D airfoil shape optimization in JAX, plus spiking networks.

Importing the package switches JAX to float64 (all CFD is double precision);
the SNN module asks for float32 explicitly where it wants it.
"""

import jax

jax.config.update("jax_enable_x64", True)

__version__ = "0.1.0"
