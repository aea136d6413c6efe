"""Where flight points are evaluated: in this process, or on Dask workers (``dask.distributed``).

The optimizer hands a backend a batch of independent :class:`PointTask` s (one per flight point: the
case, the :class:`cfdopt.case.flight.FlowPoint`, the point's design vector, its warm start ``U0`` and the
names of the adjoint gradients wanted) and gets back one picklable :class:`PointResult` per task, in the
order of the tasks, whatever order they finished in. It never learns where a point ran.

- :class:`SerialBackend`: one after the other, in this process (the default: nothing changes for a
  single-point case).
- :class:`DaskBackend`: on a ``distributed.LocalCluster`` of ``workers`` processes (one thread each), or
  on the workers of a running scheduler at ``scheduler``. Each point is sent to the worker that ran it
  before (a loose restriction: any worker takes it when that one is gone), so its compiled programs are
  warm there.

Per-process cache:
    :func:`problem_for` builds the :class:`cfdopt.optimize.problem.AeroProblem` of a (case, point) once per process
    and keeps it, keyed by :func:`problem_key` (a hash of the sections the problem is built from). It holds
    the baseline grid, the design space and, through JAX, compiled programs; never a result, and never a
    flow state: the warm start travels in the task and the state reached comes back in the result. So a
    result depends on its task alone, not on which worker ran it or what that worker ran before, and a
    run gives the same history bit for bit on any number of workers (``tests/test_parallel.py``).

Worker processes:
    Importing :mod:`cfdopt` switches JAX to float64 and fixes XLA's CPU instruction set (the client's
    ``XLA_FLAGS`` are inherited by local workers, so both compile the same code). Before its first task a
    worker turns on the persistent compilation cache from its own ``CFDOPT_CACHE_DIR``
    (:func:`cfdopt.cli.enable_compilation_cache`), so a fresh worker loads programs compiled by any earlier
    process instead of compiling them for half a minute.

Failures:
    A refused deformation or a flow/adjoint solve that did not converge is a result (``ok`` False, the
    message), as in a serial run. A worker that dies mid-evaluation (killed, out of memory) is the
    scheduler's business: it runs the task again on another worker (``distributed.scheduler.allowed-failures``
    times, default 3); ``retries`` re-runs a task that raised anything else. An unreachable scheduler is a
    :class:`cfdopt.util.errors.CfdoptError` naming the address, raised before any task is sent.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import socket
import time
from dataclasses import dataclass, field

import numpy as np

from cfdopt.util.errors import CfdoptError, MeshError, SolveError
from cfdopt.case.flight import FlowPoint, point_config
from cfdopt.case.schema import config_to_dict
from cfdopt.optimize.problem import AeroProblem
from cfdopt.flow.forces import surface_cp
from cfdopt.cli import enable_compilation_cache

PROBLEM_SECTIONS = ("geometry", "mesh", "flow", "numerics", "design")
"""The case sections an :class:`cfdopt.optimize.problem.AeroProblem` is built from (the key of :func:`problem_for`)."""

MAX_PROBLEMS = 32
"""Problems kept per process (least recently used dropped first)."""

CONNECT_TIMEOUT_S = 10.0
"""How long :class:`DaskBackend` waits for a scheduler to answer and for its first worker."""


@dataclass(frozen=True)
class PointTask:
    """One flight point of one design, all a worker needs.

    Attributes:
        case: the case (:func:`cfdopt.case.schema.load_case`); its ``[flow]`` is replaced by ``point``'s.
        point: the flight condition.
        design: ``(n,)`` design vector of this point's problem (shape variables, then its alpha if a variable).
        U0: warm start ``(ni, nj, nvar)``, or None for the free stream.
        adjoints: objectives (:data:`cfdopt.optimize.problem.OBJECTIVES`) whose adjoint gradients are wanted.
    """

    case: object
    point: FlowPoint
    design: np.ndarray
    U0: np.ndarray | None = None
    adjoints: tuple[str, ...] = ()


@dataclass(frozen=True)
class PointGradient:
    """``dJ/d(design)`` of one objective at one point (the picklable part of a :class:`cfdopt.optimize.problem.Gradient`).

    Attributes:
        value: ``J``; design: ``(n,)`` gradient; mach, alpha: ``dJ/dMach``, ``dJ/dalpha`` (per degree).
    """

    value: float
    design: np.ndarray
    mach: float
    alpha: float


@dataclass(frozen=True)
class PointResult:
    """What one :class:`PointTask` gave.

    Attributes:
        point: the point's name.
        ok: False when the deformation was refused or a solve failed (then ``message`` says why and the
            coefficients are NaN).
        coefficients: ``{"cl", "cd", "cm", ...}`` as floats.
        alpha: the angle of attack solved at, degrees.
        gradients: name -> :class:`PointGradient`, one per task adjoint.
        U: the converged state (the next warm start), or None.
        surface: ``(n_airfoil, 3)`` wall-face ``x, y, Cp`` (empty when not ok).
        newton: Newton iterations of every attempt.
        flow_s, adjoint_s: wall time of the flow solve(s) and of the adjoint solves.
        message: ``"MeshError: ..."`` or ``"SolveError: ..."`` when not ok.
        worker: ``host:pid`` of the process that ran it (diagnostics only).
    """

    point: str
    ok: bool
    coefficients: dict
    alpha: float
    gradients: dict = field(default_factory=dict)
    U: np.ndarray | None = None
    surface: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    newton: int = 0
    flow_s: float = 0.0
    adjoint_s: float = 0.0
    message: str = ""
    worker: str = ""


def problem_key(cfg) -> str:
    """Hash of what an :class:`cfdopt.optimize.problem.AeroProblem` of ``cfg`` is built from (:data:`PROBLEM_SECTIONS`
    and the case folder, against which airfoil files resolve)."""
    data = {k: v for k, v in config_to_dict(cfg).items() if k in PROBLEM_SECTIONS}
    data["case_dir"] = str(cfg.case_dir)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


_PROBLEMS: collections.OrderedDict = collections.OrderedDict()


def problem_for(cfg):
    """The :class:`cfdopt.optimize.problem.AeroProblem` of the single-point case ``cfg``, built once per process."""
    key = problem_key(cfg)
    if key not in _PROBLEMS:
        _PROBLEMS[key] = AeroProblem(cfg)
        while len(_PROBLEMS) > MAX_PROBLEMS:
            _PROBLEMS.popitem(last=False)
    _PROBLEMS.move_to_end(key)
    return _PROBLEMS[key]


def keep_problem(problem) -> None:
    """Put an already built problem into this process's cache (a caller that holds one, such as a test)."""
    _PROBLEMS[problem_key(problem.cfg)] = problem


