"""Spalart-Allmaras model functions: TMR values by hand, smooth vs hard bounds, gradients, options.

The reference values are computed here with plain Python floats straight from the NASA TMR statement
(turbmodels.larc.nasa.gov/spalart.html, /work/shared/data/REFERENCES.md "SA model statement"), never
by calling the module.
"""

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import cfdopt  # noqa: F401  (float64)
from cfdopt.flow.rans import sa

# --- TMR constants and formulas, written out independently -------------------------------------
CB1, SIGMA, CB2, KAPPA = 0.1355, 2.0 / 3.0, 0.622, 0.41
CW2, CW3, CV1, CT3, CT4 = 0.3, 2.0, 7.1, 1.2, 0.5
CW1 = CB1 / KAPPA**2 + (1.0 + CB2) / SIGMA
C2, C3, CN1 = 0.7, 0.9, 16.0
# The module's documented smoothing constants (checked against the module in test_constants).
OMEGA_WIDTH, S_FLOOR, R_SHARPNESS = 1e-6, 1e-16, 10.0
LOG2 = math.log(2.0)
MODES = ("softplus", "hard", "neg")


def ref_softplus(x, s):
    """log(1 + exp(s x)) / s without overflow."""
    return max(x, 0.0) + math.log1p(math.exp(-s * abs(x))) / s


def ref_fv1(chi):
    return chi**3 / (chi**3 + CV1**3)


def ref_fv2(chi):
    return 1.0 - chi / (1.0 + chi * ref_fv1(chi))


def ref_ft2(chi, ct3=CT3):
    return ct3 * math.exp(-CT4 * chi**2)


def ref_fw(r):
    g = r + CW2 * (r**6 - r)
    return g * ((1.0 + CW3**6) / (g**6 + CW3**6)) ** (1.0 / 6.0)


def ref_s_tilde(omega, s_bar):
    if s_bar >= -C2 * omega:
        return omega + s_bar
    return omega + omega * (C2**2 * omega + C3 * s_bar) / ((C3 - 2.0 * C2) * omega - s_bar)


def ref_terms(nt, nu, w, d, clip, s=50.0, ft2=True):
    """(production, destruction, S~, r, mu_t / rho) of TMR SA / SA-neg in the given clip mode."""
    ct3 = CT3 if ft2 else 0.0
    smooth = clip == "softplus"
    omega = math.hypot(w, OMEGA_WIDTH) if smooth else abs(w)
    if clip == "neg" and nt < 0.0:
        return CB1 * (1.0 - ct3) * omega * nt, -CW1 * (nt / d) ** 2, None, None, 0.0
    chi = ref_softplus(nt / nu, s) if smooth else max(nt / nu, 0.0)
    ntp = nu * chi
    s_bar = ntp * ref_fv2(chi) / (KAPPA**2 * d**2)
    st = ref_s_tilde(omega, s_bar)
    s_floor = math.hypot(st, S_FLOOR) if smooth else max(st, S_FLOOR)
    r_raw = ntp / (s_floor * KAPPA**2 * d**2)
    r = 10.0 - ref_softplus(10.0 - r_raw, R_SHARPNESS) if smooth else min(r_raw, 10.0)
    t2 = ref_ft2(chi, ct3)
    production = CB1 * (1.0 - t2) * st * ntp
    destruction = (CW1 * ref_fw(r) - CB1 / KAPPA**2 * t2) * (ntp / d) ** 2
    return production, destruction, st, r, ntp * ref_fv1(chi)


# (nu_tilde, nu, signed vorticity, d): what each point exercises.
POINTS = {
    "chi50": (5e-4, 1e-5, -100.0, 1e-2),  # S_bar >= -c2 Omega, r = 0.30
    "chi5": (5e-5, 1e-5, 100.0, 1e-2),  # fv2 < 0 but S_bar >= -c2 Omega, r = 0.031
    "chi1": (1e-5, 1e-5, 10.0, 1e-2),  # chi = 1: ft2 = 0.73, r = 0.059
    "limited_r_gt_10": (5e-5, 1e-5, 100.0, 1e-3),  # S_bar = -351 < -70: Note 1(c) branch, r_raw = 26
    "r_gt_10": (5e-4, 1e-5, 1.0, 1e-2),  # standard branch, r_raw = 20
    "negative": (-5e-5, 1e-5, 100.0, 1e-3),  # chi = -5: SA-neg's negative branch
}


