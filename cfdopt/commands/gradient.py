"""``cfdopt gradient CASE``: adjoint gradient of the objective; gradient.json, surface sensitivity, FD check."""

from __future__ import annotations

import json
import time

import jax
import numpy as np

from cfdopt.mesh import deform
from cfdopt.optimize.problem import OBJECTIVES, AeroProblem

ONE_FLIGHT_POINT = True  # a multi-point case needs --point NAME (cfdopt.case.flight.single_point)
HELP = "adjoint gradient of the case's objective with respect to every design variable, alpha and Mach"


def add_arguments(parser) -> None:
    parser.add_argument("--objective", default=None, help="objective (default: [optimize] objective)")
    parser.add_argument("--check-fd", type=int, default=0, metavar="N",
                        help="compare N randomly chosen components with central finite differences (step sweep)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the components checked by --check-fd")


def surface_sensitivity(problem: AeroProblem, grad_grid) -> tuple[np.ndarray, np.ndarray]:
    """``dJ/dn`` per unit surface length at the wall nodes (1/chord^2).

    The mesh gradient pulled back through the deformation to the wall nodes,
    dotted with the outward normal and divided by each node's share of the
    surface length, so that the curve does not depend on the node spacing.
    """
    wall0 = problem.grid0.surface
    _, pull = jax.vjp(lambda w: deform(problem.grid0, w), wall0)
    (g_wall,) = pull(grad_grid)
    wall = np.asarray(wall0)
    tangent = np.gradient(wall, axis=0)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)  # wall order runs clockwise: this points outward
    normal /= np.hypot(normal[:, 0], normal[:, 1])[:, None]
    edge = np.hypot(*np.diff(wall, axis=0).T)
    dual = 0.5 * (np.concatenate([[0.0], edge]) + np.concatenate([edge, [0.0]]))
    return wall, np.sum(np.asarray(g_wall) * normal, axis=1) / dual


def finite_difference_table(problem, d0, grad, objective, components, steps, U0=None):
    """Rows ``(k, h, fd, adjoint, relative error)`` of central differences at each step, each solve started
    from ``U0`` (the baseline's flow)."""
    rows = []
    for k in components:
        for h in steps:
            e = np.zeros_like(d0)
            e[k] = h
            fp = problem.evaluate(d0 + e, U0=U0).coefficients
            fm = problem.evaluate(d0 - e, U0=U0).coefficients
            fd = float(OBJECTIVES[objective](fp) - OBJECTIVES[objective](fm)) / (2 * h)
            rows.append((int(k), h, fd, float(grad[k]), abs(fd - grad[k]) / max(abs(grad[k]), 1e-300)))
    return rows


def run(args, cfg) -> int:
    objective = args.objective or cfg.optimize.objective
    problem = AeroProblem(cfg)
    d0 = problem.space.initial()
    say = (lambda *a: None) if args.quiet else print
    t0 = time.perf_counter()
    ev = problem.evaluate(d0)
    t_primal = time.perf_counter() - t0
    t1 = time.perf_counter()
    g = problem.gradients(ev, [objective])[objective]
    t_adjoint = time.perf_counter() - t1
    say(f"{objective} = {g.value:.8f}  (primal {t_primal:.2f} s, {ev.solve.iterations} Newton iterations; "
        f"adjoint {t_adjoint:.2f} s, linear residual {g.adjoint.linear_residual:.1e})")
    say(f"{'variable':<24s} {'d' + objective + '/d(var)':>16s}")
    for name, value in zip(problem.space.names, g.design):
        say(f"{name:<24s} {value:+16.8e}")
    say(f"{'mach':<24s} {g.mach:+16.8e}")
    say(f"{'alpha (deg, flow)':<24s} {g.alpha:+16.8e}")
    wall, sens = surface_sensitivity(problem, g.adjoint.grad_nodes)
    from cfdopt.plots.adjoint import plot_surface_sensitivity

    plot_surface_sensitivity(wall, sens, args.out / "sensitivity.png",
                             f"{cfg.geometry.airfoil}: surface sensitivity of {objective}")
    record = dict(objective=objective, value=g.value, design=d0.tolist(), names=list(problem.space.names),
                  gradient=g.design.tolist(), dmach=g.mach, dalpha=g.alpha,
                  adjoint_linear_residual=g.adjoint.linear_residual, newton_iterations=ev.solve.iterations,
                  wall_time_primal_s=t_primal, wall_time_adjoint_s=t_adjoint)
    if args.check_fd > 0 and problem.space.n_vars > 0:
        rng = np.random.default_rng(args.seed)
        comps = rng.choice(problem.space.n_vars, size=min(args.check_fd, problem.space.n_vars), replace=False)
        scale = np.where(np.arange(problem.space.n_vars) == problem.space.n_vars - 1,
                         100.0 if problem.space.has_alpha else 1.0, 1.0)
        rows = []
        for k in sorted(comps):
            steps = tuple(s * scale[k] for s in (1e-4, 1e-5, 1e-6))
            rows += finite_difference_table(problem, d0, g.design, objective, [k], steps, U0=ev.solve.U)
        say(f"\n{'variable':<24s} {'step':>8s} {'finite diff.':>16s} {'adjoint':>16s} {'rel. error':>10s}")
        for k, h, fd, adj, err in rows:
            say(f"{problem.space.names[k]:<24s} {h:8.1e} {fd:+16.8e} {adj:+16.8e} {err:10.2e}")
        record["fd_check"] = [dict(variable=problem.space.names[k], step=h, fd=fd, adjoint=adj, rel_error=err)
                              for k, h, fd, adj, err in rows]
    (args.out / "gradient.json").write_text(json.dumps(record, indent=2))
    say(f"wrote {args.out / 'gradient.json'} and {args.out / 'sensitivity.png'}")
    return 0
