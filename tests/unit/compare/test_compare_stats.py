"""The significance core: distribution functions, percentile spreads, Welch tests, Holm."""

from __future__ import annotations

import math
import random
from collections import Counter
from fractions import Fraction

import pytest

from surge.compare import stats


def spread_of(values: list[int], percent: float, inflation: float = 1.0) -> stats.PercentileSpread:
    """A percentile's spread built the way surge.compare.measure builds it (from value counts)."""
    f = Fraction(repr(percent)) / 100
    n = len(values)
    rank = stats.percentile_rank(n, f.numerator, f.denominator)
    width = stats.band_ranks(n, float(f))
    band, cum = [], 0
    for value, count in sorted(Counter(values).items()):
        low = cum + 1
        cum += count
        if cum >= rank - width and low <= rank + width:
            band.append((float(value), cum))
    return stats.percentile_spread(band, n, rank, inflation)


@pytest.mark.parametrize(
    ("t", "df", "expected"),
    [(2.0, 5.0, 0.050969739), (1.0, 1.0, 0.25), (3.0, 19.0, 0.0036808621), (-2.0, 10.0, 1 - 0.036694017)],
)
def test_t_sf_matches_tables(t: float, df: float, expected: float) -> None:
    assert stats.t_sf(t, df) == pytest.approx(expected, rel=1e-5)


def test_t_sf_infinite_df_is_normal_and_quantile_inverts_it() -> None:
    assert stats.t_sf(1.959963985, math.inf) == pytest.approx(0.025, rel=1e-6)
    assert stats.t_quantile(0.975, 19.0) == pytest.approx(2.093024, rel=1e-5)


def test_percentile_spread_is_a_distribution_around_the_estimate() -> None:
    rng = random.Random(3)
    values = [int(rng.lognormvariate(math.log(100), 0.5)) for _ in range(5000)]
    spread = spread_of(values, 95.0)
    assert list(spread.cdf) == sorted(spread.cdf) and spread.cdf[-1] == 1.0
    estimate = sorted(values)[stats.percentile_rank(5000, 95, 100) - 1]
    assert spread.at_or_below(estimate - 30) < 0.01 < 0.2 < spread.at_or_below(estimate) < 0.99
    assert sum(mass for _, mass in spread.masses()) == pytest.approx(1.0)


def test_a_wider_spread_when_samples_are_correlated() -> None:
    values = list(range(1, 2001))
    narrow, wide = spread_of(values, 50.0), spread_of(values, 50.0, inflation=4.0)
    assert wide.at_or_below(980) > narrow.at_or_below(980)


def test_ties_at_the_percentile_do_not_make_noise_significant() -> None:
    """Whole-ms values: a share moving across a tied value flips the percentile by 1 ms, which is
    not a significant change (a standard error read off the value range would call it one)."""
    base = [3] * 5010 + [4] * 4990  # p50 = 3 (50.1 % at or below 3)
    cand = [3] * 4990 + [4] * 5010  # p50 = 4
    test = stats.percentile_test(spread_of(base, 50.0), spread_of(cand, 50.0), 0.05)
    assert test.p_increase > 0.2


def test_percentile_test_finds_a_real_shift_and_its_interval_holds_it() -> None:
    rng = random.Random(5)
    base = [int(rng.lognormvariate(math.log(100), 0.5)) for _ in range(10_000)]
    cand = [int(rng.lognormvariate(math.log(100), 0.5) * 1.1) for _ in range(10_000)]
    test = stats.percentile_test(spread_of(base, 95.0), spread_of(cand, 95.0), 0.05)
    assert test.p_increase < 1e-4 and test.p_decrease > 0.99
    assert test.ci_low is not None and test.ci_high is not None
    assert 0 < test.ci_low < 22 < test.ci_high  # the true shift: 10 % of p95 ~ 228 ms


def test_welch_takes_the_larger_of_independent_and_batch_errors() -> None:
    steady = stats.proportion_estimate(1000, 100, stats.BatchSums.of([5.0] * 20, [50.0] * 20))
    bursty = stats.proportion_estimate(1000, 100, stats.BatchSums.of([50.0, 50.0] + [0.0] * 18, [50.0] * 20))
    assert steady is not None and bursty is not None
    assert steady.se == pytest.approx(math.sqrt(0.1 * 0.9 / 1000)) and math.isinf(steady.df)
    assert bursty.se > 3 * steady.se and bursty.df == 19


def test_batch_sums_give_the_variance_of_the_slices() -> None:
    y, n = [3.0, 7.0, 2.0, 8.0], [10.0, 12.0, 9.0, 11.0]
    ratio = sum(y) / sum(n)
    direct = 4 / 3 * sum((a - ratio * b) ** 2 for a, b in zip(y, n, strict=True)) / sum(n) ** 2
    assert stats.ratio_batch_variance(stats.BatchSums.of(y, n)) == pytest.approx(direct)
    counts = [10.0, 30.0, 20.0, 40.0]  # four 25-s slices of a 100-s run
    rate = stats.rate_estimate(100, 100.0, stats.BatchSums.of(counts, counts))
    rates = [c / 25 for c in counts]
    mean = sum(rates) / 4
    assert rate is not None and rate.se == pytest.approx(math.sqrt(sum((r - mean) ** 2 for r in rates) / 12))


def test_t_quantile_beyond_19_degrees_of_freedom_is_close() -> None:
    assert stats.t_quantile(0.975, 25.3) == pytest.approx(2.0585, abs=1e-3)
    assert stats.t_quantile(0.975, 38.0) == pytest.approx(2.024394, abs=1e-5)


def test_welch_test_on_equal_estimates_is_not_significant() -> None:
    a = stats.Estimate(10.0, 1.0)
    test = stats.welch_test(a, a, 0.05)
    assert test.p_two_sided == pytest.approx(1.0)
    assert test.ci_low == pytest.approx(-1.96 * math.sqrt(2), rel=1e-3)


def test_holm_rejects_step_by_step() -> None:
    assert stats.holm([0.01, 0.04, 0.03, 0.5], 0.05) == [True, False, False, False]
    assert stats.holm([0.001, 0.012, 0.02], 0.05) == [True, True, True]
    assert stats.holm([], 0.05) == []
