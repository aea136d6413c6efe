"""Mirror symmetry about y = 0 of a zero-incidence flow on a symmetric C-grid (``[numerics] symmetric``).

States are ``(ni, nj, nvar)`` arrays of conserved variables (layout :mod:`cfdopt.flow.layout`).
"""

from __future__ import annotations

import numpy as np

from cfdopt.flow.layout import MY
from cfdopt.flow.state import FlowConditions
from cfdopt.mesh.types import CGrid

def mirror_state(U: np.ndarray) -> np.ndarray:
    """The state reflected about y = 0: cell ``(i, j)`` <- cell ``(ni - 1 - i, j)``, ``rho v`` negated.

    On a C-grid whose node ``(i, j)`` mirrors node ``(ni - i, j)`` (a symmetric
    section, :func:`asymmetry`), at zero incidence ``R(mirror(U)) = mirror(R(U))``.
    """
    M = np.array(U[::-1], copy=True)
    M[..., MY] *= -1.0
    return M


def asymmetry(grid: CGrid, flow: FlowConditions) -> str:
    """Why the flow on ``grid`` cannot be symmetric about y = 0 ("" if it can)."""
    if float(flow.alpha) != 0.0:
        return f"the angle of attack is {float(flow.alpha):g} deg, not 0"
    n = np.asarray(grid.nodes)
    m = n[::-1].copy()
    m[..., 1] *= -1.0
    err = float(np.abs(n - m).max())
    if err > 1e-9 * max(1.0, float(np.abs(n).max())):
        return f"the mesh is not symmetric about y = 0 (mirror mismatch {err:.2e} chords)"
    return ""