def evaluate_task(task: PointTask) -> PointResult:
    """Solve, differentiate and measure one point (in whichever process runs it)."""
    import jax.numpy as jnp

    problem = problem_for(point_config(task.case, task.point))
    worker = f"{socket.gethostname()}:{os.getpid()}"
    t0 = time.perf_counter()
    try:
        ev = problem.evaluate(task.design, U0=task.U0)
        t1 = time.perf_counter()
        grads = problem.gradients(ev, task.adjoints) if task.adjoints else {}
    except (MeshError, SolveError) as err:
        nan = float("nan")
        return PointResult(point=task.point.name, ok=False, coefficients=dict(cl=nan, cd=nan, cm=nan), alpha=nan,
                           newton=getattr(err, "iterations", None) or 0, flow_s=time.perf_counter() - t0,
                           message=f"{type(err).__name__}: {err}", worker=worker)
    t2 = time.perf_counter()
    xy, cp = surface_cp(jnp.asarray(ev.solve.U), ev.grid, ev.flow)
    gradients = {name: PointGradient(value=float(g.value), design=np.asarray(g.design, dtype=np.float64),
                                     mach=float(g.mach), alpha=float(g.alpha)) for name, g in grads.items()}
    return PointResult(point=task.point.name, ok=True, coefficients={k: float(v) for k, v in ev.coefficients.items()},
                       alpha=float(ev.flow.alpha), gradients=gradients, U=np.asarray(ev.solve.U, dtype=np.float64),
                       surface=np.column_stack([np.asarray(xy), np.asarray(cp)]), newton=int(ev.newton),
                       flow_s=t1 - t0, adjoint_s=t2 - t1, worker=worker)


def peak_memory() -> int:
    """Peak resident memory of this process, bytes."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if os.uname().sysname == "Darwin" else peak * 1024)


class SerialBackend:
    """Every point in this process, one after the other, in task order."""

    workers = 1

    def map(self, tasks) -> list[PointResult]:
        """One :class:`PointResult` per task, in task order."""
        return [evaluate_task(t) for t in tasks]

    def memory(self) -> dict[str, int]:
        """Peak resident memory per process that evaluates points: ``{"local": bytes}``."""
        return {"local": peak_memory()}

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_WORKER_READY = False


def _prepare_worker() -> None:
    """Once per worker process: float64 (importing cfdopt did it; stated again), the compilation cache from
    this process's ``CFDOPT_CACHE_DIR``."""
    global _WORKER_READY
    if _WORKER_READY:
        return
    import jax

    jax.config.update("jax_enable_x64", True)
    if not jax.config.jax_compilation_cache_dir:
        enable_compilation_cache()
    _WORKER_READY = True


