"""Parse and jointly sample the uncertain numeric inputs of a scenario.

Any numeric input in a scenario file may be a plain number or a distribution.
:func:`parse_dist` turns such a value (as already loaded from YAML: a number, a
string or a mapping) into a :class:`Dist`; :func:`sample` draws many of them
jointly, vectorised, with a Gaussian copula. Accepted forms, one YAML example each::

    a: 3                                  # a number (not a bool): a constant
    b: 1e3 to 5e4                         # 90% credible interval ("lo to hi"):
    c: -1 to 2                            #   lognormal if lo > 0, otherwise normal
    d: normal(0, 1)                       # normal(mean, sd)
    e: lognormal(3.4, 1)                  # lognormal(mu, sigma): log x ~ normal(mu, sigma)
    f: uniform(0, 10)                     # uniform(lo, hi)
    g: loguniform(0.001, 1)               # loguniform(lo, hi), 0 < lo < hi
    h: beta(2, 5)                         # beta(a, b), a > 0, b > 0
    i: truncate(normal(0, 1), 0, 5)       # truncate(<dist>, lo, hi); lo/hi may be null/inf
    j: truncate(1 to 9, 0.5, 20)
    k: {dist: normal, mean: 0, sd: 1}
    l: {dist: lognormal, median: 30, sigma: 1}    # or {dist: lognormal, mu: 3.4, sigma: 1}
    m: {dist: uniform, lo: 0, hi: 1}
    n: {dist: loguniform, lo: 0.01, hi: 1}
    o: {dist: beta, a: 2, b: 5}
    p: {dist: interval, lo: 1, hi: 9}             # the same as "1 to 9"
    q: {dist: normal, mean: 0, sd: 1, truncate: [0, null]}  # any mapping may truncate

Numeric strings such as ``"1e3"`` (which YAML 1.1 loads as text) are constants too.
Strings are parsed with a tiny tokenizer; nothing is ever evaluated. Anything else
raises :class:`DistributionError`, whose message says what was given and expected.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import betainc, betaincinv, ndtr, ndtri

FloatArray = npt.NDArray[np.float64]

__all__ = ["Dist", "DistributionError", "from_normals", "parse_dist", "sample", "sample_streams"]

_Z95 = float(ndtri(0.95))  # a 90% interval spans median +- _Z95 standard deviations
_MIN_MASS = 1e-12  # truncation intervals holding less probability than this are refused
_U_CLIP = 1e-12
_INF = math.inf
_PARAMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "constant": (("value",),),
    "normal": (("mean", "sd"),),
    "lognormal": (("mu", "sigma"), ("median", "sigma")),
    "uniform": (("lo", "hi"),),
    "loguniform": (("lo", "hi"),),
    "beta": (("a", "b"),),
    "interval": (("lo", "hi"),),
}
_FORMS = (
    "expected a number, 'lo to hi', or one of normal(mean, sd), lognormal(mu, sigma), "
    "uniform(lo, hi), loguniform(lo, hi), beta(a, b), truncate(<dist>, lo, hi)"
)
_NUM = r"[+-]?(?:inf\b|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
_TOKEN = re.compile(rf"\s*(?:(?P<num>{_NUM})|(?P<name>[A-Za-z_]\w*)|(?P<op>[(),]))", re.ASCII)
_NUMBER = re.compile(rf"\s*{_NUM}\s*", re.ASCII)


class DistributionError(ValueError):
    """A distribution spec that cannot be understood; the message says what was expected."""


def _fail(message: str) -> DistributionError:
    return DistributionError(message)


def _ndtr_diff(a: float, b: float) -> float:
    """Return P(a < Z < b) for standard normal Z, accurately in either tail."""
    if a > 0:
        return float(ndtr(-a) - ndtr(-b))
    return float(ndtr(b) - ndtr(a))


@dataclass(frozen=True)
class Dist:
    """A univariate distribution, optionally truncated to ``[lo, hi]``.

    ``params`` depend on ``kind``: constant ``(value,)``, normal ``(mean, sd)``,
    lognormal ``(mu, sigma)``, uniform and loguniform ``(lo, hi)``, beta ``(a, b)``.
    Build instances with :func:`parse_dist`, which validates them.
    """

    kind: str
    params: tuple[float, ...]
    lo: float = -_INF
    hi: float = _INF

    @property
    def is_constant(self) -> bool:
        """Return True when the distribution is a single point."""
        return self.kind == "constant"

    @property
    def _is_truncated(self) -> bool:
        return self.lo > -_INF or self.hi < _INF

    def bounds(self) -> tuple[float, float]:
        """Return the support after truncation (either end may be infinite)."""
        p, k = self.params, self.kind
        support = {"constant": (p[0], p[0]), "beta": (0.0, 1.0), "lognormal": (0.0, _INF)}
        s_lo, s_hi = (
            (p[0], p[1]) if k in ("uniform", "loguniform") else support.get(k, (-_INF, _INF))
        )
        return max(s_lo, self.lo), min(s_hi, self.hi)

    def _z_bounds(self) -> tuple[float, float]:
        """Return the truncation bounds in standard-normal units (normal family)."""
        m, s = self.params
        if self.kind == "normal":
            return (self.lo - m) / s, (self.hi - m) / s
        za = -_INF if self.lo <= 0 else (math.log(self.lo) - m) / s
        zb = -_INF if self.hi <= 0 else (math.log(self.hi) - m) / s
        return za, zb

    def _beta_cdf(self, a: float, b: float) -> tuple[float, float]:
        lo, hi = self.bounds()
        return float(betainc(a, b, lo)), float(betainc(a, b, hi))

    def _mass(self) -> float:
        """Return the probability the untruncated distribution puts inside ``[lo, hi]``."""
        if self.kind in ("normal", "lognormal"):
            return _ndtr_diff(*self._z_bounds())
        if self.kind == "beta":
            f_lo, f_hi = self._beta_cdf(*self.params)
            return f_hi - f_lo
        lo, hi = self.bounds()
        return 1.0 if lo < hi or (self.kind == "constant" and lo == hi) else 0.0

    def ppf(self, u: npt.ArrayLike) -> FloatArray:
        """Return the inverse CDF at probabilities ``u`` (vectorised, truncation-aware)."""
        q = np.asarray(u, dtype=np.float64)
        if self.kind == "constant":
            return np.full(q.shape, self.params[0], dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            x = self._raw_ppf(q)
        lo, hi = self.bounds()
        return np.asarray(np.clip(x, lo, hi), dtype=np.float64)

    def _raw_ppf(self, q: FloatArray) -> FloatArray:
        p = self.params
        if self.kind in ("normal", "lognormal"):
            za, zb = self._z_bounds()
            if not self._is_truncated:
                z = ndtri(q)
            elif za > 0:  # work with survival probabilities for upper-tail truncation
                s_lo, s_hi = ndtr(-za), ndtr(-zb)
                z = -ndtri(s_lo - q * (s_lo - s_hi))
            else:
                f_lo, f_hi = ndtr(za), ndtr(zb)
                z = ndtri(f_lo + q * (f_hi - f_lo))
            x = p[0] + p[1] * z if self.kind == "normal" else np.exp(p[0] + p[1] * z)
        elif self.kind == "uniform":
            x = p[0] + q * (p[1] - p[0])
        elif self.kind == "loguniform":
            log_lo, log_hi = math.log(p[0]), math.log(p[1])
            x = np.exp(log_lo + q * (log_hi - log_lo))
        else:  # beta
            f_lo, f_hi = self._beta_cdf(*p)
            x = betaincinv(p[0], p[1], f_lo + q * (f_hi - f_lo))
        return np.asarray(x, dtype=np.float64)

    def median(self) -> float:
        """Return the median (after truncation)."""
        return float(self.ppf(0.5))

    def mean(self) -> float:
        """Return the mean (after truncation), in closed form."""
        k, p = self.kind, self.params
        if k == "constant":
            return p[0]
        if k in ("uniform", "loguniform"):
            lo, hi = p
            return (lo + hi) / 2 if k == "uniform" else (hi - lo) / (math.log(hi) - math.log(lo))
        if k == "beta":
            a, b = p
            f_lo, f_hi = self._beta_cdf(a, b)
            g_lo, g_hi = self._beta_cdf(a + 1, b)
            return a / (a + b) * (g_hi - g_lo) / (f_hi - f_lo)
        za, zb = self._z_bounds()
        mass = _ndtr_diff(za, zb)
        if k == "normal":  # E[Z | za < Z < zb] = (phi(za) - phi(zb)) / mass
            phi_a, phi_b = (math.exp(-z * z / 2) / math.sqrt(2 * math.pi) for z in (za, zb))
            return p[0] + p[1] * (phi_a - phi_b) / mass
        mu, sigma = p  # E[e^(mu + sigma Z) | za < Z < zb], Z shifted by sigma
        log_scale = mu + sigma * sigma / 2
        ratio = _ndtr_diff(za - sigma, zb - sigma) / mass
        return _INF if log_scale > 700 else math.exp(log_scale) * ratio

    def describe(self) -> str:
        """Return short human text, e.g. ``"90% in [0.3, 3] (lognormal)"``."""
        if self.is_constant:
            return f"constant {self.params[0]:.4g}"
        q05, q95 = self.ppf(np.array([0.05, 0.95]))
        text = f"90% in [{q05:.3g}, {q95:.3g}] ({self.kind}"
        if self._is_truncated:
            text += f", truncated to [{self.lo:.3g}, {self.hi:.3g}]"
        return text + ")"


def _number(value: object, what: str) -> float:
    """Return ``value`` as a finite float, accepting numeric strings but never bools."""
    if isinstance(value, bool | np.bool_):
        raise _fail(f"{what}: expected a number, got the boolean {value!r}")
    if not isinstance(value, int | float | np.integer | np.floating) and not (
        isinstance(value, str) and _NUMBER.fullmatch(value)
    ):
        raise _fail(f"{what}: expected a number, got {value!r}")
    try:
        x = float(value)
    except OverflowError:
        x = math.inf
    if not math.isfinite(x):
        raise _fail(f"{what}: expected a finite number, got {value!r}")
    return x


def _bound(value: object, what: str, open_end: float) -> float:
    """Return a truncation bound, ``open_end`` (+-inf) when it is null or infinite."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("null", "none", "~")):
        return open_end
    if isinstance(value, float | str) and str(value).strip().lower() in ("inf", "+inf", "-inf"):
        return float(value)
    return _number(value, what)


