"""Shape optimization with scipy: the one adapter between the JAX problem and ``scipy.optimize.minimize``.

Everything above this module is JAX; here alone the design vector becomes a
float64 NumPy vector ``x`` for scipy, scaled so every variable is O(1):

    x = d / s,   s_k = design.bound (shape variables),  s_alpha = 1 degree,

and the objective by the norm of its baseline gradient in those variables,
``f = J / ||dJ/dx(x_0)||``, so the first step of either method (steepest
descent with a unit Hessian) moves the design by about one bound, and scipy's
tolerances mean the same thing for any case.

A design is evaluated at every flight point of the case through
:class:`cfdopt.optimize.multipoint.MultiPointProblem` (the objective the weighted sum over
the points, each aerodynamic constraint at its point); where the points run
(this process, Dask workers: :mod:`cfdopt.optimize.backends`) is not this module's concern.

Constraints are components in scipy's SLSQP convention, ``c(x) >= 0`` or ``c(x) = 0``, built by
:func:`cfdopt.optimize.constraints.build_constraints`; :func:`violation` compares them in their own units. L-BFGS-B
(bounds only) is the default; SLSQP is used when the case has any constraint.

Every evaluation computes the objective, its gradient and all constraints with
their Jacobians together and is stored as a :class:`Point`; scipy's separate
calls for ``f``, ``g`` and ``c`` at one ``x`` hit that cache. A refused mesh
deformation or a failed flow/adjoint solve becomes a *failed point*: the
objective is set above every value seen so far, each aerodynamic constraint
further from feasible than at any good point, and the gradient is the last
good one, so the line search of either method shrinks the step (and never
takes a failed point as its iterate); the event goes
to ``on_event`` and the run continues. With a :class:`cfdopt.optimize.checkpoint.Checkpoint`
the cache is saved after every evaluation, and a resumed run replays the same
deterministic scipy sequence from it, evaluating only what was never computed.

References:
    Byrd, Lu, Nocedal & Zhu (1995), A limited memory algorithm for bound
    constrained optimization, SIAM J. Sci. Comput. 16(5), 1190-1208.
    Kraft (1988), A software package for sequential quadratic programming,
    DFVLR-FB 88-28.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize

from cfdopt.optimize.constraints import ConstraintSet, aero_value_grad, build_constraints
from cfdopt.util.errors import CfdoptError, ConfigError
from cfdopt.optimize.multipoint import MultiPointProblem

FAIL_MARGIN = 1.0
"""A failed point's scaled objective is the worst good value seen plus this (a unit step's worth of descent), and
each of its aerodynamic constraints this much further from feasible than at any good point."""

MAX_RESTARTS = 4
"""Restarts of the scipy method from the best design when it stops before ``max_iterations``."""

RESTART_GAIN = 1e-3
"""A run must lower the best objective by this fraction for another restart to be tried."""


@dataclass(frozen=True)
class Point:
    """One evaluated design (good or failed), everything scipy may ask for at it.

    Attributes:
        index: evaluation number (0 is the baseline).
        x: ``(n,)`` scaled design seen by scipy.
        design: ``(n,)`` design vector ``d = s * x``.
        ok: False for a failed point (mesh refused, solve failed).
        f: scaled objective; ``grad``: ``(n,)`` ``df/dx``.
        cons: ``(m,)`` constraint values; ``cons_jac``: ``(m, n)`` ``dc/dx``.
        objective: unscaled ``J``; coefficients: ``{"cl", "cd", "cm"}`` (several flight points: their weighted
            means, and each point's as ``"cd@NAME"``, ``"alpha@NAME"``:
            :meth:`cfdopt.optimize.multipoint.MultiPointProblem.coefficients`);
            alpha: degrees (of the first point).
        surface: ``(n_airfoil, 3)`` wall-face ``x, y, Cp`` (one Cp column per flight point; empty for a failed point).
        flow_s, adjoint_s: wall time of the flow solve (every attempt, a failed point's too) and of the
            adjoint solves.
        message: why a point failed ("" when ok).
        f_scale: ``J / f`` (set by the baseline, the same for every point of a run).
        newton: Newton iterations of the flow solve, every attempt included.
    """

    index: int
    x: np.ndarray
    design: np.ndarray
    ok: bool
    f: float
    grad: np.ndarray
    cons: np.ndarray
    cons_jac: np.ndarray
    objective: float
    coefficients: dict
    alpha: float
    surface: np.ndarray
    flow_s: float = 0.0
    adjoint_s: float = 0.0
    message: str = ""
    f_scale: float = 1.0
    newton: int = 0


@dataclass(frozen=True)
class OptimizationResult:
    """Outcome of :func:`run_optimization`.

    Attributes:
        baseline, final: the baseline point and the final point: the best design evaluated
            (:func:`best_point`, as feasible as scipy's answer), which is scipy's answer unless
            an earlier iterate was better.
        iterations: optimizer iterations; evaluations: points evaluated (cached ones included).
        failed: failed points; method: scipy method; message: scipy's message(s); success: scipy's flag
            for the last run; restarts: how often the method was restarted from the best design.
        history: one row (dict) per iteration, iteration 0 the baseline.
        constraint_names: labels of ``Point.cons``.
        final_state: the converged flow of ``final`` when this process computed it, else ``None``.
        feasible: whether ``final`` meets every constraint to ``[optimize] feasibility_tolerance``
            (:func:`select_final`).
    """

    baseline: Point
    final: Point
    iterations: int
    evaluations: int
    failed: int
    method: str
    message: str
    success: bool
    history: list = field(default_factory=list)
    constraint_names: tuple = ()
    restarts: int = 0
    final_state: np.ndarray | None = None
    feasible: bool = True


def best_point(points, constraints: ConstraintSet, tolerance: float = 0.0) -> Point | None:
    """The evaluated design with the lowest objective among those that solved and violate no
    constraint by more than ``max(tolerance, 1e-6)``; ``None`` if there is none."""
    tol = max(tolerance, 1e-6)
    good = [p for p in points if p.ok and violation(p, constraints) <= tol]
    return min(good, key=lambda p: (p.f, p.index), default=None)


def select_final(points, constraints: ConstraintSet, tolerance: float) -> tuple[Point, bool]:
    """The run's result: ``(point, feasible)``.

    The design with the lowest objective among the good points that violate no constraint by more than
    ``tolerance`` (``[optimize] feasibility_tolerance``); when there is none, the good point with the
    smallest violation (then the lowest objective), flagged infeasible. Never a point merely because the
    method stopped there: an SLSQP run cut off by its iteration limit often ends on an infeasible iterate
    while feasible ones of nearly the same objective were evaluated before.
    """
    best = best_point(points, constraints, tolerance)
    if best is not None:
        return best, True
    good = [p for p in points if p.ok]
    return min(good, key=lambda p: (violation(p, constraints), p.f, p.index)), False


def choose_method(opt_cfg, constraints: ConstraintSet) -> str:
    """``"L-BFGS-B"`` for bounds only, ``"SLSQP"`` with general constraints (``method = "auto"``)."""
    if opt_cfg.method == "l-bfgs-b":
        if constraints.size:
            raise ConfigError(f"[optimize] method = 'l-bfgs-b' handles bounds only; the case has constraints "
                              f"({', '.join(constraints.names)}): use 'slsqp' or 'auto'")
        return "L-BFGS-B"
    if opt_cfg.method == "slsqp" or constraints.size:
        return "SLSQP"
    return "L-BFGS-B"


def violation(point: Point, constraints: ConstraintSet) -> float:
    """Largest constraint violation, each component in its own units (coefficients, chords, fractions of the
    baseline's value for relative ones)."""
    if constraints.size == 0:
        return 0.0
    c = point.cons
    viol = np.where(constraints.equality, np.abs(c), np.maximum(-c, 0.0))
    return float(np.max(viol))


def projected_gradient_norm(point: Point, lower: np.ndarray, upper: np.ndarray) -> float:
    """``||P(grad f)||`` in scaled variables: components pushing out of an active bound are dropped."""
    g = point.grad.copy()
    tol = 1e-10
    g[(point.x <= lower + tol) & (g > 0)] = 0.0
    g[(point.x >= upper - tol) & (g < 0)] = 0.0
    return float(np.linalg.norm(g))


class Evaluator:
    """Design -> :class:`Point` with a cache keyed by the exact bits of ``x``.

    Args:
        problem: a :class:`cfdopt.optimize.multipoint.MultiPointProblem` (the case's flight points through a backend, in
            this process or on Dask workers), or an :class:`cfdopt.optimize.problem.AeroProblem` (its case's one point, here).
        objective: objective name (:data:`cfdopt.optimize.problem.OBJECTIVES`).
        constraints: from :func:`cfdopt.optimize.constraints.build_constraints`.
        cached: points from a checkpoint, replayed without computing.
        on_point: called with ``(point, warm)`` for each newly computed point (checkpointing),
            ``warm`` from :meth:`warm_record`.
        on_event: called with a dict for each failed point.
        warm_start: start each solve from the flow of the current iterate (else from the free stream).
        warm: a :meth:`warm_record` of an interrupted run (its iterate's flow and its newest one).
        first_step: gradient norm of the scaled objective at the baseline. SLSQP, and L-BFGS-B
            with every variable bounded, start from an identity Hessian and a unit step, so this
            is the length of their first step in units of the design bound.
    """

    def __init__(self, problem, objective: str, constraints: ConstraintSet, cached=(), on_point=None, on_event=None,
                 warm_start: bool = True, first_step: float = 1.0, warm: dict | None = None):
        if not isinstance(problem, MultiPointProblem):  # an AeroProblem: its case's point, in this process
            problem = MultiPointProblem(problem.cfg, problem=problem)
        space = problem.space
        self.problem = problem
        self.objective = objective
        self.constraints = constraints
        self.scale = np.where(np.arange(space.n_vars) < space.n_shape, float(problem.cfg.design.bound), 1.0)
        self.lower = space.lower / self.scale
        self.upper = space.upper / self.scale
        self.x0 = space.initial() / self.scale
        self.points: list[Point] = []
        self._by_key: dict[bytes, Point] = {}
        self._replay = {p.x.tobytes(): p for p in cached}
        self.replayed: set[int] = set()
        self.on_point = on_point
        self.on_event = on_event
        self.warm_start = warm_start
        self.first_step = float(first_step)
        self.f_scale = 1.0
        self.states: dict[int, np.ndarray] = dict(warm["states"]) if warm else {}
        self.anchor: int | None = warm["anchor"] if warm else None
        self._accepted: set[int] = set() if self.anchor is None else {self.anchor}
        if constraints.geometric is not None:
            self._geo = jax.jit(constraints.geometric)
            self._geo_jac = jax.jit(jax.jacfwd(constraints.geometric))

    def design(self, x) -> np.ndarray:
        return np.asarray(x, dtype=np.float64) * self.scale

    def __call__(self, x) -> Point:
        x = np.array(x, dtype=np.float64)
        key = x.tobytes()
        if key in self._by_key:
            return self._by_key[key]
        if key in self._replay:
            point = self._replay.pop(key)
            self.replayed.add(point.index)
        else:
            point = self._compute(x)
            if self.on_point is not None:
                self.on_point(point, self.warm_record())
        if point.index == 0:
            self.f_scale = point.f_scale
        if not point.ok and self.on_event is not None:
            self.on_event(dict(evaluation=point.index, message=point.message, replayed=point.index in self.replayed,
                               design=point.design.tolist()))
        self.points.append(point)
        self._by_key[key] = point
        return point

    def accept(self, point: Point) -> None:
        """``point`` is the optimizer's new iterate: the next solves start from its flow.

        Trial points of a line search all start from the iterate's flow, not from the previous
        trial's. Near the ADODG case 1 optimum a transonic section has more than one steady flow; a
        trial that lands on another one (a second shock) would otherwise hand it on to every shorter
        trial after it, and the line search would see that flow's drag all the way back to the
        iterate. Starting from the iterate, the objective near it is its own flow's drag.
        """
        if point.index in self.states:
            self.anchor = point.index
            self._accepted.add(point.index)
            newest = max(self.states)
            self.states = {i: u for i, u in self.states.items() if i in self._accepted or i == newest}

    def warm_record(self) -> dict:
        """What a resumed run needs to start its solves where this one would: the iterate's flow and the
        newest one (which becomes the iterate when scipy accepts the last trial)."""
        keep = {i for i in (self.anchor, max(self.states, default=None)) if i is not None}
        return dict(anchor=self.anchor, states={i: self.states[i] for i in keep})

    def _geometric(self, d):
        if self.constraints.geometric is None:
            return np.zeros(0), np.zeros((0, d.size))
        dj = jnp.asarray(d)
        return np.asarray(self._geo(dj), dtype=np.float64), np.asarray(self._geo_jac(dj), dtype=np.float64) * self.scale

    def _compute(self, x) -> Point:
        d = self.design(x)
        index = len(self.points)
        geo, geo_jac = self._geometric(d)
        names = list(dict.fromkeys((self.objective,) + self.constraints.adjoints()))
        U0 = self.states[self.anchor] if self.warm_start and self.anchor is not None else None
        mp = self.problem
        t0 = time.perf_counter()
        results = mp.evaluate(d, U0, names)
        newton = sum(r.newton for r in results)
        flow_s, adjoint_s = sum(r.flow_s for r in results), sum(r.adjoint_s for r in results)
        failed = [(p.name, r.message) for p, r in zip(mp.points, results) if not r.ok]
        if failed:
            message = failed[0][1] if mp.single else "; ".join(f"{name}: {m}" for name, m in failed)
            return self._failed(index, x, d, geo, geo_jac, message, newton, time.perf_counter() - t0)
        self.states[index] = mp.state(results)
        value, grad = mp.objective(results, self.objective)
        if index == 0:
            g0 = float(np.linalg.norm(grad * self.scale))
            self.f_scale = g0 / self.first_step if g0 > 0 else max(abs(value), 1e-2)
        cons, jac = [geo], [geo_jac]
        for _, quantity, value_c, sign, point in self.constraints.aero:
            k = mp.index(point)
            q, dq = aero_value_grad(results[k].gradients, quantity)
            cons.append(np.array([sign * (q - value_c)]))
            jac.append(sign * mp.embed(dq, k)[None, :] * self.scale[None, :])
        return Point(index=index, x=x, design=d, ok=True, f=value / self.f_scale,
                     grad=grad * self.scale / self.f_scale, cons=np.concatenate(cons),
                     cons_jac=np.concatenate(jac, axis=0), objective=float(value),
                     coefficients=mp.coefficients(results), alpha=float(results[0].alpha),
                     surface=mp.surface(results), flow_s=flow_s, adjoint_s=adjoint_s, f_scale=self.f_scale,
                     newton=newton)

    def _failed(self, index, x, d, geo, geo_jac, message, newton, seconds) -> Point:
        good = [p for p in self.points if p.ok]
        if not good:
            raise CfdoptError(f"the baseline design cannot be evaluated: {message}")
        last = good[-1]
        n_geo = self.constraints.n_geometric
        seen = np.array([p.cons[n_geo:] for p in good]).reshape(len(good), -1)
        eq = self.constraints.equality[n_geo:]
        worst = np.where(eq, np.max(np.abs(seen), axis=0, initial=0.0), -np.min(seen, axis=0, initial=0.0))
        # worse than every good point in each component, so that no merit function (SLSQP's L1 penalty
        # f + sum mu |c|) can prefer a failed point to a good one: the line search backs off from it
        aero = np.where(eq, 1.0, -1.0) * (np.maximum(worst, 0.0) + FAIL_MARGIN)
        cons = np.concatenate([geo, aero])
        jac = np.concatenate([geo_jac, last.cons_jac[n_geo:]], axis=0)
        f = max(p.f for p in good) + FAIL_MARGIN
        return Point(index=index, x=x, design=d, ok=False, f=f, grad=last.grad, cons=cons, cons_jac=jac,
                     objective=float("nan"), coefficients=dict(cl=float("nan"), cd=float("nan"), cm=float("nan")),
                     alpha=float("nan"), surface=np.zeros((0, 3)), message=message, f_scale=self.f_scale,
                     flow_s=seconds, newton=newton)


def _scipy_constraints(ev: Evaluator) -> list[dict]:
    cons = ev.constraints
    out = []
    for kind, mask in (("eq", cons.equality), ("ineq", ~cons.equality)):
        if np.any(mask):
            out.append(dict(type=kind, fun=lambda x, m=mask: ev(x).cons[m], jac=lambda x, m=mask: ev(x).cons_jac[m]))
    return out


def history_row(ev: Evaluator, iteration: int, point: Point, since: int, t_start: float) -> dict:
    """The record of one optimizer iteration (``since``: first evaluation index of the iteration)."""
    batch = [p for p in ev.points if since <= p.index <= point.index] or [point]
    row = dict(iteration=iteration, evaluation=point.index, objective=point.objective,
               cl=point.coefficients["cl"], cd=point.coefficients["cd"], cm=point.coefficients["cm"],
               alpha=point.alpha, grad_norm=projected_gradient_norm(point, ev.lower, ev.upper),
               violation=violation(point, ev.constraints), failed=sum(not p.ok for p in batch),
               newton=sum(p.newton for p in batch), flow_s=sum(p.flow_s for p in batch),
               adjoint_s=sum(p.adjoint_s for p in batch), failed_s=sum(p.flow_s for p in batch if not p.ok),
               elapsed_s=time.perf_counter() - t_start, replayed=point.index in ev.replayed)
    row.update({k: v for k, v in point.coefficients.items() if "@" in k})  # each flight point's, when several
    row.update({f"c_{name}": float(v) for name, v in zip(ev.constraints.names, point.cons)})
    return row


class _Iterations:
    """scipy's gradient requests and callback turned into one history row per accepted iterate.

    scipy's SLSQP calls its callback when a major iteration starts, with the first trial point of
    the line search, before it is accepted or rejected (scipy 1.17, as its Fortran wrapper did before);
    a rejected trial, say a long step that found a second shock, would be recorded as an iterate and
    become the warm start of the shorter trials after it. What both methods do accept is the last point
    whose gradient they asked for: SLSQP asks for gradients only at the points its line search accepts,
    L-BFGS-B at every trial, the last of which it has just accepted when it calls back. So the iterate
    is that point (:meth:`gradient`); SLSQP's new iterate is taken as the warm start at once, and every
    callback records it unless already recorded (:meth:`flush`, also called when the method returns).
    """

    def __init__(self, ev: Evaluator, method: str, on_iteration, progress, t_start):
        self.ev, self.on_iteration, self.progress, self.t_start = ev, on_iteration, progress, t_start
        self.accept_on_gradient = method == "SLSQP"
        self.rows: list[dict] = []
        self.since = 0
        self.last_gradient: Point | None = None
        self.last_emitted: Point | None = None

    def gradient(self, x) -> np.ndarray:
        point = self.ev(x)
        if point.ok:  # a failed point is never an iterate, whatever the method does with it
            self.last_gradient = point
            if self.accept_on_gradient:
                self.ev.accept(point)
        return point.grad

    def __call__(self, xk=None) -> None:
        self.flush()

    def flush(self) -> None:
        if self.last_gradient is not None and self.last_gradient is not self.last_emitted:
            self.emit(self.last_gradient)

    def emit(self, point: Point) -> None:
        self.ev.accept(point)
        self.last_emitted = point
        row = history_row(self.ev, len(self.rows), point, self.since, self.t_start)
        self.since = max(self.since, point.index + 1)
        self.rows.append(row)
        if self.on_iteration is not None:
            self.on_iteration(row, point)
        if self.progress is not None:
            self.progress(row)


def run_optimization(problem, opt_cfg, *, cached=(), warm=None, on_point=None, on_event=None, on_iteration=None,
                     progress=None, initial=None) -> OptimizationResult:
    """Minimize the case's objective from the baseline design (or from ``initial``).

    Args:
        problem: a :class:`cfdopt.optimize.multipoint.MultiPointProblem` (the case's flight points through a backend, in
            this process or on Dask workers), or an :class:`cfdopt.optimize.problem.AeroProblem` (its case's one point, here).
        opt_cfg: the ``[optimize]`` section.
        cached, warm: points and warm-start record of an interrupted run
            (:meth:`cfdopt.optimize.checkpoint.Checkpoint.load`).
        on_point: called with every newly computed :class:`Point` and the warm-start record
            (:meth:`Evaluator.warm_record`) to save with it (checkpoint writer).
        on_event: called with a dict for every failed point (logged, not fatal).
        on_iteration: called with ``(row, point)`` after every iteration (results writer).
        progress: called with the history row of every iteration (progress lines).
        initial: design vector to start from (within the bounds); the baseline is still
            evaluated first and stays the reference of the reduction.

    Returns:
        :class:`OptimizationResult`.

    Raises:
        CfdoptError: the baseline itself cannot be evaluated.
        ConfigError: inconsistent constraints / method.
    """
    constraints = build_constraints(opt_cfg, problem.space)
    method = choose_method(opt_cfg, constraints)
    ev = Evaluator(problem, opt_cfg.objective, constraints, cached, on_point, on_event,
                   warm_start=getattr(opt_cfg, "warm_start", True), first_step=getattr(opt_cfg, "first_step", 1.0),
                   warm=warm)
    t_start = time.perf_counter()
    iterations = _Iterations(ev, method, on_iteration, progress, t_start)
    baseline = ev(ev.x0)
    iterations.emit(baseline)
    bounds = scipy.optimize.Bounds(ev.lower, ev.upper)
    fun = lambda x: ev(x).f  # noqa: E731
    jac = iterations.gradient
    extra = {} if method == "L-BFGS-B" else dict(constraints=_scipy_constraints(ev))

    def iterations_left():
        return opt_cfg.max_iterations - (len(iterations.rows) - 1)

    x_start, messages, res = ev.x0, [], None
    if initial is not None:
        x_start = np.asarray(initial, dtype=float) / ev.scale
        if np.any(x_start < ev.lower - 1e-12) or np.any(x_start > ev.upper + 1e-12):
            raise ConfigError("[optimize] initial_design lies outside the design bounds "
                              f"(largest shape variable {np.max(np.abs(initial[:problem.space.n_shape])):.4g}, "
                              f"bound {problem.cfg.design.bound})")
        x_start = np.clip(x_start, ev.lower, ev.upper)
    tol = opt_cfg.feasibility_tolerance
    for run in range(MAX_RESTARTS + 1):
        left = iterations_left()
        if left < 1:
            break
        before = select_final(ev.points, constraints, tol)
        options = dict(maxiter=left, ftol=opt_cfg.tolerance)
        if method == "L-BFGS-B":
            options.update(gtol=1e-8, maxfun=10 * left + 10)
        res = scipy.optimize.minimize(fun, x_start, jac=jac, method=method, bounds=bounds, options=options,
                                      callback=iterations, **extra)
        iterations.flush()
        messages.append(str(res.message))
        ev(res.x)
        after = select_final(ev.points, constraints, tol)
        # A restart drops the quasi-Newton model, which SLSQP in particular can let drift far
        # from the true Hessian; it is worth it only while the last run still made progress.
        if not _progress_made(before, after, constraints):
            break
        if run < MAX_RESTARTS and iterations_left() >= 1:
            best = after[0]
            if on_event is not None:
                on_event(dict(evaluation=best.index, restart=run + 1, replayed=False,
                              message=f"{method} stopped ({res.message}); restarting from the best design so far "
                                      f"(evaluation {best.index})"))
            x_start = best.x
            ev.accept(best)
            iterations.last_emitted = iterations.last_gradient = best  # the restart's start is no new iterate
    final, feasible = select_final(ev.points, constraints, tol)
    message = messages[0] if len(messages) == 1 else f"{len(messages)} runs: " + " | ".join(messages)
    return OptimizationResult(baseline=baseline, final=final, iterations=len(iterations.rows) - 1,
                              evaluations=len(ev.points), failed=sum(not p.ok for p in ev.points), method=method,
                              message=message, success=bool(res.success), history=iterations.rows,
                              constraint_names=constraints.names, restarts=len(messages) - 1,
                              final_state=ev.states.get(final.index), feasible=feasible)


def _progress_made(before, after, constraints) -> bool:
    """Whether a run of the method improved the result (:func:`select_final` before and after it): it
    became feasible, or lowered the feasible objective by ``RESTART_GAIN``, or halved the violation."""
    (p0, ok0), (p1, ok1) = before, after
    if ok1 != ok0:
        return ok1
    if ok1:
        return p1.f < p0.f - RESTART_GAIN * abs(p0.f)
    return violation(p1, constraints) < 0.5 * violation(p0, constraints)
