"""Compiled derivatives equal eager ones (guards the FMA-contraction workaround in cfdopt/__init__.py).

With XLA's default AVX2+FMA code generation the jitted JVP of the Roe flux
differed from the eager JVP by up to 4e-2 on this machine (openxla/xla issue
41579: FMA contraction of ``a*x + b*x``). Both are the same arithmetic, so
they must agree to round-off.
"""

import jax
import jax.numpy as jnp
import numpy as np

import cfdopt  # noqa: F401  (sets XLA_FLAGS before the backend starts)
from cfdopt.flow.roe import roe_flux_primitive


def test_jitted_roe_jvp_matches_eager():
    rng = np.random.default_rng(0)
    n = 20
    WL = jnp.asarray(np.stack([1 + 0.1 * rng.random(n), 0.8 + 0.1 * rng.random(n), 0.1 * rng.random(n),
                               1 / 1.4 + 0.05 * rng.random(n)], -1))
    WR = WL[::-1]
    normal = jnp.asarray(rng.standard_normal((n, 2)))
    tangents = tuple(jnp.asarray(rng.standard_normal(a.shape)) for a in (WL, WR, normal))
    f = lambda a, b, s: roe_flux_primitive(a, b, s, 1.4, 0.05)  # noqa: E731
    eager = jax.jvp(f, (WL, WR, normal), tangents)[1]
    compiled = jax.jvp(jax.jit(f), (WL, WR, normal), tangents)[1]
    # same operations in the same order: only rounding may differ, values are O(1-10)
    np.testing.assert_allclose(np.asarray(compiled), np.asarray(eager), rtol=0, atol=1e-12)