def _make(kind: str, values: Mapping[str, float]) -> Dist:
    """Return a validated, untruncated Dist from named parameters."""
    v = values
    if kind == "constant":
        return Dist("constant", (v["value"],))
    if kind == "interval":
        lo, hi = v["lo"], v["hi"]
        if not lo < hi:
            raise _fail(f"expected 'lo to hi' with lo < hi, got '{lo:g} to {hi:g}'")
        if lo > 0:
            mu, sigma = (math.log(lo) + math.log(hi)) / 2, (math.log(hi) - math.log(lo)) / 2
            return _make("lognormal", {"mu": mu, "sigma": sigma / _Z95})
        return _make("normal", {"mean": lo / 2 + hi / 2, "sd": (hi / 2 - lo / 2) / _Z95})
    if kind == "normal":
        if not v["sd"] > 0 or not math.isfinite(v["sd"]):
            raise _fail(f"normal: expected a finite sd > 0, got sd={v['sd']:g}")
        return Dist("normal", (v["mean"], v["sd"]))
    if kind == "lognormal":
        if "median" in v and not v["median"] > 0:
            raise _fail(f"lognormal: expected median > 0, got median={v['median']:g}")
        mu = math.log(v["median"]) if "median" in v else v["mu"]
        if not v["sigma"] > 0 or not math.isfinite(v["sigma"]):
            raise _fail(f"lognormal: expected a finite sigma > 0, got sigma={v['sigma']:g}")
        return Dist("lognormal", (mu, v["sigma"]))
    if kind in ("uniform", "loguniform"):
        lo, hi = v["lo"], v["hi"]
        if not lo < hi or (kind == "loguniform" and not lo > 0):
            need = "0 < lo < hi" if kind == "loguniform" else "lo < hi"
            raise _fail(f"{kind}: expected {need}, got lo={lo:g}, hi={hi:g}")
        return Dist(kind, (lo, hi))
    a, b = v["a"], v["b"]
    if not (a > 0 and b > 0):
        raise _fail(f"beta: expected a > 0 and b > 0, got a={a:g}, b={b:g}")
    return Dist("beta", (a, b))


