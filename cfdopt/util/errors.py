"""Errors the library raises; the command line maps each to a one-line message and an exit code.

Library code never prints or exits: it raises one of these (or returns a
status object) and the CLI decides what the user sees.
"""


class CfdoptError(Exception):
    """Base class: the message is complete and meant for the user."""

    exit_code = 2


class ConfigError(CfdoptError):
    """A case file is malformed: the message names the file, the key and what was expected."""


class AirfoilFileError(CfdoptError):
    """An airfoil file cannot be read: the message names the file and the line."""


class MeshError(CfdoptError):
    """A mesh could not be built or a deformation would fold a cell (message says where, by how much)."""


class SolveError(CfdoptError):
    """A flow or adjoint solve failed; ``history`` holds what was computed before it stopped, ``status`` the flow
    solve's :class:`cfdopt.solve.result.Status` (None for an adjoint)."""

    exit_code = 3

    def __init__(self, message: str, history=None, iterations: int | None = None, status=None):
        super().__init__(message)
        self.history = history
        self.iterations = iterations
        self.status = status
