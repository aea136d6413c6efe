"""``cfdopt optimize CASE``: adjoint shape optimization; history, design folders, figures, summary, resume.

Parses, calls :func:`cfdopt.optimize.run.optimize_case` and prints its progress and result.
"""

from __future__ import annotations

import sys

INFEASIBLE_EXIT = 4
"""Exit status of a run that evaluated no design meeting the constraints (its result is the least infeasible)."""

HELP = ("optimize the airfoil shape (adjoint gradients, L-BFGS-B or SLSQP); write history.csv, designs/, "
        "summary.json, solution.vtu, convergence.png, shape.png, cp.png")


def add_arguments(parser) -> None:
    parser.add_argument("--resume", action="store_true",
                        help="continue an interrupted run from OUT/checkpoint.npz without repeating finished work")
    parser.add_argument("--exaggerate", type=float, default=1.0, metavar="FACTOR",
                        help="thickness exaggeration of shape.png (default 1: true shape)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="evaluate the flight points on a local Dask cluster of N worker processes "
                             "(default: one after the other in this process)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="evaluate the flight points on the workers of a running Dask scheduler "
                             "(tcp://host:8786; docs/parallel.md)")


def run(args, cfg) -> int:
    from cfdopt.case.flight import case_points
    from cfdopt.optimize.run import format_event, format_row, optimize_case
    from cfdopt.optimize.backends import make_backend
    from cfdopt.case.build import flow_model
    from cfdopt.optimize.verify import verification_line

    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    points = case_points(cfg)
    where = ", ".join(f"M {p.mach:g}, alpha {p.alpha:g} deg" + ("" if len(points) == 1 else f" ({p.name}, weight "
                                                                 f"{p.weight:g})") for p in points)
    with make_backend(args.workers, args.scheduler) as backend:
        say(f"optimizing {cfg.geometry.airfoil} ({flow_model(cfg).label}) at {where}: minimize "
            f"{cfg.optimize.objective}, {cfg.design.parametrization}, up to {cfg.optimize.max_iterations} iterations"
            + (f" on {backend.workers} Dask workers" if args.workers or args.scheduler else "")
            + (" (resuming)" if args.resume else ""))
        summary = optimize_case(cfg, args.out, resume=args.resume, progress=lambda r: say(format_row(r)),
                                on_event=lambda e: say(format_event(e)), exaggerate=args.exaggerate,
                                backend=backend)
    b, f = summary["baseline"], summary["final"]
    say(f"{summary['message']}")
    fs = "" if summary.get("free_stream_same_flow", True) else "; from the free stream: ANOTHER FLOW (see warning)"
    say(("feasible" if summary["feasible"] else "INFEASIBLE") + f" result: evaluation {summary['final_evaluation']}"
        f", {summary['failed_evaluations']} failed evaluations ({summary['failed_flow_time_s']:.0f} s of "
        f"{summary['flow_time_s']:.0f} s of flow solves){fs}")
    say(f"CD {b['cd']:.6f} -> {f['cd']:.6f} ({summary['cd_reduction_percent']:+.1f}% reduction), CL {b['cl']:.5f} -> "
        f"{f['cl']:.5f}, CM {b['cm']:+.5f} -> {f['cm']:+.5f}, max violation {f['violation']:.1e}; "
        f"{summary['iterations']} iterations, {summary['evaluations']} evaluations, "
        f"{summary['wall_time_s']:.0f} s; results in {args.out}")
    t = summary.get("baseline_trimmed")
    if t is not None and t["converged"]:
        say(f"at the target CL {t['cl']:.4f} the baseline (alpha {t['alpha']:.3f} deg) has CD {t['cd']:.6f}: "
            f"{summary['cd_reduction_trimmed_percent']:+.1f}% reduction at equal lift")
    for warning in summary["warnings"]:
        print(f"cfdopt optimize: warning: {warning}", file=sys.stderr)
    if "verification" in summary:
        say(verification_line(summary["verification"]))
    return 0 if summary["feasible"] else INFEASIBLE_EXIT
