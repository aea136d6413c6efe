"""The one place where a case's ``[flow]`` and ``[numerics]`` become the model and its settings.

Every command (``solve``, ``gradient``, ``optimize``, ``mesh``) and
:class:`cfdopt.optimize.problem.AeroProblem` build their flow objects through
:func:`flow_setup`, so none can run another model than the case asks for.
Defaults live in :mod:`cfdopt.case.schema` alone, those that depend on the model
filled in when the case is loaded (:func:`cfdopt.case.schema.model_defaults`);
the dataclasses built here take every case key explicitly. :func:`unused_keys` names the keys a case
sets that its model does not read.
"""

from __future__ import annotations

from dataclasses import dataclass

from cfdopt.case.schema import model_defaults
from cfdopt.flow.model import MODELS, FlowModel, key_readers, model_spec
from cfdopt.flow.residual import Numerics
from cfdopt.flow.state import FlowConditions
from cfdopt.solve.settings import SolverSettings
from cfdopt.mesh.flatplate import FLAT_PLATE


_SETTINGS_KEYS = ("tolerance", "max_iterations", "warm_max_iterations", "cfl_start", "restart_cfl", "cfl_max",
                  "linear_tolerance", "max_change", "ordering", "lu_reuse", "mesh_levels",
                  "coarse_tolerance", "lu_precision", "symmetric")


@dataclass(frozen=True)
class FlowSetup:
    """What a flow solve of a case needs besides its grid.

    Attributes:
        numerics: the static residual definition (model and discretisation).
        settings: Newton/PTC settings.
        flow: free-stream conditions of the case.
    """

    numerics: Numerics
    settings: SolverSettings
    flow: FlowConditions

    @property
    def model(self) -> FlowModel:
        return self.numerics.model


def flow_model(cfg) -> FlowModel:
    """The case's :class:`FlowModel` from ``[flow]`` and the SA keys of ``[numerics]``."""
    f, n = cfg.flow, cfg.numerics
    return FlowModel(equations=f.model, reynolds=f.reynolds, temperature=f.temperature, prandtl=f.prandtl,
                     prandtl_turbulent=f.prandtl_turbulent, sa_clip=n.sa_clip, sharpness=n.sharpness,
                     sa_ft2=n.sa_ft2, nu_tilde_farfield=f.nu_tilde_farfield)


def flow_setup(cfg) -> FlowSetup:
    """Numerics, solver settings and free stream of a case (:func:`cfdopt.case.schema.load_case`; a configuration
    built otherwise gets its model's defaults here, :func:`cfdopt.case.schema.model_defaults`)."""
    cfg = model_defaults(cfg)
    n = cfg.numerics
    model = flow_model(cfg)
    numerics = Numerics(order=1 if n.reconstruction == "first-order" else 2, limiter=n.limiter,
                        limiter_eps=n.limiter_eps, muscl_kappa=n.muscl_kappa, entropy_fix=n.entropy_fix,
                        entropy_fix_linear=n.entropy_fix_linear,
                        farfield_width=n.farfield_width, point_vortex=n.point_vortex, flux=n.flux, model=model,
                        nu_tilde_convection=n.nu_tilde_convection)
    settings = SolverSettings(**{k: getattr(n, k) for k in _SETTINGS_KEYS}, line_search=n.line_search != "none")
    flow = FlowConditions(mach=float(cfg.flow.mach), alpha=float(cfg.flow.alpha), gamma=float(cfg.flow.gamma))
    return FlowSetup(numerics, settings, flow)


FLAT_PLATE_UNUSED = ("mesh.farfield", "mesh.te_spacing", "mesh.wake_aspect")
"""Mesh keys the flat-plate domain does not read (its extent is TMR's, and it has no wake cut)."""


FILE_GRID_UNUSED = ("geometry.airfoil", "mesh.size", "mesh.n_airfoil", "mesh.n_wake", "mesh.n_normal", "mesh.farfield",
                    "mesh.wall_spacing", "mesh.le_spacing", "mesh.te_spacing", "mesh.normal_spacing",
                    "mesh.wake_aspect")
"""Keys that build a grid, which a grid read from ``[mesh] file`` does not use."""


def unused_keys(cfg) -> list[str]:
    """Lines naming each key the case sets (file or ``--set``) that its model or geometry does not read."""
    def line(key, why):
        section, name = key.split(".")
        return f"{cfg.source}: [{section}] {name} is set but {why}"

    lines, reported = [], set()
    own = model_spec(cfg.flow.model).reads
    for k in dict.fromkeys(k for m in MODELS for k in model_spec(m).reads):
        if k in cfg.given and k not in own:
            lines.append(line(k, f"model {cfg.flow.model!r} does not use it (only {key_readers(k)} does)"))
            reported.add(k)
    if cfg.geometry.airfoil == FLAT_PLATE:
        lines += [line(k, "the flat plate does not use it") for k in FLAT_PLATE_UNUSED if k in cfg.given]
    if cfg.mesh.file is not None:
        lines += [line(k, f"the grid is read from [mesh] file = {cfg.mesh.file!r}") for k in FILE_GRID_UNUSED
                  if k in cfg.given and k not in reported]
    return lines
