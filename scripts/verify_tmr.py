"""Verify RANS-SA against the NASA Turbulence Modeling Resource (TMR): flat plate and NACA 0012.

    python scripts/verify_tmr.py flatplate [--levels 3]
    python scripts/verify_tmr.py naca0012 [--alpha 0 10 15] [--grids 225 449] [--su2 n0012_225-65.su2 ...]

``flatplate`` solves ``cases/tmr-flatplate`` on its 137 x 97-class grid and the coarser levels of its
family (every other node), and prints Cf at x = 0.970084 and the plate's CD per level against CFL3D and
FUN3D on the same-size TMR grids, with the observed order of convergence; ``naca0012`` solves
``cases/tmr-naca0012`` at each incidence on the 225 x 65-class grid (the case's) and the 449 x 129-class
grid (its refinement by one level of the family: twice the cells each way, first cell and growth as
TMR's family refines them) and prints CL, CD and their pressure and viscous parts against the
TMR bands. ``--su2 FILE`` also solves the case on a grid read from an SU2 file
(:func:`cfdopt.mesh.su2.read_su2_cgrid`): TMR's own ``n0012_225-65.su2`` (distributed with SU2's TestCases,
``rans/naca0012``; not shipped here) gives the comparison at equal grids. Figures go to ``docs/figures/`` (``--figures DIR``); the tables are what ``docs/rans.md``
quotes. Reference values: ``../shared/data/REFERENCES.md``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from cfdopt.cli import enable_compilation_cache
from cfdopt.case.schema import load_case
from cfdopt.flow.forces import surface_cp
from cfdopt.flow.rans.terms import skin_friction
from cfdopt.mesh.coarsen import coarsen
from cfdopt.mesh.su2 import read_su2_cgrid
from cfdopt.optimize.problem import baseline_grid
from cfdopt.optimize.verify import family_refinement
from cfdopt.case.build import flow_setup
from cfdopt.solve.newton import solve_flow

ROOT = Path(__file__).resolve().parents[1]
X_CF = 0.970084

# NASA TMR, FlatPlate/SA/cf_convergence.dat and drag_convergence.dat (REFERENCES.md), by grid
FLATPLATE_REF = {
    "545x385": dict(cfl3d_cf=0.00270562, fun3d_cf=0.00270540, cfl3d_cd=0.00285985, fun3d_cd=0.00285247),
    "273x193": dict(cfl3d_cf=0.00270674, fun3d_cf=0.00270448, cfl3d_cd=0.00286131, fun3d_cd=0.00284793),
    "137x97": dict(cfl3d_cf=0.00271115, fun3d_cf=0.00270215, cfl3d_cd=0.00286621, fun3d_cd=0.00284005),
    "69x49": dict(cfl3d_cf=0.00272835, fun3d_cf=0.00269498, cfl3d_cd=0.00288438, fun3d_cd=0.00282264),
    "35x25": dict(cfl3d_cf=0.00279569, fun3d_cf=0.00266738, cfl3d_cd=0.00295438, fun3d_cd=0.00277386),
}
# NASA TMR NACA 0012 at alpha 10, family II, no point vortex (REFERENCES.md): (CL band, CD band) per grid
NACA_BANDS = {
    "225x65": ((1.082906, 1.083259), (0.014440, 0.014992)),
    "449x129": ((1.087349, 1.090579), (0.012757, 0.012828)),
    "converged": ((1.0909, 1.0913), (0.01221, 0.01227)),
}
CD_ALPHA0_897 = (0.00812, 0.0081925)  # FUN3D, CFL3D on 897x257 with the point vortex (naca0012_val_sa.html)


def _progress(h):
    print(f"    iter {h['iteration']:3d}  level {h['level']}  residual {h['residual']:.2e}  CL {h['cl']:+.5f}  "
          f"CD {h['cd']:.6f}  {h['time_s']:6.1f} s", flush=True)


def _solve(grid, setup, label):
    t = time.perf_counter()
    res = solve_flow(grid, setup.flow, setup.numerics, setup.settings, callback=_progress)
    wall = time.perf_counter() - t
    status = "converged" if res.converged else "NOT CONVERGED"
    print(f"  {label}: {status} in {res.iterations} Newton iterations, {wall:.0f} s ({res.message})", flush=True)
    return res, wall


def flatplate(args) -> dict:
    cfg = load_case(ROOT / "cases" / "tmr-flatplate", args.set)
    setup = flow_setup(cfg)
    grids = [baseline_grid(cfg)]
    while len(grids) < args.levels:
        grids.append(coarsen(grids[-1]))
    rows, curves = [], []
    for grid in grids:
        name = f"{grid.ni + 1}x{grid.nj + 1}"
        res, wall = _solve(grid, setup, name)
        x, cf = (np.asarray(a) for a in skin_friction(jnp.asarray(res.U), grid, setup.flow, setup.model))
        cf_x = float(np.interp(X_CF, x[:, 0], cf))
        rows.append(dict(grid=name, cf=cf_x, cd=float(res.coefficients["cd"]), iterations=res.iterations,
                         converged=res.converged, residual=res.residual_drop, wall_s=wall, **FLATPLATE_REF.get(name, {})))
        curves.append((name, x[:, 0], cf))
    print("\n| grid | Cf(0.970084) | CFL3D | FUN3D | vs CFL3D | CD | CFL3D | FUN3D | vs CFL3D | Newton its |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['grid']} | {r['cf']:.6f} | {r.get('cfl3d_cf', float('nan')):.6f} | {r.get('fun3d_cf', float('nan')):.6f} "
              f"| {100 * (r['cf'] / r['cfl3d_cf'] - 1):+.2f}% | {r['cd']:.6f} | {r['cfl3d_cd']:.6f} | {r['fun3d_cd']:.6f} "
              f"| {100 * (r['cd'] / r['cfl3d_cd'] - 1):+.2f}% | {r['iterations']} |")
    if len(rows) >= 3:
        for key in ("cf", "cd"):
            f1, f2, f3 = (rows[k][key] for k in range(3))
            p = np.log(abs((f3 - f2) / (f2 - f1))) / np.log(2.0)
            extrapolated = f1 + (f1 - f2) / (2.0**p - 1.0)
            print(f"observed order of {key}: {p:.2f}; Richardson extrapolation {extrapolated:.6f}")
    _plot_cf(curves, Path(args.figures) / "rans-flatplate-cf.png")
    return dict(rows=rows)


def _plot_cf(curves, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for name, x, cf in curves:
        ax.plot(x, cf, lw=1.0, label=f"cfdopt {name}")
    ref = FLATPLATE_REF["545x385"]
    ax.plot([X_CF], [ref["cfl3d_cf"]], "ko", label="CFL3D 545x385 (TMR)")
    ax.set_xlim(0, 2)
    ax.set_ylim(0, 0.006)
    ax.set_xlabel("x (plate length 2)")
    ax.set_ylabel("skin friction Cf = tau_w / q_inf (-)")
    ax.set_title("TMR flat plate, SA: M 0.2, Re 5e6 per unit length")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"wrote {path}")


GRIDS = ("225", "449")
"""Grid classes: "225" is TMR's 225x65 size (the case's grid, with its geometric wall-normal spacing); "449" is its
refinement in TMR's family sense (:func:`cfdopt.optimize.verify.family_refinement`, the mesh the optimizer's
verification uses): twice the cells each way, and "225" is every other node of it."""


def naca0012(args) -> dict:
    rows = []
    case = ROOT / "cases" / "tmr-naca0012"
    for alpha in args.alpha:
        runs = []
        for g in args.grids:
            cfg = load_case(case, list(args.set) + [f"flow.alpha={alpha}"])
            if g == "449":
                cfg = family_refinement(cfg)
            grid = baseline_grid(cfg)
            runs.append((cfg, grid, f"{grid.ni + 1}x{grid.nj + 1}"))
        for path in map(Path, args.su2):
            runs.append((load_case(case, list(args.set) + [f"flow.alpha={alpha}"]), read_su2_cgrid(path),
                         f"{path.stem} (file)"))
        for cfg, grid, name in runs:
            setup = flow_setup(cfg)
            res, wall = _solve(grid, setup, f"alpha {alpha:g}, {name}")
            c = {k: float(v) for k, v in res.coefficients.items()}
            rows.append(dict(alpha=alpha, grid=name, iterations=res.iterations, converged=res.converged,
                             wall_s=wall, **c))
            if alpha == 10:
                _plot_surface(res, grid, setup, Path(args.figures) / f"rans-naca0012-a10-{name.split()[0]}", name)
    print("\n| alpha | grid | CL | CD | CD pressure | CD viscous | CM | Newton its | time (s) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['alpha']:g} | {r['grid']} | {r['cl']:.5f} | {r['cd']:.6f} | {r['cd_p']:.6f} | {r['cd_v']:.6f} "
              f"| {r['cm']:.5f} | {r['iterations']} | {r['wall_s']:.0f} |")
    for r in (r for r in rows if r["alpha"] == 10):
        for band_grid, ((cl_lo, cl_hi), (cd_lo, cd_hi)) in NACA_BANDS.items():
            dcl = 0.0 if cl_lo <= r["cl"] <= cl_hi else min(abs(r["cl"] - cl_lo), abs(r["cl"] - cl_hi)) / cl_lo
            dcd = 0.0 if cd_lo <= r["cd"] <= cd_hi else min(abs(r["cd"] - cd_lo), abs(r["cd"] - cd_hi)) / cd_lo
            print(f"alpha 10, {r['grid']} against TMR {band_grid}: CL {100 * dcl:.2f}% outside {cl_lo}-{cl_hi}, "
                  f"CD {100 * dcd:.2f}% outside {cd_lo}-{cd_hi} (the issue asks 0.5% and 4% at equal size)")
    for r in (r for r in rows if r["alpha"] == 0):
        lo, hi = CD_ALPHA0_897
        print(f"alpha 0, {r['grid']}: CL {r['cl']:.1e} (0 by symmetry), CD {100 * (r['cd'] / hi - 1):+.1f}% from "
              f"CFL3D's and {100 * (r['cd'] / lo - 1):+.1f}% from FUN3D's 897x257 values {hi}, {lo}")
    return dict(rows=rows)


def _plot_surface(res, grid, setup, stem: Path, name: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    U = jnp.asarray(res.U)
    xy, cp = (np.asarray(a) for a in surface_cp(U, grid, setup.flow))
    _, cf = (np.asarray(a) for a in skin_friction(U, grid, setup.flow, setup.model))
    for what, y, label in (("cp", -cp, "-Cp (-)"), ("cf", cf, "skin friction Cf (-)")):
        fig, ax = plt.subplots(figsize=(6.5, 4.5))
        ax.plot(xy[:, 0], y, "k.-", ms=2, lw=0.8)
        ax.set_xlabel("x / c (-)")
        ax.set_ylabel(label)
        ax.set_title(f"TMR NACA 0012, SA: M 0.15, alpha 10 deg, Re 6e6, {name}")
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        path = stem.with_name(f"{stem.name}-{what}.png")
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120)
        plt.close(fig)
        print(f"wrote {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case", choices=("flatplate", "naca0012"))
    ap.add_argument("--levels", type=int, default=3, help="flat plate: grid levels (finest: the case's)")
    ap.add_argument("--alpha", type=float, nargs="+", default=[0.0, 10.0, 15.0], help="NACA 0012 incidences (deg)")
    ap.add_argument("--grids", nargs="*", default=["225", "449"], choices=GRIDS,
                    help="NACA 0012 grid classes (none: only the --su2 grids)")
    ap.add_argument("--su2", nargs="*", default=[], metavar="FILE",
                    help="NACA 0012: also solve on these C-grids in SU2 files (TMR's n0012_225-65.su2)")
    ap.add_argument("--set", action="append", default=[], help="case-file override, section.key=value")
    ap.add_argument("--figures", default=str(ROOT / "docs" / "figures"), help="folder for the figures")
    ap.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = ap.parse_args()
    enable_compilation_cache()
    out = flatplate(args) if args.case == "flatplate" else naca0012(args)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
