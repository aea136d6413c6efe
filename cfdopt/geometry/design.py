"""Design space: design vector -> airfoil surface -> C-grid wall nodes, from the ``[design]`` section.

Layout of the design vector ``d`` (float64, JAX):

- shape variables first: Hicks-Henne amplitudes (chords; upper bumps then
  lower, :mod:`cfdopt.geometry.hicks_henne`; with ``symmetric = true`` one
  amplitude ``a_k`` per bump pair, applied as ``+a_k`` on the upper and
  ``-a_k`` on the lower surface) or CST weight increments (upper then lower,
  :mod:`cfdopt.geometry.cst`); zero is the baseline exactly;
- then, when ``[design] alpha = true``, the angle of attack in degrees
  (absolute, not an increment).

Every map here is pure JAX, so ``dX/dd`` comes from autodiff through the
shape function and :func:`cfdopt.mesh.deform`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from cfdopt.util.errors import ConfigError
from cfdopt.geometry import CstParams, HicksHenne
from cfdopt.geometry.parametrization import build_shape


@dataclass(frozen=True)
class DesignSpace:
    """The design variables of a case.

    Attributes:
        baseline: ``(n_airfoil + 1, 2)`` baseline surface, Selig order, as meshed.
        shape_fn: ``shape_fn(baseline, d_shape) -> surface`` (pure JAX).
        names: one label per design variable.
        lower, upper: ``(n_vars,)`` bounds.
        alpha0: the case's angle of attack (degrees), the start value of the
            alpha variable when there is one.
        has_alpha: the last variable is the angle of attack.
        fit_error: CST fit error of the baseline (chords), 0 otherwise.
    """

    baseline: np.ndarray
    shape_fn: Callable
    names: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    alpha0: float
    has_alpha: bool
    fit_error: float = 0.0

    @property
    def n_vars(self) -> int:
        return len(self.names)

    @property
    def n_shape(self) -> int:
        return self.n_vars - int(self.has_alpha)

    def initial(self) -> np.ndarray:
        """The baseline design: zero shape variables (and the case's alpha)."""
        d = np.zeros(self.n_vars)
        if self.has_alpha:
            d[-1] = self.alpha0
        return d

    def read(self, path) -> np.ndarray:
        """A design from a JSON file with a key ``design``: a list of ``n_vars`` numbers, or an
        object mapping every name in :attr:`names` to a number (the ``summary.json`` that
        ``cfdopt optimize`` writes for each design).

        Raises:
            ConfigError: unreadable file, or a design that does not fit this space.
        """
        import json
        from pathlib import Path

        try:
            raw = json.loads(Path(path).read_text())["design"]
            if isinstance(raw, dict):
                missing = [n for n in self.names if n not in raw]
                if missing or len(raw) != self.n_vars:
                    raise ConfigError(f"{path}: 'design' names {sorted(raw)[:3]}... do not match this case's "
                                      f"{self.n_vars} variables (missing e.g. {missing[:2]})")
                raw = [raw[n] for n in self.names]
            design = np.asarray(raw, dtype=float)
        except (OSError, KeyError, ValueError, TypeError) as err:
            raise ConfigError(f"{path}: expected JSON with a key 'design' (a list of numbers, or an object "
                              f"of variable name -> number): {err}") from err
        if design.shape != (self.n_vars,):
            raise ConfigError(f"{path}: 'design' has {design.size} values, this design space has {self.n_vars}")
        return design

    def surface(self, d) -> jax.Array:
        """``(n_airfoil + 1, 2)`` Selig-ordered surface of design ``d``."""
        d = jnp.asarray(d, dtype=jnp.float64)
        return self.shape_fn(jnp.asarray(self.baseline), d[: self.n_shape])

    def wall(self, d) -> jax.Array:
        """Surface of ``d`` in C-grid wall order (the reverse of Selig order)."""
        return self.surface(d)[::-1]

    def alpha(self, d):
        """Angle of attack (degrees) of design ``d``."""
        return jnp.asarray(d, dtype=jnp.float64)[-1] if self.has_alpha else self.alpha0

    def responsible(self, d, wall_nodes, kind: str = "turning", share: float = 0.8,
                    at_most: int = 3) -> tuple[tuple[str, float, float], ...]:
        """The design variables that move the given wall nodes the most, as ``(name, d_k, share)``.

        The wall is linear in the shape variables, ``X(d) = X0 + J d``, so each variable's own part of the
        motion of node ``n`` is ``delta_k(n) = d_k J_k(n)``. It is measured, over the nodes given, as

        - ``"displacement"``: ``max_n |delta_k(n)|``;
        - ``"slope"``: the rotation of each face ``e`` between consecutive given nodes,
          ``max_e |e x (delta_k(n+1) - delta_k(n))| / |e|^2`` (linearised about the baseline's face);
        - ``"turning"``: at each given node whose two neighbours are given too, the change of its turning
          angle, the difference of the two faces' rotations.

        ``share`` is variable ``k``'s measure over the sum of all; the largest are listed until their shares
        reach ``share``, at most ``at_most`` of them.

        Args:
            d: ``(n_vars,)`` design.
            wall_nodes: indices of wall nodes, CGrid wall order (TE, lower surface, LE, upper surface, TE).
            kind: ``"displacement"``, ``"slope"`` or ``"turning"``.
            share: the cumulative share to reach.
            at_most: the most variables listed.

        Returns:
            ``(name, d_k, share_k)`` per variable, largest share first; empty when no variable moves the nodes.

        Raises:
            ValueError: unknown ``kind`` or a node outside the wall.
        """
        kinds = ("displacement", "slope", "turning")
        if kind not in kinds:
            raise ValueError(f"kind={kind!r}; expected one of {kinds}")
        n_wall = self.baseline.shape[0]
        nodes = sorted({int(k) for k in wall_nodes})
        if not nodes or nodes[0] < 0 or nodes[-1] >= n_wall:
            raise ValueError(f"wall_nodes={tuple(wall_nodes)} must be indices in [0, {n_wall})")
        d = np.asarray(d, dtype=np.float64)
        jac = np.asarray(jax.jacfwd(self.wall)(jnp.asarray(d)))  # (n_wall, 2, n_vars)
        delta = jac * d[None, None, :]
        wall0 = np.asarray(self.baseline)[::-1]
        if kind == "displacement":
            score = np.max(np.hypot(delta[nodes, 0], delta[nodes, 1]), axis=0)
        else:
            faces = [n for n in nodes if n + 1 in nodes]
            rot = {}
            for n in faces:
                e = wall0[n + 1] - wall0[n]
                dd = delta[n + 1] - delta[n]  # (2, n_vars)
                rot[n] = (e[0] * dd[1] - e[1] * dd[0]) / float(e @ e)
            if kind == "slope":
                score = np.max(np.abs([rot[n] for n in faces]), axis=0) if faces else np.zeros(self.n_vars)
            else:
                inner = [n for n in nodes if n - 1 in rot and n in rot]
                score = (np.max(np.abs([rot[n] - rot[n - 1] for n in inner]), axis=0) if inner
                         else np.zeros(self.n_vars))
        total = float(score.sum())
        if not total > 0.0:
            return ()
        out, reached = [], 0.0
        for k in np.argsort(-score)[:at_most]:
            if score[k] <= 0.0:
                break
            out.append((self.names[k], float(d[k]), float(score[k] / total)))
            reached += score[k] / total
            if reached >= share:
                break
        return tuple(out)

    def explain_wall(self, d) -> Callable[[tuple[int, ...], str], str]:
        """``explain(wall_nodes, kind) -> str`` for :func:`cfdopt.mesh.check_deformation`: the variables
        :meth:`responsible` names at design ``d``, in one clause."""
        def explain(wall_nodes, kind):
            found = self.responsible(d, wall_nodes, kind)
            if not found:
                return "no design variable moves those wall nodes"
            what = {"displacement": "motion", "slope": "face rotation", "turning": "turning"}[kind]
            listed = ", ".join(f"{name} = {value:+.4g} ({100 * part:.0f}%)" for name, value, part in found)
            return f"design variable(s) responsible, by share of the {what} there: {listed}"
        return explain


def design_space(design_cfg, baseline: np.ndarray, alpha0: float = 0.0) -> DesignSpace:
    """Build the design space of a ``[design]`` section around a meshed baseline surface."""
    baseline = np.asarray(baseline, dtype=np.float64)
    shape_fn, params, _ = build_shape(
        design_cfg.parametrization, baseline, design_cfg.n_bumps, design_cfg.bump_width, design_cfg.cst_order,
        design_cfg.bump_spacing,
    )
    if isinstance(params, HicksHenne):
        names = [f"hh_upper_{k} (x={x:.3f})" for k, x in enumerate(params.upper_peaks)]
        names += [f"hh_lower_{k} (x={x:.3f})" for k, x in enumerate(params.lower_peaks)]
    elif isinstance(params, CstParams):
        names = [f"cst_{side}_{k}" for side in ("upper", "lower") for k in range(params.order + 1)]
    else:
        names = []
    fit_error = float(getattr(params, "fit_error", 0.0))
    if design_cfg.symmetric:
        if not isinstance(params, HicksHenne) or params.upper_peaks != params.lower_peaks:
            raise ConfigError("[design] symmetric = true needs parametrization = 'hicks-henne' (matching upper and "
                              f"lower bumps), got {design_cfg.parametrization!r}")
        full = shape_fn
        shape_fn = lambda base, a: full(base, jnp.concatenate([a, -a]))  # noqa: E731
        names = [f"hh_{k} (x={x:.3f}, upper +, lower -)" for k, x in enumerate(params.upper_peaks)]
    n = len(names)
    lower = np.full(n, -design_cfg.bound)
    upper = np.full(n, design_cfg.bound)
    if design_cfg.alpha:
        names.append("alpha (deg)")
        lower = np.append(lower, -10.0)
        upper = np.append(upper, 10.0)
    return DesignSpace(
        baseline=baseline,
        shape_fn=shape_fn,
        names=tuple(names),
        lower=lower,
        upper=upper,
        alpha0=float(alpha0),
        has_alpha=bool(design_cfg.alpha),
        fit_error=fit_error,
    )
