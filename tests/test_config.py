"""Case files: valid files load, every kind of bad input names the file, the key and what was expected."""

import dataclasses
from pathlib import Path

import pytest

from cfdopt import cli
from cfdopt.case.schema import SECTIONS, Config, load_case, parse_override
from cfdopt.case.docs import case_format_markdown
from cfdopt.util.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def write_case(tmp_path, text):
    (tmp_path / "case.toml").write_text(text)
    return tmp_path


def test_bundled_cases_load():
    cases = sorted(p.parent for p in (ROOT / "cases").glob("*/case.toml"))
    assert cases, "no bundled case folders"
    for case in cases:
        cfg = load_case(case)
        assert isinstance(cfg, Config) and cfg.case_dir == case


def test_values_and_defaults(tmp_path):
    cfg = load_case(write_case(tmp_path, "[flow]\nmach = 0.8\nalpha = 2\n[mesh]\nn_normal = 16\n"))
    assert cfg.flow.mach == 0.8 and cfg.flow.alpha == 2.0 and isinstance(cfg.flow.alpha, float)
    assert cfg.mesh.n_normal == 16 and cfg.mesh.n_airfoil == 128
    assert cfg.flow.model == "euler" and cfg.optimize.cl_target is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.flow.mach = 0.3


def test_overrides(tmp_path):
    case = write_case(tmp_path, "[flow]\nmach = 0.8\n")
    cfg = load_case(case, ["flow.mach=0.5", "geometry.airfoil=naca4:2412", "optimize.thickness_stations=[0.2, 0.5]"])
    assert cfg.flow.mach == 0.5 and cfg.geometry.airfoil == "naca4:2412"
    assert cfg.optimize.thickness_stations == (0.2, 0.5)
    assert parse_override("numerics.point_vortex=true") == ("numerics", "point_vortex", True)
    with pytest.raises(ConfigError, match="expected section.key=value"):
        load_case(case, ["mach=0.5"])
    # TOML has no null: "none" unsets an optional number, and stays a word where the key is a word
    case = write_case(tmp_path, "[mesh]\nwall_spacing = 1e-4\n")
    assert load_case(case).mesh.wall_spacing == 1e-4
    assert load_case(case, ["mesh.wall_spacing=none"]).mesh.wall_spacing is None
    assert load_case(case, ["numerics.line_search=none"]).numerics.line_search == "none"


@pytest.mark.parametrize(
    "text, message",
    [
        ("[flw]\nmach = 0.5\n", r"unknown section \[flw\]; valid sections: geometry, mesh, flow"),
        ("[flow]\nmahc = 0.5\n", r"unknown key 'mahc' in \[flow\]; valid keys: model, mach, alpha"),
        ("[flow]\nmach = 0\n", r"\[flow\] mach: expected a value > 0.0, got 0"),
        ("[flow]\nmach = -0.3\n", r"\[flow\] mach: expected a value > 0.0, got -0.3"),
        ("[mesh]\nn_normal = 3\n", r"\[mesh\] n_normal: expected a value >= 4, got 3"),
        ("[mesh]\nn_normal = 8.5\n", r"\[mesh\] n_normal: expected int, got float 8.5"),
        ("[flow]\nmach = \"fast\"\n", r"\[flow\] mach: expected float, got str 'fast'"),
        ("[flow]\nmodel = \"rans\"\n", r"\[flow\] model: expected one of 'euler', 'rans-sa', got 'rans'"),
        ("[numerics]\npoint_vortex = 1\n", r"\[numerics\] point_vortex: expected true or false, got 1"),
        ("[optimize]\nthickness_stations = 0.5\n", r"thickness_stations: expected a list of float"),
        ("flow = 3\n", r"'flow' must be a \[section\] table"),
        ("[flow\nmach = 0.5\n", r"not valid TOML"),
    ],
)
def test_bad_input_messages(tmp_path, text, message):
    case = write_case(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as info:
        load_case(case)
    assert str(case / "case.toml") in str(info.value)


def test_missing_case_file(tmp_path):
    with pytest.raises(ConfigError, match="no case file"):
        load_case(tmp_path)


def test_case_format_doc_is_current():
    doc = (ROOT / "docs" / "case-format.md").read_text()
    assert doc == case_format_markdown(), "docs/case-format.md is stale: run python scripts/gen_case_docs.py"
    for name, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            assert f.metadata.get("doc"), f"[{name}] {f.name} has no doc"
            assert f"`{f.name}`" in doc


def test_cli_check_prints_resolved_config(capsys):
    args = ["check", str(ROOT / "cases" / "quickstart"), "--set", "flow.mach=0.7", "--set", "mesh.n_airfoil=96"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "[flow]" in out and "mach = 0.7" in out and "n_airfoil = 96" in out
    assert "prandtl_turbulent = 0.9" in out  # defaults are filled in


def test_cli_bad_input_one_line_exit_2(tmp_path, capsys):
    case = write_case(tmp_path, "[flow]\nmach = 0\n")
    assert cli.main(["check", str(case)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("cfdopt check: error:") and "mach" in err
