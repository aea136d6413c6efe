"""Flight points on Dask workers: a real 2-process LocalCluster gives the serial results bit for bit, survives a
worker killed mid-evaluation, and an unreachable scheduler is a clear error before any work.

The worker processes load compiled programs from the persistent cache that the serial reference fills in this
process (``CFDOPT_CACHE_DIR`` when set, else a fresh folder), so each starts in seconds instead of compiling.
"""

import os
import signal
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from cfdopt.case.schema import load_case
from cfdopt.util.errors import CfdoptError, ConfigError
from cfdopt.case.flight import FlowPoint, point_config
from cfdopt.optimize.backends import DaskBackend, PointTask, SerialBackend, make_backend, problem_key
from xla_cache import compile_cache  # noqa: F401  (fixture)

CASE = Path(__file__).resolve().parents[1] / "cases" / "quickstart"
TINY = ["mesh.n_airfoil=32", "mesh.n_wake=8", "mesh.n_normal=8", "mesh.farfield=20", "numerics.tolerance=1e-12",
        "numerics.max_iterations=60", "design.n_bumps=4", "design.bound=0.005", "design.alpha=false"]
POINTS = (FlowPoint("cruise", mach=0.8, alpha=1.25), FlowPoint("climb", mach=0.7, alpha=2.0, weight=0.5))
ADJOINTS = ("cd", "cl")
pytestmark = pytest.mark.usefixtures("compile_cache")


@pytest.fixture(scope="module")
def case():
    return load_case(CASE, TINY)


def two_rounds(backend, case):
    """The baseline at both points from the free stream, then a new design warm-started from each point's flow."""
    n = 8
    first = backend.map([PointTask(case, p, np.zeros(n), None, ADJOINTS) for p in POINTS])
    design = np.linspace(-1.0, 1.0, n) * 1e-3
    second = backend.map([PointTask(case, p, design, r.U, ADJOINTS) for p, r in zip(POINTS, first)])
    return first + second


@pytest.fixture(scope="module")
def serial(case, compile_cache):
    return two_rounds(SerialBackend(), case)


@pytest.fixture(scope="module")
def cluster(compile_cache):
    with DaskBackend(workers=2) as backend:
        yield backend


def assert_same(a, b):
    assert (a.point, a.ok, a.newton, a.message) == (b.point, b.ok, b.newton, b.message)
    assert a.coefficients == b.coefficients and a.alpha == b.alpha
    assert np.array_equal(a.U, b.U) and np.array_equal(a.surface, b.surface)
    assert a.gradients.keys() == b.gradients.keys()
    for name in a.gradients:
        ga, gb = a.gradients[name], b.gradients[name]
        assert (ga.value, ga.mach, ga.alpha) == (gb.value, gb.mach, gb.alpha)
        assert np.array_equal(ga.design, gb.design)


def test_serial_results_are_complete(serial):
    assert [r.point for r in serial] == ["cruise", "climb", "cruise", "climb"]
    assert all(r.ok for r in serial)
    cruise, climb = serial[0], serial[1]
    assert cruise.coefficients["cd"] > climb.coefficients["cd"] > 0  # the wave drag of M 0.8
    assert cruise.gradients["cd"].design.shape == (8,)
    assert cruise.surface.shape == (32, 3) and cruise.U.shape == (48, 8, 4)
    assert serial[2].newton < serial[0].newton  # the warm start from the point's own flow


def test_local_cluster_matches_serial_bit_for_bit(cluster, case, serial):
    assert cluster.workers == 2
    parallel = two_rounds(cluster, case)
    for a, b in zip(parallel, serial):
        assert_same(a, b)
    # each point stays on its own worker process: compiled programs and placement are reused
    assert parallel[0].worker != parallel[1].worker
    assert [r.worker for r in parallel[:2]] == [r.worker for r in parallel[2:]]
    assert all(m > 0 for m in cluster.memory().values())


def run_and_kill(cluster, tasks):
    """Map ``tasks`` while killing (SIGKILL) the first worker process seen executing one: ``(results, pid)``."""
    cluster.client.wait_for_workers(2)
    pids = cluster.client.run(os.getpid)
    out = {}
    runner = threading.Thread(target=lambda: out.setdefault("results", cluster.map(tasks)))
    runner.start()
    victim, deadline = None, time.monotonic() + 60
    while victim is None and time.monotonic() < deadline:
        busy = cluster.client.run(lambda dask_worker: len(dask_worker.state.executing))
        victim = next((addr for addr, n in sorted(busy.items()) if n), None)
    assert victim is not None, "no worker ever started the evaluation"
    os.kill(pids[victim], signal.SIGKILL)  # the worker process dies in the middle of a flow solve
    runner.join(timeout=120)
    assert not runner.is_alive()
    return out["results"], pids[victim]


def test_worker_killed_mid_evaluation_is_retried(cluster, case, serial):
    tasks = [PointTask(case, p, np.zeros(8), None, ADJOINTS) for p in POINTS]
    for _ in range(3):  # a warm evaluation takes a fraction of a second: the kill may come after it ended
        results, pid = run_and_kill(cluster, tasks)
        for a, b in zip(results, serial[:2]):
            assert_same(a, b)
        if all(not r.worker.endswith(f":{pid}") for r in results):
            break  # the killed worker's task was run again by another process, with the same result
    else:
        pytest.fail("every evaluation ended before its worker was killed")


def test_unreachable_scheduler_fails_fast_naming_it():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    t0 = time.perf_counter()
    with pytest.raises(CfdoptError, match=f"Dask scheduler at '{address}'"):
        make_backend(scheduler=address, timeout=2.0)
    assert time.perf_counter() - t0 < 15.0


def test_make_backend_choices():
    assert isinstance(make_backend(), SerialBackend)
    with pytest.raises(CfdoptError, match="give one of them"):
        make_backend(workers=2, scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(CfdoptError, match="--workers"):
        make_backend(workers=0)


def test_flow_point_is_a_validated_value(case):
    p = FlowPoint.from_flow(case.flow)
    assert (p.name, p.mach, p.alpha, p.reynolds, p.weight) == ("main", case.flow.mach, case.flow.alpha, None, 1.0)
    for bad, match in ((dict(name="2nd"), "name"), (dict(mach=0.0), "mach"), (dict(alpha=45.0), "alpha"),
                       (dict(weight=-1.0), "weight"), (dict(reynolds=-5.0), "reynolds")):
        with pytest.raises(ValueError, match=match):
            FlowPoint(**{**dict(name="a", mach=0.7, alpha=1.0), **bad})
    cfg = point_config(case, POINTS[1])
    assert (cfg.flow.mach, cfg.flow.alpha, cfg.mesh) == (0.7, 2.0, case.mesh)
    assert problem_key(cfg) != problem_key(case) and problem_key(point_config(case, POINTS[1])) == problem_key(cfg)
    with pytest.raises(ConfigError, match="reynolds applies to .* 'rans-sa' only"):
        point_config(case, FlowPoint("a", 0.7, 1.0, reynolds=1e6))
