"""Traced programs kept on disk between processes (``jax.export``), next to the XLA cache.

The persistent XLA cache skips compiling, but each process still traces and
lowers the Python code of every jitted function once per grid shape (the
residual, its JVP, the coloured Jacobian and the force integrals: seconds per
grid level, docs/solver.md). A
:func:`cached_jit` function, called with concrete arrays while
``jax_compilation_cache_dir`` is set (the command line sets it), looks up the
serialized StableHLO of the traced program under ``<cache dir>/export`` and
only traces on a miss. The key covers the function's name and static
parameters, the source of every ``cfdopt`` module, the JAX version, and the
tree structure, shapes and dtypes of the arguments, so an edited solver never
meets a stale program. Calls under a JAX transformation (tracer arguments)
and calls with the cache off go to plain ``jax.jit``.

A stored program is compiled (or read from the XLA cache) ahead of time for
its argument shapes, and ``f.warm(*args)`` does only that, without running
it: a thread can load the next mesh level's programs while the current level
solves (:func:`cfdopt.solve.newton.solve_flow`). Loading and calling are safe from
several threads; a program is loaded once per process.

:func:`cached_array` keeps a computed NumPy array (such as the nested-dissection
order of a grid) under
``<cache dir>/arrays`` with the same kind of key.
"""

from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import io
import os
import pickle
import threading
from pathlib import Path

import jax
import numpy as np

__all__ = ["cached_array", "cached_jit"]


@functools.lru_cache(maxsize=1)
def _source_digest() -> str:
    root = Path(__file__).resolve().parent
    h = hashlib.sha256(jax.__version__.encode())
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _export_dir() -> Path | None:
    base = jax.config.jax_compilation_cache_dir
    return Path(base) / "export" if base else None


@functools.lru_cache(maxsize=64)
def _load(path: Path, specs: tuple):
    """The compiled executable of a serialized export for ``specs`` and its output tree, memoised
    per process."""
    exported_bytes, out_tree = pickle.loads(path.read_bytes())
    exported = jax.export.deserialize(bytearray(exported_bytes))
    return jax.jit(exported.call).lower(*specs).compile(), out_tree


def cached_jit(fun, name: str):
    """``jax.jit(fun)`` whose traced program persists on disk (see the module docstring).

    Args:
        fun: a pure function of pytrees of arrays and Python scalars.
        name: identifies ``fun`` *and everything it closes over* (for example
            ``f"residual/{numerics!r}"``); two functions with one name must be the same.

    Returns:
        The function, with an extra method ``warm(*args)`` that loads and compiles the program for
        the structure, shapes and dtypes of ``args`` without running it (their values are not read).
    """
    jitted = jax.jit(fun)
    programs = {}  # (cache folder, argument structure) -> Future of (compiled call, output tree)
    lock = threading.Lock()

    def program(folder, leaves, tree):
        arrays = [np.asarray(x) if not isinstance(x, jax.Array) else x for x in leaves]
        signature = (folder, tree, tuple((x.shape, x.dtype) for x in arrays))
        with lock:
            entry = programs.get(signature)
            owner = entry is None
            if owner:
                entry = programs[signature] = concurrent.futures.Future()
        if owner:  # the first caller loads; a concurrent one (another thread) waits for it
            try:
                entry.set_result(_program(fun, name, folder, tree, arrays))
            except BaseException as exc:
                with lock:
                    del programs[signature]
                entry.set_exception(exc)
                raise
        return entry.result(), arrays

    @functools.wraps(fun)
    def call(*args):
        folder = _export_dir()
        leaves, tree = jax.tree.flatten(args)
        if folder is None or any(isinstance(x, jax.core.Tracer) for x in leaves):
            return jitted(*args)
        (run, out_tree), arrays = program(folder, leaves, tree)
        return jax.tree.unflatten(out_tree, run(*arrays))

    def warm(*args) -> None:
        folder = _export_dir()
        if folder is not None:
            leaves, tree = jax.tree.flatten(args)
            program(folder, leaves, tree)

    call.warm = warm
    return call


def _program(fun, name: str, folder: Path, tree, arrays):
    """``(run, out_tree)``: the stored program of ``fun`` for this argument structure (exported and
    written first when missing), compiled; ``run`` takes and returns flat leaves."""
    specs = [jax.ShapeDtypeStruct(np.shape(x), x.dtype) for x in arrays]
    key = hashlib.sha256(repr((name, _source_digest(), str(tree), [(s.shape, str(s.dtype)) for s in specs],
                               jax.config.jax_enable_x64)).encode()).hexdigest()[:32]
    path = folder / f"{key}.pkl"
    if not path.exists():
        out_tree = []

        def flat(*xs):
            out = fun(*jax.tree.unflatten(tree, xs))
            out_leaves, structure = jax.tree.flatten(out)
            out_tree.append(structure)
            return out_leaves

        exported = jax.export.export(jax.jit(flat))(*specs)
        try:
            blob = pickle.dumps((bytes(exported.serialize()), out_tree[0]))
        except ImportError:  # serialization needs flatbuffers (a dependency; guard for odd installs)
            return jax.jit(flat).lower(*specs).compile(), out_tree[0]
        _store(path, blob)
    return _load(path, tuple(specs))


def _store(path: Path, blob: bytes) -> None:
    """Write ``blob`` to ``path`` atomically: a concurrent reader (another process or thread, which may be
    storing the same entry) sees the whole file or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(blob)
    os.replace(tmp, path)


def cached_array(name: str, compute) -> np.ndarray:
    """``compute()``, a NumPy array, read from ``<cache dir>/arrays`` when an earlier process stored it.

    Args:
        name: identifies the array *and everything it depends on* (for example the grid shape);
            the key adds the source of every ``cfdopt`` module.
        compute: function of no arguments returning the array.

    Returns:
        The array, read-only. With the cache off, ``compute()`` itself.
    """
    base = jax.config.jax_compilation_cache_dir
    if not base:
        return compute()
    key = hashlib.sha256(repr((name, _source_digest())).encode()).hexdigest()[:32]
    path = Path(base) / "arrays" / f"{key}.npy"
    try:
        out = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        out = np.asarray(compute())
        buf = io.BytesIO()
        np.save(buf, out, allow_pickle=False)
        _store(path, buf.getvalue())
    out.setflags(write=False)
    return out
