"""Reading airfoil coordinate files (Selig and Lednicer ``.dat`` formats).

Selig: a title line, then ``x y`` pairs from the trailing edge over the upper
surface to the leading edge and back along the lower surface.
Lednicer: a title line, a line with the point counts of the upper and lower
surfaces (``61. 61.``), then the upper surface from the leading edge to the
trailing edge, then the lower surface likewise (blank lines between blocks).

The result is always Selig order and normalised: the leading edge is the data
point farthest from the trailing edge (the midpoint of the two end points);
coordinates are translated so that it sits at the origin and scaled so that
the trailing edge is at ``x = 1`` (no rotation, so the file's incidence is
kept). A point outside ``[-X_TOLERANCE, 1 + X_TOLERANCE]`` after that is an
error. Lines starting with ``#`` and blank lines are ignored.

Every failure raises :class:`cfdopt.util.errors.AirfoilFileError` naming the file
and the line (or, for a self-intersection, the two crossing segments and the
lines of their end points).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cfdopt.util.errors import AirfoilFileError

MIN_POINTS = 10
X_TOLERANCE = 1e-3  # chords; cambered noses legitimately reach slightly ahead of the LE point
_DUPLICATE_TOL = 1e-12  # relative to the chord


def read_dat(path) -> np.ndarray:
    """Read a Selig or Lednicer airfoil file.

    Args:
        path: file path (str or pathlib.Path).

    Returns:
        ``(N, 2)`` float64 surface, Selig order (TE, upper, LE, lower, TE),
        normalised as in the module docstring.

    Raises:
        AirfoilFileError: missing file, non-numeric entry, fewer than
            ``MIN_POINTS`` points, duplicate consecutive points, x outside
            ``[0, 1]`` after normalisation, or a self-intersecting outline.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise AirfoilFileError(f"{path}: cannot read airfoil file ({exc.strerror})") from exc
    rows, lines = _parse_rows(path, text)
    if len(rows) >= 1 and _is_lednicer_header(rows[0]):
        points, line_of = _lednicer(path, rows, lines)
    else:
        points, line_of = np.array(rows, dtype=np.float64), np.array(lines)
    if len(points) < MIN_POINTS:
        last = line_of[-1] if len(line_of) else 1
        raise AirfoilFileError(
            f"{path}, line {last}: only {len(points)} points, an airfoil needs at least {MIN_POINTS}"
        )
    if _signed_area(points) < 0.0:  # clockwise file: TE, lower, LE, upper, TE
        points, line_of = points[::-1].copy(), line_of[::-1].copy()
    points = _normalise(path, points, line_of)
    _check_duplicates(path, points, line_of)
    _check_self_intersection(path, points, line_of)
    return points


def _parse_rows(path: Path, text: str) -> tuple[list[list[float]], list[int]]:
    """Numeric rows and their 1-based line numbers; the first line may be a title."""
    rows, lines = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.replace(",", " ").split()
        try:
            values = [float(f) for f in fields]
        except ValueError:
            if not rows and number == _first_content_line(text):
                continue  # title line
            raise AirfoilFileError(f"{path}, line {number}: non-numeric entry {raw.strip()!r}") from None
        if len(values) != 2 or not np.all(np.isfinite(values)):
            raise AirfoilFileError(
                f"{path}, line {number}: expected two finite numbers 'x y', got {raw.strip()!r}"
            )
        rows.append(values)
        lines.append(number)
    return rows, lines


def _first_content_line(text: str) -> int:
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.split("#", 1)[0].strip():
            return number
    return 0


def _is_lednicer_header(row: list[float]) -> bool:
    return all(v >= 2.0 and float(v).is_integer() for v in row)


