"""Smoothed versus clipped Spalart-Allmaras: every ``sa_clip`` choice side by side (issue 8).

    python scripts/study_smoothing.py [--parts where,choices,optimize] [--figures DIR]

Regenerates every number and figure of ``docs/smoothing.md`` sections 1-5:

- ``where``: where the clip acts at convergence (min chi, share of cells with chi <= 0 and in the softplus
  transition, :func:`cfdopt.flow.rans.sa.clip_activity`) on the bundled cases and variants of them, for the
  softplus default and the hard clip; ``smoothing-clipmap-<case>.png`` for the two study cases.
- ``choices``: on ``cases/sa-clip-study`` (clip inactive) and ``cases/sa-clip-active`` (clip active), for
  ``softplus`` at sharpness 10, 50 (the default) and 200, ``hard`` and ``neg``: the flow from the free stream
  (Newton iterations or failure), CD and CL and their bias against ``hard``, the adjoint dCD/d(first design
  variable) against central and one-sided differences over a step sweep, and CD along a line through the
  design space. Figures ``smoothing-{fd-error,line,bias,newton}-<case>.png``.
- ``optimize``: the case's drag optimization (``[optimize]``) once per choice with the same budget on both
  cases: iterations, evaluations, rejected line-search trials, failed solves, final CD, and the final design
  re-solved with the hard clip (one yardstick for all). ``smoothing-optimize-<case>.png``.
"""

from __future__ import annotations

import argparse
import gc
import re
import subprocess
import sys
import time
from pathlib import Path

import jax
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from cfdopt.cli import enable_compilation_cache  # noqa: E402
from cfdopt.case.schema import load_case  # noqa: E402
from cfdopt.util.errors import CfdoptError  # noqa: E402
from cfdopt.flow.rans.sa import clip_activity, transition_width  # noqa: E402
from cfdopt.optimize.driver import run_optimization  # noqa: E402
from cfdopt.plots.flow import plot_clip_map  # noqa: E402
from cfdopt.optimize.problem import AeroProblem  # noqa: E402
from cfdopt.analysis.outputs import chi_field  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CASES = ("sa-clip-study", "sa-clip-active")
CHOICES = [("softplus", 10.0), ("softplus", 50.0), ("softplus", 200.0), ("hard", 50.0), ("neg", 50.0)]
OPT_CHOICES = [("softplus", 50.0), ("hard", 50.0), ("neg", 50.0)]
STEPS = (1e-3, 1e-4, 1e-5, 1e-6, 1e-7)
LINE = np.linspace(-0.004, 0.004, 9)
WHERE = [  # (case, label, overrides): where the clip might act
    ("sa-clip-study", "as bundled (Re 1e5, nu_tilde_inf 3, first-order)", []),
    ("sa-clip-study", "muscl nu_tilde", ["numerics.nu_tilde_convection=muscl"]),
    ("sa-clip-study", "Re 1e6, muscl, wall 2e-5",
     ["flow.reynolds=1e6", "numerics.nu_tilde_convection=muscl", "mesh.wall_spacing=2e-5"]),
    ("sa-clip-study", "nu_tilde_inf 0.1", ["flow.nu_tilde_farfield=0.1"]),
    ("sa-clip-active", "as bundled (Re 1e6, nu_tilde_inf 0.1, muscl)", []),
    ("sa-clip-active", "nu_tilde_inf 0.01", ["flow.nu_tilde_farfield=0.01"]),
    ("sa-clip-active", "nu_tilde_inf 1", ["flow.nu_tilde_farfield=1"]),
    ("rans-quick", "as bundled (64 x 32, Re 1e6, nu_tilde_inf 3)", []),
]


def release() -> None:
    """Drop compiled executables between choices: one process compiling every variant runs out of memory."""
    gc.collect()
    jax.clear_caches()


def per_choice(part: str, case: str, choices, run) -> list[dict]:
    """``run(case, clip, s)`` for each ``(clip, s)`` of ``choices``, one progress line each."""
    rows = []
    for clip, s in choices:
        print(f"{part}: {case} {label(clip, s)} ...", flush=True)
        rows.append(run(case, clip, s))
        release()
    return rows


