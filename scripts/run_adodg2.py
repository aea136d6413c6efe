"""ADODG case 2 (RAE 2822, M 0.734, Re 6.5e6, RANS-SA, CL = 0.824): the optimization, the trimmed baseline, the cost
table, a mesh study and the figures of ``docs/adodg2.md``.

    python scripts/run_adodg2.py [--out DIR] [--resume] [--mesh N_AIRFOIL,N_WAKE,N_NORMAL ...] [--no-mesh-study]
                                 [--figures DIR] [--figures-only]

1. The optimization (as ``cfdopt optimize cases/adodg2-rae2822``) into OUT (default
   ``cases/adodg2-rae2822/results``). A finished run there (``OUT/summary.json``) is reused; ``--resume``
   continues a stopped one.
2. Trim. The optimizer's baseline is the RAE 2822 at the case's alpha (2.8 deg, CL 0.78), where its flow converges
   from the free stream; the benchmark compares drag at CL 0.824. So the baseline is trimmed to that CL by
   continuation in alpha (:func:`cfdopt.analysis.trim.trim`), and the optimized design is trimmed to the same tolerance
   from the optimizer's own flow.
3. The table: CDs and reductions (against the baseline at the case's alpha and trimmed), iterations and
   evaluations, wall time split into flow solves, adjoints and the rest, peak memory, and the time of one adjoint
   gradient (every constraint included) over that of one flow solve.
4. Mesh study: both designs on each finer mesh of ``--mesh`` (default 192,48,96 and 256,64,128: 288 x 96 and
   384 x 128 cells against the case's 192 x 64), each started from its trimmed flow on the previous mesh
   (:func:`cfdopt.mesh.transfer.transfer_cells`) and trimmed again.
5. Figures into FIGURES (default ``docs/figures``): ``adodg2-shape.png``, ``adodg2-cp.png``, ``adodg2-cf.png``
   (trimmed baseline against optimized, case mesh) and ``adodg2-convergence.png`` (CD and each constraint per
   iteration).

Every number goes to ``OUT/adodg2_study.json``; the trimmed flows to ``OUT/adodg2_study/`` (``--figures-only``
redraws the figures from them without solving).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import statistics
import time
from pathlib import Path

import numpy as np

from cfdopt.optimize.checkpoint import read_history
from cfdopt.cli import enable_compilation_cache
from cfdopt.case.schema import load_case
from cfdopt.mesh.transfer import transfer_cells
from cfdopt.optimize.run import cl_target
from cfdopt.case.build import flow_setup
from cfdopt.analysis.outputs import case_grid
from cfdopt.analysis.trim import trim

CASE = Path(__file__).resolve().parents[1] / "cases" / "adodg2-rae2822"
DEFAULT_MESHES = ("192,48,96", "256,64,128")
TOL = 2e-5
"""Accepted |CL - 0.824| of a trimmed point: CD changes by 0.13 * dCL here (the polar), so 2e-5 is 0.01% of CD."""


def _mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _mesh_overrides(spec: str) -> list[str]:
    n_airfoil, n_wake, n_normal = (int(v) for v in spec.split(","))
    return [f"mesh.n_airfoil={n_airfoil}", f"mesh.n_wake={n_wake}", f"mesh.n_normal={n_normal}"]


def _row(result, grid, wall_s: float) -> dict:
    p = result.point
    return dict(cells=[grid.ni, grid.nj], converged=result.converged, alpha=p.alpha, cl=p.cl, cd=p.cd, cm=p.cm,
                **p.parts, solves=len(result.points), newton=sum(q.iterations for q in result.points),
                failed_solves=sum(not q.converged for q in result.points), slope=result.slope, time_s=wall_s)


def _trim_logged(label, grid, flow, setup, target, U_warm, slope=None):
    def show(p):
        state = f"CL {p.cl:.6f} CD {p.cd:.6f} CM {p.cm:+.5f}" if p.converged else "not converged"
        print(f"  {label}: alpha {p.alpha:.4f}  {state}  {p.iterations} its, {p.time_s:.0f} s ({p.start})",
              flush=True)

    t = time.perf_counter()
    result = trim(grid, flow, setup.numerics, setup.settings, target, U_warm=U_warm, slope=slope, tol=TOL,
                  on_point=show)
    if not result.converged:
        raise SystemExit(f"{label}: trim to CL {target} did not converge (last: {result.points[-1].message})")
    return result, time.perf_counter() - t


def optimize(out: Path, resume: bool) -> dict:
    if (out / "summary.json").is_file() and not resume:
        print(f"reusing the optimization in {out}")
        return json.loads((out / "summary.json").read_text())
    from run_optimization import run

    return run(CASE, ["--out", str(out)] + (["--resume"] if resume else []))


def trimmed_pair(cfg, final: Path, target: float, warm=None) -> dict:
    """Baseline and optimized design trimmed on the mesh of ``cfg``; ``warm`` holds the previous mesh's flows."""
    setup = flow_setup(cfg)
    out = {}
    for name, design in (("baseline", None), ("optimized", final / "summary.json")):
        grid, flow = case_grid(cfg, design)
        if warm is None:
            if name == "baseline":
                U0, slope = None, None
            else:
                saved = np.load(final / "state.npz")
                U0, slope = np.asarray(saved["U"]), None
        else:
            prev = warm[name]
            U0 = transfer_cells(prev["nodes"], prev["U"], np.asarray(grid.nodes))
            flow, slope = dataclasses.replace(flow, alpha=prev["row"]["alpha"]), prev["row"]["slope"]
            slope = None if not np.isfinite(slope) else slope
        result, wall_s = _trim_logged(f"{name} {grid.ni} x {grid.nj}", grid, flow, setup, target, U0, slope)
        out[name] = dict(row=_row(result, grid, wall_s), nodes=np.asarray(grid.nodes), U=np.asarray(result.U),
                         grid=grid, flow=dataclasses.replace(flow, alpha=result.alpha))
    return out


