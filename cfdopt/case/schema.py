"""Case files: ``cases/<name>/case.toml`` loaded into frozen dataclasses.

Every key, its type, default, bounds and meaning is declared once, in the
section dataclasses below (``metadata``: ``doc``, ``choices``, ``gt``, ``ge``,
``lt``, ``le``). ``docs/case-format.md`` is generated from them
(``python scripts/gen_case_docs.py``) and a test keeps the two in step.

Unknown sections or keys, wrong types and out-of-range values raise
:class:`cfdopt.util.errors.ConfigError` naming the file, the key and what was
expected.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from cfdopt.util.errors import ConfigError
from cfdopt.util.sections import registered_sections
from cfdopt.case.flight import NAME_PATTERN
from cfdopt.flow.model import MODELS, FlowModel, key_readers, model_default, model_spec
from cfdopt.flow.residual import SCALAR_ORDERS, Numerics
from cfdopt.mesh.cgrid import generate_cgrid
from cfdopt.mesh.flatplate import FLAT_PLATE
from cfdopt.solve.settings import SolverSettings
from cfdopt.case.flight import case_points

CASE_FILE = "case.toml"

# Keys whose default depends on [flow] model default to None in their section and take their model's value when
# the case is loaded (model_defaults): the model's (cfdopt.flow.model.ModelSpec.defaults), else the Euler value of
# the dataclass that owns the setting.
FARFIELD = inspect.signature(generate_cgrid).parameters["farfield"].default
"""Default ``[mesh] farfield`` (chords) of a model that sets none: :func:`cfdopt.mesh.cgrid.generate_cgrid`'s."""
EULER_CELLS = (128, 32, 48)
"""Default ``[mesh]`` n_airfoil, n_wake, n_normal of an Euler case."""
TMR_SIZES = (113, 225, 449, 897)
"""``[mesh] size`` values: nodes around the C of the NASA TMR NACA 0012 family grids 113x33 to 897x257."""
TMR_CELLS = (128, 48, 64)
"""n_airfoil, n_wake, n_normal of the 225 size (TMR's 225x65, 224 cells around the C); another size scales all three
by ``(size - 1) / 224``."""
TMR_CELLS_SIZE = 225
"""The ``[mesh] size`` whose counts :data:`TMR_CELLS` are."""


def _key(default, doc, **checks):
    return field(default=default, metadata=dict(doc=doc, **checks))


@dataclass(frozen=True)
class GeometryConfig:
    """``[geometry]``: the baseline airfoil."""

    airfoil: str = _key(
        "naca0012",
        'baseline airfoil: "naca0012" (classic, open trailing edge), "naca0012-sharp" (NASA TMR sharp '
        'trailing edge, t/c 0.11897), "naca0012-closed" (closed trailing edge, -0.1036 x^4, ADODG case 1), '
        '"naca4:XXXX" (any NACA 4-digit), a Selig/Lednicer .dat path relative to the case folder, or "flat-plate" '
        '(the NASA TMR zero-pressure-gradient flat plate: x in [-0.33333, 2], y in [0, 1], plate from x = 0; '
        '[mesh] n_airfoil cells along the plate, n_wake ahead of it, n_normal up to y = 1; solve only)',
    )


@dataclass(frozen=True)
class MeshConfig:
    """``[mesh]``: the structured C-grid.

    A rans-sa case needs no key here: its defaults build the NASA TMR family grid of ``size`` (225 nodes around the
    C: cases/tmr-naca0012's grid, verified against TMR's equal-size band at alpha 10, docs/rans.md). Keys left out
    of an Euler case take the Euler values. Where explicit values leave the verified envelope (too few wake cells
    for the far field, stretching ratios, first-cell y+), ``cfdopt check``, ``mesh`` and ``solve`` say so
    (docs/mesh.md, "The verified envelope of a RANS grid").
    """

    file: str | None = _key(
        None,
        "a structured C-grid in an SU2 file (the layout of TMR's grids as SU2 distributes them, cfdopt.mesh.su2), "
        "relative to the case folder, used by every command instead of a generated grid; its wall is the airfoil "
        "(the design deforms it, as a generated grid), so [geometry] airfoil and the [mesh] keys that build a grid "
        "(size, counts, spacings, far field) do not apply; no finer mesh of its family exists, so an optimum is "
        "not verified on one")
    size: int | None = _key(
        None,
        "rans-sa: nodes around the C of a NASA TMR NACA 0012 family grid (113, 225, 449, 897: the 113x33 to 897x257 "
        "levels), from which n_airfoil, n_wake and n_normal follow in TMR's proportions 128 : 48 : 64 per 224 cells "
        "around the C (225: 128, 48, 64), and numerics.mesh_levels (sequencing down to the 112 x 32 class); above 225 "
        "the first cell is that of the family refinement (wall_spacing); default 225 when none of n_airfoil, n_wake, "
        "n_normal is given. Together with any of them it is an error: give the size or the counts",
        choices=TMR_SIZES,
    )
    n_airfoil: int | None = _key(None, "cells around the airfoil surface (even); default: 128 for euler, from size for rans-sa (128 at 225)", ge=8)
    n_wake: int | None = _key(None, "cells along each branch of the wake cut; default: 32 for euler, from size for rans-sa (48 at 225)", ge=2)
    n_normal: int | None = _key(None, "cells from the wall to the far field; default: 48 for euler, from size for rans-sa (64 at 225)", ge=4)
    farfield: float | None = _key(None, "far-field radius in chords; default: 100 for euler, 500 for rans-sa (NASA TMR's)", gt=2.0)
    wall_spacing: float | None = _key(
        None,
        "height of the first cell at the wall, chords (default: 1e-3 for euler; for rans-sa from the Reynolds number "
        "for y+ about 1, and with a size above 225 the family refinement's first cell h / (1 + sqrt(r)) of the next "
        "coarser size, h its first cell and r its wall-normal ratio, as TMR's family: each level every other node "
        "of the next)",
        gt=0.0, lt=0.5)
    le_spacing: float | None = _key(None, "surface cell length at the leading edge, chords (default: from n_airfoil)", gt=0.0)
    te_spacing: float | None = _key(None, "surface cell length at the trailing edge, chords (default: from n_airfoil)", gt=0.0)
    normal_spacing: str = _key(
        "geometric",
        "wall-normal spacing of a rans-sa grid: 'geometric' (one ratio from the wall to the far field, as the NASA "
        "TMR family grids: 1.31 on 64 cells at Re 6e6) or 'boundary-layer' (ratio 1.15 up to 0.02 chord, then a smooth "
        "ramp to the far field: suits 96 or more normal cells; on 64 the outer flow gets 17, CD 57% high, docs/rans.md)",
        choices=("boundary-layer", "geometric"),
    )
    wake_aspect: float | None = _key(
        1000.0,
        "rans-sa: largest aspect ratio of the cells along the wake cut (every normal step of a wake line at least its "
        "cut cell's length / wake_aspect; with which alpha 0 of cases/tmr-naca0012 converges); \"none\": the wake "
        "lines keep the wall's spacing, aspect ratio 4e7 at 500 chords",
        gt=1.0,
    )


