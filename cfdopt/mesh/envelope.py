"""The verified envelope of a RANS C-grid: where a case's grid leaves it, one line each, with the consequence.

The rans-sa defaults build the NASA TMR family grid of ``[mesh] size`` (cases/tmr-naca0012 at 225 nodes around the
C, verified against TMR's equal-size band at alpha 10, and its family refinement at 449; docs/rans.md). Explicit
``[mesh]`` values can leave what those grids verified; :func:`envelope_warnings` compares the grid's
:func:`cfdopt.mesh.quality.quality_report` with limits taken from them (docs/mesh.md, "The verified envelope of a
RANS grid"):

- wake-cut neighbour ratio (``max_wake_ratio``) at most ``WAKE_RATIO_MAX``: 1.61 on the 225 class (48 cells per
  branch for 500 chords), 1.15 on 449; a new user's 160 / 32 / 64 grid has 3.46 and gives CL 0.5% lower and CD 5%
  higher than the 225 class (docs/rans.md);
- wall-normal growth ratio (``max_growth``) at most ``GROWTH_MAX``: 1.318 on the 225 class (64 geometric cells at
  Re 6e6; the same size has 1.320 at Re 6.5e6 and 1.329 at 1e7), 1.149 on 449; the boundary-layer rule on 64 cells
  has 3.25 (CD 57% high), the 113 class 1.80;
- surface neighbour ratio, the trailing-edge junction included (``max_surface_ratio``, ``te_junction_ratio``), at
  most ``SURFACE_RATIO_MAX``: the rans-sa surface is re-sampled to at most 1.2 (1.197 on the 225 class);
- first-cell y+ estimated from the first-cell height and the Reynolds number
  (:func:`cfdopt.mesh.cgrid.wall_spacing_for_yplus`, the turbulent flat plate at the trailing edge) at most
  ``Y_PLUS_MAX``: 1 on the 225 class by construction, 0.47 on 449.

Only rans-sa C-grids are checked (the TMR flat plate and Euler grids have their own verifications).
"""

from __future__ import annotations

from cfdopt.mesh.cgrid import wall_spacing_for_yplus
from cfdopt.mesh.quality import quality_report
from cfdopt.mesh.types import CGrid
from cfdopt.mesh.flatplate import FLAT_PLATE

__all__ = ["WAKE_RATIO_MAX", "GROWTH_MAX", "SURFACE_RATIO_MAX", "Y_PLUS_MAX", "checks_grid", "envelope_warnings"]

WAKE_RATIO_MAX = 1.65
"""Largest neighbour ratio of the cells along the wake cut: the 225 class has 1.61."""
GROWTH_MAX = 1.33
"""Largest ratio of consecutive wall-normal steps: the 225 class has 1.318 at Re 6e6 (1.329 at Re 1e7)."""
SURFACE_RATIO_MAX = 1.21
"""Largest ratio of neighbouring wall cells (and of the first wake cell to the last surface cell): the rans-sa
surface is re-sampled to at most 1.2."""
Y_PLUS_MAX = 1.0
"""Largest estimated first-cell y+: the rans-sa default first cell is the y+ 1 height."""
_ROUND_OFF = 1e-6  # relative: a grid built to a limit exactly (the default y+ 1) is inside it


def checks_grid(cfg) -> bool:
    """Whether :func:`envelope_warnings` looks at this case's grid (a rans-sa airfoil case)."""
    return cfg.flow.viscous and cfg.geometry.airfoil != FLAT_PLATE


def envelope_warnings(cfg, grid) -> list[str]:
    """One line per way the grid of a rans-sa case leaves the verified envelope (module docstring), else none.

    Args:
        cfg: the case (:func:`cfdopt.case.schema.load_case`).
        grid: its grid (:func:`cfdopt.optimize.problem.baseline_grid`, or a deformed one).

    Returns:
        Lines such as ``"mesh: 32 wake cells per branch for a far field of 500 chords give a wake-cut neighbour
        ratio of 3.46 (verified up to 1.65, docs/mesh.md): expect CL too low and CD too high; raise [mesh]
        n_wake"``; empty for Euler cases, the flat plate and grids inside the envelope.
    """
    if not checks_grid(cfg) or not isinstance(grid, CGrid):
        return []
    m, q = cfg.mesh, quality_report(grid)
    sized = m.size is not None  # a size sets the counts: the remedy is a larger size
    from_file = getattr(m, "file", None) is not None

    def fix(generated: str) -> str:
        return f"refine the grid of [mesh] file = {m.file!r}" if from_file else generated

    lines = []
    if _above(q.max_wake_ratio, WAKE_RATIO_MAX):
        lines.append(f"mesh: {grid.n_wake} wake cells per branch for a far field of {m.farfield:g} chords give a "
                     f"wake-cut neighbour ratio of {q.max_wake_ratio:.2f} (verified up to {WAKE_RATIO_MAX:g}, "
                     "docs/mesh.md): expect CL too low and CD too high; "
                     f"{fix('use a larger [mesh] size' if sized else 'raise [mesh] n_wake')}")
    if _above(q.max_growth, GROWTH_MAX):
        remedy = fix('use [mesh] normal_spacing = "geometric" or raise n_normal' if m.normal_spacing == "boundary-layer"
                     else "use a larger [mesh] size" if sized else "raise [mesh] n_normal")
        spacing = "" if from_file else f"{m.normal_spacing} spacing; "
        lines.append(f"mesh: wall-normal growth ratio up to {q.max_growth:.3f} on {grid.nj} normal cells "
                     f"({spacing}verified up to {GROWTH_MAX:g}, docs/mesh.md): expect CL too low "
                     f"and CD too high (the outer flow under-resolved); {remedy}")
    surface = max(q.max_surface_ratio, q.te_junction_ratio)
    if _above(surface, SURFACE_RATIO_MAX):
        where = q.surface_ratio_at if q.max_surface_ratio >= q.te_junction_ratio else "trailing-edge junction"
        lines.append(f"mesh: neighbouring surface cells differ by a ratio of up to {surface:.2f} ({where}; verified "
                     f"up to {SURFACE_RATIO_MAX:g}, docs/mesh.md): expect spurious pressure drag; "
                     + fix("leave [mesh] le_spacing and te_spacing unset or raise n_airfoil"))
    y_plus = q.max_wall_spacing / wall_spacing_for_yplus(cfg.flow.reynolds)
    if _above(y_plus, Y_PLUS_MAX):
        lines.append(f"mesh: first cell {q.max_wall_spacing:.3g} chords high at Re {cfg.flow.reynolds:.3g} gives a "
                     f"first-cell y+ of about {y_plus:.2g} (verified up to {Y_PLUS_MAX:g}, docs/mesh.md): expect "
                     "skin friction and CD off (the wall layer under-resolved); "
                     + fix("lower [mesh] wall_spacing or leave it unset"))
    return lines


def _above(value: float | None, limit: float) -> bool:
    return value is not None and value == value and value > limit * (1.0 + _ROUND_OFF)