def _build(kind: str, values: Mapping[str, object], where: str) -> Dist:
    """Return a Dist of ``kind`` after checking the parameter names and values."""
    kind = kind.strip().lower()
    if kind not in _PARAMS:
        raise _fail(f"{where}: unknown distribution {kind!r}; expected one of {', '.join(_PARAMS)}")
    given = tuple(values)
    for names in _PARAMS[kind]:
        if set(given) == set(names):
            return _make(kind, {n: _number(values[n], f"{kind} {n}") for n in names})
    options = " or ".join(f"({', '.join(names)})" for names in _PARAMS[kind])
    raise _fail(f"{where}: {kind} expects parameters {options}, got ({', '.join(given)})")


def _truncate(dist: Dist, lo: float, hi: float) -> Dist:
    """Return ``dist`` truncated to ``[lo, hi]`` (infinite ends are open)."""
    t_lo, t_hi = max(dist.lo, lo), min(dist.hi, hi)
    if not t_lo < t_hi and not (dist.is_constant and t_lo == t_hi):
        raise _fail(f"truncate: expected lo < hi, got [{t_lo:g}, {t_hi:g}]")
    if dist.kind in ("uniform", "loguniform"):  # a truncated uniform is a narrower uniform
        s_lo, s_hi = dist.bounds()
        out = Dist(dist.kind, (max(s_lo, t_lo), min(s_hi, t_hi)))
    else:
        out = Dist(dist.kind, dist.params, t_lo, t_hi)
    if not out._mass() > _MIN_MASS:
        raise _fail(
            f"truncate: the interval [{t_lo:g}, {t_hi:g}] holds (almost) no probability of "
            f"{dist.describe()}; expected bounds overlapping the distribution"
        )
    return out


