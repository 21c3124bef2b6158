"""Significance of a change between two runs: each statistic's sampling spread, and the tests on it.

Pure functions over numbers the SQL of surge.compare.measure hands over; no DuckDB, no I/O.
docs/compare.md#how-significance-is-decided explains the method and why. In short:

- Percentiles: the sampling distribution of each run's exact percentile is read off that run's
  own empirical distribution, as the bootstrap does with infinitely many resamples (the count of
  resampled values at or below v is binomial), with the binomial taken as normal and its variance
  widened when the run's samples are correlated in time (batch means). The difference of the two
  runs' percentiles then has a known distribution (the two runs are independent): its quantiles
  are the confidence interval, the share of it on the wrong side of 0 is the p-value. Tied values
  (whole milliseconds) are handled as the bootstrap handles them.
- Means, error rates, throughput: a Welch test whose standard errors are the larger of the
  independent-samples one and the batch-means one (20 equal time slices of the run).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

# Time slices of a run for the batch-means variance: enough for a variance estimate (19 degrees of
# freedom), few enough that each slice is long compared with the correlation between samples.
BATCHES = 20
# Rows with fewer samples get no batch-means error (two per slice on average).
MIN_BATCH_SAMPLES = 2 * BATCHES
# Half-width, in standard deviations of the rank, of the band of values around a percentile that
# its sampling distribution is read from: beyond it the probabilities are below 1e-9.
BAND_SD = 6.0
# A percentile is tested only when n·q·(1-q) reaches this (p99: 1,011 samples, p95: 211, p50: 40):
# below it the normal approximation of the binomial count is poor, and so is the test.
MIN_BINOMIAL_VARIANCE = 10.0
# Probabilities below this are dropped from a percentile's sampling distribution.
_TINY = 1e-12

_NORMAL = NormalDist()


@dataclass(frozen=True, slots=True)
class Estimate:
    """A statistic of one run with its standard error; ``df`` is math.inf for a formula-based error."""

    value: float
    se: float
    df: float = math.inf


@dataclass(frozen=True, slots=True)
class Test:
    """The evidence for a change: one-sided p-values each way, the two-sided one, a CI of b - a."""

    p_increase: float  # small when b is above a
    p_decrease: float  # small when b is below a
    ci_low: float | None  # confidence interval of the difference b - a (None: not tested)
    ci_high: float | None
    tested: bool = True
    reason: str = ""  # why not tested

    @property
    def p_two_sided(self) -> float:
        return min(1.0, 2.0 * min(self.p_increase, self.p_decrease))


def untested(reason: str) -> Test:
    return Test(1.0, 1.0, None, None, tested=False, reason=reason)


# ---------------------------------------------------------------------------------------------------
# Distributions
# ---------------------------------------------------------------------------------------------------


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        step = d * c
        h *= step
        if abs(step - 1.0) < 1e-14:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with ``df`` degrees of freedom (math.inf: the normal distribution)."""
    if math.isnan(t):
        return 1.0
    if math.isinf(t):
        return 0.0 if t > 0 else 1.0
    if math.isinf(df) or df > 1e7:
        return 1.0 - _NORMAL.cdf(t)
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return tail if t > 0 else 1.0 - tail


