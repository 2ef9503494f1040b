"""Static checks of a scenario that would otherwise fail only at run time.

Validation must catch everything in a file that can make a run fail or
produce non-finite numbers: rank correlations that cannot be imposed
(out of range, self-correlation, a pair given twice, a matrix that is not
positive definite), shares of one actor's labour that add up to more than
the whole, and runs too large to keep in memory. Each check raises
``ValueError`` with a message that names the offending keys; the schema
(:mod:`waystation.scenario`) and the API turn it into a located error.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

import numpy as np

from waystation.distributions import parse_dist

#: Largest |rank| a correlation may have (±1 would make two inputs one).
MAX_RANK = 0.99
#: Smallest eigenvalue the (Pearson) correlation matrix must exceed, as the sampler requires.
MIN_EIGENVALUE = 1e-10
#: Groups of per-actor levers that are shares of one budget and must sum to at most 1:
#: evaluation and hardening split the actor's safety labour with motivation control
#: (``dynamics.safety_rates``: the rest, ``1 - eval - hardening``, goes to the safety range).
SHARE_GROUPS: tuple[tuple[str, ...], ...] = (("eval_investment", "hardening_investment"),)


class CheckError(ValueError):
    """A failed static check; ``item`` is the index of the correlation or rule to cite, if any."""

    def __init__(self, message: str, item: int | None = None) -> None:
        super().__init__(message)
        self.item = item


#: The largest uniform the sampler draws (distributions._U_CLIP); a share's top draw is its ppf.
_U_TOP = 1.0 - 1e-12


def check_rank(rank: float) -> None:
    """Raise CheckError unless a rank correlation lies in [-MAX_RANK, MAX_RANK]."""
    if not -MAX_RANK <= rank <= MAX_RANK:
        raise CheckError(
            f"rank {rank:g} is outside [-{MAX_RANK:g}, {MAX_RANK:g}]; expected a rank "
            "(Spearman) correlation strictly between -1 and 1"
        )


def check_correlations(pairs: Sequence[tuple[str, str, float]]) -> None:
    """Raise CheckError (citing the item) for self-correlation, a repeated pair or a bad matrix.

    ``pairs`` are ``(name_a, name_b, rank)`` in file order; messages cite
    ``correlations[i]``. The matrix test is the sampler's own: the Pearson
    matrix ``2 sin(pi r / 6)`` must be positive definite.
    """
    seen: dict[frozenset[str], int] = {}
    for i, (a, b, _) in enumerate(pairs):
        if a == b:
            raise CheckError(f"correlates {a!r} with itself; expected two different inputs", i)
        first = seen.setdefault(frozenset((a, b)), i)
        if first != i:
            raise CheckError(f"gives the pair {a} / {b} again (first in correlations[{first}]); "
                             "expected each pair once", i)  # fmt: skip
    if pairs:
        _check_definite(pairs)


def _check_definite(pairs: Sequence[tuple[str, str, float]]) -> None:
    names = list(dict.fromkeys(n for a, b, _ in pairs for n in (a, b)))
    index = {n: i for i, n in enumerate(names)}
    corr = np.eye(len(names))
    for a, b, rank in pairs:
        corr[index[a], index[b]] = corr[index[b], index[a]] = 2 * math.sin(math.pi * rank / 6)
    values, vectors = np.linalg.eigh(corr)
    if values[0] > MIN_EIGENVALUE:
        return
    weight = np.abs(vectors[:, 0])
    culprits = {n for n, w in zip(names, weight, strict=True) if w > 0.1}
    chosen = [i for i, (a, b, _) in enumerate(pairs) if a in culprits and b in culprits]
    chosen = chosen or list(range(len(pairs)))
    involved = [
        f"correlations[{i}] ({pairs[i][0]} / {pairs[i][1]}: {pairs[i][2]:g})" for i in chosen
    ]
    last = chosen[-1]
    raise CheckError(
        "these correlations cannot hold together (the correlation matrix is not positive "
        f"definite, smallest eigenvalue {values[0]:.3g}): {', '.join(involved)}; "
        "expected weaker or consistent ranks",
        last,
    )


def top_value(spec: Any, bounds: tuple[float, float]) -> float:
    """The largest value an input can take in a world: its top draw, clipped to its bounds."""
    dist = parse_dist(spec)
    top = dist.median() if dist.is_constant else float(dist.ppf(_U_TOP))
    return float(min(max(top, bounds[0]), bounds[1]))


@dataclass(frozen=True)
class RuleSetting:
    """What one strategy rule sets for one actor: its index, whether it always holds, values."""

    index: int
    always: bool
    values: Mapping[str, float]


def check_shares(
    actor: str,
    base: Mapping[str, float],
    rules: Iterable[RuleSetting] = (),
) -> None:
    """Raise CheckError (citing the last rule involved) if an actor's shares can sum past 1.

    ``base`` maps lever names to their largest value before any rule (see
    :func:`top_value`); ``rules`` are the strategy's rules that apply to the
    actor, in order (a later rule overrides an earlier one). Every combination
    of rules that can hold together is checked; conditions are not evaluated,
    so two rules are assumed able to hold at once.
    """
    rules = list(rules)
    for group in SHARE_GROUPS:
        if not all(name in base for name in group):
            continue
        for choice in product(*(_setters(name, rules) for name in group)):
            if not _compatible(group, choice):
                continue
            values = [
                base[n] if r is None else r.values[n] for n, r in zip(group, choice, strict=True)
            ]
            if math.fsum(values) > 1.0:
                rules_used = [r.index for r in choice if r is not None]
                message = _share_message(actor, group, values, choice)
                raise CheckError(message, max(rules_used) if rules_used else None)


def _setters(name: str, rules: list[RuleSetting]) -> list[RuleSetting | None]:
    """Who can have set lever ``name`` last: None (the base value) or a rule."""
    out: list[RuleSetting | None] = []
    for i, rule in enumerate(rules):
        if name in rule.values and not any(r.always and name in r.values for r in rules[i + 1 :]):
            out.append(rule)
    if not any(r.always and name in r.values for r in rules):
        out.append(None)
    return out


def _compatible(group: tuple[str, ...], choice: tuple[RuleSetting | None, ...]) -> bool:
    """Whether each lever can be last set by its chosen rule while the others' hold too."""
    for name, setter in zip(group, choice, strict=True):
        after = -1 if setter is None else setter.index
        if any(r is not None and r.index > after and name in r.values for r in choice):
            return False
    return True


