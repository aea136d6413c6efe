"""The physical model a residual solves: Euler or RANS with Spalart-Allmaras (static, hashable).

Non-dimensionalisation (:mod:`cfdopt.flow.state`): lengths by the chord
``c``, density by ``rho_inf``, velocities by ``a_inf``, so ``|V_inf| = M``.
The Reynolds number ``Re = rho_inf |V_inf| c / mu_inf`` then fixes the
free-stream viscosity ``mu_inf = M / Re`` (units ``rho_inf a_inf c``), and
the laminar viscosity follows Sutherland's law in the temperature ratio
``T / T_inf = gamma p / rho`` with ``T_inf`` = ``temperature`` (kelvin).
The SA variable is carried as ``nuhat = nu_tilde / nu_inf``
(:mod:`cfdopt.flow.layout`).

Defaults are written here once; the case file's keys take them (:mod:`cfdopt.case.schema`).
"""

from __future__ import annotations

from dataclasses import dataclass

from cfdopt.flow.layout import EULER, RANS_SA, Layout

MODELS = ("euler", "rans-sa")

# Defaults that depend on the model; the rans-sa values are the verified settings of cases/tmr-naca0012
# (docs/rans.md, "Defaults of a rans-sa case"). The case file's keys take them (cfdopt.case.schema.model_defaults).
RANS_ENTROPY_FIX_LINEAR = 1e-4
"""Roe width of the shear and contact waves of a rans-sa flow (an Euler flow uses ``entropy_fix``), with which
cases/tmr-naca0012 and cases/tmr-flatplate verify (docs/rans.md)."""
MUSCL_KAPPA = {"euler": 0.0, "rans-sa": 1.0 / 3.0}
"""MUSCL kappa per model."""
POINT_VORTEX = {"euler": False, "rans-sa": True}
"""Point-vortex correction of the far-field state per model."""


@dataclass(frozen=True)
class FlowModel:
    """Governing equations and their physical constants.

    Attributes:
        equations: ``"euler"`` or ``"rans-sa"``.
        reynolds: Reynolds number per unit length (per chord for an airfoil).
        temperature: free-stream static temperature, K (Sutherland's law).
        prandtl: laminar Prandtl number.
        prandtl_turbulent: turbulent Prandtl number.
        sa_clip: ``"softplus"``, ``"hard"`` or ``"neg"`` (:mod:`cfdopt.flow.rans.sa`).
        sharpness: softplus sharpness, units 1/chi.
        sa_ft2: standard SA (``True``) or SA-noft2 (``False``).
        nuhat_farfield: far-field ``nu_tilde / nu_inf`` (NASA TMR: 3, giving ``nu_t = 0.210438 nu_inf``).
    """

    equations: str = "euler"
    reynolds: float = 6.5e6
    temperature: float = 288.15
    prandtl: float = 0.72
    prandtl_turbulent: float = 0.9
    sa_clip: str = "softplus"
    sharpness: float = 50.0
    sa_ft2: bool = True
    nuhat_farfield: float = 3.0

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
        """The :class:`cfdopt.flow.rans.sa.SAOptions` of this model."""
        from cfdopt.flow.rans.sa import SAOptions

        return SAOptions(clip=self.sa_clip, sharpness=self.sharpness, ft2=self.sa_ft2)

    def mu_inf(self, mach):
        """Free-stream dynamic viscosity ``M / Re`` (units ``rho_inf a_inf c``)."""
        return mach / self.reynolds


EULER_MODEL = FlowModel()
