"""``cfdopt optimize CASE``: adjoint shape optimization; history, design folders, figures, summary, resume.

Parses, calls :func:`cfdopt.optimize_run.optimize_case` and prints its progress and result.
"""

from __future__ import annotations

HELP = ("optimize the airfoil shape (adjoint gradients, L-BFGS-B or SLSQP); write history.csv, designs/, "
        "summary.json, solution.vtu, convergence.png, shape.png, cp.png")


def add_arguments(parser) -> None:
    parser.add_argument("--resume", action="store_true",
                        help="continue an interrupted run from OUT/checkpoint.npz without repeating finished work")
    parser.add_argument("--exaggerate", type=float, default=1.0, metavar="FACTOR",
                        help="thickness exaggeration of shape.png (default 1: true shape)")


def format_row(row: dict) -> str:
    """One progress line: iteration, objective, CL, CD, CM, |grad|, violation, time."""
    tag = "  (from checkpoint)" if row.get("replayed") else ""
    failed = f"  {int(row['failed'])} failed" if row.get("failed") else ""
    return (f"iter {int(row['iteration']):3d}  obj {row['objective']:+.6e}  CL {row['cl']:+.5f}  CD {row['cd']:.6f}  "
            f"CM {row['cm']:+.5f}  |grad| {row['grad_norm']:.2e}  viol {row['violation']:.1e}  "
            f"time {row['flow_s'] + row['adjoint_s']:6.1f} s{failed}{tag}")


def format_event(e: dict) -> str:
    """One progress line for an optimizer event (a backed-off evaluation, a restart, a second flow solution)."""
    if "restart" in e:
        return f"  restart {e['restart']}: {e['message']}"
    if "free_stream" in e:
        fs = e["free_stream"]
        if not fs.get("converged"):
            return f"  warning: the final design did not converge from the free stream ({fs.get('message', '')})"
        return (f"  warning: from the free stream the final design solves to a different flow: CD {fs['cd']:.6f} "
                f"({fs['cd_reduction_percent']:+.1f}% reduction), CL {fs['cl']:+.5f}. The flow has more than one "
                "steady solution; the optimizer's CD holds only on the branch it followed (summary.json: "
                "final_free_stream)")
    return f"  evaluation {e['evaluation']}: step backed off ({e['message']})"


def run(args, cfg) -> int:
    from cfdopt.optimize_run import optimize_case
    from cfdopt.setup import flow_model

    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    say(f"optimizing {cfg.geometry.airfoil} ({flow_model(cfg).label}) at M {cfg.flow.mach:g}, alpha {cfg.flow.alpha:g} deg: minimize "
        f"{cfg.optimize.objective}, {cfg.design.parametrization}, up to {cfg.optimize.max_iterations} iterations"
        + (" (resuming)" if args.resume else ""))
    summary = optimize_case(cfg, args.out, resume=args.resume, progress=lambda r: say(format_row(r)),
                            on_event=lambda e: say(format_event(e)),
                            exaggerate=args.exaggerate)
    b, f = summary["baseline"], summary["final"]
    say(f"{summary['message']}")
    say(f"CD {b['cd']:.6f} -> {f['cd']:.6f} ({summary['cd_reduction_percent']:+.1f}% reduction), CL {b['cl']:.5f} -> "
        f"{f['cl']:.5f}, CM {b['cm']:+.5f} -> {f['cm']:+.5f}, max violation {f['violation']:.1e}; "
        f"{summary['iterations']} iterations, {summary['evaluations']} evaluations, "
        f"{summary['wall_time_s']:.0f} s; results in {args.out}")
    return 0
