"""The example of docs/polar.md: ``cfdopt polar cases/naca0012-subsonic --values -2 0 2 4 6``, then its polar.csv
as the Markdown table the page quotes.

    python scripts/polar_example.py [--out DIR]

The command's own progress lines come first (their times are this machine's); the table has no times.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path

from cfdopt import cli

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ["polar", str(ROOT / "cases" / "naca0012-subsonic"), "--values", "-2", "0", "2", "4", "6"]


def markdown_table(path: Path) -> str:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    out = ["| alpha (deg) | CL | CD | CM | Newton iterations | start |", "|---|---|---|---|---|---|"]
    for r in rows:
        coefs = " | ".join(f"{round(float(r[k]), 5) or 0.0:.5f}" for k in ("cl", "cd", "cm"))  # no "-0.00000"
        out.append(f"| {float(r['alpha']):g} | {coefs} | {r['iterations']} | {r['start']} |")
    return "\n".join(out)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="results folder (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        code = cli.main([*COMMAND, "--out", str(out)])
        print()
        print(markdown_table(out / "polar.csv"))
    sys.exit(code)
