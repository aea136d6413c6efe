"""``cfdopt mesh CASE``: build the case's grid, write mesh.vtu and mesh.png, print size and quality; say on stderr,
one line each, where a rans-sa grid leaves the verified envelope (:mod:`cfdopt.mesh.envelope`)."""

from __future__ import annotations

import sys

HELP = "build the grid of a case; write mesh.vtu and mesh.png and print its size and quality"


def run(args, cfg) -> int:
    from cfdopt.mesh import CGrid, quality_report, wall_distance, write_vtu
    from cfdopt.mesh.envelope import envelope_warnings
    from cfdopt.mesh.quality import cell_quality
    from cfdopt.plots.mesh import plot_mesh
    from cfdopt.optimize.problem import baseline_grid

    grid = baseline_grid(cfg)
    report = quality_report(grid)
    q = cell_quality(grid)
    vtu = write_vtu(
        args.out / "mesh.vtu",
        grid,
        cell_data={"area": q["area"], "skew_deg": q["skew_deg"], "aspect_ratio": q["aspect_ratio"],
                   "wall_distance": wall_distance(grid)},
    )
    png = args.out / "mesh.png"
    source = cfg.geometry.airfoil if cfg.mesh.file is None else cfg.mesh.file
    plot_mesh(grid, png, title=f"{source}: {grid.ni} x {grid.nj} cells")
    if not args.quiet:
        if cfg.mesh.file is not None:
            print(f"C-grid read from {cfg.mesh.file}: {grid.n_airfoil} cells on the airfoil, {grid.n_wake} per wake "
                  f"branch, {grid.nj} wall-normal")
        elif isinstance(grid, CGrid):
            rans = cfg.flow.viscous
            kind = f"viscous spacing for Re {cfg.flow.reynolds:.3g}" if rans else "inviscid spacing"
            print(f"C-grid for {cfg.geometry.airfoil}: {grid.n_airfoil} cells on the airfoil, {grid.n_wake} per wake "
                  f"branch, {grid.nj} wall-normal, far field {cfg.mesh.farfield:g} chords, {kind}")
        else:
            print(f"flat-plate grid: {grid.ni - grid.n_lead} cells on the plate, {grid.n_lead} ahead of it, "
                  f"{grid.nj} wall-normal")
        print(report)
        print(f"wrote {vtu} and {png}")
    for line in envelope_warnings(cfg, grid):
        print(f"cfdopt mesh: warning: {line}", file=sys.stderr)
    return 0