def label(clip, s):
    return f"softplus s={s:g}" if clip == "softplus" else clip


def case_dir(name: str) -> str:
    return str(ROOT / "cases" / name)


def problem_for(case, overrides, clip, s) -> AeroProblem:
    return AeroProblem(load_case(case_dir(case), list(overrides) + [f"numerics.sa_clip={clip}",
                                                                    f"numerics.sharpness={s}"]))


def solve_from_free_stream(problem, d):
    """``(evaluation or None, residual history, message)`` of a solve from the free stream."""
    try:
        ev = problem.evaluate(d)
        return ev, [h["residual"] for h in ev.solve.history], ""
    except CfdoptError as e:
        hist = getattr(e, "history", None) or []
        return None, [h["residual"] for h in hist], str(e)


def where_row(case, text, overrides, clip) -> dict:
    problem = problem_for(case, overrides, clip, 50.0)
    ev, hist, msg = solve_from_free_stream(problem, problem.space.initial())
    row = dict(case=case, text=text, clip=clip, its=len(hist) - 1, failed=msg)
    if ev is not None:
        chi = chi_field(ev.solve.U, ev.flow, problem.numerics.model)
        row.update(clip_activity(chi, problem.numerics.model.sa), cd=ev.coefficients["cd"], chi=chi,
                   nodes=np.asarray(ev.grid.nodes), width=transition_width(problem.numerics.model.sa))
    return row


