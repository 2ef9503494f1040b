"""A fuzz campaign over scenario documents and condition strings; prints the counts.

    PYTHONPATH=src python benchmarks/fuzz.py --documents 10000 --conditions 10000 --seed 1
    PYTHONPATH=src python benchmarks/fuzz.py --documents 0 --conditions 0 --many 400 \
        --tags 1000 --keys 1000 --bounds 1000 --backends numpy fused jax

Uses the generators and checks of ``tests/fuzz_strategies.py`` (the CI fuzz
tests run a fixed few thousand of the same). Each input is classified:

- accepted: valid, and a small run (64 worlds, <= 25 years, dt >= 0.5) gave finite
  probabilities in [0, 1] summing to 1, without numpy overflow warnings;
- rejected: refused with a located ScenarioError / ConditionError (with a line, or not);
- model failure: accepted, but the run gave non-finite worlds, warned of overflow or
  went past its horizon;
- failed check: accepted, but compiling or the run's output broke a property;
- uncaught: any other exception; hang: more than --timeout seconds.

Four more campaigns (round 2 of the hardening): scenarios of 12-20 actors with
every conditional strategy on every backend named (``--many``), every YAML 1.1
tag with malformed values (``--tags``), keys holding control characters
(``--keys``: no rendered message may carry one raw) and 90% intervals at a
parameter's bounds exactly (``--bounds``: each must be accepted).

Examples of everything but accepted/rejected are printed (first few of each kind).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import yaml
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from fuzz_strategies import (
    AVAILABLE_BACKENDS,
    MODEL_FAILURES,
    UNSHOWABLE,
    TimeLimitError,
    bounds_exact_intervals,
    check_condition,
    check_document,
    conditions,
    control_keys,
    hostile_texts,
    many_actor_scenarios,
    mutated_scenarios,
    structures,
    tagged_documents,
    time_limit,
)
from waystation.conditions import ConditionError
from waystation.io import ScenarioError, scenario_from_text


def classify_document(text: str, timeout: int, backend: str | None = None) -> str:
    """The outcome of one document (see the module docstring)."""
    try:
        with time_limit(timeout):
            try:
                scenario_from_text(text, "fuzz.yaml")
            except ScenarioError as err:
                if any(UNSHOWABLE.search(str(p)) for p in err.problems):
                    return "failed check: raw control character in the message"
                lined = all(p.line is not None for p in err.problems)
                return "rejected (located, with line)" if lined else "rejected (located, no line)"
            check_document(text, years=25.0, backend=backend)
            return "accepted (ran, probabilities valid)"
    except TimeLimitError:
        return "hang"
    except MODEL_FAILURES as err:
        return f"model failure: {type(err).__name__}"
    except (AssertionError, ScenarioError, ValueError) as err:
        return f"failed check after acceptance: {type(err).__name__}"
    except Exception as err:
        return f"uncaught: {type(err).__name__}"


def classify_many(item: tuple[str, str], timeout: int) -> str:
    """A many-actor document on its backend: every one is valid, so it must run."""
    text, backend = item
    outcome = classify_document(text, timeout, backend)
    return outcome if outcome.startswith("accepted") else f"{outcome} [{backend}]"


def classify_bounds(text: str, timeout: int) -> str:
    """A bounds-exact interval: refusing it is a failure."""
    outcome = classify_document(text, timeout)
    return "failed check: refused at its bounds" if outcome.startswith("rejected") else outcome


def classify_condition(text: str, timeout: int) -> str:
    """The outcome of one condition string."""
    try:
        with time_limit(timeout):
            outcome = check_condition(text)
            return "accepted (evaluated)" if outcome == "accepted" else "rejected (ConditionError)"
    except TimeLimitError:
        return "hang"
    except ConditionError:
        return "uncaught: ConditionError while evaluating"
    except AssertionError:
        return "failed check: AssertionError"
    except Exception as err:
        return f"uncaught: {type(err).__name__}"


def campaign(name: str, source: st.SearchStrategy[Any], n: int, classify: Any, args: Any) -> None:
    """Generate ``n`` inputs (at random, seeded), classify each and print the counts."""
    counts: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    seen: set[str] = set()
    start = time.perf_counter()

    @seed(args.seed)
    @settings(
        max_examples=n,
        database=None,
        deadline=None,
        phases=[Phase.generate],  # count every input; no shrinking
        suppress_health_check=list(HealthCheck),
    )
    @given(item=source)
    def run(item: str) -> None:
        outcome = classify(item, args.timeout)
        counts[outcome] += 1
        if item in seen:
            counts["(of which repeats)"] += 1
        seen.add(item)
        if not outcome.startswith(("accepted", "rejected")):
            if len(examples[outcome]) < 3:
                tail = traceback.format_exc(limit=2) if outcome.startswith("uncaught") else ""
                examples[outcome].append(f"{item!r:.400} {tail}")
            if args.save:
                with open(args.save, "a", encoding="utf-8") as out:
                    out.write(json.dumps({"kind": name, "outcome": outcome, "input": item}) + "\n")

    run()
    total = sum(v for k, v in counts.items() if not k.startswith("("))
    print(f"\n{name}: {total} inputs ({len(seen)} distinct) in {time.perf_counter() - start:.0f} s")
    for outcome, count in sorted(counts.items()):
        print(f"  {count:7d}  {outcome}")
    for outcome, items in examples.items():
        print(f"  e.g. {outcome}:")
        for item in items:
            print(f"    {item}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--conditions", type=int, default=10_000)
    parser.add_argument("--many", type=int, default=0, help="many-actor scenarios")
    parser.add_argument("--tags", type=int, default=0, help="documents with YAML 1.1 tags")
    parser.add_argument("--keys", type=int, default=0, help="keys with control characters")
    parser.add_argument("--bounds", type=int, default=0, help="intervals at the bounds")
    parser.add_argument("--backends", nargs="+", default=["numpy", "fused"],
                        choices=AVAILABLE_BACKENDS, help="backends of --many")  # fmt: skip
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=int, default=20, help="seconds before an input hangs")
    parser.add_argument("--save", help="append every failing input to this JSON-lines file")
    args = parser.parse_args()
    docs = st.one_of(*([mutated_scenarios()] * 6), structures.map(yaml.safe_dump), hostile_texts())
    print(
        f"fuzz campaign, seed {args.seed}: {args.documents} documents, {args.conditions} conditions"
    )
    for name, source, n, classify in [
        ("scenario documents", docs, args.documents, classify_document),
        ("conditions", conditions, args.conditions, classify_condition),
        ("many actors", many_actor_scenarios(tuple(args.backends)), args.many, classify_many),
        ("YAML tags", tagged_documents(), args.tags, classify_document),
        ("control-character keys", control_keys(), args.keys, classify_document),
        ("bounds-exact intervals", bounds_exact_intervals(), args.bounds, classify_bounds),
    ]:
        if n:
            campaign(name, source, n, classify, args)


if __name__ == "__main__":
    main()
