"""Run a case's optimization into a results folder and write its summary, designs and figures.

Library code behind ``cfdopt optimize`` and ``cfdopt plot``: :func:`optimize_case` runs
:func:`cfdopt.optimize.driver.run_optimization` on a case (resuming from a checkpoint on request), solves the
final design once more and writes, into the results folder ``out``:

- ``checkpoint.npz``, ``history.csv``, ``events.log``, ``designs/NNNN/`` as the run goes
  (:class:`cfdopt.optimize.checkpoint.ResultsWriter`);
- ``designs/final/``: the final design (``airfoil.dat``, ``summary.json``) and its flow outputs
  (:func:`cfdopt.analysis.outputs.write_outputs`), whose ``solution.vtu`` is copied to ``out/solution.vtu``; with several
  flight points, each point's outputs in ``designs/final/NAME/`` and ``out/solution@NAME.vtu``;
- ``summary.json``: baseline and final coefficients, constraints, reductions, counts and times, and with
  warm starts the final design solved again from the free stream (:func:`free_stream_check`);
- ``convergence.png``, ``shape.png``, ``cp.png`` (:func:`draw_figures`, which ``cfdopt plot`` calls alone
  to redraw them from ``history.csv`` and ``designs/`` without solving).

Nothing is printed: progress rows and events go to the caller's callbacks; :func:`format_row` and
:func:`format_event` turn them into the one-line progress messages that ``cfdopt optimize`` prints.
"""

from __future__ import annotations

import json
import resource
import shutil
import time
from pathlib import Path

import numpy as np

from cfdopt.optimize.problem import OBJECTIVES
from cfdopt.optimize.verify import verification_line
from cfdopt.optimize.checkpoint import CHECKPOINT, Checkpoint, ResultsWriter, fingerprint
from cfdopt.optimize.multipoint import MultiPointProblem
from cfdopt.optimize.constraints import build_constraints
from cfdopt.optimize.driver import run_optimization, violation
from cfdopt.case.flight import point_config
from cfdopt.optimize.multipoint import COEFFICIENTS
from cfdopt.optimize.backends import problem_for
from cfdopt.flow.state import FlowConditions
from cfdopt.analysis.trim import trim
from cfdopt.optimize.verify import finer_mesh_check, judge
from cfdopt.util.errors import CfdoptError
from cfdopt.analysis.outputs import write_outputs
from cfdopt.optimize.checkpoint import read_history
from cfdopt.plots.optimize import plot_cp_comparison, plot_optimization_convergence, plot_shapes


