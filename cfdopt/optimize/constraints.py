"""The constraints of a case: the ``[[optimize.constraint]]`` tables of the case (the older
``[optimize]`` keys translated into them, :meth:`cfdopt.case.schema.OptimizeConfig.all_constraints`);
each bound or equality on a quantity ``q`` becomes one component in scipy's SLSQP
convention, ``c(x) >= 0`` or ``c(x) = 0``:

- ``equal = v``: ``q - v = 0``; ``lower = v``: ``q - v >= 0``; ``upper = v``: ``v - q >= 0``;
- ``q`` is CL, CD, CM, L/D, the largest thickness, the thickness ``t`` at a station
  (the vertical distance between the surfaces, :func:`cfdopt.geometry.thickness_at`) or the
  area, geometric ones divided by the baseline's value when ``relative = true``.

So a component is in the units of its quantity (chords, chords squared, fractions of
the baseline, coefficients) and :func:`cfdopt.optimize.driver.violation` compares across them as they are.
Geometric components come first (in the order stated), then aerodynamic ones.
Geometric constraints are JAX functions of ``d`` differentiated by forward mode;
aerodynamic ones get their gradients from the discrete adjoint (L/D from those of CL
and CD by the quotient rule), so every constraint gradient is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import jax.numpy as jnp
import numpy as np

from cfdopt.case.schema import GEOMETRIC_QUANTITIES
from cfdopt.util.errors import ConfigError
from cfdopt.geometry import area, thickness_at


@dataclass(frozen=True)
class ConstraintSet:
    """The case's constraints, flattened into scalar components.

    Attributes:
        names: one label per component (e.g. ``"thickness@0.3_rel_lower"``, ``"cl_eq"``), the
            ``c_<name>`` columns of the history.
        equality: ``(m,)`` bool, True for ``c = 0`` components.
        geometric: ``d -> (m_geo,)`` JAX function (the first ``m_geo`` components).
        n_geometric: ``m_geo``.
        aero: ``(name, quantity, value, sign, point)`` of each further component: ``sign * (q - value)``,
            ``quantity`` one of cl, cd, cm, l/d at the flight point named ``point`` (None: the only one).
    """

    names: tuple[str, ...]
    equality: np.ndarray
    geometric: Callable | None
    n_geometric: int
    aero: tuple[tuple[str, str, float, float, str | None], ...] = ()

    @property
    def size(self) -> int:
        return len(self.names)

    def adjoints(self) -> tuple[str, ...]:
        """Objectives (:data:`cfdopt.optimize.problem.OBJECTIVES`) whose adjoint gradients the aerodynamic components need."""
        return tuple(dict.fromkeys(n for _, q, *_ in self.aero for n in AERO_NEEDS[q]))


AERO_NEEDS = {"cl": ("cl",), "cd": ("cd",), "cm": ("cm",), "l/d": ("cl", "cd")}
"""Adjoint gradients each aerodynamic constraint quantity is built from."""

_SIGN = {"eq": 1.0, "lower": 1.0, "upper": -1.0}


def aero_value_grad(grads: dict, quantity: str) -> tuple[float, np.ndarray]:
    """Value and design gradient of an aerodynamic quantity from adjoint :class:`cfdopt.optimize.problem.Gradient` s.

    L/D by the quotient rule, ``d(L/D) = (CD dCL - CL dCD) / CD^2``: no adjoint of its own.
    """
    if quantity == "l/d":
        cl, cd = grads["cl"], grads["cd"]
        return cl.value / cd.value, (cd.value * cl.design - cl.value * cd.design) / cd.value**2
    g = grads[quantity]
    return float(g.value), g.design


def thickness_max_stations(surface) -> np.ndarray:
    """Stations at which the polyline thickness of ``surface`` can peak: every node's x strictly inside
    the chord. The thickness between the polylines is linear between consecutive node x's, so its largest
    value is at one of them; shape changes move y only (Hicks-Henne, CST at the baseline's x)."""
    x = np.unique(np.asarray(surface, dtype=np.float64)[:, 0])
    span = x[-1] - x[0]
    return x[(x > x[0] + 1e-9 * span) & (x < x[-1] - 1e-9 * span)]


def _geometric_parts(constraints, base):
    """``(c, fn)`` per geometric constraint, ``fn(surface, t) -> q`` (divided by the baseline's when relative),
    and the stations of ``t``, the thickness at every station any of them needs (one :func:`thickness_at`).

    Raises:
        ConfigError: a thickness station outside the part of the chord where the baseline is thick.
    """
    stations, parts = [], []
    for c in constraints:
        if c.quantity == "area":
            fn = lambda s, t: area(s)  # noqa: E731
        else:
            new = [c.station] if c.quantity == "thickness" else list(thickness_max_stations(base))
            t0 = thickness_at(base, jnp.asarray(new))
            if not bool(jnp.all(jnp.isfinite(t0) & (t0 > 0))):
                raise ConfigError(f"[optimize] constraint {c.toml()}: station x/c = {c.station} must lie strictly "
                                  "inside the chord where the baseline has positive thickness")
            lo, hi = len(stations), len(stations) + len(new)
            stations += new
            fn = (lambda s, t, k=lo: t[k]) if c.quantity == "thickness" else (lambda s, t, a=lo, b=hi: jnp.max(t[a:b]))
        parts.append((c, fn))
    stations = jnp.asarray(stations, dtype=jnp.float64)
    t_base = thickness_at(base, stations) if stations.size else None
    scaled = []
    for c, fn in parts:
        ref = float(fn(base, t_base)) if c.relative else 1.0
        scaled.append((c, lambda s, t, fn=fn, ref=ref: fn(s, t) / ref))
    return scaled, stations


def build_constraints(opt_cfg, space) -> ConstraintSet:
    """Constraint components of an ``[optimize]`` section on a design space."""
    base = jnp.asarray(space.surface(space.initial()))
    every = opt_cfg.all_constraints()
    geo_parts, stations = _geometric_parts([c for c in every if c.quantity in GEOMETRIC_QUANTITIES], base)
    geo = [(name, kind, value, fn) for c, fn in geo_parts for name, kind, value in c.components()]
    aero = [(name, kind, value, c.quantity, c.point) for c in every if c.quantity not in GEOMETRIC_QUANTITIES
            for name, kind, value in c.components()]
    parts = tuple((_SIGN[kind], value, fn) for _, kind, value, fn in geo)

    def geometric(d):
        s = space.surface(d)
        t = thickness_at(s, stations) if stations.size else None
        return jnp.stack([sign * (fn(s, t) - value) for sign, value, fn in parts])

    names = tuple(name for name, *_ in geo) + tuple(name for name, *_ in aero)
    equality = np.array([kind == "eq" for _, kind, *_ in geo + aero], dtype=bool)
    aero_parts = tuple((name, quantity, value, _SIGN[kind], point) for name, kind, value, quantity, point in aero)
    return ConstraintSet(names, equality, geometric if geo else None, len(geo), aero_parts)


