"""A fuzz campaign over scenario documents and condition strings; prints the counts.

    PYTHONPATH=src python benchmarks/fuzz.py --documents 10000 --conditions 10000 --seed 1

Uses the generators and checks of ``tests/fuzz_strategies.py`` (the CI fuzz
tests run a fixed few thousand of the same). Each input is classified:

- accepted: valid, and a small run (64 worlds, <= 25 years, dt >= 0.5) gave finite
  probabilities in [0, 1] summing to 1, without numpy overflow warnings;
- rejected: refused with a located ScenarioError / ConditionError (with a line, or not);
- model failure: accepted, but the run gave non-finite worlds, warned of overflow or
  went past its horizon;
- failed check: accepted, but compiling or the run's output broke a property;
- uncaught: any other exception; hang: more than --timeout seconds.

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
    MODEL_FAILURES,
    TimeLimitError,
    check_condition,
    check_document,
    conditions,
    hostile_texts,
    mutated_scenarios,
    structures,
    time_limit,
)
from waystation.conditions import ConditionError
from waystation.io import ScenarioError, scenario_from_text


def classify_document(text: str, timeout: int) -> str:
    """The outcome of one document (see the module docstring)."""
    try:
        with time_limit(timeout):
            try:
                scenario_from_text(text, "fuzz.yaml")
            except ScenarioError as err:
                lined = all(p.line is not None for p in err.problems)
                return "rejected (located, with line)" if lined else "rejected (located, no line)"
            check_document(text, years=25.0)
            return "accepted (ran, probabilities valid)"
    except TimeLimitError:
        return "hang"
    except MODEL_FAILURES as err:
        return f"model failure: {type(err).__name__}"
    except (AssertionError, ScenarioError, ValueError) as err:
        return f"failed check after acceptance: {type(err).__name__}"
    except Exception as err:
        return f"uncaught: {type(err).__name__}"


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
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=int, default=20, help="seconds before an input hangs")
    parser.add_argument("--save", help="append every failing input to this JSON-lines file")
    args = parser.parse_args()
    docs = st.one_of(*([mutated_scenarios()] * 6), structures.map(yaml.safe_dump), hostile_texts())
    print(
        f"fuzz campaign, seed {args.seed}: {args.documents} documents, {args.conditions} conditions"
    )
    campaign("scenario documents", docs, args.documents, classify_document, args)
    campaign("conditions", conditions, args.conditions, classify_condition, args)


if __name__ == "__main__":
    main()