def _share_message(
    actor: str, group: tuple[str, ...], values: list[float], choice: tuple[RuleSetting | None, ...]
) -> str:
    parts = []
    for name, value, rule in zip(group, values, choice, strict=True):
        origin = "" if rule is None else f" (set by strategy rule {rule.index})"
        parts.append(f"{name} {value:g}{origin}")
    return (
        f"actor {actor!r}: {' + '.join(parts)} = {math.fsum(values):g} exceeds 1; expected "
        f"{' + '.join(group)} <= 1 (they are shares of the same safety labour; for an "
        "uncertain share its largest draw counts: truncate or narrow it)"
    )


#: Per-world records kept in memory (``keep_worlds``) may need at most this many bytes.
MAX_KEPT_BYTES = 8 * 2**30
#: Most worlds in one run: probabilities are summed as int64 multiples of 2**-32, which
#: hold at most 2**31 worlds' worth of probability 1 without wrapping.
MAX_WORLDS = 2**31 - 1


def kept_bytes(worlds: int, columns: int) -> int:
    """Peak bytes of per-world records: float64 columns, held per block and once merged."""
    return 2 * 8 * columns * worlds


#: One compute block's working memory may need at most this many bytes.
MAX_BLOCK_BYTES = 8 * 2**30


def block_bytes(block: int, actors: int) -> int:
    """Peak bytes of stepping one block: measured ~1,000 + ~600 per actor per world, rounded up."""
    return block * (1200 + 600 * actors)


def check_run_size(
    worlds: int, columns: int, keep_worlds: bool, block: int = 0, actors: int = 1
) -> None:
    """Raise ValueError, with the estimate, for runs that cannot complete in memory or exactly.

    ``columns`` is the number of per-world record columns, ``block`` the
    worlds per compute block (as rounded by the engine) and ``actors`` the
    number of actors.
    """
    if worlds > MAX_WORLDS:
        raise ValueError(
            f"worlds: {worlds:,} is more than {MAX_WORLDS:,}, the most whose exact fixed-point "
            "sums cannot overflow; expected fewer worlds (several runs with other seeds)"
        )
    need = kept_bytes(worlds, columns)
    if keep_worlds and need > MAX_KEPT_BYTES:
        raise ValueError(
            f"keeping per-world records of {worlds:,} worlds ({columns} columns) needs about "
            f"{need / 2**30:.1f} GiB, more than the {MAX_KEPT_BYTES / 2**30:.0f} GiB limit; "
            "expected keep_worlds=False (--no-keep-worlds: summaries need no records) "
            f"or at most {MAX_KEPT_BYTES // (16 * columns):,} worlds"
        )
    need = block_bytes(block, actors)
    if need > MAX_BLOCK_BYTES:
        raise ValueError(
            f"block_size: a block of {block:,} worlds with {actors} actor(s) needs about "
            f"{need / 2**30:.1f} GiB, more than the {MAX_BLOCK_BYTES / 2**30:.0f} GiB limit; "
            f"expected at most {MAX_BLOCK_BYTES // block_bytes(1, actors):,} worlds per block "
            "(the default, 32,768, keeps a block in cache)"
        )
