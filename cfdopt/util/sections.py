"""Case-file sections that packages register for themselves.

A package outside the CFD pipeline (``cfdopt.snn``) owns its ``[section]`` dataclass and registers it here with
:func:`register_section`; the case loader (:mod:`cfdopt.case.schema`) asks :func:`registered_sections` and never
imports the package's classes. ``PROVIDERS`` names the modules that register (as a packaging entry-point group
would), so that a case loads the same however the process was started.
"""

from __future__ import annotations

import importlib
from types import MappingProxyType
from typing import Mapping

PROVIDERS = ("cfdopt.snn.settings",)
"""Modules whose import registers their sections."""

_SECTIONS: dict[str, type] = {}


def register_section(name: str, cls: type) -> None:
    """Register ``cls`` (a frozen dataclass whose fields carry ``doc`` metadata) as case section ``[name]``."""
    known = _SECTIONS.get(name)
    if known is not None and known is not cls:
        raise ValueError(f"section [{name}] is registered already, by {known.__module__}.{known.__qualname__}")
    _SECTIONS[name] = cls


def registered_sections() -> Mapping[str, type]:
    """Every registered section, name -> dataclass, after importing the :data:`PROVIDERS`."""
    for module in PROVIDERS:
        importlib.import_module(module)
    return MappingProxyType(_SECTIONS)