def optimize_case(cfg, out: Path, resume: bool = False, progress=None, on_event=None, exaggerate: float = 1.0,
                  problem=None, backend=None) -> dict:
    """Run the case's optimization into ``out``; returns the summary written to ``out/summary.json``.

    Args:
        cfg: the case (:func:`cfdopt.case.schema.load_case`).
        out: results folder (exists).
        resume: replay ``out/checkpoint.npz`` and continue.
        progress: called with each iteration's history row.
        on_event: called with a dict for each failed (backed-off) evaluation.
        exaggerate: thickness exaggeration of ``shape.png``.
        problem: an :class:`cfdopt.optimize.problem.AeroProblem` of ``cfg`` (its first flight point) to reuse (its
            compiled functions); default a new one.
        backend: where the flight points are evaluated (:func:`cfdopt.optimize.backends.make_backend`); default this
            process. The final design's outputs are computed here.
    """
    t0 = time.perf_counter()
    out = Path(out)
    problem = MultiPointProblem(cfg, backend=backend, problem=problem)
    ckpt = Checkpoint(out / CHECKPOINT, fingerprint(cfg))
    cached, warm = ckpt.load() if resume else ([], None)
    constraints = build_constraints(cfg.optimize, problem.space)
    writer = ResultsWriter(out, problem.space, constraints.names, fresh=not resume,
                           surface_header=problem.surface_header())
    if not resume:
        ckpt.points = []

    def on_point(point, warm_record):
        ckpt.save(point, warm_record)

    def event(e):
        writer.event(e)
        if on_event is not None:
            on_event(e)

    initial = None
    if cfg.optimize.initial_design is not None:
        initial = problem.space.read(Path(cfg.case_dir) / cfg.optimize.initial_design)
    result = run_optimization(problem, cfg.optimize, cached=cached, warm=warm, on_point=on_point, on_event=event,
                              on_iteration=writer.iteration, progress=progress, initial=initial)
    final, base = result.final, result.baseline
    # from the flow the optimizer measured at the final design (absent when it was replayed from a checkpoint)
    U0 = result.final_state if cfg.optimize.warm_start else None
    parts = point_views(problem, final, base)
    evs = [prob.evaluate(f.design, U0=start) for (_, prob, f, _), start in zip(parts, problem.starts(U0))]
    summary = dict(
        case=str(cfg.case_dir), objective=cfg.optimize.objective, method=result.method, message=result.message,
        success=result.success, iterations=result.iterations, evaluations=result.evaluations,
        restarts=result.restarts, final_evaluation=final.index,
        failed_evaluations=result.failed, replayed_evaluations=len(cached),
        baseline=dict(cl=base.coefficients["cl"], cd=base.coefficients["cd"], cm=base.coefficients["cm"],
                      objective=base.objective, alpha=base.alpha,
                      constraints=dict(zip(constraints.names, base.cons.tolist()))),
        final=dict(cl=final.coefficients["cl"], cd=final.coefficients["cd"], cm=final.coefficients["cm"],
                   objective=final.objective, alpha=final.alpha, violation=violation(final, constraints),
                   constraints=dict(zip(constraints.names, final.cons.tolist())),
                   design=dict(zip(problem.space.names, final.design.tolist()))),
        feasible=result.feasible, feasibility_tolerance=cfg.optimize.feasibility_tolerance,
        cd_reduction_percent=100.0 * (1.0 - final.coefficients["cd"] / base.coefficients["cd"]),
        objective_reduction_percent=100.0 * (1.0 - final.objective / base.objective) if base.objective else None,
        flow_time_s=float(sum(r["flow_s"] for r in result.history)),
        adjoint_time_s=float(sum(r["adjoint_s"] for r in result.history)),
        failed_flow_time_s=float(sum(r["failed_s"] for r in result.history)),
        newton_iterations=int(sum(r["newton"] for r in result.history)),
        mesh=[problem.grid0.ni, problem.grid0.nj], mach=cfg.flow.mach, model=problem.numerics.model.label,
    )
    if not problem.single:
        summary["points"] = {name: dict(mach=p.mach, weight=p.weight, baseline=_coefficients(b),
                                        final=_coefficients(f)) for p, (name, _, f, b) in zip(problem.points, parts)}
    summary["warnings"] = []
    if not result.feasible:
        summary["warnings"].append(infeasible_warning(summary))
    checks = {}
    if cfg.optimize.warm_start:
        checks = {name: free_stream_check(prob, f, b) for name, prob, f, b in parts}
        summary["final_free_stream"] = checks[None] if problem.single else checks
        summary["free_stream_same_flow"] = all(c["same_solution"] for c in checks.values())
        for name, check in checks.items():
            if not check["same_solution"]:
                e = dict(evaluation=final.index, free_stream=check, **({} if name is None else dict(point=name)))
                event(e)
                summary["warnings"].append(format_event(e).strip().removeprefix("warning: "))
    if cfg.optimize.verify:
        summary["verification"] = verify(cfg, problem, parts, checks, summary["objective_reduction_percent"])
        if not summary["verification"]["verified"]:
            summary["warnings"].append(verification_line(summary["verification"]))
    trimmed = trimmed_baseline(problem, cfg, evs[0].solve.U, final)
    if trimmed is not None:
        summary["baseline_trimmed"] = trimmed
        summary["cd_reduction_trimmed_percent"] = (100.0 * (1.0 - final.coefficients["cd"] / trimmed["cd"])
                                                   if trimmed["converged"] else None)
    _write_final(out, problem, final, parts, evs, writer)
    summary["wall_time_s"] = time.perf_counter() - t0
    summary["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the process's, so far
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    draw_figures(out, cfg.optimize.objective, exaggerate)
    return summary


def point_views(problem, final, base) -> list[tuple]:
    """``(name, problem, final, base)`` per flight point of a :class:`cfdopt.optimize.multipoint.MultiPointProblem`: the
    point's :class:`cfdopt.optimize.problem.AeroProblem` and the final and baseline :class:`cfdopt.optimize.driver.Point` as seen
    at that point alone (its design vector, its coefficients). One point: ``[(None, problem.base, final, base)]``."""
    import dataclasses

    if problem.single:
        return [(None, problem.base, final, base)]

    def view(point, k, name):
        return dataclasses.replace(point, design=problem.local_design(point.design, k), alpha=point.coefficients[
            f"alpha@{name}"], coefficients={q: point.coefficients[f"{q}@{name}"] for q in COEFFICIENTS})

    return [(p.name, problem_for(point_config(problem.cfg, p)), view(final, k, p.name), view(base, k, p.name))
            for k, p in enumerate(problem.points)]


def _coefficients(point) -> dict:
    return dict(cl=point.coefficients["cl"], cd=point.coefficients["cd"], cm=point.coefficients["cm"], alpha=point.alpha)


def infeasible_warning(summary: dict) -> str:
    """The line that says a run found no feasible design (:func:`cfdopt.optimize.driver.select_final`)."""
    f = summary["final"]
    worst = max(f["constraints"], key=lambda k: abs(f["constraints"][k]))
    return (f"NO FEASIBLE DESIGN: every design evaluated violates a constraint by more than "
            f"{summary['feasibility_tolerance']:g}; the result is the least infeasible one (evaluation "
            f"{summary['final_evaluation']}, violation {f['violation']:.2e}, largest in {worst}). Raise "
            "[optimize] max_iterations, or check that the constraints can be met together")


def cl_target(cfg) -> float | None:
    """The target of the case's CL equality constraint when the angle of attack is a design variable (the
    fixed-lift problem of ADODG case 2), else None. Single flight point only."""
    if not cfg.design.alpha or cfg.flow.point:
        return None
    targets = [c.equal for c in cfg.optimize.all_constraints() if c.quantity == "cl" and c.equal is not None]
    return float(targets[0]) if len(targets) == 1 else None


def trimmed_baseline(problem, cfg, U_start, final) -> dict | None:
    """The baseline shape trimmed to the case's CL target (:func:`cl_target`), the reference of a fixed-lift
    drag reduction; None when the case has no such target.

    The optimizer starts at the case's alpha, where the baseline may have another lift (ADODG case 2: CL 0.782 at
    2.8 deg against 0.824), so its CD is not the drag at the target lift. The trim (:func:`cfdopt.analysis.trim.trim`)
    starts from ``U_start`` (the final design's flow, a neighbour of the baseline's on the same mesh) at the final
    alpha, and stops within ``[optimize] feasibility_tolerance`` of the target, the tolerance the final design's CL
    meets.

    Returns:
        ``alpha``, ``cl``, ``cd``, ``cm``, ``converged``, ``solves``, ``newton``, ``time_s``.
    """
    target = cl_target(cfg)  # None on a multi-point case
    if target is None:
        return None
    base = problem.base
    t0 = time.perf_counter()
    flow = FlowConditions(mach=base.mach, alpha=float(final.alpha), gamma=base.gamma)
    r = trim(base.grid0, flow, base.numerics, base.settings, target, U_warm=U_start,
             tol=cfg.optimize.feasibility_tolerance)
    p = r.point
    values = dict(alpha=p.alpha, cl=p.cl, cd=p.cd, cm=p.cm) if p is not None else {}
    return dict(**values, converged=r.converged, solves=len(r.points), newton=sum(q.iterations for q in r.points),
                time_s=time.perf_counter() - t0)


def verify(cfg, problem, parts, free_stream: dict, reduction: float | None) -> dict:
    """The verification of the final design (:mod:`cfdopt.optimize.verify`): ``verified``, ``reason``, the
    objective reduction on the case's mesh, from the free stream and on the finer mesh (``finer``), ``margin``."""
    finer = finer_mesh_check(cfg, problem.points, [b.design for _, _, _, b in parts],
                             [f.design for _, _, f, _ in parts], cfg.optimize.objective)
    verified, reason = judge(reduction, free_stream, finer, cfg.optimize.verify_margin)
    fs_reduction = None
    if free_stream and all(c.get("converged") for c in free_stream.values()):
        weights = [p.weight for p in problem.points]
        fs_objective = sum(w * float(OBJECTIVES[cfg.optimize.objective](free_stream[name]))
                           for w, (name, _, _, _) in zip(weights, parts))
        base_objective = sum(w * float(OBJECTIVES[cfg.optimize.objective](b.coefficients))
                             for w, (_, _, _, b) in zip(weights, parts))
        fs_reduction = 100.0 * (1.0 - fs_objective / base_objective) if base_objective else None
    return dict(verified=verified, reason=reason, reduction_percent=reduction,
                free_stream_reduction_percent=fs_reduction, finer=finer, margin=cfg.optimize.verify_margin)


def free_stream_check(problem, final, base, rtol: float = 1e-4) -> dict:
    """Solve the final design again from the free stream (mesh sequencing) and compare.

    Each optimizer evaluation started from the previous design's flow. Transonic flows can have more
    than one steady solution (Jameson 1991, AIAA 91-1625; docs/adodg1.md shows one at the ADODG case 1
    optimum), and the warm start
    picks the one nearest the path the optimizer took. Both states solve the same discrete equations to
    the tolerance, so their coefficients agree to about ``tolerance`` unless they are different
    solutions: ``rtol`` (1e-4 of CD) is far above the former and far below the latter.

    Returns:
        ``cl``, ``cd``, ``cm``, ``converged``, ``cd_reduction_percent`` of the free-stream solve and
        ``same_solution`` (its CD within ``rtol`` of the optimizer's).
    """
    try:
        ev = problem.evaluate(final.design)
    except CfdoptError as err:
        return dict(converged=False, same_solution=False, message=str(err))
    c = {k: float(ev.coefficients[k]) for k in ("cl", "cd", "cm")}
    same = abs(c["cd"] - final.coefficients["cd"]) <= rtol * abs(final.coefficients["cd"])
    return dict(**c, converged=True, same_solution=bool(same),
                cd_reduction_percent=100.0 * (1.0 - c["cd"] / base.coefficients["cd"]))


def _write_final(out: Path, problem, final, parts, evs, writer) -> None:
    """``designs/final/`` (with one subfolder of flow outputs per flight point when there are several) and
    ``out/solution.vtu`` (``solution@NAME.vtu`` per point)."""
    folder = out / "designs" / "final"
    writer.write_design(folder, final, dict(evaluation=final.index))
    for (name, prob, _, _), ev in zip(parts, evs):
        where = folder if name is None else folder / name
        where.mkdir(parents=True, exist_ok=True)
        flow_summary = dict(cl=ev.coefficients["cl"], cd=ev.coefficients["cd"])
        write_outputs(where, ev.grid, ev.flow, prob.numerics.model, ev.solve, flow_summary)
        shutil.copyfile(where / "solution.vtu", out / ("solution.vtu" if name is None else f"solution@{name}.vtu"))


def _load_design(folder: Path):
    """``(surface, cp, labels)``: the airfoil, the ``surface.csv`` columns and the names of its Cp columns."""
    surface = np.loadtxt(folder / "airfoil.dat", skiprows=1)
    cp_path = folder / "surface.csv"
    if not cp_path.is_file():
        return surface, None, ()
    labels = tuple(c.removeprefix("cp@") for c in cp_path.read_text().split("\n", 1)[0].split(",")[2:])
    return surface, np.loadtxt(cp_path, delimiter=",", skiprows=1, ndmin=2), labels


def draw_figures(out: Path, objective: str = "cd", exaggerate: float = 1.0) -> list[Path]:
    """convergence.png, shape.png and cp.png from ``history.csv`` and ``designs/`` (no solving)."""
    out = Path(out)
    history = out / "history.csv"
    if not history.is_file():
        raise CfdoptError(f"{history}: no optimization history (run cfdopt optimize first)")
    rows = read_history(history)
    designs = sorted(p for p in (out / "designs").glob("[0-9][0-9][0-9][0-9]") if p.is_dir())
    final_dir = out / "designs" / "final"
    last = final_dir if (final_dir / "airfoil.dat").is_file() else designs[-1]
    base_xy, base_cp, labels = _load_design(designs[0])
    opt_xy, opt_cp, _ = _load_design(last)
    first, end = rows[0], rows[-1]
    title = f"{objective}: {first['objective']:.6g} -> {end['objective']:.6g} in {int(end['iteration'])} iterations"
    paths = [out / "convergence.png", out / "shape.png", out / "cp.png"]
    plot_optimization_convergence(rows, paths[0], objective, title)
    plot_shapes(base_xy, opt_xy, paths[1], exaggerate, title)
    if base_cp is not None and opt_cp is not None:
        plot_cp_comparison(base_cp, opt_cp, paths[2],
                           f"CD {first['cd']:.5f} -> {end['cd']:.5f}, CL {first['cl']:.4f} -> {end['cl']:.4f}"
                           + ("" if len(labels) < 2 else " (weighted means)"), labels=labels)
    return paths


def summary_table(s: dict, wall_s: float, peak_mb: float) -> str:
    """The table the run scripts print after a run (``scripts/run_optimization.py``): results, robustness, cost."""
    b, f = s["baseline"], s["final"]
    rows = [("mesh (cells)", f"{s['mesh'][0]} x {s['mesh'][1]}"), ("baseline CD", f"{b['cd']:.6f}"),
            ("optimized CD", f"{f['cd']:.6f}"), ("reduction (%)", f"{s['cd_reduction_percent']:.1f}")]
    t = s.get("baseline_trimmed")
    if t is not None:
        rows += [("baseline trimmed to the CL target", f"CD {t['cd']:.6f} at alpha {t['alpha']:.3f} (CL {t['cl']:.5f})"
                  if t["converged"] else "not converged"),
                 ("reduction at the target CL (%)", "-" if not t["converged"]
                  else f"{s['cd_reduction_trimmed_percent']:.1f}")]
    fs = s.get("final_free_stream")
    checks = {} if fs is None else {"": fs} if "converged" in fs else {f" @{k}": v for k, v in fs.items()}
    for where, c in checks.items():  # one check, or one per flight point
        cd_fs = f"{c['cd']:.6f} ({c['cd_reduction_percent']:.1f}%)" if c["converged"] else "not converged"
        rows.append((f"same design, free-stream CD{where}", cd_fs + ("" if c["same_solution"] else "  <- another flow")))
    v = s.get("verification")
    if v is not None:
        fine = v["finer"]
        cells = f"{fine['mesh'][0]} x {fine['mesh'][1]}"
        rows.append((f"finer mesh {cells}: CD", f"{fine['baseline']['cd']:.6f} -> {fine['final']['cd']:.6f} "
                     f"({fine['objective_reduction_percent']:.1f}% objective reduction)" if fine["converged"]
                     else fine["message"]))
        rows.append(("verified", "yes" if v["verified"] else f"NO: {v['reason']}"))
    rows += [("baseline / final CL", f"{b['cl']:+.4f} / {f['cl']:+.4f}"),
             ("baseline / final CM", f"{b['cm']:+.4f} / {f['cm']:+.4f}"),
             ("feasible / max violation", f"{'yes' if s['feasible'] else 'NO'} / {f['violation']:.2e}"),
             ("iterations / evaluations", f"{s['iterations']} / {s['evaluations']}"),
             ("restarts / final evaluation", f"{s['restarts']} / {s['final_evaluation']}"),
             ("failed evaluations", f"{s['failed_evaluations']} ({s['failed_flow_time_s']:.0f} s of flow solves)"),
             ("Newton iterations", f"{s['newton_iterations']}"),
             ("wall time (min)", f"{wall_s / 60:.1f}"),
             ("flow / adjoint time (min)", f"{s['flow_time_s'] / 60:.1f} / {s['adjoint_time_s'] / 60:.1f}"),
             ("peak memory (MB)", f"{peak_mb:.0f}"), ("optimizer message", s["message"])]
    return "\n".join(f"{k:<28s} {v}" for k, v in rows)


def format_row(row: dict) -> str:
    """One progress line: iteration, objective, CL, CD, CM, |grad|, violation, Newton iterations, time."""
    tag = "  (from checkpoint)" if row.get("replayed") else ""
    failed = f"  {int(row['failed'])} failed ({row.get('failed_s', 0.0):.1f} s)" if row.get("failed") else ""
    return (f"iter {int(row['iteration']):3d}  obj {row['objective']:+.6e}  CL {row['cl']:+.5f}  CD {row['cd']:.6f}  "
            f"CM {row['cm']:+.5f}  |grad| {row['grad_norm']:.2e}  viol {row['violation']:.1e}  "
            f"Newton {int(row.get('newton', 0)):3d}  time {row['flow_s'] + row['adjoint_s']:6.1f} s{failed}{tag}")


def format_event(e: dict) -> str:
    """One progress line for an optimizer event (a backed-off evaluation, a restart, a second flow solution)."""
    if "restart" in e:
        return f"  restart {e['restart']}: {e['message']}"
    if "free_stream" in e:
        fs = e["free_stream"]
        design = "the final design" + (f" at flight point {e['point']!r}" if "point" in e else "")
        if not fs.get("converged"):
            return f"  warning: {design} did not converge from the free stream ({fs.get('message', '')})"
        return (f"  warning: from the free stream {design} solves to a different flow: CD {fs['cd']:.6f} "
                f"({fs['cd_reduction_percent']:+.1f}% reduction), CL {fs['cl']:+.5f}. The flow has more than one "
                "steady solution; the optimizer's CD holds only on the branch it followed (summary.json: "
                "free_stream_same_flow = false)")
    return f"  evaluation {e['evaluation']}: step backed off ({e['message']})"
