"""ussl_mm.study.stats on constructed inputs with known answers."""
import math

import numpy as np
import pytest
from scipy.stats import t, ttest_rel, wilcoxon

from ussl_mm.study.stats import (align_paired, bootstrap_ci, clinical_errors,
                                 compare_paired, compare_seeds,
                                 fit_power_law,
                                 median_abs_percent_error,
                                 paired_abs_error_test,
                                 smallest_matching_fraction)


# ------------------------------------------------------------ power law
@pytest.mark.parametrize('a,k,c', [(-12.0, -0.5, 80.0), (3.0, 0.7, 10.0)])
def test_power_law_recovers_known_parameters(a, k, c):
    x = np.array([0.25, 0.5, 1.0, 2.0, 4.0, 8.0])
    fit = fit_power_law(x, a * x**k + c)
    assert fit.ok and fit.reason is None and fit.n == 6
    assert fit.a == pytest.approx(a, rel=1e-5)
    assert fit.k == pytest.approx(k, rel=1e-5)
    assert fit.c == pytest.approx(c, rel=1e-5)
    assert fit.rse == pytest.approx(0.0, abs=1e-5)
    np.testing.assert_allclose(fit.predict(x), a * x**k + c, rtol=1e-6)


def test_power_law_with_noise_and_percent_scale():
    rng = np.random.default_rng(1)
    x = np.array([10., 25., 50., 100., 200., 400., 800., 1600.])
    y = -40.0 * x**-0.4 + 85.0
    noise = rng.normal(0, 0.05, x.size)
    fit = fit_power_law(x, y + noise)
    assert fit.ok
    assert fit.k == pytest.approx(-0.4, abs=0.05)
    assert fit.c == pytest.approx(85.0, abs=1.0)
    # the residual standard error is the noise level, up to sampling
    resid = y + noise - fit.predict(x)
    assert fit.rse == pytest.approx(
        math.sqrt(np.sum(resid**2) / (x.size - 3)), rel=1e-9)
    assert 0.01 < fit.rse < 0.15
    assert np.isfinite([fit.a_sd, fit.k_sd, fit.c_sd]).all()


def test_power_law_ill_posed_reasons():
    x = [1.0, 2.0, 4.0, 8.0]
    y = [70.0, 75.0, 77.0, 78.0]
    few = fit_power_law(x[:3], y[:3])
    assert not few.ok and few.reason.startswith('fewer than 4 points (n=3)')
    assert math.isnan(few.a) and math.isnan(few.rse)

    no_conv = fit_power_law(x, y, maxfev=2)
    assert not no_conv.ok and no_conv.reason.startswith('no convergence')

    singular = fit_power_law([2.0] * 5, [70.0, 71.0, 69.0, 70.5, 70.2])
    assert not singular.ok
    assert singular.reason.startswith('singular covariance')

    nonpos = fit_power_law([0.0, 1.0, 2.0, 4.0], y)
    assert not nonpos.ok and 'x must be > 0' in nonpos.reason

    with pytest.raises(ValueError, match='pair up'):
        fit_power_law([1, 2, 3, 4], [1, 2, 3])


# ---------------------------------------------------- paired comparison
def test_one_seed_is_labelled_and_gets_no_stars():
    rng = np.random.default_rng(0)
    b = rng.uniform(60, 80, 30)
    d = 5.0 + rng.normal(0, 1, 30)
    res = compare_paired(b + d, b)
    assert res.n_seeds == 1 and res.n_images == 30
    assert res.label == 'over test images, one seed'
    assert res.p == pytest.approx(wilcoxon(d).pvalue)
    assert res.p < 1e-6 and res.stars == ''
    assert res.verdict == 'better (one seed)'
    assert res.mean_diff == pytest.approx(d.mean())
    assert math.isnan(res.ci_low) and math.isnan(res.ci_high)
    worse = compare_paired(b - d, b)
    assert worse.verdict == 'worse (one seed)'
    lower_better = compare_paired(b - d, b, higher_is_better=False)
    assert lower_better.verdict == 'better (one seed)'