def _evaluate_on_worker(task: PointTask) -> PointResult:
    _prepare_worker()
    return evaluate_task(task)


class DaskBackend:
    """Points on Dask workers: a ``LocalCluster`` of ``workers`` processes, or a running scheduler.

    Args:
        workers: local worker processes (one thread each); ignored with ``scheduler``.
        scheduler: address of a running scheduler (``tcp://host:8786``); its workers must import the same
            cfdopt and see the case folder at the same path.
        timeout: seconds to wait for the scheduler and for its first worker.
        retries: re-runs of a task that raised (a worker's death is retried by the scheduler anyway).

    Raises:
        CfdoptError: the scheduler cannot be reached, or has no worker, within ``timeout``.
    """

    def __init__(self, workers: int | None = None, scheduler: str | None = None,
                 timeout: float = CONNECT_TIMEOUT_S, retries: int = 2):
        import logging

        from distributed import Client, LocalCluster

        self.cluster = None
        self.retries = int(retries)
        self._home: dict[str, str] = {}
        if scheduler is not None:
            try:
                self.client = Client(scheduler, timeout=timeout, set_as_default=False)
            except Exception as err:  # OSError, TimeoutError, ValueError of a malformed address, ...
                raise CfdoptError(f"cannot reach the Dask scheduler at {scheduler!r} within {timeout:g} s "
                                  f"({type(err).__name__}: {err}); start it with 'dask scheduler' and "
                                  "workers with 'dask worker ADDRESS' (docs/parallel.md)") from None
            try:
                self.client.wait_for_workers(1, timeout=timeout)
            except Exception:
                self.client.close()
                raise CfdoptError(f"the Dask scheduler at {scheduler!r} has no worker after {timeout:g} s; "
                                  "start some with 'dask worker ADDRESS' (docs/parallel.md)") from None
        else:
            if workers is None or int(workers) < 1:
                raise CfdoptError(f"--workers: expected a number of processes >= 1, got {workers!r}")
            self.cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self.cluster, timeout=timeout, set_as_default=False)
        self.address = self.client.scheduler.address

    @property
    def workers(self) -> int:
        return len(self.client.scheduler_info()["workers"])

    def _placement(self, tasks) -> list[str]:
        """Each task's preferred worker: where its point ran before if that worker is alive, else the
        worker holding the fewest points (ties: address order), so points spread evenly and stay put."""
        alive = sorted(self.client.scheduler_info()["workers"])
        load = collections.Counter({a: 0 for a in alive})
        load.update(a for a in self._home.values() if a in load)
        homes = []
        for task in tasks:
            home = self._home.get(task.point.name)
            if home not in load:
                home = min(alive, key=lambda a: (load[a], a))
                load[home] += 1
                self._home[task.point.name] = home
            homes.append(home)
        return homes

    def map(self, tasks) -> list[PointResult]:
        """One :class:`PointResult` per task, in task order.

        Raises:
            CfdoptError: a task killed ``allowed-failures`` workers in a row (it exhausts their memory, say).
        """
        from distributed import KilledWorker

        tasks = list(tasks)
        futures = [self.client.submit(_evaluate_on_worker, t, pure=False, retries=self.retries,
                                      workers=[home], allow_other_workers=True)
                   for t, home in zip(tasks, self._placement(tasks))]
        try:
            return self.client.gather(futures)
        except KilledWorker as err:
            raise CfdoptError(f"a flight point's evaluation killed every Dask worker that ran it ({err}); check "
                              "the workers' memory (docs/parallel.md)") from None

    def memory(self) -> dict[str, int]:
        """Peak resident memory of each worker process, bytes, by worker address."""
        return dict(self.client.run(peak_memory))

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def make_backend(workers: int | None = None, scheduler: str | None = None, timeout: float = CONNECT_TIMEOUT_S):
    """The backend of ``--workers N`` / ``--scheduler ADDRESS``: serial when neither is given.

    Raises:
        CfdoptError: both given, or the scheduler is unreachable.
    """
    if scheduler is not None and workers is not None:
        raise CfdoptError("--workers starts a local Dask cluster and --scheduler uses a running one: give one of them")
    if scheduler is None and workers is None:
        return SerialBackend()
    return DaskBackend(workers=workers, scheduler=scheduler, timeout=timeout)