@dataclass(frozen=True)
class FlowPointConfig:
    """``[[flow.point]]``: one flight point of a multi-point case (docs/parallel.md).

    The objective is the weighted sum over the points, ``sum weight * J``; an aerodynamic
    ``[[optimize.constraint]]`` names the point it holds at (``point = "name"``). A key left out takes the
    ``[flow]`` value. Without any ``[[flow.point]]`` the case is the one point of ``[flow]``. With
    ``[design] alpha = true`` each point has its own angle-of-attack variable.
    """

    LABEL_KEY: typing.ClassVar[str] = "name"

    name: str = field(metadata=dict(
        doc="label of the point: a letter, then letters, digits or '_' (history columns cd@name, constraints' "
            "point = name); unique in the case"))
    mach: float | None = _key(None, "free-stream Mach number (default: [flow] mach)", gt=0.0, lt=5.0)
    alpha: float | None = _key(None, "angle of attack, degrees (default: [flow] alpha)", ge=-30.0, le=30.0)
    reynolds: float | None = _key(None, "Reynolds number (rans-sa only; default: [flow] reynolds)", gt=0.0)
    weight: float = _key(1.0, "weight of this point's objective in the sum (0: a point that only carries "
                              "constraints)", ge=0.0)

    def __post_init__(self):
        if not NAME_PATTERN.match(self.name):
            raise ValueError(f"name: expected a letter, then letters, digits or '_', got {self.name!r}")


@dataclass(frozen=True)
class FlowConfig:
    """``[flow]``: physical model and free-stream conditions (of every flight point, unless
    ``[[flow.point]]`` tables list several)."""

    model: str = _key(FlowModel.equations, "governing equations", choices=MODELS)
    mach: float = _key(0.5, "free-stream Mach number", gt=0.0, lt=5.0)
    alpha: float = _key(0.0, "angle of attack, degrees", ge=-30.0, le=30.0)
    reynolds: float = _key(FlowModel.reynolds, "Reynolds number based on the chord and the free-stream velocity (rans-sa only)", gt=0.0)
    temperature: float = _key(FlowModel.temperature, "free-stream static temperature, K, for Sutherland's law (rans-sa only)", gt=0.0)
    gamma: float = _key(1.4, "ratio of specific heats", gt=1.0, lt=2.0)
    prandtl: float = _key(FlowModel.prandtl, "laminar Prandtl number (rans-sa only)", gt=0.0)
    prandtl_turbulent: float = _key(FlowModel.prandtl_turbulent, "turbulent Prandtl number (rans-sa only)", gt=0.0)
    nu_tilde_farfield: float = _key(FlowModel.nu_tilde_farfield, "far-field nu_tilde / nu_inf (NASA TMR: 3, fully turbulent); a low value lets nu_tilde fall toward 0 at the boundary-layer edge and in the wake, where the eddy-viscosity clip acts (rans-sa only)", gt=0.0)
    point: tuple[FlowPointConfig, ...] = _key(
        (), "flight points of a multi-point optimization, an array of tables [[flow.point]] (keys in the table "
            "below); none: the one point of [flow]")

    def __post_init__(self):
        names = [p.name for p in self.point]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"point: name {repeated[0]!r} more than once; each [[flow.point]] needs its own name")
        rans = [p.name for p in self.point if p.reynolds is not None]
        if rans and "flow.reynolds" not in model_spec(self.model).reads:
            raise ValueError(f"point {rans[0]!r}: reynolds applies to model = {key_readers('flow.reynolds')} only, not "
                             f"{self.model!r}")
        if self.point and not any(p.weight > 0 for p in self.point):
            raise ValueError("point: expected at least one [[flow.point]] with weight > 0, got all weights 0")

    @property
    def viscous(self) -> bool:
        """Whether the model is viscous (no-slip walls, a boundary-layer grid; ``ModelSpec.viscous``)."""
        return model_spec(self.model).viscous


