"""The surrogate gradient's bias against the exact gradient of the expected loss (issue 8, SNN side).

The pinned numbers come from ``python scripts/study_snn_surrogate.py`` (the tables of docs/smoothing-snn.md,
100 000 samples per point). Both they and this test's estimates are Monte Carlo means, so a check allows 4
standard errors of their difference: this test's own (other keys) and the script's, combined in quadrature. With
Gaussian errors a correct code fails one such check with probability 6e-5. Angles use the conservative standard
error of GradientStats (all the noise counted as perpendicular to the mean), which only widens the band.
"""

import math

import jax
import numpy as np
import optax
import pytest

from cfdopt.snn.gradient_study import (
    compare_estimators, count_task, gradient_stats, mixed_sign_case, reference_case, surrogate_bias, task_gradient,
    train_curves,
)
from cfdopt.snn.reinforce import exact_grad

N = 100_000
REF, MIXED = reference_case(), mixed_sign_case()


def _check_pinned(value, se, pinned, pinned_se):
    assert abs(value - pinned) < 4.0 * math.hypot(se, pinned_se), (value, se, pinned, pinned_se)


def test_gradient_stats_on_hand_computed_samples():
    s = gradient_stats(np.array([[1.0, 0.0], [3.0, 0.0]]), np.array([1.0, 0.0]))
    assert (s.rel_bias, s.norm_ratio, s.scale, s.cosine, s.angle_deg) == (1.0, 2.0, 2.0, 1.0, 0.0)
    assert s.var_per_sample == 2.0 and s.scale_se == 1.0 and s.rel_se == 1.0 and s.noise_to_signal == pytest.approx(
        math.sqrt(2.0) / 2.0)
    s = gradient_stats(np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([0.0, 2.0]))
    assert s.cosine == 0.0 and s.angle_deg == 90.0 and s.scale == 0.0


def test_fast_sigmoid_mean_is_the_exact_gradient_times_its_area():
    # E[g_k(x + eta)] -> (2/k) f_T(x) for k T >> 1: the mean is ~2/k times the exact gradient. The measured
    # factor left over, scale * k/2, is 1.167 (k = 25) and 1.220 (k = 100): the part of the bias that is not area
    for k, pinned, pinned_se in ((25.0, 1.167, 0.010), (100.0, 1.220, 0.019)):
        s = surrogate_bias(jax.random.PRNGKey(21), REF, N, slope=k)
        _check_pinned(s.scale * k / 2, s.scale_se * k / 2, pinned, pinned_se)
        # far from the exact gradient in magnitude: more than 90% of it missing, with 4 s.e. to spare
        assert s.scale + 4.0 * s.scale_se < 0.1
        assert s.rel_bias - 4.0 * s.rel_se > 0.9


def test_fast_sigmoid_direction_is_biased_and_an_area_one_surrogate_with_the_reset_is_less_so():
    # on the mixed-sign case (on the reference case all four components are positive, so angles say little)
    fast = surrogate_bias(jax.random.PRNGKey(22), MIXED, N)
    _check_pinned(fast.angle_deg, fast.angle_se_deg, 14.3, 1.2)
    assert fast.angle_deg > 4.0 * fast.angle_se_deg  # the direction error is resolved, not noise
    area1 = surrogate_bias(jax.random.PRNGKey(23), MIXED, N, surrogate="sigmoid", slope=10.0, detach_reset=False)
    _check_pinned(area1.angle_deg, area1.angle_se_deg, 4.0, 0.7)
    assert fast.angle_deg - area1.angle_deg > 4.0 * math.hypot(fast.angle_se_deg, area1.angle_se_deg)


def test_fast_sigmoid_bias_grows_as_the_escape_noise_gets_colder():
    # mixed-sign case, k = 25: scale * k/2 (1 = only the area's bias) falls as T falls (k T from 20 to 2.5)
    pinned = {0.8: (0.998, 0.018), 0.4: (0.894, 0.011), 0.2: (0.527, 0.004), 0.1: (0.274, 0.004)}
    stats = {t: surrogate_bias(jax.random.PRNGKey(24), MIXED, N, temperature=t) for t in pinned}
    for t, (value, se) in pinned.items():
        _check_pinned(stats[t].scale * 12.5, stats[t].scale_se * 12.5, value, se)
    temps = sorted(pinned)
    for cold, warm in zip(temps, temps[1:]):
        a, b = stats[cold], stats[warm]
        assert b.scale - a.scale > 4.0 * math.hypot(a.scale_se, b.scale_se), (cold, warm)