def _lednicer(path: Path, rows, lines) -> tuple[np.ndarray, np.ndarray]:
    n_upper, n_lower = int(rows[0][0]), int(rows[0][1])
    data, line_of = np.array(rows[1:], dtype=np.float64), np.array(lines[1:])
    if len(data) != n_upper + n_lower:
        raise AirfoilFileError(
            f"{path}, line {lines[0]}: Lednicer header announces {n_upper} + {n_lower} points, "
            f"the file has {len(data)}"
        )
    upper, lower = data[:n_upper], data[n_upper:]
    up_lines, low_lines = line_of[:n_upper], line_of[n_upper:]
    start = 1 if np.allclose(upper[0], lower[0], rtol=0.0, atol=_DUPLICATE_TOL) else 0
    points = np.concatenate([upper[::-1], lower[start:]], axis=0)
    return points, np.concatenate([up_lines[::-1], low_lines[start:]])


def _signed_area(points: np.ndarray) -> float:
    x, y = points[:, 0], points[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def _normalise(path: Path, points: np.ndarray, line_of: np.ndarray) -> np.ndarray:
    te = 0.5 * (points[0] + points[-1])
    i_le = int(np.argmax(np.sum((points - te[None, :]) ** 2, axis=1)))
    le = points[i_le]
    chord = te[0] - le[0]
    if chord <= 0.0:
        raise AirfoilFileError(
            f"{path}, line {line_of[i_le]}: leading edge x={le[0]:g} is not ahead of the trailing edge x={te[0]:g}"
        )
    out = (points - le[None, :]) / chord
    bad = np.nonzero((out[:, 0] < -X_TOLERANCE) | (out[:, 0] > 1.0 + X_TOLERANCE))[0]
    if bad.size:
        k = bad[0]
        raise AirfoilFileError(
            f"{path}, line {line_of[k]}: x={out[k, 0]:.6g} after normalisation (leading edge at line "
            f"{line_of[i_le]} -> 0, trailing edge -> 1) is outside [0, 1]"
        )
    return out


def _check_duplicates(path: Path, points: np.ndarray, line_of: np.ndarray) -> None:
    step = np.max(np.abs(np.diff(points, axis=0)), axis=1)
    dup = np.nonzero(step <= _DUPLICATE_TOL)[0]
    if dup.size:
        k = dup[0]
        raise AirfoilFileError(
            f"{path}, line {line_of[k + 1]}: point ({points[k + 1, 0]:g}, {points[k + 1, 1]:g}) "
            f"duplicates the previous point (line {line_of[k]})"
        )


def _check_self_intersection(path: Path, points: np.ndarray, line_of: np.ndarray) -> None:
    """Proper crossings between non-adjacent segments of the open outline TE->TE."""
    a, b = points[:-1], points[1:]
    d = b - a
    n = len(a)
    rel = a[None, :, :] - a[:, None, :]  # a_j - a_i, shape (n, n, 2)
    cross_dd = d[:, None, 0] * d[None, :, 1] - d[:, None, 1] * d[None, :, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (rel[..., 0] * d[None, :, 1] - rel[..., 1] * d[None, :, 0]) / cross_dd
        u = (rel[..., 0] * d[:, None, 1] - rel[..., 1] * d[:, None, 0]) / cross_dd
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    candidate = (j > i + 1) & (cross_dd != 0.0)
    closed = np.allclose(points[0], points[-1], rtol=0.0, atol=_DUPLICATE_TOL)
    if closed:
        candidate &= ~((i == 0) & (j == n - 1))  # they share the trailing-edge point
    hit = candidate & (t >= 0.0) & (t <= 1.0) & (u >= 0.0) & (u <= 1.0)
    if np.any(hit):
        si, sj = (int(v) for v in np.argwhere(hit)[0])
        raise AirfoilFileError(
            f"{path}: outline intersects itself: segment {si}-{si + 1} (lines {line_of[si]}-{line_of[si + 1]}) "
            f"crosses segment {sj}-{sj + 1} (lines {line_of[sj]}-{line_of[sj + 1]})"
        )