@dataclass(frozen=True)
class NumericsConfig:
    """``[numerics]``: discretisation and solver settings."""

    flux: str = _key(Numerics.flux, "convective flux scheme", choices=("roe",))
    reconstruction: str = _key("muscl", "face reconstruction", choices=("muscl", "first-order"))
    limiter: str = _key(Numerics.limiter, "slope limiter for MUSCL", choices=("van-albada", "none"))
    muscl_kappa: float | None = _key(None, "MUSCL kappa: 0 (Fromm where unlimited) or 1/3 (third-order upwind-biased, as CFL3D and FUN3D ran the NASA TMR cases); default: 0 for euler, 1/3 for rans-sa", ge=-1.0, lt=1.0)
    entropy_fix: float = _key(Numerics.entropy_fix, "Roe entropy-fix width as a fraction of the sound speed (smooth |lambda|)", gt=0.0, lt=1.0)
    entropy_fix_linear: float | None = _key(None, "Roe entropy-fix width of the contact and shear waves, fraction of the sound speed (also the smoothing of the nu_tilde upwinding); default: entropy_fix for euler, 1e-4 for rans-sa, where a wide one adds numerical shear to boundary layers (TMR flat plate: Cf 6% low at 0.05; NACA 0012 alpha 10: CL 0.7% low at 0.002, docs/rans.md); coarse mesh-sequencing levels run at least 0.002", gt=0.0, lt=1.0)
    point_vortex: bool | None = _key(None, "point-vortex correction of the far-field state; default: false for euler, true for rans-sa")
    tolerance: float = _key(SolverSettings.tolerance, "converged when the residual norm has dropped by this factor", gt=0.0, lt=1.0)
    max_iterations: int | None = _key(None, "maximum Newton iterations per grid; default: 100 for euler, 200 for rans-sa", ge=1)
    warm_max_iterations: int = _key(SolverSettings.warm_max_iterations, "Newton iterations a solve started from a nearby design's flow (the optimizer's trials, gradient --check-fd) may take before it is given up and the design solved again from the free stream: a long line-search step whose flow the warm start cannot follow then costs this, not max_iterations", ge=1)
    cfl_start: float = _key(SolverSettings.cfl_start, "initial CFL number of the pseudo-transient continuation", gt=0.0)
    restart_cfl: float = _key(SolverSettings.restart_cfl, "initial CFL number of a solve that starts from a given flow (the optimizer's warm starts, solve --restart)", gt=0.0)
    cfl_max: float = _key(SolverSettings.cfl_max, "CFL cap (large: pure Newton near convergence)", gt=0.0)
    ordering: str = _key(SolverSettings.ordering, "fill-reducing ordering of the sparse LU", choices=("nested-dissection", "minimum-degree"))
    lu_reuse: bool = _key(SolverSettings.lu_reuse, "try GMRES preconditioned by the previous LU before assembling and factoring a new one")
    linear_tolerance: float = _key(SolverSettings.linear_tolerance, "relative tolerance of iterative linear solves", gt=0.0, lt=1.0)
    symmetric: bool = _key(SolverSettings.symmetric, "impose flow symmetry about y = 0 (a symmetric section at zero incidence; selects the symmetric solution where lifting ones also exist)")
    mesh_levels: int | None = _key(None, "mesh sequencing: solve first on up to this many grids, each every other node of the next (1: off); default: 3 for euler; for rans-sa 2, or with [mesh] size down to the 112 x 32 class (113: 1, 225: 2, 449: 3, 897: 4)", ge=1)
    coarse_tolerance: float = _key(SolverSettings.coarse_tolerance, "residual drop at which a coarse mesh-sequencing level hands over", gt=0.0, lt=1.0)
    lu_precision: str = _key(SolverSettings.lu_precision, "precision of the LU that preconditions the Newton systems", choices=("single", "double"))
    line_search: str | None = _key(None, "step acceptance of the pseudo-transient Newton iterations: 'unsteady-residual' halves a step until it lowers the norm of the pseudo-time residual A/dt dU + R(U + dU) below that of R(U), 'none' only until the state is physical; default: none for euler, unsteady-residual for rans-sa (docs/rans.md)", choices=("unsteady-residual", "none"))
    limiter_eps: float = _key(Numerics.limiter_eps, "van Albada smoothing scale (units of the O(1) primitive variables)", gt=0.0)
    farfield_width: float = _key(Numerics.farfield_width, "width of the smooth inflow/outflow switch at the far field (units of a_inf)", gt=0.0)
    max_change: float = _key(SolverSettings.max_change, "largest relative change of density or pressure in one Newton step", gt=0.0)
    sa_clip: str = _key(FlowModel.sa_clip, "treatment of non-positive nu_tilde in Spalart-Allmaras: 'softplus' (smooth surrogates of every kink), 'hard' (max/min clips), 'neg' (SA-neg, Allmaras, Johnson & Spalart 2012) (rans-sa only)", choices=("softplus", "hard", "neg"))
    sharpness: float = _key(FlowModel.sharpness, "sharpness of the softplus clip chi+ = softplus(chi, sharpness), units 1/chi (rans-sa, sa_clip = 'softplus' only)", gt=0.0)
    nu_tilde_convection: str = _key(Numerics.nu_tilde_convection, "convection of nu_tilde: 'first-order' upwind (CFL3D's for the NASA TMR cases; keeps nu_tilde positive) or 'muscl' (the mean flow's reconstruction, as FUN3D ran them; nu_tilde can undershoot below 0, where sa_clip acts) (rans-sa only)", choices=tuple(SCALAR_ORDERS))
    sa_ft2: bool = _key(FlowModel.sa_ft2, "keep the SA laminar-suppression term ft2 (NASA TMR 'SA'); false: 'SA-noft2' (rans-sa only)")


