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

import importlib
from dataclasses import dataclass, field
from types import MappingProxyType, ModuleType
from typing import Any, Mapping

from cfdopt.flow.layout import EULER, RANS_SA, Layout
from cfdopt.flow.rans.sa import SAOptions


@dataclass(frozen=True)
class ModelSpec:
    """One value of ``[flow] model``: its state layout, the residual terms it adds, the case keys it reads and the
    defaults it changes.

    Attributes:
        name: the case-file value (``[flow] model``).
        layout: conservative and primitive variables (:mod:`cfdopt.flow.layout`).
        terms: module of the terms beyond the inviscid fluxes (``None``: Euler). A viscous model's module
            provides ``STENCIL`` (the cells its terms couple, :class:`cfdopt.flow.stencil.Stencil`),
            ``residual_terms(W, grid, m, flow, model, fields=None)`` (``(ni, nj, nvar)``, added to the convective
            balance), ``grid_fields(grid)`` (the pytree of node-only quantities ``residual_terms`` reads, e.g. the
            wall distance, which a Newton solve computes once per grid and passes as ``fields``),
            ``spectral_radius_terms(W, m, flow, model)`` (``(ni, nj)``, added to the time-step radius),
            ``wall_traction(U, grid, flow, model)`` (``(n_wall, 2)`` viscous force per wall face),
            ``freestream_scalars(model)`` (the free-stream values of the transported scalars) and
            ``eddy_viscosity_ratio(W, flow, model)`` (``mu_t / mu``, for the physical checks and outputs).
        reads: the case keys (``"section.key"``) that only this model reads; :func:`cfdopt.case.build` says when
            another model's case sets one.
        defaults: the model-dependent defaults of case keys (``"section.key"`` -> value) where they differ from
            the owning dataclass's default (which is the Euler value).
    """

    name: str
    layout: Layout
    terms: str | None = None
    reads: tuple[str, ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "defaults", MappingProxyType(dict(self.defaults)))

    @property
    def viscous(self) -> bool:
        """Whether the model has no-slip walls and viscous terms (friction, y+, boundary-layer checks)."""
        return self.terms is not None


RANS_ENTROPY_FIX_LINEAR = 1e-4
"""Roe width of the shear and contact waves of a rans-sa flow (an Euler flow uses ``entropy_fix``), with which
cases/tmr-naca0012 and cases/tmr-flatplate verify (docs/rans.md)."""

EULER_SPEC = ModelSpec("euler", EULER)
RANS_SA_SPEC = ModelSpec(
    "rans-sa", RANS_SA, terms="cfdopt.flow.rans.terms",
    reads=("flow.reynolds", "flow.temperature", "flow.prandtl", "flow.prandtl_turbulent", "flow.nu_tilde_farfield",
           "numerics.sa_clip", "numerics.sharpness", "numerics.sa_ft2", "mesh.normal_spacing", "mesh.wake_aspect",
           "mesh.size", "numerics.nu_tilde_convection"),
    # The verified settings of cases/tmr-naca0012 (docs/rans.md, "Defaults of a rans-sa case"): TMR's 225 x 65 grid
    # and far field; alpha 0 on the 449 x 129 class takes 114 Newton iterations on its final grid from the free
    # stream; sequencing stops at the 112 x 32 class (case.schema.model_defaults adds a level per family size above
    # 225), since every other node of it again has a normal growth near 3, on which no steady flow was found.
    defaults={"mesh.size": 225, "mesh.farfield": 500.0, "numerics.entropy_fix_linear": RANS_ENTROPY_FIX_LINEAR,
              "numerics.muscl_kappa": 1.0 / 3.0, "numerics.point_vortex": True,
              "numerics.line_search": "unsteady-residual", "numerics.max_iterations": 200,
              "numerics.mesh_levels": 2},
)
REGISTRY: Mapping[str, ModelSpec] = MappingProxyType({s.name: s for s in (EULER_SPEC, RANS_SA_SPEC)})
"""Every ``[flow] model``, by name. A second turbulence model is a module beside :mod:`cfdopt.flow.rans.terms`
and one entry here."""
MODELS = tuple(REGISTRY)


def model_spec(name: str) -> ModelSpec:
    """The :class:`ModelSpec` of ``[flow] model = name``."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, got {name!r}") from None


def key_readers(key: str) -> str:
    """The models that read case key ``key`` (``"section.key"``), quoted and joined: ``'rans-sa'``."""
    return " or ".join(repr(name) for name in MODELS if key in REGISTRY[name].reads)


def model_default(name: str, key: str, fallback):
    """The default of case key ``key`` (``"section.key"``) for model ``name``: its spec's, else ``fallback``."""
    return model_spec(name).defaults.get(key, fallback)


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
        nu_tilde_farfield: far-field ``nu_tilde / nu_inf`` (NASA TMR: 3, giving ``nu_t = 0.210438 nu_inf``).
    """

    equations: str = "euler"
    reynolds: float = 6.5e6
    temperature: float = 288.15
    prandtl: float = 0.72
    prandtl_turbulent: float = 0.9
    sa_clip: str = "softplus"
    sharpness: float = 50.0
    sa_ft2: bool = True
    nu_tilde_farfield: float = 3.0

    def __post_init__(self):
        if self.equations not in REGISTRY:
            raise ValueError(f"FlowModel.equations must be one of {', '.join(MODELS)}, got {self.equations!r}")
        for name in ("reynolds", "temperature", "prandtl", "prandtl_turbulent", "sharpness", "nu_tilde_farfield"):
            if not getattr(self, name) > 0:
                raise ValueError(f"FlowModel.{name} must be > 0, got {getattr(self, name)!r}")

    @property
    def spec(self) -> ModelSpec:
        return REGISTRY[self.equations]

    @property
    def viscous(self) -> bool:
        """Whether the model has viscous terms and no-slip walls (:attr:`ModelSpec.viscous`)."""
        return self.spec.viscous

    @property
    def terms(self) -> ModuleType | None:
        """The module of the model's terms beyond the inviscid fluxes (:attr:`ModelSpec.terms`), or ``None``."""
        return None if self.spec.terms is None else importlib.import_module(self.spec.terms)

    @property
    def label(self) -> str:
        """For progress lines: ``"euler"`` or ``"rans-sa, Re 1e+05, SA (softplus)"``."""
        return f"{self.equations}, Re {self.reynolds:.3g}, SA ({self.sa_clip})" if self.viscous else self.equations

    @property
    def layout(self) -> Layout:
        return self.spec.layout

    @property
    def sa(self):
        """The :class:`cfdopt.flow.rans.sa.SAOptions` of this model."""
        return SAOptions(clip=self.sa_clip, sharpness=self.sharpness, ft2=self.sa_ft2)

    def mu_inf(self, mach):
        """Free-stream dynamic viscosity ``M / Re`` (units ``rho_inf a_inf c``)."""
        return mach / self.reynolds


EULER_MODEL = FlowModel()
