"""Test session settings: float64 and strict rank promotion, as in diffrax/optimistix."""

import gc
import os
import shutil
import tempfile
from pathlib import Path

import jax
import pytest

import cfdopt  # noqa: F401  (its XLA flags, before anything here starts the backend)

# cli.main switches on the persistent caches (cfdopt.cli.enable_compilation_cache); in the middle of a
# test session that would make cfdopt.util.jitcache trace and compile a second program for functions already
# compiled through plain jit. tests/test_jitcache.py turns the caches on where it tests them.
os.environ.setdefault("CFDOPT_CACHE_DIR", "")

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

XLA_CACHE_ENV = "CFDOPT_TEST_XLA_CACHE"
"""One folder of compiled XLA programs for the whole test session, shared by the pytest-xdist workers. Many
test files compile the same programs (the small grids and numerics of tests/flow_testgrids.py); without it
each worker compiles them again, and so does a worker after :func:`_release_compiled_programs` dropped them.
Only the XLA cache is on: ``jax_compilation_cache_dir`` is set back to ``None`` once the cache has taken the
folder, so :mod:`cfdopt.util.jitcache` stays off (plain ``jax.jit``) except where a test turns it on. Set it to an
empty value to run without it."""


def pytest_configure(config):
    if not hasattr(config, "workerinput") and XLA_CACHE_ENV not in os.environ:  # the controller, once
        os.environ[XLA_CACHE_ENV] = config._cfdopt_xla_cache = tempfile.mkdtemp(prefix="cfdopt-test-xla-")


def pytest_unconfigure(config):
    folder = getattr(config, "_cfdopt_xla_cache", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


SLOW_FILES_FIRST = ("test_smoothing_regression.py", "test_rans.py", "test_optimize.py", "test_solver_naca0012.py",
                    "test_flow_jacobian.py", "test_jitcache.py", "test_multipoint.py", "test_constraints.py",
                    "test_solver.py", "test_verify_optimum.py", "test_parallel.py")
"""The files with the longest ``--durations`` (2026-12-07), longest first: pytest-xdist (``--dist loadfile
--no-loadscope-reorder``) hands files to its two workers in collection order, so the longest one starts at once
and cannot be the last to start (by default xdist orders files by their number of tests, which put it near the
end)."""


def pytest_collection_modifyitems(config, items):
    rank = {name: k for k, name in enumerate(SLOW_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


def use_session_xla_cache() -> None:
    """Point JAX's persistent XLA cache at the session's folder, and leave ``jax_compilation_cache_dir``
    unset. JAX opens its cache once, on the first compile after a reset, from that setting; it keeps the
    folder when the setting changes later (jax._src.compilation_cache)."""
    from jax._src import compilation_cache

    folder = os.environ.get(XLA_CACHE_ENV)
    if not folder:
        return
    old = jax.config.jax_compilation_cache_dir
    compilation_cache.reset_cache()
    jax.config.update("jax_compilation_cache_dir", folder)
    jax.jit(lambda x: x + 1.0).lower(1.0).compile()  # opens the cache on the folder
    jax.config.update("jax_compilation_cache_dir", old)


@pytest.fixture(scope="session", autouse=True)
def _session_xla_cache():
    use_session_xla_cache()
    yield

MAP_BUDGET = 40_000
"""Memory maps a test process may hold before compiled programs are dropped. Every compiled program set of
one RANS numerics holds about 3000 maps (measured: a 48x16 solve); past the kernel's vm.max_map_count
(65530 by default) LLVM cannot allocate and the session segfaults. jax.clear_caches() releases them
(measured: 9669 maps -> 682); later tests compile again."""


def _map_count() -> int:
    try:
        with open("/proc/self/maps") as f:
            return sum(1 for _ in f)
    except OSError:  # not Linux
        return 0


@pytest.fixture(autouse=True)
def _release_compiled_programs():
    yield
    if _map_count() > MAP_BUDGET:
        gc.collect()
        jax.clear_caches()


def shared_path(*parts: str) -> Path:
    """Path under ``../shared/``; skips the test with the reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path} (the ../shared folder beside the checkout)")
    return path


@pytest.fixture
def shared():
    return shared_path