@dataclass(frozen=True)
class DesignConfig:
    """``[design]``: shape parametrization."""

    parametrization: str = _key("hicks-henne", "shape parametrization", choices=("hicks-henne", "cst", "none"))
    n_bumps: int = _key(8, "Hicks-Henne bumps per surface", ge=1)
    bump_width: float = _key(3.0, "Hicks-Henne width exponent t (larger: narrower bumps)", gt=0.0)
    bump_spacing: str = _key("even", "Hicks-Henne peak positions x_k, k = 1..n: 'even' k/(n+1) up to 19 bumps (SU2's airfoil tutorials: 0.05 to 0.95), beyond 19 evenly from 0.05 to 0.95, so no design within the default bound makes a facet at the leading or trailing edge; 'cosine' (1 - cos(pi k/(n+1)))/2, clustered at the edges, where small amplitudes of many bumps fold the leading edge into a cusp (the mesh check refuses such designs; docs/geometry.md). The default was 'cosine' before issue 11", choices=("even", "cosine"))
    cst_order: int = _key(6, "CST (Kulfan) Bernstein order per surface", ge=1, le=16)
    bound: float | None = _key(None, "bound on each design variable (|d| <= bound), chords or CST weight units (default: 0.01; for more than 19 hicks-henne bumps per surface 0.19 / n_bumps, so that all bumps at their bound reach no further than SU2's 19 of 0.01, whose sum piles up at the fixed leading edge)", gt=0.0)
    alpha: bool = _key(False, "treat the angle of attack as a design variable (for a CL target)")
    symmetric: bool = _key(False, "hicks-henne only: one amplitude per bump pair, the lower surface moving opposite to the upper (symmetric sections stay symmetric)")

    def __post_init__(self):
        if self.bound is None:
            many = self.parametrization == "hicks-henne" and self.n_bumps > DEFAULT_BOUND_BUMPS
            bound = DEFAULT_BOUND * DEFAULT_BOUND_BUMPS / self.n_bumps if many else DEFAULT_BOUND
            object.__setattr__(self, "bound", bound)


DEFAULT_BOUND = 0.01
"""``[design] bound`` when unset (chords, or CST weight units), up to :data:`DEFAULT_BOUND_BUMPS` bumps."""
DEFAULT_BOUND_BUMPS = 19
"""Beyond this many Hicks-Henne bumps per surface the unset bound is ``DEFAULT_BOUND * 19 / n_bumps``."""


CONSTRAINT_QUANTITIES = ("cl", "cd", "cm", "l/d", "thickness_max", "thickness", "area")
"""Quantities a ``[[optimize.constraint]]`` can bound; the last three are functions of the shape alone."""
GEOMETRIC_QUANTITIES = ("thickness_max", "thickness", "area")


@dataclass(frozen=True)
class ConstraintConfig:
    """``[[optimize.constraint]]``: one constraint, an equality or a bound (lower and/or upper) on one quantity.

    Aerodynamic quantities (cl, cd, cm, l/d) hold at the case's angle of attack, or with alpha free when
    ``[design] alpha = true``. Geometric ones are in chords (area in chords squared), or with
    ``relative = true`` fractions of the baseline's value.
    """

    LABEL_KEY: typing.ClassVar[str] = "quantity"

    quantity: str = field(metadata=dict(
        doc="the constrained quantity: cl, cd, cm, l/d, thickness_max (largest vertical thickness), thickness "
            "(at station x/c) or area (cross-section)", choices=CONSTRAINT_QUANTITIES))
    equal: float | None = _key(None, "equality quantity = value (excludes lower and upper)")
    lower: float | None = _key(None, "lower bound quantity >= value")
    upper: float | None = _key(None, "upper bound quantity <= value")
    station: float | None = _key(None, "x/c of a thickness constraint (quantity = 'thickness' only, required there)",
                                 gt=0.0, lt=1.0)
    relative: bool = _key(False, "values are fractions of the baseline's (thickness_max, thickness, area only)")
    point: str | None = _key(None, "the [[flow.point]] an aerodynamic quantity holds at (cl, cd, cm, l/d only; "
                                   "required when the case has several points)")

    def __post_init__(self):
        if self.quantity not in CONSTRAINT_QUANTITIES:
            raise ValueError(f"quantity: expected one of {', '.join(map(repr, CONSTRAINT_QUANTITIES))}, "
                             f"got {self.quantity!r}")
        if self.equal is None and self.lower is None and self.upper is None:
            raise ValueError("expected equal = value, or lower = value and/or upper = value; got none of them")
        if self.equal is not None and (self.lower is not None or self.upper is not None):
            raise ValueError(f"equal = {self.equal} excludes lower/upper: state an equality or bounds, not both")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError(f"expected lower <= upper, got lower = {self.lower} > upper = {self.upper}")
        if self.quantity == "thickness" and self.station is None:
            raise ValueError("quantity 'thickness' needs station = x/c (0 < x/c < 1)")
        if self.quantity != "thickness" and self.station is not None:
            raise ValueError(f"station applies to quantity 'thickness' only, not {self.quantity!r}")
        if self.point is not None and self.quantity in GEOMETRIC_QUANTITIES:
            raise ValueError(f"point = {self.point!r} applies to aerodynamic quantities only "
                             f"({', '.join(q for q in CONSTRAINT_QUANTITIES if q not in GEOMETRIC_QUANTITIES)}); "
                             f"{self.quantity!r} is a property of the shape")
        if self.relative and self.quantity not in GEOMETRIC_QUANTITIES:
            raise ValueError(f"relative = true applies to {', '.join(GEOMETRIC_QUANTITIES)} only; state "
                             f"{self.quantity!r} in absolute terms")

    @property
    def label(self) -> str:
        """Readable name of the quantity: ``cl``, ``ld``, ``thickness@0.3``, ``area_rel``."""
        base = "ld" if self.quantity == "l/d" else self.quantity
        if self.station is not None:
            base += f"@{self.station:g}"
        if self.point is not None:
            base += f"@{self.point}"
        return base + ("_rel" if self.relative else "")

    def components(self) -> tuple[tuple[str, str, float], ...]:
        """``(name, kind, value)`` of each scalar constraint: kind ``"eq"``, ``"lower"`` or ``"upper"``."""
        if self.equal is not None:
            return ((f"{self.label}_eq", "eq", float(self.equal)),)
        out = []
        if self.lower is not None:
            out.append((f"{self.label}_lower", "lower", float(self.lower)))
        if self.upper is not None:
            out.append((f"{self.label}_upper", "upper", float(self.upper)))
        return tuple(out)

    def toml(self) -> str:
        """The constraint as the body of a ``[[optimize.constraint]]`` table, on one line."""
        items = [f"{f.name} = {_toml_value(getattr(self, f.name))}" for f in dataclasses.fields(self)
                 if getattr(self, f.name) is not None and getattr(self, f.name) != f.default]
        return ", ".join(items)


