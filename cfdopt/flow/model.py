"""The physical model a residual solves: Euler or RANS with Spalart-Allmaras (static, hashable).

Non-dimensionalisation (:mod:`cfdopt.flow.state`): lengths by the chord
``c``, density by ``rho_inf``, velocities by ``a_inf``, so ``|V_inf| = M``.
The Reynolds number ``Re = rho_inf |V_inf| c / mu_inf`` then fixes the
free-stream viscosity ``mu_inf = M / Re`` (units ``rho_inf a_inf c``), and
the laminar viscosity follows Sutherland's law in the temperature ratio
``T / T_inf = gamma p / rho`` with ``T_inf`` = ``temperature`` (kelvin).
The SA variable is carried as ``nuhat = nu_tilde / nu_inf``
(:mod:`cfdopt.flow.layout`).

Defaults are those of the case file (:mod:`cfdopt.config`), written once there.
"""

from __future__ import annotations

from dataclasses import dataclass

from cfdopt.config import FlowConfig, NumericsConfig
from cfdopt.flow.layout import EULER, RANS_SA, Layout

MODELS = ("euler", "rans-sa")


@dataclass(frozen=True)
class FlowModel:
    """Governing equations and their physical constants.

    Attributes:
        equations: ``"euler"`` or ``"rans-sa"``.
        reynolds: Reynolds number per unit length (per chord for an airfoil).
        temperature: free-stream static temperature, K (Sutherland's law).
        prandtl: laminar Prandtl number.
        prandtl_turbulent: turbulent Prandtl number.
        sa_clip: ``"softplus"``, ``"hard"`` or ``"neg"`` (:mod:`cfdopt.flow.sa`).
        sharpness: softplus sharpness, units 1/chi.
        sa_ft2: standard SA (``True``) or SA-noft2 (``False``).
        nuhat_farfield: far-field ``nu_tilde / nu_inf`` (NASA TMR: 3, giving ``nu_t = 0.210438 nu_inf``).
    """

    equations: str = FlowConfig.model
    reynolds: float = FlowConfig.reynolds
    temperature: float = FlowConfig.temperature
    prandtl: float = FlowConfig.prandtl
    prandtl_turbulent: float = FlowConfig.prandtl_turbulent
    sa_clip: str = NumericsConfig.sa_clip
    sharpness: float = NumericsConfig.sharpness
    sa_ft2: bool = NumericsConfig.sa_ft2
    nuhat_farfield: float = FlowConfig.nu_tilde_farfield

    def __post_init__(self):
        if self.equations not in MODELS:
            raise ValueError(f"FlowModel.equations must be one of {', '.join(MODELS)}, got {self.equations!r}")
        for name in ("reynolds", "temperature", "prandtl", "prandtl_turbulent", "sharpness", "nuhat_farfield"):
            if not getattr(self, name) > 0:
                raise ValueError(f"FlowModel.{name} must be > 0, got {getattr(self, name)!r}")

    @property
    def viscous(self) -> bool:
        return self.equations == "rans-sa"

    @property
    def label(self) -> str:
        """For progress lines: ``"euler"`` or ``"rans-sa, Re 1e+05, SA (softplus)"``."""
        return f"{self.equations}, Re {self.reynolds:.3g}, SA ({self.sa_clip})" if self.viscous else self.equations

    @property
    def layout(self) -> Layout:
        return RANS_SA if self.viscous else EULER

    @property
    def sa(self):
        """The :class:`cfdopt.flow.sa.SAOptions` of this model."""
        from cfdopt.flow.sa import SAOptions

        return SAOptions(clip=self.sa_clip, sharpness=self.sharpness, ft2=self.sa_ft2)

    def mu_inf(self, mach):
        """Free-stream dynamic viscosity ``M / Re`` (units ``rho_inf a_inf c``)."""
        return mach / self.reynolds


EULER_MODEL = FlowModel()
