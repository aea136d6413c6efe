"""Smoothed versus clipped Spalart-Allmaras: every ``sa_clip`` choice on one case, side by side (issue 8).

    python scripts/study_smoothing.py [CASE] [--set section.key=value ...] [--figures DIR]

For ``softplus`` at sharpness 10, 50 (the default) and 200, ``hard`` and ``neg`` on ``cases/sa-clip-study``
(default): the flow from the free stream (Newton iterations to the case's tolerance), CD and CL and their
bias against ``hard``, where the clip acts at convergence (min chi, share of cells with chi <= 0 and in
the softplus transition, :func:`cfdopt.flow.sa.clip_activity`), the adjoint dCD/d(first design variable)
and its error against central differences over a step sweep, and CD along a line through the design
space. Prints the tables ``docs/smoothing.md`` quotes and writes its figures (``docs/figures/`` by
default): ``smoothing-fd-error.png`` (the V plot), ``smoothing-line.png``, ``smoothing-bias.png``,
``smoothing-newton.png``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from cfdopt.cli import enable_compilation_cache  # noqa: E402
from cfdopt.config import load_case  # noqa: E402
from cfdopt.flow.rans import transport  # noqa: E402
from cfdopt.flow.sa import clip_activity  # noqa: E402
from cfdopt.flow.state import primitive  # noqa: E402
from cfdopt.problem import AeroProblem  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHOICES = [("softplus", 10.0), ("softplus", 50.0), ("softplus", 200.0), ("hard", 50.0), ("neg", 50.0)]
STEPS = (1e-3, 1e-4, 1e-5, 1e-6, 1e-7)
LINE = np.linspace(-0.004, 0.004, 9)


def label(clip, s):
    return f"softplus s={s:g}" if clip == "softplus" else clip


def study_choice(case, overrides, clip, s) -> dict:
    cfg = load_case(case, list(overrides) + [f"numerics.sa_clip={clip}", f"numerics.sharpness={s}"])
    problem = AeroProblem(cfg)
    d0 = problem.space.initial()
    t = time.perf_counter()
    ev = problem.evaluate(d0, warm_start=False)
    wall = time.perf_counter() - t
    U0 = ev.solve.U
    W = primitive(jnp.asarray(U0), ev.flow.gamma)
    _, _, nu, nu_tilde = transport(W, ev.flow, problem.numerics.model)
    act = clip_activity(np.asarray(nu_tilde / nu), problem.numerics.model.sa)
    grad = float(problem.gradients(ev, ["cd"])["cd"].design[0])
    errors = []
    for h in STEPS:
        cds = []
        for sign in (1.0, -1.0):
            d = d0.copy()
            d[0] += sign * h
            problem.warm_state = U0
            cds.append(problem.evaluate(d).coefficients["cd"])
        errors.append(abs((cds[0] - cds[1]) / (2 * h) - grad) / abs(grad))
    line = []
    for a in LINE:
        d = d0.copy()
        d[0] = a
        problem.warm_state = U0
        line.append(problem.evaluate(d).coefficients["cd"])
    return dict(clip=clip, s=s, cd=ev.coefficients["cd"], cl=ev.coefficients["cl"], its=ev.solve.iterations,
                wall=wall, history=[h["residual"] for h in ev.solve.history], grad=grad, fd_errors=errors,
                line=line, **act)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case", nargs="?", default=str(ROOT / "cases" / "sa-clip-study"))
    ap.add_argument("--set", action="append", default=[], help="case-file override, section.key=value")
    ap.add_argument("--figures", default=str(ROOT / "docs" / "figures"))
    args = ap.parse_args()
    enable_compilation_cache()
    rows = []
    for clip, s in CHOICES:
        print(f"{label(clip, s)} ...", flush=True)
        rows.append(study_choice(args.case, args.set, clip, s))
    hard = next(r for r in rows if r["clip"] == "hard")
    print("\n| sa_clip | CD | CL | CD - CD(hard) | CL - CL(hard) | Newton its | min chi | chi <= 0 | transition |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {label(r['clip'], r['s'])} | {r['cd']:.8f} | {r['cl']:.8f} | {r['cd'] - hard['cd']:+.2e} | "
              f"{r['cl'] - hard['cl']:+.2e} | {r['its']} | {r['chi_min']:.4f} | {100 * r['share_nonpositive']:.2f}% | "
              f"{100 * r['share_transition']:.2f}% |")
    print("\n| sa_clip | dCD/dd_0 (adjoint) | " + " | ".join(f"FD error h={h:g}" for h in STEPS) + " | best |")
    print("|---|---|" + "---|" * (len(STEPS) + 1))
    for r in rows:
        print(f"| {label(r['clip'], r['s'])} | {r['grad']:.8e} | " + " | ".join(f"{e:.1e}" for e in r["fd_errors"])
              + f" | {min(r['fd_errors']):.1e} |")
    _figures(rows, hard, Path(args.figures))


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


def _figures(rows, hard, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in rows:
        ax.loglog(STEPS, r["fd_errors"], "o-", label=label(r["clip"], r["s"]))
    _save(fig, ax, out / "smoothing-fd-error.png", "finite-difference step h (design units, chords)",
          "|FD - adjoint| / |adjoint|", "dCD/dd_0: central differences against the adjoint", which="both")
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in rows:
        ax.plot(LINE, 1e4 * np.asarray(r["line"]), "o-", label=label(r["clip"], r["s"]))
    _save(fig, ax, out / "smoothing-line.png", "design variable d_0 (Hicks-Henne amplitude, chords)", "CD (counts)",
          "CD along a line through the design space")
    soft = [r for r in rows if r["clip"] == "softplus"]
    fig, ax = plt.subplots(figsize=(6, 4))
    s = np.array([r["s"] for r in soft])
    for key in ("cd", "cl"):
        ax.loglog(s, [abs(r[key] - hard[key]) / abs(hard[key]) for r in soft], "o-", label=f"|{key.upper()} bias| / {key.upper()}")
    ax.loglog(s, np.log(2.0) / s, "k--", label="softplus bound log(2)/s (chi units)")
    _save(fig, ax, out / "smoothing-bias.png", "softplus sharpness s (1/chi)", "relative bias against the hard clip",
          which="both")
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in rows:
        ax.semilogy(r["history"], ".-", label=label(r["clip"], r["s"]))
    _save(fig, ax, out / "smoothing-newton.png", "Newton iteration", "residual / residual(free stream)",
          "Newton-PTC from the free stream")

if __name__ == "__main__":
    main()
