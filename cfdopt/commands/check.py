"""``cfdopt check CASE``: validate the case file and print the resolved configuration; for a rans-sa case also build
its grid and say on stderr, one line each, where it leaves the verified envelope (:mod:`cfdopt.mesh.envelope`)."""

import sys

from cfdopt.case.schema import format_config

WRITES_RESULTS = False
HELP = ("validate a case file and print the resolved configuration (and, for rans-sa, where its grid leaves the "
        "verified envelope)")


def run(args, cfg) -> int:
    print(format_config(cfg))
    from cfdopt.mesh.envelope import checks_grid, envelope_warnings

    if checks_grid(cfg):
        from cfdopt.optimize.problem import baseline_grid

        for line in envelope_warnings(cfg, baseline_grid(cfg)):
            print(f"cfdopt check: warning: {line}", file=sys.stderr)
    return 0
