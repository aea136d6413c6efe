"""Surrogate gradient vs REINFORCE vs the exact gradient on enumerable escape-noise layers (issue 8, SNN side).

    python scripts/study_snn_surrogate.py [--figures DIR]

Prints the markdown tables of ``docs/smoothing-snn.md`` and writes its figures (``docs/figures/`` by default):
``snn-surrogate-slope.png``, ``snn-surrogate-temperature.png`` and ``snn-surrogate-training.png``.

1. The three estimators on :func:`cfdopt.snn.gradient_study.reference_case` (the table of ``docs/snn.md``) and on
   :func:`~cfdopt.snn.gradient_study.mixed_sign_case`: mean, bias, scale, angle to the exact gradient, variance.
2. The surrogate's bias against its slope k (fast sigmoid, area 2/k; sigmoid, area 1, with the reset's gradient
   detached or kept) at T = 0.4.
3. The surrogate's bias against the escape-noise temperature T at k = 25.
4. Training curves on :func:`~cfdopt.snn.gradient_study.count_task`: the same layer trained by the exact gradient,
   two surrogate gradients and REINFORCE (leave-one-out baseline), the expected loss computed by enumeration.

Float64 throughout (the package default); about 3 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from datetime import date
from pathlib import Path

import jax
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

from cfdopt.snn import gradient_study as gs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
N_TABLE = 40_000     # samples of the estimator table (the docs/snn.md table used 40 000 with key 5)
N_SWEEP = 100_000    # samples per point of the slope and temperature sweeps
SLOPES = (1.0, 2.5, 5.0, 10.0, 25.0, 100.0, 400.0)
TEMPERATURES = (0.1, 0.2, 0.4, 0.8, 1.6)
SWEEP_SLOPE = 25.0   # the library default of LifParams.slope
N_UPDATES = 2000
N_RUNS = 5
N_SMALL, N_LARGE = 8, 1024  # noise samples per input and update (4 inputs)
OPTIMIZERS = {"Adam 0.05": optax.adam(0.05), "SGD 0.1": optax.sgd(0.1)}
CASES = {"reference": gs.reference_case(), "mixed-sign": gs.mixed_sign_case()}


def _vec(a) -> str:
    return ", ".join(f"{v:.3f}" for v in np.ravel(a))


def _angle(s) -> str:
    return f"{s.angle_deg:.1f} ± {s.angle_se_deg:.1f}"


def estimator_tables() -> None:
    extra = {"surrogate, sigmoid k = 10, reset gradient kept": dict(surrogate="sigmoid", slope=10.0,
                                                                    detach_reset=False)}
    for name, case in CASES.items():
        exact, stats = gs.compare_estimators(jax.random.PRNGKey(5), case, N_TABLE)
        for label, changes in extra.items():
            stats[label] = gs.surrogate_bias(jax.random.PRNGKey(5), case, N_TABLE, **changes)
        p = case.params
        labels = {"reinforce": "REINFORCE, baseline 0", "reinforce_baseline": "REINFORCE, baseline E[L]",
                  "surrogate": f"surrogate, {p.surrogate} k = {p.slope:g} (library default)"}
        ones = np.ones(exact.size)
        print(f"\n{name} case, T = {case.temperature}, {N_TABLE} samples (key 5); a constant vector is "
              f"{np.degrees(np.arccos(ones @ exact.ravel() / (np.linalg.norm(exact) * np.sqrt(exact.size)))):.1f} deg "
              "from the exact gradient\n")
        print("| estimator | mean of the components | rel. bias | scale | angle (deg) | variance per sample "
              "| noise/signal per sample |")
        print("|---|---|---|---|---|---|---|")
        print(f"| exact (enumeration) | {_vec(exact)} | - | 1 | 0 | - | - |")
        for key, s in stats.items():
            print(f"| {labels.get(key, key)} | {_vec(s.mean)} (s.e. {s.sem.min():.3f}-{s.sem.max():.3f}) | "
                  f"{s.rel_bias:.3f} ± {s.rel_se:.3f} | {s.scale:.4f} ± {s.scale_se:.4f} | {_angle(s)} | "
                  f"{s.var_per_sample:.3g} ± {s.var_se:.2g} | {s.noise_to_signal:.2f} |")


def _scale(s, k: float = 2.0) -> str:
    """Scale times k/2 (the fast sigmoid's area 2/k divided out) with its standard error."""
    return f"{s.scale * k / 2:.3f} ± {s.scale_se * k / 2:.3f}"


def slope_sweep() -> dict:
    variants = {"fast_sigmoid": dict(surrogate="fast_sigmoid"),
                "fast_sigmoid, reset kept": dict(surrogate="fast_sigmoid", detach_reset=False),
                "sigmoid": dict(surrogate="sigmoid"),
                "sigmoid, reset kept": dict(surrogate="sigmoid", detach_reset=False)}
    out = {}
    for case_name, case in CASES.items():
        for var_name, changes in variants.items():
            out[case_name, var_name] = [gs.surrogate_bias(jax.random.PRNGKey(7), case, N_SWEEP, slope=k, **changes)
                                        for k in SLOPES]
    print(f"\nfast sigmoid (area 2/k) against k, T = 0.4, {N_SWEEP} samples per point (key 7)\n")
    print("| k | k T | ref.: scale k/2 | ref.: angle (deg) | mixed: scale k/2 | mixed: angle (deg) "
          "| mixed, reset kept: scale k/2 | angle (deg) | mixed: variance per sample | mixed: noise/signal |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for i, k in enumerate(SLOPES):
        r, m = out["reference", "fast_sigmoid"][i], out["mixed-sign", "fast_sigmoid"][i]
        c = out["mixed-sign", "fast_sigmoid, reset kept"][i]
        print(f"| {k:g} | {0.4 * k:g} | {_scale(r, k)} | {_angle(r)} | {_scale(m, k)} | {_angle(m)} | "
              f"{_scale(c, k)} | {_angle(c)} | {m.var_per_sample:.3g} | {m.noise_to_signal:.2f} |")
    for case_name in CASES:
        print(f"\nsigmoid (area 1) against k, {case_name} case, T = 0.4, {N_SWEEP} samples per point (key 7)\n")
        print("| k | detached reset: rel. bias | scale | angle (deg) | kept reset: rel. bias | scale | angle (deg) "
              "| kept: variance per sample | kept: noise/signal |")
        print("|---|---|---|---|---|---|---|---|---|")
        for i, k in enumerate(SLOPES):
            d, c = out[case_name, "sigmoid"][i], out[case_name, "sigmoid, reset kept"][i]
            print(f"| {k:g} | {d.rel_bias:.3f} ± {d.rel_se:.3f} | {_scale(d)} | {_angle(d)} | "
                  f"{c.rel_bias:.3f} ± {c.rel_se:.3f} | {_scale(c)} | {_angle(c)} | {c.var_per_sample:.3g} | "
                  f"{c.noise_to_signal:.2f} |")
    return out


def temperature_sweep() -> dict:
    variants = {"fast_sigmoid": dict(surrogate="fast_sigmoid"),
                "sigmoid, reset kept": dict(surrogate="sigmoid", detach_reset=False)}
    out = {(c, v): [gs.surrogate_bias(jax.random.PRNGKey(9), case, N_SWEEP, slope=SWEEP_SLOPE, temperature=t, **ch)
                    for t in TEMPERATURES]
           for c, case in CASES.items() for v, ch in variants.items()}
    k = SWEEP_SLOPE
    print(f"\nsurrogates at k = {k:g} against the temperature T, {N_SWEEP} samples per point (key 9)\n")
    print("| T | k T | fast sigmoid, ref.: scale k/2 | angle (deg) | mixed: scale k/2 | angle (deg) "
          "| sigmoid, reset kept, ref.: rel. bias | angle (deg) | mixed: rel. bias | angle (deg) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for i, t in enumerate(TEMPERATURES):
        fr, fm = out["reference", "fast_sigmoid"][i], out["mixed-sign", "fast_sigmoid"][i]
        sr, sm = out["reference", "sigmoid, reset kept"][i], out["mixed-sign", "sigmoid, reset kept"][i]
        print(f"| {t:g} | {k * t:g} | {_scale(fr, k)} | {_angle(fr)} | {_scale(fm, k)} | {_angle(fm)} | "
              f"{sr.rel_bias:.3f} ± {sr.rel_se:.3f} | {_angle(sr)} | {sm.rel_bias:.3f} ± {sm.rel_se:.3f} | "
              f"{_angle(sm)} |")
    return out


AREA_ONE = dict(surrogate="sigmoid", slope=10.0, detach_reset=False)
# (gradient, method, LifParams changes, samples per input, runs, Adam only)
RUNS = [("exact", "exact", {}, N_SMALL, 1, False),
        ("surrogate, fast sigmoid k = 25", "surrogate", {}, N_SMALL, N_RUNS, False),
        ("surrogate, sigmoid k = 10, reset kept", "surrogate", AREA_ONE, N_SMALL, N_RUNS, False),
        ("REINFORCE", "reinforce", {}, N_SMALL, N_RUNS, False),
        ("surrogate, fast sigmoid k = 25", "surrogate", {}, N_LARGE, 1, True),
        ("REINFORCE", "reinforce", {}, N_LARGE, 1, True)]


def training() -> tuple[dict, dict]:
    """Exact E[L] curves and final weights keyed by (T, optimizer, gradient, samples per input)."""
    curves, weights = {}, {}
    for temp in (0.4, 0.2):
        for opt_name, opt in OPTIMIZERS.items():
            for label, method, changes, n, n_runs, adam_only in RUNS:
                if adam_only and opt_name != "Adam 0.05":
                    continue
                task = gs.count_task(temp)
                task = task._replace(params=dataclasses.replace(task.params, **changes))
                key = (temp, opt_name, label, n)
                curves[key], weights[key] = gs.train_curves(method, jax.random.PRNGKey(3), task, opt, N_UPDATES, n,
                                                            n_runs)
    return curves, weights


def training_tables(curves: dict, weights: dict) -> None:
    at = (0, 100, 300, 1000, N_UPDATES)
    print(f"\ntraining: exact E[L] (median [min, max] over runs), {N_UPDATES} updates, 4 inputs\n")
    print("| T | optimizer | gradient | samples per input | runs | " + " | ".join(f"step {s}" for s in at) + " |")
    print("|---|---|---|---|---|" + "---|" * len(at))
    for (temp, opt_name, label, n), c in curves.items():
        cells = [f"{np.median(c[:, s]):.3f}" + ("" if len(c) == 1 else f" [{c[:, s].min():.3f}, {c[:, s].max():.3f}]")
                 for s in at]
        shown = "-" if label == "exact" else str(n)
        print(f"| {temp:g} | {opt_name} | {label} | {shown} | {c.shape[0]} | " + " | ".join(cells) + " |")
    print("\nend of training, every run: E[L] and the smallest expected count of the labelled neuron over the four "
          f"inputs (target {gs.count_task().target_count:g})\n")
    print("| T | optimizer | gradient | samples per input | E[L] per run | smallest expected count per run |")
    print("|---|---|---|---|---|---|")
    for (temp, opt_name, label, n), w in weights.items():
        task = gs.count_task(temp)
        counts = np.asarray(jax.vmap(lambda wr: gs.expected_counts(task, wr))(w))  # (runs, inputs, outputs)
        right = counts[:, np.arange(len(task.labels)), np.asarray(task.labels)].min(axis=1)
        shown = "-" if label == "exact" else str(n)
        print(f"| {temp:g} | {opt_name} | {label} | {shown} | "
              f"{', '.join(f'{v:.3f}' for v in curves[temp, opt_name, label, n][:, -1])} | "
              f"{', '.join(f'{v:.2f}' for v in right)} |")


def _finish(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"wrote {path}")


def _legend(ax, colors: dict, styles: dict, extra=()) -> None:
    """One legend entry per surrogate (colour) and per case (line style)."""
    handles = [Line2D([], [], color=c, marker="o", ms=3, label=name) for name, c in colors.items()]
    handles += [Line2D([], [], color="k", ls=ls, label=f"{name} case") for name, ls in styles.items()]
    ax.legend(handles=handles + list(extra), fontsize=7)


STYLES = {"reference": "-", "mixed-sign": "--"}
COLORS = {"fast_sigmoid": "C0", "fast_sigmoid, reset kept": "C4", "sigmoid": "C1", "sigmoid, reset kept": "C2"}


def slope_figure(slopes: dict, path: Path) -> None:
    k = np.asarray(SLOPES)
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for (case_name, var_name), stats in slopes.items():
        kw = dict(ls=STYLES[case_name], color=COLORS[var_name], marker="o", ms=3)
        axes[0].loglog(k, [s.scale for s in stats], **kw)
        axes[1].errorbar(k, [s.angle_deg for s in stats], yerr=[s.angle_se_deg for s in stats], capsize=2, **kw)
        axes[2].loglog(k, [s.var_per_sample for s in stats], **kw)
    (area,) = axes[0].loglog(k, 2.0 / k, "k:", label="2/k (area of the fast sigmoid)")
    axes[1].set_xscale("log")
    for ax, ylabel in zip(axes, ("scale m.e/|e|^2 (-)", "angle between mean and exact (deg)",
                                 "variance per sample, tr Cov (gradient^2)")):
        ax.set_xlabel("surrogate slope k (1/membrane units)")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
    _legend(axes[0], COLORS, STYLES, [area])
    fig.suptitle("Surrogate gradient against the exact gradient, T = 0.4 (membrane units)")
    _finish(fig, path)


def temperature_figure(temps: dict, path: Path) -> None:
    t = np.asarray(TEMPERATURES)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for (case_name, var_name), stats in temps.items():
        kw = dict(ls=STYLES[case_name], color=COLORS[var_name], marker="o", ms=3)
        area = 2.0 / SWEEP_SLOPE if var_name.startswith("fast_sigmoid") else 1.0
        axes[0].semilogx(t, [s.scale / area for s in stats], **kw)
        axes[1].errorbar(t, [s.angle_deg for s in stats], yerr=[s.angle_se_deg for s in stats], capsize=2, **kw)
    axes[1].set_xscale("log")
    axes[0].axhline(1.0, color="k", ls=":", lw=1)
    for ax, ylabel in zip(axes, ("scale / area of the surrogate (-)", "angle between mean and exact (deg)")):
        ax.set_xlabel("escape-noise temperature T (membrane units)")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
    _legend(axes[0], {v: COLORS[v] for (_, v) in temps}, STYLES)
    fig.suptitle(f"Surrogate slope k = {SWEEP_SLOPE:g} (1/membrane units)")
    _finish(fig, path)


def training_figure(curves: dict, path: Path) -> None:
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
    colors = {"exact": "k", "surrogate, fast sigmoid k = 25": "C0", "surrogate, sigmoid k = 10, reset kept": "C2",
              "REINFORCE": "C3"}
    for (temp, opt_name, label, n), c in curves.items():
        ax = axes[(0.4, 0.2).index(temp), list(OPTIMIZERS).index(opt_name)]
        step = np.arange(c.shape[1])
        ax.plot(step, np.median(c, axis=0), ls="--" if n == N_LARGE else "-", color=colors[label], lw=1.2,
                label=label if label == "exact" else f"{label}, {n} samples/input")
        if c.shape[0] > 1:
            ax.fill_between(step, c.min(axis=0), c.max(axis=0), color=colors[label], alpha=0.2, lw=0)
        ax.set_title(f"T = {temp:g}, {opt_name}")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("update")
    for ax in axes[:, 0]:
        ax.set_ylabel("expected loss E[L] (spike counts^2)")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"Count task, exact E[L]; line: median of {N_RUNS} runs, band: min to max")
    _finish(fig, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--figures", default=str(ROOT / "docs" / "figures"))
    args = ap.parse_args()
    t0 = time.perf_counter()
    estimator_tables()
    slopes = slope_sweep()
    temps = temperature_sweep()
    curves, weights = training()
    training_tables(curves, weights)
    out = Path(args.figures)
    out.mkdir(parents=True, exist_ok=True)
    slope_figure(slopes, out / "snn-surrogate-slope.png")
    temperature_figure(temps, out / "snn-surrogate-temperature.png")
    training_figure(curves, out / "snn-surrogate-training.png")
    print(f"\n{date.today()}, {os.cpu_count()} CPU cores, wall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
