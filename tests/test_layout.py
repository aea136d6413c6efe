"""The package layout (issue 12): dependencies point down the pipeline, and the kernels know no case file.

Every ``cfdopt`` import of every module is read from its source (``ast``, function-local imports included), so
a lazy import inside a function counts as much as one at the top.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cfdopt"

# what each layer may not import: the stages below the case file never see it, nor the stages above them
FORBIDDEN = {
    "cfdopt.util": ("cfdopt.geometry", "cfdopt.mesh", "cfdopt.flow", "cfdopt.solve", "cfdopt.adjoint",
                    "cfdopt.analysis", "cfdopt.optimize", "cfdopt.case", "cfdopt.snn", "cfdopt.plots",
                    "cfdopt.commands", "cfdopt.cli"),
    "cfdopt.geometry": ("cfdopt.mesh", "cfdopt.flow", "cfdopt.solve", "cfdopt.analysis", "cfdopt.optimize",
                        "cfdopt.case", "cfdopt.snn", "cfdopt.commands", "cfdopt.cli"),
    "cfdopt.mesh": ("cfdopt.flow", "cfdopt.solve", "cfdopt.analysis", "cfdopt.optimize", "cfdopt.case",
                    "cfdopt.snn", "cfdopt.commands", "cfdopt.cli"),
    "cfdopt.flow": ("cfdopt.solve", "cfdopt.analysis", "cfdopt.optimize", "cfdopt.case", "cfdopt.snn",
                    "cfdopt.commands", "cfdopt.cli"),
    "cfdopt.solve": ("cfdopt.analysis", "cfdopt.optimize", "cfdopt.case", "cfdopt.snn", "cfdopt.commands",
                     "cfdopt.cli"),
    "cfdopt.snn": ("cfdopt.geometry", "cfdopt.mesh", "cfdopt.flow", "cfdopt.solve", "cfdopt.adjoint",
                   "cfdopt.analysis", "cfdopt.optimize", "cfdopt.case", "cfdopt.commands", "cfdopt.cli"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def cfdopt_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)  # from cfdopt import cli
    return {n for n in names if n == "cfdopt" or n.startswith("cfdopt.")}


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_the_layout_is_the_pipeline():
    """The stages are packages (the test would pass vacuously if they were renamed away)."""
    for package in ("case", "geometry", "mesh", "flow", "flow/rans", "solve", "solve/linear", "analysis",
                    "optimize", "util", "snn", "plots", "commands"):
        assert (PACKAGE / package / "__init__.py").is_file(), package
    flat = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert flat == ["__init__.py", "adjoint.py", "cli.py"], flat


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_dependencies_point_down(layer):
    bad = []
    for path in MODULES:
        name = module_name(path)
        if not within(name, layer):
            continue
        for imported in cfdopt_imports(path):
            if any(within(imported, f) for f in FORBIDDEN[layer]):
                bad.append(f"{path.relative_to(PACKAGE.parent)} imports {imported}")
    assert not bad, "\n".join(bad)


def test_the_cfd_side_does_not_import_snn():
    """Only the command line reaches snn; the case loader gets [snn] from the section registry."""
    cfd = [p for p in MODULES if not within(module_name(p), "cfdopt.snn")
           and module_name(p) not in ("cfdopt.cli", "cfdopt.commands.snn")]
    bad = [f"{p.relative_to(PACKAGE.parent)} imports {i}" for p in cfd for i in cfdopt_imports(p)
           if within(i, "cfdopt.snn")]
    assert not bad, "\n".join(bad)


def test_snn_registers_its_own_section():
    """The case schema knows [snn] only through cfdopt.util.sections, and a case reads it as cfg.snn."""
    from cfdopt.case.schema import SECTIONS, Config
    from cfdopt.snn.settings import SnnConfig

    assert SECTIONS["snn"] is SnnConfig
    assert Config().snn == SnnConfig()
    with pytest.raises(AttributeError, match="no section or attribute 'snnn'"):
        Config().snnn
