"""Reading Selig / Lednicer airfoil files and the documented error for each kind of bad file."""

from pathlib import Path

import numpy as np
import pytest

import cfdopt  # noqa: F401
from cfdopt.util.errors import AirfoilFileError
from cfdopt.geometry import area, load_airfoil, naca4_surface, read_dat

CASE_DIR = Path(__file__).resolve().parents[1] / "cases" / "rae2822"


def _write(path: Path, points, title="TEST", lines_before=()):
    text = "\n".join([title, *lines_before, *(f"{x:.8f} {y:.8f}" for x, y in points)]) + "\n"
    path.write_text(text)
    return path


def test_rae2822_shipped_copy_matches_shared(shared):
    shipped = (CASE_DIR / "rae2822.dat").read_text()
    assert shipped == shared("data", "airfoils", "rae2822.dat").read_text()


def test_rae2822_reads_selig():
    s = load_airfoil("rae2822.dat", CASE_DIR)
    assert s.shape == (129, 2)
    np.testing.assert_array_equal(s[0], s[-1])  # closed trailing edge in the file
    assert np.argmin(s[:, 0]) == 64 and np.all(s[64] == 0.0)
    assert s[:, 0].min() == 0.0 and s[:, 0].max() == 1.0
    # RAE 2822 is 12.1 % thick (Cook, McDonald & Firmin, AGARD AR-138); shoelace area ~0.0776 chord^2
    assert 2 * 0.0605 < np.max(s[:, 1]) - np.min(s[:, 1]) < 0.125
    assert float(area(s)) > 0.0


def test_selig_normalisation_and_clockwise(tmp_path):
    ref = naca4_surface("2412", 61)
    scaled = 100.0 * ref + np.array([[5.0, -3.0]])  # percent chord, shifted
    s = read_dat(_write(tmp_path / "a.dat", scaled))
    np.testing.assert_allclose(s, ref, atol=1e-9)  # file written with 8 decimals on a 100 scale
    s_cw = read_dat(_write(tmp_path / "b.dat", ref[::-1]))  # TE, lower, LE, upper: reversed on read
    np.testing.assert_allclose(s_cw, ref, atol=1e-8)


def test_lednicer(tmp_path):
    ref = naca4_surface("4412", 81)
    upper, lower = ref[:41][::-1], ref[40:]
    lines = ["NACA 4412 Lednicer", f"{len(upper)}. {len(lower)}.", ""]
    lines += [f"{x:.10f} {y:.10f}" for x, y in upper] + [""]
    lines += [f"{x:.10f} {y:.10f}" for x, y in lower]
    path = tmp_path / "led.dat"
    path.write_text("\n".join(lines) + "\n")
    np.testing.assert_allclose(read_dat(path), ref, atol=1e-9)


def test_error_missing_file(tmp_path):
    with pytest.raises(AirfoilFileError, match="not found"):
        load_airfoil("nope.dat", tmp_path)


def test_error_non_numeric(tmp_path):
    pts = naca4_surface("0012", 21)
    path = _write(tmp_path / "bad.dat", pts)
    lines = path.read_text().splitlines()
    lines[5] = "0.5 abc"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(AirfoilFileError, match=r"bad\.dat, line 6: non-numeric entry '0\.5 abc'"):
        read_dat(path)


def test_error_three_columns(tmp_path):
    path = _write(tmp_path / "cols.dat", naca4_surface("0012", 21))
    lines = path.read_text().splitlines()
    lines[3] += " 7.0"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(AirfoilFileError, match=r"cols\.dat, line 4: expected two finite numbers"):
        read_dat(path)


def test_error_too_few_points(tmp_path):
    path = _write(tmp_path / "few.dat", naca4_surface("0012", 11)[::2])  # 6 points
    with pytest.raises(AirfoilFileError, match=r"few\.dat, line 7: only 6 points.*at least 10"):
        read_dat(path)


def test_error_x_outside_after_normalisation(tmp_path):
    pts = naca4_surface("0012", 41)
    pts[5, 0] = 1.3  # an upper-surface point behind the trailing edge
    path = _write(tmp_path / "far.dat", pts)
    with pytest.raises(AirfoilFileError, match=r"far\.dat, line 7: x=1\.3 after normalisation.*outside \[0, 1\]"):
        read_dat(path)


def test_error_duplicate_consecutive(tmp_path):
    pts = naca4_surface("0012", 41)
    pts = np.insert(pts, 10, pts[9], axis=0)
    path = _write(tmp_path / "dup.dat", pts)
    with pytest.raises(AirfoilFileError, match=r"dup\.dat, line 12: point .* duplicates the previous point \(line 11\)"):
        read_dat(path)


def test_error_self_intersection(tmp_path):
    pts = naca4_surface("0012", 41)
    pts[[8, 9]] = pts[[9, 8]]  # swapping two neighbours folds the outline over itself
    path = _write(tmp_path / "cross.dat", pts)
    with pytest.raises(AirfoilFileError, match=r"cross\.dat: outline intersects itself: segment 7-8 .*crosses segment 9-10"):
        read_dat(path)


def test_error_self_intersection_upper_through_lower(tmp_path):
    pts = naca4_surface("0012", 41)
    pts[10, 1] = -0.2  # an upper point pulled below the lower surface
    path = _write(tmp_path / "thru.dat", pts)
    with pytest.raises(AirfoilFileError, match=r"thru\.dat: outline intersects itself: segment 9-10 \(lines 11-12\)"):
        read_dat(path)


def test_error_lednicer_count_mismatch(tmp_path):
    path = tmp_path / "led.dat"
    path.write_text("X\n3. 3.\n" + "\n".join(f"{x} 0.0" for x in (0, 0.5, 1, 0, 0.5)) + "\n")
    with pytest.raises(AirfoilFileError, match=r"led\.dat, line 2: Lednicer header announces 3 \+ 3 points"):
        read_dat(path)
