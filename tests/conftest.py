"""Test session settings: float64 and strict rank promotion, as in diffrax/optimistix."""

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


def shared_path(*parts: str) -> Path:
    """Path under ``../shared/``; skips the test with the reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path} (the ../shared folder beside the checkout)")
    return path


@pytest.fixture
def shared():
    return shared_path