def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t (only used for display intervals).

    From df 19 on (every finite df a comparison has), the Cornish–Fisher expansion around the normal
    quantile, within 1e-6 of the exact value at the 97.5 % point; below, bisection on t_sf.
    """
    z = _NORMAL.inv_cdf(p)
    if math.isinf(df) or df > 1e7:
        return z
    if df >= 19:
        v = df
        return (
            z
            + (z**3 + z) / (4 * v)
            + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
            + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * v**4)
        )
    low, high = -1e3, 1e3
    for _ in range(200):
        mid = (low + high) / 2.0
        if 1.0 - t_sf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-10:
            break
    return (low + high) / 2.0


# ---------------------------------------------------------------------------------------------------
# Means, proportions and rates: Welch tests on standard errors that respect time correlation
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchSums:
    """Sums over a run's time slices of a per-slice total y and a per-slice count n: enough for the
    batch-means variance without the slices themselves (SQL adds them up)."""

    batches: int
    y: float  # sum of y_b
    n: float  # sum of n_b
    yy: float  # sum of y_b squared
    yn: float  # sum of y_b * n_b
    nn: float  # sum of n_b squared

    @classmethod
    def of(cls, y: Sequence[float], n: Sequence[float]) -> BatchSums:
        return cls(
            len(n),
            float(sum(y)),
            float(sum(n)),
            float(sum(a * a for a in y)),
            float(sum(a * b for a, b in zip(y, n, strict=True))),
            float(sum(b * b for b in n)),
        )


def ratio_batch_variance(sums: BatchSums) -> float | None:
    """Variance of R = sum(y)/sum(n) from its batches (the cluster-sampling ratio formula); None if
    there are fewer than two batches or no sample."""
    k = sums.batches
    if k < 2 or sums.n <= 0:
        return None
    ratio = sums.y / sums.n
    spread = max(sums.yy - 2.0 * ratio * sums.yn + ratio * ratio * sums.nn, 0.0)
    return k / (k - 1) * spread / (sums.n * sums.n)


def _combine(value: float, iid_variance: float, batch_variance: float | None, batches: int) -> Estimate:
    """The larger of the two variances: never narrower than if every sample were independent."""
    if batch_variance is not None and batch_variance > iid_variance:
        return Estimate(value, math.sqrt(batch_variance), float(batches - 1))
    return Estimate(value, math.sqrt(max(iid_variance, 0.0)))


def mean_estimate(count: int, total: float, total_squares: float, batches: BatchSums) -> Estimate | None:
    """The mean of ``count`` values from their sum and sum of squares; ``batches`` of the values' sums."""
    if count < 2:
        return None
    mean = total / count
    variance = max(total_squares / count - mean * mean, 0.0) * count / (count - 1)
    return _combine(mean, variance / count, ratio_batch_variance(batches), batches.batches)


def proportion_estimate(count: int, hits: int, batches: BatchSums) -> Estimate | None:
    """A proportion (errors / samples) with the binomial error and the batch-means one."""
    if count < 1:
        return None
    p = hits / count
    return _combine(p, p * (1.0 - p) / count, ratio_batch_variance(batches), batches.batches)


def rate_estimate(count: int, duration_s: float, batches: BatchSums) -> Estimate | None:
    """Samples per second over the run's duration; Poisson error, or the spread of the slices' rates
    (slices of equal length: ``batches.n`` and ``batches.nn`` are the slices' counts)."""
    if duration_s <= 0 or count < 1:
        return None
    rate = count / duration_s
    k = batches.batches
    batch = None
    if k >= 2:
        scale = k / duration_s  # a slice's count -> its rate
        spread = max(batches.nn - batches.n * batches.n / k, 0.0) * scale * scale
        batch = spread / (k * (k - 1))
    return _combine(rate, count / duration_s**2, batch, k)


def welch_df(a: Estimate, b: Estimate) -> float:
    """Welch–Satterthwaite degrees of freedom of a difference (math.inf when both errors are formulas)."""
    va, vb = a.se**2, b.se**2
    denominator = (va * va / a.df if not math.isinf(a.df) else 0.0) + (
        vb * vb / b.df if not math.isinf(b.df) else 0.0
    )
    if denominator <= 0:
        return math.inf
    return (va + vb) ** 2 / denominator


def welch_test(a: Estimate | None, b: Estimate | None, alpha: float) -> Test:
    """Test b - a; the interval is the (1 - alpha) two-sided one."""
    if a is None or b is None:
        return untested("too few samples")
    diff = b.value - a.value
    se = math.hypot(a.se, b.se)
    if se == 0.0:
        if diff == 0.0:
            return Test(1.0, 1.0, 0.0, 0.0)
        # both runs without any spread: the difference is certain
        return Test(0.0 if diff > 0 else 1.0, 0.0 if diff < 0 else 1.0, diff, diff)
    df = welch_df(a, b)
    t = diff / se
    tail = t_sf(abs(t), df)
    half = t_quantile(1.0 - alpha / 2.0, df) * se
    if t >= 0:
        return Test(tail, 1.0 - tail, diff - half, diff + half)
    return Test(1.0 - tail, tail, diff - half, diff + half)


# ---------------------------------------------------------------------------------------------------
# Percentiles
# ---------------------------------------------------------------------------------------------------