def test_practical_threshold_overrides_p():
    b = np.linspace(50, 90, 40)
    d = 0.4 + np.linspace(0, 0.01, 40)  # consistent but tiny
    res = compare_paired(b + d, b)
    assert res.p < 1e-6  # every image is better ...
    assert res.verdict == 'no practical difference'  # ... by < 1 point
    res3 = compare_paired(np.stack([b + d] * 3), np.stack([b] * 3))
    assert res3.verdict == 'no practical difference' and res3.stars == ''
    strict = compare_paired(b + d, b, threshold=0.1)
    assert strict.verdict == 'better (one seed)'


def test_inconclusive_and_two_seeds():
    d = np.array([6.0, -2.0, 7.0, -3.0, 5.0, -2.5, 4.0, -3.0])  # mean 1.44
    res = compare_paired(60 + d, np.full(8, 60.0))
    assert res.verdict == 'inconclusive (one seed)'
    two = compare_paired(np.stack([60 + d + 2, 60 + d + 2]),
                         np.full((2, 8), 60.0))
    assert two.label.startswith('over test images, mean of 2 seeds')
    assert two.stars == '' and math.isnan(two.ci_low)
    assert two.p == pytest.approx(wilcoxon(d + 2).pvalue)


def test_three_seeds_seed_level_test_and_bootstrap():
    rng = np.random.default_rng(2)
    b = rng.uniform(60, 80, (3, 25))
    a = b + np.array([[3.0], [4.0], [3.5]]) + rng.normal(0, 0.5, (3, 25))
    res = compare_paired(a, b)
    assert res.test == 'paired t-test over 3 seed means'
    assert res.p == pytest.approx(
        ttest_rel(a.mean(axis=1), b.mean(axis=1)).pvalue)
    assert res.p < 0.05 and res.verdict == 'better' and res.stars
    assert res.ci_low < res.mean_diff < res.ci_high
    assert 2.5 < res.ci_low and res.ci_high < 4.5
    again = compare_paired(a, b)
    assert (again.ci_low, again.ci_high) == (res.ci_low, res.ci_high)
    other = compare_paired(a, b, seed=1)
    assert (other.ci_low, other.ci_high) != (res.ci_low, res.ci_high)
    assert set(res.to_dict()) >= {'p', 'label', 'verdict', 'stars'}


def test_compare_seeds_known_cases():
    res = compare_seeds([81.1, 82.2, 83.0], [80.0, 81.0, 82.0])
    diff = np.array([1.1, 1.2, 1.0])
    assert res.n_seeds == 3
    assert res.mean_diff == pytest.approx(1.1)
    assert res.sd_diff == pytest.approx(diff.std(ddof=1))
    assert res.p == pytest.approx(
        ttest_rel([81.1, 82.2, 83.0], [80.0, 81.0, 82.0]).pvalue)
    half = t.ppf(0.975, 2) * diff.std(ddof=1) / math.sqrt(3)
    assert (res.ci_low, res.ci_high) == pytest.approx((1.1 - half,
                                                       1.1 + half))
    assert res.verdict == 'better' and res.stars == '**'
    # lower is better: the same numbers are worse
    assert compare_seeds([81.1, 82.2, 83.0], [80.0, 81.0, 82.0],
                         higher_is_better=False).verdict == 'worse'
    # scattered seeds: not significant; tiny: no practical difference
    assert compare_seeds([78.0, 82.1, 86.2], [80.0, 81.0, 82.0]
                         ).verdict == 'not significant'
    small = compare_seeds([80.5, 81.5, 82.5], [80.0, 81.0, 82.0])
    assert small.p == 0.0 and small.verdict == 'no practical difference'
    assert small.stars == '' and small.ci_low == small.ci_high == 0.5


