"""Command line: ``cfdopt <command> CASE [--set section.key=value ...] [--out DIR] [--quiet]``.

The CLI only parses, loads the case and calls a command module in
:mod:`cfdopt.commands`; library errors become a one-line message on stderr
and a non-zero exit code (2 for bad input, 3 for a failed solve, 4 for an optimization that found no feasible design).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from cfdopt import __version__
from cfdopt.util.errors import CfdoptError

COMMANDS = ("check", "mesh", "solve", "polar", "gradient", "optimize", "plot", "snn")


def _load_command(name: str):
    try:
        return importlib.import_module(f"cfdopt.commands.{name}")
    except ModuleNotFoundError as err:
        if err.name == f"cfdopt.commands.{name}":
            return None
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cfdopt",
        description="Adjoint-based 2D airfoil shape optimization and spiking networks on case folders.",
    )
    parser.add_argument("--version", action="version", version=f"cfdopt {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = _load_command(name)
        if module is None:
            continue
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        p.add_argument("case", metavar="CASE", help="case folder holding case.toml")
        p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                       help="override a case-file value (repeatable), e.g. --set flow.mach=0.8")
        p.add_argument("--out", type=Path, default=None, help="results folder (default: CASE/results)")
        p.add_argument("--quiet", action="store_true", help="no progress lines")
        if getattr(module, "ONE_FLIGHT_POINT", False):
            p.add_argument("--point", default=None, metavar="NAME",
                           help="the [[flow.point]] to run, on a multi-point case (required there)")
        if hasattr(module, "add_arguments"):
            module.add_arguments(p)
        p.set_defaults(module=module)
    return parser


def enable_compilation_cache() -> None:
    """Keep compiled XLA programs between runs (the residual's derivatives take 10-30 s to compile).

    Every program is kept, the small ones too: a solve runs about 15 per grid level, and
    compiling the small ones anew adds seconds to every fresh process (docs/solver.md,
    ``scripts/bench_solver.py``). ``CFDOPT_CACHE_DIR`` moves the cache (default
    ``~/.cache/cfdopt/xla``); an empty value turns it off.
    """
    import os

    import jax

    path = os.environ.get("CFDOPT_CACHE_DIR", str(Path.home() / ".cache" / "cfdopt" / "xla"))
    if path:
        jax.config.update("jax_compilation_cache_dir", path)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse instead of returning it to the system.

    XLA's CPU runtime allocates every buffer of a compiled step afresh, and glibc
    serves blocks over 128 KiB-32 MiB with a new ``mmap`` that is unmapped on
    ``free``: every step then pays a page fault per 4 KiB it touches. For the SNN
    benchmark step that was 850k faults in a 15 s run and about 25 ms of a
    70 ms step. ``M_MMAP_MAX = 0`` serves every block from the heap and a large
    ``M_TRIM_THRESHOLD`` keeps the heap mapped, at the price of a resident size
    that stays at its peak. Process-wide, so only the command line calls it, for
    commands that set ``KEEP_FREED_MEMORY``. Returns False where the C library
    is not glibc.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    m_trim_threshold, m_mmap_max = -1, -4  # from glibc's <malloc.h>
    return bool(mallopt(m_mmap_max, 0)) and bool(mallopt(m_trim_threshold, 2**31 - 1))


def main(argv: list[str] | None = None) -> int:
    from cfdopt.case.schema import load_case

    args = build_parser().parse_args(argv)
    enable_compilation_cache()
    if getattr(args.module, "KEEP_FREED_MEMORY", False):
        keep_freed_memory()
    try:
        cfg = load_case(args.case, args.overrides)
        if getattr(args.module, "ONE_FLIGHT_POINT", False):
            from cfdopt.case.flight import single_point

            cfg = single_point(cfg, args.point)
        if args.command != "snn":
            from cfdopt.case.build import unused_keys

            for line in unused_keys(cfg):
                print(f"cfdopt {args.command}: note: {line}", file=sys.stderr)
        args.out = Path(args.out) if args.out is not None else cfg.case_dir / "results"
        if getattr(args.module, "WRITES_RESULTS", True):
            args.out.mkdir(parents=True, exist_ok=True)
        return int(args.module.run(args, cfg) or 0)
    except CfdoptError as err:
        print(f"cfdopt {args.command}: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print(f"cfdopt {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
