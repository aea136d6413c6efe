"""One module per CLI subcommand.

Each module defines ``HELP`` (one line), optionally
``add_arguments(parser)`` for options beyond the common ones (``CASE``,
``--set``, ``--out``, ``--quiet``), and ``run(args, config) -> int`` which
calls library functions, prints progress unless ``args.quiet``, writes into
``args.out`` (a ``pathlib.Path`` that exists) and returns the exit code.
Library errors are left to propagate: ``cfdopt.cli`` turns them into
one-line messages.
"""
