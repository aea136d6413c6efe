"""Benchmark: C-grid generation and jitted deformation time (256 x 64 cells by default).

Usage: ``python scripts/bench_mesh.py [--n-airfoil 192] [--n-wake 32] [--n-normal 64] [--repeat 20]``

Prints a table of wall times (best and median of ``--repeat`` runs, after
a warm-up for the jitted functions) and the peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import jax
import jax.numpy as jnp

import cfdopt  # noqa: F401  (float64)
from cfdopt.geometry import HicksHenne, hicks_henne, load_airfoil, resample_surface
from cfdopt.mesh import check_deformation, deform, generate_cgrid, quality_report, wall_distance


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-airfoil", type=int, default=192)
    parser.add_argument("--n-wake", type=int, default=32)
    parser.add_argument("--n-normal", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    surface = resample_surface(load_airfoil("naca0012-sharp"), args.n_airfoil)
    grid = generate_cgrid(surface, args.n_wake, args.n_normal, wall_spacing=1e-6)
    params = HicksHenne.spaced(4)
    design = 1e-3 * jnp.ones(params.n_design)
    selig = grid.surface[::-1]

    def mesh_of(d):
        return deform(grid, hicks_henne(selig, d, params)[::-1]).nodes

    deform_jit = jax.jit(mesh_of)
    jvp_jit = jax.jit(lambda d, v: jax.jvp(mesh_of, (d,), (v,))[1])
    vjp_jit = jax.jit(lambda d, ct: jax.vjp(mesh_of, d)[1](ct)[0])
    wall_jit = jax.jit(lambda n: wall_distance(type(grid)(n, grid.n_wake)))
    cot = jnp.ones_like(grid.nodes)
    for f in (lambda: deform_jit(design), lambda: jvp_jit(design, design), lambda: vjp_jit(design, cot),
              lambda: wall_jit(grid.nodes)):
        jax.block_until_ready(f())  # compile

    rows = [
        ("generate_cgrid (NumPy)", timed(lambda: generate_cgrid(surface, args.n_wake, args.n_normal, wall_spacing=1e-6).nodes, args.repeat)),
        ("deform (jit, Hicks-Henne -> mesh)", timed(lambda: deform_jit(design), args.repeat)),
        ("jvp of mesh wrt design (jit)", timed(lambda: jvp_jit(design, design), args.repeat)),
        ("vjp of mesh wrt design (jit)", timed(lambda: vjp_jit(design, cot), args.repeat)),
        ("check_deformation (NumPy)", timed(lambda: check_deformation(type(grid)(deform_jit(design), grid.n_wake)).nodes, args.repeat)),
        ("wall_distance (jit)", timed(lambda: wall_jit(grid.nodes), args.repeat)),
    ]
    print(f"grid {grid.ni} x {grid.nj} cells ({grid.n_airfoil} on the airfoil), backend {jax.default_backend()}")
    print(f"{'step':38s} {'best [ms]':>10s} {'median [ms]':>12s}")
    for name, (best, med) in rows:
        print(f"{name:38s} {1e3 * best:10.2f} {1e3 * med:12.2f}")
    print(quality_report(grid))
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
