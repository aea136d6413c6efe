"""``cfdopt mesh CASE``: build the case's C-grid, write mesh.vtu and mesh.png, print size and quality."""

from __future__ import annotations

HELP = "build the C-grid of a case; write mesh.vtu and mesh.png and print its size and quality"


def run(args, cfg) -> int:
    from cfdopt.geometry import close_trailing_edge, load_airfoil
    from cfdopt.mesh import cgrid_from_config, quality_report, wall_distance, write_vtu
    from cfdopt.mesh.quality import cell_quality
    from cfdopt.plots.mesh import plot_mesh

    surface = close_trailing_edge(load_airfoil(cfg.geometry.airfoil, cfg.case_dir))
    grid = cgrid_from_config(surface, cfg.mesh)
    report = quality_report(grid)
    q = cell_quality(grid)
    vtu = write_vtu(
        args.out / "mesh.vtu",
        grid,
        cell_data={"area": q["area"], "skew_deg": q["skew_deg"], "aspect_ratio": q["aspect_ratio"],
                   "wall_distance": wall_distance(grid)},
    )
    png = args.out / "mesh.png"
    plot_mesh(grid, png, title=f"{cfg.geometry.airfoil}: {grid.ni} x {grid.nj} cells")
    if not args.quiet:
        print(f"C-grid for {cfg.geometry.airfoil}: {grid.n_airfoil} cells on the airfoil, {grid.n_wake} per wake "
              f"branch, {grid.nj} wall-normal, far field {cfg.mesh.farfield:g} chords")
        print(report)
        print(f"wrote {vtu} and {png}")
    return 0
