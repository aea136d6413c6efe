"""The worst wall a Hicks-Henne design box can make: its corners, per bump spacing and count, and the wall check.

The extreme designs of a box ``|d_k| <= bound`` are its corners. For each spacing (``"even"``, the default,
and ``"cosine"``) and each number of bumps per surface, every corner family below is deformed onto the
case's baseline grid and measured as :mod:`cfdopt.mesh.wall_check` measures it:

- corners: all ``+bound``; all ``-bound``; upper ``+`` and lower ``-`` and the reverse; alternating signs
  (both phases); every single variable at ``+-bound`` (the others 0); 64 random sign patterns (seed 0);
- measures: the largest wall turning angle (degrees, and as a multiple of the baseline's largest), the
  smallest first-cell area ratio (deformed / baseline), the largest rise of the first cells' skew, and
  how many corners the wall check alone refuses (:func:`cfdopt.mesh.wall_check.wall_violation`, default
  limits), how many cross the upper surface through the lower (``surface_crossings``), and how many
  :func:`cfdopt.mesh.check_deformation` refuses in all (crossing first, then the wall, then folded cells).

Tables printed:

1. each bundled case's own design box, as configured, with its baseline's largest turning angle;
2. the spacings x bump counts on ``cases/naca0012-su2-inviscid`` (NACA 0012, 128 wall cells), bound
   left unset (0.01, or 0.19 / n beyond 19 bumps) and, for comparison, the old ``"even"`` (k/(n+1)) and a
   fixed 0.01 beyond 19 bumps;
3. the same on 64, 256 and 512 wall cells (``mesh.n_airfoil``), for the dependence on the surface spacing;
4. the single-variable designs of issue 11 (cosine, 19 bumps) and what the check says of each, and what the
   check costs.

    python scripts/design_space_corners.py [--quick]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from cfdopt.case.schema import load_case
from cfdopt.util.errors import MeshError
from cfdopt.geometry.hicks_henne import HicksHenne, hicks_henne
from cfdopt.mesh import check_deformation, deform
from cfdopt.mesh.deform import surface_crossings
from cfdopt.mesh.wall_check import WALL_LIMITS, turning_allowed, wall_measures, wall_violation
from cfdopt.optimize.problem import baseline_grid, baseline_surface

ROOT = Path(__file__).resolve().parents[1]
SU2 = ROOT / "cases" / "naca0012-su2-inviscid"


def corners(n_vars: int, n_upper: int | None, seed: int = 0, n_random: int = 64) -> dict[str, np.ndarray]:
    """Sign patterns (+-1) of the corner families; ``n_upper`` splits upper from lower (None: symmetric)."""
    out = {"all +": np.ones(n_vars), "all -": -np.ones(n_vars)}
    if n_upper is not None:
        out["upper +, lower -"] = np.r_[np.ones(n_upper), -np.ones(n_vars - n_upper)]
        out["upper -, lower +"] = -out["upper +, lower -"]
    out["alternating +-"] = (-1.0) ** np.arange(n_vars)
    out["alternating -+"] = -out["alternating +-"]
    for k in range(n_vars):
        for s in (1.0, -1.0):
            e = np.zeros(n_vars)
            e[k] = s
            out[f"single {k} {'+' if s > 0 else '-'}"] = e
    rng = np.random.default_rng(seed)
    for r in range(n_random):
        out[f"random {r}"] = rng.choice([-1.0, 1.0], n_vars)
    return out


def family(name: str) -> str:
    return name.split(" ")[0] if name.startswith(("single", "random")) else name


class Box:
    """A baseline grid and a shape function ``wall(d)`` (CGrid wall order) to measure corners on."""

    def __init__(self, grid0, wall_fn, n_vars: int, n_upper: int | None, bound: float):
        self.grid0, self.n_vars, self.n_upper, self.bound = grid0, n_vars, n_upper, bound
        self.base = wall_measures(grid0)
        self.move = jax.jit(lambda d: deform(grid0, wall_fn(d)))

    def measure(self, signs: np.ndarray) -> dict:
        grid = self.move(jnp.asarray(signs * self.bound))
        grid = type(grid)(nodes=np.asarray(grid.nodes), n_wake=grid.n_wake)
        m = wall_measures(grid)
        k = int(np.argmax(m.turning_deg))
        try:
            check_deformation(grid, baseline=self.grid0)
            refused = ""
        except MeshError as err:
            text = str(err)
            refused = ("turning" if "wall turns" in text else "area" if "baseline area" in text
                       else "skew" if "off square" in text else "crossing" if "crosses itself" in text else "fold")
        bad = wall_violation(grid, self.grid0)  # on its own, whatever the crossing check says
        return dict(turn=float(m.turning_deg[k]), x=float(m.wall[k + 1, 0]),
                    area=float(np.min(m.area / self.base.area)),
                    skew=float(np.max(m.skew_deg - self.base.skew_deg)), refused=refused,
                    wall="" if bad is None else bad.quantity, crossed=bool(len(surface_crossings(m.wall))))

    def sweep(self, n_random: int = 64) -> dict:
        """Worst of every measure over all corner families, the corner that turns most, and the refusals."""
        rows = {name: self.measure(s) for name, s in corners(self.n_vars, self.n_upper, n_random=n_random).items()}
        worst = max(rows, key=lambda n: rows[n]["turn"])
        fams = {}
        for name, r in rows.items():
            f = family(name)
            fams[f] = max(fams.get(f, 0.0), r["turn"])
        refused = [r["refused"] for r in rows.values() if r["refused"]]
        wall = [r["wall"] for r in rows.values() if r["wall"]]
        return dict(turn=rows[worst]["turn"], at=worst, x=rows[worst]["x"], families=fams,
                    area=min(r["area"] for r in rows.values()), skew=max(r["skew"] for r in rows.values()),
                    refused=len(refused), kinds=sorted(set(refused)), total=len(rows),
                    wall=len(wall), wall_kinds=sorted(set(wall)), crossed=sum(r["crossed"] for r in rows.values()))


def hh_box(grid0, surface, peaks: tuple[float, ...], bound: float, width: float = 3.0) -> Box:
    params = HicksHenne(peaks, peaks, width)
    base = jnp.asarray(surface)
    return Box(grid0, lambda d: hicks_henne(base, d, params)[::-1], params.n_design, len(peaks), bound)


def old_even(n: int) -> tuple[float, ...]:
    return tuple(k / (n + 1) for k in range(1, n + 1))


def unset_bound(n: int) -> float:
    return 0.01 * min(1.0, 19.0 / n)


def su2_grid(n_airfoil: int | None = None):
    cfg = load_case(SU2, [] if n_airfoil is None else [f"mesh.n_airfoil={n_airfoil}"])
    surface = baseline_surface(cfg)
    return baseline_grid(cfg, surface), surface


def print_row(label: str, n: int, bound: float, x1: float, res: dict, base_max: float) -> None:
    print(f"| {label} | {n} | {bound:.4g} | {x1:.4f} | {res['turn']:.1f} ({res['turn'] / base_max:.2f}x) | "
          f"{res['at']}, x={res['x']:.4f} | {res['area']:.3f} | {res['skew']:.1f} | {verdicts(res)} |")


def verdicts(res: dict) -> str:
    """``wall check / crossing / check_deformation in all`` refusals of the corners."""
    wall = f" ({', '.join(res['wall_kinds'])})" if res["wall_kinds"] else ""
    kinds = f" ({', '.join(res['kinds'])})" if res["kinds"] else ""
    return f"{res['wall']}{wall} / {res['crossed']} / {res['refused']}{kinds} of {res['total']}"


HEADER = ("| spacing | n | bound | first peak | worst turning, deg | where (corner, x) | min area ratio | "
          "max skew rise, deg | refused: wall check / surfaces crossed / check_deformation |\n"
          "|---|---|---|---|---|---|---|---|---|")


def table_spacings(grid0, surface, counts, n_random: int, with_old: bool) -> None:
    base_max = float(wall_measures(grid0).turning_deg.max())
    print(f"baseline: {grid0.n_airfoil} wall cells, largest turning {base_max:.2f} deg, "
          f"allowed {turning_allowed(base_max):.1f} deg\n")
    print(HEADER)
    for n in counts:
        for label, peaks, bound in [("even", HicksHenne.spaced(n, "even").upper_peaks, unset_bound(n)),
                                    ("cosine", HicksHenne.spaced(n, "cosine").upper_peaks, unset_bound(n))]:
            print_row(label, n, bound, peaks[0], hh_box(grid0, surface, peaks, bound).sweep(n_random), base_max)
        if with_old and n > 19:
            print_row("even, bound 0.01", n, 0.01, HicksHenne.spaced(n).upper_peaks[0],
                      hh_box(grid0, surface, HicksHenne.spaced(n).upper_peaks, 0.01).sweep(n_random), base_max)
            print_row("old even k/(n+1), 0.01", n, 0.01, old_even(n)[0],
                      hh_box(grid0, surface, old_even(n), 0.01).sweep(n_random), base_max)
    print()


def table_bundled(n_random: int) -> None:
    from cfdopt.optimize.problem import AeroProblem

    print("| case | design | wall cells | baseline largest turning, deg | allowed | worst corner turning, deg "
          "| where | min area ratio | max skew rise | refused: wall check / surfaces crossed / check_deformation |\n"
          "|---|---|---|---|---|---|---|---|---|---|")
    for path in sorted((ROOT / "cases").glob("*/case.toml")):
        if "[design]" not in path.read_text():
            continue
        cfg = load_case(path.parent)
        if cfg.design.parametrization != "hicks-henne":
            continue
        problem = AeroProblem(cfg)
        space = problem.space
        n_upper = None if cfg.design.symmetric else space.n_shape // 2
        box = Box(problem.grid0, lambda d, s=space: s.shape_fn(jnp.asarray(s.baseline), d)[::-1],
                  space.n_shape, n_upper, cfg.design.bound)
        res = box.sweep(n_random)
        base_max = float(box.base.turning_deg.max())
        allowed = turning_allowed(base_max)
        d = cfg.design
        what = f"{d.bump_spacing} {d.n_bumps}{' symmetric' if d.symmetric else ''}, bound {d.bound:g}"
        print(f"| {path.parent.name} | {what} | {problem.grid0.n_airfoil} | {base_max:.2f} | {allowed:.1f} | "
              f"{res['turn']:.1f} | {res['at']}, x={res['x']:.4f} | {res['area']:.3f} | {res['skew']:.1f} | "
              f"{verdicts(res)} |")
    print()


def table_issue_designs() -> None:
    from cfdopt.optimize.problem import AeroProblem

    cfg = load_case(SU2, ["design.bump_spacing=cosine"])
    problem = AeroProblem(cfg)
    print("| design (cosine, 19 bumps, su2-inviscid grid) | worst turning, deg | min area ratio | check |\n"
          "|---|---|---|---|")
    for k, s in [(0, -1), (0, 1), (1, -1), (1, 1), (18, -1), (18, 1)]:
        d = np.zeros(problem.space.n_vars)
        d[k] = s * cfg.design.bound
        grid, _ = problem.geometry(jnp.asarray(d))
        m = wall_measures(grid)
        try:
            check_deformation(grid, baseline=problem.grid0, explain=problem.space.explain_wall(d))
            verdict = "passes"
        except MeshError as err:
            verdict = "refused: " + str(err).split("; design variable(s)")[0].replace("deformed mesh: ", "")[:110] + \
                " ...; names " + str(err).split("there: ")[-1].split(" (")[0]
        print(f"| {problem.space.names[k]} = {s * cfg.design.bound:+g} | {m.turning_deg.max():.1f} | "
              f"{np.min(m.area / wall_measures(problem.grid0).area):.3f} | {verdict} |")
    grid, _ = problem.geometry(jnp.zeros(problem.space.n_vars))
    grid = type(grid)(nodes=np.asarray(grid.nodes), n_wake=grid.n_wake)

    def best_ms(fn, repeat=5, number=40):  # the least of 5 batches: the machine is shared
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            times.append((time.perf_counter() - start) / number)
        return 1e3 * min(times)

    wall = best_ms(lambda: wall_violation(grid, problem.grid0))
    full = best_ms(lambda: check_deformation(grid, baseline=problem.grid0))
    areas = best_ms(lambda: check_deformation(grid))
    print(f"\nwall check (wall_violation) {wall:.2f} ms per call; check_deformation {full:.2f} ms with it, "
          f"{areas:.2f} ms without ({grid.ni} x {grid.nj} cells; least of 5 batches of 40)\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="8 random corners instead of 64, fewer bump counts")
    args = parser.parse_args()
    n_random = 8 if args.quick else 64
    counts = (4, 19, 40) if args.quick else (1, 2, 4, 8, 12, 19, 24, 30, 40)
    print("## bundled cases: their own design boxes, as configured\n")
    table_bundled(n_random)
    print("## spacings on cases/naca0012-su2-inviscid (bound unset: 0.01, or 0.19/n beyond 19 bumps)\n")
    grid0, surface = su2_grid()
    table_spacings(grid0, surface, counts, n_random, with_old=True)
    for n_airfoil in (64, 256, 512):
        print(f"## the same with mesh.n_airfoil = {n_airfoil}\n")
        grid0, surface = su2_grid(n_airfoil)
        table_spacings(grid0, surface, (4, 12, 19, 30, 40), n_random, with_old=False)
    print("## the single-variable designs of issue 11\n")
    table_issue_designs()
    print(f"limits: {WALL_LIMITS}; bump width exponent 3; sqrt(x) nose vs x^(e t): x_k < 0.25^3 = {0.25 ** 3:.4f} "
          f"(cosine 19: first peak {0.5 * (1 - math.cos(math.pi / 20)):.4f})")


if __name__ == "__main__":
    main()
