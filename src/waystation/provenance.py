"""What made a run: content hashes of the model, and the "cite this run" block.

A run is fixed by its compiled :class:`~waystation.model.Model` (scenario,
strategy and any overridden inputs or levers), its seed and world count, the
model's equations and the backend that stepped the worlds. :func:`canonical`
reduces a model to plain JSON data (every float written exactly, mappings
sorted), so two models that compute the same numbers hash alike however they
were built; :func:`model_version` is the hash of the equations' code (the
same one that gates the fused kernel, :func:`waystation._fused.equations_hash`).

:func:`provenance` gathers the block every report, ``--json`` document and
the page show: date, versions, backend, worlds, seed, scenario hash, the
command that reproduces the run and a permalink that reopens it in
``waystation serve``'s explorer. This is an edge module (the CLI, report and
page use it); it imports nothing beyond the standard library and the core.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import functools
import hashlib
import json
import math
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from waystation._version import package_version
from waystation.model import Model

__all__ = [
    "PAGE_URL",
    "canonical",
    "cite",
    "model_hash",
    "model_version",
    "permalink",
    "provenance",
    "scenario_hash",
]

#: Where ``waystation serve`` opens the explorer by default: permalinks point there.
PAGE_URL = "http://127.0.0.1:8765/"


def canonical(x: Any) -> Any:
    """Plain JSON data of ``x``, the same for any two objects that compute alike.

    Dataclasses become field maps (private fields left out), mappings are
    sorted by key, floats written as exact hex strings, arrays as lists.
    """
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {
            f.name: canonical(getattr(x, f.name))
            for f in dataclasses.fields(x)
            if not f.name.startswith("_")
        }
    if isinstance(x, Mapping):
        items = {_key(k): canonical(v) for k, v in x.items()}
        return dict(sorted(items.items()))
    if isinstance(x, frozenset | set):
        return sorted(canonical(v) for v in x)
    if isinstance(x, list | tuple):
        return [canonical(v) for v in x]
    if isinstance(x, np.ndarray):
        return canonical(x.tolist())
    if isinstance(x, bool | np.bool_):
        return bool(x)
    if isinstance(x, int | np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return float(x).hex() if math.isfinite(x) else str(float(x))
    if x is None or isinstance(x, str):
        return x
    raise TypeError(f"cannot reduce {type(x).__name__} to canonical data")


def _key(k: Any) -> str:
    """A mapping key as text: tuples (correlation pairs) joined by ``|``."""
    return "|".join(map(str, k)) if isinstance(k, tuple) else str(k)


def digest(data: Any, length: int = 16) -> str:
    """Hex SHA-256 of the canonical JSON of ``data``, cut to ``length`` characters."""
    text = json.dumps(canonical(data), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _content(model: Model) -> dict[str, Any]:
    """A model's canonical data less its prose (name, description), random layout explicit."""
    data: dict[str, Any] = canonical(model)
    data.update(name=None, description=None, layout=list(model.stream_layout()))
    return data


#: Hashes already taken of a model object, by ``id`` (a model is frozen): the explorer's
#: jobs hash the same model for the cache, the provenance and the permalink.
_HASHES: dict[tuple[int, str], tuple[weakref.ref[Model], str]] = {}


def _once(model: Model, kind: str, fn: Callable[[Model], str]) -> str:
    """``fn(model)``, computed once per model object (dropped when the model is)."""
    key = (id(model), kind)
    hit = _HASHES.get(key)
    if hit is not None and hit[0]() is model:
        return hit[1]
    value = fn(model)
    _HASHES[key] = (weakref.ref(model, lambda _: _HASHES.pop(key, None)), value)
    return value


def model_hash(model: Model) -> str:
    """Hash of everything the model computes from: scenario, strategy, overrides.

    The name and description are prose and do not count; a model whose random
    layout is implicit hashes like one that states the same layout.
    """
    return _once(model, "model", lambda m: digest(_content(m)))


def scenario_hash(model: Model) -> str:
    """Hash of the scenario part of a model (inputs, actors, times): the strategy left out."""
    return _once(model, "scenario", lambda m: digest({**_content(m), "strategy": None}))


@functools.cache
def model_version() -> str:
    """Hash of the code of the model's equations (prose excluded), computed once a process.

    The equations' source cannot change under a running process (the kernel
    built from it is already loaded), and hashing it costs a few tenths of a
    second: every run's provenance asks for it.
    """
    from waystation._fused import equations_hash

    return equations_hash()


def permalink(scenario: str | Mapping[str, Any], strategy: str, worlds: int, seed: int) -> str:
    """A link that reopens this run in the explorer of ``waystation serve`` (its share format).

    ``scenario`` is a shipped name or the scenario as the page's JSON object;
    the link is the page's uncompressed form (``#j1.`` + base64url JSON).
    """
    state: dict[str, Any] = {"v": package_version(), "st": strategy, "w": worlds, "s": seed}
    if isinstance(scenario, str):
        state["b"] = scenario
    else:
        state["u"] = dict(scenario)
    raw = json.dumps(state, separators=(",", ":")).encode()
    token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return f"{PAGE_URL}#j1.{token}"


def provenance(
    model: Model,
    worlds: int,
    seed: int,
    backend: str,
    command: str,
    link: str | None = None,
    date: str | None = None,
) -> dict[str, Any]:
    """The "cite this run" block: what ran, how, and how to run it again."""
    return {
        "date": date or _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "waystation_version": package_version(),
        "model_version": model_version(),
        "backend": backend,
        "scenario": model.name,
        "strategy": model.strategy.name,
        "worlds": worlds,
        "seed": seed,
        "scenario_hash": scenario_hash(model),
        "run_hash": model_hash(model),
        "command": command,
        "permalink": link,
    }


def cite(prov: Mapping[str, Any] | None = None) -> dict[str, str]:
    """BibTeX and CFF entries for the software (its version and, given one, the run's date)."""
    version = package_version()
    date = str((prov or {}).get("date", ""))[:10] or _dt.date.today().isoformat()
    year = date[:4]
    note = ""
    if prov:
        note = (f"scenario {prov['scenario']} (hash {prov['scenario_hash']}), strategy "
                f"{prov['strategy']}, {prov['worlds']} worlds, seed {prov['seed']}, "
                f"model {prov['model_version']}, {prov['backend']} backend")  # fmt: skip
    bibtex = (
        f"@software{{waystation_{version.replace('.', '_')},\n"
        f"  title = {{waystation: a Monte Carlo simulator of paths and waystations "
        f"in AI safety}},\n"
        f"  author = {{{{waystation developers}}}},\n"
        f"  year = {{{year}}},\n"
        f"  version = {{{version}}},\n"
        + (f"  note = {{{note}; accessed {date}}},\n" if note else "")
        + "}"
    )
    cff = (
        "cff-version: 1.2.0\n"
        "message: If you use this software, please cite it as below.\n"
        'title: "waystation: a Monte Carlo simulator of paths and waystations in AI safety"\n'
        "authors:\n  - name: waystation developers\n"
        f"version: {version}\n"
        f"date-released: {date}\n"
        "license: MIT\n"
    )
    return {"bibtex": bibtex, "cff": cff}