def cost(summary: dict, history: list[dict]) -> dict:
    """Wall time split and the adjoint/flow ratio from the run's ``summary.json`` and ``history.csv``.

    Per iteration after the first, a row holds the flow time of that iteration's evaluations and the time of one
    gradient (the adjoint of every function, constraints included). Medians keep the first gradient's compile
    time and the baseline's solve from the free stream out of the per-solve figures.
    """
    rows = [r for r in history if r["iteration"] >= 1]
    flow_s = statistics.median(r["flow_s"] for r in rows)
    adjoint_s = statistics.median(r["adjoint_s"] for r in rows if r["adjoint_s"] > 0)
    wall = summary["wall_time_s"]
    return dict(wall_min=wall / 60, flow_min=summary["flow_time_s"] / 60, adjoint_min=summary["adjoint_time_s"] / 60,
                rest_min=(wall - summary["flow_time_s"] - summary["adjoint_time_s"]) / 60,
                peak_memory_mb=summary.get("peak_memory_mb"), median_flow_s=flow_s, median_adjoint_s=adjoint_s,
                adjoint_over_flow=adjoint_s / flow_s, baseline_free_stream_s=history[0]["flow_s"],
                adjoint_over_free_stream=adjoint_s / history[0]["flow_s"])


def table(summary: dict, c: dict, trimmed: dict) -> str:
    b, f = summary["baseline"], summary["final"]
    tb, to = trimmed["baseline"], trimmed["optimized"]
    peak = "not recorded" if c["peak_memory_mb"] is None else f"{c['peak_memory_mb']:.0f}"
    rows = [
        ("mesh (cells)", f"{summary['mesh'][0]} x {summary['mesh'][1]}"),
        ("baseline CD at alpha 2.8", f"{b['cd']:.6f} (CL {b['cl']:.4f})"),
        ("baseline CD trimmed", f"{tb['cd']:.6f} (CL {tb['cl']:.6f}, alpha {tb['alpha']:.3f}, CM {tb['cm']:+.4f})"),
        ("optimized CD", f"{f['cd']:.6f} (CL {f['cl']:.6f}, CM {f['cm']:+.4f})"),
        ("optimized CD trimmed", f"{to['cd']:.6f} (CL {to['cl']:.6f}, alpha {to['alpha']:.3f})"),
        ("reduction, trimmed (%)", f"{100 * (1 - to['cd'] / tb['cd']):.1f}"),
        ("reduction vs alpha 2.8 (%)", f"{summary['cd_reduction_percent']:.1f}"),
        ("feasible / max violation", f"{summary['feasible']} / {f['violation']:.1e}"),
        ("free-stream solve of the final design", "same flow" if summary["free_stream_same_flow"] else "ANOTHER FLOW"),
        ("iterations / evaluations / failed", f"{summary['iterations']} / {summary['evaluations']} / "
                                              f"{summary['failed_evaluations']}"),
        ("wall time (min)", f"{c['wall_min']:.1f}"),
        ("flow / adjoint / rest (min)", f"{c['flow_min']:.1f} / {c['adjoint_min']:.1f} / {c['rest_min']:.1f}"),
        ("peak memory (MB)", peak),
        ("median flow solve / gradient (s)", f"{c['median_flow_s']:.1f} / {c['median_adjoint_s']:.1f}"),
        ("gradient / warm flow solve", f"{c['adjoint_over_flow']:.2f}"),
        ("gradient / free-stream flow solve", f"{c['adjoint_over_free_stream']:.3f} "
                                              f"({c['baseline_free_stream_s']:.0f} s)"),
    ]
    return "\n".join(f"{k:<38s} {v}" for k, v in rows)


def mesh_table(levels: list[dict]) -> str:
    lines = [f"{'mesh':>10s} {'baseline alpha':>14s} {'baseline CD':>12s} {'optimized alpha':>15s} "
             f"{'optimized CD':>12s} {'reduction':>9s} {'CM opt':>8s} {'time (s)':>9s}"]
    for lv in levels:
        b, o = lv["baseline"], lv["optimized"]
        lines.append(f"{b['cells'][0]:>4d} x {b['cells'][1]:<3d} {b['alpha']:14.3f} {b['cd']:12.6f} {o['alpha']:15.3f} "
                     f"{o['cd']:12.6f} {100 * (1 - o['cd'] / b['cd']):8.1f}% {o['cm']:+8.4f} "
                     f"{b['time_s'] + o['time_s']:9.0f}")
    return "\n".join(lines)


