"""A case's flow solve and what it writes: the grid of a case or design, outputs, wall quantities.

Library code behind ``cfdopt solve`` (and the final design of ``cfdopt optimize``):
:func:`case_grid` builds the grid a case (or a saved design) solves on, :func:`solve_summary`
the numbers a solve reports, and :func:`write_outputs` its files.
"""

from __future__ import annotations

import csv
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from cfdopt.util.errors import ConfigError
from cfdopt.flow.layout import ENERGY, MEAN_FLOW, MX, RHO
from cfdopt.flow.model import FlowModel
from cfdopt.flow.state import FlowConditions
from cfdopt.mesh import check_deformation
from cfdopt.mesh.flatplate import FLAT_PLATE
from cfdopt.optimize.problem import AeroProblem, baseline_grid
from cfdopt.case.build import flow_setup
from cfdopt.flow.rans.terms import y_plus
from cfdopt.flow.rans.sa import clip_activity
from cfdopt.flow.rans.terms import transport
from cfdopt.flow.state import primitive
from cfdopt.flow.state import mach_number, pressure_coefficient, primitive
from cfdopt.flow.forces import surface_cp
from cfdopt.mesh import write_vtu
from cfdopt.plots.flow import plot_cf, plot_convergence, plot_cp
from cfdopt.flow.rans.terms import skin_friction

Y_PLUS_WARNING = 1.0
"""A first-cell y+ above this is reported: the SA model is meant to be integrated to the wall (y+ about 1)."""


def case_grid(cfg, design_file: Path | None = None):
    """``(grid, flow)`` of the case: the baseline C-grid, or the grid deformed to the design in ``design_file``.

    The design vector has the layout of :mod:`cfdopt.geometry.design` (the same as ``cfdopt optimize`` writes), so a
    design from an optimization history solves on exactly the mesh the optimizer saw, checked as the optimizer
    checks it (:func:`cfdopt.mesh.check_deformation` against the baseline grid: a ``MeshError`` names the wall
    node and the design variables responsible).
    """
    if cfg.geometry.airfoil == FLAT_PLATE:
        if design_file is not None:
            raise ConfigError(f"{cfg.source}: --design: a flat plate has no design variables")
        return baseline_grid(cfg), flow_setup(cfg).flow
    problem = AeroProblem(cfg)
    if design_file is None:
        return problem.grid0, flow_setup(cfg).flow
    design = problem.space.read(design_file)
    grid, flow = problem.geometry(design)
    check_deformation(grid, baseline=problem.grid0, explain=problem.space.explain_wall(design))
    return grid, FlowConditions(mach=float(flow.mach), alpha=float(flow.alpha), gamma=flow.gamma)


def write_history(history, path: Path) -> None:
    """The solver's per-iteration history as CSV."""
    keys = list(history[0]) if history else ["iteration", "residual"]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(history)


def wall_report(U, grid, flow, model: FlowModel) -> dict:
    """``{"y_plus_max", "y_plus_mean"}`` of the first wall cells and where the SA clip acts
    (``"chi_min", "share_nonpositive", "share_transition"``, :func:`cfdopt.flow.rans.sa.clip_activity`);
    empty for an inviscid model."""
    if not model.viscous:
        return {}
    yp = np.asarray(y_plus(jnp.asarray(U), grid, flow, model))
    return dict(y_plus_max=float(yp.max()), y_plus_mean=float(yp.mean()),
                **clip_activity(chi_field(U, flow, model), model.sa))


def chi_field(U, flow, model: FlowModel) -> np.ndarray:
    """``(ni, nj)`` cell values of ``chi = nu_tilde / nu`` of a RANS-SA state ``U`` ``(ni, nj, 5)``."""
    _, _, nu, nu_tilde = transport(primitive(jnp.asarray(U), flow.gamma), flow, model)
    return np.asarray(nu_tilde / nu)


def cell_fields(U, flow, model: FlowModel) -> dict:
    """Cell data for ``solution.vtu``: density, velocity, pressure, Mach, Cp, and for RANS nuhat and mu_t/mu."""
    W = np.asarray(primitive(jnp.asarray(U), flow.gamma))
    fields = {"density": W[..., RHO], "velocity": W[..., MX:MX + 2], "pressure": W[..., ENERGY],
              "mach": np.asarray(mach_number(W, flow.gamma)),
              "cp": np.asarray(pressure_coefficient(W[..., ENERGY], flow))}
    for k, name in enumerate(model.layout.scalars):
        fields[name] = W[..., MEAN_FLOW + k]
    terms = model.terms
    if terms is not None:
        fields["eddy_viscosity_ratio"] = np.asarray(terms.eddy_viscosity_ratio(jnp.asarray(W), flow, model))
    return fields


def write_outputs(out: Path, grid, flow, model: FlowModel, result, summary: dict) -> None:
    """solution.vtu, surface.csv (x, y, cp[, cf]), convergence.png, cp.png[, cf.png], state.npz."""
    U = jnp.asarray(result.U)
    write_vtu(out / "solution.vtu", grid, cell_data=cell_fields(U, flow, model))
    xy, cp = (np.asarray(a) for a in surface_cp(U, grid, flow))
    columns, header = [xy, cp], "x,y,cp"
    title = f"M {float(flow.mach):g}, alpha {float(flow.alpha):g} deg: CL {summary['cl']:.4f}, CD {summary['cd']:.5f}"
    if model.viscous:
        cf = np.asarray(skin_friction(U, grid, flow, model)[1])
        columns.append(cf)
        header += ",cf"
        plot_cf(xy[:, 0], cf, out / "cf.png", title)
    np.savetxt(out / "surface.csv", np.column_stack(columns), delimiter=",", header=header, comments="")
    plot_convergence(result.history, out / "convergence.png", title)
    plot_cp(xy[:, 0], cp, out / "cp.png", title)
    np.savez(out / "state.npz", U=result.U, nodes=np.asarray(grid.nodes), n_wake=grid.n_cut)