def test_compare_seeds_bad_input():
    with pytest.raises(ValueError, match='needs at least 3'):
        compare_seeds([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match='same seeds in the same order'):
        compare_seeds([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match='NaN'):
        compare_seeds([1.0, np.nan, 3.0], [1.0, 2.0, 3.0])


def test_bootstrap_ci_known_cases():
    # constant differences: every replicate has the same mean
    assert bootstrap_ci(np.full((3, 10), 2.0), n_boot=200) == (2.0, 2.0)
    # differences that vary only between seeds: the CI spans the seeds'
    # range and no more
    diff = np.repeat(np.array([[1.0], [2.0], [3.0]]), 10, axis=1)
    lo, hi = bootstrap_ci(diff, n_boot=2000)
    assert 1.0 <= lo < 2.0 < hi <= 3.0


def test_compare_paired_bad_input():
    with pytest.raises(ValueError, match='paired cell by cell'):
        compare_paired(np.zeros((2, 5)), np.zeros((3, 5)))
    with pytest.raises(ValueError, match='NaN'):
        compare_paired([1.0, np.nan], [1.0, 2.0])


def test_align_paired():
    a = [{'x': 1.0, 'y': 2.0, 'z': 3.0}, {'x': 1.5, 'y': 2.5}]
    b = [{'x': 0.0, 'y': 1.0}, {'x': 0.5, 'y': 1.5, 'w': 9.0}]
    A, B, keys = align_paired(a, b)
    assert keys == ['x', 'y']
    np.testing.assert_array_equal(A, [[1.0, 2.0], [1.5, 2.5]])
    np.testing.assert_array_equal(B, [[0.0, 1.0], [0.5, 1.5]])
    with pytest.raises(ValueError, match='same seeds'):
        align_paired(a, b[:1])


# -------------------------------------------- smallest matching fraction
def test_smallest_matching_fraction():
    curve = {100: [85.0], 1: [50.0, 52.0], 5: [70.0, 72.0],
             10: [79.5, 80.1], 25: [78.0, 78.4]}
    res = smallest_matching_fraction(curve, [80.0, 81.0], threshold=1.0)
    # reference mean 80.5; 10 % has mean 79.8 >= 79.5; 25 % dips below
    assert res.fraction == 10.0 and res.mean == pytest.approx(79.8)
    assert res.reference_mean == pytest.approx(80.5)
    assert res.sustained is False
    strict = smallest_matching_fraction(curve, [80.0, 81.0], threshold=0.0)
    assert strict.fraction == 100.0 and strict.sustained
    none = smallest_matching_fraction({1: 50.0, 5: 60.0}, 80.0)
    assert none.fraction is None and none.sustained is False
    with pytest.raises(ValueError, match='NaN'):
        smallest_matching_fraction({1: [math.nan]}, 80.0)


# ------------------------------------------------------ clinical errors
def test_median_abs_percent_error_excludes_and_counts():
    out = median_abs_percent_error([10.0, -20.0, None, 30.0, math.nan])
    assert out == dict(median=20.0, n=3, n_excluded=2)
    assert math.isnan(median_abs_percent_error([None])['median'])


def test_paired_abs_error_test():
    a = {f'i{k}': (-1) ** k * 2.0 * (k + 1) for k in range(10)}
    b = {f'i{k}': 3.0 * (k + 1) for k in range(10)}
    a['undef'], b['undef'] = None, 5.0
    out = paired_abs_error_test(a, b)
    diff = [2.0 * (k + 1) - 3.0 * (k + 1) for k in range(10)]
    assert out['n'] == 10 and out['n_excluded'] == 1
    assert out['p'] == pytest.approx(wilcoxon(diff).pvalue)
    assert out['median_abs_a'] == pytest.approx(11.0)
    assert out['median_abs_b'] == pytest.approx(16.5)
    assert out['median_diff'] == pytest.approx(-5.5)
    assert out['label'] == 'over test images, one seed'
    # two seeds: absolute errors averaged per case over seeds
    two = paired_abs_error_test([a, {k: 0.0 for k in a}], [b, b])
    assert two['label'] == 'over test images, mean of 2 seeds'
    assert two['median_abs_a'] == pytest.approx(5.5)


def test_clinical_errors_from_records():
    recs = [{'img_path': 'a.png', 'size_pct_err.effusion': 20.0,
             'intensity_pct_err.effusion': None},
            {'img_path': 'b.png', 'size_pct_err.effusion': None,
             'intensity_pct_err.effusion': -5.0}]
    assert clinical_errors(recs, 'effusion') == {'a.png': 20.0,
                                                 'b.png': None}
    assert clinical_errors(recs, 'effusion', 'intensity')['b.png'] == -5.0
    with pytest.raises(KeyError, match='size_pct_err.lesion'):
        clinical_errors(recs, 'lesion')
