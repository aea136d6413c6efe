"""``cfdopt plot CASE``: redraw the optimization figures from the saved history (no solving)."""

from __future__ import annotations

HELP = "redraw convergence.png, shape.png and cp.png of an optimization from OUT/history.csv and OUT/designs/"
WRITES_RESULTS = False


def add_arguments(parser) -> None:
    parser.add_argument("--exaggerate", type=float, default=1.0, metavar="FACTOR",
                        help="thickness exaggeration of shape.png (default 1: true shape)")


def run(args, cfg) -> int:
    from cfdopt.optimize.run import draw_figures

    paths = draw_figures(args.out, cfg.optimize.objective, args.exaggerate)
    if not args.quiet:
        print("wrote " + ", ".join(str(p) for p in paths))
    return 0
