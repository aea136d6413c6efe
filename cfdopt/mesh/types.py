"""The structured-mesh data contract shared by the mesher, the flow solver and the adjoint.

Layout (stated once, used everywhere):

``CGrid.nodes`` has shape ``(ni + 1, nj + 1, 2)``: node ``(i, j)`` at ``(x, y)``
in chords (the airfoil spans x in [0, 1]). Cells are ``(ni, nj)``; cell
``(i, j)`` has corners ``(i, j), (i+1, j), (i+1, j+1), (i, j+1)`` listed
counter-clockwise, so signed areas are positive.

The index ``i`` runs along the C: from the outflow end of the *lower* wake,
upstream along the wake cut to the trailing edge, round the *lower* surface to
the leading edge, back along the *upper* surface to the trailing edge, then
down the *upper* wake to the outflow. ``j = 0`` is the wall and wake cut;
``j = nj`` is the far field. With ``n_wake`` cells along each wake branch:

- airfoil wall faces: cells ``i`` in ``[n_wake, ni - n_wake)`` at ``j = 0``;
  ``n_airfoil = ni - 2 n_wake``;
- wake cut: node ``(i, 0)`` coincides with node ``(ni - i, 0)`` for
  ``i <= n_wake``, and cell ``(i, 0)`` faces cell ``(ni - 1 - i, 0)`` across it
  for ``i < n_wake``;
- far field: ``j = nj`` (all i) and the outflow lines ``i = 0`` and ``i = ni``.

``FlatPlateGrid`` (for the NASA TMR flat plate) uses the same node layout on a
rectangle: ``i`` runs downstream, ``j`` up from the wall; the first
``n_lead`` cells at ``j = 0`` lie on the symmetry plane ahead of the plate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp


def _register(cls, data_fields, meta_fields):
    jax.tree_util.register_dataclass(cls, data_fields=data_fields, meta_fields=meta_fields)
    return cls


@dataclass(frozen=True)
class CGrid:
    """A C-grid around an airfoil. See the module docstring for the layout.

    Attributes:
        nodes: ``(ni + 1, nj + 1, 2)`` float64 node coordinates (chords).
        n_wake: cells along each wake branch (static).
    """

    nodes: jax.Array
    n_wake: int = field(metadata=dict(static=True))

    pressure_outlet = False
    """The outflow lines are characteristic far field (the flow solver's choice of outflow condition)."""

    def __post_init__(self):
        shape = getattr(self.nodes, "shape", None)
        if shape is None or len(shape) != 3 or shape[2] != 2:
            raise ValueError(f"CGrid.nodes must have shape (ni+1, nj+1, 2), got {shape}")
        ni = shape[0] - 1
        if not 0 <= 2 * self.n_wake < ni:
            raise ValueError(f"n_wake={self.n_wake} leaves no airfoil cells for ni={ni}")

    @property
    def ni(self) -> int:
        return self.nodes.shape[0] - 1

    @property
    def nj(self) -> int:
        return self.nodes.shape[1] - 1

    @property
    def n_airfoil(self) -> int:
        return self.ni - 2 * self.n_wake

    @property
    def surface(self) -> jax.Array:
        """Wall nodes ``(n_airfoil + 1, 2)`` from the trailing edge round the lower surface, LE, upper surface to the TE."""
        return self.nodes[self.n_wake : self.ni - self.n_wake + 1, 0]

    @property
    def n_cut(self) -> int:
        """Cells ``j = 0`` on each branch of the cut: cell ``(i, 0)`` faces ``(ni - 1 - i, 0)`` for ``i < n_cut``."""
        return self.n_wake

    @property
    def wall_cells(self) -> tuple[int, int]:
        """``(lo, hi)``: the cells ``lo <= i < hi`` of row ``j = 0`` lie on the wall."""
        return self.n_wake, self.ni - self.n_wake


_register(CGrid, ["nodes"], ["n_wake"])


@dataclass(frozen=True)
class FlatPlateGrid:
    """Rectangular grid for the flat plate: symmetry plane for the first ``n_lead`` wall cells, no-slip after.

    Attributes:
        nodes: ``(ni + 1, nj + 1, 2)`` float64 node coordinates.
        n_lead: cells on the symmetry plane ahead of the plate (static).
    """

    nodes: jax.Array
    n_lead: int = field(metadata=dict(static=True))

    pressure_outlet = True
    """The outflow line ``i = ni`` holds the free-stream static pressure (NASA TMR's flat-plate outflow)."""

    @property
    def ni(self) -> int:
        return self.nodes.shape[0] - 1

    @property
    def nj(self) -> int:
        return self.nodes.shape[1] - 1

    @property
    def surface(self) -> jax.Array:
        """Plate nodes ``(ni - n_lead + 1, 2)`` from the leading edge downstream."""
        return self.nodes[self.n_lead :, 0]

    @property
    def n_cut(self) -> int:
        """No cut: the row ``j = 0`` is symmetry plane, then wall."""
        return 0

    @property
    def wall_cells(self) -> tuple[int, int]:
        """``(lo, hi)``: the plate cells ``n_lead <= i < ni`` of row ``j = 0``; the rest is symmetry plane."""
        return self.n_lead, self.ni

    @property
    def reference_length(self) -> jax.Array:
        """The plate's length: force coefficients are per unit plate length (NASA TMR's CD of the plate)."""
        return self.nodes[-1, 0, 0] - self.nodes[self.n_lead, 0, 0]


_register(FlatPlateGrid, ["nodes"], ["n_lead"])


@dataclass(frozen=True)
class Metrics:
    """Finite-volume metrics of a structured grid (all float64).

    Attributes:
        area: ``(ni, nj)`` cell areas (positive for a valid grid).
        centre: ``(ni, nj, 2)`` cell centroids.
        si: ``(ni + 1, nj, 2)`` area-weighted normals of i-faces (face between
            cells ``(i-1, j)`` and ``(i, j)``, from node ``(i, j)`` to
            ``(i, j+1)``), pointing towards increasing i; length = face length.
        sj: ``(ni, nj + 1, 2)`` normals of j-faces (from node ``(i, j)`` to
            ``(i+1, j)``), pointing towards increasing j.
    """

    area: jax.Array
    centre: jax.Array
    si: jax.Array
    sj: jax.Array


_register(Metrics, ["area", "centre", "si", "sj"], [])


def metrics(nodes: jax.Array) -> Metrics:
    """Cell areas, centroids and face normals of a node array ``(ni+1, nj+1, 2)``.

    Areas by the shoelace formula on the quadrilateral (half the cross
    product of its diagonals); centroids as the area-weighted mean of the two
    triangles; face normals ``(dy, -dx)`` of the face vector. The i-face and
    j-face normals of every cell sum to zero (closed cell), which the flow
    solver relies on for freestream preservation.
    """
    p00 = nodes[:-1, :-1]
    p10 = nodes[1:, :-1]
    p11 = nodes[1:, 1:]
    p01 = nodes[:-1, 1:]
    d1 = p11 - p00
    d2 = p01 - p10
    area = 0.5 * (d1[..., 0] * d2[..., 1] - d1[..., 1] * d2[..., 0])

    def tri(a, b, c):
        ar = 0.5 * ((b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0]))
        return ar, (a + b + c) / 3.0

    a1, c1 = tri(p00, p10, p11)
    a2, c2 = tri(p00, p11, p01)
    centre = (a1[..., None] * c1 + a2[..., None] * c2) / (a1 + a2)[..., None]

    ei = nodes[:, 1:] - nodes[:, :-1]
    si = jnp.stack([ei[..., 1], -ei[..., 0]], axis=-1)
    ej = nodes[1:, :] - nodes[:-1, :]
    sj = jnp.stack([-ej[..., 1], ej[..., 0]], axis=-1)
    return Metrics(area=area, centre=centre, si=si, sj=sj)
