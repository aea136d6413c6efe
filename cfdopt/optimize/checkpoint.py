"""What an optimization run leaves on disk, written as it goes: checkpoint, history, one folder per design.

- ``checkpoint.npz``: every evaluated point (:class:`cfdopt.optimize.driver.Point`,
  as JSON with exact float round-trip) and the warm-start record: the flow of
  the current iterate (where the next solve starts) and the newest flow
  (:meth:`cfdopt.optimize.driver.Evaluator.warm_record`). Rewritten atomically (temporary file, then
  ``os.replace``) after each evaluation, so a run killed at any instant,
  ``kill -9`` included, leaves the previous complete checkpoint. A resumed run
  replays scipy's deterministic sequence of requests from it bit for bit and
  computes only what was never evaluated, continuing from the same warm start,
  so it ends at the same design as an uninterrupted run.
- ``history.csv``: one row per optimizer iteration; ``events.log``: failed points;
  ``designs/NNNN/``: the accepted design of iteration NNNN (``airfoil.dat``,
  ``surface.csv`` with ``x, y, cp``, ``summary.json``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from pathlib import Path

import numpy as np

from cfdopt.case.schema import config_to_dict
from cfdopt.util.errors import CfdoptError
from cfdopt.optimize.driver import Point

CHECKPOINT = "checkpoint.npz"
VERSION = 3
_ARRAYS = ("x", "design", "grad", "cons", "cons_jac", "surface")


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never a partial one."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def fingerprint(cfg) -> str:
    """Hash of the resolved case, ``optimize.max_iterations`` excluded (a resume may run longer)."""
    data = config_to_dict(cfg)
    data["optimize"].pop("max_iterations", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def point_to_dict(point) -> dict:
    out = {k: getattr(point, k) for k in ("index", "ok", "f", "objective", "coefficients", "alpha",
                                         "flow_s", "adjoint_s", "message", "f_scale", "newton")}
    out.update({k: np.asarray(getattr(point, k)).tolist() for k in _ARRAYS})
    out["cons_jac_shape"] = list(np.shape(point.cons_jac))
    out["surface_shape"] = list(np.shape(point.surface))
    return out


def point_from_dict(data: dict):
    arrays = {k: np.asarray(data[k], dtype=np.float64) for k in _ARRAYS}
    arrays["cons_jac"] = arrays["cons_jac"].reshape(data["cons_jac_shape"])
    arrays["surface"] = arrays["surface"].reshape(data["surface_shape"])
    scalars = {k: data[k] for k in ("index", "ok", "f", "objective", "coefficients", "alpha", "flow_s",
                                    "adjoint_s", "message", "f_scale", "newton")}
    return Point(**arrays, **scalars)


class Checkpoint:
    """The evaluation cache of a run and its warm-start state.

    Args:
        path: the checkpoint file (``OUT/checkpoint.npz``).
        fingerprint: :func:`fingerprint` of the case; a resume with another case is refused.
    """

    def __init__(self, path: Path, fingerprint: str):
        self.path = Path(path)
        self.fingerprint = fingerprint
        self.points: list[dict] = []

    def load(self) -> tuple[list, dict | None]:
        """``(points, warm)`` of a previous run, ``warm`` as saved (``{"anchor": index or None,
        "states": {index: (ni, nj, 4) array}}``); ``([], None)`` when there is none.

        Raises:
            CfdoptError: the file belongs to a different case or version, or is unreadable.
        """
        if not self.path.is_file():
            return [], None
        try:
            with np.load(self.path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                states = {int(k[len("state_"):]): np.array(data[k]) for k in data.files if k.startswith("state_")}
        except (OSError, ValueError, KeyError) as err:
            raise CfdoptError(f"{self.path}: unreadable checkpoint ({err}); run without --resume") from err
        if meta.get("version") != VERSION:
            raise CfdoptError(f"{self.path}: checkpoint format {meta.get('version')} of an older cfdopt, this one "
                              f"reads {VERSION}; run without --resume to start over")
        if meta.get("fingerprint") != self.fingerprint:
            raise CfdoptError(f"{self.path}: the checkpoint belongs to a different case setup "
                              "(case.toml or --set changed); run without --resume to start over")
        self.points = meta["points"]
        return [point_from_dict(p) for p in self.points], dict(anchor=meta.get("anchor"), states=states)

    def save(self, point, warm: dict) -> None:
        """Add one newly computed point and the warm-start record
        (:meth:`cfdopt.optimize.driver.Evaluator.warm_record`), atomically."""
        self.points.append(point_to_dict(point))
        meta = json.dumps(dict(version=VERSION, fingerprint=self.fingerprint, points=self.points,
                               anchor=warm["anchor"]))
        arrays = {f"state_{i}": np.asarray(u, dtype=np.float64) for i, u in warm["states"].items()}
        buf = io.BytesIO()
        np.savez(buf, meta=np.array(meta), **arrays)
        atomic_write(self.path, buf.getvalue())


def write_dat(path: Path, surface, name: str) -> None:
    """Selig-format airfoil file: a name line, then ``x y`` per point."""
    surface = np.asarray(surface)
    lines = [name] + [f"{x:.10f} {y:.10f}" for x, y in surface]
    atomic_write(path, ("\n".join(lines) + "\n").encode())


def write_csv(path: Path, rows: list[dict]) -> None:
    keys = list(dict.fromkeys(k for row in rows for k in row))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=keys)
    w.writeheader()
    w.writerows(rows)
    atomic_write(path, buf.getvalue().encode())


def read_history(path: Path) -> list[dict]:
    """Rows of ``history.csv`` with numbers parsed (``True``/``False`` as bool)."""
    def parse(v):
        if v in ("True", "False"):
            return v == "True"
        try:
            return float(v)
        except ValueError:
            return v

    with open(path, newline="") as f:
        return [{k: parse(v) for k, v in row.items()} for row in csv.DictReader(f)]


class ResultsWriter:
    """Writes ``history.csv``, ``events.log`` and ``designs/NNNN/`` as the run goes.

    Args:
        out: the results folder.
        space: the design space (names, surfaces).
        constraint_names: labels of the constraint values.
        fresh: remove the outputs of an earlier run first.
        surface_header: the columns of ``surface.csv`` (``x,y,cp``; one ``cp@NAME`` per flight point when
            there are several).
    """

    def __init__(self, out: Path, space, constraint_names=(), fresh: bool = True, surface_header: str = "x,y,cp"):
        self.out = Path(out)
        self.surface_header = surface_header
        self.space = space
        self.constraint_names = tuple(constraint_names)
        self.rows: list[dict] = []
        self.events: list[str] = []
        if fresh:
            for name in ("history.csv", "events.log", CHECKPOINT, "summary.json"):
                (self.out / name).unlink(missing_ok=True)
            shutil.rmtree(self.out / "designs", ignore_errors=True)
        (self.out / "designs").mkdir(parents=True, exist_ok=True)

    def iteration(self, row: dict, point) -> None:
        self.rows.append(row)
        folder = self.out / "designs" / f"{int(row['iteration']):04d}"
        self.write_design(folder, point, dict(row))
        write_csv(self.out / "history.csv", self.rows)

    def write_design(self, folder: Path, point, extra: dict) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        surface = np.asarray(self.space.surface(point.design))
        write_dat(folder / "airfoil.dat", surface, f"cfdopt design {folder.name}")
        if point.surface.size:
            np.savetxt(folder / "surface.csv", point.surface, delimiter=",", header=self.surface_header, comments="")
        summary = dict(extra, design={n: float(v) for n, v in zip(self.space.names, point.design)},
                       coefficients=point.coefficients,
                       constraints={n: float(v) for n, v in zip(self.constraint_names, point.cons)})
        atomic_write(folder / "summary.json", (json.dumps(summary, indent=2) + "\n").encode())

    def event(self, event: dict) -> None:
        if "restart" in event:
            self.events.append(f"restart {event['restart']} from evaluation {event['evaluation']}: {event['message']}")
        elif "free_stream" in event:
            fs = event["free_stream"]
            what = (f"CD {fs['cd']:.6f}, CL {fs['cl']:+.5f}" if fs.get("converged")
                    else f"no converged solution ({fs.get('message', '')})")
            self.events.append(f"final design (evaluation {event['evaluation']}) solved from the free stream: {what}; "
                               "a different flow from the optimizer's warm-started one")
        else:
            self.events.append(f"evaluation {event['evaluation']}: failed point backed off: {event['message']}")
        atomic_write(self.out / "events.log", ("\n".join(self.events) + "\n").encode())
