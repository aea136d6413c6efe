"""Design space: the symmetric Hicks-Henne option keeps a symmetric section symmetric."""

import numpy as np
import pytest

import cfdopt  # noqa: F401  (float64)
from cfdopt.case.schema import DesignConfig
from cfdopt.geometry.design import design_space
from cfdopt.util.errors import ConfigError
from cfdopt.geometry import close_trailing_edge, load_airfoil, resample_surface


@pytest.fixture(scope="module")
def naca0012():
    return np.asarray(resample_surface(close_trailing_edge(load_airfoil("naca0012-closed", ".")), 64))


def test_symmetric_design_is_the_mirrored_pair(naca0012):
    sym = design_space(DesignConfig(n_bumps=6, symmetric=True), naca0012)
    full = design_space(DesignConfig(n_bumps=6), naca0012)
    assert sym.n_vars == 6 and full.n_vars == 12
    a = 0.004 * np.random.default_rng(0).uniform(-1, 1, size=6)
    s = np.asarray(sym.surface(a))
    np.testing.assert_array_equal(s, np.asarray(full.surface(np.concatenate([a, -a]))))
    # Selig order: point k and point N-1-k are the same x on the two surfaces of the symmetric baseline
    np.testing.assert_allclose(s[:, 1], -s[::-1, 1], rtol=0, atol=1e-15)
    np.testing.assert_allclose(s[:, 0], s[::-1, 0], rtol=0, atol=1e-15)
    assert np.abs(s[:, 1] - naca0012[:, 1]).max() > 1e-3  # the design did move the surface


def test_symmetric_needs_hicks_henne(naca0012):
    with pytest.raises(ConfigError, match="symmetric = true needs parametrization = 'hicks-henne'"):
        design_space(DesignConfig(parametrization="cst", symmetric=True), naca0012)