def save_flows(folder: Path, pair: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, v in pair.items():
        np.savez(folder / f"{name}.npz", U=v["U"], nodes=v["nodes"], alpha=v["row"]["alpha"])


def figures(cfg, out: Path, fig_dir: Path, target: float) -> list[Path]:
    """The four figures from the saved trimmed flows (``OUT/adodg2_study``) and the run's history."""
    from cfdopt.flow.forces import surface_cp
    from cfdopt.flow.rans.terms import skin_friction
    from cfdopt.plots.optimize import plot_constraint_history, plot_shapes, plot_surface_comparison

    setup = flow_setup(cfg)
    final = out / "designs" / "final"
    surf = {}
    for name, design in (("baseline", None), ("optimized", final / "summary.json")):
        saved = np.load(out / "adodg2_study" / f"{name}.npz")
        grid, flow = case_grid(cfg, design)
        flow = dataclasses.replace(flow, alpha=float(saved["alpha"]))
        U = saved["U"]
        xy, cp = (np.asarray(a) for a in surface_cp(U, grid, flow))
        cf = np.asarray(skin_friction(U, grid, flow, setup.numerics.model)[1])
        surf[name] = (xy, cp, cf, float(flow.alpha))
    fig_dir.mkdir(parents=True, exist_ok=True)
    paths = [fig_dir / f"adodg2-{k}.png" for k in ("shape", "cp", "cf", "convergence")]
    base = np.loadtxt(out / "designs" / "0000" / "airfoil.dat", skiprows=1)
    opt = np.loadtxt(final / "airfoil.dat", skiprows=1)
    plot_shapes(base, opt, paths[0], title="RAE 2822 (black) and the ADODG case 2 optimum (red)")
    labels = {k: f"{k}, alpha {v[3]:.2f} deg" for k, v in surf.items()}
    at = f"M 0.734, Re 6.5e6, CL {target}"
    plot_surface_comparison({labels[k]: (v[0], -v[1]) for k, v in surf.items()}, "-Cp (-)", paths[1], at)
    plot_surface_comparison({labels[k]: (v[0], v[2]) for k, v in surf.items()}, "Cf (-)", paths[2], at,
                            split_surfaces=True)
    plot_constraint_history(read_history(out / "history.csv"), paths[3], "cd",
                            title="ADODG case 2: CD and the constraints per SLSQP iteration")
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=CASE / "results")
    ap.add_argument("--resume", action="store_true", help="continue a stopped optimization in OUT")
    ap.add_argument("--mesh", action="append", default=None, metavar="N_AIRFOIL,N_WAKE,N_NORMAL")
    ap.add_argument("--no-mesh-study", action="store_true")
    ap.add_argument("--figures", type=Path, default=CASE.parents[1] / "docs" / "figures")
    ap.add_argument("--figures-only", action="store_true", help="redraw the figures from OUT/adodg2_study")
    args = ap.parse_args()
    enable_compilation_cache()
    cfg = load_case(CASE)
    target = cl_target(cfg)
    if target is None:
        raise SystemExit(f"{cfg.source}: no CL equality constraint with alpha free to trim to")
    if args.figures_only:
        for p in figures(cfg, args.out, args.figures, target):
            print(p)
        return
    summary = optimize(args.out, args.resume)
    final = args.out / "designs" / "final"
    study_path = args.out / "adodg2_study.json"
    print(f"trimming both designs to CL {target} (|dCL| <= {TOL}) on the case's mesh", flush=True)
    pair = trimmed_pair(cfg, final, target)
    save_flows(args.out / "adodg2_study", pair)
    c = cost(summary, read_history(args.out / "history.csv"))
    trimmed = {k: v["row"] for k, v in pair.items()}
    study = dict(cost=c, trimmed=trimmed, mesh_study=[trimmed], tolerance=TOL)
    study_path.write_text(json.dumps(study, indent=2) + "\n")
    print()
    print(table(summary, c, trimmed), flush=True)
    for p in figures(cfg, args.out, args.figures, target):
        print(f"wrote {p}")
    if not args.no_mesh_study:
        warm = pair
        for spec in args.mesh or DEFAULT_MESHES:
            print(f"mesh {spec}: both designs from their trimmed flows on the previous mesh", flush=True)
            warm = trimmed_pair(load_case(CASE, _mesh_overrides(spec)), final, target, warm)
            study["mesh_study"].append({k: v["row"] for k, v in warm.items()})
            study_path.write_text(json.dumps(study, indent=2) + "\n")
        print()
        print(mesh_table(study["mesh_study"]))
    study["study_peak_memory_mb"] = _mb()
    study_path.write_text(json.dumps(study, indent=2) + "\n")
    print(f"\npeak memory of this process {_mb():.0f} MB; numbers in {study_path}")


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