def percentile_rank(n: int, numerator: int, denominator: int) -> int:
    """1-based rank of the exact percentile numerator/denominator of n values (surge.report.percentiles)."""
    return min(n, (numerator * n) // denominator + 1)


def band_ranks(n: int, fraction: float) -> int:
    """Half-width in ranks of the band of values a percentile's distribution is read from."""
    return math.ceil(BAND_SD * math.sqrt(max(n * fraction * (1.0 - fraction), 0.0))) + 2


@dataclass(frozen=True, slots=True)
class PercentileSpread:
    """The sampling distribution of one run's percentile estimate: P(estimate <= values[i]) = cdf[i]."""

    values: tuple[float, ...]  # ascending
    cdf: tuple[float, ...]  # non-decreasing, the last one 1

    def at_or_below(self, x: float) -> float:
        """P(estimate <= x)."""
        i = bisect_right(self.values, x)
        return self.cdf[i - 1] if i else 0.0

    def below(self, x: float) -> float:
        """P(estimate < x)."""
        i = bisect_left(self.values, x)
        return self.cdf[i - 1] if i else 0.0

    def masses(self) -> list[tuple[float, float]]:
        """(value, probability) pairs, the negligible ones left out."""
        out = []
        previous = 0.0
        for value, cumulative in zip(self.values, self.cdf, strict=True):
            mass = cumulative - previous
            previous = cumulative
            if mass > _TINY:
                out.append((value, mass))
        return out


def percentile_spread(
    band: Sequence[tuple[float, int]], n: int, rank: int, inflation: float = 1.0
) -> PercentileSpread:
    """The distribution of the percentile estimate at ``rank`` of ``n`` samples.

    ``band`` holds (value, number of samples at or below it) for the run's distinct values around
    the rank, ascending. The estimate is at or below v when at least ``rank`` resampled values are:
    a binomial count with mean cum(v) and variance cum(v)·(n - cum(v))/n, widened ``inflation``
    times when the run's samples are correlated in time, taken as normal (with a continuity
    correction).
    """
    values: list[float] = []
    cdf: list[float] = []
    running = 0.0
    for value, cumulative in band:
        variance = inflation * cumulative * (n - cumulative) / n
        if variance <= 0.0:
            p = 1.0 if cumulative >= rank else 0.0
        else:
            p = _NORMAL.cdf((cumulative - rank + 0.5) / math.sqrt(variance))
        running = max(running, p)  # monotone whatever the rounding
        values.append(float(value))
        cdf.append(running)
    if cdf:
        cdf[-1] = 1.0  # what lies beyond the band (below 1e-9) goes to its last value
    return PercentileSpread(tuple(values), tuple(cdf))


def _difference_cdf(a: list[tuple[float, float]], b: PercentileSpread, d: float) -> float:
    """P(B - A <= d) for independent A (as masses) and B."""
    return sum(mass * b.at_or_below(value + d) for value, mass in a)


def percentile_test(a: PercentileSpread, b: PercentileSpread, alpha: float) -> Test:
    """Test b - a from the two runs' percentile distributions (see the module docstring)."""
    masses = a.masses()
    p_increase = min(1.0, sum(mass * b.at_or_below(value) for value, mass in masses))  # P(B - A <= 0)
    p_decrease = min(1.0, sum(mass * (1.0 - b.below(value)) for value, mass in masses))  # P(B - A >= 0)
    candidates = sorted({vb - va for va, _ in masses for vb, _ in b.masses()})
    low = _difference_quantile(masses, b, candidates, alpha / 2.0)
    high = _difference_quantile(masses, b, candidates, 1.0 - alpha / 2.0)
    return Test(p_increase, p_decrease, low, high)


def _difference_quantile(
    a: list[tuple[float, float]], b: PercentileSpread, candidates: list[float], p: float
) -> float:
    """The smallest candidate difference d with P(B - A <= d) >= p."""
    low, high = 0, len(candidates) - 1
    while low < high:
        mid = (low + high) // 2
        if _difference_cdf(a, b, candidates[mid]) >= p - 1e-12:
            high = mid
        else:
            low = mid + 1
    return candidates[low]


# ---------------------------------------------------------------------------------------------------
# Many tests at once
# ---------------------------------------------------------------------------------------------------


def holm(p_values: Sequence[float], alpha: float) -> list[bool]:
    """Holm's step-down procedure: which hypotheses are rejected, the family-wise error kept at alpha."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    rejected = [False] * len(p_values)
    m = len(p_values)
    for step, i in enumerate(order):
        if p_values[i] > alpha / (m - step):
            break
        rejected[i] = True
    return rejected


def indicator_inflation(count: int, below: int, batches: BatchSums) -> float:
    """How much wider than binomial the spread of the share of samples at or below a percentile is,
    judged from the batches (at least 1: never narrower than for independent samples)."""
    if count < 1 or below <= 0 or below >= count:
        return 1.0
    share = below / count
    batch = ratio_batch_variance(batches)
    if batch is None:
        return 1.0
    return max(1.0, batch / (share * (1.0 - share) / count))