def part_where(out: Path) -> None:
    rows = []
    for case, text, overrides in WHERE:
        for clip in ("softplus", "hard"):
            print(f"where: {case} {text} {clip} ...", flush=True)
            rows.append(where_row(case, text, overrides, clip))
            release()
    print("\n| case | variant | sa_clip | Newton its (all grids) | CD | min chi | chi <= 0 | softplus transition (s = 50) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        if r["failed"]:
            print(f"| {r['case']} | {r['text']} | {r['clip']} | failed ({r['failed']}) | | | | |")
        else:
            print(f"| {r['case']} | {r['text']} | {r['clip']} | {r['its']} | {r['cd']:.6f} | {r['chi_min']:.3g} | "
                  f"{100 * r['share_nonpositive']:.1f}% | {100 * r['share_transition']:.1f}% |")
    for case in CASES:
        r = next((r for r in rows if r["case"] == case and not r["failed"] and r["clip"] == "hard"
                  and r["text"].startswith("as bundled")), None)
        if r is not None:
            plot_clip_map(r["nodes"], r["chi"], r["width"], out / f"smoothing-clipmap-{case}.png",
                          f"{case}, hard clip: where chi = nu_tilde / nu is at or near 0")


def one_sided_fd(problem, d0, U0, h):
    """``(J(d0 + h e0), J(d0 - h e0))`` of CD by warm-started solves; NaN where a solve fails."""
    out = []
    for sign in (1.0, -1.0):
        d = d0.copy()
        d[0] += sign * h
        try:
            out.append(problem.evaluate(d, U0=U0).coefficients["cd"])
        except CfdoptError:
            out.append(np.nan)
    return out


def study_choice(case, clip, s) -> dict:
    problem = problem_for(case, [], clip, s)
    d0 = problem.space.initial()
    t = time.perf_counter()
    ev, hist, msg = solve_from_free_stream(problem, d0)
    row = dict(clip=clip, s=s, history=hist, its=len(hist) - 1, failed=msg, wall=time.perf_counter() - t)
    if ev is None:
        return row
    U0 = ev.solve.U
    cd0 = ev.coefficients["cd"]
    act = clip_activity(chi_field(U0, ev.flow, problem.numerics.model), problem.numerics.model.sa)
    grad = float(problem.gradients(ev, ["cd"])["cd"].design[0])
    central, forward, backward = [], [], []
    for h in STEPS:
        jp, jm = one_sided_fd(problem, d0, U0, h)
        central.append(abs((jp - jm) / (2 * h) - grad) / abs(grad))
        forward.append((jp - cd0) / h)
        backward.append((cd0 - jm) / h)
    line = []
    for a in LINE:
        d = d0.copy()
        d[0] = a
        try:
            line.append(problem.evaluate(d, U0=U0).coefficients["cd"])
        except CfdoptError:
            line.append(np.nan)
    row.update(cd=cd0, cl=ev.coefficients["cl"], grad=grad, fd_errors=central, forward=forward, backward=backward,
               line=line, **act)
    return row


def part_choices(case: str, out: Path) -> None:
    rows = per_choice("choices", case, CHOICES, study_choice)
    hard = next(r for r in rows if r["clip"] == "hard")
    ok = [r for r in rows if not r["failed"]]
    print(f"\n{case}: values, bias against the hard clip, Newton from the free stream\n")
    print("| sa_clip | CD | CL | CD - CD(hard) | CL - CL(hard) | Newton its | min chi | chi <= 0 | transition |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if r["failed"]:
            print(f"| {label(r['clip'], r['s'])} | failed: {r['failed']} | | | | {r['its']} | | | |")
            continue
        bias = (f"{r['cd'] - hard['cd']:+.2e} | {r['cl'] - hard['cl']:+.2e}" if not hard["failed"] else "- | -")
        print(f"| {label(r['clip'], r['s'])} | {r['cd']:.8f} | {r['cl']:.8f} | {bias} | {r['its']} | "
              f"{r['chi_min']:.4f} | {100 * r['share_nonpositive']:.2f}% | {100 * r['share_transition']:.2f}% |")
    print(f"\n{case}: dCD/dd_0, adjoint against central differences (relative error)\n")
    print("| sa_clip | dCD/dd_0 (adjoint) | " + " | ".join(f"h={h:g}" for h in STEPS) + " | best |")
    print("|---|---|" + "---|" * (len(STEPS) + 1))
    for r in ok:
        print(f"| {label(r['clip'], r['s'])} | {r['grad']:.8e} | " + " | ".join(f"{e:.1e}" for e in r["fd_errors"])
              + f" | {np.nanmin(r['fd_errors']):.1e} |")
    print(f"\n{case}: one-sided quotients, (forward - backward) / |adjoint| (a kink shows as a gap that does not "
          "shrink with h)\n")
    print("| sa_clip | " + " | ".join(f"h={h:g}" for h in STEPS) + " |")
    print("|---|" + "---|" * len(STEPS))
    for r in ok:
        gaps = [(f - b) / abs(r["grad"]) for f, b in zip(r["forward"], r["backward"])]
        print(f"| {label(r['clip'], r['s'])} | " + " | ".join(f"{g:+.1e}" for g in gaps) + " |")
    _choice_figures(rows, hard, case, out)


def _save(fig, ax, path: Path, xlabel: str, ylabel: str, title: str | None = None, which: str = "major") -> None:
    """Label, grid and legend ``ax``, write ``fig`` to ``path`` and close it."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, which=which, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _choice_figures(rows, hard, case: str, out: Path) -> None:
    ok = [r for r in rows if not r["failed"]]
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in ok:
        ax.loglog(STEPS, r["fd_errors"], "o-", label=label(r["clip"], r["s"]))
    _save(fig, ax, out / f"smoothing-fd-error-{case}.png", "finite-difference step h (design units, chords)",
          "|FD - adjoint| / |adjoint|", f"{case}: dCD/dd_0, central differences vs adjoint", which="both")
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in ok:
        ax.plot(LINE, 1e4 * np.asarray(r["line"]), "o-", label=label(r["clip"], r["s"]))
    _save(fig, ax, out / f"smoothing-line-{case}.png", "design variable d_0 (Hicks-Henne amplitude, chords)",
          "CD (counts)", f"{case}: CD along a line through the design space")
    soft = [r for r in ok if r["clip"] == "softplus"]
    if not hard["failed"] and soft:
        fig, ax = plt.subplots(figsize=(6, 4))
        s = np.array([r["s"] for r in soft])
        for key in ("cd", "cl"):
            ax.loglog(s, [abs(r[key] - hard[key]) / abs(hard[key]) for r in soft], "o-",
                      label=f"|{key.upper()} bias| / {key.upper()}")
        ax.loglog(s, np.log(2.0) / s, "k--", label="softplus bound log(2)/s (chi units)")
        _save(fig, ax, out / f"smoothing-bias-{case}.png", "softplus sharpness s (1/chi)",
              "relative bias against the hard clip", f"{case}: softplus bias", which="both")
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in rows:
        ax.semilogy(r["history"], ".-", label=label(r["clip"], r["s"]) + (" (failed)" if r["failed"] else ""))
    _save(fig, ax, out / f"smoothing-newton-{case}.png", "Newton iteration", "residual / residual(free stream)",
          f"{case}: Newton-PTC from the free stream")


def optimize_choice(case, clip, s) -> dict:
    problem = problem_for(case, [], clip, s)
    t = time.perf_counter()
    try:
        res = run_optimization(problem, problem.cfg.optimize)
    except CfdoptError as e:
        return dict(clip=clip, s=s, failed_run=str(e), history=[])
    wall = time.perf_counter() - t
    judge = problem_for(case, [], "hard", 50.0)
    ev, _, msg = solve_from_free_stream(judge, res.final.design)
    return dict(clip=clip, s=s, iterations=res.iterations, evaluations=res.evaluations, failed=res.failed,
                rejected=res.evaluations - res.failed - (res.iterations + 1), cd0=res.baseline.coefficients["cd"],
                cd=res.final.coefficients["cd"], cd_hard=ev.coefficients["cd"] if ev is not None else np.nan,
                message=_short(res.message), wall=wall, history=[r["cd"] for r in res.history])


def _short(message: str) -> str:
    """scipy's message per (re)start, up to its first colon: ``"2 runs: CONVERGENCE: ... | STOP: ..."`` ->
    ``"CONVERGENCE; STOP"``."""
    runs = re.sub(r"^\d+ runs: ", "", message).split(" | ")
    return "; ".join(r.split(":")[0].strip() for r in runs)


def part_optimize(case: str, out: Path) -> None:
    rows = per_choice("optimize", case, OPT_CHOICES, optimize_choice)
    print(f"\n{case}: drag minimization, same budget per choice\n")
    print("| sa_clip | iterations | evaluations | rejected trials | failed solves | CD baseline | CD final | "
          "final design, CD with the hard clip | reduction | wall | scipy's exit per run |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "failed_run" in r:
            print(f"| {label(r['clip'], r['s'])} | no run: {r['failed_run']} | | | | | | | | | |")
            continue
        print(f"| {label(r['clip'], r['s'])} | {r['iterations']} | {r['evaluations']} | {r['rejected']} | {r['failed']} | "
              f"{r['cd0']:.6f} | {r['cd']:.6f} | {r['cd_hard']:.6f} | {100 * (1 - r['cd'] / r['cd0']):.2f}% | "
              f"{r['wall']:.0f} s | {r['message']} |")
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in rows:
        if r["history"]:
            ax.plot(1e4 * np.asarray(r["history"], dtype=float), "o-", label=label(r["clip"], r["s"]))
    _save(fig, ax, out / f"smoothing-optimize-{case}.png", "optimizer iteration", "CD (counts)",
          f"{case}: drag minimization per sa_clip choice")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", default="where,choices,optimize", help="comma-separated: where, choices, optimize")
    ap.add_argument("--cases", default=",".join(CASES), help="cases of the choices and optimize parts")
    ap.add_argument("--figures", default=str(ROOT / "docs" / "figures"))
    args = ap.parse_args()
    enable_compilation_cache()
    out = Path(args.figures)
    out.mkdir(parents=True, exist_ok=True)
    parts, cases = args.parts.split(","), args.cases.split(",")
    units = ([("where", None)] if "where" in parts else []) + [
        (p, c) for c in cases for p in ("choices", "optimize") if p in parts]
    t = time.perf_counter()
    if len(units) > 1:
        # one process per unit: a process that compiles every variant runs out of memory maps (LLVM)
        for part, case in units:
            cmd = [sys.executable, __file__, "--parts", part, "--figures", str(out)]
            subprocess.run(cmd + (["--cases", case] if case else []), check=True)
    else:
        part, case = units[0]
        {"where": lambda: part_where(out), "choices": lambda: part_choices(case, out),
         "optimize": lambda: part_optimize(case, out)}[part]()
    print(f"\nstudy_smoothing: {time.perf_counter() - t:.0f} s")


if __name__ == "__main__":
    main()
