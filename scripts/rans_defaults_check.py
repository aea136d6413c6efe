"""A new user's rans-sa case on the old defaults, on the new ones, and with a new user's own cell counts.

The case states only the physics of the NASA TMR NACA 0012 validation case (sharp trailing edge, M 0.15, alpha 10,
Re 6e6, T 300 K) and a mesh of TMR's 225 x 65 size. Rows (docs/rans.md, "Defaults of a rans-sa case"):

- ``old defaults``: counts a new user would pick for that size (160 on the airfoil, 32 per wake branch, 64 normal;
  and 192 / 16 / 64) with the rans-sa defaults before 2026-12-07 (``OLD_DEFAULTS``, now explicit overrides);
- ``new defaults, size 225``: ``[mesh] size = 225`` and nothing else; its grid, numerics and settings are first
  checked to be those of cases/tmr-naca0012 (bit for bit), so its solve is that case's;
- ``new defaults, 160 / 32 / 64``: the new defaults with the new user's counts (``[mesh] size = "none"``).

Each row is one solve from the free stream; the table gives CL, CD, Newton iterations, wall time and the load
average, and each row's place against TMR's equal-grid band at alpha 10 (225x65: CL 1.082906-1.083259, CD
0.014440-0.014992, CFL3D and FUN3D). The envelope lines (:mod:`cfdopt.mesh.envelope`) of each row are printed.

    python scripts/rans_defaults_check.py [--rows old old16 new counts]
    python scripts/rans_defaults_check.py --envelope    (grids only: the measures of docs/mesh.md's envelope table)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from cfdopt.cli import enable_compilation_cache
from cfdopt.case.schema import load_case
from cfdopt.mesh import quality_report
from cfdopt.mesh.cgrid import wall_spacing_for_yplus
from cfdopt.mesh.envelope import envelope_warnings
from cfdopt.optimize.problem import baseline_grid
from cfdopt.case.build import flow_setup
from cfdopt.solve.newton import solve_flow

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from verify_tmr import NACA_BANDS  # noqa: E402

PHYSICS = """[geometry]
airfoil = "naca0012-sharp"