_OLD_CONSTRAINT_KEYS = {"cl_target": "cl", "cm_min": "cm", "thickness_fraction": "thickness", "area_fraction": "area"}
"""``[optimize]`` keys of the constraints before ``[[optimize.constraint]]`` -> the quantity each constrains."""


@dataclass(frozen=True)
class OptimizeConfig:
    """``[optimize]``: objective, constraints and optimizer.

    Constraints are an array of tables, any number of them, e.g.
    `[[optimize.constraint]]` `quantity = "cl"`, `lower = 0.327` (keys below, under
    `[[optimize.constraint]]`). The older keys `cl_target`, `cm_min`, `thickness_fraction` (with
    `thickness_stations`) and `area_fraction` still work and mean the same constraints; one of them together
    with a `[[optimize.constraint]]` on the same quantity is an error.
    """

    objective: str = _key("cd", "objective to minimize", choices=("cd", "cl", "-cl", "cm", "l/d"))
    method: str = _key("auto", "scipy method; auto: L-BFGS-B without constraints, SLSQP with", choices=("auto", "l-bfgs-b", "slsqp"))
    max_iterations: int = _key(30, "maximum optimizer iterations", ge=1)
    tolerance: float = _key(1e-8, "optimizer tolerance (ftol)", gt=0.0)
    feasibility_tolerance: float = _key(1e-4, "largest constraint violation (in each constraint's units: coefficients, chords, fractions of the baseline) of a design that counts as feasible; the result is the best feasible design evaluated, and a run without one says so and exits with status 4", gt=0.0)
    constraint: tuple[ConstraintConfig, ...] = _key(
        (), "constraints, an array of tables [[optimize.constraint]] (keys in the table below); on the command line "
            "--set 'optimize.constraint=[{quantity=\"cl\", lower=0.3}]' replaces them all")
    cl_target: float | None = _key(None, "older form of [[optimize.constraint]] quantity = \"cl\", equal = value")
    cm_min: float | None = _key(None, "older form of [[optimize.constraint]] quantity = \"cm\", lower = value")
    thickness_fraction: float | None = _key(None, "older form of one [[optimize.constraint]] quantity = \"thickness\", station = s, lower = value, relative = true per station s of thickness_stations", gt=0.0)
    thickness_stations: tuple[float, ...] = _key(
        (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9), "chordwise stations x/c of thickness_fraction"
    )
    area_fraction: float | None = _key(None, "older form of [[optimize.constraint]] quantity = \"area\", lower = value, relative = true", gt=0.0)
    warm_start: bool = _key(True, "start each flow solve from the flow of the optimizer's current iterate (false: from the free stream, with mesh sequencing)")
    first_step: float = _key(1.0, "length of the optimizer's first quasi-Newton step, as a fraction of [design] bound: the objective is scaled so that its gradient norm in bound units is this at the baseline", gt=0.0)
    initial_design: str | None = _key(None, "JSON file (relative to the case folder) with a key design to start the optimizer from, for example a previous run's designs/final/summary.json; the baseline and the reduction stay those of the undeformed airfoil")
    verify: bool = _key(True, "verify the optimum at the end of the run: the final design solved again from the free stream, and with the baseline on the case's mesh refined by one family level (twice the cells each way); the summary and the last line say whether its gain survives (docs/tutorial.md)")
    verify_margin: float = _key(0.25, "largest difference between the objective reductions on the case's mesh and on the finer mesh of the verification, as a fraction of the case mesh's reduction (0.25: a 40% reduction verifies if the finer mesh gives 30% to 50%)", gt=0.0)

    def __post_init__(self):
        for key, quantity in _OLD_CONSTRAINT_KEYS.items():
            value = getattr(self, key)
            clash = [k for k, c in enumerate(self.constraint, 1) if c.quantity == quantity]
            if value is not None and clash:
                new = "; ".join(f"[[optimize.constraint]] {c.toml()}" for c in _translate_old(self, key))
                raise ValueError(f"{key} = {value} and constraint #{clash[0]} both constrain {quantity!r}: state "
                                 f"them all as [[optimize.constraint]] tables; {key} = {value} reads {new}")
        seen = {}
        for k, c in enumerate(self.all_constraints(), 1):
            for name, _, _ in c.components():
                if name in seen:
                    raise ValueError(f"constraint #{k} ({c.toml()}) repeats {name!r} of constraint #{seen[name]}: "
                                     "state lower and upper of one quantity in one table, each bound once")
                seen[name] = k

    def all_constraints(self) -> tuple[ConstraintConfig, ...]:
        """The ``[[optimize.constraint]]`` tables, then the older keys translated into the same form."""
        old = tuple(c for key in _OLD_CONSTRAINT_KEYS for c in _translate_old(self, key))
        return tuple(self.constraint) + old