class _Parser:
    """Recursive-descent parser for the string forms (no eval)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str]] = []
        pos, stripped = 0, text.rstrip()
        while pos < len(stripped):
            m = _TOKEN.match(stripped, pos)
            if m is None:
                raise self.error(f"unexpected character {stripped[pos:].lstrip()[0]!r}")
            kind = m.lastgroup or "op"
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.pos = 0

    def error(self, why: str) -> DistributionError:
        return _fail(f"cannot parse distribution {self.text!r}: {why}; {_FORMS}")

    def peek(self, ahead: int = 0) -> tuple[str, str]:
        i = self.pos + ahead
        return self.tokens[i] if i < len(self.tokens) else ("end", "")

    def take(self, kind: str, text: str | None = None) -> str:
        k, t = self.peek()
        if k != kind or (text is not None and t.lower() != text):
            want = repr(text) if text else "a number"
            raise self.error(f"expected {want} but found {repr(t) if t else 'the end'}")
        self.pos += 1
        return t

    def number(self) -> float:
        return _number(self.take("num"), f"in {self.text!r}")

    def dist(self, depth: int = 0) -> Dist:
        kind, text = self.peek()
        if depth > 8:
            raise self.error("too deeply nested")
        if kind == "num":
            lo = self.number()
            if self.peek()[0] == "name" and self.peek()[1].lower() == "to":
                self.pos += 1
                if self.peek()[0] != "num":
                    raise self.error("expected a number after 'to'")
                return _make("interval", {"lo": lo, "hi": self.number()})
            return _make("constant", {"value": lo})
        if kind == "name" and self.peek(1) == ("op", "("):
            name = text.lower()
            self.pos += 2
            if name == "truncate":
                inner = self.dist(depth + 1)
                self.take("op", ",")
                lo = self.bound(-_INF)
                self.take("op", ",")
                hi = self.bound(_INF)
                self.take("op", ")")
                return _truncate(inner, lo, hi)
            if name not in _PARAMS:
                raise self.error(f"unknown distribution {text!r}")
            args = [self.number()]
            while self.peek() == ("op", ","):
                self.pos += 1
                args.append(self.number())
            self.take("op", ")")
            names = _PARAMS[name][0]
            if len(args) != len(names):
                raise self.error(f"{name} takes {len(names)} numbers ({', '.join(names)})")
            return _build(name, dict(zip(names, args, strict=True)), repr(self.text))
        raise self.error("expected a number or a distribution name followed by '('")

    def bound(self, open_end: float) -> float:
        kind, text = self.peek()
        self.pos += 1
        if kind not in ("num", "name"):
            raise self.error(f"expected a bound (number or null), found {text or 'the end'!r}")
        return _bound(text, f"truncation bound in {self.text!r}", open_end)


def parse_dist(spec: float | int | str | Mapping[str, Any]) -> Dist:
    """Return the Dist described by a number, a string or a mapping (see module docstring)."""
    if isinstance(spec, str):
        if not spec.strip():
            raise _fail(f"got an empty string; {_FORMS}")
        parser = _Parser(spec)
        dist = parser.dist()
        if parser.peek()[0] != "end":
            raise parser.error(f"unexpected {parser.peek()[1]!r} after a complete distribution")
        return dist
    if isinstance(spec, Mapping):
        params = {str(k): v for k, v in spec.items()}
        if "dist" not in params:
            raise _fail(f"mapping {dict(spec)!r} has no 'dist' key; expected e.g. {{dist: normal}}")
        kind, trunc = params.pop("dist"), params.pop("truncate", None)
        if not isinstance(kind, str):
            raise _fail(f"'dist' must name a distribution, got {kind!r}")
        dist = _build(kind, params, f"mapping {dict(spec)!r}")
        if trunc is None:
            return dist
        if not isinstance(trunc, list | tuple) or len(trunc) != 2:
            raise _fail(f"truncate: expected [lo, hi] (either may be null), got {trunc!r}")
        lo, hi = _bound(trunc[0], "truncate lo", -_INF), _bound(trunc[1], "truncate hi", _INF)
        return _truncate(dist, lo, hi)
    if not isinstance(spec, int | float | np.number | np.bool_):
        raise _fail(f"expected a number, a string such as '1 to 9' or a mapping, got {spec!r}")
    return _make("constant", {"value": _number(spec, "constant")})


def _correlation_factor(
    names: list[str], dists: Mapping[str, Dist], correlations: Mapping[tuple[str, str], float]
) -> FloatArray:
    """Return the Cholesky factor of the Pearson matrix for Spearman ``correlations``."""
    index = {name: i for i, name in enumerate(names)}
    corr = np.eye(len(names))
    involved: list[str] = []
    seen: dict[frozenset[str], float] = {}
    for pair, rho in correlations.items():
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise _fail(f"correlation key {pair!r}: expected a (name_a, name_b) pair")
        for name in pair:
            if name not in dists:
                raise _fail(f"correlation {pair!r}: unknown input {name!r}")
            if name not in index:
                raise _fail(f"correlation {pair!r}: input {name!r} is a constant")
        a, b = pair
        r_s = _number(rho, f"correlation {pair!r}")
        if a == b or not abs(r_s) < 1:
            raise _fail(f"correlation {pair!r}: expected two inputs and |rho| < 1, got {r_s:g}")
        r = 2 * math.sin(math.pi * r_s / 6)
        i, j = index[a], index[b]
        if seen.setdefault(frozenset(pair), r) != r:
            raise _fail(f"correlation {pair!r}: given twice with different values")
        corr[i, j] = corr[j, i] = r
        involved += [n for n in pair if n not in involved]
    smallest = float(np.linalg.eigvalsh(corr).min())
    if smallest <= 1e-10:
        raise _fail(
            f"correlations among {', '.join(involved)} are inconsistent: the correlation "
            f"matrix is not positive definite (smallest eigenvalue {smallest:.3g})"
        )
    return np.asarray(np.linalg.cholesky(corr), dtype=np.float64)


def _correlate(z: FloatArray, factor: FloatArray) -> FloatArray:
    """``z @ factor.T``, summed term by term in a fixed order.

    Each row's result then depends on that row alone (a matrix product's
    rounding may depend on the number of rows, which would make a world's
    inputs depend on its block).
    """
    out = np.empty_like(z)
    for i in range(factor.shape[0]):
        col = z[:, i] * factor[i, i]
        for j in np.flatnonzero(factor[i, :i]):
            col = col + z[:, j] * factor[i, j]
        out[:, i] = col
    return out


def sample(
    dists: Mapping[str, Dist],
    n: int,
    rng: np.random.Generator,
    correlations: Mapping[tuple[str, str], float] | None = None,
) -> dict[str, FloatArray]:
    """Return ``n`` joint draws of every input as float64 arrays of shape ``(n,)``.

    Standard normals of shape ``(n, k)`` are drawn in one call, one column per
    non-constant input in the order of ``dists``' keys, so that order determines
    the random stream; constants draw nothing. Optional Spearman ``correlations``
    keyed by ``(name_a, name_b)`` are imposed through a Gaussian copula.
    """
    return sample_streams(dists, n, [rng], correlations)


def sample_streams(
    dists: Mapping[str, Dist],
    n: int,
    rngs: Sequence[np.random.Generator],
    correlations: Mapping[tuple[str, str], float] | None = None,
) -> dict[str, FloatArray]:
    """:func:`sample` of ``n`` worlds from each generator in turn, concatenated.

    The same numbers as concatenating ``sample(dists, n, g, correlations)`` over
    ``rngs`` (normals and copula per generator; the elementwise transforms run
    once over all worlds, which is faster).
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"n: expected a non-negative integer, got {n!r}")
    n = int(n)
    k = sum(not d.is_constant for d in dists.values())
    blocks = [rng.standard_normal((n, k)) if k else np.empty((n, 0)) for rng in rngs]
    return from_normals(dists, np.concatenate(blocks) if len(blocks) != 1 else blocks[0],
                        correlations)  # fmt: skip


def from_normals(
    dists: Mapping[str, Dist],
    z: FloatArray,
    correlations: Mapping[tuple[str, str], float] | None = None,
) -> dict[str, FloatArray]:
    """Joint draws of every input from independent standard normals ``z``, one row per world.

    Column j of ``z`` belongs to the j-th non-constant input in the order of
    ``dists``' keys; the Gaussian copula imposes the Spearman ``correlations``
    and each input's inverse CDF maps the correlated normals to its values.
    """
    varying = [name for name, d in dists.items() if not d.is_constant]
    if z.shape[1:] != (len(varying),):
        raise ValueError(f"z: expected {len(varying)} columns, got shape {z.shape}")
    if correlations:
        z = _correlate(z, _correlation_factor(varying, dists, correlations))
    u = np.clip(ndtr(z), _U_CLIP, 1 - _U_CLIP)
    column = {name: j for j, name in enumerate(varying)}
    total = z.shape[0]
    return {
        name: d.ppf(u[:, column[name]]) if name in column else d.ppf(np.zeros(total))
        for name, d in dists.items()
    }
