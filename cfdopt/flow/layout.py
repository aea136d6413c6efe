"""State layouts: which variables a model solves for, and their named indices (stated once).

A state ``U`` is cell-centred, shape ``(ni, nj, nvar)``. Every model shares the
mean-flow variables and may append its own:

=========  ==============  ===============  ======================================
index      conservative    primitive        meaning
=========  ==============  ===============  ======================================
``RHO``    ``rho``         ``rho``          density
``MX``     ``rho u``       ``u``            x-momentum / velocity
``MY``     ``rho v``       ``v``            y-momentum / velocity
``ENERGY`` ``rho E``       ``p``            total energy / static pressure
``NUHAT``  ``rho nuhat``   ``nuhat``        RANS-SA only: ``nuhat = nu_tilde / nu_inf``
=========  ==============  ===============  ======================================

The SA working variable is carried scaled by the free-stream kinematic
viscosity ``nu_inf = mu_inf / rho_inf`` so that every unknown is O(1) (the
TMR far field ``nu_tilde = 3 nu_inf`` is ``nuhat = 3``; in a boundary layer
at Re 6e6 ``nuhat`` reaches a few hundred), which keeps the Newton systems
well scaled. Flattened vectors use C order: ``(i nj + j) nvar + k``.
"""

from __future__ import annotations

from dataclasses import dataclass

RHO, MX, MY, ENERGY, NUHAT = 0, 1, 2, 3, 4
MEAN_FLOW = 4
"""The mean-flow variables are ``U[..., :MEAN_FLOW]``."""


@dataclass(frozen=True)
class Layout:
    """The variables of one model, in state order.

    Attributes:
        name: the model's name (``"euler"``, ``"rans-sa"``).
        conservative: names of the conservative variables.
        primitive: names of the primitive variables (same order).
    """

    name: str
    conservative: tuple[str, ...]
    primitive: tuple[str, ...]

    def __post_init__(self):
        if len(self.conservative) != len(self.primitive) or len(self.conservative) < MEAN_FLOW:
            raise ValueError(f"Layout {self.name!r}: need as many conservative as primitive names, at least "
                             f"{MEAN_FLOW}; got {self.conservative!r}, {self.primitive!r}")

    @property
    def nvar(self) -> int:
        return len(self.conservative)

    @property
    def scalars(self) -> tuple[str, ...]:
        """Primitive names of the transported scalars beyond the mean flow."""
        return self.primitive[MEAN_FLOW:]


EULER = Layout("euler", ("rho", "rho_u", "rho_v", "rho_E"), ("rho", "u", "v", "p"))
RANS_SA = Layout("rans-sa", EULER.conservative + ("rho_nuhat",), EULER.primitive + ("nuhat",))
