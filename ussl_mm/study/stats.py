"""Statistics of a label-efficiency study: power-law fits, paired
comparisons that say what they mean, the smallest matching label fraction,
and the aggregation of clinical errors.

Pure functions over numbers (numpy/scipy); no file or log I/O. The report
(:mod:`ussl_mm.study.report`) reads the runs' files and calls these.
"""
import math
import warnings
from dataclasses import asdict, dataclass
from typing import (Dict, Iterable, List, Mapping, Optional, Sequence, Tuple,
                    Union)

import numpy as np

Number = Union[int, float]
ErrorMap = Mapping[str, Optional[float]]


def _wilcoxon_p(diff: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p of paired differences.

    scipy drops zero differences (``zero_method='wilcox'``); when every
    difference is zero there is no evidence of a difference and p is 1.
    NaN when there is no pair at all.
    """
    from scipy.stats import wilcoxon
    diff = np.asarray(diff, dtype=np.float64)
    if diff.size == 0:
        return math.nan
    if not np.any(diff):
        return 1.0
    return float(wilcoxon(diff).pvalue)


# ------------------------------------------------------------ power law
@dataclass
class PowerLawFit:
    """Result of :func:`fit_power_law`.

    Attributes:
        ok (bool): Whether the fit is well-posed; when False only ``n`` and
            ``reason`` are meaningful and the numbers are NaN.
        a (float): Scale of ``y = a * x**k + c``.
        k (float): Exponent.
        c (float): Offset (the asymptote when k < 0).
        rse (float): Residual standard error,
            ``sqrt(sum(residual**2) / (n - 3))``.
        a_sd (float): Standard error of ``a`` (from curve_fit's covariance).
        k_sd (float): Standard error of ``k``.
        c_sd (float): Standard error of ``c``.
        n (int): Number of points.
        reason (str, optional): Why the fit is ill-posed; None when ok.
    """

    ok: bool
    a: float = math.nan
    k: float = math.nan
    c: float = math.nan
    rse: float = math.nan
    a_sd: float = math.nan
    k_sd: float = math.nan
    c_sd: float = math.nan
    n: int = 0
    reason: Optional[str] = None

    def predict(self, x) -> np.ndarray:
        """``a * x**k + c`` (NaN when the fit is ill-posed)."""
        x = np.asarray(x, dtype=np.float64)
        return self.a * np.power(x, self.k) + self.c

    def to_dict(self) -> dict:
        """The fields as a plain dict."""
        return asdict(self)


def fit_power_law(x: Sequence[Number],
                  y: Sequence[Number],
                  maxfev: int = 10000) -> PowerLawFit:
    """Fit ``y = a * x**k + c`` with :func:`scipy.optimize.curve_fit`.

    ``x`` is rescaled by its geometric mean inside the fit (numerically
    better for percentages or image counts) and the parameters are mapped
    back. The starting point is the best ``k`` of a grid over [-4, 4], with
    ``a`` and ``c`` solved by linear least squares for each ``k`` (the model
    is linear in them), so that curve_fit starts near the optimum.

    The fit is reported as ill-posed (``ok=False`` with ``reason``) instead
    of printing numbers when:

    - there are fewer than 4 points (3 parameters leave no degree of freedom
      for the residual standard error);
    - some ``x`` is not > 0 (``x**k`` is undefined) or some value is not
      finite;
    - curve_fit does not converge within ``maxfev`` evaluations;
    - the covariance is singular (parameters not identifiable, e.g. all
      ``x`` equal or ``y`` constant).

    Args:
        x (Sequence[float]): Abscissae, e.g. pretraining-set sizes.
        y (Sequence[float]): Values, e.g. mean test mDice.
        maxfev (int): Maximum number of function evaluations of curve_fit.
            Defaults to 10000.

    Returns:
        PowerLawFit: The parameters and residual standard error, or the
        reason the fit is ill-posed.

    Raises:
        ValueError: ``x`` and ``y`` have different lengths.
    """
    from scipy.optimize import OptimizeWarning, curve_fit
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f'fit_power_law: x has {x.size} values and y '
                         f'{y.size}; they must pair up.')
    n = int(x.size)
    if n < 4:
        return PowerLawFit(
            ok=False, n=n,
            reason=f'fewer than 4 points (n={n}): a, k and c need at least 4 '
            'for a residual standard error')
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        return PowerLawFit(ok=False, n=n, reason='non-finite values')
    if np.any(x <= 0):
        return PowerLawFit(
            ok=False, n=n, reason='x must be > 0 (x**k is undefined)')

    x0 = float(np.exp(np.mean(np.log(x))))
    xs = x / x0

    def model(t, a, k, c):
        return a * np.power(t, k) + c

    best = None
    for k in np.linspace(-4, 4, 161):
        if abs(k) < 1e-9:
            continue
        design = np.stack([np.power(xs, k), np.ones_like(xs)], axis=1)
        (a, c), *_ = np.linalg.lstsq(design, y, rcond=None)
        ssr = float(np.sum((design @ np.array([a, c]) - y)**2))
        if best is None or ssr < best[0]:
            best = (ssr, a, k, c)
    _, a0, k0, c0 = best
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', OptimizeWarning)
        try:
            popt, pcov = curve_fit(
                model, xs, y, p0=(a0, k0, c0), maxfev=maxfev)
        except RuntimeError as e:
            return PowerLawFit(
                ok=False, n=n, reason=f'no convergence: {e}')
    if not np.all(np.isfinite(pcov)):
        return PowerLawFit(
            ok=False, n=n,
            reason='singular covariance: the parameters are not '
            'identifiable from these points (e.g. all x equal, or y '
            'constant)')
    a_s, k, c = (float(v) for v in popt)
    scale = x0**(-k)
    a = a_s * scale
    # delta method for a = a_s * x0**-k
    jac = np.array([[scale, -a_s * scale * math.log(x0), 0.0],
                    [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    cov = jac @ pcov @ jac.T
    resid = y - model(xs, a_s, k, c)
    rse = float(math.sqrt(np.sum(resid**2) / (n - 3)))
    sd = np.sqrt(np.clip(np.diag(cov), 0, None))
    return PowerLawFit(
        ok=True, a=a, k=k, c=c, rse=rse, a_sd=float(sd[0]),
        k_sd=float(sd[1]), c_sd=float(sd[2]), n=n)


# ------------------------------------------------------ paired comparison
@dataclass
class PairedComparison:
    """Result of :func:`compare_paired` (``a`` vs ``b``, difference a - b).

    Attributes:
        n_seeds (int): Seeds (rows).
        n_images (int): Test images (columns).
        mean_diff (float): Mean of ``a - b`` over seeds and images.
        test (str): The test that gave ``p``.
        label (str): What the p-value is over, to print beside it, e.g.
            ``'over test images, one seed'``.
        p (float): p-value of ``test`` (NaN when it cannot be computed).
        p_images (float): Wilcoxon p over images of the seed-averaged
            differences (equals ``p`` with fewer than 3 seeds).
        ci_low (float): Lower bound of the bootstrap CI of ``mean_diff``
            over seeds x images (NaN with fewer than 3 seeds).
        ci_high (float): Upper bound of that CI.
        threshold (float): Practical-difference threshold.
        verdict (str): ``'no practical difference'`` when
            ``|mean_diff| < threshold`` whatever ``p``; else, with >= 3
            seeds, ``'better'``/``'worse'`` when ``p < alpha`` and ``'not
            significant'`` otherwise; with 1-2 seeds ``'better (one seed)'``
            / ``'worse (one seed)'`` (``'... (2 seeds)'``) when the
            per-image p < alpha and ``'inconclusive ...'`` otherwise;
            ``'undetermined'`` when p is NaN.
        stars (str): ``'*'`` (p < 0.05), ``'**'`` (< 0.01), ``'***'``
            (< 0.001) only for a seed-level test (>= 3 seeds) with a
            practical difference; empty otherwise.
    """

    n_seeds: int
    n_images: int
    mean_diff: float
    test: str
    label: str
    p: float
    p_images: float
    ci_low: float
    ci_high: float
    threshold: float
    verdict: str
    stars: str

    def to_dict(self) -> dict:
        """The fields as a plain dict."""
        return asdict(self)


def _as_seed_matrix(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(
            f'compare_paired: {name} must be 1-D (images, one seed) or 2-D '
            f'(seeds x images) and non-empty, got shape {arr.shape}.')
    if np.isnan(arr).any():
        raise ValueError(
            f'compare_paired: {name} contains NaN; decide how an undefined '
            'per-image score counts (e.g. a class absent from prediction '
            'and label = 100) before comparing.')
    return arr


def bootstrap_ci(diff: np.ndarray,
                 n_boot: int = 10000,
                 seed: int = 0,
                 level: float = 0.95) -> Tuple[float, float]:
    """Percentile bootstrap CI of the mean of a seeds x images matrix.

    Each replicate resamples seeds with replacement and, independently,
    images with replacement (the same images for every seed, since the
    seeds are evaluated on the same test images), and takes the mean of
    the selected cells.

    Args:
        diff (np.ndarray): Paired differences, seeds x images.
        n_boot (int): Replicates. Defaults to 10000.
        seed (int): Seed of the random generator. Defaults to 0.
        level (float): Confidence level. Defaults to 0.95.

    Returns:
        tuple[float, float]: Lower and upper bound.
    """
    diff = np.asarray(diff, dtype=np.float64)
    n_s, n_i = diff.shape
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot)
    chunk = max(1, min(n_boot, 5_000_000 // max(n_i, 1)))
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        rows = np.arange(b)[:, None]
        w_s = np.zeros((b, n_s))
        np.add.at(w_s, (rows, rng.integers(0, n_s, (b, n_s))), 1)
        w_i = np.zeros((b, n_i))
        np.add.at(w_i, (rows, rng.integers(0, n_i, (b, n_i))), 1)
        means[start:start + b] = np.einsum('bs,sn,bn->b', w_s, diff,
                                           w_i) / (n_s * n_i)
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return float(lo), float(hi)


def _stars(p: float) -> str:
    if math.isnan(p) or p >= 0.05:
        return ''
    return '***' if p < 0.001 else '**' if p < 0.01 else '*'


def _paired_t_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided paired t-test p of ``a`` vs ``b`` (1-D, one value per
    seed); 0 or 1 when every pair gives the same difference (t is then
    undefined)."""
    from scipy.stats import ttest_rel
    diff = a - b
    if np.allclose(diff, diff[0]):
        return 0.0 if diff[0] != 0 else 1.0
    return float(ttest_rel(a, b).pvalue)


def _verdict(mean_diff: float, p: float, threshold: float, alpha: float,
             higher_is_better: bool, scope: str = '') -> Tuple[str, str]:
    """The verdict and stars of a comparison: ``|mean_diff| < threshold``
    is "no practical difference" whatever ``p``, else the test decides.

    ``scope`` is empty for a seed-level test; otherwise (e.g.
    ``' (one seed)'``) it is appended, a non-significant result reads
    "inconclusive" instead of "not significant", and no stars are given.
    """
    better = (mean_diff > 0) == higher_is_better
    if abs(mean_diff) < threshold:
        verdict = 'no practical difference'
    elif math.isnan(p):
        verdict = 'undetermined'
    elif p < alpha:
        verdict = ('better' if better else 'worse') + scope
    else:
        verdict = 'inconclusive' + scope if scope else 'not significant'
    stars = _stars(p) if not scope and verdict in ('better', 'worse') else ''
    return verdict, stars


def compare_paired(a,
                   b,
                   threshold: float = 1.0,
                   alpha: float = 0.05,
                   higher_is_better: bool = True,
                   n_boot: int = 10000,
                   seed: int = 0) -> PairedComparison:
    """Compare two initialisations on the same test images.

    ``a`` and ``b`` hold one score per test image (e.g. per-image
    foreground Dice in percent), as a 1-D array for one seed or a seeds x
    images array, aligned (same image in the same column, same seed in the
    same row; :func:`align_paired` builds them from dicts).

    - One or two seeds: two-sided Wilcoxon signed-rank test over the test
      images of the (seed-averaged) differences. It says how consistent the
      difference is over these images, not whether it holds for another
      seed; it is labelled so and gets no significance stars.
    - Three or more seeds: in addition a paired t-test over the seed means
      (the seed-level test that gives ``p``) and a bootstrap CI of the mean
      difference over seeds x images (seeded, so reproducible).
    - Whatever ``p``, ``|mean_diff| < threshold`` is "no practical
      difference".

    Args:
        a: Scores of the initialisation under test.
        b: Scores of the baseline.
        threshold (float): Practical-difference threshold in the units of
            the scores. Defaults to 1.0 (one point of the primary metric).
        alpha (float): Significance level of the verdict. Defaults to 0.05.
        higher_is_better (bool): Whether a positive ``a - b`` is
            "better". Defaults to True.
        n_boot (int): Bootstrap replicates. Defaults to 10000.
        seed (int): Seed of the bootstrap. Defaults to 0.

    Returns:
        PairedComparison: The numbers, the label and the verdict.

    Raises:
        ValueError: Shapes differ, an input is empty or contains NaN.
    """
    A, B = _as_seed_matrix(a, 'a'), _as_seed_matrix(b, 'b')
    if A.shape != B.shape:
        raise ValueError(f'compare_paired: a is {A.shape} and b {B.shape} '
                         '(seeds x images); they must be paired cell by '
                         'cell.')
    n_s, n_i = A.shape
    diff = A - B
    mean_diff = float(diff.mean())
    p_images = _wilcoxon_p(diff.mean(axis=0))
    ci = (math.nan, math.nan)
    if n_s >= 3:
        seed_diff = diff.mean(axis=1)
        p = _paired_t_p(A.mean(axis=1), B.mean(axis=1))
        test = f'paired t-test over {n_s} seed means'
        label = (f'over {n_s} seeds (t-test on seed means; 95 % bootstrap '
                 'CI over seeds x images)')
        ci = bootstrap_ci(diff, n_boot=n_boot, seed=seed)
        scope = ''
    else:
        p = p_images
        test = 'Wilcoxon signed-rank over test images'
        if n_s == 1:
            label, scope = 'over test images, one seed', ' (one seed)'
        else:
            label = 'over test images, mean of 2 seeds (no seed-level test)'
            scope = ' (2 seeds)'
    verdict, stars = _verdict(mean_diff, p, threshold, alpha,
                              higher_is_better, scope)
    return PairedComparison(
        n_seeds=n_s, n_images=n_i, mean_diff=mean_diff, test=test,
        label=label, p=p, p_images=p_images, ci_low=ci[0], ci_high=ci[1],
        threshold=float(threshold), verdict=verdict, stars=stars)


@dataclass
class SeedComparison:
    """Result of :func:`compare_seeds` (``a`` vs ``b``, difference a - b).

    Attributes:
        n_seeds (int): Seeds paired.
        mean_diff (float): Mean over seeds of ``a - b``: the Δ a report
            prints beside the verdict.
        sd_diff (float): Sample sd over seeds of ``a - b``.
        p (float): Two-sided paired t-test p over the seeds (0 or 1 when
            every seed gives the same difference: t is then undefined).
        ci_low (float): Lower bound of the Student-t CI of ``mean_diff``.
        ci_high (float): Upper bound of that CI.
        level (float): Confidence level of the CI.
        threshold (float): Practical-difference threshold.
        verdict (str): ``'no practical difference'`` when
            ``|mean_diff| < threshold`` whatever ``p``; else ``'better'`` /
            ``'worse'`` when ``p < alpha`` and ``'not significant'``
            otherwise.
        stars (str): ``'*'`` / ``'**'`` / ``'***'`` for a practical
            difference with p < 0.05 / 0.01 / 0.001; empty otherwise.
    """

    n_seeds: int
    mean_diff: float
    sd_diff: float
    p: float
    ci_low: float
    ci_high: float
    level: float
    threshold: float
    verdict: str
    stars: str

    def to_dict(self) -> dict:
        """The fields as a plain dict."""
        return asdict(self)


def compare_seeds(a: Sequence[Number],
                  b: Sequence[Number],
                  threshold: float = 1.0,
                  alpha: float = 0.05,
                  higher_is_better: bool = True,
                  level: float = 0.95) -> SeedComparison:
    """Compare two rows on the metric a report prints, one value per seed.

    The test, the CI and the verdict are about the same number as the Δ
    printed beside them (e.g. the dataset-level mIoU of each seed's run),
    so they cannot disagree with it, as a test on another quantity (the
    per-image scores of :func:`compare_paired`) can: a dataset-level Δ of
    +1.1 on every seed is "better", whatever the per-image mean says.

    Args:
        a (Sequence[Number]): The row under test, one value per seed.
        b (Sequence[Number]): The reference row, the same seeds in the same
            order.
        threshold (float): Practical-difference threshold in the units of
            the values. Defaults to 1.0.
        alpha (float): Significance level of the verdict. Defaults to 0.05.
        higher_is_better (bool): Whether a positive ``a - b`` is
            "better". Defaults to True.
        level (float): Confidence level of the CI. Defaults to 0.95.

    Returns:
        SeedComparison: The numbers and the verdict.

    Raises:
        ValueError: Lengths differ, fewer than 3 seeds (no seed-level test
            is meaningful: use :func:`compare_paired` over test images), or
            a value is NaN.
    """
    from scipy.stats import t as student_t
    A = np.asarray(a, dtype=np.float64).ravel()
    B = np.asarray(b, dtype=np.float64).ravel()
    if A.shape != B.shape:
        raise ValueError(f'compare_seeds: {A.size} seeds in a and {B.size} '
                         'in b; give the same seeds in the same order.')
    if A.size < 3:
        raise ValueError(
            f'compare_seeds: {A.size} seed(s); a seed-level test needs at '
            'least 3. With fewer, compare the per-image scores '
            '(compare_paired), or run more seeds (--seeds 0 1 2).')
    if np.isnan(A).any() or np.isnan(B).any():
        raise ValueError('compare_seeds: a value is NaN; every seed of both '
                         'rows needs the metric.')
    diff = A - B
    n = diff.size
    mean_diff, sd_diff = float(diff.mean()), float(diff.std(ddof=1))
    p = _paired_t_p(A, B)
    half = float(student_t.ppf(0.5 + level / 2, n - 1)) * sd_diff / \
        math.sqrt(n)
    verdict, stars = _verdict(mean_diff, p, threshold, alpha,
                              higher_is_better)
    return SeedComparison(
        n_seeds=n, mean_diff=mean_diff, sd_diff=sd_diff, p=p,
        ci_low=mean_diff - half, ci_high=mean_diff + half, level=level,
        threshold=float(threshold), verdict=verdict, stars=stars)


def align_paired(
    a: Sequence[Mapping[str, float]], b: Sequence[Mapping[str, float]]
) -> Tuple[np.ndarray, np.ndarray, List[str]]:
    """Seeds x images matrices from per-seed ``{image: score}`` dicts.

    Only images present in every seed of both ``a`` and ``b`` are kept
    (sorted by key); seed ``i`` of ``a`` is paired with seed ``i`` of
    ``b``.

    Args:
        a (Sequence[Mapping[str, float]]): One dict per seed.
        b (Sequence[Mapping[str, float]]): One dict per seed, same order.

    Returns:
        tuple: ``(A, B, keys)``, A and B of shape seeds x len(keys).

    Raises:
        ValueError: Different numbers of seeds, or no common image.
    """
    if isinstance(a, Mapping):
        a = [a]
    if isinstance(b, Mapping):
        b = [b]
    if len(a) != len(b) or not a:
        raise ValueError(f'align_paired: {len(a)} seeds in a and {len(b)} '
                         'in b; give the same seeds in the same order.')
    keys = set(a[0])
    for d in list(a) + list(b):
        keys &= set(d)
    keys = sorted(keys)
    if not keys:
        raise ValueError('align_paired: no image is common to every seed of '
                         'a and b.')
    A = np.array([[d[k] for k in keys] for d in a], dtype=np.float64)
    B = np.array([[d[k] for k in keys] for d in b], dtype=np.float64)
    return A, B, keys


# -------------------------------------------------- label-fraction curve
@dataclass
class MatchingFraction:
    """Result of :func:`smallest_matching_fraction`.

    Attributes:
        fraction (float, optional): Smallest label fraction whose mean
            matches the reference; None when no fraction does.
        mean (float): Mean at that fraction (NaN when None).
        reference_mean (float): Mean of the reference.
        threshold (float): Tolerance used.
        sustained (bool): Whether every larger measured fraction matches
            too (False when ``fraction`` is None).
    """

    fraction: Optional[float]
    mean: float
    reference_mean: float
    threshold: float
    sustained: bool

    def to_dict(self) -> dict:
        """The fields as a plain dict."""
        return asdict(self)


def smallest_matching_fraction(
        curve: Mapping[Number, Union[Number, Sequence[Number]]],
        reference: Union[Number, Sequence[Number]],
        threshold: float = 1.0) -> MatchingFraction:
    """Smallest label fraction at which one initialisation matches a
    reference (e.g. scratch trained on 100 % of the labels).

    "Matches" means: the mean over seeds at that fraction is at least the
    reference mean minus ``threshold`` (``mean >= reference_mean -
    threshold``; higher scores are better). The fractions are scanned in
    increasing order and the first match is returned; ``sustained`` says
    whether all larger fractions match too (a single lucky fraction is
    then visible).

    Args:
        curve (Mapping[float, float | Sequence[float]]): Label fraction ->
            score(s) over seeds, for one initialisation.
        reference (float | Sequence[float]): Reference score(s) over seeds.
        threshold (float): Tolerance in score units. Defaults to 1.0.

    Returns:
        MatchingFraction: The fraction (None if none matches) and the means.

    Raises:
        ValueError: An empty curve, an empty score list or a NaN score.
    """

    def mean_of(values, what):
        arr = np.atleast_1d(np.asarray(values, dtype=np.float64))
        if arr.size == 0 or np.isnan(arr).any():
            raise ValueError(f'smallest_matching_fraction: {what} has no '
                             f'score or a NaN: {values!r}.')
        return float(arr.mean())

    if not curve:
        raise ValueError('smallest_matching_fraction: empty curve.')
    ref = mean_of(reference, 'reference')
    means = [(float(f), mean_of(v, f'fraction {f}'))
             for f, v in sorted(curve.items(), key=lambda kv: float(kv[0]))]
    matches = [m >= ref - threshold for _, m in means]
    for i, (fraction, mean) in enumerate(means):
        if matches[i]:
            return MatchingFraction(
                fraction=fraction, mean=mean, reference_mean=ref,
                threshold=float(threshold), sustained=all(matches[i:]))
    return MatchingFraction(
        fraction=None, mean=math.nan, reference_mean=ref,
        threshold=float(threshold), sustained=False)


# ------------------------------------------------------ clinical errors
def clinical_errors(records: Iterable[Mapping],
                    class_name: str,
                    quantity: str = 'size') -> Dict[str, Optional[float]]:
    """Per-case percent errors from ``ClinicalMetric``'s per-case records.

    Args:
        records (Iterable[Mapping]): The list stored in the metric's
            ``per_image_file``.
        class_name (str): Class whose errors to take.
        quantity (str): ``'size'`` or ``'intensity'``. Defaults to 'size'.

    Returns:
        dict[str, float | None]: ``img_path`` -> signed percent error (None
        where undefined, see ``ClinicalMetric``).

    Raises:
        ValueError: Unknown quantity.
        KeyError: A record lacks the class's key.
    """
    if quantity not in ('size', 'intensity'):
        raise ValueError("clinical_errors: quantity must be 'size' or "
                         f"'intensity', got {quantity!r}.")
    key = f'{quantity}_pct_err.{class_name}'
    out = {}
    for rec in records:
        if key not in rec:
            raise KeyError(f'clinical_errors: record of {rec.get("img_path")}'
                           f' has no {key!r}; classes in it: '
                           f'{sorted(k for k in rec if "." in k)[:8]}...')
        out[rec['img_path']] = rec[key]
    return out


def median_abs_percent_error(
        errors: Iterable[Optional[float]]) -> Dict[str, float]:
    """Median absolute percent error, undefined values excluded.

    Args:
        errors (Iterable[float | None]): Signed percent errors; None (or
            NaN) where undefined.

    Returns:
        dict: ``median`` (NaN when nothing is defined), ``n`` (values
        used), ``n_excluded`` (undefined values).
    """
    vals = [e for e in errors]
    defined = [abs(float(e)) for e in vals
               if e is not None and not math.isnan(float(e))]
    return dict(
        median=float(np.median(defined)) if defined else math.nan,
        n=len(defined),
        n_excluded=len(vals) - len(defined))


def paired_abs_error_test(a: Union[ErrorMap, Sequence[ErrorMap]],
                          b: Union[ErrorMap, Sequence[ErrorMap]]) -> Dict:
    """Paired Wilcoxon test of per-case absolute errors, ``a`` vs ``b``.

    Each argument is ``{case: signed percent error or None}`` for one seed,
    or a list of them (seeds, same order in ``a`` and ``b``). A case is used
    when its error is defined in every seed of both; its absolute error is
    averaged over seeds; the other cases are excluded and counted. The
    test is the two-sided Wilcoxon signed-rank test on ``|a| - |b|`` over
    cases (negative: ``a`` is closer to the ground truth).

    Args:
        a: Errors of the initialisation under test.
        b: Errors of the baseline.

    Returns:
        dict: ``n`` (cases used), ``n_excluded``, ``median_abs_a``,
        ``median_abs_b``, ``median_diff`` (median of ``|a| - |b|``),
        ``p`` (NaN when no case is usable) and ``label``
        (``'over test images, one seed'`` or ``'over test images, mean of
        S seeds'``).

    Raises:
        ValueError: Different numbers of seeds in ``a`` and ``b``.
    """
    if isinstance(a, Mapping):
        a = [a]
    if isinstance(b, Mapping):
        b = [b]
    if len(a) != len(b) or not a:
        raise ValueError(f'paired_abs_error_test: {len(a)} seeds in a and '
                         f'{len(b)} in b; give the same seeds in order.')
    all_keys = set()
    for d in list(a) + list(b):
        all_keys |= set(d)

    def defined(d, k):
        v = d.get(k)
        return v is not None and not math.isnan(float(v))

    keys = sorted(k for k in all_keys
                  if all(defined(d, k) for d in list(a) + list(b)))
    abs_a = np.array([np.mean([abs(float(d[k])) for d in a]) for k in keys])
    abs_b = np.array([np.mean([abs(float(d[k])) for d in b]) for k in keys])
    n_s = len(a)
    return dict(
        n=len(keys),
        n_excluded=len(all_keys) - len(keys),
        median_abs_a=float(np.median(abs_a)) if keys else math.nan,
        median_abs_b=float(np.median(abs_b)) if keys else math.nan,
        median_diff=float(np.median(abs_a - abs_b)) if keys else math.nan,
        p=_wilcoxon_p(abs_a - abs_b),
        label=('over test images, one seed' if n_s == 1 else
               f'over test images, mean of {n_s} seeds'))