def test_constants():
    c = sa.SA_CONSTANTS
    assert (c.cb1, c.sigma, c.cb2, c.kappa) == (CB1, SIGMA, CB2, KAPPA)
    assert (c.cw2, c.cw3, c.cv1, c.ct3, c.ct4, c.c2, c.c3, c.cn1) == (CW2, CW3, CV1, CT3, CT4, C2, C3, CN1)
    # cw1 = 0.1355/0.1681 + 1.622/(2/3) = 0.806068 + 2.433 = 3.239068 (one rounding each side).
    np.testing.assert_allclose(c.cw1, 3.2390678167757287, rtol=1e-15)
    assert (sa.OMEGA_WIDTH, sa.S_FLOOR, sa.R_SHARPNESS, sa.R_MAX) == (OMEGA_WIDTH, S_FLOOR, R_SHARPNESS, 10.0)


@pytest.mark.parametrize("chi", [0.0, 0.3, 1.0, 3.0, 5.0, 50.0, 1e3])
def test_fv1_fv2_ft2_by_hand(chi):
    # A handful of roundings on each side: 1e-14 relative leaves a 50x margin; fv2 near its zero
    # (chi ~ 0.8 is not in the list) would need an absolute tolerance instead.
    f1 = sa.fv1(jnp.float64(chi))
    np.testing.assert_allclose(f1, ref_fv1(chi), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(sa.fv2(jnp.float64(chi), f1), ref_fv2(chi), rtol=1e-14)
    np.testing.assert_allclose(sa.ft2(jnp.float64(chi), sa.SAOptions()), ref_ft2(chi), rtol=1e-14, atol=1e-300)
    assert float(sa.ft2(jnp.float64(chi), sa.SAOptions(ft2=False))) == 0.0


def test_fv1_fw_closed_forms():
    # fv1(3) = 27/384.911 = 0.070146 (TMR: 3 nu_inf gives nu_t = 0.210438 nu_inf, i.e. 3 fv1(3));
    # fw(1) = 1 exactly (g = 1); fw(0) = 0; fv2(0) = 1; ft2(0) = ct3. One rounding each: 1e-15.
    np.testing.assert_allclose(sa.fv1(3.0), 27.0 / (27.0 + 357.911), rtol=1e-15)
    np.testing.assert_allclose(sa.fw(1.0), 1.0, rtol=1e-15)
    assert float(sa.fw(0.0)) == 0.0
    assert float(sa.fv2(0.0, sa.fv1(0.0))) == 1.0
    assert float(sa.ft2(0.0, sa.SAOptions())) == CT3


@pytest.mark.parametrize("r", [0.0, 0.1, 0.5, 1.0, 2.0, 9.9, 10.0])
def test_fw_by_hand(r):
    # r^6 and g^6 are the only large powers (g^6 = 7e32 at r = 10): a few roundings, 1e-14 margin.
    np.testing.assert_allclose(sa.fw(jnp.float64(r)), ref_fw(r), rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize(
    "omega, s_bar",
    [(100.0, 3.0), (100.0, -35.0), (100.0, -70.0), (100.0, -71.0), (100.0, -351.0), (100.0, -1e6), (0.0, 2.0),
     (0.0, -2.0), (0.0, 0.0)],
)
def test_s_tilde_by_hand(omega, s_bar):
    # The limited branch is Omega (1 + q) with q in (-0.9, -0.7]: cancellation costs at most a factor
    # 10 on a few roundings, so 1e-14 relative (with an absolute 1e-300 for the exact zeros) suffices.
    np.testing.assert_allclose(sa.s_tilde(omega, s_bar), ref_s_tilde(omega, s_bar), rtol=1e-14, atol=1e-300)


def test_s_tilde_limited_branch_range_and_c1_switch():
    omega = 100.0
    s_bar = -np.logspace(np.log10(70.0 + 1e-9), 12, 200)
    st = np.asarray(sa.s_tilde(omega, jnp.asarray(s_bar)))
    # 0.1 Omega < S~ < 0.3 Omega on the limited branch (the limits are reached only as s_bar -> -inf
    # and at the switch); rounding of Omega (1 + q) is below 1e-13 Omega.
    assert np.all(st > 0.1 * omega - 1e-13 * omega) and np.all(st < 0.3 * omega + 1e-13 * omega)
    # C1 at S_bar = -c2 Omega: value 0.3 Omega and slopes (1, 1) on both sides. At h = 1e-7 from the
    # switch the value moves by h and the slope by h |S~''| = h 10/Omega = 1e-8: atol 2e-7 and 1e-6
    # are loose, yet any jump in value or slope (O(Omega) or O(1)) fails them.
    sw = -C2 * omega
    for sb in (sw - 1e-7, sw, sw + 1e-7):
        np.testing.assert_allclose(sa.s_tilde(omega, sb), 0.3 * omega, atol=2e-7)
        dval = jax.grad(sa.s_tilde, argnums=(0, 1))(omega, sb)
        np.testing.assert_allclose(dval, (1.0, 1.0), atol=1e-6)


@pytest.mark.parametrize("clip", MODES)
@pytest.mark.parametrize("point", sorted(POINTS))
def test_source_and_eddy_viscosity_by_hand(clip, point):
    nt, nu, w, d = POINTS[point]
    opts = sa.SAOptions(clip=clip)
    prod, dest, st, r, nut = ref_terms(nt, nu, w, d, clip)
    # Q = P - D can cancel: the error is relative to |P| + |D|. Each side is ~40 roundings, times at most
    # 10 from the limited S~ branch: 1e-12 leaves a 20x margin over the worst case seen.
    scale = abs(prod) + abs(dest)
    np.testing.assert_allclose(sa.sa_source(nt, nu, w, d, opts), prod - dest, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(sa.eddy_viscosity(1.3, nt, nu, opts), 1.3 * nut, rtol=1e-13, atol=1e-300)
    if st is not None:
        omega = sa.vorticity_magnitude(w, opts)
        chi = sa.chi_plus(nt, nu, opts)
        s_bar = nu * chi * sa.fv2(chi, sa.fv1(chi)) / (KAPPA**2 * d**2)
        np.testing.assert_allclose(sa.s_tilde(omega, s_bar), st, rtol=1e-13)
        np.testing.assert_allclose(sa.r_ratio(nu * chi, st, d, opts), r, rtol=1e-13)


def test_points_cover_the_branches():
    """The POINTS do exercise what their names say (else the test above checks less than it claims)."""
    for name in ("limited_r_gt_10", "r_gt_10"):
        nt, nu, w, d = POINTS[name]
        chi = nt / nu
        s_bar = nt * ref_fv2(chi) / (KAPPA**2 * d**2)
        assert nt / (ref_s_tilde(abs(w), s_bar) * KAPPA**2 * d**2) > 10.0
        assert (s_bar < -C2 * abs(w)) == (name == "limited_r_gt_10")
    for name in ("chi50", "chi5", "chi1"):
        assert ref_terms(*POINTS[name], "hard")[3] < 1.0


def test_sa_neg_negative_branch_by_hand():
    nt, nu, w, d = POINTS["negative"]
    neg = sa.SAOptions(clip="neg")
    # Q = cb1 (1 - ct3) Omega nt + cw1 (nt/d)^2 = 0.1355 (-0.2) 100 (-5e-5) + 3.2390678 (0.05)^2.
    # A few roundings, no cancellation (both terms > 0): 1e-14.
    q = 0.1355 * (1.0 - 1.2) * 100.0 * (-5e-5) + CW1 * 0.0025
    np.testing.assert_allclose(sa.sa_source(nt, nu, w, d, neg), q, rtol=1e-14)
    q_noft2 = 0.1355 * 100.0 * (-5e-5) + CW1 * 0.0025
    np.testing.assert_allclose(sa.sa_source(nt, nu, w, d, sa.SAOptions(clip="neg", ft2=False)), q_noft2, rtol=1e-14)
    assert float(sa.eddy_viscosity(1.0, nt, nu, neg)) == 0.0
    # D = nu + nt fn(chi), fn(-5) = (16 - 125)/(16 + 125) = -109/141; for nt > 0, D = nu + nt.
    np.testing.assert_allclose(sa.diffusivity(nt, nu, neg), 1e-5 + 5e-5 * 109.0 / 141.0, rtol=1e-14)
    np.testing.assert_allclose(sa.diffusivity(-nt, nu, neg), 1e-5 + 5e-5, rtol=1e-15)


@pytest.mark.parametrize("ft2", [True, False])
def test_noft2_by_hand(ft2):
    nt, nu, w, d = POINTS["chi1"]  # chi = 1, where ft2 = 1.2 exp(-0.5) = 0.73 matters most
    prod, dest, _, _, _ = ref_terms(nt, nu, w, d, "hard", ft2=ft2)
    # Same rounding budget as test_source_and_eddy_viscosity_by_hand.
    np.testing.assert_allclose(sa.sa_source(nt, nu, w, d, sa.SAOptions(clip="hard", ft2=ft2)), prod - dest,
                               atol=1e-12 * (abs(prod) + abs(dest)))


@pytest.mark.parametrize("clip", ["softplus", "hard"])
def test_diffusivity_never_below_nu(clip):
    nu = 1e-5
    nt = jnp.linspace(-1e-3, 1e-3, 401)
    dd = np.asarray(sa.diffusivity(nt, nu, sa.SAOptions(clip=clip)))
    assert np.all(dd >= nu)
    # Above chi = 1 the softplus gap is e^-50/50: D = nu + nt to rounding (1e-15 relative).
    big = np.asarray(nt) > 1e-5
    np.testing.assert_allclose(dd[big], nu + np.asarray(nt)[big], rtol=1e-15)


# --- softplus vs hard ----------------------------------------------------------------------------


@pytest.mark.parametrize("s", [5.0, 50.0, 500.0])
def test_chi_plus_gap_bound(s):
    opts = sa.SAOptions(sharpness=s)
    chi = np.concatenate([np.linspace(-10.0 / s * 50, 0.3 * 50 / s, 1001), [0.0]])
    nu = 2.0
    gap = np.asarray(sa.chi_plus(jnp.asarray(chi * nu), nu, opts)) - np.maximum(chi, 0.0)
    # The exact gap log(1 + exp(-s|chi|))/s is above the float64 epsilon of chi on this range
    # (s|chi| <= 500 on the negative side, <= 15 on the positive side), so strictly positive;
    # <= log(2)/s up to one rounding of the log.
    assert np.all(gap > 0.0)
    assert np.all(gap <= LOG2 / s * (1.0 + 1e-15))
    np.testing.assert_allclose(sa.chi_plus(0.0, nu, opts), LOG2 / s, rtol=1e-15)
    np.testing.assert_array_equal(np.asarray(sa.chi_plus(jnp.asarray(chi * nu), nu, sa.SAOptions(clip="hard"))),
                                  np.maximum(chi, 0.0))


def test_omega_and_r_gap_bounds():
    soft, hard = sa.SAOptions(), sa.SAOptions(clip="hard")
    w = np.concatenate([np.linspace(-1e-4, 1e-4, 401), [0.0, 1e2, -1e6]])
    gap = np.asarray(sa.vorticity_magnitude(jnp.asarray(w), soft)) - np.abs(w)
    # 0 < hypot(w, W) - |w| <= W, and <= W^2/(2|w|) (equal to rounding at w = 0). At |w| >= 1e2 the
    # gap (5e-15 at most) is below the rounding of |w| itself, so there it may read 0.
    small = np.abs(w) < 1e-3
    assert np.all(gap[small] > 0.0) and np.all(gap <= OMEGA_WIDTH * (1.0 + 1e-15))
    assert np.all(gap[~small] <= np.maximum(OMEGA_WIDTH**2 / (2.0 * np.abs(w[~small])), 1e-16 * np.abs(w[~small])))
    assert np.array_equal(np.asarray(sa.vorticity_magnitude(jnp.asarray(w), hard)), np.abs(w))

    # r: -log(2)/s_r <= r_soft - min(r_raw, 10) < 0, the bound reached at r_raw = 10. r_raw = nt/(S kappa^2 d^2)
    # with S = 1, d = 1/kappa: r_raw = nt. Rounding of the division is 1e-15 relative.
    r_raw = np.linspace(0.0, 20.0, 2001)
    r_soft = np.asarray(sa.r_ratio(jnp.asarray(r_raw), 1.0, 1.0 / KAPPA, soft))
    r_hard = np.asarray(sa.r_ratio(jnp.asarray(r_raw), 1.0, 1.0 / KAPPA, hard))
    np.testing.assert_allclose(r_hard, np.minimum(r_raw, 10.0), rtol=1e-15)
    gap = r_soft - np.minimum(r_raw, 10.0)
    assert np.all(gap >= -LOG2 / R_SHARPNESS - 1e-14) and np.all(gap <= 1e-14)
    np.testing.assert_allclose(gap[1000], -LOG2 / R_SHARPNESS, rtol=1e-12)  # r_raw = 10
    # Below r_raw = 8 the gap is under log(1 + e^-20)/10 = 2.1e-10 (docstring: "under 3e-10").
    assert np.all(np.abs(gap[r_raw <= 8.0]) < 3e-10)


@pytest.mark.parametrize("point", ["chi50", "chi5", "chi1"])
def test_softplus_matches_hard_far_from_the_kinks(point):
    nt, nu, w, d = POINTS[point]
    soft, hard = sa.SAOptions(), sa.SAOptions(clip="hard")
    # chi >= 1 = 50/s: the chi+ gap is log1p(e^-50)/50 = 4e-24 relative; |w| >= 10: the Omega gap is
    # <= 1e-12/20 absolute (5e-14 relative); r < 1: the r gap is e^-90/10. So softplus = hard to
    # 1e-12 of |P| + |D| (the rounding budget of the by-hand test).
    prod, dest, _, _, _ = ref_terms(nt, nu, w, d, "hard")
    np.testing.assert_allclose(sa.sa_source(nt, nu, w, d, soft), sa.sa_source(nt, nu, w, d, hard),
                               rtol=0, atol=1e-12 * (abs(prod) + abs(dest)))
    np.testing.assert_allclose(sa.eddy_viscosity(1.0, nt, nu, soft), sa.eddy_viscosity(1.0, nt, nu, hard), rtol=1e-14)


def test_softplus_near_r_cap_bounded_by_fw_monotonicity():
    nt, nu, w, d = POINTS["r_gt_10"]
    soft, hard = sa.SAOptions(), sa.SAOptions(clip="hard")
    # Hard r = 10, soft r in [10 - log(2)/10, 10); fw is increasing, so the destructions differ by at most
    # cw1 (nt/d)^2 (fw(10) - fw(10 - log2/10)) (~1e-32 relative: fw is flat there), plus the Omega gap
    # (|w| = 1: 5e-13 relative in production) and rounding (1e-12 of |P| + |D|).
    prod, dest, _, _, _ = ref_terms(nt, nu, w, d, "hard")
    bound = CW1 * (nt / d) ** 2 * (ref_fw(10.0) - ref_fw(10.0 - LOG2 / R_SHARPNESS)) + abs(prod) * 1e-12
    diff = float(sa.sa_source(nt, nu, w, d, soft) - sa.sa_source(nt, nu, w, d, hard))
    assert abs(diff) <= bound + 1e-12 * (abs(prod) + abs(dest))


# --- gradients -----------------------------------------------------------------------------------

KINK_POINTS = [  # (nu_tilde, nu, w, d): zero, zero vorticity, negative, and the far-field S~ = 0 case
    (0.0, 1e-5, 0.0, 1e-3),
    (0.0, 1e-5, 50.0, 1e-3),
    (-3e-5, 1e-5, 0.0, 1e-3),
    (-3e-5, 1e-5, 50.0, 1e-3),
    (3e-5, 1e-5, 0.0, 5.0),
    (-1e-30, 1e-5, 1e-300, 1e-7),
    (-7.1, 1.0, 1.0, 1.0),  # chi = -cv1 exactly: fv1's pole (chi^3 + cv1^3 == 0.0 in float64)
]


@pytest.mark.parametrize("clip", MODES)
@pytest.mark.parametrize("point", KINK_POINTS)
def test_gradients_finite_at_kinks(clip, point):
    opts = sa.SAOptions(clip=clip)
    args = tuple(jnp.float64(a) for a in point)
    q = sa.sa_source(*args, opts)
    g = jax.grad(sa.sa_source, argnums=(0, 1, 2, 3))(*args, opts)
    _, t = jax.jvp(lambda *a: sa.sa_source(*a, opts), args, tuple(jnp.float64(v) for v in (1e-5, 1e-6, 1.0, 1e-3)))
    ge = jax.grad(sa.eddy_viscosity, argnums=(0, 1, 2))(jnp.float64(1.0), args[0], args[1], opts)
    gd = jax.grad(sa.diffusivity, argnums=(0, 1))(args[0], args[1], opts)
    vals = [q, t, *g, *ge, *gd]
    assert all(np.isfinite(np.asarray(v)) for v in vals), vals


@pytest.mark.parametrize("ft2", [True, False])
def test_sa_neg_source_is_c1_at_zero(ft2):
    """Both branches have slope cb1 (1 - ct3) Omega at nu_tilde = 0 (ct3 = 0 for SA-noft2)."""
    opts = sa.SAOptions(clip="neg", ft2=ft2)
    nu, w, d = 1e-5, 50.0, 1e-3
    slope = CB1 * (1.0 - (CT3 if ft2 else 0.0)) * w
    dq = jax.grad(sa.sa_source)
    # One-sided slopes at +-1e-12 differ from the limit by O(1e-12 / d^2 * cw1) = 3e-6 relative to the slope;
    # a jump would be O(1) (cb1 ct3 Omega).
    for nt in (-1e-12, 0.0, 1e-12):
        np.testing.assert_allclose(dq(nt, nu, w, d, opts), slope, rtol=1e-4)


@pytest.mark.parametrize("ft2", [True, False])
def test_hard_clip_kinks_the_nu_tilde_equation_but_not_the_eddy_viscosity(ft2):
    """At nu_tilde = 0 the hard clip leaves Q and D continuous with a jump in slope (Q: 0 on the left,
    cb1 (1 - ct3) Omega on the right; D: 0 and 1), softplus and SA-neg do not; mu_t is C3 in every mode,
    since ``mu_t = rho nu chi fv1(chi) ~ rho nt^4 / (nu^3 cv1^3)``: the mean flow, hence CD and CL, does
    not see the kink (docs/smoothing.md)."""
    nu, w, d, rho, eps = 1e-5, 50.0, 1e-3, 1.0, 1e-12
    slope = CB1 * (1.0 - (CT3 if ft2 else 0.0)) * w
    hard, soft = sa.SAOptions(clip="hard", ft2=ft2), sa.SAOptions(clip="softplus", ft2=ft2)
    dq = lambda nt, o: float(jax.grad(sa.sa_source)(nt, nu, w, d, o))  # noqa: E731
    dd = lambda nt, o: float(jax.grad(sa.diffusivity)(nt, nu, o))  # noqa: E731
    # one-sided slopes at +-1e-12 are the limits to O(eps / d^2 cw1 / slope) = 3e-6 (test_sa_neg_source_is_c1_at_zero)
    assert dq(-eps, hard) == 0.0 and dq(eps, hard) == pytest.approx(slope, rel=1e-4)
    assert dd(-eps, hard) == 0.0 and dd(eps, hard) == pytest.approx(1.0, rel=1e-9)
    # softplus: one slope through 0 (across 2 eps its curvature s / (4 nu^2) moves dchi+/dnt by 5e-6 relative)
    for f in (dq, dd):
        assert f(-eps, soft) == pytest.approx(f(eps, soft), rel=1e-4, abs=1e-12)
    mu_t = lambda nt, o: sa.eddy_viscosity(rho, nt, nu, o)  # noqa: E731
    d3 = jax.grad(jax.grad(jax.grad(mu_t)))
    for o in (hard, sa.SAOptions(clip="neg", ft2=ft2)):
        # third derivative 24 rho nt / (nu^3 cv1^3) on the right (to O(chi^3) relative), 0 on the left
        assert float(d3(-eps, o)) == 0.0
        assert float(d3(eps, o)) == pytest.approx(24.0 * rho * eps / (nu**3 * CV1**3), rel=1e-6)


@pytest.mark.parametrize(
    "point",
    [
        (5.0, 1.0, 10.0, 1.0),  # Note 1(c) branch (S_bar = -35 < -7), r_raw = 26 (smooth cap saturated)
        (50.0, 1.0, -300.0, 1.0),  # standard branch, r = 0.98
        (1.0, 1.0, 3.0, 0.5),  # chi = 1: ft2 active, r = 7.8
        (-0.05, 1.0, 2.0, 1.0),  # negative nu_tilde: softplus chi+ = 0.0014
        (0.0, 1.0, 2.0, 1.0),  # nu_tilde = 0
        (50.0, 1.0, 24.0, 1.0),  # r_raw = 10.25: inside the smooth cap's transition
    ],
)
def test_check_grads_softplus(point):
    # O(1) units (the functions are unit-consistent) so that check_grads' step 1e-4 is a relative step;
    # S_bar stays at least 25% of c2 Omega away from the C1 S~ switch (the only non-C2 place in softplus
    # mode), far beyond the step. Default tolerance (1e-5) vs central-difference error ~ eps^2 = 1e-8.
    opts = sa.SAOptions()
    check_grads(partial(sa.sa_source, opts=opts), point, order=1, modes=["fwd", "rev"])
    check_grads(partial(sa.eddy_viscosity, opts=opts), (1.2, point[0], point[1]), order=1, modes=["fwd", "rev"])
    check_grads(partial(sa.diffusivity, opts=opts), (point[0], point[1]), order=1, modes=["fwd", "rev"])


def test_elementwise_and_jit():
    keys = sorted(POINTS)
    cols = [jnp.asarray([POINTS[k][i] for k in keys]).reshape(2, 3) for i in range(4)]
    for clip in MODES:
        opts = sa.SAOptions(clip=clip)
        q = jax.jit(partial(sa.sa_source, opts=opts))(*cols)
        assert q.shape == (2, 3)
        for idx, k in enumerate(keys):
            # Same operations, batched vs scalar: equal to rounding (XLA may fuse differently).
            np.testing.assert_allclose(q.reshape(-1)[idx], sa.sa_source(*POINTS[k], opts), rtol=1e-13, atol=1e-300)


# --- published value ------------------------------------------------------------------------------


@pytest.mark.parametrize("clip", MODES)
def test_freestream_eddy_viscosity(clip):
    # TMR: nu_tilde = 3 nu_inf gives nu_t = 0.210438 nu_inf. The published value has 6 digits, so it is
    # met to half a unit in its last place, 5e-7 (2.4e-6 relative; the exact 81/384.911 = 0.21043826 is
    # 2.6e-7 away, so 1e-6 relative would reject the exact formula). The exact value to rounding: 1e-15.
    opts = sa.SAOptions(clip=clip)
    mu, rho = 2.5e-8, 1.0
    ratio = float(sa.eddy_viscosity(rho, 3.0 * mu / rho, mu / rho, opts)) / mu
    tol = 0.0
    if clip == "softplus":
        # chi+ - 3 = log1p(e^-150)/50 = 1e-67; d(chi fv1)/dchi <= 1 near 3 moves the ratio by no more.
        tol = math.log1p(math.exp(-3.0 * 50.0)) / 50.0
    assert abs(ratio - 0.210438) <= 5e-7 + tol
    assert abs(ratio - 81.0 / 384.911) <= 1e-15 + tol


def test_hard_r_is_10_where_s_tilde_vanishes():
    """TMR Note 1(c): "whenever S~ = 0, set r = 10" (irrotational free stream, chi = 3: S_bar < 0 = -c2 Omega)."""
    nt, nu, d = 3e-8, 1e-8, 500.0
    chi = nt / nu
    s_bar = nt * ref_fv2(chi) / (KAPPA**2 * d**2)
    assert s_bar < 0.0 and ref_s_tilde(0.0, s_bar) == 0.0
    for clip in ("hard", "neg"):
        opts = sa.SAOptions(clip=clip)
        st = sa.s_tilde(0.0, s_bar)
        assert float(st) == 0.0
        assert float(sa.r_ratio(nt, st, d, opts)) == 10.0
        # Q = -(cw1 fw(10) - cb1 ft2 / kappa^2) (nt/d)^2, production 0.
        q = -(CW1 * ref_fw(10.0) - CB1 / KAPPA**2 * ref_ft2(chi)) * (nt / d) ** 2
        np.testing.assert_allclose(sa.sa_source(nt, nu, 0.0, d, opts), q, rtol=1e-13)


# --- options -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, shown",
    [
        ({"clip": "soft"}, "'soft'"),
        ({"clip": "Hard"}, "'Hard'"),
        ({"sharpness": 0.0}, "0.0"),
        ({"sharpness": -5.0}, "-5.0"),
        ({"sharpness": float("nan")}, "nan"),
        ({"sharpness": float("inf")}, "inf"),
        ({"sharpness": "50"}, "'50'"),
        ({"ft2": "yes"}, "'yes'"),
    ],
)
def test_options_validation(kwargs, shown):
    with pytest.raises(ValueError, match=shown.replace("(", r"\(")) as err:
        sa.SAOptions(**kwargs)
    assert "SAOptions." in str(err.value)


def test_options_defaults_and_hashable():
    opts = sa.SAOptions()
    assert (opts.clip, opts.sharpness, opts.ft2) == ("softplus", 50.0, True)
    assert hash(opts) == hash(sa.SAOptions()) and opts.ct3 == CT3 and sa.SAOptions(ft2=False).ct3 == 0.0


def test_clip_activity_by_hand():
    """Shares of cells at or below 0 and within the softplus transition |chi| < 4.97/s (0.0994 at s = 50)."""
    opts = sa.SAOptions(clip="hard", sharpness=50.0)
    chi = np.array([-1.0, 0.0, 0.05, 0.0990, 0.0998, 3.0, 100.0, 250.0])
    out = sa.clip_activity(chi, opts)
    assert out == dict(chi_min=-1.0, share_nonpositive=2 / 8, share_transition=3 / 8)
    # the edge of the band: the softplus gap there is 1 % of its bound log(2)/s
    width = -math.log(2.0**sa.TRANSITION_SHARE - 1.0) / 50.0
    assert width == pytest.approx(0.0994, abs=1e-4)
    gap = ref_softplus(width, 50.0) - width
    assert gap == pytest.approx(sa.TRANSITION_SHARE * math.log(2.0) / 50.0, rel=1e-9)
