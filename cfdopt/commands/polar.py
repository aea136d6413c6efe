"""``cfdopt polar CASE``: sweep alpha (or Mach) as ``[polar]`` asks; write polar.csv and polar.png."""

from __future__ import annotations

import argparse
import sys
import time

ONE_FLIGHT_POINT = True  # a multi-point case needs --point NAME (cfdopt.case.flight.single_point)
HELP = ("sweep the angle of attack (or Mach number) of [polar], each point started from its neighbour's flow; "
        "write polar.csv and polar.png (CL-alpha, CL-CD, CM-alpha)")


def _floats(text: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas or spaces, got {text!r}") from None


def add_arguments(parser) -> None:
    parser.add_argument("--values", type=_floats, nargs="+", default=None, metavar="V",
                        help="values of [polar] variable, e.g. --values -2 0 2 4 or --values=-2,0,2,4 "
                             "(the same as --set polar.values=[-2,0,2,4])")


def _progress(p) -> None:
    head = f"alpha {p.alpha:7.3f}  M {p.mach:.4f}"
    if p.converged:
        print(f"{head}  CL {p.cl:+.6f}  CD {p.cd:+.6f}  CM {p.cm:+.6f}  {p.iterations:3d} it from {p.start}  "
              f"{p.time_s:6.1f} s", flush=True)
    else:
        print(f"{head}  not converged ({p.message})", flush=True)


def _title(cfg) -> str:
    fixed = f"alpha {cfg.flow.alpha:g} deg" if cfg.polar.variable == "mach" else f"M {cfg.flow.mach:g}"
    return f"{cfg.geometry.airfoil} ({cfg.flow.model}), {fixed}"


def run(args, cfg) -> int:
    from cfdopt.case.schema import load_case
    from cfdopt.plots.polar import plot_polar
    from cfdopt.analysis.polar import case_polar, write_csv

    t0 = time.perf_counter()
    if args.values is not None:
        values = [v for group in args.values for v in group]
        cfg = load_case(cfg.case_dir, [*args.overrides, f"polar.values={values!r}"])
    p = cfg.polar
    if not args.quiet:
        print(f"polar of {cfg.geometry.airfoil} over {p.variable} = {', '.join(f'{v:g}' for v in p.values)} "
              f"(M {cfg.flow.mach:g}, alpha {cfg.flow.alpha:g} deg)", flush=True)
    points = case_polar(cfg, on_point=None if args.quiet else _progress)
    write_csv(points, args.out / "polar.csv")
    converged = [q for q in points if q.converged]
    if converged:
        plot_polar(points, p.variable, args.out / "polar.png", title=_title(cfg))
    if not args.quiet:
        print(f"{len(converged)} of {len(points)} points converged in {time.perf_counter() - t0:.1f} s; "
              f"results in {args.out}")
    for q in points:
        if not q.converged:
            print(f"cfdopt polar: warning: {p.variable} {getattr(q, p.variable):g} skipped: {q.message}",
                  file=sys.stderr)
    if not converged:
        print("cfdopt polar: error: no point converged", file=sys.stderr)
        return 3
    return 0