[flow]
model = "rans-sa"
mach = 0.15
alpha = 10.0
reynolds = 6e6
temperature = 300.0
"""
NEW_USER_COUNTS = ["mesh.n_airfoil=160", "mesh.n_wake=32", "mesh.n_normal=64"]
FEW_WAKE_COUNTS = ["mesh.n_airfoil=192", "mesh.n_wake=16", "mesh.n_normal=64"]
OLD_DEFAULTS = ["mesh.farfield=100", "mesh.normal_spacing=boundary-layer", "mesh.wake_aspect=none",
                "numerics.entropy_fix_linear=0.002", "numerics.point_vortex=false", "numerics.mesh_levels=3",
                "numerics.max_iterations=100"]
"""The rans-sa defaults before 2026-12-07, as overrides."""
ROWS = {
    "old": ("old defaults, 160 / 32 / 64", NEW_USER_COUNTS + OLD_DEFAULTS),
    "old16": ("old defaults, 192 / 16 / 64", FEW_WAKE_COUNTS + OLD_DEFAULTS),
    "new": ("new defaults, size 225", ["mesh.size=225"]),
    "counts": ("new defaults, 160 / 32 / 64", NEW_USER_COUNTS),
}


def same_as_tmr_case(cfg, grid) -> bool:
    """Whether ``cfg`` and ``grid`` are cases/tmr-naca0012's: nodes bit for bit, flow_setup's dataclasses equal."""
    tmr = load_case(ROOT / "cases" / "tmr-naca0012")
    same_grid = np.array_equal(np.asarray(grid.nodes), np.asarray(baseline_grid(tmr).nodes))
    a, b = flow_setup(cfg), flow_setup(tmr)
    return same_grid and all(dataclasses.asdict(getattr(a, k)) == dataclasses.asdict(getattr(b, k))
                             for k in ("numerics", "settings", "flow"))


def band_note(cl: float, cd: float) -> str:
    (cl_lo, cl_hi), (cd_lo, cd_hi) = NACA_BANDS["225x65"]

    def place(v, lo, hi):
        if lo <= v <= hi:
            return "inside"
        return f"{100 * (v - lo) / lo:+.1f}%" if v < lo else f"{100 * (v - hi) / hi:+.1f}%"

    return f"CL {place(cl, cl_lo, cl_hi)}, CD {place(cd, cd_lo, cd_hi)}"


def run_row(case: Path, label: str, overrides: list[str]) -> dict:
    cfg = load_case(case, overrides)
    grid = baseline_grid(cfg)
    lines = envelope_warnings(cfg, grid)
    print(f"{label}: {grid.ni} x {grid.nj} cells; envelope: {len(lines)} line(s)", flush=True)
    for line in lines:
        print(f"  warning: {line}")
    same = same_as_tmr_case(cfg, grid)
    if "size" in label:
        print(f"  same grid, numerics and settings as cases/tmr-naca0012: {same}", flush=True)
    setup = flow_setup(cfg)
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    res = solve_flow(grid, setup.flow, setup.numerics, setup.settings)
    wall = time.perf_counter() - t0
    c = {k: float(v) for k, v in res.coefficients.items()}
    row = dict(label=label, cl=c["cl"], cd=c["cd"], iterations=res.iterations, converged=res.converged, wall_s=wall,
               load=(load0 + os.getloadavg()[0]) / 2, warnings=len(lines), same_as_tmr=same)
    print(f"  CL {row['cl']:.5f}  CD {row['cd']:.6f}  {res.iterations} Newton iterations, {wall:.0f} s, "
          f"converged {res.converged} ({res.message})", flush=True)
    return row


ENVELOPE_GRIDS = [
    ("size 225 (cases/tmr-naca0012)", None, ["mesh.size=225"]),
    ("size 449 (its family refinement)", None, ["mesh.size=449"]),
    ("size 897", None, ["mesh.size=897"]),
    ("size 113", None, ["mesh.size=113"]),
    ("size 225, Re 6.5e6", None, ["mesh.size=225", "flow.reynolds=6.5e6"]),
    ("size 225, Re 1e7", None, ["mesh.size=225", "flow.reynolds=1e7"]),
    ("160 / 32 / 64", None, NEW_USER_COUNTS),
    ("192 / 16 / 64", None, FEW_WAKE_COUNTS),
    ("160 / 32 / 64, old defaults", None, NEW_USER_COUNTS + OLD_DEFAULTS),
    ("size 225, boundary-layer spacing", None, ["mesh.size=225", "mesh.normal_spacing=boundary-layer"]),
    ("128 / 48 / 56", None, ["mesh.n_normal=56"]),
    ("size 225, first cell 3.2e-6 (TMR's)", None, ["mesh.size=225", "mesh.wall_spacing=3.2e-6"]),
    ("size 225, first cell 1e-5", None, ["mesh.size=225", "mesh.wall_spacing=1e-5"]),
] + [(f"cases/{name}", ROOT / "cases" / name, []) for name in (
    "rans-quick", "quickstart-rans", "sa-clip-study", "sa-clip-active", "adodg2-rae2822")]


def envelope_table(case: Path) -> None:
    """The envelope's measures (:mod:`cfdopt.mesh.envelope`) of the verified grids and of grids outside them."""
    print("| grid | wake-cut ratio | normal growth | surface ratio | y+ estimate | envelope lines |")
    print("|---|---|---|---|---|---|")
    for label, folder, overrides in ENVELOPE_GRIDS:
        cfg = load_case(folder or case, overrides)
        grid = baseline_grid(cfg)
        q = quality_report(grid)
        y_plus = q.max_wall_spacing / wall_spacing_for_yplus(cfg.flow.reynolds)
        surface = max(q.max_surface_ratio, q.te_junction_ratio)
        print(f"| {label} | {q.max_wake_ratio:.3f} | {q.max_growth:.3f} | {surface:.3f} | {y_plus:.2f} | "
              f"{len(envelope_warnings(cfg, grid))} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="+", choices=tuple(ROWS), default=list(ROWS))
    parser.add_argument("--envelope", action="store_true", help="print the envelope measures of grids, no solves")
    args = parser.parse_args()
    enable_compilation_cache()
    with tempfile.TemporaryDirectory() as tmp:
        case = Path(tmp)
        (case / "case.toml").write_text(PHYSICS)
        if args.envelope:
            envelope_table(case)
            return
        rows = [run_row(case, *ROWS[name]) for name in args.rows]
    print("\n| case | CL | CD | TMR 225x65 band | Newton its | time (s) | load | envelope lines |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        conv = "" if r["converged"] else " (not converged)"
        print(f"| {r['label']}{conv} | {r['cl']:.5f} | {r['cd']:.6f} | {band_note(r['cl'], r['cd'])} | "
              f"{r['iterations']} | {r['wall_s']:.0f} | {r['load']:.1f} | {r['warnings']} |")


if __name__ == "__main__":
    main()
