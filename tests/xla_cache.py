"""The persistent compilation cache for tests that start worker processes (tests/test_parallel.py,
tests/test_multipoint.py): a worker compiling the solver afresh takes half a minute, loading it seconds."""

import os

import jax
import pytest


@pytest.fixture(scope="module")
def compile_cache(tmp_path_factory):
    """The persistent compilation cache on, here and (through ``CFDOPT_CACHE_DIR``) in worker processes: the
    test's serial run fills it and the workers load from it. ``CFDOPT_CACHE_DIR`` when set, else the test
    session's XLA folder (tests/conftest.py), else a folder of the test session."""
    from jax._src import compilation_cache  # the XLA cache keeps its first folder until reset
    from conftest import XLA_CACHE_ENV, use_session_xla_cache

    folder = os.environ.get("CFDOPT_CACHE_DIR") or os.environ.get(XLA_CACHE_ENV)
    if not folder:  # one folder for the session: the second module loads what the first compiled
        folder = str(tmp_path_factory.getbasetemp() / "xla-cache")
        os.makedirs(folder, exist_ok=True)
    old = jax.config.jax_compilation_cache_dir, jax.config.jax_persistent_cache_min_compile_time_secs
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CFDOPT_CACHE_DIR", folder)
        jax.config.update("jax_compilation_cache_dir", folder)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        compilation_cache.reset_cache()
        yield folder
        jax.config.update("jax_compilation_cache_dir", old[0])
        jax.config.update("jax_persistent_cache_min_compile_time_secs", old[1])
        use_session_xla_cache()