def _translate_old(opt: OptimizeConfig, key: str) -> tuple[ConstraintConfig, ...]:
    value = getattr(opt, key)
    if value is None:
        return ()
    if key == "cl_target":
        return (ConstraintConfig("cl", equal=value),)
    if key == "cm_min":
        return (ConstraintConfig("cm", lower=value),)
    if key == "area_fraction":
        return (ConstraintConfig("area", lower=value, relative=True),)
    return tuple(ConstraintConfig("thickness", lower=value, station=s, relative=True) for s in opt.thickness_stations)


POLAR_VARIABLES = ("alpha", "mach")
"""What ``[polar]`` can sweep: a ``[flow]`` key each, whose bounds the swept values must meet."""


@dataclass(frozen=True)
class PolarConfig:
    """``[polar]``: the sweep of ``cfdopt polar``, one flow solve per value of ``variable`` (the other ``[flow]`` keys
    fixed; a Mach sweep of a rans-sa case keeps the Reynolds number). Each point starts from the converged flow of its
    neighbour, outward from the value nearest the case's own (docs/polar.md)."""

    variable: str = _key("alpha", "swept [flow] key: 'alpha' (degrees) or 'mach'", choices=POLAR_VARIABLES)
    values: tuple[float, ...] = _key(
        (-2.0, 0.0, 2.0, 4.0, 6.0), "values of variable to solve at (any order, each once, within the bounds of the "
        "[flow] key); on the command line --values -2 0 2 4 or --set polar.values=[-2,0,2,4]")

    def __post_init__(self):
        if self.variable not in POLAR_VARIABLES:
            raise ValueError(f"variable: expected one of {', '.join(map(repr, POLAR_VARIABLES))}, got {self.variable!r}")
        if not self.values:
            raise ValueError(f"values: expected at least one {self.variable} value, got []")
        repeated = sorted({v for v in self.values if self.values.count(v) > 1})
        if repeated:
            raise ValueError(f"values: expected each value once, got {repeated[0]!r} more than once")
        meta = {f.name: f.metadata for f in dataclasses.fields(FlowConfig)}[self.variable]
        for v in self.values:
            why = _out_of_bounds(v, meta)
            if why:
                raise ValueError(f"values: {why} (the bounds of [flow] {self.variable}, variable = {self.variable!r})")


@dataclass(frozen=True)
class Config:
    """A whole case: one dataclass per section, plus where it came from."""

    geometry: GeometryConfig = field(default_factory=GeometryConfig)
    mesh: MeshConfig = field(default_factory=MeshConfig)
    flow: FlowConfig = field(default_factory=FlowConfig)
    numerics: NumericsConfig = field(default_factory=NumericsConfig)
    design: DesignConfig = field(default_factory=DesignConfig)
    optimize: OptimizeConfig = field(default_factory=OptimizeConfig)
    polar: PolarConfig = field(default_factory=PolarConfig)
    case_dir: Path = Path(".")
    source: Path = Path(CASE_FILE)
    given: frozenset[str] = frozenset()
    """``"section.key"`` of every key the case file or an override set (the rest took defaults)."""
    registered: tuple[tuple[str, object], ...] = field(
        default_factory=lambda: tuple((name, cls()) for name, cls in registered_sections().items()))
    """``(name, section)`` of the sections other packages register (:mod:`cfdopt.util.sections`: ``[snn]``), read
    as attributes (``cfg.snn``)."""

    def __getattr__(self, name):
        for key, section in self.__dict__.get("registered", ()):
            if key == name:
                return section
        raise AttributeError(f"{type(self).__name__!r} has no section or attribute {name!r}")


SECTIONS: dict[str, type] = {
    "geometry": GeometryConfig,
    "mesh": MeshConfig,
    "flow": FlowConfig,
    "numerics": NumericsConfig,
    "design": DesignConfig,
    "optimize": OptimizeConfig,
    "polar": PolarConfig,
    **registered_sections(),
}


def _type_name(tp) -> str:
    return getattr(tp, "__name__", str(tp))


