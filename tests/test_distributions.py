"""Tests for waystation.distributions: parsing, quantiles, moments, truncation, copula."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from waystation.distributions import Dist, DistributionError, parse_dist, sample, sample_streams

N = 200_000
Z95 = 1.6448536269514722  # standard normal 95th percentile
GRID = np.linspace(0.001, 0.999, 999)


def draw(spec: Any, n: int = N, seed: int = 12345) -> np.ndarray:
    return sample({"x": parse_dist(spec)}, n, np.random.default_rng(seed))["x"]


# --- "lo to hi" 90% intervals -------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "lo", "hi"),
    [
        ("1 to 9", 1, 9),
        ("1e3 to 5e4", 1e3, 5e4),
        ("  0.02 to\t0.5 ", 0.02, 0.5),
        ("3e-7 to 1E2", 3e-7, 100),
        ("+1.5 to 2", 1.5, 2),
    ],
)
def test_positive_interval_is_lognormal_with_exact_quantiles(
    spec: str, lo: float, hi: float
) -> None:
    d = parse_dist(spec)
    assert d.kind == "lognormal"
    q05, q95 = d.ppf(np.array([0.05, 0.95]))
    assert q05 == pytest.approx(lo, rel=1e-9)
    assert q95 == pytest.approx(hi, rel=1e-9)
    assert d.median() == pytest.approx(math.sqrt(lo * hi), rel=1e-9)


@pytest.mark.parametrize(
    ("spec", "lo", "hi"), [("-1 to 2", -1, 2), ("0 to 5", 0, 5), ("-10 to -2", -10, -2)]
)
def test_interval_touching_zero_or_below_is_normal_with_exact_quantiles(
    spec: str, lo: float, hi: float
) -> None:
    d = parse_dist(spec)
    assert d.kind == "normal"
    q05, q95 = d.ppf(np.array([0.05, 0.95]))
    scale = max(abs(lo), abs(hi))
    assert q05 == pytest.approx(lo, rel=1e-9, abs=1e-9 * scale)
    assert q95 == pytest.approx(hi, rel=1e-9, abs=1e-9 * scale)
    assert d.mean() == pytest.approx((lo + hi) / 2)


@pytest.mark.parametrize(("spec", "lo", "hi"), [("1 to 9", 1, 9), ("-1 to 2", -1, 2)])
def test_interval_sample_has_90_percent_inside(spec: str, lo: float, hi: float) -> None:
    x = draw(spec)
    tol = 5 * math.sqrt(0.05 * 0.95 / N)  # five standard errors of an empirical CDF value
    assert abs(np.mean(x < lo) - 0.05) < tol
    assert abs(np.mean(x > hi) - 0.05) < tol
    assert np.quantile(x, 0.05) == pytest.approx(lo, rel=0.03, abs=0.03)
    assert np.quantile(x, 0.95) == pytest.approx(hi, rel=0.03)


def test_describe_mentions_interval_and_kind() -> None:
    assert parse_dist("1 to 9").describe() == "90% in [1, 9] (lognormal)"
    assert parse_dist(3).describe() == "constant 3"
    assert "truncated" in parse_dist("truncate(normal(0, 1), 0, 5)").describe()


# --- named distributions against scipy.stats oracles ---------------------------------------

ORACLES: list[tuple[Any, Any]] = [
    ("normal(3, 2)", stats.norm(3, 2)),
    ({"dist": "normal", "mean": -1, "sd": 0.5}, stats.norm(-1, 0.5)),
    ("lognormal(1, 0.5)", stats.lognorm(s=0.5, scale=math.e)),
    ({"dist": "lognormal", "median": 30, "sigma": 0.8}, stats.lognorm(s=0.8, scale=30)),
    ({"dist": "lognormal", "mu": 0, "sigma": 1}, stats.lognorm(s=1)),
    ("uniform(2, 6)", stats.uniform(2, 4)),
    ({"dist": "loguniform", "lo": 1, "hi": 100}, stats.loguniform(1, 100)),
    ("beta(2, 5)", stats.beta(2, 5)),
    ({"dist": "beta", "a": 0.5, "b": 0.5}, stats.beta(0.5, 0.5)),
    ({"dist": "interval", "lo": 1, "hi": 9}, stats.lognorm(s=math.log(3) / Z95, scale=3)),
]


@pytest.mark.parametrize(("spec", "oracle"), ORACLES)
def test_named_distribution_matches_oracle(spec: Any, oracle: Any) -> None:
    d = parse_dist(spec)
    np.testing.assert_allclose(d.ppf(GRID), oracle.ppf(GRID), rtol=1e-8, atol=1e-12)
    assert d.mean() == pytest.approx(oracle.mean(), rel=1e-9)
    assert d.median() == pytest.approx(oracle.median(), rel=1e-9)
    lo, hi = d.bounds()
    assert (lo, hi) == pytest.approx(oracle.support())
    x = draw(spec)
    assert x.dtype == np.float64 and x.shape == (N,)
    assert abs(x.mean() - oracle.mean()) < 5 * oracle.std() / math.sqrt(N)
    assert abs(np.mean(x < oracle.median()) - 0.5) < 5 * math.sqrt(0.25 / N)


def test_beta_2_5_sample_mean_is_two_sevenths() -> None:
    x = draw("beta(2, 5)")
    se = math.sqrt(2 * 5 / (7**2 * 8)) / math.sqrt(N)
    assert abs(x.mean() - 2 / 7) < 4 * se


def test_mapping_and_string_forms_agree() -> None:
    assert parse_dist({"dist": "interval", "lo": 1, "hi": 9}) == parse_dist("1 to 9")
    assert parse_dist({"dist": "normal", "mean": 0, "sd": 1}) == parse_dist("normal(0, 1)")
    assert parse_dist({"dist": "Beta", "a": "2", "b": 5}) == parse_dist("beta(2, 5)")
    med = parse_dist({"dist": "lognormal", "median": 30, "sigma": 1})
    assert med.median() == pytest.approx(30, rel=1e-12)


def test_constants() -> None:
    for spec in (3, 3.0, "3", " 3e0 ", np.float64(3.0)):
        d = parse_dist(spec)
        assert d.is_constant and d.median() == d.mean() == 3.0 and d.bounds() == (3.0, 3.0)
    assert not parse_dist("1 to 2").is_constant
    x = draw(-2.5, n=7)
    assert x.dtype == np.float64 and x.tolist() == [-2.5] * 7


# --- truncation -----------------------------------------------------------------------------

TRUNCATED = [
    ("truncate(normal(0, 1), 0, 5)", 0.0, 5.0),
    ("truncate(normal(0,1), 4, 6)", 4.0, 6.0),  # far upper tail
    ("truncate(normal(0, 1), -7, -4)", -7.0, -4.0),  # far lower tail
    ("truncate(1 to 9, 0.5, 20)", 0.5, 20.0),
    ("truncate(lognormal(0, 1), 2, null)", 2.0, math.inf),
    ("truncate(beta(2, 5), 0.1, 0.2)", 0.1, 0.2),
    ("truncate(truncate(normal(0, 1), 0, 5), -1, 1)", 0.0, 1.0),
    ({"dist": "normal", "mean": 0, "sd": 1, "truncate": [None, 0]}, -math.inf, 0.0),
    ({"dist": "uniform", "lo": 0, "hi": 10, "truncate": [5, 20]}, 5.0, 10.0),
    ({"dist": "loguniform", "lo": 1, "hi": 1000, "truncate": [10, 100]}, 10.0, 100.0),
    ({"dist": "interval", "lo": -1, "hi": 1, "truncate": [-0.5, "inf"]}, -0.5, math.inf),
]


@pytest.mark.parametrize(("spec", "lo", "hi"), TRUNCATED)
def test_truncated_samples_stay_within_bounds(spec: Any, lo: float, hi: float) -> None:
    d = parse_dist(spec)
    assert d.bounds() == (lo, hi)
    x = draw(spec)
    assert np.all(x >= lo) and np.all(x <= hi)
    edges = d.ppf(np.array([0.0, 1.0]))
    assert edges[0] == pytest.approx(lo) and edges[1] == pytest.approx(hi)
    se = x.std() / math.sqrt(N)
    assert abs(x.mean() - d.mean()) < 5 * se + 1e-12
    assert np.all(np.diff(d.ppf(GRID)) >= 0)


@pytest.mark.parametrize(
    ("mean", "sd", "lo", "hi"),
    [(1, 2, 5, 9), (0, 1, 0, 5), (0, 1, 4, 6), (0, 1, 6.5, 7), (10, 3, -5, 8), (0, 1, None, -3)],
)
def test_truncated_normal_matches_scipy_truncnorm(
    mean: float, sd: float, lo: float | None, hi: float | None
) -> None:
    d = parse_dist({"dist": "normal", "mean": mean, "sd": sd, "truncate": [lo, hi]})
    a = -math.inf if lo is None else (lo - mean) / sd
    b = math.inf if hi is None else (hi - mean) / sd
    oracle = stats.truncnorm(a, b, loc=mean, scale=sd)
    assert d.mean() == pytest.approx(oracle.mean(), rel=1e-7)
    assert d.median() == pytest.approx(oracle.median(), rel=1e-7)
    np.testing.assert_allclose(d.ppf(GRID), oracle.ppf(GRID), rtol=1e-7)
    x = draw({"dist": "normal", "mean": mean, "sd": sd, "truncate": [lo, hi]})
    assert abs(x.mean() - oracle.mean()) < 5 * oracle.std() / math.sqrt(N)


def test_truncated_lognormal_and_beta_means_match_quadrature() -> None:
    from scipy.integrate import quad

    d = parse_dist("truncate(lognormal(0, 1), 3, 8)")
    ln = stats.lognorm(s=1)
    expected = quad(lambda x: x * ln.pdf(x), 3, 8)[0] / (ln.cdf(8) - ln.cdf(3))
    assert d.mean() == pytest.approx(expected, rel=1e-8)
    d = parse_dist("truncate(beta(2, 5), 0.3, 0.6)")
    be = stats.beta(2, 5)
    expected = quad(lambda x: x * be.pdf(x), 0.3, 0.6)[0] / (be.cdf(0.6) - be.cdf(0.3))
    assert d.mean() == pytest.approx(expected, rel=1e-8)


# --- copula sampling ------------------------------------------------------------------------


@pytest.mark.parametrize("rho", [0.7, -0.4])
def test_rank_correlation_is_imposed(rho: float) -> None:
    dists = {"a": parse_dist("1 to 100"), "k": parse_dist(4), "b": parse_dist("lognormal(0, 2)")}
    out = sample(dists, N, np.random.default_rng(7), {("b", "a"): rho})
    assert stats.spearmanr(out["a"], out["b"]).statistic == pytest.approx(rho, abs=0.006)
    assert np.all(out["k"] == 4)


def test_streams_are_the_concatenated_single_draws() -> None:
    """Many generators at once: the very numbers of one sample() per generator."""
    dists = {"a": parse_dist("1 to 100"), "k": parse_dist(4), "b": parse_dist("beta(2, 5)"),
             "c": parse_dist("truncate(normal(0, 1), -1, 2)")}  # fmt: skip
    corr = {("b", "a"): 0.5, ("c", "a"): -0.3}
    seeds = [np.random.SeedSequence(3, spawn_key=(j,)) for j in range(3)]
    together = sample_streams(dists, 100, [np.random.default_rng(s) for s in seeds], corr)
    apart = [sample(dists, 100, np.random.default_rng(s), corr) for s in seeds]
    for name in dists:
        np.testing.assert_array_equal(together[name], np.concatenate([d[name] for d in apart]))


def test_uncorrelated_by_default() -> None:
    dists = {"a": parse_dist("1 to 100"), "b": parse_dist("normal(0, 1)")}
    out = sample(dists, N, np.random.default_rng(7))
    assert abs(stats.spearmanr(out["a"], out["b"]).statistic) < 0.02


def test_non_positive_definite_correlations_are_refused() -> None:
    dists = {name: parse_dist("0 to 1") for name in "abc"}
    corr = {("a", "b"): 0.9, ("b", "c"): 0.9, ("a", "c"): -0.9}
    with pytest.raises(DistributionError, match="positive definite") as info:
        sample(dists, 10, np.random.default_rng(0), corr)
    assert all(name in str(info.value) for name in "abc")


@pytest.mark.parametrize(
    ("corr", "hint"),
    [
        ({("a", "zz"): 0.5}, "unknown input 'zz'"),
        ({("a", "k"): 0.5}, "constant"),
        ({("a", "b"): 1.0}, "|rho| < 1"),
        ({("a", "b"): -1.5}, "|rho| < 1"),
        ({("a", "a"): 0.5}, "two inputs"),
        ({("a", "b"): 0.5, ("b", "a"): 0.2}, "twice"),
        ({("a", "b"): True}, "boolean"),
    ],
)
def test_bad_correlations_are_refused(corr: Any, hint: str) -> None:
    dists = {"a": parse_dist("0 to 1"), "b": parse_dist("0 to 1"), "k": parse_dist(1)}
    with pytest.raises(DistributionError) as info:
        sample(dists, 10, np.random.default_rng(0), corr)
    assert hint in str(info.value)


def test_same_seed_same_draws_and_different_seed_different() -> None:
    dists = {"a": parse_dist("1 to 9"), "b": parse_dist("beta(2, 5)"), "c": parse_dist(2)}
    corr = {("a", "b"): 0.3}
    one = sample(dists, 1000, np.random.default_rng(42), corr)
    two = sample(dists, 1000, np.random.default_rng(42), corr)
    other = sample(dists, 1000, np.random.default_rng(43), corr)
    assert list(one) == ["a", "b", "c"]
    for name in ("a", "b"):
        np.testing.assert_array_equal(one[name], two[name])
        assert not np.array_equal(one[name], other[name])


def test_constants_draw_nothing_and_key_order_sets_the_stream() -> None:
    a, b = parse_dist("normal(0, 1)"), parse_dist("uniform(0, 1)")
    plain = sample({"a": a, "b": b}, 500, np.random.default_rng(5))
    with_const = sample(
        {"k": parse_dist(1), "a": a, "z": parse_dist(2), "b": b}, 500, np.random.default_rng(5)
    )
    for name in ("a", "b"):
        np.testing.assert_array_equal(plain[name], with_const[name])
    swapped = sample({"b": b, "a": a}, 500, np.random.default_rng(5))
    assert not np.array_equal(plain["a"], swapped["a"])
    rng = np.random.default_rng(5)
    sample({"k": parse_dist(1)}, 500, rng)
    assert rng.bit_generator.state == np.random.default_rng(5).bit_generator.state
    assert sample({"a": a}, 0, np.random.default_rng(5))["a"].shape == (0,)
    with pytest.raises(ValueError, match="non-negative integer"):
        sample({"a": a}, -1, np.random.default_rng(5))


# --- malformed specs ------------------------------------------------------------------------

MALFORMED: list[tuple[Any, str]] = [
    ("5 to 1", "lo < hi, got '5 to 1'"),
    ("normal(0)", "normal takes 2 numbers (mean, sd)"),
    ("normal(0, -1)", "sd > 0"),
    ("normal(0, 1, 2)", "normal takes 2 numbers"),
    ("gamma(1, 2)", "unknown distribution 'gamma'"),
    ({"dist": "gamma"}, "unknown distribution 'gamma'"),
    ({"dist": "beta", "a": 1}, "beta expects parameters (a, b), got (a)"),
    ({"dist": "beta", "a": 0, "b": 1}, "a > 0 and b > 0"),
    ({"dist": "lognormal", "median": -3, "sigma": 1}, "median > 0"),
    ({"dist": "lognormal", "mean": 3, "sigma": 1}, "(mu, sigma) or (median, sigma)"),
    ({"mean": 0, "sd": 1}, "no 'dist' key"),
    ({"dist": "uniform", "lo": 1, "hi": 1, "extra": 3}, "uniform expects parameters (lo, hi)"),
    ({"dist": "uniform", "lo": 2, "hi": 1}, "lo < hi"),
    ({"dist": "loguniform", "lo": 0, "hi": 1}, "0 < lo < hi"),
    ({"dist": "normal", "mean": "zero", "sd": 1}, "expected a number, got 'zero'"),
    ({"dist": "normal", "mean": 0, "sd": 1, "truncate": [10, 11]}, "no probability"),
    ({"dist": "normal", "mean": 0, "sd": 1, "truncate": [3, 1]}, "lo < hi"),
    ({"dist": "normal", "mean": 0, "sd": 1, "truncate": 5}, "expected [lo, hi]"),
    ({"dist": "beta", "a": 2, "b": 2, "truncate": [2, 3]}, "no probability"),
    ("truncate(uniform(0, 1), 2, 3)", "no probability"),
    ("truncate(normal(0, 1), 0)", "expected ','"),
    (True, "boolean"),
    (np.bool_(False), "boolean"),
    ({"dist": "normal", "mean": True, "sd": 1}, "boolean"),
    ("__import__('os')", "unexpected character"),
    ("1 to", "expected a number after 'to'"),
    ("1 to 2 to 3", "unexpected 'to'"),
    ("", "empty string"),
    ("normal(0, 1) + 1", "unexpected character '+'"),
    (float("nan"), "finite"),
    (float("inf"), "finite"),
    (10**400, "finite"),
    ("1e400 to 1e401", "finite"),
    ("normal(nan, 1)", "expected a number"),
    (None, "got None"),
    ([1, 2], "got [1, 2]"),
]


@pytest.mark.parametrize(("spec", "hint"), MALFORMED, ids=[repr(s)[:40] for s, _ in MALFORMED])
def test_malformed_specs_raise_helpful_errors(spec: Any, hint: str) -> None:
    with pytest.raises(DistributionError) as info:
        parse_dist(spec)
    assert hint in str(info.value)
    assert isinstance(info.value, ValueError)


# --- properties -----------------------------------------------------------------------------

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_subnormal=False)
width = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False)
U = np.linspace(1e-12, 1 - 1e-12, 2001)


@settings(max_examples=300, deadline=None, database=None)
@given(lo=finite, w=width, truncate=st.booleans())
def test_interval_ppf_is_monotone(lo: float, w: float, truncate: bool) -> None:
    hi = lo + w
    spec = f"{lo!r} to {hi!r}"
    d = parse_dist(f"truncate({spec}, {lo!r}, {hi!r})" if truncate else spec)
    x = d.ppf(U)
    assert np.all(np.diff(x) >= 0)
    b_lo, b_hi = d.bounds()
    assert np.all((x >= b_lo) & (x <= b_hi))
    if not truncate:
        scale = max(abs(lo), abs(hi))
        assert float(d.ppf(0.05)) == pytest.approx(lo, rel=1e-9, abs=1e-9 * scale)
        assert float(d.ppf(0.95)) == pytest.approx(hi, rel=1e-9, abs=1e-9 * scale)


def _parse_or_error(text: str) -> Dist | None:
    try:
        return parse_dist(text)
    except DistributionError:
        return None


@settings(max_examples=500, deadline=None, database=None)
@given(st.text())
def test_arbitrary_text_only_raises_distribution_error(text: str) -> None:
    _parse_or_error(text)


PIECES = "normal lognormal beta uniform loguniform truncate ( ) , 1 -2 0 1e3 0.5 inf -inf null"
PIECES_LIST = [*PIECES.split(), " ", " to ", "1e400", "nan", "e", "."]


@settings(max_examples=1000, deadline=None, database=None)
@given(st.lists(st.sampled_from(PIECES_LIST), max_size=14).map("".join))
def test_grammar_like_text_only_raises_distribution_error(text: str) -> None:
    d = _parse_or_error(text)
    if d is not None:
        x = d.ppf(U)
        assert np.all(x[:-1] <= x[1:])
        assert isinstance(d.describe(), str)
