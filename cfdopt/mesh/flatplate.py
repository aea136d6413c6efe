"""Rectangular grid for the NASA TMR zero-pressure-gradient flat plate.

Domain ``x`` in ``[x_lead, length]`` (default ``[-0.33333, 2]``), ``y`` in
``[0, height]`` (default 1). The first ``n_lead`` wall cells lie on the
symmetry plane ahead of the plate, whose leading edge is at ``x = 0``.
Spacing grows geometrically away from the leading edge in both directions
(first cell ``le_spacing`` on each side of ``x = 0``) and away from the
wall in ``y`` (first cell ``wall_spacing``).

References:
    NASA Turbulence Modeling Resource, "2D Zero Pressure Gradient Flat
    Plate Verification Case", https://turbmodels.larc.nasa.gov/flatplate.html
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from cfdopt.mesh.spacing import geometric_distances
from cfdopt.mesh.types import FlatPlateGrid
from cfdopt.util.errors import ConfigError

__all__ = ["FLAT_PLATE", "flat_plate_grid", "flat_plate_from_config"]

FLAT_PLATE = "flat-plate"
"""The ``[geometry] airfoil`` value that selects the TMR flat-plate domain instead of a C-grid."""


def flat_plate_grid(
    ni_plate: int = 96,
    ni_lead: int = 24,
    nj: int = 96,
    wall_spacing: float = 1e-6,
    le_spacing: float = 1e-3,
    x_lead: float = -0.33333,
    length: float = 2.0,
    height: float = 1.0,
) -> FlatPlateGrid:
    """Build the flat-plate grid (see the module docstring).

    Args:
        ni_plate: cells along the plate ``0 <= x <= length``.
        ni_lead: cells on the symmetry plane ``x_lead <= x <= 0``.
        nj: cells from the wall to ``y = height``.
        wall_spacing: first-cell height at ``y = 0``.
        le_spacing: cell length on each side of the leading edge ``x = 0``.
        x_lead, length, height: domain extents.

    Returns:
        ``FlatPlateGrid`` with ``ni = ni_lead + ni_plate`` and ``n_lead = ni_lead``.
    """
    for name, value in (("ni_plate", ni_plate), ("ni_lead", ni_lead), ("nj", nj)):
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    if not (x_lead < 0.0 < length and height > 0.0):
        raise ValueError(f"need x_lead < 0 < length and height > 0, got {x_lead}, {length}, {height}")
    if not (0.0 < wall_spacing < height and 0.0 < le_spacing < min(-x_lead, length)):
        raise ValueError(f"spacings out of range: wall_spacing={wall_spacing}, le_spacing={le_spacing}")
    x_ahead = -geometric_distances(le_spacing, -x_lead, ni_lead)[::-1]
    x_plate = geometric_distances(le_spacing, length, ni_plate)
    x = np.concatenate([x_ahead, x_plate[1:]])
    x[0] = x_lead
    y = geometric_distances(wall_spacing, height, nj)
    nodes = np.stack(np.meshgrid(x, y, indexing="ij"), axis=-1)
    return FlatPlateGrid(nodes=jnp.asarray(nodes), n_lead=ni_lead)


def flat_plate_from_config(mesh_cfg) -> FlatPlateGrid:
    """The TMR flat-plate grid of a case's ``[mesh]``: ``n_airfoil`` cells along the plate, ``n_wake`` on the
    symmetry plane ahead of it, ``n_normal`` up to ``y = 1``, first cell ``wall_spacing`` (required),
    leading-edge cell ``le_spacing`` (default: a tenth of the mean plate cell)."""
    if mesh_cfg.wall_spacing is None:
        raise ConfigError("[mesh] wall_spacing: the flat plate needs its first-cell height (e.g. 2e-6 for the "
                          "137 x 97-class grid at Re 5e6)")
    le = mesh_cfg.le_spacing if mesh_cfg.le_spacing is not None else 0.2 / mesh_cfg.n_airfoil
    return flat_plate_grid(ni_plate=mesh_cfg.n_airfoil, ni_lead=mesh_cfg.n_wake, nj=mesh_cfg.n_normal,
                           wall_spacing=mesh_cfg.wall_spacing, le_spacing=le)