def _convert(value, tp, where: str):
    """Check ``value`` against annotation ``tp``; ints are accepted for floats, lists for tuples."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [t for t in typing.get_args(tp) if t is not type(None)]
        if value == "none" and options[0] is not str:
            return None  # TOML has no null: "none" asks for the key's unset default
        return _convert(value, options[0], where)
    if origin is tuple:
        (item, _) = typing.get_args(tp)
        if dataclasses.is_dataclass(item):
            return _convert_tables(value, item, where)
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list of {_type_name(item)}, got {value!r}")
        return tuple(_convert(v, item, f"{where}[{k}]") for k, v in enumerate(value))
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is bool and not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if tp is int and isinstance(value, bool):
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    if not isinstance(value, tp):
        raise ConfigError(f"{where}: expected {_type_name(tp)}, got {type(value).__name__} {value!r}")
    return value


def _convert_tables(value, cls, where: str) -> tuple:
    """An array of tables (``[[section.key]]``) -> tuple of ``cls``; each table checked as a section is."""
    if isinstance(value, dict):
        value = [value]  # a single [section.key] table: accepted as an array of one
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{where}: expected an array of tables ([[...]] or [{{...}}, ...]), got {value!r}")
    return tuple(_build_table(cls, v, f"{where} #{k}") for k, v in enumerate(value, 1))


def _build_table(cls, table, where: str):
    """One item of an array of tables, ``where`` naming it (and its ``cls.LABEL_KEY`` value when given)."""
    if isinstance(cls, type) and isinstance(table, cls):
        return table
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table of {', '.join(f.name for f in dataclasses.fields(cls))}, "
                          f"got {table!r}")
    label = getattr(cls, "LABEL_KEY", None)
    if label in table:
        where = f"{where} ({label} = {table[label]!r})"
    return _build(cls, table, f"{where}:", where)


_BOUNDS = {"gt": (lambda v, b: v > b, ">"), "ge": (lambda v, b: v >= b, ">="),
           "lt": (lambda v, b: v < b, "<"), "le": (lambda v, b: v <= b, "<=")}


def _check(value, meta, where: str) -> None:
    if value is None:
        return
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        raise ConfigError(f"{where}: expected one of {', '.join(map(repr, choices))}, got {value!r}")
    why = _out_of_bounds(value, meta)
    if why:
        raise ConfigError(f"{where}: {why}")


def _out_of_bounds(value, meta) -> str:
    """``"expected a value > 0.0, got -1"`` where ``value`` breaks a bound of ``meta`` (``gt``, ...), else ``""``."""
    for name, (ok, sym) in _BOUNDS.items():
        if name in meta and not ok(value, meta[name]):
            return f"expected a value {sym} {meta[name]}, got {value!r}"
    return ""


def _build(cls, table: dict, prefix: str, unknown_at: str, unknown_in: str = ""):
    """``cls`` from a TOML table: each value converted and checked (errors at ``f"{prefix} {key}"``), no unknown
    key (``f"{unknown_at}: unknown key '{key}'{unknown_in}"`` and the valid keys), no required key missing,
    ``cls``'s own checks."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    values = {}
    for key, value in table.items():
        where = f"{prefix} {key}"
        if key not in fields:
            raise ConfigError(f"{unknown_at}: unknown key '{key}'{unknown_in}; valid keys: {', '.join(fields)}")
        value = _convert(value, hints[key], where)
        _check(value, fields[key].metadata, where)
        values[key] = value
    missing = [name for name, f in fields.items()
               if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING and name not in values]
    if missing:
        raise ConfigError(f"{prefix} missing key '{missing[0]}' ({fields[missing[0]].metadata.get('doc', '')})")
    try:
        return cls(**values)
    except ValueError as err:
        raise ConfigError(f"{prefix} {err}") from err


def _build_section(cls, table: dict, source: Path, section: str):
    return _build(cls, table, f"{source}: [{section}]", str(source), f" in [{section}]")


def parse_override(text: str) -> tuple[str, str, object]:
    """``"section.key=value"`` -> (section, key, value), the value read as TOML (bare words as strings)."""
    name, sep, raw = text.partition("=")
    section, dot, key = name.strip().partition(".")
    if not sep or not dot or not section or not key:
        raise ConfigError(f"--set {text!r}: expected section.key=value, e.g. flow.mach=0.8")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return section, key.strip(), value


_COUNT_KEYS = ("n_airfoil", "n_wake", "n_normal")


