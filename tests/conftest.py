"""Test session settings: float64 and strict rank promotion, as in diffrax/optimistix."""

import gc
import os
from pathlib import Path

import jax
import pytest

# cli.main switches on the persistent caches (cfdopt.cli.enable_compilation_cache); in the middle of a
# test session that would make cfdopt.jitcache trace and compile a second program for functions already
# compiled through plain jit. tests/test_jitcache.py turns the caches on where it tests them.
os.environ.setdefault("CFDOPT_CACHE_DIR", "")

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

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