def test_detaching_the_reset_biases_an_area_one_surrogate():
    # reference case, sigmoid (area 1), k = 10, T = 0.4: the detached reset drops the negative path
    # spike -> reset -> fewer later spikes, so the mean overshoots (scale 1.205); keeping it gives 0.976
    det = surrogate_bias(jax.random.PRNGKey(25), REF, N, surrogate="sigmoid", slope=10.0)
    kept = surrogate_bias(jax.random.PRNGKey(25), REF, N, surrogate="sigmoid", slope=10.0, detach_reset=False)
    _check_pinned(det.scale, det.scale_se, 1.205, 0.006)
    _check_pinned(kept.scale, kept.scale_se, 0.976, 0.005)
    assert det.scale - kept.scale > 4.0 * math.hypot(det.scale_se, kept.scale_se)


def test_reinforce_estimators_are_unbiased_and_less_noisy_than_the_surrogate_against_their_mean():
    exact, stats = compare_estimators(jax.random.PRNGKey(26), MIXED, 40_000)
    for name in ("reinforce", "reinforce_baseline"):
        # |m - e| has RMS rel_se under unbiasedness; 4 of them bound a 1-D Gaussian error at 6e-5
        assert stats[name].rel_bias < 4.0 * stats[name].rel_se, name
    rf, sg = stats["reinforce_baseline"], stats["surrogate"]
    # noise/signal = sqrt(var)/|m|: REINFORCE with baseline E[L] (4.4 in the script) against the surrogate (6.7).
    # Bound each side by 4 s.e. of the variance and of |m| (|m| moves by at most rel_se |e|)
    e_norm = float(np.linalg.norm(exact))
    rf_high = math.sqrt(rf.var_per_sample + 4 * rf.var_se) / ((rf.norm_ratio - 4 * rf.rel_se) * e_norm)
    sg_low = math.sqrt(sg.var_per_sample - 4 * sg.var_se) / ((sg.norm_ratio + 4 * sg.rel_se) * e_norm)
    assert rf_high < sg_low, (rf_high, sg_low)


def test_leave_one_out_reinforce_of_the_training_task_is_unbiased():
    task = count_task(0.2)
    exact = task_gradient("exact", None, task, task.w0, 8)
    keys = jax.random.split(jax.random.PRNGKey(27), 1000)
    est = jax.vmap(lambda k: task_gradient("reinforce", k, task, task.w0, 8))(keys)
    s = gradient_stats(est, exact)
    assert s.rel_bias < 4.0 * s.rel_se and s.rel_se < 0.1  # unbiased, and the check has resolution


def test_training_curve_with_the_exact_gradient_is_the_scripts():
    # deterministic (no sampling): E[L] of the count task at T = 0.4 after 100 Adam steps, printed as 0.713
    losses, w = train_curves("exact", jax.random.PRNGKey(3), count_task(0.4), optax.adam(0.05), 100, 8)
    assert losses.shape == (1, 101) and w.shape == (1, 4, 2)
    assert losses[0, 0] == pytest.approx(3.370, abs=5e-4) and losses[0, 100] == pytest.approx(0.713, abs=5e-4)
    assert np.all(np.diff(losses[0, :20]) < 0)  # Adam's first steps on the exact gradient all descend


def test_surrogate_bias_uses_the_exact_gradient_of_the_changed_temperature():
    s = surrogate_bias(jax.random.PRNGKey(28), REF, 1000, temperature=0.8)
    e = np.asarray(exact_grad(REF.params, REF.x, REF.w, REF.loss_fn, 0.8))
    assert s.rel_bias == pytest.approx(np.linalg.norm(s.mean - e) / np.linalg.norm(e), rel=1e-12)
