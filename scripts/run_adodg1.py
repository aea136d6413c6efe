"""ADODG case 1 (NACA 0012, M 0.85, alpha 0, inviscid drag minimization, thickness >= baseline), full run.

Prints one line per optimizer iteration, then the table of ``scripts/run_optimization.py``: baseline and
optimized CD, reduction in percent, iterations, evaluations, wall time and peak memory. Published:
Telidetzki, Osusky & Zingg (2014), AIAA 2014-0571, report an 86% reduction; the target here is >= 80% in
under an hour on 2 cores.

    python scripts/run_adodg1.py [--out DIR] [--resume] [--set section.key=value ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_optimization import run  # noqa: E402

if __name__ == "__main__":
    run(Path(__file__).resolve().parents[1] / "cases" / "adodg1-naca0012")
