"""A flight condition as a value: :class:`FlowPoint` (name, Mach, alpha, Reynolds, weight).

A multi-point optimization evaluates one design at several flight points and minimizes the weighted sum
of the objective over them. A point is a frozen value: it is what a task sent to a worker names
(:mod:`cfdopt.optimize.backends`), what a history column is labelled with, and what :func:`point_config` turns
into the single-point case that :class:`cfdopt.optimize.problem.AeroProblem` builds. A case without flight points
is the one point :meth:`FlowPoint.from_flow` reads from its ``[flow]`` section.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

from cfdopt.flow.model import key_readers, model_spec
from cfdopt.util.errors import ConfigError

NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
"""A point name: a letter, then letters, digits or underscores (it becomes part of column names, ``cd_cruise``)."""

DEFAULT_NAME = "main"
"""The name of the single point of a case without flight points."""


@dataclass(frozen=True)
class FlowPoint:
    """One flight condition of a (multi-point) case.

    Attributes:
        name: label of the point (:data:`NAME_PATTERN`), unique within a case.
        mach: free-stream Mach number, ``0 < mach < 5``.
        alpha: angle of attack, degrees, ``|alpha| <= 30`` (the initial value when alpha is a design variable).
        reynolds: chord Reynolds number of a ``rans-sa`` case; ``None`` for Euler, or to keep ``[flow] reynolds``.
        weight: factor of this point's objective in the weighted sum, ``>= 0`` (0: a point that only carries
            constraints).

    Raises:
        ValueError: a field out of range (the message names the field and the value).
    """

    name: str
    mach: float
    alpha: float
    reynolds: float | None = None
    weight: float = 1.0

    def __post_init__(self):
        if not isinstance(self.name, str) or not NAME_PATTERN.match(self.name):
            raise ValueError(f"name: expected a letter then letters, digits or '_', got {self.name!r}")
        checks = (("mach", self.mach, 0.0, 5.0, False), ("alpha", self.alpha, -30.0, 30.0, True),
                  ("weight", self.weight, 0.0, math.inf, True))
        for key, value, lo, hi, closed in checks:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            inside = ok and (lo <= value <= hi if closed else lo < value < hi)
            if not inside:
                bounds = f"[{lo:g}, {hi:g}]" if closed else f"({lo:g}, {hi:g})"
                raise ValueError(f"{key}: expected a finite number in {bounds}, got {value!r}")
        if self.reynolds is not None and not (isinstance(self.reynolds, (int, float)) and self.reynolds > 0
                                              and math.isfinite(self.reynolds)):
            raise ValueError(f"reynolds: expected a positive number or None, got {self.reynolds!r}")

    @classmethod
    def from_flow(cls, flow, name: str = DEFAULT_NAME, weight: float = 1.0) -> "FlowPoint":
        """The point of a ``[flow]`` section (:class:`cfdopt.case.schema.FlowConfig`): its Mach, alpha and, for
        ``rans-sa``, Reynolds number."""
        reynolds = float(flow.reynolds) if "flow.reynolds" in model_spec(flow.model).reads else None
        return cls(name=name, mach=float(flow.mach), alpha=float(flow.alpha), reynolds=reynolds, weight=weight)


def point_config(cfg, point: FlowPoint):
    """The single-point case of ``point``: ``cfg`` with ``[flow]`` mach, alpha (and reynolds) replaced.

    Everything else (model, gamma, mesh, numerics, design) is the case's, so the design variables of every
    point have the same meaning; with ``[design] alpha = true`` the point's alpha is its alpha variable's
    initial value.

    Raises:
        ConfigError: a Reynolds number on a point of an Euler case.
    """
    changes = dict(mach=float(point.mach), alpha=float(point.alpha))
    if point.reynolds is not None:
        if "flow.reynolds" not in model_spec(cfg.flow.model).reads:
            raise ConfigError(f"{cfg.source}: flight point {point.name!r}: reynolds applies to [flow] model = "
                              f"{key_readers('flow.reynolds')} only, the case is {cfg.flow.model!r}")
        changes["reynolds"] = float(point.reynolds)
    return dataclasses.replace(cfg, flow=dataclasses.replace(cfg.flow, **changes))


def case_points(cfg) -> tuple[FlowPoint, ...]:
    """The flight points of a case: its ``[[flow.point]]`` tables, each key left out taken from ``[flow]``, or
    without any the one point of ``[flow]`` (:meth:`FlowPoint.from_flow`)."""
    tables = getattr(cfg.flow, "point", ())
    if not tables:
        return (FlowPoint.from_flow(cfg.flow),)
    flow = cfg.flow

    def pick(value, default):
        return float(default if value is None else value)

    return tuple(FlowPoint(name=t.name, mach=pick(t.mach, flow.mach), alpha=pick(t.alpha, flow.alpha),
                           reynolds=None if t.reynolds is None else float(t.reynolds), weight=float(t.weight))
                 for t in tables)


def single_point(cfg, name: str | None):
    """The case as a command that solves one flight point sees it (``cfdopt solve``, ``gradient``, ``polar``).

    Args:
        cfg: the case.
        name: the ``[[flow.point]]`` to take (``--point NAME``), or None.

    Returns:
        ``cfg`` unchanged when it has no ``[[flow.point]]`` and ``name`` is None; else the point's single-point
        case (:func:`point_config`) with the point tables removed.

    Raises:
        ConfigError: a multi-point case without ``name`` (the command would otherwise run the ``[flow]`` values,
            which no point asks for), an unknown name, or a name on a case without points.
    """
    tables = getattr(cfg.flow, "point", ())
    names = [t.name for t in tables]
    if not tables:
        if name is not None:
            raise ConfigError(f"{cfg.source}: --point {name}: the case has no [[flow.point]] tables; drop --point")
        return cfg
    if name is None:
        raise ConfigError(f"{cfg.source}: the case has {len(tables)} flight points ([[flow.point]]: "
                          f"{', '.join(names)}); choose one with --point NAME (cfdopt optimize uses them all)")
    if name not in names:
        raise ConfigError(f"{cfg.source}: --point {name}: expected one of {', '.join(names)}")
    point = case_points(cfg)[names.index(name)]
    single = point_config(cfg, point)
    return dataclasses.replace(single, flow=dataclasses.replace(single.flow, point=()))
