"""cfdopt.util.jitcache: traced programs on disk give the results of plain jit and never go stale."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cfdopt.util.jitcache import cached_jit


@pytest.fixture
def cache_dir(tmp_path):
    old = jax.config.jax_compilation_cache_dir
    jax.config.update("jax_compilation_cache_dir", str(tmp_path))
    try:
        yield tmp_path / "export"
    finally:
        from jax._src import compilation_cache  # the XLA cache keeps its first folder until reset

        jax.config.update("jax_compilation_cache_dir", old)
        compilation_cache.reset_cache()


def _fun(x, pair, scale):
    a, b = pair
    return {"sum": jnp.sum(x * a) + scale, "prod": x * b}


def _files(folder):
    return sorted(folder.glob("*.pkl")) if folder.exists() else []


def test_disk_program_matches_jit_and_is_keyed_by_shape(cache_dir):
    f = cached_jit(_fun, "test-fun")
    x = np.linspace(0.0, 1.0, 5)
    args = (x, (jnp.asarray(2.0), np.arange(5.0)), 0.5)
    first = f(*args)
    assert len(_files(cache_dir)) == 1
    again = f(*args)  # served from the file
    expect = jax.jit(_fun)(*args)
    for out in (first, again):
        assert set(out) == {"sum", "prod"}
        np.testing.assert_array_equal(out["sum"], expect["sum"])
        np.testing.assert_array_equal(out["prod"], expect["prod"])
    f(np.ones(7), (1.0, np.ones(7)), 0.0)
    assert len(_files(cache_dir)) == 2
    cached_jit(_fun, "another-name")(*args)
    assert len(_files(cache_dir)) == 3


def test_a_fresh_wrapper_reads_the_stored_program(cache_dir):
    x = np.arange(4.0)
    cached_jit(_fun, "reuse")(x, (1.0, x), 1.0)
    (path,) = _files(cache_dir)
    stamp = path.stat().st_mtime_ns
    out = cached_jit(lambda *a: pytest.fail("traced although stored"), "reuse")(x, (1.0, x), 1.0)
    assert path.stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(out["prod"], x * x)


def test_transformations_and_cache_off_use_plain_jit(cache_dir):
    f = cached_jit(lambda x: jnp.sum(jnp.sin(x)), "sin-sum")
    x = np.linspace(0.0, 1.0, 6)
    np.testing.assert_allclose(jax.grad(f)(x), np.cos(x), rtol=1e-14)
    assert _files(cache_dir) == []  # the gradient traced f: nothing stored
    jax.config.update("jax_compilation_cache_dir", None)
    assert float(f(x)) == pytest.approx(np.sum(np.sin(x)), rel=1e-14)
    assert _files(cache_dir) == []


def test_a_solve_through_stored_programs_is_bitwise_the_plain_one(cache_dir):
    from cfdopt.case.schema import MeshConfig
    from cfdopt.flow.residual import Numerics
    from cfdopt.flow.state import FlowConditions
    from cfdopt.geometry import close_trailing_edge, load_airfoil
    from cfdopt.mesh import cgrid_from_config
    from cfdopt.solve.newton import SolverSettings, solve_flow

    surface = close_trailing_edge(load_airfoil("naca0012-sharp", "."))
    grid = cgrid_from_config(surface, MeshConfig(n_airfoil=32, n_wake=8, n_normal=8, farfield=20.0))
    flow = FlowConditions(0.8, 1.25)
    settings = SolverSettings(mesh_levels=1, tolerance=1e-10)
    folder = str(cache_dir.parent)
    jax.config.update("jax_compilation_cache_dir", None)
    plain = solve_flow(grid, flow, Numerics(point_vortex=True), settings)
    jax.config.update("jax_compilation_cache_dir", folder)
    stored = solve_flow(grid, flow, Numerics(point_vortex=True), settings)
    assert len(_files(cache_dir)) >= 5  # residual, its JVP, Jacobian values, lift coupling, forces, ...
    assert plain.converged and stored.converged
    np.testing.assert_array_equal(np.asarray(stored.U), np.asarray(plain.U))
    assert stored.coefficients == plain.coefficients


def test_mesh_sequencing_loads_the_fine_level_in_a_thread_once(cache_dir, monkeypatch):
    import threading

    import cfdopt.util.jitcache as jc
    from cfdopt.case.schema import MeshConfig
    from cfdopt.flow.residual import Numerics
    from cfdopt.flow.state import FlowConditions
    from cfdopt.geometry import close_trailing_edge, load_airfoil
    from cfdopt.mesh import cgrid_from_config
    from cfdopt.solve.newton import SolverSettings, solve_flow

    loads = []
    real = jc._program

    def spy(fun, name, folder, tree, arrays):
        loads.append((name, tuple(a.shape for a in arrays), threading.current_thread().name))
        return real(fun, name, folder, tree, arrays)

    monkeypatch.setattr(jc, "_program", spy)
    surface = close_trailing_edge(load_airfoil("naca0012-sharp", "."))
    grid = cgrid_from_config(surface, MeshConfig(n_airfoil=32, n_wake=8, n_normal=16, farfield=20.0))
    numerics = Numerics(order=1)  # compiles in a fraction of the MUSCL residual's time
    out = solve_flow(grid, FlowConditions(0.5, 1.25), numerics, SolverSettings(mesh_levels=2, tolerance=1e-10))
    assert out.converged and {h["level"] for h in out.history} == {0, 1}
    assert len({(n, s) for n, s, _ in loads}) == len(loads)  # nothing loaded twice
    fine = [t for _, shapes, t in loads if (grid.ni, grid.nj, 4) in shapes]
    coarse = [t for _, shapes, t in loads if (grid.ni // 2, grid.nj // 2, 4) in shapes]
    assert len(fine) >= 4 and all(t.startswith("cfdopt-prepare-finer") for t in fine)
    assert len(coarse) >= 4


def test_warm_loads_without_running_and_a_concurrent_call_waits_for_it(cache_dir):
    import threading

    traces = []

    def fun(x, y):
        traces.append(1)  # runs once per trace
        return jnp.cumsum(x) * y

    f = cached_jit(fun, "warm-test")
    x, y = np.linspace(0.0, 1.0, 9), np.float64(3.0)
    f.warm(np.zeros(9), np.float64(0.0))  # values unread: only the structure matters
    assert len(traces) == 1 and len(_files(cache_dir)) == 1
    np.testing.assert_array_equal(f(x, y), jax.jit(fun)(x, y))
    assert len(traces) == 2  # the reference jit above; f itself did not trace again

    g = cached_jit(fun, "warm-test-threads")
    traces.clear()
    started = threading.Event()
    real = jax.export.export

    def slow_export(*a, **k):
        started.set()
        threading.Event().wait(0.3)  # the main thread's call arrives while this one is exporting
        return real(*a, **k)

    jax.export.export = slow_export
    try:
        worker = threading.Thread(target=g.warm, args=(x, y))
        worker.start()
        started.wait(10)
        out = g(x, y)
        worker.join()
    finally:
        jax.export.export = real
    assert len(traces) == 1 and len(_files(cache_dir)) == 2
    np.testing.assert_allclose(out, np.cumsum(x) * y, rtol=1e-15)
    jax.config.update("jax_compilation_cache_dir", None)
    cached_jit(fun, "warm-off").warm(x, y)  # cache off: nothing to load, nothing traced
    assert len(traces) == 1


def test_cached_array_is_computed_once_per_name(cache_dir):
    from cfdopt.util.jitcache import cached_array

    calls = []

    def compute():
        calls.append(1)
        return np.arange(6, dtype=np.int64)[::-1]

    first = cached_array("test-array/6", compute)
    second = cached_array("test-array/6", compute)  # read from the file
    assert len(calls) == 1
    np.testing.assert_array_equal(second, first)
    assert second.dtype == np.int64 and not second.flags.writeable
    assert len(list((cache_dir.parent / "arrays").glob("*.npy"))) == 1
    cached_array("test-array/7", compute)  # another name: computed again
    assert len(calls) == 2
    jax.config.update("jax_compilation_cache_dir", "")
    cached_array("test-array/6", compute)  # cache off: always computed
    assert len(calls) == 3