def model_defaults(cfg: Config) -> Config:
    """``cfg`` with every key whose default depends on ``[flow] model`` (None in its section) set to its model's value.

    The values are the model's (:attr:`cfdopt.flow.model.ModelSpec.defaults`), else the Euler values of the
    dataclasses that own the settings (``Numerics``, ``SolverSettings``; ``FARFIELD``, ``EULER_CELLS`` here);
    ``[numerics] entropy_fix_linear`` of an Euler case stays None (``entropy_fix`` then). A model with a default
    ``[mesh] size`` (rans-sa: 225) builds the TMR family grid of that size when the case gives no cell counts; its
    counts follow the size, and counts it leaves out the 225 size's. Idempotent: a resolved configuration comes back unchanged (its filled-in keys are not in
    ``cfg.given``, and counts already filled in are kept, as ``dataclasses.replace`` may have set them).

    Raises:
        ConfigError: a rans-sa case that sets ``[mesh] size`` and any of n_airfoil, n_wake, n_normal (file or
            override).
    """
    model, m, n = cfg.flow.model, cfg.mesh, cfg.numerics
    default_size = model_default(model, "mesh.size", None)
    rans = default_size is not None  # sized by the TMR family
    counts = {k: getattr(m, k) for k in _COUNT_KEYS}
    given = [k for k, v in counts.items() if v is not None and f"mesh.{k}" in cfg.given]
    size, levels = m.size, 0
    if rans and size is not None and given:
        raise ConfigError(f"{cfg.source}: [mesh] size = {size} and {given[0]} = {counts[given[0]]} both set the cell "
                          f"counts: give size alone (n_airfoil, n_wake, n_normal in TMR's proportions 128 : 48 : 64 "
                          f"per 224 cells around the C) or the counts alone (size = \"none\")")
    if rans and size is None and not given:
        size = default_size
    if rans and size is not None and all(v is None for v in counts.values()):  # filled in already: kept
        scale = (size - 1) / (TMR_CELLS_SIZE - 1)
        counts = {k: round(c * scale) for k, c in zip(_COUNT_KEYS, TMR_CELLS)}
        levels = round(math.log2(scale))
    else:
        base = TMR_CELLS if rans else EULER_CELLS
        counts = {k: base[i] if counts[k] is None else counts[k] for i, k in enumerate(_COUNT_KEYS)}
    mesh = dataclasses.replace(m, size=size, farfield=model_default(model, "mesh.farfield", FARFIELD) if m.farfield is None else m.farfield, **counts)

    def pick(key, euler):
        value = getattr(n, key)
        return model_default(model, f"numerics.{key}", euler) if value is None else value

    numerics = dataclasses.replace(
        n, entropy_fix_linear=pick("entropy_fix_linear", Numerics.entropy_fix_linear),
        muscl_kappa=pick("muscl_kappa", Numerics.muscl_kappa),
        line_search=pick("line_search", "unsteady-residual" if SolverSettings.line_search else "none"),
        point_vortex=pick("point_vortex", Numerics.point_vortex),
        max_iterations=pick("max_iterations", SolverSettings.max_iterations),
        mesh_levels=pick("mesh_levels", SolverSettings.mesh_levels) + (levels if n.mesh_levels is None else 0))
    return dataclasses.replace(cfg, mesh=mesh, numerics=numerics)


def build_config(data: dict, source: Path, case_dir: Path) -> Config:
    """Validate a parsed TOML document and build the :class:`Config`."""
    sections = {}
    for name, table in data.items():
        if name not in SECTIONS:
            raise ConfigError(f"{source}: unknown section [{name}]; valid sections: {', '.join(SECTIONS)}")
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: '{name}' must be a [section] table, got {table!r}")
        sections[name] = _build_section(SECTIONS[name], table, source, name)
    given = frozenset(f"{name}.{key}" for name, table in data.items() for key in table)
    own = tuple((name, sections.pop(name, cls())) for name, cls in registered_sections().items())
    cfg = model_defaults(Config(**sections, case_dir=case_dir, source=source, given=given, registered=own))
    _check_constraint_points(cfg)
    if cfg.mesh.file is not None and cfg.geometry.airfoil == FLAT_PLATE:
        raise ConfigError(f"{source}: [mesh] file = {cfg.mesh.file!r} with [geometry] airfoil = {FLAT_PLATE!r}: a "
                          "file grid is a C-grid round an airfoil; the flat plate's grid is TMR's, generated")
    return cfg


def _check_constraint_points(cfg: Config) -> None:
    """Each aerodynamic constraint names a flight point of the case; it must when there are several."""
    names = [p.name for p in case_points(cfg)]
    valid = ", ".join(map(repr, names))
    for k, c in enumerate(cfg.optimize.all_constraints(), 1):
        where = (f"{cfg.source}: [optimize] constraint #{k} ({c.toml()})" if k <= len(cfg.optimize.constraint)
                 else f"{cfg.source}: [optimize] {c.toml()} (an older [optimize] key)")
        if c.quantity in GEOMETRIC_QUANTITIES:
            continue
        if c.point is None and len(names) > 1:
            raise ConfigError(f"{where}: point: expected one of {valid} (the case has several [[flow.point]]; an "
                              "aerodynamic constraint holds at one of them), got none")
        if c.point is not None and c.point not in names:
            raise ConfigError(f"{where}: point = {c.point!r}: expected one of {valid}")


def load_case(case_dir: str | Path, overrides: typing.Iterable[str] = ()) -> Config:
    """Read ``case_dir/case.toml``, apply ``--set`` overrides and validate.

    Args:
        case_dir: a case folder (or the path of its ``case.toml``).
        overrides: ``"section.key=value"`` strings applied over the file.

    Raises:
        ConfigError: missing or malformed file, unknown section/key, wrong type or out-of-range value.
    """
    path = Path(case_dir)
    if path.is_file():
        path = path.parent
    source = path / CASE_FILE
    if not source.is_file():
        raise ConfigError(f"{source}: no case file (a case folder holds case.toml)")
    try:
        data = tomllib.loads(source.read_text())
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{source}: not valid TOML: {err}") from err
    for text in overrides:
        section, key, value = parse_override(text)
        data.setdefault(section, {})[key] = value
    return build_config(data, source, path)


def config_to_dict(cfg: Config) -> dict:
    """The resolved configuration as plain data (sections only), e.g. for printing or summary files."""
    return {name: dataclasses.asdict(getattr(cfg, name)) for name in SECTIONS}


def format_config(cfg: Config) -> str:
    """TOML-like text of the resolved configuration, every key shown with its value."""
    lines = [f"# resolved configuration of {cfg.source}"]
    for name, values in config_to_dict(cfg).items():
        lines.append(f"\n[{name}]")
        for key, value in values.items():
            lines.append(f"# {key} = (unset)" if value is None else f"{key} = {_toml_value(value)}")
    return "\n".join(lines)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items() if v is not None) + " }"
    return repr(value)
