"""One design at several flight points: the weighted objective, per-point constraints, through a backend.

A case lists its flight points as ``[[flow.point]]`` tables (:func:`cfdopt.case.flight.case_points`; without
them it is the one point of ``[flow]``). :class:`MultiPointProblem` is what the optimizer
(:class:`cfdopt.optimize.driver.Evaluator`) asks for a design's values and gradients: it turns the design into one
:class:`cfdopt.optimize.backends.PointTask` per point, hands them to a backend (:mod:`cfdopt.optimize.backends`: in this
process or on Dask workers) and combines the results:

    J = sum_k w_k J_k,   dJ/dd = sum_k w_k E_k dJ_k/dd_k,

``w_k`` the point's weight and ``E_k`` the embedding of point ``k``'s design vector ``d_k`` in the whole one
``d``. The shape variables are shared by every point. With ``[design] alpha = true`` and several points each
point has its own angle of attack, the variables after the shape ones in point order
(:class:`PointsDesignSpace`); ``d_k`` is the shape variables and alpha ``k``. A constraint on an aerodynamic
quantity holds at the point it names.

The flow state of a design is one ``(ni, nj, nvar)`` array for a single point (as before multi-point
cases), and ``(n_points, ni, nj, nvar)`` for several, each point's warm start its own slice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cfdopt.geometry.design import DesignSpace
from cfdopt.case.flight import case_points, point_config
from cfdopt.optimize.backends import PointTask, SerialBackend, keep_problem, problem_for

COEFFICIENTS = ("cl", "cd", "cm")


@dataclass(frozen=True)
class PointsDesignSpace(DesignSpace):
    """The design space of a multi-point case with ``[design] alpha = true``: the shape variables of
    :class:`cfdopt.geometry.design.DesignSpace`, then one angle of attack (degrees) per point.

    Attributes:
        alphas0: each point's angle of attack, the start values of its variable.
    """

    alphas0: tuple[float, ...] = ()

    @property
    def n_shape(self) -> int:
        return self.n_vars - len(self.alphas0)

    def initial(self) -> np.ndarray:
        d = np.zeros(self.n_vars)
        d[self.n_shape:] = self.alphas0
        return d


def points_space(space: DesignSpace, points) -> DesignSpace:
    """The whole design space of ``points`` from one point's ``space``: ``space`` itself for one point or a
    fixed alpha, else a :class:`PointsDesignSpace` with one alpha per point."""
    if len(points) == 1 or not space.has_alpha:
        return space
    n = space.n_shape
    names = space.names[:n] + tuple(f"alpha@{p.name} (deg)" for p in points)
    lower = np.concatenate([space.lower[:n], np.repeat(space.lower[n:], len(points))])
    upper = np.concatenate([space.upper[:n], np.repeat(space.upper[n:], len(points))])
    return PointsDesignSpace(baseline=space.baseline, shape_fn=space.shape_fn, names=names, lower=lower, upper=upper,
                             alpha0=space.alpha0, has_alpha=False, fit_error=space.fit_error,
                             alphas0=tuple(float(p.alpha) for p in points))


class MultiPointProblem:
    """The flight points of a case, evaluated through a backend; what :class:`cfdopt.optimize.driver.Evaluator` drives.

    Args:
        cfg: the case (:func:`cfdopt.case.schema.load_case`).
        backend: a :mod:`cfdopt.optimize.backends` backend; default :class:`cfdopt.optimize.backends.SerialBackend`.
        problem: an :class:`cfdopt.optimize.problem.AeroProblem` of the case's first point to reuse (its compiled
            functions); it joins this process's problem cache.

    Attributes:
        points: the :class:`cfdopt.case.flight.FlowPoint` s.
        space: the whole design space (:func:`points_space`).
        base: the first point's problem, built here for the design space, the grid size and the model.
    """

    def __init__(self, cfg, backend=None, problem=None):
        self.cfg = cfg
        self.points = case_points(cfg)
        self.backend = SerialBackend() if backend is None else backend
        if problem is not None:
            keep_problem(problem)
        self.base = problem if problem is not None else problem_for(point_config(cfg, self.points[0]))
        self.space = points_space(self.base.space, self.points)
        self.grid0 = self.base.grid0
        self.numerics = self.base.numerics

    @property
    def single(self) -> bool:
        return len(self.points) == 1

    def local_design(self, d, k: int) -> np.ndarray:
        """Point ``k``'s design vector: the shape variables (and its own alpha)."""
        d = np.asarray(d, dtype=np.float64)
        if not isinstance(self.space, PointsDesignSpace):
            return d
        n = self.space.n_shape
        return np.concatenate([d[:n], d[n + k:n + k + 1]])

    def embed(self, g_local, k: int) -> np.ndarray:
        """``E_k g``: a gradient with respect to point ``k``'s design vector, in the whole design's variables."""
        g_local = np.asarray(g_local, dtype=np.float64)
        if not isinstance(self.space, PointsDesignSpace):
            return g_local
        n = self.space.n_shape
        out = np.zeros(self.space.n_vars)
        out[:n] = g_local[:n]
        out[n + k] = g_local[n]
        return out

    def starts(self, state) -> list:
        """Each point's warm start from a design's state (None: the free stream everywhere)."""
        if state is None:
            return [None] * len(self.points)
        return [state] if self.single else list(state)

    def state(self, results) -> np.ndarray:
        """The state of a design from its points' results (:meth:`starts` splits it again)."""
        return results[0].U if self.single else np.stack([r.U for r in results])

    def evaluate(self, d, state=None, adjoints=()) -> list:
        """Every point of design ``d`` through the backend: one :class:`cfdopt.optimize.backends.PointResult` each,
        in point order; ``state`` the warm start (:meth:`state` of an earlier design) or None."""
        tasks = [PointTask(self.cfg, p, self.local_design(d, k), U0, tuple(adjoints))
                 for k, (p, U0) in enumerate(zip(self.points, self.starts(state)))]
        return self.backend.map(tasks)

    def index(self, name: str | None) -> int:
        """Position of the point called ``name`` (None: the only point)."""
        if name is None:
            return 0
        return [p.name for p in self.points].index(name)

    def objective(self, results, name: str) -> tuple[float, np.ndarray]:
        """``(J, dJ/dd)`` of the weighted objective ``name`` from results that carry its adjoint."""
        value, grad = 0.0, np.zeros(self.space.n_vars)
        for k, (p, r) in enumerate(zip(self.points, results)):
            g = r.gradients[name]
            value = value + p.weight * g.value
            grad = grad + p.weight * self.embed(g.design, k)
        return value, grad

    def coefficients(self, results) -> dict:
        """The coefficients of a design: a single point's as they are; for several, the weighted means of
        CL, CD, CM (weights of the objective) and each point's CL, CD, CM and alpha as ``"cd@cruise"``."""
        if self.single:
            return {k: float(v) for k, v in results[0].coefficients.items()}
        w = np.array([p.weight for p in self.points])
        w = w / w.sum() if w.sum() > 0 else np.full(len(w), 1.0 / len(w))
        out = {q: float(sum(wk * r.coefficients[q] for wk, r in zip(w, results))) for q in COEFFICIENTS}
        for p, r in zip(self.points, results):
            out.update({f"{q}@{p.name}": float(r.coefficients[q]) for q in COEFFICIENTS})
            out[f"alpha@{p.name}"] = float(r.alpha)
        return out

    def surface(self, results) -> np.ndarray:
        """``(n_airfoil, 2 + n_points)``: wall-face ``x, y``, then each point's Cp."""
        return np.column_stack([results[0].surface[:, :2]] + [r.surface[:, 2] for r in results])

    def surface_header(self) -> str:
        """The column names of :meth:`surface`: ``x,y,cp`` for one point, ``x,y,cp@cruise,...`` for several."""
        return "x,y,cp" if self.single else "x,y," + ",".join(f"cp@{p.name}" for p in self.points)
