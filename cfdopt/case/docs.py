"""Markdown reference of every case-file key, generated from the section dataclasses in :mod:`cfdopt.case.schema`."""

from __future__ import annotations

import dataclasses
import inspect
import typing

from cfdopt.case.schema import SECTIONS, _toml_value

_INTRO = """# Case file format (`case.toml`)

A case is a folder `cases/<name>/` holding `case.toml` (and any airfoil `.dat` it names). Every section and
key is optional; what is left out takes the default below. Unknown sections or keys, wrong types and values
out of range are errors that name the file, the key and what was expected. Any key can be overridden on the
command line: `cfdopt solve CASE --set flow.mach=0.8 --set mesh.n_normal=32`.
`cfdopt check CASE` prints the resolved configuration.

This page is generated from `cfdopt/case/schema.py` (and `cfdopt/snn/settings.py`) by
`python scripts/gen_case_docs.py`; a test fails when the two disagree.
"""


def _type(tp) -> str:
    origin = typing.get_origin(tp)
    if origin is tuple:
        item = typing.get_args(tp)[0]
        return "array of tables" if dataclasses.is_dataclass(item) else f"list of {item.__name__}"
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if args:
        return f"{args[0].__name__} (optional)"
    return tp.__name__


def _allowed(meta) -> str:
    parts = []
    if "choices" in meta:
        parts.append(" / ".join(f"`{c}`" for c in meta["choices"]))
    for key, sym in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
        if key in meta:
            parts.append(f"{sym} {meta[key]}")
    return ", ".join(parts)


def _tables(cls) -> list[tuple[str, type]]:
    """``(key, item class)`` of each array-of-tables key of a section (e.g. ``constraint``)."""
    out = []
    for key, tp in typing.get_type_hints(cls).items():
        if typing.get_origin(tp) is tuple and dataclasses.is_dataclass(typing.get_args(tp)[0]):
            out.append((key, typing.get_args(tp)[0]))
    return out


def _key_table(cls) -> list[str]:
    hints = typing.get_type_hints(cls)
    out = ["| key | type | default | allowed | meaning |", "|---|---|---|---|---|"]
    for f in dataclasses.fields(cls):
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            default = "required"
        else:
            default = "unset" if f.default is None else f"`{_toml_value(f.default)}`"
        doc = f.metadata.get("doc", "").replace("|", "\\|")
        out.append(f"| `{f.name}` | {_type(hints[f.name])} | {default} | {_allowed(f.metadata)} | {doc} |")
    return out


def case_format_markdown() -> str:
    """The whole reference page as Markdown."""
    out = [_INTRO]
    for name, cls in SECTIONS.items():
        out.append(f"\n## `[{name}]`\n\n{inspect.cleandoc(cls.__doc__ or '')}\n")
        out += _key_table(cls)
        for key, item in _tables(cls):
            out.append(f"\n### `[[{name}.{key}]]`\n\n{inspect.cleandoc(item.__doc__ or '')}\n")
            out += _key_table(item)
    return "\n".join(out) + "\n"
