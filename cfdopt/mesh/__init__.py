"""Structured meshes: C-grid generation, quality, deformation, wall distance, flat plate, VTU export.

The data contract (node layout, ``CGrid``, ``FlatPlateGrid``, ``Metrics``,
``metrics``) lives in :mod:`cfdopt.mesh.types`.
"""

from cfdopt.mesh.cgrid import cgrid_from_config, generate_cgrid
from cfdopt.mesh.deform import check_deformation, deform, deform_checked
from cfdopt.mesh.export import write_vtu
from cfdopt.mesh.flatplate import flat_plate_grid
from cfdopt.mesh.quality import QualityReport, cell_quality, check_areas, quality_report
from cfdopt.mesh.spacing import geometric_distances
from cfdopt.mesh.types import CGrid, FlatPlateGrid, Metrics, metrics
from cfdopt.mesh.wall_distance import wall_distance

__all__ = [
    "CGrid",
    "FlatPlateGrid",
    "Metrics",
    "QualityReport",
    "cell_quality",
    "cgrid_from_config",
    "check_areas",
    "check_deformation",
    "deform",
    "deform_checked",
    "flat_plate_grid",
    "generate_cgrid",
    "geometric_distances",
    "metrics",
    "quality_report",
    "wall_distance",
    "write_vtu",
]
