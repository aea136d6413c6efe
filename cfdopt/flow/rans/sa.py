"""Pointwise Spalart-Allmaras (SA) model functions, with smooth stand-ins for its kinks.

The SA equation (NASA TMR "SA"; "SA-noft2" sets ``ct3 = 0``) is

    D nt/Dt = Q + (1/sigma) [div(D grad nt) + cb2 |grad nt|^2],   D = nu + nt
    Q = cb1 (1 - ft2) S~ nt - (cw1 fw - cb1 ft2 / kappa^2) (nt / d)^2
    mu_t = rho nt fv1

with ``chi = nt / nu``, ``fv1 = chi^3 / (chi^3 + cv1^3)``,
``fv2 = 1 - chi / (1 + chi fv1)``, ``ft2 = ct3 exp(-ct4 chi^2)``,
``S_bar = nt fv2 / (kappa^2 d^2)``, ``r = min(nt / (S~ kappa^2 d^2), 10)``,
``g = r + cw2 (r^6 - r)``, ``fw = g ((1 + cw3^6) / (g^6 + cw3^6))^(1/6)`` and
``S~`` limited as in TMR Note 1(c) (``c2 = 0.7``, ``c3 = 0.9``):

    S~ = Omega + S_bar                                               if S_bar >= -c2 Omega
    S~ = Omega + Omega (c2^2 Omega + c3 S_bar) / ((c3 - 2 c2) Omega - S_bar)   otherwise,

so that ``S~ >= 0.3 Omega`` on the first branch and ``0.1 Omega < S~ <= 0.3 Omega``
on the second. The switch is C1 (value ``0.3 Omega`` and unit slopes in ``S_bar``
and ``Omega`` on both sides) but not C2; it is kept as is in every mode: Newton and
the adjoint use first derivatives only, and a C1 residual with a Lipschitz Jacobian
keeps Newton's quadratic convergence. Constants (:data:`SA_CONSTANTS`): cb1 = 0.1355,
sigma = 2/3, cb2 = 0.622, kappa = 0.41, cw1 = cb1/kappa^2 + (1 + cb2)/sigma,
cw2 = 0.3, cw3 = 2, cv1 = 7.1, ct3 = 1.2, ct4 = 0.5, c2 = 0.7, c3 = 0.9, cn1 = 16.

Clip modes (:class:`SAOptions`). "softplus" and "hard" run the same code; each kink
goes through one helper that picks the smooth or the hard primitive
(:mod:`cfdopt.util.smooth`); "neg" uses the hard ones. Bounds to the hard forms:

- ``chi+ = softplus(chi, s)`` vs ``max(chi, 0)``: ``0 < chi+ - max(chi, 0) <= log(2)/s``,
  ``s = SAOptions.sharpness`` (1/chi; 50 gives 0.0139); fv1, fv2, ft2, S_bar, r, Q, D
  and mu_t all see ``chi+`` and ``nt+ = nu chi+``, so they are smooth in nt (at a wall,
  nt = 0, mu_t = 1e-10 mu and D = 1.014 nu for s = 50).
- ``Omega = smooth_abs(w, OMEGA_WIDTH)``: ``0 < Omega - |w| <= OMEGA_WIDTH = 1e-6``,
  and ``<= OMEGA_WIDTH^2 / (2|w|)``. Units a_inf/chord: free-stream velocity over
  chord is 0.1-0.8 and boundary-layer vorticity 1e2-1e6, where the relative change is
  at most 5e-17. In an irrotational free stream it adds a production of at most
  ``cb1 OMEGA_WIDTH nt``, a relative growth rate of 1.4e-7 per unit time.
- ``S~`` floor before the division in r: hard ``max(S~, S_FLOOR)``, softplus
  ``smooth_abs(S~, S_FLOOR)``, ``0 < hypot - max(S~, S_FLOOR) <= (sqrt(2) - 1) S_FLOOR``
  (``S~ >= 0`` always). ``S_FLOOR = 1e-16`` (a_inf/chord): where ``S~ = 0`` (hard mode,
  Omega = 0) it gives r = 10 as Note 1(c) asks whenever ``nt > 1e-15 kappa^2 d^2``, and
  below that the destruction is under ``1e-30 d^2``. In softplus mode
  ``S~ >= 0.1 OMEGA_WIDTH``, so the floor moves S~ by under 5e-19 relative. r is
  then at most ``nt / (S_FLOOR kappa^2 d^2)``: finite for ``nt / d^2 < 1e290``.
- ``r = smooth_min(r_raw, 10, R_SHARPNESS = 10)``: ``-log(2)/10 <= r - min(r_raw, 10) < 0``,
  the bound reached at ``r_raw = 10`` where fw is flat to 1e-30; below ``r_raw = 8``
  the gap is under 3e-10. So ``r < 10`` and ``g^6 < 1e33`` never overflows.

SA-neg (clip "neg", Allmaras, Johnson & Spalart 2012): the hard forms above for
``nt >= 0``; for ``nt < 0``

    Q = cb1 (1 - ct3) Omega nt + cw1 (nt / d)^2,   D = nu + nt fn,
    fn = (cn1 + chi^3) / (cn1 - chi^3),   mu_t = 0.

Both branches of Q have value 0 and slope ``cb1 (1 - ct3) Omega`` at ``nt = 0``, so
Q is C1 there; with ``ft2=False`` the negative branch uses ``ct3 = 0`` too, which keeps
that property (TMR is silent on SA-neg-noft2; keeping ct3 = 1.2 there would make it C0).

How others treat the kinks (for contrast): SU2 (turb_sources.hpp) clips S~ at 1e-10
and caps r at 10 with zero derivatives; ADflow (sa.F90) uses max(S, 1e-10),
min(r, 10), max(nt, 0) and offers a "frozen turbulence" adjoint; here the clips are
smooth and differentiated exactly.

References:
    NASA Turbulence Modeling Resource, The Spalart-Allmaras Turbulence Model,
    https://turbmodels.larc.nasa.gov/spalart.html (SA, SA-noft2, SA-neg, Note 1(c)).
    Spalart & Allmaras (1994), A one-equation turbulence model for aerodynamic
    flows, La Recherche Aerospatiale 1, 5-21.
    Allmaras, Johnson & Spalart (2012), Modifications and clarifications for the
    implementation of the Spalart-Allmaras turbulence model, ICCFD7-1902.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np

from cfdopt.util.smooth import smooth_abs, smooth_min, softplus

__all__ = [
    "CLIP_MODES", "OMEGA_WIDTH", "R_MAX", "R_SHARPNESS", "SA_CONSTANTS", "S_FLOOR", "SAConstants", "SAOptions",
    "TRANSITION_SHARE", "chi_plus", "clip_activity", "diffusivity", "eddy_viscosity", "fn", "ft2", "fv1", "fv2", "fw", "r_ratio", "s_tilde",
    "sa_source", "vorticity_magnitude",
]

CLIP_MODES = ("softplus", "hard", "neg")
OMEGA_WIDTH = 1e-6
"""Width of the smooth ``|w|`` (a_inf/chord): ``0 < Omega - |w| <= OMEGA_WIDTH``."""
S_FLOOR = 1e-16
"""Floor of ``S~`` before the division in r (a_inf/chord)."""
R_MAX = 10.0
"""Cap on r (TMR)."""
R_SHARPNESS = 10.0
"""Sharpness of the smooth cap on r (1/r): ``-log(2)/10 <= r - min(r_raw, 10) < 0``."""


@dataclass(frozen=True)
class SAConstants:
    """SA model constants (TMR); ``cw1 = cb1/kappa^2 + (1 + cb2)/sigma`` is derived."""

    cb1: float = 0.1355
    sigma: float = 2.0 / 3.0
    cb2: float = 0.622
    kappa: float = 0.41
    cw2: float = 0.3
    cw3: float = 2.0
    cv1: float = 7.1
    ct3: float = 1.2
    ct4: float = 0.5
    c2: float = 0.7
    c3: float = 0.9
    cn1: float = 16.0
    cw1: float = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "cw1", self.cb1 / self.kappa**2 + (1.0 + self.cb2) / self.sigma)


SA_CONSTANTS = SAConstants()
_C = SA_CONSTANTS


@dataclass(frozen=True)
class SAOptions:
    """How the SA kinks are treated (static, hashable).

    Attributes:
        clip: ``"softplus"`` (smooth stand-ins), ``"hard"`` (TMR SA with hard
            max/min/abs) or ``"neg"`` (SA-neg, hard forms).
        sharpness: softplus sharpness ``s > 0`` for ``chi+``, units 1/chi.
        ft2: TMR "SA" (``True``) or "SA-noft2" (``False``: ``ct3 = 0``).
    """

    clip: str = "softplus"
    sharpness: float = 50.0
    ft2: bool = True

    def __post_init__(self):
        if self.clip not in CLIP_MODES:
            raise ValueError(f"SAOptions.clip must be one of {', '.join(CLIP_MODES)}, got {self.clip!r}")
        s = self.sharpness
        if isinstance(s, bool) or not isinstance(s, (int, float)) or not (math.isfinite(s) and s > 0):
            raise ValueError(f"SAOptions.sharpness must be a finite number > 0, got {s!r}")
        if not isinstance(self.ft2, (bool, np.bool_)):
            raise ValueError(f"SAOptions.ft2 must be True or False, got {self.ft2!r}")

    @property
    def smooth(self) -> bool:
        return self.clip == "softplus"

    @property
    def ct3(self) -> float:
        return _C.ct3 if self.ft2 else 0.0


# --- the kinks: one helper each, smooth or hard by the option ---------------


def chi_plus(nu_tilde, nu, opts: SAOptions):
    """Clipped ``chi = nu_tilde / nu``: softplus(chi, s), max(chi, 0), or chi itself for "neg"."""
    chi = nu_tilde / nu
    if opts.clip == "neg":
        return chi
    return softplus(chi, opts.sharpness) if opts.smooth else jnp.maximum(chi, 0.0)


def vorticity_magnitude(w, opts: SAOptions):
    """``Omega`` from the signed vorticity ``w``: ``smooth_abs(w, OMEGA_WIDTH)`` or ``|w|``."""
    return smooth_abs(w, OMEGA_WIDTH) if opts.smooth else jnp.abs(w)


def _floor_s(s, opts: SAOptions):
    return smooth_abs(s, S_FLOOR) if opts.smooth else jnp.maximum(s, S_FLOOR)


def _cap_r(r, opts: SAOptions):
    return smooth_min(r, R_MAX, R_SHARPNESS) if opts.smooth else jnp.minimum(r, R_MAX)


# --- model functions (TMR) -------------------------------------------------


def fv1(chi):
    """``chi^3 / (chi^3 + cv1^3)`` (for ``chi >= 0``)."""
    chi3 = chi * chi * chi
    return chi3 / (chi3 + _C.cv1**3)


def fv2(chi, fv1_value):
    """``1 - chi / (1 + chi fv1)``."""
    return 1.0 - chi / (1.0 + chi * fv1_value)


def ft2(chi, opts: SAOptions):
    """``ct3 exp(-ct4 chi^2)``; 0 for SA-noft2."""
    return opts.ct3 * jnp.exp(-_C.ct4 * chi * chi)


def fw(r):
    """``g ((1 + cw3^6) / (g^6 + cw3^6))^(1/6)`` with ``g = r + cw2 (r^6 - r)``."""
    r6 = r**6
    g = r + _C.cw2 * (r6 - r)
    cw3_6 = _C.cw3**6
    return g * ((1.0 + cw3_6) / (g**6 + cw3_6)) ** (1.0 / 6.0)


def fn(chi):
    """SA-neg diffusion factor ``(cn1 + chi^3) / (cn1 - chi^3)`` (for ``chi <= 0``)."""
    chi3 = chi * chi * chi
    return (_C.cn1 + chi3) / (_C.cn1 - chi3)


def s_tilde(omega, s_bar):
    """TMR Note 1(c) modified vorticity ``S~`` from ``Omega >= 0`` and ``S_bar``.

    The limited branch's denominator ``(c3 - 2 c2) Omega - S_bar`` exceeds
    ``(c3 - c2) Omega`` there (and is ``-S_bar > 0`` when ``Omega = 0``); elsewhere it is
    replaced by 1 before dividing, so the unused branch never yields a NaN gradient.
    """
    c2, c3 = _C.c2, _C.c3
    limited = s_bar < -c2 * omega
    den = jnp.where(limited, (c3 - 2.0 * c2) * omega - s_bar, 1.0)
    s_limited = omega + omega * (c2 * c2 * omega + c3 * s_bar) / den
    return jnp.where(limited, s_limited, omega + s_bar)


def r_ratio(nt, s_tilde_value, d, opts: SAOptions):
    """``r = min(nt / (S~ kappa^2 d^2), 10)`` with S~ floored and the cap smooth or hard."""
    s_floor = _floor_s(s_tilde_value, opts)
    return _cap_r(nt / (s_floor * _C.kappa**2 * d * d), opts)


# --- terms the flow solver calls -------------------------------------------


def _standard_source(nt, chi, omega, d, opts: SAOptions):
    """TMR SA production - destruction at ``nt = nu chi >= 0``."""
    f1 = fv1(chi)
    t2 = ft2(chi, opts)
    s_bar = nt * fv2(chi, f1) / (_C.kappa**2 * d * d)
    st = s_tilde(omega, s_bar)
    r = r_ratio(nt, st, d, opts)
    production = _C.cb1 * (1.0 - t2) * st * nt
    destruction = (_C.cw1 * fw(r) - _C.cb1 / _C.kappa**2 * t2) * (nt / d) ** 2
    return production - destruction


def sa_source(nu_tilde, nu, vorticity, d, opts: SAOptions):
    """Per-unit-mass SA source ``Q`` (production - destruction, no cb2 term).

    Args:
        nu_tilde: SA working variable (may be negative).
        nu: laminar kinematic viscosity ``mu / rho`` (> 0).
        vorticity: signed vorticity ``dv/dx - du/dy``; its magnitude is taken here.
        d: wall distance (> 0).
        opts: clip mode, sharpness and ft2.

    Returns:
        ``Q`` with the broadcast shape of the inputs (units nu / time).
    """
    omega = vorticity_magnitude(vorticity, opts)
    if opts.clip != "neg":
        chi = chi_plus(nu_tilde, nu, opts)
        return _standard_source(nu * chi, chi, omega, d, opts)
    positive = nu_tilde >= 0.0
    nt_pos = jnp.where(positive, nu_tilde, 0.0)
    q_pos = _standard_source(nt_pos, nt_pos / nu, omega, d, opts)
    q_neg = _C.cb1 * (1.0 - opts.ct3) * omega * nu_tilde + _C.cw1 * (nu_tilde / d) ** 2
    return jnp.where(positive, q_pos, q_neg)


def eddy_viscosity(rho, nu_tilde, nu, opts: SAOptions):
    """``mu_t = rho nu chi+ fv1(chi+)``; for "neg" ``rho nt fv1(chi)`` where ``nt >= 0``, else 0.

    SA-neg's switch is C3 at ``nt = 0`` (``mu_t ~ nt^4``); ``fv1`` is evaluated at
    ``max(chi, 0)`` there so its pole at ``chi = -cv1`` never enters a gradient.
    """
    if opts.clip == "neg":
        positive = nu_tilde >= 0.0
        nt_pos = jnp.where(positive, nu_tilde, 0.0)
        return jnp.where(positive, rho * nt_pos * fv1(nt_pos / nu), 0.0)
    chi = chi_plus(nu_tilde, nu, opts)
    return rho * nu * chi * fv1(chi)


def diffusivity(nu_tilde, nu, opts: SAOptions):
    """``D`` of the diffusion term ``(1/sigma) div(rho D grad nt)``, without ``1/sigma``.

    ``nu (1 + chi+) >= nu`` for softplus/hard; for "neg" ``nu + nt fn(min(chi, 0))``,
    which is ``nu + nt`` for ``nt >= 0`` (``fn(0) = 1``, ``fn'(0) = 0``: C1 at 0).
    """
    if opts.clip == "neg":
        return nu + nu_tilde * fn(jnp.minimum(nu_tilde / nu, 0.0))
    return nu * (1.0 + chi_plus(nu_tilde, nu, opts))


TRANSITION_SHARE = 0.01
"""A cell is in the softplus transition where ``softplus(chi, s) - max(chi, 0)`` exceeds this share of
its largest value ``log(2)/s``: ``|chi| < -log(2^0.01 - 1)/s = 4.97/s`` (0.099 at s = 50)."""


def transition_width(opts: SAOptions) -> float:
    """Half-width in chi of the softplus transition: ``softplus(chi, s) - max(chi, 0)`` exceeds
    ``TRANSITION_SHARE`` of its bound ``log(2)/s`` exactly where ``|chi|`` is below this."""
    return -math.log(2.0**TRANSITION_SHARE - 1.0) / opts.sharpness


def clip_activity(chi, opts: SAOptions) -> dict:
    """Where the eddy-viscosity clip acts: ``{"chi_min", "share_nonpositive", "share_transition"}``.

    ``share_nonpositive``: share of cells with ``chi <= 0`` (where the hard clip and SA-neg's branch act);
    ``share_transition``: share with ``|chi| < -log(2^TRANSITION_SHARE - 1) / opts.sharpness`` (where the
    softplus surrogate differs from ``max(chi, 0)`` by more than ``TRANSITION_SHARE`` of its bound; for
    ``"hard"``/``"neg"`` the band the softplus at this sharpness would smooth). Plain NumPy, for reports.
    """
    chi = np.asarray(chi, dtype=float)
    width = transition_width(opts)
    return dict(chi_min=float(chi.min()), share_nonpositive=float(np.mean(chi <= 0.0)),
                share_transition=float(np.mean(np.abs(chi) < width)))
